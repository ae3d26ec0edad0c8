/* console: the web console (destinations, test in sandbox, promote, versions, recent
 * transfers, audit) on its own listener, behind a token. */
#ifndef HANDOFF_CONSOLE_H
#define HANDOFF_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webhooks/dest.h"
#include "webhooks/target.h"

#define CONSOLE_DEFAULT_LISTEN "127.0.0.1:8081"
#define CONSOLE_THREADS        4  /* its own few workers; the public port keeps its own */
#define CONSOLE_MAX_CONNS      64 /* open connections to it (each holds a thread: blocking) */
#define CONSOLE_TOKEN_MIN      16 /* characters of a configured token */
#define CONSOLE_TOKEN_MAX      256
#define CONSOLE_URL_MAX        512  /* --console-public-url */
#define CONSOLE_WHY_MAX        512  /* bytes of a refusal's reason kept per transfer */
#define CONSOLE_RECENT_MAX     1000 /* transfers the server keeps for the console */

/* One request the running server answered on /refer or /transfer (the console's "Recent
 * transfers"): a plain row, no secrets. */
struct console_transfer {
	int64_t at_ms; /* wall clock, Unix ms */
	char method[8];
	char route[32]; /* the route's label ("refer", "sandbox_refer", ...) */
	int status;
	char call_sid[64];
	char target[TARGET_MAX + 1];
	char dest[DEST_NAME_MAX + 1]; /* the destination answered, "direct", or "" */
	int version;                  /* live N, 0 sandbox, -1 none */
	char why[CONSOLE_WHY_MAX];    /* for a refusal: why */
	uint32_t latency_us;
};

/* Where the console reads recent transfers from (the running server), newest first: fills
 * at most max rows, returns how many. */
struct console_source {
	void *ctx;
	size_t (*recent)(void *ctx, struct console_transfer *out, size_t max);
};

/* What the console was started with; strings are borrowed for the run. */
struct console_config {
	const char *listen;     /* ADDR:PORT; a non-loopback address needs a configured token */
	const char *db;         /* the destinations database */
	const char *public_url; /* the console's URL behind a TLS proxy (its Host and Origin
	                         * are accepted; https makes the cookie Secure), or NULL */
	const char *token;      /* HANDOFF_CONSOLE_TOKEN's value, or NULL */
	const char *token_file; /* --console-token-file (must be 0600), or NULL: with no token
	                         * either, a 0600 file is generated next to db */
	struct console_source source; /* recent == NULL: no server (handoff console alone) */
	const char *server_listen;    /* the public listener it sits beside, for display */
};

struct console;

/* Resolves the token, checks the address, starts the listener. Prints on stderr where it
 * listens and, for a generated token, the file's path (never the token). *cp is written
 * only on success; EINVAL (refused: a non-loopback address without a configured token, a
 * token file others can read, a bad URL), EADDRINUSE, EIO, with a reason and a hint in
 * err ("why\nhint: ..."). */
int console_start(struct console **cp, const struct console_config *cfg, char *err, size_t errlen);
/* The port it listens on (useful with port 0). */
int console_port(const struct console *c);
/* Stops the listener (in-flight requests finish) and frees everything, wiping secrets. */
void console_stop(struct console *c);

#endif

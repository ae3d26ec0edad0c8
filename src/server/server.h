/* server: 'handoff serve' at run time: the HTTP adapter, the store watcher,
 * the handlers, the access log, the metrics and the signals, wired together. */
#ifndef HANDOFF_SERVER_H
#define HANDOFF_SERVER_H

#include <stdbool.h>

#include "webhooks/sig.h"

#define SERVER_DEFAULT_LISTEN     "127.0.0.1:8080"
#define SERVER_DEFAULT_THREADS    2 /* event-loop threads: a connection holds none while idle */
#define SERVER_MAX_THREADS        64
#define SERVER_DEFAULT_PER_CLIENT 64 /* open connections from one address (off: --trust-proxy) */

/* What 'handoff serve' was started with; the strings are borrowed for the run. */
struct server_config {
	const char *listen;
	const char *db;
	const char *public_url;   /* no trailing '/'; NULL: rebuilt from each request */
	const char *agent;        /* the <Sip> the /voice answer dials; may be NULL */
	const char *allow_direct; /* fnmatch pattern or NULL */
	bool trust_proxy;         /* honour X-Forwarded-Proto / X-Forwarded-Host */
	bool insecure;            /* no signature checks */
	int threads;
	unsigned max_conns;                 /* 0: HTTPD_MAX_CONNS_DEFAULT */
	unsigned max_per_client;            /* 0: none (--trust-proxy turns it off) */
	unsigned head_ms, body_ms, idle_ms; /* 0: the adapter's defaults */
	struct sig_keys keys;
	/* the web console on its own listener (NULL: off); the token from
	 * HANDOFF_CONSOLE_TOKEN, else the 0600 file, else a generated one */
	const char *console_listen;
	const char *console_token;
	const char *console_token_file;
	const char *console_public_url;
};

/* Runs until SIGTERM or SIGINT (in-flight requests finish), reloading on
 * SIGHUP. Logs to stderr. Returns an exit status (0 after a signal). */
int server_run(const struct server_config *cfg);

#endif

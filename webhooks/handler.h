/* handler: the webhook routes (/voice, /refer, /transfer/{name}, their sandbox twins,
 * /healthz, /metrics) as pure functions from a plain request to a plain answer. */
#ifndef HANDOFF_HANDLER_H
#define HANDOFF_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webhooks/dest_set.h"
#include "util/buf.h"
#include "webhooks/dest.h"
#include "webhooks/sig.h"
#include "webhooks/target.h"

#define HANDLER_MAX_WHY 2048 /* bytes of the log explanation */

enum handler_kind { ROUTE_VOICE, ROUTE_REFER, ROUTE_HEALTHZ, ROUTE_METRICS, ROUTE_TRANSFER };

/* One row of the route table. */
struct handler_route {
	const char *path;
	enum handler_kind kind;
	bool sandbox;     /* serves the sandbox set (and points referUrl at it) */
	bool get, post;   /* the methods it answers (HEAD goes with GET) */
	const char *name; /* the metrics/log label */
	bool prefix;      /* path is a prefix: the rest of the request path is a name */
};

/* The route table, ending with a NULL path; HANDLER_NROUTES rows before it. */
#define HANDLER_NROUTES 8
extern const struct handler_route handler_routes[];

/* What the server was started with. Nothing here is written. */
struct handler_settings {
	const char *public_url;   /* the base URL Twilio calls, no trailing '/'; NULL: rebuilt */
	const char *agent_uri;    /* the <Sip> of the /voice answer; NULL: /voice answers 404 */
	const char *allow_direct; /* fnmatch(3) pattern for targets dialled as they are, or NULL */
	struct sig_keys keys;
	bool insecure; /* skip signature checks (--insecure-no-signature) */
	/* fills the /metrics answer (Prometheus text); NULL: 404 */
	void (*metrics)(void *ctx, struct buf *out);
	void *metrics_ctx;
	/* fills the /healthz answer (always 200: "ok", or "degraded: ..." while the last
	 * snapshot is served without its store); NULL: "ok". Called with metrics_ctx. */
	void (*health)(void *ctx, struct buf *out);
};

/* One request. body is the handler's to decode in place: body[body_len] must be writable. */
struct handler_req {
	const char *method;
	const char *path;         /* the request path, no query */
	const char *query;        /* the raw query string, or NULL */
	const char *base_url;     /* scheme://host[:port] rebuilt from the request (used when
	                           * settings have no public_url) */
	const char *content_type; /* NULL when absent */
	const char *signature;    /* X-Twilio-Signature, NULL when absent */
	char *body;
	size_t body_len;
	/* the time of the request (Unix seconds, UTC): which destination answers a
	 * destination with opening hours depends on it. The server passes its clock's;
	 * tests and `dest test --at` pass the instant they mean. */
	int64_t now;
};

/* The destination sets a request may read (held by the caller for the call). */
struct handler_snap {
	const struct dest_set *live;
	const struct dest_set *sandbox;
};

/* What the access log says about one request. No secrets. */
struct handler_log {
	const struct handler_route *route; /* NULL when no route matched */
	char call_sid[64];
	char target[TARGET_MAX + 1];
	char dest[DEST_NAME_MAX + 1];  /* the destination that answered, or "direct" */
	char asked[DEST_NAME_MAX + 1]; /* the one named, when another answered for it */
	char name[DEST_NAME_MAX + 1];  /* /transfer/{name}: the name asked for (printable), once
	                                * the request passed its signature check */
	int version;                   /* the set used: live N, 0 sandbox, -1 none */
	bool sig_failed;
	char why[HANDLER_MAX_WHY]; /* for a refusal: the reason, with the URL variants tried */
};

/* The answer. body is caller-initialised (cap it at TWIML_MAX_BYTES or more). */
struct handler_resp {
	int status;
	const char *content_type; /* static */
	const char *allow;        /* for 405: the Allow header, static */
	struct buf *body;
};

/* Handles one request; always fills resp and log. Returns resp->status. */
int handler_handle(const struct handler_settings *s, const struct handler_snap *snap,
                   const struct handler_req *req, struct handler_resp *resp,
                   struct handler_log *log);

/* Frees the calling thread's reusable scratch now (threads that end free it themselves). */
void handler_thread_done(void);

/* The HTTP status for an errno value: the one place that chooses it. */
int handler_status(int err);

#endif

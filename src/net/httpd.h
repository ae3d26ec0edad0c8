/* httpd: the HTTP server adapter over libmicrohttpd (the only file that includes
 * microhttpd.h). A handler fills a plain response; the adapter sends it in one piece.
 * Event loops, not a thread per connection: an idle or slow socket holds no thread.
 * The adapter enforces what the library does not: deadlines for the head, the body and
 * keep-alive, a per-client-address cap, and strict framing (see httpd.c). */
#ifndef HANDOFF_HTTPD_H
#define HANDOFF_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define HTTPD_MAX_BODY_DEFAULT  (64 * 1024)
#define HTTPD_MAX_HEADERS       100        /* request headers; more: 431 */
#define HTTPD_CONN_MEMORY       (8 * 1024) /* per connection: the head must fit (else 431) */
#define HTTPD_MAX_TARGET        4096       /* the request target */
#define HTTPD_HEAD_MS_DEFAULT   5000       /* connection open -> request head complete */
#define HTTPD_BODY_MS_DEFAULT   10000      /* head complete -> body read, answer sent */
#define HTTPD_IDLE_MS_DEFAULT   5000       /* answer sent -> next request head complete */
#define HTTPD_MAX_CONNS_DEFAULT 2048       /* open connections (also bounded by RLIMIT_NOFILE) */
#define HTTPD_MAX_CONNS         65536
#define HTTPD_BUSY_PERCENT      75 /* past this share of max_conns: no keep-alive */
#define HTTPD_MAX_THREADS       64

struct http_header {
	const char *name;
	const char *value;
};

/* One request, valid for the handler call only. */
struct http_req {
	const char *method;
	const char
	    *path; /* the path, percent-decoded by the adapter (never holds a NUL), no query */
	const char *query; /* raw query string after '?', or NULL */
	const char *body;  /* NUL-terminated; body_len bytes */
	size_t body_len;
	const char *remote_addr;
	int local_port;
	int is_tls;
	const struct http_header *headers;
	size_t nheaders;
};

/* Looks a request header up, case-insensitively; NULL when absent. */
const char *http_req_header(const struct http_req *r, const char *name);

/* The answer a handler fills. status defaults to 200, body to empty. */
struct http_resp {
	int status;
	const char *content_type;  /* a static string, or NULL for none */
	struct buf body;           /* capped at HTTPD_MAX_RESPONSE */
	const char *fixed_headers; /* a static block of header lines, each ending "\r\n",
	                            * sent before headers[] (the console's security headers);
	                            * NULL for none */
	char headers[512];         /* extra header lines, each ending "\r\n" */
};

#define HTTPD_MAX_RESPONSE (4 * 1024 * 1024)

/* Adds one header line to resp ("Name: value"); silently drops it if full. */
void http_resp_header(struct http_resp *resp, const char *name, const char *value);

/* Fills resp with a plain-text answer. */
void http_resp_text(struct http_resp *resp, int status, const char *text);

typedef void (*http_handler_fn)(void *ctx, const struct http_req *req, struct http_resp *resp);

/* Every limit: 0 takes the default named beside it. */
struct httpd_config {
	const char *listen;      /* "127.0.0.1:8080", "[::1]:0", "8080"; port 0 = any free */
	int threads;             /* event-loop threads (default 2); ignored when blocking */
	bool blocking;           /* handlers may block (fetch, sleep): one thread per connection */
	size_t max_body;         /* larger request bodies get 413 without a handler call */
	unsigned max_conns;      /* HTTPD_MAX_CONNS_DEFAULT; more are refused at accept */
	unsigned max_per_client; /* open connections from one client address; 0: no cap */
	unsigned head_ms, body_ms, idle_ms; /* the deadlines (HTTPD_*_MS_DEFAULT) */
	http_handler_fn handler;
	void *ctx;
};

/* What the adapter has seen: counters only grow; the gauges are now. */
struct httpd_stats {
	unsigned threads, busy;    /* worker threads, and those inside a handler now */
	unsigned conns, max_conns; /* open connections, and the cap */
	unsigned max_per_client;   /* 0: no cap */
	unsigned head_ms, body_ms, idle_ms;
	unsigned long refused_full;       /* connections refused: max_conns reached */
	unsigned long refused_per_client; /* ... max_per_client reached for that address */
	unsigned long timeouts_head, timeouts_body, timeouts_idle; /* connections closed */
	unsigned long framing;     /* requests refused for their framing (400, 431) */
	unsigned long closed_busy; /* answers sent with Connection: close, being busy */
};

struct httpd;

/* Starts listening. On failure returns an errno value and a reason in err. */
int httpd_start(struct httpd **hp, const struct httpd_config *cfg, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int httpd_port(const struct httpd *h);
/* A snapshot of the counters (any thread). */
void httpd_stats(struct httpd *h, struct httpd_stats *out);
/* Stops accepting, lets in-flight requests finish (up to a few seconds), frees everything. */
void httpd_stop(struct httpd *h);

/* The reason phrase for an HTTP status ("OK", "Not Found", ...). */
const char *http_status_text(int status);

#endif

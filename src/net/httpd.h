/* httpd: the HTTP server adapter (the only file that includes civetweb.h).
 * A handler fills a plain response; the adapter writes it in one piece. */
#ifndef HANDOFF_HTTPD_H
#define HANDOFF_HTTPD_H

#include <stddef.h>

#include "util/buf.h"

#define HTTPD_MAX_BODY_DEFAULT (64 * 1024)

struct http_header {
	const char *name;
	const char *value;
};

/* One request, valid for the handler call only. */
struct http_req {
	const char *method;
	const char *path;  /* the path, percent-decoded by CivetWeb, no query */
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

struct httpd_config {
	const char *listen; /* "127.0.0.1:8080", "[::1]:0", "8080"; port 0 = any free */
	int threads;        /* worker threads (one per keep-alive connection) */
	size_t max_body;    /* larger request bodies get 413 without a handler call */
	http_handler_fn handler;
	void *ctx;
};

struct httpd;

/* Starts listening. On failure returns an errno value and a reason in err. */
int httpd_start(struct httpd **hp, const struct httpd_config *cfg, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int httpd_port(const struct httpd *h);
/* Stops accepting, lets in-flight requests finish, frees everything. */
void httpd_stop(struct httpd *h);

/* The reason phrase for an HTTP status ("OK", "Not Found", ...). */
const char *http_status_text(int status);

#endif

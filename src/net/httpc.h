/* httpc: the HTTP client adapter (the only file that includes curl/curl.h). */
#ifndef HANDOFF_HTTPC_H
#define HANDOFF_HTTPC_H

#include <stddef.h>

#include "util/buf.h"

/* Named limits and defaults. */
#define HTTPC_MAX_URL          4096
#define HTTPC_MAX_HEADERS      32 /* request headers a caller may add */
#define HTTPC_MAX_RESP_HEADERS (16 * 1024)
#define HTTPC_MAX_BODY_DEFAULT (1024 * 1024)
#define HTTPC_MAX_REDIRECTS    10
#define HTTPC_CONNECT_MS       10000
#define HTTPC_TOTAL_MS         30000

/* Why a transfer failed; each maps to one Twilio code (httpc_twilio_code). */
enum httpc_fail {
	HTTPC_OK = 0,
	HTTPC_BAD_URL,            /* malformed or unsupported URL: 11100 */
	HTTPC_DNS,                /* host name does not resolve: 11210 */
	HTTPC_CONNECT_REFUSED,    /* TCP refused/unreachable: 11202 */
	HTTPC_CONNECT_TIMEOUT,    /* TCP connect timed out: 11201 */
	HTTPC_TIMEOUT,            /* the whole transfer took too long: 11203 */
	HTTPC_TOO_MANY_REDIRECTS, /* more than max_redirects: 11215 */
	HTTPC_BAD_REDIRECT,       /* a redirect to a non-http(s) or malformed URL: 11216 */
	HTTPC_TLS,                /* handshake or certificate failure: 11220 */
	HTTPC_TOO_BIG,            /* response body over max_body: 11750 */
	HTTPC_PROTOCOL,           /* malformed response: 11206 */
	HTTPC_OTHER,              /* anything else: 11200 */
};

struct httpc_header {
	const char *name;
	const char *value;
};

/* One request. Everything is borrowed for the duration of httpc_do. */
struct httpc_req {
	const char *method;                 /* "GET", "POST", ...; NULL = GET */
	const char *url;                    /* http:// or https:// only */
	const struct httpc_header *headers; /* extra request headers */
	size_t nheaders;                    /* at most HTTPC_MAX_HEADERS */
	const char *body;                   /* request body or NULL */
	size_t body_len;
	const char *content_type; /* of body; NULL = none */
	const char *user;         /* Basic auth user, or NULL for none */
	const char *password;     /* Basic auth password; never logged */
	long connect_timeout_ms;  /* 0 = HTTPC_CONNECT_MS */
	long timeout_ms;          /* total, 0 = HTTPC_TOTAL_MS */
	int max_redirects;        /* 0 = do not follow; -1 = HTTPC_MAX_REDIRECTS */
	size_t max_body;          /* response body cap, 0 = HTTPC_MAX_BODY_DEFAULT */
};

/* One answer. Filled by httpc_do; release with httpc_resp_free. */
struct httpc_resp {
	int status;               /* HTTP status, 0 when none was received */
	char content_type[128];   /* "" when absent */
	long retry_after_s;       /* Retry-After in seconds (delta or date), -1 when absent */
	int redirects;            /* redirects followed */
	char effective_url[1024]; /* the last URL fetched (truncated if longer) */
	struct buf body;          /* owned; capped at max_body */
	struct buf headers;       /* raw header lines of the last response, owned */
	enum httpc_fail fail;     /* HTTPC_OK when a response arrived */
	char error[256];          /* human reason when fail != HTTPC_OK; no secrets */
	long elapsed_ms;
};

/* Performs one request. Returns 0 when a response arrived (any status: look at
 * resp->status), else an errno value and resp->fail / resp->error say why:
 * EINVAL bad URL, EHOSTUNREACH DNS, ECONNREFUSED, ETIMEDOUT (connect or
 * total), ELOOP too many redirects (or a bad redirect target), EPROTO TLS or protocol, E2BIG body
 * cap. TLS peer and host verification are always on. The caller owns resp and must call
 * httpc_resp_free even on failure. Thread-safe (one handle per call). */
int httpc_do(const struct httpc_req *req, struct httpc_resp *resp);

/* Frees the buffers in resp. */
void httpc_resp_free(struct httpc_resp *resp);

/* A response header's value (first match, case-insensitive) copied into out;
 * returns 0, or ENOENT when absent. */
int httpc_resp_header(const struct httpc_resp *resp, const char *name, char *out, size_t outlen);

/* Twilio's error code for a failure class (11200 for HTTPC_OTHER, 0 for OK). */
int httpc_twilio_code(enum httpc_fail f);
/* A short name for a failure class ("connect refused", ...). */
const char *httpc_fail_name(enum httpc_fail f);

/* The User-Agent every request carries: "handoff/<version>". */
const char *httpc_user_agent(void);

/* Percent-encodes s for a form body or query (RFC 3986 unreserved kept,
 * space as %20) and appends it to b. Returns 0 or E2BIG. */
int httpc_urlencode(struct buf *b, const char *s);

#endif

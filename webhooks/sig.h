/* sig: X-Twilio-Signature, computed and checked the way Twilio and its helper
 * libraries do (one implementation for the server, the CLI and the emulator). */
#ifndef HANDOFF_SIG_H
#define HANDOFF_SIG_H

#include <stddef.h>

#include "util/buf.h"
#include "webhooks/form.h"

#define SIG_MAX_URL      2048         /* longest URL signed or checked */
#define SIG_MAX_DATA     (256 * 1024) /* longest string signed (URL + params) */
#define SIG_MAX_VARIANTS 8
#define SIG_LEN          28 /* base64 of an HMAC-SHA1, without the NUL */

/* The auth tokens a request may be signed with; NULL or "" = absent. */
struct sig_keys {
	const char *primary;   /* TWILIO_AUTH_TOKEN */
	const char *secondary; /* TWILIO_AUTH_TOKEN_SECONDARY, during a rotation */
};

/* A request as the validator sees it. None of it is written. */
struct sig_request {
	const char *url; /* the full URL Twilio requested: scheme://host[:port]/path[?query] */
	const struct form_param *params; /* the form body's pairs (POST form); NULL otherwise */
	size_t nparams;
	const char *body; /* a non-form (JSON) body, checked against bodySHA256; else NULL */
	size_t body_len;
	const char *signature; /* the X-Twilio-Signature header; NULL when absent */
};

/* One URL a signature was checked against, and why it differs from the URL as given. */
struct sig_variant {
	char url[SIG_MAX_URL + 1];
	char why[96]; /* "as given", or which parts differ: "port removed", "query re-encoded" */
};

/* What a check tried. Never holds a token: only which one ("primary"). */
struct sig_explain {
	struct sig_variant v[SIG_MAX_VARIANTS];
	size_t nv;
	int matched;        /* index into v of the variant that matched, or -1 */
	const char *token;  /* "primary"/"secondary" (matched), or what was tried */
	char reason[256];   /* why the request is refused, "" when valid */
	struct buf signed_; /* the string signed for the URL as given; sig_explain_free frees it */
};

/* Writes into out the string that is signed: url, then each pair sorted by
 * name byte-wise (a repeated name's values de-duplicated and sorted), as name
 * then value, empty values included. Returns 0 or E2BIG (out is caller-initialised). */
int sig_data(const char *url, const struct form_param *p, size_t n, struct buf *out);

/* Computes the signature of a form request (n = 0 for a GET or a JSON body
 * whose URL carries bodySHA256) under key into out (SIG_LEN + 1 bytes).
 * Returns 0, E2BIG or EPROTO. */
int sig_sign(const char *key, const char *url, const struct form_param *p, size_t n,
             char out[SIG_LEN + 1]);

/* The lowercase hex SHA-256 of a body, as the bodySHA256 query parameter carries it. */
int sig_body_hash(const char *body, size_t len, char hex[65]);

/* The URLs a request is checked against, as the helper libraries do: as given,
 * the port removed, the default port added, and the WHATWG-normalised URL with
 * and without its port, each also with the legacy re-encoded query. Duplicates
 * are dropped. Returns the count (>= 1), or 0 when url is too long. */
size_t sig_url_variants(const char *url, struct sig_variant *v, size_t max);

/* Checks a request: 0 when the signature matches some variant under some
 * token (and the body matches bodySHA256 for a JSON body); EACCES when the
 * header is missing or nothing matches; EINVAL when no token is set; E2BIG
 * when the request is too large to sign. ex (optional, caller-owned) gets
 * the explanation; call sig_explain_free on it afterwards. */
int sig_verify(const struct sig_keys *keys, const struct sig_request *req, struct sig_explain *ex);

/* Appends a human account of ex to out: the reason, the token(s), every
 * variant with why it differs, and the signed string (cut at max_signed
 * bytes); on one line ("; " between parts) or one part per line. */
void sig_explain_format(const struct sig_explain *ex, struct buf *out, size_t max_signed,
                        int multiline);

/* Frees what ex holds (not ex). */
void sig_explain_free(struct sig_explain *ex);

#endif

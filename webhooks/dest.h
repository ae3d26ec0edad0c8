/* dest: a handoff destination (where a transfer goes), its validation,
 * the variables its header templates may use, and the TwiML it answers. */
#ifndef HANDOFF_DEST_H
#define HANDOFF_DEST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/str.h"
#include "webhooks/hours.h"

#define DEST_NAME_MAX         64
#define DEST_DESCRIPTION_MAX  256
#define DEST_ROUTE_MAX        254 /* a <Sip> URI must stay under 255 characters */
#define DEST_MAX_HEADERS      16
#define DEST_HEADER_VALUE_MAX 512
#define DEST_DEFAULT_TIMEOUT  30
#define DEST_TIMEOUT_MIN      5
#define DEST_TIMEOUT_MAX      600
#define DEST_HEADER_NAME_MAX  64
#define DEST_CALLER_ID_MAX    64
#define DEST_URI_MAX          254  /* the <Sip> URI without its header part: under 255 */
#define DEST_HEADERS_PART_MAX 1023 /* the header part after '?': under 1024 (21227) */
#define DEST_REFER_MAX        64   /* Refer-To URI headers read for $refer.* */
#define DEST_MAX_FAILOVER     4    /* failover routes after a SIP route */

enum dest_env { DEST_SANDBOX, DEST_LIVE };

struct dest_header {
	char *name;  /* e.g. "X-Reason", "User-to-User" */
	char *value; /* a template: text with $variables */
};

struct dest {
	char *name; /* slug [a-z0-9][a-z0-9-]*, unique in a set */
	char *description;
	char *route;     /* +E164, tel:+E164, sip:..., sips:... */
	char *caller_id; /* NULL = the caller's own */
	int timeout;     /* 5-600 seconds; 0 = Twilio's default */
	struct dest_header *headers;
	size_t nheaders;
	/* failover: sip:/sips: routes tried in order when route is busy, fails or does not
	 * answer (the answer's <Sip> then holds one <Uri priority="N"> per route, each with
	 * the headers); NULL/0 = none */
	char **failover;
	size_t nfailover;
	struct dest_hours hours; /* opening hours; hours.tz NULL: none (always answers) */
};

/* What a refusal names: the field, the rule and a fix. Caller-owned. */
struct dest_error {
	char field[32];
	char msg[512];  /* e.g. 'route "4155550100" is not E.164: write + and ...' */
	char hint[128]; /* "" or a suggestion, e.g. "did you mean +14155550100?" */
};

/* A name/value pair: a Refer-To URI header, already percent-decoded. */
struct dest_kv {
	const char *name;
	const char *value;
};

/* The values a header template's variables take on one call. NULL = empty. */
struct dest_vars {
	const char *from;            /* $from and $caller_id */
	const char *to;              /* $to */
	const char *call_sid;        /* $call_sid */
	const char *account_sid;     /* $account_sid */
	const struct dest_kv *refer; /* $refer.<Header-Name>, matched case-insensitively */
	size_t nrefer;
};

/* One variable a header template may use, with the longest value it may
 * take (raw) and its longest percent-encoded form, which validation counts
 * against the URI limits. A "$refer." entry matches any header name after it. */
struct dest_var {
	const char *name; /* without the '$': "caller_id", "refer." */
	size_t raw_max;
	size_t enc_max;
	const char *means;
};
/* The table, terminated by a NULL name (for validation, --help and docs). */
extern const struct dest_var dest_vars_table[];

/* Checks every rule of a destination. Returns 0, or EINVAL with err filled. */
int dest_validate(const struct dest *d, struct dest_error *err);

/* Every field's first error at once (the messages dest_validate gives, one per field, in the
 * order it checks them), for a form that shows them all before saving. */
#define DEST_FIELDS_MAX 16
struct dest_errors {
	struct dest_error v[DEST_FIELDS_MAX];
	size_t n;
};
/* Returns 0 (errs->n = 0), or EINVAL with errs->n errors. */
int dest_validate_all(const struct dest *d, struct dest_errors *errs);

/* Checks a set: every destination, names unique (case-insensitively), and each
 * --otherwise naming a destination of the set without a cycle (a -> b -> a). Whether
 * each zone exists is the store's check (it reads the zone files). Returns 0, or
 * EINVAL with err naming the first bad destination. */
int dest_validate_set(const struct dest *d, size_t n, struct dest_error *err);
/* dest_validate_set's --otherwise rule alone (each names a destination of d[0..n), no
 * cycle), for a form that checks one destination against its set before saving: 0, or
 * EINVAL with err (field "hours") naming the first bad destination ("NAME: --otherwise
 * ..."). */
int dest_validate_otherwise(const struct dest *d, size_t n, struct dest_error *err);

/* Renders the TwiML the server answers for d with these variables:
 * <Response><Dial answerOnBridge="true" ...><Sip>|<Number>...</Dial></Response>; with
 * failover routes, <Sip><Uri priority="1">route?headers</Uri><Uri priority="2">...</Sip>.
 * Values are percent-encoded in the SIP URI and escaped in XML. Returns 0,
 * or E2BIG when a value passes its variable's bound (the answer would break
 * Twilio's URI limits) or out's cap is reached. out is caller-initialised. */
int dest_render(const struct dest *d, const struct dest_vars *v, struct buf *out);

/* The dial target alone: the E.164 number, or the SIP URI with its header
 * part (not XML-escaped); of the primary route (failover routes carry the same
 * header part). Appends to out; returns 0 or E2BIG as dest_render. */
int dest_render_target(const struct dest *d, const struct dest_vars *v, struct buf *out);

/* A destination's answer compiled once (for a snapshot the server serves
 * from): the literal bytes come from the same renderer as dest_render's, with
 * the variables' places cut out, so rendering splices the encoded values into
 * one buffer without building a tree or allocating. */
struct dest_tmpl;
/* Compiles d; NULL when it cannot be compiled (dest_render then answers,
 * e.g. with EINVAL for an invalid template). Free with dest_tmpl_free. */
struct dest_tmpl *dest_compile(const struct dest *d);
/* Appends exactly what dest_render(d, v, out) would, and returns what it
 * would (0 or E2BIG, with the same limits). On E2BIG out may be freed (its
 * cap) or left as it was (a value's bound). */
int dest_tmpl_render(const struct dest_tmpl *t, const struct dest_vars *v, struct buf *out);
void dest_tmpl_free(struct dest_tmpl *t); /* NULL is fine */

/* Whether the route dials SIP (sip:/sips:) rather than a number. */
bool dest_is_sip(const struct dest *d);

/* Deep copy and free. */
struct dest *dest_dup(const struct dest *d);
void dest_clear(struct dest *d); /* frees the members, not d */

#endif

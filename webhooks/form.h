/* form: application/x-www-form-urlencoded decoding, in place, with named limits. */
#ifndef HANDOFF_FORM_H
#define HANDOFF_FORM_H

#include <stddef.h>

#define FORM_MAX_BODY   (64 * 1024) /* bytes of one encoded form (body or query) */
#define FORM_MAX_PARAMS 128         /* name=value pairs */
#define FORM_MAX_NAME   256         /* bytes of one decoded name */
#define FORM_MAX_VALUE  8192        /* bytes of one decoded value */

/* One decoded pair. Both point into the caller's buffer and are NUL-terminated
 * there; the lengths count bytes (a value may hold an escaped NUL). */
struct form_param {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* Every pair of one form, in the order sent; repeated names are kept. */
struct form {
	struct form_param p[FORM_MAX_PARAMS];
	size_t n;
};

/* Decodes s[0..len) in place ('+' is a space, %XX a byte) and fills f with
 * slices of s. s must have room for len + 1 bytes (a NUL is written at s[len]).
 * Empty pieces ("a=1&&b=2") are skipped; a name without '=' gets "".
 * Returns 0; EBADMSG for a bad percent-escape or a %00; E2BIG over a FORM_MAX_* limit.
 * On failure f->n is 0 and s is partly decoded. */
int form_parse(char *s, size_t len, struct form *f);

/* The first value of name (exact, case-sensitive), or NULL. */
const char *form_get(const struct form *f, const char *name);

/* Decodes %XX and '+' of s[0..len) into out (at most outlen - 1 bytes, then
 * NUL). plus_is_space selects form rules ('+') or URI rules (RFC 3986).
 * Returns the decoded length, or -EBADMSG (a bad escape, %00) / -E2BIG. */
long form_unescape(const char *s, size_t len, int plus_is_space, char *out, size_t outlen);

#endif

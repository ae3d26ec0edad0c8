/* str: slices of text that point into someone else's buffer. */
#ifndef HANDOFF_UTIL_STR_H
#define HANDOFF_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct str {
	const char *p;
	size_t len;
};

static inline struct str str_c(const char *s)
{
	return (struct str){s, s ? strlen(s) : 0};
}

static inline bool str_eq(struct str a, struct str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool str_eqc(struct str a, const char *c)
{
	return str_eq(a, str_c(c));
}

/* ASCII case-insensitive equality. */
bool str_caseeq(struct str a, struct str b);
/* Whether a starts with the prefix, case-sensitively or not. */
bool str_prefix(struct str a, const char *prefix);
bool str_caseprefix(struct str a, const char *prefix);
/* Trims ASCII white space on both ends. */
struct str str_trim(struct str a);

#endif

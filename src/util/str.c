/* str: slices of text that point into someone else's buffer. */
#include "util/str.h"

#include <ctype.h>
#include <strings.h>

bool str_caseeq(struct str a, struct str b)
{
	return a.len == b.len && (a.len == 0 || strncasecmp(a.p, b.p, a.len) == 0);
}

bool str_prefix(struct str a, const char *prefix)
{
	size_t n = strlen(prefix);
	return a.len >= n && memcmp(a.p, prefix, n) == 0;
}

bool str_caseprefix(struct str a, const char *prefix)
{
	size_t n = strlen(prefix);
	return a.len >= n && strncasecmp(a.p, prefix, n) == 0;
}

struct str str_trim(struct str a)
{
	while (a.len && isspace((unsigned char)a.p[0])) {
		a.p++;
		a.len--;
	}
	while (a.len && isspace((unsigned char)a.p[a.len - 1]))
		a.len--;
	return a;
}

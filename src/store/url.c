/* url: telling a PostgreSQL URL from an SQLite path, and the URL as it may be shown: its
 * password (in the user part or a password= parameter) replaced, for every message. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/store_int.h"

#define HIDDEN "***"

static size_t scheme_len(const char *db)
{
	if (strncasecmp(db, "postgresql://", 13) == 0)
		return 13;
	if (strncasecmp(db, "postgres://", 11) == 0)
		return 11;
	return 0;
}

bool store_is_url(const char *db)
{
	return db && scheme_len(db) > 0;
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Whether the parameter name [p, e) is "password" once %XX is decoded (as libpq does). */
static bool is_password_key(const char *p, const char *e)
{
	static const char want[] = "password";
	size_t k = 0;
	while (p < e) {
		int c = (unsigned char)*p++;
		if (c == '%' && e - p >= 2 && hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
			c = hexval(p[0]) * 16 + hexval(p[1]);
			p += 2;
		}
		if (k >= sizeof(want) - 1 || c != want[k++])
			return false;
	}
	return k == sizeof(want) - 1;
}

#define SPANS_MAX STORE_SECRETS_MAX
size_t store_secret_spans(const char *db, size_t from[STORE_SECRETS_MAX],
                          size_t to[STORE_SECRETS_MAX])
{
	size_t n = 0, start = scheme_len(db);
	if (!start)
		return 0;
	/* the user part ends at the first '@' before any '/' (libpq reads it so) */
	size_t end = start + strcspn(db + start, "@/");
	if (db[end] == '@') {
		const char *colon = memchr(db + start, ':', end - start);
		if (colon) {
			from[n] = (size_t)(colon + 1 - db);
			to[n++] = end;
		}
	}
	const char *q = strchr(db + (db[end] == '@' ? end + 1 : start), '?');
	while (q) {
		const char *k = q + 1, *amp = k + strcspn(k, "&"), *eq = memchr(k, '=', amp - k);
		if (eq && is_password_key(k, eq)) {
			if (n == SPANS_MAX) { /* past the limit: the last span runs to the end */
				to[n - 1] = strlen(db);
				break;
			}
			from[n] = (size_t)(eq + 1 - db);
			to[n++] = (size_t)(amp - db);
		}
		q = *amp ? amp : NULL;
	}
	return n;
}

bool store_has_password(const char *db)
{
	size_t from[SPANS_MAX], to[SPANS_MAX];
	return db && store_secret_spans(db, from, to) > 0;
}

char *store_redact(const char *db, char *out, size_t cap)
{
	if (!cap)
		return out;
	size_t from[SPANS_MAX], to[SPANS_MAX];
	size_t n = store_secret_spans(db, from, to), o = 0, i = 0;
	for (size_t k = 0; k <= n; k++) {
		size_t stop = k < n ? from[k] : strlen(db);
		while (i < stop && o + 1 < cap)
			out[o++] = db[i++];
		if (k < n) {
			for (const char *h = HIDDEN; *h && o + 1 < cap; h++)
				out[o++] = *h;
			i = to[k];
		}
	}
	out[o] = '\0';
	return out;
}

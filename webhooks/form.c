/* form: application/x-www-form-urlencoded decoding, in place, with named limits. */
#include "webhooks/form.h"

#include <errno.h>
#include <string.h>

/* A hex digit's value plus one (0: not a hex digit): every %XX of a request goes through it. */
static const unsigned char hex1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int hexval(unsigned char c)
{
	return (int)hex1[c] - 1;
}

long form_unescape(const char *s, size_t len, int plus_is_space, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int hi = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
			/* %00 would cut a C string short of what was signed or sent */
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -EBADMSG;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (o + 1 >= outlen)
			return -E2BIG;
		out[o++] = (char)c;
	}
	if (outlen)
		out[o] = '\0';
	return (long)o;
}

/* The index of the first '%' or '+' in s[i..len), or len: memchr's speed
 * for the long plain runs between escapes. */
static size_t next_escape(const char *s, size_t i, size_t len)
{
	const char *pct = memchr(s + i, '%', len - i);
	size_t end = pct ? (size_t)(pct - s) : len;
	const char *plus = memchr(s + i, '+', end - i);
	return plus ? (size_t)(plus - s) : end;
}

/* Decodes s[0..len) onto itself (the result is never longer); returns the
 * new length or -EBADMSG. Writes a NUL after the result. Most values hold
 * no escape at all: nothing moves until the first '%' or '+', and plain
 * runs between escapes move in one memmove. */
static long decode_in_place(char *s, size_t len)
{
	size_t i = next_escape(s, 0, len);
	size_t o = i;
	while (i < len) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi | lo) == 0) /* %00: see form_unescape */
				return -EBADMSG;
			c = (char)(hi << 4 | lo);
			i += 3;
		} else { /* '+' */
			c = ' ';
			i++;
		}
		s[o++] = c;
		size_t j = i < len ? next_escape(s, i, len) : len;
		memmove(s + o, s + i, j - i);
		o += j - i;
		i = j;
	}
	s[o] = '\0';
	return (long)o;
}

int form_parse(char *s, size_t len, struct form *f)
{
	f->n = 0;
	if (len > FORM_MAX_BODY)
		return E2BIG;
	size_t i = 0;
	while (i < len) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - s) : len;
		if (end == i) { /* an empty piece */
			i = end + 1;
			continue;
		}
		if (f->n == FORM_MAX_PARAMS) {
			f->n = 0;
			return E2BIG;
		}
		const char *eqp = memchr(s + i, '=', end - i);
		size_t eq = eqp ? (size_t)(eqp - s) : end;
		/* The separator bytes ('=' and '&') become the NULs of the decoded
		 * pieces; the last piece's NUL goes at s[len]. */
		long nl = decode_in_place(s + i, eq - i);
		long vl = 0;
		char *value = s + end; /* "" for a name without '=' */
		if (eq < end) {
			value = s + eq + 1;
			vl = decode_in_place(value, end - eq - 1);
		} else {
			s[end] = '\0';
		}
		if (nl < 0 || vl < 0) {
			f->n = 0;
			return EBADMSG;
		}
		if ((size_t)nl > FORM_MAX_NAME || (size_t)vl > FORM_MAX_VALUE) {
			f->n = 0;
			return E2BIG;
		}
		f->p[f->n++] = (struct form_param){s + i, (size_t)nl, value, (size_t)vl};
		i = end + 1;
	}
	s[len] = '\0';
	return 0;
}

const char *form_get(const struct form *f, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < f->n; i++)
		if (f->p[i].name_len == nl && memcmp(f->p[i].name, name, nl) == 0)
			return f->p[i].value;
	return NULL;
}

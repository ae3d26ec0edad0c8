/* form: application/x-www-form-urlencoded decoding, in place, with named limits. */
#include "form.h"

#include <errno.h>
#include <string.h>

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long form_unescape(const char *s, size_t len, int plus_is_space, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int hi = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
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

/* Decodes s[0..len) onto itself (the result is never longer); returns the
 * new length or -EBADMSG. Writes a NUL after the result. */
static long decode_in_place(char *s, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -EBADMSG;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		s[o++] = c;
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
		size_t end = i;
		while (end < len && s[end] != '&')
			end++;
		if (end == i) { /* an empty piece */
			i = end + 1;
			continue;
		}
		if (f->n == FORM_MAX_PARAMS) {
			f->n = 0;
			return E2BIG;
		}
		size_t eq = i;
		while (eq < end && s[eq] != '=')
			eq++;
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

/* html: the console's one HTML escaper, a printf that escapes every string by default, and
 * shell quoting for the equivalent command lines. */
#include "console/html.h"

#include <stdbool.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void html_esc(struct buf *out, const char *s, size_t n)
{
	size_t run = 0; /* bytes copied as they are, written in one piece */
	for (size_t i = 0; i < n; i++) {
		const char *e;
		switch (s[i]) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&#39;";
			break;
		case '\0': /* a NUL in a value: nothing a browser should see */
			e = "&#xFFFD;";
			break;
		default:
			run++;
			continue;
		}
		if (run)
			buf_add(out, s + i - run, run);
		run = 0;
		buf_adds(out, e);
	}
	if (run)
		buf_add(out, s + n - run, run);
}

/* A query value: unreserved characters as they are, everything else %XX. */
static void url_esc(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c)) {
			buf_addc(out, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			buf_add(out, e, 3);
		}
	}
}

void html_f(struct buf *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *p = fmt;
	while (*p) {
		const char *pct = strchr(p, '%');
		if (!pct) {
			buf_adds(out, p);
			break;
		}
		if (pct > p)
			buf_add(out, p, (size_t)(pct - p));
		p = pct + 1;
		/* a number's flags and width, as printf takes them: "%03d" */
		char spec[16] = "%";
		size_t sl = 1;
		while ((*p == '0' || *p == '-' || (*p >= '1' && *p <= '9')) && sl < 8)
			spec[sl++] = *p++;
		bool plain = sl == 1;
		char num[48];
		const char *s;
		if (plain && *p == 's') {
			if ((s = va_arg(ap, const char *)))
				html_esc(out, s, strlen(s));
			p++;
		} else if (plain && *p == 'r') {
			if ((s = va_arg(ap, const char *)))
				buf_adds(out, s);
			p++;
		} else if (plain && *p == 'U') {
			if ((s = va_arg(ap, const char *)))
				url_esc(out, s); /* %XX and unreserved: nothing HTML would read */
			p++;
		} else if (plain && *p == '%') {
			buf_addc(out, '%');
			p++;
		} else if (*p == 'd' || *p == 'u') {
			spec[sl] = *p;
			spec[sl + 1] = '\0';
			if (*p == 'd')
				snprintf(num, sizeof(num), spec, va_arg(ap, int));
			else
				snprintf(num, sizeof(num), spec, va_arg(ap, unsigned));
			buf_adds(out, num);
			p++;
		} else if (strncmp(p, "zu", 2) == 0) {
			memcpy(spec + sl, "zu", 3);
			snprintf(num, sizeof(num), spec, va_arg(ap, size_t));
			buf_adds(out, num);
			p += 2;
		} else if (strncmp(p, "lld", 3) == 0) {
			memcpy(spec + sl, "lld", 4);
			snprintf(num, sizeof(num), spec, va_arg(ap, long long));
			buf_adds(out, num);
			p += 3;
		} else if (strncmp(p, "ld", 2) == 0) {
			memcpy(spec + sl, "ld", 3);
			snprintf(num, sizeof(num), spec, va_arg(ap, long));
			buf_adds(out, num);
			p += 2;
		} else {
			/* a conversion this writer does not know would read the wrong argument:
			 * a programming error, stopped here rather than rendered */
			fprintf(stderr, "html_f: unknown conversion in \"%s\"\n", fmt);
			abort();
		}
	}
	va_end(ap);
}

void shell_quote(struct buf *out, const char *s)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || strchr("+-_.,:/@=%", *p);
	if (plain) {
		buf_adds(out, s);
		return;
	}
	buf_addc(out, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			buf_adds(out, "'\\''");
		else
			buf_addc(out, *p);
	}
	buf_addc(out, '\'');
}

void html_shell(struct buf *out, const char *s)
{
	struct buf q;
	buf_init(&q, 4 * strlen(s) + 8);
	shell_quote(&q, s);
	html_esc(out, buf_str(&q), q.len);
	buf_free(&q);
}

/* target: the ReferTransferTarget of a referUrl webhook, parsed. */
#include "webhooks/target.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/str.h"
#include "webhooks/form.h"

static int refuse(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int copy(char *dst, size_t cap, struct str s)
{
	if (s.len >= cap)
		return E2BIG;
	memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	return 0;
}

/* Whether s (after its leading '+') is all digits: a phone number. */
static int phone_like(const char *s)
{
	if (*s == '+')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* The URI headers after '?': H=v&H2=v2, decoded into t->hstore. */
static int parse_headers(struct str h, struct target *t, char *err, size_t errlen)
{
	size_t used = 0;
	const char *p = h.p, *end = h.p + h.len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		if (!amp)
			amp = end;
		struct str piece = {p, (size_t)(amp - p)};
		p = amp + 1;
		if (piece.len == 0)
			continue;
		if (t->nheaders == TARGET_MAX_HEADERS)
			return refuse(err, errlen, E2BIG, "more than %d URI headers",
			              TARGET_MAX_HEADERS);
		const char *eq = memchr(piece.p, '=', piece.len);
		struct str name = {piece.p, eq ? (size_t)(eq - piece.p) : piece.len};
		struct str value = {eq ? eq + 1 : piece.p + piece.len,
		                    eq ? piece.len - name.len - 1 : 0};
		char *n = t->hstore + used;
		long nl = form_unescape(name.p, name.len, 0, n, sizeof(t->hstore) - used);
		if (nl <= 0)
			return refuse(err, errlen, EBADMSG, "a URI header with %s",
			              nl == 0 ? "no name" : "a bad %-escape in its name");
		for (long i = 0; i < nl; i++)
			if (!isalnum((unsigned char)n[i]) && !strchr("-.!%*_+`'~", n[i]))
				return refuse(err, errlen, EBADMSG,
				              "URI header name \"%.*s\" holds a character SIP "
				              "does not allow",
				              (int)name.len, name.p);
		used += (size_t)nl + 1;
		char *v = t->hstore + used;
		long vl = form_unescape(value.p, value.len, 0, v, sizeof(t->hstore) - used);
		if (vl < 0)
			return refuse(err, errlen, EBADMSG,
			              "URI header %s: bad %%-escape in its value", n);
		for (long i = 0; i < vl; i++)
			if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
				return refuse(err, errlen, EBADMSG,
				              "URI header %s: a control character (CR, LF, NUL...) "
				              "in its value",
				              n);
		used += (size_t)vl + 1;
		t->headers[t->nheaders++] = (struct dest_kv){n, v};
	}
	return 0;
}

int target_parse(const char *s, size_t len, struct target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (err && errlen)
		err[0] = '\0';
	if (len > TARGET_MAX)
		return refuse(err, errlen, E2BIG,
		              "ReferTransferTarget is %zu characters (at most %d)", len,
		              TARGET_MAX);
	struct str in = str_trim((struct str){s, len});
	if (in.len == 0)
		return refuse(err, errlen, EBADMSG, "ReferTransferTarget is empty");
	if (memchr(in.p, '\0', in.len))
		return refuse(err, errlen, EBADMSG, "ReferTransferTarget holds a NUL");
	/* name-addr: [display-name] <URI>[;header-params] */
	const char *lt = memchr(in.p, '<', in.len);
	if (lt) {
		const char *gt = memchr(lt, '>', (size_t)(in.p + in.len - lt));
		if (!gt)
			return refuse(err, errlen, EBADMSG, "'<' without a closing '>'");
		in = (struct str){lt + 1, (size_t)(gt - lt - 1)};
	} else if (memchr(in.p, '>', in.len)) {
		return refuse(err, errlen, EBADMSG, "'>' without an opening '<'");
	}
	const char *q = memchr(in.p, '?', in.len);
	struct str uri = {in.p, q ? (size_t)(q - in.p) : in.len};
	struct str headers = {q ? q + 1 : in.p + in.len, q ? in.len - uri.len - 1 : 0};
	for (size_t i = 0; i < uri.len; i++)
		if ((unsigned char)uri.p[i] <= 0x20 || uri.p[i] == 0x7f || uri.p[i] == '"' ||
		    uri.p[i] == '<' || uri.p[i] == '>')
			return refuse(err, errlen, EBADMSG,
			              "the URI holds a space, quote or control character");
	if (copy(t->uri, sizeof(t->uri), uri))
		return E2BIG;

	struct str rest;
	if (str_caseprefix(uri, "sip:")) {
		t->scheme = TARGET_SIP;
		rest = (struct str){uri.p + 4, uri.len - 4};
	} else if (str_caseprefix(uri, "sips:")) {
		t->scheme = TARGET_SIPS;
		rest = (struct str){uri.p + 5, uri.len - 5};
	} else if (str_caseprefix(uri, "tel:")) {
		t->scheme = TARGET_TEL;
		rest = (struct str){uri.p + 4, uri.len - 4};
	} else {
		return refuse(err, errlen, EBADMSG, "\"%.*s\" is not a sip:, sips: or tel: URI",
		              (int)(uri.len > 64 ? 64 : uri.len), uri.p);
	}

	char raw[TARGET_MAX + 1];
	if (t->scheme == TARGET_TEL) {
		const char *semi = memchr(rest.p, ';', rest.len);
		struct str num = {rest.p, semi ? (size_t)(semi - rest.p) : rest.len};
		size_t o = 0;
		for (size_t i = 0; i < num.len; i++) /* visual separators are not part of it */
			if (!strchr("-.() ", num.p[i]))
				t->user[o++] = num.p[i];
		t->user[o] = '\0';
		if (o == 0)
			return refuse(err, errlen, EBADMSG, "a tel: URI without a number");
		t->phone = 1;
	} else {
		const char *at = NULL;
		for (size_t i = 0; i < rest.len; i++)
			if (rest.p[i] == '@')
				at = rest.p + i;
		struct str user = {rest.p, at ? (size_t)(at - rest.p) : 0};
		struct str hostpart =
		    at ? (struct str){at + 1, (size_t)(rest.p + rest.len - at - 1)} : rest;
		/* user params (;isub=) and a password (:secret) are not part of the name */
		for (size_t i = 0; i < user.len; i++)
			if (user.p[i] == ';' || user.p[i] == ':') {
				user.len = i;
				break;
			}
		copy(raw, sizeof(raw), user);
		long n = form_unescape(raw, user.len, 0, t->user, sizeof(t->user));
		if (n < 0)
			return refuse(err, errlen, EBADMSG, "bad %%-escape in the user part");
		if (memchr(t->user, '\0', (size_t)n))
			return refuse(err, errlen, EBADMSG, "an escaped NUL in the user part");
		const char *semi = memchr(hostpart.p, ';', hostpart.len);
		struct str host = {hostpart.p, semi ? (size_t)(semi - hostpart.p) : hostpart.len};
		if (host.len == 0)
			return refuse(err, errlen, EBADMSG, "a SIP URI without a host");
		copy(t->host, sizeof(t->host), host);
		for (const char *p = semi; p && p < hostpart.p + hostpart.len;) {
			const char *next =
			    memchr(p + 1, ';', (size_t)(hostpart.p + hostpart.len - p - 1));
			struct str param = {
			    p + 1, (size_t)((next ? next : hostpart.p + hostpart.len) - p - 1)};
			if (param.len == 10 && strncasecmp(param.p, "user=phone", 10) == 0)
				t->phone = 1;
			p = next;
		}
		if (phone_like(t->user))
			t->phone = 1;
	}
	return parse_headers(headers, t, err, errlen);
}

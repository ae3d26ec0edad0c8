/* dest: a destination's validation (each refusal names the field, the rule and a fix), its
 * variables, and copying it; rendering is in dest_render.c. */
#include "webhooks/dest.h"
#include "webhooks/dest_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "twiml/twiml.h"
#include "util/mem.h"
#include "util/ids.h"

/* The variables of docs/interface.md. Bounds: From/To are E.164 (at most 16
 * characters) on PSTN calls and a SIP URI on SIP calls, capped here at 64 (192
 * encoded); a CallSid/AccountSid is 34 characters of [A-Za-z0-9]; a Refer-To
 * is at most 256 characters, and a header value inside it is already in
 * escaped form there, so re-escaped by the same rules it is no longer than
 * 256. A value past its bound makes dest_render answer E2BIG. */
const struct dest_var dest_vars_table[] = {
    {"caller_id", 64, 3 * 64, "the caller's number (From)"},
    {"from", 64, 3 * 64, "From of the webhook"},
    {"to", 64, 3 * 64, "To of the webhook"},
    {"call_sid", 34, 34, "CallSid (CA + 32 hex digits)"},
    {"account_sid", 34, 34, "AccountSid (AC + 32 hex digits)"},
    {"refer.", 256, 256, "a header inside the Refer-To URI, e.g. $refer.User-to-User"},
    {NULL, 0, 0, NULL},
};

/* Header names allowed on <Sip> without the X- prefix (twilio-facts §8). */
static const char *const std_headers[] = {
    "User-to-User", "Remote-Party-ID", "P-Preferred-Identity", "P-Called-Party-ID", NULL,
};

/* SIP URI parameters understood by <Sip>, with their allowed values. */
static const struct {
	const char *name;
	const char *values[10];
} sip_params[] = {
    {"transport", {"udp", "tcp", "tls", NULL}},
    {"region", {"us1", "us2", "ie1", "de1", "sg1", "jp1", "br1", "au1", NULL}},
    {"user", {"phone", "ip", NULL}}, /* RFC 3261 19.1.1: gateways may need user=phone */
    {NULL, {NULL}},
};

static int fail(struct dest_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct dest_error *err, const char *field, const char *fmt, ...)
{
	if (err) {
		err->hint[0] = '\0';
		snprintf(err->field, sizeof(err->field), "%s", field);
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return EINVAL;
}

/* A value quoted for a message: control and non-ASCII bytes as \xNN, long
 * values cut, so a refusal never carries a raw control character. */
static const char *q(char *out, size_t size, const char *s, size_t len)
{
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < len && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i >= 60) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
#define Q(buf, s)     q(buf, sizeof(buf), (s), strlen(s))
#define QN(buf, s, n) q(buf, sizeof(buf), (s), (n))

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}
static bool is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3261 §25.1 hvalue characters kept as they are: unreserved (alphanum
 * and mark) and hnv-unreserved, but not '+': Twilio's own <Sip> example reads a
 * '+' in a header value as a space (twilio-facts §9), as a form decoder would.
 * Everything else is written %XX. */
static bool hv_plain(int c)
{
	return dest_is_alnum(c) || (c && strchr("-_.!~*'()[]/?:$", c));
}

/* Header names: SIP token characters that are also legal unescaped in a
 * URI header name (so not '%' nor '`'). */
static bool hname_char(int c)
{
	return dest_is_alnum(c) || (c && strchr("-._!*+~'", c));
}

bool dest_is_sip(const struct dest *d)
{
	return d->route &&
	       (strncmp(d->route, "sip:", 4) == 0 || strncmp(d->route, "sips:", 5) == 0);
}

static int check_name(const char *name, struct dest_error *err)
{
	char b[80];
	if (!name || !*name)
		return fail(err, "name",
		            "name is empty: give a slug such as billing or front-desk");
	size_t len = strlen(name);
	if (len > DEST_NAME_MAX)
		return fail(err, "name",
		            "name %s is %zu characters, over the limit of %d: shorten it",
		            Q(b, name), len, DEST_NAME_MAX);
	if (!((name[0] >= 'a' && name[0] <= 'z') || is_digit(name[0])))
		return fail(err, "name",
		            "name %s must start with a lower-case letter or digit: e.g. billing",
		            Q(b, name));
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-'))
			return fail(
			    err, "name",
			    "name %s is not a slug: use only a-z, 0-9 and '-', e.g. front-desk",
			    Q(b, name));
	}
	return 0;
}

static int check_description(const char *s, struct dest_error *err)
{
	if (!s)
		return 0;
	size_t len = strlen(s);
	if (len > DEST_DESCRIPTION_MAX)
		return fail(err, "description",
		            "description is %zu characters, over the limit of %d: shorten it", len,
		            DEST_DESCRIPTION_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(err, "description",
			            "description holds a control character (byte 0x%02x at %zu): "
			            "write it on one line",
			            (unsigned char)s[i], i);
	return 0;
}

/* The SIP URI subset <Sip> takes: sip[s]:[user@]host[:port][;param=value]... */
static int check_sip(const char *route, struct dest_error *err)
{
	char b[80], b2[80];
	const char *p = route + (route[3] == ':' ? 4 : 5);
	const char *at = strchr(p, '@');
	const char *q_ = strchr(route, '?');
	if (q_)
		return fail(err, "route",
		            "route %s carries headers after '?': give each with --header 'X-Name: "
		            "VALUE' instead",
		            Q(b, route));
	if (at) {
		if (at == p)
			return fail(err, "route",
			            "route %s has an empty user part before '@': write e.g. "
			            "sip:desk@pbx.example.com",
			            Q(b, route));
		for (const char *u = p; u < at; u++) {
			if (*u == '%') {
				if (!is_hex(u[1]) || !is_hex(u[2]))
					return fail(
					    err, "route",
					    "route %s has a '%%' not followed by two hex digits: "
					    "write %%25 for a percent sign",
					    Q(b, route));
				u += 2;
				continue;
			}
			if (!dest_is_alnum(*u) && !strchr("-_.!~*'()+$,&=", *u))
				return fail(err, "route",
				            "route %s has %s in its user part: use letters, digits "
				            "and - _ . + (percent-encode anything else)",
				            Q(b, route), QN(b2, u, 1));
		}
		p = at + 1;
	}
	/* host */
	const char *h = p;
	if (*p == '[') {
		p++;
		while (is_hex(*p) || *p == ':' || *p == '.')
			p++;
		if (*p != ']' || p == h + 1)
			return fail(err, "route",
			            "route %s has a malformed IPv6 host: write it as [2001:db8::1]",
			            Q(b, route));
		p++;
	} else {
		bool label_start = true;
		while (*p && *p != ':' && *p != ';') {
			if (*p == '.') {
				if (label_start)
					return fail(
					    err, "route",
					    "route %s has an empty label in its host: write e.g. "
					    "pbx.example.com",
					    Q(b, route));
				label_start = true;
			} else if (dest_is_alnum(*p) || (*p == '-' && !label_start)) {
				label_start = false;
			} else {
				return fail(err, "route",
				            "route %s has %s in its host: a host is a name like "
				            "pbx.example.com or an IP address",
				            Q(b, route), QN(b2, p, 1));
			}
			p++;
		}
		if (p == h)
			return fail(err, "route",
			            "route %s has no host: write e.g. sip:desk@pbx.example.com",
			            Q(b, route));
		if (p[-1] == '-')
			return fail(err, "route",
			            "route %s has a host ending in '-': check the spelling",
			            Q(b, route));
	}
	if (*p == ':') {
		const char *ps = ++p;
		long port = 0;
		while (is_digit(*p) && p - ps < 6)
			port = port * 10 + (*p++ - '0');
		if (p == ps || port < 1 || port > 65535 || (*p && *p != ';'))
			return fail(err, "route",
			            "route %s has a bad port: write a number 1-65535, e.g. :5061",
			            Q(b, route));
	}
	/* parameters */
	while (*p == ';') {
		const char *ns = ++p;
		while (*p && *p != '=' && *p != ';')
			p++;
		size_t nlen = (size_t)(p - ns);
		int k = -1;
		for (int i = 0; sip_params[i].name; i++)
			if (strlen(sip_params[i].name) == nlen &&
			    strncasecmp(sip_params[i].name, ns, nlen) == 0)
				k = i;
		if (k < 0)
			return fail(err, "route",
			            "route %s has the parameter %s, which <Sip> does not take: use "
			            ";transport=udp|tcp|tls, ;region=us1|... or ;user=phone|ip",
			            Q(b, route), QN(b2, ns, nlen));
		if (*p != '=')
			return fail(err, "route",
			            "route %s: parameter %s needs a value, e.g. %s=%s", Q(b, route),
			            sip_params[k].name, sip_params[k].name,
			            sip_params[k].values[0]);
		const char *vs = ++p;
		while (*p && *p != ';')
			p++;
		size_t vlen = (size_t)(p - vs);
		bool ok = false;
		for (int i = 0; sip_params[k].values[i]; i++)
			if (strlen(sip_params[k].values[i]) == vlen &&
			    strncasecmp(sip_params[k].values[i], vs, vlen) == 0)
				ok = true;
		if (!ok) {
			char list[80] = "";
			for (int i = 0; sip_params[k].values[i]; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				         i ? "|" : "", sip_params[k].values[i]);
			return fail(err, "route", "route %s: %s=%s is not allowed: use %s=%s",
			            Q(b, route), sip_params[k].name, QN(b2, vs, vlen),
			            sip_params[k].name, list);
		}
	}
	if (*p)
		return fail(err, "route", "route %s has %s after the host: check the spelling",
		            Q(b, route), QN(b2, p, 1));
	return 0;
}

static int check_route(const char *route, struct dest_error *err)
{
	char b[80];
	if (!route || !*route)
		return fail(err, "route",
		            "route is empty: give +E164 (e.g. +14155550100), tel:+E164 or a "
		            "sip:/sips: URI");
	size_t len = strlen(route);
	if (len > DEST_ROUTE_MAX)
		return fail(err, "route",
		            "route is %zu characters, over Twilio's <Sip> limit of %d: shorten it",
		            len, DEST_ROUTE_MAX);
	if (strncmp(route, "sip:", 4) == 0 || strncmp(route, "sips:", 5) == 0)
		return check_sip(route, err);
	if (strncasecmp(route, "sip:", 4) == 0 || strncasecmp(route, "sips:", 5) == 0)
		return fail(err, "route",
		            "route %s: write the scheme in lower case (sip: or sips:)",
		            Q(b, route));
	const char *num = route;
	if (strncmp(route, "tel:", 4) == 0)
		num = route + 4;
	if (!id_e164(num)) {
		/* "+1 415-555-0100", "+1 (415) 555.0100": the number is there, written
		 * for people; say its E.164 form */
		char e164[24];
		size_t n = 0;
		bool fixable = num[0] == '+';
		for (const char *p = num + 1; fixable && *p; p++) {
			if (is_digit(*p) && n < sizeof(e164) - 2)
				e164[1 + n++] = *p;
			else if (!strchr(" -.()", *p))
				fixable = false;
		}
		e164[0] = '+';
		e164[1 + n] = '\0';
		if (fixable && id_e164(e164)) {
			fail(err, "route",
			     "route %s is not E.164: write it without spaces, dashes or brackets",
			     Q(b, route));
			if (err)
				snprintf(err->hint, sizeof(err->hint), "did you mean %s%s?",
				         num == route ? "" : "tel:", e164);
			return EINVAL;
		}
		return fail(
		    err, "route",
		    "route %s is not E.164: write + and the country code, e.g. +14155550100",
		    Q(b, route));
	}
	return 0;
}

/* Failover routes: SIP routes by the same rules as route, after a SIP route, each once. */
static int check_failover(const struct dest *d, struct dest_error *err)
{
	char b[80];
	if (d->nfailover == 0)
		return 0;
	if (d->nfailover > DEST_MAX_FAILOVER)
		return fail(err, "failover", "%zu failover routes, over the limit of %d: drop some",
		            d->nfailover, DEST_MAX_FAILOVER);
	if (!dest_is_sip(d))
		return fail(err, "failover",
		            "failover routes need a SIP route: %s dials a number, and only a <Sip> "
		            "tries several URIs; use a sip: route or drop the failover routes",
		            d->route);
	for (size_t i = 0; i < d->nfailover; i++) {
		const char *f = d->failover[i] ? d->failover[i] : "";
		struct dest_error e;
		if (check_route(f, &e))
			return fail(err, "failover", "failover %zu: %s", i + 1, e.msg);
		if (strncmp(f, "sip:", 4) != 0 && strncmp(f, "sips:", 5) != 0)
			return fail(
			    err, "failover",
			    "failover %zu: %s is a number: a failover route is a sip: or sips: "
			    "URI (a <Sip> tries only SIP URIs)",
			    i + 1, Q(b, f));
		if (strcasecmp(f, d->route) == 0)
			return fail(err, "failover",
			            "failover %zu: %s is the route itself: give another PBX", i + 1,
			            Q(b, f));
		for (size_t k = 0; k < i; k++)
			if (d->failover[k] && strcasecmp(f, d->failover[k]) == 0)
				return fail(err, "failover",
				            "failover %zu: %s is given twice: keep one", i + 1,
				            Q(b, f));
	}
	return 0;
}

static int check_caller_id(const struct dest *d, struct dest_error *err)
{
	char b[80];
	const char *s = d->caller_id;
	if (!s)
		return 0;
	size_t len = strlen(s);
	if (len == 0)
		return fail(err, "caller_id",
		            "caller id is empty: leave it out to keep the caller's own number");
	if (len > DEST_CALLER_ID_MAX)
		return fail(err, "caller_id", "caller id is %zu characters, over the limit of %d",
		            len, DEST_CALLER_ID_MAX);
	if (!dest_is_sip(d)) {
		if (!id_e164(s))
			return fail(
			    err, "caller_id",
			    "caller id %s is not E.164: a number route needs a phone number "
			    "with + and the country code, e.g. +14155550100",
			    Q(b, s));
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		if (!dest_is_alnum(s[i]) && !strchr("+-_.", s[i]))
			return fail(
			    err, "caller_id",
			    "caller id %s has a character <Sip> refuses: use letters, digits "
			    "and + - _ . only",
			    Q(b, s));
	return 0;
}

const struct dest_var *dest_var_find(const char *name, size_t len)
{
	for (const struct dest_var *v = dest_vars_table; v->name; v++) {
		size_t n = strlen(v->name);
		if (v->name[n - 1] == '.') {
			if (len > n && strncmp(name, v->name, n) == 0)
				return v;
		} else if (n == len && strncmp(name, v->name, n) == 0) {
			return v;
		}
	}
	return NULL;
}

/* The length of a variable name after '$' (refer.<token> or [a-z_]+). */
size_t dest_var_len(const char *p)
{
	size_t n = 0;
	if (strncmp(p, "refer.", 6) == 0) {
		n = 6;
		while (hname_char((unsigned char)p[n]))
			n++;
		return n;
	}
	while ((p[n] >= 'a' && p[n] <= 'z') || p[n] == '_')
		n++;
	return n;
}

/* Checks a template and adds its longest encoded length to *enc. */
static int check_template(const char *hname, const char *v, size_t *enc, struct dest_error *err)
{
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\r' || c == '\n' || (c < 0x20 && c != '\t') || c == 0x7f)
			return fail(
			    err, "header",
			    "header %s: the value holds a control character (0x%02x): a header "
			    "value is one line of text",
			    hname, c);
		if (c != '$') {
			*enc += hv_plain(c) ? 1 : 3;
			continue;
		}
		if (p[1] == '$') {
			*enc += 1;
			p++;
			continue;
		}
		size_t n = dest_var_len(p + 1);
		const struct dest_var *var = n ? dest_var_find(p + 1, n) : NULL;
		if (!var) {
			char shown[80];
			if (n)
				snprintf(shown, sizeof(shown), "$%.*s", (int)n, p + 1);
			else
				snprintf(shown, sizeof(shown), "a lone $");
			return fail(
			    err, "header",
			    "header %s: unknown variable %s: use $caller_id, $from, $to, "
			    "$call_sid, $account_sid or $refer.<Header-Name> (write $$ for a $)",
			    hname, shown);
		}
		*enc += var->enc_max;
		p += n;
	}
	return 0;
}

static int check_headers(const struct dest *d, struct dest_error *err)
{
	char b[80];
	if (d->nheaders == 0)
		return 0;
	if (!dest_is_sip(d))
		return fail(err, "header",
		            "headers need a SIP route: %s dials a number, which carries no SIP "
		            "headers; use a sip: URI or drop the headers",
		            d->route);
	if (d->nheaders > DEST_MAX_HEADERS)
		return fail(err, "header", "%zu headers, over the limit of %d: drop some",
		            d->nheaders, DEST_MAX_HEADERS);
	size_t part = 0;
	for (size_t i = 0; i < d->nheaders; i++) {
		const char *name = d->headers[i].name ? d->headers[i].name : "";
		const char *value = d->headers[i].value ? d->headers[i].value : "";
		size_t nlen = strlen(name);
		if (nlen == 0 || strcasecmp(name, "X-") == 0)
			return fail(err, "header",
			            "a header has an empty name: write 'X-Name: VALUE', e.g. "
			            "'X-Account: 42'");
		if (nlen > DEST_HEADER_NAME_MAX)
			return fail(err, "header",
			            "header name %s is over the limit of %d characters", Q(b, name),
			            DEST_HEADER_NAME_MAX);
		for (size_t k = 0; k < nlen; k++)
			if (!hname_char((unsigned char)name[k]))
				return fail(
				    err, "header",
				    "header name %s is not a SIP token: use letters, digits and "
				    "'-', e.g. X-Account-Id",
				    Q(b, name));
		bool std = false;
		for (int k = 0; std_headers[k]; k++)
			if (strcasecmp(name, std_headers[k]) == 0)
				std = true;
		if (!std) {
			if (strncasecmp(name, "X-", 2) != 0)
				return fail(
				    err, "header",
				    "header name %s: custom headers start with X-, e.g. X-%s (or "
				    "use User-to-User, Remote-Party-ID, P-Preferred-Identity, "
				    "P-Called-Party-ID)",
				    Q(b, name), name);
			if (strncasecmp(name, "X-Twilio", 8) == 0)
				return fail(
				    err, "header",
				    "header name %s: X-Twilio headers are Twilio's own: choose "
				    "another name",
				    Q(b, name));
		}
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(name, d->headers[k].name) == 0)
				return fail(err, "header",
				            "header %s is given twice: keep one (names are "
				            "case-insensitive)",
				            name);
		if (strlen(value) > DEST_HEADER_VALUE_MAX)
			return fail(err, "header",
			            "header %s: the value is over the limit of %d characters", name,
			            DEST_HEADER_VALUE_MAX);
		size_t enc = 0;
		int rc = check_template(name, value, &enc, err);
		if (rc)
			return rc;
		part += (i ? 1 : 0) + nlen + 1 + enc;
	}
	if (part > DEST_HEADERS_PART_MAX)
		return fail(err, "header",
		            "the headers could render to %zu characters (each variable counted at "
		            "its longest, percent-encoded), over Twilio's limit of %d: drop a "
		            "header or a variable",
		            part, DEST_HEADERS_PART_MAX);
	return 0;
}

static int check_timeout(const struct dest *d, struct dest_error *err)
{
	char b[32];
	if (d->timeout != 0 && (d->timeout < DEST_TIMEOUT_MIN || d->timeout > DEST_TIMEOUT_MAX)) {
		snprintf(b, sizeof(b), "%d", d->timeout);
		return fail(err, "timeout",
		            "timeout %s is out of range: <Dial> takes %d-%d seconds (default %d)",
		            b, DEST_TIMEOUT_MIN, DEST_TIMEOUT_MAX, DEST_DEFAULT_TIMEOUT);
	}
	return 0;
}

static int check_hours_of(const struct dest *d, struct dest_error *err)
{
	char msg[sizeof(err->msg)];
	if (hours_check(&d->hours, d->name, msg, sizeof(msg)))
		return fail(err, "hours", "%s", msg);
	return 0;
}

static const struct dest *by_name_ci(const struct dest *d, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcasecmp(d[i].name, name) == 0)
			return &d[i];
	return NULL;
}

/* Each --otherwise names a destination of the set, and following them never comes
 * back to where it started. */
int dest_validate_otherwise(const struct dest *d, size_t n, struct dest_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!d[i].hours.otherwise)
			continue;
		const struct dest *o = by_name_ci(d, n, d[i].hours.otherwise);
		if (!o)
			return fail(err, "hours",
			            "%s: --otherwise %s names no destination of the set: add it "
			            "first, or name another",
			            d[i].name, d[i].hours.otherwise);
		/* a chain longer than the set has come round: a cycle */
		char path[256];
		int pl = snprintf(path, sizeof(path), "%s", d[i].name);
		const struct dest *at = &d[i];
		for (size_t hop = 0; at && at->hours.otherwise; hop++) {
			at = by_name_ci(d, n, at->hours.otherwise);
			if (at && pl > 0 && (size_t)pl < sizeof(path))
				pl += snprintf(path + pl, sizeof(path) - (size_t)pl, " -> %s",
				               at->name);
			if (at == &d[i] || hop > n)
				return fail(err, "hours",
				            "%s: --otherwise makes a cycle (%s): one of them must "
				            "answer without opening hours",
				            d[i].name, path);
		}
	}
	return 0;
}

static int check_name_of(const struct dest *d, struct dest_error *err)
{
	return check_name(d->name, err);
}

static int check_description_of(const struct dest *d, struct dest_error *err)
{
	return check_description(d->description, err);
}

static int check_route_of(const struct dest *d, struct dest_error *err)
{
	return check_route(d->route, err);
}

/* The rules, one row per field, in the order a refusal reports them: dest_validate stops at
 * the first that fails, dest_validate_all runs them all. A new field is a new row. */
static int (*const dest_checks[])(const struct dest *, struct dest_error *) = {
    check_name_of, check_description_of, check_route_of, check_caller_id,
    check_headers, check_failover,       check_timeout,  check_hours_of,
};
#define NCHECKS (sizeof(dest_checks) / sizeof(dest_checks[0]))
_Static_assert(NCHECKS <= DEST_FIELDS_MAX, "DEST_FIELDS_MAX holds one error per rule");

int dest_validate(const struct dest *d, struct dest_error *err)
{
	int rc;
	for (size_t i = 0; i < NCHECKS; i++)
		if ((rc = dest_checks[i](d, err)))
			return rc;
	return 0;
}

int dest_validate_all(const struct dest *d, struct dest_errors *errs)
{
	errs->n = 0;
	for (size_t i = 0; i < NCHECKS; i++)
		if (dest_checks[i](d, &errs->v[errs->n]))
			errs->n++;
	return errs->n ? EINVAL : 0;
}

int dest_validate_set(const struct dest *d, size_t n, struct dest_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct dest_error e;
		if (dest_validate(&d[i], &e)) {
			if (err) {
				snprintf(err->field, sizeof(err->field), "%s", e.field);
				if (strcmp(e.field, "name") == 0) /* the message quotes the name */
					snprintf(err->msg, sizeof(err->msg), "%.440s", e.msg);
				else
					snprintf(err->msg, sizeof(err->msg), "%.64s: %.440s",
					         d[i].name, e.msg);
				memcpy(err->hint, e.hint, sizeof(err->hint));
			}
			return EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(d[i].name, d[k].name) == 0)
				return fail(err, "name",
				            "%s: the name is used twice: names are unique",
				            d[i].name);
	}
	return dest_validate_otherwise(d, n, err);
}

/* --- memory --- */

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct dest *dest_dup(const struct dest *d)
{
	struct dest *c = xcalloc(1, sizeof(*c));
	c->name = dup_or_null(d->name);
	c->description = dup_or_null(d->description);
	c->route = dup_or_null(d->route);
	c->caller_id = dup_or_null(d->caller_id);
	c->timeout = d->timeout;
	if (d->nheaders) {
		c->headers = xcalloc(d->nheaders, sizeof(*c->headers));
		for (size_t i = 0; i < d->nheaders; i++) {
			c->headers[i].name = dup_or_null(d->headers[i].name);
			c->headers[i].value = dup_or_null(d->headers[i].value);
		}
	}
	c->nheaders = d->nheaders;
	if (d->nfailover) {
		c->failover = xcalloc(d->nfailover, sizeof(*c->failover));
		for (size_t i = 0; i < d->nfailover; i++)
			c->failover[i] = dup_or_null(d->failover[i]);
	}
	c->nfailover = d->nfailover;
	c->hours = d->hours;
	c->hours.tz = dup_or_null(d->hours.tz);
	c->hours.otherwise = dup_or_null(d->hours.otherwise);
	return c;
}

void dest_clear(struct dest *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->description);
	free(d->route);
	free(d->caller_id);
	for (size_t i = 0; i < d->nheaders; i++) {
		free(d->headers[i].name);
		free(d->headers[i].value);
	}
	free(d->headers);
	for (size_t i = 0; i < d->nfailover; i++)
		free(d->failover[i]);
	free(d->failover);
	free(d->hours.tz);
	free(d->hours.otherwise);
	memset(d, 0, sizeof(*d));
}

/* dest: destination validation (each refusal names the field, the rule and a fix) and rendering. */
#include "webhooks/dest.h"

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
    {NULL, {NULL}},
};

static int fail(struct dest_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct dest_error *err, const char *field, const char *fmt, ...)
{
	if (err) {
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

static bool is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}
static bool is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3261 §25.1 hvalue characters kept as they are: unreserved (alphanum
 * and mark) and hnv-unreserved. Everything else is written %XX. */
static bool hv_plain(int c)
{
	return is_alnum(c) || (c && strchr("-_.!~*'()[]/?:+$", c));
}

/* Header names: SIP token characters that are also legal unescaped in a
 * URI header name (so not '%' nor '`'). */
static bool hname_char(int c)
{
	return is_alnum(c) || (c && strchr("-._!*+~'", c));
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
			if (!is_alnum(*u) && !strchr("-_.!~*'()+$,&=", *u))
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
			} else if (is_alnum(*p) || (*p == '-' && !label_start)) {
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
			            ";transport=udp|tcp|tls or ;region=us1|...",
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
	if (!id_e164(num))
		return fail(
		    err, "route",
		    "route %s is not E.164: write + and the country code, e.g. +14155550100",
		    Q(b, route));
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
		if (!is_alnum(s[i]) && !strchr("+-_.", s[i]))
			return fail(
			    err, "caller_id",
			    "caller id %s has a character <Sip> refuses: use letters, digits "
			    "and + - _ . only",
			    Q(b, s));
	return 0;
}

static const struct dest_var *var_find(const char *name, size_t len)
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
static size_t var_len(const char *p)
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
		size_t n = var_len(p + 1);
		const struct dest_var *var = n ? var_find(p + 1, n) : NULL;
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

int dest_validate(const struct dest *d, struct dest_error *err)
{
	char b[32];
	int rc;
	if ((rc = check_name(d->name, err)) || (rc = check_description(d->description, err)) ||
	    (rc = check_route(d->route, err)) || (rc = check_caller_id(d, err)) ||
	    (rc = check_headers(d, err)))
		return rc;
	if (d->timeout != 0 && (d->timeout < DEST_TIMEOUT_MIN || d->timeout > DEST_TIMEOUT_MAX)) {
		snprintf(b, sizeof(b), "%d", d->timeout);
		return fail(err, "timeout",
		            "timeout %s is out of range: <Dial> takes %d-%d seconds (default %d)",
		            b, DEST_TIMEOUT_MIN, DEST_TIMEOUT_MAX, DEST_DEFAULT_TIMEOUT);
	}
	return 0;
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
			}
			return EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(d[i].name, d[k].name) == 0)
				return fail(err, "name",
				            "%s: the name is used twice: names are unique",
				            d[i].name);
	}
	return 0;
}

/* --- rendering --- */

static const char hexd[] = "0123456789ABCDEF";

/* hv_plain without strchr: the byte test of the request path. */
static bool hv_keep(unsigned char c)
{
	if (is_alnum(c))
		return true;
	switch (c) {
	case '-':
	case '_':
	case '.':
	case '!':
	case '~':
	case '*':
	case '\'':
	case '(':
	case ')':
	case '[':
	case ']':
	case '/':
	case '?':
	case ':':
	case '+':
	case '$':
		return true;
	default:
		return false;
	}
}

/* The percent-encoded length of s[0..n). */
static size_t enc_len(const char *s, size_t n)
{
	size_t e = n;
	for (size_t i = 0; i < n; i++)
		if (!hv_keep((unsigned char)s[i]))
			e += 2;
	return e;
}

/* Writes s[0..n) percent-encoded at w; returns the end. */
static char *enc_write(char *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (hv_keep(c)) {
			*w++ = (char)c;
		} else {
			*w++ = '%';
			*w++ = hexd[c >> 4];
			*w++ = hexd[c & 15];
		}
	}
	return w;
}

/* Appends s percent-encoded; E2BIG when that is over max bytes (or out's cap). */
static int add_encoded(struct buf *out, const char *s, size_t max)
{
	size_t n = strlen(s), e = enc_len(s, n);
	if (e > max)
		return E2BIG;
	char *w = buf_extend(out, e);
	if (!w)
		return E2BIG;
	enc_write(w, s, n);
	return 0;
}

static const char *var_value(const struct dest_vars *v, const char *name, size_t len)
{
	if (!v)
		return "";
#define VAL(s) ((s) ? (s) : "")
	if (len == 9 && strncmp(name, "caller_id", 9) == 0)
		return VAL(v->from);
	if (len == 4 && strncmp(name, "from", 4) == 0)
		return VAL(v->from);
	if (len == 2 && strncmp(name, "to", 2) == 0)
		return VAL(v->to);
	if (len == 8 && strncmp(name, "call_sid", 8) == 0)
		return VAL(v->call_sid);
	if (len == 11 && strncmp(name, "account_sid", 11) == 0)
		return VAL(v->account_sid);
	if (len > 6 && strncmp(name, "refer.", 6) == 0) {
		for (size_t i = 0; i < v->nrefer && i < DEST_REFER_MAX; i++)
			if (v->refer[i].name && strlen(v->refer[i].name) == len - 6 &&
			    strncasecmp(v->refer[i].name, name + 6, len - 6) == 0)
				return VAL(v->refer[i].value);
	}
	return "";
#undef VAL
}

/* One variable of a compiled answer: which variable, and its name after '$'. */
struct tmpl_slot {
	const struct dest_var *var;
	char *name;
	size_t len;
};

/* A destination's answer compiled once: the literal bytes of the document
 * (from twiml_render, already escaped) with the places the variables go. */
struct dest_tmpl {
	char *lit; /* the document without its variables */
	size_t lit_len;
	size_t *cut; /* where slot i goes in lit (ascending) */
	struct tmpl_slot *slots;
	size_t nslots;
	bool headers;        /* the URI has a header part */
	size_t part_fixed;   /* header part length without the variables' values */
	size_t target_fixed; /* dial target length without the variables' values */
};

/* While compiling: each variable is written as a unique token instead of its
 * value, and noted as a slot. The token's characters (letters, digits, '_')
 * pass percent-encoding and XML escaping unchanged. */
struct compile {
	char tag[16];
	struct tmpl_slot *slots;
	size_t nslots, tokens_len;
};

static int add_token(struct buf *out, struct compile *c, const struct dest_var *var,
                     const char *name, size_t len)
{
	char tok[48];
	int n = snprintf(tok, sizeof(tok), "%s%zu_", c->tag, c->nslots);
	c->slots = xreallocarray(c->slots, c->nslots + 1, sizeof(*c->slots));
	c->slots[c->nslots++] = (struct tmpl_slot){var, xstrndup(name, len), len};
	c->tokens_len += (size_t)n;
	return buf_add(out, tok, (size_t)n);
}

/* Appends one header value: literal text and variables, percent-encoded
 * (or, when compiling, tokens for the variables). */
static int add_value(struct buf *out, const char *tmpl, const struct dest_vars *v,
                     struct compile *c)
{
	for (const char *p = tmpl; *p; p++) {
		int rc;
		if (*p != '$') {
			char one[2] = {*p, 0};
			rc = add_encoded(out, one, 3);
		} else if (p[1] == '$') {
			rc = add_encoded(out, "$", 3);
			p++;
		} else {
			size_t n = var_len(p + 1);
			const struct dest_var *var = n ? var_find(p + 1, n) : NULL;
			if (!var)
				return EINVAL; /* dest_validate refuses this before it is saved */
			if (c) {
				rc = add_token(out, c, var, p + 1, n);
			} else {
				const char *val = var_value(v, p + 1, n);
				if (strlen(val) > var->raw_max)
					return E2BIG;
				rc = add_encoded(out, val, var->enc_max);
			}
			p += n;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int render_target(const struct dest *d, const struct dest_vars *v, struct buf *out,
                         struct compile *c)
{
	int rc;
	if (!dest_is_sip(d))
		return buf_adds(out, strncmp(d->route, "tel:", 4) == 0 ? d->route + 4 : d->route);
	if ((rc = buf_adds(out, d->route)))
		return rc;
	size_t start = out->len;
	for (size_t i = 0; i < d->nheaders; i++) {
		if ((rc = buf_addc(out, i ? '&' : '?')) ||
		    (rc = buf_adds(out, d->headers[i].name)) || (rc = buf_addc(out, '=')) ||
		    (rc = add_value(out, d->headers[i].value, v, c)))
			return rc;
	}
	if (c)
		return 0; /* the limit is checked when the values are known */
	if (d->nheaders && out->len - start - 1 > DEST_HEADERS_PART_MAX)
		return E2BIG;
	return 0;
}

int dest_render_target(const struct dest *d, const struct dest_vars *v, struct buf *out)
{
	return render_target(d, v, out, NULL);
}

#define TARGET_CAP (DEST_URI_MAX + 2 + DEST_HEADERS_PART_MAX)

/* The document around a rendered target: the one canonical renderer. */
static int render_doc(const struct dest *d, const char *target, struct buf *out)
{
	struct twiml_node *root = twiml_new("Response");
	struct twiml_node *dial = twiml_add(root, "Dial");
	twiml_set(dial, "answerOnBridge", "true");
	if (d->caller_id)
		twiml_set(dial, "callerId", d->caller_id);
	if (d->timeout) {
		char t[16];
		snprintf(t, sizeof(t), "%d", d->timeout);
		twiml_set(dial, "timeout", t);
	}
	struct twiml_node *noun = twiml_add(dial, dest_is_sip(d) ? "Sip" : "Number");
	twiml_add_text(noun, target);
	int rc = twiml_render(root, out);
	twiml_free(root);
	return rc;
}

int dest_render(const struct dest *d, const struct dest_vars *v, struct buf *out)
{
	struct buf target;
	buf_init(&target, TARGET_CAP);
	int rc = dest_render_target(d, v, &target);
	if (rc == 0)
		rc = render_doc(d, buf_str(&target), out);
	buf_free(&target);
	return rc;
}

/* --- the compiled answer --- */

void dest_tmpl_free(struct dest_tmpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nslots; i++)
		free(t->slots[i].name);
	free(t->slots);
	free(t->cut);
	free(t->lit);
	free(t);
}

/* Splits doc on the compile's tokens into t: each token must occur exactly
 * once, in slot order, and the tag nowhere else. */
static bool split(const char *doc, size_t len, const struct compile *c, struct dest_tmpl *t)
{
	size_t taglen = strlen(c->tag), found = 0;
	for (const char *p = doc; (p = strstr(p, c->tag)) != NULL; p += taglen)
		found++;
	if (found != c->nslots)
		return false;
	t->lit = xmalloc(len + 1);
	t->cut = xcalloc(c->nslots ? c->nslots : 1, sizeof(*t->cut));
	const char *p = doc;
	char *w = t->lit;
	for (size_t i = 0; i < c->nslots; i++) {
		char tok[48];
		int n = snprintf(tok, sizeof(tok), "%s%zu_", c->tag, i);
		const char *at = strstr(p, tok);
		if (!at || strncmp(at, c->tag, taglen) != 0 || strstr(p, c->tag) != at)
			return false; /* not the next tag: out of order */
		memcpy(w, p, (size_t)(at - p));
		w += at - p;
		t->cut[i] = (size_t)(w - t->lit);
		p = at + n;
	}
	size_t rest = strlen(p);
	memcpy(w, p, rest);
	w += rest;
	*w = '\0';
	t->lit_len = (size_t)(w - t->lit);
	return true;
}

struct dest_tmpl *dest_compile(const struct dest *d)
{
	if (!d || !d->route)
		return NULL;
	for (size_t i = 0; dest_is_sip(d) && i < d->nheaders; i++)
		if (!d->headers[i].name || !d->headers[i].value)
			return NULL; /* not a destination a store holds: dest_render decides */
	/* a tag that happens to occur in the destination's own text is retried */
	static const char *const tags[] = {"hoffVarQz", "hoffSlotJx", "zqHandoffVk", "xVarWqK9"};
	for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
		struct compile c = {.slots = NULL};
		snprintf(c.tag, sizeof(c.tag), "%s", tags[k]);
		struct buf target, doc;
		buf_init(&target, TARGET_CAP + 64 * DEST_MAX_HEADERS * DEST_HEADER_VALUE_MAX);
		buf_init(&doc, TWIML_MAX_BYTES);
		int rc = render_target(d, NULL, &target, &c);
		size_t tlen = target.len;
		if (rc == 0)
			rc = render_doc(d, buf_str(&target), &doc);
		struct dest_tmpl *t = xcalloc(1, sizeof(*t));
		bool ok = rc == 0 && split(buf_str(&doc), doc.len, &c, t);
		if (ok) {
			t->slots = c.slots;
			t->nslots = c.nslots;
			t->headers = dest_is_sip(d) && d->nheaders > 0;
			t->target_fixed = tlen - c.tokens_len;
			t->part_fixed = t->headers ? t->target_fixed - strlen(d->route) - 1 : 0;
			c.slots = NULL;
			c.nslots = 0;
		}
		for (size_t i = 0; i < c.nslots; i++)
			free(c.slots[i].name);
		free(c.slots);
		buf_free(&target);
		buf_free(&doc);
		if (ok)
			return t;
		dest_tmpl_free(t);
		if (rc)
			return NULL; /* it does not render at all: dest_render says why */
	}
	return NULL;
}

#define TMPL_CACHE 16 /* values looked up once per request, the rest twice */

int dest_tmpl_render(const struct dest_tmpl *t, const struct dest_vars *v, struct buf *out)
{
	struct {
		const char *p;
		size_t n;
	} val[TMPL_CACHE];
	size_t sum = 0;
	for (size_t i = 0; i < t->nslots; i++) {
		const struct tmpl_slot *s = &t->slots[i];
		const char *p = var_value(v, s->name, s->len);
		size_t n = strlen(p);
		if (n > s->var->raw_max)
			return E2BIG;
		size_t e = enc_len(p, n);
		if (e > s->var->enc_max)
			return E2BIG;
		sum += e;
		if (i < TMPL_CACHE) {
			val[i].p = p;
			val[i].n = n;
		}
	}
	if (t->headers && t->part_fixed + sum > DEST_HEADERS_PART_MAX)
		return E2BIG;
	if (t->target_fixed + sum > TARGET_CAP)
		return E2BIG;
	char *w = buf_extend(out, t->lit_len + sum);
	if (!w)
		return E2BIG;
	size_t at = 0;
	for (size_t i = 0; i < t->nslots; i++) {
		memcpy(w, t->lit + at, t->cut[i] - at);
		w += t->cut[i] - at;
		at = t->cut[i];
		/* the encoded value is [A-Za-z0-9%] and RFC 3261's marks: none of
		 * them is escaped in XML text, so it goes in as it is */
		if (i < TMPL_CACHE) {
			w = enc_write(w, val[i].p, val[i].n);
		} else {
			const char *p = var_value(v, t->slots[i].name, t->slots[i].len);
			w = enc_write(w, p, strlen(p));
		}
	}
	memcpy(w, t->lit + at, t->lit_len - at);
	return 0;
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
	memset(d, 0, sizeof(*d));
}

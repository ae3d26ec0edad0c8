/* validate: checks a TwiML document against the schema table and the rule table below. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "twiml/findings.h"
#include "twiml/validate.h"
#include "util/mem.h"
#include "util/str.h"
#include "util/ids.h"

/* ---- value checks, one per schema type ---- */

static size_t utf8_chars(struct str s)
{
	size_t n = 0;
	for (size_t i = 0; i < s.len; i++)
		n += ((unsigned char)s.p[i] & 0xc0) != 0x80;
	return n;
}

static bool has_space_or_ctl(struct str s)
{
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] <= 0x20 || s.p[i] == 0x7f)
			return true;
	return false;
}

static bool all_in(struct str s, const char *set)
{
	for (size_t i = 0; i < s.len; i++)
		if (!strchr(set, s.p[i]) || s.p[i] == '\0')
			return false;
	return true;
}

static bool is_url(struct str s)
{
	if (s.len == 0 || has_space_or_ctl(s))
		return false;
	/* a scheme is letters, digits, + - . before the first ':' (and before any / ? #) */
	size_t i = 0;
	while (i < s.len && (isalnum((unsigned char)s.p[i]) || strchr("+-.", s.p[i])))
		i++;
	if (i == s.len || s.p[i] != ':' || i == 0)
		return true; /* relative to the document's URL */
	struct str scheme = {s.p, i};
	if (!str_caseeq(scheme, str_c("http")) && !str_caseeq(scheme, str_c("https")))
		return false;
	return s.len > i + 3 && memcmp(s.p + i, "://", 3) == 0 && s.p[i + 3] != '/';
}

static bool is_int(struct str s, long min, long max)
{
	size_t i = 0;
	bool neg = false;
	if (i < s.len && (s.p[i] == '-' || s.p[i] == '+'))
		neg = s.p[i++] == '-';
	if (i == s.len || s.len - i > 12)
		return false;
	long long v = 0;
	for (; i < s.len; i++) {
		if (!isdigit((unsigned char)s.p[i]))
			return false;
		v = v * 10 + (s.p[i] - '0');
	}
	if (neg)
		v = -v;
	return v >= min && v <= max;
}

static bool is_enum_list(struct str s, const char *values, bool many)
{
	size_t i = 0, words = 0;
	while (i < s.len) {
		while (i < s.len && s.p[i] == ' ')
			i++;
		if (i == s.len)
			break;
		size_t b = i;
		while (i < s.len && s.p[i] != ' ')
			i++;
		if (!twiml_schema_in_list(values, s.p + b, i - b))
			return false;
		words++;
	}
	return many ? words >= 1 : words == 1 && s.p[0] != ' ' && s.p[s.len - 1] != ' ';
}

/* E.164 (+, a non-zero digit, up to 15 digits in all), or a national number
 * written with digits and - . ( ) spaces (Twilio accepts unformatted US numbers). */
static bool is_phone(struct str s)
{
	if (s.len == 0)
		return false;
	if (s.p[0] == '+') {
		if (s.len < 3 || s.len > 16 || s.p[1] == '0')
			return false;
		return all_in((struct str){s.p + 1, s.len - 1}, "0123456789");
	}
	size_t digits = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (isdigit((unsigned char)s.p[i]))
			digits++;
		else if (!strchr("-.() ", s.p[i]))
			return false;
	}
	return digits >= 3 && digits <= 15;
}

static bool is_sip_uri(struct str s)
{
	size_t skip;
	if (str_caseprefix(s, "sip:"))
		skip = 4;
	else if (str_caseprefix(s, "sips:"))
		skip = 5;
	else
		return false;
	if (has_space_or_ctl(s) || strchr("<>\"", s.p[s.len - 1]))
		return false;
	struct str rest = {s.p + skip, s.len - skip};
	size_t host_end = 0;
	while (host_end < rest.len && rest.p[host_end] != ';' && rest.p[host_end] != '?')
		host_end++;
	struct str hostpart = {rest.p, host_end};
	if (hostpart.len == 0)
		return false;
	const char *at = memchr(hostpart.p, '@', hostpart.len);
	if (at && (at == hostpart.p || at == hostpart.p + hostpart.len - 1))
		return false;
	return true;
}

/* Whether the value fits the attribute (or text) schema; why it does not in why. */
static bool value_ok(const struct twiml_attr_schema *a, struct str v, char *why, size_t wsz)
{
	bool ok = true;
	switch (a->type) {
	case TWIML_T_STRING:
		break;
	case TWIML_T_TOKEN:
		ok = v.len > 0 && !has_space_or_ctl(v);
		snprintf(why, wsz, "must be one word, without spaces");
		break;
	case TWIML_T_URL:
		ok = is_url(v);
		snprintf(why, wsz, "must be a relative or an absolute http(s) URL without spaces");
		break;
	case TWIML_T_WSURL:
		ok = (str_caseprefix(v, "wss://") || str_caseprefix(v, "ws://")) &&
		     !has_space_or_ctl(v);
		snprintf(why, wsz, "must be a ws:// or wss:// URL without spaces");
		break;
	case TWIML_T_METHOD:
		ok = str_caseeq(v, str_c("GET")) || str_caseeq(v, str_c("POST"));
		snprintf(why, wsz, "must be GET or POST");
		break;
	case TWIML_T_BOOL:
		ok = str_eqc(v, "true") || str_eqc(v, "false");
		snprintf(why, wsz, "must be true or false");
		break;
	case TWIML_T_INT:
		ok = is_int(v, a->min, a->max);
		snprintf(why, wsz, "must be an integer from %ld to %ld", a->min, a->max);
		break;
	case TWIML_T_ENUM:
	case TWIML_T_ENUMLIST:
		ok = is_enum_list(v, a->values, a->type == TWIML_T_ENUMLIST);
		if (strlen(a->values) < 120)
			snprintf(why, wsz, "must be %s: %s",
			         a->type == TWIML_T_ENUM ? "one of" : "a space-separated list of",
			         a->values);
		else
			snprintf(why, wsz, "is not one of the %s values Twilio documents", a->name);
		break;
	case TWIML_T_PHONE:
		ok = is_phone(v);
		snprintf(why, wsz,
		         "must be an E.164 number (+ and up to 15 digits, e.g. +14155550100)");
		break;
	case TWIML_T_SIPURI:
		ok = is_sip_uri(v);
		snprintf(why, wsz, "must be a sip: or sips: URI (sip:user@host;params?headers)");
		break;
	case TWIML_T_DIGITS:
		ok = all_in(v, "0123456789ABCDabcdwW#*");
		snprintf(why, wsz, "may hold only 0-9 A-D w W # *");
		break;
	case TWIML_T_SID:
		ok = id_sid_n(v.p, v.len, a->values);
		snprintf(why, wsz, "must be a %s SID (%s and 32 hex digits)", a->values, a->values);
		break;
	}
	if (a->type == TWIML_T_SIPURI && memchr(v.p, '?', v.len)) /* headers: see 21227 */
		v.len = (size_t)((const char *)memchr(v.p, '?', v.len) - v.p);
	if (ok && a->max > 0 && a->type != TWIML_T_INT && utf8_chars(v) > (size_t)a->max) {
		ok = false;
		snprintf(why, wsz, "is longer than %ld characters", a->max);
	}
	return ok;
}

/* A value shortened for a message. */
static const char *shorten(const char *v, char *tmp, size_t tsz)
{
	size_t n = strlen(v);
	if (n < tsz)
		return v;
	snprintf(tmp, tsz, "%.*s...", (int)(tsz - 4), v);
	return tmp;
}

/* ---- "did you mean" ---- */

static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];
	if (la > 64 || lb > 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost =
			    tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static const char *suggest_elem(const char *name)
{
	size_t n, best = 3;
	const char *hit = NULL;
	const struct twiml_elem_schema *all = twiml_schema_all(&n);
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(name, all[i].name);
		if (d < best) {
			best = d;
			hit = all[i].name;
		}
	}
	return strlen(name) > 2 ? hit : NULL;
}

static const char *suggest_attr(const struct twiml_elem_schema *e, const char *name)
{
	size_t best = 3;
	const char *hit = NULL;
	for (size_t i = 0; i < e->nattrs; i++) {
		size_t d =
		    strcasecmp(name, e->attrs[i].name) == 0 ? 0 : distance(name, e->attrs[i].name);
		if (d < best) {
			best = d;
			hit = e->attrs[i].name;
		}
	}
	return strlen(name) > 2 ? hit : NULL;
}

/* ---- rules that look at more than one value ---- */

static size_t count_kids(const struct twiml_node *n, const char *name)
{
	size_t c = 0;
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->kind == TWIML_ELEMENT &&
		    (!name || strcmp(n->kids[i]->name, name) == 0))
			c++;
	return c;
}

static bool rule_dial_nouns(const struct twiml_node *n, char *msg, size_t sz)
{
	size_t c = count_kids(n, NULL);
	snprintf(msg, sz, "<Dial> holds %zu nouns; Twilio rings at most %d", c,
	         TWIML_MAX_DIAL_NOUNS);
	return c > TWIML_MAX_DIAL_NOUNS;
}

static bool rule_conference_number(const struct twiml_node *n, char *msg, size_t sz)
{
	snprintf(msg, sz, "<Conference> cannot be mixed with <Number> in one <Dial>");
	return count_kids(n, "Conference") && count_kids(n, "Number");
}

static bool rule_dial_text_and_nouns(const struct twiml_node *n, char *msg, size_t sz)
{
	snprintf(msg, sz, "<Dial> holds both a number as text and nouns; use one or the other");
	return twiml_has_text(n) && count_kids(n, NULL);
}

/* The part of a SIP URI after '?': its headers. */
static struct str sip_headers(const struct twiml_node *n)
{
	struct str t = twiml_text(n);
	const char *q = memchr(t.p, '?', t.len);
	return q ? (struct str){q + 1, (size_t)(t.p + t.len - (q + 1))} : (struct str){"", 0};
}

static bool rule_sip_headers_len(const struct twiml_node *n, char *msg, size_t sz)
{
	struct str h = sip_headers(n);
	snprintf(msg, sz,
	         "the headers part of the SIP URI is %zu characters; it must be under 1024", h.len);
	return h.len > TWIML_MAX_SIP_HDRS;
}

static bool sip_token(struct str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (!isalnum((unsigned char)s.p[i]) && !strchr("-.!%*_+`'~", s.p[i]))
			return false;
	return s.len > 0;
}

/* Custom headers must be X- (not X-Twilio); a few standard ones are allowed on <Dial><Sip>. */
static bool header_name_ok(struct str name, char *msg, size_t sz)
{
	static const char *const allowed[] = {"User-to-User", "Remote-Party-ID",
	                                      "P-Preferred-Identity", "P-Called-Party-ID"};
	if (!sip_token(name)) {
		snprintf(msg, sz, "SIP header name '%.*s' holds characters a SIP token may not",
		         (int)(name.len > 60 ? 60 : name.len), name.p);
		return false;
	}
	if (str_caseprefix(name, "X-Twilio")) {
		snprintf(msg, sz, "SIP header '%.*s': names starting X-Twilio are reserved",
		         (int)(name.len > 60 ? 60 : name.len), name.p);
		return false;
	}
	if (str_caseprefix(name, "X-"))
		return true;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (str_caseeq(name, str_c(allowed[i])))
			return true;
	snprintf(msg, sz,
	         "SIP header '%.*s' is not allowed: custom headers start with X- (or are "
	         "User-to-User, Remote-Party-ID, P-Preferred-Identity, P-Called-Party-ID)",
	         (int)(name.len > 60 ? 60 : name.len), name.p);
	return false;
}

static bool rule_sip_header_names(const struct twiml_node *n, char *msg, size_t sz)
{
	struct str h = sip_headers(n);
	size_t i = 0;
	while (i < h.len) {
		size_t b = i;
		while (i < h.len && h.p[i] != '=' && h.p[i] != '&')
			i++;
		struct str name = {h.p + b, i - b};
		while (i < h.len && h.p[i] != '&')
			i++;
		i++;
		if (!header_name_ok(name, msg, sz))
			return true;
	}
	return false;
}

static bool rule_header_element(const struct twiml_node *n, char *msg, size_t sz)
{
	const char *name = twiml_get(n, "name");
	if (!name) {
		snprintf(msg, sz, "<Header> needs a name attribute");
		return true;
	}
	return !header_name_ok(str_c(name), msg, sz);
}

/* A <Sip> says what to dial in its text or in <Uri> children: with neither it dials nothing. */
static bool rule_sip_uri_source(const struct twiml_node *n, char *msg, size_t sz)
{
	snprintf(msg, sz,
	         "<Sip> has no SIP URI: write it as the text (<Sip>sip:user@host</Sip>) or as "
	         "<Uri> children");
	return !twiml_has_text(n) && count_kids(n, "Uri") == 0;
}

/* With both, Twilio does not say which it dials: the emulator's choice is a modelled rule
 * (voice.sip-uri-over-text in src/emulator/engine.c), and the warning names it. */
static bool rule_sip_text_and_uri(const struct twiml_node *n, char *msg, size_t sz)
{
	size_t uris = count_kids(n, "Uri");
	snprintf(msg, sz,
	         "<Sip> holds a URI as text and %zu <Uri> element%s: Twilio does not document "
	         "which it dials; the emulator dials the <Uri> elements and ignores the text "
	         "(modelled rule voice.sip-uri-over-text): keep one or the other",
	         uris, uris == 1 ? "" : "s");
	return uris > 0 && twiml_has_text(n);
}

static bool rule_refer_one_sip(const struct twiml_node *n, char *msg, size_t sz)
{
	size_t all = count_kids(n, NULL), sip = count_kids(n, "Sip");
	snprintf(msg, sz,
	         "<Refer> must hold exactly one <Sip> (the Refer-To URI); it holds %zu element%s",
	         all, all == 1 ? "" : "s");
	return !(all == 1 && sip == 1);
}

static bool rule_parameter_name(const struct twiml_node *n, char *msg, size_t sz)
{
	snprintf(msg, sz, "<%s> needs a name attribute", n->name);
	return !twiml_get(n, "name");
}

/* Rules over a whole element: element name, Twilio code, check. */
static const struct rule {
	const char *elem;
	int code;
	bool (*broken)(const struct twiml_node *n, char *msg, size_t sz);
} rules[] = {
    {"Dial", 12200, rule_dial_nouns},          {"Dial", 13000, rule_conference_number},
    {"Dial", 12200, rule_dial_text_and_nouns}, {"Sip", 21227, rule_sip_headers_len},
    {"Sip", 13252, rule_sip_header_names},     {"Sip", 13243, rule_sip_uri_source},
    {"Sip", 12200, rule_sip_text_and_uri},     {"Uri", 21227, rule_sip_headers_len},
    {"Uri", 13252, rule_sip_header_names},     {"Header", 13252, rule_header_element},
    {"Refer", 12200, rule_refer_one_sip},      {"Parameter", 12200, rule_parameter_name},
    {"Config", 12200, rule_parameter_name},
};

/* ---- the walk ---- */

static void check_attrs(const struct twiml_node *n, const struct twiml_elem_schema *e,
                        struct twiml_findings *f)
{
	char why[160], tmp[64];
	for (size_t i = 0; i < n->nattrs; i++) {
		const struct twiml_attr *at = &n->attrs[i];
		if (strcmp(at->name, "xmlns") == 0 || strncmp(at->name, "xmlns:", 6) == 0)
			continue;
		const struct twiml_attr_schema *a = twiml_schema_attr(e, at->name);
		if (!a) {
			const char *hint = suggest_attr(e, at->name);
			if (hint && strcasecmp(hint, at->name) == 0)
				twiml_finding_add(
				    f, at->line, at->col, 12200,
				    "unknown attribute '%s' on <%s>: attribute names are "
				    "case-sensitive; did you mean '%s'?",
				    at->name, n->name, hint);
			else if (hint)
				twiml_finding_add(
				    f, at->line, at->col, 12200,
				    "unknown attribute '%s' on <%s>; did you mean '%s'?", at->name,
				    n->name, hint);
			else
				twiml_finding_add(f, at->line, at->col, 12200,
				                  "unknown attribute '%s' on <%s>", at->name,
				                  n->name);
			continue;
		}
		if (!value_ok(a, str_c(at->value), why, sizeof(why)))
			twiml_finding_add(f, at->line, at->col, a->code, "<%s %s=\"%s\">: %s",
			                  n->name, at->name, shorten(at->value, tmp, sizeof(tmp)),
			                  why);
	}
}

static void check_text(const struct twiml_node *n, const struct twiml_elem_schema *e,
                       struct twiml_findings *f)
{
	const struct twiml_node *first = NULL;
	for (size_t i = 0; i < n->nkids && !first; i++)
		if (n->kids[i]->kind == TWIML_TEXT && str_trim(str_c(n->kids[i]->text)).len > 0)
			first = n->kids[i];
	if (!first) {
		/* some elements say nothing without their text */
		if (e->text && e->text->min > 0 && count_kids(n, NULL) == 0)
			twiml_finding_add(f, n->line, n->col, e->text->code,
			                  "<%s> is empty: it needs %s", n->name,
			                  e->text->type == TWIML_T_SIPURI  ? "a SIP URI"
			                  : e->text->type == TWIML_T_PHONE ? "a phone number"
			                                                   : "a URL");
		return;
	}
	if (!e->text) {
		twiml_finding_add(f, first->line, first->col, 12200, "<%s> may not contain text",
		                  n->name);
		return;
	}
	if (e->mixed || (e->text->type == TWIML_T_STRING && e->text->max == 0))
		return;
	char why[160], tmp[64];
	struct str t = twiml_text(n);
	if (!value_ok(e->text, t, why, sizeof(why))) {
		char *s = xstrndup(t.p, t.len);
		twiml_finding_add(f, first->line, first->col, e->text->code, "<%s>%s</%s>: %s",
		                  n->name, shorten(s, tmp, sizeof(tmp)), n->name, why);
		free(s);
	}
}

static void walk(const struct twiml_node *n, const struct twiml_node *parent,
                 struct twiml_findings *f, size_t depth)
{
	if (n->kind != TWIML_ELEMENT || depth > TWIML_MAX_DEPTH)
		return;
	const struct twiml_elem_schema *e = twiml_schema_find(n->name);
	const struct twiml_elem_schema *pe = NULL;
	if (parent && !(pe = twiml_schema_find(parent->name)))
		pe = twiml_schema_find_nocase(parent->name);
	if (!e) {
		const struct twiml_elem_schema *ci = twiml_schema_find_nocase(n->name);
		const char *hint = ci ? NULL : suggest_elem(n->name);
		if (ci)
			twiml_finding_add(
			    f, n->line, n->col, 12200,
			    "unknown element <%s>: TwiML names are case-sensitive; did you "
			    "mean <%s>?",
			    n->name, ci->name);
		else if (hint)
			twiml_finding_add(f, n->line, n->col, 12200,
			                  "unknown element <%s>; did you mean <%s>?", n->name,
			                  hint);
		else
			twiml_finding_add(f, n->line, n->col, 12200, "unknown element <%s>",
			                  n->name);
		if (!ci)
			return;
		e = ci; /* check the rest as if it were spelled right */
	}
	if (pe && !twiml_schema_in_list(pe->kids, e->name, strlen(e->name))) {
		if (pe->kids[0])
			twiml_finding_add(f, n->line, n->col, pe->kid_code,
			                  "<%s> is not allowed inside <%s> (it may hold: %s)",
			                  n->name, pe->name, pe->kids);
		else
			twiml_finding_add(f, n->line, n->col, pe->kid_code,
			                  "<%s> is not allowed inside <%s> (it holds no elements)",
			                  n->name, pe->name);
	}
	check_attrs(n, e, f);
	check_text(n, e, f);
	char msg[TWIML_MAX_MSG];
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].elem, e->name) == 0 && rules[i].broken(n, msg, sizeof(msg)))
			twiml_finding_add(f, n->line, n->col, rules[i].code, "%s", msg);
	for (size_t i = 0; i < n->nkids; i++)
		walk(n->kids[i], n, f, depth + 1);
}

void twiml_validate(const struct twiml_node *root, struct twiml_findings *f)
{
	if (!root || root->kind != TWIML_ELEMENT)
		return;
	if (strcmp(root->name, "Response") != 0) {
		if (strcasecmp(root->name, "Response") == 0)
			twiml_finding_add(
			    f, root->line, root->col, 12102,
			    "the root element is <%s>; it must be <Response> (names are "
			    "case-sensitive)",
			    root->name);
		else
			twiml_finding_add(f, root->line, root->col, 12102,
			                  "the root element is <%s>; it must be <Response>",
			                  root->name);
		return;
	}
	walk(root, NULL, f, 0);
}

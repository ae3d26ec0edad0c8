/* dest_render: a destination's TwiML answer, rendered through a tree (dest_render) or
 * through the answer compiled once per snapshot (dest_compile, dest_tmpl_render). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twiml/twiml.h"
#include "util/mem.h"
#include "webhooks/dest.h"
#include "webhooks/dest_int.h"

static const char hexd[] = "0123456789ABCDEF";

/* hv_plain as a table: the byte test of the request path (one load per byte). */
static const bool hv_keep_tab[256] = {
    ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true, ['-'] = true, ['_'] = true,
    ['.'] = true,         ['!'] = true,         ['~'] = true,         ['*'] = true, ['\''] = true,
    ['('] = true,         [')'] = true,         ['['] = true,         [']'] = true, ['/'] = true,
    ['?'] = true,         [':'] = true,         ['+'] = true,         ['$'] = true,
};
#define hv_keep(c) hv_keep_tab[(unsigned char)(c)]

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
	bool headers; /* the URI has a header part */
	/* The limits hold per URI. With failover routes each of the n URIs carries the same
	 * header part with the same values, so the values' encoded sum is n times one URI's:
	 * the bounds are kept n times over (n = 1 without failover), and a request compares
	 * fixed + sum with max as it always did. */
	size_t part_fixed, part_max;     /* header part without the values (n x), its limit */
	size_t target_fixed, target_max; /* longest dial target without the values (n x) */
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
			size_t n = dest_var_len(p + 1);
			const struct dest_var *var = n ? dest_var_find(p + 1, n) : NULL;
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

/* The dial target through route (d's own, or one of its failover routes): the number, or
 * the SIP URI with d's headers. */
static int render_target_via(const struct dest *d, const char *route, const struct dest_vars *v,
                             struct buf *out, struct compile *c)
{
	int rc;
	if (!dest_is_sip(d))
		return buf_adds(out, strncmp(route, "tel:", 4) == 0 ? route + 4 : route);
	if ((rc = buf_adds(out, route)))
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

static int render_target(const struct dest *d, const struct dest_vars *v, struct buf *out,
                         struct compile *c)
{
	return render_target_via(d, d->route, v, out, c);
}

int dest_render_target(const struct dest *d, const struct dest_vars *v, struct buf *out)
{
	return render_target(d, v, out, NULL);
}

#define TARGET_CAP (DEST_URI_MAX + 2 + DEST_HEADERS_PART_MAX)
#define NURIS_MAX  (1 + DEST_MAX_FAILOVER)

/* Whether d answers <Uri> children (its route and failover routes) rather than one URI. */
static bool has_failover(const struct dest *d)
{
	return d->nfailover > 0 && dest_is_sip(d);
}

/* The route of URI i: d's own first, then its failover routes in order. */
static const char *route_of(const struct dest *d, size_t i)
{
	return i == 0 ? d->route : d->failover[i - 1];
}

/* The document around the rendered targets (one, or one per route with failover): the
 * one canonical renderer. */
static int render_doc(const struct dest *d, const char *const *targets, size_t ntargets,
                      struct buf *out)
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
	if (!has_failover(d)) {
		twiml_add_text(noun, targets[0]);
	} else {
		/* priorities 1, 2, ...: distinct, so the order is the one written (Twilio draws
		 * by weight only among equal priorities) */
		for (size_t i = 0; i < ntargets; i++) {
			struct twiml_node *uri = twiml_add(noun, "Uri");
			char prio[24];
			snprintf(prio, sizeof(prio), "%zu", i + 1);
			twiml_set(uri, "priority", prio);
			twiml_add_text(uri, targets[i]);
		}
	}
	int rc = twiml_render(root, out);
	twiml_free(root);
	return rc;
}

int dest_render(const struct dest *d, const struct dest_vars *v, struct buf *out)
{
	size_t n = has_failover(d) ? 1 + d->nfailover : 1;
	if (n > NURIS_MAX)
		return E2BIG;
	struct buf target[NURIS_MAX];
	const char *texts[NURIS_MAX] = {NULL};
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		buf_init(&target[i], TARGET_CAP);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!route_of(d, i))
			rc = EINVAL; /* not a destination a store holds */
		else
			rc = render_target_via(d, route_of(d, i), v, &target[i], NULL);
		texts[i] = buf_str(&target[i]);
	}
	if (rc == 0)
		rc = render_doc(d, texts, n, out);
	for (size_t i = 0; i < n; i++)
		buf_free(&target[i]);
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
	size_t nuris = has_failover(d) ? 1 + d->nfailover : 1;
	if (nuris > NURIS_MAX)
		return NULL;
	for (size_t i = 1; i < nuris; i++)
		if (!route_of(d, i))
			return NULL;
	/* a tag that happens to occur in the destination's own text is retried */
	static const char *const tags[] = {"hoffVarQz", "hoffSlotJx", "zqHandoffVk", "xVarWqK9"};
	for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
		struct compile c = {.slots = NULL};
		snprintf(c.tag, sizeof(c.tag), "%s", tags[k]);
		struct buf target[NURIS_MAX], doc;
		const char *texts[NURIS_MAX] = {NULL};
		size_t fixed[NURIS_MAX] = {0};
		int rc = 0;
		for (size_t i = 0; i < nuris; i++)
			buf_init(&target[i],
			         TARGET_CAP + 64 * DEST_MAX_HEADERS * DEST_HEADER_VALUE_MAX);
		buf_init(&doc, TWIML_MAX_BYTES);
		for (size_t i = 0; i < nuris && rc == 0; i++) {
			size_t tokens_before = c.tokens_len;
			rc = render_target_via(d, route_of(d, i), NULL, &target[i], &c);
			fixed[i] = target[i].len - (c.tokens_len - tokens_before);
			texts[i] = buf_str(&target[i]);
		}
		if (rc == 0)
			rc = render_doc(d, texts, nuris, &doc);
		struct dest_tmpl *t = xcalloc(1, sizeof(*t));
		bool ok = rc == 0 && split(buf_str(&doc), doc.len, &c, t);
		if (ok) {
			t->slots = c.slots;
			t->nslots = c.nslots;
			t->headers = dest_is_sip(d) && d->nheaders > 0;
			size_t longest = 0; /* the same values: the longest target bounds all */
			for (size_t i = 0; i < nuris; i++)
				if (fixed[i] > longest)
					longest = fixed[i];
			t->target_fixed = nuris * longest;
			t->target_max = nuris * TARGET_CAP;
			t->part_fixed = t->headers ? nuris * (fixed[0] - strlen(d->route) - 1) : 0;
			t->part_max = nuris * DEST_HEADERS_PART_MAX;
			c.slots = NULL;
			c.nslots = 0;
		}
		for (size_t i = 0; i < c.nslots; i++)
			free(c.slots[i].name);
		free(c.slots);
		for (size_t i = 0; i < nuris; i++)
			buf_free(&target[i]);
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
	if (t->headers && t->part_fixed + sum > t->part_max)
		return E2BIG;
	if (t->target_fixed + sum > t->target_max)
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

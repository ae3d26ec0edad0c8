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

/* hv_plain as a table: the byte test of the request path (one load per byte). No '+':
 * Twilio reads it as a space in a <Sip> header value, so it is written %2B. */
static const bool hv_keep_tab[256] = {
    ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true, ['-'] = true, ['_'] = true,
    ['.'] = true,         ['!'] = true,         ['~'] = true,         ['*'] = true, ['\''] = true,
    ['('] = true,         [')'] = true,         ['['] = true,         [']'] = true, ['/'] = true,
    ['?'] = true,         [':'] = true,         ['$'] = true,
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

/* One variable of a compiled answer: which variable, its name after '$', and the
 * header whose value holds it. */
struct tmpl_slot {
	const struct dest_var *var;
	char *name;
	size_t len;
	size_t hdr;
};

#define NURIS_MAX (1 + DEST_MAX_FAILOVER)

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

/* One URI header of a compiled answer: where it lies in lit, from its separator ('?'
 * or "&amp;") to the end of its value, so that it can be left out when its value
 * renders empty. */
struct tmpl_hdr {
	size_t start, sepend, end; /* offsets in lit */
	size_t slot0, nslots;      /* its slots */
	size_t fixed;              /* its bytes in the URI without the values: sep, name, '=' */
	bool lit;                  /* its value has literal text: it is never empty */
};

/* A destination's answer compiled once: the literal bytes of the document
 * (from twiml_render, already escaped) with the places the variables go. */
struct dest_tmpl {
	char *lit; /* the document without its variables */
	size_t lit_len;
	size_t *cut; /* where slot i goes in lit (ascending) */
	struct tmpl_slot *slots;
	size_t nslots;
	/* The URI headers, in order: with failover routes, URI u's header h is hdr[u * nh +
	 * h] (every URI carries the same headers with the same values); none for a number. */
	struct tmpl_hdr *hdr;
	size_t nhdr, nh, nuris;
	size_t base_fixed; /* the longest dial target before its header part */
	size_t all_fixed;  /* one URI's header part without the values, all kept */
	uint32_t lit_mask; /* bit h: header h has literal text (never left out) */
	uint32_t all_mask; /* a bit for each header of a URI */
};

/* While compiling: each variable is written as a unique token instead of its
 * value, and so are marks around each header; all are noted in order. The
 * token's characters (letters, digits, '_') pass percent-encoding and XML
 * escaping unchanged. */
enum mark_kind { MARK_SLOT, MARK_HEADER, MARK_SEP_END, MARK_PART_END };

struct mark {
	enum mark_kind kind;
	size_t n; /* the slot or header index */
};

/* A header while compiling: its span in the target, and the token bytes in it. */
struct compile_hdr {
	size_t tstart, tend, tok0, tok1, slot0;
};

struct compile {
	char tag[16];
	struct tmpl_slot *slots;
	size_t nslots, tokens_len;
	struct mark *marks;
	size_t nmarks;
	struct compile_hdr hdr[DEST_MAX_HEADERS * NURIS_MAX];
	size_t cur_hdr; /* the header instance being written: uri * nh + h */
	size_t uri, nh; /* the URI being written, the headers of each */
};

static int add_mark(struct buf *out, struct compile *c, enum mark_kind kind, size_t n)
{
	char tok[48];
	if (kind == MARK_HEADER) {
		c->hdr[n].tstart = out->len;
		c->hdr[n].tok0 = c->tokens_len;
		c->hdr[n].slot0 = c->nslots;
		c->cur_hdr = n;
	}
	int len = snprintf(tok, sizeof(tok), "%s%zu_", c->tag, c->nmarks);
	c->marks = xreallocarray(c->marks, c->nmarks + 1, sizeof(*c->marks));
	c->marks[c->nmarks++] = (struct mark){kind, n};
	c->tokens_len += (size_t)len;
	return buf_add(out, tok, (size_t)len);
}

static int add_token(struct buf *out, struct compile *c, const struct dest_var *var,
                     const char *name, size_t len)
{
	c->slots = xreallocarray(c->slots, c->nslots + 1, sizeof(*c->slots));
	c->slots[c->nslots] =
	    (struct tmpl_slot){var, xstrndup(name, len), len, c->nh ? c->cur_hdr % c->nh : 0};
	return add_mark(out, c, MARK_SLOT, c->nslots++);
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

/* Whether a header value renders empty with these variables: no literal text, and
 * every variable empty (an unknown one is not: rendering it reports EINVAL). */
static bool value_empty(const char *tmpl, const struct dest_vars *v)
{
	for (const char *p = tmpl; *p; p++) {
		if (*p != '$' || p[1] == '$')
			return false;
		size_t n = dest_var_len(p + 1);
		if (!n || !dest_var_find(p + 1, n) || *var_value(v, p + 1, n))
			return false;
		p += n;
	}
	return true;
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
	bool any = false;
	for (size_t i = 0; i < d->nheaders; i++) {
		/* a header whose whole value is empty is left out of the URI */
		if (!c && value_empty(d->headers[i].value, v))
			continue;
		size_t k = c ? c->uri * c->nh + i : i; /* the header instance */
		rc = c ? add_mark(out, c, MARK_HEADER, k) : 0;
		if (rc || (rc = buf_addc(out, any ? '&' : '?')) ||
		    (c && (rc = add_mark(out, c, MARK_SEP_END, k))) ||
		    (rc = buf_adds(out, d->headers[i].name)) || (rc = buf_addc(out, '=')) ||
		    (rc = add_value(out, d->headers[i].value, v, c)))
			return rc;
		if (c) {
			c->hdr[k].tend = out->len;
			c->hdr[k].tok1 = c->tokens_len;
		}
		any = true;
	}
	if (c)
		return d->nheaders ? add_mark(out, c, MARK_PART_END, (c->uri + 1) * c->nh) : 0;
	if (any && out->len - start - 1 > DEST_HEADERS_PART_MAX)
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
	free(t->hdr);
	free(t->lit);
	free(t);
}

/* Splits doc on the compile's tokens into t->lit: each token must occur exactly
 * once, in mark order, and the tag nowhere else; cut[j] is where mark j was. */
static bool split(const char *doc, size_t len, const struct compile *c, struct dest_tmpl *t,
                  size_t *cut)
{
	size_t taglen = strlen(c->tag), found = 0;
	for (const char *p = doc; (p = strstr(p, c->tag)) != NULL; p += taglen)
		found++;
	if (found != c->nmarks)
		return false;
	t->lit = xmalloc(len + 1);
	const char *p = doc;
	char *w = t->lit;
	for (size_t i = 0; i < c->nmarks; i++) {
		char tok[48];
		int n = snprintf(tok, sizeof(tok), "%s%zu_", c->tag, i);
		const char *at = strstr(p, tok);
		if (!at || strncmp(at, c->tag, taglen) != 0 || strstr(p, c->tag) != at)
			return false; /* not the next tag: out of order */
		memcpy(w, p, (size_t)(at - p));
		w += at - p;
		cut[i] = (size_t)(w - t->lit);
		p = at + n;
	}
	size_t rest = strlen(p);
	memcpy(w, p, rest);
	w += rest;
	*w = '\0';
	t->lit_len = (size_t)(w - t->lit);
	return true;
}

/* Fills t's slots and headers from the marks' places. */
/* Fills t's slots and headers from the marks' places; base: the longest dial target
 * before its header part. */
static void build(const struct dest *d, struct compile *c, const size_t *cut, size_t nuris,
                  size_t base, struct dest_tmpl *t)
{
	t->slots = c->slots;
	t->nslots = c->nslots;
	c->slots = NULL;
	c->nslots = 0;
	t->cut = xcalloc(t->nslots ? t->nslots : 1, sizeof(*t->cut));
	t->nuris = nuris;
	t->nh = dest_is_sip(d) ? d->nheaders : 0;
	t->nhdr = nuris * t->nh;
	t->hdr = t->nhdr ? xcalloc(t->nhdr, sizeof(*t->hdr)) : NULL;
	t->base_fixed = base;
	for (size_t j = 0; j < c->nmarks; j++) {
		const struct mark *m = &c->marks[j];
		if (m->kind == MARK_SLOT)
			t->cut[m->n] = cut[j];
		else if (m->kind == MARK_HEADER)
			t->hdr[m->n].start = cut[j];
		else if (m->kind == MARK_SEP_END)
			t->hdr[m->n].sepend = cut[j];
		/* a header ends where the next one of its URI starts, or at its part's end */
		if ((m->kind == MARK_HEADER && m->n % t->nh > 0) || m->kind == MARK_PART_END)
			t->hdr[m->n - 1].end = cut[j];
	}
	for (size_t i = 0; i < t->nhdr; i++) {
		struct tmpl_hdr *h = &t->hdr[i];
		const struct compile_hdr *ch = &c->hdr[i];
		size_t hi = i % t->nh;
		h->slot0 = ch->slot0;
		h->nslots = (i + 1 < t->nhdr ? c->hdr[i + 1].slot0 : t->nslots) - ch->slot0;
		h->fixed = (ch->tend - ch->tstart) - (ch->tok1 - ch->tok0);
		h->lit = h->fixed > 2 + strlen(d->headers[hi].name);
		if (i < t->nh) { /* the first URI's: every URI has the same */
			t->all_fixed += h->fixed;
			t->lit_mask |= h->lit ? 1u << hi : 0;
			t->all_mask |= 1u << hi;
		}
	}
}

static void compile_free(struct compile *c)
{
	for (size_t i = 0; i < c->nslots; i++)
		free(c->slots[i].name);
	free(c->slots);
	free(c->marks);
}

struct dest_tmpl *dest_compile(const struct dest *d)
{
	if (!d || !d->route || (dest_is_sip(d) && d->nheaders > DEST_MAX_HEADERS))
		return NULL;
	for (size_t i = 0; dest_is_sip(d) && i < d->nheaders; i++)
		if (!d->headers[i].name || !d->headers[i].value)
			return NULL; /* not a destination a store holds: dest_render decides */
	size_t nuris = has_failover(d) ? 1 + d->nfailover : 1;
	if (nuris > NURIS_MAX)
		return NULL;
	for (size_t i = 0; i < nuris; i++) {
		/* a route of white space alone (never valid) renders as no text at all once
		 * its headers are left out: dest_render decides */
		const char *r = route_of(d, i);
		if (!r || !r[strspn(r, " \t\r\n")])
			return NULL;
	}
	/* a tag that happens to occur in the destination's own text is retried */
	static const char *const tags[] = {"hoffVarQz", "hoffSlotJx", "zqHandoffVk", "xVarWqK9"};
	for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
		struct compile c = {.slots = NULL, .nh = dest_is_sip(d) ? d->nheaders : 0};
		snprintf(c.tag, sizeof(c.tag), "%s", tags[k]);
		struct buf target[NURIS_MAX], doc;
		const char *texts[NURIS_MAX] = {NULL};
		size_t base = 0;
		int rc = 0;
		for (size_t i = 0; i < nuris; i++)
			buf_init(&target[i],
			         TARGET_CAP + 64 * DEST_MAX_HEADERS * DEST_HEADER_VALUE_MAX);
		buf_init(&doc, TWIML_MAX_BYTES);
		for (size_t i = 0; i < nuris && rc == 0; i++) {
			size_t tokens_before = c.tokens_len;
			c.uri = i;
			rc = render_target_via(d, route_of(d, i), NULL, &target[i], &c);
			texts[i] = buf_str(&target[i]);
			/* the target before its header part (the route), or all of it (no headers)
			 */
			size_t b = c.nh ? c.hdr[i * c.nh].tstart
			                : target[i].len - (c.tokens_len - tokens_before);
			if (b > base)
				base = b;
		}
		if (rc == 0)
			rc = render_doc(d, texts, nuris, &doc);
		struct dest_tmpl *t = xcalloc(1, sizeof(*t));
		size_t *cut = xcalloc(c.nmarks ? c.nmarks : 1, sizeof(*cut));
		bool ok = rc == 0 && split(buf_str(&doc), doc.len, &c, t, cut);
		if (ok)
			build(d, &c, cut, nuris, base, t);
		free(cut);
		compile_free(&c);
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

struct tmpl_val {
	const char *p;
	size_t n;
};

/* Copies lit[from, to) with the values of slots [k, end) spliced in at their cuts;
 * returns the end of what was written. */
static char *splice(char *w, const struct dest_tmpl *t, const struct dest_vars *v, size_t from,
                    size_t to, size_t k, size_t end, const struct tmpl_val *val)
{
	for (; k < end; k++) {
		memcpy(w, t->lit + from, t->cut[k] - from);
		w += t->cut[k] - from;
		from = t->cut[k];
		/* the encoded value is [A-Za-z0-9%] and RFC 3261's marks: none of
		 * them is escaped in XML text, so it goes in as it is */
		if (k < TMPL_CACHE) {
			w = enc_write(w, val[k].p, val[k].n);
		} else {
			const char *p = var_value(v, t->slots[k].name, t->slots[k].len);
			w = enc_write(w, p, strlen(p));
		}
	}
	memcpy(w, t->lit + from, to - from);
	return w + (to - from);
}

/* The slow way, when some header is left out: which stay, the lengths, then each URI's
 * kept headers (the first kept one takes the '?'). sum is all the values' encoded length:
 * each URI carries 1/nuris of it, and the same headers stay in every URI. */
static int render_some(const struct dest_tmpl *t, const struct dest_vars *v,
                       const struct tmpl_val *val, uint32_t keep, size_t sum, struct buf *out)
{
	size_t nh = t->nh, part = sum / t->nuris, len = t->lit_len + sum, first = nh;
	for (size_t h = 0; h < nh; h++)
		if (keep & (1u << h)) {
			part += t->hdr[h].fixed;
			if (first == nh)
				first = h;
		}
	if (keep && part - 1 > DEST_HEADERS_PART_MAX)
		return E2BIG;
	if (t->base_fixed + part > TARGET_CAP)
		return E2BIG;
	for (size_t u = 0; u < t->nuris; u++) {
		const struct tmpl_hdr *g = &t->hdr[u * nh];
		for (size_t h = 0; h < nh; h++)
			if (!(keep & (1u << h)))
				len -= g[h].end - g[h].start;
		if (first > 0 && first < nh) /* the first kept one takes header 0's '?' */
			len = len + (g[0].sepend - g[0].start) - (g[first].sepend - g[first].start);
	}
	char *w = buf_extend(out, len);
	if (!w)
		return E2BIG;
	size_t from = 0;
	for (size_t u = 0; u < t->nuris; u++) {
		const struct tmpl_hdr *g = &t->hdr[u * nh];
		memcpy(w, t->lit + from, g[0].start - from);
		w += g[0].start - from;
		for (size_t h = 0; h < nh; h++) {
			const struct tmpl_hdr *th = &g[h];
			if (!(keep & (1u << h)))
				continue;
			const struct tmpl_hdr *sep = h == first ? &g[0] : th;
			memcpy(w, t->lit + sep->start, sep->sepend - sep->start);
			w += sep->sepend - sep->start;
			w = splice(w, t, v, th->sepend, th->end, th->slot0, th->slot0 + th->nslots,
			           val);
		}
		from = g[nh - 1].end;
	}
	memcpy(w, t->lit + from, t->lit_len - from);
	return 0;
}

int dest_tmpl_render(const struct dest_tmpl *t, const struct dest_vars *v, struct buf *out)
{
	struct tmpl_val val[TMPL_CACHE];
	size_t sum = 0;
	uint32_t keep = t->lit_mask; /* the headers that render non-empty */
	for (size_t i = 0; i < t->nslots; i++) {
		const struct tmpl_slot *s = &t->slots[i];
		const char *p = var_value(v, s->name, s->len);
		size_t n = strlen(p);
		if (n > s->var->raw_max)
			return E2BIG;
		size_t e = enc_len(p, n);
		if (e > s->var->enc_max)
			return E2BIG;
		if (n)
			keep |= 1u << s->hdr;
		sum += e;
		if (i < TMPL_CACHE) {
			val[i].p = p;
			val[i].n = n;
		}
	}
	if (keep != t->all_mask)
		return render_some(t, v, val, keep, sum, out);
	/* every header stays (or there are none): the literal bytes with the values in; the
	 * limits hold per URI, each carrying 1/nuris of the values */
	size_t part = t->all_fixed + sum / t->nuris;
	if (t->nhdr && part - 1 > DEST_HEADERS_PART_MAX)
		return E2BIG;
	if (t->base_fixed + part > TARGET_CAP)
		return E2BIG;
	char *w = buf_extend(out, t->lit_len + sum);
	if (!w)
		return E2BIG;
	splice(w, t, v, 0, t->lit_len, 0, t->nslots, val);
	return 0;
}

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
	struct tmpl_hdr *hdr; /* the URI headers, in order (none for a number) */
	size_t nhdr;
	size_t base_fixed; /* dial target length before its header part */
	size_t all_fixed;  /* the header part's length without the values, all kept */
	uint32_t lit_mask; /* bit h: header h has literal text (never left out) */
	uint32_t all_mask; /* a bit for each header */
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
	struct compile_hdr hdr[DEST_MAX_HEADERS];
	size_t cur_hdr;
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
	c->slots[c->nslots] = (struct tmpl_slot){var, xstrndup(name, len), len, c->cur_hdr};
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

static int render_target(const struct dest *d, const struct dest_vars *v, struct buf *out,
                         struct compile *c)
{
	int rc;
	if (!dest_is_sip(d))
		return buf_adds(out, strncmp(d->route, "tel:", 4) == 0 ? d->route + 4 : d->route);
	if ((rc = buf_adds(out, d->route)))
		return rc;
	size_t start = out->len;
	bool any = false;
	for (size_t i = 0; i < d->nheaders; i++) {
		/* a header whose whole value is empty is left out of the URI */
		if (!c && value_empty(d->headers[i].value, v))
			continue;
		rc = c ? add_mark(out, c, MARK_HEADER, i) : 0;
		if (rc || (rc = buf_addc(out, any ? '&' : '?')) ||
		    (c && (rc = add_mark(out, c, MARK_SEP_END, i))) ||
		    (rc = buf_adds(out, d->headers[i].name)) || (rc = buf_addc(out, '=')) ||
		    (rc = add_value(out, d->headers[i].value, v, c)))
			return rc;
		if (c) {
			c->hdr[i].tend = out->len;
			c->hdr[i].tok1 = c->tokens_len;
		}
		any = true;
	}
	if (c)
		return d->nheaders ? add_mark(out, c, MARK_PART_END, d->nheaders) : 0;
	if (any && out->len - start - 1 > DEST_HEADERS_PART_MAX)
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
static void build(const struct dest *d, struct compile *c, const size_t *cut, size_t tlen,
                  struct dest_tmpl *t)
{
	t->slots = c->slots;
	t->nslots = c->nslots;
	c->slots = NULL;
	c->nslots = 0;
	t->cut = xcalloc(t->nslots ? t->nslots : 1, sizeof(*t->cut));
	t->nhdr = dest_is_sip(d) ? d->nheaders : 0;
	t->hdr = t->nhdr ? xcalloc(t->nhdr, sizeof(*t->hdr)) : NULL;
	t->base_fixed = t->nhdr ? c->hdr[0].tstart - c->hdr[0].tok0 : tlen - c->tokens_len;
	for (size_t j = 0; j < c->nmarks; j++) {
		const struct mark *m = &c->marks[j];
		if (m->kind == MARK_SLOT)
			t->cut[m->n] = cut[j];
		else if (m->kind == MARK_HEADER)
			t->hdr[m->n].start = cut[j];
		else if (m->kind == MARK_SEP_END)
			t->hdr[m->n].sepend = cut[j];
		if ((m->kind == MARK_HEADER || m->kind == MARK_PART_END) && m->n > 0)
			t->hdr[m->n - 1].end = cut[j];
	}
	for (size_t i = 0; i < t->nhdr; i++) {
		struct tmpl_hdr *h = &t->hdr[i];
		const struct compile_hdr *ch = &c->hdr[i];
		h->slot0 = ch->slot0;
		h->nslots = (i + 1 < t->nhdr ? c->hdr[i + 1].slot0 : t->nslots) - ch->slot0;
		h->fixed = (ch->tend - ch->tstart) - (ch->tok1 - ch->tok0);
		h->lit = h->fixed > 2 + strlen(d->headers[i].name);
		t->all_fixed += h->fixed;
		t->lit_mask |= h->lit ? 1u << i : 0;
		t->all_mask |= 1u << i;
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
		size_t *cut = xcalloc(c.nmarks ? c.nmarks : 1, sizeof(*cut));
		bool ok = rc == 0 && split(buf_str(&doc), doc.len, &c, t, cut);
		if (ok)
			build(d, &c, cut, tlen, t);
		free(cut);
		compile_free(&c);
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

/* The slow way, when some header is left out: which stay, the lengths, then each kept
 * header's bytes (the first kept one takes the '?'). */
static int render_some(const struct dest_tmpl *t, const struct dest_vars *v,
                       const struct tmpl_val *val, uint32_t keep, size_t sum, struct buf *out)
{
	size_t target = t->base_fixed + sum, len = t->lit_len + sum, first = t->nhdr;
	for (size_t h = 0; h < t->nhdr; h++) {
		const struct tmpl_hdr *th = &t->hdr[h];
		if (keep & (1u << h)) {
			target += th->fixed;
			if (first == t->nhdr)
				first = h;
		} else {
			len -= th->end - th->start;
		}
	}
	if (keep && target - t->base_fixed - 1 > DEST_HEADERS_PART_MAX)
		return E2BIG;
	if (target > TARGET_CAP)
		return E2BIG;
	const struct tmpl_hdr *h0 = &t->hdr[0];
	if (first > 0 && first < t->nhdr)
		len = len + (h0->sepend - h0->start) - (t->hdr[first].sepend - t->hdr[first].start);
	char *w = buf_extend(out, len);
	if (!w)
		return E2BIG;
	memcpy(w, t->lit, h0->start);
	w += h0->start;
	for (size_t h = 0; h < t->nhdr; h++) {
		const struct tmpl_hdr *th = &t->hdr[h];
		if (!(keep & (1u << h)))
			continue;
		const struct tmpl_hdr *sep = h == first ? h0 : th;
		memcpy(w, t->lit + sep->start, sep->sepend - sep->start);
		w += sep->sepend - sep->start;
		w = splice(w, t, v, th->sepend, th->end, th->slot0, th->slot0 + th->nslots, val);
	}
	const struct tmpl_hdr *last = &t->hdr[t->nhdr - 1];
	memcpy(w, t->lit + last->end, t->lit_len - last->end);
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
	/* every header stays (or there are none): the literal bytes with the values in */
	if (t->nhdr && t->all_fixed + sum - 1 > DEST_HEADERS_PART_MAX)
		return E2BIG;
	if (t->base_fixed + t->all_fixed + sum > TARGET_CAP)
		return E2BIG;
	char *w = buf_extend(out, t->lit_len + sum);
	if (!w)
		return E2BIG;
	splice(w, t, v, 0, t->lit_len, 0, t->nslots, val);
	return 0;
}

/* reader: TwiML text to a twiml_node tree with positions, through libxml2's SAX2 push parser (the
 * only libxml2 user). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "twiml/findings.h"
#include "twiml/reader.h"
#include "util/buf.h"
#include "util/mem.h"

/* Line and column (in characters) of byte offsets, computed moving forward. */
struct cursor {
	const unsigned char *data;
	size_t len, off;
	unsigned line, col;
};

static void cursor_at(struct cursor *c, size_t off, unsigned *line, unsigned *col)
{
	if (off > c->len)
		off = c->len;
	if (off < c->off) { /* rare: restart from the top */
		c->off = 0;
		c->line = 1;
		c->col = 1;
	}
	for (; c->off < off; c->off++) {
		unsigned char ch = c->data[c->off];
		if (ch == '\n') {
			c->line++;
			c->col = 1;
		} else if ((ch & 0xc0) != 0x80) {
			c->col++;
		}
	}
	*line = c->line;
	*col = c->col;
}

static bool xml_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

struct reader {
	xmlParserCtxtPtr ctxt;
	struct cursor cur;
	struct twiml_findings *f;
	struct twiml_node *root;
	struct twiml_node *stack[TWIML_MAX_DEPTH + 1];
	size_t depth;
	struct buf text; /* text of the current run of character data */
	size_t text_off;
	size_t mark; /* where the last tag ended: the next text starts there */
	bool failed;
};

static void fail(struct reader *r, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct reader *r, unsigned line, unsigned col, const char *fmt, ...)
{
	if (!r->failed && r->f) {
		char msg[TWIML_MAX_MSG];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		twiml_finding_add(r->f, line, col, 12100, "%s", msg);
	}
	r->failed = true;
	if (r->ctxt)
		xmlStopParser(r->ctxt);
}

static size_t offset(struct reader *r)
{
	long off = xmlByteConsumed(r->ctxt);
	if (off < 0)
		return 0;
	return (size_t)off > r->cur.len ? r->cur.len : (size_t)off;
}

/* Ends the current run of text: it becomes a text child of the open element. */
static void flush_text(struct reader *r)
{
	if (r->text.len == 0)
		return;
	if (r->depth > 0) {
		struct twiml_node *t = xcalloc(1, sizeof(*t));
		t->kind = TWIML_TEXT;
		t->text = buf_steal(&r->text);
		cursor_at(&r->cur, r->text_off, &t->line, &t->col);
		twiml_append(r->stack[r->depth - 1], t);
	}
	buf_reset(&r->text);
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
	struct reader *r = ctx;
	if (r->failed || len <= 0)
		return;
	if (r->text.len == 0) {
		size_t off = r->mark;
		while (off < r->cur.len && xml_space(r->cur.data[off]))
			off++;
		r->text_off = off;
	}
	if (buf_add(&r->text, ch, (size_t)len) != 0)
		fail(r, 0, 0, "text too long");
}

static char *qname(const xmlChar *prefix, const xmlChar *local)
{
	if (prefix)
		return xasprintf("%s:%s", (const char *)prefix, (const char *)local);
	return xstrdup((const char *)local);
}

/* libxml2 hands attribute values with "&amp;" kept as "&#38;" when entities are
 * not substituted (so a DOM could rebuild references); undo that. */
static char *attr_value(const xmlChar *b, const xmlChar *e)
{
	size_t n = (size_t)(e - b);
	char *v = xmalloc(n + 1), *w = v;
	for (size_t i = 0; i < n;) {
		if (b[i] == '&' && n - i >= 5 && memcmp(b + i, "&#38;", 5) == 0) {
			*w++ = '&';
			i += 5;
		} else {
			*w++ = (char)b[i++];
		}
	}
	*w = '\0';
	return v;
}

/* Positions of the attributes of the start tag at data[tag]: the tag is
 * already known to be well-formed, so a plain scan is enough. */
static size_t attr_positions(struct reader *r, size_t tag, struct twiml_node *n)
{
	const unsigned char *d = r->cur.data;
	size_t len = r->cur.len, i = tag + 1;
	while (i < len && !xml_space(d[i]) && d[i] != '>' && d[i] != '/')
		i++;
	size_t next = 0; /* attributes arrive in document order: match forward */
	while (i < len) {
		while (i < len && xml_space(d[i]))
			i++;
		if (i >= len || d[i] == '>' || d[i] == '/') {
			while (i < len && d[i] != '>')
				i++;
			return i < len ? i + 1 : len;
		}
		size_t name = i;
		while (i < len && !xml_space(d[i]) && d[i] != '=')
			i++;
		size_t nlen = i - name;
		/* forward first; namespace declarations were put first, so wrap once */
		for (size_t k = next, seen = 0; seen < n->nattrs; seen++, k = (k + 1) % n->nattrs) {
			if (strlen(n->attrs[k].name) == nlen &&
			    memcmp(n->attrs[k].name, d + name, nlen) == 0) {
				cursor_at(&r->cur, name, &n->attrs[k].line, &n->attrs[k].col);
				next = (k + 1) % n->nattrs;
				break;
			}
		}
		while (i < len && d[i] != '"' && d[i] != '\'')
			i++;
		if (i >= len)
			return len;
		unsigned char q = d[i++];
		while (i < len && d[i] != q)
			i++;
		i++;
	}
	return len;
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **ns, int nattrs, int ndefaulted, const xmlChar **attrs)
{
	struct reader *r = ctx;
	(void)uri;
	(void)ndefaulted;
	if (r->failed)
		return;
	flush_text(r);
	size_t end = offset(r), tag = end < r->cur.len ? end : r->cur.len - 1;
	while (tag > 0 && r->cur.data[tag] != '<')
		tag--;
	unsigned line, col;
	cursor_at(&r->cur, tag, &line, &col);
	if (r->depth >= TWIML_MAX_DEPTH) {
		fail(r, line, col, "elements nested deeper than %d levels", TWIML_MAX_DEPTH);
		return;
	}
	struct twiml_node *n = xcalloc(1, sizeof(*n));
	n->kind = TWIML_ELEMENT;
	n->name = qname(prefix, local);
	n->line = line;
	n->col = col;
	size_t total = (size_t)nns + (size_t)nattrs;
	if (total) {
		n->attrs = xcalloc(total, sizeof(*n->attrs));
		for (int i = 0; i < nns; i++) {
			const xmlChar *p = ns[2 * i], *u = ns[2 * i + 1];
			struct twiml_attr *a = &n->attrs[n->nattrs++];
			a->name = p ? xasprintf("xmlns:%s", (const char *)p) : xstrdup("xmlns");
			a->value = xstrdup(u ? (const char *)u : "");
		}
		for (int i = 0; i < nattrs; i++) {
			const xmlChar **a5 = attrs + 5 * i;
			struct twiml_attr *a = &n->attrs[n->nattrs++];
			a->name = qname(a5[1], a5[0]);
			a->value = attr_value(a5[3], a5[4]);
		}
	}
	r->mark = attr_positions(r, tag, n);
	if (r->depth == 0)
		r->root = n;
	else
		twiml_append(r->stack[r->depth - 1], n);
	r->stack[r->depth++] = n;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!xml_space((unsigned char)*s))
			return false;
	return true;
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	struct reader *r = ctx;
	(void)local;
	(void)prefix;
	(void)uri;
	if (r->failed || r->depth == 0)
		return;
	flush_text(r);
	r->mark = offset(r);
	struct twiml_node *n = r->stack[--r->depth];
	/* white space beside elements is layout, unless the element holds real
	 * text (SSML mixed content): drop it so render and parse agree */
	if (!twiml_has_text(n)) {
		size_t w = 0;
		for (size_t i = 0; i < n->nkids; i++) {
			if (n->kids[i]->kind == TWIML_TEXT && blank(n->kids[i]->text))
				twiml_free(n->kids[i]);
			else
				n->kids[w++] = n->kids[i];
		}
		n->nkids = w;
	}
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	struct reader *r = ctx;
	(void)name;
	(void)ext;
	(void)sys;
	unsigned line, col;
	size_t off = offset(r);
	const unsigned char *d = r->cur.data;
	if (off >= r->cur.len)
		off = r->cur.len - 1; /* len > 0: empty input never reaches the parser */
	while (off > 0 && !(d[off] == '<' && off + 1 < r->cur.len && d[off + 1] == '!'))
		off--;
	cursor_at(&r->cur, off, &line, &col);
	fail(r, line, col, "a DOCTYPE is not allowed in TwiML (no DTDs, no entities)");
}

static void on_error(void *ctx, xmlErrorPtr e)
{
	struct reader *r = ctx;
	if (!e || e->level < XML_ERR_ERROR || r->failed)
		return;
	char msg[TWIML_MAX_MSG];
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "not well-formed");
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	fail(r, e->line > 0 ? (unsigned)e->line : 0, e->int2 > 0 ? (unsigned)e->int2 : 0,
	     "not well-formed XML: %s", msg);
}

static bool blank_n(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!xml_space((unsigned char)s[i]))
			return false;
	return true;
}

/* The first invalid UTF-8 sequence (or NUL), or len when all is valid. */
static size_t bad_utf8(const unsigned char *d, size_t len)
{
	for (size_t i = 0; i < len;) {
		if (d[i] >= 0x20 && d[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = d[i] == 0 ? 0 : twiml_utf8_len(d + i, len - i);
		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* libxml2 2.9 must be initialised once before threads use it (the emulator
 * parses in the HTTP server's connection threads). */
static void init_libxml(void)
{
	xmlInitParser();
}

int twiml_parse(const char *data, size_t len, struct twiml_node **rootp, struct twiml_findings *f)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, init_libxml);
	/* errors come to on_error; nothing of libxml2's goes to stderr (per thread) */
	xmlSetGenericErrorFunc(NULL, quiet);
	struct reader r = {.f = f};
	r.cur = (struct cursor){(const unsigned char *)data, len, 0, 1, 1};
	if (len > TWIML_MAX_BYTES) {
		if (f)
			twiml_finding_add(f, 0, 0, 11750,
			                  "document is %zu bytes; Twilio reads at most %d (64 kB)",
			                  len, TWIML_MAX_BYTES);
		return E2BIG;
	}
	if (len == 0 || blank_n(data, len)) {
		if (f)
			twiml_finding_add(f, 0, 0, 12100, "empty document");
		return EBADMSG;
	}
	size_t bad = bad_utf8(r.cur.data, len);
	if (bad < len) {
		unsigned line, col;
		cursor_at(&r.cur, bad, &line, &col);
		if (f)
			twiml_finding_add(f, line, col, 12100,
			                  "invalid UTF-8 (byte 0x%02x); TwiML must be UTF-8",
			                  r.cur.data[bad]);
		return EBADMSG;
	}

	xmlSAXHandler sax;
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	sax.internalSubset = on_doctype;
	sax.serror = on_error;
	buf_init(&r.text, TWIML_MAX_BYTES);
	r.ctxt = xmlCreatePushParserCtxt(&sax, &r, NULL, 0, NULL);
	if (!r.ctxt)
		abort(); /* only fails on out-of-memory */
	xmlCtxtUseOptions(r.ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC | XML_PARSE_NOCDATA);
	xmlParseChunk(r.ctxt, data, (int)len, 1);
	if (!r.failed && !r.ctxt->wellFormed)
		fail(&r, 0, 0, "not well-formed XML");
	if (!r.failed && !r.root)
		fail(&r, 1, 1, "no root element");
	xmlFreeParserCtxt(r.ctxt);
	buf_free(&r.text);
	if (r.failed) {
		twiml_free(r.root);
		return EBADMSG;
	}
	*rootp = r.root;
	return 0;
}

/* twiml: the document model: builder, free, accessors, equality and the canonical renderer. */
#include "twiml/twiml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "twiml/schema.h"
#include "util/mem.h"

static struct twiml_node *node_new(enum twiml_kind kind)
{
	struct twiml_node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	return n;
}

struct twiml_node *twiml_new(const char *name)
{
	struct twiml_node *n = node_new(TWIML_ELEMENT);
	n->name = xstrdup(name);
	return n;
}

void twiml_append(struct twiml_node *parent, struct twiml_node *kid)
{
	/* the capacity is not stored: grow to 2n whenever n is 0 or a power of two,
	 * which keeps room for n + 1 (also after the reader drops layout text) */
	size_t n = parent->nkids;
	if ((n & (n - 1)) == 0)
		parent->kids = xreallocarray(parent->kids, n ? 2 * n : 1, sizeof(*parent->kids));
	parent->kids[parent->nkids++] = kid;
}

struct twiml_node *twiml_add(struct twiml_node *parent, const char *name)
{
	struct twiml_node *n = twiml_new(name);
	twiml_append(parent, n);
	return n;
}

void twiml_set(struct twiml_node *n, const char *name, const char *value)
{
	for (size_t i = 0; i < n->nattrs; i++) {
		if (strcmp(n->attrs[i].name, name) == 0) {
			char *v = xstrdup(value);
			free(n->attrs[i].value);
			n->attrs[i].value = v;
			return;
		}
	}
	n->attrs = xreallocarray(n->attrs, n->nattrs + 1, sizeof(*n->attrs));
	n->attrs[n->nattrs++] = (struct twiml_attr){xstrdup(name), xstrdup(value), 0, 0};
}

void twiml_add_text(struct twiml_node *n, const char *text)
{
	struct twiml_node *t = node_new(TWIML_TEXT);
	t->text = xstrdup(text);
	twiml_append(n, t);
}

void twiml_free(struct twiml_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		twiml_free(n->kids[i]);
	for (size_t i = 0; i < n->nattrs; i++) {
		free(n->attrs[i].name);
		free(n->attrs[i].value);
	}
	free(n->kids);
	free(n->attrs);
	free(n->name);
	free(n->text);
	free(n);
}

const char *twiml_get(const struct twiml_node *n, const char *name)
{
	if (!n || n->kind != TWIML_ELEMENT)
		return NULL;
	for (size_t i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return n->attrs[i].value;
	return NULL;
}

const char *twiml_attr(const struct twiml_node *n, const char *name)
{
	const char *v = twiml_get(n, name);
	if (v || !n || n->kind != TWIML_ELEMENT)
		return v;
	const struct twiml_attr_schema *a = twiml_schema_attr(twiml_schema_find(n->name), name);
	return a ? a->def : NULL;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

bool twiml_has_text(const struct twiml_node *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->kind == TWIML_TEXT && !blank(n->kids[i]->text))
			return true;
	return false;
}

struct str twiml_text(const struct twiml_node *n)
{
	if (n) {
		for (size_t i = 0; i < n->nkids; i++) {
			const struct twiml_node *k = n->kids[i];
			if (k->kind == TWIML_TEXT && !blank(k->text))
				return str_trim(str_c(k->text));
		}
	}
	return (struct str){"", 0};
}

/* Kids that count: white-space-only text is layout unless the element holds real text. */
static bool kid_counts(const struct twiml_node *k, bool mixed)
{
	return k->kind == TWIML_ELEMENT || mixed || !blank(k->text);
}

/* s without the XML white space (space, tab, CR, LF) around it. */
static struct str xml_trim(const char *s)
{
	size_t n = strlen(s);
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return (struct str){s, n};
}

/* Whether n holds text beside elements where its schema says the text is not mixed
 * content (a <Sip>'s URI beside <Headers>, a <Dial>'s number beside nouns): then the
 * renderer puts each on its own indented line, so the white space around that text is
 * layout, as Twilio reads it (its examples put a <Sip> URI on its own line). */
static bool text_is_layout(const struct twiml_node *n)
{
	bool elements = false; /* the cheap tests first: most text stands alone */
	for (size_t i = 0; i < n->nkids && !elements; i++)
		elements = n->kids[i]->kind == TWIML_ELEMENT;
	if (!elements || !twiml_has_text(n))
		return false;
	const struct twiml_elem_schema *e = twiml_schema_find(n->name);
	return e && !e->mixed;
}

bool twiml_equal(const struct twiml_node *a, const struct twiml_node *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->kind != b->kind)
		return false;
	if (a->kind == TWIML_TEXT)
		return strcmp(a->text, b->text) == 0;
	if (strcmp(a->name, b->name) != 0 || a->nattrs != b->nattrs)
		return false;
	for (size_t i = 0; i < a->nattrs; i++) {
		const char *v = twiml_get(b, a->attrs[i].name);
		if (!v || strcmp(v, a->attrs[i].value) != 0)
			return false;
	}
	/* layout text (see text_is_layout) compares without the white space around it */
	bool lay = text_is_layout(a) && text_is_layout(b);
	bool ma = twiml_has_text(a) && !lay, mb = twiml_has_text(b) && !lay;
	size_t i = 0, j = 0;
	for (;;) {
		while (i < a->nkids && !kid_counts(a->kids[i], ma))
			i++;
		while (j < b->nkids && !kid_counts(b->kids[j], mb))
			j++;
		if (i == a->nkids || j == b->nkids)
			return i == a->nkids && j == b->nkids;
		const struct twiml_node *ka = a->kids[i], *kb = b->kids[j];
		if (lay && ka->kind == TWIML_TEXT && kb->kind == TWIML_TEXT) {
			if (!str_eq(xml_trim(ka->text), xml_trim(kb->text)))
				return false;
		} else if (!twiml_equal(ka, kb)) {
			return false;
		}
		i++;
		j++;
	}
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 when invalid. */
size_t twiml_utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	unsigned cp = c & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Escapes s for XML text (attr = false) or a double-quoted attribute value.
 * Characters XML 1.0 cannot carry (C0 controls but tab/LF/CR, invalid UTF-8)
 * become U+FFFD so the output always parses. */
static int escape_n(struct buf *out, const char *s, size_t n, bool attr)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = 0;
	while (n && rc == 0) {
		size_t run = 0;
		/* copy runs of plain characters in one call */
		while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '&' &&
		       p[run] != '<' && p[run] != '>' && p[run] != '"')
			run++;
		if (run) {
			rc = buf_add(out, p, run);
			p += run;
			n -= run;
			continue;
		}
		size_t len = 1;
		switch (*p) {
		case '&':
			rc = buf_adds(out, "&amp;");
			break;
		case '<':
			rc = buf_adds(out, "&lt;");
			break;
		case '>':
			rc = buf_adds(out, "&gt;");
			break;
		case '"':
			rc = attr ? buf_adds(out, "&quot;") : buf_addc(out, '"');
			break;
		case '\t':
			rc = attr ? buf_adds(out, "&#9;") : buf_addc(out, '\t');
			break;
		case '\n':
			rc = attr ? buf_adds(out, "&#10;") : buf_addc(out, '\n');
			break;
		case '\r':
			rc = buf_adds(out, "&#13;");
			break;
		default:
			len = *p < 0x20 ? 0 : twiml_utf8_len(p, n);
			if (len) {
				rc = buf_add(out, p, len);
			} else {
				rc = buf_adds(out, "\xef\xbf\xbd");
				len = 1;
			}
		}
		p += len;
		n -= len;
	}
	return rc;
}

static int escape(struct buf *out, const char *s, bool attr)
{
	return escape_n(out, s, strlen(s), attr);
}

static int render_attrs(const struct twiml_node *n, struct buf *out)
{
	const struct twiml_elem_schema *e = twiml_schema_find(n->name);
	size_t known = e ? e->nattrs : 0;
	size_t small[16],
	    *idx = n->nattrs <= 16 ? small : xreallocarray(NULL, n->nattrs, sizeof(*idx));
	int rc = 0;
	for (size_t i = 0; i < n->nattrs; i++)
		idx[i] = twiml_schema_attr_index(e, n->attrs[i].name);
	/* schema order first, then unknown attributes in their own order */
	for (size_t k = 0; k <= known && rc == 0; k++) {
		for (size_t i = 0; i < n->nattrs && rc == 0; i++) {
			if (idx[i] != k)
				continue;
			rc = buf_addc(out, ' ');
			rc = rc ? rc : escape(out, n->attrs[i].name, true);
			rc = rc ? rc : buf_adds(out, "=\"");
			rc = rc ? rc : escape(out, n->attrs[i].value, true);
			rc = rc ? rc : buf_addc(out, '"');
		}
	}
	if (idx != small)
		free(idx);
	return rc;
}

static int indent(struct buf *out, size_t depth)
{
	int rc = 0;
	for (size_t i = 0; i < depth && rc == 0; i++)
		rc = buf_add(out, "  ", 2);
	return rc;
}

static int render_node(const struct twiml_node *n, struct buf *out, size_t depth, bool inline_)
{
	if (n->kind == TWIML_TEXT)
		return escape(out, n->text, false);
	int rc = inline_ ? 0 : indent(out, depth);
	rc = rc ? rc : buf_addc(out, '<');
	rc = rc ? rc : escape(out, n->name, true);
	rc = rc ? rc : render_attrs(n, out);
	if (rc)
		return rc;
	bool mixed = twiml_has_text(n);
	bool lay = mixed && !inline_ && text_is_layout(n);
	mixed = mixed && !lay;
	size_t counted = 0;
	for (size_t i = 0; i < n->nkids; i++)
		counted += kid_counts(n->kids[i], mixed);
	if (counted == 0)
		return buf_adds(out, inline_ ? "/>" : "/>\n");
	rc = buf_addc(out, '>');
	bool inl = inline_ || mixed;
	if (!inl)
		rc = rc ? rc : buf_addc(out, '\n');
	for (size_t i = 0; i < n->nkids && rc == 0; i++) {
		const struct twiml_node *k = n->kids[i];
		if (!kid_counts(k, mixed))
			continue;
		if (lay && k->kind == TWIML_TEXT) { /* on its own line, like the elements */
			struct str t = xml_trim(k->text);
			rc = indent(out, depth + 1);
			rc = rc ? rc : escape_n(out, t.p, t.len, false);
			rc = rc ? rc : buf_addc(out, '\n');
		} else {
			rc = render_node(k, out, depth + 1, inl);
		}
	}
	if (!inl)
		rc = rc ? rc : indent(out, depth);
	rc = rc ? rc : buf_adds(out, "</");
	rc = rc ? rc : escape(out, n->name, true);
	rc = rc ? rc : buf_adds(out, inline_ ? ">" : ">\n");
	return rc;
}

int twiml_render(const struct twiml_node *root, struct buf *out)
{
	int rc = buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	return rc ? rc : render_node(root, out, 0, false);
}

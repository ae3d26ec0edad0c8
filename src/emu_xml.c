/* emu_xml: a small TwiML reader for the emulator until twiml_parse lands. */
#include "emu_xml.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

struct rd {
	const char *s, *end;
	size_t nodes;
	char *err;
	size_t errlen;
};

static int fail(struct rd *r, int e, const char *why)
{
	if (r->err && r->errlen)
		snprintf(r->err, r->errlen, "%s", why);
	return e;
}

struct twiml_node *emu_xml_node(const char *name, const char *text)
{
	struct twiml_node *n = xcalloc(1, sizeof(*n));
	n->kind = name ? TWIML_ELEMENT : TWIML_TEXT;
	n->name = name ? xstrdup(name) : NULL;
	n->text = text ? xstrdup(text) : NULL;
	return n;
}

void emu_xml_append(struct twiml_node *parent, struct twiml_node *kid)
{
	parent->kids = xreallocarray(parent->kids, parent->nkids + 1, sizeof(*parent->kids));
	parent->kids[parent->nkids++] = kid;
}

void emu_xml_free(struct twiml_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		emu_xml_free(n->kids[i]);
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

const char *emu_xml_attr(const struct twiml_node *n, const char *name)
{
	for (size_t i = 0; n && i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return n->attrs[i].value;
	return NULL;
}

char *emu_xml_text(const struct twiml_node *n)
{
	struct buf b;
	buf_init(&b, TWIML_MAX_BYTES);
	for (size_t i = 0; n && i < n->nkids; i++)
		if (n->kids[i]->kind == TWIML_TEXT && buf_adds(&b, n->kids[i]->text) != 0)
			break;
	const char *s = buf_str(&b);
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	char *out = xstrndup(s, len);
	buf_free(&b);
	return out;
}

/* Decodes entities of [p, p+n) into a new string; NULL when one is malformed. */
static char *decode(const char *p, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n;) {
		if (p[i] != '&') {
			*o++ = p[i++];
			continue;
		}
		const char *semi = memchr(p + i, ';', n - i);
		if (!semi || semi - (p + i) > 10) {
			free(out);
			return NULL;
		}
		size_t el = (size_t)(semi - (p + i)) + 1;
		static const struct {
			const char *name;
			char c;
		} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
		int done = 0;
		for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
			if (strlen(ents[k].name) == el && memcmp(ents[k].name, p + i, el) == 0) {
				*o++ = ents[k].c;
				done = 1;
			}
		if (!done && el > 3 && p[i + 1] == '#') {
			unsigned long cp = p[i + 2] == 'x' ? strtoul(p + i + 3, NULL, 16)
			                                   : strtoul(p + i + 2, NULL, 10);
			if (cp == 0 || cp > 0x10FFFF) {
				free(out);
				return NULL;
			}
			if (cp < 0x80) {
				*o++ = (char)cp;
			} else if (cp < 0x800) { /* at most 4 bytes for 4+ chars of entity */
				*o++ = (char)(0xC0 | (cp >> 6));
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000 && el >= 5) {
				*o++ = (char)(0xE0 | (cp >> 12));
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else {
				*o++ = '?';
			}
			done = 1;
		}
		if (!done) {
			free(out);
			return NULL;
		}
		i += el;
	}
	*o = 0;
	return out;
}

static int is_name(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == ':' || c == '.';
}

static void skip_ws(struct rd *r)
{
	while (r->s < r->end && isspace((unsigned char)*r->s))
		r->s++;
}

/* Skips comments, processing instructions and DOCTYPE; 1 when something was skipped. */
static int skip_misc(struct rd *r, int *e)
{
	const char *close = NULL;
	size_t skip = 0;
	if (r->end - r->s >= 4 && memcmp(r->s, "<!--", 4) == 0) {
		close = memmem(r->s + 4, (size_t)(r->end - r->s - 4), "-->", 3);
		skip = 3;
	} else if (r->end - r->s >= 2 && (memcmp(r->s, "<?", 2) == 0 || memcmp(r->s, "<!", 2) == 0)) {
		close = memchr(r->s, '>', (size_t)(r->end - r->s));
		skip = 1;
	} else {
		return 0;
	}
	if (!close || close >= r->end) {
		*e = fail(r, EBADMSG, "unterminated comment or declaration");
		return 0;
	}
	r->s = close + skip;
	return 1;
}

static int element(struct rd *r, int depth, struct twiml_node **out);

static int content(struct rd *r, int depth, struct twiml_node *n)
{
	for (;;) {
		const char *lt = memchr(r->s, '<', (size_t)(r->end - r->s));
		if (!lt)
			return fail(r, EBADMSG, "missing closing tag");
		if (lt > r->s) {
			const char *q = r->s;
			while (q < lt && isspace((unsigned char)*q))
				q++;
			if (q < lt) {
				char *t = decode(r->s, (size_t)(lt - r->s));
				if (!t)
					return fail(r, EBADMSG, "bad entity in text");
				struct twiml_node *k = emu_xml_node(NULL, NULL);
				k->text = t;
				emu_xml_append(n, k);
				if (++r->nodes > EMU_XML_MAX_NODES)
					return fail(r, E2BIG, "too many nodes");
			}
			r->s = lt;
		}
		int e = 0;
		if (skip_misc(r, &e))
			continue;
		if (e)
			return e;
		if (r->end - r->s >= 2 && r->s[1] == '/') {
			size_t nl = strlen(n->name);
			if ((size_t)(r->end - r->s) < nl + 3 || memcmp(r->s + 2, n->name, nl) != 0)
				return fail(r, EBADMSG, "mismatched closing tag");
			r->s += 2 + nl;
			skip_ws(r);
			if (r->s >= r->end || *r->s != '>')
				return fail(r, EBADMSG, "mismatched closing tag");
			r->s++;
			return 0;
		}
		struct twiml_node *k = NULL;
		e = element(r, depth + 1, &k);
		if (e)
			return e;
		emu_xml_append(n, k);
	}
}

static int element(struct rd *r, int depth, struct twiml_node **out)
{
	if (depth > EMU_XML_MAX_DEPTH)
		return fail(r, E2BIG, "nesting too deep");
	if (r->s >= r->end || *r->s != '<')
		return fail(r, EBADMSG, "expected an element");
	r->s++;
	const char *nm = r->s;
	while (r->s < r->end && is_name(*r->s))
		r->s++;
	if (r->s == nm)
		return fail(r, EBADMSG, "bad element name");
	char *name = xstrndup(nm, (size_t)(r->s - nm));
	struct twiml_node *n = emu_xml_node(name, NULL);
	free(name);
	int e = 0;
	if (++r->nodes > EMU_XML_MAX_NODES) {
		e = fail(r, E2BIG, "too many nodes");
		goto out;
	}
	for (;;) {
		skip_ws(r);
		if (r->s >= r->end) {
			e = fail(r, EBADMSG, "unterminated tag");
			goto out;
		}
		if (*r->s == '/' && r->s + 1 < r->end && r->s[1] == '>') {
			r->s += 2;
			goto out;
		}
		if (*r->s == '>') {
			r->s++;
			e = content(r, depth, n);
			goto out;
		}
		const char *an = r->s;
		while (r->s < r->end && is_name(*r->s))
			r->s++;
		size_t anl = (size_t)(r->s - an);
		skip_ws(r);
		if (!anl || r->s >= r->end || *r->s != '=') {
			e = fail(r, EBADMSG, "bad attribute");
			goto out;
		}
		r->s++;
		skip_ws(r);
		char qc = r->s < r->end ? *r->s : 0;
		const char *close = (qc == '"' || qc == '\'')
		                        ? memchr(r->s + 1, qc, (size_t)(r->end - r->s - 1))
		                        : NULL;
		if (!close) {
			e = fail(r, EBADMSG, "unquoted or unterminated attribute value");
			goto out;
		}
		char *v = decode(r->s + 1, (size_t)(close - r->s - 1));
		if (!v) {
			e = fail(r, EBADMSG, "bad entity in attribute");
			goto out;
		}
		n->attrs = xreallocarray(n->attrs, n->nattrs + 1, sizeof(*n->attrs));
		n->attrs[n->nattrs++] = (struct twiml_attr){xstrndup(an, anl), v, 0, 0};
		r->s = close + 1;
	}
out:
	if (e)
		emu_xml_free(n);
	else
		*out = n;
	return e;
}

int emu_xml_parse(const char *s, size_t len, struct twiml_node **out, char *err, size_t errlen)
{
	struct rd r = {s, s + len, 0, err, errlen};
	int e = 0;
	if (len > TWIML_MAX_BYTES)
		return fail(&r, E2BIG, "document over 64 kB");
	if (memchr(s, 0, len))
		return fail(&r, EBADMSG, "NUL byte in document");
	for (;;) {
		skip_ws(&r);
		if (!skip_misc(&r, &e))
			break;
	}
	if (e)
		return e;
	struct twiml_node *root = NULL;
	e = element(&r, 0, &root);
	if (e)
		return e;
	for (;;) {
		skip_ws(&r);
		if (!skip_misc(&r, &e))
			break;
	}
	if (e || r.s != r.end) {
		emu_xml_free(root);
		return e ? e : fail(&r, EBADMSG, "content after the root element");
	}
	*out = root;
	return 0;
}

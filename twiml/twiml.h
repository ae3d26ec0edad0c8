/* twiml: the TwiML document model, builder and renderer (contract; the
 * schema table, reader and validator live beside it in twiml/). */
#ifndef HANDOFF_TWIML_H
#define HANDOFF_TWIML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/str.h"

#define TWIML_MAX_BYTES (64 * 1024) /* Twilio's response limit (11750) */
#define TWIML_MAX_DEPTH 64          /* element nesting the reader accepts (real TwiML: < 10) */

enum twiml_kind { TWIML_ELEMENT, TWIML_TEXT };

struct twiml_attr {
	char *name;
	char *value;
	unsigned line, col; /* 0 when built, not parsed */
};

/* A node owns its name, text, attributes and children. */
struct twiml_node {
	enum twiml_kind kind;
	char *name; /* element name as written (NULL for text) */
	char *text; /* the text of a TWIML_TEXT node */
	struct twiml_attr *attrs;
	size_t nattrs;
	struct twiml_node **kids; /* elements and text, in document order */
	size_t nkids;
	unsigned line, col;
};

/* Builder. Every function copies its string arguments; none fails (OOM aborts). */
struct twiml_node *twiml_new(const char *name);
/* Appends a child element and returns it (owned by parent). */
struct twiml_node *twiml_add(struct twiml_node *parent, const char *name);
/* Sets an attribute, replacing an existing one of the same name. */
void twiml_set(struct twiml_node *n, const char *name, const char *value);
/* Appends a text child. */
void twiml_add_text(struct twiml_node *n, const char *text);
/* Frees a node and everything below it; NULL is fine. */
void twiml_free(struct twiml_node *n);

/* Renders a whole document (XML declaration, two-space indent, attributes in
 * the schema's order, text and attribute values escaped) into out, which the
 * caller initialised. Returns 0, or E2BIG when out's cap was reached. */
int twiml_render(const struct twiml_node *root, struct buf *out);

/* Appends an existing node (element or text) to parent, which then owns it. */
void twiml_append(struct twiml_node *parent, struct twiml_node *kid);

/* The value of attribute name as written, or NULL. Points into n. */
const char *twiml_get(const struct twiml_node *n, const char *name);
/* The value as written, else the schema's documented default, else NULL.
 * Points into n or the static schema table; never freed by the caller. */
const char *twiml_attr(const struct twiml_node *n, const char *name);
/* The first non-blank text child of n, trimmed (e.g. a <Sip>'s URI); ""
 * when none. Points into n. */
struct str twiml_text(const struct twiml_node *n);
/* Whether n has a text child that is not only white space (mixed content). */
bool twiml_has_text(const struct twiml_node *n);
/* Structural equality: names, attributes (as a set), text and children in
 * order; white-space-only text beside elements is layout and ignored. */
bool twiml_equal(const struct twiml_node *a, const struct twiml_node *b);
/* Length of the valid UTF-8 sequence at p (n > 0 bytes left), 0 if invalid. */
size_t twiml_utf8_len(const unsigned char *p, size_t n);

#endif

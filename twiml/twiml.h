/* twiml: the TwiML document model, builder and renderer (contract; the
 * schema table, reader and validator live beside it in twiml/). */
#ifndef HANDOFF_TWIML_H
#define HANDOFF_TWIML_H

#include <stddef.h>

#include "util/buf.h"

#define TWIML_MAX_BYTES (64 * 1024) /* Twilio's response limit (11750) */

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

#endif

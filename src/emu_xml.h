/* emu_xml: a small TwiML reader for the emulator until twiml_parse lands (a seam, not a library). */
#ifndef HANDOFF_EMU_XML_H
#define HANDOFF_EMU_XML_H

#include <stddef.h>

#include "twiml/twiml.h"

#define EMU_XML_MAX_DEPTH 32   /* nesting limit */
#define EMU_XML_MAX_NODES 4096 /* elements + text nodes per document */

/* Reads an XML document of len bytes into a tree of twiml_node (elements, their
 * attributes, non-blank text with entities decoded; comments, the prolog and
 * processing instructions skipped). On success *out is the root (free it with
 * emu_xml_free) and 0 is returned; otherwise EBADMSG (malformed) or E2BIG (over a
 * limit), with a reason in err (may be NULL) and *out untouched. */
int emu_xml_parse(const char *s, size_t len, struct twiml_node **out, char *err, size_t errlen);

/* Frees a tree built by emu_xml_parse or emu_xml_node; NULL is fine. */
void emu_xml_free(struct twiml_node *n);

/* Builds one node (element name, or text when name is NULL), owned by the caller
 * or by the parent it is appended to with emu_xml_append. */
struct twiml_node *emu_xml_node(const char *name, const char *text);
void emu_xml_append(struct twiml_node *parent, struct twiml_node *kid);

/* The value of attribute name on n, or NULL. */
const char *emu_xml_attr(const struct twiml_node *n, const char *name);
/* The concatenated, trimmed text of n's text children (caller frees). */
char *emu_xml_text(const struct twiml_node *n);

#endif

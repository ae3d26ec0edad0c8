/* reader: TwiML text into a document (the only code that includes libxml2). */
#ifndef HANDOFF_TWIML_READER_H
#define HANDOFF_TWIML_READER_H

#include <stddef.h>

#include "twiml/findings.h"
#include "twiml/twiml.h"

/* Parses len bytes of TwiML (the only code that touches libxml2). No network,
 * no DTD, no entity expansion (a DOCTYPE is refused), nesting capped at
 * TWIML_MAX_DEPTH. Every element, attribute and text node gets its line and
 * column. On success returns 0 and sets *rootp (free with twiml_free); else
 * adds a finding to f (which may be NULL) and returns E2BIG (over
 * TWIML_MAX_BYTES: 11750, the input is not read) or EBADMSG (12100: empty,
 * invalid UTF-8, not well-formed, too deep); *rootp is then untouched. */
int twiml_parse(const char *data, size_t len, struct twiml_node **rootp, struct twiml_findings *f);

#endif

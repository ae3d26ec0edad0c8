/* lint: reading TwiML text into a document (twiml/reader.h) and checking it against the
 * schema (twiml/validate.h), in one call; the findings list is twiml/findings.h. */
#ifndef HANDOFF_TWIML_LINT_H
#define HANDOFF_TWIML_LINT_H

#include <stddef.h>

#include "twiml/findings.h"
#include "twiml/reader.h"
#include "twiml/schema.h"
#include "twiml/twiml.h"
#include "twiml/validate.h"

/* twiml_parse then twiml_validate. Returns what twiml_parse returned; on 0
 * and when rootp is not NULL hands the document over (else frees it). */
int twiml_lint(const char *data, size_t len, struct twiml_node **rootp, struct twiml_findings *f);

#endif

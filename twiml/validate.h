/* validate: a document checked against the schema and the rules. */
#ifndef HANDOFF_TWIML_VALIDATE_H
#define HANDOFF_TWIML_VALIDATE_H

#include "twiml/findings.h"
#include "twiml/twiml.h"

#define TWIML_MAX_DIAL_NOUNS 10   /* nouns one <Dial> may ring (D-SIP, D-NUM) */
#define TWIML_MAX_SIP_HDRS   1023 /* the headers part of a SIP URI: under 1024 (21227) */

/* Checks a document against the schema and rules: 12102 (root), 12200
 * (unknown or misplaced element/attribute, text where none is allowed),
 * 13000, 13xxx (bad attribute values), 21227. Adds findings to f. */
void twiml_validate(const struct twiml_node *root, struct twiml_findings *f);

#endif

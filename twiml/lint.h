/* lint: reading TwiML text into a document (twiml/reader.c) and checking it against the schema
 * (twiml/validate.c). */
#ifndef HANDOFF_TWIML_LINT_H
#define HANDOFF_TWIML_LINT_H

#include <stdarg.h>
#include <stddef.h>

#include "twiml/schema.h"
#include "twiml/twiml.h"

#define TWIML_MAX_DEPTH      64   /* element nesting the reader accepts (real TwiML: < 10) */
#define TWIML_MAX_FINDINGS   100  /* findings kept per document; the rest are counted */
#define TWIML_MAX_MSG        240  /* bytes of one finding's message */
#define TWIML_MAX_DIAL_NOUNS 10   /* nouns one <Dial> may ring (D-SIP, D-NUM) */
#define TWIML_MAX_SIP_HDRS   1023 /* the headers part of a SIP URI: under 1024 (21227) */

/* One finding: where (1-based; 0 when unknown), how bad, Twilio's code, what. */
struct twiml_finding {
	unsigned line, col;
	enum twiml_level level;
	int code;
	char msg[TWIML_MAX_MSG];
};

/* The findings of one document, in the order found. Caller-owned: start with
 * twiml_findings_init, end with twiml_findings_free. */
struct twiml_findings {
	struct twiml_finding *v;
	size_t n, cap;
	size_t dropped;          /* findings past TWIML_MAX_FINDINGS, not stored */
	size_t errors, warnings; /* counts, dropped ones included */
};

void twiml_findings_init(struct twiml_findings *f);
void twiml_findings_free(struct twiml_findings *f);
/* Records a finding; its level comes from the code table (warning when unknown). */
void twiml_finding_add(struct twiml_findings *f, unsigned line, unsigned col, int code,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Parses len bytes of TwiML (the only code that touches libxml2). No network,
 * no DTD, no entity expansion (a DOCTYPE is refused), nesting capped at
 * TWIML_MAX_DEPTH. Every element, attribute and text node gets its line and
 * column. On success returns 0 and sets *rootp (free with twiml_free); else
 * adds a finding to f (which may be NULL) and returns E2BIG (over
 * TWIML_MAX_BYTES: 11750, the input is not read) or EBADMSG (12100: empty,
 * invalid UTF-8, not well-formed, too deep); *rootp is then untouched. */
int twiml_parse(const char *data, size_t len, struct twiml_node **rootp, struct twiml_findings *f);

/* Checks a document against the schema and rules: 12102 (root), 12200
 * (unknown or misplaced element/attribute, text where none is allowed),
 * 13000, 13xxx (bad attribute values), 21227. Adds findings to f. */
void twiml_validate(const struct twiml_node *root, struct twiml_findings *f);

/* twiml_parse then twiml_validate. Returns what twiml_parse returned; on 0
 * and when rootp is not NULL hands the document over (else frees it). */
int twiml_lint(const char *data, size_t len, struct twiml_node **rootp, struct twiml_findings *f);

#endif

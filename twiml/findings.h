/* findings: what reading and checking a TwiML document found (Twilio's codes, with line and
 * column), kept in a caller-owned list. */
#ifndef HANDOFF_TWIML_FINDINGS_H
#define HANDOFF_TWIML_FINDINGS_H

#include <stdarg.h>
#include <stddef.h>

#include "twiml/schema.h"

#define TWIML_MAX_FINDINGS 100 /* findings kept per document; the rest are counted */
#define TWIML_MAX_MSG      240 /* bytes of one finding's message */

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

#endif

/* findings: the list of what the reader and the validator found in one document. */
#include "twiml/findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void twiml_findings_init(struct twiml_findings *f)
{
	memset(f, 0, sizeof(*f));
}

void twiml_findings_free(struct twiml_findings *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

void twiml_finding_add(struct twiml_findings *f, unsigned line, unsigned col, int code,
                       const char *fmt, ...)
{
	const struct twiml_code *c = twiml_code_find(code);
	enum twiml_level level = c ? c->level : TWIML_WARNING;
	if (level == TWIML_ERROR)
		f->errors++;
	else
		f->warnings++;
	if (f->n >= TWIML_MAX_FINDINGS) {
		f->dropped++;
		return;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 8;
		f->v = xreallocarray(f->v, f->cap, sizeof(*f->v));
	}
	struct twiml_finding *x = &f->v[f->n++];
	x->line = line;
	x->col = col;
	x->code = code;
	x->level = level;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
}

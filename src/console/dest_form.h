/* dest_form: a destination as the console's form holds it (the fields table, reading a
 * posted form, every field's error, the TwiML preview, the equivalent command line). */
#ifndef HANDOFF_CONSOLE_DEST_FORM_H
#define HANDOFF_CONSOLE_DEST_FORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "console/console_int.h"
#include "webhooks/dest.h"

#define DEST_FORM_MAX_ROWS (DEST_MAX_HEADERS + 4) /* header rows read (more: refused) */

/* One field of the form, the destinations list's detail and the command line. A new
 * field of struct dest (opening hours, failover) is one more row of dest_fields: lines
 * makes it a textarea whose every line is one repeated CLI option (--open 'mon-fri
 * 09:00-17:00' --open ...). The headers are their own rows below these. */
struct dest_field {
	const char *name; /* the form field, and the dest_error.field its errors name */
	const char *label;
	const char *cli;  /* the 'handoff dest add|set' option */
	const char *hint; /* shown under the input */
	const char *placeholder;
	bool lines;
	void (*get)(const struct dest *d, struct buf *out); /* the value as the form shows it */
	/* from the form (value points into the decoded form, which outlives d); EINVAL with e
	 * filled (the CLI's message) when it cannot be read */
	int (*set)(struct dest *d, char *value, struct dest_error *e);
};
extern const struct dest_field dest_fields[]; /* NULL-name-terminated */

/* A destination read from a form; its strings point into the decoded form. */
struct dest_form {
	struct dest d;
	struct dest_header h[DEST_FORM_MAX_ROWS];
	size_t nh;
	struct dest_error parse[DEST_FIELDS_MAX]; /* fields that did not parse (timeout "x") */
	size_t nparse;
	struct dest_errors errs; /* after dest_form_check */
	const char *sample_from, *sample_refer;
};

/* Reads f (name: the destination's name, from the form or the URL). */
void dest_form_read(struct dest_form *df, const struct form *f, const char *name);
/* Every field's error (the CLI's messages): fills df->errs, returns how many. */
size_t dest_form_check(struct dest_form *df);
/* The error of one field after dest_form_check, or NULL. */
const char *dest_form_error(const struct dest_form *df, const char *field);
json_t *dest_form_errors_json(const struct dest_form *df);

/* The TwiML 'handoff dest preview NAME From=...' prints for d, into twiml; on failure
 * why into err and an errno value. refer_to: a sample Refer-To (NULL: <sip:NAME@...>). */
int dest_form_preview(const struct dest *d, const char *from, const char *refer_to,
                      struct buf *twiml, struct buf *err);
/* The linter's findings on a TwiML text: [{"code", "level", "line", "msg"}]. */
json_t *dest_form_lint(const char *twiml);

/* 'handoff dest add|set NAME --route ... --header ...', shell-quoted text (not HTML). */
void dest_form_cmdline(const struct dest *d, bool add, struct buf *out);

#endif

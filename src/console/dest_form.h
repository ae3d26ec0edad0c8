/* dest_form: a destination as the console's form holds it (the fields table, reading a
 * posted form, every field's error, the TwiML preview, the equivalent command line). */
#ifndef HANDOFF_CONSOLE_DEST_FORM_H
#define HANDOFF_CONSOLE_DEST_FORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "console/console_int.h"
#include "webhooks/dest.h"
#include "webhooks/dest_set.h"

#define DEST_FORM_MAX_ROWS   (DEST_MAX_HEADERS + 4) /* header rows read (more: refused) */
#define DEST_FORM_FIELDS_MAX 16                     /* rows of dest_fields */

struct dest_form;

/* One field of the form, the destinations list's detail and the command line. A new
 * field of struct dest is one more row of dest_fields: lines makes it a textarea whose
 * every line is one repeated CLI option (--open 'mon-fri 09:00-17:00' --open ...). Rows
 * of a group (the opening hours) are drawn in one fieldset, whose errors (a dest_error
 * whose field is the group's name, "hours") show under it. The headers are their own rows
 * below these. */
struct dest_field {
	const char *name; /* the form field, and the dest_error.field its errors name */
	const char *label;
	const char *cli;  /* the 'handoff dest add|set' option */
	const char *hint; /* shown under the input */
	const char *placeholder;
	bool lines;
	const char *group; /* NULL, or the dest_field_groups row it is drawn in */
	/* 'dest set': the option that clears the field (and the rest of its group) first,
	 * written before it ("--clear-failover", "--clear-hours"); the field's empty value
	 * is then left out. NULL: an empty value is written, which clears it */
	const char *clear;
	/* 'dest set': what an empty value is written as ("0" for --timeout); NULL: '' */
	const char *empty;
	/* the value as the form shows it (lines: one a line, '\n'-separated) */
	void (*get)(const struct dest *d, struct buf *out);
	/* from the form into df->d (value points into the decoded form, which outlives df, and
	 * may be cut into lines in place; a list's array is df's); EINVAL with e filled (the
	 * CLI's message, without its "dest add NAME: ") when it cannot be read */
	int (*set)(struct dest_form *df, char *value, struct dest_error *e);
};
extern const struct dest_field dest_fields[]; /* NULL-name-terminated */

/* A fieldset of rows (dest_field.group names one). */
struct dest_field_group {
	const char *name; /* also the dest_error.field of the group's own rules */
	const char *legend;
	const char *hint;
};
extern const struct dest_field_group dest_field_groups[]; /* NULL-name-terminated */
const struct dest_field_group *dest_field_group(const char *name);

/* A destination read from a form; its strings point into the decoded form. */
struct dest_form {
	struct dest d;
	struct dest_header h[DEST_FORM_MAX_ROWS];
	size_t nh;
	char *failover[DEST_MAX_FAILOVER];        /* d.failover */
	struct dest_error parse[DEST_FIELDS_MAX]; /* fields that did not parse (timeout "x") */
	size_t nparse;
	const char *typed[DEST_FORM_FIELDS_MAX]; /* by dest_fields row: as posted, when it did
	                                          * not parse (NULL: it did) */
	struct dest_errors errs;                 /* after dest_form_check */
	const char *sample_from, *sample_refer;
};

/* Reads f (name: the destination's name, from the form or the URL). */
void dest_form_read(struct dest_form *df, const struct form *f, const char *name);
/* Every field's error (the CLI's messages): fills df->errs, returns how many. set: the
 * sandbox df is saved into (NULL: not checked against one): then, as the store checks on
 * saving, --otherwise must name a destination of it without a cycle, and the zone must be
 * in the system's tz database (read from store/zones), each under "hours". */
size_t dest_form_check(struct dest_form *df, const struct dest_set *set);
/* The error of one field after dest_form_check, or NULL. */
const char *dest_form_error(const struct dest_form *df, const char *field);
json_t *dest_form_errors_json(const struct dest_form *df);

/* The TwiML 'handoff dest preview NAME From=...' prints for d, into twiml; on failure
 * why into err and an errno value. refer_to: a sample Refer-To (NULL: <sip:NAME@...>). */
int dest_form_preview(const struct dest *d, const char *from, const char *refer_to,
                      struct buf *twiml, struct buf *err);
/* The linter's findings on a TwiML text: [{"code", "level", "line", "msg"}]. */
json_t *dest_form_lint(const char *twiml);

/* 'handoff dest add|set NAME --route ... --header ...', shell-quoted text (not HTML): run
 * as it is, it leaves the destination as d (set: every field given or cleared). df (may
 * be NULL): the form d was read from; a field of it that did not parse is written as
 * typed, so the command refuses it with the same message. */
void dest_form_cmdline(const struct dest *d, const struct dest_form *df, bool add, struct buf *out);

#endif

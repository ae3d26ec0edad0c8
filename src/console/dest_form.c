/* dest_form: a destination as the console's form holds it: the fields table (label, CLI
 * option, how to read and write each), reading a posted form, every field's error, the
 * TwiML preview and the equivalent 'handoff dest add|set' line. */
#include "console/dest_form.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/zones.h"
#include "twiml/lint.h"
#include "twiml/twiml.h"
#include "util/mem.h"
#include "webhooks/target.h"

/* ---- the fields: a new field of struct dest is a new row here ---- */

static void show_str(const struct dest *d, size_t off, struct buf *out)
{
	const char *s = *(char *const *)((const char *)d + off);
	if (s)
		buf_adds(out, s);
}

static void get_description(const struct dest *d, struct buf *out)
{
	show_str(d, offsetof(struct dest, description), out);
}
static void get_route(const struct dest *d, struct buf *out)
{
	show_str(d, offsetof(struct dest, route), out);
}
static void get_caller_id(const struct dest *d, struct buf *out)
{
	show_str(d, offsetof(struct dest, caller_id), out);
}
static void get_timeout(const struct dest *d, struct buf *out)
{
	if (d->timeout)
		buf_printf(out, "%d", d->timeout);
}

static void get_failover(const struct dest *d, struct buf *out)
{
	for (size_t i = 0; i < d->nfailover; i++)
		buf_printf(out, "%s%s", i ? "\n" : "", d->failover[i] ? d->failover[i] : "");
}
static void get_tz(const struct dest *d, struct buf *out)
{
	if (d->hours.tz)
		buf_adds(out, d->hours.tz);
}
static void get_open(const struct dest *d, struct buf *out)
{
	char t[HOURS_TEXT_MAX];
	for (size_t i = 0; i < d->hours.nopen; i++) {
		hours_format_range(&d->hours.open[i], t);
		buf_printf(out, "%s%s", i ? "\n" : "", t);
	}
}
static void get_closed(const struct dest *d, struct buf *out)
{
	char t[HOURS_TEXT_MAX];
	for (size_t i = 0; i < d->hours.nclosed; i++) {
		hours_format_date(&d->hours.closed[i], t);
		buf_printf(out, "%s%s", i ? "\n" : "", t);
	}
}
static void get_otherwise(const struct dest *d, struct buf *out)
{
	if (d->hours.otherwise)
		buf_adds(out, d->hours.otherwise);
}

/* The form gives every field: empty clears it (as 'dest set --description ""' does). */
static int set_description(struct dest_form *df, char *v, struct dest_error *e)
{
	(void)e;
	df->d.description = *v ? v : NULL;
	return 0;
}
static int set_route(struct dest_form *df, char *v, struct dest_error *e)
{
	(void)e;
	df->d.route = v;
	return 0;
}
static int set_caller_id(struct dest_form *df, char *v, struct dest_error *e)
{
	(void)e;
	df->d.caller_id = *v ? v : NULL;
	return 0;
}

static int refuse(struct dest_error *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(struct dest_error *e, const char *field, const char *fmt, ...)
{
	snprintf(e->field, sizeof(e->field), "%s", field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return EINVAL;
}

static int set_timeout(struct dest_form *df, char *v, struct dest_error *e)
{
	df->d.timeout = 0;
	if (!*v)
		return 0;
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || n < 0 || n > 1000000) /* the CLI's words (cmd_dest.c) */
		return refuse(
		    e, "timeout",
		    "timeout \"%.64s\" is not a number of seconds: give 5-600, e.g. --timeout 30",
		    v);
	df->d.timeout = (int)n;
	return 0;
}

/* The next line of a textarea (cut in place at *p), without the spaces around it and its
 * '\r'; NULL at the end. Empty lines are skipped. */
static char *next_line(char **p)
{
	while (**p) {
		char *line = *p;
		size_t n = strcspn(line, "\n");
		*p = line + n + (line[n] ? 1 : 0);
		line[n] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		size_t len = strlen(line);
		while (len && strchr(" \t\r", line[len - 1]))
			line[--len] = '\0';
		if (len)
			return line;
	}
	return NULL;
}

/* The same, copied into out (cut to cap), leaving the text as it was. */
static bool copy_line(const char **p, char *out, size_t cap)
{
	while (**p) {
		const char *line = *p;
		size_t n = strcspn(line, "\n");
		*p = line + n + (line[n] ? 1 : 0);
		while (n && (*line == ' ' || *line == '\t'))
			line++, n--;
		while (n && strchr(" \t\r", line[n - 1]))
			n--;
		if (n) {
			snprintf(out, cap, "%.*s", (int)n, line);
			return true;
		}
	}
	return false;
}

/* One --failover a line, in order (dest_validate checks each, and that none is twice). */
static int set_failover(struct dest_form *df, char *v, struct dest_error *e)
{
	df->d.failover = df->failover;
	df->d.nfailover = 0;
	size_t n = 0;
	char one[8];
	for (const char *p = v; copy_line(&p, one, sizeof(one));) /* counted before it is cut */
		n++;
	if (n > DEST_MAX_FAILOVER) /* the CLI's usage words */
		return refuse(e, "failover", "at most %d --failover routes", DEST_MAX_FAILOVER);
	for (char *line; (line = next_line(&v));)
		df->failover[df->d.nfailover++] = line;
	return 0;
}
static int set_tz(struct dest_form *df, char *v, struct dest_error *e)
{
	(void)e;
	df->d.hours.tz = *v ? v : NULL;
	return 0;
}
/* One --open a line; like the CLI, the first that does not parse is the error. */
static int set_open(struct dest_form *df, char *v, struct dest_error *e)
{
	struct dest_hours *h = &df->d.hours;
	char why[256], line[256];
	h->nopen = 0;
	for (const char *p = v; copy_line(&p, line, sizeof(line));) {
		if (h->nopen >= HOURS_OPEN_MAX)
			return refuse(e, "open", "at most %d --open options", HOURS_OPEN_MAX);
		if (hours_parse_range(line, &h->open[h->nopen], why, sizeof(why)))
			return refuse(e, "open", "%s", why);
		h->nopen++;
	}
	return 0;
}
/* One --closed a line ("none", as the CLI takes it, is no date). */
static int set_closed(struct dest_form *df, char *v, struct dest_error *e)
{
	struct dest_hours *h = &df->d.hours;
	char why[256], line[256];
	h->nclosed = 0;
	for (const char *p = v; copy_line(&p, line, sizeof(line));) {
		if (strcmp(line, "none") == 0)
			continue;
		if (h->nclosed >= HOURS_CLOSED_MAX)
			return refuse(e, "closed", "at most %d --closed options", HOURS_CLOSED_MAX);
		if (hours_parse_date(line, &h->closed[h->nclosed], why, sizeof(why)))
			return refuse(e, "closed", "%s", why);
		h->nclosed++;
	}
	return 0;
}
static int set_otherwise(struct dest_form *df, char *v, struct dest_error *e)
{
	(void)e;
	df->d.hours.otherwise = *v ? v : NULL;
	return 0;
}

const struct dest_field dest_fields[] = {
    {"description", "Description", "--description",
     "what this destination is for, so team mates know when to use it", "e.g. Billing desk", false,
     NULL, NULL, NULL, get_description, set_description},
    {"route", "Route (number or SIP URI)", "--route",
     "+E164 (e.g. +14155550100), tel:+E164, or a sip:/sips: URI", "sip:desk@pbx.example.com", false,
     NULL, NULL, NULL, get_route, set_route},
    {"failover", "Failover routes (one SIP URI a line)", "--failover",
     "up to 4 sip:/sips: URIs, tried in order when the route is busy, fails or does not answer "
     "(a SIP route only)",
     "sip:desk@pbx2.example.com", true, NULL, "--clear-failover", NULL, get_failover, set_failover},
    {"caller_id", "Caller ID", "--caller-id", "empty: the caller's own number", "", false, NULL,
     NULL, NULL, get_caller_id, set_caller_id},
    {"timeout", "Ring timeout (seconds)", "--timeout", "5-600; empty: Twilio's default (30)", "30",
     false, NULL, NULL, "0", get_timeout, set_timeout},
    {"tz", "Time zone", "--tz",
     "an IANA zone of the system's tz database, e.g. America/Los_Angeles; empty: no opening "
     "hours (it always answers)",
     "America/Los_Angeles", false, "hours", "--clear-hours", NULL, get_tz, set_tz},
    {"open", "Open (one range a line)", "--open",
     "DAYS HH:MM-HH:MM: mon-fri, sat, mon,wed, fri-mon or daily; 24:00 ends at midnight; a "
     "range past midnight is two",
     "mon-fri 08:00-18:00", true, "hours", NULL, NULL, get_open, set_open},
    {"closed", "Closed dates (one a line)", "--closed",
     "YYYY-MM-DD: whole local days on which it is closed", "2026-12-25", true, "hours", NULL, NULL,
     get_closed, set_closed},
    {"otherwise", "Otherwise", "--otherwise",
     "the destination of this set that answers outside the hours (it may have hours of its "
     "own; no cycles)",
     "after-hours", false, "hours", NULL, NULL, get_otherwise, set_otherwise},
    {NULL, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL},
};

_Static_assert(sizeof(dest_fields) / sizeof(dest_fields[0]) - 1 <= DEST_FORM_FIELDS_MAX,
               "DEST_FORM_FIELDS_MAX counts dest_fields");

const struct dest_field_group dest_field_groups[] = {
    {"hours", "Opening hours",
     "Outside them (and on closed dates) the server answers with the Otherwise destination, "
     "picked by the time of each request."},
    {NULL, NULL, NULL},
};

const struct dest_field_group *dest_field_group(const char *name)
{
	for (const struct dest_field_group *g = dest_field_groups; name && g->name; g++)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

/* ---- reading a posted form ---- */

void dest_form_read(struct dest_form *df, const struct form *f, const char *name)
{
	memset(df, 0, sizeof(*df));
	df->d.name = (char *)(name ? name : "");
	df->d.route = (char *)"";
	for (const struct dest_field *x = dest_fields; x->name; x++) {
		const char *v = form_get(f, x->name);
		struct dest_error e = {0};
		if (x->set(df, (char *)(v ? v : ""), &e) && df->nparse < DEST_FIELDS_MAX) {
			df->parse[df->nparse++] = e;
			df->typed[x - dest_fields] = v; /* the command line shows it as typed */
		}
	}
	/* header_name / header_value pairs, in order; a row with neither is skipped */
	const char *names[DEST_FORM_MAX_ROWS], *values[DEST_FORM_MAX_ROWS];
	size_t nn = 0, nv = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->p[i].name, "header_name") == 0 && nn < DEST_FORM_MAX_ROWS)
			names[nn++] = f->p[i].value;
		else if (strcmp(f->p[i].name, "header_value") == 0 && nv < DEST_FORM_MAX_ROWS)
			values[nv++] = f->p[i].value;
	}
	for (size_t i = 0; i < nn || i < nv; i++) {
		const char *hn = i < nn ? names[i] : "", *hv = i < nv ? values[i] : "";
		if (!*hn && !*hv)
			continue;
		if (df->nh < DEST_FORM_MAX_ROWS) {
			df->h[df->nh].name = (char *)hn;
			df->h[df->nh].value = (char *)hv;
			df->nh++;
		}
	}
	df->d.headers = df->h;
	df->d.nheaders = df->nh; /* over DEST_MAX_HEADERS: validation says so */
	df->sample_from = form_get(f, "sample_from");
	df->sample_refer = form_get(f, "sample_refer_to");
}

/* Whether an error of field is already said by one that did not parse: the same field, or
 * the group the unparsed field is in (an --open line that does not parse makes the hours
 * look empty: that is not news). */
static bool said(const struct dest_form *df, const char *field)
{
	for (size_t k = 0; k < df->nparse; k++) {
		if (strcmp(df->parse[k].field, field) == 0)
			return true;
		for (const struct dest_field *x = dest_fields; x->name; x++)
			if (x->group && strcmp(x->name, df->parse[k].field) == 0 &&
			    strcmp(x->group, field) == 0)
				return true;
	}
	return false;
}

static bool has_error(const struct dest_form *df, const char *field)
{
	return dest_form_error(df, field) != NULL;
}

static void add_error(struct dest_form *df, const struct dest_error *e)
{
	if (df->errs.n < DEST_FIELDS_MAX && !said(df, e->field) && !has_error(df, e->field))
		df->errs.v[df->errs.n++] = *e;
}

/* What the store checks on saving d into the sandbox, before it is saved: --otherwise
 * against the set with d in it (store_check_set: a message naming d loses its "NAME: ",
 * the CLI names it), then d's zone (zone_check_all's words). */
static void check_against(struct dest_form *df, const struct dest_set *set)
{
	const struct dest *d = &df->d;
	struct dest_error e = {.field = "hours"};
	if (has_error(df, "hours") || said(df, "hours"))
		return;
	struct dest *all = xcalloc(set->n + 1, sizeof(*all));
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++)
		if (strcasecmp(set->dests[i].name, d->name ? d->name : "") != 0)
			all[n++] = set->dests[i]; /* shallow: the set owns the strings */
	all[n++] = *d;
	int rc = dest_validate_otherwise(all, n, &e);
	free(all);
	if (rc) {
		size_t nl = strlen(d->name);
		if (nl && strncmp(e.msg, d->name, nl) == 0 && strncmp(e.msg + nl, ": ", 2) == 0)
			memmove(e.msg, e.msg + nl + 2, strlen(e.msg + nl + 2) + 1);
		add_error(df, &e);
		return;
	}
	if (d->hours.tz) {
		struct tz *z = NULL;
		if (zone_load(d->hours.tz, &z, e.msg, sizeof(e.msg)))
			add_error(df, &e);
		tz_free(z);
	}
}

size_t dest_form_check(struct dest_form *df, const struct dest_set *set)
{
	struct dest_errors all;
	dest_validate_all(&df->d, &all);
	df->errs.n = 0;
	/* a field that did not even parse reports that first, once */
	for (size_t i = 0; i < df->nparse && df->errs.n < DEST_FIELDS_MAX; i++)
		df->errs.v[df->errs.n++] = df->parse[i];
	for (size_t i = 0; i < all.n; i++)
		add_error(df, &all.v[i]);
	if (set)
		check_against(df, set);
	return df->errs.n;
}

const char *dest_form_error(const struct dest_form *df, const char *field)
{
	for (size_t i = 0; i < df->errs.n; i++)
		if (strcmp(df->errs.v[i].field, field) == 0)
			return df->errs.v[i].msg;
	return NULL;
}

/* ---- the TwiML the server would answer, and what the linter says of it ---- */

int dest_form_preview(const struct dest *d, const char *from, const char *refer_to,
                      struct buf *twiml, struct buf *err)
{
	char target[TARGET_MAX + 64];
	if (refer_to && *refer_to)
		snprintf(target, sizeof(target), "%s", refer_to);
	else
		snprintf(target, sizeof(target), "<sip:%.64s@agent.example.com>",
		         d->name && *d->name ? d->name : "name");
	struct target t;
	char why[256] = "";
	if (target_parse(target, strlen(target), &t, why, sizeof(why))) {
		buf_printf(err, "the sample Refer-To cannot be read: %s",
		           why[0] ? why : "malformed");
		return EINVAL;
	}
	struct dest_vars v = {from && *from ? from : "+14155550100",
	                      "+14155550199",
	                      "CA00000000000000000000000000000000",
	                      "AC00000000000000000000000000000000",
	                      t.headers,
	                      t.nheaders};
	int rc = dest_render(d, &v, twiml);
	if (rc == E2BIG)
		buf_adds(err, "a value is longer than its variable allows, so Twilio's URI limits "
		              "would break: the server answers an error for this call");
	else if (rc)
		buf_adds(err, "fix the errors above to see the TwiML");
	return rc;
}

json_t *dest_form_lint(const char *twiml)
{
	struct twiml_findings f;
	twiml_findings_init(&f);
	twiml_lint(twiml, strlen(twiml), NULL, &f);
	json_t *arr = json_array();
	for (size_t i = 0; i < f.n; i++)
		json_array_append_new(
		    arr, json_pack("{s:i, s:s, s:i, s:s}", "code", f.v[i].code, "level",
		                   f.v[i].level == TWIML_ERROR ? "error" : "warning", "line",
		                   (int)f.v[i].line, "msg", f.v[i].msg));
	twiml_findings_free(&f);
	return arr;
}

/* ---- the equivalent command line ---- */

void dest_form_cmdline(const struct dest *d, const struct dest_form *df, bool add, struct buf *out)
{
	buf_printf(out, "handoff dest %s ", add ? "add" : "set");
	shell_quote(out, d->name && *d->name ? d->name : "NAME");
	struct buf v;
	buf_init(&v, 8192);
	for (const struct dest_field *x = dest_fields; x->name; x++) {
		if (!add && x->clear)
			buf_printf(out, " %s", x->clear);
		buf_reset(&v);
		const char *typed = df ? df->typed[x - dest_fields] : NULL;
		if (typed)
			buf_adds(&v, typed);
		else
			x->get(d, &v);
		if (x->lines) { /* one option a line: none, none given */
			char *p = v.len ? (char *)buf_str(&v) : (char *)"";
			for (char *line; (line = next_line(&p));) {
				buf_printf(out, " %s ", x->cli);
				shell_quote(out, line);
			}
			continue;
		}
		/* add: an empty value is left out; set: it clears the field, unless an option
		 * cleared it already (its own or its group's) */
		bool cleared = add || x->set == set_route || x->clear || x->group;
		if (!v.len && cleared)
			continue;
		buf_printf(out, " %s ", x->cli);
		shell_quote(out, v.len ? buf_str(&v) : x->empty ? x->empty : "");
	}
	buf_free(&v);
	if (!add)
		buf_adds(out, " --clear-headers");
	for (size_t i = 0; i < d->nheaders; i++) {
		char *h = xasprintf("%s: %s", d->headers[i].name ? d->headers[i].name : "",
		                    d->headers[i].value ? d->headers[i].value : "");
		buf_adds(out, " --header ");
		shell_quote(out, h);
		free(h);
	}
}

json_t *dest_form_errors_json(const struct dest_form *df)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < df->errs.n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "field", df->errs.v[i].field,
		                                     "msg", df->errs.v[i].msg));
	return arr;
}

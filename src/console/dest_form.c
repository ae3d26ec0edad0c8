/* dest_form: a destination as the console's form holds it: the fields table (label, CLI
 * option, how to read and write each), reading a posted form, every field's error, the
 * TwiML preview and the equivalent 'handoff dest add|set' line. */
#include "console/dest_form.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The form gives every field: empty clears it (as 'dest set --description ""' does). */
static int set_description(struct dest *d, char *v, struct dest_error *e)
{
	(void)e;
	d->description = *v ? v : NULL;
	return 0;
}
static int set_route(struct dest *d, char *v, struct dest_error *e)
{
	(void)e;
	d->route = v;
	return 0;
}
static int set_caller_id(struct dest *d, char *v, struct dest_error *e)
{
	(void)e;
	d->caller_id = *v ? v : NULL;
	return 0;
}
static int set_timeout(struct dest *d, char *v, struct dest_error *e)
{
	d->timeout = 0;
	if (!*v)
		return 0;
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || n < 0 || n > 1000000) {
		/* the CLI's words (cmd_dest.c), without its "dest add NAME: " */
		snprintf(e->field, sizeof(e->field), "timeout");
		snprintf(
		    e->msg, sizeof(e->msg),
		    "timeout \"%.64s\" is not a number of seconds: give 5-600, e.g. --timeout 30",
		    v);
		return EINVAL;
	}
	d->timeout = (int)n;
	return 0;
}

const struct dest_field dest_fields[] = {
    {"description", "Description", "--description",
     "what this destination is for, so team mates know when to use it", "e.g. Billing desk", false,
     get_description, set_description},
    {"route", "Route (number or SIP URI)", "--route",
     "+E164 (e.g. +14155550100), tel:+E164, or a sip:/sips: URI", "sip:desk@pbx.example.com", false,
     get_route, set_route},
    {"caller_id", "Caller ID", "--caller-id", "empty: the caller's own number", "", false,
     get_caller_id, set_caller_id},
    {"timeout", "Ring timeout (seconds)", "--timeout", "5-600; empty: Twilio's default (30)", "30",
     false, get_timeout, set_timeout},
    {NULL, NULL, NULL, NULL, NULL, false, NULL, NULL},
};

/* ---- reading a posted form ---- */

void dest_form_read(struct dest_form *df, const struct form *f, const char *name)
{
	memset(df, 0, sizeof(*df));
	df->d.name = (char *)(name ? name : "");
	df->d.route = (char *)"";
	for (const struct dest_field *x = dest_fields; x->name; x++) {
		const char *v = form_get(f, x->name);
		struct dest_error e = {0};
		if (x->set(&df->d, (char *)(v ? v : ""), &e) && df->nparse < DEST_FIELDS_MAX)
			df->parse[df->nparse++] = e;
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

size_t dest_form_check(struct dest_form *df)
{
	struct dest_errors all;
	dest_validate_all(&df->d, &all);
	df->errs.n = 0;
	/* a field that did not even parse reports that first, once */
	for (size_t i = 0; i < df->nparse && df->errs.n < DEST_FIELDS_MAX; i++)
		df->errs.v[df->errs.n++] = df->parse[i];
	for (size_t i = 0; i < all.n && df->errs.n < DEST_FIELDS_MAX; i++) {
		bool dup = false;
		for (size_t k = 0; k < df->nparse; k++)
			dup |= strcmp(df->parse[k].field, all.v[i].field) == 0;
		if (!dup)
			df->errs.v[df->errs.n++] = all.v[i];
	}
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

void dest_form_cmdline(const struct dest *d, bool add, struct buf *out)
{
	buf_printf(out, "handoff dest %s ", add ? "add" : "set");
	shell_quote(out, d->name && *d->name ? d->name : "NAME");
	struct buf v;
	buf_init(&v, 4096);
	for (const struct dest_field *x = dest_fields; x->name; x++) {
		buf_reset(&v);
		x->get(d, &v);
		if (!v.len && (add || x->set == set_route)) /* set: an empty value clears it */
			continue;
		buf_printf(out, " %s ", x->cli);
		shell_quote(out, buf_str(&v));
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

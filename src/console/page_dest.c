/* page_dest: the Destinations pages: the list with each one's sandbox-against-live state
 * and search, the add / edit form (every field's error at once, the TwiML preview), saving,
 * removing, and the validation the script calls as you type. */
#include "console/console_int.h"
#include "console/dest_form.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/dest_json.h"
#include "twiml/twiml.h"
#include "util/mem.h"
#include "webhooks/dest_diff.h"

/* ---- the list: its columns are a table (a new field is a new row) ---- */

/* A cell: d of set (the sandbox, or live for a row removed in the sandbox), at now. */
struct cell {
	const struct dest_set *set;
	const struct dest *d;
	int64_t now;
};

static void cell_route(struct creq *r, const struct cell *c)
{
	const struct dest *d = c->d;
	html_f(r->out, "<code>%s</code>", d->route);
	if (!d->nfailover)
		return;
	/* under the route, in the order they are tried ('dest list' does the same) */
	buf_adds(r->out, "<ol class=\"failover\">");
	for (size_t i = 0; i < d->nfailover; i++)
		html_f(r->out, "<li>failover <code>%s</code></li>", d->failover[i]);
	buf_adds(r->out, "</ol>");
}

static void cell_headers(struct creq *r, const struct cell *c)
{
	const struct dest *d = c->d;
	if (!d->nheaders) {
		buf_adds(r->out, "<span class=\"muted\">none</span>");
		return;
	}
	buf_adds(r->out, "<ul class=\"hdrs\">");
	for (size_t i = 0; i < d->nheaders; i++)
		html_f(r->out, "<li><code>%s: %s</code></li>", d->headers[i].name,
		       d->headers[i].value);
	buf_adds(r->out, "</ul>");
}

/* The schedule as 'dest show' words it: the zone, the ranges, the closed dates, and who
 * answers otherwise. */
static void cell_hours(struct creq *r, const struct cell *c)
{
	const struct dest_hours *h = &c->d->hours;
	if (!h->tz) {
		buf_adds(r->out, "<span class=\"muted\">none</span>");
		return;
	}
	char t[HOURS_TEXT_MAX];
	html_f(r->out, "<ul class=\"hours\"><li class=\"tz\">%s</li>", h->tz);
	for (size_t i = 0; i < h->nopen; i++) {
		hours_format_range(&h->open[i], t);
		html_f(r->out, "<li><code>%s</code></li>", t);
	}
	for (size_t i = 0; i < h->nclosed; i++) {
		hours_format_date(&h->closed[i], t);
		html_f(r->out, "<li>closed <code>%s</code></li>", t);
	}
	html_f(r->out, "<li>otherwise <b>%s</b></li></ul>", h->otherwise);
}

/* Which destination answers at this moment: 'dest list' NOW's words. */
static void cell_now(struct creq *r, const struct cell *c)
{
	char note[DEST_NOTE_MAX];
	dest_set_answer_note(c->set, c->d, c->now, note, sizeof(note));
	if (*note)
		html_f(r->out, "<span class=\"now %r\">%s</span>",
		       strncmp(note, "closed", 6) == 0 ? "closed" : "open", note);
}

static void cell_description(struct creq *r, const struct cell *c)
{
	html_f(r->out, "%s", c->d->description);
}

/* The columns; sometimes: shown only when some destination has opening hours (as 'dest
 * list' shows NOW). */
static const struct {
	const char *title, *cls;
	void (*cell)(struct creq *r, const struct cell *c);
	bool sometimes;
} columns[] = {
    {"Route", "route", cell_route, false},
    {"SIP headers", "headers", cell_headers, false},
    {"Opening hours", "hours", cell_hours, false},
    {"Now", "now", cell_now, true},
    {"Description", "description", cell_description, false},
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static bool has(const char *s, const char *q)
{
	return s && strcasestr(s, q);
}

/* Whether a destination matches the search (name, route, failover routes, description,
 * zone, otherwise, headers). */
static bool matches(const struct dest *d, const char *q)
{
	if (!q || !*q)
		return true;
	if (has(d->name, q) || has(d->route, q) || has(d->description, q) || has(d->hours.tz, q) ||
	    has(d->hours.otherwise, q))
		return true;
	for (size_t i = 0; i < d->nfailover; i++)
		if (has(d->failover[i], q))
			return true;
	for (size_t i = 0; i < d->nheaders; i++)
		if (has(d->headers[i].name, q) || has(d->headers[i].value, q))
			return true;
	return false;
}

static enum dest_change change_of(const struct dest_set *live, const struct dest *d)
{
	const struct dest *l = dest_set_find(live, str_c(d->name));
	struct dest_delta one[1];
	return !l ? DEST_ADDED : dest_diff(l, d, one, 1) ? DEST_CHANGED : DEST_SAME;
}

static const char *change_label(enum dest_change c)
{
	static const char *const labels[] = {"same as live", "sandbox only", "changed",
	                                     "removed in sandbox"};
	return labels[c];
}

static bool any_hours(const struct dest_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->dests[i].hours.tz)
			return true;
	return false;
}

static void row(struct creq *r, const struct dest_set *set, const struct dest *d,
                enum dest_change ch, int64_t now, bool all)
{
	const struct cell c = {set, d, now};
	html_f(r->out, "<tr class=\"dest %s\" data-name=\"%s\"><td class=\"name\"><b>%s</b></td>",
	       dest_change_name(ch), d->name, d->name);
	for (size_t i = 0; i < NCOLUMNS; i++) {
		if (columns[i].sometimes && !all)
			continue;
		html_f(r->out, "<td class=\"c-%s\">", columns[i].cls);
		columns[i].cell(r, &c);
		buf_adds(r->out, "</td>");
	}
	html_f(r->out, "<td><span class=\"badge %s\">%s</span></td><td class=\"actions\">",
	       dest_change_name(ch), change_label(ch));
	if (ch != DEST_REMOVED)
		html_f(r->out,
		       "<a class=\"edit\" href=\"/console/destinations/%U/edit\">Edit</a> "
		       "<a href=\"/console/test?name=%U\">Test</a> "
		       "<a class=\"danger\" href=\"/console/destinations/%U/delete\">Delete</a>",
		       d->name, d->name, d->name);
	buf_adds(r->out, "</td></tr>\n");
}

void page_dests(struct creq *r)
{
	struct store *s = page_store(r);
	if (!s)
		return;
	struct dest_set *sets[2];
	char err[600];
	int rc = store_load_both(s, sets, err, sizeof(err));
	store_close(s);
	if (rc) {
		page_error(r, 500, "The database cannot be read", err);
		return;
	}
	struct dest_set *sand = sets[0], *live = sets[1];
	const char *q = page_q(r, "q");
	int64_t now = (int64_t)time(NULL);
	char note[DEST_NOTE_MAX];
	if (r->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < sand->n; i++) {
			if (!matches(&sand->dests[i], q))
				continue;
			char *js = dest_json_dest(&sand->dests[i]);
			json_t *o = json_loads(js, 0, NULL);
			free(js);
			json_object_set_new(
			    o, "change",
			    json_string(dest_change_name(change_of(live, &sand->dests[i]))));
			/* with opening hours: which answers now, in 'dest list' NOW's words */
			dest_set_answer_note(sand, &sand->dests[i], now, note, sizeof(note));
			if (*note) {
				const struct dest *ans =
				    dest_set_pick(sand, str_c(sand->dests[i].name), now, NULL);
				json_object_set_new(o, "now", json_string(note));
				json_object_set_new(o, "answers_now",
				                    json_string(ans ? ans->name : ""));
			}
			json_array_append_new(arr, o);
		}
		for (size_t i = 0; i < live->n; i++)
			if (!dest_set_find(sand, str_c(live->dests[i].name)) &&
			    matches(&live->dests[i], q))
				json_array_append_new(arr, json_pack("{s:s, s:s}", "name",
				                                     live->dests[i].name, "change",
				                                     "removed"));
		page_json(
		    r, 200,
		    json_pack("{s:o, s:i}", "destinations", arr, "live_version", live->version));
		goto out;
	}
	size_t add = 0, chg = 0, rm = 0;
	for (size_t i = 0; i < sand->n; i++) {
		enum dest_change c = change_of(live, &sand->dests[i]);
		add += c == DEST_ADDED;
		chg += c == DEST_CHANGED;
	}
	for (size_t i = 0; i < live->n; i++)
		rm += !dest_set_find(sand, str_c(live->dests[i].name));
	page_begin(r, "Destinations", "dests");
	const char *saved = page_q(r, "saved"), *removed = page_q(r, "removed");
	if (saved)
		html_f(r->out,
		       "<p class=\"flash\" id=\"flash\">Saved <b>%s</b> in the sandbox. <a "
		       "href=\"/console/test?name=%U\">Test it in sandbox</a>, then <a "
		       "href=\"/console/promote\">promote</a>.</p>",
		       saved, saved);
	if (removed)
		html_f(r->out,
		       "<p class=\"flash\" id=\"flash\">Removed <b>%s</b> from the sandbox.</p>",
		       removed);
	if (add + chg + rm)
		html_f(
		    r->out,
		    "<p class=\"banner\">The sandbox differs from live version %d: %zu added, %zu "
		    "changed, %zu removed. <a href=\"/console/promote\">Review &amp; "
		    "promote</a></p>",
		    live->version, add, chg, rm);
	else
		html_f(r->out, "<p class=\"banner same\">The sandbox is the same as %r.</p>",
		       live->version ? "live" : "live (nothing is promoted yet)");
	html_f(r->out,
	       "<div class=\"toolbar\"><form class=\"search\" method=\"get\" "
	       "action=\"/console/destinations\"><input type=\"search\" name=\"q\" value=\"%s\" "
	       "placeholder=\"Search name, route, header, zone\" aria-label=\"Search\"><button "
	       "type=\"submit\">Search</button></form><a class=\"button primary\" id=\"add\" "
	       "href=\"/console/destinations/new\">Add handoff</a></div>",
	       q);
	buf_adds(r->out, "<table class=\"list\" id=\"dests\"><thead><tr><th>Name</th>");
	bool all = any_hours(sand) || any_hours(live);
	size_t ncols = 0;
	for (size_t i = 0; i < NCOLUMNS; i++)
		if (all || !columns[i].sometimes) {
			html_f(r->out, "<th>%s</th>", columns[i].title);
			ncols++;
		}
	buf_adds(r->out, "<th>Sandbox</th><th></th></tr></thead><tbody>\n");
	size_t shown = 0;
	for (size_t i = 0; i < sand->n; i++)
		if (matches(&sand->dests[i], q)) {
			row(r, sand, &sand->dests[i], change_of(live, &sand->dests[i]), now, all);
			shown++;
		}
	for (size_t i = 0; i < live->n; i++)
		if (!dest_set_find(sand, str_c(live->dests[i].name)) &&
		    matches(&live->dests[i], q)) {
			row(r, live, &live->dests[i], DEST_REMOVED, now, all);
			shown++;
		}
	if (!shown)
		html_f(r->out, "<tr><td colspan=\"%zu\" class=\"muted\">%r</td></tr>", ncols + 3,
		       q && *q ? "nothing matches" : "no destinations yet: add one");
	buf_adds(r->out, "</tbody></table>");
	struct buf cmd;
	buf_init(&cmd, 4096);
	buf_adds(&cmd, "handoff dest list --env sandbox\nhandoff dest list --env live");
	if (q && *q) {
		buf_adds(&cmd, " | grep -i ");
		html_shell(&cmd, q);
	}
	page_end(r, buf_str(&cmd));
	buf_free(&cmd);
out:
	dest_set_release(sand);
	dest_set_release(live);
}

/* ---- the form ---- */

/* The variables a header value may use, as a hint under the headers. */
static void vars_hint(struct creq *r)
{
	buf_adds(r->out, "<p class=\"hint\">Values may use ");
	for (const struct dest_var *v = dest_vars_table; v->name; v++)
		html_f(r->out, "%r<code title=\"%s\">$%s%r</code>",
		       v == dest_vars_table ? "" : ", ", v->means, v->name,
		       v->name[strlen(v->name) - 1] == '.' ? "&lt;Header&gt;" : "");
	buf_adds(r->out, " ($$ is a $). Custom names start with <code>X-</code>.</p>");
}

static void field_error(struct creq *r, const struct dest_form *df, const char *field)
{
	const char *e = df ? dest_form_error(df, field) : NULL;
	html_f(r->out, "<p class=\"field-error\" id=\"error-%s\" data-error-for=\"%s\">%s</p>",
	       field, field, e);
}

static void header_row(struct creq *r, const char *name, const char *value)
{
	html_f(r->out,
	       "<div class=\"hdr-row\"><input type=\"text\" name=\"header_name\" value=\"%s\" "
	       "placeholder=\"X-Name\" aria-label=\"Header name\"><input type=\"text\" "
	       "name=\"header_value\" value=\"%s\" placeholder=\"value or $caller_id\" "
	       "aria-label=\"Header value\"><button type=\"button\" class=\"rm-header\" "
	       "aria-label=\"Remove this header\">&times;</button></div>",
	       name, value);
}

/* The add / edit form. df: the posted form (errors shown), or NULL for d as stored. */
static void form_page(struct creq *r, const struct dest *d, const struct dest_form *df, bool add,
                      int64_t changed, const char *banner, int extra_rows)
{
	char title[128];
	snprintf(title, sizeof(title), add ? "Add handoff" : "Edit %s", d->name);
	page_begin(r, title, "dests");
	if (banner)
		html_f(r->out, "<p class=\"error\" id=\"banner-error\">%s</p>", banner);
	if (df && df->errs.n)
		html_f(
		    r->out,
		    "<p class=\"error\" id=\"form-errors\">%zu field%r to fix before saving (the "
		    "same rules as <code>handoff dest</code>).</p>",
		    df->errs.n, df->errs.n == 1 ? "" : "s");
	if (add)
		html_f(r->out,
		       "<form class=\"dest\" id=\"dest-form\" method=\"post\" "
		       "action=\"/console/destinations\" data-validate=\"/console/api/validate\">");
	else
		html_f(
		    r->out,
		    "<form class=\"dest\" id=\"dest-form\" method=\"post\" "
		    "action=\"/console/destinations/%U\" data-validate=\"/console/api/validate\">"
		    "<input type=\"hidden\" name=\"changed\" value=\"%lld\">",
		    d->name, (long long)changed);
	page_csrf_field(r);
	html_f(r->out, "<input type=\"hidden\" name=\"mode\" value=\"%r\">", add ? "add" : "set");
	buf_adds(r->out, "<div class=\"cols\"><div class=\"fields\">");
	if (add)
		html_f(
		    r->out,
		    "<label>Name <input type=\"text\" name=\"name\" id=\"f-name\" value=\"%s\" "
		    "placeholder=\"e.g. vip-host-desk\" required></label><p class=\"hint\">a slug: "
		    "a-z, 0-9 and '-'; the agent's REFER names it "
		    "(<code>sip:NAME@...</code>)</p>",
		    d->name);
	else
		html_f(r->out,
		       "<p class=\"ro\">Name <b>%s</b><input type=\"hidden\" name=\"name\" "
		       "value=\"%s\"></p>",
		       d->name, d->name);
	field_error(r, df, "name");
	buf_adds(r->out, "<p class=\"ro\">Method <b>SIP REFER</b> <span class=\"muted\">(Twilio "
	                 "calls the referUrl; handoff answers the TwiML)</span></p>");
	struct buf v;
	buf_init(&v, 8192);
	const char *group = NULL; /* the fieldset open now */
	for (const struct dest_field *x = dest_fields; x->name; x++) {
		if (group && (!x->group || strcmp(x->group, group) != 0)) {
			buf_adds(r->out, "</fieldset>");
			group = NULL;
		}
		const struct dest_field_group *g = dest_field_group(x->group);
		if (g && !group) {
			html_f(r->out,
			       "<fieldset class=\"group\" id=\"group-%s\"><legend>%s</legend><p "
			       "class=\"hint\">%s</p>",
			       g->name, g->legend, g->hint);
			field_error(r, df, g->name); /* the group's own rules: at its top */
			group = g->name;
		}
		buf_reset(&v);
		x->get(d, &v);
		if (x->lines)
			html_f(r->out,
			       "<label>%s <textarea name=\"%s\" id=\"f-%s\" rows=\"%d\" "
			       "placeholder=\"%s\">%s</textarea></label>",
			       x->label, x->name, x->name, x->group ? 2 : 3, x->placeholder,
			       buf_str(&v));
		else
			html_f(
			    r->out,
			    "<label>%s <input type=\"text\" name=\"%s\" id=\"f-%s\" value=\"%s\" "
			    "placeholder=\"%s\"></label>",
			    x->label, x->name, x->name, buf_str(&v), x->placeholder);
		html_f(r->out, "<p class=\"hint\">%s</p>", x->hint);
		field_error(r, df, x->name);
	}
	if (group)
		buf_adds(r->out, "</fieldset>");
	buf_free(&v);
	buf_adds(r->out, "<fieldset class=\"headers\" id=\"headers\"><legend>SIP headers</legend>");
	for (size_t i = 0; i < d->nheaders; i++)
		header_row(r, d->headers[i].name, d->headers[i].value);
	for (int i = 0; i < extra_rows || (!d->nheaders && i < 1); i++)
		header_row(r, "", "");
	buf_adds(r->out, "<button type=\"submit\" name=\"action\" value=\"add-header\" "
	                 "id=\"add-header\">Add SIP header</button>");
	vars_hint(r);
	field_error(r, df, "header");
	buf_adds(r->out, "</fieldset>");
	html_f(r->out,
	       "<details class=\"sample\"><summary>Sample call for the preview</summary>"
	       "<label>From <input type=\"text\" name=\"sample_from\" value=\"%s\" "
	       "placeholder=\"+14155550100\"></label><label>Refer-To <input type=\"text\" "
	       "name=\"sample_refer_to\" value=\"%s\" placeholder=\"&lt;sip:NAME@agent.example.com"
	       "?X-Reason=upsell&gt;\"></label></details>",
	       df ? df->sample_from : NULL, df ? df->sample_refer : NULL);
	buf_adds(r->out, "<div class=\"buttons\"><button type=\"submit\" name=\"action\" "
	                 "value=\"save\" class=\"primary\" id=\"save\">Save</button><button "
	                 "type=\"submit\" name=\"action\" value=\"preview\" id=\"preview-button\">"
	                 "Check and preview</button><a class=\"button\" "
	                 "href=\"/console/destinations\">Cancel</a></div></div>");
	/* the preview: TwiML as the server would answer a sample call, and the linter's word */
	struct buf tw, perr;
	buf_init(&tw, TWIML_MAX_BYTES);
	buf_init(&perr, 1024);
	bool ok = !df || df->errs.n == 0;
	if (ok)
		ok = dest_form_preview(d, df ? df->sample_from : NULL, df ? df->sample_refer : NULL,
		                       &tw, &perr) == 0;
	else
		buf_adds(&perr, "fix the errors to see the TwiML");
	html_f(r->out,
	       "<aside class=\"preview\"><h2>TwiML preview</h2><p class=\"hint\">what <code>/refer"
	       "</code> answers for a sample call (<code>handoff dest preview</code>)</p>"
	       "<pre id=\"preview\">%s</pre><p class=\"field-error\" id=\"preview-error\">%s</p>"
	       "<ul id=\"lint\" class=\"lint\">",
	       ok ? buf_str(&tw) : "", ok ? NULL : buf_str(&perr));
	if (ok) {
		json_t *lint = dest_form_lint(buf_str(&tw));
		size_t i;
		json_t *f;
		json_array_foreach(lint, i, f)
		{
			html_f(r->out, "<li class=\"%s\">%s %d: %s</li>",
			       json_string_value(json_object_get(f, "level")),
			       json_string_value(json_object_get(f, "level")),
			       (int)json_integer_value(json_object_get(f, "code")),
			       json_string_value(json_object_get(f, "msg")));
		}
		json_decref(lint);
	}
	buf_adds(r->out, "</ul></aside></div></form>");
	buf_free(&tw);
	buf_free(&perr);
	struct buf cmd;
	buf_init(&cmd, 16384);
	struct buf line;
	buf_init(&line, 16384);
	dest_form_cmdline(d, df, add, &line);
	buf_adds(&cmd, "<span id=\"cmdline\">");
	html_esc(&cmd, buf_str(&line), line.len);
	buf_free(&line);
	buf_adds(&cmd, "</span>\nhandoff dest preview ");
	html_shell(&cmd, d->name && *d->name ? d->name : "NAME");
	page_end(r, buf_str(&cmd));
	buf_free(&cmd);
}

void page_dest_new(struct creq *r)
{
	struct dest d = {.name = (char *)"", .route = (char *)""};
	form_page(r, &d, NULL, true, 0, NULL, 0);
}

/* Loads one sandbox destination (held in *set); NULL (answered 404/500) when absent. */
static const struct dest *load_one(struct creq *r, struct dest_set **set)
{
	struct store *s = page_store(r);
	if (!s)
		return NULL;
	char err[600];
	int rc = store_load(s, DEST_SANDBOX, set, err, sizeof(err));
	store_close(s);
	if (rc) {
		page_error(r, 500, "The database cannot be read", err);
		return NULL;
	}
	const struct dest *d = dest_set_find(*set, str_c(r->arg));
	if (!d) {
		char msg[200];
		snprintf(msg, sizeof(msg), "no destination %s in the sandbox", r->arg);
		page_error(r, 404, "Not found", msg);
		dest_set_release(*set);
	}
	return d;
}

void page_dest_edit(struct creq *r)
{
	struct dest_set *set;
	const struct dest *d = load_one(r, &set);
	if (!d)
		return;
	if (r->json) {
		char *js = dest_json_dest(d);
		page_json(r, 200, json_loads(js, 0, NULL));
		free(js);
	} else {
		form_page(r, d, NULL, false, set->changed, NULL, 0);
	}
	dest_set_release(set);
}

/* The sandbox the form is checked against (its --otherwise, its zone), or NULL when it
 * cannot be read (saving then says why). */
static struct dest_set *sandbox_of(struct store *s)
{
	struct dest_set *set = NULL;
	char err[600];
	return s && store_load(s, DEST_SANDBOX, &set, err, sizeof(err)) == 0 ? set : NULL;
}

/* Saves (add or set) or re-shows the form with every error, the preview, or a new row. */
static void save(struct creq *r, bool add)
{
	struct dest_form df;
	dest_form_read(&df, &r->f, add ? page_f(r, "name") : r->arg);
	const char *action = page_f(r, "action");
	const char *ch = page_f(r, "changed");
	int64_t changed = ch ? strtoll(ch, NULL, 10) : -1;
	struct store *s = page_store(r);
	if (!s)
		return;
	struct dest_set *sand = sandbox_of(s);
	dest_form_check(&df, sand);
	dest_set_release(sand);
	if (action && strcmp(action, "add-header") == 0) {
		store_close(s);
		form_page(r, &df.d, &df, add, changed, NULL, 1);
		return;
	}
	if (df.errs.n || (action && strcmp(action, "preview") == 0)) {
		store_close(s);
		if (r->json) {
			page_json(r, df.errs.n ? 422 : 200,
			          json_pack("{s:b, s:o}", "ok", !df.errs.n, "errors",
			                    dest_form_errors_json(&df)));
			return;
		}
		r->resp->status = df.errs.n ? 422 : 200;
		form_page(r, &df.d, &df, add, changed, NULL, 0);
		r->resp->status = df.errs.n ? 422 : 200;
		return;
	}
	char err[600];
	int rc = add            ? store_add(s, &df.d, err, sizeof(err))
	         : changed >= 0 ? store_update_if(s, &df.d, changed, err, sizeof(err))
	                        : store_update(s, &df.d, err, sizeof(err));
	store_close(s);
	if (rc) {
		int status = rc == EEXIST || rc == EAGAIN ? 409
		             : rc == ENOENT               ? 404
		             : rc == EINVAL               ? 422
		                                          : 500;
		if (r->json) {
			page_json(r, status, json_pack("{s:b, s:s}", "ok", 0, "error", err));
			return;
		}
		r->resp->status = status;
		form_page(r, &df.d, &df, add, changed, err, 0);
		r->resp->status = status;
		return;
	}
	char *loc = xasprintf("/console/destinations?saved=%s", df.d.name);
	page_redirect(r, loc,
	              json_pack("{s:b, s:s, s:s}", "ok", 1, "name", df.d.name, "env", "sandbox"));
	free(loc);
}

void page_dest_create(struct creq *r)
{
	save(r, true);
}

void page_dest_update(struct creq *r)
{
	save(r, false);
}

void page_dest_delete(struct creq *r)
{
	struct dest_set *set;
	const struct dest *d = load_one(r, &set);
	if (!d)
		return;
	char title[128];
	snprintf(title, sizeof(title), "Remove %s", d->name);
	page_begin(r, title, "dests");
	struct buf what;
	buf_init(&what, 8192);
	dest_diff_text(d, NULL, &what);
	html_f(r->out,
	       "<p>Remove <b>%s</b> from the sandbox? Live keeps it until you promote.</p>"
	       "<p class=\"muted\">%s</p><form method=\"post\" action=\"/console/destinations/%U/"
	       "delete\">",
	       d->name, buf_str(&what), d->name);
	page_csrf_field(r);
	buf_adds(r->out, "<label class=\"confirm\"><input type=\"checkbox\" name=\"confirm\" "
	                 "value=\"yes\" required> Yes, remove it from the sandbox</label><div "
	                 "class=\"buttons\"><button type=\"submit\" class=\"danger\" id=\"remove\">"
	                 "Remove</button><a class=\"button\" href=\"/console/destinations\">Cancel"
	                 "</a></div></form>");
	buf_free(&what);
	struct buf cmd;
	buf_init(&cmd, 512);
	buf_adds(&cmd, "handoff dest rm ");
	html_shell(&cmd, d->name);
	page_end(r, buf_str(&cmd));
	buf_free(&cmd);
	dest_set_release(set);
}

void page_dest_delete_post(struct creq *r)
{
	const char *confirm = page_f(r, "confirm");
	if (!confirm || strcmp(confirm, "yes") != 0) {
		page_error(r, 422, "Not removed", "tick the confirmation to remove it");
		return;
	}
	struct store *s = page_store(r);
	if (!s)
		return;
	char err[600];
	int rc = store_remove(s, r->arg, err, sizeof(err));
	store_close(s);
	if (rc) {
		page_error(r, rc == ENOENT ? 404 : 500, "Not removed", err);
		return;
	}
	char *loc = xasprintf("/console/destinations?removed=%s", r->arg);
	page_redirect(r, loc, json_pack("{s:b, s:s}", "ok", 1, "removed", r->arg));
	free(loc);
}

/* What the script asks as you type: every field's error, the preview, the command line. */
void page_validate(struct creq *r)
{
	struct dest_form df;
	const char *mode = page_f(r, "mode");
	bool add = !mode || strcmp(mode, "set") != 0;
	dest_form_read(&df, &r->f, page_f(r, "name"));
	struct store *s = page_store(r);
	if (!s)
		return;
	struct dest_set *sand = sandbox_of(s);
	store_close(s);
	dest_form_check(&df, sand);
	dest_set_release(sand);
	struct buf tw, perr, cmd;
	buf_init(&tw, TWIML_MAX_BYTES);
	buf_init(&perr, 1024);
	buf_init(&cmd, 16384);
	json_t *doc =
	    json_pack("{s:b, s:o}", "ok", !df.errs.n, "errors", dest_form_errors_json(&df));
	if (!df.errs.n &&
	    dest_form_preview(&df.d, df.sample_from, df.sample_refer, &tw, &perr) == 0) {
		json_object_set_new(doc, "twiml", json_string(buf_str(&tw)));
		json_object_set_new(doc, "lint", dest_form_lint(buf_str(&tw)));
	} else {
		json_object_set_new(doc, "twiml", json_null());
		json_object_set_new(
		    doc, "preview_error",
		    json_string(perr.len ? buf_str(&perr) : "fix the errors to see the TwiML"));
	}
	dest_form_cmdline(&df.d, &df, add, &cmd); /* text: the script sets textContent */
	json_object_set_new(doc, "cmdline", json_string(buf_str(&cmd)));
	page_json(r, 200, doc);
	buf_free(&tw);
	buf_free(&perr);
	buf_free(&cmd);
}

/* page_versions: Promote (the sandbox against live, destination by destination, with the
 * TwiML each will answer; a message and a confirmation), Versions (compare any two, roll
 * back with a confirmation). */
#include "console/console_int.h"
#include "console/dest_form.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twiml/twiml.h"
#include "util/mem.h"
#include "webhooks/dest_diff.h"

/* The TwiML a destination answers for the sample call, in a <pre> (or why not). */
static void twiml_pre(struct creq *r, const struct dest *d, const char *cls)
{
	struct buf tw, err;
	buf_init(&tw, TWIML_MAX_BYTES);
	buf_init(&err, 512);
	if (dest_form_preview(d, NULL, NULL, &tw, &err) == 0)
		html_f(r->out, "<pre class=\"twiml %s\">%s</pre>", cls, buf_str(&tw));
	else
		html_f(r->out, "<p class=\"error\">%s</p>", buf_str(&err));
	buf_free(&tw);
	buf_free(&err);
}

/* For a destination with opening hours: who answers outside them (its TwiML is its own). */
static void hours_note(struct creq *r, const struct dest *d)
{
	if (d->hours.tz)
		html_f(r->out,
		       "<p class=\"hint\">outside them (%s) and on its closed dates, <b>%s</b> "
		       "answers</p>",
		       d->hours.tz, d->hours.otherwise);
}

/* One destination's difference from a to b (either may be absent). Returns its change. */
static enum dest_change dest_block(struct creq *r, const struct dest *a, const struct dest *b,
                                   bool twiml, json_t *arr)
{
	struct dest_delta d[DEST_DIFF_MAX];
	size_t n = dest_diff(a, b, d, DEST_DIFF_MAX);
	if (n > DEST_DIFF_MAX)
		n = DEST_DIFF_MAX;
	enum dest_change c = !a ? DEST_ADDED : !b ? DEST_REMOVED : n ? DEST_CHANGED : DEST_SAME;
	const struct dest *one = a ? a : b; /* the side that has it, for its name */
	if (c == DEST_SAME || !one)
		return DEST_SAME;
	const char *name = one->name;
	if (arr) {
		json_t *fields = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(fields, json_pack("{s:s, s:s?, s:s?}", "field",
			                                        d[i].field, "before", d[i].before,
			                                        "after", d[i].after));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "name", name, "change",
		                                     dest_change_name(c), "fields", fields));
		return c;
	}
	html_f(
	    r->out,
	    "<section class=\"change %s\" data-name=\"%s\"><h3><span class=\"badge %s\">%s</span> "
	    "%s</h3><table class=\"diff\"><thead><tr><th>Field</th><th>Before</th><th>After</th>"
	    "</tr></thead><tbody>",
	    dest_change_name(c), name, dest_change_name(c), dest_change_name(c), name);
	for (size_t i = 0; i < n; i++)
		html_f(
		    r->out,
		    "<tr><td>%s</td><td class=\"del\"><code>%s</code></td><td class=\"ins\"><code>"
		    "%s</code></td></tr>",
		    d[i].field, d[i].before, d[i].after);
	buf_adds(r->out, "</tbody></table>");
	if (twiml) {
		buf_adds(r->out, "<div class=\"twiml-pair\">");
		if (a) {
			html_f(r->out, "<div><h4>Answers now%r</h4>",
			       a->hours.tz ? " in its hours" : "");
			hours_note(r, a);
			twiml_pre(r, a, "del");
			buf_adds(r->out, "</div>");
		}
		if (b) {
			html_f(r->out, "<div><h4>Will answer%r</h4>",
			       b->hours.tz ? " in its hours" : "");
			hours_note(r, b);
			twiml_pre(r, b, "ins");
			buf_adds(r->out, "</div>");
		}
		buf_adds(r->out, "</div>");
	}
	buf_adds(r->out, "</section>");
	return c;
}

/* Every destination's change from set a to set b; counts into n[4] (by dest_change). */
static void set_diff(struct creq *r, const struct dest_set *a, const struct dest_set *b, bool twiml,
                     json_t *arr, size_t n[4])
{
	memset(n, 0, 4 * sizeof(*n));
	for (size_t i = 0; i < b->n; i++)
		n[dest_block(r, dest_set_find(a, str_c(b->dests[i].name)), &b->dests[i], twiml,
		             arr)]++;
	for (size_t i = 0; i < a->n; i++)
		if (!dest_set_find(b, str_c(a->dests[i].name)))
			n[dest_block(r, &a->dests[i], NULL, twiml, arr)]++;
}

static int load_both(struct creq *r, struct dest_set *sets[2])
{
	struct store *s = page_store(r);
	if (!s)
		return EIO;
	char err[600];
	int rc = store_load_both(s, sets, err, sizeof(err));
	store_close(s);
	if (rc)
		page_error(r, 500, "The database cannot be read", err);
	return rc;
}

static void promote_page(struct creq *r, int status, const char *error)
{
	struct dest_set *sets[2];
	if (load_both(r, sets))
		return;
	struct dest_set *sand = sets[0], *live = sets[1];
	size_t n[4];
	if (r->json && !error) {
		json_t *arr = json_array();
		set_diff(r, live, sand, false, arr, n);
		page_json(r, 200,
		          json_pack("{s:i, s:o, s:i, s:i, s:i}", "live_version", live->version,
		                    "changes", arr, "added", (int)n[DEST_ADDED], "changed",
		                    (int)n[DEST_CHANGED], "removed", (int)n[DEST_REMOVED]));
		goto out;
	}
	if (r->json) {
		page_error(r, status, "Not promoted", error);
		goto out;
	}
	r->resp->status = status;
	page_begin(r, "Promote", "promote");
	if (error)
		html_f(r->out, "<p class=\"error\" id=\"promote-error\">%s</p>", error);
	html_f(r->out,
	       "<p class=\"help\">What the sandbox holds against live version %d, destination by "
	       "destination, with the TwiML each changed one will answer for a sample call.</p>",
	       live->version);
	buf_adds(r->out, "<div id=\"changes\">");
	set_diff(r, live, sand, true, NULL, n);
	buf_adds(r->out, "</div>");
	size_t total = n[DEST_ADDED] + n[DEST_CHANGED] + n[DEST_REMOVED];
	if (!total && live->version) {
		html_f(
		    r->out,
		    "<p class=\"banner same\">The sandbox is the same as live version %d: nothing "
		    "to promote.</p>",
		    live->version);
	} else {
		html_f(
		    r->out,
		    "<p class=\"banner\">%zu added, %zu changed, %zu removed. Promoting makes the "
		    "sandbox version %d and puts it live at once: every server serves it within "
		    "a second.</p><form method=\"post\" action=\"/console/promote\" "
		    "class=\"promote\">",
		    n[DEST_ADDED], n[DEST_CHANGED], n[DEST_REMOVED], live->version + 1);
		page_csrf_field(r);
		html_f(
		    r->out,
		    "<label>Message <small>(what changed and why)</small><input type=\"text\" "
		    "name=\"message\" id=\"message\" maxlength=\"%d\" required></label>"
		    "<label class=\"confirm\"><input type=\"checkbox\" name=\"confirm\" "
		    "value=\"yes\" id=\"confirm\" required> I tested these changes in the sandbox; "
		    "make them live</label><div class=\"buttons\"><button type=\"submit\" "
		    "class=\"primary\" id=\"promote\">Promote to live</button></div></form>",
		    STORE_MESSAGE_MAX);
	}
	page_end(r, "handoff promote --message 'what changed'");
out:
	dest_set_release(sand);
	dest_set_release(live);
}

void page_promote(struct creq *r)
{
	promote_page(r, 200, NULL);
}

void page_promote_post(struct creq *r)
{
	const char *msg = page_f(r, "message");
	const char *confirm = page_f(r, "confirm");
	if (!msg || !*msg || strlen(msg) > STORE_MESSAGE_MAX) {
		promote_page(r, 422, "give a message (what changed and why): the version keeps it");
		return;
	}
	if (!confirm || strcmp(confirm, "yes") != 0) {
		promote_page(r, 422, "tick the confirmation to promote");
		return;
	}
	struct store *s = page_store(r);
	if (!s)
		return;
	char err[600];
	int v = 0;
	int rc = store_promote(s, msg, r->user, &v, err, sizeof(err));
	store_close(s);
	if (rc) {
		promote_page(r, 500, err);
		return;
	}
	char loc[64];
	snprintf(loc, sizeof(loc), "/console/versions?promoted=%d", v);
	page_redirect(r, loc, json_pack("{s:b, s:i}", "ok", 1, "version", v));
}

/* ---- versions ---- */

void page_versions(struct creq *r)
{
	struct store *s = page_store(r);
	if (!s)
		return;
	char err[600];
	struct store_version *v;
	size_t n;
	int rc = store_versions(s, &v, &n, err, sizeof(err));
	store_close(s);
	if (rc) {
		page_error(r, 500, "The database cannot be read", err);
		return;
	}
	if (r->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			char when[32];
			page_time(when, v[i].created);
			json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:i, s:b}",
			                                     "version", v[i].number, "created",
			                                     when, "author", v[i].author, "message",
			                                     v[i].message, "destinations",
			                                     (int)v[i].ndests, "live", v[i].live));
		}
		page_json(r, 200, arr);
		store_versions_free(v, n);
		return;
	}
	page_begin(r, "Versions", "versions");
	const char *promoted = page_q(r, "promoted"), *rolled = page_q(r, "rolled");
	if (promoted)
		html_f(r->out,
		       "<p class=\"flash\" id=\"flash\">Promoted the sandbox as version "
		       "<b>%s</b>: it is live.</p>",
		       promoted);
	if (rolled)
		html_f(r->out,
		       "<p class=\"flash\" id=\"flash\">Version <b>%s</b> is live again.</p>",
		       rolled);
	if (!n)
		buf_adds(r->out, "<p class=\"muted\">No versions yet: <a href=\"/console/promote\">"
		                 "promote the sandbox</a>.</p>");
	else {
		buf_adds(r->out,
		         "<form class=\"compare\" method=\"get\" "
		         "action=\"/console/versions/compare\"><label>Compare <select name=\"a\">");
		for (size_t i = n; i-- > 0;)
			html_f(r->out, "<option value=\"%d\"%r>version %d</option>", v[i].number,
			       v[i].live ? " selected" : "", v[i].number);
		buf_adds(r->out, "</select></label><label>with <select name=\"b\"><option "
		                 "value=\"sandbox\" selected>the sandbox</option>");
		for (size_t i = n; i-- > 0;)
			html_f(r->out, "<option value=\"%d\">version %d</option>", v[i].number,
			       v[i].number);
		buf_adds(r->out,
		         "</select></label><button type=\"submit\">Compare</button></form>");
		buf_adds(r->out,
		         "<table class=\"list\" id=\"versions\"><thead><tr><th>Version</th>"
		         "<th>Created (UTC)</th><th>Author</th><th>Destinations</th><th>Message"
		         "</th><th></th></tr></thead><tbody>");
		for (size_t i = n; i-- > 0;) {
			char when[32];
			page_time(when, v[i].created);
			html_f(r->out,
			       "<tr "
			       "class=\"%r\"><td><b>%d</b>%r</td><td>%s</td><td>%s</td><td>%zu</td>"
			       "<td>%s</td><td class=\"actions\">",
			       v[i].live ? "live" : "", v[i].number,
			       v[i].live ? " <span class=\"badge same\">live</span>" : "", when,
			       v[i].author, v[i].ndests, v[i].message);
			if (i > 0)
				html_f(r->out,
				       "<a href=\"/console/versions/compare?a=%d&amp;b=%d\">"
				       "Changes</a> ",
				       v[i - 1].number, v[i].number);
			if (!v[i].live)
				html_f(r->out,
				       "<a href=\"/console/rollback?to=%d\">Roll back to it</a>",
				       v[i].number);
			buf_adds(r->out, "</td></tr>");
		}
		buf_adds(r->out, "</tbody></table>");
	}
	page_end(r, "handoff versions\nhandoff rollback [VERSION]");
	store_versions_free(v, n);
}

/* Loads "sandbox", "live" or a version number into *out; false: answered. */
static bool load_named(struct creq *r, const char *which, struct dest_set **out)
{
	struct store *s = page_store(r);
	if (!s)
		return false;
	char err[600];
	int rc;
	if (!which || strcmp(which, "sandbox") == 0)
		rc = store_load(s, DEST_SANDBOX, out, err, sizeof(err));
	else if (strcmp(which, "live") == 0)
		rc = store_load(s, DEST_LIVE, out, err, sizeof(err));
	else {
		char *end;
		long n = strtol(which, &end, 10);
		if (*end || n < 1 || n > STORE_MAX_VERSIONS) {
			store_close(s);
			page_error(r, 400, "Bad version", "a version is a number, live or sandbox");
			return false;
		}
		rc = store_load_version(s, (int)n, out, err, sizeof(err));
	}
	store_close(s);
	if (rc)
		page_error(r, rc == ENOENT ? 404 : 500, "No such version", err);
	return rc == 0;
}

static void set_name(char *out, size_t cap, const struct dest_set *s, const char *which)
{
	if (!which || strcmp(which, "sandbox") == 0)
		snprintf(out, cap, "the sandbox");
	else
		snprintf(out, cap, "version %d", s->version);
}

void page_compare(struct creq *r)
{
	const char *wa = page_q(r, "a"), *wb = page_q(r, "b");
	struct dest_set *a = NULL, *b = NULL;
	if (!load_named(r, wa ? wa : "live", &a))
		return;
	if (!load_named(r, wb, &b)) {
		dest_set_release(a);
		return;
	}
	char na[32], nb[32];
	set_name(na, sizeof(na), a, wa ? wa : "live");
	set_name(nb, sizeof(nb), b, wb);
	size_t n[4];
	if (r->json) {
		json_t *arr = json_array();
		set_diff(r, a, b, false, arr, n);
		page_json(r, 200, json_pack("{s:s, s:s, s:o}", "a", na, "b", nb, "changes", arr));
	} else {
		char title[96];
		snprintf(title, sizeof(title), "From %s to %s", na, nb);
		page_begin(r, title, "versions");
		set_diff(r, a, b, true, NULL, n);
		if (!n[DEST_ADDED] && !n[DEST_CHANGED] && !n[DEST_REMOVED])
			buf_adds(r->out,
			         "<p class=\"banner same\">They hold the same destinations.</p>");
		struct buf cmd;
		buf_init(&cmd, 512);
		html_f(&cmd,
		       "diff &lt;(handoff export --env live) &lt;(handoff export --env sandbox)");
		page_end(r, buf_str(&cmd));
		buf_free(&cmd);
	}
	dest_set_release(a);
	dest_set_release(b);
}

static void rollback_page(struct creq *r, const char *to, int status, const char *error)
{
	struct dest_set *live = NULL, *target = NULL;
	if (!load_named(r, "live", &live))
		return;
	if (!load_named(r, to, &target)) {
		dest_set_release(live);
		return;
	}
	if (r->json && error) {
		page_error(r, status, "Not rolled back", error);
		goto out;
	}
	r->resp->status = status;
	char title[64];
	snprintf(title, sizeof(title), "Roll back to version %d", target->version);
	page_begin(r, title, "versions");
	if (error)
		html_f(r->out, "<p class=\"error\">%s</p>", error);
	html_f(r->out,
	       "<p class=\"help\">Live is version %d. Rolling back points live at version %d (the "
	       "sandbox stays as it is). What would change:</p>",
	       live->version, target->version);
	size_t n[4];
	set_diff(r, live, target, true, NULL, n);
	html_f(r->out,
	       "<form method=\"post\" action=\"/console/rollback\"><input type=\"hidden\" "
	       "name=\"to\" value=\"%d\">",
	       target->version);
	page_csrf_field(r);
	html_f(r->out,
	       "<label class=\"confirm\"><input type=\"checkbox\" name=\"confirm\" value=\"yes\" "
	       "required> Make version %d live</label><div class=\"buttons\"><button "
	       "type=\"submit\" class=\"danger\" id=\"rollback\">Roll back</button><a "
	       "class=\"button\" href=\"/console/versions\">Cancel</a></div></form>",
	       target->version);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "handoff rollback %d", target->version);
	page_end(r, cmd);
out:
	dest_set_release(live);
	dest_set_release(target);
}

void page_rollback(struct creq *r)
{
	const char *to = page_q(r, "to");
	if (!to) {
		page_error(r, 400, "Bad rollback", "give to=VERSION");
		return;
	}
	rollback_page(r, to, 200, NULL);
}

void page_rollback_post(struct creq *r)
{
	const char *to = page_f(r, "to"), *confirm = page_f(r, "confirm");
	char *end = NULL;
	long n = to ? strtol(to, &end, 10) : 0;
	if (!to || *end || n < 1 || n > STORE_MAX_VERSIONS) {
		page_error(r, 400, "Bad rollback", "give to=VERSION");
		return;
	}
	if (!confirm || strcmp(confirm, "yes") != 0) {
		rollback_page(r, to, 422, "tick the confirmation to roll back");
		return;
	}
	struct store *s = page_store(r);
	if (!s)
		return;
	char err[600];
	int now = 0;
	int rc = store_rollback(s, (int)n, &now, err, sizeof(err));
	store_close(s);
	if (rc) {
		page_error(r,
		           rc == ENOENT     ? 404
		           : rc == EALREADY ? 409
		                            : 500,
		           "Not rolled back", err);
		return;
	}
	char loc[64];
	snprintf(loc, sizeof(loc), "/console/versions?rolled=%d", now);
	page_redirect(r, loc, json_pack("{s:b, s:i}", "ok", 1, "live", now));
}

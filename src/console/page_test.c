/* page_test: "Test in sandbox": the same in-process test as 'handoff dest test' (a call to
 * the sandbox number, the agent's REFER, the target's outcome), drawn as a ladder with the
 * legs, who is bridged to whom, the webhooks' TwiML and the verdict. */
#include "console/console_int.h"
#include "console/ladder.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emulator/desttest.h"

static const char *const outcomes[] = {"answer", "busy", "no-answer", "fail"};
static const char *const outcome_labels[] = {"answers", "is busy", "does not answer", "fails"};

static bool slug(const char *s)
{
	if (!s || !*s || strlen(s) > DEST_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* What each route of the destination shown does: the route's select, then one per failover
 * route ("" = as the one before: past the list the last repeats). */
struct outcomes {
	enum emu_outcome v[DESTTEST_MAX_OUTCOMES];
	size_t n;
	char text[DESTTEST_MAX_OUTCOMES * 12]; /* "busy,answer", as --target takes it */
};

static void outcome_select(struct creq *r, const char *id, const struct outcomes *o, size_t i,
                           bool as_before)
{
	html_f(r->out, "<select name=\"target\" id=\"%s\">", id);
	if (as_before)
		html_f(r->out, "<option value=\"\"%r>as the one before</option>",
		       i >= o->n ? " selected" : "");
	for (int k = 0; k < 4; k++)
		html_f(r->out, "<option value=\"%s\"%r>%s</option>", outcomes[k],
		       (i < o->n || !as_before) && (int)o->v[i < o->n ? i : o->n - 1] == k
		           ? " selected"
		           : "",
		       outcome_labels[k]);
	buf_adds(r->out, "</select>");
}

/* The form: which destination, what its route and each failover route do, which set, the
 * moment, Refer-To headers. shown: the destination the route selects are for. */
static void test_form(struct creq *r, const struct dest_set *sand, const char *name,
                      const struct dest *shown, const struct outcomes *o, const char *at,
                      const char *headers, bool live)
{
	buf_adds(r->out, "<form class=\"test\" method=\"get\" action=\"/console/test\"><label>"
	                 "Destination <select name=\"name\" id=\"t-name\">");
	for (size_t i = 0; sand && i < sand->n; i++)
		html_f(r->out, "<option value=\"%s\"%r>%s</option>", sand->dests[i].name,
		       name && strcmp(name, sand->dests[i].name) == 0 ? " selected" : "",
		       sand->dests[i].name);
	if (name && sand && !dest_set_find(sand, str_c(name)))
		html_f(r->out, "<option value=\"%s\" selected>%s (not in the sandbox)</option>",
		       name, name);
	buf_adds(r->out, "</select></label><label>The target ");
	outcome_select(r, "t-target", o, 0, false);
	html_f(r->out,
	       "</label><label>Set <select name=\"env\"><option value=\"sandbox\"%r>"
	       "sandbox</option><option value=\"live\"%r>live</option></select></label>",
	       live ? "" : " selected", live ? " selected" : "");
	if (shown && shown->nfailover) {
		html_f(r->out,
		       "<div class=\"routes wide\" id=\"t-routes\"><p class=\"hint\">%s tries "
		       "its routes in order: what each does when it is dialled (the route <code>%s"
		       "</code> first)</p>",
		       shown->name, shown->route);
		for (size_t i = 0; i < shown->nfailover; i++) {
			char id[32];
			snprintf(id, sizeof(id), "t-target-%zu", i + 1);
			html_f(r->out, "<label>Failover %zu <code>%s</code> ", i + 1,
			       shown->failover[i]);
			outcome_select(r, id, o, i + 1, true);
			buf_adds(r->out, "</label>");
		}
		buf_adds(r->out, "</div>");
	}
	html_f(r->out,
	       "<label>At <small>(empty: now; ISO 8601, or a local time in the destination's "
	       "zone: which destination answers for one with opening hours)</small><input "
	       "type=\"text\" name=\"at\" id=\"t-at\" value=\"%s\" "
	       "placeholder=\"2026-12-24T19:30\"></label>"
	       "<label class=\"wide\">Refer-To headers <small>(one 'X-Name: value' a line; they "
	       "feed $refer.X-Name)</small><textarea name=\"refer_headers\" rows=\"2\" "
	       "id=\"t-headers\" placeholder=\"X-Reason: upsell\">%s</textarea></label>"
	       "<div class=\"buttons\"><button type=\"submit\" class=\"primary\" id=\"run\">Make "
	       "a test call</button></div></form>",
	       at, headers);
}

/* The outcomes the query gives: every target value in order (each may itself be a list,
 * "busy,answer"), an empty one standing for the one before it. 0, or EINVAL/E2BIG with
 * why in err (the CLI's words for --target). */
static int outcomes_of(const struct creq *r, struct outcomes *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	struct buf all;
	buf_init(&all, 4096); /* capped: past it, or past DESTTEST_MAX_OUTCOMES, refused */
	char last[16] = "";
	size_t pending = 0; /* empties not yet known to stand for the one before */
	int full = 0;
	for (size_t i = 0; i < r->q.n; i++) {
		if (strcmp(r->q.p[i].name, "target") != 0)
			continue;
		const char *v = r->q.p[i].value;
		if (!*v) {
			pending++;
			continue;
		}
		for (; pending && *last; pending--)
			full |= buf_printf(&all, "%s%s", all.len ? "," : "", last);
		pending = 0;
		full |= buf_printf(&all, "%s%s", all.len ? "," : "", v);
		const char *comma = strrchr(v, ',');
		snprintf(last, sizeof(last), "%s", comma ? comma + 1 : v);
	}
	int rc = 0;
	if (full ||
	    (all.len && emu_outcomes_parse(buf_str(&all), o->v, DESTTEST_MAX_OUTCOMES, &o->n))) {
		snprintf(err, errlen,
		         "--target must be answer, busy, no-answer or fail, or a comma-separated "
		         "list of at most %d (one per route), not '%.100s'",
		         DESTTEST_MAX_OUTCOMES, buf_str(&all));
		rc = EINVAL;
	}
	buf_free(&all);
	if (rc)
		return rc;
	if (!o->n) {
		o->v[0] = EMU_ANSWER;
		o->n = 1;
	}
	size_t at = 0;
	for (size_t i = 0; i < o->n; i++)
		at += (size_t)snprintf(o->text + at, sizeof(o->text) - at, "%s%s", i ? "," : "",
		                       emu_outcome_name(o->v[i]));
	return 0;
}

/* The routes the answer dialled, in order: which answered, which were passed over. */
static void tried_table(struct creq *r, const struct desttest_result *res)
{
	if (!res->nt)
		return;
	buf_adds(r->out, "<h2>Routes tried</h2><table class=\"list tried\" id=\"tried\"><thead>"
	                 "<tr><th>#</th><th>Leg</th><th>Dialled</th><th>Ends</th><th></th></tr>"
	                 "</thead><tbody>");
	for (size_t i = 0; i < res->nt; i++) {
		const struct desttest_target *t = &res->t[i];
		bool fin = t == res->final;
		html_f(r->out,
		       "<tr class=\"%r\"><td>%zu</td><td>%s</td><td><code>%s</code></td><td><span "
		       "class=\"badge st-%s\">%s</span></td><td>%r</td></tr>",
		       fin ? "final" : "passed", i + 1, t->label, t->to, t->status, t->status,
		       fin ? (res->ok && strcmp(t->status, "in-progress") == 0 ? "bridged"
		                                                               : "the last tried")
		           : "passed over");
	}
	buf_adds(r->out, "</tbody></table>");
}

static void legs_table(struct creq *r, json_t *call)
{
	buf_adds(r->out, "<table class=\"list legs\" id=\"legs\"><thead><tr><th>Leg</th><th>Party"
	                 "</th><th>Direction</th><th>Ends</th><th>From</th><th>To</th></tr></thead>"
	                 "<tbody>");
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		html_f(r->out,
		       "<tr><td>%s</td><td>%s</td><td>%s</td><td><span class=\"badge st-%s\">%s"
		       "</span></td><td><code>%s</code></td><td><code>%s</code></td></tr>",
		       json_string_value(json_object_get(l, "label")),
		       json_string_value(json_object_get(l, "party")),
		       json_string_value(json_object_get(l, "direction")),
		       json_string_value(json_object_get(l, "status")),
		       json_string_value(json_object_get(l, "status")),
		       json_string_value(json_object_get(l, "from")),
		       json_string_value(json_object_get(l, "to")));
	}
	buf_adds(r->out, "</tbody></table>");
}

static void hook_block(struct creq *r, const char *what, const struct desttest_hook *h)
{
	if (!h) {
		html_f(r->out,
		       "<div class=\"hook\"><h3>%s</h3><p class=\"muted\">not requested</p>"
		       "</div>",
		       what);
		return;
	}
	char st[48];
	if (h->error)
		snprintf(st, sizeof(st), "Twilio error %d", h->error);
	else
		snprintf(st, sizeof(st), "%d", h->status);
	const char *body = h->body ? h->body : "";
	if (strncmp(body, "<?xml", 5) == 0 && strchr(body, '\n'))
		body = strchr(body, '\n') + 1;
	html_f(r->out,
	       "<div class=\"hook\"><h3>%s</h3><p><code>%s %s</code> &rarr; <b>%s</b> %s</p>"
	       "<pre>%s</pre></div>",
	       what, h->method, h->url, st, h->content_type, body);
}

void page_test(struct creq *r)
{
	const char *name = page_q(r, "name");
	const char *env = page_q(r, "env");
	const char *hdrs = page_q(r, "refer_headers");
	const char *at = page_q(r, "at");
	if (at && !*at)
		at = NULL;
	struct outcomes oc;
	char err[600];
	if (outcomes_of(r, &oc, err, sizeof(err))) {
		page_error(r, 400, "Bad test", err);
		return;
	}
	bool live = env && strcmp(env, "live") == 0;
	/* Refer-To headers: one "Name: value" a line, as --refer-header takes them */
	char hcopy[2048];
	snprintf(hcopy, sizeof(hcopy), "%s", hdrs ? hdrs : "");
	const char *rh[DESTTEST_MAX_RHDRS];
	size_t nrh = 0;
	for (char *save = NULL, *line = strtok_r(hcopy, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		while (*line == ' ')
			line++;
		if (!*line)
			continue;
		if (!strchr(line, ':') || line[0] == ':' || nrh >= DESTTEST_MAX_RHDRS) {
			page_error(r, 400, "Bad test",
			           "each Refer-To header is 'Name: value', at most 8 of them");
			return;
		}
		rh[nrh++] = line;
	}
	struct store *s = page_store(r);
	if (!s)
		return;
	struct dest_set *sand = NULL;
	int rc = store_load(s, DEST_SANDBOX, &sand, err, sizeof(err));
	store_close(s);
	if (rc) {
		page_error(r, 500, "The database cannot be read", err);
		return;
	}
	if (name && !slug(name)) {
		dest_set_release(sand);
		page_error(r, 400, "Bad test", "that is not a destination name");
		return;
	}
	/* the destination the route selects are for: the one named, else the first listed */
	const struct dest *shown = name      ? dest_set_find(sand, str_c(name))
	                           : sand->n ? &sand->dests[0]
	                                     : NULL;
	struct desttest_req rq = {.name = name,
	                          .db = r->c->db,
	                          .rhdr = rh,
	                          .nrhdr = nrh,
	                          .live = live,
	                          .ntarget = oc.n,
	                          .target_arg = oc.text,
	                          .at = at};
	memcpy(rq.targets, oc.v, sizeof(rq.targets));
	struct desttest_result res;
	bool ran = false;
	const char *refused = NULL; /* why the test did not run: the form says it */
	if (name) {
		rc = desttest_run(&rq, &res, err, sizeof(err));
		if (rc == EINVAL) { /* --at that does not read: said beside the form */
			desttest_free(&res);
			refused = err;
		} else if (rc) {
			desttest_free(&res);
			dest_set_release(sand);
			page_error(r, 500, "The test could not run", err);
			return;
		} else {
			ran = true;
		}
	}
	struct ladder *lad = ran ? calloc(1, sizeof(*lad)) : NULL;
	if (lad)
		ladder_from_events(res.events, lad);
	if (r->json) {
		if (refused) {
			page_error(r, 400, "Bad test", refused);
		} else if (!ran) {
			page_error(r, 400, "Bad test", "give name=DESTINATION");
		} else {
			json_t *doc = desttest_json(&rq, &res);
			json_object_set(doc, "events", res.events);
			json_object_set_new(doc, "ladder", ladder_json(lad));
			page_json(r, 200, doc);
		}
		goto out;
	}
	if (refused)
		r->resp->status = 400;
	page_begin(r, "Test in sandbox", "test");
	buf_adds(r->out, "<p class=\"help\">A call to the sandbox number: the agent answers, "
	                 "sends REFER to the destination, Twilio asks this server's "
	                 "<code>/sandbox/refer</code> (in-process, over the database) and dials "
	                 "what it answers; the target does what you choose. Nobody's phone "
	                 "rings.</p>");
	test_form(r, sand, name, shown, &oc, at, hdrs, live);
	if (refused)
		html_f(r->out, "<p class=\"error\" id=\"test-error\">%s</p>", refused);
	if (ran) {
		html_f(r->out, "<section class=\"verdict %r\" id=\"verdict\"><h2>%r</h2><p>%s</p>",
		       res.ok ? "ok" : "fail", res.ok ? "The transfer works" : "The transfer fails",
		       res.reason);
		if (!res.ok && res.hint)
			html_f(r->out, "<p class=\"hint\">%s</p>", res.hint);
		/* opening hours: who answered, as 'dest test' says it */
		const struct desttest_hook *rhk = res.refer_hook;
		if (rhk && rhk->dest && rhk->asked)
			html_f(r->out,
			       "<p id=\"answered-by\">answered by <b>%s</b>: %s is closed%r%s</p>",
			       rhk->dest, rhk->asked, res.at[0] ? " at " : "", res.at);
		else if (rhk && rhk->dest && res.at[0])
			html_f(r->out, "<p id=\"answered-by\">answered by <b>%s</b> at %s</p>",
			       rhk->dest, res.at);
		buf_adds(r->out, "<p>Connected: ");
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(res.call, "connected"), i, v)
		{
			html_f(r->out, "<b class=\"pair\">%s</b> ", json_string_value(v));
		}
		if (!json_array_size(json_object_get(res.call, "connected")))
			buf_adds(r->out, "nobody");
		buf_adds(r->out, "</p></section>");
		tried_table(r, &res);
		buf_adds(r->out, "<h2>The call</h2><div class=\"ladder-wrap\" id=\"ladder\">");
		ladder_svg(lad, r->out);
		buf_adds(r->out, "</div>");
		if (lad->dropped)
			html_f(r->out, "<p class=\"muted\">%zu more events not drawn</p>",
			       lad->dropped);
		buf_adds(r->out,
		         "<details class=\"events\"><summary>Every message with its headers"
		         "</summary><table class=\"list\"><thead><tr><th>Time</th><th>From"
		         "</th><th>To</th><th>Message</th><th>Detail</th></tr></thead><tbody>");
		for (size_t k = 0; k < lad->n; k++) {
			const struct ladder_msg *m = &lad->v[k];
			char fl[LADDER_LANE_TITLE_MAX], tl[LADDER_LANE_TITLE_MAX];
			html_f(r->out,
			       "<tr><td>+%lld "
			       "ms</td><td>%s</td><td>%s</td><td>%s</td><td><pre>%s</pre>"
			       "</td></tr>",
			       (long long)m->t_ms, ladder_lane_title(lad, m->from, fl),
			       ladder_lane_title(lad, m->to, tl), m->label, m->detail);
		}
		buf_adds(r->out, "</tbody></table></details>");
		buf_adds(r->out, "<h2>Legs</h2>");
		legs_table(r, res.call);
		if (res.invite) {
			html_f(r->out, "<h2>What the target receives</h2><p><code>%s</code></p>",
			       res.invite);
			const char *k;
			json_t *hv;
			buf_adds(r->out, "<ul class=\"hdrs\" id=\"target-headers\">");
			json_object_foreach(res.headers, k, hv)
			{
				html_f(r->out, "<li><code>%s: %s</code></li>", k,
				       json_string_value(hv));
			}
			buf_adds(r->out, "</ul>");
		}
		buf_adds(r->out, "<h2>Webhooks</h2><div class=\"hooks\">");
		hook_block(r, "voice", res.voice);
		hook_block(r, "referUrl", res.refer_hook);
		buf_adds(r->out, "</div>");
	}
	struct buf cmd;
	buf_init(&cmd, 4096);
	buf_adds(&cmd, "handoff dest test ");
	html_shell(&cmd, name ? name : "NAME");
	if (live)
		buf_adds(&cmd, " --env live");
	if (strcmp(oc.text, "answer") != 0) {
		buf_adds(&cmd, " --target ");
		html_shell(&cmd, oc.text);
	}
	if (at) {
		buf_adds(&cmd, " --at ");
		html_shell(&cmd, at);
	}
	for (size_t i = 0; i < nrh; i++) {
		buf_adds(&cmd, " --refer-header ");
		html_shell(&cmd, rh[i]);
	}
	page_end(r, buf_str(&cmd));
	buf_free(&cmd);
out:
	free(lad);
	if (ran)
		desttest_free(&res);
	dest_set_release(sand);
}

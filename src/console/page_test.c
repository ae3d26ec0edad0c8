/* page_test: "Test in sandbox": the same in-process test as 'handoff dest test' (a call to
 * the sandbox number, the agent's REFER, the target's outcome), drawn as a ladder with the
 * legs, who is bridged to whom, the webhooks' TwiML and the verdict. */
#include "console/console_int.h"
#include "console/ladder.h"

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

/* The form: which destination, what the target does, Refer-To headers, which set. */
static void test_form(struct creq *r, const struct dest_set *sand, const char *name,
                      enum emu_outcome target, const char *headers, bool live)
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
	buf_adds(r->out, "</select></label><label>The target <select name=\"target\" "
	                 "id=\"t-target\">");
	for (int i = 0; i < 4; i++)
		html_f(r->out, "<option value=\"%s\"%r>%s</option>", outcomes[i],
		       (int)target == i ? " selected" : "", outcome_labels[i]);
	html_f(r->out,
	       "</select></label><label>Set <select name=\"env\"><option value=\"sandbox\"%r>"
	       "sandbox</option><option value=\"live\"%r>live</option></select></label>"
	       "<label>Refer-To headers <small>(one 'X-Name: value' a line; they feed "
	       "$refer.X-Name)</small><textarea name=\"refer_headers\" rows=\"2\" "
	       "id=\"t-headers\" placeholder=\"X-Reason: upsell\">%s</textarea></label>"
	       "<div class=\"buttons\"><button type=\"submit\" class=\"primary\" id=\"run\">Make "
	       "a test call</button></div></form>",
	       live ? "" : " selected", live ? " selected" : "", headers);
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
	const char *tname = page_q(r, "target");
	const char *env = page_q(r, "env");
	const char *hdrs = page_q(r, "refer_headers");
	enum emu_outcome target = EMU_ANSWER;
	if (tname && emu_outcome_parse(tname, &target)) {
		page_error(r, 400, "Bad test",
		           "the target must be answer, busy, no-answer or fail");
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
	char err[600];
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
	struct desttest_req rq = {.name = name,
	                          .db = r->c->db,
	                          .rhdr = rh,
	                          .nrhdr = nrh,
	                          .live = live,
	                          .targets = {target},
	                          .ntarget = 1};
	struct desttest_result res;
	bool ran = false;
	if (name) {
		rc = desttest_run(&rq, &res, err, sizeof(err));
		if (rc) {
			desttest_free(&res);
			dest_set_release(sand);
			page_error(r, 500, "The test could not run", err);
			return;
		}
		ran = true;
	}
	struct ladder *lad = ran ? calloc(1, sizeof(*lad)) : NULL;
	if (lad)
		ladder_from_events(res.events, lad);
	if (r->json) {
		if (!ran) {
			page_error(r, 400, "Bad test", "give name=DESTINATION");
		} else {
			json_t *doc = desttest_json(&rq, &res);
			json_object_set(doc, "events", res.events);
			json_object_set_new(doc, "ladder", ladder_json(lad));
			page_json(r, 200, doc);
		}
		goto out;
	}
	page_begin(r, "Test in sandbox", "test");
	buf_adds(r->out, "<p class=\"help\">A call to the sandbox number: the agent answers, "
	                 "sends REFER to the destination, Twilio asks this server's "
	                 "<code>/sandbox/refer</code> (in-process, over the database) and dials "
	                 "what it answers; the target does what you choose. Nobody's phone "
	                 "rings.</p>");
	test_form(r, sand, name, target, hdrs, live);
	if (ran) {
		html_f(r->out, "<section class=\"verdict %r\" id=\"verdict\"><h2>%r</h2><p>%s</p>",
		       res.ok ? "ok" : "fail", res.ok ? "The transfer works" : "The transfer fails",
		       res.reason);
		if (!res.ok && res.hint)
			html_f(r->out, "<p class=\"hint\">%s</p>", res.hint);
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
			html_f(r->out,
			       "<tr><td>+%lld "
			       "ms</td><td>%s</td><td>%s</td><td>%s</td><td><pre>%s</pre>"
			       "</td></tr>",
			       (long long)m->t_ms, ladder_lane_name(m->from),
			       ladder_lane_name(m->to), m->label, m->detail);
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
	if (target != EMU_ANSWER)
		html_f(&cmd, " --target %s", outcomes[target]);
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

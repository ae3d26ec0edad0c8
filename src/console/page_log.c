/* page_log: Recent transfers (the running server's last /refer and /transfer answers, from
 * its ring, newest first, filtered) and the Audit log (who changed what and when). */
#include "console/console_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

#define AUDIT_PAGE 200 /* audit rows a page shows */

static bool has(const char *s, const char *q)
{
	return s && strcasestr(s, q);
}

/* status=: "ok" (2xx), "refused" (anything else), or a number; q=: any text field. */
static bool transfer_matches(const struct console_transfer *t, const char *q, const char *st)
{
	if (st && *st) {
		if (strcmp(st, "ok") == 0 && (t->status < 200 || t->status > 299))
			return false;
		if (strcmp(st, "refused") == 0 && t->status >= 200 && t->status <= 299)
			return false;
		if (st[0] >= '0' && st[0] <= '9' && atoi(st) != t->status)
			return false;
	}
	if (!q || !*q)
		return true;
	return has(t->call_sid, q) || has(t->target, q) || has(t->dest, q) || has(t->why, q) ||
	       has(t->route, q);
}

void page_transfers(struct creq *r)
{
	const char *q = page_q(r, "q"), *st = page_q(r, "status");
	struct console_transfer *v = NULL;
	size_t n = 0;
	if (r->c->source.recent) {
		v = xcalloc(CONSOLE_RECENT_MAX, sizeof(*v));
		n = r->c->source.recent(r->c->source.ctx, v, CONSOLE_RECENT_MAX);
	}
	if (r->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			if (!transfer_matches(&v[i], q, st))
				continue;
			char when[40];
			page_time_ms(when, v[i].at_ms);
			json_t *o =
			    json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:s, s:f}", "at",
			              when, "method", v[i].method, "route", v[i].route, "status",
			              v[i].status, "call_sid", v[i].call_sid, "target", v[i].target,
			              "dest", v[i].dest, "version", v[i].version, "why", v[i].why,
			              "latency_ms", v[i].latency_us / 1000.0);
			json_array_append_new(arr, o);
		}
		page_json(r, 200,
		          json_pack("{s:b, s:o}", "server", r->c->source.recent != NULL,
		                    "transfers", arr));
		free(v);
		return;
	}
	page_begin(r, "Recent transfers", "transfers");
	if (!r->c->source.recent)
		buf_adds(r->out, "<p class=\"banner\">This console runs on its own (<code>handoff "
		                 "console</code>): no webhook server answers transfers in this "
		                 "process. Start the server with <code>handoff serve --console "
		                 "ADDR:PORT</code> to see them here.</p>");
	html_f(r->out,
	       "<form class=\"search\" method=\"get\" action=\"/console/transfers\"><input "
	       "type=\"search\" name=\"q\" value=\"%s\" placeholder=\"CallSid, target, "
	       "destination, reason\" aria-label=\"Search\"><select name=\"status\" "
	       "aria-label=\"Status\"><option value=\"\">any status</option><option "
	       "value=\"ok\"%r>answered (2xx)</option><option value=\"refused\"%r>refused</option>"
	       "</select><button type=\"submit\">Filter</button></form>",
	       q, st && strcmp(st, "ok") == 0 ? " selected" : "",
	       st && strcmp(st, "refused") == 0 ? " selected" : "");
	html_f(r->out,
	       "<p class=\"help\">The last %d requests the server answered on <code>/refer</code> "
	       "and <code>/transfer</code>, newest first (kept in memory, gone on restart).</p>",
	       CONSOLE_RECENT_MAX);
	buf_adds(r->out,
	         "<table class=\"list\" id=\"transfers\"><thead><tr><th>Time (UTC)</th>"
	         "<th>Route</th><th>Status</th><th>CallSid</th><th>Target</th><th>Destination"
	         "</th><th>Version</th><th>Latency</th><th>Why refused</th></tr></thead>"
	         "<tbody>");
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		const struct console_transfer *t = &v[i];
		if (!transfer_matches(t, q, st))
			continue;
		char when[40], ver[24];
		page_time_ms(when, t->at_ms);
		if (t->version > 0)
			snprintf(ver, sizeof(ver), "live %d", t->version);
		else
			snprintf(ver, sizeof(ver), "%s", t->version == 0 ? "sandbox" : "");
		html_f(
		    r->out,
		    "<tr class=\"%r\"><td>%s</td><td><code>%s %s</code></td><td><span "
		    "class=\"badge "
		    "%r\">%d</span></td><td><code>%s</code></td><td><code>%s</code></td><td>%s</td>"
		    "<td>%s</td><td>%d.%03d ms</td><td class=\"why\">%s</td></tr>",
		    t->status == 200 ? "" : "refused", when, t->method, t->route,
		    t->status == 200 ? "same" : "removed", t->status, t->call_sid, t->target,
		    t->dest, ver, (int)(t->latency_us / 1000), (int)(t->latency_us % 1000), t->why);
		shown++;
	}
	if (!shown)
		buf_adds(r->out,
		         "<tr><td colspan=\"9\" class=\"muted\">no transfers yet</td></tr>");
	buf_adds(r->out, "</tbody></table>");
	free(v);
	page_end(r, "journalctl -u handoff-serve | grep -E 'serve: (POST|GET) /(sandbox/)?(refer|"
	            "transfer)'");
}

void page_audit(struct creq *r)
{
	const char *q = page_q(r, "q"), *before = page_q(r, "before");
	struct store *s = page_store(r);
	if (!s)
		return;
	char err[600];
	struct store_audit *a;
	size_t n;
	int rc = store_audit_list(s, before ? strtoll(before, NULL, 10) : 0, AUDIT_PAGE, &a, &n,
	                          err, sizeof(err));
	store_close(s);
	if (rc) {
		page_error(r, 500, "The database cannot be read", err);
		return;
	}
	if (r->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			char when[32];
			page_time(when, a[i].at);
			json_t *o =
			    json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s}", "id", (json_int_t)a[i].id,
			              "at", when, "author", a[i].author, "action", a[i].action,
			              "dest", a[i].dest, "detail", a[i].detail);
			json_object_set_new(
			    o, "version", a[i].version ? json_integer(a[i].version) : json_null());
			if (!q || !*q || has(a[i].author, q) || has(a[i].dest, q) ||
			    has(a[i].detail, q) || has(a[i].action, q))
				json_array_append_new(arr, o);
			else
				json_decref(o);
		}
		page_json(r, 200, arr);
		store_audit_free(a, n);
		return;
	}
	page_begin(r, "Audit log", "audit");
	html_f(r->out,
	       "<form class=\"search\" method=\"get\" action=\"/console/audit\"><input "
	       "type=\"search\" name=\"q\" value=\"%s\" placeholder=\"author, destination, "
	       "change\" aria-label=\"Search\"><button type=\"submit\">Filter</button></form>"
	       "<p class=\"help\">Every change to the database, from this console (its login name) "
	       "and from the CLI (the user name), newest first.</p>",
	       q);
	buf_adds(r->out, "<table class=\"list\" id=\"audit\"><thead><tr><th>When (UTC)</th><th>Who"
	                 "</th><th>What</th><th>On</th><th>Change</th></tr></thead><tbody>");
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (q && *q && !has(a[i].author, q) && !has(a[i].dest, q) && !has(a[i].detail, q) &&
		    !has(a[i].action, q))
			continue;
		char when[32], on[48];
		page_time(when, a[i].at);
		if (a[i].dest)
			snprintf(on, sizeof(on), "%s", a[i].dest);
		else if (a[i].version)
			snprintf(on, sizeof(on), "version %d", a[i].version);
		else
			snprintf(on, sizeof(on), "the sandbox");
		html_f(r->out,
		       "<tr><td>%s</td><td>%s</td><td><span class=\"badge act-%s\">%s</span></td>"
		       "<td>%s</td><td class=\"detail\">%s</td></tr>",
		       when, a[i].author, a[i].action, a[i].action, on, a[i].detail);
		shown++;
	}
	if (!shown)
		buf_adds(r->out,
		         "<tr><td colspan=\"5\" class=\"muted\">no changes recorded</td></tr>");
	buf_adds(r->out, "</tbody></table>");
	if (n == AUDIT_PAGE)
		html_f(r->out, "<p><a href=\"/console/audit?before=%lld\">Older</a></p>",
		       (long long)a[n - 1].id);
	store_audit_free(a, n);
	page_end(r, "handoff audit 200");
}

/* desttest: try one destination: a call to the sandbox number and a REFER to NAME through the
 * engine, against a running server or the handler in-process, and the verdict. */
#include "emulator/desttest.h"

#include <ctype.h>
#include <errno.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/app.h"
#include "emulator/live.h"
#include "emulator/rest.h"
#include "net/httpc.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/mem.h"
#include "webhooks/hours.h"

/* A fetcher that remembers every exchange of the one call under test. */
struct capture {
	struct emu_fetcher inner;
	struct desttest_result *res;
	struct emu_app *app; /* the in-process server, or NULL */
};

static int capture_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	struct capture *c = ctx;
	int rc = c->inner.fetch(c->inner.ctx, req, res);
	struct desttest_result *r = c->res;
	if (r->nhooks < DESTTEST_MAX_HOOKS) {
		struct desttest_hook *h = &r->hooks[r->nhooks++];
		h->method = xstrdup(req->method);
		h->url = xstrdup(req->url);
		h->status = res->status;
		h->error = rc ? 11200 : res->error;
		h->content_type = res->content_type ? xstrdup(res->content_type) : NULL;
		h->body = res->body ? xstrndup(res->body, res->body_len) : NULL;
		const char *asked = "";
		const char *dest = c->app ? emu_app_last_dest(c->app, &asked) : "";
		h->dest = *dest ? xstrdup(dest) : NULL;
		h->asked = *asked ? xstrdup(asked) : NULL;
	}
	return rc;
}

const struct desttest_hook *desttest_hook_for(const struct desttest_result *r, const char *suffix)
{
	for (size_t i = 0; i < r->nhooks; i++) {
		const char *u = r->hooks[i].url;
		size_t ul = strcspn(u, "?"), sl = strlen(suffix);
		if (ul >= sl && strncmp(u + ul - sl, suffix, sl) == 0)
			return &r->hooks[i];
	}
	return NULL;
}

static json_t *leg_by_label(json_t *call, const char *label)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		if (strcmp(json_string_value(json_object_get(l, "label")), label) == 0)
			return l;
	}
	return NULL;
}

static const char *str_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static bool connected_has(json_t *call, const char *pair)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(call, "connected"), i, v)
	{
		if (strcmp(json_string_value(v), pair) == 0)
			return true;
	}
	return false;
}

static size_t ntarget_of(const struct desttest_req *rq)
{
	return rq->ntarget ? rq->ntarget : 1;
}

/* What party i does: the i-th outcome, the last repeating (answer when none is given). */
static enum emu_outcome outcome_of(const struct desttest_req *rq, size_t i)
{
	if (!rq->ntarget)
		return EMU_ANSWER;
	return rq->targets[i < rq->ntarget ? i : rq->ntarget - 1];
}

const char *desttest_target_name(const struct desttest_req *rq)
{
	return rq->target_arg ? rq->target_arg : emu_outcome_name(outcome_of(rq, 0));
}

/* The headers an INVITE event carried, as the target receives them (its "sip" object's:
 * the URI headers decoded, or the <Headers> as written), into h. Not the text: a value
 * may hold "; " itself (User-to-User: 1234;encoding=hex). */
void desttest_invite_headers(json_t *ev, json_t *h)
{
	json_t *s = json_object_get(ev, "sip");
	const char *m = json_string_value(json_object_get(s, "method"));
	if (m && strcmp(m, "INVITE") == 0)
		json_object_update(h, json_object_get(s, "headers"));
}

/* Reads the parties the answer dialled (every leg but the caller's and the agent's) and what
 * their INVITEs carried out of the call and its timeline. */
static void read_targets(json_t *call, json_t *events, struct desttest_result *r)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		const char *label = str_of(l, "label");
		if (!strcmp(label, "P") || !strcmp(label, "A") || r->nt == DESTTEST_MAX_TRIED)
			continue;
		struct desttest_target *t = &r->t[r->nt++];
		*t = (struct desttest_target){label, str_of(l, "to"), str_of(l, "status"), NULL,
		                              json_object()};
		size_t j;
		json_t *ev;
		json_array_foreach(events, j, ev)
		{
			const char *text = str_of(ev, "text");
			if (strcmp(str_of(ev, "kind"), "sip") || strcmp(str_of(ev, "leg"), label) ||
			    strncmp(text, "INVITE ", 7))
				continue;
			if (!t->invite)
				t->invite = text;
			desttest_invite_headers(ev, t->headers);
		}
	}
}

static int unhex(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* s[0..n) percent-decoded by RFC 3986 alone ('+' stays '+'): what the URI means. */
static char *uri_decode(const char *s, size_t n)
{
	char *o = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (s[i] == '%' && i + 2 < n && (h = unhex((unsigned char)s[i + 1])) >= 0 &&
		    (l = unhex((unsigned char)s[i + 2])) >= 0) {
			o[k++] = (char)(h * 16 + l);
			i += 2;
		} else {
			o[k++] = s[i];
		}
	}
	o[k] = '\0';
	return o;
}

/* A value for a message: quoted, control bytes as \xNN, cut at 60 bytes. */
static void quoted(const char *v, char *out, size_t cap)
{
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < 60 && v[i] && o + 6 < cap; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == '"' || c == 0x7f)
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* Compares each URI header of a target's address (the <Sip> or <Uri> the answer dialled),
 * as RFC 3986 reads it, with what its INVITE carried: one warning each that differs (a
 * '+' that arrived as a space, most likely). */
static void check_target(const struct desttest_target *t, json_t *warnings)
{
	const char *q = strchr(t->to, '?');
	for (const char *p = q ? q + 1 : ""; *p;) {
		size_t n = strcspn(p, "&");
		const char *eq = memchr(p, '=', n);
		if (eq) {
			char *name = uri_decode(p, (size_t)(eq - p));
			char *meant = uri_decode(eq + 1, n - (size_t)(eq - p) - 1);
			const char *got = json_string_value(json_object_get(t->headers, name));
			if (got && strcmp(got, meant) != 0) {
				char qg[128], qm[128];
				quoted(got, qg, sizeof(qg));
				quoted(meant, qm, sizeof(qm));
				bool plus = strchr(meant, '+') != NULL;
				json_array_append_new(
				    warnings,
				    json_sprintf(
				        "%s reaches the target as %s, but the answer's URI "
				        "means %s%s",
				        name, qg, qm,
				        plus ? ": Twilio reads '+' in a <Sip> header value as "
				               "a space, so the server must write it %2B"
				             : ""));
			}
			free(name);
			free(meant);
		}
		p += n + (p[n] == '&');
	}
}

static void check_values(struct desttest_result *r)
{
	r->warnings = json_array();
	for (size_t i = 0; i < r->nt; i++)
		check_target(&r->t[i], r->warnings);
}

/* Why a webhook did not give usable TwiML, or NULL when it answered 200. */
static const char *hook_problem(const struct desttest_hook *h, char *out, size_t cap)
{
	if (!h)
		snprintf(out, cap, "it was never requested");
	else if (h->error)
		snprintf(out, cap, "the server could not be reached (Twilio error %d)", h->error);
	else if (h->status != 200)
		snprintf(out, cap, "the server answered %d", h->status);
	else
		return NULL;
	return out;
}

static json_t *hook_json(const struct desttest_hook *h)
{
	if (!h)
		return json_null();
	return json_pack("{s:s, s:s, s:i, s:i, s:s?, s:s?, s:s?, s:s?}", "method", h->method, "url",
	                 h->url, "status", h->status, "error", h->error, "content_type",
	                 h->content_type, "twiml", h->body, "destination", h->dest, "asked",
	                 h->asked);
}

json_t *desttest_json(const struct desttest_req *rq, const struct desttest_result *r)
{
	json_t *tried = json_array();
	for (size_t i = 0; i < r->nt; i++)
		json_array_append_new(tried, json_pack("{s:s, s:s, s:s, s:s?, s:O}", "label",
		                                       r->t[i].label, "to", r->t[i].to, "status",
		                                       r->t[i].status, "invite", r->t[i].invite,
		                                       "headers", r->t[i].headers));
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:o, s:{s:s, s:O?, s:O?, s:o}, s:{s:s?, s:O}, "
	    "s:o, s:O?, s:O?, s:O?, s:s?}",
	    "name", rq->name, "env", rq->live ? "live" : "sandbox", "server", r->where, "target",
	    desttest_target_name(rq), "call_sid", str_of(r->call, "sid"), "ok", r->ok, "reason",
	    r->reason, "voice", hook_json(r->voice), "refer", "refer_to",
	    r->refer_to ? r->refer_to : "", "sip_response",
	    json_object_get(r->refer, "sip_response"), "notify",
	    json_object_get(r->refer, "notify"), "webhook", hook_json(r->refer_hook),
	    "target_invite", "invite", r->invite, "headers", r->headers, "targets", tried, "legs",
	    json_object_get(r->call, "legs"), "connected", json_object_get(r->call, "connected"),
	    "warnings", r->warnings, "at", r->at[0] ? r->at : NULL);
}

/* With the parties dialled known: each route did as --target said (the last outcome given
 * repeats), and the caller ended bridged to the one that answered, or back with the agent. */
static void judge_targets(const struct desttest_req *rq, const struct desttest_hook *rh,
                          json_t *call, struct desttest_result *r)
{
	static const char *const want_status[] = {"in-progress", "busy", "no-answer", "failed"};
	char *end = r->reason;
	size_t cap = sizeof(r->reason);
	for (size_t i = 0; i < r->nt; i++) {
		const struct desttest_target *t = &r->t[i];
		enum emu_outcome want = outcome_of(rq, i);
		r->final = t;
		if (want == EMU_ANSWER) {
			char pair[16];
			snprintf(pair, sizeof(pair), "%s<->caller", t->label);
			r->ok = connected_has(call, pair);
			/* opening hours: another destination may answer for the one named */
			bool other = rh->dest && rh->asked;
			snprintf(end, cap,
			         r->ok ? "the caller is bridged to %s%s%s (%s)"
			               : "the caller is not bridged to %s%s%s (%s)",
			         other ? rh->dest : rq->name, other ? ", which answers for " : "",
			         other ? rq->name : "", t->to);
			if (!r->ok)
				snprintf(end + strlen(end), cap - strlen(end), "; its leg is %s",
				         t->status);
			else if (i)
				snprintf(end + strlen(end), cap - strlen(end),
				         ", after %zu route%s that did not answer", i,
				         i == 1 ? "" : "s");
			return;
		}
		if (strcmp(t->status, want_status[want]) != 0) {
			snprintf(end, cap, "route %zu (%s) should be %s, its leg is %s", i + 1,
			         t->to, want_status[want], t->status);
			return;
		}
	}
	if (r->nt < ntarget_of(rq)) {
		snprintf(end, cap,
		         "--target gives %zu outcomes but the answer dialled %zu route%s: give the "
		         "destination failover routes (handoff dest set %s --failover SIP-ROUTE)",
		         ntarget_of(rq), r->nt, r->nt == 1 ? "" : "s", rq->name);
		return;
	}
	r->ok = connected_has(call, "agent<->caller");
	if (r->nt == 1)
		snprintf(end, cap,
		         r->ok ? "the target's leg is %s and the caller is back with the agent"
		               : "the target's leg is %s and the caller is not back with the agent",
		         r->final->status);
	else
		snprintf(end, cap,
		         r->ok
		             ? "no route answered (the last is %s) and the caller is back with the "
		               "agent"
		             : "no route answered (the last is %s) and the caller is not back with "
		               "the agent",
		         r->final->status);
}

/* Decides whether the transfer worked; fills r. */
static void judge(const struct desttest_req *rq, const char *set, const char *why,
                  struct desttest_result *r)
{
	char p[256];
	const struct desttest_hook *vh = r->voice;
	json_t *call = r->call, *refer = r->refer;
	json_t *agent = leg_by_label(call, "A");
	if (!agent || !refer) {
		const char *pr = hook_problem(vh, p, sizeof(p));
		snprintf(r->reason, sizeof(r->reason), "the call never reached the agent: %s%s%s",
		         pr ? r->voice_path : "the TwiML answered dialled no agent", pr ? ": " : "",
		         pr ? pr : "");
		if (why && *why)
			snprintf(r->reason + strlen(r->reason),
			         sizeof(r->reason) - strlen(r->reason), " (%s)", why);
		if (vh && vh->status == 404)
			r->hint =
			    "start the server with --agent SIP-URI: /voice answers 404 without it";
		else if (vh && vh->status == 403)
			r->hint =
			    "sign with the server's token: set TWILIO_AUTH_TOKEN or --token-env";
		return;
	}
	long long sip = json_integer_value(json_object_get(refer, "sip_response"));
	const struct desttest_hook *rh = r->refer_hook;
	if (sip != 202 || !rh) {
		snprintf(r->reason, sizeof(r->reason),
		         "the REFER was answered %lld and no referUrl webhook was sent", sip);
		return;
	}
	if (rh->error || rh->status != 200) {
		if (rh->status == 404) {
			snprintf(r->reason, sizeof(r->reason),
			         "no destination named %s in the %s: the server answered 404",
			         rq->name, set);
			r->hint = rq->live ? "the names: handoff dest list --env live (promote to "
			                     "make sandbox edits live)"
			                   : "the names: handoff dest list --env sandbox";
		} else if (rh->status == 403) {
			snprintf(r->reason, sizeof(r->reason),
			         "the server refused the webhook's signature (403)");
			r->hint =
			    "sign with the server's token: set TWILIO_AUTH_TOKEN or --token-env";
		} else
			snprintf(r->reason, sizeof(r->reason), "the referUrl webhook failed: %s",
			         hook_problem(rh, p, sizeof(p)));
		if (why && *why && rh->status != 404)
			snprintf(r->reason + strlen(r->reason),
			         sizeof(r->reason) - strlen(r->reason), " (%s)", why);
		return;
	}
	if (r->nt == 0) {
		snprintf(r->reason, sizeof(r->reason),
		         "the server's answer dialled no target (see its TwiML above)");
		return;
	}
	judge_targets(rq, rh, call, r);
}

/* <sip:NAME@handoff.test?X-A=v&...>, each value percent-encoded. */
static char *refer_to_of(const struct desttest_req *rq)
{
	struct buf rt;
	buf_init(&rt, EMU_ENG_MAX_REFER_TO * 4);
	buf_printf(&rt, "<sip:%s@%s", rq->name, DESTTEST_REFER_HOST);
	for (size_t i = 0; i < rq->nrhdr && i < DESTTEST_MAX_RHDRS; i++) {
		const char *colon = strchr(rq->rhdr[i], ':'), *v = colon + 1;
		while (*v == ' ')
			v++;
		buf_printf(&rt, "%c%.*s=", i ? '&' : '?', (int)(colon - rq->rhdr[i]), rq->rhdr[i]);
		httpc_urlencode(&rt, v);
	}
	buf_addc(&rt, '>');
	char *s = xstrdup(buf_str(&rt));
	buf_free(&rt);
	return s;
}

int desttest_run(const struct desttest_req *rq, struct desttest_result *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->from, sizeof(r->from), "%s", rq->from ? rq->from : DESTTEST_DEFAULT_FROM);
	r->voice_path = rq->live ? "/voice" : "/sandbox/voice";
	r->refer_path = rq->live ? "/refer" : "/sandbox/refer";
	char *token = NULL;
	struct emu_app *app = NULL;
	char base[DESTTEST_MAX_URL + 1];
	int rc = 0;
	if (rq->server) {
		token = xstrdup(rq->token ? rq->token : "");
		snprintf(base, sizeof(base), "%s", rq->server);
		size_t bl = strlen(base);
		while (bl && base[bl - 1] == '/')
			base[--bl] = 0;
		snprintf(r->where, sizeof(r->where), "server %s", base);
	} else {
		char sid[35];
		emu_rest_sid(sid, "XX"); /* a throw-away token: the handler checks what we sign */
		token = xstrdup(sid + 2);
		if ((rc = emu_app_open(rq->db, DESTTEST_AGENT, token, &app, err, errlen))) {
			xwipe(token, strlen(token));
			free(token);
			return rc;
		}
		snprintf(base, sizeof(base), "%s", EMU_APP_BASE);
		char db[512];
		snprintf(r->where, sizeof(r->where), "in-process server over %s",
		         store_redact(rq->db, db, sizeof(db)));
		if (rq->at) {
			int64_t t;
			bool twice;
			char why[300];
			const struct tz *z = emu_app_zone(app, rq->name, rq->live);
			if (hours_parse_instant(rq->at, z, (int64_t)time(NULL), &t, &twice, why,
			                        sizeof(why))) {
				snprintf(err, errlen, "--at %s", why);
				emu_app_free(app);
				xwipe(token, strlen(token));
				free(token);
				return EINVAL;
			}
			emu_app_at(app, t);
			hours_format_instant(z, t, r->at, sizeof(r->at));
		}
	}
	struct emu_live live = {.auth_token = token};
	struct capture cap = {.res = r, .app = app};
	cap.inner = app ? (struct emu_fetcher){app, emu_app_fetch}
	                : (struct emu_fetcher){&live, emu_live_fetch};
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher = (struct emu_fetcher){&cap, capture_fetch};
	cfg.signer = (struct emu_signer){&live, emu_live_sign};
	struct emu_engine *eng = NULL;
	char voice_url[DESTTEST_MAX_URL + 32];
	snprintf(voice_url, sizeof(voice_url), "%s%s", base, r->voice_path);
	r->refer_to = refer_to_of(rq);
	if ((rc = emu_engine_new(&cfg, &eng))) {
		snprintf(err, errlen, "cannot start the engine: %s", strerror(rc));
		goto out;
	}
	struct emu_call_spec sp = {0};
	sp.profile = EMU_TWILIO_VOICE;
	sp.from = r->from;
	sp.to = DESTTEST_TO;
	sp.voice_url = voice_url;
	char psid[EMU_SID_LEN + 1];
	if ((rc = emu_call_create(eng, &sp, psid))) {
		snprintf(err, errlen, "the call could not be created: %s", strerror(rc));
		goto out;
	}
	emu_call_json(eng, psid, &r->call);
	json_t *agent = leg_by_label(r->call, "A");
	if (agent && strcmp(str_of(agent, "status"), "in-progress") == 0) {
		struct emu_refer_req rr = {.refer_to = r->refer_to,
		                           .target = outcome_of(rq, 0),
		                           .then = rq->ntarget > 1 ? rq->targets + 1 : NULL,
		                           .nthen = rq->ntarget > 1 ? rq->ntarget - 1 : 0};
		if (emu_refer(eng, str_of(agent, "sid"), &rr, &r->refer) == 0) {
			json_decref(r->call);
			r->call = NULL;
			emu_call_json(eng, psid, &r->call);
		}
	}
	emu_events_json(eng, psid, &r->events);
	read_targets(r->call, r->events, r);
	check_values(r);
	r->voice = desttest_hook_for(r, r->voice_path);
	r->refer_hook = desttest_hook_for(r, r->refer_path);
	judge(rq, rq->live ? "live set" : "sandbox", app ? emu_app_last_why(app) : "", r);
	r->headers = r->final ? json_incref(r->final->headers) : json_object();
	r->invite = r->final ? r->final->invite : NULL;
out:
	emu_engine_free(eng);
	emu_app_free(app);
	xwipe(token, strlen(token));
	free(token);
	return rc;
}

void desttest_free(struct desttest_result *r)
{
	for (size_t i = 0; i < r->nhooks; i++) {
		free(r->hooks[i].method);
		free(r->hooks[i].url);
		free(r->hooks[i].content_type);
		free(r->hooks[i].body);
		free(r->hooks[i].dest);
		free(r->hooks[i].asked);
	}
	for (size_t i = 0; i < r->nt; i++)
		json_decref(r->t[i].headers);
	r->nt = 0;
	r->final = NULL;
	json_decref(r->warnings);
	r->warnings = NULL;
	r->nhooks = 0;
	json_decref(r->call);
	json_decref(r->refer);
	json_decref(r->events);
	json_decref(r->headers);
	free(r->refer_to);
	r->call = r->refer = r->events = r->headers = NULL;
	r->refer_to = NULL;
	r->invite = NULL;
}

/* desttest: try one destination: a call to the sandbox number and a REFER to NAME through the
 * engine, against a running server or the handler in-process, and the verdict. */
#include "emulator/desttest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/app.h"
#include "emulator/live.h"
#include "emulator/rest.h"
#include "net/httpc.h"
#include "util/buf.h"
#include "util/mem.h"

/* A fetcher that remembers every exchange of the one call under test. */
struct capture {
	struct emu_fetcher inner;
	struct desttest_result *res;
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

/* Reads the target's INVITE out of the timeline: "INVITE URI with headers A: x; B: y". */
static void target_headers(json_t *events, struct desttest_result *r)
{
	r->headers = json_object();
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev)
	{
		const char *t = str_of(ev, "text");
		if (strcmp(str_of(ev, "kind"), "sip") || strcmp(str_of(ev, "leg"), "B") ||
		    strncmp(t, "INVITE ", 7))
			continue;
		r->invite = t;
		const char *w = strstr(t, " with headers ");
		if (!w)
			return;
		char *list = xstrdup(w + 14);
		for (char *save = NULL, *h = strtok_r(list, ";", &save); h;
		     h = strtok_r(NULL, ";", &save)) {
			while (*h == ' ')
				h++;
			char *colon = strstr(h, ": ");
			if (!colon)
				continue;
			*colon = 0;
			json_object_set_new(r->headers, h, json_string(colon + 2));
		}
		free(list);
		return;
	}
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
	return json_pack("{s:s, s:s, s:i, s:i, s:s?, s:s?}", "method", h->method, "url", h->url,
	                 "status", h->status, "error", h->error, "content_type", h->content_type,
	                 "twiml", h->body);
}

json_t *desttest_json(const struct desttest_req *rq, const struct desttest_result *r)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:o, s:{s:s, s:O?, s:O?, s:o}, s:{s:s?, s:O}, "
	    "s:O?, s:O?}",
	    "name", rq->name, "env", rq->live ? "live" : "sandbox", "server", r->where, "target",
	    emu_outcome_name(rq->target), "call_sid", str_of(r->call, "sid"), "ok", r->ok, "reason",
	    r->reason, "voice", hook_json(r->voice), "refer", "refer_to",
	    r->refer_to ? r->refer_to : "", "sip_response",
	    json_object_get(r->refer, "sip_response"), "notify",
	    json_object_get(r->refer, "notify"), "webhook", hook_json(r->refer_hook),
	    "target_invite", "invite", r->invite, "headers", r->headers, "legs",
	    json_object_get(r->call, "legs"), "connected", json_object_get(r->call, "connected"));
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
	json_t *b = leg_by_label(call, "B");
	if (!b) {
		snprintf(r->reason, sizeof(r->reason),
		         "the server's answer dialled no target (see its TwiML above)");
		return;
	}
	static const char *const want_status[] = {"in-progress", "busy", "no-answer", "failed"};
	const char *bs = str_of(b, "status");
	if (rq->target == EMU_ANSWER) {
		r->ok = connected_has(call, "B<->caller");
		snprintf(r->reason, sizeof(r->reason),
		         r->ok ? "the caller is bridged to %s (%s)"
		               : "the caller is not bridged to %s (%s)",
		         rq->name, str_of(b, "to"));
		if (!r->ok)
			snprintf(r->reason + strlen(r->reason),
			         sizeof(r->reason) - strlen(r->reason), "; its leg is %s", bs);
		return;
	}
	r->ok = strcmp(bs, want_status[rq->target]) == 0 && connected_has(call, "agent<->caller");
	snprintf(r->reason, sizeof(r->reason),
	         r->ok ? "the target's leg is %s and the caller is back with the agent"
	               : "the target's leg is %s and the caller is not back with the agent",
	         bs);
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
		snprintf(r->where, sizeof(r->where), "in-process server over %s", rq->db);
	}
	struct emu_live live = {token};
	struct capture cap = {.res = r};
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
		struct emu_refer_req rr = {r->refer_to, rq->target, NULL};
		if (emu_refer(eng, str_of(agent, "sid"), &rr, &r->refer) == 0) {
			json_decref(r->call);
			r->call = NULL;
			emu_call_json(eng, psid, &r->call);
		}
	}
	emu_events_json(eng, psid, &r->events);
	target_headers(r->events, r);
	r->voice = desttest_hook_for(r, r->voice_path);
	r->refer_hook = desttest_hook_for(r, r->refer_path);
	judge(rq, rq->live ? "live set" : "sandbox", app ? emu_app_last_why(app) : "", r);
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
	}
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

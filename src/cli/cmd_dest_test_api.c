/* cmd_dest_test_api: 'handoff dest test NAME --via api': the Voice API transfer through the
 * emulator's engine: a call answered by an AI agent's <Connect><Stream>, updated (as the
 * REST API does) to /sandbox/transfer/NAME, against a running server or the handler
 * in-process; the legs and the target's SIP headers are shown as for a REFER. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/dest_test_api.h"
#include "emulator/app.h"
#include "emulator/desttest.h"
#include "emulator/engine.h"
#include "emulator/live.h"
#include "emulator/rest.h"
#include "util/mem.h"

#define DTA_MAX_HOOKS 8
#define DTA_MAX_URL   512
#define DTA_STREAM    "wss://agent.handoff.test/media"
#define DTA_TWIML                                                                                  \
	"<Response><Connect><Stream url=\"" DTA_STREAM "\" name=\"agent\"/></Connect></Response>"

/* One webhook the engine sent and what came back. */
struct dta_hook {
	char *method, *url, *content_type, *body;
	int status, error;
};

/* A fetcher that remembers every exchange of the call under test. */
struct dta_capture {
	struct emu_fetcher inner;
	struct dta_hook v[DTA_MAX_HOOKS];
	size_t n;
};

static int capture(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	struct dta_capture *c = ctx;
	int rc = c->inner.fetch(c->inner.ctx, req, res);
	if (c->n < DTA_MAX_HOOKS) {
		struct dta_hook *h = &c->v[c->n++];
		h->method = xstrdup(req->method);
		h->url = xstrdup(req->url);
		h->status = res->status;
		h->error = rc ? 11200 : res->error;
		h->content_type = res->content_type ? xstrdup(res->content_type) : NULL;
		h->body = res->body ? xstrndup(res->body, res->body_len) : NULL;
	}
	return rc;
}

static void capture_free(struct dta_capture *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].method);
		free(c->v[i].url);
		free(c->v[i].content_type);
		free(c->v[i].body);
	}
}

static const struct dta_hook *hook_for(const struct dta_capture *c, const char *url)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].url, url) == 0)
			return &c->v[i];
	return NULL;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static json_t *leg(json_t *call, const char *label)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		if (strcmp(jstr(l, "label"), label) == 0)
			return l;
	}
	return NULL;
}

/* The target's INVITE from the timeline, and its headers (the event's structured ones) as
 * an object (caller frees). */
static json_t *invite_of(json_t *events, const char **invite)
{
	json_t *h = json_object();
	*invite = NULL;
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev)
	{
		const char *t = jstr(ev, "text");
		if (strcmp(jstr(ev, "kind"), "sip") || strcmp(jstr(ev, "leg"), "B") ||
		    strncmp(t, "INVITE ", 7))
			continue;
		*invite = t;
		desttest_invite_headers(ev, h);
		break;
	}
	return h;
}

/* The outcome, filled by judge(). */
struct dta_result {
	bool ok;
	char reason[1024];
	const char *hint;
};

static void judge(const struct dt_api_opts *o, const struct dta_hook *th, int urc,
                  const struct emu_update_err *ue, json_t *call, const char *why,
                  struct dta_result *r)
{
	const char *set = o->live ? "live set" : "sandbox";
	if (urc) {
		snprintf(r->reason, sizeof(r->reason),
		         "the REST update was refused: %s (Twilio %d)",
		         urc == EINVAL ? ue->msg : strerror(urc), urc == EINVAL ? ue->code : 0);
		return;
	}
	if (!th || th->error || th->status != 200) {
		if (th && th->status == 404) {
			snprintf(r->reason, sizeof(r->reason),
			         "no destination named %s in the %s: the server answered 404",
			         o->name, set);
			r->hint = o->live ? "the names: handoff dest list --env live (promote to "
			                    "make sandbox edits live)"
			                  : "the names: handoff dest list --env sandbox";
		} else if (th && th->status == 403) {
			snprintf(r->reason, sizeof(r->reason),
			         "the server refused the webhook's signature (403)");
			r->hint =
			    "sign with the server's token: set TWILIO_AUTH_TOKEN or --token-env";
		} else if (th && th->error) {
			snprintf(
			    r->reason, sizeof(r->reason),
			    "the transfer webhook failed: the server could not be reached (Twilio "
			    "error %d)",
			    th->error);
		} else {
			snprintf(r->reason, sizeof(r->reason), "the transfer webhook %s",
			         th ? "did not answer 200" : "was never requested");
		}
		if (why && *why && (!th || th->status != 404))
			snprintf(r->reason + strlen(r->reason),
			         sizeof(r->reason) - strlen(r->reason), " (%s)", why);
		if (th && th->status && th->status != 404 && th->status != 403)
			snprintf(r->reason + strlen(r->reason),
			         sizeof(r->reason) - strlen(r->reason), ": the server answered %d",
			         th->status);
		return;
	}
	json_t *b = leg(call, "B");
	if (!b) {
		snprintf(r->reason, sizeof(r->reason),
		         "the server's answer dialled no target (see its TwiML above)");
		return;
	}
	static const char *const want[] = {"in-progress", "busy", "no-answer", "failed"};
	const char *bs = jstr(b, "status");
	json_t *conn = json_object_get(call, "connected");
	bool bridged = json_array_size(conn) == 1 &&
	               strcmp(json_string_value(json_array_get(conn, 0)), "B<->caller") == 0;
	if (o->target == EMU_ANSWER) {
		r->ok = bridged;
		snprintf(r->reason, sizeof(r->reason), "the caller is %sbridged to %s (%s)%s%s",
		         r->ok ? "" : "not ", o->name, jstr(b, "to"), r->ok ? "" : "; its leg is ",
		         r->ok ? "" : bs);
		return;
	}
	/* the update left the stream: nothing takes the caller back to the agent */
	const char *ps = jstr(leg(call, "P"), "status");
	r->ok = strcmp(bs, want[o->target]) == 0;
	snprintf(r->reason, sizeof(r->reason),
	         "the target's leg is %s; the call is %s (the Voice API transfer left the "
	         "stream: a <Dial action> on the destination would go on from there)",
	         bs, ps);
}

static void print_body(const struct dta_hook *h)
{
	if (!h || !h->body || !*h->body)
		return;
	const char *p = h->body;
	if (strncmp(p, "<?xml", 5) == 0 && strchr(p, '\n'))
		p = strchr(p, '\n') + 1;
	printf("    %s\n",
	       h->content_type && strstr(h->content_type, "xml") ? "TwiML answered:" : "body:");
	while (*p) {
		size_t n = strcspn(p, "\r\n");
		if (n)
			printf("      %.*s\n", (int)n, p);
		p += n;
		p += strspn(p, "\r\n");
	}
}

static json_t *hook_json(const struct dta_hook *h)
{
	if (!h)
		return json_null();
	return json_pack("{s:s, s:s, s:i, s:i, s:s?, s:s?}", "method", h->method, "url", h->url,
	                 "status", h->status, "error", h->error, "content_type", h->content_type,
	                 "twiml", h->body);
}

static void report(const struct dt_api_opts *o, const char *where, const char *url,
                   const struct dta_hook *th, json_t *call, json_t *headers, const char *invite,
                   const struct dta_result *r)
{
	if (o->json) {
		json_t *doc = json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:{s:s, s:s, s:o}, s:{s:s?, s:O}, "
		    "s:O?, s:O?, s:O?}",
		    "name", o->name, "env", o->live ? "live" : "sandbox", "via", "api", "server",
		    where, "target", emu_outcome_name(o->target), "call_sid", jstr(call, "sid"),
		    "ok", r->ok, "reason", r->reason, "update", "stream", DTA_STREAM, "url", url,
		    "webhook", hook_json(th), "target_invite", "invite", invite, "headers", headers,
		    "legs", json_object_get(call, "legs"), "connected",
		    json_object_get(call, "connected"), "streams",
		    json_object_get(call, "streams"));
		if (doc) {
			json_dumpf(doc, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(doc);
		}
		return;
	}
	printf("dest test %s --via api (%s, %s; target %s)\n", o->name,
	       o->live ? "live" : "sandbox", where, emu_outcome_name(o->target));
	printf("call %s from %s, answered by the agent's <Connect><Stream> %s\n", jstr(call, "sid"),
	       o->from, DTA_STREAM);
	printf("REST update of the call: Url=%s\n", url);
	if (!th)
		printf("  transfer  not requested\n");
	else if (th->error)
		printf("  transfer  %s %s -> Twilio error %d\n", th->method, th->url, th->error);
	else
		printf("  transfer  %s %s -> %d %s\n", th->method, th->url, th->status,
		       th->content_type ? th->content_type : "");
	print_body(th);
	if (invite) {
		printf("target: %s\n", invite);
		if (!json_object_size(headers))
			printf("  (no SIP headers)\n");
		const char *k;
		json_t *v;
		json_object_foreach(headers, k, v)
		{
			printf("  %s: %s\n", k, json_string_value(v));
		}
	}
	printf("legs:\n");
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		printf("  %-2s %-7s %-14s %-12s %s -> %s\n", jstr(l, "label"), jstr(l, "party"),
		       jstr(l, "direction"), jstr(l, "status"), jstr(l, "from"), jstr(l, "to"));
	}
	printf("connected:");
	json_t *v;
	json_array_foreach(json_object_get(call, "connected"), i, v)
	{
		printf(" %s", json_string_value(v));
	}
	printf("%s\n", json_array_size(json_object_get(call, "connected")) ? "" : " nobody");
	if (r->ok)
		printf("ok: %s\n", r->reason);
}

int dest_test_api(const struct dt_api_opts *o)
{
	char *token = NULL;
	struct emu_app *app = NULL;
	char err[512], base[DTA_MAX_URL + 1], where[DTA_MAX_URL + 64];
	int rc;
	if (o->server) {
		const char *t = getenv(o->token_env);
		if (!t || !*t) {
			rc = cli_fail("dest test: no auth token in %s to sign the webhooks",
			              o->token_env);
			cli_hint("export the server's auth token as %s (or pick another with "
			         "--token-env)",
			         o->token_env);
			return rc;
		}
		token = xstrdup(t);
		snprintf(base, sizeof(base), "%s", o->server);
		size_t bl = strlen(base);
		while (bl && base[bl - 1] == '/')
			base[--bl] = 0;
		snprintf(where, sizeof(where), "server %s", base);
	} else {
		char sid[35];
		emu_rest_sid(sid, "XX"); /* a throw-away token: the handler checks what we sign */
		token = xstrdup(sid + 2);
		const char *db = cli_db_path(o->db);
		if ((rc = emu_app_open(db, NULL, token, &app, err, sizeof(err)))) {
			xwipe(token, strlen(token));
			free(token);
			bool missing = rc == ENOENT;
			rc = cli_fail("dest test: %s", err);
			if (missing)
				cli_hint(
				    "pass --db PATH or set HANDOFF_DB; or test a running server "
				    "with --server URL");
			return rc;
		}
		snprintf(base, sizeof(base), "%s", EMU_APP_BASE);
		snprintf(where, sizeof(where), "in-process server over %s", db);
	}
	struct emu_live live = {.auth_token = token};
	struct dta_capture cap = {0};
	cap.inner = app ? (struct emu_fetcher){app, emu_app_fetch}
	                : (struct emu_fetcher){&live, emu_live_fetch};
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher = (struct emu_fetcher){&cap, capture};
	cfg.signer = (struct emu_signer){&live, emu_live_sign};
	struct emu_engine *eng = NULL;
	json_t *call = NULL, *events = NULL, *headers = NULL;
	const char *invite = NULL;
	char url[DTA_MAX_URL + 128], voice[DTA_MAX_URL + 16];
	snprintf(url, sizeof(url), "%s%s/transfer/%s", base, o->live ? "" : "/sandbox", o->name);
	snprintf(voice, sizeof(voice), "%s/", base);
	if ((rc = emu_engine_new(&cfg, &eng))) {
		rc = cli_fail("dest test: cannot start the engine: %s", strerror(rc));
		goto out;
	}
	/* the caller reaches an AI agent that talks over a media stream */
	struct emu_call_spec sp = {0};
	sp.profile = EMU_TWILIO_VOICE;
	sp.from = o->from;
	sp.to = "+14155550199";
	sp.voice_url = voice;
	sp.twiml = DTA_TWIML;
	char psid[EMU_SID_LEN + 1];
	if ((rc = emu_call_create(eng, &sp, psid))) {
		rc = cli_fail("dest test: the call could not be created: %s", strerror(rc));
		goto out;
	}
	/* the agent hands over: the REST API updates the live call */
	struct emu_update u = {
	    .url = url, .method = "POST", .target_set = true, .target = o->target};
	struct emu_update_err ue = {0};
	int urc = emu_call_update(eng, psid, &u, &ue);
	emu_call_json(eng, psid, &call);
	emu_events_json(eng, psid, &events);
	headers = invite_of(events, &invite);
	struct dta_result res = {0};
	const struct dta_hook *th = hook_for(&cap, url);
	judge(o, th, urc, &ue, call, app ? emu_app_last_why(app) : "", &res);
	report(o, where, url, th, call, headers, invite, &res);
	rc = res.ok ? EXIT_OK : cli_fail("dest test %s: %s", o->name, res.reason);
	if (!res.ok && res.hint)
		cli_hint("%s", res.hint);
out:
	json_decref(call);
	json_decref(events);
	json_decref(headers);
	emu_engine_free(eng);
	capture_free(&cap);
	emu_app_free(app);
	xwipe(token, strlen(token));
	free(token);
	return rc;
}

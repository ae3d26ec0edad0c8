/* cmd_dest_test: 'handoff dest test NAME': a call to the sandbox number and a REFER to NAME
 * through the emulator's engine, against a running server or the handler in-process. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "emulator/app.h"
#include "emulator/engine.h"
#include "emulator/live.h"
#include "emulator/rest.h"
#include "net/httpc.h"
#include "util/mem.h"
#include "webhooks/dest.h"

#define DT_MAX_HOOKS   8   /* webhooks remembered for the report */
#define DT_MAX_RHDRS   8   /* --refer-header options */
#define DT_MAX_URL     512 /* --server URL length */
#define DT_AGENT       "sip:agent@handoff.test"
#define DT_REFER_HOST  "handoff.test"
#define DT_DEFAULT_TOK "TWILIO_AUTH_TOKEN"

/* One webhook the engine sent and what it got back. */
struct dt_hook {
	char *method, *url;
	int status, error;
	char *content_type, *body;
};

/* A fetcher that remembers every exchange of the one call under test. */
struct dt_capture {
	struct emu_fetcher inner;
	struct dt_hook v[DT_MAX_HOOKS];
	size_t n;
};

static int capture_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	struct dt_capture *c = ctx;
	int rc = c->inner.fetch(c->inner.ctx, req, res);
	if (c->n < DT_MAX_HOOKS) {
		struct dt_hook *h = &c->v[c->n++];
		h->method = xstrdup(req->method);
		h->url = xstrdup(req->url);
		h->status = res->status;
		h->error = rc ? 11200 : res->error;
		h->content_type = res->content_type ? xstrdup(res->content_type) : NULL;
		h->body = res->body ? xstrndup(res->body, res->body_len) : NULL;
	}
	return rc;
}

static void capture_free(struct dt_capture *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].method);
		free(c->v[i].url);
		free(c->v[i].content_type);
		free(c->v[i].body);
	}
}

/* The first hook whose URL path ends with suffix, or NULL. */
static const struct dt_hook *hook_for(const struct dt_capture *c, const char *suffix)
{
	for (size_t i = 0; i < c->n; i++) {
		const char *u = c->v[i].url;
		size_t ul = strcspn(u, "?"), sl = strlen(suffix);
		if (ul >= sl && strncmp(u + ul - sl, suffix, sl) == 0)
			return &c->v[i];
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

static bool slug_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > DEST_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

/* The test's outcome, filled as it goes. */
struct dt_result {
	bool ok;
	char reason[1024];
	json_t *headers; /* {"X-Name": "value"} the target's INVITE carried */
	const char *invite;
	const char *hint; /* printed after the error line, or NULL */
};

/* Reads the target's INVITE out of the timeline: "INVITE URI with headers A: x; B: y". */
static void target_headers(json_t *events, struct dt_result *r)
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
static const char *hook_problem(const struct dt_hook *h, char *out, size_t cap)
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

const char cmd_dest_test_help[] =
    "Calls the sandbox number and has the agent REFER the caller to NAME, the way the\n"
    "emulator does (virtual clock: no wall time is spent ringing): the engine fetches\n"
    "/sandbox/voice (or /voice with --env live), the agent answers, sends REFER\n"
    "Refer-To: <sip:NAME@" DT_REFER_HOST ">, the engine posts the referUrl webhook and runs\n"
    "its TwiML. Prints what each leg did, the TwiML answered and the SIP headers the\n"
    "target would receive.\n"
    "\n"
    "  --server URL       a running 'handoff serve' (its base URL; it needs --agent);\n"
    "                     webhooks are signed with the token in TWILIO_AUTH_TOKEN\n"
    "  --token-env NAME   read the server's token from NAME instead\n"
    "  (no --server)      the server's handler in-process over --db (no socket)\n"
    "  --env sandbox|live which routes and set to test (default sandbox)\n"
    "  --target OUTCOME   what the target does: answer (default), busy, no-answer, fail\n"
    "  --from NUMBER      the caller (default +14155550100)\n"
    "  --refer-header 'X-Name: value'  a header carried inside the Refer-To URI (it feeds\n"
    "                     $refer.X-Name); up to 8\n"
    "  --json             one JSON document\n"
    "\n"
    "Exit 0 when the server answered the destination's TwiML and the caller ended where\n"
    "that outcome should leave it (bridged to the target on answer; back with the agent\n"
    "otherwise); 1 when the transfer would fail, with the reason; 2 usage.\n";

struct dt_opts {
	const char *name, *server, *token_env, *db, *from;
	const char *rhdr[DT_MAX_RHDRS]; /* "X-Name: value" */
	size_t nrhdr;
	bool live, json;
	enum emu_outcome target;
};

static int parse(int argc, char **argv, struct dt_opts *o)
{
	static const struct option opts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"env", required_argument, NULL, 'e'},
	    {"json", no_argument, NULL, 'j'},
	    {"target", required_argument, NULL, 't'},
	    {"token-env", required_argument, NULL, 'k'},
	    {"db", required_argument, NULL, 'd'},
	    {"from", required_argument, NULL, 'f'},
	    {"refer-header", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	o->token_env = DT_DEFAULT_TOK;
	o->from = "+14155550100";
	int c;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->server = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "live") && strcmp(optarg, "sandbox"))
				return cli_usage("--env must be sandbox or live, not '%s'", optarg);
			o->live = strcmp(optarg, "live") == 0;
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			if (emu_outcome_parse(optarg, &o->target))
				return cli_usage(
				    "--target must be answer, busy, no-answer or fail, not "
				    "'%s'",
				    optarg);
			break;
		case 'k':
			o->token_env = optarg;
			break;
		case 'd':
			o->db = optarg;
			break;
		case 'f':
			o->from = optarg;
			break;
		case 'r':
			if (o->nrhdr >= DT_MAX_RHDRS)
				return cli_usage("at most %d --refer-header options", DT_MAX_RHDRS);
			if (!strchr(optarg, ':') || optarg[0] == ':')
				return cli_usage("--refer-header takes 'Name: value', not '%s'",
				                 optarg);
			o->rhdr[o->nrhdr++] = optarg;
			break;
		case ':':
			return cli_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("missing the destination NAME");
	if (optind + 1 < argc)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	o->name = argv[optind];
	if (!slug_ok(o->name))
		return cli_usage("'%s' is not a destination name ([a-z0-9][a-z0-9-]*, at most %d)",
		                 o->name, DEST_NAME_MAX);
	if (o->server && o->db)
		return cli_usage("--db is for the in-process server; with --server the running "
		                 "server reads its own database");
	if (o->server && (strlen(o->server) > DT_MAX_URL ||
	                  (strncmp(o->server, "http://", 7) && strncmp(o->server, "https://", 8))))
		return cli_usage("--server must be an http:// or https:// URL of at most %d bytes",
		                 DT_MAX_URL);
	return 0;
}

static void print_twiml(const struct dt_hook *h)
{
	if (!h || !h->body || !*h->body)
		return;
	const char *p = h->body;
	if (strncmp(p, "<?xml", 5) == 0 && strchr(p, '\n'))
		p = strchr(p, '\n') + 1; /* the XML declaration says nothing here */
	bool xml = h->content_type && strstr(h->content_type, "xml");
	printf("    %s\n", xml ? "TwiML answered:" : "body:");
	while (*p) {
		size_t n = strcspn(p, "\r\n");
		if (n)
			printf("      %.*s\n", (int)n, p);
		p += n;
		p += strspn(p, "\r\n");
	}
}

static void print_hook(const char *label, const struct dt_hook *h)
{
	if (!h) {
		printf("  %-9s not requested\n", label);
		return;
	}
	if (h->error)
		printf("  %-9s %s %s -> Twilio error %d\n", label, h->method, h->url, h->error);
	else
		printf("  %-9s %s %s -> %d %s\n", label, h->method, h->url, h->status,
		       h->content_type ? h->content_type : "");
	print_twiml(h);
}

static json_t *hook_json(const struct dt_hook *h)
{
	if (!h)
		return json_null();
	return json_pack("{s:s, s:s, s:i, s:i, s:s?, s:s?}", "method", h->method, "url", h->url,
	                 "status", h->status, "error", h->error, "content_type", h->content_type,
	                 "twiml", h->body);
}

static void report(const struct dt_opts *o, const char *where, const struct dt_capture *cap,
                   const char *voice_path, const char *refer_to, json_t *refer, json_t *call,
                   const struct dt_result *r)
{
	const struct dt_hook *vh = hook_for(cap, voice_path);
	const struct dt_hook *rh = hook_for(cap, o->live ? "/refer" : "/sandbox/refer");
	if (o->json) {
		json_t *doc = json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:o, s:{s:s, s:O?, s:O?, s:o}, s:{s:s?, "
		    "s:O}, "
		    "s:O?, s:O?}",
		    "name", o->name, "env", o->live ? "live" : "sandbox", "server", where, "target",
		    emu_outcome_name(o->target), "call_sid", str_of(call, "sid"), "ok", r->ok,
		    "reason", r->reason, "voice", hook_json(vh), "refer", "refer_to", refer_to,
		    "sip_response", json_object_get(refer, "sip_response"), "notify",
		    json_object_get(refer, "notify"), "webhook", hook_json(rh), "target_invite",
		    "invite", r->invite, "headers", r->headers, "legs",
		    json_object_get(call, "legs"), "connected", json_object_get(call, "connected"));
		if (doc) {
			json_dumpf(doc, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(doc);
		}
		return;
	}
	printf("dest test %s (%s, %s; target %s)\n", o->name, o->live ? "live" : "sandbox", where,
	       emu_outcome_name(o->target));
	printf("call %s from %s\n", str_of(call, "sid"), o->from);
	print_hook("voice", vh);
	if (refer) {
		printf("REFER on the agent leg, Refer-To: %s -> %lld\n", refer_to,
		       (long long)json_integer_value(json_object_get(refer, "sip_response")));
		print_hook("referUrl", rh);
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(refer, "notify"), i, v)
		{
			printf("  NOTIFY    %s\n", json_string_value(v));
		}
	}
	if (r->invite) {
		printf("target: %s\n", r->invite);
		const char *k;
		json_t *v;
		if (!json_object_size(r->headers))
			printf("  (no SIP headers)\n");
		json_object_foreach(r->headers, k, v)
		{
			printf("  %s: %s\n", k, json_string_value(v));
		}
	}
	printf("legs:\n");
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		printf("  %-2s %-7s %-14s %-12s %s -> %s\n", str_of(l, "label"), str_of(l, "party"),
		       str_of(l, "direction"), str_of(l, "status"), str_of(l, "from"),
		       str_of(l, "to"));
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

/* Decides whether the transfer worked; fills r. */
static void judge(const struct dt_opts *o, const char *set, const struct dt_capture *cap,
                  const char *voice_path, const char *why, json_t *refer, json_t *call,
                  struct dt_result *r)
{
	char p[256];
	const struct dt_hook *vh = hook_for(cap, voice_path);
	json_t *agent = leg_by_label(call, "A");
	if (!agent || !refer) {
		const char *pr = hook_problem(vh, p, sizeof(p));
		snprintf(r->reason, sizeof(r->reason), "the call never reached the agent: %s%s%s",
		         pr ? voice_path : "the TwiML answered dialled no agent", pr ? ": " : "",
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
	const struct dt_hook *rh = hook_for(cap, o->live ? "/refer" : "/sandbox/refer");
	if (sip != 202 || !rh) {
		snprintf(r->reason, sizeof(r->reason),
		         "the REFER was answered %lld and no referUrl webhook was sent", sip);
		return;
	}
	if (rh->error || rh->status != 200) {
		if (rh->status == 404) {
			snprintf(r->reason, sizeof(r->reason),
			         "no destination named %s in the %s: the server answered 404",
			         o->name, set);
			r->hint = o->live ? "the names: handoff dest list --env live (promote to "
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
	if (o->target == EMU_ANSWER) {
		r->ok = connected_has(call, "B<->caller");
		snprintf(r->reason, sizeof(r->reason),
		         r->ok ? "the caller is bridged to %s (%s)"
		               : "the caller is not bridged to %s (%s)",
		         o->name, str_of(b, "to"));
		if (!r->ok)
			snprintf(r->reason + strlen(r->reason),
			         sizeof(r->reason) - strlen(r->reason), "; its leg is %s", bs);
		return;
	}
	r->ok = strcmp(bs, want_status[o->target]) == 0 && connected_has(call, "agent<->caller");
	snprintf(r->reason, sizeof(r->reason),
	         r->ok ? "the target's leg is %s and the caller is back with the agent"
	               : "the target's leg is %s and the caller is not back with the agent",
	         bs);
}

int cmd_dest_test(int argc, char **argv)
{
	struct dt_opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	char *token = NULL;
	struct emu_app *app = NULL;
	char err[512], base[DT_MAX_URL + 1], where[DT_MAX_URL + 64];
	if (o.server) {
		const char *t = getenv(o.token_env);
		if (!t || !*t) {
			rc = cli_fail("dest test: no auth token in %s to sign the webhooks",
			              o.token_env);
			cli_hint("export the server's auth token as %s (or pick another with "
			         "--token-env)",
			         o.token_env);
			return rc;
		}
		token = xstrdup(t);
		snprintf(base, sizeof(base), "%s", o.server);
		size_t bl = strlen(base);
		while (bl && base[bl - 1] == '/')
			base[--bl] = 0;
		snprintf(where, sizeof(where), "server %s", base);
	} else {
		char sid[35];
		emu_rest_sid(sid, "XX"); /* a throw-away token: the handler checks what we sign */
		token = xstrdup(sid + 2);
		const char *db = cli_db_path(o.db);
		if ((rc = emu_app_open(db, DT_AGENT, token, &app, err, sizeof(err)))) {
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
	struct emu_live live = {token};
	struct dt_capture cap = {0};
	cap.inner = app ? (struct emu_fetcher){app, emu_app_fetch}
	                : (struct emu_fetcher){&live, emu_live_fetch};
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher = (struct emu_fetcher){&cap, capture_fetch};
	cfg.signer = (struct emu_signer){&live, emu_live_sign};
	struct emu_engine *eng = NULL;
	json_t *call = NULL, *refer = NULL, *events = NULL;
	struct dt_result res = {0};
	const char *voice_path = o.live ? "/voice" : "/sandbox/voice";
	char voice_url[DT_MAX_URL + 32];
	snprintf(voice_url, sizeof(voice_url), "%s%s", base, voice_path);
	struct buf rt;
	buf_init(&rt, EMU_ENG_MAX_REFER_TO * 4);
	buf_printf(&rt, "<sip:%s@%s", o.name, DT_REFER_HOST);
	for (size_t i = 0; i < o.nrhdr; i++) {
		const char *colon = strchr(o.rhdr[i], ':'), *v = colon + 1;
		while (*v == ' ')
			v++;
		buf_printf(&rt, "%c%.*s=", i ? '&' : '?', (int)(colon - o.rhdr[i]), o.rhdr[i]);
		httpc_urlencode(&rt, v);
	}
	buf_addc(&rt, '>');
	const char *refer_to = buf_str(&rt);
	if ((rc = emu_engine_new(&cfg, &eng))) {
		rc = cli_fail("dest test: cannot start the engine: %s", strerror(rc));
		goto out;
	}
	struct emu_call_spec sp = {0};
	sp.profile = EMU_TWILIO_VOICE;
	sp.from = o.from;
	sp.to = "+14155550199";
	sp.voice_url = voice_url;
	char psid[EMU_SID_LEN + 1];
	if ((rc = emu_call_create(eng, &sp, psid))) {
		rc = cli_fail("dest test: the call could not be created: %s", strerror(rc));
		goto out;
	}
	emu_call_json(eng, psid, &call);
	json_t *agent = leg_by_label(call, "A");
	if (agent && strcmp(str_of(agent, "status"), "in-progress") == 0) {
		struct emu_refer_req rq = {refer_to, o.target, NULL};
		if (emu_refer(eng, str_of(agent, "sid"), &rq, &refer) == 0) {
			json_decref(call);
			call = NULL;
			emu_call_json(eng, psid, &call);
		}
	}
	emu_events_json(eng, psid, &events);
	target_headers(events, &res);
	judge(&o, o.live ? "live set" : "sandbox", &cap, voice_path,
	      app ? emu_app_last_why(app) : "", refer, call, &res);
	report(&o, where, &cap, voice_path, refer_to, refer, call, &res);
	rc = res.ok ? EXIT_OK : cli_fail("dest test %s: %s", o.name, res.reason);
	if (!res.ok && res.hint)
		cli_hint("%s", res.hint);
out:
	json_decref(call);
	json_decref(refer);
	json_decref(events);
	json_decref(res.headers);
	buf_free(&rt);
	emu_engine_free(eng);
	capture_free(&cap);
	emu_app_free(app);
	xwipe(token, strlen(token));
	free(token);
	return rc;
}

/* cmd_dest_test: 'handoff dest test NAME': a call to the sandbox number and a REFER to NAME
 * through the emulator's engine, against a running server or the handler in-process. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/dest_test_api.h"
#include "emulator/app.h"
#include "emulator/engine.h"
#include "emulator/live.h"
#include "emulator/rest.h"
#include "net/httpc.h"
#include "util/mem.h"
#include "webhooks/dest.h"
#include "webhooks/hours.h"

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
	char *dest, *asked; /* in-process: the destination that answered, the one named */
};

/* A fetcher that remembers every exchange of the one call under test. */
struct dt_capture {
	struct emu_fetcher inner;
	struct emu_app *app; /* the in-process server, or NULL */
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
		const char *asked = "";
		const char *dest = c->app ? emu_app_last_dest(c->app, &asked) : "";
		h->dest = *dest ? xstrdup(dest) : NULL;
		h->asked = *asked ? xstrdup(asked) : NULL;
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
		free(c->v[i].dest);
		free(c->v[i].asked);
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

#define DT_MAX_TRIED EMU_ENG_MAX_LEGS /* target legs read back from the call */

/* One party the server's answer dialled (B, then C, ... with failover routes). */
struct dt_target {
	const char *label, *to, *status; /* point into the call's JSON */
	const char *invite;              /* its first INVITE event's text, or NULL */
	json_t *headers;                 /* {"X-Name": "value"} its INVITE carried */
};

/* The test's outcome, filled as it goes. */
struct dt_result {
	bool ok;
	char reason[1024];
	struct dt_target t[DT_MAX_TRIED]; /* in the order they were dialled */
	size_t nt;
	const struct dt_target *final; /* the one bridged, or the last tried; NULL: none */
	const char *hint;              /* printed after the error line, or NULL */
	json_t *warnings;              /* ["..."]: values that arrive other than the answer meant */
	char at[96];                   /* --at as a local time of the destination ("" without) */
};

/* Adds the headers of an INVITE event to h: "INVITE URI with headers A: x; B: y" (the
 * URI's own), or the event's params ("INVITE URI with <Headers> headers ...", as written). */
static void invite_headers_of(json_t *ev, const char *text, json_t *h)
{
	const char *k;
	json_t *v;
	if (strstr(text, " with <Headers> headers ")) {
		json_object_foreach(json_object_get(ev, "params"), k, v)
		{
			json_object_set(h, k, v);
		}
		return;
	}
	const char *w = strstr(text, " with headers ");
	if (!w)
		return;
	char *list = xstrdup(w + 14);
	for (char *save = NULL, *e = strtok_r(list, ";", &save); e;
	     e = strtok_r(NULL, ";", &save)) {
		while (*e == ' ')
			e++;
		char *colon = strstr(e, ": ");
		if (!colon)
			continue;
		*colon = 0;
		json_object_set_new(h, e, json_string(colon + 2));
	}
	free(list);
}

/* Reads the parties the answer dialled (every leg but the caller's and the agent's) and what
 * their INVITEs carried out of the call and its timeline. */
static void read_targets(json_t *call, json_t *events, struct dt_result *r)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		const char *label = str_of(l, "label");
		if (!strcmp(label, "P") || !strcmp(label, "A") || r->nt == DT_MAX_TRIED)
			continue;
		struct dt_target *t = &r->t[r->nt++];
		*t = (struct dt_target){label, str_of(l, "to"), str_of(l, "status"), NULL,
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
			invite_headers_of(ev, text, t->headers);
		}
	}
}

static void result_free(struct dt_result *r)
{
	for (size_t i = 0; i < r->nt; i++)
		json_decref(r->t[i].headers);
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
static void check_target(const struct dt_target *t, json_t *warnings)
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

static void check_values(struct dt_result *r)
{
	r->warnings = json_array();
	for (size_t i = 0; i < r->nt; i++)
		check_target(&r->t[i], r->warnings);
}

const char cmd_dest_test_help[] =
    "Calls the sandbox number and has the agent REFER the caller to NAME, the way the\n"
    "emulator does (virtual clock: no wall time is spent ringing): the engine fetches\n"
    "/sandbox/voice (or /voice with --env live), the agent answers, sends REFER\n"
    "Refer-To: <sip:NAME@" DT_REFER_HOST ">, the engine posts the referUrl webhook and runs\n"
    "its TwiML. Prints what each leg did, the TwiML answered and the SIP headers the\n"
    "target would receive, decoded as Twilio delivers them (a '+' in a URI header value\n"
    "arrives as a space: a warning when a value arrives other than the answer meant).\n"
    "\n"
    "  --server URL       a running 'handoff serve' (its base URL; it needs --agent);\n"
    "                     webhooks are signed with the token in TWILIO_AUTH_TOKEN\n"
    "  --token-env NAME   read the server's token from NAME instead\n"
    "  (no --server)      the server's handler in-process over --db (no socket)\n"
    "  --env sandbox|live which routes and set to test (default sandbox)\n"
    "  --target OUTCOME   what the target does: answer (default), busy, no-answer, fail;\n"
    "                     a comma-separated list gives one per route, in order, for a\n"
    "                     destination with failover routes (busy,answer: the route is\n"
    "                     busy, the first failover route answers)\n"
    "  --from NUMBER      the caller (default +14155550100)\n"
    "  --refer-header 'X-Name: value'  a header carried inside the Refer-To URI (it feeds\n"
    "                     $refer.X-Name); up to 8\n"
    "  --at TIME          the in-process server answers as at that moment (ISO 8601 with\n"
    "                     an offset, or a local time in NAME's zone): which destination\n"
    "                     answers for one with opening hours\n"
    "  --json             one JSON document\n"
    "  --via api          the Voice API transfer instead of a REFER: the agent answers with\n"
    "                     <Connect><Stream>, and the REST API updates the live call to\n"
    "                     /sandbox/transfer/NAME (--env live: /transfer/NAME); the server\n"
    "                     needs no --agent. --via refer is the default\n"
    "\n"
    "Exit 0 when the server answered the destination's TwiML and the caller ended where\n"
    "that outcome should leave it (bridged to the route that answers; back with the agent\n"
    "otherwise); 1 when the transfer would fail, with the reason; 2 usage.\n";

struct dt_opts {
	const char *name, *server, *token_env, *db, *from, *at;
	const char *rhdr[DT_MAX_RHDRS]; /* "X-Name: value" */
	size_t nrhdr;
	bool live, json;
	enum emu_outcome target[1 + DEST_MAX_FAILOVER]; /* one per route, in order */
	size_t ntarget;
	const char *target_arg; /* as given, for the report */
	bool via_api;           /* --via api: cmd_dest_test_api.c runs the test */
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
	    {"at", required_argument, NULL, 'a'},
	    {"via", required_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	o->token_env = DT_DEFAULT_TOK;
	o->from = "+14155550100";
	o->target[0] = EMU_ANSWER;
	o->ntarget = 1;
	o->target_arg = "answer";
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
			if (emu_outcomes_parse(optarg, o->target, 1 + DEST_MAX_FAILOVER,
			                       &o->ntarget))
				return cli_usage(
				    "--target must be answer, busy, no-answer or fail, or "
				    "a comma-separated list of at most %d (one per "
				    "route), not '%s'",
				    1 + DEST_MAX_FAILOVER, optarg);
			o->target_arg = optarg;
			break;
		case 'k':
			o->token_env = optarg;
			break;
		case 'a':
			o->at = optarg;
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
		case 'v':
			if (strcmp(optarg, "api") && strcmp(optarg, "refer"))
				return cli_usage("--via must be refer or api, not '%s'", optarg);
			o->via_api = strcmp(optarg, "api") == 0;
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
	if (o->server && o->at)
		return cli_usage("--at is for the in-process server; a running server answers by "
		                 "its own clock (try 'handoff dest preview NAME --at TIME')");
	if (o->via_api && (o->ntarget > 1 || o->at))
		return cli_usage(
		    "--via api tests one route at the time of the run: give one --target "
		    "and no --at");
	if (o->via_api && o->nrhdr)
		return cli_usage("--refer-header goes inside a REFER's Refer-To: the Voice API "
		                 "transfer (--via api) has none");
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
	return json_pack("{s:s, s:s, s:i, s:i, s:s?, s:s?, s:s?, s:s?}", "method", h->method, "url",
	                 h->url, "status", h->status, "error", h->error, "content_type",
	                 h->content_type, "twiml", h->body, "destination", h->dest, "asked",
	                 h->asked);
}

static void report(const struct dt_opts *o, const char *where, const struct dt_capture *cap,
                   const char *voice_path, const char *refer_to, json_t *refer, json_t *call,
                   const struct dt_result *r)
{
	const struct dt_hook *vh = hook_for(cap, voice_path);
	const struct dt_hook *rh = hook_for(cap, o->live ? "/refer" : "/sandbox/refer");
	const struct dt_target *fin = r->final;
	if (o->json) {
		json_t *tried = json_array();
		for (size_t i = 0; i < r->nt; i++)
			json_array_append_new(
			    tried, json_pack("{s:s, s:s, s:s, s:s?, s:O}", "label", r->t[i].label,
			                     "to", r->t[i].to, "status", r->t[i].status, "invite",
			                     r->t[i].invite, "headers", r->t[i].headers));
		json_t *empty = json_object();
		json_t *doc = json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:o, s:{s:s, s:O?, s:O?, s:o}, s:{s:s?, "
		    "s:O}, s:o, "
		    "s:O?, s:O?, s:O?, s:s?}",
		    "name", o->name, "env", o->live ? "live" : "sandbox", "server", where, "target",
		    o->target_arg, "call_sid", str_of(call, "sid"), "ok", r->ok, "reason",
		    r->reason, "voice", hook_json(vh), "refer", "refer_to", refer_to,
		    "sip_response", json_object_get(refer, "sip_response"), "notify",
		    json_object_get(refer, "notify"), "webhook", hook_json(rh), "target_invite",
		    "invite", fin ? fin->invite : NULL, "headers", fin ? fin->headers : empty,
		    "targets", tried, "legs", json_object_get(call, "legs"), "connected",
		    json_object_get(call, "connected"), "warnings", r->warnings, "at",
		    r->at[0] ? r->at : NULL);
		json_decref(empty);
		if (doc) {
			json_dumpf(doc, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(doc);
		}
		return;
	}
	printf("dest test %s (%s, %s; target %s)\n", o->name, o->live ? "live" : "sandbox", where,
	       o->target_arg);
	printf("call %s from %s\n", str_of(call, "sid"), o->from);
	print_hook("voice", vh);
	if (refer) {
		printf("REFER on the agent leg, Refer-To: %s -> %lld\n", refer_to,
		       (long long)json_integer_value(json_object_get(refer, "sip_response")));
		print_hook("referUrl", rh);
		if (rh && rh->dest && rh->asked)
			printf("    answered by %s: %s is closed%s%s\n", rh->dest, rh->asked,
			       r->at[0] ? " at " : "", r->at);
		else if (rh && rh->dest && r->at[0])
			printf("    answered by %s at %s\n", rh->dest, r->at);
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(refer, "notify"), i, v)
		{
			printf("  NOTIFY    %s\n", json_string_value(v));
		}
	}
	for (size_t i = 0; i < r->nt && &r->t[i] != fin; i++) /* failover: routes passed over */
		printf("tried %s: %s -> %s\n", r->t[i].label, r->t[i].to, r->t[i].status);
	if (fin && fin->invite) {
		printf("target: %s\n", fin->invite);
		const char *k;
		json_t *v;
		if (!json_object_size(fin->headers))
			printf("  (no SIP headers)\n");
		json_object_foreach(fin->headers, k, v)
		{
			printf("  %s: %s\n", k, json_string_value(v));
		}
		size_t wi;
		json_array_foreach(r->warnings, wi, v)
		{
			printf("  warning: %s\n", json_string_value(v));
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

/* With the parties dialled known: each route did as --target said (the last outcome given
 * repeats), and the caller ended bridged to the one that answered, or back with the agent. */
static void judge_targets(const struct dt_opts *o, const struct dt_hook *rh, json_t *call,
                          struct dt_result *r)
{
	static const char *const want_status[] = {"in-progress", "busy", "no-answer", "failed"};
	char *end = r->reason;
	size_t cap = sizeof(r->reason);
	for (size_t i = 0; i < r->nt; i++) {
		const struct dt_target *t = &r->t[i];
		enum emu_outcome want = o->target[i < o->ntarget ? i : o->ntarget - 1];
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
			         other ? rh->dest : o->name, other ? ", which answers for " : "",
			         other ? o->name : "", t->to);
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
	if (r->nt < o->ntarget) {
		snprintf(end, cap,
		         "--target gives %zu outcomes but the answer dialled %zu route%s: give the "
		         "destination failover routes (handoff dest set %s --failover SIP-ROUTE)",
		         o->ntarget, r->nt, r->nt == 1 ? "" : "s", o->name);
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
	if (r->nt == 0) {
		snprintf(r->reason, sizeof(r->reason),
		         "the server's answer dialled no target (see its TwiML above)");
		return;
	}
	judge_targets(o, rh, call, r);
}

int cmd_dest_test(int argc, char **argv)
{
	struct dt_opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	if (o.via_api) {
		struct dt_api_opts ao = {.name = o.name,
		                         .server = o.server,
		                         .token_env = o.token_env,
		                         .db = o.db,
		                         .from = o.from,
		                         .live = o.live,
		                         .json = o.json,
		                         .target = o.target[0]};
		return dest_test_api(&ao);
	}
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
	struct dt_result res = {0};
	if (o.at) {
		int64_t t;
		bool twice;
		char why[300];
		const struct tz *z = emu_app_zone(app, o.name, o.live);
		if (hours_parse_instant(o.at, z, (int64_t)time(NULL), &t, &twice, why,
		                        sizeof(why))) {
			emu_app_free(app);
			xwipe(token, strlen(token));
			free(token);
			return cli_fail("dest test: --at %s", why);
		}
		emu_app_at(app, t);
		hours_format_instant(z, t, res.at, sizeof(res.at));
	}
	struct emu_live live = {.auth_token = token};
	struct dt_capture cap = {0};
	cap.app = app;
	cap.inner = app ? (struct emu_fetcher){app, emu_app_fetch}
	                : (struct emu_fetcher){&live, emu_live_fetch};
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher = (struct emu_fetcher){&cap, capture_fetch};
	cfg.signer = (struct emu_signer){&live, emu_live_sign};
	struct emu_engine *eng = NULL;
	json_t *call = NULL, *refer = NULL, *events = NULL;
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
		struct emu_refer_req rq = {.refer_to = refer_to,
		                           .target = o.target[0],
		                           .then = o.target + 1,
		                           .nthen = o.ntarget - 1};
		if (emu_refer(eng, str_of(agent, "sid"), &rq, &refer) == 0) {
			json_decref(call);
			call = NULL;
			emu_call_json(eng, psid, &call);
		}
	}
	emu_events_json(eng, psid, &events);
	read_targets(call, events, &res);
	check_values(&res);
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
	result_free(&res);
	json_decref(res.warnings);
	buf_free(&rt);
	emu_engine_free(eng);
	capture_free(&cap);
	emu_app_free(app);
	xwipe(token, strlen(token));
	free(token);
	return rc;
}

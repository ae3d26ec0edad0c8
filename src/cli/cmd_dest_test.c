/* cmd_dest_test: 'handoff dest test NAME': the options and the text report; the test itself
 * (a call to the sandbox number and a REFER to NAME through the engine) is emulator/desttest,
 * the Voice API path (--via api) cmd_dest_test_api.c. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/dest_test_api.h"
#include "emulator/desttest.h"
#include "util/mem.h"
#include "webhooks/dest.h"

#define DT_MAX_RHDRS   DESTTEST_MAX_RHDRS /* --refer-header options */
#define DT_MAX_URL     DESTTEST_MAX_URL   /* --server URL length */
#define DT_REFER_HOST  DESTTEST_REFER_HOST
#define DT_DEFAULT_TOK "TWILIO_AUTH_TOKEN"

static const char *str_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
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

static void print_twiml(const struct desttest_hook *h)
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

static void print_hook(const char *label, const struct desttest_hook *h)
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

static void report(const struct dt_opts *o, const struct desttest_req *rq,
                   const struct desttest_result *r)
{
	json_t *call = r->call, *refer = r->refer;
	const struct desttest_hook *rh = r->refer_hook;
	const struct desttest_target *fin = r->final;
	if (o->json) {
		json_t *doc = desttest_json(rq, r);
		if (doc) {
			json_dumpf(doc, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(doc);
		}
		return;
	}
	printf("dest test %s (%s, %s; target %s)\n", o->name, o->live ? "live" : "sandbox",
	       r->where, desttest_target_name(rq));
	printf("call %s from %s\n", str_of(call, "sid"), o->from);
	print_hook("voice", r->voice);
	if (refer) {
		printf("REFER on the agent leg, Refer-To: %s -> %lld\n", r->refer_to,
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
	struct desttest_req rq = {
	    .name = o.name,
	    .server = o.server,
	    .from = o.from,
	    .rhdr = o.rhdr,
	    .nrhdr = o.nrhdr,
	    .live = o.live,
	    .ntarget = o.ntarget,
	    .target_arg = o.target_arg,
	    .at = o.at,
	};
	memcpy(rq.targets, o.target, sizeof(rq.targets));
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
		rq.token = t;
	} else {
		rq.db = cli_db_path(o.db);
	}
	struct desttest_result res;
	char err[512];
	int e = desttest_run(&rq, &res, err, sizeof(err));
	if (e) {
		rc = cli_fail("dest test: %s", err);
		if (e == ENOENT && !o.server)
			cli_hint("pass --db PATH or set HANDOFF_DB; or test a running server "
			         "with --server URL");
		desttest_free(&res);
		return rc;
	}
	report(&o, &rq, &res);
	rc = res.ok ? EXIT_OK : cli_fail("dest test %s: %s", o.name, res.reason);
	if (!res.ok && res.hint)
		cli_hint("%s", res.hint);
	desttest_free(&res);
	return rc;
}

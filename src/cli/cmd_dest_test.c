/* cmd_dest_test: 'handoff dest test NAME': the options and the text report; the test itself
 * (a call to the sandbox number and a REFER to NAME through the engine) is emulator/desttest. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
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
	       r->where, emu_outcome_name(o->target));
	printf("call %s from %s\n", str_of(call, "sid"), o->from);
	print_hook("voice", r->voice);
	if (refer) {
		printf("REFER on the agent leg, Refer-To: %s -> %lld\n", r->refer_to,
		       (long long)json_integer_value(json_object_get(refer, "sip_response")));
		print_hook("referUrl", r->refer_hook);
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

int cmd_dest_test(int argc, char **argv)
{
	struct dt_opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	struct desttest_req rq = {
	    .name = o.name,
	    .server = o.server,
	    .from = o.from,
	    .rhdr = o.rhdr,
	    .nrhdr = o.nrhdr,
	    .live = o.live,
	    .target = o.target,
	};
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

/* cmd_emulator: 'handoff emulator': the REST twin and the call engine's control endpoints. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "emulator/control.h"
#include "emulator/rest.h"
#include "emulator/sip_front.h"
#include "net/httpd.h"
#include "net/sip.h"
#include "util/mem.h"

#define EMULATOR_MAX_SECRET_FILE 256
#define EMULATOR_MAX_CONNS       256 /* one thread each: handlers wait for webhooks */
#define EMULATOR_MAX_RULES       32  /* --rule options */

/* Reads the first line of a secret file (at most EMULATOR_MAX_SECRET_FILE bytes)
 * into a new string the caller wipes and frees; NULL on failure (reported). */
static char *read_secret_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_fail("emulator: %s: %s", path, strerror(errno));
		return NULL;
	}
	char buf[EMULATOR_MAX_SECRET_FILE + 1];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		cli_fail("emulator: %s: empty or unreadable", path);
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	char *s = xstrdup(buf);
	xwipe(buf, sizeof(buf));
	return s;
}

/* A fresh random token, written to a 0600 file in a new 0700 directory. */
static char *generate_token(char *path, size_t pathlen)
{
	char sid[35];
	emu_rest_sid(sid, "XX");
	char *tok = xstrdup(sid + 2);
	const char *tmp = getenv("TMPDIR");
	snprintf(path, pathlen, "%s/handoff-emulator-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(path)) {
		cli_fail("emulator: cannot create a directory for the token: %s", strerror(errno));
		free(tok);
		return NULL;
	}
	size_t used = strlen(path);
	snprintf(path + used, pathlen - used, "/auth-token");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, tok, strlen(tok)) != (ssize_t)strlen(tok) ||
	    write(fd, "\n", 1) != 1) {
		cli_fail("emulator: cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tok);
		return NULL;
	}
	close(fd);
	return tok;
}

/* The front door's inbound INVITEs and REFERs, through the control endpoints' call engine. */
static int sip_create(void *ctx, const struct emu_sipfront_invite *inv)
{
	if (!inv->domain)
		return emu_control_dial_in(ctx, inv->from, inv->to, inv->profile, inv->sid);
	/* a SIP domain user: the domain's Voice URL; an unknown domain answers the modelled
	 * rule's code (sip.unknown-domain-response) */
	struct emu_control_sip_in in = {inv->sid,     inv->from_uri,  inv->to, inv->domain,
	                                inv->call_id, inv->source_ip, inv->xh};
	int rc = emu_control_dial_domain(ctx, &in, NULL);
	if (rc == ENOENT || rc == EINVAL) {
		int code = emu_engine_rule(emu_control_engine(ctx), EMU_R_SIP_DOMAIN_UNKNOWN);
		return code >= 300 && code <= 699 ? code : ENOENT;
	}
	return rc;
}

static void sip_refer_done(void *ctx, const char *leg_sid, json_t *out)
{
	(void)out;
	emu_control_publish_leg(ctx, leg_sid);
}

const char cmd_emulator_help[] =
    "A local Twilio: the REST API (IncomingPhoneNumbers, Calls, Accounts, SIP/Domains,\n"
    "v1 Trunks) with Basic auth, Twilio's JSON and error bodies, and POST /emulator/faults;\n"
    "and the call engine's control endpoints: POST /emulator/calls (From, To: a caller dials\n"
    "a number, or a SIP domain user sip:USER@NAME.sip.twilio.com, and its Voice URL runs),\n"
    "POST /emulator/calls/CA.../refer (ReferTo, Target),\n"
    "POST .../hangup, GET /emulator/calls/CA... and .../events (the timeline), and\n"
    "POST /emulator/parties (Address, Answer=answer|busy|no-answer|fail, AfterMs: what a\n"
    "called party does). A Calls.json call rings its To and runs its TwiML once answered;\n"
    "POST .../Calls/CA....json updates a live call (Url, Twiml, Status). Every webhook is\n"
    "signed with X-Twilio-Signature under the auth token.\n"
    "\n"
    "  --listen ADDR:PORT        where to listen (default 127.0.0.1:8766; port 0 = any)\n"
    "  --account-sid AC...       the account (default: a random one, printed)\n"
    "  --auth-token-file FILE    read the auth token from FILE (preferred)\n"
    "  --auth-token TOKEN        the token on the command line (visible to other users\n"
    "                            in the process list; prefer the file or the environment)\n"
    "  --api-key SK...           also accept this API key; its secret from\n"
    "                            HANDOFF_EMULATOR_API_SECRET\n"
    "  --seed-numbers N          provision N numbers (+14155550100 upward; max 2000)\n"
    "  --sip ADDR:PORT           also speak real SIP there, UDP and TCP (e.g. 127.0.0.1:5080):\n"
    "                            a <Dial><Sip> to a loopback address sends a real INVITE, an\n"
    "                            in-dialog REFER from that user agent runs the transfer model\n"
    "                            (202, NOTIFYs, BYE), a loopback target gets a real INVITE,\n"
    "                            and an INVITE to sip:NUMBER@ADDR starts a call to that number\n"
    "                            (;profile=plivo for Plivo's rules); one whose Request-URI is\n"
    "                            sip:USER@NAME.sip.twilio.com (or sip:USER@ADDR;domain=NAME...)\n"
    "                            runs that SIP domain's Voice URL. X-Emulator-Target on a\n"
    "                            REFER scripts a target that is not rung for real\n"
    "  --rule NAME=VALUE         change a modelled rule (docs/flows.md), e.g.\n"
    "                            trunk.transferor-bye-wait-s=2; repeatable\n"
    "\n"
    "Environment: HANDOFF_EMULATOR_AUTH_TOKEN is the token when no file is given.\n"
    "With neither, a random token is written to a new 0600 file whose path is printed.\n"
    "\n"
    "Up to 1024 calls alive at once. A finished call stays readable (its JSON, events and\n"
    "Calls.json record) until 1000 more have finished, or 30 minutes after it ended.\n"
    "Each connection has its own thread (up to 256), so requests waiting on an app's\n"
    "webhooks never hold up others. A webhook URL pointing at this emulator's own\n"
    "listener is refused (error 11200 in the timeline), never fetched.\n";

int cmd_emulator(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"account-sid", required_argument, NULL, 'a'},
	    {"auth-token", required_argument, NULL, 't'},
	    {"auth-token-file", required_argument, NULL, 'f'},
	    {"api-key", required_argument, NULL, 'k'},
	    {"seed-numbers", required_argument, NULL, 'n'},
	    {"sip", required_argument, NULL, 's'},
	    {"rule", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	const char *sip_listen = NULL, *rules[EMULATOR_MAX_RULES];
	int nrules = 0;
	const char *listen = "127.0.0.1:8766", *account = NULL;
	char *token_arg = NULL; /* points into argv: overwritten once copied */
	const char *token_file = NULL, *api_key = NULL;
	long seed = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'a':
			account = optarg;
			break;
		case 't':
			token_arg = optarg;
			break;
		case 'f':
			token_file = optarg;
			break;
		case 'k':
			api_key = optarg;
			break;
		case 'n': {
			char *end;
			seed = strtol(optarg, &end, 10);
			if (*end || seed < 0 || seed > EMU_REST_MAX_SEED)
				return cli_usage("--seed-numbers must be 0..%d", EMU_REST_MAX_SEED);
			break;
		}
		case 's':
			sip_listen = optarg;
			break;
		case 'r':
			if (nrules == EMULATOR_MAX_RULES)
				return cli_usage("at most %d --rule options", EMULATOR_MAX_RULES);
			if (!strchr(optarg, '='))
				return cli_usage("--rule needs NAME=VALUE, e.g. "
				                 "trunk.transferor-bye-wait-s=2");
			rules[nrules++] = optarg;
			break;
		default:
			return cli_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if (sip_listen && !sipd_available()) {
		cli_hint(
		    "install libre-dev (scripts/install-deps.sh) and rebuild; without --sip the "
		    "emulator works as it is");
		return cli_fail(
		    "emulator: --sip: this handoff was built without SIP (libre-dev was "
		    "not found at build time)");
	}

	char account_buf[35];
	if (!account) {
		emu_rest_sid(account_buf, "AC");
		account = account_buf;
	}
	char *token = NULL, token_path[600] = "";
	const char *env_tok = getenv("HANDOFF_EMULATOR_AUTH_TOKEN");
	if (token_file)
		token = read_secret_file(token_file);
	else if (env_tok && *env_tok)
		token = xstrdup(env_tok);
	else if (token_arg) {
		token = xstrdup(token_arg);
		fprintf(stderr,
		        "handoff: emulator: --auth-token on the command line is visible in the "
		        "process list; prefer --auth-token-file or HANDOFF_EMULATOR_AUTH_TOKEN\n");
	} else {
		token = generate_token(token_path, sizeof(token_path));
	}
	/* hide the token from /proc/PID/cmdline from now on (it was visible until here) */
	if (token_arg)
		memset(token_arg, 'x', strlen(token_arg));
	if (!token)
		return EXIT_FAIL;
	const char *key_secret = getenv("HANDOFF_EMULATOR_API_SECRET");
	if (api_key && (!key_secret || !*key_secret)) {
		xwipe(token, strlen(token));
		free(token);
		return cli_usage("--api-key needs its secret in HANDOFF_EMULATOR_API_SECRET");
	}

	struct emu_rest_config cfg = {
	    .account_sid = account,
	    .auth_token = token,
	    .api_key_sid = api_key,
	    .api_key_secret = api_key ? key_secret : NULL,
	    .seed_numbers = (unsigned)seed,
	};
	struct emu_rest *rest = NULL;
	char err[256];
	int rc = emu_rest_new(&rest, &cfg, err, sizeof(err));
	/* the call engine behind /emulator/calls... and Calls.json; it keeps its
	 * own copy of the token to sign the webhooks it sends */
	struct emu_control *ctl = NULL;
	if (!rc && (rc = emu_control_new(rest, token, &ctl)) != 0) {
		snprintf(err, sizeof(err), "cannot start the call engine: %s", strerror(rc));
		emu_rest_free(rest);
	}
	xwipe(token, strlen(token));
	free(token);
	if (rc)
		return cli_fail("emulator: %s", err);
	emu_control_attach(ctl, rest);
	for (int i = 0; i < nrules; i++) {
		char name[128];
		const char *eq = strchr(rules[i], '=');
		char *end;
		long v = strtol(eq + 1, &end, 10);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - rules[i]), rules[i]);
		if (!eq[1] || *end || emu_engine_set_rule(emu_control_engine(ctl), name, (int)v)) {
			emu_control_free(ctl);
			emu_rest_free(rest);
			cli_hint("the rules and their values: docs/flows.md, 'Modelled rules'");
			return cli_usage("--rule %s: no such rule, or the value is not an integer",
			                 rules[i]);
		}
	}

	/* block the stop signals in every thread; this one waits for them */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	struct httpd_config hc = {
	    .listen = listen,
	    .blocking = true, /* a control request runs the app's webhooks (up to 15 s each) */
	    .max_conns = EMULATOR_MAX_CONNS,
	    .max_body = HTTPD_MAX_BODY_DEFAULT,
	    .handler = emu_rest_handle,
	    .ctx = rest,
	};
	struct httpd *h = NULL;
	rc = httpd_start(&h, &hc, err, sizeof(err));
	if (rc) {
		emu_control_free(ctl);
		emu_rest_free(rest);
		cli_hint("pick another port with --listen 127.0.0.1:PORT (0 = any free port)");
		return cli_fail("emulator: cannot listen on %s: %s", listen, err);
	}
	/* the host part of --listen ("127.0.0.1:0", "[::1]:0"); a bare port is every address */
	const char *colon = strrchr(listen, ':');
	int hostlen = colon ? (int)(colon - listen) : 0;
	char self[64];
	snprintf(self, sizeof(self), "%.*s", hostlen, listen);
	if (self[0] == '[') { /* [::1] -> ::1 */
		memmove(self, self + 1, strlen(self));
		self[strcspn(self, "]")] = '\0';
	}
	emu_control_set_listener(ctl, self, httpd_port(h));
	printf("emulator listening on http://%.*s:%d (account %s)\n", hostlen ? hostlen : 9,
	       hostlen ? listen : "127.0.0.1", httpd_port(h), account);
	if (token_path[0])
		printf("auth token written to %s (mode 0600)\n", token_path);
	struct emu_sipfront *sf = NULL;
	if (sip_listen) {
		struct emu_sipfront_config sc = {sip_listen, emu_control_engine(ctl), ctl,
		                                 sip_create, sip_refer_done};
		if ((rc = emu_sipfront_start(&sc, &sf, err, sizeof(err))) != 0) {
			httpd_stop(h);
			emu_control_free(ctl);
			emu_rest_free(rest);
			cli_hint("pick another port with --sip 127.0.0.1:PORT (0 = any free port)");
			return cli_fail("emulator: --sip %s: %s", sip_listen, err);
		}
		printf("sip listening on udp+tcp %s\n", emu_sipfront_addr(sf));
	}
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	/* SIP first: blocked dials return, so the HTTP handlers that wait on them finish */
	emu_sipfront_stop(sf);
	httpd_stop(h);
	emu_sipfront_free(sf);
	emu_control_free(ctl);
	emu_rest_free(rest);
	if (token_path[0]) {
		unlink(token_path);
		char *slash = strrchr(token_path, '/');
		if (slash) {
			*slash = '\0';
			rmdir(token_path);
		}
	}
	return EXIT_OK;
}

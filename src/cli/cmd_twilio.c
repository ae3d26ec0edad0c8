/* cmd_twilio: 'handoff twilio': the options and the client session its leaves share, login,
 * profiles, and the command tables; numbers, trunks and calls are cmd_twilio_numbers.c,
 * cmd_twilio_trunks.c and cmd_twilio_calls.c. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/twilio_cli.h"
#include "net/httpc.h"
#include "twilio/creds.h"
#include "twilio/rest.h"
#include "util/buf.h"
#include "util/ids.h"
#include "util/mem.h"

/* ---- options shared by the leaves ---- */

static const struct {
	struct option o;
	unsigned bit;
} opt_table[] = {
    {{"api-base", required_argument, NULL, 'B'}, O_API_BASE},
    {{"profile", required_argument, NULL, 'P'}, O_PROFILE},
    {{"json", no_argument, NULL, 'j'}, O_JSON},
    {{"voice-url", required_argument, NULL, 'u'}, O_VOICE_URL},
    {{"method", required_argument, NULL, 'm'}, O_METHOD},
    {{"fallback-url", required_argument, NULL, 'F'}, O_FALLBACK},
    {{"dry-run", no_argument, NULL, 'n'}, O_DRY_RUN},
    {{"force", no_argument, NULL, 'f'}, O_FORCE},
    {{"transfer-mode", required_argument, NULL, 'T'}, O_XFER_MODE},
    {{"transfer-caller-id", required_argument, NULL, 'C'}, O_XFER_CID},
    {{"timeout", required_argument, NULL, 't'}, O_TIMEOUT},
    {{"page-size", required_argument, NULL, 'S'}, O_PAGE_SIZE},
    {{"public-url", required_argument, NULL, 'U'}, O_PUBLIC_URL},
    {{"sandbox", no_argument, NULL, 'x'}, O_SANDBOX},
    {{"status", required_argument, NULL, 'X'}, O_STATUS},
};
#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))

/* Parses argv with the options in mask; returns 0 or EXIT_USAGE (reported). */
int tw_cli_parse(int argc, char **argv, unsigned mask, struct tw_cli_opts *o)
{
	struct option lo[NOPTS + 1];
	size_t n = 0;
	for (size_t i = 0; i < NOPTS; i++)
		if (mask & opt_table[i].bit)
			lo[n++] = opt_table[i].o;
	memset(&lo[n], 0, sizeof(lo[n]));
	memset(o, 0, sizeof(*o));
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'B':
			o->api_base = optarg;
			break;
		case 'P':
			o->profile = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'u':
			o->voice_url = optarg;
			break;
		case 'm':
			o->method = optarg;
			break;
		case 'F':
			o->fallback = optarg;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'T':
			o->xfer_mode = optarg;
			break;
		case 'C':
			o->xfer_cid = optarg;
			break;
		case 'U':
			o->public_url = optarg;
			break;
		case 'x':
			o->sandbox = true;
			break;
		case 'X':
			o->status = optarg;
			break;
		case 'S': {
			char *end;
			o->page_size = strtol(optarg, &end, 10);
			if (*end || o->page_size < 1 || o->page_size > 1000)
				return cli_usage("--page-size must be 1..1000");
			break;
		}
		case 't': {
			char *end;
			o->timeout_s = strtod(optarg, &end);
			if (*end || !(o->timeout_s > 0) || o->timeout_s > MAX_TIMEOUT_S)
				return cli_usage("--timeout must be 0 < SECONDS <= %d",
				                 MAX_TIMEOUT_S);
			break;
		}
		default:
			return cli_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	if (o->profile && !creds_profile_name_ok(o->profile))
		return cli_usage(
		    "--profile: '%s' is not a profile name ([A-Za-z0-9_-], at most %d)", o->profile,
		    CREDS_MAX_NAME);
	return 0;
}

/* "numbers wire" for error lines (the interface's "handoff: numbers wire X: why"). */
const char *tw_cli_leaf(void)
{
	const char *n = cli_name();
	return strncmp(n, "twilio ", 7) == 0 ? n + 7 : n;
}

/* Copies s into d (size n), truncating. */
void tw_cli_scopy(char *d, size_t n, const char *s)
{
	size_t l = strnlen(s, n - 1);
	memcpy(d, s, l);
	d[l] = '\0';
}

/* ---- validation ---- */

/* An absolute http(s) URL with a host, no spaces or controls, bounded. */
bool tw_cli_is_http_url(const char *s)
{
	const char *rest;
	if (strlen(s) > MAX_URL)
		return false;
	if (strncasecmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		rest = s + 7;
	else
		return false;
	if (!*rest || strchr("/?#:", *rest))
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>')
			return false;
	return true;
}

int tw_cli_check_number_arg(const char *s)
{
	if (id_e164(s) || id_sid(s, "PN"))
		return 0;
	return cli_usage("'%s' is neither a +E164 number (e.g. +14155550100) nor a PN... SID", s);
}

/* ---- the client ---- */

static void on_retry(void *ctx, int attempt, int status, long wait_ms)
{
	(void)ctx;
	if (status)
		fprintf(stderr, "handoff: %s: HTTP %d; retry %d in %.1f s\n", tw_cli_leaf(), status,
		        attempt, (double)wait_ms / 1000);
	else
		fprintf(stderr, "handoff: %s: no connection; retry %d in %.1f s\n", tw_cli_leaf(),
		        attempt, (double)wait_ms / 1000);
}

static long env_long(const char *name, long def, long lo, long hi)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end;
	double d = strtod(v, &end);
	if (*end || d < (double)lo || d > (double)hi)
		return def;
	return (long)d;
}

/* The API base: --api-base, else TWILIO_API_BASE, else the profile's; "" = Twilio. */
static const char *pick_base(const struct tw_cli_opts *o, const char *profile_base)
{
	if (o->api_base)
		return o->api_base;
	const char *e = getenv("TWILIO_API_BASE");
	if (e && *e)
		return e;
	return profile_base ? profile_base : "";
}

static void client_settings(struct tw_client *c, const struct tw_cli_opts *o)
{
	double t = o->timeout_s > 0
	               ? o->timeout_s
	               : (double)env_long("HANDOFF_TWILIO_TIMEOUT_MS", 30000, 1, 300000) / 1000.0;
	c->timeout_ms = (long)(t * 1000);
	c->connect_timeout_ms = env_long("HANDOFF_TWILIO_CONNECT_TIMEOUT_MS", 10000, 1, 60000);
	if (c->connect_timeout_ms > c->timeout_ms)
		c->connect_timeout_ms = c->timeout_ms;
	c->max_retries = (int)env_long("HANDOFF_TWILIO_RETRIES", TW_MAX_RETRIES, 0, 10);
	c->backoff_ms = env_long("HANDOFF_TWILIO_BACKOFF_MS", TW_BACKOFF_MS, 1, 10000);
	c->on_retry = on_retry;
}

static int check_base(const char *base)
{
	if (*base && !tw_cli_is_http_url(base))
		return cli_usage("API base '%s' is not an http(s) URL", base);
	return 0;
}

/* Resolves credentials and builds the client; returns 0 or an exit status. */
int tw_cli_session_open(struct tw_cli_session *s, const struct tw_cli_opts *o)
{
	memset(s, 0, sizeof(*s));
	char err[512];
	int rc = creds_resolve(&s->cr, o->profile, err, sizeof(err));
	if (rc) {
		cli_fail("%s: %s", tw_cli_leaf(), err);
		if (rc == EACCES) {
			char path[1100];
			creds_path(path, sizeof(path));
			cli_hint("run: chmod 600 %s", path);
		} else if (rc == ENOENT) {
			cli_hint("run 'handoff twilio login', or set TWILIO_ACCOUNT_SID and "
			         "TWILIO_AUTH_TOKEN");
		}
		return EXIT_FAIL;
	}
	snprintf(s->base, sizeof(s->base), "%s", pick_base(o, s->cr.api_base));
	if ((rc = check_base(s->base)))
		return rc;
	s->c.api_base = s->base;
	s->c.account_sid = s->cr.account_sid;
	s->c.user = s->cr.user;
	s->c.secret = s->cr.secret;
	client_settings(&s->c, o);
	return 0;
}

void tw_cli_session_close(struct tw_cli_session *s)
{
	creds_wipe(&s->cr);
}

/* Reports a REST failure about target; returns EXIT_FAIL. */
int tw_cli_fail_rest(const char *target, int rc, const struct tw_error *e)
{
	char line[1024];
	tw_error_line(e, line, sizeof(line));
	if (target && *target)
		cli_fail("%s %s: %s", tw_cli_leaf(), target, line);
	else
		cli_fail("%s: %s", tw_cli_leaf(), line);
	if (rc == EACCES || e->code == 20003)
		cli_hint("the credentials were refused: check the SID and token (handoff twilio "
		         "login), or TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN");
	else if (e->code == 11203)
		cli_hint("the API did not answer in time; raise --timeout or retry later");
	else if (e->code == 11220)
		cli_hint(
		    "the server's certificate was not trusted (verification stays on); for the "
		    "emulator use its http:// address");
	else if (e->code == 11202 || e->code == 11210)
		cli_hint("check --api-base / TWILIO_API_BASE and the network");
	return EXIT_FAIL;
}

const char *tw_cli_jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

void tw_cli_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	puts(s ? s : "null");
	free(s);
}

/* ---- login and profiles ---- */

/* Reads one line into out (without the newline); with echo off when fd is a
 * terminal and secret. Returns 0, ENOENT at end of input, E2BIG when longer. */
static int read_line(FILE *in, bool tty, bool secret, const char *prompt, char *out, size_t outlen)
{
	struct termios old, quiet;
	bool restored = true;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (secret && tcgetattr(fileno(in), &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			quiet.c_lflag |= ECHONL;
			restored = tcsetattr(fileno(in), TCSAFLUSH, &quiet) != 0;
		}
	}
	char *got = fgets(out, (int)outlen, in);
	if (tty && secret && !restored)
		tcsetattr(fileno(in), TCSAFLUSH, &old);
	if (!got)
		return ENOENT;
	size_t n = strlen(out);
	if (n && out[n - 1] != '\n' && !feof(in)) {
		xwipe(out, outlen);
		return E2BIG;
	}
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		out[--n] = '\0';
	return 0;
}

static const char login_help[] =
    "Reads the account SID and the auth token (or an API key SID and its secret),\n"
    "checks them against the API, and stores them as a profile (made active) in\n"
    "$XDG_CONFIG_HOME/handoff/credentials (default ~/.config/handoff), mode 0600.\n"
    "\n"
    "On a terminal it prompts (the secret is not echoed). Otherwise it reads lines\n"
    "from stdin: the account SID, then the auth token; or the account SID, an\n"
    "API key SID (SK...), then the key's secret. Never from the command line.\n"
    "\n"
    "  --profile NAME     the profile to store (default: default)\n"
    "  --api-base URL     another Twilio (the emulator); stored with the profile\n"
    "  --timeout SECONDS  total time for the check\n";

static int login(int argc, char **argv)
{
	struct tw_cli_opts o;
	int rc = tw_cli_parse(argc, argv, O_API_BASE | O_PROFILE | O_TIMEOUT, &o);
	if (rc)
		return rc;
	if (o.argc)
		return cli_usage("login takes no arguments (secrets are read from stdin or a "
		                 "prompt, never argv)");
	const char *profile = o.profile ? o.profile : "default";
	const char *base = pick_base(&o, NULL);
	if ((rc = check_base(base)))
		return rc;

	FILE *in = stdin;
	bool tty = isatty(STDIN_FILENO);
	struct creds cr;
	memset(&cr, 0, sizeof(cr));
	char line[MAX_LINE], key[MAX_LINE] = "";
	if ((rc = read_line(in, tty, false, "Account SID (AC...): ", line, sizeof(line))) ||
	    !id_sid(line, "AC")) {
		cli_fail("%s: expected an account SID (AC + 32 hex) on the first line",
		         tw_cli_leaf());
		return EXIT_FAIL;
	}
	tw_cli_scopy(cr.account_sid, sizeof(cr.account_sid), line);
	if (tty) {
		if (read_line(in, tty, false,
		              "API key SID (SK..., or Enter to use the auth token): ", key,
		              sizeof(key)) == 0 &&
		    *key && !id_sid(key, "SK")) {
			cli_fail("%s: '%s' is not an API key SID (SK + 32 hex)", tw_cli_leaf(),
			         key);
			return EXIT_FAIL;
		}
		rc = read_line(in, tty, true, *key ? "API key secret: " : "Auth token: ", line,
		               sizeof(line));
	} else {
		rc = read_line(in, tty, true, "", line, sizeof(line));
		if (!rc && id_sid(line, "SK")) {
			snprintf(key, sizeof(key), "%s", line);
			rc = read_line(in, tty, true, "", line, sizeof(line));
		}
	}
	if (rc || !*line || strlen(line) > CREDS_MAX_SECRET) {
		xwipe(line, sizeof(line));
		cli_fail("%s: expected the %s on the next line (1..%d characters)", tw_cli_leaf(),
		         *key ? "API key secret" : "auth token", CREDS_MAX_SECRET);
		return EXIT_FAIL;
	}
	tw_cli_scopy(cr.user, sizeof(cr.user), *key ? key : cr.account_sid);
	tw_cli_scopy(cr.secret, sizeof(cr.secret), line);
	xwipe(line, sizeof(line));
	snprintf(cr.profile, sizeof(cr.profile), "%s", profile);
	snprintf(cr.api_base, sizeof(cr.api_base), "%s", base);

	/* check them before saving anything */
	struct tw_client c = {.api_base = cr.api_base,
	                      .account_sid = cr.account_sid,
	                      .user = cr.user,
	                      .secret = cr.secret};
	client_settings(&c, &o);
	char path[128];
	snprintf(path, sizeof(path), "/2010-04-01/Accounts/%s.json", cr.account_sid);
	json_t *acct = NULL;
	struct tw_error e;
	rc = tw_request(&c, TW_API_2010, "GET", path, NULL, 0, &acct, &e);
	if (rc) {
		creds_wipe(&cr);
		return tw_cli_fail_rest(profile, rc, &e);
	}
	char friendly[128];
	snprintf(friendly, sizeof(friendly), "%s", tw_cli_jstr(acct, "friendly_name"));
	json_decref(acct);

	struct creds_store *st = xcalloc(1, sizeof(*st));
	char err[512];
	rc = creds_store_load(st, err, sizeof(err));
	if (rc && rc != ENOENT) {
		cli_fail("%s: %s", tw_cli_leaf(), err);
		if (rc == EACCES) {
			char p[1100];
			creds_path(p, sizeof(p));
			cli_hint("run: chmod 600 %s", p);
		}
		goto out;
	}
	struct creds *slot = creds_store_find(st, profile);
	if (!slot) {
		if (st->n >= CREDS_MAX_PROFILES) {
			cli_fail(
			    "%s: at most %d profiles; remove one with 'handoff twilio profiles rm'",
			    tw_cli_leaf(), CREDS_MAX_PROFILES);
			rc = E2BIG;
			goto out;
		}
		slot = &st->p[st->n++];
	}
	*slot = cr;
	snprintf(st->active, sizeof(st->active), "%s", profile);
	rc = creds_store_save(st, err, sizeof(err));
	if (rc) {
		cli_fail("%s: %s", tw_cli_leaf(), err);
		goto out;
	}
	char fpath[1100];
	creds_path(fpath, sizeof(fpath));
	size_t sl = strlen(cr.secret);
	printf("logged in to %s%s%s%s as %s (%s ...%s)\n", cr.account_sid, *friendly ? " (" : "",
	       friendly, *friendly ? ")" : "", cr.user, *key ? "secret" : "token",
	       sl >= 8 ? cr.secret + sl - 4 : "");
	printf("saved profile '%s' (active) in %s\n", profile, fpath);
out:
	creds_store_wipe(st);
	free(st);
	creds_wipe(&cr);
	return rc ? EXIT_FAIL : EXIT_OK;
}

static int profiles(int argc, char **argv)
{
	struct tw_cli_opts o;
	int rc = tw_cli_parse(argc, argv, O_JSON, &o);
	if (rc)
		return rc;
	const char *verb = o.argc ? o.argv[0] : "list";
	bool is_list = strcmp(verb, "list") == 0;
	if (!is_list && strcmp(verb, "use") != 0 && strcmp(verb, "rm") != 0)
		return cli_usage("unknown action '%s' (list, use NAME, rm NAME)", verb);
	if (is_list ? o.argc > 1 : o.argc != 2)
		return cli_usage(is_list ? "list takes no NAME" : "%s needs one NAME", verb);
	if (!is_list && !creds_profile_name_ok(o.argv[1]))
		return cli_usage("'%s' is not a profile name", o.argv[1]);
	struct creds_store *st = xcalloc(1, sizeof(*st));
	char err[512], path[1100];
	creds_path(path, sizeof(path));
	rc = creds_store_load(st, err, sizeof(err));
	if (rc && !(rc == ENOENT && is_list)) {
		if (rc == ENOENT)
			cli_fail("%s: no credentials file (%s)", tw_cli_leaf(), path);
		else
			cli_fail("%s: %s", tw_cli_leaf(), err);
		if (rc == EACCES)
			cli_hint("run: chmod 600 %s", path);
		else if (rc == ENOENT)
			cli_hint("run 'handoff twilio login' first");
		goto out;
	}
	rc = 0;
	if (is_list) {
		json_t *arr = json_array();
		for (size_t i = 0; i < st->n; i++) {
			const struct creds *p = &st->p[i];
			size_t sl = strlen(p->secret);
			json_array_append_new(
			    arr,
			    json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "name", p->profile,
			              "account_sid", p->account_sid, "user", p->user,
			              "secret_last4", sl >= 8 ? p->secret + sl - 4 : "", "api_base",
			              p->api_base, "active", strcmp(p->profile, st->active) == 0));
		}
		if (o.json) {
			tw_cli_print_json(arr);
		} else {
			for (size_t i = 0; i < st->n; i++) {
				const struct creds *p = &st->p[i];
				printf("%c %-16s %s%s%s\n",
				       strcmp(p->profile, st->active) == 0 ? '*' : ' ', p->profile,
				       p->account_sid,
				       strcmp(p->user, p->account_sid) ? " key " : "",
				       strcmp(p->user, p->account_sid) ? p->user : "");
				if (*p->api_base)
					printf("  %-16s api base %s\n", "", p->api_base);
			}
			if (!st->n)
				printf("no profiles (run 'handoff twilio login')\n");
		}
		json_decref(arr);
		goto out;
	}
	const char *name = o.argv[1];
	struct creds *p = creds_store_find(st, name);
	if (!p) {
		cli_fail("%s: no profile named '%s'", tw_cli_leaf(), name);
		rc = ENOENT;
		goto out;
	}
	if (strcmp(verb, "use") == 0) {
		snprintf(st->active, sizeof(st->active), "%s", name);
	} else {
		size_t idx = (size_t)(p - st->p);
		memmove(&st->p[idx], &st->p[idx + 1], (st->n - idx - 1) * sizeof(st->p[0]));
		st->n--;
		xwipe(&st->p[st->n], sizeof(st->p[0]));
		if (strcmp(st->active, name) == 0)
			tw_cli_scopy(st->active, sizeof(st->active), st->n ? st->p[0].profile : "");
	}
	rc = creds_store_save(st, err, sizeof(err));
	if (rc)
		cli_fail("%s: %s", tw_cli_leaf(), err);
	else if (strcmp(verb, "use") == 0)
		printf("active profile: %s\n", name);
	else
		printf("removed profile '%s'%s%s\n", name, st->active[0] ? "; active: " : "",
		       st->active);
out:
	creds_store_wipe(st);
	free(st);
	return rc ? EXIT_FAIL : EXIT_OK;
}

/* ---- the table ---- */

const struct cmd cmd_twilio[] = {
    {"login", "[--profile NAME] [--api-base URL]", "check and store credentials (prompt or stdin)",
     login_help, login, NULL},
    {"profiles", "[list|use NAME|rm NAME] [--json]", "list, switch or remove stored profiles",
     "Profiles live in $XDG_CONFIG_HOME/handoff/credentials (mode 0600). The active one is\n"
     "used when TWILIO_ACCOUNT_SID is not set; --profile NAME on a command picks another.\n",
     profiles, NULL},
    {"numbers", NULL, "phone numbers (list, show, wire, restore)", NULL, NULL, tw_cli_numbers_cmds},
    {"trunks", NULL, "Elastic SIP trunks (list, set)", NULL, NULL, tw_cli_trunks_cmds},
    {"calls", NULL, "calls (list, show, transfer a live one)", NULL, NULL, tw_cli_calls_cmds},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

/* cmd_twilio: 'handoff twilio': login, profiles, numbers (list/show/wire/restore), trunks. */
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
#include "twilio/creds.h"
#include "net/httpc.h"
#include "twilio/rest.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/ids.h"

#define MAX_URL       2048 /* a webhook URL we will set */
#define MAX_LINE      256  /* a login input line */
#define WIRED_FILE    "wired.json"
#define MAX_TIMEOUT_S 300

/* ---- options shared by the leaves ---- */

enum {
	O_API_BASE = 1 << 0,
	O_PROFILE = 1 << 1,
	O_JSON = 1 << 2,
	O_VOICE_URL = 1 << 3,
	O_METHOD = 1 << 4,
	O_FALLBACK = 1 << 5,
	O_DRY_RUN = 1 << 6,
	O_FORCE = 1 << 7,
	O_XFER_MODE = 1 << 8,
	O_XFER_CID = 1 << 9,
	O_TIMEOUT = 1 << 10,
	O_PAGE_SIZE = 1 << 11,
};

struct opts {
	const char *api_base, *profile, *voice_url, *method, *fallback, *xfer_mode, *xfer_cid;
	bool json, dry_run, force;
	double timeout_s;
	long page_size;
	int argc; /* positional arguments */
	char **argv;
};

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
};
#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))

/* Parses argv with the options in mask; returns 0 or EXIT_USAGE (reported). */
static int parse(int argc, char **argv, unsigned mask, struct opts *o)
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
static const char *leaf(void)
{
	const char *n = cli_name();
	return strncmp(n, "twilio ", 7) == 0 ? n + 7 : n;
}

/* Copies s into d (size n), truncating. */
static void scopy(char *d, size_t n, const char *s)
{
	size_t l = strnlen(s, n - 1);
	memcpy(d, s, l);
	d[l] = '\0';
}

/* ---- validation ---- */

/* An absolute http(s) URL with a host, no spaces or controls, bounded. */
static bool is_http_url(const char *s)
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

static int check_number_arg(const char *s)
{
	if (id_e164(s) || id_sid(s, "PN"))
		return 0;
	return cli_usage("'%s' is neither a +E164 number (e.g. +14155550100) nor a PN... SID", s);
}

/* ---- the client ---- */

struct session {
	struct creds cr;
	struct tw_client c;
	char base[CREDS_MAX_BASE + 1];
};

static void on_retry(void *ctx, int attempt, int status, long wait_ms)
{
	(void)ctx;
	if (status)
		fprintf(stderr, "handoff: %s: HTTP %d; retry %d in %.1f s\n", leaf(), status,
		        attempt, (double)wait_ms / 1000);
	else
		fprintf(stderr, "handoff: %s: no connection; retry %d in %.1f s\n", leaf(), attempt,
		        (double)wait_ms / 1000);
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
static const char *pick_base(const struct opts *o, const char *profile_base)
{
	if (o->api_base)
		return o->api_base;
	const char *e = getenv("TWILIO_API_BASE");
	if (e && *e)
		return e;
	return profile_base ? profile_base : "";
}

static void client_settings(struct tw_client *c, const struct opts *o)
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
	if (*base && !is_http_url(base))
		return cli_usage("API base '%s' is not an http(s) URL", base);
	return 0;
}

/* Resolves credentials and builds the client; returns 0 or an exit status. */
static int session_open(struct session *s, const struct opts *o)
{
	memset(s, 0, sizeof(*s));
	char err[512];
	int rc = creds_resolve(&s->cr, o->profile, err, sizeof(err));
	if (rc) {
		cli_fail("%s: %s", leaf(), err);
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

static void session_close(struct session *s)
{
	creds_wipe(&s->cr);
}

/* Reports a REST failure about target; returns EXIT_FAIL. */
static int fail_rest(const char *target, int rc, const struct tw_error *e)
{
	char line[1024];
	tw_error_line(e, line, sizeof(line));
	if (target && *target)
		cli_fail("%s %s: %s", leaf(), target, line);
	else
		cli_fail("%s: %s", leaf(), line);
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

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* ---- numbers ---- */

static void numbers_path(const struct session *s, char *out, size_t outlen, const char *sid)
{
	if (sid)
		snprintf(out, outlen, "/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json",
		         s->cr.account_sid, sid);
	else
		snprintf(out, outlen, "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json",
		         s->cr.account_sid);
}

/* Fetches the number NUMBER names (+E164 through a PhoneNumber filtered
 * list, PN... directly). Returns 0 with *num, or an exit status (reported). */
static int find_number(struct session *s, const char *arg, json_t **num)
{
	char path[256];
	struct tw_error e;
	int rc;
	if (id_sid(arg, "PN")) {
		numbers_path(s, path, sizeof(path), arg);
		rc = tw_request(&s->c, TW_API_2010, "GET", path, NULL, 0, num, &e);
		if (rc == ENOENT && e.code == 20404) {
			cli_fail("%s %s: no such number in account %s (Twilio 20404)", leaf(), arg,
			         s->cr.account_sid);
			return EXIT_FAIL;
		}
		return rc ? fail_rest(arg, rc, &e) : 0;
	}
	numbers_path(s, path, sizeof(path), NULL);
	struct tw_param p[] = {{"PhoneNumber", arg}, {"PageSize", "20"}};
	json_t *list = NULL;
	rc = tw_request(&s->c, TW_API_2010, "GET", path, p, 2, &list, &e);
	if (rc)
		return fail_rest(arg, rc, &e);
	json_t *arr = json_object_get(list, "incoming_phone_numbers");
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
	{
		if (strcmp(jstr(o, "phone_number"), arg) == 0) {
			*num = json_incref(o);
			json_decref(list);
			return 0;
		}
	}
	json_decref(list);
	cli_fail("%s %s: no such number in account %s", leaf(), arg, s->cr.account_sid);
	cli_hint("see 'handoff twilio numbers list'");
	return EXIT_FAIL;
}

/* What answers the number's calls, by Twilio's precedence. */
static void voice_summary(const json_t *n, char *out, size_t outlen)
{
	if (*jstr(n, "trunk_sid"))
		snprintf(out, outlen, "trunk %s", jstr(n, "trunk_sid"));
	else if (*jstr(n, "voice_application_sid"))
		snprintf(out, outlen, "application %s", jstr(n, "voice_application_sid"));
	else if (*jstr(n, "voice_url"))
		snprintf(out, outlen, "%s %s",
		         *jstr(n, "voice_method") ? jstr(n, "voice_method") : "POST",
		         jstr(n, "voice_url"));
	else
		snprintf(out, outlen, "-");
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	puts(s ? s : "null");
	free(s);
}

static int numbers_list(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_PAGE_SIZE, &o);
	if (rc)
		return rc;
	if (o.argc)
		return cli_usage("unexpected argument '%s'", o.argv[0]);
	struct session s;
	if ((rc = session_open(&s, &o)))
		return rc;
	char path[256];
	numbers_path(&s, path, sizeof(path), NULL);
	size_t used = strlen(path);
	snprintf(path + used, sizeof(path) - used, "?PageSize=%ld", o.page_size ? o.page_size : 50);
	json_t *items = NULL;
	struct tw_error e;
	int r = tw_list(&s.c, TW_API_2010, path, "incoming_phone_numbers", &items, &e);
	if (r) {
		session_close(&s);
		return fail_rest("", r, &e);
	}
	if (o.json) {
		print_json(items);
	} else {
		printf("%-34s  %-16s  %s\n", "SID", "NUMBER", "VOICE");
		size_t i;
		json_t *n;
		json_array_foreach(items, i, n)
		{
			char v[MAX_URL + 64];
			voice_summary(n, v, sizeof(v));
			printf("%-34s  %-16s  %s\n", jstr(n, "sid"), jstr(n, "phone_number"), v);
		}
		printf("%zu number%s\n", json_array_size(items),
		       json_array_size(items) == 1 ? "" : "s");
	}
	json_decref(items);
	session_close(&s);
	return EXIT_OK;
}

/* The fields 'show' prints, and wire/restore may change (key, Param, label). */
static const struct {
	const char *key, *param, *label;
} number_fields[] = {
    {"voice_url", "VoiceUrl", "Voice URL"},
    {"voice_method", "VoiceMethod", "Voice method"},
    {"voice_fallback_url", "VoiceFallbackUrl", "Fallback URL"},
    {"voice_fallback_method", "VoiceFallbackMethod", "Fallback method"},
    {"voice_application_sid", "VoiceApplicationSid", "Application"},
    {"trunk_sid", "TrunkSid", "Trunk"},
};
#define NFIELDS (sizeof(number_fields) / sizeof(number_fields[0]))

static const char *param_of(const char *key)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(number_fields[i].key, key) == 0)
			return number_fields[i].param;
	return NULL;
}

static int numbers_show(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT, &o);
	if (rc)
		return rc;
	if (o.argc != 1)
		return cli_usage(o.argc ? "one NUMBER only" : "missing NUMBER");
	if ((rc = check_number_arg(o.argv[0])))
		return rc;
	struct session s;
	if ((rc = session_open(&s, &o)))
		return rc;
	json_t *n = NULL;
	rc = find_number(&s, o.argv[0], &n);
	session_close(&s);
	if (rc)
		return rc;
	if (o.json) {
		print_json(n);
	} else {
		char v[MAX_URL + 64];
		voice_summary(n, v, sizeof(v));
		printf("%-16s %s\n%-16s %s\n%-16s %s\n%-16s %s\n", "Number",
		       jstr(n, "phone_number"), "SID", jstr(n, "sid"), "Friendly name",
		       jstr(n, "friendly_name"), "Calls go to", v);
		for (size_t i = 0; i < NFIELDS; i++)
			printf("%-16s %s\n", number_fields[i].label,
			       *jstr(n, number_fields[i].key) ? jstr(n, number_fields[i].key)
			                                      : "-");
	}
	json_decref(n);
	return EXIT_OK;
}

/* ---- change sets: one (key, before, after) per field that changes ---- */

struct change {
	const char *key;
	char before[MAX_URL + 1];
	char after[MAX_URL + 1];
};

struct changes {
	struct change c[NFIELDS];
	size_t n;
};

static void want(struct changes *cs, const json_t *cur, const char *key, const char *value)
{
	const char *now = jstr(cur, key);
	if (strcmp(now, value) == 0)
		return;
	for (size_t i = 0; i < cs->n; i++)
		if (strcmp(cs->c[i].key, key) == 0) {
			snprintf(cs->c[i].after, sizeof(cs->c[i].after), "%s", value);
			return;
		}
	struct change *c = &cs->c[cs->n++];
	c->key = key;
	snprintf(c->before, sizeof(c->before), "%s", now);
	snprintf(c->after, sizeof(c->after), "%s", value);
}

static void print_diff(const char *title, const struct changes *cs)
{
	printf("--- %s (now)\n+++ %s (after)\n", title, title);
	for (size_t i = 0; i < cs->n; i++)
		printf("- %s: %s\n", cs->c[i].key, cs->c[i].before[0] ? cs->c[i].before : "(none)");
	for (size_t i = 0; i < cs->n; i++)
		printf("+ %s: %s\n", cs->c[i].key, cs->c[i].after[0] ? cs->c[i].after : "(none)");
}

static json_t *changes_json(const struct changes *cs)
{
	json_t *a = json_array();
	for (size_t i = 0; i < cs->n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "field", cs->c[i].key, "before",
		                                   cs->c[i].before, "after", cs->c[i].after));
	return a;
}

/* POSTs the changes to the number; returns 0 or an exit status (reported). */
static int apply(struct session *s, const char *target, const char *sid, const struct changes *cs,
                 json_t **updated)
{
	struct tw_param p[NFIELDS];
	for (size_t i = 0; i < cs->n; i++) {
		p[i].name = param_of(cs->c[i].key);
		p[i].value = cs->c[i].after;
	}
	char path[256];
	numbers_path(s, path, sizeof(path), sid);
	struct tw_error e;
	int rc = tw_request(&s->c, TW_API_2010, "POST", path, p, cs->n, updated, &e);
	return rc ? fail_rest(target, rc, &e) : 0;
}

/* ---- wire records: what 'wire' replaced, keyed "AC...:PN..." ---- */

static json_t *records_load(void)
{
	struct buf b;
	char err[512];
	int rc = cfg_read_private(WIRED_FILE, &b, err, sizeof(err));
	if (rc == ENOENT)
		return json_object();
	if (rc) {
		cli_fail("%s: %s", leaf(), err);
		return NULL;
	}
	json_t *j = json_loadb(b.p ? b.p : "", b.len, 0, NULL);
	buf_free(&b);
	if (!json_is_object(j)) {
		json_decref(j);
		cli_fail("%s: the wire records (%s in the config directory) are not valid JSON",
		         leaf(), WIRED_FILE);
		return NULL;
	}
	return j;
}

static int records_save(json_t *rec)
{
	char *s = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	char err[512];
	int rc = cfg_write_private(WIRED_FILE, s, strlen(s), err, sizeof(err));
	free(s);
	if (rc)
		cli_fail("%s: cannot save the wire record: %s", leaf(), err);
	return rc ? EXIT_FAIL : 0;
}

static const char wire_help[] =
    "Points the number's Voice webhook at URL. Prints the change as a diff of the\n"
    "fields that change, then applies it (--dry-run stops after the diff).\n"
    "\n"
    "Refuses without --force when the number already has a different Voice URL,\n"
    "when a VoiceApplicationSid or TrunkSid would shadow the URL (Twilio's order:\n"
    "trunk > application > Voice URL; --force clears them), or when the API is\n"
    "Twilio's own and URL's host is loopback, private, link-local or does not\n"
    "resolve (Twilio could not reach it).\n"
    "\n"
    "What it replaced is remembered (wired.json in the config directory, 0600),\n"
    "so 'handoff twilio numbers restore NUMBER' can put it back.\n"
    "\n"
    "  --voice-url URL      the webhook (http or https)\n"
    "  --method GET|POST    its method (default: leave as is)\n"
    "  --fallback-url URL   the Voice fallback URL\n"
    "  --dry-run            show the change, change nothing\n"
    "  --force              replace anyway\n"
    "  --json               print the change as JSON\n"
    "  --api-base URL       another Twilio (the emulator); env TWILIO_API_BASE\n"
    "  --profile NAME       use this stored profile instead of the environment\n"
    "  --timeout SECONDS    total time per request (default 30)\n";

static int numbers_wire(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv,
	               O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_VOICE_URL | O_METHOD |
	                   O_FALLBACK | O_DRY_RUN | O_FORCE,
	               &o);
	if (rc)
		return rc;
	if (o.argc != 1)
		return cli_usage(o.argc ? "one NUMBER only" : "missing NUMBER");
	const char *arg = o.argv[0];
	if ((rc = check_number_arg(arg)))
		return rc;
	if (!o.voice_url)
		return cli_usage("--voice-url URL is required");
	if (!is_http_url(o.voice_url))
		return cli_usage("--voice-url '%s' is not an http(s) URL", o.voice_url);
	if (o.fallback && !is_http_url(o.fallback))
		return cli_usage("--fallback-url '%s' is not an http(s) URL", o.fallback);
	const char *method = NULL;
	if (o.method) {
		if (strcasecmp(o.method, "GET") == 0)
			method = "GET";
		else if (strcasecmp(o.method, "POST") == 0)
			method = "POST";
		else
			return cli_usage("--method must be GET or POST, not '%s'", o.method);
	}
	struct session s;
	if ((rc = session_open(&s, &o)))
		return rc;
	/* Twilio itself must be able to reach the URL */
	if (tw_is_real(&s.c) && !o.force) {
		const char *urls[] = {o.voice_url, o.fallback};
		for (size_t i = 0; i < 2; i++) {
			char why[512];
			if (!urls[i] || tw_url_unreachable(urls[i], why, sizeof(why)) == 0)
				continue;
			session_close(&s);
			cli_fail("%s %s: refusing to point a Twilio number at %s: %s, which Twilio "
			         "cannot reach",
			         leaf(), arg, urls[i], why);
			cli_hint(
			    "use a public URL (e.g. a tunnel), or --api-base for the emulator; "
			    "--force to wire it anyway");
			return EXIT_FAIL;
		}
	}
	json_t *num = NULL;
	if ((rc = find_number(&s, arg, &num))) {
		session_close(&s);
		return rc;
	}
	const char *sid = jstr(num, "sid");
	char title[128];
	snprintf(title, sizeof(title), "%s (%s)", jstr(num, "phone_number"), sid);

	/* what would stop the new URL from being used, or be lost */
	char reasons[3][MAX_URL + 200];
	size_t nreasons = 0;
	if (*jstr(num, "trunk_sid"))
		snprintf(reasons[nreasons++], sizeof(reasons[0]),
		         "TrunkSid %s would shadow the Voice URL (its calls go to the SIP trunk; "
		         "trunk > application > Voice URL)",
		         jstr(num, "trunk_sid"));
	if (*jstr(num, "voice_application_sid"))
		snprintf(reasons[nreasons++], sizeof(reasons[0]),
		         "VoiceApplicationSid %s would shadow the Voice URL (the application's "
		         "URL answers instead)",
		         jstr(num, "voice_application_sid"));
	if (*jstr(num, "voice_url") && strcmp(jstr(num, "voice_url"), o.voice_url) != 0)
		snprintf(reasons[nreasons++], sizeof(reasons[0]),
		         "it already has a different Voice URL: %s", jstr(num, "voice_url"));

	struct changes cs = {.n = 0};
	want(&cs, num, "voice_url", o.voice_url);
	if (method)
		want(&cs, num, "voice_method", method);
	if (o.fallback)
		want(&cs, num, "voice_fallback_url", o.fallback);
	if (o.force) {
		/* otherwise the new URL would be ignored */
		want(&cs, num, "voice_application_sid", "");
		want(&cs, num, "trunk_sid", "");
	}
	bool refuse = nreasons && !o.force;
	if (o.json) {
		json_t *j = json_pack("{s:s,s:s,s:o,s:b,s:b}", "number", jstr(num, "phone_number"),
		                      "sid", sid, "changes", changes_json(&cs), "dry_run",
		                      o.dry_run, "applied", !o.dry_run && !refuse && cs.n > 0);
		json_t *why = json_array();
		for (size_t i = 0; i < nreasons; i++)
			json_array_append_new(why, json_string(reasons[i]));
		json_object_set_new(j, refuse ? "refused" : "overridden", why);
		print_json(j);
		json_decref(j);
	} else if (cs.n) {
		print_diff(title, &cs);
	}
	if (refuse) {
		for (size_t i = 0; i < nreasons; i++)
			cli_fail("%s %s: refusing: %s", leaf(), arg, reasons[i]);
		cli_hint("check with 'handoff twilio numbers show %s'; --force replaces it (and "
		         "restore can put it back)",
		         arg);
		json_decref(num);
		session_close(&s);
		return EXIT_FAIL;
	}
	if (cs.n == 0) {
		if (!o.json)
			printf("%s already answers with %s: nothing to change\n", title,
			       o.voice_url);
		json_decref(num);
		session_close(&s);
		return EXIT_OK;
	}
	if (o.dry_run) {
		if (!o.json)
			printf("dry run: nothing changed\n");
		json_decref(num);
		session_close(&s);
		return EXIT_OK;
	}

	/* remember what is replaced before replacing it */
	json_t *rec = records_load();
	if (!rec) {
		json_decref(num);
		session_close(&s);
		return EXIT_FAIL;
	}
	char key[80];
	snprintf(key, sizeof(key), "%s:%s", s.cr.account_sid, sid);
	json_t *old = json_object_get(rec, key);
	json_t *before = json_object(), *after = json_object();
	/* a second wire keeps the first one's "before": restore goes to the original */
	if (old) {
		json_object_update(before, json_object_get(old, "before"));
		json_object_update(after, json_object_get(old, "after"));
	}
	for (size_t i = 0; i < cs.n; i++) {
		if (!json_object_get(before, cs.c[i].key))
			json_object_set_new(before, cs.c[i].key, json_string(cs.c[i].before));
		json_object_set_new(after, cs.c[i].key, json_string(cs.c[i].after));
	}
	char when[40];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *prev = old ? json_incref(old) : NULL;
	json_object_set_new(rec, key,
	                    json_pack("{s:s,s:s,s:s,s:o,s:o,s:s}", "account_sid", s.cr.account_sid,
	                              "sid", sid, "phone_number", jstr(num, "phone_number"),
	                              "before", before, "after", after, "wired_at", when));
	if ((rc = records_save(rec)))
		goto out;
	json_t *updated = NULL;
	rc = apply(&s, arg, sid, &cs, &updated);
	json_decref(updated);
	if (rc) {
		/* nothing was replaced: forget this wire */
		if (prev)
			json_object_set(rec, key, prev);
		else
			json_object_del(rec, key);
		records_save(rec);
		goto out;
	}
	if (!o.json) {
		printf("wired %s: calls now go to %s %s\n", title,
		       method ? method
		              : (*jstr(num, "voice_method") ? jstr(num, "voice_method") : "POST"),
		       o.voice_url);
		printf("undo with: handoff twilio numbers restore %s\n", jstr(num, "phone_number"));
	}
out:
	json_decref(prev);
	json_decref(rec);
	json_decref(num);
	session_close(&s);
	return rc ? EXIT_FAIL : EXIT_OK;
}

static int numbers_restore(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv,
	               O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_DRY_RUN | O_FORCE, &o);
	if (rc)
		return rc;
	if (o.argc != 1)
		return cli_usage(o.argc ? "one NUMBER only" : "missing NUMBER");
	const char *arg = o.argv[0];
	if ((rc = check_number_arg(arg)))
		return rc;
	struct session s;
	if ((rc = session_open(&s, &o)))
		return rc;
	json_t *rec = records_load();
	if (!rec) {
		session_close(&s);
		return EXIT_FAIL;
	}
	const char *k;
	json_t *v, *found = NULL;
	const char *found_key = NULL;
	json_object_foreach(rec, k, v)
	{
		if (strcmp(jstr(v, "account_sid"), s.cr.account_sid) != 0)
			continue;
		if (strcmp(jstr(v, "sid"), arg) == 0 || strcmp(jstr(v, "phone_number"), arg) == 0) {
			found = v;
			found_key = k;
			break;
		}
	}
	if (!found) {
		json_decref(rec);
		session_close(&s);
		cli_fail(
		    "%s %s: nothing to restore: no 'numbers wire' recorded for it in account %s",
		    leaf(), arg, s.cr.account_sid);
		return EXIT_FAIL;
	}
	json_t *num = NULL;
	if ((rc = find_number(&s, jstr(found, "sid"), &num))) {
		json_decref(rec);
		session_close(&s);
		return rc;
	}
	/* refuse when someone changed the number since the wire */
	char drift[NFIELDS][MAX_URL * 2 + 80];
	size_t ndrift = 0;
	json_t *after = json_object_get(found, "after");
	json_object_foreach(after, k, v)
	{
		if (!param_of(k) || ndrift >= NFIELDS)
			continue;
		if (strcmp(jstr(num, k), json_string_value(v) ? json_string_value(v) : "") != 0)
			snprintf(drift[ndrift++], sizeof(drift[0]),
			         "%s is now '%s' (wire set '%s')", k, jstr(num, k),
			         json_string_value(v));
	}
	struct changes cs = {.n = 0};
	json_object_foreach(json_object_get(found, "before"), k, v)
	{
		if (param_of(k) && json_is_string(v))
			want(&cs, num, param_of(k) ? k : "", json_string_value(v));
	}
	/* want() keeps key pointers: they live in rec, which outlives cs */
	char title[128];
	snprintf(title, sizeof(title), "%s (%s)", jstr(num, "phone_number"), jstr(num, "sid"));
	bool refuse = ndrift && !o.force;
	if (o.json) {
		json_t *j =
		    json_pack("{s:s,s:s,s:o,s:b,s:b}", "number", jstr(num, "phone_number"), "sid",
		              jstr(num, "sid"), "changes", changes_json(&cs), "dry_run", o.dry_run,
		              "applied", !o.dry_run && !refuse && cs.n > 0);
		print_json(j);
		json_decref(j);
	} else if (cs.n) {
		printf("restoring what 'numbers wire' replaced on %s at %s\n", title,
		       jstr(found, "wired_at"));
		print_diff(title, &cs);
	}
	if (refuse) {
		for (size_t i = 0; i < ndrift; i++)
			cli_fail("%s %s: refusing: the number changed since the wire: %s", leaf(),
			         arg, drift[i]);
		cli_hint("--force restores anyway");
		rc = EXIT_FAIL;
		goto out;
	}
	if (o.dry_run) {
		if (!o.json)
			printf("dry run: nothing changed\n");
		goto out;
	}
	if (cs.n) {
		json_t *updated = NULL;
		rc = apply(&s, arg, jstr(num, "sid"), &cs, &updated);
		json_decref(updated);
		if (rc)
			goto out;
	}
	json_object_del(rec, found_key);
	rc = records_save(rec);
	if (!rc && !o.json)
		printf(cs.n ? "restored %s\n" : "%s already matches what wire replaced\n", title);
out:
	json_decref(num);
	json_decref(rec);
	session_close(&s);
	return rc ? EXIT_FAIL : EXIT_OK;
}

/* ---- trunks ---- */

static int trunks_list(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_PAGE_SIZE, &o);
	if (rc)
		return rc;
	if (o.argc)
		return cli_usage("unexpected argument '%s'", o.argv[0]);
	struct session s;
	if ((rc = session_open(&s, &o)))
		return rc;
	json_t *items = NULL;
	struct tw_error e;
	char path[64];
	snprintf(path, sizeof(path), "/v1/Trunks?PageSize=%ld", o.page_size ? o.page_size : 50);
	int r = tw_list(&s.c, TW_API_V1, path, "trunks", &items, &e);
	session_close(&s);
	if (r)
		return fail_rest("", r, &e);
	if (o.json) {
		print_json(items);
	} else {
		printf("%-34s  %-12s  %-16s  %s\n", "SID", "TRANSFER", "CALLER ID", "NAME");
		size_t i;
		json_t *t;
		json_array_foreach(items, i, t)
		{
			printf("%-34s  %-12s  %-16s  %s\n", jstr(t, "sid"),
			       jstr(t, "transfer_mode"), jstr(t, "transfer_caller_id"),
			       jstr(t, "friendly_name"));
		}
		printf("%zu trunk%s\n", json_array_size(items),
		       json_array_size(items) == 1 ? "" : "s");
	}
	json_decref(items);
	return EXIT_OK;
}

static const char *const transfer_modes[] = {"disable-all", "enable-all", "sip-only", NULL};
static const char *const transfer_cids[] = {"from-transferee", "from-transferor", NULL};

static bool one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

static int trunks_set(int argc, char **argv)
{
	struct opts o;
	int rc = parse(
	    argc, argv,
	    O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_XFER_MODE | O_XFER_CID | O_DRY_RUN, &o);
	if (rc)
		return rc;
	if (o.argc != 1)
		return cli_usage(o.argc ? "one TK... SID only" : "missing the trunk SID (TK...)");
	const char *tk = o.argv[0];
	if (!id_sid(tk, "TK"))
		return cli_usage("'%s' is not a trunk SID (TK + 32 hex)", tk);
	if (!o.xfer_mode && !o.xfer_cid)
		return cli_usage("give --transfer-mode and/or --transfer-caller-id");
	if (o.xfer_mode && !one_of(o.xfer_mode, transfer_modes))
		return cli_usage("--transfer-mode must be disable-all, enable-all or sip-only");
	if (o.xfer_cid && !one_of(o.xfer_cid, transfer_cids))
		return cli_usage("--transfer-caller-id must be from-transferee or from-transferor");
	struct session s;
	if ((rc = session_open(&s, &o)))
		return rc;
	char path[64];
	snprintf(path, sizeof(path), "/v1/Trunks/%s", tk);
	json_t *t = NULL;
	struct tw_error e;
	int r = tw_request(&s.c, TW_API_V1, "GET", path, NULL, 0, &t, &e);
	if (r) {
		session_close(&s);
		return fail_rest(tk, r, &e);
	}
	struct {
		const char *key, *param, *value;
	} fields[] = {{"transfer_mode", "TransferMode", o.xfer_mode},
	              {"transfer_caller_id", "TransferCallerId", o.xfer_cid}};
	struct tw_param p[2];
	size_t np = 0;
	json_t *changes = json_array();
	for (size_t i = 0; i < 2; i++) {
		if (!fields[i].value || strcmp(jstr(t, fields[i].key), fields[i].value) == 0)
			continue;
		p[np].name = fields[i].param;
		p[np].value = fields[i].value;
		np++;
		json_array_append_new(changes,
		                      json_pack("{s:s,s:s,s:s}", "field", fields[i].key, "before",
		                                jstr(t, fields[i].key), "after", fields[i].value));
	}
	if (o.json) {
		json_t *j = json_pack("{s:s,s:O,s:b,s:b}", "sid", tk, "changes", changes, "dry_run",
		                      o.dry_run, "applied", !o.dry_run && np > 0);
		print_json(j);
		json_decref(j);
	} else if (np) {
		printf("--- trunk %s (now)\n+++ trunk %s (after)\n", tk, tk);
		for (size_t i = 0; i < json_array_size(changes); i++)
			printf("- %s: %s\n", jstr(json_array_get(changes, i), "field"),
			       jstr(json_array_get(changes, i), "before"));
		for (size_t i = 0; i < json_array_size(changes); i++)
			printf("+ %s: %s\n", jstr(json_array_get(changes, i), "field"),
			       jstr(json_array_get(changes, i), "after"));
	} else {
		printf("trunk %s already has these settings: nothing to change\n", tk);
	}
	json_decref(changes);
	json_decref(t);
	rc = EXIT_OK;
	if (np && !o.dry_run) {
		json_t *u = NULL;
		r = tw_request(&s.c, TW_API_V1, "POST", path, p, np, &u, &e);
		json_decref(u);
		if (r)
			rc = fail_rest(tk, r, &e);
		else if (!o.json)
			printf("updated trunk %s\n", tk);
	} else if (np && !o.json) {
		printf("dry run: nothing changed\n");
	}
	session_close(&s);
	return rc;
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
	struct opts o;
	int rc = parse(argc, argv, O_API_BASE | O_PROFILE | O_TIMEOUT, &o);
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
		cli_fail("%s: expected an account SID (AC + 32 hex) on the first line", leaf());
		return EXIT_FAIL;
	}
	scopy(cr.account_sid, sizeof(cr.account_sid), line);
	if (tty) {
		if (read_line(in, tty, false,
		              "API key SID (SK..., or Enter to use the auth token): ", key,
		              sizeof(key)) == 0 &&
		    *key && !id_sid(key, "SK")) {
			cli_fail("%s: '%s' is not an API key SID (SK + 32 hex)", leaf(), key);
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
		cli_fail("%s: expected the %s on the next line (1..%d characters)", leaf(),
		         *key ? "API key secret" : "auth token", CREDS_MAX_SECRET);
		return EXIT_FAIL;
	}
	scopy(cr.user, sizeof(cr.user), *key ? key : cr.account_sid);
	scopy(cr.secret, sizeof(cr.secret), line);
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
		return fail_rest(profile, rc, &e);
	}
	char friendly[128];
	snprintf(friendly, sizeof(friendly), "%s", jstr(acct, "friendly_name"));
	json_decref(acct);

	struct creds_store *st = xcalloc(1, sizeof(*st));
	char err[512];
	rc = creds_store_load(st, err, sizeof(err));
	if (rc && rc != ENOENT) {
		cli_fail("%s: %s", leaf(), err);
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
			    leaf(), CREDS_MAX_PROFILES);
			rc = E2BIG;
			goto out;
		}
		slot = &st->p[st->n++];
	}
	*slot = cr;
	snprintf(st->active, sizeof(st->active), "%s", profile);
	rc = creds_store_save(st, err, sizeof(err));
	if (rc) {
		cli_fail("%s: %s", leaf(), err);
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
	struct opts o;
	int rc = parse(argc, argv, O_JSON, &o);
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
			cli_fail("%s: no credentials file (%s)", leaf(), path);
		else
			cli_fail("%s: %s", leaf(), err);
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
			print_json(arr);
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
		cli_fail("%s: no profile named '%s'", leaf(), name);
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
			scopy(st->active, sizeof(st->active), st->n ? st->p[0].profile : "");
	}
	rc = creds_store_save(st, err, sizeof(err));
	if (rc)
		cli_fail("%s: %s", leaf(), err);
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

/* ---- the tables ---- */

#define COMMON_HELP                                                                                \
	"  --api-base URL     another Twilio (the emulator); env TWILIO_API_BASE\n"                \
	"  --profile NAME     use this stored profile instead of the environment\n"                \
	"  --timeout SECONDS  total time per request (default 30)\n"                               \
	"  --json             one JSON document on stdout\n"

static const struct cmd numbers_cmds[] = {
    {"list", "[--json] [--page-size N]", "every number of the account (all pages)",
     "Lists SID, number and what answers its calls (trunk > application > Voice URL),\n"
     "following every page (--page-size N per request, default 50).\n\n" COMMON_HELP,
     numbers_list, NULL},
    {"show", "NUMBER [--json]", "one number (+E164 or PN...)",
     "NUMBER is +E164 (found through a PhoneNumber filtered list) or a PN... SID.\n\n" COMMON_HELP,
     numbers_show, NULL},
    {"wire",
     "NUMBER --voice-url URL [--method GET|POST] [--fallback-url URL] [--dry-run] [--force]",
     "point the number's Voice webhook at URL (shows a diff; refuses to clobber)", wire_help,
     numbers_wire, NULL},
    {"restore", "NUMBER [--dry-run] [--force]", "put back what the last 'wire' replaced",
     "Restores the fields the last 'numbers wire' changed, as they were before it.\n"
     "Refuses without --force when the number changed since the wire.\n\n" COMMON_HELP,
     numbers_restore, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const struct cmd trunks_cmds[] = {
    {"list", "[--json] [--page-size N]", "Elastic SIP trunks and their transfer settings",
     "Lists every trunk (all pages) with TransferMode and TransferCallerId.\n\n" COMMON_HELP,
     trunks_list, NULL},
    {"set",
     "TK... [--transfer-mode disable-all|enable-all|sip-only] "
     "[--transfer-caller-id from-transferee|from-transferor] [--dry-run]",
     "change a trunk's transfer settings (shows before/after)",
     "TransferMode: whether the trunk accepts SIP REFER transfers (disable-all, enable-all\n"
     "for SIP and PSTN targets, sip-only). TransferCallerId: whose number the transfer\n"
     "target sees (from-transferee, the default, or from-transferor).\n\n"
     "  --dry-run          show the change, change nothing\n" COMMON_HELP,
     trunks_set, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

const struct cmd cmd_twilio[] = {
    {"login", "[--profile NAME] [--api-base URL]", "check and store credentials (prompt or stdin)",
     login_help, login, NULL},
    {"profiles", "[list|use NAME|rm NAME] [--json]", "list, switch or remove stored profiles",
     "Profiles live in $XDG_CONFIG_HOME/handoff/credentials (mode 0600). The active one is\n"
     "used when TWILIO_ACCOUNT_SID is not set; --profile NAME on a command picks another.\n",
     profiles, NULL},
    {"numbers", NULL, "phone numbers (list, show, wire, restore)", NULL, NULL, numbers_cmds},
    {"trunks", NULL, "Elastic SIP trunks (list, set)", NULL, NULL, trunks_cmds},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

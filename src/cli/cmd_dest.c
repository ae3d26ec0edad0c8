/* cmd_dest: the 'handoff dest' commands and promote/versions/rollback/export/import. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "store/dest_json.h"
#include "store/store.h"
#include "twiml/twiml.h"
#include "util/buf.h"
#include "util/mem.h"

#define PREVIEW_MAX_PARAMS 64
#define EDIT_RETRIES       3 /* dest set: tries again when the sandbox changed under it */

/* Options every command of this file may take; each leaf lists the ones it accepts. */
enum {
	OPT_DB = 1000,
	OPT_ENV,
	OPT_JSON,
	OPT_ROUTE,
	OPT_DESC,
	OPT_HEADER,
	OPT_CALLER,
	OPT_TIMEOUT,
	OPT_CLEAR,
	OPT_MESSAGE,
	OPT_OUTPUT,
};

static const struct option all_opts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"env", required_argument, NULL, OPT_ENV},
    {"json", no_argument, NULL, OPT_JSON},
    {"route", required_argument, NULL, OPT_ROUTE},
    {"description", required_argument, NULL, OPT_DESC},
    {"header", required_argument, NULL, OPT_HEADER},
    {"caller-id", required_argument, NULL, OPT_CALLER},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"clear-headers", no_argument, NULL, OPT_CLEAR},
    {"message", required_argument, NULL, OPT_MESSAGE},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {NULL, 0, NULL, 0},
};

struct opts {
	const char *db;
	enum dest_env env;
	bool json;
	const char *route, *description, *caller_id, *timeout, *message, *output;
	const char *headers[DEST_MAX_HEADERS + 1];
	size_t nheaders;
	bool clear_headers;
	char **args; /* positional arguments */
	int nargs;
};

/* Parses argv against the options this leaf allows (a 0-terminated list of
 * OPT_ codes; shorts: "m:" and/or "o:"). Returns 0 or EXIT_USAGE. */
static int parse(int argc, char **argv, const int *allowed, const char *shorts, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->env = DEST_SANDBOX;
	int c;
	char optstring[16];
	snprintf(optstring, sizeof(optstring), ":%s", shorts); /* ':' reports a missing value */
	while ((c = getopt_long(argc, argv, optstring, all_opts, NULL)) != -1) {
		if (c == ':')
			return cli_usage("option '%s' needs a value", argv[optind - 1]);
		bool ok = false;
		int code = c == 'm' ? OPT_MESSAGE : c == 'o' ? OPT_OUTPUT : c;
		for (const int *a = allowed; *a; a++)
			if (*a == code)
				ok = true;
		if (!ok)
			return cli_usage("unknown option '%s'", argv[optind - 1]);
		switch (code) {
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_ENV:
			if (strcmp(optarg, "sandbox") == 0)
				o->env = DEST_SANDBOX;
			else if (strcmp(optarg, "live") == 0)
				o->env = DEST_LIVE;
			else
				return cli_usage("--env must be sandbox or live, not '%s'", optarg);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_ROUTE:
			o->route = optarg;
			break;
		case OPT_DESC:
			o->description = optarg;
			break;
		case OPT_CALLER:
			o->caller_id = optarg;
			break;
		case OPT_TIMEOUT:
			o->timeout = optarg;
			break;
		case OPT_CLEAR:
			o->clear_headers = true;
			break;
		case OPT_MESSAGE:
			o->message = optarg;
			break;
		case OPT_OUTPUT:
			o->output = optarg;
			break;
		case OPT_HEADER:
			if (o->nheaders >= DEST_MAX_HEADERS)
				return cli_usage("at most %d --header options", DEST_MAX_HEADERS);
			o->headers[o->nheaders++] = optarg;
			break;
		default:
			return cli_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

static const char *env_name(enum dest_env e)
{
	return e == DEST_LIVE ? "live" : "sandbox";
}

static int open_db(const struct opts *o, bool create, struct store **s, const char *what)
{
	char err[512];
	int rc = store_open(s, cli_db_path(o->db), create ? STORE_CREATE : 0, err, sizeof(err));
	if (rc) {
		cli_fail("%s: %s", what, err);
		if (rc == ENOENT)
			cli_hint("pass --db PATH or set HANDOFF_DB to use another database");
		return EXIT_FAIL;
	}
	return 0;
}

static void print_json_text(char *text)
{
	fputs(text, stdout);
	if (!*text || text[strlen(text) - 1] != '\n')
		fputc('\n', stdout);
	free(text);
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!s)
		abort();
	print_json_text(xstrdup(s));
	free(s);
}

/* --- add / set / rm --- */

static int parse_timeout(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 1000000)
		return EINVAL;
	*out = (int)v;
	return 0;
}

/* Splits 'X-Name: VALUE' into a header (trimmed name, value after ": "). */
static int parse_header(const char *arg, struct dest_header *h)
{
	const char *colon = strchr(arg, ':');
	if (!colon)
		return EINVAL;
	struct str name = str_trim((struct str){arg, (size_t)(colon - arg)});
	const char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	h->name = xstrndup(name.p, name.len);
	h->value = xstrdup(v);
	return 0;
}

static void set_field(char **field, const char *value)
{
	free(*field);
	*field = value && *value ? xstrdup(value) : NULL;
}

/* Applies the options to d (a destination being added or changed). */
static int apply(struct dest *d, const struct opts *o, const char *what)
{
	if (o->route)
		set_field(&d->route, o->route);
	if (o->description)
		set_field(&d->description, o->description);
	if (o->caller_id)
		set_field(&d->caller_id, o->caller_id);
	if (o->timeout && parse_timeout(o->timeout, &d->timeout))
		return cli_fail("%s: timeout \"%s\" is not a number of seconds: give 5-600, e.g. "
		                "--timeout 30",
		                what, o->timeout);
	if (o->clear_headers) {
		for (size_t i = 0; i < d->nheaders; i++) {
			free(d->headers[i].name);
			free(d->headers[i].value);
		}
		d->nheaders = 0;
	}
	for (size_t i = 0; i < o->nheaders; i++) {
		struct dest_header h;
		if (parse_header(o->headers[i], &h))
			return cli_fail(
			    "%s: --header \"%s\" has no ':': write it as 'X-Name: VALUE'", what,
			    o->headers[i]);
		size_t k;
		for (k = 0; k < d->nheaders; k++) /* a header of the same name is replaced */
			if (strcasecmp(d->headers[k].name, h.name) == 0)
				break;
		if (k == d->nheaders) {
			if (d->nheaders >= DEST_MAX_HEADERS) {
				free(h.name);
				free(h.value);
				return cli_fail("%s: more than %d headers", what, DEST_MAX_HEADERS);
			}
			d->headers =
			    xreallocarray(d->headers, d->nheaders + 1, sizeof(*d->headers));
			d->nheaders++;
		} else {
			free(d->headers[k].name);
			free(d->headers[k].value);
		}
		d->headers[k] = h;
	}
	return 0;
}

static const int edit_opts[] = {OPT_DB,     OPT_ROUTE,   OPT_DESC,  OPT_HEADER,
                                OPT_CALLER, OPT_TIMEOUT, OPT_CLEAR, 0};

static int edit(int argc, char **argv, bool add)
{
	struct opts o;
	int rc = parse(argc, argv, edit_opts, "", &o);
	if (rc)
		return rc;
	if (o.nargs != 1)
		return cli_usage(o.nargs ? "give one NAME" : "missing NAME");
	const char *name = o.args[0];
	char what[128];
	snprintf(what, sizeof(what), "%s %.64s", cli_name(), name);
	if (add && !o.route)
		return cli_usage("missing --route ROUTE (+E164, tel:+E164, or a sip: URI)");
	if (add && o.clear_headers)
		return cli_usage("--clear-headers is for 'dest set'");
	if (!add && !o.route && !o.description && !o.caller_id && !o.timeout && !o.nheaders &&
	    !o.clear_headers)
		return cli_usage("nothing to change: give --route, --description, --header, "
		                 "--caller-id, --timeout or --clear-headers");
	struct store *s;
	if ((rc = open_db(&o, true, &s, what)))
		return rc;
	char err[600];
	/* dest set reads, changes and writes back: the write is conditional on
	 * the sandbox being as read, and retried a few times when it was not */
	for (int attempt = 0;; attempt++) {
		struct dest d = {0};
		int64_t changed = -1;
		if (add) {
			d.name = xstrdup(name);
		} else {
			struct dest_set *set;
			if ((rc = store_load(s, DEST_SANDBOX, &set, err, sizeof(err)))) {
				store_close(s);
				return cli_fail("%s: %s", what, err);
			}
			const struct dest *cur = dest_set_find(set, str_c(name));
			if (!cur) {
				dest_set_release(set);
				store_close(s);
				cli_fail("%s: no destination %s in the sandbox", what, name);
				cli_hint("see 'handoff dest list', or create it with 'handoff dest "
				         "add'");
				return EXIT_FAIL;
			}
			struct dest *c = dest_dup(cur);
			d = *c;
			free(c);
			changed = set->changed;
			dest_set_release(set);
		}
		rc = apply(&d, &o, what);
		int e = 0;
		if (!rc) {
			e = add ? store_add(s, &d, err, sizeof(err))
			        : store_update_if(s, &d, changed, err, sizeof(err));
			if (e == EAGAIN && attempt < EDIT_RETRIES) {
				dest_clear(&d);
				continue;
			}
			if (e)
				rc = cli_fail("%s: %s", what, err);
			else
				printf(
				    "%s %s in the sandbox; run 'handoff promote' to make it live\n",
				    add ? "added" : "changed", d.name);
		}
		dest_clear(&d);
		break;
	}
	store_close(s);
	return rc;
}

static int dest_add(int argc, char **argv)
{
	return edit(argc, argv, true);
}

static int dest_set(int argc, char **argv)
{
	return edit(argc, argv, false);
}

static int dest_rm(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, 0};
	struct opts o;
	int rc = parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs != 1)
		return cli_usage(o.nargs ? "give one NAME" : "missing NAME");
	char what[128], err[600];
	snprintf(what, sizeof(what), "%s %.64s", cli_name(), o.args[0]);
	struct store *s;
	if ((rc = open_db(&o, false, &s, what)))
		return rc;
	if (store_remove(s, o.args[0], err, sizeof(err)))
		rc = cli_fail("%s: %s", what, err);
	else
		printf("removed %s from the sandbox; run 'handoff promote' to make it live\n",
		       o.args[0]);
	store_close(s);
	return rc;
}

/* --- list / show --- */

static int load_env(const struct opts *o, const char *what, struct dest_set **set)
{
	struct store *s;
	int rc = open_db(o, false, &s, what);
	if (rc)
		return rc;
	char err[600];
	if (store_load(s, o->env, set, err, sizeof(err)))
		rc = cli_fail("%s: %s", what, err);
	store_close(s);
	return rc;
}

static int dest_list(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_ENV, OPT_JSON, 0};
	struct opts o;
	int rc = parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs)
		return cli_usage("unexpected argument '%s'", o.args[0]);
	struct dest_set *set;
	if ((rc = load_env(&o, cli_name(), &set)))
		return rc;
	if (o.json) {
		print_json_text(dest_json_set(set, env_name(o.env)));
	} else {
		if (o.env == DEST_LIVE)
			printf("live: version %d, %zu destination%s\n", set->version, set->n,
			       set->n == 1 ? "" : "s");
		else
			printf("sandbox: %zu destination%s\n", set->n, set->n == 1 ? "" : "s");
		int wn = 4, wr = 5; /* column widths: the longest name and route */
		for (size_t i = 0; i < set->n; i++) {
			if ((int)strlen(set->dests[i].name) > wn)
				wn = (int)strlen(set->dests[i].name);
			if ((int)strlen(set->dests[i].route) > wr)
				wr = (int)strlen(set->dests[i].route);
		}
		if (set->n)
			printf("%-*s  %-*s  %7s  %s\n", wn, "NAME", wr, "ROUTE", "HEADERS",
			       "DESCRIPTION");
		for (size_t i = 0; i < set->n; i++) {
			const struct dest *d = &set->dests[i];
			printf("%-*s  %-*s  %7zu  %s\n", wn, d->name, wr, d->route, d->nheaders,
			       d->description ? d->description : "");
		}
	}
	dest_set_release(set);
	return EXIT_OK;
}

static int find_one(const struct opts *o, const char *what, struct dest_set **set,
                    const struct dest **d)
{
	int rc = load_env(o, what, set);
	if (rc)
		return rc;
	*d = dest_set_find(*set, str_c(o->args[0]));
	if (!*d) {
		cli_fail("%s: no destination %s in %s", what, o->args[0],
		         o->env == DEST_LIVE ? "the live version" : "the sandbox");
		cli_hint("see 'handoff dest list%s'", o->env == DEST_LIVE ? " --env live" : "");
		dest_set_release(*set);
		return EXIT_FAIL;
	}
	return 0;
}

static int dest_show(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_ENV, OPT_JSON, 0};
	struct opts o;
	int rc = parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs != 1)
		return cli_usage(o.nargs ? "give one NAME" : "missing NAME");
	char what[128];
	snprintf(what, sizeof(what), "%s %.64s", cli_name(), o.args[0]);
	struct dest_set *set;
	const struct dest *d;
	if ((rc = find_one(&o, what, &set, &d)))
		return rc;
	if (o.json) {
		print_json_text(dest_json_dest(d));
	} else {
		printf("name:        %s\n", d->name);
		printf("route:       %s\n", d->route);
		printf("description: %s\n", d->description ? d->description : "");
		printf("caller id:   %s\n", d->caller_id ? d->caller_id : "(the caller's own)");
		if (d->timeout)
			printf("timeout:     %d s\n", d->timeout);
		else
			printf("timeout:     (Twilio's default, %d s)\n", DEST_DEFAULT_TIMEOUT);
		for (size_t i = 0; i < d->nheaders; i++)
			printf("header:      %s: %s\n", d->headers[i].name, d->headers[i].value);
	}
	dest_set_release(set);
	return EXIT_OK;
}

/* --- preview --- */

static int unhex(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

static char *pct_decode(const char *p, size_t n)
{
	char *o = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (p[i] == '%' && i + 2 < n && (h = unhex((unsigned char)p[i + 1])) >= 0 &&
		    (l = unhex((unsigned char)p[i + 2])) >= 0) {
			o[k++] = (char)(h * 16 + l);
			i += 2;
		} else {
			o[k++] = p[i];
		}
	}
	o[k] = '\0';
	return o;
}

/* A simple reading of the URI headers of a Refer-To value
 * ("<sip:x@y?A=1&B=2>"): the names and their percent-decoded values. The
 * caller frees each name and value. Returns how many were found. */
static size_t refer_headers(const char *target, struct dest_kv *kv, size_t max)
{
	const char *q = strchr(target, '?');
	if (!q)
		return 0;
	const char *end = strchr(q, '>');
	if (!end)
		end = q + strlen(q);
	size_t n = 0;
	const char *p = q + 1;
	while (p < end && n < max) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		if (eq && eq > p) {
			kv[n].name = pct_decode(p, (size_t)(eq - p));
			kv[n].value = pct_decode(eq + 1, (size_t)(stop - eq - 1));
			n++;
		}
		p = stop + 1;
	}
	return n;
}

static int dest_preview(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_ENV, 0};
	struct opts o;
	int rc = parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs < 1)
		return cli_usage("missing NAME");
	if (o.nargs - 1 > PREVIEW_MAX_PARAMS)
		return cli_usage("at most %d NAME=VALUE parameters", PREVIEW_MAX_PARAMS);
	/* a sample webhook; NAME=VALUE arguments override its parameters */
	const char *from = "+14155550100", *to = "+14155550199";
	const char *call_sid = "CA00000000000000000000000000000000";
	const char *account_sid = "AC00000000000000000000000000000000";
	char *target = xasprintf("<sip:%.64s@agent.example.com>", o.args[0]);
	for (int i = 1; i < o.nargs; i++) {
		const char *a = o.args[i], *eq = strchr(a, '=');
		if (!eq || eq == a) {
			free(target);
			return cli_usage("'%s' is not NAME=VALUE (e.g. From=+14155550100)", a);
		}
		size_t n = (size_t)(eq - a);
		if (n == 4 && strncmp(a, "From", 4) == 0)
			from = eq + 1;
		else if (n == 2 && strncmp(a, "To", 2) == 0)
			to = eq + 1;
		else if (n == 7 && strncmp(a, "CallSid", 7) == 0)
			call_sid = eq + 1;
		else if (n == 10 && strncmp(a, "AccountSid", 10) == 0)
			account_sid = eq + 1;
		else if (n == 19 && strncmp(a, "ReferTransferTarget", 19) == 0)
			set_field(&target, eq + 1);
		/* other webhook parameters do not change the answer */
	}
	char what[128];
	snprintf(what, sizeof(what), "%s %.64s", cli_name(), o.args[0]);
	struct dest_set *set;
	const struct dest *d;
	if ((rc = find_one(&o, what, &set, &d))) {
		free(target);
		return rc;
	}
	struct dest_kv kv[DEST_REFER_MAX];
	size_t nkv = refer_headers(target ? target : "", kv, DEST_REFER_MAX);
	struct dest_vars v = {from, to, call_sid, account_sid, kv, nkv};
	struct buf out;
	buf_init(&out, TWIML_MAX_BYTES);
	int e = dest_render(d, &v, &out);
	if (e == E2BIG)
		rc = cli_fail(
		    "%s: a value is longer than its variable allows, so Twilio's URI limits "
		    "would break: the server answers an error for this call",
		    what);
	else if (e)
		rc = cli_fail("%s: cannot render: %s", what, strerror(e));
	else
		fputs(buf_str(&out), stdout);
	buf_free(&out);
	for (size_t i = 0; i < nkv; i++) {
		free((char *)kv[i].name);
		free((char *)kv[i].value);
	}
	free(target);
	dest_set_release(set);
	return rc;
}

const struct cmd cmd_dest[] = {
    {"add",
     "NAME --route ROUTE [--description TEXT] [--header 'X-Name: VALUE']... [--caller-id ID] "
     "[--timeout SECONDS] [--db PATH]",
     "add a destination to the sandbox",
     "ROUTE: +E164 (e.g. +14155550100), tel:+E164, or sip:/sips: URI (user part, port,\n"
     ";transport=udp|tcp|tls and ;region=... allowed). Headers only on SIP routes: custom\n"
     "names start with X- (not X-Twilio); User-to-User, Remote-Party-ID,\n"
     "P-Preferred-Identity and P-Called-Party-ID are also allowed. Values may use\n"
     "$caller_id $from $to $call_sid $account_sid $refer.<Header-Name>; $$ is a $.\n",
     dest_add, NULL},
    {"set",
     "NAME [--route ROUTE] [--description TEXT] [--header 'X-Name: VALUE']... "
     "[--caller-id ID] [--timeout SECONDS] [--clear-headers] [--db PATH]",
     "change a destination in the sandbox",
     "--header replaces a header of the same name or adds one; --clear-headers drops\n"
     "them all first. An empty --description or --caller-id clears it; --timeout 0\n"
     "means Twilio's default.\n",
     dest_set, NULL},
    {"rm", "NAME [--db PATH]", "remove a destination from the sandbox", NULL, dest_rm, NULL},
    {"list", "[--env sandbox|live] [--json] [--db PATH]", "list destinations", NULL, dest_list,
     NULL},
    {"show", "NAME [--env sandbox|live] [--json] [--db PATH]", "show one destination", NULL,
     dest_show, NULL},
    {"preview", "NAME [--env sandbox|live] [--db PATH] [PARAM=VALUE ...]",
     "print the TwiML the server answers for a sample webhook",
     "PARAM: From, To, CallSid, AccountSid, ReferTransferTarget (its URI headers after\n"
     "'?' feed $refer.<Header-Name>). The default target is <sip:NAME@agent.example.com>.\n",
     dest_preview, NULL},
    {"test",
     "NAME [--server URL] [--token-env NAME] [--env sandbox|live] "
     "[--target answer|busy|no-answer|fail] [--from NUMBER] [--refer-header 'X-Name: VALUE']... "
     "[--json] [--db PATH]",
     "call the sandbox number, REFER to NAME and show what happens", cmd_dest_test_help,
     cmd_dest_test, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

/* --- promote / versions / rollback --- */

static const char *author(void)
{
	const char *u = getenv("USER");
	if (u && *u)
		return u;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_name ? pw->pw_name : "unknown";
}

int cmd_promote(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_MESSAGE, OPT_JSON, 0};
	struct opts o;
	int rc = parse(argc, argv, allowed, "m:", &o);
	if (rc)
		return rc;
	if (o.nargs)
		return cli_usage("unexpected argument '%s'", o.args[0]);
	if (o.message && strlen(o.message) > STORE_MESSAGE_MAX)
		return cli_usage("--message is over %d characters", STORE_MESSAGE_MAX);
	struct store *s;
	if ((rc = open_db(&o, false, &s, "promote")))
		return rc;
	char err[600];
	int v;
	if (store_promote(s, o.message ? o.message : "", author(), &v, err, sizeof(err))) {
		rc = cli_fail("promote: %s", err);
	} else if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "version", json_integer(v));
		json_object_set_new(j, "live", json_integer(v));
		print_json(j);
	} else {
		printf("promoted the sandbox as version %d; it is live\n", v);
	}
	store_close(s);
	return rc;
}

int cmd_versions(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_JSON, 0};
	struct opts o;
	int rc = parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs)
		return cli_usage("unexpected argument '%s'", o.args[0]);
	struct store *s;
	if ((rc = open_db(&o, false, &s, "versions")))
		return rc;
	char err[600];
	struct store_version *v;
	size_t n;
	if (store_versions(s, &v, &n, err, sizeof(err))) {
		store_close(s);
		return cli_fail("versions: %s", err);
	}
	store_close(s);
	json_t *arr = o.json ? json_array() : NULL;
	if (!o.json && n == 0)
		printf("no versions yet: run 'handoff promote'\n");
	else if (!o.json)
		printf("  %-7s %-20s %-16s %5s  %s\n", "VERSION", "CREATED (UTC)", "AUTHOR",
		       "DESTS", "MESSAGE");
	for (size_t i = 0; i < n; i++) {
		char when[32];
		time_t t = (time_t)v[i].created;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (o.json) {
			json_t *e = json_object();
			json_object_set_new(e, "version", json_integer(v[i].number));
			json_object_set_new(e, "created", json_string(when));
			json_object_set_new(e, "author", json_string(v[i].author));
			json_object_set_new(e, "message", json_string(v[i].message));
			json_object_set_new(e, "destinations",
			                    json_integer((json_int_t)v[i].ndests));
			json_object_set_new(e, "live", json_boolean(v[i].live));
			json_array_append_new(arr, e);
		} else {
			printf("%c %-7d %-20s %-16s %5zu  %s\n", v[i].live ? '*' : ' ', v[i].number,
			       when, v[i].author, v[i].ndests, v[i].message);
		}
	}
	if (o.json)
		print_json(arr);
	store_versions_free(v, n);
	return EXIT_OK;
}

int cmd_rollback(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_JSON, 0};
	struct opts o;
	int rc = parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs > 1)
		return cli_usage("give at most one VERSION");
	int want = 0;
	if (o.nargs == 1) {
		char *end;
		long l = strtol(o.args[0], &end, 10);
		if (!*o.args[0] || *end || l < 1 || l > STORE_MAX_VERSIONS)
			return cli_usage("VERSION must be a version number, not '%s'", o.args[0]);
		want = (int)l;
	}
	struct store *s;
	if ((rc = open_db(&o, false, &s, "rollback")))
		return rc;
	char err[600];
	int now;
	if (store_rollback(s, want, &now, err, sizeof(err))) {
		rc = cli_fail("rollback: %s", err);
	} else if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "live", json_integer(now));
		print_json(j);
	} else {
		printf("version %d is live\n", now);
	}
	store_close(s);
	return rc;
}

/* --- export / import --- */

/* Writes text to path through a temporary file and a rename: whole or not at all. */
static int write_file(const char *path, const char *text, char *err, size_t errlen)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = 0;
	if (!f) {
		rc = errno;
	} else {
		size_t n = strlen(text);
		if (fwrite(text, 1, n, f) != n)
			rc = errno ? errno : EIO;
		if (fflush(f) != 0 && !rc)
			rc = errno;
		if (fclose(f) != 0 && !rc)
			rc = errno;
		if (!rc && rename(tmp, path) != 0)
			rc = errno;
	}
	if (rc) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(rc));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_ENV, OPT_OUTPUT, OPT_JSON, 0};
	struct opts o;
	int rc = parse(argc, argv, allowed, "o:", &o);
	if (rc)
		return rc;
	if (o.nargs)
		return cli_usage("unexpected argument '%s'", o.args[0]);
	struct dest_set *set;
	if ((rc = load_env(&o, "export", &set)))
		return rc;
	char *text = dest_json_set(set, env_name(o.env));
	dest_set_release(set);
	char err[600];
	if (o.output && strcmp(o.output, "-") != 0) {
		if (write_file(o.output, text, err, sizeof(err)))
			rc = cli_fail("export: %s", err);
	} else {
		fputs(text, stdout);
	}
	free(text);
	return rc;
}

static char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	struct buf b;
	buf_init(&b, DEST_JSON_MAX_BYTES);
	char chunk[8192];
	size_t n;
	int rc = 0;
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(&b, chunk, n);
	bool ioerr = ferror(f);
	if (f != stdin)
		fclose(f);
	if (rc || ioerr) {
		if (rc)
			snprintf(err, errlen, "%s is over the limit of %d bytes", path,
			         DEST_JSON_MAX_BYTES);
		else
			snprintf(err, errlen, "cannot read %s", path);
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	char *s = buf_steal(&b);
	return s ? s : xstrdup("");
}

int cmd_import(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, 0};
	struct opts o;
	int rc = parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs != 1)
		return cli_usage(o.nargs ? "give one FILE" : "missing FILE (- for stdin)");
	const char *path = o.args[0];
	char err[600];
	size_t len;
	char *text = read_all(path, &len, err, sizeof(err));
	if (!text)
		return cli_fail("import: %s", err);
	struct dest *d;
	size_t n;
	rc = dest_json_parse(text, len, &d, &n, err, sizeof(err));
	free(text);
	if (rc)
		return cli_fail("import %s: %s", path, err);
	struct store *s;
	if ((rc = open_db(&o, true, &s, "import"))) {
		dest_json_free(d, n);
		return rc;
	}
	int e = store_replace_sandbox(s, d, n, err, sizeof(err));
	if (e == EINVAL || e == E2BIG)
		rc = cli_fail("import %s: %s (nothing was imported)", path, err);
	else if (e)
		rc = cli_fail("import %s: %s", path, err);
	else
		printf("imported %zu destination%s into the sandbox; run 'handoff promote' to make "
		       "them live\n",
		       n, n == 1 ? "" : "s");
	store_close(s);
	dest_json_free(d, n);
	return rc;
}

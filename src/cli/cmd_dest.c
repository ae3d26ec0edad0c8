/* cmd_dest: the 'handoff dest' commands (add, set, rm, list, show, preview) and the options
 * the destination commands share; promote, versions, rollback, export and import are
 * cmd_versions.c. */
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
#include "cli/dest_cli.h"
#include "store/dest_json.h"
#include "store/store.h"
#include "twiml/twiml.h"
#include "util/buf.h"
#include "util/mem.h"

#define PREVIEW_MAX_PARAMS 64
#define EDIT_RETRIES       3 /* dest set: tries again when the sandbox changed under it */

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

/* Parses argv against the options this leaf allows (a 0-terminated list of
 * OPT_ codes; shorts: "m:" and/or "o:"). Returns 0 or EXIT_USAGE. */
int dest_cli_parse(int argc, char **argv, const int *allowed, const char *shorts,
                   struct dest_cli_opts *o)
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

const char *dest_cli_env_name(enum dest_env e)
{
	return e == DEST_LIVE ? "live" : "sandbox";
}

const char *dest_cli_author(void)
{
	const char *u = getenv("USER");
	if (u && *u)
		return u;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_name ? pw->pw_name : "unknown";
}

int dest_cli_open_db(const struct dest_cli_opts *o, bool create, struct store **s, const char *what)
{
	char err[512];
	int rc = store_open(s, cli_db_path(o->db), create ? STORE_CREATE : 0, err, sizeof(err));
	if (rc) {
		cli_fail("%s: %s", what, err);
		if (rc == ENOENT)
			cli_hint("pass --db PATH or set HANDOFF_DB to use another database");
		return EXIT_FAIL;
	}
	store_set_author(*s, dest_cli_author()); /* the audit log's "who" */
	return 0;
}

void dest_cli_print_json_text(char *text)
{
	fputs(text, stdout);
	if (!*text || text[strlen(text) - 1] != '\n')
		fputc('\n', stdout);
	free(text);
}

void dest_cli_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!s)
		abort();
	dest_cli_print_json_text(xstrdup(s));
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
static int apply(struct dest *d, const struct dest_cli_opts *o, const char *what)
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
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, edit_opts, "", &o);
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
	if ((rc = dest_cli_open_db(&o, true, &s, what)))
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
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs != 1)
		return cli_usage(o.nargs ? "give one NAME" : "missing NAME");
	char what[128], err[600];
	snprintf(what, sizeof(what), "%s %.64s", cli_name(), o.args[0]);
	struct store *s;
	if ((rc = dest_cli_open_db(&o, false, &s, what)))
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

int dest_cli_load_env(const struct dest_cli_opts *o, const char *what, struct dest_set **set)
{
	struct store *s;
	int rc = dest_cli_open_db(o, false, &s, what);
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
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs)
		return cli_usage("unexpected argument '%s'", o.args[0]);
	struct dest_set *set;
	if ((rc = dest_cli_load_env(&o, cli_name(), &set)))
		return rc;
	if (o.json) {
		dest_cli_print_json_text(dest_json_set(set, dest_cli_env_name(o.env)));
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

static int find_one(const struct dest_cli_opts *o, const char *what, struct dest_set **set,
                    const struct dest **d)
{
	int rc = dest_cli_load_env(o, what, set);
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
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "", &o);
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
		dest_cli_print_json_text(dest_json_dest(d));
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
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "", &o);
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

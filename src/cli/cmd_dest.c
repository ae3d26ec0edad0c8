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
#include "webhooks/hours.h"
#include "webhooks/target.h"

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
    {"failover", required_argument, NULL, OPT_FAILOVER},
    {"clear-failover", no_argument, NULL, OPT_CLEAR_FAILOVER},
    {"tz", required_argument, NULL, OPT_TZ},
    {"open", required_argument, NULL, OPT_OPEN},
    {"closed", required_argument, NULL, OPT_CLOSED},
    {"otherwise", required_argument, NULL, OPT_OTHERWISE},
    {"clear-hours", no_argument, NULL, OPT_CLEAR_HOURS},
    {"at", required_argument, NULL, OPT_AT},
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
		case OPT_FAILOVER:
			if (o->nfailover >= DEST_MAX_FAILOVER)
				return cli_usage("at most %d --failover routes", DEST_MAX_FAILOVER);
			o->failover[o->nfailover++] = optarg;
			break;
		case OPT_CLEAR_FAILOVER:
			o->clear_failover = true;
			break;
		case OPT_TZ:
			o->tz = optarg;
			break;
		case OPT_OTHERWISE:
			o->otherwise = optarg;
			break;
		case OPT_AT:
			o->at = optarg;
			break;
		case OPT_CLEAR_HOURS:
			o->clear_hours = true;
			break;
		case OPT_OPEN:
			if (o->nopen >= HOURS_OPEN_MAX)
				return cli_usage("at most %d --open options", HOURS_OPEN_MAX);
			o->open[o->nopen++] = optarg;
			break;
		case OPT_CLOSED:
			if (o->nclosed >= HOURS_CLOSED_MAX)
				return cli_usage("at most %d --closed options", HOURS_CLOSED_MAX);
			o->closed[o->nclosed++] = optarg;
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

int dest_cli_fail(const char *what, const char *err)
{
	const char *nl = strchr(err, '\n');
	if (!nl)
		return cli_fail("%s: %s", what, err);
	cli_fail("%s: %.*s", what, (int)(nl - err), err);
	cli_hint("%s", nl + 1);
	return EXIT_FAIL;
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

void dest_cli_close_db(struct store *s, int rc)
{
	if (rc && store_created(s))
		store_discard(s); /* a command that fails leaves no new file behind */
	else
		store_close(s);
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

/* --clear-failover drops the failover routes; each --failover appends one (a route already
 * there stays where it is). dest_validate then checks them all. */
static int apply_failover(struct dest *d, const struct dest_cli_opts *o, const char *what)
{
	if (o->clear_failover) {
		for (size_t i = 0; i < d->nfailover; i++)
			free(d->failover[i]);
		d->nfailover = 0;
	}
	for (size_t i = 0; i < o->nfailover; i++) {
		size_t k = 0;
		while (k < d->nfailover && strcmp(d->failover[k], o->failover[i]) != 0)
			k++;
		if (k < d->nfailover)
			continue;
		if (d->nfailover >= DEST_MAX_FAILOVER)
			return cli_fail("%s: more than %d failover routes", what,
			                DEST_MAX_FAILOVER);
		d->failover = xreallocarray(d->failover, d->nfailover + 1, sizeof(*d->failover));
		d->failover[d->nfailover++] = xstrdup(o->failover[i]);
	}
	return 0;
}

/* Applies the hours options: --clear-hours first; --open and --closed replace the
 * ranges or the dates when given (--closed none: no dates). */
static int apply_hours(struct dest_hours *h, const struct dest_cli_opts *o, const char *what)
{
	char why[256];
	if (o->clear_hours) {
		set_field(&h->tz, NULL);
		set_field(&h->otherwise, NULL);
		h->nopen = h->nclosed = 0;
	}
	if (o->tz)
		set_field(&h->tz, o->tz);
	if (o->otherwise)
		set_field(&h->otherwise, o->otherwise);
	if (o->nopen)
		h->nopen = 0;
	for (size_t i = 0; i < o->nopen; i++)
		if (hours_parse_range(o->open[i], &h->open[h->nopen++], why, sizeof(why)))
			return cli_fail("%s: %s", what, why);
	if (o->nclosed)
		h->nclosed = 0;
	for (size_t i = 0; i < o->nclosed; i++) {
		if (strcmp(o->closed[i], "none") == 0)
			continue;
		if (hours_parse_date(o->closed[i], &h->closed[h->nclosed++], why, sizeof(why)))
			return cli_fail("%s: %s", what, why);
	}
	return 0;
}

/* Applies the options to d (a destination being added or changed). */
static int apply(struct dest *d, const struct dest_cli_opts *o, const char *what)
{
	int rc;
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
	if ((rc = apply_hours(&d->hours, o, what)))
		return rc;
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
	return apply_failover(d, o, what);
}

static const int edit_opts[] = {
    OPT_DB,      OPT_ROUTE,  OPT_DESC,      OPT_HEADER,         OPT_CALLER,
    OPT_TIMEOUT, OPT_CLEAR,  OPT_FAILOVER,  OPT_CLEAR_FAILOVER, OPT_TZ,
    OPT_OPEN,    OPT_CLOSED, OPT_OTHERWISE, OPT_CLEAR_HOURS,    0};

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
	if (add && (o.clear_headers || o.clear_hours || o.clear_failover))
		return cli_usage(
		    "--clear-headers, --clear-failover and --clear-hours are for 'dest set'");
	if (!add && !o.route && !o.description && !o.caller_id && !o.timeout && !o.nheaders &&
	    !o.clear_headers && !o.nfailover && !o.clear_failover && !o.tz && !o.nopen &&
	    !o.nclosed && !o.otherwise && !o.clear_hours)
		return cli_usage(
		    "nothing to change: give --route, --description, --header, "
		    "--caller-id, --timeout, --failover, --clear-headers, "
		    "--clear-failover, --tz, --open, --closed, --otherwise or --clear-hours");
	struct store *s;
	/* only dest add may make a new database; dest set on none says so */
	if ((rc = dest_cli_open_db(&o, add, &s, what)))
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
				rc = dest_cli_fail(what, err);
			else
				printf(
				    "%s %s in the sandbox; run 'handoff promote' to make it live\n",
				    add ? "added" : "changed", d.name);
		}
		dest_clear(&d);
		break;
	}
	dest_cli_close_db(s, rc);
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
		rc = dest_cli_fail(what, err);
	else
		printf("removed %s from the sandbox; run 'handoff promote' to make it live\n",
		       o.args[0]);
	store_close(s);
	return rc;
}

/* --- list / show --- */

/* The moment --at names (now without it); the zone of d reads a local time. 0 or EXIT_FAIL. */
static int at_time(const struct dest_cli_opts *o, const struct dest_set *set, const struct dest *d,
                   const char *what, int64_t *t, bool *twice)
{
	char why[300];
	*twice = false;
	if (!o->at) {
		*t = (int64_t)time(NULL);
		return 0;
	}
	if (hours_parse_instant(o->at, d ? dest_set_zone(set, d) : NULL, (int64_t)time(NULL), t,
	                        twice, why, sizeof(why)))
		return cli_fail("%s: --at %s", what, why);
	return 0;
}

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
		int wn = 4, wr = 5, wh = 0; /* column widths: the longest name, route, note */
		int64_t now = (int64_t)time(NULL);
		char note[DEST_NOTE_MAX];
		for (size_t i = 0; i < set->n; i++) {
			if ((int)strlen(set->dests[i].name) > wn)
				wn = (int)strlen(set->dests[i].name);
			if ((int)strlen(set->dests[i].route) > wr)
				wr = (int)strlen(set->dests[i].route);
			dest_set_answer_note(set, &set->dests[i], now, note, sizeof(note));
			if (*note && (int)strlen(note) > wh)
				wh = (int)strlen(note) > 3 ? (int)strlen(note) : 3;
		}
		/* NOW: which destination answers at this moment (only when some have hours) */
		if (set->n)
			printf("%-*s  %-*s  %7s  %-*s%s%s\n", wn, "NAME", wr, "ROUTE", "HEADERS",
			       wh, wh ? "NOW" : "", wh ? "  " : "", "DESCRIPTION");
		for (size_t i = 0; i < set->n; i++) {
			const struct dest *d = &set->dests[i];
			dest_set_answer_note(set, d, now, note, sizeof(note));
			printf("%-*s  %-*s  %7zu  %-*s%s%s\n", wn, d->name, wr, d->route,
			       d->nheaders, wh, note, wh ? "  " : "",
			       d->description ? d->description : "");
			for (size_t k = 0; k < d->nfailover; k++) /* under the route, in order */
				printf("%-*s  failover %s\n", wn, "", d->failover[k]);
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
		for (size_t i = 0; i < d->nfailover; i++)
			printf("failover %zu:  %s\n", i + 1, d->failover[i]);
		printf("description: %s\n", d->description ? d->description : "");
		printf("caller id:   %s\n", d->caller_id ? d->caller_id : "(the caller's own)");
		if (d->timeout)
			printf("timeout:     %d s\n", d->timeout);
		else
			printf("timeout:     (Twilio's default, %d s)\n", DEST_DEFAULT_TIMEOUT);
		for (size_t i = 0; i < d->nheaders; i++)
			printf("header:      %s: %s\n", d->headers[i].name, d->headers[i].value);
		char t[HOURS_TEXT_MAX], note[DEST_NOTE_MAX];
		if (d->hours.tz) {
			printf("time zone:   %s\n", d->hours.tz);
			for (size_t i = 0; i < d->hours.nopen; i++) {
				hours_format_range(&d->hours.open[i], t);
				printf("open:        %s\n", t);
			}
			for (size_t i = 0; i < d->hours.nclosed; i++) {
				hours_format_date(&d->hours.closed[i], t);
				printf("closed:      %s\n", t);
			}
			printf("otherwise:   %s\n", d->hours.otherwise);
			dest_set_answer_note(set, d, (int64_t)time(NULL), note, sizeof(note));
			printf("now:         %s\n", note);
		}
	}
	dest_set_release(set);
	return EXIT_OK;
}

/* --- preview --- */

static int dest_preview(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_ENV, OPT_AT, 0};
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
	/* the destination that answers at that moment (opening hours) */
	int64_t at;
	bool twice;
	if ((rc = at_time(&o, set, d, what, &at, &twice))) {
		free(target);
		dest_set_release(set);
		return rc;
	}
	if (d->hours.tz) {
		struct dest_pick pick;
		const struct dest *ans = dest_set_pick(set, str_c(d->name), at, &pick);
		char when[96];
		hours_format_instant(dest_set_zone(set, d), at, when, sizeof(when));
		if (ans == d)
			fprintf(stderr, "%s is open at %s%s: it answers\n", d->name, when,
			        dest_set_zone(set, d) ? "" : " (its zone could not be read)");
		else
			fprintf(stderr, "%s is closed at %s%s: %s answers\n", d->name, when,
			        pick.closed_date ? " (a closed date)" : "", ans->name);
		if (twice)
			fprintf(stderr,
			        "note: %s happens twice there (the clocks go back): the "
			        "first is meant\n",
			        o.at);
		d = ans;
	}
	/* read as the server reads it: a target it refuses is refused here, in its words */
	struct target t;
	char why[256] = "";
	if (target_parse(target, strlen(target), &t, why, sizeof(why))) {
		rc = cli_fail("%s: ReferTransferTarget %s: the server answers 400 for this call",
		              what, why[0] ? why : "cannot be read");
		free(target);
		dest_set_release(set);
		return rc;
	}
	struct dest_vars v = {from, to, call_sid, account_sid, t.headers, t.nheaders};
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
	free(target);
	dest_set_release(set);
	return rc;
}

const struct cmd cmd_dest[] = {
    {"add",
     "NAME --route ROUTE [--description TEXT] [--header 'X-Name: VALUE']... [--caller-id ID] "
     "[--timeout SECONDS] [--failover SIP-ROUTE]... [--tz ZONE --open 'DAYS HH:MM-HH:MM'... "
     "[--closed YYYY-MM-DD]... --otherwise NAME] [--db PATH|URL]",
     "add a destination to the sandbox",
     "ROUTE: +E164 (e.g. +14155550100), tel:+E164, or sip:/sips: URI (user part, port,\n"
     ";transport=udp|tcp|tls, ;region=... and ;user=phone|ip allowed). Headers only on\n"
     "SIP routes: custom names start with X- (not X-Twilio); User-to-User,\n"
     "Remote-Party-ID, P-Preferred-Identity and P-Called-Party-ID are also allowed.\n"
     "Values may use $caller_id $from $to $call_sid $account_sid $refer.<Header-Name>;\n"
     "$$ is a $. Values are percent-encoded in the URI (a '+' as %2B, since Twilio reads\n"
     "'+' as a space there); a header whose whole value is empty is left out.\n"
     "\n"
     "--failover (up to 4, SIP routes by the same rules, after a SIP ROUTE): tried in\n"
     "order when the route is busy, fails or does not answer; the answer's <Sip> holds\n"
     "one <Uri priority=\"N\"> per route, each with the headers.\n"
     "\n"
     "Opening hours: --tz ZONE (an IANA zone of the system's tz database, e.g.\n"
     "America/Los_Angeles), one --open 'DAYS HH:MM-HH:MM' per range (DAYS: mon-fri, sat,\n"
     "mon,wed, fri-mon, daily; 24:00 ends at midnight; a range past midnight is two),\n"
     "--closed YYYY-MM-DD for whole local days closed, and --otherwise NAME: the\n"
     "destination of the same set that answers outside them (it may have hours of its\n"
     "own; no cycles). The server picks by the time of each request.\n",
     dest_add, NULL},
    {"set",
     "NAME [--route ROUTE] [--description TEXT] [--header 'X-Name: VALUE']... "
     "[--caller-id ID] [--timeout SECONDS] [--clear-headers] [--failover SIP-ROUTE]... "
     "[--clear-failover] [--tz ZONE] [--open 'DAYS HH:MM-HH:MM']... "
     "[--closed YYYY-MM-DD|none]... [--otherwise NAME] [--clear-hours] [--db PATH|URL]",
     "change a destination in the sandbox",
     "--header replaces a header of the same name or adds one; --clear-headers drops\n"
     "them all first. --failover adds a failover route after the ones there;\n"
     "--clear-failover drops them all first. An empty --description or --caller-id\n"
     "clears it; --timeout 0 means Twilio's default. --open and --closed replace all the\n"
     "ranges or dates when given (--closed none: no dates); --tz and --otherwise change\n"
     "theirs; --clear-hours drops the hours (the destination then always answers).\n",
     dest_set, NULL},
    {"rm", "NAME [--db PATH|URL]", "remove a destination from the sandbox", NULL, dest_rm, NULL},
    {"list", "[--env sandbox|live] [--json] [--db PATH|URL]", "list destinations",
     "When some destinations have opening hours, NOW says for each whether it is open\n"
     "at this moment, or which destination answers for it (closed -> NAME).\n",
     dest_list, NULL},
    {"show", "NAME [--env sandbox|live] [--json] [--db PATH|URL]", "show one destination", NULL,
     dest_show, NULL},
    {"preview", "NAME [--env sandbox|live] [--at TIME] [--db PATH|URL] [PARAM=VALUE ...]",
     "print the TwiML the server answers for a sample webhook",
     "PARAM: From, To, CallSid, AccountSid, ReferTransferTarget (its URI headers after\n"
     "'?' feed $refer.<Header-Name>). The default target is <sip:NAME@agent.example.com>.\n"
     "--at TIME answers as at that moment (default now): ISO 8601 with an offset\n"
     "(2026-12-24T17:30-08:00, ...Z) or a local time in NAME's zone (2026-12-24T17:30);\n"
     "for a destination with opening hours, stderr says whether it is open and which\n"
     "destination answers, and stdout is that one's TwiML.\n",
     dest_preview, NULL},
    {"test",
     "NAME [--server URL] [--token-env NAME] [--env sandbox|live] "
     "[--target OUTCOME[,OUTCOME...]] [--from NUMBER] [--refer-header 'X-Name: VALUE']... "
     "[--at TIME] [--json] [--db PATH|URL]",
     "call the sandbox number, REFER to NAME and show what happens", cmd_dest_test_help,
     cmd_dest_test, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

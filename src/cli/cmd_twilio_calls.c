/* cmd_twilio_calls: 'handoff twilio calls': list and show calls, and transfer a live one with
 * the Voice API (the call updated to <public-url>/transfer/NAME), before/after shown. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/twilio_cli.h"
#include "twilio/rest.h"
#include "util/ids.h"
#include "util/mem.h"

#define CALLS_NAME_MAX 64 /* a destination name (DEST_NAME_MAX) */

/* The statuses a call may be in; the first three are live. */
static const char *const statuses[] = {"queued", "ringing",   "in-progress", "completed",
                                       "busy",   "no-answer", "failed",      "canceled"};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))
#define NLIVE     3

static void calls_path(const struct tw_cli_session *s, char *out, size_t n, const char *sid)
{
	if (sid)
		snprintf(out, n, "/2010-04-01/Accounts/%s/Calls/%s.json", s->cr.account_sid, sid);
	else
		snprintf(out, n, "/2010-04-01/Accounts/%s/Calls.json", s->cr.account_sid);
}

/* Every call (all pages) with the filter name=value (NULL: none), appended to out. */
static int list_calls(struct tw_cli_session *s, const char *name, const char *value, long page_size,
                      json_t *out, struct tw_error *e)
{
	char path[512];
	calls_path(s, path, sizeof(path), NULL);
	size_t used = strlen(path);
	snprintf(path + used, sizeof(path) - used, "?PageSize=%ld%s%s%s%s", page_size,
	         name ? "&" : "", name ? name : "", name ? "=" : "", name ? value : "");
	json_t *items = NULL;
	int rc = tw_list(&s->c, TW_API_2010, path, "calls", &items, e);
	if (!rc)
		json_array_extend(out, items);
	json_decref(items);
	return rc;
}

static void print_row(const json_t *c)
{
	const char *parent = tw_cli_jstr(c, "parent_call_sid");
	printf("%-34s  %-11s  %-14s  %-16s  %-24s  %s\n", tw_cli_jstr(c, "sid"),
	       tw_cli_jstr(c, "status"), tw_cli_jstr(c, "direction"), tw_cli_jstr(c, "from"),
	       tw_cli_jstr(c, "to"), *parent ? parent : "-");
}

static int calls_list(int argc, char **argv)
{
	struct tw_cli_opts o;
	int rc = tw_cli_parse(
	    argc, argv, O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_PAGE_SIZE | O_STATUS, &o);
	if (rc)
		return rc;
	if (o.argc)
		return cli_usage("unexpected argument '%s'", o.argv[0]);
	bool all = o.status && strcmp(o.status, "all") == 0;
	size_t one = NSTATUSES;
	for (size_t i = 0; o.status && !all && i < NSTATUSES; i++)
		if (strcmp(o.status, statuses[i]) == 0)
			one = i;
	if (o.status && !all && one == NSTATUSES)
		return cli_usage("--status must be a call status (queued, ringing, in-progress, "
		                 "completed, busy, no-answer, failed, canceled) or all");
	struct tw_cli_session s;
	if ((rc = tw_cli_session_open(&s, &o)))
		return rc;
	json_t *items = json_array();
	struct tw_error e;
	long ps = o.page_size ? o.page_size : 50;
	int r = 0;
	if (all)
		r = list_calls(&s, NULL, NULL, ps, items, &e);
	else if (o.status)
		r = list_calls(&s, "Status", statuses[one], ps, items, &e);
	else /* Twilio filters one Status at a time: the live ones, in turn */
		for (size_t i = 0; i < NLIVE && !r; i++)
			r = list_calls(&s, "Status", statuses[i], ps, items, &e);
	tw_cli_session_close(&s);
	if (r) {
		json_decref(items);
		return tw_cli_fail_rest("", r, &e);
	}
	if (o.json) {
		tw_cli_print_json(items);
	} else {
		printf("%-34s  %-11s  %-14s  %-16s  %-24s  %s\n", "SID", "STATUS", "DIRECTION",
		       "FROM", "TO", "PARENT");
		size_t i;
		json_t *c;
		json_array_foreach(items, i, c)
		{
			print_row(c);
		}
		size_t n = json_array_size(items);
		printf("%zu %scall%s\n", n, o.status ? "" : "live ", n == 1 ? "" : "s");
	}
	json_decref(items);
	return EXIT_OK;
}

/* Fetches call sid into *call; 0 or an exit status (reported). */
static int fetch_call(struct tw_cli_session *s, const char *sid, json_t **call)
{
	char path[256];
	calls_path(s, path, sizeof(path), sid);
	struct tw_error e;
	int rc = tw_request(&s->c, TW_API_2010, "GET", path, NULL, 0, call, &e);
	if (rc == ENOENT && e.code == 20404) {
		cli_fail("%s %s: no such call in account %s (Twilio 20404)", tw_cli_leaf(), sid,
		         s->cr.account_sid);
		cli_hint("see 'handoff twilio calls list --status all'");
		return EXIT_FAIL;
	}
	return rc ? tw_cli_fail_rest(sid, rc, &e) : 0;
}

/* The call's child legs (a <Dial>'s), or NULL after reporting the failure. */
static json_t *children(struct tw_cli_session *s, const char *sid)
{
	json_t *kids = json_array();
	struct tw_error e;
	int rc = list_calls(s, "ParentCallSid", sid, 50, kids, &e);
	if (rc) {
		json_decref(kids);
		tw_cli_fail_rest(sid, rc, &e);
		return NULL;
	}
	return kids;
}

static void print_children(const char *label, const json_t *kids)
{
	printf("%-9s", label);
	if (!json_array_size(kids))
		printf(" none\n");
	size_t i;
	json_t *k;
	json_array_foreach(kids, i, k)
	{
		printf("%s %s %-11s -> %s\n", i ? "         " : "", tw_cli_jstr(k, "sid"),
		       tw_cli_jstr(k, "status"), tw_cli_jstr(k, "to"));
	}
}

static bool is_call_sid(const char *s)
{
	return id_sid(s, "CA");
}

static int calls_show(int argc, char **argv)
{
	struct tw_cli_opts o;
	int rc = tw_cli_parse(argc, argv, O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT, &o);
	if (rc)
		return rc;
	if (o.argc != 1)
		return cli_usage(o.argc ? "one CA... SID only" : "missing the call SID (CA...)");
	if (!is_call_sid(o.argv[0]))
		return cli_usage("'%s' is not a call SID (CA + 32 hex)", o.argv[0]);
	struct tw_cli_session s;
	if ((rc = tw_cli_session_open(&s, &o)))
		return rc;
	json_t *c = NULL, *kids = NULL;
	rc = fetch_call(&s, o.argv[0], &c);
	if (!rc && !(kids = children(&s, o.argv[0])))
		rc = EXIT_FAIL;
	tw_cli_session_close(&s);
	if (rc) {
		json_decref(c);
		return rc;
	}
	if (o.json) {
		tw_cli_print_json(c);
	} else {
		static const struct {
			const char *key, *label;
		} f[] = {{"sid", "SID"},
		         {"status", "Status"},
		         {"direction", "Direction"},
		         {"from", "From"},
		         {"to", "To"},
		         {"parent_call_sid", "Parent"},
		         {"start_time", "Started"},
		         {"end_time", "Ended"},
		         {"duration", "Duration (s)"}};
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			printf("%-13s %s\n", f[i].label,
			       *tw_cli_jstr(c, f[i].key) ? tw_cli_jstr(c, f[i].key) : "-");
		print_children("Children", kids);
	}
	json_decref(c);
	json_decref(kids);
	return EXIT_OK;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > CALLS_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

/* {"status", "children"} of a call now, for the before/after. */
static json_t *state_json(const json_t *call, const json_t *kids)
{
	return json_pack("{s:s, s:O}", "status", tw_cli_jstr(call, "status"), "children", kids);
}

static int calls_transfer(int argc, char **argv)
{
	struct tw_cli_opts o;
	int rc = tw_cli_parse(
	    argc, argv,
	    O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_PUBLIC_URL | O_SANDBOX | O_DRY_RUN, &o);
	if (rc)
		return rc;
	if (o.argc != 2)
		return cli_usage("give the call SID and the destination NAME: calls transfer CA... "
		                 "NAME --public-url URL");
	const char *sid = o.argv[0], *name = o.argv[1];
	if (!is_call_sid(sid))
		return cli_usage("'%s' is not a call SID (CA + 32 hex)", sid);
	if (!name_ok(name))
		return cli_usage("'%s' is not a destination name ([a-z0-9][a-z0-9-]*, at most %d)",
		                 name, CALLS_NAME_MAX);
	if (!o.public_url)
		return cli_usage("--public-url is required: the base URL Twilio reaches 'handoff "
		                 "serve' at");
	if (!tw_cli_is_http_url(o.public_url) || strlen(o.public_url) > MAX_URL - 64)
		return cli_usage("--public-url must be an http(s) URL, not '%s'", o.public_url);
	char url[MAX_URL + 1];
	size_t bl = strlen(o.public_url);
	while (bl && o.public_url[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof(url), "%.*s%s/transfer/%s", (int)bl, o.public_url,
	         o.sandbox ? "/sandbox" : "", name);
	struct tw_cli_session s;
	if ((rc = tw_cli_session_open(&s, &o)))
		return rc;
	char why[256];
	if (tw_is_real(&s.c) && tw_url_unreachable(url, why, sizeof(why))) {
		tw_cli_session_close(&s);
		cli_fail("%s %s: refusing to send Twilio to %s: %s, which Twilio cannot reach",
		         tw_cli_leaf(), sid, url, why);
		cli_hint("give the public URL 'handoff serve' is reached at (--public-url), or "
		         "--api-base for the emulator");
		return EXIT_FAIL;
	}
	json_t *before = NULL, *after = NULL, *kids0 = NULL, *kids1 = NULL, *upd = NULL;
	rc = fetch_call(&s, sid, &before);
	if (!rc && !(kids0 = children(&s, sid)))
		rc = EXIT_FAIL;
	if (rc)
		goto out;
	const char *st = tw_cli_jstr(before, "status");
	if (strcmp(st, "in-progress") != 0) {
		rc = cli_fail("%s %s: the call is %s, not in progress: only a live call can be "
		              "transferred",
		              tw_cli_leaf(), sid, *st ? st : "in no known state");
		cli_hint(strcmp(st, "queued") == 0 || strcmp(st, "ringing") == 0
		             ? "wait until it is answered"
		             : "see the live calls: handoff twilio calls list");
		goto out;
	}
	if (!o.json) {
		printf("call %s: %s -> %s\n", sid, tw_cli_jstr(before, "from"),
		       tw_cli_jstr(before, "to"));
		printf("before:   %s\n", st);
		print_children("children", kids0);
		printf("update:   Url=%s Method=POST%s\n", url, o.dry_run ? " (dry run)" : "");
	}
	if (!o.dry_run) {
		struct tw_param p[] = {{"Url", url}, {"Method", "POST"}};
		char path[256];
		calls_path(&s, path, sizeof(path), sid);
		struct tw_error e;
		int r = tw_request(&s.c, TW_API_2010, "POST", path, p, 2, &upd, &e);
		if (r) {
			rc = tw_cli_fail_rest(sid, r, &e);
			if (e.code == 21220)
				cli_hint("the call ended meanwhile, or is not in progress");
			goto out;
		}
		if ((rc = fetch_call(&s, sid, &after)) || !(kids1 = children(&s, sid))) {
			rc = EXIT_FAIL;
			goto out;
		}
	}
	if (o.json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:o*, s:b, s:b}", "sid", sid, "name",
		                      name, "url", url, "before", state_json(before, kids0),
		                      "after", after ? state_json(after, kids1) : NULL, "dry_run",
		                      o.dry_run, "applied", !o.dry_run);
		tw_cli_print_json(j);
		json_decref(j);
	} else if (o.dry_run) {
		printf("dry run: nothing changed\n");
	} else {
		printf("after:    %s\n", tw_cli_jstr(after, "status"));
		print_children("children", kids1);
	}
	rc = EXIT_OK;
out:
	tw_cli_session_close(&s);
	json_decref(before);
	json_decref(after);
	json_decref(kids0);
	json_decref(kids1);
	json_decref(upd);
	return rc;
}

const struct cmd tw_cli_calls_cmds[] = {
    {"list", "[--status STATUS|all] [--json] [--page-size N]",
     "calls: the live ones (queued, ringing, in-progress) unless --status says",
     "Lists calls (all pages), one line each: SID, status, direction, from, to and the\n"
     "parent call of a child leg. Without --status: the live calls.\n\n"
     "  --status STATUS    one status (queued, ringing, in-progress, completed, busy,\n"
     "                     no-answer, failed, canceled), or all\n" COMMON_HELP,
     calls_list, NULL},
    {"show", "CA... [--json]", "one call and its child legs",
     "Shows a call's status, parties, times and duration, and the child calls its <Dial>\n"
     "made.\n\n" COMMON_HELP,
     calls_show, NULL},
    {"transfer", "CA... NAME --public-url URL [--sandbox] [--dry-run]",
     "the Voice API transfer: the live call runs <public-url>/transfer/NAME",
     "Updates a call in progress with Url=<public-url>/transfer/NAME (Method=POST), the\n"
     "route of 'handoff serve' that answers destination NAME's TwiML: the call leaves\n"
     "what it runs (an AI agent's <Connect><Stream>, a <Dial>) and dials the destination.\n"
     "Prints the call's status and child calls before and after. Exits 1, changing\n"
     "nothing, when the call is not in progress.\n\n"
     "  --public-url URL   the base URL Twilio reaches 'handoff serve' at\n"
     "  --sandbox          /sandbox/transfer/NAME: the sandbox's destinations\n"
     "  --dry-run          show the update, send nothing\n" COMMON_HELP,
     calls_transfer, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

/* cmd_twilio_numbers: 'handoff twilio numbers': list, show, wire (a diff, refusing to
 * clobber, remembering what it replaced) and restore. */
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

/* ---- numbers ---- */

static void numbers_path(const struct tw_cli_session *s, char *out, size_t outlen, const char *sid)
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
static int find_number(struct tw_cli_session *s, const char *arg, json_t **num)
{
	char path[256];
	struct tw_error e;
	int rc;
	if (id_sid(arg, "PN")) {
		numbers_path(s, path, sizeof(path), arg);
		rc = tw_request(&s->c, TW_API_2010, "GET", path, NULL, 0, num, &e);
		if (rc == ENOENT && e.code == 20404) {
			cli_fail("%s %s: no such number in account %s (Twilio 20404)",
			         tw_cli_leaf(), arg, s->cr.account_sid);
			return EXIT_FAIL;
		}
		return rc ? tw_cli_fail_rest(arg, rc, &e) : 0;
	}
	numbers_path(s, path, sizeof(path), NULL);
	struct tw_param p[] = {{"PhoneNumber", arg}, {"PageSize", "20"}};
	json_t *list = NULL;
	rc = tw_request(&s->c, TW_API_2010, "GET", path, p, 2, &list, &e);
	if (rc)
		return tw_cli_fail_rest(arg, rc, &e);
	json_t *arr = json_object_get(list, "incoming_phone_numbers");
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
	{
		if (strcmp(tw_cli_jstr(o, "phone_number"), arg) == 0) {
			*num = json_incref(o);
			json_decref(list);
			return 0;
		}
	}
	json_decref(list);
	cli_fail("%s %s: no such number in account %s", tw_cli_leaf(), arg, s->cr.account_sid);
	cli_hint("see 'handoff twilio numbers list'");
	return EXIT_FAIL;
}

/* What answers the number's calls, by Twilio's precedence. */
static void voice_summary(const json_t *n, char *out, size_t outlen)
{
	if (*tw_cli_jstr(n, "trunk_sid"))
		snprintf(out, outlen, "trunk %s", tw_cli_jstr(n, "trunk_sid"));
	else if (*tw_cli_jstr(n, "voice_application_sid"))
		snprintf(out, outlen, "application %s", tw_cli_jstr(n, "voice_application_sid"));
	else if (*tw_cli_jstr(n, "voice_url"))
		snprintf(out, outlen, "%s %s",
		         *tw_cli_jstr(n, "voice_method") ? tw_cli_jstr(n, "voice_method") : "POST",
		         tw_cli_jstr(n, "voice_url"));
	else
		snprintf(out, outlen, "-");
}

static int numbers_list(int argc, char **argv)
{
	struct tw_cli_opts o;
	int rc =
	    tw_cli_parse(argc, argv, O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_PAGE_SIZE, &o);
	if (rc)
		return rc;
	if (o.argc)
		return cli_usage("unexpected argument '%s'", o.argv[0]);
	struct tw_cli_session s;
	if ((rc = tw_cli_session_open(&s, &o)))
		return rc;
	char path[256];
	numbers_path(&s, path, sizeof(path), NULL);
	size_t used = strlen(path);
	snprintf(path + used, sizeof(path) - used, "?PageSize=%ld", o.page_size ? o.page_size : 50);
	json_t *items = NULL;
	struct tw_error e;
	int r = tw_list(&s.c, TW_API_2010, path, "incoming_phone_numbers", &items, &e);
	if (r) {
		tw_cli_session_close(&s);
		return tw_cli_fail_rest("", r, &e);
	}
	if (o.json) {
		tw_cli_print_json(items);
	} else {
		printf("%-34s  %-16s  %s\n", "SID", "NUMBER", "VOICE");
		size_t i;
		json_t *n;
		json_array_foreach(items, i, n)
		{
			char v[MAX_URL + 64];
			voice_summary(n, v, sizeof(v));
			printf("%-34s  %-16s  %s\n", tw_cli_jstr(n, "sid"),
			       tw_cli_jstr(n, "phone_number"), v);
		}
		printf("%zu number%s\n", json_array_size(items),
		       json_array_size(items) == 1 ? "" : "s");
	}
	json_decref(items);
	tw_cli_session_close(&s);
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
	struct tw_cli_opts o;
	int rc = tw_cli_parse(argc, argv, O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT, &o);
	if (rc)
		return rc;
	if (o.argc != 1)
		return cli_usage(o.argc ? "one NUMBER only" : "missing NUMBER");
	if ((rc = tw_cli_check_number_arg(o.argv[0])))
		return rc;
	struct tw_cli_session s;
	if ((rc = tw_cli_session_open(&s, &o)))
		return rc;
	json_t *n = NULL;
	rc = find_number(&s, o.argv[0], &n);
	tw_cli_session_close(&s);
	if (rc)
		return rc;
	if (o.json) {
		tw_cli_print_json(n);
	} else {
		char v[MAX_URL + 64];
		voice_summary(n, v, sizeof(v));
		printf("%-16s %s\n%-16s %s\n%-16s %s\n%-16s %s\n", "Number",
		       tw_cli_jstr(n, "phone_number"), "SID", tw_cli_jstr(n, "sid"),
		       "Friendly name", tw_cli_jstr(n, "friendly_name"), "Calls go to", v);
		for (size_t i = 0; i < NFIELDS; i++)
			printf("%-16s %s\n", number_fields[i].label,
			       *tw_cli_jstr(n, number_fields[i].key)
			           ? tw_cli_jstr(n, number_fields[i].key)
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
	const char *now = tw_cli_jstr(cur, key);
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
static int apply(struct tw_cli_session *s, const char *target, const char *sid,
                 const struct changes *cs, json_t **updated)
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
	return rc ? tw_cli_fail_rest(target, rc, &e) : 0;
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
		cli_fail("%s: %s", tw_cli_leaf(), err);
		return NULL;
	}
	json_t *j = json_loadb(b.p ? b.p : "", b.len, 0, NULL);
	buf_free(&b);
	if (!json_is_object(j)) {
		json_decref(j);
		cli_fail("%s: the wire records (%s in the config directory) are not valid JSON",
		         tw_cli_leaf(), WIRED_FILE);
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
		cli_fail("%s: cannot save the wire record: %s", tw_cli_leaf(), err);
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
	struct tw_cli_opts o;
	int rc = tw_cli_parse(argc, argv,
	                      O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_VOICE_URL | O_METHOD |
	                          O_FALLBACK | O_DRY_RUN | O_FORCE,
	                      &o);
	if (rc)
		return rc;
	if (o.argc != 1)
		return cli_usage(o.argc ? "one NUMBER only" : "missing NUMBER");
	const char *arg = o.argv[0];
	if ((rc = tw_cli_check_number_arg(arg)))
		return rc;
	if (!o.voice_url)
		return cli_usage("--voice-url URL is required");
	if (!tw_cli_is_http_url(o.voice_url))
		return cli_usage("--voice-url '%s' is not an http(s) URL", o.voice_url);
	if (o.fallback && !tw_cli_is_http_url(o.fallback))
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
	struct tw_cli_session s;
	if ((rc = tw_cli_session_open(&s, &o)))
		return rc;
	/* Twilio itself must be able to reach the URL */
	if (tw_is_real(&s.c) && !o.force) {
		const char *urls[] = {o.voice_url, o.fallback};
		for (size_t i = 0; i < 2; i++) {
			char why[512];
			if (!urls[i] || tw_url_unreachable(urls[i], why, sizeof(why)) == 0)
				continue;
			tw_cli_session_close(&s);
			cli_fail("%s %s: refusing to point a Twilio number at %s: %s, which Twilio "
			         "cannot reach",
			         tw_cli_leaf(), arg, urls[i], why);
			cli_hint(
			    "use a public URL (e.g. a tunnel), or --api-base for the emulator; "
			    "--force to wire it anyway");
			return EXIT_FAIL;
		}
	}
	json_t *num = NULL;
	if ((rc = find_number(&s, arg, &num))) {
		tw_cli_session_close(&s);
		return rc;
	}
	const char *sid = tw_cli_jstr(num, "sid");
	char title[128];
	snprintf(title, sizeof(title), "%s (%s)", tw_cli_jstr(num, "phone_number"), sid);

	/* what would stop the new URL from being used, or be lost */
	char reasons[3][MAX_URL + 200];
	size_t nreasons = 0;
	if (*tw_cli_jstr(num, "trunk_sid"))
		snprintf(reasons[nreasons++], sizeof(reasons[0]),
		         "TrunkSid %s would shadow the Voice URL (its calls go to the SIP trunk; "
		         "trunk > application > Voice URL)",
		         tw_cli_jstr(num, "trunk_sid"));
	if (*tw_cli_jstr(num, "voice_application_sid"))
		snprintf(reasons[nreasons++], sizeof(reasons[0]),
		         "VoiceApplicationSid %s would shadow the Voice URL (the application's "
		         "URL answers instead)",
		         tw_cli_jstr(num, "voice_application_sid"));
	if (*tw_cli_jstr(num, "voice_url") &&
	    strcmp(tw_cli_jstr(num, "voice_url"), o.voice_url) != 0)
		snprintf(reasons[nreasons++], sizeof(reasons[0]),
		         "it already has a different Voice URL: %s", tw_cli_jstr(num, "voice_url"));

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
		json_t *j =
		    json_pack("{s:s,s:s,s:o,s:b,s:b}", "number", tw_cli_jstr(num, "phone_number"),
		              "sid", sid, "changes", changes_json(&cs), "dry_run", o.dry_run,
		              "applied", !o.dry_run && !refuse && cs.n > 0);
		json_t *why = json_array();
		for (size_t i = 0; i < nreasons; i++)
			json_array_append_new(why, json_string(reasons[i]));
		json_object_set_new(j, refuse ? "refused" : "overridden", why);
		tw_cli_print_json(j);
		json_decref(j);
	} else if (cs.n) {
		print_diff(title, &cs);
	}
	if (refuse) {
		for (size_t i = 0; i < nreasons; i++)
			cli_fail("%s %s: refusing: %s", tw_cli_leaf(), arg, reasons[i]);
		cli_hint("check with 'handoff twilio numbers show %s'; --force replaces it (and "
		         "restore can put it back)",
		         arg);
		json_decref(num);
		tw_cli_session_close(&s);
		return EXIT_FAIL;
	}
	if (cs.n == 0) {
		if (!o.json)
			printf("%s already answers with %s: nothing to change\n", title,
			       o.voice_url);
		json_decref(num);
		tw_cli_session_close(&s);
		return EXIT_OK;
	}
	if (o.dry_run) {
		if (!o.json)
			printf("dry run: nothing changed\n");
		json_decref(num);
		tw_cli_session_close(&s);
		return EXIT_OK;
	}

	/* remember what is replaced before replacing it */
	json_t *rec = records_load();
	if (!rec) {
		json_decref(num);
		tw_cli_session_close(&s);
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
	                              "sid", sid, "phone_number", tw_cli_jstr(num, "phone_number"),
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
		       method
		           ? method
		           : (*tw_cli_jstr(num, "voice_method") ? tw_cli_jstr(num, "voice_method")
		                                                : "POST"),
		       o.voice_url);
		printf("undo with: handoff twilio numbers restore %s\n",
		       tw_cli_jstr(num, "phone_number"));
	}
out:
	json_decref(prev);
	json_decref(rec);
	json_decref(num);
	tw_cli_session_close(&s);
	return rc ? EXIT_FAIL : EXIT_OK;
}

static int numbers_restore(int argc, char **argv)
{
	struct tw_cli_opts o;
	int rc = tw_cli_parse(
	    argc, argv, O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_DRY_RUN | O_FORCE, &o);
	if (rc)
		return rc;
	if (o.argc != 1)
		return cli_usage(o.argc ? "one NUMBER only" : "missing NUMBER");
	const char *arg = o.argv[0];
	if ((rc = tw_cli_check_number_arg(arg)))
		return rc;
	struct tw_cli_session s;
	if ((rc = tw_cli_session_open(&s, &o)))
		return rc;
	json_t *rec = records_load();
	if (!rec) {
		tw_cli_session_close(&s);
		return EXIT_FAIL;
	}
	const char *k;
	json_t *v, *found = NULL;
	const char *found_key = NULL;
	json_object_foreach(rec, k, v)
	{
		if (strcmp(tw_cli_jstr(v, "account_sid"), s.cr.account_sid) != 0)
			continue;
		if (strcmp(tw_cli_jstr(v, "sid"), arg) == 0 ||
		    strcmp(tw_cli_jstr(v, "phone_number"), arg) == 0) {
			found = v;
			found_key = k;
			break;
		}
	}
	if (!found) {
		json_decref(rec);
		tw_cli_session_close(&s);
		cli_fail(
		    "%s %s: nothing to restore: no 'numbers wire' recorded for it in account %s",
		    tw_cli_leaf(), arg, s.cr.account_sid);
		return EXIT_FAIL;
	}
	json_t *num = NULL;
	if ((rc = find_number(&s, tw_cli_jstr(found, "sid"), &num))) {
		json_decref(rec);
		tw_cli_session_close(&s);
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
		if (strcmp(tw_cli_jstr(num, k), json_string_value(v) ? json_string_value(v) : "") !=
		    0)
			snprintf(drift[ndrift++], sizeof(drift[0]),
			         "%s is now '%s' (wire set '%s')", k, tw_cli_jstr(num, k),
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
	snprintf(title, sizeof(title), "%s (%s)", tw_cli_jstr(num, "phone_number"),
	         tw_cli_jstr(num, "sid"));
	bool refuse = ndrift && !o.force;
	if (o.json) {
		json_t *j =
		    json_pack("{s:s,s:s,s:o,s:b,s:b}", "number", tw_cli_jstr(num, "phone_number"),
		              "sid", tw_cli_jstr(num, "sid"), "changes", changes_json(&cs),
		              "dry_run", o.dry_run, "applied", !o.dry_run && !refuse && cs.n > 0);
		tw_cli_print_json(j);
		json_decref(j);
	} else if (cs.n) {
		printf("restoring what 'numbers wire' replaced on %s at %s\n", title,
		       tw_cli_jstr(found, "wired_at"));
		print_diff(title, &cs);
	}
	if (refuse) {
		for (size_t i = 0; i < ndrift; i++)
			cli_fail("%s %s: refusing: the number changed since the wire: %s",
			         tw_cli_leaf(), arg, drift[i]);
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
		rc = apply(&s, arg, tw_cli_jstr(num, "sid"), &cs, &updated);
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
	tw_cli_session_close(&s);
	return rc ? EXIT_FAIL : EXIT_OK;
}

const struct cmd tw_cli_numbers_cmds[] = {
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

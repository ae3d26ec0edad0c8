/* cmd_versions: promote, versions and rollback (the live pointer over immutable versions),
 * and export / import of the whole set. */
#include <errno.h>
#include <getopt.h>
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

int cmd_promote(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_MESSAGE, OPT_JSON, 0};
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "m:", &o);
	if (rc)
		return rc;
	if (o.nargs)
		return cli_usage("unexpected argument '%s'", o.args[0]);
	if (o.message && strlen(o.message) > STORE_MESSAGE_MAX)
		return cli_usage("--message is over %d characters", STORE_MESSAGE_MAX);
	struct store *s;
	if ((rc = dest_cli_open_db(&o, true, &s, "promote")))
		return rc;
	char err[600];
	int v;
	if (store_promote(s, o.message ? o.message : "", dest_cli_author(), &v, err, sizeof(err))) {
		rc = cli_fail("promote: %s", err);
	} else if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "version", json_integer(v));
		json_object_set_new(j, "live", json_integer(v));
		dest_cli_print_json(j);
	} else {
		printf("promoted the sandbox as version %d; it is live\n", v);
	}
	dest_cli_close_db(s, rc);
	return rc;
}

int cmd_versions(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_JSON, 0};
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs)
		return cli_usage("unexpected argument '%s'", o.args[0]);
	struct store *s;
	if ((rc = dest_cli_open_db(&o, false, &s, "versions")))
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
		dest_cli_print_json(arr);
	store_versions_free(v, n);
	return EXIT_OK;
}

#define AUDIT_DEFAULT 50 /* rows 'handoff audit' shows without a COUNT */

int cmd_audit(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_JSON, 0};
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs > 1)
		return cli_usage("give at most one COUNT");
	long want = AUDIT_DEFAULT;
	if (o.nargs == 1) {
		char *end;
		want = strtol(o.args[0], &end, 10);
		if (!*o.args[0] || *end || want < 1 || want > STORE_AUDIT_PAGE_MAX)
			return cli_usage("COUNT must be 1 to %d, not '%s'", STORE_AUDIT_PAGE_MAX,
			                 o.args[0]);
	}
	struct store *s;
	if ((rc = dest_cli_open_db(&o, false, &s, "audit")))
		return rc;
	char err[600];
	struct store_audit *a;
	size_t n;
	if (store_audit_list(s, 0, (size_t)want, &a, &n, err, sizeof(err))) {
		store_close(s);
		return cli_fail("audit: %s", err);
	}
	store_close(s);
	json_t *arr = o.json ? json_array() : NULL;
	if (!o.json && n == 0)
		printf("no changes recorded yet\n");
	else if (!o.json)
		printf("%-20s %-16s %-8s %-16s %s\n", "WHEN (UTC)", "AUTHOR", "ACTION", "WHAT",
		       "DETAIL");
	for (size_t i = 0; i < n; i++) {
		char when[32], what[80];
		time_t t = (time_t)a[i].at;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (a[i].dest)
			snprintf(what, sizeof(what), "%s", a[i].dest);
		else if (a[i].version)
			snprintf(what, sizeof(what), "version %d", a[i].version);
		else
			snprintf(what, sizeof(what), "sandbox");
		if (o.json) {
			json_t *e =
			    json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s}", "id", (json_int_t)a[i].id,
			              "at", when, "author", a[i].author, "action", a[i].action,
			              "dest", a[i].dest, "detail", a[i].detail);
			json_object_set_new(
			    e, "version", a[i].version ? json_integer(a[i].version) : json_null());
			json_array_append_new(arr, e);
		} else {
			printf("%-20s %-16s %-8s %-16s %s\n", when, a[i].author, a[i].action, what,
			       a[i].detail);
		}
	}
	if (o.json)
		dest_cli_print_json(arr);
	store_audit_free(a, n);
	return EXIT_OK;
}

int cmd_rollback(int argc, char **argv)
{
	static const int allowed[] = {OPT_DB, OPT_JSON, 0};
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "", &o);
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
	if ((rc = dest_cli_open_db(&o, false, &s, "rollback")))
		return rc;
	char err[600];
	int now;
	if (store_rollback(s, want, &now, err, sizeof(err))) {
		rc = cli_fail("rollback: %s", err);
	} else if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "live", json_integer(now));
		dest_cli_print_json(j);
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
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "o:", &o);
	if (rc)
		return rc;
	if (o.nargs)
		return cli_usage("unexpected argument '%s'", o.args[0]);
	struct dest_set *set;
	if ((rc = dest_cli_load_env(&o, "export", &set)))
		return rc;
	char *text = dest_json_set(set, dest_cli_env_name(o.env));
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
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "", &o);
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
	if ((rc = dest_cli_open_db(&o, true, &s, "import"))) {
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
	dest_cli_close_db(s, rc);
	dest_json_free(d, n);
	return rc;
}

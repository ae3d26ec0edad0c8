/* cmd_store: 'handoff store copy FROM TO': a whole store, versions and history, from an
 * SQLite file to a PostgreSQL database or back (the copy itself is store_copy). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/dest_cli.h"
#include "store/store.h"

static const char copy_help[] =
    "Copies everything FROM holds into TO: every promoted version, the sandbox, which\n"
    "version is live and the audit log (its times, authors and ids), read in one\n"
    "transaction and written in one. Either is an SQLite file or a postgresql:// URL\n"
    "(libpq's environment and ~/.pgpass apply; a password in the URL is never printed).\n"
    "TO must be empty: a new file, or a database without handoff's tables (they are\n"
    "made), else nothing is written. FROM is only read.\n\n"
    "  handoff store copy handoff.db postgresql://handoff@db.example.com/handoff\n"
    "  handoff store copy postgresql:///handoff?host=/run/postgresql backup.db\n";

static int run_copy(int argc, char **argv)
{
	static const int allowed[] = {OPT_JSON, 0};
	struct dest_cli_opts o;
	int rc = dest_cli_parse(argc, argv, allowed, "", &o);
	if (rc)
		return rc;
	if (o.nargs != 2)
		return cli_usage("give FROM and TO (each a file path or a postgresql:// URL)");
	const char *from = cli_unhidden(o.args[0]), *to = cli_unhidden(o.args[1]);
	if (strcmp(from, to) == 0)
		return cli_usage("FROM and TO are the same store");
	char err[600];
	struct store *src = NULL, *dst = NULL;
	if (store_open(&src, from, 0, err, sizeof(err)))
		return cli_fail("store copy: %s", err);
	if (store_open(&dst, to, STORE_CREATE, err, sizeof(err))) {
		store_close(src);
		return cli_fail("store copy: %s", err);
	}
	store_set_author(dst, dest_cli_author());
	struct store_copy_counts c;
	rc = store_copy(src, dst, &c, err, sizeof(err));
	if (rc) {
		cli_fail("store copy: %s", err);
		if (rc == ENOTEMPTY)
			cli_hint("copy into an empty store: a new file, or a PostgreSQL database "
			         "without handoff's tables");
	} else if (o.json) {
		dest_cli_print_json(json_pack(
		    "{s:s, s:s, s:s, s:s, s:I, s:i, s:I, s:I}", "from", store_name(src),
		    "from_backend", store_backend_name(src), "to", store_name(dst), "to_backend",
		    store_backend_name(dst), "versions", (json_int_t)c.versions, "live", c.live,
		    "dest_rows", (json_int_t)c.dests, "audit_rows", (json_int_t)c.audit));
	} else {
		printf("copied %s (%s) to %s (%s): %zu versions (version %d live), %zu destination "
		       "rows, %zu audit rows\n",
		       store_name(src), store_backend_name(src), store_name(dst),
		       store_backend_name(dst), c.versions, c.live, c.dests, c.audit);
	}
	store_close(src);
	if (rc && store_created(dst))
		store_discard(dst); /* a copy that fails leaves no new store behind */
	else
		store_close(dst);
	return rc ? EXIT_FAIL : EXIT_OK;
}

const struct cmd cmd_store[] = {
    {"copy", "FROM TO [--json]",
     "copy a whole store (versions and history) between SQLite and PostgreSQL", copy_help, run_copy,
     NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

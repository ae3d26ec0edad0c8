/* test_audit: the audit log on a real SQLite file and a real PostgreSQL database (the same
 * cases on both): one row per change with its author and the fields that changed, none for
 * a refused change, and a schema-1 database migrated. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "backends.h"
#include "store/store.h"
#include "test.h"
#include "util/mem.h"

static struct dest mk(const char *name, const char *route)
{
	struct dest d = {0};
	d.name = (char *)name;
	d.route = (char *)route;
	return d;
}

static void rows(void)
{
	char *path = tb_db("a.db");
	char err[512];
	struct store *s = NULL;
	CHECK_INT(store_open(&s, path, STORE_CREATE, err, sizeof(err)), 0);
	store_set_author(s, "alice");
	struct dest_header hs[] = {{(char *)"X-Caller", (char *)"$caller_id"}};
	struct dest b = mk("billing", "sip:billing@pbx.example.com");
	b.headers = hs;
	b.nheaders = 1;
	CHECK_INT(store_add(s, &b, err, sizeof(err)), 0);
	CHECK_INT(store_add(s, &b, err, sizeof(err)), EEXIST); /* refused: no row */
	struct dest bad = mk("bad", "4155550100");
	CHECK_INT(store_add(s, &bad, err, sizeof(err)), EINVAL);
	b.route = (char *)"sip:billing-v2@pbx.example.com";
	CHECK_INT(store_update(s, &b, err, sizeof(err)), 0);
	CHECK_INT(store_promote(s, "first", "bob", NULL, err, sizeof(err)), 0);
	struct dest f = mk("front-desk", "+14155550123");
	CHECK_INT(store_add(s, &f, err, sizeof(err)), 0);
	CHECK_INT(store_remove(s, "front-desk", err, sizeof(err)), 0);
	CHECK_INT(store_remove(s, "front-desk", err, sizeof(err)), ENOENT);
	CHECK_INT(store_promote(s, "second", NULL, NULL, err, sizeof(err)), 0);
	CHECK_INT(store_rollback(s, 0, NULL, err, sizeof(err)), 0);
	CHECK_INT(store_replace_sandbox(s, &f, 1, err, sizeof(err)), 0);

	struct store_audit *a;
	size_t n;
	CHECK_INT(store_audit_list(s, 0, 100, &a, &n, err, sizeof(err)), 0);
	static const struct {
		const char *author, *action, *dest;
		int version;
		const char *detail;
	} want[] = {
	    {"alice", "import", NULL, 0,
	     "sandbox replaced by 1 destinations: 1 added, 0 changed, 1 removed"},
	    {"alice", "rollback", NULL, 1, "live: version 2 -> 1"},
	    {"alice", "promote", NULL, 2,
	     "version 2 from the sandbox (0 added, 0 changed, 0 removed against version 1): "
	     "second"},
	    {"alice", "rm", "front-desk", 0, "route: +14155550123"},
	    {"alice", "add", "front-desk", 0, "route: +14155550123"},
	    {"bob", "promote", NULL, 1,
	     "version 1 from the sandbox (1 added, 0 changed, 0 removed against version 0): "
	     "first"},
	    {"alice", "set", "billing", 0,
	     "route: sip:billing@pbx.example.com -> sip:billing-v2@pbx.example.com"},
	    {"alice", "add", "billing", 0,
	     "route: sip:billing@pbx.example.com; header X-Caller: $caller_id"},
	};
	CHECK_INT(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n && i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_STR(a[i].author, want[i].author);
		CHECK_STR(a[i].action, want[i].action);
		CHECK_STR(a[i].dest, want[i].dest);
		CHECK_INT(a[i].version, want[i].version);
		CHECK_STR(a[i].detail, want[i].detail);
		CHECK(a[i].at > 1700000000);
		if (i)
			CHECK(a[i].id < a[i - 1].id);
	}
	/* paging: the two before the newest */
	int64_t newest = n ? a[0].id : 0;
	store_audit_free(a, n);
	CHECK_INT(store_audit_list(s, newest, 2, &a, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(a[0].action, "rollback");
		CHECK_STR(a[1].action, "promote");
	}
	store_audit_free(a, n);
	/* another connection without an author */
	struct store *s2 = NULL;
	CHECK_INT(store_open(&s2, path, 0, err, sizeof(err)), 0);
	CHECK_INT(store_remove(s2, "front-desk", err, sizeof(err)), 0);
	CHECK_INT(store_audit_list(s2, 0, 1, &a, &n, err, sizeof(err)), 0);
	CHECK(n == 1 && strcmp(a[0].author, "unknown") == 0);
	store_audit_free(a, n);
	store_close(s2);
	store_close(s);
	free(path);
}

/* A database made by a build before the audit log (schema 1) opens, migrates and logs. */
static void migrates_schema_1(void)
{
	char *path = tb_db("old.db");
	char *sql = xasprintf("%s%s",
	                      "CREATE TABLE dests (version INTEGER NOT NULL, name TEXT NOT NULL,"
	                      " description TEXT, route TEXT NOT NULL, caller_id TEXT,"
	                      " timeout INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (version, name));"
	                      "CREATE TABLE headers (version INTEGER NOT NULL, dest TEXT NOT NULL,"
	                      " pos INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,"
	                      " PRIMARY KEY (version, dest, pos));"
	                      "CREATE TABLE versions (number INTEGER PRIMARY KEY, created INTEGER "
	                      "NOT NULL, message TEXT NOT NULL, author TEXT NOT NULL);"
	                      "CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	                      "INSERT INTO state VALUES ('live', 0), ('gen', 0), "
	                      "('sandbox_changed', 0), ('live_changed', 0);"
	                      "INSERT INTO dests VALUES (0, 'old', NULL, '+14155550100', NULL, 0);",
	                      tb_schema_sql(1));
	CHECK_INT(tb_sql(path, sql), 0);
	free(sql);
	char err[512];
	struct store *s = NULL;
	CHECK_INT(store_open(&s, path, 0, err, sizeof(err)), 0);
	store_set_author(s, "carol");
	CHECK_INT(store_remove(s, "old", err, sizeof(err)), 0);
	struct store_audit *a;
	size_t n;
	CHECK_INT(store_audit_list(s, 0, 10, &a, &n, err, sizeof(err)), 0);
	CHECK(n == 1 && strcmp(a[0].author, "carol") == 0 && strcmp(a[0].dest, "old") == 0);
	store_audit_free(a, n);
	store_close(s);
	free(path);
}

int main(void)
{
	static const struct tb_case cases[] = {
	    {"rows", rows, true},
	    {"migrates_schema_1", migrates_schema_1, true},
	    {NULL, NULL, false},
	};
	return tb_run(cases);
}

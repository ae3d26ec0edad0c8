/* backends: the store's unit tests run the same cases on both adapters: an SQLite file in a
 * temporary directory, and a database of a throwaway PostgreSQL cluster the test starts
 * (tests/e2e/pg.bash: initdb and pg_ctl in a temporary directory, a free loopback port)
 * and removes again. tb_db names a fresh store, tb_sql runs SQL on it behind the store's
 * back. */
#ifndef HANDOFF_TEST_BACKENDS_H
#define HANDOFF_TEST_BACKENDS_H

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "test.h"
#include "util/mem.h"

static char tb_dir[64];
static bool tb_pg;        /* the cases now run on PostgreSQL */
static bool tb_pg_up;     /* the cluster started */
static char tb_case[128]; /* "name@backend" */

static inline bool tb_file(void)
{
	return !tb_pg;
}

/* A command's first line of output (cut to cap), and whether it succeeded. */
static inline bool tb_cmd(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return false;
	out[0] = '\0';
	if (fgets(out, (int)cap, p))
		out[strcspn(out, "\n")] = '\0';
	char rest[256];
	while (fgets(rest, sizeof(rest), p))
		;
	return pclose(p) == 0;
}

/* A fresh store called name: a file path, or a new database's URL. */
static char *tb_db(const char *name)
{
	if (!tb_pg)
		return xasprintf("%s/%s", tb_dir, name);
	char db[64], url[512];
	size_t n = 0;
	for (const char *p = name; *p && n + 1 < sizeof(db); p++)
		db[n++] = isalnum((unsigned char)*p) ? *p : '_';
	db[n] = '\0';
	char *cmd = xasprintf("bash tests/e2e/pg.bash db '%s/pg' '%s' 2>&1", tb_dir, db);
	bool ok = tb_cmd(cmd, url, sizeof(url));
	free(cmd);
	if (!ok) {
		fprintf(stderr, "FAIL %s: cannot make database %s: %s\n", tb_case, db, url);
		test_failed++;
	}
	return xstrdup(url);
}

/* Runs sql on the store db names, behind the store's back: 0 when it went through. */
static inline int tb_sql(const char *db, const char *sql)
{
	if (!tb_pg) {
		sqlite3 *h;
		if (sqlite3_open(db, &h) != SQLITE_OK)
			return -1;
		int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
		sqlite3_close(h);
		return rc == SQLITE_OK ? 0 : -1;
	}
	PGconn *c = PQconnectdb(db);
	int rc = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		ExecStatusType st = PQresultStatus(r);
		rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
		if (rc)
			fprintf(stderr, "tb_sql: %s", PQerrorMessage(c));
		PQclear(r);
	}
	PQfinish(c);
	return rc;
}

/* The integer in the first column of sql's first row, read behind the store's back (-1:
 * none, or the query failed). */
static inline long long tb_int(const char *db, const char *sql)
{
	long long v = -1;
	if (!tb_pg) {
		sqlite3 *h;
		sqlite3_stmt *st;
		if (sqlite3_open(db, &h) == SQLITE_OK &&
		    sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW)
				v = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
		}
		sqlite3_close(h);
		return v;
	}
	PGconn *c = PQconnectdb(db);
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
		    !PQgetisnull(r, 0, 0))
			v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	PQfinish(c);
	return v;
}

/* The schema version as the store records it, read behind its back. */
static inline long long tb_schema(const char *db)
{
	return tb_int(db, tb_pg ? "SELECT value FROM state WHERE key = 'schema'"
	                        : "PRAGMA user_version");
}

/* SQL that sets the schema version to v behind the store's back. */
static const char *tb_schema_sql(int v)
{
	static char sql[128];
	if (tb_pg)
		snprintf(
		    sql, sizeof(sql),
		    "DELETE FROM state WHERE key = 'schema'; INSERT INTO state VALUES ('schema', "
		    "%d);",
		    v);
	else
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", v);
	return sql;
}

static inline bool tb_setup(void)
{
	snprintf(tb_dir, sizeof(tb_dir), "/tmp/handoff-test-store-XXXXXX");
	/* the cluster's owner (postgres, when we are root) goes through it */
	return mkdtemp(tb_dir) != NULL && chmod(tb_dir, 0711) == 0;
}

static inline bool tb_pg_start(void)
{
	char out[512];
	char *cmd = xasprintf("bash tests/e2e/pg.bash start '%s/pg' 2>&1", tb_dir);
	tb_pg_up = tb_cmd(cmd, out, sizeof(out));
	free(cmd);
	if (!tb_pg_up) {
		fprintf(stderr, "FAIL: cannot start a PostgreSQL cluster: %s\n", out);
		test_failed++;
	}
	return tb_pg_up;
}

static inline void tb_teardown(void)
{
	char out[256];
	if (tb_pg_up) {
		char *cmd = xasprintf("bash tests/e2e/pg.bash stop '%s/pg' 2>&1", tb_dir);
		tb_cmd(cmd, out, sizeof(out));
		free(cmd);
	}
	char *cmd = xasprintf("rm -rf '%s'", tb_dir);
	if (system(cmd) != 0)
		test_failed++;
	free(cmd);
}

/* Each case of the table on SQLite, then on PostgreSQL (those with both set), then the
 * summary line; returns the exit status. */
struct tb_case {
	const char *name;
	void (*fn)(void);
	bool both; /* false: the case is about neither adapter (run once) */
};

static inline int tb_run(const struct tb_case *cases)
{
	if (!tb_setup()) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	for (int pass = 0; pass < 2; pass++) {
		tb_pg = pass == 1;
		if (tb_pg && !tb_pg_start())
			break;
		for (const struct tb_case *t = cases; t->name; t++) {
			if (tb_pg && !t->both)
				continue;
			snprintf(tb_case, sizeof(tb_case), "%s@%s", t->name,
			         tb_pg ? "postgresql" : "sqlite");
			test_current = tb_case;
			t->fn();
		}
	}
	tb_teardown();
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif

/* store: the destinations database over SQLite (the only file that includes sqlite3.h). */
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/buf.h"
#include "util/mem.h"
#include "webhooks/dest_diff.h"

struct store {
	sqlite3 *db;
	char *path;
	char author[STORE_AUTHOR_MAX + 1]; /* who this connection's changes are by (the audit) */
};

/* The schema, one migration per version: migrations[i] takes the database
 * from user_version i to i + 1. Version 0 of `dests`/`headers` rows is the
 * sandbox; N > 0 is promoted version N, which is never modified afterwards. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE dests ("
    "  version INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  description TEXT,"
    "  route TEXT NOT NULL,"
    "  caller_id TEXT,"
    "  timeout INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (version, name));"
    "CREATE TABLE headers ("
    "  version INTEGER NOT NULL,"
    "  dest TEXT NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (version, dest, pos));"
    "CREATE TABLE versions ("
    "  number INTEGER PRIMARY KEY,"
    "  created INTEGER NOT NULL,"
    "  message TEXT NOT NULL,"
    "  author TEXT NOT NULL);"
    /* live: the live version (0 = none yet); gen: moves on every write;
     * sandbox_changed / live_changed: gen at each environment's last change */
    "CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO state VALUES ('live', 0), ('gen', 0), ('sandbox_changed', 0),"
    "  ('live_changed', 0);",
    /* 1 -> 2: the audit log: one row per change, written in the change's own transaction */
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at INTEGER NOT NULL,"
    "  author TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  dest TEXT,"
    "  version INTEGER,"
    "  detail TEXT NOT NULL);",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA,
               "STORE_SCHEMA is the number of migrations");

/* A test-only pause inside write transactions, so a test can kill the
 * process in the middle of one (HANDOFF_TEST_STALL_MS). */
static void test_stall(void)
{
	const char *s = getenv("HANDOFF_TEST_STALL_MS");
	if (s && *s) {
		long ms = strtol(s, NULL, 10);
		if (ms > 0 && ms <= 10000) {
			/* a marker the test waits for, so its kill lands inside the window */
			fprintf(stderr, "handoff: test stall %ld ms\n", ms);
			usleep((useconds_t)ms * 1000);
		}
	}
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Turns the connection's last SQLite error into an errno and one line. */
static int dberr(struct store *s, char *err, size_t errlen)
{
	int code = sqlite3_extended_errcode(s->db);
	int sys = sqlite3_system_errno(s->db);
	int prim = code & 0xff;
	if (prim == SQLITE_READONLY ||
	    (prim == SQLITE_CANTOPEN && (sys == EACCES || sys == EROFS)) || sys == EROFS ||
	    (prim == SQLITE_IOERR && sys == EACCES)) {
		seterr(err, errlen,
		       "%s is read-only: check the permissions of the file and its directory "
		       "(nothing was changed)",
		       s->path);
		return EROFS;
	}
	/* SQLite reads errno late (after cleanup calls), so a failed write may
	 * show up with a stale system errno: the extended code says "write". */
	if (prim == SQLITE_FULL || sys == ENOSPC || sys == EFBIG || sys == EDQUOT ||
	    code == SQLITE_IOERR_WRITE || code == SQLITE_IOERR_TRUNCATE ||
	    code == SQLITE_IOERR_SHMSIZE) {
		seterr(err, errlen,
		       "%s: no space left to write (disk full or file size limit): nothing was "
		       "changed",
		       s->path);
		return ENOSPC;
	}
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
		seterr(err, errlen, "%s is busy: another process holds a write lock; try again",
		       s->path);
		return EBUSY;
	}
	if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT) {
		seterr(err, errlen, "%s is not a handoff database (%s)", s->path,
		       sqlite3_errmsg(s->db));
		return EBADMSG;
	}
	if (prim == SQLITE_CANTOPEN) {
		seterr(err, errlen, "cannot open %s: %s", s->path, sys ? strerror(sys) : "unknown");
		return sys ? sys : EIO;
	}
	seterr(err, errlen, "%s: %s (SQLite code %d)", s->path, sqlite3_errmsg(s->db), code);
	return EIO;
}

static int exec(struct store *s, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(s, err, errlen);
	return 0;
}

static int prep(struct store *s, sqlite3_stmt **st, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return dberr(s, err, errlen);
	return 0;
}

/* Runs a statement to completion; the statement is finalized. */
static int step_done(struct store *s, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);
	int out = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		out = dberr(s, err, errlen);
	sqlite3_finalize(st);
	return out;
}

/* One integer from a query (or dflt when it has no row). */
static int query_int(struct store *s, const char *sql, int64_t arg, int64_t dflt, int64_t *out,
                     char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, sql, err, errlen);
	if (rc)
		return rc;
	if (strchr(sql, '?'))
		sqlite3_bind_int64(st, 1, arg);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*out =
		    sqlite3_column_type(st, 0) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, 0);
	else if (r == SQLITE_DONE)
		*out = dflt;
	else
		rc = dberr(s, err, errlen);
	sqlite3_finalize(st);
	return rc;
}

static int state_get(struct store *s, const char *key, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, "SELECT value FROM state WHERE key = ?1", err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	*out = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = dberr(s, err, errlen);
	sqlite3_finalize(st);
	return rc;
}

static int state_set(struct store *s, const char *key, int64_t v, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, "UPDATE state SET value = ?2 WHERE key = ?1", err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return step_done(s, st, err, errlen);
}

/* Moves the generation counter and stamps the environments that changed. */
static int bump(struct store *s, bool sandbox, bool live, char *err, size_t errlen)
{
	int64_t gen;
	int rc = state_get(s, "gen", &gen, err, errlen);
	if (!rc)
		rc = state_set(s, "gen", ++gen, err, errlen);
	if (!rc && sandbox)
		rc = state_set(s, "sandbox_changed", gen, err, errlen);
	if (!rc && live)
		rc = state_set(s, "live_changed", gen, err, errlen);
	return rc;
}

static int begin_write(struct store *s, char *err, size_t errlen)
{
	return exec(s, "BEGIN IMMEDIATE", err, errlen);
}

/* Commits when rc is 0, else rolls back; returns the first error. */
static int finish(struct store *s, int rc, char *err, size_t errlen)
{
	if (rc == 0) {
		if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
			return 0;
		rc = dberr(s, err, errlen);
	}
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int migrate(struct store *s, char *err, size_t errlen)
{
	int64_t v;
	int rc = query_int(s, "PRAGMA user_version", 0, 0, &v, err, errlen);
	if (rc)
		return rc;
	if (v == NMIGRATIONS)
		return 0;
	if (v > NMIGRATIONS) {
		seterr(err, errlen,
		       "%s has schema version %lld, newer than this handoff knows (%d): upgrade "
		       "handoff",
		       s->path, (long long)v, NMIGRATIONS);
		return EBADMSG;
	}
	if ((rc = begin_write(s, err, errlen)))
		return rc;
	/* read again under the write lock: another process may have migrated */
	rc = query_int(s, "PRAGMA user_version", 0, 0, &v, err, errlen);
	for (int64_t i = v; !rc && i < NMIGRATIONS; i++)
		rc = exec(s, migrations[i], err, errlen);
	if (!rc && v < NMIGRATIONS) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", NMIGRATIONS);
		rc = exec(s, sql, err, errlen);
	}
	return finish(s, rc, err, errlen);
}

int store_open(struct store **sp, const char *path, int flags, char *err, size_t errlen)
{
	struct stat sb;
	if (!(flags & STORE_CREATE) && stat(path, &sb) != 0) {
		seterr(err, errlen, "no database at %s: add a destination or import a file first",
		       path);
		return ENOENT;
	}
	struct store *s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	snprintf(s->author, sizeof(s->author), "unknown");
	int rc = 0;
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
	             ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		rc = s->db ? dberr(s, err, errlen) : ENOMEM;
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	int64_t v;
	/* reading the header first tells a foreign file from a handoff one */
	if ((rc = query_int(s, "PRAGMA user_version", 0, 0, &v, err, errlen)))
		goto out;
	char mode[16] = "";
	sqlite3_stmt *st;
	if ((rc = prep(s, &st, "PRAGMA journal_mode = WAL", err, errlen)))
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (strcasecmp(mode, "wal") != 0) {
		rc = dberr(s, err, errlen);
		if (rc == EIO)
			seterr(err, errlen, "%s: cannot switch to WAL mode (%s)", path, mode);
		goto out;
	}
	/* FULL: a promote acknowledged is a promote on disk, even on power loss */
	if ((rc = exec(s, "PRAGMA synchronous = FULL", err, errlen)) ||
	    (rc = migrate(s, err, errlen)))
		goto out;
	*sp = s;
	return 0;
out:
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dest *)a)->name, ((const struct dest *)b)->name);
}

/* Reads version v's destinations (inside the caller's transaction). */
static int read_set(struct store *s, int64_t v, struct dest_set **out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st,
	              "SELECT name, description, route, caller_id, timeout FROM dests "
	              "WHERE version = ?1 ORDER BY name",
	              err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, v);
	struct dest *dests = NULL;
	size_t n = 0, cap = 0;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			dests = xreallocarray(dests, cap, sizeof(*dests));
		}
		struct dest *d = &dests[n++];
		memset(d, 0, sizeof(*d));
		d->name = col_dup(st, 0);
		d->description = col_dup(st, 1);
		d->route = col_dup(st, 2);
		d->caller_id = col_dup(st, 3);
		d->timeout = sqlite3_column_int(st, 4);
	}
	if (r != SQLITE_DONE)
		rc = dberr(s, err, errlen);
	sqlite3_finalize(st);
	if (!rc)
		rc = prep(s, &st,
		          "SELECT dest, name, value FROM headers WHERE version = ?1 "
		          "ORDER BY dest, pos",
		          err, errlen);
	if (rc) {
		dest_set_release(dest_set_adopt(dests, n));
		return rc;
	}
	sqlite3_bind_int64(st, 1, v);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		/* ORDER BY name is byte order, as by_name's strcmp */
		struct dest key = {.name = (char *)sqlite3_column_text(st, 0)};
		struct dest *d = key.name ? bsearch(&key, dests, n, sizeof(*dests), by_name) : NULL;
		if (!d || d->nheaders >= DEST_MAX_HEADERS)
			continue;
		d->headers = xreallocarray(d->headers, d->nheaders + 1, sizeof(*d->headers));
		d->headers[d->nheaders].name = col_dup(st, 1);
		d->headers[d->nheaders].value = col_dup(st, 2);
		d->nheaders++;
	}
	if (r != SQLITE_DONE)
		rc = dberr(s, err, errlen);
	sqlite3_finalize(st);
	struct dest_set *set = dest_set_adopt(dests, n);
	if (rc) {
		dest_set_release(set);
		return rc;
	}
	*out = set;
	return 0;
}

/* Reads an environment inside the caller's transaction. */
static int read_env(struct store *s, enum dest_env env, struct dest_set **out, char *err,
                    size_t errlen)
{
	int64_t live = 0, changed = 0;
	int rc = state_get(s, "live", &live, err, errlen);
	if (!rc)
		rc = state_get(s, env == DEST_LIVE ? "live_changed" : "sandbox_changed", &changed,
		               err, errlen);
	int64_t v = env == DEST_LIVE ? live : 0;
	struct dest_set *set = NULL;
	if (!rc && env == DEST_LIVE && live == 0) {
		set = dest_set_new(NULL, 0); /* nothing promoted yet */
	} else if (!rc) {
		rc = read_set(s, v, &set, err, errlen);
	}
	if (rc)
		return rc;
	set->version = (int)v;
	set->changed = changed;
	*out = set;
	return 0;
}

int store_load(struct store *s, enum dest_env env, struct dest_set **out, char *err, size_t errlen)
{
	int rc = exec(s, "BEGIN", err, errlen);
	if (rc)
		return rc;
	rc = read_env(s, env, out, err, errlen);
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

int store_load_version(struct store *s, int n, struct dest_set **out, char *err, size_t errlen)
{
	int rc = exec(s, "BEGIN", err, errlen);
	if (rc)
		return rc;
	int64_t found = 0;
	rc = query_int(s, "SELECT count(*) FROM versions WHERE number = ?", n, 0, &found, err,
	               errlen);
	if (!rc && !found) {
		seterr(err, errlen, "there is no version %d: see 'handoff versions'", n);
		rc = ENOENT;
	}
	if (!rc)
		rc = read_set(s, n, out, err, errlen);
	if (!rc)
		(*out)->version = n;
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/* --- sandbox edits --- */

static int insert_dest(struct store *s, int64_t v, const struct dest *d, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st,
	              "INSERT INTO dests (version, name, description, route, caller_id, timeout) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	              err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->route, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->caller_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, d->timeout);
	if ((rc = step_done(s, st, err, errlen)))
		return rc;
	for (size_t i = 0; i < d->nheaders; i++) {
		if ((rc = prep(s, &st,
		               "INSERT INTO headers (version, dest, pos, name, value) "
		               "VALUES (?1, ?2, ?3, ?4, ?5)",
		               err, errlen)))
			return rc;
		sqlite3_bind_int64(st, 1, v);
		sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)i);
		sqlite3_bind_text(st, 4, d->headers[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, d->headers[i].value ? d->headers[i].value : "", -1,
		                  SQLITE_STATIC);
		if ((rc = step_done(s, st, err, errlen)))
			return rc;
	}
	return 0;
}

static int delete_dest(struct store *s, const char *name, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, "DELETE FROM dests WHERE version = 0 AND name = ?1", err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = step_done(s, st, err, errlen)))
		return rc;
	if ((rc = prep(s, &st, "DELETE FROM headers WHERE version = 0 AND dest = ?1", err, errlen)))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return step_done(s, st, err, errlen);
}

static int sandbox_has(struct store *s, const char *name, bool *has, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, "SELECT 1 FROM dests WHERE version = 0 AND name = ?1 COLLATE NOCASE",
	              err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	*has = r == SQLITE_ROW;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = dberr(s, err, errlen);
	sqlite3_finalize(st);
	return rc;
}

static int validate(const struct dest *d, char *err, size_t errlen)
{
	struct dest_error e;
	if (dest_validate(d, &e)) {
		seterr(err, errlen, "%s", e.msg);
		return EINVAL;
	}
	return 0;
}

/* --- the audit log: a row per change, inside the change's own transaction --- */

void store_set_author(struct store *s, const char *author)
{
	snprintf(s->author, sizeof(s->author), "%s", author && *author ? author : "unknown");
}

static int audit_write(struct store *s, const char *author, const char *action, const char *dest,
                       int64_t version, const char *detail, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st,
	              "INSERT INTO audit (at, author, action, dest, version, detail) "
	              "VALUES (?1, substr(?2, 1, ?3), ?4, ?5, ?6, substr(?7, 1, ?8))",
	              err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
	sqlite3_bind_text(st, 2, author && *author ? author : "unknown", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, STORE_AUTHOR_MAX);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, dest, -1, SQLITE_STATIC);
	if (version > 0)
		sqlite3_bind_int64(st, 6, version);
	sqlite3_bind_text(st, 7, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, STORE_AUDIT_DETAIL_MAX);
	return step_done(s, st, err, errlen);
}

static int read_set(struct store *s, int64_t v, struct dest_set **out, char *err, size_t errlen);

/* add/set/rm of d (the new one; for rm only its name): the fields that change. */
static int audit_edit(struct store *s, const char *action, const struct dest *d, char *err,
                      size_t errlen)
{
	struct dest_set *old = NULL;
	int rc = read_set(s, 0, &old, err, errlen);
	if (rc)
		return rc;
	const struct dest *was = dest_set_find(old, str_c(d->name));
	struct buf detail;
	buf_init(&detail, STORE_AUDIT_DETAIL_MAX * 2);
	if (strcmp(action, "rm") == 0)
		dest_diff_text(was, NULL, &detail);
	else
		dest_diff_text(strcmp(action, "add") == 0 ? NULL : was, d, &detail);
	rc = audit_write(s, s->author, action, was ? was->name : d->name, 0, buf_str(&detail), err,
	                 errlen);
	buf_free(&detail);
	dest_set_release(old);
	return rc;
}

static int audit_import(struct store *s, const struct dest *d, size_t n, char *err, size_t errlen)
{
	struct dest_set *old = NULL;
	int rc = read_set(s, 0, &old, err, errlen);
	if (rc)
		return rc;
	struct buf detail;
	buf_init(&detail, STORE_AUDIT_DETAIL_MAX);
	buf_printf(&detail, "sandbox replaced by %zu destinations: ", n);
	dest_set_changes_text(old, d, n, &detail);
	rc = audit_write(s, s->author, "import", NULL, 0, buf_str(&detail), err, errlen);
	buf_free(&detail);
	dest_set_release(old);
	return rc;
}

static int audit_promote(struct store *s, int64_t n, const char *message, const char *author,
                         char *err, size_t errlen)
{
	int64_t live = 0;
	struct dest_set *was = NULL, *now = NULL;
	int rc = state_get(s, "live", &live, err, errlen);
	if (!rc)
		rc = live ? read_set(s, live, &was, err, errlen) : 0;
	if (!rc && !was)
		was = dest_set_new(NULL, 0);
	if (!rc)
		rc = read_set(s, 0, &now, err, errlen);
	if (!rc) {
		struct buf detail;
		buf_init(&detail, STORE_AUDIT_DETAIL_MAX);
		buf_printf(&detail, "version %lld from the sandbox (", (long long)n);
		dest_set_changes_text(was, now->dests, now->n, &detail);
		buf_printf(&detail, " against version %lld): %s", (long long)live,
		           message && *message ? message : "(no message)");
		rc = audit_write(s, author && *author ? author : s->author, "promote", NULL, n,
		                 buf_str(&detail), err, errlen);
		buf_free(&detail);
	}
	dest_set_release(was);
	dest_set_release(now);
	return rc;
}

int store_audit_list(struct store *s, int64_t before, size_t max, struct store_audit **out,
                     size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (max > STORE_AUDIT_PAGE_MAX)
		max = STORE_AUDIT_PAGE_MAX;
	int rc = prep(s, &st,
	              "SELECT id, at, author, action, dest, version, detail FROM audit "
	              "WHERE ?1 <= 0 OR id < ?1 ORDER BY id DESC LIMIT ?2",
	              err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	struct store_audit *v = NULL;
	size_t len = 0, cap = 0;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 32;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		struct store_audit *e = &v[len++];
		e->id = sqlite3_column_int64(st, 0);
		e->at = sqlite3_column_int64(st, 1);
		e->author = col_dup(st, 2);
		e->action = col_dup(st, 3);
		e->dest = col_dup(st, 4);
		e->version = sqlite3_column_int(st, 5);
		e->detail = col_dup(st, 6);
	}
	if (r != SQLITE_DONE)
		rc = dberr(s, err, errlen);
	sqlite3_finalize(st);
	if (rc) {
		store_audit_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

void store_audit_free(struct store_audit *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].author);
		free(v[i].action);
		free(v[i].dest);
		free(v[i].detail);
	}
	free(v);
}

/* if_changed >= 0: write only when the sandbox is still at that generation. */
static int put(struct store *s, const struct dest *d, bool add, int64_t if_changed, char *err,
               size_t errlen)
{
	int rc = validate(d, err, errlen);
	if (rc || (rc = begin_write(s, err, errlen)))
		return rc;
	bool has = false;
	int64_t count = 0, changed = 0;
	if (if_changed >= 0) {
		rc = state_get(s, "sandbox_changed", &changed, err, errlen);
		if (!rc && changed != if_changed) {
			seterr(err, errlen,
			       "the sandbox changed while %s was being edited: try again", d->name);
			rc = EAGAIN;
		}
	}
	if (!rc)
		rc = sandbox_has(s, d->name, &has, err, errlen);
	if (!rc && add && has) {
		seterr(err, errlen,
		       "%s already exists in the sandbox: change it with 'handoff dest set'",
		       d->name);
		rc = EEXIST;
	} else if (!rc && !add && !has) {
		seterr(err, errlen, "no destination %s in the sandbox: see 'handoff dest list'",
		       d->name);
		rc = ENOENT;
	}
	if (!rc && add)
		rc = query_int(s, "SELECT count(*) FROM dests WHERE version = 0", 0, 0, &count, err,
		               errlen);
	if (!rc && count >= STORE_MAX_DESTS) {
		seterr(err, errlen,
		       "the sandbox holds %d destinations, the limit: remove one first",
		       STORE_MAX_DESTS);
		rc = E2BIG;
	}
	if (!rc)
		rc = audit_edit(s, add ? "add" : "set", d, err, errlen);
	if (!rc && !add)
		rc = delete_dest(s, d->name, err, errlen);
	if (!rc) {
		test_stall();
		rc = insert_dest(s, 0, d, err, errlen);
	}
	if (!rc)
		rc = bump(s, true, false, err, errlen);
	return finish(s, rc, err, errlen);
}

int store_add(struct store *s, const struct dest *d, char *err, size_t errlen)
{
	return put(s, d, true, -1, err, errlen);
}

int store_update(struct store *s, const struct dest *d, char *err, size_t errlen)
{
	return put(s, d, false, -1, err, errlen);
}

int store_update_if(struct store *s, const struct dest *d, int64_t changed, char *err,
                    size_t errlen)
{
	return put(s, d, false, changed, err, errlen);
}

int store_remove(struct store *s, const char *name, char *err, size_t errlen)
{
	int rc = begin_write(s, err, errlen);
	if (rc)
		return rc;
	bool has = false;
	rc = sandbox_has(s, name, &has, err, errlen);
	if (!rc && !has) {
		seterr(err, errlen, "no destination %s in the sandbox: see 'handoff dest list'",
		       name);
		rc = ENOENT;
	}
	if (!rc)
		rc = audit_edit(s, "rm", &(struct dest){.name = (char *)name}, err, errlen);
	if (!rc)
		rc = delete_dest(s, name, err, errlen);
	if (!rc)
		rc = bump(s, true, false, err, errlen);
	return finish(s, rc, err, errlen);
}

int store_replace_sandbox(struct store *s, const struct dest *d, size_t n, char *err, size_t errlen)
{
	struct dest_error e;
	if (n > STORE_MAX_DESTS) {
		seterr(err, errlen, "%zu destinations, over the limit of %d", n, STORE_MAX_DESTS);
		return E2BIG;
	}
	if (dest_validate_set(d, n, &e)) {
		seterr(err, errlen, "%s", e.msg);
		return EINVAL;
	}
	int rc = begin_write(s, err, errlen);
	if (rc)
		return rc;
	rc = audit_import(s, d, n, err, errlen);
	if (!rc)
		rc = exec(
		    s, "DELETE FROM dests WHERE version = 0; DELETE FROM headers WHERE version = 0",
		    err, errlen);
	for (size_t i = 0; !rc && i < n; i++) {
		if (i == n / 2)
			test_stall(); /* half the new set written, the old one gone */
		rc = insert_dest(s, 0, &d[i], err, errlen);
	}
	if (!rc)
		rc = bump(s, true, false, err, errlen);
	return finish(s, rc, err, errlen);
}

/* --- versions --- */

int store_promote(struct store *s, const char *message, const char *author, int *version, char *err,
                  size_t errlen)
{
	int rc = begin_write(s, err, errlen);
	if (rc)
		return rc;
	int64_t n = 0;
	rc = query_int(s, "SELECT max(number) FROM versions", 0, 0, &n, err, errlen);
	n++;
	if (!rc && n > STORE_MAX_VERSIONS) {
		seterr(err, errlen, "%d versions, the limit", STORE_MAX_VERSIONS);
		rc = E2BIG;
	}
	sqlite3_stmt *st;
	if (!rc && !(rc = prep(s, &st,
	                       "INSERT INTO dests (version, name, description, route, caller_id, "
	                       "timeout) SELECT ?1, name, description, route, caller_id, timeout "
	                       "FROM dests WHERE version = 0",
	                       err, errlen))) {
		sqlite3_bind_int64(st, 1, n);
		rc = step_done(s, st, err, errlen);
	}
	if (!rc)
		test_stall(); /* the destinations copied, not yet their headers */
	if (!rc && !(rc = prep(s, &st,
	                       "INSERT INTO headers (version, dest, pos, name, value) "
	                       "SELECT ?1, dest, pos, name, value FROM headers WHERE version = 0",
	                       err, errlen))) {
		sqlite3_bind_int64(st, 1, n);
		rc = step_done(s, st, err, errlen);
	}
	if (!rc && !(rc = prep(s, &st,
	                       "INSERT INTO versions (number, created, message, author) "
	                       "VALUES (?1, ?2, substr(?3, 1, ?4), substr(?5, 1, ?6))",
	                       err, errlen))) {
		sqlite3_bind_int64(st, 1, n);
		sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
		sqlite3_bind_text(st, 3, message ? message : "", -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, STORE_MESSAGE_MAX);
		sqlite3_bind_text(st, 5, author ? author : "unknown", -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, STORE_AUTHOR_MAX);
		rc = step_done(s, st, err, errlen);
	}
	if (!rc)
		rc = audit_promote(s, n, message, author, err, errlen);
	if (!rc)
		rc = state_set(s, "live", n, err, errlen);
	if (!rc)
		rc = bump(s, false, true, err, errlen);
	rc = finish(s, rc, err, errlen);
	if (!rc && version)
		*version = (int)n;
	return rc;
}

int store_rollback(struct store *s, int n, int *now, char *err, size_t errlen)
{
	int rc = begin_write(s, err, errlen);
	if (rc)
		return rc;
	int64_t live = 0, target = n, found = 0;
	rc = state_get(s, "live", &live, err, errlen);
	if (!rc && n == 0) {
		rc = query_int(s, "SELECT max(number) FROM versions WHERE number < ?", live, 0,
		               &target, err, errlen);
		if (!rc && target == 0) {
			if (live)
				seterr(err, errlen,
				       "version %lld is the oldest: nothing to roll back to",
				       (long long)live);
			else
				seterr(err, errlen,
				       "nothing was promoted yet: run 'handoff promote'");
			rc = ENOENT;
		}
	}
	if (!rc)
		rc = query_int(s, "SELECT count(*) FROM versions WHERE number = ?", target, 0,
		               &found, err, errlen);
	if (!rc && !found) {
		seterr(err, errlen, "there is no version %lld: see 'handoff versions'",
		       (long long)target);
		rc = ENOENT;
	}
	if (!rc && target == live) {
		seterr(err, errlen, "version %lld is already live", (long long)live);
		rc = EALREADY;
	}
	if (!rc) {
		char detail[96];
		snprintf(detail, sizeof(detail), "live: version %lld -> %lld", (long long)live,
		         (long long)target);
		rc = audit_write(s, s->author, "rollback", NULL, target, detail, err, errlen);
	}
	if (!rc)
		rc = state_set(s, "live", target, err, errlen);
	if (!rc)
		rc = bump(s, false, true, err, errlen);
	rc = finish(s, rc, err, errlen);
	if (!rc && now)
		*now = (int)target;
	return rc;
}

int store_versions(struct store *s, struct store_version **out, size_t *n, char *err, size_t errlen)
{
	int rc = exec(s, "BEGIN", err, errlen);
	if (rc)
		return rc;
	int64_t live = 0;
	rc = state_get(s, "live", &live, err, errlen);
	sqlite3_stmt *st = NULL;
	if (!rc)
		rc = prep(s, &st,
		          "SELECT number, created, message, author, "
		          "(SELECT count(*) FROM dests WHERE version = number) "
		          "FROM versions ORDER BY number",
		          err, errlen);
	struct store_version *v = NULL;
	size_t len = 0, cap = 0;
	int r;
	while (!rc && (r = sqlite3_step(st)) != SQLITE_DONE) {
		if (r != SQLITE_ROW) {
			rc = dberr(s, err, errlen);
			break;
		}
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		struct store_version *e = &v[len++];
		e->number = sqlite3_column_int(st, 0);
		e->created = sqlite3_column_int64(st, 1);
		e->message = col_dup(st, 2);
		e->author = col_dup(st, 3);
		e->ndests = (size_t)sqlite3_column_int64(st, 4);
		e->live = e->number == live;
	}
	sqlite3_finalize(st);
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		store_versions_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

void store_versions_free(struct store_version *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].message);
		free(v[i].author);
	}
	free(v);
}

/* --- what a watcher reads --- */

/* Loads both environments in one read transaction: one committed state. */
int store_load_both(struct store *s, struct dest_set *sets[2], char *err, size_t errlen)
{
	int rc = exec(s, "BEGIN", err, errlen);
	if (rc)
		return rc;
	rc = read_env(s, DEST_SANDBOX, &sets[0], err, errlen);
	if (!rc && (rc = read_env(s, DEST_LIVE, &sets[1], err, errlen)))
		dest_set_release(sets[0]);
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

int store_data_version(struct store *s, int64_t *out, char *err, size_t errlen)
{
	/* data_version moves when another connection commits */
	return query_int(s, "PRAGMA data_version", 0, 0, out, err, errlen);
}

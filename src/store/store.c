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

#include "store/store_int.h"
#include "store/zones.h"
#include "util/mem.h"
#include "webhooks/dest_diff.h"

/* Turns the connection's last SQLite error into an errno and one line. */
static int dberr(struct store *s, char *err, size_t errlen)
{
	int code = sqlite3_extended_errcode(s->db);
	int sys = sqlite3_system_errno(s->db);
	int prim = code & 0xff;
	if (prim == SQLITE_READONLY ||
	    (prim == SQLITE_CANTOPEN && (sys == EACCES || sys == EROFS)) || sys == EROFS ||
	    (prim == SQLITE_IOERR && sys == EACCES)) {
		store_seterr(err, errlen,
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
		store_seterr(
		    err, errlen,
		    "%s: no space left to write (disk full or file size limit): nothing was "
		    "changed",
		    s->path);
		return ENOSPC;
	}
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
		store_seterr(err, errlen,
		             "%s is busy: another process holds a write lock; try again", s->path);
		return EBUSY;
	}
	if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT) {
		store_seterr(err, errlen, "%s is not a handoff database (%s)", s->path,
		             sqlite3_errmsg(s->db));
		return EBADMSG;
	}
	if (prim == SQLITE_CANTOPEN) {
		store_seterr(err, errlen, "cannot open %s: %s", s->path,
		             sys ? strerror(sys) : "unknown");
		return sys ? sys : EIO;
	}
	store_seterr(err, errlen, "%s: %s (SQLite code %d)", s->path, sqlite3_errmsg(s->db), code);
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
/* Binds ?1, ?2, ... in order by types: 'i' an int64_t, 't' a text (const char *; NULL binds
 * NULL), 'T' a text that must not be NULL ("" for NULL). */
static void bind_all(sqlite3_stmt *st, const char *types, va_list ap)
{
	for (int i = 0; types[i]; i++) {
		if (types[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else {
			const char *t = va_arg(ap, const char *);
			sqlite3_bind_text(st, i + 1, t || types[i] == 't' ? t : "", -1,
			                  SQLITE_STATIC);
		}
	}
}

/* The integer in the first column of the first row of sql (no row, or NULL: dflt). */
static int get_int(struct store *s, int64_t dflt, int64_t *out, char *err, size_t errlen,
                   const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, sql, err, errlen);
	if (rc)
		return rc;
	va_list ap;
	va_start(ap, types);
	bind_all(st, types, ap);
	va_end(ap);
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

/* Runs sql (parameters as bind_all) and hands each row to row(ctx, st). */
static int each_row(struct store *s, char *err, size_t errlen,
                    void (*row)(void *ctx, sqlite3_stmt *st), void *ctx, const char *sql,
                    const char *types, ...)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, sql, err, errlen);
	if (rc)
		return rc;
	va_list ap;
	va_start(ap, types);
	bind_all(st, types, ap);
	va_end(ap);
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		row(ctx, st);
	if (r != SQLITE_DONE)
		rc = dberr(s, err, errlen);
	sqlite3_finalize(st);
	return rc;
}

/* A growable array of rows: the next element (zeroed), the array doubled when full. */
struct rows {
	void *v;
	size_t n, cap, size;
};

static void *next_row(struct rows *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->v = xreallocarray(r->v, r->cap, r->size);
	}
	void *e = (char *)r->v + r->n++ * r->size;
	memset(e, 0, r->size);
	return e;
}

static int state_get(struct store *s, const char *key, int64_t *out, char *err, size_t errlen)
{
	return get_int(s, 0, out, err, errlen, "SELECT value FROM state WHERE key = ?1", "t", key);
}

/* Runs one statement that returns no rows, its parameters bound as bind_all says. */
static int run(struct store *s, char *err, size_t errlen, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, sql, err, errlen);
	if (rc)
		return rc;
	va_list ap;
	va_start(ap, types);
	bind_all(st, types, ap);
	va_end(ap);
	return step_done(s, st, err, errlen);
}

static int state_set(struct store *s, const char *key, int64_t v, char *err, size_t errlen)
{
	return run(s, err, errlen, "UPDATE state SET value = ?2 WHERE key = ?1", "ti", key, v);
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
	int rc = get_int(s, 0, &v, err, errlen, "PRAGMA user_version", "");
	if (rc)
		return rc;
	if (v == STORE_SCHEMA)
		return 0;
	if (v > STORE_SCHEMA) {
		store_seterr(
		    err, errlen,
		    "%s has schema version %lld, newer than this handoff knows (%d): upgrade "
		    "handoff",
		    s->path, (long long)v, STORE_SCHEMA);
		return EBADMSG;
	}
	if ((rc = begin_write(s, err, errlen)))
		return rc;
	/* read again under the write lock: another process may have migrated */
	rc = get_int(s, 0, &v, err, errlen, "PRAGMA user_version", "");
	for (int64_t i = v; !rc && i < STORE_SCHEMA; i++)
		rc = exec(s, store_migrations[i], err, errlen);
	if (!rc && v < STORE_SCHEMA) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA);
		rc = exec(s, sql, err, errlen);
	}
	return finish(s, rc, err, errlen);
}

int store_open(struct store **sp, const char *path, int flags, char *err, size_t errlen)
{
	struct stat sb;
	bool existed = stat(path, &sb) == 0;
	if (!(flags & STORE_CREATE) && !existed) {
		store_seterr(
		    err, errlen,
		    "no database at %s: create one with 'handoff import FILE' or 'handoff dest "
		    "add'",
		    path);
		return ENOENT;
	}
	struct store *s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->created = !existed;
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
	if ((rc = get_int(s, 0, &v, err, errlen, "PRAGMA user_version", "")))
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
			store_seterr(err, errlen, "%s: cannot switch to WAL mode (%s)", path, mode);
		goto out;
	}
	/* FULL: a promote acknowledged is a promote on disk, even on power loss */
	if ((rc = exec(s, "PRAGMA synchronous = FULL", err, errlen)) ||
	    (rc = migrate(s, err, errlen)))
		goto out;
	stat(path, &s->file);
	*sp = s;
	return 0;
out:
	if (s->created)
		store_discard(s); /* a failed open leaves no new file behind */
	else
		store_close(s);
	return rc;
}

void store_db_close(struct store *s)
{
	sqlite3_close(s->db);
	s->db = NULL;
}

void store_db_checkpoint(struct store *s)
{
	/* no waiting: a busy WAL is someone else's */
	sqlite3_busy_timeout(s->db, 0);
	sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
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

/* Runs sql (one parameter: the version v) and hands each row whose first column names
 * one of dests (n, sorted by name) to row, inside the caller's transaction. */
struct dest_rows {
	struct dest *dests;
	size_t n;
	void (*row)(struct dest *d, sqlite3_stmt *st);
};

static void dest_row(void *ctx, sqlite3_stmt *st)
{
	struct dest_rows *dr = ctx;
	/* ORDER BY name is byte order, as by_name's strcmp */
	struct dest key = {.name = (char *)sqlite3_column_text(st, 0)};
	struct dest *d =
	    key.name ? bsearch(&key, dr->dests, dr->n, sizeof(*dr->dests), by_name) : NULL;
	if (d)
		dr->row(d, st);
}

static int each_dest_row(struct store *s, const char *sql, int64_t v, struct dest *dests, size_t n,
                         void (*row)(struct dest *d, sqlite3_stmt *st), char *err, size_t errlen)
{
	struct dest_rows dr = {dests, n, row};
	return each_row(s, err, errlen, dest_row, &dr, sql, "i", v);
}

/* headers (dest, name, value): in pos order */
static void header_row(struct dest *d, sqlite3_stmt *st)
{
	if (d->nheaders >= DEST_MAX_HEADERS)
		return;
	d->headers = xreallocarray(d->headers, d->nheaders + 1, sizeof(*d->headers));
	d->headers[d->nheaders].name = col_dup(st, 1);
	d->headers[d->nheaders].value = col_dup(st, 2);
	d->nheaders++;
}

/* failover (dest, route): the routes tried in pos order */
static void failover_row(struct dest *d, sqlite3_stmt *st)
{
	if (d->nfailover >= DEST_MAX_FAILOVER)
		return;
	d->failover = xreallocarray(d->failover, d->nfailover + 1, sizeof(*d->failover));
	d->failover[d->nfailover++] = col_dup(st, 1);
}

/* hours (dest, tz, otherwise, open, closed): a range or date that does not parse is
 * skipped (only a hand-edited file has one) */
static void hours_row(struct dest *d, sqlite3_stmt *st)
{
	d->hours.tz = col_dup(st, 1);
	d->hours.otherwise = col_dup(st, 2);
	hours_parse_lists(&d->hours, (const char *)sqlite3_column_text(st, 3),
	                  (const char *)sqlite3_column_text(st, 4));
}

static void dest_of_row(void *ctx, sqlite3_stmt *st)
{
	struct dest *d = next_row(ctx);
	d->name = col_dup(st, 0);
	d->description = col_dup(st, 1);
	d->route = col_dup(st, 2);
	d->caller_id = col_dup(st, 3);
	d->timeout = sqlite3_column_int(st, 4);
}

/* Reads version v's destinations (inside the caller's transaction); zones: attach each
 * destination's zone (what a snapshot that answers needs; a check does not). */
static int read_set_z(struct store *s, int64_t v, bool zones, struct dest_set **out, char *err,
                      size_t errlen)
{
	struct rows rows = {.size = sizeof(struct dest)};
	int rc = each_row(s, err, errlen, dest_of_row, &rows,
	                  "SELECT name, description, route, caller_id, timeout FROM dests "
	                  "WHERE version = ?1 ORDER BY name",
	                  "i", v);
	struct dest *dests = rows.v;
	size_t n = rows.n;
	if (!rc)
		rc = each_dest_row(s,
		                   "SELECT dest, name, value FROM headers WHERE version = ?1 "
		                   "ORDER BY dest, pos",
		                   v, dests, n, header_row, err, errlen);
	if (!rc)
		rc = each_dest_row(s,
		                   "SELECT dest, route FROM failover WHERE version = ?1 ORDER BY "
		                   "dest, pos",
		                   v, dests, n, failover_row, err, errlen);
	if (!rc)
		rc = each_dest_row(s,
		                   "SELECT dest, tz, otherwise, open, closed FROM hours WHERE "
		                   "version = ?1",
		                   v, dests, n, hours_row, err, errlen);
	struct dest_set *set = dest_set_adopt(dests, n);
	if (rc) {
		dest_set_release(set);
		return rc;
	}
	if (zones)
		dest_set_load_zones(set, zone_load); /* each zone read once per snapshot */
	*out = set;
	return 0;
}

static int read_set(struct store *s, int64_t v, struct dest_set **out, char *err, size_t errlen)
{
	return read_set_z(s, v, true, out, err, errlen);
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
	rc = get_int(s, 0, &found, err, errlen, "SELECT count(*) FROM versions WHERE number = ?1",
	             "i", (int64_t)(n));
	if (!rc && !found) {
		store_seterr(err, errlen, "there is no version %d: see 'handoff versions'", n);
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

/* d's opening hours as a row of version v. */
static int insert_hours(struct store *s, int64_t v, const struct dest *d, char *err, size_t errlen)
{
	const struct dest_hours *h = &d->hours;
	if (!h->tz)
		return 0;
	char open[HOURS_LIST_MAX], closed[HOURS_LIST_MAX];
	hours_format_lists(h, open, closed);
	return run(s, err, errlen,
	           "INSERT INTO hours (version, dest, tz, otherwise, open, closed) "
	           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	           "itTTtt", v, d->name, h->tz, h->otherwise, open, closed);
}

static int insert_dest(struct store *s, int64_t v, const struct dest *d, char *err, size_t errlen)
{
	int rc =
	    run(s, err, errlen,
	        "INSERT INTO dests (version, name, description, route, caller_id, timeout) "
	        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	        "itttti", v, d->name, d->description, d->route, d->caller_id, (int64_t)d->timeout);
	for (size_t i = 0; !rc && i < d->nheaders; i++)
		rc = run(s, err, errlen,
		         "INSERT INTO headers (version, dest, pos, name, value) "
		         "VALUES (?1, ?2, ?3, ?4, ?5)",
		         "ititT", v, d->name, (int64_t)i, d->headers[i].name, d->headers[i].value);
	for (size_t i = 0; !rc && i < d->nfailover; i++)
		rc = run(s, err, errlen,
		         "INSERT INTO failover (version, dest, pos, route) VALUES (?1, ?2, ?3, ?4)",
		         "itiT", v, d->name, (int64_t)i, d->failover[i]);
	return rc ? rc : insert_hours(s, v, d, err, errlen);
}

static int delete_dest(struct store *s, const char *name, char *err, size_t errlen)
{
	static const char *const sql[] = {"DELETE FROM dests WHERE version = 0 AND name = ?1",
	                                  "DELETE FROM headers WHERE version = 0 AND dest = ?1",
	                                  "DELETE FROM failover WHERE version = 0 AND dest = ?1",
	                                  "DELETE FROM hours WHERE version = 0 AND dest = ?1"};
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof(sql) / sizeof(sql[0]); i++)
		rc = run(s, err, errlen, sql[i], "t", name);
	return rc;
}

static int sandbox_has(struct store *s, const char *name, bool *has, char *err, size_t errlen)
{
	int64_t n = 0;
	int rc = get_int(
	    s, 0, &n, err, errlen,
	    "SELECT count(*) FROM dests WHERE version = 0 AND name = ?1 COLLATE NOCASE", "t", name);
	*has = n > 0;
	return rc;
}

/* The sandbox checked as a set (inside the caller's transaction), with d put in place
 * of the destination of its name (d NULL: as it is); zones too when d is NULL, else d's. */
static int check_sandbox(struct store *s, const struct dest *d, const char *prefix, char *err,
                         size_t errlen)
{
	struct dest_set *cur;
	int rc = read_set_z(s, 0, false, &cur, err, errlen);
	if (rc)
		return rc;
	struct dest *all = xcalloc(cur->n + 1, sizeof(*all));
	size_t n = 0;
	for (size_t i = 0; i < cur->n; i++)
		if (!d || strcasecmp(cur->dests[i].name, d->name) != 0)
			all[n++] = cur->dests[i]; /* shallow: cur owns the strings */
	if (d)
		all[n++] = *d;
	rc = store_check_set(all, n, d, prefix, err, errlen);
	free(all);
	dest_set_release(cur);
	return rc;
}

/* --- the audit log: a row per change, inside the change's own transaction --- */

void store_set_author(struct store *s, const char *author)
{
	snprintf(s->author, sizeof(s->author), "%s", author && *author ? author : "unknown");
}

static int audit_write(struct store *s, const char *author, const char *action, const char *dest,
                       int64_t version, const char *detail, char *err, size_t errlen)
{
	/* version 0 (none) is written NULL */
	return run(s, err, errlen,
	           "INSERT INTO audit (at, author, action, dest, version, detail) "
	           "VALUES (?1, substr(?2, 1, ?3), ?4, ?5, nullif(?6, 0), substr(?7, 1, ?8))",
	           "itittiti", (int64_t)time(NULL), author && *author ? author : "unknown",
	           (int64_t)STORE_AUTHOR_MAX, action, dest, version, detail,
	           (int64_t)STORE_AUDIT_DETAIL_MAX);
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
	struct buf detail;
	const char *name = store_audit_edit_text(old, action, d, &detail);
	rc = audit_write(s, s->author, action, name, 0, buf_str(&detail), err, errlen);
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
	store_audit_import_text(old, d, n, &detail);
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
		store_audit_promote_text(was, now, n, live, message, &detail);
		rc = audit_write(s, author && *author ? author : s->author, "promote", NULL, n,
		                 buf_str(&detail), err, errlen);
		buf_free(&detail);
	}
	dest_set_release(was);
	dest_set_release(now);
	return rc;
}

static void audit_row(void *ctx, sqlite3_stmt *st)
{
	struct store_audit *e = next_row(ctx);
	e->id = sqlite3_column_int64(st, 0);
	e->at = sqlite3_column_int64(st, 1);
	e->author = col_dup(st, 2);
	e->action = col_dup(st, 3);
	e->dest = col_dup(st, 4);
	e->version = sqlite3_column_int(st, 5);
	e->detail = col_dup(st, 6);
}

int store_audit_list(struct store *s, int64_t before, size_t max, struct store_audit **out,
                     size_t *n, char *err, size_t errlen)
{
	struct rows rows = {.size = sizeof(struct store_audit)};
	int rc = each_row(s, err, errlen, audit_row, &rows,
	                  "SELECT id, at, author, action, dest, version, detail FROM audit "
	                  "WHERE ?1 <= 0 OR id < ?1 ORDER BY id DESC LIMIT ?2",
	                  "ii", before,
	                  (int64_t)(max > STORE_AUDIT_PAGE_MAX ? STORE_AUDIT_PAGE_MAX : max));
	if (rc) {
		store_audit_free(rows.v, rows.n);
		return rc;
	}
	*out = rows.v;
	*n = rows.n;
	return 0;
}

/* if_changed >= 0: write only when the sandbox is still at that generation. */
static int put(struct store *s, const struct dest *d, bool add, int64_t if_changed, char *err,
               size_t errlen)
{
	int rc = store_validate(d, err, errlen);
	if (rc || (rc = begin_write(s, err, errlen)))
		return rc;
	bool has = false;
	int64_t count = 0, changed = 0;
	if (if_changed >= 0) {
		rc = state_get(s, "sandbox_changed", &changed, err, errlen);
		if (!rc && changed != if_changed) {
			store_seterr(err, errlen,
			             "the sandbox changed while %s was being edited: try again",
			             d->name);
			rc = EAGAIN;
		}
	}
	if (!rc)
		rc = sandbox_has(s, d->name, &has, err, errlen);
	if (!rc && add && has) {
		store_seterr(err, errlen,
		             "%s already exists in the sandbox: change it with 'handoff dest set'",
		             d->name);
		rc = EEXIST;
	} else if (!rc && !add && !has) {
		store_seterr(err, errlen,
		             "no destination %s in the sandbox: see 'handoff dest list'", d->name);
		rc = ENOENT;
	}
	if (!rc && add)
		rc = get_int(s, 0, &count, err, errlen,
		             "SELECT count(*) FROM dests WHERE version = 0", "");
	if (!rc && count >= STORE_MAX_DESTS) {
		store_seterr(err, errlen,
		             "the sandbox holds %d destinations, the limit: remove one first",
		             STORE_MAX_DESTS);
		rc = E2BIG;
	}
	if (!rc)
		rc = check_sandbox(s, d, "", err, errlen);
	if (!rc)
		rc = audit_edit(s, add ? "add" : "set", d, err, errlen);
	if (!rc && !add)
		rc = delete_dest(s, d->name, err, errlen);
	if (!rc) {
		store_test_stall();
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
		store_seterr(err, errlen,
		             "no destination %s in the sandbox: see 'handoff dest list'", name);
		rc = ENOENT;
	}
	sqlite3_stmt *st;
	if (!rc && !(rc = prep(s, &st,
	                       "SELECT dest FROM hours WHERE version = 0 AND otherwise = ?1 "
	                       "COLLATE NOCASE AND dest <> ?1 COLLATE NOCASE",
	                       err, errlen))) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			store_seterr(
			    err, errlen,
			    "%s takes the calls of %s outside its opening hours (--otherwise): "
			    "change that first\nhandoff dest set %s --otherwise NAME (or "
			    "--clear-hours)",
			    name, (const char *)sqlite3_column_text(st, 0),
			    (const char *)sqlite3_column_text(st, 0));
			rc = EINVAL;
		}
		sqlite3_finalize(st);
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
	if (n > STORE_MAX_DESTS) {
		store_seterr(err, errlen, "%zu destinations, over the limit of %d", n,
		             STORE_MAX_DESTS);
		return E2BIG;
	}
	if (store_check_set(d, n, NULL, "", err, errlen))
		return EINVAL;
	int rc = begin_write(s, err, errlen);
	if (rc)
		return rc;
	rc = audit_import(s, d, n, err, errlen);
	if (!rc)
		rc = exec(
		    s,
		    "DELETE FROM dests WHERE version = 0; DELETE FROM headers WHERE version = 0;"
		    "DELETE FROM failover WHERE version = 0; DELETE FROM hours WHERE version = 0",
		    err, errlen);
	for (size_t i = 0; !rc && i < n; i++) {
		if (i == n / 2)
			store_test_stall(); /* half the new set written, the old one gone */
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
	rc = check_sandbox(s, NULL, "the sandbox cannot be promoted: ", err, errlen);
	if (!rc)
		rc = get_int(s, 0, &n, err, errlen, "SELECT max(number) FROM versions", "");
	n++;
	if (!rc && n > STORE_MAX_VERSIONS) {
		store_seterr(err, errlen, "%d versions, the limit", STORE_MAX_VERSIONS);
		rc = E2BIG;
	}
	/* the sandbox's rows become version n's, table by table */
	static const char *const copies[] = {
	    "INSERT INTO dests (version, name, description, route, caller_id, timeout) "
	    "SELECT ?1, name, description, route, caller_id, timeout FROM dests WHERE version = 0",
	    "INSERT INTO headers (version, dest, pos, name, value) "
	    "SELECT ?1, dest, pos, name, value FROM headers WHERE version = 0",
	    "INSERT INTO failover (version, dest, pos, route) "
	    "SELECT ?1, dest, pos, route FROM failover WHERE version = 0",
	    "INSERT INTO hours (version, dest, tz, otherwise, open, closed) "
	    "SELECT ?1, dest, tz, otherwise, open, closed FROM hours WHERE version = 0",
	};
	for (size_t i = 0; !rc && i < sizeof(copies) / sizeof(copies[0]); i++) {
		if (i == 1)
			store_test_stall(); /* the destinations copied, not yet their headers */
		rc = run(s, err, errlen, copies[i], "i", n);
	}
	if (!rc)
		rc = run(s, err, errlen,
		         "INSERT INTO versions (number, created, message, author) "
		         "VALUES (?1, ?2, substr(?3, 1, ?4), substr(?5, 1, ?6))",
		         "iiTiTi", n, (int64_t)time(NULL), message, (int64_t)STORE_MESSAGE_MAX,
		         author ? author : "unknown", (int64_t)STORE_AUTHOR_MAX);
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
		rc = get_int(s, 0, &target, err, errlen,
		             "SELECT max(number) FROM versions WHERE number < ?1", "i",
		             (int64_t)(live));
		if (!rc && target == 0) {
			if (live)
				store_seterr(err, errlen,
				             "version %lld is the oldest: nothing to roll back to",
				             (long long)live);
			else
				store_seterr(err, errlen,
				             "nothing was promoted yet: run 'handoff promote'");
			rc = ENOENT;
		}
	}
	if (!rc)
		rc = get_int(s, 0, &found, err, errlen,
		             "SELECT count(*) FROM versions WHERE number = ?1", "i",
		             (int64_t)(target));
	if (!rc && !found) {
		store_seterr(err, errlen, "there is no version %lld: see 'handoff versions'",
		             (long long)target);
		rc = ENOENT;
	}
	if (!rc && target == live) {
		store_seterr(err, errlen, "version %lld is already live", (long long)live);
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

struct version_rows {
	struct rows rows;
	int64_t live;
};

static void version_row(void *ctx, sqlite3_stmt *st)
{
	struct version_rows *vr = ctx;
	struct store_version *e = next_row(&vr->rows);
	e->number = sqlite3_column_int(st, 0);
	e->created = sqlite3_column_int64(st, 1);
	e->message = col_dup(st, 2);
	e->author = col_dup(st, 3);
	e->ndests = (size_t)sqlite3_column_int64(st, 4);
	e->live = e->number == vr->live;
}

int store_versions(struct store *s, struct store_version **out, size_t *n, char *err, size_t errlen)
{
	int rc = exec(s, "BEGIN", err, errlen);
	if (rc)
		return rc;
	struct version_rows vr = {.rows = {.size = sizeof(struct store_version)}};
	rc = state_get(s, "live", &vr.live, err, errlen);
	if (!rc)
		rc = each_row(s, err, errlen, version_row, &vr,
		              "SELECT number, created, message, author, "
		              "(SELECT count(*) FROM dests WHERE version = number) "
		              "FROM versions ORDER BY number",
		              "");
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		store_versions_free(vr.rows.v, vr.rows.n);
		return rc;
	}
	*out = vr.rows.v;
	*n = vr.rows.n;
	return 0;
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
	return get_int(s, 0, out, err, errlen, "PRAGMA data_version", "");
}

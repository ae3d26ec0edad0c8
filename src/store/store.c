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

struct store {
	sqlite3 *db;
	char *path;
	bool created;     /* this handle made the file (store_discard may remove it) */
	struct stat file; /* the file as opened: device, inode, size, mtime */
};

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
	rc = query_int(s, "PRAGMA user_version", 0, 0, &v, err, errlen);
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

void store_discard(struct store *s)
{
	if (!s)
		return;
	bool created = s->created;
	char *path = s->path;
	s->path = NULL;
	sqlite3_close(s->db);
	free(s);
	if (created) { /* the database and the files SQLite keeps beside it */
		static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
		for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
			char *f = xasprintf("%s%s", path, ext[i]);
			unlink(f);
			free(f);
		}
	}
	free(path);
}

void store_let_go(struct store *s)
{
	if (!s)
		return;
	/* The -wal and -shm beside the path are still this handle's file's: SQLite does not
	 * checkpoint or remove them on close once that file was unlinked or renamed over, and
	 * the next opener of the path would read their pages as its own. Fold them into the
	 * old file and empty the WAL first (no waiting: a busy WAL is someone else's). */
	sqlite3_busy_timeout(s->db, 0);
	sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	store_close(s);
}

bool store_created(const struct store *s)
{
	return s && s->created;
}

enum store_file store_file_state(struct store *s)
{
	struct stat now;
	if (stat(s->path, &now) != 0 || now.st_dev != s->file.st_dev ||
	    now.st_ino != s->file.st_ino)
		return STORE_FILE_REPLACED;
	if (now.st_size != s->file.st_size || now.st_mtim.tv_sec != s->file.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != s->file.st_mtim.tv_nsec)
		return STORE_FILE_TOUCHED;
	return STORE_FILE_SAME;
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
static int each_dest_row(struct store *s, const char *sql, int64_t v, struct dest *dests, size_t n,
                         void (*row)(struct dest *d, sqlite3_stmt *st), char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, sql, err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, v);
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		/* ORDER BY name is byte order, as by_name's strcmp */
		struct dest key = {.name = (char *)sqlite3_column_text(st, 0)};
		struct dest *d = key.name ? bsearch(&key, dests, n, sizeof(*dests), by_name) : NULL;
		if (d)
			row(d, st);
	}
	if (r != SQLITE_DONE)
		rc = dberr(s, err, errlen);
	sqlite3_finalize(st);
	return rc;
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

/* Reads version v's destinations (inside the caller's transaction); zones: attach each
 * destination's zone (what a snapshot that answers needs; a check does not). */
static int read_set_z(struct store *s, int64_t v, bool zones, struct dest_set **out, char *err,
                      size_t errlen)
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
	rc = query_int(s, "SELECT count(*) FROM versions WHERE number = ?", n, 0, &found, err,
	               errlen);
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
	sqlite3_stmt *st;
	int rc = prep(s, &st,
	              "INSERT INTO hours (version, dest, tz, otherwise, open, closed) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	              err, errlen);
	if (rc)
		return rc;
	char open[HOURS_LIST_MAX], closed[HOURS_LIST_MAX];
	hours_format_lists(h, open, closed);
	sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, h->tz, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, h->otherwise ? h->otherwise : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, open, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, closed, -1, SQLITE_STATIC);
	return step_done(s, st, err, errlen);
}

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
	for (size_t i = 0; i < d->nfailover; i++) {
		if ((rc = prep(s, &st,
		               "INSERT INTO failover (version, dest, pos, route) "
		               "VALUES (?1, ?2, ?3, ?4)",
		               err, errlen)))
			return rc;
		sqlite3_bind_int64(st, 1, v);
		sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)i);
		sqlite3_bind_text(st, 4, d->failover[i] ? d->failover[i] : "", -1, SQLITE_STATIC);
		if ((rc = step_done(s, st, err, errlen)))
			return rc;
	}
	return insert_hours(s, v, d, err, errlen);
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
	static const char *const more[] = {"DELETE FROM headers WHERE version = 0 AND dest = ?1",
	                                   "DELETE FROM failover WHERE version = 0 AND dest = ?1",
	                                   "DELETE FROM hours WHERE version = 0 AND dest = ?1"};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		if ((rc = prep(s, &st, more[i], err, errlen)))
			return rc;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if ((rc = step_done(s, st, err, errlen)))
			return rc;
	}
	return 0;
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
		rc = query_int(s, "SELECT count(*) FROM dests WHERE version = 0", 0, 0, &count, err,
		               errlen);
	if (!rc && count >= STORE_MAX_DESTS) {
		store_seterr(err, errlen,
		             "the sandbox holds %d destinations, the limit: remove one first",
		             STORE_MAX_DESTS);
		rc = E2BIG;
	}
	if (!rc)
		rc = check_sandbox(s, d, "", err, errlen);
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
	rc = exec(s,
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
		rc = query_int(s, "SELECT max(number) FROM versions", 0, 0, &n, err, errlen);
	n++;
	if (!rc && n > STORE_MAX_VERSIONS) {
		store_seterr(err, errlen, "%d versions, the limit", STORE_MAX_VERSIONS);
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
		store_test_stall(); /* the destinations copied, not yet their headers */
	if (!rc && !(rc = prep(s, &st,
	                       "INSERT INTO headers (version, dest, pos, name, value) "
	                       "SELECT ?1, dest, pos, name, value FROM headers WHERE version = 0",
	                       err, errlen))) {
		sqlite3_bind_int64(st, 1, n);
		rc = step_done(s, st, err, errlen);
	}
	if (!rc && !(rc = prep(s, &st,
	                       "INSERT INTO failover (version, dest, pos, route) "
	                       "SELECT ?1, dest, pos, route FROM failover WHERE version = 0",
	                       err, errlen))) {
		sqlite3_bind_int64(st, 1, n);
		rc = step_done(s, st, err, errlen);
	}
	if (!rc && !(rc = prep(s, &st,
	                       "INSERT INTO hours (version, dest, tz, otherwise, open, closed) "
	                       "SELECT ?1, dest, tz, otherwise, open, closed FROM hours "
	                       "WHERE version = 0",
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
		rc = query_int(s, "SELECT count(*) FROM versions WHERE number = ?", target, 0,
		               &found, err, errlen);
	if (!rc && !found) {
		store_seterr(err, errlen, "there is no version %lld: see 'handoff versions'",
		             (long long)target);
		rc = ENOENT;
	}
	if (!rc && target == live) {
		store_seterr(err, errlen, "version %lld is already live", (long long)live);
		rc = EALREADY;
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

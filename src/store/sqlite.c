/* sqlite: the store's SQLite adapter, a file in WAL mode (the only file that includes
 * sqlite3.h): connections, statements, transactions, the file's own housekeeping. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store_int.h"
#include "util/mem.h"

#define COLS_MAX 16 /* columns of one result row */

static sqlite3 *conn(struct store *s)
{
	return s->db;
}

/* Turns the connection's last SQLite error into an errno and one line. */
static int dberr(struct store *s, char *err, size_t errlen)
{
	int code = sqlite3_extended_errcode(conn(s));
	int sys = sqlite3_system_errno(conn(s));
	int prim = code & 0xff;
	if (prim == SQLITE_READONLY ||
	    (prim == SQLITE_CANTOPEN && (sys == EACCES || sys == EROFS)) || sys == EROFS ||
	    (prim == SQLITE_IOERR && sys == EACCES)) {
		store_seterr(err, errlen,
		             "%s is read-only: check the permissions of the file and its directory "
		             "(nothing was changed)",
		             s->name);
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
		    s->name);
		return ENOSPC;
	}
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
		store_seterr(err, errlen,
		             "%s is busy: another process holds a write lock; try again", s->name);
		return EBUSY;
	}
	if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT) {
		store_seterr(err, errlen, "%s is not a handoff database (%s)", s->name,
		             sqlite3_errmsg(conn(s)));
		return EBADMSG;
	}
	if (prim == SQLITE_CANTOPEN) {
		store_seterr(err, errlen, "cannot open %s: %s", s->name,
		             sys ? strerror(sys) : "unknown");
		return sys ? sys : EIO;
	}
	store_seterr(err, errlen, "%s: %s (SQLite code %d)", s->name, sqlite3_errmsg(conn(s)),
	             code);
	return EIO;
}

static int lite_exec(struct store *s, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(conn(s), sql, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(s, err, errlen);
	return 0;
}

static int lite_query(struct store *s, const char *sql, const struct store_arg *a, int n,
                      store_row_fn row, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(conn(s), sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(s, err, errlen);
	for (int i = 0; i < n; i++) {
		if (a[i].kind == 'i')
			sqlite3_bind_int64(st, i + 1, a[i].i);
		else
			sqlite3_bind_text(st, i + 1, a[i].t, -1, SQLITE_STATIC);
	}
	int rc = 0, r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (!row)
			continue;
		const char *v[COLS_MAX];
		int cols = sqlite3_column_count(st);
		if (cols > COLS_MAX)
			cols = COLS_MAX;
		for (int i = 0; i < cols; i++)
			v[i] = (const char *)sqlite3_column_text(st, i);
		if ((rc = row(ctx, &(struct store_row){v, cols})))
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = dberr(s, err, errlen);
	sqlite3_finalize(st);
	return rc;
}

static int lite_begin(struct store *s, enum store_tx tx, char *err, size_t errlen)
{
	/* IMMEDIATE: the write lock first, so writers queue (busy timeout) and each sees the
	 * one before it */
	return lite_exec(s, tx == STORE_TX_READ ? "BEGIN" : "BEGIN IMMEDIATE", err, errlen);
}

static int lite_end(struct store *s, bool commit, char *err, size_t errlen)
{
	int rc = 0;
	if (commit && sqlite3_exec(conn(s), "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = dberr(s, err, errlen);
	if (!sqlite3_get_autocommit(conn(s)))
		sqlite3_exec(conn(s), "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int pragma_int(struct store *s, const char *sql, int64_t *v, char *err, size_t errlen)
{
	return store_get_int(s, 0, v, err, errlen, sql, "");
}

static int lite_schema_get(struct store *s, int64_t *v, char *err, size_t errlen)
{
	return pragma_int(s, "PRAGMA user_version", v, err, errlen);
}

static int lite_schema_set(struct store *s, int64_t v, char *err, size_t errlen)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld", (long long)v);
	return lite_exec(s, sql, err, errlen);
}

static int lite_data_version(struct store *s, int64_t *out, char *err, size_t errlen)
{
	/* data_version moves when another connection commits */
	return pragma_int(s, "PRAGMA data_version", out, err, errlen);
}

static int lite_wait(struct store *s, int wakefd, int ms)
{
	(void)s;
	struct pollfd p = {wakefd, POLLIN, 0};
	poll(&p, 1, ms);
	return 0; /* no change notices: the watcher polls data_version */
}

static bool lite_broken(struct store *s)
{
	(void)s;
	return false;
}

static int lite_open(struct store *s, int flags, char *err, size_t errlen)
{
	struct stat sb;
	bool existed = stat(s->path, &sb) == 0;
	if (!(flags & STORE_CREATE) && !existed) {
		store_seterr(
		    err, errlen,
		    "no database at %s: create one with 'handoff import FILE' or 'handoff dest "
		    "add'",
		    s->name);
		return ENOENT;
	}
	s->created = !existed;
	sqlite3 *db = NULL;
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
	             ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	int r = sqlite3_open_v2(s->path, &db, oflags, NULL);
	s->db = db;
	if (r != SQLITE_OK)
		return db ? dberr(s, err, errlen) : ENOMEM;
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 5000);
	int64_t v;
	/* reading the header first tells a foreign file from a handoff one */
	int rc = pragma_int(s, "PRAGMA user_version", &v, err, errlen);
	if (rc)
		return rc;
	char mode[16] = "";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
		return dberr(s, err, errlen);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (strcasecmp(mode, "wal") != 0) {
		rc = dberr(s, err, errlen);
		if (rc == EIO)
			store_seterr(err, errlen, "%s: cannot switch to WAL mode (%s)", s->name,
			             mode);
		return rc;
	}
	/* FULL: a promote acknowledged is a promote on disk, even on power loss */
	if ((rc = lite_exec(s, "PRAGMA synchronous = FULL", err, errlen)))
		return rc;
	stat(s->path, &s->file);
	return 0;
}

static void lite_close(struct store *s)
{
	sqlite3_close(conn(s));
	s->db = NULL;
}

static void lite_let_go(struct store *s)
{
	/* The -wal and -shm beside the path are still this handle's file's: SQLite does not
	 * checkpoint or remove them on close once that file was unlinked or renamed over, and
	 * the next opener of the path would read their pages as its own. Fold them into the
	 * old file and empty the WAL first (no waiting: a busy WAL is someone else's). */
	sqlite3_busy_timeout(conn(s), 0);
	sqlite3_exec(conn(s), "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
}

static void lite_discard(struct store *s)
{
	if (s->db)
		lite_close(s);
	/* the database and the files SQLite keeps beside it */
	static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		char *f = xasprintf("%s%s", s->path, ext[i]);
		unlink(f);
		free(f);
	}
}

static int lite_ids_follow(struct store *s, char *err, size_t errlen)
{
	(void)s, (void)err, (void)errlen;
	return 0; /* AUTOINCREMENT follows the largest id written */
}

const struct store_backend store_sqlite = {
    .name = "sqlite",
    .dialect = 0,
    .file = true,
    .open = lite_open,
    .close = lite_close,
    .exec = lite_exec,
    .query = lite_query,
    .begin = lite_begin,
    .end = lite_end,
    .schema_get = lite_schema_get,
    .schema_set = lite_schema_set,
    .data_version = lite_data_version,
    .wait = lite_wait,
    .broken = lite_broken,
    .let_go = lite_let_go,
    .discard = lite_discard,
    .ids_follow = lite_ids_follow,
};

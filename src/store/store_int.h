/* store_int: what the store's files share: the handle, the adapter table each database
 * library fills (sqlite.c, pg.c), the schema's SQL, the checks every write makes, the
 * error line; not for other modules, which use store.h. */
#ifndef HANDOFF_STORE_INT_H
#define HANDOFF_STORE_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "store/store.h"
#include "util/buf.h"

#define STORE_NAME_MAX 512 /* bytes of a store's name as messages show it */

struct store_backend;

/* An open database. The connection (db) is its adapter's alone: no other file includes a
 * database library, so the handle is only passed back to the adapter. */
struct store {
	const struct store_backend *be;
	void *db;
	char *path;                /* as given: a URL may hold a password, never shown */
	char name[STORE_NAME_MAX]; /* what messages show: the path, a URL's password hidden */
	bool created;              /* this handle made the store (store_discard may undo it) */
	bool writing;              /* inside a write transaction (the adapter notifies on commit) */
	bool lost;                 /* the adapter gave the connection up (no answer in time) */
	struct stat file;          /* an SQLite file as opened: device, inode, size, mtime */
	char author[STORE_AUTHOR_MAX + 1]; /* who this connection's changes are by (the audit) */
};

/* One row of a result: n columns as text (NULL for SQL NULL), valid during the callback. */
struct store_row {
	const char *const *v;
	int n;
};

/* A statement parameter: ?1, ?2, ... in the SQL, in order. kind 'i' an integer, 't' a text
 * (NULL binds NULL). */
struct store_arg {
	char kind;
	int64_t i;
	const char *t;
};
#define STORE_ARGS_MAX 16

/* A row callback: 0 to go on, an errno value to stop the query with it. */
typedef int (*store_row_fn)(void *ctx, const struct store_row *r);

enum store_tx {
	STORE_TX_READ,   /* one consistent snapshot, nothing written */
	STORE_TX_WRITE,  /* writers queue: one at a time, each sees the one before */
	STORE_TX_SCHEMA, /* a migration: as WRITE, also before any table exists */
};

/* What an adapter does; the SQL it is given is the same for every adapter (parameters
 * written ?N, CAST for types, lower() for case-insensitive names). Every function
 * returning int gives 0 or an errno value with err (caller's, may be NULL) filled as one
 * line naming s->name, never s->path. */
struct store_backend {
	const char *name; /* "sqlite", "postgresql" */
	int dialect;      /* which text of store_migrations: 0 SQLite, 1 PostgreSQL */
	bool file;        /* a file on disk (store_file_state stats it) */
	/* Connects (s->path, s->name set). flags as store_open's; ENOENT (err: "no database
	 * at ...") when there is no store yet and no STORE_CREATE; sets s->created when it
	 * makes one (the tables follow from the migrations). */
	int (*open)(struct store *s, int flags, char *err, size_t errlen);
	void (*close)(struct store *s);
	/* SQL without parameters, possibly several statements. */
	int (*exec)(struct store *s, const char *sql, char *err, size_t errlen);
	/* One statement with n parameters; each row to row(ctx, r) (row may be NULL). */
	int (*query)(struct store *s, const char *sql, const struct store_arg *a, int n,
	             store_row_fn row, void *ctx, char *err, size_t errlen);
	int (*begin)(struct store *s, enum store_tx tx, char *err, size_t errlen);
	/* Ends the transaction begun: commits when commit, else rolls back (no error). */
	int (*end)(struct store *s, bool commit, char *err, size_t errlen);
	/* The schema version (0: none yet) and setting it, inside a STORE_TX_SCHEMA. */
	int (*schema_get)(struct store *s, int64_t *v, char *err, size_t errlen);
	int (*schema_set)(struct store *s, int64_t v, char *err, size_t errlen);
	/* A number that moves whenever another connection commits (cheap to poll). */
	int (*data_version)(struct store *s, int64_t *out, char *err, size_t errlen);
	/* Waits up to ms for a change notice (1), a byte on wakefd or the time (0). */
	int (*wait)(struct store *s, int wakefd, int ms);
	/* Whether the connection is gone (a watcher then opens the store afresh). */
	bool (*broken)(struct store *s);
	/* Before closing a handle whose file was replaced (SQLite: empty the WAL). */
	void (*let_go)(struct store *s);
	/* Removes what this handle created (s->created), once closed or not. */
	void (*discard)(struct store *s);
	/* After rows were written with their own ids (store copy): the next id follows. */
	int (*ids_follow)(struct store *s, char *err, size_t errlen);
};

extern const struct store_backend store_sqlite, store_pg;

/* The schema, one migration per version: store_migrations[i][dialect] takes a database
 * from schema i to i + 1 (schema.c). */
extern const char *const store_migrations[STORE_SCHEMA][2];
/* The tables, in the order a store copy writes them (schema.c). */
extern const char *const store_tables[];

/* --- the helpers every file of the store uses (store.c) --- */

/* Runs one statement; types ('i' int64_t, 't' text or NULL, 'T' text, NULL as "")
 * name the parameters that follow. */
int store_run(struct store *s, char *err, size_t errlen, const char *sql, const char *types, ...);
/* The integer in the first column of the first row (none, or NULL: dflt). */
int store_get_int(struct store *s, int64_t dflt, int64_t *out, char *err, size_t errlen,
                  const char *sql, const char *types, ...);
/* Each row to row(ctx, r). */
int store_each_row(struct store *s, char *err, size_t errlen, store_row_fn row, void *ctx,
                   const char *sql, const char *types, ...);
int store_begin(struct store *s, enum store_tx tx, char *err, size_t errlen);
/* Commits when rc is 0, else rolls back; returns the first error. */
int store_finish(struct store *s, int rc, char *err, size_t errlen);
int store_state_get(struct store *s, const char *key, int64_t *out, char *err, size_t errlen);
int store_state_set(struct store *s, const char *key, int64_t v, char *err, size_t errlen);
/* A column as a new string (NULL for NULL), as an integer (NULL: 0). */
char *store_row_dup(const struct store_row *r, int i);
int64_t store_row_int(const struct store_row *r, int i);
/* Version v's destinations, inside the caller's transaction; zones: attach each zone. */
int store_read_set(struct store *s, int64_t v, bool zones, struct dest_set **out, char *err,
                   size_t errlen);

/* Writes a message into err (caller's buffer, may be NULL). */
void store_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A refusal as one line (prefix, then e's message), and its hint (if any) on a second;
 * returns EINVAL. */
int store_refused(const struct dest_error *e, const char *prefix, char *err, size_t errlen);
/* dest_validate, its refusal written to err: 0 or EINVAL. */
int store_validate(const struct dest *d, char *err, size_t errlen);
/* Checks a whole set (all, n) by dest_validate_set, and the zones of d (or of every
 * destination when d is NULL): 0, or EINVAL with the refusal in err. */
int store_check_set(const struct dest *all, size_t n, const struct dest *d, const char *prefix,
                    char *err, size_t errlen);
/* An audit row's detail (detail is initialised here; the caller frees it): add, set or rm
 * of d against the sandbox old (returns the destination's name as stored), an import of
 * d[0..n) over old, a promote of now as version n against live version live (was). */
const char *store_audit_edit_text(const struct dest_set *old, const char *action,
                                  const struct dest *d, struct buf *detail);
void store_audit_import_text(const struct dest_set *old, const struct dest *d, size_t n,
                             struct buf *detail);
void store_audit_promote_text(const struct dest_set *was, const struct dest_set *now, int64_t n,
                              int64_t live, const char *message, struct buf *detail);

/* A test-only pause inside write transactions, so a test can kill the process in the
 * middle of one (HANDOFF_TEST_STALL_MS). */
void store_test_stall(void);

#endif

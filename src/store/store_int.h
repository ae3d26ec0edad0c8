/* store_int: what the store's files share (the schema's SQL, the checks every write makes,
 * the error line); not for other modules, which use store.h. */
#ifndef HANDOFF_STORE_INT_H
#define HANDOFF_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "store/store.h"
#include "util/buf.h"

/* An open database (the SQLite connection is store.c's alone; sqlite3.h is not included
 * here: the handle is only passed back to it). */
struct sqlite3;
struct store {
	struct sqlite3 *db;
	char *path;
	bool created;     /* this handle made the file (store_discard may remove it) */
	struct stat file; /* the file as opened: device, inode, size, mtime */
	char author[STORE_AUTHOR_MAX + 1]; /* who this connection's changes are by (the audit) */
};

/* store.c's primitives for file.c: close the connection (s stays), and fold the WAL into
 * the file without waiting. */
void store_db_close(struct store *s);
void store_db_checkpoint(struct store *s);

/* The schema, one migration per version: store_migrations[i] takes a database from
 * schema i to i + 1 (schema.c). */
extern const char *const store_migrations[STORE_SCHEMA];

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

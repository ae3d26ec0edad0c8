/* store: the destinations database, an SQLite file or a PostgreSQL database behind one
 * interface: sandbox edits, immutable promoted versions, and the live snapshot the server
 * reads. Nothing here tells the caller which one holds it. */
#ifndef HANDOFF_STORE_H
#define HANDOFF_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "webhooks/dest_set.h"

#define STORE_MAX_DESTS    1000 /* destinations in one set */
#define STORE_MAX_VERSIONS 100000
#define STORE_MESSAGE_MAX  512
#define STORE_AUTHOR_MAX   64
#define STORE_POLL_MS      100 /* how often a watcher polls an SQLite file for changes */
#define STORE_CHECK_MS                                                                             \
	500                         /* PostgreSQL: the check behind LISTEN/NOTIFY, in case a       \
	                               notice is missed */
#define STORE_RETRY_MAX_MS     1000 /* PostgreSQL: the longest wait between reconnections */
#define STORE_SCHEMA           4    /* the schema version this build writes */
#define STORE_AUDIT_DETAIL_MAX 2048 /* bytes kept of an audit row's detail */
#define STORE_AUDIT_PAGE_MAX   1000 /* audit rows one read returns */

/* An open database: one connection, used by one thread at a time. */
struct store;

/* store_open flags: STORE_CREATE makes the store when there is none (the SQLite file, or
 * the tables in a PostgreSQL database); STORE_WATCH: the handle waits for change notices
 * (a watcher's; PostgreSQL's LISTEN). */
enum { STORE_CREATE = 1, STORE_WATCH = 2 };

/* Opens (and creates or migrates) the store path names: a postgresql:// or postgres://
 * URL is a PostgreSQL database (through libpq: its environment, PGPASSWORD and ~/.pgpass
 * apply), anything else an SQLite file, in WAL mode with a busy timeout so a CLI and a
 * running server share it. *sp is written only on success; a store it created is removed
 * again when it fails. Errors: ENOENT (no store and no STORE_CREATE; err says "no database
 * at PATH: create one with ..."), EACCES/EROFS, EBADMSG (not a handoff database or a newer
 * schema), ECONNREFUSED (PostgreSQL unreachable), EIO; err says which, in one line that
 * never holds a password. */
int store_open(struct store **sp, const char *path, int flags, char *err, size_t errlen);
void store_close(struct store *s);
/* The store as messages show it (a URL's password hidden) and which adapter holds it
 * ("sqlite", "postgresql"); both live as long as s. */
const char *store_name(const struct store *s);
const char *store_backend_name(const struct store *s);

/* Whether db is a PostgreSQL URL (postgresql:// or postgres://) rather than a file path. */
bool store_is_url(const char *db);
/* Whether db holds a password (a URL's user part, or a password= parameter). */
bool store_has_password(const char *db);
/* The spans [from, to) of a URL that are passwords (its user part's, every password=
 * parameter's), in order: how many (url.c). Past STORE_SECRETS_MAX of them the last span
 * runs to the URL's end, so every one is still covered. */
#define STORE_SECRETS_MAX 8
size_t store_secret_spans(const char *db, size_t from[STORE_SECRETS_MAX],
                          size_t to[STORE_SECRETS_MAX]);
/* db as it may be shown: every password in it replaced by "***"; written into out (cap
 * bytes, cut to fit), which is returned. */
char *store_redact(const char *db, char *out, size_t cap);
/* Whether this handle created the store (no file, or no tables, before store_open). */
bool store_created(const struct store *s);
/* Closes s and, when it created the store, removes it again (the file with everything
 * kept beside it; the tables, while still empty): a command that fails leaves no new
 * store behind. */
void store_discard(struct store *s);

/* What the path s was opened from names now, from one stat (cheap to poll):
 * SAME; TOUCHED, the same file written behind the handle's back (size or modification
 * time moved: a checkpoint, or bytes changed outside SQLite); REPLACED, deleted, moved
 * away or another file there now, or (PostgreSQL) the connection is gone. A watcher
 * reopens on anything but SAME. */
enum store_file { STORE_FILE_SAME, STORE_FILE_TOUCHED, STORE_FILE_REPLACED };
enum store_file store_file_state(struct store *s);
/* Closes s after its path was found REPLACED: what its WAL holds is folded into its own
 * (old) file and the WAL beside the path emptied, so the file now at the path is never
 * read through the old file's WAL. */
void store_let_go(struct store *s);

/* A snapshot of an environment (or of promoted version n), each destination's zone
 * attached (read once; one that cannot be read is noted in the set's zone_error): the
 * caller releases it with dest_set_release. ENOENT when version n does not exist. */
int store_load(struct store *s, enum dest_env env, struct dest_set **out, char *err, size_t errlen);
int store_load_version(struct store *s, int n, struct dest_set **out, char *err, size_t errlen);

/* Sandbox edits. Each validates first (EINVAL, err = dest_validate's message; then the
 * sandbox as a set with d in it: --otherwise names one of the set, no cycle, d's zone
 * is in the tz database), then writes in one transaction. store_add: EEXIST when the
 * name is taken; store_update: ENOENT when absent; store_remove: ENOENT when absent,
 * EINVAL when another destination's --otherwise names it. A refusal's err may hold a
 * second line after '\n': a suggestion (the CLI prints it as its hint). */
int store_add(struct store *s, const struct dest *d, char *err, size_t errlen);
int store_update(struct store *s, const struct dest *d, char *err, size_t errlen);
int store_remove(struct store *s, const char *name, char *err, size_t errlen);
/* store_update, but only while the sandbox's `changed` is still the given
 * value (read with the set the change was made from); EAGAIN otherwise, so a
 * read-modify-write never overwrites someone else's edit. */
int store_update_if(struct store *s, const struct dest *d, int64_t changed, char *err,
                    size_t errlen);
/* Replaces the whole sandbox with these n destinations, all or nothing:
 * EINVAL naming the first bad one (dest_validate_set, then the zones), before
 * anything is written. */
int store_replace_sandbox(struct store *s, const struct dest *d, size_t n, char *err,
                          size_t errlen);

/* Snapshots the sandbox as version N (written to *version) and makes it live,
 * in one transaction, once the sandbox passes dest_validate_set and its zones load
 * (EINVAL otherwise). message and author are copied (cut to their limits). */
int store_promote(struct store *s, const char *message, const char *author, int *version, char *err,
                  size_t errlen);
/* Makes version n live; n = 0 means the one before the live one. Writes the
 * version now live to *now. ENOENT when there is no such version,
 * EALREADY when it is live already. */
int store_rollback(struct store *s, int n, int *now, char *err, size_t errlen);

struct store_version {
	int number;
	int64_t created; /* Unix seconds */
	char *message;
	char *author;
	size_t ndests;
	bool live;
};
/* Every promoted version, oldest first; free with store_versions_free. */
int store_versions(struct store *s, struct store_version **out, size_t *n, char *err,
                   size_t errlen);
void store_versions_free(struct store_version *v, size_t n);

/* The audit log: every change (add, set, rm, import, promote, rollback) writes one row in
 * its own transaction: when, who, what and the fields that changed. */
struct store_audit {
	int64_t id;
	int64_t at; /* Unix seconds */
	char *author;
	char *action; /* "add", "set", "rm", "import", "promote", "rollback" */
	char *dest;   /* the destination, or NULL */
	int version;  /* promote: the new version; rollback: the one made live; else 0 */
	char *detail; /* e.g. "route: sip:a@x -> sip:b@x", "version 3 from the sandbox (...)" */
};
/* Who the changes made through s are by (the console's login name, the CLI's user name);
 * copied, cut to STORE_AUTHOR_MAX; "unknown" until set. store_promote's author wins for
 * its own row. */
void store_set_author(struct store *s, const char *author);
/* Newest first: at most max rows (capped at STORE_AUDIT_PAGE_MAX) with id < before (before
 * <= 0: from the newest). Free with store_audit_free. */
int store_audit_list(struct store *s, int64_t before, size_t max, struct store_audit **out,
                     size_t *n, char *err, size_t errlen);
void store_audit_free(struct store_audit *a, size_t n);

/* Both environments in one read transaction (one committed state): sets[0] the sandbox,
 * sets[1] live, each released by the caller. */
int store_load_both(struct store *s, struct dest_set *sets[2], char *err, size_t errlen);
/* A number that moves whenever another connection commits a change (cheap to poll). */
int store_data_version(struct store *s, int64_t *out, char *err, size_t errlen);

/* store copy: what was copied. */
struct store_copy_counts {
	size_t versions, dests, audit; /* promoted versions; destination rows of every version
	                                  (the sandbox's included); audit rows */
	int live;                      /* the live version */
};
/* Copies the whole of from into to, which must be empty (no destination, version or audit
 * row: ENOTEMPTY otherwise, err saying what it holds): every version, the sandbox, the
 * live pointer and the audit log with its ids and times, read in one transaction and
 * written in one (all or nothing). Either may be SQLite or PostgreSQL. */
int store_copy(struct store *from, struct store *to, struct store_copy_counts *c, char *err,
               size_t errlen);

/* A watcher (watch.c): keeps the latest snapshot of both environments of the database
 * at path, noticing any change (from any process) within one second: an SQLite file is
 * polled every STORE_POLL_MS; PostgreSQL tells it (LISTEN/NOTIFY) at once, checked every
 * STORE_CHECK_MS besides. When the store cannot be read the last good snapshots stay and
 * it is opened again (PostgreSQL: with a backoff up to STORE_RETRY_MAX_MS). */
struct store_watch;
/* Opens path (migrating it when needed) on the watcher's own connection, loads both
 * environments and starts the polling thread. A path with no file yet is not created:
 * the sets are empty until a database appears there. A file deleted, replaced or
 * unreadable later is counted as a failed reload (the last good sets stay) until the
 * path names a readable database again. *wp is written only on success; errors as
 * store_open (a PostgreSQL server unreachable at the start is one: there is no snapshot
 * to serve), except ENOENT. */
int store_watch_start(struct store_watch **wp, const char *path, char *err, size_t errlen);
/* Whether the watcher has a database open now (false: none at the path, or unreadable). */
bool store_watch_has_db(struct store_watch *w);
/* Returns a held snapshot (release it with dest_set_release). Never NULL. */
struct dest_set *store_watch_get(struct store_watch *w, enum dest_env env);
/* Forces a reload within STORE_POLL_MS even when nothing seems changed
 * (SIGHUP). Async-signal-safe: it only sets a flag. */
void store_watch_poke(struct store_watch *w);
/* How many reloads have failed so far (the snapshots then stay as they were);
 * the last failure's reason goes into why (caller's buffer; may be NULL). */
unsigned long store_watch_failures(struct store_watch *w, char *why, size_t whylen);
/* Where the watcher stands. */
struct store_watch_status {
	bool up;                  /* the last read of the store succeeded */
	unsigned long failures;   /* reloads that failed so far */
	unsigned long notices;    /* change notices received (PostgreSQL's NOTIFY) */
	unsigned long reconnects; /* the store opened afresh after it was lost */
	const char *backend;      /* "sqlite", "postgresql" */
};
/* The last failure's reason goes into why (caller's buffer; may be NULL). */
void store_watch_status(struct store_watch *w, struct store_watch_status *st, char *why,
                        size_t whylen);
/* Stops the thread, releases the watcher's references and frees it. */
void store_watch_stop(struct store_watch *w);

#endif

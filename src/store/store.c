/* store: the destinations database whatever holds it: opening (SQLite file or PostgreSQL
 * URL, the adapter chosen here), the migrations, and every read (snapshots, versions, the
 * audit log), in SQL both adapters run; no database library is included here. */
#include "store/store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "store/zones.h"
#include "util/mem.h"

/* --- the helpers: statements with typed parameters, rows, transactions --- */

/* The parameters named by types ('i' int64_t, 't' text or NULL, 'T' text with NULL as ""). */
static int args_of(struct store_arg *a, const char *types, va_list ap)
{
	int n = 0;
	for (const char *t = types; *t && n < STORE_ARGS_MAX; t++, n++) {
		a[n] = (struct store_arg){.kind = *t == 'i' ? 'i' : 't'};
		if (*t == 'i') {
			a[n].i = va_arg(ap, int64_t);
		} else {
			a[n].t = va_arg(ap, const char *);
			if (!a[n].t && *t == 'T')
				a[n].t = "";
		}
	}
	return n;
}

int store_run(struct store *s, char *err, size_t errlen, const char *sql, const char *types, ...)
{
	struct store_arg a[STORE_ARGS_MAX];
	va_list ap;
	va_start(ap, types);
	int n = args_of(a, types, ap);
	va_end(ap);
	return s->be->query(s, sql, a, n, NULL, NULL, err, errlen);
}

struct first_int {
	int64_t v;
	bool seen;
};

static int first_int_row(void *ctx, const struct store_row *r)
{
	struct first_int *f = ctx;
	if (!f->seen && r->n > 0 && r->v[0]) {
		f->v = strtoll(r->v[0], NULL, 10);
		f->seen = true;
	}
	return 0;
}

int store_get_int(struct store *s, int64_t dflt, int64_t *out, char *err, size_t errlen,
                  const char *sql, const char *types, ...)
{
	struct store_arg a[STORE_ARGS_MAX];
	va_list ap;
	va_start(ap, types);
	int n = args_of(a, types, ap);
	va_end(ap);
	struct first_int f = {0};
	int rc = s->be->query(s, sql, a, n, first_int_row, &f, err, errlen);
	if (!rc)
		*out = f.seen ? f.v : dflt;
	return rc;
}

int store_each_row(struct store *s, char *err, size_t errlen, store_row_fn row, void *ctx,
                   const char *sql, const char *types, ...)
{
	struct store_arg a[STORE_ARGS_MAX];
	va_list ap;
	va_start(ap, types);
	int n = args_of(a, types, ap);
	va_end(ap);
	return s->be->query(s, sql, a, n, row, ctx, err, errlen);
}

int store_begin(struct store *s, enum store_tx tx, char *err, size_t errlen)
{
	int rc = s->be->begin(s, tx, err, errlen);
	s->writing = rc == 0 && tx != STORE_TX_READ;
	return rc;
}

int store_finish(struct store *s, int rc, char *err, size_t errlen)
{
	int e = s->be->end(s, rc == 0, err, errlen);
	s->writing = false;
	return rc ? rc : e;
}

int store_state_get(struct store *s, const char *key, int64_t *out, char *err, size_t errlen)
{
	return store_get_int(s, 0, out, err, errlen, "SELECT value FROM state WHERE key = ?1", "t",
	                     key);
}

int store_state_set(struct store *s, const char *key, int64_t v, char *err, size_t errlen)
{
	return store_run(s, err, errlen, "UPDATE state SET value = ?2 WHERE key = ?1", "ti", key,
	                 v);
}

char *store_row_dup(const struct store_row *r, int i)
{
	return i < r->n && r->v[i] ? xstrdup(r->v[i]) : NULL;
}

int64_t store_row_int(const struct store_row *r, int i)
{
	return i < r->n && r->v[i] ? strtoll(r->v[i], NULL, 10) : 0;
}

/* --- opening: the adapter, then the migrations --- */

static int migrate(struct store *s, char *err, size_t errlen)
{
	int64_t v;
	int rc = s->be->schema_get(s, &v, err, errlen);
	if (rc)
		return rc;
	if (v == STORE_SCHEMA)
		return 0;
	if (v > STORE_SCHEMA) {
		store_seterr(
		    err, errlen,
		    "%s has schema version %lld, newer than this handoff knows (%d): upgrade "
		    "handoff",
		    s->name, (long long)v, STORE_SCHEMA);
		return EBADMSG;
	}
	if ((rc = store_begin(s, STORE_TX_SCHEMA, err, errlen)))
		return rc;
	/* read again under the lock: another process may have migrated */
	rc = s->be->schema_get(s, &v, err, errlen);
	if (!rc && v > STORE_SCHEMA) { /* a newer handoff migrated it meanwhile */
		store_seterr(err, errlen,
		             "%s has schema version %lld, newer than this handoff "
		             "knows (%d): upgrade handoff",
		             s->name, (long long)v, STORE_SCHEMA);
		rc = EBADMSG;
	}
	for (int64_t i = v; !rc && i < STORE_SCHEMA; i++)
		rc = s->be->exec(s, store_migrations[i][s->be->dialect], err, errlen);
	if (!rc && v < STORE_SCHEMA)
		rc = s->be->schema_set(s, STORE_SCHEMA, err, errlen);
	return store_finish(s, rc, err, errlen);
}

int store_open(struct store **sp, const char *path, int flags, char *err, size_t errlen)
{
	struct store *s = xcalloc(1, sizeof(*s));
	s->be = store_is_url(path) ? &store_pg : &store_sqlite;
	s->path = xstrdup(path);
	store_redact(path, s->name, sizeof(s->name));
	snprintf(s->author, sizeof(s->author), "unknown");
	int rc = s->be->open(s, flags, err, errlen);
	if (!rc)
		rc = migrate(s, err, errlen);
	if (rc) {
		if (s->created)
			store_discard(s); /* a failed open leaves no new store behind */
		else
			store_close(s);
		return rc;
	}
	*sp = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db)
		s->be->close(s);
	if (s->path)
		xwipe(s->path, strlen(s->path)); /* it may hold a password */
	free(s->path);
	free(s);
}

const char *store_name(const struct store *s)
{
	return s->name;
}

const char *store_backend_name(const struct store *s)
{
	return s->be->name;
}

/* --- reading --- */

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

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dest *)a)->name, ((const struct dest *)b)->name);
}

/* Hands each row whose first column names one of dests (n, sorted by name) to row. */
struct dest_rows {
	struct dest *dests;
	size_t n;
	void (*row)(struct dest *d, const struct store_row *r);
};

static int dest_row(void *ctx, const struct store_row *r)
{
	struct dest_rows *dr = ctx;
	struct dest key = {.name = (char *)r->v[0]};
	struct dest *d =
	    key.name ? bsearch(&key, dr->dests, dr->n, sizeof(*dr->dests), by_name) : NULL;
	if (d)
		dr->row(d, r);
	return 0;
}

static int each_dest_row(struct store *s, const char *sql, int64_t v, struct dest *dests, size_t n,
                         void (*row)(struct dest *d, const struct store_row *r), char *err,
                         size_t errlen)
{
	struct dest_rows dr = {dests, n, row};
	return store_each_row(s, err, errlen, dest_row, &dr, sql, "i", v);
}

/* headers (dest, name, value): in pos order */
static void header_row(struct dest *d, const struct store_row *r)
{
	if (d->nheaders >= DEST_MAX_HEADERS)
		return;
	d->headers = xreallocarray(d->headers, d->nheaders + 1, sizeof(*d->headers));
	d->headers[d->nheaders].name = store_row_dup(r, 1);
	d->headers[d->nheaders].value = store_row_dup(r, 2);
	d->nheaders++;
}

/* failover (dest, route): the routes tried in pos order */
static void failover_row(struct dest *d, const struct store_row *r)
{
	if (d->nfailover >= DEST_MAX_FAILOVER)
		return;
	d->failover = xreallocarray(d->failover, d->nfailover + 1, sizeof(*d->failover));
	d->failover[d->nfailover++] = store_row_dup(r, 1);
}

/* hours (dest, tz, otherwise, open, closed): a range or date that does not parse is
 * skipped (only a hand-edited database has one) */
static void hours_row(struct dest *d, const struct store_row *r)
{
	d->hours.tz = store_row_dup(r, 1);
	d->hours.otherwise = store_row_dup(r, 2);
	hours_parse_lists(&d->hours, r->v[3], r->v[4]);
}

static int dest_of_row(void *ctx, const struct store_row *r)
{
	struct dest *d = next_row(ctx);
	d->name = store_row_dup(r, 0);
	d->description = store_row_dup(r, 1);
	d->route = store_row_dup(r, 2);
	d->caller_id = store_row_dup(r, 3);
	d->timeout = (int)store_row_int(r, 4);
	return 0;
}

int store_read_set(struct store *s, int64_t v, bool zones, struct dest_set **out, char *err,
                   size_t errlen)
{
	struct rows rows = {.size = sizeof(struct dest)};
	int rc = store_each_row(s, err, errlen, dest_of_row, &rows,
	                        "SELECT name, description, route, caller_id, timeout FROM dests "
	                        "WHERE version = ?1",
	                        "i", v);
	struct dest *dests = rows.v;
	size_t n = rows.n;
	/* byte order, whatever the database's collation: the rows below are found by it */
	if (n)
		qsort(dests, n, sizeof(*dests), by_name);
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

/* Reads an environment inside the caller's transaction. */
static int read_env(struct store *s, enum dest_env env, struct dest_set **out, char *err,
                    size_t errlen)
{
	int64_t live = 0, changed = 0;
	int rc = store_state_get(s, "live", &live, err, errlen);
	if (!rc)
		rc = store_state_get(s, env == DEST_LIVE ? "live_changed" : "sandbox_changed",
		                     &changed, err, errlen);
	int64_t v = env == DEST_LIVE ? live : 0;
	struct dest_set *set = NULL;
	if (!rc && env == DEST_LIVE && live == 0) {
		set = dest_set_new(NULL, 0); /* nothing promoted yet */
	} else if (!rc) {
		rc = store_read_set(s, v, true, &set, err, errlen);
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
	int rc = store_begin(s, STORE_TX_READ, err, errlen);
	if (rc)
		return rc;
	rc = read_env(s, env, out, err, errlen);
	return store_finish(s, rc, NULL, 0);
}

int store_load_version(struct store *s, int n, struct dest_set **out, char *err, size_t errlen)
{
	int rc = store_begin(s, STORE_TX_READ, err, errlen);
	if (rc)
		return rc;
	int64_t found = 0;
	rc = store_get_int(s, 0, &found, err, errlen,
	                   "SELECT count(*) FROM versions WHERE number = ?1", "i", (int64_t)n);
	if (!rc && !found) {
		store_seterr(err, errlen, "there is no version %d: see 'handoff versions'", n);
		rc = ENOENT;
	}
	if (!rc && (rc = store_read_set(s, n, true, out, err, errlen)) == 0)
		(*out)->version = n;
	return store_finish(s, rc, NULL, 0);
}

/* Loads both environments in one read transaction: one committed state. */
int store_load_both(struct store *s, struct dest_set *sets[2], char *err, size_t errlen)
{
	int rc = store_begin(s, STORE_TX_READ, err, errlen);
	if (rc)
		return rc;
	rc = read_env(s, DEST_SANDBOX, &sets[0], err, errlen);
	if (!rc && (rc = read_env(s, DEST_LIVE, &sets[1], err, errlen)))
		dest_set_release(sets[0]);
	return store_finish(s, rc, NULL, 0);
}

int store_data_version(struct store *s, int64_t *out, char *err, size_t errlen)
{
	return s->be->data_version(s, out, err, errlen);
}

/* --- versions and the audit log --- */

struct version_rows {
	struct rows rows;
	int64_t live;
};

static int version_row(void *ctx, const struct store_row *r)
{
	struct version_rows *vr = ctx;
	struct store_version *e = next_row(&vr->rows);
	e->number = (int)store_row_int(r, 0);
	e->created = store_row_int(r, 1);
	e->message = store_row_dup(r, 2);
	e->author = store_row_dup(r, 3);
	e->ndests = (size_t)store_row_int(r, 4);
	e->live = e->number == vr->live;
	return 0;
}

int store_versions(struct store *s, struct store_version **out, size_t *n, char *err, size_t errlen)
{
	int rc = store_begin(s, STORE_TX_READ, err, errlen);
	if (rc)
		return rc;
	struct version_rows vr = {.rows = {.size = sizeof(struct store_version)}};
	rc = store_state_get(s, "live", &vr.live, err, errlen);
	if (!rc)
		rc = store_each_row(s, err, errlen, version_row, &vr,
		                    "SELECT number, created, message, author, "
		                    "(SELECT count(*) FROM dests WHERE version = number) "
		                    "FROM versions ORDER BY number",
		                    "");
	rc = store_finish(s, rc, NULL, 0);
	if (rc) {
		store_versions_free(vr.rows.v, vr.rows.n);
		return rc;
	}
	*out = vr.rows.v;
	*n = vr.rows.n;
	return 0;
}

static int audit_row(void *ctx, const struct store_row *r)
{
	struct store_audit *e = next_row(ctx);
	e->id = store_row_int(r, 0);
	e->at = store_row_int(r, 1);
	e->author = store_row_dup(r, 2);
	e->action = store_row_dup(r, 3);
	e->dest = store_row_dup(r, 4);
	e->version = (int)store_row_int(r, 5);
	e->detail = store_row_dup(r, 6);
	return 0;
}

int store_audit_list(struct store *s, int64_t before, size_t max, struct store_audit **out,
                     size_t *n, char *err, size_t errlen)
{
	struct rows rows = {.size = sizeof(struct store_audit)};
	int rc = store_each_row(s, err, errlen, audit_row, &rows,
	                        "SELECT id, at, author, action, dest, version, detail FROM audit "
	                        "WHERE CAST(?1 AS BIGINT) <= 0 OR id < CAST(?1 AS BIGINT) "
	                        "ORDER BY id DESC LIMIT ?2",
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

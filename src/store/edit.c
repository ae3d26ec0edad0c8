/* edit: every change to the store as one write transaction, whatever holds it: sandbox
 * edits, import, promote, rollback, each with its audit row (the SQL both adapters run). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/store_int.h"
#include "util/mem.h"

/* Moves the generation counter and stamps the environments that changed. */
static int bump(struct store *s, bool sandbox, bool live, char *err, size_t errlen)
{
	int64_t gen;
	int rc = store_state_get(s, "gen", &gen, err, errlen);
	if (!rc)
		rc = store_state_set(s, "gen", ++gen, err, errlen);
	if (!rc && sandbox)
		rc = store_state_set(s, "sandbox_changed", gen, err, errlen);
	if (!rc && live)
		rc = store_state_set(s, "live_changed", gen, err, errlen);
	return rc;
}

static int begin_write(struct store *s, char *err, size_t errlen)
{
	return store_begin(s, STORE_TX_WRITE, err, errlen);
}

/* d's opening hours as a row of version v. */
static int insert_hours(struct store *s, int64_t v, const struct dest *d, char *err, size_t errlen)
{
	const struct dest_hours *h = &d->hours;
	if (!h->tz)
		return 0;
	char open[HOURS_LIST_MAX], closed[HOURS_LIST_MAX];
	hours_format_lists(h, open, closed);
	return store_run(s, err, errlen,
	                 "INSERT INTO hours (version, dest, tz, otherwise, open, closed) "
	                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                 "itTTtt", v, d->name, h->tz, h->otherwise, open, closed);
}

static int insert_dest(struct store *s, int64_t v, const struct dest *d, char *err, size_t errlen)
{
	int rc = store_run(
	    s, err, errlen,
	    "INSERT INTO dests (version, name, description, route, caller_id, timeout) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    "itttti", v, d->name, d->description, d->route, d->caller_id, (int64_t)d->timeout);
	for (size_t i = 0; !rc && i < d->nheaders; i++)
		rc = store_run(s, err, errlen,
		               "INSERT INTO headers (version, dest, pos, name, value) "
		               "VALUES (?1, ?2, ?3, ?4, ?5)",
		               "ititT", v, d->name, (int64_t)i, d->headers[i].name,
		               d->headers[i].value);
	for (size_t i = 0; !rc && i < d->nfailover; i++)
		rc = store_run(
		    s, err, errlen,
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
		rc = store_run(s, err, errlen, sql[i], "t", name);
	return rc;
}

static int sandbox_has(struct store *s, const char *name, bool *has, char *err, size_t errlen)
{
	int64_t n = 0;
	int rc = store_get_int(
	    s, 0, &n, err, errlen,
	    "SELECT count(*) FROM dests WHERE version = 0 AND lower(name) = lower(?1)", "t", name);
	*has = n > 0;
	return rc;
}

/* The sandbox checked as a set (inside the caller's transaction), with d put in place
 * of the destination of its name (d NULL: as it is); zones too when d is NULL, else d's. */
static int check_sandbox(struct store *s, const struct dest *d, const char *prefix, char *err,
                         size_t errlen)
{
	struct dest_set *cur;
	int rc = store_read_set(s, 0, false, &cur, err, errlen);
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
	return store_run(s, err, errlen,
	                 "INSERT INTO audit (at, author, action, dest, version, detail) "
	                 "VALUES (?1, substr(?2, 1, ?3), ?4, ?5, nullif(?6, 0), substr(?7, 1, ?8))",
	                 "itittiti", (int64_t)time(NULL), author && *author ? author : "unknown",
	                 (int64_t)STORE_AUTHOR_MAX, action, dest, version, detail,
	                 (int64_t)STORE_AUDIT_DETAIL_MAX);
}

/* add/set/rm of d (the new one; for rm only its name): the fields that change. */
static int audit_edit(struct store *s, const char *action, const struct dest *d, char *err,
                      size_t errlen)
{
	struct dest_set *old = NULL;
	int rc = store_read_set(s, 0, true, &old, err, errlen);
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
	int rc = store_read_set(s, 0, true, &old, err, errlen);
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
	int rc = store_state_get(s, "live", &live, err, errlen);
	if (!rc)
		rc = live ? store_read_set(s, live, true, &was, err, errlen) : 0;
	if (!rc && !was)
		was = dest_set_new(NULL, 0);
	if (!rc)
		rc = store_read_set(s, 0, true, &now, err, errlen);
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

/* --- sandbox edits --- */

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
		rc = store_state_get(s, "sandbox_changed", &changed, err, errlen);
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
		rc = store_get_int(s, 0, &count, err, errlen,
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
	return store_finish(s, rc, err, errlen);
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

/* The first destination of the sandbox whose --otherwise names name (another one). */
struct named {
	char who[DEST_NAME_MAX + 1];
};

static int named_row(void *ctx, const struct store_row *r)
{
	struct named *nm = ctx;
	if (!nm->who[0] && r->v[0])
		snprintf(nm->who, sizeof(nm->who), "%s", r->v[0]);
	return 0;
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
	struct named nm = {""};
	if (!rc)
		rc = store_each_row(
		    s, err, errlen, named_row, &nm,
		    "SELECT dest FROM hours WHERE version = 0 AND lower(otherwise) = "
		    "lower(?1) AND lower(dest) <> lower(?1) ORDER BY dest",
		    "t", name);
	if (!rc && nm.who[0]) {
		store_seterr(err, errlen,
		             "%s takes the calls of %s outside its opening hours (--otherwise): "
		             "change that first\nhandoff dest set %s --otherwise NAME (or "
		             "--clear-hours)",
		             name, nm.who, nm.who);
		rc = EINVAL;
	}
	if (!rc)
		rc = audit_edit(s, "rm", &(struct dest){.name = (char *)name}, err, errlen);
	if (!rc)
		rc = delete_dest(s, name, err, errlen);
	if (!rc)
		rc = bump(s, true, false, err, errlen);
	return store_finish(s, rc, err, errlen);
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
		rc = s->be->exec(
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
	return store_finish(s, rc, err, errlen);
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
		rc = store_get_int(s, 0, &n, err, errlen, "SELECT max(number) FROM versions", "");
	n++;
	if (!rc && n > STORE_MAX_VERSIONS) {
		store_seterr(err, errlen, "%d versions, the limit", STORE_MAX_VERSIONS);
		rc = E2BIG;
	}
	/* the sandbox's rows become version n's, table by table */
	static const char *const copies[] = {
	    "INSERT INTO dests (version, name, description, route, caller_id, timeout) "
	    "SELECT CAST(?1 AS INTEGER), name, description, route, caller_id, timeout FROM dests "
	    "WHERE version = 0",
	    "INSERT INTO headers (version, dest, pos, name, value) "
	    "SELECT CAST(?1 AS INTEGER), dest, pos, name, value FROM headers WHERE version = 0",
	    "INSERT INTO failover (version, dest, pos, route) "
	    "SELECT CAST(?1 AS INTEGER), dest, pos, route FROM failover WHERE version = 0",
	    "INSERT INTO hours (version, dest, tz, otherwise, open, closed) "
	    "SELECT CAST(?1 AS INTEGER), dest, tz, otherwise, open, closed FROM hours "
	    "WHERE version = 0",
	};
	for (size_t i = 0; !rc && i < sizeof(copies) / sizeof(copies[0]); i++) {
		if (i == 1)
			store_test_stall(); /* the destinations copied, not yet their headers */
		rc = store_run(s, err, errlen, copies[i], "i", n);
	}
	if (!rc)
		rc =
		    store_run(s, err, errlen,
		              "INSERT INTO versions (number, created, message, author) "
		              "VALUES (?1, ?2, substr(?3, 1, ?4), substr(?5, 1, ?6))",
		              "iiTiTi", n, (int64_t)time(NULL), message, (int64_t)STORE_MESSAGE_MAX,
		              author ? author : "unknown", (int64_t)STORE_AUTHOR_MAX);
	if (!rc)
		rc = audit_promote(s, n, message, author, err, errlen);
	if (!rc)
		rc = store_state_set(s, "live", n, err, errlen);
	if (!rc)
		rc = bump(s, false, true, err, errlen);
	rc = store_finish(s, rc, err, errlen);
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
	rc = store_state_get(s, "live", &live, err, errlen);
	if (!rc && n == 0) {
		rc = store_get_int(s, 0, &target, err, errlen,
		                   "SELECT max(number) FROM versions WHERE number < ?1", "i", live);
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
		rc = store_get_int(s, 0, &found, err, errlen,
		                   "SELECT count(*) FROM versions WHERE number = ?1", "i", target);
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
		store_test_stall(); /* the audit row written, live not moved yet */
	if (!rc)
		rc = store_state_set(s, "live", target, err, errlen);
	if (!rc)
		rc = bump(s, false, true, err, errlen);
	rc = store_finish(s, rc, err, errlen);
	if (!rc && now)
		*now = (int)target;
	return rc;
}

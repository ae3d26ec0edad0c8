/* copy: a whole store into an empty one, whatever holds either (SQLite to PostgreSQL or
 * back): every table's rows read in one transaction and written in one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "util/mem.h"

#define COPY_SQL_MAX 512

struct copy_ctx {
	struct store *to;
	const char *insert; /* INSERT INTO t (cols) VALUES (?1, ...) */
	size_t rows;
	char *err;
	size_t errlen;
};

static int copy_row(void *arg, const struct store_row *r)
{
	struct copy_ctx *c = arg;
	struct store_arg a[STORE_ARGS_MAX];
	for (int i = 0; i < r->n; i++) /* as text: each column takes its own type */
		a[i] = (struct store_arg){.kind = 't', .t = r->v[i]};
	c->rows++;
	return c->to->be->query(c->to, c->insert, a, r->n, NULL, NULL, c->err, c->errlen);
}

/* Copies one table (its columns cols) from one store to the other: how many rows. */
static int copy_table(struct store *from, struct store *to, const char *table, const char *cols,
                      size_t *rows, char *err, size_t errlen)
{
	char select[COPY_SQL_MAX], insert[COPY_SQL_MAX];
	snprintf(select, sizeof(select), "SELECT %s FROM %s ORDER BY 1, 2", cols, table);
	int n = 1;
	for (const char *p = cols; *p; p++)
		n += *p == ',';
	int o = snprintf(insert, sizeof(insert), "INSERT INTO %s (%s) VALUES (", table, cols);
	for (int i = 1; i <= n && o > 0 && (size_t)o < sizeof(insert); i++)
		o +=
		    snprintf(insert + o, sizeof(insert) - (size_t)o, "%s?%d", i > 1 ? ", " : "", i);
	if (o > 0 && (size_t)o < sizeof(insert))
		snprintf(insert + o, sizeof(insert) - (size_t)o, ")");
	struct copy_ctx c = {to, insert, 0, err, errlen};
	int rc = store_each_row(from, err, errlen, copy_row, &c, select, "");
	*rows = c.rows;
	return rc;
}

/* Whether to holds nothing yet: 0, or ENOTEMPTY saying what it holds. */
static int empty(struct store *to, char *err, size_t errlen)
{
	int64_t dests = 0, versions = 0, audit = 0;
	int rc = store_get_int(to, 0, &dests, err, errlen, "SELECT count(*) FROM dests", "");
	if (!rc)
		rc = store_get_int(to, 0, &versions, err, errlen, "SELECT count(*) FROM versions",
		                   "");
	if (!rc)
		rc = store_get_int(to, 0, &audit, err, errlen, "SELECT count(*) FROM audit", "");
	if (!rc && (dests || versions || audit)) {
		store_seterr(err, errlen,
		             "%s is not empty (%lld destination rows, %lld versions, %lld audit "
		             "rows): copy into a new database",
		             to->name, (long long)dests, (long long)versions, (long long)audit);
		rc = ENOTEMPTY;
	}
	return rc;
}

int store_copy(struct store *from, struct store *to, struct store_copy_counts *c, char *err,
               size_t errlen)
{
	*c = (struct store_copy_counts){0};
	int rc = store_begin(from, STORE_TX_READ, err, errlen);
	if (rc)
		return rc;
	if ((rc = store_begin(to, STORE_TX_WRITE, err, errlen))) {
		store_finish(from, rc, NULL, 0);
		return rc;
	}
	rc = empty(to, err, errlen);
	for (size_t i = 0; !rc && store_tables[i]; i += 2) {
		size_t rows = 0;
		rc = copy_table(from, to, store_tables[i], store_tables[i + 1], &rows, err, errlen);
		if (strcmp(store_tables[i], "dests") == 0)
			c->dests = rows;
		else if (strcmp(store_tables[i], "versions") == 0)
			c->versions = rows;
		else if (strcmp(store_tables[i], "audit") == 0)
			c->audit = rows;
		if (i == 0)
			store_test_stall(); /* the destinations written, not the rest */
	}
	/* the live pointer and the generations, as they were */
	static const char *const keys[] = {"live", "gen", "sandbox_changed", "live_changed"};
	for (size_t i = 0; !rc && i < sizeof(keys) / sizeof(keys[0]); i++) {
		int64_t v = 0;
		rc = store_state_get(from, keys[i], &v, err, errlen);
		if (!rc)
			rc = store_state_set(to, keys[i], v, err, errlen);
		if (!rc && i == 0)
			c->live = (int)v;
	}
	if (!rc)
		rc = to->be->ids_follow(to, err, errlen);
	rc = store_finish(to, rc, err, errlen);
	store_finish(from, rc, NULL, 0);
	return rc;
}

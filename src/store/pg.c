/* pg: the store's PostgreSQL adapter over libpq (the only file that includes libpq-fe.h):
 * connections from a postgresql:// URL (libpq's environment and ~/.pgpass apply),
 * statements, transactions with the writers queued on one row lock, change notices
 * (LISTEN/NOTIFY), and errors in one line that never holds the URL's password. */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "store/store_int.h"
#include "util/mem.h"

#define PG_CHANNEL     "handoff_changes" /* the NOTIFY every write sends on commit */
#define PG_SCHEMA_LOCK "7008200115"      /* the advisory lock migrations hold */
#define PG_MSG_MAX     400               /* bytes of a server message kept in an error */
#define PG_ANSWER_MS                                                                               \
	10000 /* a statement unanswered this long: the connection is given up                      \
	         (longer than lock_timeout, so a writer's wait ends first) */

static PGconn *conn(struct store *s)
{
	return s->db;
}

/* --- messages: one line, the password never in it --- */

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Replaces every occurrence of secret in msg (in place, msg of cap bytes) by "***". */
static void hide(char *msg, size_t cap, const char *secret)
{
	size_t n = strlen(secret);
	if (n == 0)
		return;
	char *p;
	while ((p = strstr(msg, secret)) != NULL) {
		size_t tail = strlen(p + n);
		if ((size_t)(p - msg) + 3 + tail + 1 > cap)
			tail = cap - (size_t)(p - msg) - 4;
		memmove(p + 3, p + n, tail);
		memcpy(p, "***", 3);
		p[3 + tail] = '\0';
	}
}

/* Takes the passwords of s's URL (as written, and %-decoded) out of msg: libpq's own
 * messages may quote a part of the URL. */
static void scrub(struct store *s, char *msg, size_t cap)
{
	size_t from[STORE_SECRETS_MAX], to[STORE_SECRETS_MAX];
	size_t n = store_secret_spans(s->path, from, to);
	for (size_t k = 0; k < n; k++) {
		char raw[STORE_NAME_MAX], dec[STORE_NAME_MAX];
		size_t len = to[k] - from[k];
		if (len >= sizeof(raw))
			len = sizeof(raw) - 1;
		memcpy(raw, s->path + from[k], len);
		raw[len] = '\0';
		size_t o = 0;
		for (size_t i = 0; i < len; i++) {
			if (raw[i] == '%' && i + 2 < len + 1 && hexval(raw[i + 1]) >= 0 &&
			    hexval(raw[i + 2]) >= 0) {
				dec[o++] = (char)(hexval(raw[i + 1]) * 16 + hexval(raw[i + 2]));
				i += 2;
			} else {
				dec[o++] = raw[i];
			}
		}
		dec[o] = '\0';
		hide(msg, cap, raw);
		hide(msg, cap, dec);
		xwipe(raw, sizeof(raw));
		xwipe(dec, sizeof(dec));
	}
}

/* text's first line, its runs of blanks made one space, into out. */
static void one_line(const char *text, char *out, size_t cap)
{
	size_t o = 0;
	bool blank = false;
	for (const char *p = text ? text : ""; *p && *p != '\n' && o + 1 < cap; p++) {
		if (*p == ' ' || *p == '\t') {
			blank = true;
			continue;
		}
		if (blank && o > 0 && o + 2 < cap)
			out[o++] = ' ';
		blank = false;
		out[o++] = *p;
	}
	out[o] = '\0';
}

/* A failed statement (res, or the connection's state when res is NULL) as an errno and
 * one line. */
static int pgerr(struct store *s, PGresult *res, char *err, size_t errlen)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[PG_MSG_MAX];
	one_line(primary ? primary : PQerrorMessage(conn(s)), msg, sizeof(msg));
	scrub(s, msg, sizeof(msg));
	if (!state)
		state = "";
	if (s->lost) {
		store_seterr(err, errlen, "no answer from %s in %d s: the connection is given up",
		             s->name, PG_ANSWER_MS / 1000);
		return ETIMEDOUT;
	}
	if (PQstatus(conn(s)) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57P", 3) == 0) {
		store_seterr(err, errlen, "lost the connection to %s: %s", s->name, msg);
		return ECONNRESET;
	}
	if (strcmp(state, "55P03") == 0) {
		store_seterr(err, errlen,
		             "%s is busy: another process holds a write lock; try again", s->name);
		return EBUSY;
	}
	if (strcmp(state, "25006") == 0) {
		store_seterr(err, errlen, "%s is read-only: %s (nothing was changed)", s->name,
		             msg);
		return EROFS;
	}
	if (strcmp(state, "42501") == 0) {
		store_seterr(err, errlen,
		             "%s: permission denied: %s: grant the role what handoff needs "
		             "(nothing was changed)",
		             s->name, msg);
		return EACCES;
	}
	if (strcmp(state, "53100") == 0) {
		store_seterr(err, errlen, "%s: no space left to write (%s): nothing was changed",
		             s->name, msg);
		return ENOSPC;
	}
	if (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0) {
		store_seterr(err, errlen, "%s is not a handoff database (%s)", s->name, msg);
		return EBADMSG;
	}
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
		store_seterr(err, errlen, "%s: a concurrent change won (%s): try again", s->name,
		             msg);
		return EAGAIN;
	}
	store_seterr(err, errlen, "%s: %s (PostgreSQL %s)", s->name, msg,
	             state[0] ? state : "error");
	return EIO;
}

/* --- statements --- */

/* sql with ?N written $N (outside quotes), as libpq numbers parameters. */
static char *dollars(const char *sql)
{
	char *out = xstrdup(sql);
	bool quoted = false;
	for (char *p = out; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && *p == '?' && isdigit((unsigned char)p[1]))
			*p = '$';
	}
	return out;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends sql (n parameters as text; n < 0: no parameters, several statements allowed) and
 * waits for its answer at most PG_ANSWER_MS: a server that is hung (stopped, its host
 * gone while the kernel still acknowledges) must not hold a watcher or a command for
 * ever. Returns the first failed result, else the last one; NULL when nothing came, the
 * connection then given up (s->lost). */
static PGresult *ask(struct store *s, const char *sql, int n, const char *const *values)
{
	PGconn *c = conn(s);
	if (s->lost)
		return NULL;
	int sent =
	    n < 0 ? PQsendQuery(c, sql) : PQsendQueryParams(c, sql, n, NULL, values, NULL, NULL, 0);
	if (!sent)
		return NULL;
	int64_t deadline = now_ms() + PG_ANSWER_MS;
	PGresult *keep = NULL;
	for (;;) {
		while (PQisBusy(c)) {
			int64_t left = deadline - now_ms();
			struct pollfd p = {PQsocket(c), POLLIN, 0};
			if (left <= 0 || p.fd < 0) {
				s->lost = true;
				PQclear(keep);
				return NULL;
			}
			if (poll(&p, 1, (int)left) > 0 && !PQconsumeInput(c)) {
				PQclear(keep);
				return NULL;
			}
		}
		PGresult *r = PQgetResult(c);
		if (!r)
			break;
		ExecStatusType was = keep ? PQresultStatus(keep) : PGRES_COMMAND_OK;
		if (was != PGRES_COMMAND_OK && was != PGRES_TUPLES_OK) {
			PQclear(r); /* the first failure is the one to report */
		} else {
			PQclear(keep);
			keep = r;
		}
	}
	return keep;
}

/* The result of one call: 0 for a command or rows, else the error. */
static int result_ok(struct store *s, PGresult *res, char *err, size_t errlen)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 0;
	return pgerr(s, res, err, errlen);
}

static int pg_exec(struct store *s, const char *sql, char *err, size_t errlen)
{
	PGresult *res = ask(s, sql, -1, NULL);
	int rc = result_ok(s, res, err, errlen);
	PQclear(res);
	return rc;
}

static int pg_query(struct store *s, const char *sql, const struct store_arg *a, int n,
                    store_row_fn row, void *ctx, char *err, size_t errlen)
{
	char nums[STORE_ARGS_MAX][24];
	const char *values[STORE_ARGS_MAX];
	for (int i = 0; i < n && i < STORE_ARGS_MAX; i++) {
		if (a[i].kind == 'i') {
			snprintf(nums[i], sizeof(nums[i]), "%lld", (long long)a[i].i);
			values[i] = nums[i];
		} else {
			values[i] = a[i].t; /* NULL binds NULL */
		}
	}
	char *text = dollars(sql);
	/* every parameter as text, its type what the statement makes it (CAST where not) */
	PGresult *res = ask(s, text, n, values);
	free(text);
	int rc = result_ok(s, res, err, errlen);
	if (!rc && row && PQresultStatus(res) == PGRES_TUPLES_OK) {
		int cols = PQnfields(res);
		if (cols > STORE_ARGS_MAX)
			cols = STORE_ARGS_MAX;
		const char *v[STORE_ARGS_MAX];
		for (int r = 0, rows = PQntuples(res); !rc && r < rows; r++) {
			for (int c = 0; c < cols; c++)
				v[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
			rc = row(ctx, &(struct store_row){v, cols});
		}
	}
	PQclear(res);
	return rc;
}

/* --- transactions --- */

static int pg_begin(struct store *s, enum store_tx tx, char *err, size_t errlen)
{
	if (tx == STORE_TX_READ) /* one snapshot for every statement of the transaction */
		return pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen);
	/* Writers queue on one lock taken first (the state row 'gen', which every write moves;
	 * a migration's advisory lock, before that row exists), in READ COMMITTED: each
	 * statement after the lock sees every write committed before it, so two promotes at
	 * once number their versions one after the other and neither is lost. */
	int rc = pg_exec(s, "BEGIN ISOLATION LEVEL READ COMMITTED", err, errlen);
	if (!rc)
		rc = pg_exec(s,
		             tx == STORE_TX_SCHEMA
		                 ? "SELECT pg_advisory_xact_lock(" PG_SCHEMA_LOCK ")"
		                 : "SELECT value FROM state WHERE key = 'gen' FOR UPDATE",
		             err, errlen);
	if (rc)
		PQclear(ask(s, "ROLLBACK", -1, NULL));
	return rc;
}

static int pg_end(struct store *s, bool commit, char *err, size_t errlen)
{
	if (!commit) {
		PQclear(ask(s, "ROLLBACK", -1, NULL));
		return 0;
	}
	/* delivered to every listener when (and only if) the transaction commits */
	int rc = s->writing ? pg_exec(s, "NOTIFY " PG_CHANNEL, err, errlen) : 0;
	if (rc) {
		PQclear(ask(s, "ROLLBACK", -1, NULL));
		return rc;
	}
	PGresult *res = ask(s, "COMMIT", -1, NULL);
	rc = result_ok(s, res, err, errlen);
	if (!rc && strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		store_seterr(err, errlen,
		             "%s: the transaction was rolled back: nothing was changed", s->name);
		rc = EIO;
	}
	PQclear(res);
	return rc;
}

/* --- the schema version: the state row 'schema' (none: no table yet, version 0) --- */

static int has_tables(struct store *s, bool *has, char *err, size_t errlen)
{
	int64_t n = 0;
	int rc =
	    store_get_int(s, 0, &n, err, errlen,
	                  "SELECT CASE WHEN to_regclass('state') IS NULL THEN 0 ELSE 1 END", "");
	*has = n == 1;
	return rc;
}

static int pg_schema_get(struct store *s, int64_t *v, char *err, size_t errlen)
{
	bool has = false;
	int rc = has_tables(s, &has, err, errlen);
	if (rc || !has) {
		*v = 0;
		return rc;
	}
	int64_t got = -1;
	rc = store_get_int(s, -1, &got, err, errlen, "SELECT value FROM state WHERE key = 'schema'",
	                   "");
	if (!rc && got < 0) {
		store_seterr(err, errlen,
		             "%s is not a handoff database (its table \"state\" is not handoff's)",
		             s->name);
		rc = EBADMSG;
	}
	if (!rc)
		*v = got;
	return rc;
}

static int pg_schema_set(struct store *s, int64_t v, char *err, size_t errlen)
{
	int rc = store_run(s, err, errlen, "DELETE FROM state WHERE key = 'schema'", "");
	if (!rc)
		rc = store_run(s, err, errlen,
		               "INSERT INTO state (key, value) VALUES ('schema', ?1)", "i", v);
	return rc;
}

static int pg_data_version(struct store *s, int64_t *out, char *err, size_t errlen)
{
	/* gen moves on every write, committed or not seen yet: what a watcher compares */
	return store_state_get(s, "gen", out, err, errlen);
}

/* --- change notices --- */

static int drain_notices(PGconn *c)
{
	int n = 0;
	PGnotify *note;
	while ((note = PQnotifies(c)) != NULL) {
		n++;
		PQfreemem(note);
	}
	return n;
}

static int pg_wait(struct store *s, int wakefd, int ms)
{
	PGconn *c = conn(s);
	if (s->lost) {
		struct pollfd p = {wakefd, POLLIN, 0};
		poll(&p, 1, ms);
		return 0;
	}
	if (drain_notices(c)) /* arrived with the last statement's answer */
		return 1;
	struct pollfd p[2] = {{wakefd, POLLIN, 0}, {PQsocket(c), POLLIN, 0}};
	int n = p[1].fd >= 0 ? 2 : 1;
	if (poll(p, (nfds_t)n, ms) > 0 && n == 2 && p[1].revents) {
		/* a notice, or the server going away (the connection then turns bad) */
		PQconsumeInput(c);
		return drain_notices(c) > 0;
	}
	return 0;
}

static bool pg_broken(struct store *s)
{
	return !conn(s) || s->lost || PQstatus(conn(s)) != CONNECTION_OK;
}

/* --- connecting --- */

/* libpq would print the server's notices (and a FATAL on shutdown) on stderr: a line in
 * the middle of a command's output or the server's log, outside its one-line errors. */
static void quiet(void *arg, const char *message)
{
	(void)arg, (void)message;
}

static int pg_open(struct store *s, int flags, char *err, size_t errlen)
{
	/* defaults the URL may override (it comes after them), then what handoff needs. Over
	 * TCP a server that vanished without closing is noticed within about half a minute
	 * (keepalives on an idle watcher, tcp_user_timeout for a query unanswered), not after
	 * the kernel's quarter of an hour of retransmissions. */
	const char *const kw[] = {"connect_timeout",
	                          "fallback_application_name",
	                          "keepalives_idle",
	                          "keepalives_interval",
	                          "keepalives_count",
	                          "tcp_user_timeout",
	                          "dbname",
	                          "client_encoding",
	                          NULL};
	const char *const val[] = {"5", "handoff", "10", "5", "3", "15000", s->path, "UTF8", NULL};
	PGconn *c = PQconnectdbParams(kw, val, 1);
	if (!c) {
		store_seterr(err, errlen, "cannot connect to %s: out of memory", s->name);
		return ENOMEM;
	}
	s->db = c;
	PQsetNoticeProcessor(c, quiet, NULL);
	if (PQstatus(c) != CONNECTION_OK) {
		char msg[PG_MSG_MAX];
		one_line(PQerrorMessage(c), msg, sizeof(msg));
		scrub(s, msg, sizeof(msg));
		store_seterr(err, errlen, "cannot connect to %s: %s", s->name, msg);
		if (strstr(msg, "password") || strstr(msg, "authentication"))
			return EACCES;
		return ECONNREFUSED;
	}
	/* a writer waits this long for another's lock, as SQLite's busy timeout */
	int rc = pg_exec(s, "SET lock_timeout = '5s'", err, errlen);
	bool has = false;
	if (!rc)
		rc = has_tables(s, &has, err, errlen);
	if (!rc && !has && !(flags & STORE_CREATE)) {
		store_seterr(err, errlen,
		             "no database at %s (it has no handoff tables): create one with "
		             "'handoff import FILE' or 'handoff dest add'",
		             s->name);
		rc = ENOENT;
	}
	if (!rc && !has)
		s->created = true; /* the migrations make the tables */
	if (!rc && (flags & STORE_WATCH))
		rc = pg_exec(s, "LISTEN " PG_CHANNEL, err, errlen);
	return rc;
}

static void pg_close(struct store *s)
{
	PQfinish(conn(s));
	s->db = NULL;
}

static void pg_let_go(struct store *s)
{
	(void)s; /* nothing kept beside a connection */
}

/* The tables this handle made, dropped again while nothing was written to them. */
static void pg_discard(struct store *s)
{
	if (pg_broken(s))
		return;
	int64_t gen = -1, rows = -1;
	if (pg_begin(s, STORE_TX_WRITE, NULL, 0))
		return;
	int rc = store_state_get(s, "gen", &gen, NULL, 0);
	if (!rc && gen == 0)
		rc = store_get_int(s, -1, &rows, NULL, 0,
		                   "SELECT (SELECT count(*) FROM dests) + (SELECT count(*) FROM "
		                   "versions) + (SELECT count(*) FROM audit)",
		                   "");
	if (!rc && rows == 0)
		rc =
		    pg_exec(s, "DROP TABLE audit, hours, failover, versions, headers, dests, state",
		            NULL, 0);
	pg_end(s, !rc && rows == 0, NULL, 0);
}

static int pg_ids_follow(struct store *s, char *err, size_t errlen)
{
	return store_run(
	    s, err, errlen,
	    "SELECT setval(pg_get_serial_sequence('audit', 'id'), (SELECT max(id) FROM "
	    "audit))",
	    "");
}

const struct store_backend store_pg = {
    .name = "postgresql",
    .dialect = 1,
    .file = false,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .query = pg_query,
    .begin = pg_begin,
    .end = pg_end,
    .schema_get = pg_schema_get,
    .schema_set = pg_schema_set,
    .data_version = pg_data_version,
    .wait = pg_wait,
    .broken = pg_broken,
    .let_go = pg_let_go,
    .discard = pg_discard,
    .ids_follow = pg_ids_follow,
};

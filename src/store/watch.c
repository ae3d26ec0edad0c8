/* watch: keeps the latest snapshot of both environments of a store, noticing any change
 * (from any process) within a second, through the store's own interface: a change notice
 * (PostgreSQL's NOTIFY) or the periodic check (data_version), and a store lost (an SQLite
 * file deleted, replaced, moved or written behind SQLite's back; a PostgreSQL connection
 * gone), which closes the handle and opens the store afresh, with a backoff. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/mem.h"

struct store_watch {
	struct store *s; /* NULL while the store cannot be opened (the thread's alone) */
	char *path;
	bool notified;       /* the store sends change notices (PostgreSQL) */
	const char *backend; /* "sqlite", "postgresql" */
	pthread_t thread;
	int wake[2];        /* a byte wakes the thread: stop, poke */
	int stop, poke;     /* set atomically (poke from a signal handler too) */
	pthread_mutex_t mu; /* guards what follows */
	struct dest_set *sets[2];
	int64_t data_version; /* the thread's */
	bool has_db;          /* s is open */
	bool up;              /* the last poll read the store */
	bool opened;          /* the store was open once (the thread's) */
	bool reopened;        /* the last poll opened it again after that (the thread's) */
	unsigned long failures, notices, reconnects;
	char last_error[256]; /* why the last poll failed */
};

static void swap_in(struct store_watch *w, struct dest_set *sets[2])
{
	struct dest_set *old[2];
	pthread_mutex_lock(&w->mu);
	old[0] = w->sets[0];
	old[1] = w->sets[1];
	w->sets[0] = sets[0];
	w->sets[1] = sets[1];
	pthread_mutex_unlock(&w->mu);
	/* readers holding the old sets keep them alive until they release */
	dest_set_release(old[0]);
	dest_set_release(old[1]);
}

/* One poll, without the lock: 0, or an errno value with err filled (the snapshots then
 * stay as they were). */
static int poll_once(struct store_watch *w, bool forced, char *err, size_t errlen)
{
	enum store_file fs = w->s ? store_file_state(w->s) : STORE_FILE_REPLACED;
	if (w->s && fs != STORE_FILE_SAME) {
		/* closed before the path is opened again, its WAL emptied, so that WAL is
		 * never read as if it belonged to the new file */
		store_let_go(w->s);
		w->s = NULL;
	}
	bool fresh = false;
	if (!w->s) {
		char why[200], name[STORE_NAME_MAX];
		int rc = store_open(&w->s, w->path, STORE_WATCH, why, sizeof(why));
		if (rc) {
			w->s = NULL;
			if (w->notified) /* why names it: "cannot connect to URL: ..." */
				snprintf(err, errlen, "%s", why);
			else
				snprintf(err, errlen, "%s (deleted, replaced or unreadable): %s",
				         store_redact(w->path, name, sizeof(name)), why);
			return rc;
		}
		fresh = true;
		w->reopened = w->opened;
		w->opened = true;
	}
	int64_t dv = 0;
	int rc = store_data_version(w->s, &dv, err, errlen);
	if (!rc && (fresh || forced || dv != w->data_version)) {
		struct dest_set *sets[2];
		if ((rc = store_load_both(w->s, sets, err, errlen)) == 0) {
			w->data_version = dv;
			swap_in(w, sets);
		}
	}
	if (rc && (fresh || store_file_state(w->s) != STORE_FILE_SAME)) {
		/* a store it cannot read, or lost meanwhile: opened afresh on the next poll */
		store_close(w->s);
		w->s = NULL;
	}
	return rc;
}

static void drain(int fd)
{
	char b[64];
	while (read(fd, b, sizeof(b)) > 0)
		;
}

static void *watch_main(void *arg)
{
	struct store_watch *w = arg;
	int check_ms = w->notified ? STORE_CHECK_MS : STORE_POLL_MS;
	int retry_max = w->notified ? STORE_RETRY_MAX_MS : STORE_POLL_MS;
	int delay = check_ms, retry = STORE_POLL_MS;
	for (;;) {
		int notice = 0;
		if (w->s) {
			notice = w->s->be->wait(w->s, w->wake[0], delay);
		} else {
			struct pollfd p = {w->wake[0], POLLIN, 0};
			poll(&p, 1, delay);
		}
		drain(w->wake[0]);
		if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
			break;
		bool forced = __atomic_exchange_n(&w->poke, 0, __ATOMIC_ACQ_REL) != 0;
		char err[256] = "";
		w->reopened = false;
		int rc = poll_once(w, forced, err, sizeof(err));
		pthread_mutex_lock(&w->mu);
		w->has_db = w->s != NULL;
		w->up = rc == 0;
		w->notices += notice > 0;
		w->reconnects += rc == 0 && w->reopened;
		/* on failure the old snapshots stay and the next poll retries; the failure is
		 * counted so the server can say so */
		if (rc) {
			w->failures++;
			snprintf(w->last_error, sizeof(w->last_error), "%s",
			         err[0] ? err : strerror(rc));
		}
		pthread_mutex_unlock(&w->mu);
		if (w->s || rc == ENOENT) { /* read, or reachable with no store yet */
			delay = check_ms;
			retry = STORE_POLL_MS;
		} else { /* unreachable: again soon, then less and less often */
			delay = retry;
			retry = retry * 2 > retry_max ? retry_max : retry * 2;
		}
	}
	return NULL;
}

unsigned long store_watch_failures(struct store_watch *w, char *why, size_t whylen)
{
	pthread_mutex_lock(&w->mu);
	unsigned long n = w->failures;
	if (why && whylen)
		snprintf(why, whylen, "%s", w->last_error);
	pthread_mutex_unlock(&w->mu);
	return n;
}

void store_watch_status(struct store_watch *w, struct store_watch_status *st, char *why,
                        size_t whylen)
{
	pthread_mutex_lock(&w->mu);
	*st = (struct store_watch_status){.up = w->up,
	                                  .failures = w->failures,
	                                  .notices = w->notices,
	                                  .reconnects = w->reconnects,
	                                  .backend = w->backend};
	if (why && whylen)
		snprintf(why, whylen, "%s", w->last_error);
	pthread_mutex_unlock(&w->mu);
}

static void watch_free(struct store_watch *w)
{
	dest_set_release(w->sets[0]);
	dest_set_release(w->sets[1]);
	store_close(w->s);
	close(w->wake[0]);
	close(w->wake[1]);
	pthread_mutex_destroy(&w->mu);
	xwipe(w->path, strlen(w->path)); /* it may hold a password */
	free(w->path);
	free(w);
}

int store_watch_start(struct store_watch **wp, const char *path, char *err, size_t errlen)
{
	struct store *s = NULL;
	/* no store yet: nothing is created; the sets are empty until one appears */
	int rc = store_open(&s, path, STORE_WATCH, err, errlen);
	if (rc && rc != ENOENT)
		return rc;
	struct store_watch *w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->has_db = w->up = w->opened = s != NULL;
	w->path = xstrdup(path);
	w->notified = store_is_url(path);
	w->backend = w->notified ? "postgresql" : "sqlite";
	pthread_mutex_init(&w->mu, NULL);
	if (pipe2(w->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = errno;
		snprintf(err, errlen, "cannot start the store watcher: %s", strerror(rc));
		w->wake[0] = w->wake[1] = -1;
		watch_free(w);
		return rc;
	}
	if (!s) {
		w->sets[0] = dest_set_new(NULL, 0);
		w->sets[1] = dest_set_new(NULL, 0);
	} else if ((rc = store_data_version(s, &w->data_version, err, errlen)) ||
	           (rc = store_load_both(s, w->sets, err, errlen))) {
		watch_free(w);
		return rc;
	}
	if ((rc = pthread_create(&w->thread, NULL, watch_main, w)) != 0) {
		snprintf(err, errlen, "cannot start the store watcher: %s", strerror(rc));
		watch_free(w);
		return rc;
	}
	*wp = w;
	return 0;
}

bool store_watch_has_db(struct store_watch *w)
{
	pthread_mutex_lock(&w->mu);
	bool has = w->has_db;
	pthread_mutex_unlock(&w->mu);
	return has;
}

struct dest_set *store_watch_get(struct store_watch *w, enum dest_env env)
{
	pthread_mutex_lock(&w->mu);
	struct dest_set *s = w->sets[env == DEST_LIVE ? 1 : 0];
	dest_set_hold(s);
	pthread_mutex_unlock(&w->mu);
	return s;
}

void store_watch_poke(struct store_watch *w)
{
	__atomic_store_n(&w->poke, 1, __ATOMIC_RELEASE);
	/* async-signal-safe; a full pipe already wakes the thread */
	ssize_t n = write(w->wake[1], "p", 1);
	(void)n;
}

void store_watch_stop(struct store_watch *w)
{
	if (!w)
		return;
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	ssize_t n = write(w->wake[1], "s", 1);
	(void)n;
	pthread_join(w->thread, NULL);
	watch_free(w);
}

/* watch: keeps the latest snapshot of both environments of a database, noticing any change
 * (from any process) within STORE_POLL_MS, through the store's own interface: a commit
 * (data_version), and a file deleted, replaced, moved or written behind SQLite's back
 * (store_file_state), which closes the handle and opens the path afresh. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/mem.h"

struct store_watch {
	struct store *s; /* NULL while the path names no readable database */
	char *path;
	pthread_t thread;
	pthread_mutex_t mu; /* guards sets, stop, poke */
	pthread_cond_t cv;
	struct dest_set *sets[2];
	bool stop;
	int poke; /* set without the lock (atomically), so a signal handler may poke */
	int64_t data_version;
	bool has_db;            /* s is open (under mu; s itself is the thread's) */
	unsigned long failures; /* reloads that failed (under mu) */
	char last_error[256];   /* why the last one failed (under mu) */
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
		char why[200];
		int rc = store_open(&w->s, w->path, 0, why, sizeof(why));
		if (rc) {
			w->s = NULL;
			snprintf(err, errlen, "%s (deleted, replaced or unreadable): %s", w->path,
			         why);
			return rc;
		}
		fresh = true;
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
	if (rc && fresh) { /* a file it cannot read: opened afresh on the next poll */
		store_close(w->s);
		w->s = NULL;
	}
	return rc;
}

static void *watch_main(void *arg)
{
	struct store_watch *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		{
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += STORE_POLL_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		}
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->mu);
		bool forced = __atomic_exchange_n(&w->poke, 0, __ATOMIC_ACQ_REL) != 0;
		char err[256] = "";
		int rc = poll_once(w, forced, err, sizeof(err));
		pthread_mutex_lock(&w->mu);
		w->has_db = w->s != NULL;
		/* on failure the old snapshots stay and the next tick retries; the
		 * failure is counted so the server can say so */
		if (rc) {
			w->failures++;
			snprintf(w->last_error, sizeof(w->last_error), "%s",
			         err[0] ? err : strerror(rc));
		}
	}
	pthread_mutex_unlock(&w->mu);
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

int store_watch_start(struct store_watch **wp, const char *path, char *err, size_t errlen)
{
	struct store *s = NULL;
	/* no file yet: nothing is created; the sets are empty until one appears */
	int rc = store_open(&s, path, 0, err, errlen);
	if (rc && rc != ENOENT)
		return rc;
	struct store_watch *w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->has_db = s != NULL;
	w->path = xstrdup(path);
	if (!s) {
		w->sets[0] = dest_set_new(NULL, 0);
		w->sets[1] = dest_set_new(NULL, 0);
	} else if ((rc = store_data_version(s, &w->data_version, err, errlen)) ||
	           (rc = store_load_both(s, w->sets, err, errlen))) {
		store_close(s);
		free(w->path);
		free(w);
		return rc;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&w->thread, NULL, watch_main, w)) != 0) {
		snprintf(err, errlen, "cannot start the store watcher: %s", strerror(rc));
		dest_set_release(w->sets[0]);
		dest_set_release(w->sets[1]);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		store_close(s);
		free(w->path);
		free(w);
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
}

void store_watch_stop(struct store_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	dest_set_release(w->sets[0]);
	dest_set_release(w->sets[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	store_close(w->s);
	free(w->path);
	free(w);
}

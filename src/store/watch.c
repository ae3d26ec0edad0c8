/* watch: keeps the latest snapshot of both environments of a database, noticing any change
 * (from any process) within STORE_POLL_MS, through the store's own interface. */
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
	struct store *s;
	pthread_t thread;
	pthread_mutex_t mu; /* guards sets, stop, poke */
	pthread_cond_t cv;
	struct dest_set *sets[2];
	bool stop;
	int poke; /* set without the lock (atomically), so a signal handler may poke */
	int64_t data_version;
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

		int64_t dv = 0;
		char err[256] = "";
		int rc;
		if ((rc = store_data_version(w->s, &dv, err, sizeof(err))) == 0 &&
		    (forced || dv != w->data_version)) {
			struct dest_set *sets[2];
			if ((rc = store_load_both(w->s, sets, err, sizeof(err))) == 0) {
				w->data_version = dv;
				swap_in(w, sets);
			}
		}
		pthread_mutex_lock(&w->mu);
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
	struct store *s;
	int rc = store_open(&s, path, STORE_CREATE, err, errlen);
	if (rc)
		return rc;
	struct store_watch *w = xcalloc(1, sizeof(*w));
	w->s = s;
	if ((rc = store_data_version(s, &w->data_version, err, errlen)) ||
	    (rc = store_load_both(s, w->sets, err, errlen))) {
		store_close(s);
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
		free(w);
		return rc;
	}
	*wp = w;
	return 0;
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
	free(w);
}

/* perthread: one block of memory per thread, made (zeroed) on first use and
 * destroyed when the thread ends, for buffers a hot path must not allocate. */
#include "util/perthread.h"

#include <stdlib.h>

#include "util/mem.h"

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

static void key_once(struct perthread *pt)
{
	/* a lock-free check on the hot path; the key is made once, under a lock */
	if (__atomic_load_n(&pt->ready, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&init_mu);
	if (!pt->ready) {
		if (pthread_key_create(&pt->key, pt->destroy ? pt->destroy : free) != 0)
			abort(); /* out of keys: a programming error, as OOM is */
		__atomic_store_n(&pt->ready, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&init_mu);
}

void *perthread_get(struct perthread *pt)
{
	key_once(pt);
	void *p = pthread_getspecific(pt->key);
	if (!p) {
		p = xcalloc(1, pt->size);
		pthread_setspecific(pt->key, p);
	}
	return p;
}

void perthread_release(struct perthread *pt)
{
	key_once(pt);
	void *p = pthread_getspecific(pt->key);
	if (p) {
		pthread_setspecific(pt->key, NULL);
		(pt->destroy ? pt->destroy : free)(p);
	}
}

/* perthread: one block of memory per thread, made (zeroed) on first use and
 * destroyed when the thread ends, for buffers a hot path must not allocate. */
#ifndef HANDOFF_UTIL_PERTHREAD_H
#define HANDOFF_UTIL_PERTHREAD_H

#include <pthread.h>
#include <stddef.h>

struct perthread {
	size_t size;                  /* bytes of each thread's block */
	void (*destroy)(void *block); /* at thread exit; NULL = free() */
	/* private: */
	int ready;
	pthread_key_t key;
};

/* A static initialiser: static struct perthread pt = PERTHREAD(sizeof(x), NULL); */
#define PERTHREAD(sz, fn)                                                                          \
	{                                                                                          \
		.size = (sz), .destroy = (fn)                                                      \
	}

/* This thread's block (owned by pt; never NULL). */
void *perthread_get(struct perthread *pt);
/* Destroys this thread's block now, e.g. on a thread that outlives its use. */
void perthread_release(struct perthread *pt);

#endif

/* sip_pool: the SIP adapter's workers: a bounded queue of jobs (REFERs, INVITEs, hang-ups that
 * may block on a webhook for 15 s) and the threads that run them, off the SIP loop. */
#include "net/sip_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/mem.h"

struct pjob {
	struct pjob *next;
	sipd_job_fn run, drop;
	void *arg;
};

struct sipd_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pjob *head, *tail;
	size_t n, max;
	bool stop;
	pthread_t *th;
	int nth;
};

static void *worker(void *arg)
{
	struct sipd_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		struct pjob *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->n--;
		pthread_mutex_unlock(&p->mu);
		j->run(j->arg);
		free(j);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int sipd_pool_start(struct sipd_pool **out, int n, size_t max)
{
	struct sipd_pool *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->max = max;
	p->th = xcalloc((size_t)n, sizeof(*p->th));
	for (int i = 0; i < n; i++) {
		if (pthread_create(&p->th[i], NULL, worker, p) != 0) {
			p->nth = i;
			sipd_pool_free(p);
			return EAGAIN;
		}
		p->nth = i + 1;
	}
	*out = p;
	return 0;
}

int sipd_pool_push(struct sipd_pool *p, sipd_job_fn run, sipd_job_fn drop, void *arg)
{
	pthread_mutex_lock(&p->mu);
	if (p->stop || p->n >= p->max) {
		pthread_mutex_unlock(&p->mu);
		return EAGAIN;
	}
	struct pjob *j = xcalloc(1, sizeof(*j));
	*j = (struct pjob){NULL, run, drop, arg};
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->n++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void sipd_pool_free(struct sipd_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	struct pjob *j = p->head;
	p->head = p->tail = NULL;
	p->n = 0;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	while (j) {
		struct pjob *next = j->next;
		j->drop(j->arg);
		free(j);
		j = next;
	}
	for (int i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	free(p->th);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

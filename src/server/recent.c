/* recent: the last transfers the server answered, in a bounded ring behind one small lock. */
#include "server/recent.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/mem.h"

_Static_assert(sizeof(((struct console_transfer *)0)->call_sid) ==
                   sizeof(((struct handler_log *)0)->call_sid),
               "call_sid: the same size in the log and the ring");
_Static_assert(sizeof(((struct console_transfer *)0)->target) ==
                   sizeof(((struct handler_log *)0)->target),
               "target: the same size in the log and the ring");
_Static_assert(sizeof(((struct console_transfer *)0)->dest) ==
                   sizeof(((struct handler_log *)0)->dest),
               "dest: the same size in the log and the ring");

struct srv_recent {
	pthread_mutex_t mu;
	struct console_transfer *v;
	size_t cap, next, n; /* next: the slot written next; n: rows held */
	int64_t wall_ms;     /* CLOCK_REALTIME - CLOCK_MONOTONIC, in ms, when made */
};

static int64_t ms_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

struct srv_recent *srv_recent_new(size_t cap)
{
	struct srv_recent *r = xcalloc(1, sizeof(*r));
	if (cap < 1)
		cap = 1;
	if (cap > CONSOLE_RECENT_MAX)
		cap = CONSOLE_RECENT_MAX;
	r->cap = cap;
	r->v = xcalloc(cap, sizeof(*r->v));
	struct timespec wall, mono;
	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	r->wall_ms = ms_of(&wall) - ms_of(&mono);
	pthread_mutex_init(&r->mu, NULL);
	return r;
}

void srv_recent_free(struct srv_recent *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->mu);
	free(r->v);
	free(r);
}

int srv_recent_wanted(const struct handler_route *route)
{
	/* the transfer routes; /transfer/{name} joins with its own route kind */
	return route && route->kind == ROUTE_REFER;
}

/* Copies a NUL-terminated string, cut to fit. */
static void put(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void srv_recent_add(struct srv_recent *r, const char *method, const struct handler_log *log,
                    int status, uint64_t ns, const struct timespec *done)
{
	pthread_mutex_lock(&r->mu);
	struct console_transfer *t = &r->v[r->next];
	r->next = (r->next + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
	t->at_ms = r->wall_ms + ms_of(done);
	put(t->method, sizeof(t->method), method);
	put(t->route, sizeof(t->route), log->route ? log->route->name : "none");
	t->status = status;
	/* the same fixed sizes on both sides: one copy each, no length to find */
	memcpy(t->call_sid, log->call_sid, sizeof(t->call_sid));
	memcpy(t->target, log->target, sizeof(t->target));
	memcpy(t->dest, log->dest, sizeof(t->dest));
	t->call_sid[sizeof(t->call_sid) - 1] = t->target[sizeof(t->target) - 1] =
	    t->dest[sizeof(t->dest) - 1] = '\0';
	t->version = log->version;
	if (log->why[0]) /* only a refusal says why */
		put(t->why, sizeof(t->why), log->why);
	else
		t->why[0] = '\0';
	t->latency_us = ns / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(ns / 1000);
	pthread_mutex_unlock(&r->mu);
}

size_t srv_recent_read(void *ctx, struct console_transfer *out, size_t max)
{
	struct srv_recent *r = ctx;
	pthread_mutex_lock(&r->mu);
	size_t n = r->n < max ? r->n : max;
	for (size_t i = 0; i < n; i++)
		out[i] = r->v[(r->next + r->cap - 1 - i) % r->cap];
	pthread_mutex_unlock(&r->mu);
	return n;
}

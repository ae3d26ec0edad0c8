/* recent: the last transfers the server answered (/refer, /transfer), in a bounded ring in
 * memory, fed from the access-log path and read by the console. */
#ifndef HANDOFF_SRV_RECENT_H
#define HANDOFF_SRV_RECENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "console/console.h"
#include "webhooks/handler.h"

struct srv_recent;

/* A ring of cap rows (1..CONSOLE_RECENT_MAX); free with srv_recent_free. */
struct srv_recent *srv_recent_new(size_t cap);
void srv_recent_free(struct srv_recent *r);

/* Whether a request on this route belongs in the ring (the transfer routes). */
int srv_recent_wanted(const struct handler_route *route);

/* Adds one answered request (thread-safe; the oldest row goes when full). done is when it
 * was answered, on CLOCK_MONOTONIC (the request path reads that clock already; the ring
 * turns it into wall time with an offset taken when it was made). */
void srv_recent_add(struct srv_recent *r, const char *method, const struct handler_log *log,
                    int status, uint64_t ns, const struct timespec *done);

/* Copies at most max rows, newest first, into out; returns how many (thread-safe). A
 * console_source.recent: ctx is the ring. */
size_t srv_recent_read(void *ctx, struct console_transfer *out, size_t max);

#endif

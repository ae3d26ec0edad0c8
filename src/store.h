/* store: the destinations database (SQLite): sandbox edits, immutable
 * promoted versions, and the live snapshot the server reads. */
#ifndef HANDOFF_STORE_H
#define HANDOFF_STORE_H

#include <stdint.h>

#include "webhooks/dest.h"

/* An immutable, refcounted set of destinations: what one environment held
 * at one moment. Readers hold a reference while they use it. */
struct dest_set {
	int version;        /* the live version number; 0 for the sandbox */
	int64_t changed;    /* a counter that moves whenever the set changes */
	struct dest *dests; /* sorted by name */
	size_t n;
	/* private: */
	int refs;
};

/* Finds a destination by name, ASCII case-insensitively; NULL when absent. */
const struct dest *dest_set_find(const struct dest_set *s, struct str name);
void dest_set_hold(struct dest_set *s);
void dest_set_release(struct dest_set *s);

/* A watcher: keeps the latest snapshot of both environments of the database
 * at path, noticing any change (from any process) within one second. */
struct store_watch;
int store_watch_start(struct store_watch **wp, const char *path, char *err, size_t errlen);
/* Returns a held snapshot (release it with dest_set_release). Never NULL. */
struct dest_set *store_watch_get(struct store_watch *w, enum dest_env env);
/* Forces a reload now (SIGHUP). */
void store_watch_poke(struct store_watch *w);
void store_watch_stop(struct store_watch *w);

#endif

/* dest_set: an immutable, refcounted set of destinations (what one environment held at
 * one moment), with each destination's answer compiled once. Loaded by src/store,
 * read by the handler. */
#ifndef HANDOFF_DEST_SET_H
#define HANDOFF_DEST_SET_H

#include <stddef.h>
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
	struct dest_tmpl **tmpl; /* each destination's compiled answer (NULL: not compiled) */
};

/* Finds a destination by name, ASCII case-insensitively; NULL when absent. */
const struct dest *dest_set_find(const struct dest_set *s, struct str name);
/* Renders d, one of s's destinations, exactly as dest_render does, through
 * the answer compiled when s was built (no tree, no allocation) when there
 * is one. Returns 0 or dest_render's errors. */
int dest_set_render(const struct dest_set *s, const struct dest *d, const struct dest_vars *v,
                    struct buf *out);
/* Take and drop a reference (thread-safe); the last release frees the set. */
void dest_set_hold(struct dest_set *s);
void dest_set_release(struct dest_set *s);

/* A new set (refs = 1) holding copies of dests, sorted by name (n = 0: empty). */
struct dest_set *dest_set_new(const struct dest *dests, size_t n);
/* The same, taking over the malloc'd array dests and its members (no copy);
 * version and changed start at 0 for the caller to fill. */
struct dest_set *dest_set_adopt(struct dest *dests, size_t n);

#endif

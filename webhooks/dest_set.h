/* dest_set: an immutable, refcounted set of destinations (what one environment held at
 * one moment), with each destination's answer compiled once. Loaded by src/store,
 * read by the handler. */
#ifndef HANDOFF_DEST_SET_H
#define HANDOFF_DEST_SET_H

#include <stddef.h>
#include <stdint.h>

#include "util/tz.h"
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
	size_t *other;           /* the index of each one's --otherwise (SIZE_MAX: none) */
	const struct tz **zone;  /* each one's zone (NULL: no hours, or not loaded) */
	struct tz **zones;       /* the distinct zones, owned */
	size_t nzones;
	char zone_error[256]; /* why a zone could not be loaded ("" when all were) */
};

/* Reads zone name for dest_set_load_zones: *out on success (the set frees it with
 * tz_free); an errno value with err filled otherwise. */
typedef int (*dest_zone_loader)(const char *name, struct tz **out, char *err, size_t errlen);

/* Finds a destination by name, ASCII case-insensitively; NULL when absent. */
const struct dest *dest_set_find(const struct dest_set *s, struct str name);
/* Renders d, one of s's destinations, exactly as dest_render does, through
 * the answer compiled when s was built (no tree, no allocation) when there
 * is one. Returns 0 or dest_render's errors. */
int dest_set_render(const struct dest_set *s, const struct dest *d, const struct dest_vars *v,
                    struct buf *out);
/* Attaches each destination's zone, loading each distinct zone once (so the set reads
 * no file afterwards). Call before the set is shared. A zone that cannot be loaded is
 * noted in zone_error and its destinations answer as if they had no hours. Returns the
 * number of zones that failed. */
size_t dest_set_load_zones(struct dest_set *s, dest_zone_loader load);

/* What dest_set_pick decided, for the log and the CLI. */
struct dest_pick {
	const struct dest *asked; /* the destination named (NULL: none by that name) */
	bool closed_date;         /* it was closed for one of its --closed dates */
	size_t hops;              /* how many --otherwise were followed (0: it answers) */
};

/* The destination that answers for name at instant now (Unix seconds): the one named
 * when it has no hours or is open, else its --otherwise, followed while each is closed
 * (at most s->n steps: saved sets have no cycle). NULL when no destination has that
 * name. pick (may be NULL) says how. Pure: no clock, no file, no allocation. */
const struct dest *dest_set_pick(const struct dest_set *s, struct str name, int64_t now,
                                 struct dest_pick *pick);

/* What answers for d (one of s's destinations) at instant t, in the words of 'handoff dest
 * list' (its NOW column) and the console's list: "" (no opening hours: d answers), "open",
 * "open (zone ZONE not loaded)", "closed -> NAME" or "closed (closed date) -> NAME".
 * Writes at most cap bytes to out. */
#define DEST_NOTE_MAX 128 /* room for any of those */
void dest_set_answer_note(const struct dest_set *s, const struct dest *d, int64_t t, char *out,
                          size_t cap);

/* The zone attached to d, one of s's destinations (NULL: none). */
const struct tz *dest_set_zone(const struct dest_set *s, const struct dest *d);

/* Take and drop a reference (thread-safe); the last release frees the set. */
void dest_set_hold(struct dest_set *s);
void dest_set_release(struct dest_set *s);

/* A new set (refs = 1) holding copies of dests, sorted by name (n = 0: empty). */
struct dest_set *dest_set_new(const struct dest *dests, size_t n);
/* The same, taking over the malloc'd array dests and its members (no copy);
 * version and changed start at 0 for the caller to fill. */
struct dest_set *dest_set_adopt(struct dest *dests, size_t n);

#endif

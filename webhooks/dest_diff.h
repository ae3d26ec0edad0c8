/* dest_diff: what changed between two versions of a destination, field by field (the
 * console's sandbox-against-live view, the promote page and the audit log's detail). */
#ifndef HANDOFF_DEST_DIFF_H
#define HANDOFF_DEST_DIFF_H

#include <stddef.h>

#include "util/buf.h"
#include "webhooks/dest.h"
#include "webhooks/dest_set.h"

#define DEST_DIFF_FIELDS 12 /* rows of the fields table (description .. otherwise), at most */
/* deltas one pair of destinations gives: the fields, each header changed on either side, and
 * "header order" */
#define DEST_DIFF_MAX (DEST_DIFF_FIELDS + 2 * DEST_MAX_HEADERS + 1)
/* a field's value as text: the failover routes joined by ", " is the longest */
#define DEST_DIFF_TEXT_MAX (DEST_MAX_FAILOVER * (DEST_ROUTE_MAX + 2))

/* One field that differs. before/after point into the two destinations (or into text for a
 * value written out: a number, the failover routes, the opening ranges, the closed dates),
 * NULL when the field is absent on that side. About 2 kB: callers with many keep them off
 * the stack. */
struct dest_delta {
	char field[DEST_HEADER_NAME_MAX + 16]; /* "route", "timeout", "open", "header X-Caller" */
	const char *before, *after;
	char text[2][DEST_DIFF_TEXT_MAX];
};

/* How a destination of one set stands against the other set. */
enum dest_change { DEST_SAME, DEST_ADDED, DEST_CHANGED, DEST_REMOVED };
/* "same", "added", "changed", "removed". */
const char *dest_change_name(enum dest_change c);

/* The fields that differ from a (before) to b (after), in the order of the fields table
 * (description, route, failover, caller_id, timeout, tz, open, closed, otherwise: the
 * names of 'handoff dest' options and of the console's form fields), headers by name and
 * then "header order" when only their order moved. Lists read as text joined by ", " in
 * their order ("mon-fri 08:00-18:00, sat 10:00-14:00"). a or b may be NULL
 * (added, removed: every field present on the other side). Fills at most max; returns how
 * many differ. The deltas borrow a's and b's strings. */
size_t dest_diff(const struct dest *a, const struct dest *b, struct dest_delta *out, size_t max);

/* The same as one line of text ("route: sip:a@x -> sip:b@x; header X-Caller: (none) ->
 * $caller_id"), appended to out; "no change" when nothing differs. Returns buf_add's. */
int dest_diff_text(const struct dest *a, const struct dest *b, struct buf *out);

/* "N added, N changed, N removed" from the set from to the destinations to[0..n), appended
 * to out. */
int dest_set_changes_text(const struct dest_set *from, const struct dest *to, size_t n,
                          struct buf *out);

#endif

/* dest_diff: what changed between two versions of a destination, field by field (the
 * console's sandbox-against-live view, the promote page and the audit log's detail). */
#ifndef HANDOFF_DEST_DIFF_H
#define HANDOFF_DEST_DIFF_H

#include <stddef.h>

#include "util/buf.h"
#include "webhooks/dest.h"
#include "webhooks/dest_set.h"

#define DEST_DIFF_MAX (8 + 2 * DEST_MAX_HEADERS) /* deltas one pair of destinations gives */

/* One field that differs. before/after point into the two destinations (or into num for a
 * number), NULL when the field is absent on that side. */
struct dest_delta {
	char field[DEST_HEADER_NAME_MAX + 16]; /* "route", "timeout", "header X-Caller", ... */
	const char *before, *after;
	char num[2][16];
};

/* How a destination of one set stands against the other set. */
enum dest_change { DEST_SAME, DEST_ADDED, DEST_CHANGED, DEST_REMOVED };
/* "same", "added", "changed", "removed". */
const char *dest_change_name(enum dest_change c);

/* The fields that differ from a (before) to b (after), in the order of the fields table,
 * headers by name and then "header order" when only their order moved. a or b may be NULL
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

/* test_dest_diff: field-by-field differences between two destinations, as deltas and text. */
#include <string.h>

#include "test.h"
#include "util/buf.h"
#include "webhooks/dest_diff.h"

#define S(x) ((char *)(x)) /* the structs hold char *; these literals are never written */

static struct dest_header h1[] = {{S("X-Caller"), S("$caller_id")},
                                  {S("X-Reason"), S("$refer.X-Reason")}};
static struct dest_header h2[] = {{S("X-Reason"), S("$refer.X-Reason")},
                                  {S("X-Caller"), S("$caller_id")}};
static struct dest_header h3[] = {{S("X-Caller"), S("$from")}, {S("X-Vip"), S("1")}};

static void text_of(const struct dest *a, const struct dest *b, const char *want)
{
	struct buf out;
	buf_init(&out, 4096);
	CHECK_INT(dest_diff_text(a, b, &out), 0);
	CHECK_STR(buf_str(&out), want);
	buf_free(&out);
}

static void diffs(void)
{
	struct dest a = {.name = S("billing"),
	                 .route = S("sip:billing@pbx.example.com"),
	                 .headers = h1,
	                 .nheaders = 2};
	struct dest b = a;
	text_of(&a, &b, "no change");
	b.route = S("sip:billing-v2@pbx.example.com");
	b.timeout = 20;
	b.description = S("");
	text_of(&a, &b,
	        "route: sip:billing@pbx.example.com -> sip:billing-v2@pbx.example.com; timeout: "
	        "(none) -> 20");
	b = a;
	b.headers = h2;
	text_of(&a, &b, "header order changed");
	b.headers = h3;
	struct dest_delta d[DEST_DIFF_MAX];
	size_t n = dest_diff(&a, &b, d, DEST_DIFF_MAX);
	CHECK_INT(n, 3);
	CHECK_STR(d[0].field, "header X-Caller");
	CHECK_STR(d[0].before, "$caller_id");
	CHECK_STR(d[0].after, "$from");
	CHECK_STR(d[1].field, "header X-Reason");
	CHECK(d[1].after == NULL);
	CHECK_STR(d[2].field, "header X-Vip");
	CHECK(d[2].before == NULL);
	/* added and removed: every field present */
	text_of(NULL, &a,
	        "route: sip:billing@pbx.example.com; header X-Caller: $caller_id; header X-Reason: "
	        "$refer.X-Reason");
	text_of(&a, NULL,
	        "route: sip:billing@pbx.example.com; header X-Caller: $caller_id; header X-Reason: "
	        "$refer.X-Reason");
	n = dest_diff(&a, NULL, d, DEST_DIFF_MAX);
	CHECK_INT(n, 3);
	CHECK_STR(d[0].before, "sip:billing@pbx.example.com");
	CHECK(d[0].after == NULL);
	/* a small out: the count still says how many */
	CHECK_INT(dest_diff(NULL, &a, d, 1), 3);
	CHECK_STR(dest_change_name(DEST_CHANGED), "changed");
}

static char *fo1[] = {S("sip:billing@pbx2.example.com")};
static char *fo2[] = {S("sip:billing@pbx3.example.com"), S("sip:billing@pbx2.example.com")};

/* Failover routes and opening hours, field by field: a promote, versions/compare and the
 * audit log show a changed schedule or failover list. */
static void failover_and_hours(void)
{
	struct dest a = {.name = S("billing"), .route = S("sip:billing@pbx1.example.com")};
	struct dest b = a;
	b.failover = fo1;
	b.nfailover = 1;
	text_of(&a, &b, "failover: (none) -> sip:billing@pbx2.example.com");
	a = b;
	b.failover = fo2;
	b.nfailover = 2;
	/* the order is the order they are tried: a move is a change */
	text_of(&a, &b,
	        "failover: sip:billing@pbx2.example.com -> sip:billing@pbx3.example.com, "
	        "sip:billing@pbx2.example.com");
	b.nfailover = 0;
	text_of(&a, &b, "failover: sip:billing@pbx2.example.com -> (none)");

	char err[256];
	struct dest h = a;
	h.hours.tz = S("America/Los_Angeles");
	h.hours.otherwise = S("after-hours");
	CHECK_INT(hours_parse_range("mon-fri 08:00-18:00", &h.hours.open[0], err, sizeof(err)), 0);
	CHECK_INT(hours_parse_range("sat 10:00-14:00", &h.hours.open[1], err, sizeof(err)), 0);
	h.hours.nopen = 2;
	CHECK_INT(hours_parse_date("2026-12-25", &h.hours.closed[0], err, sizeof(err)), 0);
	h.hours.nclosed = 1;
	text_of(&a, &h,
	        "tz: (none) -> America/Los_Angeles; open: (none) -> mon-fri 08:00-18:00, sat "
	        "10:00-14:00; closed: (none) -> 2026-12-25; otherwise: (none) -> after-hours");
	struct dest hnew = h;
	CHECK_INT(hours_parse_range("mon-fri 09:00-17:00", &hnew.hours.open[0], err, sizeof(err)),
	          0);
	CHECK_INT(hours_parse_date("2027-01-01", &hnew.hours.closed[1], err, sizeof(err)), 0);
	hnew.hours.nclosed = 2;
	struct dest_delta d[DEST_DIFF_MAX];
	size_t n = dest_diff(&h, &hnew, d, DEST_DIFF_MAX);
	CHECK_INT(n, 2);
	CHECK_STR(d[0].field, "open");
	CHECK_STR(d[0].before, "mon-fri 08:00-18:00, sat 10:00-14:00");
	CHECK_STR(d[0].after, "mon-fri 09:00-17:00, sat 10:00-14:00");
	CHECK_STR(d[1].field, "closed");
	CHECK_STR(d[1].before, "2026-12-25");
	CHECK_STR(d[1].after, "2026-12-25, 2027-01-01");
	/* the same schedule is no change; the zone alone is one */
	hnew = h;
	CHECK_INT(dest_diff(&h, &hnew, d, DEST_DIFF_MAX), 0);
	hnew.hours.tz = S("America/New_York");
	text_of(&h, &hnew, "tz: America/Los_Angeles -> America/New_York");
	/* a destination added with all of it: every field in the table's order */
	struct dest full = h;
	full.failover = fo1;
	full.nfailover = 1;
	full.timeout = 20;
	text_of(NULL, &full,
	        "route: sip:billing@pbx1.example.com; failover: sip:billing@pbx2.example.com; "
	        "timeout: 20; tz: America/Los_Angeles; open: mon-fri 08:00-18:00, sat "
	        "10:00-14:00; closed: 2026-12-25; otherwise: after-hours");
	/* the longest failover list fits whole */
	static char r[DEST_MAX_FAILOVER][DEST_ROUTE_MAX + 1];
	char *fo[DEST_MAX_FAILOVER];
	for (int i = 0; i < DEST_MAX_FAILOVER; i++) {
		memset(r[i], 'a', DEST_ROUTE_MAX);
		memcpy(r[i], "sip:", 4);
		r[i][4] = (char)('0' + i);
		r[i][DEST_ROUTE_MAX] = '\0';
		fo[i] = r[i];
	}
	struct dest big = a;
	big.failover = fo;
	big.nfailover = DEST_MAX_FAILOVER;
	n = dest_diff(&a, &big, d, DEST_DIFF_MAX);
	CHECK_INT(n, 1);
	CHECK_INT(strlen(d[0].after),
	          DEST_MAX_FAILOVER * DEST_ROUTE_MAX + (DEST_MAX_FAILOVER - 1) * 2);
	/* a set with one changed schedule counts as changed */
	struct dest_set *live = dest_set_new(&h, 1);
	struct buf out;
	buf_init(&out, 256);
	dest_set_changes_text(live, &hnew, 1, &out);
	CHECK_STR(buf_str(&out), "0 added, 1 changed, 0 removed");
	buf_free(&out);
	dest_set_release(live);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"diffs", diffs}, {"failover_and_hours", failover_and_hours}, {NULL, NULL}};
	return test_run(cases);
}

/* test_dest_diff: field-by-field differences between two destinations, as deltas and text. */
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

int main(void)
{
	static const struct test_case cases[] = {{"diffs", diffs}, {NULL, NULL}};
	return test_run(cases);
}

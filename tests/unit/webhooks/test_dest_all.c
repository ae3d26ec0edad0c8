/* test_dest_all: dest_validate_all reports every field's error at once, each word for word
 * what dest_validate (the CLI's refusal) says when that field alone is wrong. */
#include <errno.h>
#include <stdbool.h>

#include "test.h"
#include "webhooks/dest.h"

/* A good SIP destination; each case spoils some of its fields. */
struct bad {
	const char *name, *route, *caller_id, *description;
	int timeout;
	const char *hname, *hvalue;
};

static void fill(struct dest *d, struct dest_header *h, const struct bad *b)
{
	memset(d, 0, sizeof(*d));
	d->name = (char *)(b->name ? b->name : "billing");
	d->route = (char *)(b->route ? b->route : "sip:billing@pbx.example.com");
	d->caller_id = (char *)b->caller_id;
	d->description = (char *)b->description;
	d->timeout = b->timeout;
	if (b->hname) {
		h->name = (char *)b->hname;
		h->value = (char *)(b->hvalue ? b->hvalue : "x");
		d->headers = h;
		d->nheaders = 1;
	}
}

/* What dest_validate says about one field spoiled alone. */
static void alone(const struct bad *only, struct dest_error *e)
{
	struct dest d;
	struct dest_header h;
	fill(&d, &h, only);
	memset(e, 0, sizeof(*e));
	CHECK_INT(dest_validate(&d, e), EINVAL);
}

static void every_field_at_once(void)
{
	static const struct bad name = {.name = "Bill ing"};
	static const struct bad desc = {.description = "two\nlines"};
	static const struct bad route = {.route = "sip:billing@pbx..example.com"};
	static const struct bad cid = {.caller_id = "a b"};
	static const struct bad hdr = {.hname = "Account", .hvalue = "$nope"};
	static const struct bad tmo = {.timeout = 3};
	const struct bad all = {
	    "Bill ing", "sip:billing@pbx..example.com", "a b", "two\nlines", 3, "Account", "$nope"};
	const struct bad *each[] = {&name, &desc, &route, &cid, &hdr, &tmo};
	static const char *const fields[] = {"name",      "description", "route",
	                                     "caller_id", "header",      "timeout"};
	struct dest d;
	struct dest_header h;
	fill(&d, &h, &all);
	struct dest_errors errs;
	CHECK_INT(dest_validate_all(&d, &errs), EINVAL);
	CHECK_INT(errs.n, 6);
	for (size_t i = 0; i < 6 && i < errs.n; i++) {
		struct dest_error one;
		alone(each[i], &one);
		CHECK_STR(errs.v[i].field, fields[i]);
		CHECK_STR(one.field, fields[i]);
		CHECK_STR(errs.v[i].msg, one.msg);
	}
	/* the CLI's one refusal is the first of them */
	struct dest_error first;
	CHECK_INT(dest_validate(&d, &first), EINVAL);
	CHECK_STR(first.msg, errs.v[0].msg);
}

static void some_fields(void)
{
	static const struct {
		struct bad b;
		size_t n;
		const char *first, *msg;
	} cases[] = {
	    {{.route = "4155550100"}, 1, "route", "is not E.164: write + and the country code"},
	    {{.route = "4155550100", .timeout = 900}, 2, "route", "is not E.164"},
	    {{.route = "+14155550100", .hname = "X-A"}, 1, "header", "headers need a SIP route"},
	    {{.hname = "X-Caller", .hvalue = "$caller_id"}, 0, NULL, NULL},
	    {{0}, 0, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dest d;
		struct dest_header h;
		fill(&d, &h, &cases[i].b);
		struct dest_errors errs;
		int rc = dest_validate_all(&d, &errs);
		CHECK_INT(rc, cases[i].n ? EINVAL : 0);
		CHECK_INT(errs.n, cases[i].n);
		struct dest_error one = {0};
		CHECK_INT(dest_validate(&d, &one), rc);
		if (cases[i].n && errs.n) {
			CHECK_STR(errs.v[0].field, cases[i].first);
			CHECK(strstr(errs.v[0].msg, cases[i].msg) != NULL);
			CHECK_STR(errs.v[0].msg, one.msg);
		}
	}
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"every_field_at_once", every_field_at_once},
	    {"some_fields", some_fields},
	    {NULL, NULL},
	};
	return test_run(cases);
}

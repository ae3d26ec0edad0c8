/* test_dest_failover: a destination's failover routes: their rules, the answer with one
 * <Uri> per route (which lints clean), and copying. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "twiml/lint.h"
#include "twiml/twiml.h"
#include "util/mem.h"
#include "webhooks/dest.h"

#define SIPR "sip:billing@pbx.example.com"

static char *render(const struct dest *d, const struct dest_vars *v, int *rc)
{
	struct buf b;
	buf_init(&b, TWIML_MAX_BYTES);
	*rc = dest_render(d, v, &b);
	char *s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

/* Failover routes: SIP by route's rules, after a SIP route, distinct, at most four. */
static void validate_failover(void)
{
	static const struct {
		const char *label, *route;
		const char *fo[DEST_MAX_FAILOVER + 2];
		const char *msg; /* NULL: valid */
	} cases[] = {
	    {"one ok", SIPR, {"sip:billing@pbx2.example.com"}, NULL},
	    {"four ok",
	     SIPR,
	     {"sip:b@pbx2.example.com", "sips:b@pbx3.example.com:5061;transport=tls",
	      "sip:b@[2001:db8::1]", "sip:192.0.2.10;region=ie1"},
	     NULL},
	    {"five",
	     SIPR,
	     {"sip:b@p2.example.com", "sip:b@p3.example.com", "sip:b@p4.example.com",
	      "sip:b@p5.example.com", "sip:b@p6.example.com"},
	     "5 failover routes, over the limit of 4"},
	    {"number route",
	     "+14155550100",
	     {"sip:b@pbx2.example.com"},
	     "failover routes need a SIP route"},
	    {"number failover", SIPR, {"+14155550100"}, "failover 1: \"+14155550100\" is a number"},
	    {"tel failover", SIPR, {"tel:+14155550100"}, "is a number"},
	    {"bad failover",
	     SIPR,
	     {"sip:b@pbx2.example.com", "sip:desk@"},
	     "failover 2: route \"sip:desk@\" has no host"},
	    {"headers in failover", SIPR, {"sip:b@pbx2.example.com?X-A=1"}, "--header"},
	    {"empty failover", SIPR, {""}, "failover 1: route is empty"},
	    {"same as route", SIPR, {"sip:billing@PBX.example.com"}, "is the route itself"},
	    {"twice",
	     SIPR,
	     {"sip:b@pbx2.example.com", "sip:b@pbx2.example.com"},
	     "failover 2: \"sip:b@pbx2.example.com\" is given twice"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dest d = {.name = (char *)"billing", .route = (char *)cases[i].route};
		d.failover = (char **)cases[i].fo;
		while (d.nfailover < DEST_MAX_FAILOVER + 2 && cases[i].fo[d.nfailover])
			d.nfailover++;
		struct dest_error e;
		memset(&e, 0, sizeof(e));
		test_current = cases[i].label;
		int rc = dest_validate(&d, &e);
		CHECK_INT(rc, cases[i].msg ? EINVAL : 0);
		if (cases[i].msg && rc) {
			CHECK_STR(e.field, "failover");
			if (!strstr(e.msg, cases[i].msg))
				CHECK_STR(e.msg, cases[i].msg);
		}
	}
	test_current = "validate_failover";
}

/* A failover destination answers one <Uri priority="N"> per route, each carrying the
 * headers (percent-encoded in its query, as a plain <Sip> does), and the answer lints clean. */
static void render_failover(void)
{
	struct dest_header hs[] = {
	    {(char *)"X-Caller", (char *)"$caller_id"},
	    {(char *)"X-Reason", (char *)"$refer.X-Reason"},
	};
	char *fo[] = {(char *)"sip:billing@pbx2.example.com",
	              (char *)"sips:billing@pbx3.example.com"};
	struct dest d = {.name = (char *)"billing",
	                 .route = (char *)"sip:billing@pbx1.example.com;transport=tls",
	                 .timeout = 20,
	                 .headers = hs,
	                 .nheaders = 2,
	                 .failover = fo,
	                 .nfailover = 2};
	struct dest_error e;
	CHECK_INT(dest_validate(&d, &e), 0);
	struct dest_kv kv[] = {{"X-Reason", "up sell&more"}};
	struct dest_vars v = {"+14155550100", "+14155550199", NULL, NULL, kv, 1};
	int rc;
	char *s = render(&d, &v, &rc);
	CHECK_INT(rc, 0);
	CHECK_STR(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	             "<Response>\n"
	             "  <Dial timeout=\"20\" answerOnBridge=\"true\">\n"
	             "    <Sip>\n"
	             "      <Uri priority=\"1\">sip:billing@pbx1.example.com;transport=tls"
	             "?X-Caller=%2B14155550100&amp;X-Reason=up%20sell%26more</Uri>\n"
	             "      <Uri priority=\"2\">sip:billing@pbx2.example.com"
	             "?X-Caller=%2B14155550100&amp;X-Reason=up%20sell%26more</Uri>\n"
	             "      <Uri priority=\"3\">sips:billing@pbx3.example.com"
	             "?X-Caller=%2B14155550100&amp;X-Reason=up%20sell%26more</Uri>\n"
	             "    </Sip>\n"
	             "  </Dial>\n"
	             "</Response>\n");
	struct twiml_findings f;
	struct twiml_node *root = NULL;
	twiml_findings_init(&f);
	CHECK_INT(twiml_lint(s, strlen(s), &root, &f), 0);
	CHECK_INT(f.n, 0);
	twiml_findings_free(&f);
	twiml_free(root);
	free(s);
	/* the dial target is the primary route's */
	struct buf t;
	buf_init(&t, 4096);
	CHECK_INT(dest_render_target(&d, &v, &t), 0);
	CHECK_STR(buf_str(&t), "sip:billing@pbx1.example.com;transport=tls?X-Caller=%2B14155550100"
	                       "&X-Reason=up%20sell%26more");
	buf_free(&t);
	/* no failover: the one <Sip> URI, as before */
	d.nfailover = 0;
	s = render(&d, &v, &rc);
	CHECK(strstr(s, "<Sip>sip:billing@pbx1.example.com;transport=tls?X-Caller=") != NULL);
	CHECK(strstr(s, "<Uri") == NULL);
	free(s);
	/* copies */
	d.nfailover = 2;
	struct dest *c = dest_dup(&d);
	CHECK_INT(c->nfailover, 2);
	CHECK_STR(c->failover[1], "sips:billing@pbx3.example.com");
	CHECK(c->failover[1] != fo[1]);
	dest_clear(c);
	CHECK(c->failover == NULL && c->nfailover == 0);
	free(c);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"validate_failover", validate_failover},
	    {"render_failover", render_failover},
	    {NULL, NULL},
	};
	return test_run(cases);
}

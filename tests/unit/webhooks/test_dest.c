/* test_dest: every validation rule refused and passed, rendering, and injection through every
 * variable. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "test.h"
#include "twiml/twiml.h"
#include "util/mem.h"
#include "webhooks/dest.h"

/* One validation case: a destination built from these fields (NULL = the
 * default of a good SIP destination) and what validation must answer. */
struct vcase {
	const char *label;
	const char *name, *route, *caller_id, *description;
	int timeout;
	const char *h[6]; /* name, value pairs */
	int want;         /* 0 or EINVAL */
	const char *field;
	const char *msg; /* a substring of the refusal */
};

static char *rep(char c, size_t n, const char *prefix, const char *suffix)
{
	size_t p = strlen(prefix), s = strlen(suffix);
	char *o = xmalloc(p + n + s + 1);
	memcpy(o, prefix, p);
	memset(o + p, c, n);
	memcpy(o + p + n, suffix, s + 1);
	return o;
}

static int validate_case(const struct vcase *c, struct dest_error *e)
{
	struct dest_header hs[3];
	struct dest d = {0};
	d.name = (char *)(c->name ? c->name : "billing");
	d.route = (char *)(c->route ? c->route : "sip:billing@pbx.example.com");
	d.caller_id = (char *)c->caller_id;
	d.description = (char *)c->description;
	d.timeout = c->timeout;
	for (int i = 0; i < 3 && c->h[2 * i]; i++) {
		hs[i].name = (char *)c->h[2 * i];
		hs[i].value = (char *)c->h[2 * i + 1];
		d.nheaders++;
	}
	d.headers = hs;
	memset(e, 0, sizeof(*e));
	return dest_validate(&d, e);
}

static void run_cases(const struct vcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct vcase *c = &cases[i];
		struct dest_error e;
		int rc = validate_case(c, &e);
		test_current = c->label;
		CHECK_INT(rc, c->want);
		if (c->want && rc == c->want) {
			CHECK_STR(e.field, c->field);
			if (c->msg && !strstr(e.msg, c->msg)) {
				CHECK_STR(e.msg, c->msg);
			}
			/* no refusal carries a raw control character */
			bool printable = true;
			for (const char *p = e.msg; *p; p++)
				printable = printable && (unsigned char)*p >= 0x20;
			CHECK(printable);
		}
	}
	test_current = "validate";
}

#define SIPR "sip:billing@pbx.example.com"

static void validate_rules(void)
{
	static const struct vcase cases[] = {
	    /* name */
	    {"name ok", "front-desk-2", NULL, NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"name starts with digit ok", "9lives", NULL, NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"name empty", "", NULL, NULL, NULL, 0, {0}, EINVAL, "name", "name is empty"},
	    {"name upper case",
	     "Billing",
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "name",
	     "must start with a lower-case"},
	    {"name leading dash", "-x", NULL, NULL, NULL, 0, {0}, EINVAL, "name", "must start"},
	    {"name underscore",
	     "a_b",
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "name",
	     "is not a slug: use only a-z, 0-9 and '-'"},
	    {"name space", "a b", NULL, NULL, NULL, 0, {0}, EINVAL, "name", "not a slug"},
	    /* route */
	    {"route E.164 ok", NULL, "+14155550100", NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"route 15 digits ok", NULL, "+123456789012345", NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"route no plus",
	     NULL,
	     "4155550100",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "route \"4155550100\" is not E.164: write + and the country code, e.g. +14155550100"},
	    {"route leading zero",
	     NULL,
	     "+04155550100",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "not E.164"},
	    {"route 16 digits",
	     NULL,
	     "+1234567890123456",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "not E.164"},
	    {"route too short", NULL, "+1", NULL, NULL, 0, {0}, EINVAL, "route", "not E.164"},
	    {"route dashes",
	     NULL,
	     "+1-415-555-0100",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "not E.164"},
	    {"route empty", NULL, "", NULL, NULL, 0, {0}, EINVAL, "route", "route is empty"},
	    {"tel ok", NULL, "tel:+14155550100", NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"tel without plus",
	     NULL,
	     "tel:4155550100",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "not E.164"},
	    {"sip host only ok", NULL, "sip:pbx.example.com", NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"sips ok", NULL, "sips:vip@secure.example.net", NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"sip phone user ok",
	     NULL,
	     "sip:+14155550100@trunk.pstn.twilio.com",
	     NULL,
	     NULL,
	     0,
	     {0},
	     0,
	     NULL,
	     NULL},
	    {"sip port ok", NULL, SIPR ":5061", NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"sip user=phone ok",
	     NULL,
	     "sip:+14155550100@gw.example.com;user=phone",
	     NULL,
	     NULL,
	     0,
	     {0},
	     0,
	     NULL,
	     NULL},
	    {"sip user=ip ok",
	     NULL,
	     SIPR ";transport=tls;user=ip",
	     NULL,
	     NULL,
	     0,
	     {0},
	     0,
	     NULL,
	     NULL},
	    {"sip user=other",
	     NULL,
	     SIPR ";user=dialstring",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "user=\"dialstring\" is not allowed: use user=phone|ip"},
	    {"route with spaces and dashes",
	     NULL,
	     "+1 415-555-0100",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "is not E.164: write it without spaces, dashes or brackets"},
	    {"sip transport ok", NULL, SIPR ";transport=tls", NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"sip region ok",
	     NULL,
	     SIPR ":5060;region=ie1;transport=tcp",
	     NULL,
	     NULL,
	     0,
	     {0},
	     0,
	     NULL,
	     NULL},
	    {"sip ipv6 ok", NULL, "sip:desk@[2001:db8::1]:5060", NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"sip ipv4 ok", NULL, "sip:desk@192.0.2.10", NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"sip empty user",
	     NULL,
	     "sip:@pbx.example.com",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "empty user part"},
	    {"sip no host", NULL, "sip:desk@", NULL, NULL, 0, {0}, EINVAL, "route", "no host"},
	    {"sip port 0", NULL, SIPR ":0", NULL, NULL, 0, {0}, EINVAL, "route", "bad port"},
	    {"sip port 70000",
	     NULL,
	     SIPR ":70000",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "bad port"},
	    {"sip transport sctp",
	     NULL,
	     SIPR ";transport=sctp",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "use transport=udp|tcp|tls"},
	    {"sip region bad",
	     NULL,
	     SIPR ";region=mars",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "region="},
	    {"sip unknown param",
	     NULL,
	     SIPR ";maddr=192.0.2.1",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "does not take"},
	    {"sip headers in route",
	     NULL,
	     SIPR "?X-A=1",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "--header"},
	    {"sip upper scheme",
	     NULL,
	     "SIP:desk@pbx.example.com",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "lower case"},
	    {"sip space in user",
	     NULL,
	     "sip:de sk@pbx.example.com",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "user part"},
	    {"sip bad host char",
	     NULL,
	     "sip:desk@pbx_example.com",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "in its host"},
	    {"sip empty label",
	     NULL,
	     "sip:desk@pbx..example.com",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "empty label"},
	    {"sip bad escape",
	     NULL,
	     "sip:de%zzk@pbx.example.com",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "two hex digits"},
	    {"sip angle bracket",
	     NULL,
	     "sip:desk@pbx.example.com>",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "in its host"},
	    {"not a route",
	     NULL,
	     "http://example.com",
	     NULL,
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "route",
	     "not E.164"},
	    /* description */
	    {"description ok", NULL, NULL, NULL, "Billing, 9-5", 0, {0}, 0, NULL, NULL},
	    {"description newline",
	     NULL,
	     NULL,
	     NULL,
	     "a\nb",
	     0,
	     {0},
	     EINVAL,
	     "description",
	     "control character"},
	    /* caller id */
	    {"caller id sip ok", NULL, NULL, "handoff-vip_1.x+", NULL, 0, {0}, 0, NULL, NULL},
	    {"caller id sip E.164 ok", NULL, NULL, "+14155550100", NULL, 0, {0}, 0, NULL, NULL},
	    {"caller id space", NULL, NULL, "bad id", NULL, 0, {0}, EINVAL, "caller_id", "+ - _ ."},
	    {"caller id markup",
	     NULL,
	     NULL,
	     "a\"><b",
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "caller_id",
	     "refuses"},
	    {"caller id empty", NULL, NULL, "", NULL, 0, {0}, EINVAL, "caller_id", "empty"},
	    {"caller id number route ok",
	     NULL,
	     "+14155550123",
	     "+14155550100",
	     NULL,
	     0,
	     {0},
	     0,
	     NULL,
	     NULL},
	    {"caller id number route text",
	     NULL,
	     "+14155550123",
	     "handoff",
	     NULL,
	     0,
	     {0},
	     EINVAL,
	     "caller_id",
	     "not E.164"},
	    /* timeout */
	    {"timeout 0 (default) ok", NULL, NULL, NULL, NULL, 0, {0}, 0, NULL, NULL},
	    {"timeout 5 ok", NULL, NULL, NULL, NULL, 5, {0}, 0, NULL, NULL},
	    {"timeout 600 ok", NULL, NULL, NULL, NULL, 600, {0}, 0, NULL, NULL},
	    {"timeout 4", NULL, NULL, NULL, NULL, 4, {0}, EINVAL, "timeout", "5-600"},
	    {"timeout 601", NULL, NULL, NULL, NULL, 601, {0}, EINVAL, "timeout", "5-600"},
	    {"timeout negative", NULL, NULL, NULL, NULL, -1, {0}, EINVAL, "timeout", "5-600"},
	    /* headers */
	    {"header X ok", NULL, NULL, NULL, NULL, 0, {"X-Account", "42"}, 0, NULL, NULL},
	    {"header lower x ok", NULL, NULL, NULL, NULL, 0, {"x-account", "42"}, 0, NULL, NULL},
	    {"header UUI ok",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"User-to-User", "1234;encoding=hex"},
	     0,
	     NULL,
	     NULL},
	    {"header UUI any case ok",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"user-to-user", "1"},
	     0,
	     NULL,
	     NULL},
	    {"header Remote-Party-ID ok",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"Remote-Party-ID", "x"},
	     0,
	     NULL,
	     NULL},
	    {"header P-Preferred-Identity ok",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"P-Preferred-Identity", "x"},
	     0,
	     NULL,
	     NULL},
	    {"header P-Called-Party-ID ok",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"P-Called-Party-ID", "x"},
	     0,
	     NULL,
	     NULL},
	    {"header on number route",
	     NULL,
	     "+14155550100",
	     NULL,
	     NULL,
	     0,
	     {"X-A", "1"},
	     EINVAL,
	     "header",
	     "need a SIP route"},
	    {"header on tel route",
	     NULL,
	     "tel:+14155550100",
	     NULL,
	     NULL,
	     0,
	     {"X-A", "1"},
	     EINVAL,
	     "header",
	     "need a SIP route"},
	    {"header without X-",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"Account", "1"},
	     EINVAL,
	     "header",
	     "custom headers start with X-"},
	    {"header other standard",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"P-Asserted-Identity", "1"},
	     EINVAL,
	     "header",
	     "start with X-"},
	    {"header X-Twilio",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-Twilio-CallSid", "1"},
	     EINVAL,
	     "header",
	     "Twilio's own"},
	    {"header x-twilio",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"x-twilio", "1"},
	     EINVAL,
	     "header",
	     "Twilio's own"},
	    {"header name space",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A B", "1"},
	     EINVAL,
	     "header",
	     "not a SIP token"},
	    {"header name colon",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A:", "1"},
	     EINVAL,
	     "header",
	     "not a SIP token"},
	    {"header name newline",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A\r\nX-B", "1"},
	     EINVAL,
	     "header",
	     "not a SIP token"},
	    {"header name empty",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"", "1"},
	     EINVAL,
	     "header",
	     "empty name"},
	    {"header twice",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A", "1", "x-a", "2"},
	     EINVAL,
	     "header",
	     "given twice"},
	    {"header value CRLF",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A", "1\r\nX-Evil: 2"},
	     EINVAL,
	     "header",
	     "control character"},
	    {"header value LF",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A", "1\nX-Evil: 2"},
	     EINVAL,
	     "header",
	     "control character"},
	    {"header value CR",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A", "1\r"},
	     EINVAL,
	     "header",
	     "control character"},
	    {"header value tab ok", NULL, NULL, NULL, NULL, 0, {"X-A", "a\tb"}, 0, NULL, NULL},
	    {"header value markup ok (encoded)",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A", "<b>&amp;\"'"},
	     0,
	     NULL,
	     NULL},
	    /* variables */
	    {"vars ok",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A", "$caller_id/$from/$to", "X-B", "$call_sid;$account_sid", "User-to-User",
	      "$refer.User-to-User"},
	     0,
	     NULL,
	     NULL},
	    {"dollar literal ok", NULL, NULL, NULL, NULL, 0, {"X-A", "$$5"}, 0, NULL, NULL},
	    {"unknown variable",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A", "$caller"},
	     EINVAL,
	     "header",
	     "unknown variable $caller"},
	    {"unknown variable upper",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A", "$From"},
	     EINVAL,
	     "header",
	     "unknown variable"},
	    {"lone dollar", NULL, NULL, NULL, NULL, 0, {"X-A", "5$"}, EINVAL, "header", "a lone $"},
	    {"refer without name",
	     NULL,
	     NULL,
	     NULL,
	     NULL,
	     0,
	     {"X-A", "$refer."},
	     EINVAL,
	     "header",
	     "unknown variable"},
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Rules about sizes, built with long strings. */
/* A number written for people: the refusal's hint gives its E.164 form. */
static void e164_hint(void)
{
	static const struct {
		const char *route, *hint;
	} c[] = {
	    {"+1 415-555-0100", "did you mean +14155550100?"},
	    {"+1 (415) 555.0100", "did you mean +14155550100?"},
	    {"tel:+44 20 7946 0000", "did you mean tel:+442079460000?"},
	    {"415-555-0100", ""}, /* no country code: nothing to suggest */
	    {"+1 415 CALL NOW", ""},
	    {"+0 415 555 0100", ""},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct dest d = {0};
		d.name = (char *)"x";
		d.route = (char *)c[i].route;
		struct dest_error e;
		test_current = c[i].route;
		CHECK_INT(dest_validate(&d, &e), EINVAL);
		CHECK_STR(e.hint, c[i].hint);
	}
}

static void validate_limits(void)
{
	struct dest_error e;
	struct vcase c = {0};
	c.label = "limits";

	char *s = rep('a', DEST_NAME_MAX, "", "");
	c.name = s;
	CHECK_INT(validate_case(&c, &e), 0);
	free(s);
	s = rep('a', DEST_NAME_MAX + 1, "", "");
	c.name = s;
	CHECK_INT(validate_case(&c, &e), EINVAL);
	CHECK_STR(e.field, "name");
	CHECK(strstr(e.msg, "over the limit") != NULL);
	free(s);
	c.name = NULL;

	/* a route of 254 characters passes, 255 is refused */
	s = rep('a', DEST_ROUTE_MAX - strlen("sip:x@.com"), "sip:x@", ".com");
	c.route = s;
	CHECK_INT(validate_case(&c, &e), 0);
	free(s);
	s = rep('a', DEST_ROUTE_MAX + 1 - strlen("sip:x@.com"), "sip:x@", ".com");
	c.route = s;
	CHECK_INT(validate_case(&c, &e), EINVAL);
	CHECK_STR(e.field, "route");
	free(s);
	c.route = NULL;

	s = rep('d', DEST_DESCRIPTION_MAX, "", "");
	c.description = s;
	CHECK_INT(validate_case(&c, &e), 0);
	free(s);
	s = rep('d', DEST_DESCRIPTION_MAX + 1, "", "");
	c.description = s;
	CHECK_INT(validate_case(&c, &e), EINVAL);
	CHECK_STR(e.field, "description");
	free(s);
	c.description = NULL;

	s = rep('v', DEST_HEADER_VALUE_MAX + 1, "", "");
	c.h[0] = "X-A";
	c.h[1] = s;
	CHECK_INT(validate_case(&c, &e), EINVAL);
	CHECK(strstr(e.msg, "over the limit") != NULL);
	free(s);

	/* three $refer.* (256 each) and literal text fit under 1024 ... */
	c.h[0] = "X-A";
	c.h[1] = "$refer.X-A";
	c.h[2] = "X-B";
	c.h[3] = "$refer.X-B";
	c.h[4] = "X-C";
	c.h[5] = "$refer.X-C";
	CHECK_INT(validate_case(&c, &e), 0);
	/* ... four do not: counted at their longest, encoded */
	c.h[5] = "$refer.X-C $refer.X-D";
	CHECK_INT(validate_case(&c, &e), EINVAL);
	CHECK(strstr(e.msg, "over Twilio's limit of 1023") != NULL);
	/* literal characters that need escaping count three times */
	s = rep('<', 340, "", "");
	c.h[0] = "X-A";
	c.h[1] = s;
	c.h[2] = NULL;
	CHECK_INT(validate_case(&c, &e), EINVAL);
	free(s);

	/* too many headers */
	struct dest_header hs[DEST_MAX_HEADERS + 1];
	char names[DEST_MAX_HEADERS + 1][16];
	for (int i = 0; i <= DEST_MAX_HEADERS; i++) {
		snprintf(names[i], sizeof(names[i]), "X-H%d", i);
		hs[i].name = names[i];
		hs[i].value = (char *)"1";
	}
	struct dest d = {.name = (char *)"x", .route = (char *)SIPR, .headers = hs};
	d.nheaders = DEST_MAX_HEADERS;
	CHECK_INT(dest_validate(&d, &e), 0);
	d.nheaders = DEST_MAX_HEADERS + 1;
	CHECK_INT(dest_validate(&d, &e), EINVAL);
	CHECK(strstr(e.msg, "over the limit") != NULL);
}

static void validate_set(void)
{
	struct dest d[3] = {
	    {.name = (char *)"a", .route = (char *)"+14155550100"},
	    {.name = (char *)"b", .route = (char *)"4155550100"},
	    {.name = (char *)"a", .route = (char *)"+14155550100"},
	};
	struct dest_error e;
	CHECK_INT(dest_validate_set(d, 1, &e), 0);
	CHECK_INT(dest_validate_set(d, 3, &e), EINVAL);
	CHECK(strncmp(e.msg, "b: route \"4155550100\" is not E.164", 34) == 0);
	d[1].route = (char *)"+14155550101";
	CHECK_INT(dest_validate_set(d, 3, &e), EINVAL);
	CHECK_STR(e.msg, "a: the name is used twice: names are unique");
}

static char *render(const struct dest *d, const struct dest_vars *v, int *rc)
{
	struct buf b;
	buf_init(&b, TWIML_MAX_BYTES);
	*rc = dest_render(d, v, &b);
	char *s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

static void render_number(void)
{
	struct dest d = {.name = (char *)"front-desk",
	                 .route = (char *)"tel:+14155550123",
	                 .caller_id = (char *)"+14155550100",
	                 .timeout = 20};
	int rc;
	char *s = render(&d, NULL, &rc);
	CHECK_INT(rc, 0);
	CHECK_STR(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	             "<Response>\n"
	             "  <Dial timeout=\"20\" callerId=\"+14155550100\" answerOnBridge=\"true\">\n"
	             "    <Number>+14155550123</Number>\n"
	             "  </Dial>\n"
	             "</Response>\n");
	free(s);
	d.route = (char *)"+14155550123";
	d.caller_id = NULL;
	d.timeout = 0;
	s = render(&d, NULL, &rc);
	CHECK(strstr(s, "<Dial answerOnBridge=\"true\">") != NULL);
	CHECK(strstr(s, "<Number>+14155550123</Number>") != NULL);
	free(s);
}

static void render_sip(void)
{
	struct dest_header hs[] = {
	    {(char *)"X-Caller", (char *)"$caller_id"},
	    {(char *)"X-Ctx", (char *)"to=$to sid=$call_sid $$ 100%"},
	    {(char *)"User-to-User", (char *)"$refer.user-to-user"},
	};
	struct dest d = {.name = (char *)"billing",
	                 .route = (char *)"sip:billing@pbx.example.com;transport=tls",
	                 .headers = hs,
	                 .nheaders = 3};
	struct dest_kv kv[] = {{"User-to-User", "123;encoding=hex"}};
	struct dest_vars v = {"+14155550100",
	                      "+14155550199",
	                      "CA0123456789abcdef0123456789abcdef",
	                      "AC0123456789abcdef0123456789abcdef",
	                      kv,
	                      1};
	int rc;
	struct buf t;
	buf_init(&t, 4096);
	CHECK_INT(dest_render_target(&d, &v, &t), 0);
	CHECK_STR(buf_str(&t),
	          "sip:billing@pbx.example.com;transport=tls"
	          "?X-Caller=%2B14155550100"
	          "&X-Ctx=to%3D%2B14155550199%20sid%3DCA0123456789abcdef0123456789abcdef"
	          "%20$%20100%25"
	          "&User-to-User=123%3Bencoding%3Dhex");
	buf_free(&t);
	char *s = render(&d, &v, &rc);
	CHECK_INT(rc, 0);
	CHECK(strstr(s,
	             "<Sip>sip:billing@pbx.example.com;transport=tls?X-Caller=%2B14155550100&amp;"
	             "X-Ctx=") != NULL);
	CHECK(strstr(s, "&amp;User-to-User=123%3Bencoding%3Dhex</Sip>") != NULL);
	free(s);
	/* absent values render empty, and a header whose whole value is empty is left out */
	s = render(&d, NULL, &rc);
	CHECK_INT(rc, 0);
	CHECK(strstr(s, "<Sip>sip:billing@pbx.example.com;transport=tls?X-Ctx=to%3D%20sid%3D%20$%20"
	                "100%25</Sip>") != NULL);
	free(s);
}

/* Checks a rendering has exactly the expected structure: the tags of one
 * <Sip> dial, no raw CR/LF inside the URI, and the header names expected. */
static void check_structure(const char *s, const char *const *names, size_t n)
{
	size_t lt = 0;
	for (const char *p = s; *p; p++)
		lt += *p == '<';
	CHECK_INT(lt, 7); /* <?xml, <Response>, <Dial>, <Sip>, </Sip>, </Dial>, </Response> */
	const char *a = strstr(s, "<Sip>"), *b = strstr(s, "</Sip>");
	CHECK(a && b && a < b);
	if (!a || !b)
		return;
	a += 5;
	bool clean = true; /* ' stays: RFC 3261 unreserved, and harmless in XML text */
	for (const char *p = a; p < b; p++)
		if (*p == '\r' || *p == '\n' || *p == '"' || *p == '>' ||
		    (*p == '&' && strncmp(p, "&amp;", 5) != 0))
			clean = false;
	CHECK(clean);
	/* the header part splits into exactly the expected names */
	const char *q = memchr(a, '?', (size_t)(b - a));
	CHECK(q != NULL);
	if (!q)
		return;
	size_t k = 0;
	const char *p = q + 1;
	while (p < b) {
		const char *amp = strstr(p, "&amp;");
		const char *end = amp && amp < b ? amp : b;
		const char *eq = memchr(p, '=', (size_t)(end - p));
		CHECK(eq != NULL);
		if (k < n && eq)
			CHECK((size_t)(eq - p) == strlen(names[k]) &&
			      !strncmp(p, names[k], strlen(names[k])));
		k++;
		p = end == b ? b : end + 5;
	}
	CHECK_INT(k, n);
}

static void render_injection(void)
{
	static const char *const attacks[] = {
	    "\"><Hangup/><Dial a=\"",
	    "</Sip></Dial><Dial><Number>+19005550100</Number>",
	    "x\r\nX-Evil: 1",
	    "x\nContact: <sip:evil@example.com>",
	    "1&X-Evil=2",
	    "1%26X-Evil%3D2",
	    "a?b=c;d=e&f",
	    "<![CDATA[x]]>&amp;&#x3C;",
	    "' onload='x",
	};
	struct dest_header hs[] = {
	    {(char *)"X-Caller", (char *)"$caller_id"},
	    {(char *)"X-From", (char *)"$from"},
	    {(char *)"X-To", (char *)"$to"},
	    {(char *)"X-Sid", (char *)"$call_sid"},
	    {(char *)"X-Acct", (char *)"$account_sid"},
	    {(char *)"X-Ref", (char *)"$refer.X-Ref"},
	};
	static const char *const names[] = {"X-Caller", "X-From", "X-To",
	                                    "X-Sid",    "X-Acct", "X-Ref"};
	struct dest d = {.name = (char *)"billing",
	                 .route = (char *)"sip:billing@pbx.example.com",
	                 .headers = hs,
	                 .nheaders = 6};
	struct dest_error e;
	CHECK_INT(dest_validate(&d, &e), 0);
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		for (int var = 0; var < 5; var++) {
			struct dest_kv kv = {"x-ref", "ok"};
			struct dest_vars v = {"+1", "+2", "CA1", "AC1", &kv, 1};
			switch (var) {
			case 0:
				v.from = attacks[i];
				break;
			case 1:
				v.to = attacks[i];
				break;
			case 2:
				v.call_sid = attacks[i];
				break;
			case 3:
				v.account_sid = attacks[i];
				break;
			case 4:
				kv.value = attacks[i];
				break;
			}
			int rc;
			char *s = render(&d, &v, &rc);
			if (var == 2 || var == 3) {
				/* a SID is at most 34 plain characters: anything else is refused */
				if (rc == 0)
					check_structure(s, names, 6);
				else
					CHECK_INT(rc, E2BIG);
			} else {
				CHECK_INT(rc, 0);
				check_structure(s, names, 6);
			}
			free(s);
		}
	}
	/* values past their bound are refused rather than breaking Twilio's limits */
	char *big = rep('1', 65, "+", "");
	struct dest_vars v = {big, NULL, NULL, NULL, NULL, 0};
	int rc;
	char *s = render(&d, &v, &rc);
	CHECK_INT(rc, E2BIG);
	free(s);
	free(big);
	big = rep('a', 257, "", "");
	struct dest_kv kv = {"X-Ref", big};
	struct dest_vars v2 = {NULL, NULL, NULL, NULL, &kv, 1};
	s = render(&d, &v2, &rc);
	CHECK_INT(rc, E2BIG);
	free(s);
	kv.value = "ok";
	s = render(&d, &v2, &rc);
	CHECK_INT(rc, 0);
	free(s);
	free(big);
}

static void dup_and_clear(void)
{
	struct dest_header hs[] = {{(char *)"X-A", (char *)"$from"}};
	struct dest d = {.name = (char *)"a",
	                 .description = (char *)"desc",
	                 .route = (char *)"sip:a@b.c",
	                 .timeout = 30,
	                 .headers = hs,
	                 .nheaders = 1};
	struct dest *c = dest_dup(&d);
	CHECK_STR(c->name, "a");
	CHECK_STR(c->description, "desc");
	CHECK(c->caller_id == NULL);
	CHECK_INT(c->timeout, 30);
	CHECK_INT(c->nheaders, 1);
	CHECK_STR(c->headers[0].value, "$from");
	CHECK(c->headers[0].name != hs[0].name);
	dest_clear(c);
	CHECK(c->name == NULL && c->nheaders == 0);
	free(c);
	CHECK(dest_vars_table[0].name != NULL);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"validate", validate_rules},
	    {"validate_limits", validate_limits},
	    {"validate_set", validate_set},
	    {"render_number", render_number},
	    {"render_sip", render_sip},
	    {"render_injection", render_injection},
	    {"dup_and_clear", dup_and_clear},
	    {"e164_hint", e164_hint},
	    {NULL, NULL},
	};
	return test_run(cases);
}

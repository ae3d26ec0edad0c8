/* test_target: ReferTransferTarget shapes, table-driven. */
#include <errno.h>

#include "test.h"
#include "webhooks/target.h"

static void shapes(void)
{
	static const struct {
		const char *in;
		int rc;
		int scheme;
		const char *uri, *user, *host;
		int phone;
		size_t nheaders;
		const char *h0name, *h0value, *h1name, *h1value;
	} t[] = {
	    {"<sip:billing@agent.example.com?X-Reason=upsell>", 0, TARGET_SIP,
	     "sip:billing@agent.example.com", "billing", "agent.example.com", 0, 1, "X-Reason",
	     "upsell", NULL, NULL},
	    {"sip:Billing@agent.example.com", 0, TARGET_SIP, "sip:Billing@agent.example.com",
	     "Billing", "agent.example.com", 0, 0, NULL, NULL, NULL, NULL},
	    {"  <sips:support@pbx.example.com:5061;transport=tls>  ", 0, TARGET_SIPS,
	     "sips:support@pbx.example.com:5061;transport=tls", "support", "pbx.example.com:5061",
	     0, 0, NULL, NULL, NULL, NULL},
	    {"<tel:+447418350696>", 0, TARGET_TEL, "tel:+447418350696", "+447418350696", "", 1, 0,
	     NULL, NULL, NULL, NULL},
	    {"tel:+1-415-555-0100;phone-context=example.com", 0, TARGET_TEL,
	     "tel:+1-415-555-0100;phone-context=example.com", "+14155550100", "", 1, 0, NULL, NULL,
	     NULL, NULL},
	    {"<sip:+15551234567@trunk.example.com;user=phone>", 0, TARGET_SIP,
	     "sip:+15551234567@trunk.example.com;user=phone", "+15551234567", "trunk.example.com",
	     1, 0, NULL, NULL, NULL, NULL},
	    {"<sip:4155550100@trunk.example.com;User=Phone;lr>", 0, TARGET_SIP,
	     "sip:4155550100@trunk.example.com;User=Phone;lr", "4155550100", "trunk.example.com", 1,
	     0, NULL, NULL, NULL, NULL},
	    {"\"Queue\" <sip:queue@flex.twilio.com?X-Watson-Id=abc%20def&User-to-User=123456789%"
	     "3Bencoding%3Dhex>;method=INVITE",
	     0, TARGET_SIP, "sip:queue@flex.twilio.com", "queue", "flex.twilio.com", 0, 2,
	     "X-Watson-Id", "abc def", "User-to-User", "123456789;encoding=hex"},
	    {"sip:AgentA@xyz.sip.us1.twilio.com?User-to-User=123456789%3Bencoding%3Dhex&X-Name="
	     "Agent%2C+A",
	     0, TARGET_SIP, "sip:AgentA@xyz.sip.us1.twilio.com", "AgentA", "xyz.sip.us1.twilio.com",
	     0, 2, "User-to-User", "123456789;encoding=hex", "X-Name", "Agent,+A"},
	    {"sip:bil%6Cing:secret@h;x=1", 0, TARGET_SIP, "sip:bil%6Cing:secret@h;x=1", "billing",
	     "h", 0, 0, NULL, NULL, NULL, NULL},
	    {"sip:host.example.com", 0, TARGET_SIP, "sip:host.example.com", "", "host.example.com",
	     0, 0, NULL, NULL, NULL, NULL},
	    {"<sip:a@h?X-Empty=&X-Amp=a%26b>", 0, TARGET_SIP, "sip:a@h", "a", "h", 0, 2, "X-Empty",
	     "", "X-Amp", "a&b"},
	    /* refused */
	    {"", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"   ", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"billing", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"http://example.com/", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"<sip:a@h", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"sip:a@h>", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"sip:a@", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"tel:", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"sip:a%zz@h", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"sip:a%00b@h", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"<sip:a@h?X-Evil=a%0d%0aBye:%201>", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL,
	     NULL, NULL},
	    {"<sip:a@h?X-Evil=a%0Ab>", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"<sip:a@h?X-Bad=%g0>", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"<sip:a@h?X%3ABad=1>", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"<sip:a@h?=1>", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"<sip:a b@h>", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"<sip:a\"><Hangup/>@h>", EBADMSG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	    {"<sip:a@h?X-1=1&X-2=2&X-3=3&X-4=4&X-5=5&X-6=6&X-7=7&X-8=8&X-9=9&X-10=1&X-11=1&X-12=1&"
	     "X-"
	     "13=1&X-14=1&X-15=1&X-16=1&X-17=1>",
	     E2BIG, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct target tg;
		char err[256];
		test_current = t[i].in;
		int rc = target_parse(t[i].in, strlen(t[i].in), &tg, err, sizeof(err));
		CHECK_INT(rc, t[i].rc);
		if (rc) {
			CHECK(err[0] != '\0');
			continue;
		}
		CHECK_INT(tg.scheme, t[i].scheme);
		CHECK_STR(tg.uri, t[i].uri);
		CHECK_STR(tg.user, t[i].user);
		CHECK_STR(tg.host, t[i].host);
		CHECK_INT(tg.phone, t[i].phone);
		CHECK_INT(tg.nheaders, t[i].nheaders);
		if (t[i].nheaders >= 1) {
			CHECK_STR(tg.headers[0].name, t[i].h0name);
			CHECK_STR(tg.headers[0].value, t[i].h0value);
		}
		if (t[i].nheaders >= 2) {
			CHECK_STR(tg.headers[1].name, t[i].h1name);
			CHECK_STR(tg.headers[1].value, t[i].h1value);
		}
	}
}

/* The 256-character limit of Refer-To. */
static void length_limit(void)
{
	char s[TARGET_MAX + 2];
	struct target tg;
	memcpy(s, "sip:", 4);
	memset(s + 4, 'a', sizeof(s) - 4);
	s[TARGET_MAX - 2] = '@';
	s[TARGET_MAX] = '\0';
	CHECK_INT(target_parse(s, TARGET_MAX, &tg, NULL, 0), 0);
	s[TARGET_MAX] = 'a';
	s[TARGET_MAX + 1] = '\0';
	CHECK_INT(target_parse(s, TARGET_MAX + 1, &tg, NULL, 0), E2BIG);
	/* not NUL-terminated input: only len bytes are read */
	char nt[] = {'s', 'i', 'p', ':', 'b', '@', 'h', 'X'};
	CHECK_INT(target_parse(nt, 7, &tg, NULL, 0), 0);
	CHECK_STR(tg.host, "h");
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"shapes", shapes},
	    {"length_limit", length_limit},
	    {NULL, NULL},
	};
	return test_run(cases);
}

/* test_util: buf, str and mem. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

static void buf_grows_and_caps(void)
{
	struct buf b;
	buf_init(&b, 10);
	CHECK_STR(buf_str(&b), "");
	CHECK_INT(buf_adds(&b, "hello"), 0);
	CHECK_INT(buf_printf(&b, "%d", 1234), 0);
	CHECK_STR(buf_str(&b), "hello1234");
	CHECK_INT(buf_addc(&b, 'x'), 0);
	CHECK_INT(b.len, 10);
	/* one byte past the cap fails and frees: no half-built value survives */
	CHECK_INT(buf_addc(&b, 'y'), E2BIG);
	CHECK_INT(b.len, 0);
	CHECK_STR(buf_str(&b), "");
	buf_free(&b);
}

static void buf_large_printf(void)
{
	struct buf b;
	buf_init(&b, 100000);
	char big[1000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(buf_printf(&b, "<%s>", big), 0);
	CHECK_INT(b.len, 1001);
	char *s = buf_steal(&b);
	CHECK(s[0] == '<' && s[1000] == '>' && s[1001] == '\0');
	CHECK_INT(b.len, 0);
	free(s);
}

static void str_helpers(void)
{
	CHECK(str_caseeq(str_c("Billing"), str_c("bILLING")));
	CHECK(!str_caseeq(str_c("Billing"), str_c("Billin")));
	CHECK(str_prefix(str_c("sip:x"), "sip:"));
	CHECK(!str_prefix(str_c("si"), "sip:"));
	CHECK(str_caseprefix(str_c("SIP:x"), "sip:"));
	struct str t = str_trim(str_c("  \n a b \t"));
	CHECK(str_eqc(t, "a b"));
	CHECK(str_eqc(str_trim(str_c("   ")), ""));
}

static void mem_helpers(void)
{
	char *s = xstrndup("abcdef", 3);
	CHECK_STR(s, "abc");
	free(s);
	s = xasprintf("%s-%d", "x", 42);
	CHECK_STR(s, "x-42");
	xwipe(s, 4);
	CHECK(s[0] == 0 && s[3] == 0);
	free(s);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"buf_grows_and_caps", buf_grows_and_caps},
	    {"buf_large_printf", buf_large_printf},
	    {"str_helpers", str_helpers},
	    {"mem_helpers", mem_helpers},
	    {NULL, NULL},
	};
	return test_run(cases);
}

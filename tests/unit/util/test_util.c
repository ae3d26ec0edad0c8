/* test_util: buf, str and mem. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "test.h"
#include "util/buf.h"
#include "util/ids.h"
#include "util/mem.h"
#include "util/perthread.h"
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

static void ids_shapes(void)
{
	static const struct {
		const char *s;
		bool ok;
	} e164[] = {
	    {"+14155550100", true},
	    {"+44", true},
	    {"+4", false},
	    {"+123456789012345", true},   /* 15 digits */
	    {"+1234567890123456", false}, /* 16 */
	    {"+04155550100", false},
	    {"14155550100", false},
	    {"+1 415", false},
	    {"+1415555010a", false},
	    {"", false},
	};
	for (size_t i = 0; i < sizeof(e164) / sizeof(e164[0]); i++)
		if (!CHECK(id_e164(e164[i].s) == e164[i].ok))
			fprintf(stderr, "  id_e164(\"%s\")\n", e164[i].s);
	CHECK(!id_e164(NULL));
	CHECK(id_e164_n("+14155550100xyz", 12));

	CHECK(id_sid("CA0123456789abcdef0123456789ABCDEF", "CA"));
	CHECK(!id_sid("CA0123456789abcdef0123456789ABCDEF", "PN"));
	CHECK(!id_sid("CA0123456789abcdef0123456789ABCDE", "CA"));   /* 33 */
	CHECK(!id_sid("CA0123456789abcdef0123456789ABCDEF0", "CA")); /* 35 */
	CHECK(!id_sid("CA0123456789abcdef0123456789ABCDEG", "CA"));
	CHECK(!id_sid(NULL, "CA"));
	CHECK(id_sid_n("PN0123456789abcdef0123456789abcdef!!", 34, "PN"));
}

static int destroyed;
static void count_destroy(void *p)
{
	__atomic_add_fetch(&destroyed, 1, __ATOMIC_SEQ_CST);
	free(p);
}
static struct perthread slot = PERTHREAD(64, count_destroy);

static void *other_thread(void *arg)
{
	unsigned char *p = perthread_get(&slot);
	*(void **)arg = p;
	/* zeroed on first use, the same block on the next call */
	return (void *)(intptr_t)(p[0] == 0 && p[63] == 0 && perthread_get(&slot) == p);
}

static void perthread_blocks(void)
{
	destroyed = 0;
	void *mine = perthread_get(&slot);
	CHECK(mine == perthread_get(&slot));
	void *theirs = NULL, *ok = NULL;
	pthread_t t;
	CHECK_INT(pthread_create(&t, NULL, other_thread, &theirs), 0);
	pthread_join(t, &ok);
	CHECK(ok != NULL);
	CHECK(theirs != NULL && theirs != mine);
	CHECK_INT(destroyed, 1); /* the other thread's block, at its exit */
	perthread_release(&slot);
	CHECK_INT(destroyed, 2);
	perthread_release(&slot); /* nothing left: no second destroy */
	CHECK_INT(destroyed, 2);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"buf_grows_and_caps", buf_grows_and_caps},
	    {"buf_large_printf", buf_large_printf},
	    {"str_helpers", str_helpers},
	    {"mem_helpers", mem_helpers},
	    {"ids_shapes", ids_shapes},
	    {"perthread_blocks", perthread_blocks},
	    {NULL, NULL},
	};
	return test_run(cases);
}

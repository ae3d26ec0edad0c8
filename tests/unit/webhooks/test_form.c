/* test_form: form decoding, its limits and its refusals. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "webhooks/form.h"

static struct form F;

static int parse(const char *in, char *copy)
{
	strcpy(copy, in);
	return form_parse(copy, strlen(in), &F);
}

static void decodes(void)
{
	static const struct {
		const char *in;
		int rc;
		size_t n;
		const char *first_name, *first_value, *last_name, *last_value;
	} t[] = {
	    {"", 0, 0, NULL, NULL, NULL, NULL},
	    {"a=1", 0, 1, "a", "1", "a", "1"},
	    {"a=1&b=2", 0, 2, "a", "1", "b", "2"},
	    {"a=1&&b=2&", 0, 2, "a", "1", "b", "2"},
	    {"From=%2B14155550100&To=+1", 0, 2, "From", "+14155550100", "To", " 1"},
	    {"a=&b", 0, 2, "a", "", "b", ""},
	    {"a=x%3Dy%26z=w", 0, 1, "a", "x=y&z=w", "a", "x=y&z=w"},
	    {"n%61me=%e2%82%ac", 0, 1, "name", "\xe2\x82\xac", "name", "\xe2\x82\xac"},
	    {"a=1&a=2", 0, 2, "a", "1", "a", "2"},
	    {"=v", 0, 1, "", "v", "", "v"},
	    {"a=%", EBADMSG, 0, NULL, NULL, NULL, NULL},
	    {"a=%4", EBADMSG, 0, NULL, NULL, NULL, NULL},
	    {"a=%zz", EBADMSG, 0, NULL, NULL, NULL, NULL},
	    {"a%g1=1", EBADMSG, 0, NULL, NULL, NULL, NULL},
	    {"ok=1&bad=%0", EBADMSG, 0, NULL, NULL, NULL, NULL},
	    /* a NUL would cut the value short of what was signed */
	    {"CallSid=CA1%00x", EBADMSG, 0, NULL, NULL, NULL, NULL},
	    {"a%00b=1", EBADMSG, 0, NULL, NULL, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char copy[256];
		test_current = t[i].in;
		CHECK_INT(parse(t[i].in, copy), t[i].rc);
		CHECK_INT(F.n, t[i].n);
		if (t[i].rc || !t[i].n)
			continue;
		CHECK_STR(F.p[0].name, t[i].first_name);
		CHECK_STR(F.p[0].value, t[i].first_value);
		CHECK_STR(F.p[F.n - 1].name, t[i].last_name);
		CHECK_STR(F.p[F.n - 1].value, t[i].last_value);
		CHECK_INT(F.p[F.n - 1].value_len, strlen(t[i].last_value));
	}
	char copy[64];
	/* an escaped NUL is refused: C strings of the value would end early */
	CHECK_INT(parse("a=%00b", copy), EBADMSG);
	CHECK_INT(parse("A=1&a=2", copy), 0);
	CHECK_STR(form_get(&F, "a"), "2");
	CHECK(form_get(&F, "b") == NULL);
}

static void limits(void)
{
	size_t big = FORM_MAX_BODY + 16;
	char *s = malloc(big + 1);
	/* too many params */
	size_t len = 0;
	for (int i = 0; i <= FORM_MAX_PARAMS; i++)
		len += (size_t)sprintf(s + len, "p%d=1&", i);
	CHECK_INT(form_parse(s, len, &F), E2BIG);
	CHECK_INT(F.n, 0);
	/* exactly the maximum is fine */
	len = 0;
	for (int i = 0; i < FORM_MAX_PARAMS; i++)
		len += (size_t)sprintf(s + len, "p%d=1&", i);
	CHECK_INT(form_parse(s, len, &F), 0);
	CHECK_INT(F.n, FORM_MAX_PARAMS);
	/* a long name, a long value (escapes count decoded) */
	memset(s, 'n', FORM_MAX_NAME + 1);
	strcpy(s + FORM_MAX_NAME + 1, "=1");
	CHECK_INT(form_parse(s, strlen(s), &F), E2BIG);
	s[0] = 'v';
	s[1] = '=';
	memset(s + 2, 'x', FORM_MAX_VALUE);
	CHECK_INT(form_parse(s, FORM_MAX_VALUE + 2, &F), 0);
	memset(s + 2, 'x', FORM_MAX_VALUE + 1);
	CHECK_INT(form_parse(s, FORM_MAX_VALUE + 3, &F), E2BIG);
	/* the whole body */
	memset(s, 'a', big);
	CHECK_INT(form_parse(s, big, &F), E2BIG);
	free(s);
}

static void unescape(void)
{
	char out[16];
	CHECK_INT(form_unescape("a%20b+c", 7, 0, out, sizeof(out)), 5);
	CHECK_STR(out, "a b+c");
	CHECK_INT(form_unescape("a%20b+c", 7, 1, out, sizeof(out)), 5);
	CHECK_STR(out, "a b c");
	CHECK_INT(form_unescape("%x1", 3, 0, out, sizeof(out)), -EBADMSG);
	CHECK_INT(form_unescape("a%00", 4, 0, out, sizeof(out)), -EBADMSG);
	CHECK_INT(form_unescape("0123456789abcdefg", 17, 0, out, sizeof(out)), -E2BIG);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"decodes", decodes},
	    {"limits", limits},
	    {"unescape", unescape},
	    {NULL, NULL},
	};
	return test_run(cases);
}

/* test_twiml: the TwiML builder, renderer (escaping, attribute order, layout) and schema table. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "twiml/schema.h"
#include "twiml/twiml.h"
#include "util/mem.h"

static char *render(const struct twiml_node *root)
{
	struct buf b;
	buf_init(&b, TWIML_MAX_BYTES);
	if (twiml_render(root, &b) != 0)
		return NULL;
	return buf_steal(&b);
}

static void test_build_render(void)
{
	struct twiml_node *r = twiml_new("Response");
	struct twiml_node *d = twiml_add(r, "Dial");
	/* set out of schema order, plus an unknown attribute: schema order wins */
	twiml_set(d, "referUrl", "https://example.com/refer?a=1&b=2");
	twiml_set(d, "x-custom", "1");
	twiml_set(d, "answerOnBridge", "true");
	twiml_set(d, "timeout", "10");
	twiml_set(d, "timeout", "20"); /* replaces */
	struct twiml_node *s = twiml_add(d, "Sip");
	twiml_add_text(s, "sip:desk@pbx.example.com?X-Case=1&User-to-User=a%3Bb");
	twiml_add(r, "Hangup");
	char *got = render(r);
	CHECK_STR(got, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<Response>\n"
	               "  <Dial timeout=\"20\" answerOnBridge=\"true\" "
	               "referUrl=\"https://example.com/refer?a=1&amp;b=2\" x-custom=\"1\">\n"
	               "    <Sip>sip:desk@pbx.example.com?X-Case=1&amp;User-to-User=a%3Bb</Sip>\n"
	               "  </Dial>\n"
	               "  <Hangup/>\n"
	               "</Response>\n");
	free(got);
	CHECK_STR(twiml_get(d, "timeout"), "20");
	CHECK_STR(twiml_attr(d, "method"), "POST");     /* schema default */
	CHECK_STR(twiml_attr(d, "timeLimit"), "14400"); /* schema default */
	CHECK(twiml_attr(d, "nosuch") == NULL);
	CHECK(twiml_get(d, "method") == NULL);
	struct str t = twiml_text(s);
	CHECK_INT(t.len, strlen("sip:desk@pbx.example.com?X-Case=1&User-to-User=a%3Bb"));
	twiml_free(r);
	twiml_free(NULL);
}

static void test_escaping(void)
{
	struct twiml_node *r = twiml_new("Response");
	struct twiml_node *say = twiml_add(r, "Say");
	twiml_set(say, "voice", "a\"b<c>&d\te\nf\rg\x01h");
	twiml_add_text(say, "1 < 2 & 3 > 2 \"q\" \r \x02 \xff ok \xc3\xa9");
	char *got = render(r);
	CHECK_STR(got, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<Response>\n"
	               "  <Say voice=\"a&quot;b&lt;c&gt;&amp;d&#9;e&#10;f&#13;g\xef\xbf\xbdh\">"
	               "1 &lt; 2 &amp; 3 &gt; 2 \"q\" &#13; \xef\xbf\xbd \xef\xbf\xbd ok \xc3\xa9"
	               "</Say>\n"
	               "</Response>\n");
	free(got);
	twiml_free(r);
}

static void test_mixed(void)
{
	struct twiml_node *r = twiml_new("Response");
	struct twiml_node *say = twiml_add(r, "Say");
	twiml_add_text(say, "Hello ");
	struct twiml_node *p = twiml_add(say, "prosody");
	twiml_set(p, "rate", "slow");
	twiml_add(twiml_add(p, "emphasis"), "break");
	twiml_add_text(say, " world");
	char *got = render(r);
	CHECK_STR(got, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<Response>\n"
	               "  <Say>Hello <prosody rate=\"slow\"><emphasis><break/></emphasis></prosody>"
	               " world</Say>\n"
	               "</Response>\n");
	free(got);
	twiml_free(r);
}

/* A <Sip> with its URI as text beside <Headers>: each on its own line (the text is not
 * mixed content), and white space around that text is layout when comparing. */
static void test_sip_layout(void)
{
	struct twiml_node *r = twiml_new("Response");
	struct twiml_node *sip = twiml_add(twiml_add(r, "Dial"), "Sip");
	twiml_add_text(sip, "sip:a@example.com?X-A=1&X-B=2");
	struct twiml_node *h = twiml_add(twiml_add(sip, "Headers"), "Header");
	twiml_set(h, "value", "+14155550100");
	twiml_set(h, "name", "X-Caller");
	char *got = render(r);
	CHECK_STR(got, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<Response>\n"
	               "  <Dial>\n"
	               "    <Sip>\n"
	               "      sip:a@example.com?X-A=1&amp;X-B=2\n"
	               "      <Headers>\n"
	               "        <Header name=\"X-Caller\" value=\"+14155550100\"/>\n"
	               "      </Headers>\n"
	               "    </Sip>\n"
	               "  </Dial>\n"
	               "</Response>\n");
	free(got);
	/* the same with the text indented differently: equal; another URI: not */
	struct twiml_node *b = twiml_new("Response");
	struct twiml_node *sb = twiml_add(twiml_add(b, "Dial"), "Sip");
	twiml_add_text(sb, "\n   sip:a@example.com?X-A=1&X-B=2 \n ");
	struct twiml_node *hb = twiml_add(twiml_add(sb, "Headers"), "Header");
	twiml_set(hb, "name", "X-Caller");
	twiml_set(hb, "value", "+14155550100");
	twiml_add_text(sb, "\n ");
	CHECK(twiml_equal(r, b));
	free(sb->kids[0]->text);
	sb->kids[0]->text = xstrdup("sip:b@example.com");
	CHECK(!twiml_equal(r, b));
	twiml_free(b);
	/* text alone stays on the element's line, as it always did */
	twiml_free(sip->kids[1]);
	sip->nkids = 1;
	got = render(r);
	CHECK(strstr(got, "<Sip>sip:a@example.com?X-A=1&amp;X-B=2</Sip>") != NULL);
	free(got);
	/* SSML text is mixed content: <Say> keeps its children inline */
	struct twiml_node *say = twiml_add(r, "Say");
	twiml_add_text(say, "Hi ");
	twiml_add(say, "break");
	got = render(r);
	CHECK(strstr(got, "<Say>Hi <break/></Say>") != NULL);
	free(got);
	twiml_free(r);
}

static void test_cap(void)
{
	struct twiml_node *r = twiml_new("Response");
	for (int i = 0; i < 100; i++)
		twiml_add_text(twiml_add(r, "Say"), "some words to say");
	struct buf b;
	buf_init(&b, 200);
	CHECK_INT(twiml_render(r, &b), E2BIG);
	buf_free(&b);
	twiml_free(r);
}

static void test_equal(void)
{
	struct twiml_node *a = twiml_new("Response"), *b = twiml_new("Response");
	twiml_set(twiml_add(a, "Pause"), "length", "2");
	struct twiml_node *pb = twiml_add(b, "Pause");
	CHECK(!twiml_equal(a, b));
	twiml_set(pb, "length", "2");
	CHECK(twiml_equal(a, b));
	twiml_add_text(b, "\n  "); /* layout only */
	CHECK(twiml_equal(a, b));
	twiml_add_text(b, "x");
	CHECK(!twiml_equal(a, b));
	twiml_free(a);
	twiml_free(b);
}

static void test_schema(void)
{
	size_t n;
	const struct twiml_elem_schema *all = twiml_schema_all(&n);
	CHECK(n > 50);
	/* every list names known elements; every attribute has a known code */
	for (size_t i = 0; i < n; i++) {
		const struct twiml_elem_schema *e = &all[i];
		CHECK(twiml_schema_find(e->name) == e); /* names are unique */
		const char *lists[2] = {e->parents, e->kids};
		for (int l = 0; l < 2; l++) {
			const char *p = lists[l];
			while (*p) {
				while (*p == ' ')
					p++;
				const char *q = p;
				while (*q && *q != ' ')
					q++;
				char name[64] = "";
				memcpy(name, p, (size_t)(q - p) < 63 ? (size_t)(q - p) : 63);
				if (!test_check(!*name || twiml_schema_find(name) != NULL, name,
				                __FILE__, __LINE__))
					fprintf(stderr, "  in %s\n", e->name);
				p = q;
			}
		}
		for (size_t k = 0; k < e->nattrs; k++)
			CHECK(twiml_code_find(e->attrs[k].code) != NULL);
		if (e->text)
			CHECK(twiml_code_find(e->text->code) != NULL);
		CHECK(twiml_code_find(e->kid_code) != NULL);
	}
	const struct twiml_elem_schema *dial = twiml_schema_find("Dial");
	CHECK(dial != NULL);
	CHECK(twiml_schema_find("dial") == NULL);
	CHECK(twiml_schema_find_nocase("dial") == dial);
	CHECK_INT(twiml_schema_attr(dial, "answerOnBridge")->code, 13219);
	CHECK_INT(twiml_schema_attr(dial, "timeout")->code, 13212);
	CHECK_INT(twiml_schema_attr(twiml_schema_find("Reject"), "reason")->code, 13810);
	CHECK(twiml_schema_in_list("a bb c", "bb", 2));
	CHECK(!twiml_schema_in_list("a bb c", "b", 1));
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"build_render", test_build_render},
	    {"sip_layout", test_sip_layout},
	    {"escaping", test_escaping},
	    {"mixed", test_mixed},
	    {"cap", test_cap},
	    {"equal", test_equal},
	    {"schema", test_schema},
	    {NULL, NULL},
	};
	return test_run(cases);
}

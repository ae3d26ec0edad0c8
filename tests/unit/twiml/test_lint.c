/* test_twiml_lint: the TwiML reader (positions, entities, limits), validator codes and render/parse
 * round trips. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "test.h"
#include "twiml/lint.h"
#include "util/mem.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct twiml_node *parse_ok(const char *doc)
{
	struct twiml_node *root = NULL;
	struct twiml_findings f;
	twiml_findings_init(&f);
	int rc = twiml_parse(doc, strlen(doc), &root, &f);
	if (!CHECK_INT(rc, 0))
		fprintf(stderr, "  %s\n", f.n ? f.v[0].msg : "");
	twiml_findings_free(&f);
	return root;
}

/* Lints doc; returns the codes found as "c1 c2 ..." in a static buffer. */
static const char *codes(const char *doc, size_t len)
{
	static _Thread_local char out[512];
	struct twiml_findings f;
	twiml_findings_init(&f);
	twiml_lint(doc, len, NULL, &f);
	out[0] = '\0';
	for (size_t i = 0; i < f.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%d", i ? " " : "",
		         f.v[i].code);
	twiml_findings_free(&f);
	return out;
}

static void test_positions(void)
{
	const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                  "<Response>\n"
	                  "  <Dial  timeout=\"10\"\n"
	                  "\tanswerOnBridge=\"true\">\n"
	                  "    <Sip>sip:a@b</Sip>\n"
	                  "  </Dial>\n"
	                  "  <Say>é<break/>x</Say>\n"
	                  "</Response>\n";
	struct twiml_node *r = parse_ok(doc);
	if (!r)
		return;
	CHECK_INT(r->line, 2);
	CHECK_INT(r->col, 1);
	CHECK_INT(r->nkids, 2); /* layout white space dropped */
	struct twiml_node *dial = r->kids[0];
	CHECK_STR(dial->name, "Dial");
	CHECK_INT(dial->line, 3);
	CHECK_INT(dial->col, 3);
	CHECK_INT(dial->nattrs, 2);
	CHECK_INT(dial->attrs[0].line, 3);
	CHECK_INT(dial->attrs[0].col, 10);
	CHECK_INT(dial->attrs[1].line, 4);
	CHECK_INT(dial->attrs[1].col, 2);
	struct twiml_node *sip = dial->kids[0];
	CHECK_INT(sip->line, 5);
	CHECK_INT(sip->col, 5);
	CHECK_INT(sip->kids[0]->line, 5);
	CHECK_INT(sip->kids[0]->col, 10);
	struct twiml_node *say = r->kids[1];
	CHECK_INT(say->nkids, 3);
	CHECK_INT(say->kids[1]->line, 7);
	CHECK_INT(say->kids[1]->col, 9); /* é is one column */
	twiml_free(r);
}

static void test_entities(void)
{
	struct twiml_node *r =
	    parse_ok("<Response><Redirect method=\"POST\">/a?x=1&amp;y=&lt;2&gt;"
	             "</Redirect><Say voice=\"a&amp;b &#38; &quot;c&quot; &#x41;\">"
	             "t&amp;<![CDATA[<&>]]>u<!-- gone --></Say></Response>");
	if (!r)
		return;
	CHECK_STR(r->kids[0]->kids[0]->text, "/a?x=1&y=<2>");
	CHECK_STR(twiml_get(r->kids[1], "voice"), "a&b & \"c\" A");
	CHECK_INT(r->kids[1]->nkids, 1); /* text, CDATA and text merge; comment dropped */
	CHECK_STR(r->kids[1]->kids[0]->text, "t&<&>u");
	twiml_free(r);
}

static void test_attr_defaults(void)
{
	struct twiml_node *r = parse_ok(
	    "<Response><Dial answerOnBridge=\"true\"><Sip> sip:x@y </Sip></Dial></Response>");
	if (!r)
		return;
	struct twiml_node *dial = r->kids[0];
	CHECK_STR(twiml_attr(dial, "answerOnBridge"), "true");
	CHECK_STR(twiml_attr(dial, "timeout"), "30");
	CHECK_STR(twiml_attr(dial, "referMethod"), "POST");
	CHECK(twiml_attr(dial, "referUrl") == NULL);
	struct str t = twiml_text(dial->kids[0]);
	CHECK(str_eqc(t, "sip:x@y"));
	twiml_free(r);
}

static void test_limits(void)
{
	struct twiml_findings f;
	struct twiml_node *root = NULL;
	/* empty, blank */
	CHECK_STR(codes("", 0), "12100");
	CHECK_STR(codes(" \n\t", 3), "12100");
	/* over 64 kB: refused without parsing */
	size_t big = TWIML_MAX_BYTES + 1;
	char *d = xmalloc(big);
	memset(d, '<', big); /* would be a parse error if it were parsed */
	twiml_findings_init(&f);
	CHECK_INT(twiml_parse(d, big, &root, &f), E2BIG);
	CHECK_INT(f.n, 1);
	CHECK_INT(f.v[0].code, 11750);
	CHECK_INT(f.v[0].level, TWIML_ERROR);
	twiml_findings_free(&f);
	free(d);
	/* exactly 64 kB is fine */
	size_t at = TWIML_MAX_BYTES;
	d = xmalloc(at + 1);
	const char *head = "<Response><Say>", *tail = "</Say></Response>";
	memset(d, 'a', at);
	memcpy(d, head, strlen(head));
	memcpy(d + at - strlen(tail), tail, strlen(tail));
	d[at] = '\0';
	CHECK_STR(codes(d, at), "");
	free(d);
	/* invalid UTF-8 with its position */
	const char *bad = "<Response>\n  <Say>caf\xc3\x28</Say></Response>";
	twiml_findings_init(&f);
	CHECK_INT(twiml_parse(bad, strlen(bad), &root, &f), EBADMSG);
	CHECK_INT(f.v[0].code, 12100);
	CHECK_INT(f.v[0].line, 2);
	CHECK_INT(f.v[0].col, 11);
	CHECK(strstr(f.v[0].msg, "UTF-8") != NULL);
	twiml_findings_free(&f);
	/* overlong, surrogate, NUL */
	CHECK_STR(codes("<Response>\xc0\xaf</Response>", 12 + 10), "12100");
	CHECK_STR(codes("<Response>\xed\xa0\x80</Response>", 13 + 10), "12100");
	CHECK_STR(codes("<Response>\0</Response>", 22), "12100");
}

static void test_deep(void)
{
	/* 100000 levels: refused at TWIML_MAX_DEPTH, quickly */
	size_t levels = 100000, len = 0;
	char *d = xmalloc(levels * 5 + 64);
	len += (size_t)sprintf(d, "<Response>");
	for (size_t i = 0; i < levels; i++)
		len += (size_t)sprintf(d + len, "<a>");
	double t0 = now();
	struct twiml_findings f;
	struct twiml_node *root = NULL;
	twiml_findings_init(&f);
	/* larger than 64 kB: 11750 first; the same at 20000 levels under the limit */
	CHECK_INT(twiml_parse(d, len, &root, &f), E2BIG);
	twiml_findings_free(&f);
	len = (size_t)sprintf(d, "<Response>");
	for (size_t i = 0; i < 20000; i++)
		len += (size_t)sprintf(d + len, "<a>");
	twiml_findings_init(&f);
	CHECK_INT(twiml_parse(d, len, &root, &f), EBADMSG);
	CHECK_INT(f.v[0].code, 12100);
	CHECK(strstr(f.v[0].msg, "nested deeper") != NULL);
	twiml_findings_free(&f);
	CHECK(now() - t0 < 2.0);
	/* exactly TWIML_MAX_DEPTH levels parse */
	len = (size_t)sprintf(d, "<Response>");
	for (size_t i = 1; i < TWIML_MAX_DEPTH; i++)
		len += (size_t)sprintf(d + len, "<a>");
	for (size_t i = 1; i < TWIML_MAX_DEPTH; i++)
		len += (size_t)sprintf(d + len, "</a>");
	len += (size_t)sprintf(d + len, "</Response>");
	twiml_findings_init(&f);
	CHECK_INT(twiml_parse(d, len, &root, &f), 0);
	twiml_findings_free(&f);
	twiml_free(root);
	free(d);
}

static void test_billion_laughs(void)
{
	const char *doc =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n"
	    "<Response><Say>&lol9;</Say></Response>\n";
	double t0 = now();
	struct twiml_findings f;
	struct twiml_node *root = NULL;
	twiml_findings_init(&f);
	CHECK_INT(twiml_parse(doc, strlen(doc), &root, &f), EBADMSG);
	CHECK_INT(f.n, 1);
	CHECK_INT(f.v[0].code, 12100);
	CHECK_INT(f.v[0].line, 2);
	CHECK(strstr(f.v[0].msg, "DOCTYPE") != NULL);
	CHECK(now() - t0 < 1.0);
	twiml_findings_free(&f);
	/* an external entity is refused the same way (no network, no file) */
	const char *xxe =
	    "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Response><Say>&x;"
	    "</Say></Response>";
	CHECK_STR(codes(xxe, strlen(xxe)), "12100");
	/* a DOCTYPE that ends the input (found by the fuzzer: read one past the end) */
	const char *cut = "<!-- x -->\n<!DOCTYPE Response\n";
	CHECK_STR(codes(cut, strlen(cut)), "12100");
}

static void test_codes(void)
{
	static const struct {
		const char *doc, *want;
	} cases[] = {
	    {"<Response/>", ""},
	    {"<Response><Say>hi</Say></Response>", ""},
	    {"<Response><Say>hi</Response>", "12100"},
	    {"<Dial/>", "12102"},
	    {"<response/>", "12102"},
	    {"<Response><Dial timeout=\"5\">+14155550100</Dial></Response>", ""},
	    {"<Response><Dial timeout=\"600\">+14155550100</Dial></Response>", ""},
	    {"<Response><Dial timeout=\"4\">+14155550100</Dial></Response>", "13212"},
	    {"<Response><Dial timeout=\"ten\">+14155550100</Dial></Response>", "13212"},
	    {"<Response><Dial answerOnBridge=\"TRUE\"><Sip>sip:a@b</Sip></Dial></Response>",
	     "13219"},
	    {"<Response><Dial><Number>+14155550100</Number></Dial></Response>", ""},
	    {"<Response><Dial><Number>(415) 555-0100</Number></Dial></Response>", ""},
	    {"<Response><Dial><Number>+1415555010012345</Number></Dial></Response>", "13223"},
	    {"<Response><Dial><Number>abc</Number></Dial></Response>", "13223"},
	    {"<Response><Dial><Sip>sip:@b</Sip></Dial></Response>", "13243"},
	    {"<Response><Dial><Sip>sips:a@b;transport=tls</Sip></Dial></Response>", ""},
	    {"<Response><Dial><Conference>r</Conference><Number>+14155550100</Number></Dial>"
	     "</Response>",
	     "13000"},
	    {"<Response><Dial><Say>x</Say></Dial></Response>", "13215"},
	    {"<Response><Reject reason=\"busy\"/></Response>", ""},
	    {"<Response><Reject reason=\"Busy\"/></Response>", "13810"},
	    {"<Response><Refer><Sip>sip:a@b</Sip></Refer></Response>", ""},
	    {"<Response><Refer><Sip>sip:a@b</Sip><Sip>sip:c@d</Sip></Refer></Response>", "12200"},
	    {"<Response><Refer/></Response>", "12200"},
	    {"<Response><Speak/></Response>", "12200"},
	    {"<Response><Pause length=\"2\">x</Pause></Response>", "12200"},
	    {"<Response><Pause lenght=\"2\"/></Response>", "12200"},
	    {"<Response xmlns=\"urn:x\"><Pause/></Response>", ""},
	    {"<Response><Gather input=\"dtmf speech\"/></Response>", ""},
	    {"<Response><Gather input=\"dtmf,speech\"/></Response>", "12200"},
	    {"<Response><Dial><Sip>sip:a@b?X-A=1&amp;User-to-User=2</Sip></Dial></Response>", ""},
	    {"<Response><Dial><Sip>sip:a@b?Contact=1</Sip></Dial></Response>", "13252"},
	    /* <Sip>'s URI: as text, or <Uri> children; neither, or both (modelled) */
	    {"<Response><Dial><Sip><Uri>sip:a@b</Uri></Sip></Dial></Response>", ""},
	    {"<Response><Dial><Sip>sip:a@b<Headers><Header name=\"X-A\" value=\"+1 %2B\"/>"
	     "</Headers></Sip></Dial></Response>",
	     ""},
	    {"<Response><Dial><Sip/></Dial></Response>", "13243"},
	    {"<Response><Dial><Sip> </Sip></Dial></Response>", "13243"},
	    {"<Response><Dial><Sip><Headers/></Sip></Dial></Response>", "13243"},
	    {"<Response><Dial><Sip>sip:a@b<Uri>sip:c@d</Uri></Sip></Dial></Response>", "12200"},
	    {"<Response><Dial><Sip><Uri/></Sip></Dial></Response>", "13243"},
	    {"<Response><Dial><Sip><Uri priority=\"1.5\">sip:a@b</Uri></Sip></Dial></Response>",
	     "12200"},
	    {"<Response><Dial><Sip><Uri>sip:a@b</Uri><Headers><Header value=\"1\"/></Headers>"
	     "</Sip></Dial></Response>",
	     "13252"},
	    {"<Response><Refer><Sip/></Refer></Response>", "13243"},
	    {"<Response><Dial recordingStatusCallback=\"a b\">+14155550100</Dial></Response>",
	     "13256"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = codes(cases[i].doc, strlen(cases[i].doc));
		if (!CHECK_STR(got, cases[i].want))
			fprintf(stderr, "  doc: %s\n", cases[i].doc);
	}
	/* eleven nouns; a 255-character URI; a 1024-character headers part */
	char doc[4096];
	size_t n = (size_t)sprintf(doc, "<Response><Dial>");
	for (int i = 0; i < 11; i++)
		n += (size_t)sprintf(doc + n, "<Number>+1415555%04d</Number>", i);
	sprintf(doc + n, "</Dial></Response>");
	CHECK_STR(codes(doc, strlen(doc)), "12200");
	char host[300];
	memset(host, 'h', sizeof(host));
	sprintf(doc, "<Response><Dial><Sip>sip:a@%.*s</Sip></Dial></Response>", 254 - 6, host);
	CHECK_STR(codes(doc, strlen(doc)), ""); /* 254 characters */
	sprintf(doc, "<Response><Dial><Sip>sip:a@%.*s</Sip></Dial></Response>", 255 - 6, host);
	CHECK_STR(codes(doc, strlen(doc)), "13243"); /* 255 */
	char hv[1100];
	memset(hv, 'v', sizeof(hv));
	sprintf(doc, "<Response><Dial><Sip>sip:a@b?X-A=%.*s</Sip></Dial></Response>", 1023 - 4, hv);
	CHECK_STR(codes(doc, strlen(doc)), ""); /* headers part of 1023 */
	sprintf(doc, "<Response><Dial><Sip>sip:a@b?X-A=%.*s</Sip></Dial></Response>", 1024 - 4, hv);
	CHECK_STR(codes(doc, strlen(doc)), "21227");
}

static void test_findings_cap(void)
{
	struct twiml_findings f;
	twiml_findings_init(&f);
	for (int i = 0; i < TWIML_MAX_FINDINGS + 5; i++)
		twiml_finding_add(&f, 1, 1, 12200, "w%d", i);
	twiml_finding_add(&f, 1, 1, 12100, "e");
	CHECK_INT(f.n, TWIML_MAX_FINDINGS);
	CHECK_INT(f.dropped, 6);
	CHECK_INT(f.warnings, TWIML_MAX_FINDINGS + 5);
	CHECK_INT(f.errors, 1);
	twiml_findings_free(&f);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *d = xmalloc(TWIML_MAX_BYTES + 1);
	*len = fread(d, 1, TWIML_MAX_BYTES, fp);
	d[*len] = '\0';
	fclose(fp);
	return d;
}

static char *render(const struct twiml_node *n)
{
	struct buf b;
	buf_init(&b, 4 * TWIML_MAX_BYTES);
	return twiml_render(n, &b) == 0 ? buf_steal(&b) : NULL;
}

/* Every valid fixture: lints clean, and parse(render(doc)) == doc, and
 * rendering is a fixed point. */
static void test_corpus_round_trip(void)
{
	const char *dir = "fixtures/twiml/valid";
	DIR *dp = opendir(dir);
	if (!CHECK(dp != NULL))
		return;
	struct dirent *de;
	int files = 0;
	while ((de = readdir(dp))) {
		if (!strstr(de->d_name, ".xml"))
			continue;
		char path[512];
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		char *data = slurp(path, &len);
		struct twiml_findings f;
		struct twiml_node *a = NULL, *b = NULL;
		twiml_findings_init(&f);
		if (!CHECK_INT(twiml_lint(data, len, &a, &f), 0) || !CHECK_INT(f.n, 0)) {
			fprintf(stderr, "  %s: %s\n", path, f.n ? f.v[0].msg : "");
			twiml_findings_free(&f);
			twiml_free(a);
			free(data);
			continue;
		}
		char *r1 = render(a);
		CHECK(r1 != NULL);
		twiml_findings_free(&f);
		twiml_findings_init(&f);
		CHECK_INT(twiml_parse(r1, strlen(r1), &b, &f), 0);
		if (!CHECK(twiml_equal(a, b)))
			fprintf(stderr, "  %s: parse(render(doc)) != doc\n", path);
		char *r2 = b ? render(b) : NULL;
		CHECK_STR(r2, r1);
		files++;
		free(r1);
		free(r2);
		twiml_free(a);
		twiml_free(b);
		twiml_findings_free(&f);
		free(data);
	}
	closedir(dp);
	CHECK(files >= 30);
}

static void *lint_many(void *arg)
{
	(void)arg;
	const char *doc = "<Response><Dial answerOnBridge=\"yes\"><Sip>sip:a@b</Sip></Dial>"
	                  "<Say>&amp;</Say></Response>";
	const char *bad = "<Response><Say>&nbsp;</Say></Response>";
	long good = 0;
	for (int i = 0; i < 300; i++) {
		good += strcmp(codes(doc, strlen(doc)), "13219") == 0;
		good += strcmp(codes(bad, strlen(bad)), "12100") == 0;
	}
	return (void *)good;
}

/* The emulator parses in server threads: results stay right when threads race. */
static void test_threads(void)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		CHECK_INT(pthread_create(&t[i], NULL, lint_many, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *good = NULL;
		pthread_join(t[i], &good);
		CHECK_INT((long)good, 600);
	}
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"positions", test_positions},
	    {"entities", test_entities},
	    {"attr_defaults", test_attr_defaults},
	    {"limits", test_limits},
	    {"deep", test_deep},
	    {"billion_laughs", test_billion_laughs},
	    {"codes", test_codes},
	    {"findings_cap", test_findings_cap},
	    {"corpus_round_trip", test_corpus_round_trip},
	    {"threads", test_threads},
	    {NULL, NULL},
	};
	return test_run(cases);
}

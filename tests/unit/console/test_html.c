/* test_html: the console's one escaper, the HTML printf that escapes by default, and shell
 * quoting for the command lines. */
#include "console/html.h"
#include "test.h"

static void esc(const char *in, size_t n, const char *want)
{
	struct buf b;
	buf_init(&b, 4096);
	html_esc(&b, in, n);
	CHECK_STR(buf_str(&b), want);
	buf_free(&b);
}

static void escaper(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"", ""},
	    {"plain text", "plain text"},
	    {"<sip:billing@x?A=1&B=2>", "&lt;sip:billing@x?A=1&amp;B=2&gt;"},
	    {"\"><svg onload=alert(1)>", "&quot;&gt;&lt;svg onload=alert(1)&gt;"},
	    {"it's", "it&#39;s"},
	    {"&amp;", "&amp;amp;"},
	    {"é ünïcode", "é ünïcode"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		esc(cases[i].in, strlen(cases[i].in), cases[i].want);
	esc("a\0b", 3, "a&#xFFFD;b"); /* a NUL inside a value */
}

static void formatter(void)
{
	struct buf b;
	buf_init(&b, 4096);
	html_f(&b, "<td title=\"%s\">%s</td>%r|%U|%d|%03d|%u|%zu|%lld|%ld|100%%", "a\"b", "<i>",
	       "<b>raw</b>", "x y/&z", -7, 5, 7u, (size_t)42, -9LL, 11L);
	CHECK_STR(buf_str(&b),
	          "<td title=\"a&quot;b\">&lt;i&gt;</td><b>raw</b>|x%20y%2F%26z|-7|005|7|42|"
	          "-9|11|100%");
	buf_reset(&b);
	html_f(&b, "[%s][%r][%U]", NULL, NULL, NULL); /* NULL prints nothing */
	CHECK_STR(buf_str(&b), "[][][]");
	buf_free(&b);
}

static void shell(void)
{
	static const struct {
		const char *in, *text, *html;
	} cases[] = {
	    {"billing", "billing", "billing"},
	    {"sip:desk@pbx.example.com", "sip:desk@pbx.example.com", "sip:desk@pbx.example.com"},
	    {"X-Caller: $caller_id", "'X-Caller: $caller_id'", "&#39;X-Caller: $caller_id&#39;"},
	    {"it's", "'it'\\''s'", "&#39;it&#39;\\&#39;&#39;s&#39;"},
	    {"", "''", "&#39;&#39;"},
	    {"<x>", "'<x>'", "&#39;&lt;x&gt;&#39;"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b, 1024);
		shell_quote(&b, cases[i].in);
		CHECK_STR(buf_str(&b), cases[i].text);
		buf_reset(&b);
		html_shell(&b, cases[i].in);
		CHECK_STR(buf_str(&b), cases[i].html);
		buf_free(&b);
	}
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"escaper", escaper},
	    {"formatter", formatter},
	    {"shell", shell},
	    {NULL, NULL},
	};
	return test_run(cases);
}

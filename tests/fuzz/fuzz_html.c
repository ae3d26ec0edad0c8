/* fuzz_html: libFuzzer target: the console's HTML escaper (and html_f's %s, which uses it):
 * the output holds no raw < > " ', every & starts one of its entities, and reading the
 * entities back gives the input (a NUL reads back as U+FFFD). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console/html.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *ent, *raw;
	size_t rawlen;
} entities[] = {
    {"&amp;", "&", 1},   {"&lt;", "<", 1},  {"&gt;", ">", 1},
    {"&quot;", "\"", 1}, {"&#39;", "'", 1}, {"&#xFFFD;", "\0", 1},
};

/* Reads the escaped text back; aborts on anything the escaper must never write. */
static void unescape_check(const char *s, size_t n, const uint8_t *want, size_t wantlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] == '<' || s[i] == '>' || s[i] == '"' || s[i] == '\'')
			abort();
		if (s[i] != '&') {
			if (o >= wantlen || (uint8_t)s[i] != want[o])
				abort();
			o++;
			i++;
			continue;
		}
		size_t k = 0;
		while (k < sizeof(entities) / sizeof(entities[0]) &&
		       strncmp(s + i, entities[k].ent, strlen(entities[k].ent)) != 0)
			k++;
		if (k == sizeof(entities) / sizeof(entities[0]))
			abort(); /* a bare & */
		if (o >= wantlen || want[o] != (uint8_t)entities[k].raw[0])
			abort();
		o++;
		i += strlen(entities[k].ent);
	}
	if (o != wantlen)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct buf out;
	buf_init(&out, 16 * size + 64);
	html_esc(&out, (const char *)data, size);
	unescape_check(buf_str(&out), out.len, data, size);
	/* through the formatter: %s stops at a NUL, and the text around it stays as written */
	char *s = xstrndup((const char *)data, size);
	buf_reset(&out);
	html_f(&out, "<p title=\"%s\">%s</p>", s, s);
	size_t n = strlen(s);
	struct buf esc;
	buf_init(&esc, 8 * size + 16);
	html_esc(&esc, s, n);
	char *want = xasprintf("<p title=\"%s\">%s</p>", buf_str(&esc), buf_str(&esc));
	if (strcmp(buf_str(&out), want) != 0)
		abort();
	free(want);
	buf_free(&esc);
	free(s);
	buf_free(&out);
	return 0;
}

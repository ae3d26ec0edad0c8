/* fuzz_twiml: libFuzzer target: parse + validate + render + reparse must agree and never crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twiml/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *render(const struct twiml_node *n)
{
	struct buf b;
	buf_init(&b, 8 * TWIML_MAX_BYTES);
	if (twiml_render(n, &b) != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct twiml_findings f;
	struct twiml_node *a = NULL, *b = NULL;
	twiml_findings_init(&f);
	if (twiml_lint((const char *)data, size, &a, &f) != 0) {
		if (f.n == 0 || f.errors == 0)
			abort(); /* a refused document always says why */
		twiml_findings_free(&f);
		return 0;
	}
	twiml_findings_free(&f);
	char *r1 = render(a);
	if (!r1)
		abort();
	twiml_findings_init(&f);
	/* the rendering may pass 64 kB (indentation): parse it without the cap check */
	size_t len = strlen(r1);
	if (len <= TWIML_MAX_BYTES) {
		if (twiml_parse(r1, len, &b, &f) != 0) {
			fprintf(stderr, "rendering does not parse: %s\n%s\n", f.n ? f.v[0].msg : "",
			        r1);
			abort();
		}
		if (!twiml_equal(a, b)) {
			fprintf(stderr, "parse(render(doc)) != doc\n%s\n", r1);
			abort();
		}
		char *r2 = render(b);
		if (!r2 || strcmp(r1, r2) != 0) {
			fprintf(stderr, "render is not a fixed point\n%s\n---\n%s\n", r1,
			        r2 ? r2 : "");
			abort();
		}
		free(r2);
	}
	twiml_findings_free(&f);
	twiml_free(a);
	twiml_free(b);
	free(r1);
	return 0;
}

/* fuzz_dest_compiled: libFuzzer target: for any destination (route, caller id, up to
 * four header templates, up to two failover routes) and any variable values, the compiled
 * answer (dest_compile) and dest_render give the same result and the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twiml/twiml.h"
#include "webhooks/dest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input is NUL-separated fields: route, caller id, 4 header names, 4
 * templates, from, to, call_sid, account_sid, refer name, refer value, 2 failover
 * routes (an empty one is left out). */
#define NFIELDS 18

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	const char *f[NFIELDS];
	size_t k = 0;
	for (char *p = s; k < NFIELDS; k++) {
		f[k] = p <= s + size ? p : "";
		if (p <= s + size)
			p += strlen(p) + 1;
	}
	struct dest_header h[4];
	size_t nh = 0;
	for (size_t i = 0; i < 4; i++)
		if (*f[2 + i])
			h[nh++] = (struct dest_header){(char *)f[2 + i], (char *)f[6 + i]};
	char *fo[2];
	size_t nfo = 0;
	for (size_t i = 0; i < 2; i++)
		if (*f[16 + i])
			fo[nfo++] = (char *)f[16 + i];
	struct dest d = {.name = (char *)"fuzz",
	                 .route = (char *)f[0],
	                 .caller_id = *f[1] ? (char *)f[1] : NULL,
	                 .timeout = 30,
	                 .headers = h,
	                 .nheaders = nh,
	                 .failover = fo,
	                 .nfailover = nfo};
	struct dest_kv kv = {f[14], f[15]};
	struct dest_vars v = {f[10], f[11], f[12], f[13], &kv, 1};
	struct dest_tmpl *t = dest_compile(&d);
	if (t) {
		struct buf a, b;
		buf_init(&a, TWIML_MAX_BYTES);
		buf_init(&b, TWIML_MAX_BYTES);
		int ra = dest_render(&d, &v, &a);
		int rb = dest_tmpl_render(t, &v, &b);
		if (ra != rb || (ra == 0 && (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)))
			abort();
		buf_free(&a);
		buf_free(&b);
		dest_tmpl_free(t);
	}
	free(s);
	return 0;
}

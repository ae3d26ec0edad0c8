/* fuzz_creds: libFuzzer target: the credentials file parser; what it accepts round-trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twilio/creds.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > CREDS_MAX_FILE)
		return 0;
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	static struct creds_store a, b;
	char err[256];
	if (creds_store_parse(&a, text, size, "fuzz", err, sizeof(err)) != 0) {
		if (!err[0])
			abort(); /* a refusal always says where */
		free(text);
		return 0;
	}
	struct buf out;
	buf_init(&out, CREDS_MAX_FILE);
	int rc = creds_store_format(&a, &out);
	if (rc == 0) {
		char *again = xstrndup(buf_str(&out), out.len);
		if (creds_store_parse(&b, again, out.len, "again", err, sizeof(err)) != 0)
			abort(); /* what we write we must read */
		if (memcmp(&a, &b, sizeof(a)) != 0)
			abort(); /* and get the same profiles back */
		free(again);
	}
	buf_free(&out);
	free(text);
	return 0;
}

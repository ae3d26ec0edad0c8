/* fuzz_store_url: libFuzzer target: any bytes as a --db value through store_is_url,
 * store_secret_spans and store_redact: spans in order and inside the text, the redacted
 * text is the input with each span replaced, a cut-short output stays terminated and a
 * prefix of it, and libpq (the reference) reads no password in it but the mark. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define URL_FUZZ_MAX 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > URL_FUZZ_MAX)
		return 0;
	char db[URL_FUZZ_MAX + 1];
	memcpy(db, data, size);
	db[size] = '\0';
	size_t len = strlen(db);
	size_t from[STORE_SECRETS_MAX], to[STORE_SECRETS_MAX];
	size_t n = store_secret_spans(db, from, to);
	if (n > STORE_SECRETS_MAX || (n && !store_is_url(db)) || store_has_password(db) != (n > 0))
		abort();
	for (size_t k = 0; k < n; k++)
		if (from[k] > to[k] || to[k] > len || (k && from[k] < to[k - 1]))
			abort();
	/* the whole output: the input with every span made "***" */
	char out[URL_FUZZ_MAX + 3 * STORE_SECRETS_MAX + 1], want[sizeof(out)];
	store_redact(db, out, sizeof(out));
	size_t w = 0, i = 0;
	for (size_t k = 0; k <= n; k++) {
		size_t stop = k < n ? from[k] : len;
		memcpy(want + w, db + i, stop - i);
		w += stop - i;
		if (k < n) {
			memcpy(want + w, "***", 3);
			w += 3;
			i = to[k];
		}
	}
	want[w] = '\0';
	if (strcmp(out, want) != 0)
		abort();
	/* libpq, the reference: whatever it reads as the password of the redacted URL is the
	 * mark (a password handoff's spans missed would still be there); anything else is a
	 * path to handoff, an SQLite file */
	char *perr = NULL;
	PQconninfoOption *opts = store_is_url(db) ? PQconninfoParse(out, &perr) : NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0] &&
		    strcmp(o->val, "***") != 0)
			abort();
	PQconninfoFree(opts);
	PQfreemem(perr);
	/* every cut: terminated, a prefix of the whole */
	for (size_t cap = 1; cap < 8 && cap <= sizeof(out); cap++) {
		char small[8];
		store_redact(db, small, cap);
		if (strlen(small) >= cap || strncmp(small, out, strlen(small)) != 0)
			abort();
	}
	return 0;
}

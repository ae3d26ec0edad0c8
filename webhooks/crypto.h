/* crypto: the digests signatures need (the only file that uses OpenSSL). */
#ifndef HANDOFF_CRYPTO_H
#define HANDOFF_CRYPTO_H

#include <stddef.h>

#define CRYPTO_SHA1_LEN   20
#define CRYPTO_SHA256_LEN 32
#define CRYPTO_KEY_MAX    256                   /* longest HMAC key (an auth token) accepted */
#define CRYPTO_B64_LEN(n) ((((n) + 2) / 3) * 4) /* without the NUL */

/* HMAC-SHA1 of a[0..alen) followed by b[0..blen) under key into out (b may be
 * NULL). Each thread keeps a reusable context per key (freed when the thread
 * ends, or by crypto_thread_done). Returns 0, E2BIG when the key is longer
 * than CRYPTO_KEY_MAX, or EPROTO. */
int crypto_hmac_sha1(const char *key, size_t keylen, const void *a, size_t alen, const void *b,
                     size_t blen, unsigned char out[CRYPTO_SHA1_LEN]);

/* SHA-256 of data into out. Returns 0 or EPROTO. */
int crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);

/* Standard base64 with padding of in[0..len) into out, which has room for
 * CRYPTO_B64_LEN(len) + 1 bytes; NUL-terminated. */
void crypto_base64(const unsigned char *in, size_t len, char *out);

/* Lowercase hex of in[0..len) into out (2 * len + 1 bytes). */
void crypto_hex(const unsigned char *in, size_t len, char *out);

/* Whether a[0..alen) equals b[0..blen), in time that depends only on the
 * lengths (they are not secret: a signature's length is fixed). */
int crypto_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Frees the calling thread's HMAC contexts now (wiping their keys). */
void crypto_thread_done(void);

#endif

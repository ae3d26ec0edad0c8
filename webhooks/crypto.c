/* crypto: the digests signatures need (the only file that uses OpenSSL). */
#include "webhooks/crypto.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/perthread.h"

/* A thread's reusable HMAC contexts: EVP_MAC_init with a NULL key reuses the
 * key already set, about three times cheaper than a fresh HMAC() each time.
 * Two slots: the primary and the secondary auth token. */
#define SLOTS 2
struct slot {
	EVP_MAC_CTX *ctx;
	size_t keylen;
	char key[CRYPTO_KEY_MAX];
};
struct hmac_cache {
	struct slot s[SLOTS];
	unsigned next; /* the slot to replace on a miss */
};

static pthread_once_t alg_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac_alg;

static void cache_free(void *p)
{
	struct hmac_cache *c = p;
	if (!c)
		return;
	for (int i = 0; i < SLOTS; i++)
		EVP_MAC_CTX_free(c->s[i].ctx);
	xwipe(c, sizeof(*c));
	free(c);
}

static struct perthread cache = PERTHREAD(sizeof(struct hmac_cache), cache_free);

static void alg_init(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

void crypto_thread_done(void)
{
	perthread_release(&cache);
}

static EVP_MAC_CTX *context_for(const char *key, size_t keylen)
{
	pthread_once(&alg_once, alg_init);
	if (!hmac_alg)
		return NULL;
	struct hmac_cache *c = perthread_get(&cache);
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &c->s[i];
		if (s->ctx && s->keylen == keylen && memcmp(s->key, key, keylen) == 0)
			return EVP_MAC_init(s->ctx, NULL, 0, NULL) == 1 ? s->ctx : NULL;
	}
	struct slot *s = &c->s[c->next];
	c->next = (c->next + 1) % SLOTS;
	if (!s->ctx)
		s->ctx = EVP_MAC_CTX_new(hmac_alg);
	if (!s->ctx)
		return NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
	    OSSL_PARAM_construct_end(),
	};
	s->keylen = 0;
	if (EVP_MAC_init(s->ctx, (const unsigned char *)key, keylen, params) != 1)
		return NULL;
	memcpy(s->key, key, keylen);
	s->keylen = keylen;
	return s->ctx;
}

int crypto_hmac_sha1(const char *key, size_t keylen, const void *a, size_t alen, const void *b,
                     size_t blen, unsigned char out[CRYPTO_SHA1_LEN])
{
	if (keylen > CRYPTO_KEY_MAX)
		return E2BIG;
	EVP_MAC_CTX *ctx = context_for(key, keylen);
	size_t outlen = 0;
	if (!ctx || EVP_MAC_update(ctx, a, alen) != 1 ||
	    (blen && EVP_MAC_update(ctx, b, blen) != 1) ||
	    EVP_MAC_final(ctx, out, &outlen, CRYPTO_SHA1_LEN) != 1 || outlen != CRYPTO_SHA1_LEN)
		return EPROTO;
	return 0;
}

int crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned int n = 0;
	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != CRYPTO_SHA256_LEN)
		return EPROTO;
	return 0;
}

void crypto_base64(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0);
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

void crypto_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int crypto_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && CRYPTO_memcmp(a, b, alen) == 0;
}

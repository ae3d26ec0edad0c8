/* test_sig: every vector of twilio-facts.md §5.2, the URL variants, the explanation. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "webhooks/crypto.h"
#include "webhooks/sig.h"

#define URL "https://mycompany.com/myapp.php?foo=1&bar=2"

static const struct form_param P[] = {
    {"CallSid", 7, "CA1234567890ABCDE", 17},
    {"Caller", 6, "+14158675309", 12},
    {"Digits", 6, "1234", 4},
    {"From", 4, "+14158675309", 12},
    {"To", 2, "+18005551212", 12},
};
#define NP (sizeof(P) / sizeof(P[0]))

static int verify(const char *token, const char *url, const struct form_param *p, size_t n,
                  const char *body, const char *sig)
{
	struct sig_keys k = {token, NULL};
	struct sig_request r = {url, p, n, body, body ? strlen(body) : 0, sig};
	return sig_verify(&k, &r, NULL);
}

/* Vectors 1-9, 16: the signature of the common params over a URL, and
 * whether a request to another URL validates with it. */
static void vectors_urls(void)
{
	static const struct {
		const char *signed_url, *sig, *request_url;
	} t[] = {
	    {URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", URL},
	    {"https://mycompany.com:443/myapp.php?foo=1&bar=2",
	     "kvajT1Ptam85bY51eRf/AJRuM3w=", URL},
	    {"http://mycompany.com:80/myapp.php?foo=1&bar=2",
	     "0ZXoZLH/DfblKGATFgpif+LLRf4=", "http://mycompany.com/myapp.php?foo=1&bar=2"},
	    {"http://mycompany.com:1234/myapp.php?foo=1&bar=2",
	     "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", "http://mycompany.com:1234/myapp.php?foo=1&bar=2"},
	    {URL,
	     "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "https://mycompany.com:1234/myapp.php?foo=1&bar=2"},
	    {"https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
	     "CukzLTc1tT5dXEDIHm/tKBanW10=",
	     "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2"},
	    {"https://user@mycompany.com/myapp.php?foo=1&bar=2",
	     "2YRLlVAflCqxaNicjMpJcSTgzSs=", "https://user@mycompany.com/myapp.php?foo=1&bar=2"},
	    {"https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2",
	     "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=",
	     "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2"},
	    {"https://mycompany.com/myapp.php?foo=1&bar=2&Body=It%27s+amazing",
	     "TfZzewPq8wqrGlMfyAud8+/IvJ0=",
	     "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char got[SIG_LEN + 1];
		CHECK_INT(sig_sign("12345", t[i].signed_url, P, NP, got), 0);
		CHECK_STR(got, t[i].sig);
		CHECK_INT(verify("12345", t[i].request_url, P, NP, NULL, t[i].sig), 0);
		CHECK_INT(verify("12346", t[i].request_url, P, NP, NULL, t[i].sig), EACCES);
	}
	static const struct form_param p16[] = {
	    {"CallSid", 7, "CA1234567890ABCDE", 17},
	    {"Caller", 6, "+12349013030", 12},
	    {"Digits", 6, "1234", 4},
	    {"From", 4, "+12349013030", 12},
	    {"To", 2, "+18005551212", 12},
	};
	char got[SIG_LEN + 1];
	CHECK_INT(sig_sign("12345", URL, p16, 5, got), 0);
	CHECK_STR(got, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
}

/* Vectors 10-11: repeated names, values de-duplicated and sorted, any order. */
static void vectors_repeated(void)
{
	static const struct form_param a[] = {
	    {"MessagingBinding.Address", 24, "+1415xxxxxxx", 12},
	    {"MessagingBinding.Address", 24, "+1325xxxxxxx", 12},
	};
	char got[SIG_LEN + 1];
	CHECK_INT(sig_sign("12345", URL, a, 2, got), 0);
	CHECK_STR(got, "83O6e2vORAoJHUNzJjDWN1jz+BA=");
	static const struct form_param b[] = {
	    {"Digits", 6, "5678", 4}, {"SidAccount", 10, "AC123", 5}, {"Digits", 6, "1234", 4},
	    {"Sid", 3, "CA123", 5},   {"Digits", 6, "1234", 4},
	};
	CHECK_INT(sig_sign("12345", URL, b, 5, got), 0);
	CHECK_STR(got, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
	CHECK_INT(verify("12345", URL, b, 5, NULL, "IK+Dwps556ElfBT0I3Rgjkr1wJU="), 0);
}

/* Vectors 12-14: JSON bodies through bodySHA256. */
static void vectors_body(void)
{
	const char *body = "{\"property\": \"value\", \"boolean\": true}";
	char hex[65];
	CHECK_INT(sig_body_hash(body, strlen(body), hex), 0);
	CHECK_STR(hex, "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620");
	CHECK_INT(sig_body_hash("{}", 2, hex), 0);
	CHECK_STR(hex, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
	const char *b3 = "{\"CallSid\":\"CA1234567890ABCDE\",\"Caller\":\"+12349013030\"}";
	CHECK_INT(sig_body_hash(b3, strlen(b3), hex), 0);
	CHECK_STR(hex, "5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9");

	const char *u12 = URL "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf196326"
	                      "32f96e6620";
	const char *u13 = "https://mycompany.com/myapp.php?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe94"
	                  "16e41502b283a80c7cf19632632f96e6620";
	const char *u14 = URL "&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f"
	                      "61caaff8a";
	char got[SIG_LEN + 1];
	CHECK_INT(sig_sign("12345", u12, NULL, 0, got), 0);
	CHECK_STR(got, "a9nBmqA0ju/hNViExpshrM61xv4=");
	CHECK_INT(sig_sign("12345", u13, NULL, 0, got), 0);
	CHECK_STR(got, "y77kIzt2vzLz71DgmJGsen2scGs=");
	CHECK_INT(sig_sign("12345", u14, NULL, 0, got), 0);
	CHECK_STR(got, "rw/jVviOgicj2+kHZULvebnA4ag=");
	CHECK_INT(verify("12345", u12, NULL, 0, body, "a9nBmqA0ju/hNViExpshrM61xv4="), 0);
	CHECK_INT(verify("12345", u13, NULL, 0, body, "y77kIzt2vzLz71DgmJGsen2scGs="), 0);
	/* 14: the signature is the :443 variant's; it validates through the added port */
	CHECK_INT(verify("12345", u14, NULL, 0, "{}", "Ldidvp12m26NI7eqEvxnEpkd9Hc="), 0);
	CHECK_INT(verify("12345", u14, NULL, 0, "{}", "rw/jVviOgicj2+kHZULvebnA4ag="), 0);
	/* negative: the body changed, the hash missing */
	CHECK_INT(verify("12345", u12, NULL, 0, "{\"property\": \"value\"}",
	                 "a9nBmqA0ju/hNViExpshrM61xv4="),
	          EACCES);
	CHECK_INT(verify("12345", URL, NULL, 0, body, "a9nBmqA0ju/hNViExpshrM61xv4="), EACCES);
}

/* Vectors 15 and 17: the documented signed string; empty values included. */
static void vectors_doc(void)
{
	static const struct form_param p[] = {
	    {"Digits", 6, "1234", 4},
	    {"To", 2, "+18005551212", 12},
	    {"From", 4, "+14158675310", 12},
	    {"Caller", 6, "+14158675310", 12},
	    {"CallSid", 7, "CA1234567890ABCDE", 17},
	};
	const char *u = "https://example.com/myapp.php?foo=1&bar=2";
	struct buf b;
	buf_init(&b, 4096);
	CHECK_INT(sig_data(u, p, 5, &b), 0);
	CHECK_STR(buf_str(&b), "https://example.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDE"
	                       "Caller+14158675310Digits1234From+14158675310To+18005551212");
	buf_free(&b);
	char got[SIG_LEN + 1];
	CHECK_INT(sig_sign("12345", u, p, 5, got), 0);
	CHECK_STR(got, "L/OH5YylLD5NRKLltdqwSvS0BnU=");

	char body[] = "Called=%2B491703330161&ToState=&CallerCountry=US&Direction=outbound-api&"
	              "CallerState=CA&ToZip=&CallSid=test-call-sid&To=%2B491703330161&CallerZip=&"
	              "ToCountry=DE&CalledZip=&ApiVersion=2010-04-01&CalledCity=&CallStatus=in-"
	              "progress&From=%2B16505055892&AccountSid=test-account-sid&CalledCountry=DE&"
	              "CallerCity=&ToCity=&FromCountry=US&Caller=%2B16505055892&FromCity=&"
	              "CalledState=&FromZip=&FromState=CA";
	struct form *f = malloc(sizeof(*f));
	CHECK_INT(form_parse(body, strlen(body), f), 0);
	CHECK_INT(f->n, 25);
	CHECK_INT(sig_sign("secret", "https://example.com/voice/webhook", f->p, f->n, got), 0);
	CHECK_STR(got, "KOEOMoF/g4CsG6Eh3lIavri38Oc=");
	free(f);
}

/* Negative vectors: a wrong signature, an unexpected extra query parameter,
 * no header; the secondary token; no token at all. */
static void negatives_and_tokens(void)
{
	CHECK_INT(verify("12345", URL, P, NP, NULL, "RSOYDt4T1cUTdK1PDd93/VVr8B8"), EACCES);
	CHECK_INT(verify("12345", URL, P, NP, NULL, "XSOYDt4T1cUTdK1PDd93/VVr8B8="), EACCES);
	CHECK_INT(verify("12345", URL "&somethingUnexpected=true", P, NP, NULL,
	                 "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
	          EACCES);
	CHECK_INT(verify("12345", URL, P, NP - 1, NULL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="), EACCES);
	CHECK_INT(verify("12345", URL, P, NP, NULL, NULL), EACCES);
	CHECK_INT(verify("12345", URL, P, NP, NULL, ""), EACCES);
	CHECK_INT(verify("", URL, P, NP, NULL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="), EINVAL);

	struct sig_keys k = {"wrong-token", "12345"};
	struct sig_request r = {URL, P, NP, NULL, 0, "RSOYDt4T1cUTdK1PDd93/VVr8B8="};
	struct sig_explain ex;
	CHECK_INT(sig_verify(&k, &r, &ex), 0);
	CHECK_STR(ex.token, "secondary");
	CHECK_INT(ex.matched, 0);
	sig_explain_free(&ex);
}

/* The explanation names every variant and why it differs, never the token. */
static void explanation(void)
{
	struct sig_keys k = {"s3cr3t-token-value", "0ther-token-value"};
	struct sig_request r = {"https://Example.com/refer?q=it's", P, NP, NULL, 0, "bad"};
	struct sig_explain ex;
	CHECK_INT(sig_verify(&k, &r, &ex), EACCES);
	struct buf out;
	buf_init(&out, 1 << 16);
	sig_explain_format(&ex, &out, 1000, 0);
	const char *s = buf_str(&out);
	CHECK(strstr(s, "primary and secondary") != NULL);
	CHECK(strstr(s, "https://Example.com/refer?q=it's (as given)") != NULL);
	CHECK(
	    strstr(s,
	           "https://Example.com:443/refer?q=it's (default port added; differs in port)") !=
	    NULL);
	CHECK(strstr(s, "https://example.com/refer?q=it%27s (normalised like new URL(); differs in "
	                "host query)") != NULL);
	CHECK(strstr(s, "CallSidCA1234567890ABCDECaller") != NULL);
	CHECK(strstr(s, "s3cr3t") == NULL && strstr(s, "0ther") == NULL);
	CHECK(ex.nv >= 4);
	buf_free(&out);
	sig_explain_free(&ex);

	struct sig_variant v[SIG_MAX_VARIANTS];
	size_t n = sig_url_variants("http://h:8080/x?b=2&a=1&b=3&1=z", v, SIG_MAX_VARIANTS);
	int found = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].url, "http://h/x?1=z&b=2&b=3&a=1") == 0)
			found = 1;
	CHECK(found); /* the legacy re-encoded query groups repeated keys, index keys first */
}

static void base64_and_equal(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char out[16];
		crypto_base64((const unsigned char *)t[i].in, strlen(t[i].in), out);
		CHECK_STR(out, t[i].out);
	}
	CHECK(crypto_equal("abc", 3, "abc", 3));
	CHECK(!crypto_equal("abc", 3, "abd", 3));
	CHECK(!crypto_equal("abc", 3, "ab", 2));
	crypto_thread_done();
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"vectors_urls", vectors_urls},
	    {"vectors_repeated", vectors_repeated},
	    {"vectors_body", vectors_body},
	    {"vectors_doc", vectors_doc},
	    {"negatives_and_tokens", negatives_and_tokens},
	    {"explanation", explanation},
	    {"base64_and_equal", base64_and_equal},
	    {NULL, NULL},
	};
	int rc = test_run(cases);
	crypto_thread_done();
	return rc;
}

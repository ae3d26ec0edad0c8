/* fuzz_webhook: libFuzzer target for the webhook parsers: form decoding, Refer-To
 * parsing, URL variants and the /refer and /transfer/{name} handlers must never crash and
 * keep their limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webhooks/dest_set.h"
#include "twiml/twiml.h"
#include "webhooks/handler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dest_set *set;

static void once(void)
{
	static struct dest_header h[] = {{(char *)"X-Caller", (char *)"$caller_id"},
	                                 {(char *)"X-Acc", (char *)"$refer.X-Account"}};
	struct dest d[] = {{.name = (char *)"billing",
	                    .description = (char *)"",
	                    .route = (char *)"sip:billing@pbx.example.com",
	                    .headers = h,
	                    .nheaders = 2}};
	set = dest_set_new(d, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!set)
		once();
	if (size > FORM_MAX_BODY + 16)
		return 0;
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	static struct form f;
	if (form_parse(s, size, &f) == 0)
		for (size_t i = 0; i < f.n; i++)
			if (f.p[i].name_len > FORM_MAX_NAME || f.p[i].value_len > FORM_MAX_VALUE ||
			    f.p[i].value[f.p[i].value_len] != '\0')
				abort();

	memcpy(s, data, size);
	static struct target t;
	if (target_parse(s, size, &t, NULL, 0) == 0) {
		if (size > TARGET_MAX)
			abort();
		for (size_t i = 0; i < t.nheaders; i++)
			for (const char *p = t.headers[i].value; *p; p++)
				if ((unsigned char)*p < 0x20 && *p != '\t')
					abort();
	}

	static struct sig_variant v[SIG_MAX_VARIANTS];
	if (size <= SIG_MAX_URL)
		sig_url_variants(s, v, SIG_MAX_VARIANTS);

	/* the whole body through /refer (insecure: the signature would stop it first) */
	memcpy(s, data, size);
	struct handler_settings hs = {.public_url = "https://a.example.com", .insecure = true};
	struct handler_req req = {"POST", "/refer", NULL, NULL, NULL, NULL, s, size};
	struct handler_snap snap = {set, set};
	struct buf out;
	buf_init(&out, TWIML_MAX_BYTES);
	struct handler_resp resp = {.body = &out};
	struct handler_log log;
	int status = handler_handle(&hs, &snap, &req, &resp, &log);
	if (status == 200) {
		const char *b = buf_str(&out);
		const char *d = strstr(b, "<Dial");
		if (!d || strstr(d + 1, "<Dial") || strstr(b, "<Hangup"))
			abort();
	} else if (status != 400 && status != 404 && status != 413) {
		abort();
	}
	/* the first bytes as the name of /transfer/{name}, the whole body as its form */
	char path[96];
	memcpy(s, data, size);
	snprintf(path, sizeof(path), "/transfer/%.*s", (int)strcspn(s, "&"), s);
	memcpy(s, data, size);
	req.path = path;
	buf_reset(&out);
	status = handler_handle(&hs, &snap, &req, &resp, &log);
	if (status == 200) {
		const char *b = buf_str(&out);
		const char *d = strstr(b, "<Dial");
		if (!d || strstr(d + 1, "<Dial") || strstr(b, "<Hangup") ||
		    strcmp(log.dest, "billing"))
			abort();
	} else if (status != 400 && status != 404 && status != 413) {
		abort();
	}
	buf_free(&out);
	free(s);
	return 0;
}

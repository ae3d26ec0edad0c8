/* handler_loop: the /refer request of bench/run.sh through handler_handle in a warm loop
 * (snapshot hold/release included), for callgrind instruction counts per request.
 * Usage: handler_loop [N] (default 20000); prints ns per request and the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webhooks/dest_set.h"
#include "twiml/twiml.h"
#include "webhooks/handler.h"

#define TOKEN "bench-token-0123456789"
#define BASE  "http://127.0.0.1:8080"

static const char body_enc[] =
    "AccountSid=AC0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01"
    "&CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=in-progress&Direction=inbound"
    "&From=%2B14155550100&To=%2B18005551212"
    "&ReferTransferTarget=%3Csip%3Abilling%40agent.example.com%3FX-Reason%3Dupsell%3E";

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	struct dest_header h[] = {{(char *)"X-Caller", (char *)"$caller_id"},
	                          {(char *)"X-Call", (char *)"$call_sid"}};
	struct dest d = {.name = (char *)"billing",
	                 .route = (char *)"sip:billing@pbx.example.com",
	                 .headers = h,
	                 .nheaders = 2};
	struct dest_set *live = dest_set_new(&d, 1), *sand = dest_set_new(NULL, 0);
	live->version = 1;

	size_t blen = strlen(body_enc);
	char *tmp = malloc(blen + 1), *body = malloc(blen + 1);
	memcpy(tmp, body_enc, blen + 1);
	struct form *f = malloc(sizeof(*f));
	char sig[SIG_LEN + 1];
	if (form_parse(tmp, blen, f) || sig_sign(TOKEN, BASE "/refer", f->p, f->n, sig))
		return 1;
	struct handler_settings hs = {.public_url = BASE, .keys = {TOKEN, NULL}};
	struct buf out;
	buf_init(&out, TWIML_MAX_BYTES);
	struct handler_log *log = malloc(sizeof(*log));
	struct timespec t0, t1;
	int status = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		memcpy(body, body_enc, blen + 1);
		struct handler_req req = {"POST", "/refer", NULL, BASE,
		                          "application/x-www-form-urlencoded", sig, body, blen};
		dest_set_hold(live);
		dest_set_hold(sand);
		struct handler_snap snap = {live, sand};
		struct handler_resp resp = {.body = &out};
		status = handler_handle(&hs, &snap, &req, &resp, log);
		dest_set_release(live);
		dest_set_release(sand);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)n;
	printf("%ld requests, %.0f ns each, status %d\n%s", n, ns, status, buf_str(&out));
	buf_free(&out);
	handler_thread_done();
	dest_set_release(live);
	dest_set_release(sand);
	free(tmp);
	free(body);
	free(f);
	free(log);
	return status == 200 ? 0 : 1;
}

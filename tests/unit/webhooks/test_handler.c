/* test_handler: the routes as pure functions: every status, the sandbox, signatures. */
#include <errno.h>
#include <stdlib.h>

#include "store/zones.h"
#include "webhooks/dest_set.h"
#include "test.h"
#include "twiml/twiml.h"
#include "webhooks/crypto.h"
#include "webhooks/handler.h"

#define TOKEN "test-token-0123"
#define BASE  "https://agent.example.com"

static struct dest_set *live, *sandbox;
static int64_t test_now; /* the time each request is handled at */

static void sets(void)
{
	static struct dest_header hl[] = {{(char *)"X-Caller", (char *)"$caller_id"},
	                                  {(char *)"X-Acc", (char *)"$refer.X-Account"}};
	struct dest l[] = {{.name = (char *)"billing",
	                    .description = (char *)"",
	                    .route = (char *)"sip:billing@pbx.example.com",
	                    .headers = hl,
	                    .nheaders = 2},
	                   {.name = (char *)"front-desk",
	                    .description = (char *)"",
	                    .route = (char *)"+14155550123",
	                    .timeout = 20}};
	struct dest s[] = {{.name = (char *)"billing",
	                    .description = (char *)"",
	                    .route = (char *)"sip:billing-v2@pbx.example.com"}};
	live = dest_set_new(l, 2);
	live->version = 7;
	sandbox = dest_set_new(s, 1);
}

struct answer {
	int status;
	char body[4096];
	const char *allow;
	struct handler_log log;
};

/* Sends one request; signs it over BASE+path(+query) and the body's params unless sig is given. */
static struct answer *call(const struct handler_settings *hs, const char *method, const char *path,
                           const char *query, const char *body, const char *sig)
{
	static struct answer a;
	char url[1024], sigbuf[SIG_LEN + 1];
	snprintf(url, sizeof(url), "%s%s%s%s", BASE, path, query ? "?" : "", query ? query : "");
	size_t blen = body ? strlen(body) : 0;
	char *b1 = malloc(blen + 1), *b2 = malloc(blen + 1);
	memcpy(b1, body ? body : "", blen + 1);
	memcpy(b2, body ? body : "", blen + 1);
	if (!sig) {
		struct form *f = malloc(sizeof(*f));
		int post = strcmp(method, "POST") == 0;
		if (!post || form_parse(b1, blen, f) != 0)
			f->n = 0;
		sig_sign(TOKEN, url, f->p, f->n, sigbuf);
		sig = sigbuf;
		free(f);
	}
	struct handler_req req = {method,
	                          path,
	                          query,
	                          "http://127.0.0.1:8080",
	                          "application/x-www-form-urlencoded",
	                          sig,
	                          b2,
	                          blen,
	                          test_now};
	struct handler_snap snap = {live, sandbox};
	struct buf out;
	buf_init(&out, TWIML_MAX_BYTES);
	struct handler_resp resp = {.body = &out};
	a.status = handler_handle(hs, &snap, &req, &resp, &a.log);
	snprintf(a.body, sizeof(a.body), "%s", buf_str(&out));
	a.allow = resp.allow;
	buf_free(&out);
	free(b1);
	free(b2);
	return &a;
}

static const struct handler_settings HS = {
    .public_url = BASE,
    .agent_uri = "sip:ai@voice.example.com",
    .keys = {TOKEN, NULL},
};

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void routes(void)
{
	static const struct {
		const char *method, *path, *query, *body, *sig;
		int status;
		const char *contains;
	} t[] = {
	    {"POST", "/voice", NULL, "CallSid=CA1&From=%2B1415", NULL, 200,
	     "<Dial answerOnBridge=\"true\" referUrl=\"" BASE "/refer\">"},
	    {"GET", "/voice", "CallSid=CA1", NULL, NULL, 200,
	     "<Sip>sip:ai@voice.example.com</Sip>"},
	    {"POST", "/sandbox/voice", NULL, "CallSid=CA1", NULL, 200, BASE "/sandbox/refer\""},
	    {"POST", "/refer", NULL,
	     "CallSid=CA9&From=%2B14155550100&ReferTransferTarget=%3Csip%3ABilling%40a.example.com%"
	     "3F"
	     "X-Account%3D42%3E",
	     NULL, 200,
	     "<Sip>sip:billing@pbx.example.com?X-Caller=%2B14155550100&amp;X-Acc=42</Sip>"},
	    {"POST", "/sandbox/refer", NULL, "ReferTransferTarget=sip%3Abilling%40a", NULL, 200,
	     "sip:billing-v2@pbx.example.com"},
	    {"GET", "/refer", "CallSid=CA2&ReferTransferTarget=tel%3Afront-desk", NULL, NULL, 404,
	     "no such destination"},
	    {"GET", "/refer", "ReferTransferTarget=%3Csip%3Afront-desk%40h%3E", NULL, NULL, 200,
	     "<Number>+14155550123</Number>"},
	    {"POST", "/refer", NULL, "ReferTransferTarget=sip%3Anobody%40a", NULL, 404, NULL},
	    {"POST", "/refer", NULL, "ReferTransferTarget=tel%3A%2B15551234567", NULL, 404, NULL},
	    {"POST", "/refer", NULL, "CallSid=CA1", NULL, 400, NULL},
	    {"POST", "/refer", NULL, "ReferTransferTarget=%zz", "x", 400, NULL},
	    {"POST", "/refer", NULL, "ReferTransferTarget=http%3A%2F%2Fx", NULL, 400, NULL},
	    {"POST", "/refer", NULL, "ReferTransferTarget=sip%3Abilling%40a", "", 403, NULL},
	    {"POST", "/refer", NULL, "ReferTransferTarget=sip%3Abilling%40a",
	     "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 403, NULL},
	    {"PUT", "/refer", NULL, "", NULL, 405, NULL},
	    {"DELETE", "/voice", NULL, "", NULL, 405, NULL},
	    {"POST", "/healthz", NULL, "", NULL, 405, NULL},
	    {"GET", "/healthz", NULL, NULL, NULL, 200, "ok"},
	    {"GET", "/nowhere", NULL, NULL, NULL, 404, NULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "route %zu %s %s", i, t[i].method, t[i].path);
		test_current = name;
		struct answer *a =
		    call(&HS, t[i].method, t[i].path, t[i].query, t[i].body, t[i].sig);
		CHECK_INT(a->status, t[i].status);
		if (t[i].contains && !CHECK(strstr(a->body, t[i].contains) != NULL))
			fprintf(stderr, "  body: %s\n", a->body);
		if (t[i].status != 200)
			CHECK(a->log.why[0] != '\0');
		if (t[i].status == 405)
			CHECK(a->allow != NULL);
		if (t[i].status == 403)
			CHECK(a->log.sig_failed);
	}
}

static void explanations(void)
{
	struct answer *a =
	    call(&HS, "POST", "/refer", NULL, "ReferTransferTarget=sip%3Ab%40a", "bad");
	CHECK_INT(a->status, 403);
	CHECK(strstr(a->log.why, BASE "/refer (as given)") != NULL);
	CHECK(strstr(a->log.why, TOKEN) == NULL);
	a = call(&HS, "POST", "/refer", NULL, "ReferTransferTarget=sip%3Anobody%40a", NULL);
	CHECK(strstr(a->log.why, "no destination named \"nobody\" in the live set") != NULL);
	CHECK_INT(a->log.version, 7);
	a = call(&HS, "POST", "/refer", NULL, "ReferTransferTarget=tel%3A%2B15551234567", NULL);
	CHECK(strstr(a->log.why, "--allow-direct") != NULL);
	a = call(&HS, "POST", "/sandbox/refer", NULL, "ReferTransferTarget=sip%3Abilling%40a",
	         NULL);
	CHECK_INT(a->log.version, 0);
	CHECK_STR(a->log.dest, "billing");
}

static void allow_direct(void)
{
	struct handler_settings hs = HS;
	hs.allow_direct = "+1555*";
	struct answer *a = call(&hs, "POST", "/refer", NULL,
	                        "ReferTransferTarget=%3Ctel%3A%2B15551234567%3E", NULL);
	CHECK_INT(a->status, 200);
	CHECK(strstr(a->body, "<Number>+15551234567</Number>") != NULL);
	CHECK_STR(a->log.dest, "direct");
	a = call(&hs, "POST", "/refer", NULL,
	         "ReferTransferTarget=sip%3A%2B15551234567%40trunk.example.com%3Buser%3Dphone",
	         NULL);
	if (!CHECK_INT(a->status, 200))
		fprintf(stderr, "  why: %s\n", a->log.why);
	CHECK(strstr(a->body, "<Number>+15551234567</Number>") != NULL);
	a = call(&hs, "POST", "/refer", NULL, "ReferTransferTarget=tel%3A%2B14155550000", NULL);
	CHECK_INT(a->status, 404);
	hs.allow_direct = "sip:*@pbx.example.com";
	a = call(&hs, "POST", "/refer", NULL, "ReferTransferTarget=sip%3Ajoe%40PBX.example.com",
	         NULL);
	CHECK_INT(a->status, 200);
	CHECK(strstr(a->body, "<Sip>sip:joe@PBX.example.com</Sip>") != NULL);
}

/* Injection through every parameter: the answer stays one Dial with the intended Sip. */
static void injection(void)
{
	static const char *bodies[] = {
	    "From=%22%3E%3CHangup%2F%3E&ReferTransferTarget=sip%3Abilling%40a",
	    "From=%3C%2FSip%3E%3C%2FDial%3E%3CHangup%2F%3E&ReferTransferTarget=sip%3Abilling%40a",
	    "From=a%0d%0aX-Evil%3A%201&ReferTransferTarget=sip%3Abilling%40a",
	    "From=%26X-Evil%3D1&ReferTransferTarget=sip%3Abilling%40a%3FX-Account%3D1%2526X-Evil%"
	    "253D2",
	    "ReferTransferTarget=sip%3Abilling%40a%3FX-Account%3D%2522%253E%253CHangup%252F%253E",
	    "ReferTransferTarget=sip%3Abilling%40a%3FX-Account%3D%253C%252FSip%253E",
	    "ReferTransferTarget=sip%3Abilling%40a%3FX-Account%3D%C3%A9%E2%82%AC",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		test_current = bodies[i];
		struct answer *a = call(&HS, "POST", "/refer", NULL, bodies[i], NULL);
		CHECK_INT(a->status, 200);
		CHECK_INT(count(a->body, "<Dial"), 1);
		CHECK_INT(count(a->body, "<Sip>sip:billing@pbx.example.com?"), 1);
		CHECK_INT(count(a->body, "<Hangup"), 0);
		CHECK_INT(count(a->body, "</Sip>"), 1);
		CHECK(strchr(strstr(a->body, "<Sip>"), '\r') == NULL);
		CHECK_INT(count(a->body, "X-Evil="), 0);
	}
	/* a CR/LF inside a Refer-To URI header is refused, not passed on */
	struct answer *a =
	    call(&HS, "POST", "/refer", NULL,
	         "ReferTransferTarget=sip%3Abilling%40a%3FX-Account%3Da%250d%250aB", NULL);
	CHECK_INT(a->status, 400);
}

static void rebuilt_url_and_limits(void)
{
	struct handler_settings hs = HS;
	hs.public_url = NULL;
	char url[] = "http://127.0.0.1:8080/voice";
	char sig[SIG_LEN + 1];
	sig_sign(TOKEN, url, NULL, 0, sig);
	char body[] = "";
	struct handler_req req = {"POST",
	                          "/voice",
	                          NULL,
	                          "http://127.0.0.1:8080",
	                          "application/x-www-form-urlencoded",
	                          sig,
	                          body,
	                          0,
	                          test_now};
	struct handler_snap snap = {live, sandbox};
	struct buf out;
	buf_init(&out, TWIML_MAX_BYTES);
	struct handler_resp resp = {.body = &out};
	struct handler_log log;
	CHECK_INT(handler_handle(&hs, &snap, &req, &resp, &log), 200);
	CHECK(strstr(buf_str(&out), "referUrl=\"http://127.0.0.1:8080/refer\"") != NULL);
	req.signature = "nope";
	CHECK_INT(handler_handle(&hs, &snap, &req, &resp, &log), 403);
	CHECK(strstr(log.why, "--public-url") != NULL);
	/* a proxy that keeps the public URL's path */
	hs.public_url = BASE "/hooks";
	sig_sign(TOKEN, BASE "/hooks/voice", NULL, 0, sig);
	req.signature = sig;
	req.path = "/hooks/voice";
	CHECK_INT(handler_handle(&hs, &snap, &req, &resp, &log), 200);
	req.path = "/voice";
	CHECK_INT(handler_handle(&hs, &snap, &req, &resp, &log), 200);
	/* the parameter-count limit */
	size_t n = 0;
	char *big = malloc(8192);
	for (int i = 0; i <= FORM_MAX_PARAMS; i++)
		n += (size_t)sprintf(big + n, "p%d=1&", i);
	req.body = big;
	req.body_len = n;
	CHECK_INT(handler_handle(&hs, &snap, &req, &resp, &log), 413);
	free(big);
	/* insecure: no signature needed */
	hs.insecure = true;
	hs.keys.primary = NULL;
	req.signature = NULL;
	req.body = body;
	req.body_len = 0;
	CHECK_INT(handler_handle(&hs, &snap, &req, &resp, &log), 200);
	CHECK_INT(handler_status(EIO), 500);
	buf_free(&out);
}

/* The handler answers by the time it is given: open hours, otherwise, a closed date,
 * and both sides of a DST change (New York, 2026-03-08 and 2026-11-01). */
static void opening_hours(void)
{
	struct dest d[3] = {{0}};
	d[0].name = (char *)"front-desk";
	d[0].route = (char *)"+14155550123";
	d[1].name = (char *)"after-hours";
	d[1].route = (char *)"sip:oncall@pbx.example.com";
	d[2].name = (char *)"early";
	d[2].route = (char *)"+14155550124";
	d[0].hours.tz = (char *)"America/New_York";
	d[0].hours.otherwise = (char *)"after-hours";
	hours_parse_lists(&d[0].hours, "mon-fri 09:00-17:00;sat 10:00-14:00", "2026-12-25");
	d[2].hours.tz = (char *)"America/New_York";
	d[2].hours.otherwise = (char *)"after-hours";
	hours_parse_lists(&d[2].hours, "daily 08:00-09:00", "");
	struct dest_error e;
	CHECK_INT(dest_validate_set(d, 3, &e), 0);
	struct dest_set *saved = live;
	live = dest_set_new(d, 3);
	CHECK_INT(dest_set_load_zones(live, zone_load), 0);
	static const struct {
		const char *name;
		long long now;
		const char *dest, *asked, *dials;
	} t[] = {
	    /* Wednesday 2026-07-01 12:00 and 18:00 EDT (open mon-fri 09:00-17:00) */
	    {"front-desk", 1782921600, "front-desk", "", "<Number>+14155550123</Number>"},
	    {"front-desk", 1782943200, "after-hours", "front-desk", "sip:oncall@pbx.example.com"},
	    /* Saturday 11:00 and 15:00 EDT (open 10:00-14:00) */
	    {"front-desk", 1783177200, "front-desk", "", "<Number>+14155550123</Number>"},
	    {"front-desk", 1783191600, "after-hours", "front-desk", "sip:oncall@pbx.example.com"},
	    /* 2026-12-25 is a closed date; the 24th is open (11:00 EST both) */
	    {"front-desk", 1798214400, "after-hours", "front-desk", "sip:oncall@pbx.example.com"},
	    {"front-desk", 1798128000, "front-desk", "", "<Number>+14155550123</Number>"},
	    /* 12:30Z: 07:30 EST the day before clocks go forward, 08:30 EDT on the day */
	    {"early", 1772886600, "after-hours", "early", "sip:oncall@pbx.example.com"},
	    {"early", 1772973000, "early", "", "<Number>+14155550124</Number>"},
	    /* 13:30Z: 09:30 EDT the day before clocks go back, 08:30 EST on the day */
	    {"early", 1793453400, "after-hours", "early", "sip:oncall@pbx.example.com"},
	    {"early", 1793539800, "early", "", "<Number>+14155550124</Number>"},
	    {"after-hours", 1782943200, "after-hours", "", "sip:oncall@pbx.example.com"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char body[256], name[64];
		snprintf(
		    body, sizeof(body),
		    "CallSid=CA1&From=%%2B14155550100&ReferTransferTarget=%%3Csip%%3A%s%%40a%%3E",
		    t[i].name);
		snprintf(name, sizeof(name), "hours %s at %lld", t[i].name, t[i].now);
		test_current = name;
		test_now = t[i].now;
		struct answer *a = call(&HS, "POST", "/refer", NULL, body, NULL);
		CHECK_INT(a->status, 200);
		CHECK_STR(a->log.dest, t[i].dest);
		CHECK_STR(a->log.asked, t[i].asked);
		if (!CHECK(strstr(a->body, t[i].dials) != NULL))
			fprintf(stderr, "  body: %s\n", a->body);
	}
	test_now = 0;
	dest_set_release(live);
	live = saved;
}

/* /transfer/{name}: the destination's TwiML from the path's name (same lookup as /refer:
 * case-insensitive), variables from the request, $refer.* empty, signed over the full path. */
static void transfer_route(void)
{
	static const struct {
		const char *method, *path, *query, *body, *sig;
		int status;
		const char *contains, *dest, *name;
	} t[] = {
	    {"POST", "/transfer/billing", NULL, "CallSid=CA7&From=%2B14155550100&To=%2B1415", NULL,
	     200, "<Sip>sip:billing@pbx.example.com?X-Caller=%2B14155550100</Sip>", "billing",
	     "billing"},
	    {"GET", "/transfer/Billing", "CallSid=CA7&From=%2B14155550100", NULL, NULL, 200,
	     "X-Caller=%2B14155550100", "billing", "Billing"},
	    {"POST", "/sandbox/transfer/billing", NULL, "CallSid=CA7", NULL, 200,
	     "sip:billing-v2@pbx.example.com", "billing", "billing"},
	    {"POST", "/transfer/front-desk", NULL, "CallSid=CA7", NULL, 200,
	     "<Dial timeout=\"20\" answerOnBridge=\"true\">", "front-desk", "front-desk"},
	    {"POST", "/sandbox/transfer/front-desk", NULL, "CallSid=CA7", NULL, 404, NULL, "",
	     "front-desk"},
	    {"POST", "/transfer/nobody", NULL, "CallSid=CA7", NULL, 404, "no such destination", "",
	     "nobody"},
	    {"POST", "/transfer/billing", NULL, "CallSid=CA7", "bad", 403, NULL, "", ""},
	    {"PUT", "/transfer/billing", NULL, "", NULL, 405, NULL, "", ""},
	    {"POST", "/transfer/", NULL, "CallSid=CA7", NULL, 404, NULL, "", ""},
	    {"POST", "/transfer/billing/x", NULL, "CallSid=CA7", NULL, 404, NULL, "", ""},
	    {"POST", "/transfer", NULL, "CallSid=CA7", NULL, 404, NULL, "", ""},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char name[80];
		snprintf(name, sizeof(name), "transfer %zu %s %s", i, t[i].method, t[i].path);
		test_current = name;
		struct answer *a =
		    call(&HS, t[i].method, t[i].path, t[i].query, t[i].body, t[i].sig);
		CHECK_INT(a->status, t[i].status);
		if (t[i].contains && !CHECK(strstr(a->body, t[i].contains) != NULL))
			fprintf(stderr, "  body: %s\n", a->body);
		CHECK_STR(a->log.dest, t[i].dest);
		CHECK_STR(a->log.name, t[i].name);
		if (t[i].status == 404 && t[i].name[0])
			CHECK(strstr(a->log.why, "no destination named") != NULL);
	}
	struct answer *a = call(&HS, "POST", "/transfer/nobody", NULL, "CallSid=CA7", NULL);
	CHECK_STR(a->log.why, "no destination named \"nobody\" in the live set");
	CHECK_STR(a->log.route->name, "transfer");
	CHECK_INT(a->log.version, 7);
	a = call(&HS, "POST", "/sandbox/transfer/billing", NULL, "CallSid=CA7", NULL);
	CHECK_STR(a->log.route->name, "sandbox_transfer");
	CHECK_INT(a->log.version, 0);
	/* behind a proxy that keeps a path: the signature covers the whole path */
	struct handler_settings hs = HS;
	hs.public_url = BASE "/hooks";
	char sig[SIG_LEN + 1], body[] = "CallSid=CA7", copy[] = "CallSid=CA7";
	struct form f;
	CHECK_INT(form_parse(copy, strlen(copy), &f), 0);
	sig_sign(TOKEN, BASE "/hooks/transfer/billing", f.p, f.n, sig);
	struct handler_req req = {.method = "POST",
	                          .path = "/hooks/transfer/billing",
	                          .content_type = "application/x-www-form-urlencoded",
	                          .signature = sig,
	                          .body = body,
	                          .body_len = strlen(body)};
	struct handler_snap snap = {live, sandbox};
	struct buf out;
	buf_init(&out, TWIML_MAX_BYTES);
	struct handler_resp resp = {.body = &out};
	struct handler_log log;
	CHECK_INT(handler_handle(&hs, &snap, &req, &resp, &log), 200);
	CHECK_STR(log.dest, "billing");
	buf_free(&out);
}

int main(void)
{
	sets();
	static const struct test_case cases[] = {
	    {"routes", routes},
	    {"explanations", explanations},
	    {"allow_direct", allow_direct},
	    {"injection", injection},
	    {"rebuilt_url_and_limits", rebuilt_url_and_limits},
	    {"opening_hours", opening_hours},
	    {"transfer_route", transfer_route},
	    {NULL, NULL},
	};
	int rc = test_run(cases);
	dest_set_release(live);
	dest_set_release(sandbox);
	crypto_thread_done();
	handler_thread_done();
	return rc;
}

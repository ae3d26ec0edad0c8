/* test_emu_control: the control endpoints through the REST twin's handler, no socket. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "emulator/control.h"
#include "emulator/flow.h"
#include "net/httpd.h"
#include "test.h"
#include "webhooks/sig.h"

#define ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define AUTH    "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjp0b2tlbjEyMw=="

static struct emu_rest *rest;
static struct emu_control *ctl;
static json_t *app;

/* One request through the twin; returns the status, *json the parsed body. */
static int call(const char *method, const char *path, const char *body, json_t **json)
{
	struct http_header h[] = {{"Authorization", AUTH},
	                          {"Content-Type", "application/x-www-form-urlencoded"},
	                          {"Host", "127.0.0.1:1"}};
	char *q = strchr(path, '?') ? strchr(path, '?') + 1 : NULL;
	char p[512];
	snprintf(p, sizeof(p), "%.*s", q ? (int)(q - path - 1) : (int)strlen(path), path);
	struct http_req req = {
	    method, p, q, body ? body : "", body ? strlen(body) : 0, "127.0.0.1", 1, 0, h, 3};
	struct http_resp resp = {0};
	resp.status = 200;
	buf_init(&resp.body, HTTPD_MAX_RESPONSE);
	emu_rest_handle(rest, &req, &resp);
	if (json)
		*json = json_loads(buf_str(&resp.body), 0, NULL);
	buf_free(&resp.body);
	return resp.status;
}

static json_t *leg(json_t *c, const char *label)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(c, "legs"), i, l)
	{
		if (strcmp(json_string_value(json_object_get(l, "label")), label) == 0)
			return l;
	}
	return NULL;
}

static const char *sid(json_t *c, const char *label)
{
	return json_string_value(json_object_get(leg(c, label), "sid"));
}

static void setup(void)
{
	struct emu_rest_config cfg = {ACCOUNT, "token123", NULL, NULL, 0};
	char err[256];
	CHECK_INT(emu_rest_new(&rest, &cfg, err, sizeof(err)), 0);
	/* the caller's copy of the token is wiped at once (as cmd_emulator does) */
	char tok[] = "token123";
	CHECK_INT(emu_control_new(rest, tok, &ctl), 0);
	memset(tok, 'x', sizeof(tok) - 1);
	emu_control_attach(ctl, rest);
	app = json_loads("{\"/voice\": \"<Response><Dial answerOnBridge=\\\"true\\\" "
	                 "referUrl=\\\"/refer\\\"><Sip>sip:agent@pbx.example.com</Sip></Dial>"
	                 "</Response>\", \"/refer\": \"<Response><Dial><Sip>sip:b@pbx.example.com"
	                 "</Sip></Dial></Response>\", \"/out\": \"<Response><Say>hi</Say>"
	                 "</Response>\"}",
	                 0, NULL);
	struct emu_fetcher f = {app, emu_flow_fetch};
	emu_engine_set_fetcher(emu_control_engine(ctl), &f);
	CHECK_INT(call("POST", "/2010-04-01/Accounts/" ACCOUNT "/IncomingPhoneNumbers.json",
	               "PhoneNumber=%2B14155550199&VoiceUrl=https%3A%2F%2Fapp.example.com%2Fvoice",
	               NULL),
	          201);
}

static void inbound_call_refer_hangup(void)
{
	json_t *c = NULL, *r = NULL, *j = NULL;
	CHECK_INT(call("POST", "/emulator/calls", "From=%2B14155550100&To=%2B14155550199", &c),
	          201);
	CHECK_STR(json_string_value(json_object_get(leg(c, "A"), "status")), "in-progress");
	const char *p = sid(c, "P"), *a = sid(c, "A");
	char path[256];
	snprintf(path, sizeof(path), "/emulator/calls/%s/refer", a);
	CHECK_INT(call("POST", path,
	               "ReferTo=%3Csip%3Ab%40pbx.example.com%3E&Target=busy&SipHeader_X-Foo=1", &r),
	          200);
	CHECK_INT(json_integer_value(json_object_get(r, "sip_response")), 202);
	CHECK_STR(json_string_value(json_array_get(json_object_get(r, "notify"), 1)),
	          "SIP/2.0 486 Busy Here");
	CHECK_STR(json_string_value(json_array_get(json_object_get(r, "connected"), 0)),
	          "agent<->caller");
	/* every leg is a Call resource of the twin */
	json_t *b = emu_rest_call_get(rest, sid(r, "B"));
	CHECK_STR(json_string_value(json_object_get(b, "status")), "busy");
	CHECK_STR(json_string_value(json_object_get(b, "parent_call_sid")), p);
	json_decref(b);
	snprintf(path, sizeof(path), "/2010-04-01/Accounts/%s/Calls.json?ParentCallSid=%s", ACCOUNT,
	         p);
	CHECK_INT(call("GET", path, NULL, &j), 200);
	CHECK_INT(json_array_size(json_object_get(j, "calls")), 2);
	json_decref(j);
	/* the timeline carries the webhook with the REFER's X- header */
	snprintf(path, sizeof(path), "/emulator/calls/%s/events", p);
	CHECK_INT(call("GET", path, NULL, &j), 200);
	bool seen = false;
	size_t i;
	json_t *v;
	json_array_foreach(j, i, v)
	{
		seen |= json_object_get(json_object_get(v, "params"), "SipHeader_X-Foo") != NULL;
	}
	CHECK(seen);
	json_decref(j);
	snprintf(path, sizeof(path), "/emulator/calls/%s/hangup", p);
	CHECK_INT(call("POST", path, "", &j), 200);
	CHECK_STR(json_string_value(json_object_get(leg(j, "P"), "status")), "completed");
	CHECK_STR(json_string_value(json_object_get(leg(j, "A"), "status")), "completed");
	json_decref(j);
	j = emu_rest_call_get(rest, p);
	CHECK_STR(json_string_value(json_object_get(j, "status")), "completed");
	json_decref(j);
	json_decref(r);
	json_decref(c);
}

static void errors(void)
{
	json_t *j = NULL;
	CHECK_INT(call("POST", "/emulator/calls", "From=%2B1", &j), 400);
	json_decref(j);
	CHECK_INT(call("POST", "/emulator/calls", "From=%2B1&To=%2B19999999999", &j), 404);
	CHECK_INT(json_integer_value(json_object_get(j, "code")), 21211);
	json_decref(j);
	CHECK_INT(call("POST", "/emulator/calls/CA00000000000000000000000000000000/refer",
	               "ReferTo=x", &j),
	          404);
	json_decref(j);
	CHECK_INT(call("GET", "/emulator/calls/CA00000000000000000000000000000000/refer", NULL, &j),
	          405);
	json_decref(j);
	CHECK_INT(call("GET", "/emulator/calls/CA00000000000000000000000000000000", NULL, &j), 404);
	json_decref(j);
	CHECK_INT(call("GET", "/emulator/nothing", NULL, &j), 404);
	json_decref(j);
}

static void outbound_api_call_runs(void)
{
	json_t *j = NULL;
	CHECK_INT(
	    call("POST", "/2010-04-01/Accounts/" ACCOUNT "/Calls.json",
	         "To=%2B14155550123&From=%2B14155550199&Url=https%3A%2F%2Fapp.example.com%2Fout",
	         &j),
	    201);
	const char *s = json_string_value(json_object_get(j, "sid"));
	/* answered as created, like Twilio; the call runs on its own thread */
	CHECK_STR(json_string_value(json_object_get(j, "status")), "queued");
	json_t *c = NULL;
	char path[128];
	snprintf(path, sizeof(path), "/emulator/calls/%s", s ? s : "x");
	for (int i = 0; i < 500; i++) { /* at most 5 s */
		json_t *o = emu_rest_call_get(rest, s);
		bool done =
		    strcmp(json_string_value(json_object_get(o, "status")), "completed") == 0;
		json_decref(o);
		if (done)
			break;
		usleep(10000);
	}
	CHECK_INT(call("GET", path, NULL, &c), 200);
	CHECK_STR(json_string_value(json_object_get(leg(c, "P"), "direction")), "outbound-api");
	CHECK_STR(json_string_value(json_object_get(leg(c, "P"), "status")), "completed");
	json_t *o = emu_rest_call_get(rest, s);
	CHECK_STR(json_string_value(json_object_get(o, "status")), "completed");
	json_decref(o);
	json_decref(c);
	json_decref(j);
}

/* Webhooks are still signed with the token given, not with what the caller's buffer
 * holds afterwards. */
static void signature_outlives_callers_token(void)
{
	json_t *c = NULL, *j = NULL;
	CHECK_INT(call("POST", "/emulator/calls", "From=%2B14155550100&To=%2B14155550199", &c),
	          201);
	char path[256];
	snprintf(path, sizeof(path), "/emulator/calls/%s/events", sid(c, "P"));
	CHECK_INT(call("GET", path, NULL, &j), 200);
	json_t *hook = NULL, *v;
	size_t i;
	json_array_foreach(j, i, v)
	{
		if (!hook && json_object_get(v, "signature"))
			hook = v;
	}
	CHECK(hook != NULL);
	if (hook) {
		struct form_param fp[EMU_ENG_MAX_PARAMS];
		size_t n = 0;
		const char *k;
		json_object_foreach(json_object_get(hook, "params"), k, v)
		{
			if (n < EMU_ENG_MAX_PARAMS)
				fp[n++] = (struct form_param){k, strlen(k), json_string_value(v),
				                              strlen(json_string_value(v))};
		}
		char want[SIG_LEN + 1];
		CHECK_INT(sig_sign("token123", "https://app.example.com/voice", fp, n, want), 0);
		CHECK_STR(json_string_value(json_object_get(hook, "signature")), want);
	}
	json_decref(j);
	json_decref(c);
}

#define CALLS "/2010-04-01/Accounts/" ACCOUNT "/Calls"

/* Waits (at most 5 s) until the twin's record of call s has status want. */
static bool wait_status(const char *s, const char *want)
{
	for (int i = 0; i < 500; i++) {
		json_t *o = emu_rest_call_get(rest, s);
		bool done = o && strcmp(json_string_value(json_object_get(o, "status")), want) == 0;
		json_decref(o);
		if (done)
			return true;
		usleep(10000);
	}
	return false;
}

/* A Calls.json call, its SID copied into out (35 bytes). */
static int create(const char *to, const char *rest_of_form, char *out)
{
	char body[512];
	snprintf(body, sizeof(body), "To=%s&From=%%2B14155550199&%s", to, rest_of_form);
	json_t *j = NULL;
	int st = call("POST", CALLS ".json", body, &j);
	snprintf(out, 35, "%s", json_string_value(json_object_get(j, "sid")) ?: "");
	json_decref(j);
	return st;
}

static int update(const char *s, const char *form, json_t **j)
{
	char path[160];
	snprintf(path, sizeof(path), CALLS "/%s.json", s);
	return call(form ? "POST" : "DELETE", path, form, j);
}

/* POST /emulator/parties decides what a called party does; a ringing call can be canceled;
 * updates and deletes through the twin. */
static void parties_and_updates(void)
{
	json_t *j = NULL;
	static const struct {
		const char *form;
		int status;
	} bad[] = {{"Answer=busy", 400},
	           {"Address=%2B14155550150&Answer=maybe", 400},
	           {"Address=%2B14155550150&AfterMs=60001", 400},
	           {"Address=%2B14155550150&AfterMs=x", 400}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(call("POST", "/emulator/parties", bad[i].form, &j), bad[i].status);
		json_decref(j);
	}
	CHECK_INT(call("POST", "/emulator/parties", "Address=%2B14155550150&Answer=busy", &j), 200);
	json_decref(j);
	CHECK_INT(call("POST", "/emulator/parties",
	               "Address=%2B14155550151&Answer=answer&AfterMs=30000", &j),
	          200);
	CHECK_INT(json_array_size(j), 2);
	json_decref(j);

	/* busy: the call ends busy, its Url is never fetched */
	char s[35], r[35], live[35];
	CHECK_INT(create("%2B14155550150", "Url=https%3A%2F%2Fapp.example.com%2Fout", s), 201);
	CHECK(wait_status(s, "busy"));
	/* a party ringing 30 s: the call is ringing until it is canceled */
	CHECK_INT(create("%2B14155550151", "Url=https%3A%2F%2Fapp.example.com%2Fout&Timeout=40", r),
	          201);
	CHECK(wait_status(r, "ringing"));
	CHECK_INT(update(r, "Status=canceled", &j), 200);
	CHECK_STR(json_string_value(json_object_get(j, "status")), "canceled");
	json_decref(j);
	/* a live one (the default party answers at once) */
	CHECK_INT(
	    create("%2B14155550152",
	           "Twiml=%3CResponse%3E%3CConnect%3E%3CStream%20url%3D%22wss%3A%2F%2Fx%22%2F%3E"
	           "%3C%2FConnect%3E%3C%2FResponse%3E",
	           live),
	    201);
	CHECK(wait_status(live, "in-progress"));
	static const struct {
		const char *form; /* NULL: DELETE */
		int status, code;
	} t[] = {
	    {"Status=canceled", 400, 21220},
	    {"Status=paused", 400, 20001},
	    {"Url=ftp%3A%2F%2Fx", 400, 21205},
	    {"Url=https%3A%2F%2Fa.example.com&Twiml=%3CResponse%2F%3E", 400, 20001},
	    {"Method=PUT&Url=https%3A%2F%2Fa.example.com", 400, 21403},
	    {"Twiml=%3CResponse%3E", 400, 12100},
	    {NULL, 400, 21220},
	    {"FriendlyName=x", 200, 0}, /* nothing to change: the call as it is */
	    {"Status=completed", 200, 0},
	    {"Status=completed", 400, 21220},
	    {"Twiml=%3CResponse%2F%3E", 400, 21220},
	    {NULL, 204, 0},
	    {NULL, 404, 20404},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		j = NULL;
		CHECK_INT(update(live, t[i].form, &j), t[i].status);
		if (t[i].code)
			CHECK_INT(json_integer_value(json_object_get(j, "code")), t[i].code);
		json_decref(j);
	}
	CHECK(emu_rest_call_get(rest, live) == NULL); /* deleted */
	json_t *evs = NULL;
	char path[128];
	snprintf(path, sizeof(path), "/emulator/calls/%s/events", live);
	CHECK_INT(call("GET", path, NULL, &evs), 200); /* the engine keeps the timeline */
	CHECK(json_array_size(evs) > 5);
	json_decref(evs);
	CHECK_INT(update("CA00000000000000000000000000000000", "Status=completed", &j), 404);
	CHECK_INT(json_integer_value(json_object_get(j, "code")), 20404);
	json_decref(j);
	/* left ringing (30 s): emu_control_free must not wait for it (main times it) */
	CHECK_INT(create("%2B14155550151", "Url=https%3A%2F%2Fapp.example.com%2Fout", r), 201);
	CHECK(wait_status(r, "ringing"));
	CHECK_INT(call("DELETE", "/emulator/parties", NULL, &j), 200);
	CHECK_INT(json_array_size(j), 0);
	json_decref(j);
}

/* The value of parameter name on the Voice URL webhook of a timeline, or NULL. */
static const char *voice_param(json_t *ev, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(ev, i, v)
	{
		const char *t = json_string_value(json_object_get(v, "text"));
		if (t && strncmp(t, "Voice URL", 9) == 0)
			return json_string_value(
			    json_object_get(json_object_get(v, "params"), name));
	}
	return NULL;
}

/* A SIP domain user: POST /emulator/calls with To=sip:USER@DOMAIN, and the SIP door's entry. */
static void sip_domain_calls(void)
{
	json_t *d = NULL, *c = NULL, *ev = NULL;
	CHECK_INT(
	    call("POST", "/2010-04-01/Accounts/" ACCOUNT "/SIP/Domains.json",
	         "DomainName=example.sip.twilio.com&VoiceUrl=https%3A%2F%2Fapp.example.com%2Fout",
	         &d),
	    201);
	const char *sd = json_string_value(json_object_get(d, "sid"));
	static const struct {
		const char *form;
		int status;
	} bad[] = {
	    {"From=sip%3Aa%40h&To=sip%3Aalice%40nosuch.sip.twilio.com", 404},
	    {"From=sip%3Aa%40h&To=sip%3Aexample.sip.twilio.com", 400},
	    {"From=sip%3Aa%40h&To=sip%3A%40example.sip.twilio.com", 400},
	    {"From=sip%3Aa%40h&To=sip%3Aa%3Bb%40example.sip.twilio.com", 400},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_current = bad[i].form;
		CHECK_INT(call("POST", "/emulator/calls", bad[i].form, &c), bad[i].status);
		json_decref(c);
	}
	test_current = "sip_domain_calls";
	CHECK_INT(call("POST", "/emulator/calls",
	               "From=sip%3Aalice%40192.0.2.1%3A5060&To=sip%3Aalice%40EXAMPLE.sip.twilio.com"
	               "%3Btransport%3Dudp&SipCallId=cid-1&SipHeader_X-Tenant=acme",
	               &c),
	          201);
	char path[256];
	snprintf(path, sizeof(path), "/emulator/calls/%s/events", sid(c, "P"));
	CHECK_INT(call("GET", path, NULL, &ev), 200);
	static const char *const want[][2] = {
	    {"To", "sip:alice@example.sip.twilio.com"},
	    {"Called", "sip:alice@example.sip.twilio.com"},
	    {"From", "sip:alice@192.0.2.1:5060"},
	    {"Direction", "inbound"},
	    {"SipDomain", "example.sip.twilio.com"},
	    {"SipCallId", "cid-1"},
	    {"SipSourceIp", "127.0.0.1"},
	    {"SipHeader_X-Tenant", "acme"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		test_current = want[i][0];
		CHECK_STR(voice_param(ev, want[i][0]), want[i][1]);
	}
	test_current = "sip_domain_calls";
	CHECK_STR(voice_param(ev, "SipDomainSid"), sd);
	json_decref(ev);
	json_decref(c);
	/* the SIP door's entry: the CallSid it is given; a domain without a VoiceUrl is unknown */
	struct emu_control_sip_in in = {"CA0123456789abcdef0123456789abcdef",
	                                "sip:bob@127.0.0.1:5062",
	                                "bob",
	                                "example.sip.twilio.com",
	                                "cid-2",
	                                "127.0.0.1",
	                                NULL};
	char got[EMU_SID_LEN + 1] = "";
	CHECK_INT(emu_control_dial_domain(ctl, &in, got), 0);
	CHECK_STR(got, "CA0123456789abcdef0123456789abcdef");
	CHECK_INT(call("POST", "/2010-04-01/Accounts/" ACCOUNT "/SIP/Domains.json",
	               "DomainName=empty.sip.twilio.com", NULL),
	          201);
	in.sid = NULL;
	in.domain = "empty.sip.twilio.com";
	CHECK_INT(emu_control_dial_domain(ctl, &in, NULL), ENOENT);
	in.domain = "example.sip.twilio.com";
	in.user = "a@b";
	CHECK_INT(emu_control_dial_domain(ctl, &in, NULL), EINVAL);
	json_decref(d);
}

/* GET .../Accounts.json lists the one account; its dates do not move. */
static void accounts(void)
{
	json_t *a = NULL, *b = NULL, *l = NULL;
	CHECK_INT(call("GET", "/2010-04-01/Accounts/" ACCOUNT ".json", NULL, &a), 200);
	CHECK(json_is_null(json_object_get(a, "auth_token")));
	CHECK_INT(json_object_size(json_object_get(a, "subresource_uris")), 20);
	sleep(1);
	CHECK_INT(call("GET", "/2010-04-01/Accounts/" ACCOUNT ".json", NULL, &b), 200);
	CHECK(json_equal(a, b));
	CHECK_INT(call("GET", "/2010-04-01/Accounts.json?Status=active", NULL, &l), 200);
	CHECK_STR(json_string_value(
	              json_object_get(json_array_get(json_object_get(l, "accounts"), 0), "sid")),
	          ACCOUNT);
	json_decref(l);
	CHECK_INT(call("GET", "/2010-04-01/Accounts.json?Status=bogus", NULL, &l), 400);
	json_decref(l);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	setup();
	static const struct test_case cases[] = {
	    {"inbound_call_refer_hangup", inbound_call_refer_hangup},
	    {"errors", errors},
	    {"outbound_api_call_runs", outbound_api_call_runs},
	    {"signature_outlives_callers_token", signature_outlives_callers_token},
	    {"parties_and_updates", parties_and_updates},
	    {"accounts", accounts},
	    {"sip_domain_calls", sip_domain_calls},
	    {NULL, NULL},
	};
	int rc = test_run(cases);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	emu_control_free(ctl); /* a call still ringing stops waiting */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > 2000) {
		fprintf(stderr, "FAIL emu_control_free waited for a ringing call\n");
		rc = 1;
	}
	emu_rest_free(rest);
	json_decref(app);
	return rc;
}

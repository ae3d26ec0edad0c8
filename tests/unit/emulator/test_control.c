/* test_emu_control: the control endpoints through the REST twin's handler, no socket. */
#include <errno.h>
#include <stdlib.h>
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

int main(void)
{
	setup();
	static const struct test_case cases[] = {
	    {"inbound_call_refer_hangup", inbound_call_refer_hangup},
	    {"errors", errors},
	    {"outbound_api_call_runs", outbound_api_call_runs},
	    {"signature_outlives_callers_token", signature_outlives_callers_token},
	    {NULL, NULL},
	};
	int rc = test_run(cases);
	emu_control_free(ctl);
	emu_rest_free(rest);
	json_decref(app);
	return rc;
}

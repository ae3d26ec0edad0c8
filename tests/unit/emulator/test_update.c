/* test_emu_update: outbound-api calls, live-call updates and media streams through the
 * engine's public API, with a scripted fetcher that records what was requested. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "emulator/engine.h"
#include "test.h"
#include "util/mem.h"

#define APP "https://app.example.com"

/* Answers by path; remembers every URL and the parameters of the last request. */
struct app {
	const char *const *answers; /* path, TwiML, path, TwiML, ..., NULL */
	char urls[16][256];
	size_t n;
	char last_params[2048];
};

static int fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	struct app *a = ctx;
	if (a->n < 16)
		snprintf(a->urls[a->n++], sizeof(a->urls[0]), "%s %s", req->method, req->url);
	a->last_params[0] = 0;
	for (size_t i = 0; req->params && i < req->params->n; i++) {
		size_t l = strlen(a->last_params);
		snprintf(a->last_params + l, sizeof(a->last_params) - l, "%s=%s&",
		         req->params->v[i].name, req->params->v[i].value);
	}
	const char *path = strstr(req->url, "://") ? strchr(strstr(req->url, "://") + 3, '/') : "";
	for (const char *const *p = a->answers; p && *p; p += 2)
		if (path && strcmp(p[0], path) == 0) {
			res->status = 200;
			res->content_type = xstrdup("text/xml");
			res->body = xstrdup(p[1]);
			res->body_len = strlen(p[1]);
			return 0;
		}
	res->status = 404;
	return 0;
}

static struct emu_engine *engine(struct app *a, const int *rule_overrides)
{
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher = (struct emu_fetcher){a, fetch};
	for (const int *r = rule_overrides; r && r[0] >= 0; r += 2)
		cfg.rules[r[0]] = r[1];
	struct emu_engine *e = NULL;
	CHECK_INT(emu_engine_new(&cfg, &e), 0);
	return e;
}

static json_t *call_of(struct emu_engine *e, const char *sid)
{
	json_t *j = NULL;
	CHECK_INT(emu_call_json(e, sid, &j), 0);
	return j;
}

static const char *status_of(json_t *call, const char *label)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		if (strcmp(json_string_value(json_object_get(l, "label")), label) == 0)
			return json_string_value(json_object_get(l, "status"));
	}
	return "(none)";
}

static json_t *leg_field(json_t *call, const char *label, const char *field)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		if (strcmp(json_string_value(json_object_get(l, "label")), label) == 0)
			return json_object_get(l, field);
	}
	return NULL;
}

static const char *connected(json_t *call)
{
	static char out[128];
	out[0] = 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(call, "connected"), i, v)
	{
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "",
		         json_string_value(v));
	}
	return out;
}

/* The number of events of kind whose text holds text (NULL: any). */
static int count_events(struct emu_engine *e, const char *sid, const char *kind, const char *text)
{
	json_t *evs = NULL;
	CHECK_INT(emu_events_json(e, sid, &evs), 0);
	int n = 0;
	size_t i;
	json_t *v;
	json_array_foreach(evs, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "kind")), kind) == 0 &&
		    (!text || strstr(json_string_value(json_object_get(v, "text")), text)))
			n++;
	}
	json_decref(evs);
	return n;
}

static struct emu_call_spec inbound(const char *twiml)
{
	struct emu_call_spec s = {0};
	s.profile = EMU_TWILIO_VOICE;
	s.from = "+14155550100";
	s.to = "+14155550199";
	s.voice_url = APP "/voice";
	s.twiml = twiml;
	return s;
}

static struct emu_call_spec outbound(enum emu_outcome o, bool hold)
{
	struct emu_call_spec s = inbound(NULL);
	s.from = "+14155550199";
	s.to = "+14155550111";
	s.voice_url = APP "/outbound";
	s.outbound = true;
	s.answer = o;
	s.hold_ringing = hold;
	return s;
}

#define STREAM "<Response><Connect><Stream url=\"wss://ai.example.com/s\"/></Connect></Response>"

/* An outbound call's Url runs only after the answer; busy, no-answer and fail run nothing. */
static void test_outbound_outcomes(void)
{
	static const struct {
		enum emu_outcome o;
		const char *status;
		int fetches;
	} t[] = {{EMU_ANSWER, "completed", 1},
	         {EMU_BUSY, "busy", 0},
	         {EMU_NO_ANSWER, "no-answer", 0},
	         {EMU_FAIL, "failed", 0}};
	static const char *const answers[] = {
	    "/outbound", "<Response><Pause length=\"7\"/><Hangup/></Response>", NULL};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct app a = {.answers = answers};
		struct emu_engine *e = engine(&a, NULL);
		struct emu_call_spec s = outbound(t[i].o, false);
		char sid[EMU_SID_LEN + 1];
		CHECK_INT(emu_call_create(e, &s, sid), 0);
		json_t *c = call_of(e, sid);
		CHECK_STR(status_of(c, "P"), t[i].status);
		CHECK_STR(json_string_value(leg_field(c, "P", "direction")), "outbound-api");
		CHECK_INT(a.n, t[i].fetches);
		if (t[i].o == EMU_ANSWER) {
			/* <Pause> then <Hangup> after the answer: answered, with its duration */
			CHECK_INT(json_integer_value(leg_field(c, "P", "duration")), 7);
			CHECK(strstr(a.last_params, "CallStatus=in-progress&") != NULL);
		} else {
			CHECK(json_is_null(leg_field(c, "P", "duration")));
		}
		json_decref(c);
		emu_engine_free(e);
	}
}

/* hold_ringing: the call waits ringing; ring_end decides; the first event names its SID. */
static void test_held_ringing(void)
{
	static const char *const answers[] = {"/outbound", STREAM, NULL};
	struct app a = {.answers = answers};
	struct emu_engine *e = engine(&a, NULL);
	struct emu_call_spec s = outbound(EMU_ANSWER, true);
	s.sid = "CA0123456789abcdef0123456789abcdef";
	char sid[EMU_SID_LEN + 1], st[16];
	CHECK_INT(emu_call_create(e, &s, sid), 0);
	CHECK_STR(sid, s.sid);
	CHECK_INT(emu_leg_status(e, sid, st), 0);
	CHECK_STR(st, "ringing");
	CHECK_INT(a.n, 0);
	json_t *evs = NULL;
	CHECK_INT(emu_events_json(e, sid, &evs), 0);
	CHECK(strstr(json_string_value(json_object_get(json_array_get(evs, 0), "text")), s.sid) !=
	      NULL);
	json_decref(evs);
	CHECK_INT(emu_call_ring_end(e, "CA00000000000000000000000000000000", EMU_ANSWER), ENOENT);
	CHECK_INT(emu_call_ring_end(e, sid, EMU_ANSWER), 0);
	CHECK_INT(emu_leg_status(e, sid, st), 0);
	CHECK_STR(st, "in-progress");
	CHECK_INT(emu_call_ring_end(e, sid, EMU_BUSY), EALREADY);
	json_t *c = call_of(e, sid);
	CHECK_STR(connected(c), "caller<->stream");
	json_decref(c);
	emu_engine_free(e);
}

/* Status=canceled ends a ringing call; Url on a ringing call runs when it answers (or is
 * refused with the rule at 0). */
static void test_ringing_updates(void)
{
	static const char *const answers[] = {"/outbound", STREAM, "/later",
	                                      "<Response><Hangup/></Response>", NULL};
	struct app a = {.answers = answers};
	struct emu_engine *e = engine(&a, NULL);
	struct emu_call_spec s = outbound(EMU_ANSWER, true);
	char sid[EMU_SID_LEN + 1], st[16];
	struct emu_update_err err;
	CHECK_INT(emu_call_create(e, &s, sid), 0);
	struct emu_update u = {.status = "canceled"};
	CHECK_INT(emu_call_update(e, sid, &u, &err), 0);
	CHECK_INT(emu_leg_status(e, sid, st), 0);
	CHECK_STR(st, "canceled");
	CHECK_INT(emu_call_ring_end(e, sid, EMU_ANSWER), EALREADY);
	CHECK_INT(a.n, 0);

	CHECK_INT(emu_call_create(e, &s, sid), 0);
	u = (struct emu_update){.url = APP "/later"};
	CHECK_INT(emu_call_update(e, sid, &u, &err), 0);
	CHECK_INT(count_events(e, sid, "modelled", "api.update-ringing-runs-on-answer=1"), 1);
	CHECK_INT(emu_call_ring_end(e, sid, EMU_ANSWER), 0);
	CHECK_INT(a.n, 1);
	CHECK_STR(a.urls[0], "POST " APP "/later");
	CHECK_INT(emu_leg_status(e, sid, st), 0);
	CHECK_STR(st, "completed");
	emu_engine_free(e);

	const int off[] = {EMU_R_API_RINGING, 0, -1};
	e = engine(&a, off);
	CHECK_INT(emu_call_create(e, &s, sid), 0);
	CHECK_INT(emu_call_update(e, sid, &u, &err), EINVAL);
	CHECK_INT(err.code, 21220);
	emu_engine_free(e);
}

/* Updates a call in <Connect><Stream> cannot take, table-driven. */
static void test_refusals(void)
{
	static const struct {
		const char *name;
		struct emu_update u;
		bool child, ended;
		int rule_cancel;
		int rc, code;
		const char *after; /* connected afterwards */
	} t[] = {
	    {"canceled in progress",
	     {.status = "canceled"},
	     false,
	     false,
	     21220,
	     EINVAL,
	     21220,
	     "caller<->stream"},
	    {"canceled in progress, rule 0",
	     {.status = "canceled"},
	     false,
	     false,
	     0,
	     0,
	     0,
	     "caller<->stream"},
	    {"bad status",
	     {.status = "paused"},
	     false,
	     false,
	     21220,
	     EINVAL,
	     20001,
	     "caller<->stream"},
	    {"nothing to do", {0}, false, false, 21220, EINVAL, 20001, "caller<->stream"},
	    {"TwiML that does not parse",
	     {.twiml = "<Response><Say>"},
	     false,
	     false,
	     21220,
	     EINVAL,
	     12100,
	     "caller<->stream"},
	    {"a root that is not Response",
	     {.twiml = "<Dial/>"},
	     false,
	     false,
	     21220,
	     EINVAL,
	     12102,
	     "caller<->stream"},
	    {"Url on a child leg",
	     {.url = APP "/x"},
	     true,
	     false,
	     21220,
	     EINVAL,
	     20001,
	     "B<->caller"},
	    {"Url on an ended call", {.url = APP "/x"}, false, true, 21220, EINVAL, 21220, ""},
	    {"completed on an ended call",
	     {.status = "completed"},
	     false,
	     true,
	     21220,
	     EINVAL,
	     21220,
	     ""},
	};
	static const char *const answers[] = {
	    "/dial", "<Response><Dial><Sip>sip:b@pbx.example.com</Sip></Dial></Response>", NULL};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		test_current = t[i].name;
		struct app a = {.answers = answers};
		const int rules[] = {EMU_R_API_CANCEL_LIVE, t[i].rule_cancel, -1};
		struct emu_engine *e = engine(&a, rules);
		struct emu_call_spec s = inbound(STREAM);
		char sid[EMU_SID_LEN + 1], target[EMU_SID_LEN + 1];
		struct emu_update_err err;
		CHECK_INT(emu_call_create(e, &s, sid), 0);
		snprintf(target, sizeof(target), "%s", sid);
		if (t[i].child) {
			struct emu_update go = {.url = APP "/dial"};
			CHECK_INT(emu_call_update(e, sid, &go, &err), 0);
			json_t *c = call_of(e, sid);
			snprintf(target, sizeof(target), "%s",
			         json_string_value(leg_field(c, "B", "sid")));
			json_decref(c);
		}
		if (t[i].ended)
			CHECK_INT(emu_hangup(e, sid), 0);
		CHECK_INT(emu_call_update(e, target, &t[i].u, &err), t[i].rc);
		CHECK_INT(err.code, t[i].code);
		json_t *c = call_of(e, sid);
		CHECK_STR(connected(c), t[i].after);
		json_decref(c);
		emu_engine_free(e);
	}
	test_current = "refusals";
	struct app a = {0};
	struct emu_engine *e = engine(&a, NULL);
	struct emu_update u = {.status = "completed"};
	struct emu_update_err err;
	CHECK_INT(emu_call_update(e, "CA00000000000000000000000000000000", &u, &err), ENOENT);
	emu_engine_free(e);
}

/* A redirect in a <Dial>: the child ends, the action is skipped (or requested with the
 * rule at 0), the new TwiML runs; Status=completed on a child ends just that leg. */
static void test_redirect_in_dial(void)
{
	static const char *const answers[] = {
	    "/voice",
	    "<Response><Dial action=\"/act\"><Sip>sip:a@pbx.example.com</Sip></Dial></Response>",
	    "/new",
	    "<Response><Dial><Number>+14155550142</Number></Dial></Response>",
	    "/act",
	    "<Response><Say>after the dial</Say><Hangup/></Response>",
	    NULL};
	for (int rule = 1; rule >= 0; rule--) {
		struct app a = {.answers = answers};
		const int rules[] = {EMU_R_API_SKIP_ACTION, rule, -1};
		struct emu_engine *e = engine(&a, rules);
		struct emu_call_spec s = inbound(NULL);
		char sid[EMU_SID_LEN + 1];
		struct emu_update_err err;
		CHECK_INT(emu_call_create(e, &s, sid), 0);
		struct emu_update u = {.url = APP "/new", .target_set = true, .target = EMU_ANSWER};
		CHECK_INT(emu_call_update(e, sid, &u, &err), 0);
		json_t *c = call_of(e, sid);
		CHECK_STR(status_of(c, "A"), "completed");
		CHECK_STR(status_of(c, "B"), "in-progress");
		CHECK_STR(connected(c), "B<->caller");
		CHECK_INT(count_events(e, sid, "webhook", "Dial action"), rule ? 0 : 1);
		CHECK_INT(count_events(e, sid, "webhook", "Call update POST " APP "/new"), 1);
		/* Twilio hangs up the child leg: its Dial ends, the document goes on (and ends) */
		char b[EMU_SID_LEN + 1];
		snprintf(b, sizeof(b), "%s", json_string_value(leg_field(c, "B", "sid")));
		json_decref(c);
		u = (struct emu_update){.status = "completed"};
		CHECK_INT(emu_call_update(e, b, &u, &err), 0);
		c = call_of(e, sid);
		CHECK_STR(status_of(c, "B"), "completed");
		CHECK_STR(status_of(c, "P"), "completed");
		json_decref(c);
		emu_engine_free(e);
	}
}

/* The target of the new TwiML's dials, and DELETE's check. */
static void test_target_and_delete(void)
{
	static const char *const answers[] = {
	    "/x", "<Response><Dial><Sip>sip:billing@pbx.example.com</Sip></Dial></Response>", NULL};
	struct app a = {.answers = answers};
	struct emu_engine *e = engine(&a, NULL);
	struct emu_call_spec s = inbound(STREAM);
	char sid[EMU_SID_LEN + 1];
	struct emu_update_err err;
	CHECK_INT(emu_call_create(e, &s, sid), 0);
	CHECK_INT(emu_call_deletable(e, sid, &err), EINVAL);
	CHECK_INT(err.code, 21220);
	CHECK_INT(count_events(e, sid, "modelled", "api.delete-live-code=21220"), 1);
	struct emu_update u = {.url = APP "/x", .target_set = true, .target = EMU_BUSY};
	CHECK_INT(emu_call_update(e, sid, &u, &err), 0);
	json_t *c = call_of(e, sid);
	CHECK_STR(status_of(c, "B"), "busy");
	CHECK_STR(status_of(c, "P"), "completed");
	CHECK(leg_field(c, "A", "status") == NULL); /* the stream was the agent: no leg A */
	json_decref(c);
	CHECK_INT(emu_call_deletable(e, sid, &err), 0);
	CHECK_INT(emu_call_deletable(e, "CA00000000000000000000000000000000", &err), ENOENT);
	emu_engine_free(e);
}

/* A stream's status callbacks: Twilio's parameters; the StreamName defaults to the SID. */
static void test_stream_callbacks(void)
{
	static const char *const answers[] = {"/st", "<Response/>", NULL};
	struct app a = {.answers = answers};
	struct emu_engine *e = engine(&a, NULL);
	struct emu_call_spec s =
	    inbound("<Response><Connect><Stream url=\"wss://ai.example.com/s\" "
	            "statusCallback=\"/st\" statusCallbackMethod=\"GET\"/>"
	            "</Connect></Response>");
	char sid[EMU_SID_LEN + 1];
	CHECK_INT(emu_call_create(e, &s, sid), 0);
	CHECK_INT(a.n, 1);
	CHECK(strncmp(a.urls[0],
	              "GET " APP "/st?AccountSid=", strlen("GET " APP "/st?AccountSid=")) == 0);
	CHECK(strstr(a.urls[0], "StreamEvent=stream-started") != NULL);
	json_t *c = call_of(e, sid);
	const char *mz = json_string_value(
	    json_object_get(json_array_get(json_object_get(c, "streams"), 0), "sid"));
	CHECK(mz && strncmp(mz, "MZ", 2) == 0 && strlen(mz) == 34);
	char want[64];
	snprintf(want, sizeof(want), "StreamName=%s", mz ? mz : "?");
	CHECK(strstr(a.urls[0], want) != NULL);
	json_decref(c);
	CHECK_INT(emu_hangup(e, sid), 0);
	CHECK_INT(a.n, 2);
	CHECK(strstr(a.urls[1], "StreamEvent=stream-stopped") != NULL);
	c = call_of(e, sid);
	CHECK(json_is_false(
	    json_object_get(json_array_get(json_object_get(c, "streams"), 0), "open")));
	CHECK_STR(status_of(c, "P"), "completed");
	json_decref(c);
	emu_engine_free(e);
}

/* The modelled rules of an update: what Status=completed does to a ringing call, what a
 * Twiml that does not parse does, and a stream callback's Timestamp. */
static void rules(void)
{
	static const char *const answers[] = {"/st", "<Response/>", NULL};
	for (int rule = 1; rule >= 0; rule--) {
		struct app a = {.answers = answers};
		const int r[] = {EMU_R_API_DONE_RINGING,
		                 rule,
		                 EMU_R_API_BAD_TWIML,
		                 rule,
		                 EMU_R_STREAM_TS,
		                 rule,
		                 -1};
		struct emu_engine *e = engine(&a, r);
		char sid[EMU_SID_LEN + 1], st[16];
		struct emu_update_err err;
		struct emu_call_spec s = outbound(EMU_ANSWER, true);
		CHECK_INT(emu_call_create(e, &s, sid), 0);
		struct emu_update u = {.status = "completed"};
		CHECK_INT(emu_call_update(e, sid, &u, &err), 0);
		CHECK_INT(emu_leg_status(e, sid, st), 0);
		CHECK_STR(st, rule ? "canceled" : "completed");

		s = inbound("<Response><Connect><Stream url=\"wss://a\" statusCallback=\"/st\"/>"
		            "</Connect></Response>");
		CHECK_INT(emu_call_create(e, &s, sid), 0);
		CHECK(strstr(a.last_params, rule ? "Timestamp=2026-01-01T00:00:00.000Z&"
		                                 : "Timestamp=Thu, 01 Jan 2026 00:00:00 +0000&") !=
		      NULL);
		u = (struct emu_update){.twiml = "<Response><Say>"};
		CHECK_INT(emu_call_update(e, sid, &u, &err), rule ? EINVAL : 0);
		CHECK_INT(err.code, rule ? 12100 : 0);
		CHECK_INT(emu_leg_status(e, sid, st), 0);
		CHECK_STR(st, rule ? "in-progress" : "completed");
		CHECK_INT(count_events(e, sid, "modelled", "api.invalid-twiml-refused"), 1);
		emu_engine_free(e);
	}
}

/* Two threads: one keeps updating while another hangs up; the engine stays consistent. */
struct race {
	struct emu_engine *e;
	const char *sid;
};

static void *updater(void *arg)
{
	struct race *r = arg;
	struct emu_update u = {.twiml = STREAM};
	struct emu_update_err err;
	for (int i = 0; i < 50; i++)
		(void)emu_call_update(r->e, r->sid, &u, &err);
	return NULL;
}

static void test_concurrent(void)
{
	struct app a = {0};
	struct emu_engine *e = engine(&a, NULL);
	struct emu_call_spec s = inbound(STREAM);
	char sid[EMU_SID_LEN + 1], st[16];
	CHECK_INT(emu_call_create(e, &s, sid), 0);
	struct race r = {e, sid};
	pthread_t t;
	CHECK_INT(pthread_create(&t, NULL, updater, &r), 0);
	for (int i = 0; i < 20; i++) {
		struct emu_update u = {.twiml = STREAM};
		struct emu_update_err err;
		(void)emu_call_update(e, sid, &u, &err);
	}
	pthread_join(t, NULL);
	CHECK_INT(emu_hangup(e, sid), 0);
	CHECK_INT(emu_leg_status(e, sid, st), 0);
	CHECK_STR(st, "completed");
	emu_engine_free(e);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"outbound outcomes", test_outbound_outcomes},
	    {"held ringing", test_held_ringing},
	    {"ringing updates", test_ringing_updates},
	    {"refusals", test_refusals},
	    {"redirect in a dial", test_redirect_in_dial},
	    {"target and delete", test_target_and_delete},
	    {"stream callbacks", test_stream_callbacks},
	    {"rules", rules},
	    {"concurrent updates", test_concurrent},
	    {NULL, NULL},
	};
	return test_run(cases);
}

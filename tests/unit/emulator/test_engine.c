/* test_emu_engine: the call engine through its public API with a scripted fetcher. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "emulator/engine.h"
#include "test.h"
#include "util/buf.h"
#include "util/mem.h"

/* A scripted answer per path; anything else answers 404. */
struct answer {
	const char *path;
	int status;
	const char *ctype;
	const char *body;
	int error;
	unsigned delay_ms;
	int rc;
};

struct script {
	const struct answer *a;
	int calls;
};

static int fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct script *s = ctx;
	pthread_mutex_lock(&mu);
	s->calls++;
	pthread_mutex_unlock(&mu);
	const char *path =
	    strstr(req->url, "://") ? strchr(strstr(req->url, "://") + 3, '/') : req->url;
	for (const struct answer *a = s->a; a && a->path; a++)
		if (path && strcmp(a->path, path) == 0) {
			res->status = a->status;
			res->content_type = a->ctype ? xstrdup(a->ctype) : NULL;
			res->body = a->body ? xstrdup(a->body) : NULL;
			res->body_len = a->body ? strlen(a->body) : 0;
			res->error = a->error;
			res->delay_ms = a->delay_ms;
			return a->rc;
		}
	res->status = 404;
	return 0;
}

static int sign(void *ctx, const char *url, const struct emu_params *p, char *out, size_t n)
{
	(void)ctx;
	snprintf(out, n, "sig:%zu:%zu", strlen(url), p->n);
	return 0;
}

#define VOICE_URL "https://app.example.com/voice"
#define DIAL_AOB                                                                                   \
	"<Response><Dial answerOnBridge=\"true\" "                                                 \
	"referUrl=\"/refer\"><Sip>sip:a@pbx.example.com</Sip>"                                     \
	"</Dial></Response>"
#define DIAL_B "<Response><Dial><Sip>sip:b@pbx.example.com</Sip></Dial></Response>"

static struct emu_engine *engine(struct script *s, bool signer)
{
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher.ctx = s;
	cfg.fetcher.fetch = fetch;
	if (signer)
		cfg.signer.sign = sign;
	struct emu_engine *e = NULL;
	CHECK_INT(emu_engine_new(&cfg, &e), 0);
	return e;
}

static struct emu_call_spec voice_spec(const char *twiml)
{
	struct emu_call_spec s = {0};
	s.profile = EMU_TWILIO_VOICE;
	s.from = "+14155550100";
	s.to = "+14155550199";
	s.voice_url = VOICE_URL;
	s.twiml = twiml;
	return s;
}

static json_t *leg(json_t *call, const char *label)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		if (strcmp(json_string_value(json_object_get(l, "label")), label) == 0)
			return l;
	}
	return NULL;
}

static const char *leg_status(json_t *call, const char *label)
{
	return json_string_value(json_object_get(leg(call, label), "status"));
}

static const char *leg_sid(struct emu_engine *e, const char *psid, const char *label, char *buf)
{
	json_t *c = NULL;
	if (emu_call_json(e, psid, &c))
		return NULL;
	snprintf(buf, EMU_SID_LEN + 1, "%s",
	         json_string_value(json_object_get(leg(c, label), "sid")) ?: "");
	json_decref(c);
	return buf;
}

static bool is_sid(const char *s)
{
	if (!s || strlen(s) != 34 || strncmp(s, "CA", 2) != 0)
		return false;
	for (int i = 2; i < 34; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

static bool has_event(json_t *evs, const char *kind, int code, const char *text)
{
	size_t i;
	json_t *v;
	json_array_foreach(evs, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "kind")), kind) == 0 &&
		    (!code || json_integer_value(json_object_get(v, "code")) == code) &&
		    (!text || strstr(json_string_value(json_object_get(v, "text")), text)))
			return true;
	}
	return false;
}

static void sids_are_twilio_shaped(void)
{
	struct script s = {NULL, 0};
	struct emu_engine *e = engine(&s, false);
	struct emu_call_spec sp = voice_spec(DIAL_AOB);
	char p1[35], p2[35], a[35];
	CHECK_INT(emu_call_create(e, &sp, p1), 0);
	CHECK_INT(emu_call_create(e, &sp, p2), 0);
	CHECK(is_sid(p1));
	CHECK(is_sid(p2));
	CHECK(strcmp(p1, p2) != 0);
	CHECK(is_sid(leg_sid(e, p1, "A", a)));
	json_t *c = NULL;
	CHECK_INT(emu_call_json(e, p1, &c), 0);
	CHECK_STR(json_string_value(json_object_get(leg(c, "A"), "parent_call_sid")), p1);
	CHECK(json_is_null(json_object_get(leg(c, "P"), "parent_call_sid")));
	CHECK_STR(json_string_value(json_object_get(leg(c, "A"), "direction")), "outbound-dial");
	CHECK_STR(json_string_value(json_object_get(leg(c, "P"), "direction")), "inbound");
	json_decref(c);
	emu_engine_free(e);
}

static void refer_answer_json(void)
{
	const struct answer app[] = {{"/refer", 200, "text/xml", DIAL_B, 0, 0, 0}, {NULL}};
	struct script s = {app, 0};
	struct emu_engine *e = engine(&s, true);
	struct emu_call_spec sp = voice_spec(DIAL_AOB);
	char p[35], a[35];
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	struct emu_params h = {0};
	emu_params_add(&h, "X-Ticket", "7");
	struct emu_refer_req rq = {
	    .refer_to = "<sip:b@pbx.example.com>", .target = EMU_ANSWER, .headers = &h};
	json_t *r = NULL;
	CHECK_INT(emu_refer(e, leg_sid(e, p, "A", a), &rq, &r), 0);
	emu_params_free(&h);
	CHECK_INT(json_integer_value(json_object_get(r, "sip_response")), 202);
	json_t *n = json_object_get(r, "notify");
	CHECK_INT(json_array_size(n), 2);
	CHECK_STR(json_string_value(json_array_get(n, 0)), "SIP/2.0 100 Trying");
	CHECK_STR(json_string_value(json_array_get(n, 1)), "SIP/2.0 200 OK");
	CHECK_STR(leg_status(r, "A"), "completed");
	CHECK_STR(leg_status(r, "B"), "in-progress");
	CHECK_STR(json_string_value(json_array_get(json_object_get(r, "connected"), 0)),
	          "B<->caller");
	CHECK_INT(s.calls, 1);
	json_decref(r);
	/* the webhook carried the signature the signer computed and the parent's SID */
	json_t *evs = NULL;
	CHECK_INT(emu_events_json(e, p, &evs), 0);
	bool signed_ok = false;
	size_t i;
	json_t *v;
	json_array_foreach(evs, i, v)
	{
		json_t *prm = json_object_get(v, "params");
		if (json_object_get(prm, "ReferTransferTarget")) {
			signed_ok = json_string_value(json_object_get(v, "signature")) != NULL;
			CHECK_STR(json_string_value(json_object_get(prm, "CallSid")), p);
			CHECK_STR(json_string_value(json_object_get(prm, "SipHeader_X-Ticket")),
			          "7");
		}
	}
	CHECK(signed_ok);
	/* events are ordered by time */
	json_int_t last = 0;
	bool ordered = true;
	json_array_foreach(evs, i, v)
	{
		json_int_t t = json_integer_value(json_object_get(v, "t_ms"));
		ordered &= t >= last;
		last = t;
	}
	CHECK(ordered);
	json_decref(evs);
	emu_engine_free(e);
}

static void virtual_clock_no_answer(void)
{
	const struct answer app[] = {{"/refer", 200, "text/xml",
	                              "<Response><Dial timeout=\"600\"><Sip>sip:b@x</Sip></Dial>"
	                              "</Response>",
	                              0, 0, 0},
	                             {NULL}};
	struct script s = {app, 0};
	struct emu_engine *e = engine(&s, false);
	struct emu_call_spec sp = voice_spec(DIAL_AOB);
	char p[35], a[35];
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	struct emu_refer_req rq = {
	    .refer_to = "<sip:b@x>", .target = EMU_NO_ANSWER, .headers = NULL};
	json_t *r = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(emu_refer(e, leg_sid(e, p, "A", a), &rq, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 2); /* ten virtual minutes, no wall time */
	json_t *b = leg(r, "B");
	CHECK_STR(json_string_value(json_object_get(b, "status")), "no-answer");
	CHECK_INT(json_integer_value(json_object_get(b, "end_ms")) -
	              json_integer_value(json_object_get(b, "start_ms")),
	          600000);
	CHECK_STR(json_string_value(json_array_get(json_object_get(r, "notify"), 1)),
	          "SIP/2.0 408 Request Timeout");
	CHECK_STR(leg_status(r, "A"), "in-progress");
	json_decref(r);
	emu_engine_free(e);
}

static void real_clock_stamps_wall_time(void)
{
	struct script s = {NULL, 0};
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.clock = EMU_CLOCK_REAL;
	cfg.fetcher.ctx = &s;
	cfg.fetcher.fetch = fetch;
	struct emu_engine *e = NULL;
	CHECK_INT(emu_engine_new(&cfg, &e), 0);
	struct emu_call_spec sp = voice_spec(DIAL_AOB);
	char p[35];
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	json_t *c = NULL;
	CHECK_INT(emu_call_json(e, p, &c), 0);
	long long start = json_integer_value(json_object_get(leg(c, "P"), "start_ms"));
	CHECK(llabs(start - (long long)time(NULL) * 1000) < 5000);
	json_decref(c);
	emu_engine_free(e);
}

/* Webhook failures and the Twilio code each leaves in the timeline. */
static void fetch_failures(void)
{
	static const struct {
		struct answer a;
		int code;
	} cases[] = {
	    {{"/refer", 0, NULL, NULL, 0, 0, EIO}, 11200},
	    {{"/refer", 200, "text/xml", DIAL_B, 0, 15000, 0}, 11205},
	    {{"/refer", 200, "text/xml", DIAL_B, 0, 14999, 0}, 0},
	    {{"/refer", 0, NULL, NULL, 11210, 0, 0}, 11210},
	    {{"/refer", 404, "text/plain", "nope", 0, 0, 0}, 11217},
	    {{"/refer", 302, "text/plain", "", 0, 0, 0}, 11217},
	    {{"/refer", 200, NULL, DIAL_B, 0, 0, 0}, 12300},
	    {{"/refer", 200, "application/json", "{}", 0, 0, 0}, 12300},
	    {{"/refer", 200, "text/xml", "", 0, 0, 0}, 11770},
	    {{"/refer", 200, "text/xml", "<Response><Dial>", 0, 0, 0}, 12100},
	    {{"/refer", 200, "text/xml", "<Dial/>", 0, 0, 0}, 12102},
	    {{"/refer", 200, "application/xml; charset=utf-8", DIAL_B, 0, 0, 0}, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct answer app[2] = {cases[i].a, {NULL}};
		struct script s = {app, 0};
		struct emu_engine *e = engine(&s, false);
		struct emu_call_spec sp = voice_spec(DIAL_AOB);
		char p[35], a[35];
		CHECK_INT(emu_call_create(e, &sp, p), 0);
		struct emu_refer_req rq = {
		    .refer_to = "<sip:b@x>", .target = EMU_ANSWER, .headers = NULL};
		json_t *r = NULL, *evs = NULL;
		CHECK_INT(emu_refer(e, leg_sid(e, p, "A", a), &rq, &r), 0);
		CHECK_INT(emu_events_json(e, p, &evs), 0);
		const char *last =
		    json_string_value(json_array_get(json_object_get(r, "notify"), 1));
		if (cases[i].code) {
			if (!CHECK(has_event(evs, "error", cases[i].code, "referUrl")))
				fprintf(stderr, "  case %zu (code %d)\n", i, cases[i].code);
			CHECK_STR(last, "SIP/2.0 503 Service Unavailable");
			CHECK_STR(leg_status(r, "A"), "in-progress");
		} else {
			CHECK(!has_event(evs, "error", 0, NULL));
			CHECK_STR(last, "SIP/2.0 200 OK");
		}
		json_decref(r);
		json_decref(evs);
		emu_engine_free(e);
	}
}

static void refer_to_limit_boundary(void)
{
	const struct answer app[] = {{"/refer", 200, "text/xml", DIAL_B, 0, 0, 0}, {NULL}};
	for (int len = 255; len <= 257; len++) {
		struct script s = {app, 0};
		struct emu_engine *e = engine(&s, false);
		struct emu_call_spec sp = voice_spec(DIAL_AOB);
		char p[35], a[35], to[300];
		CHECK_INT(emu_call_create(e, &sp, p), 0);
		snprintf(to, sizeof(to), "<sip:b@x?X-P=%0*d>", len - 14, 0);
		CHECK_INT(strlen(to), len);
		struct emu_refer_req rq = {.refer_to = to, .target = EMU_ANSWER, .headers = NULL};
		json_t *r = NULL;
		CHECK_INT(emu_refer(e, leg_sid(e, p, "A", a), &rq, &r), 0);
		CHECK_INT(json_integer_value(json_object_get(r, "sip_response")),
		          len > 256 ? 400 : 202);
		CHECK_INT(s.calls, len > 256 ? 0 : 1);
		json_decref(r);
		emu_engine_free(e);
	}
}

static void rule_override_per_call(void)
{
	struct script s = {NULL, 0};
	struct emu_engine *e = engine(&s, false);
	struct emu_call_spec sp =
	    voice_spec("<Response><Dial><Conference>r</Conference></Dial></Response>");
	int rules[EMU_R__COUNT];
	for (int i = 0; i < EMU_R__COUNT; i++)
		rules[i] = emu_rules[i].def;
	CHECK_INT(emu_rule_find("voice.conference-refer"), EMU_R_CONF_REFER);
	CHECK_INT(emu_rule_find("no.such.rule"), -1);
	rules[EMU_R_CONF_REFER] = 488;
	sp.rules = rules;
	char p[35];
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	struct emu_refer_req rq = {.refer_to = "<sip:b@x>", .target = EMU_ANSWER, .headers = NULL};
	json_t *r = NULL, *evs = NULL;
	CHECK_INT(emu_refer(e, p, &rq, &r), 0);
	CHECK_INT(json_integer_value(json_object_get(r, "sip_response")), 488);
	CHECK_INT(emu_events_json(e, p, &evs), 0);
	CHECK(has_event(evs, "modelled", 0, "voice.conference-refer=488"));
	json_decref(r);
	json_decref(evs);
	emu_engine_free(e);
}

static void limits(void)
{
	/* calls per engine */
	struct script s = {NULL, 0};
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher.ctx = &s;
	cfg.fetcher.fetch = fetch;
	cfg.max_calls = 2;
	struct emu_engine *e = NULL;
	CHECK_INT(emu_engine_new(&cfg, &e), 0);
	struct emu_call_spec sp = voice_spec(DIAL_AOB);
	char p[35];
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	CHECK_INT(emu_call_create(e, &sp, p), E2BIG);
	CHECK_INT(emu_call_release(e, p), 0);
	CHECK_INT(emu_call_release(e, p), ENOENT);
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	emu_engine_free(e);

	/* a <Redirect> loop stops at the redirect depth */
	const struct answer loop[] = {{"/voice", 200, "text/xml",
	                               "<Response><Redirect>/voice</Redirect></Response>", 0, 0, 0},
	                              {NULL}};
	struct script s2 = {loop, 0};
	e = engine(&s2, false);
	sp = voice_spec(NULL);
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	CHECK_INT(s2.calls, EMU_ENG_MAX_REDIRECTS + 1);
	json_t *c = NULL, *evs = NULL;
	CHECK_INT(emu_call_json(e, p, &c), 0);
	CHECK_STR(leg_status(c, "P"), "failed");
	CHECK_INT(emu_events_json(e, p, &evs), 0);
	CHECK(has_event(evs, "limit", 0, "Redirect"));
	json_decref(c);
	json_decref(evs);
	emu_engine_free(e);

	/* more than 10 nouns: the extra ones are not dialled */
	struct buf b;
	buf_init(&b, 4096);
	buf_adds(&b, "<Response><Dial>");
	for (int i = 0; i < 12; i++)
		buf_printf(&b, "<Number>+1415555%04d</Number>", i);
	buf_adds(&b, "</Dial></Response>");
	struct script s3 = {NULL, 0};
	e = engine(&s3, false);
	sp = voice_spec(buf_str(&b));
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	CHECK_INT(emu_call_json(e, p, &c), 0);
	CHECK_INT(json_array_size(json_object_get(c, "legs")), 1 + EMU_ENG_MAX_NOUNS);
	json_decref(c);
	buf_free(&b);
	emu_engine_free(e);
}

static void unknown_sids_and_bad_args(void)
{
	struct script s = {NULL, 0};
	struct emu_engine *e = engine(&s, false);
	struct emu_refer_req rq = {.refer_to = "<sip:b@x>", .target = EMU_ANSWER, .headers = NULL};
	json_t *r = NULL;
	CHECK_INT(emu_refer(e, "CA00000000000000000000000000000000", &rq, &r), ENOENT);
	CHECK_INT(emu_hangup(e, "CAnope"), ENOENT);
	CHECK_INT(emu_call_json(e, "CAnope", &r), ENOENT);
	CHECK_INT(emu_events_json(e, "CAnope", &r), ENOENT);
	struct emu_call_spec sp = voice_spec(NULL);
	sp.voice_url = NULL;
	char p[35];
	CHECK_INT(emu_call_create(e, &sp, p), EINVAL);
	sp = voice_spec(DIAL_AOB);
	sp.from = NULL;
	CHECK_INT(emu_call_create(e, &sp, p), EINVAL);
	struct emu_config cfg;
	emu_config_init(&cfg);
	struct emu_engine *e2 = NULL;
	CHECK_INT(emu_engine_new(&cfg, &e2), EINVAL); /* no fetcher */
	CHECK(e2 == NULL);
	enum emu_outcome o;
	CHECK_INT(emu_outcome_parse("no-answer", &o), 0);
	CHECK_INT(o, EMU_NO_ANSWER);
	CHECK_INT(emu_outcome_parse("maybe", &o), EINVAL);
	emu_engine_free(e);
}

static void refer_on_ended_leg_is_481(void)
{
	struct script s = {NULL, 0};
	struct emu_engine *e = engine(&s, false);
	struct emu_call_spec sp = voice_spec(DIAL_AOB);
	char p[35], a[35];
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	leg_sid(e, p, "A", a);
	CHECK_INT(emu_hangup(e, a), 0);
	json_t *c = NULL;
	CHECK_INT(emu_call_json(e, p, &c), 0);
	CHECK_STR(leg_status(c, "A"), "completed");
	CHECK_STR(leg_status(c, "P"), "completed"); /* no action, no next verb */
	json_decref(c);
	struct emu_refer_req rq = {.refer_to = "<sip:b@x>", .target = EMU_ANSWER, .headers = NULL};
	json_t *r = NULL;
	CHECK_INT(emu_refer(e, a, &rq, &r), 0);
	CHECK_INT(json_integer_value(json_object_get(r, "sip_response")), 481);
	json_decref(r);
	emu_engine_free(e);
}

static void plivo_private_ranges(void)
{
	static const struct {
		const char *ip;
		int want;
	} cases[] = {{"172.15.255.255", 202}, {"172.16.0.1", 403},  {"172.31.255.255", 403},
	             {"172.32.0.1", 202},     {"10.0.0.1", 403},    {"11.0.0.1", 202},
	             {"192.168.0.1", 403},    {"192.169.0.1", 202}, {"127.0.0.1", 403},
	             {"169.254.1.1", 403},    {"100.64.0.1", 403},  {"8.8.8.8", 202},
	             {"fd00::1", 403},        {"2001:db8::1", 202}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct script s = {NULL, 0};
		struct emu_engine *e = engine(&s, false);
		struct emu_call_spec sp = {0};
		sp.profile = EMU_PLIVO;
		sp.from = "+14155550100";
		sp.to = "+14155550199";
		const char *dns[] = {"acme.zt.plivo.com", cases[i].ip, NULL};
		sp.plivo_dns = dns;
		char p[35];
		CHECK_INT(emu_call_create(e, &sp, p), 0);
		struct emu_refer_req rq = {.refer_to = "sip:+14155550123@acme.zt.plivo.com",
		                           .target = EMU_ANSWER,
		                           .headers = NULL};
		json_t *r = NULL;
		CHECK_INT(emu_refer(e, p, &rq, &r), 0);
		if (!CHECK_INT(json_integer_value(json_object_get(r, "sip_response")),
		               cases[i].want))
			fprintf(stderr, "  ip %s\n", cases[i].ip);
		json_decref(r);
		emu_engine_free(e);
	}
}

struct worker {
	struct emu_engine *e;
	int ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 50; i++) {
		struct emu_call_spec sp = voice_spec(DIAL_AOB);
		char p[35], a[35];
		if (emu_call_create(w->e, &sp, p))
			continue;
		struct emu_refer_req rq = {
		    .refer_to = "<sip:b@x>", .target = EMU_ANSWER, .headers = NULL};
		json_t *r = NULL;
		if (emu_refer(w->e, leg_sid(w->e, p, "A", a), &rq, &r) == 0 &&
		    json_integer_value(json_object_get(r, "sip_response")) == 202)
			w->ok++;
		json_decref(r);
		emu_call_release(w->e, p);
	}
	return NULL;
}

static void concurrent_requests(void)
{
	const struct answer app[] = {{"/refer", 200, "text/xml", DIAL_B, 0, 0, 0}, {NULL}};
	struct script s = {app, 0};
	struct emu_engine *e = engine(&s, false);
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){e, 0};
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	int total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += w[i].ok;
	}
	CHECK_INT(total, 200);
	CHECK_INT(s.calls, 200);
	emu_engine_free(e);
}

/* A fetcher that holds /slow for 1 s and says when it started. */
static pthread_mutex_t slow_mu = PTHREAD_MUTEX_INITIALIZER;
static int slow_started;

static int slow_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	if (strstr(req->url, "/slow")) {
		pthread_mutex_lock(&slow_mu);
		slow_started = 1;
		pthread_mutex_unlock(&slow_mu);
		struct timespec ts = {1, 0};
		nanosleep(&ts, NULL);
		res->status = 200;
		res->content_type = xstrdup("text/xml");
		res->body = xstrdup("<Response><Say>slow</Say></Response>");
		res->body_len = strlen(res->body);
		return 0;
	}
	return fetch(ctx, req, res);
}

struct slow_arg {
	struct emu_engine *e;
	char sid[35];
	int rc;
};

static void *slow_call(void *arg)
{
	struct slow_arg *a = arg;
	struct emu_call_spec sp = voice_spec(NULL);
	sp.voice_url = "https://app.example.com/slow";
	a->rc = emu_call_create(a->e, &sp, a->sid);
	return NULL;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fetch_runs_without_the_lock(void)
{
	struct script s = {NULL, 0};
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher.ctx = &s;
	cfg.fetcher.fetch = slow_fetch;
	struct emu_engine *e = NULL;
	CHECK_INT(emu_engine_new(&cfg, &e), 0);
	struct slow_arg a = {e, "", -1};
	pthread_t t;
	pthread_create(&t, NULL, slow_call, &a);
	for (int i = 0; i < 200; i++) { /* up to 2 s for the slow webhook to begin */
		pthread_mutex_lock(&slow_mu);
		int started = slow_started;
		pthread_mutex_unlock(&slow_mu);
		if (started)
			break;
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	/* another call runs to its end while the slow one waits for its app */
	double t0 = now_s();
	struct emu_call_spec sp = voice_spec(DIAL_AOB);
	char p[35], psid[35];
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	CHECK(now_s() - t0 < 0.8);
	/* the slow call can be read, but not changed, meanwhile (its SID was written before
	 * the fetch began, which slow_mu orders before this read) */
	json_t *all = NULL;
	CHECK_INT(emu_call_json(e, a.sid, &all), 0);
	json_decref(all);
	struct emu_refer_req rq = {.refer_to = "<sip:b@x>", .target = EMU_ANSWER, .headers = NULL};
	CHECK_INT(emu_refer(e, a.sid, &rq, &all), EBUSY);
	CHECK_INT(emu_hangup(e, a.sid), EBUSY);
	CHECK_INT(emu_call_release(e, a.sid), EBUSY);
	CHECK(now_s() - t0 < 0.8); /* all of it while the webhook was still out */
	pthread_join(t, NULL);
	CHECK_INT(a.rc, 0);
	snprintf(psid, sizeof(psid), "%s", a.sid);
	json_t *c = NULL;
	CHECK_INT(emu_call_json(e, psid, &c), 0);
	CHECK_STR(leg_status(c, "P"), "completed");
	json_decref(c);
	CHECK_INT(emu_hangup(e, psid), 0);
	CHECK_INT(emu_call_release(e, psid), 0);
	emu_engine_free(e);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"sids_are_twilio_shaped", sids_are_twilio_shaped},
	    {"refer_answer_json", refer_answer_json},
	    {"virtual_clock_no_answer", virtual_clock_no_answer},
	    {"real_clock_stamps_wall_time", real_clock_stamps_wall_time},
	    {"fetch_failures", fetch_failures},
	    {"refer_to_limit_boundary", refer_to_limit_boundary},
	    {"rule_override_per_call", rule_override_per_call},
	    {"limits", limits},
	    {"unknown_sids_and_bad_args", unknown_sids_and_bad_args},
	    {"refer_on_ended_leg_is_481", refer_on_ended_leg_is_481},
	    {"plivo_private_ranges", plivo_private_ranges},
	    {"concurrent_requests", concurrent_requests},
	    {"fetch_runs_without_the_lock", fetch_runs_without_the_lock},
	    {NULL, NULL},
	};
	return test_run(cases);
}

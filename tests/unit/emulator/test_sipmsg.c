/* test_emu_sipmsg: the engine's SIP side through its public API: the "sip" object of the
 * timeline's SIP events on the JSON path, the sink's events, the dialer and await_bye, wire
 * records (emu_sip_record), the new modelled rules, the webhook parties. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/engine.h"
#include "test.h"
#include "util/mem.h"

#define VOICE_URL "https://app.example.com/voice"

struct answer {
	const char *path, *body;
};

static int fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	const struct answer *a = ctx;
	const char *path = strchr(strstr(req->url, "://") + 3, '/');
	for (; a->path; a++)
		if (strcmp(a->path, path) == 0) {
			res->status = 200;
			res->content_type = xstrdup("text/xml");
			res->body = xstrdup(a->body);
			res->body_len = strlen(a->body);
			return 0;
		}
	res->status = 404;
	return 0;
}

static const struct answer aob_app[] = {
    {"/voice", "<Response><Dial answerOnBridge=\"true\" referUrl=\"/refer\"><Sip>"
               "sip:agent@pbx.example.com</Sip></Dial></Response>"},
    {"/refer", "<Response><Dial><Sip>sip:b@127.0.0.1:5999?X-Caller=%2B1415&amp;X-R=a%20b</Sip>"
               "</Dial></Response>"},
    {NULL, NULL},
};

/* What the sink heard, one line per event. */
struct heard {
	char lines[64][96];
	int n;
};

static void sink(void *ctx, const struct emu_sink_event *ev)
{
	static const char *const kinds[] = {"RESPOND", "NOTIFY", "BYE",
	                                    "INVITE",  "STATUS", "REJECT"};
	struct heard *h = ctx;
	if (h->n == 64)
		return;
	char *l = h->lines[h->n++];
	if (ev->kind == EMU_SINK_STATUS)
		snprintf(l, 96, "STATUS %s", ev->status);
	else if (ev->kind == EMU_SINK_INVITE)
		snprintf(l, 96, "INVITE %s", ev->address);
	else
		snprintf(l, 96, "%s %d%s id=%u %s", kinds[ev->kind], ev->code,
		         ev->final ? " final" : "", ev->refer_cseq,
		         ev->refer_call_id ? ev->refer_call_id : "-");
}

static struct emu_engine *engine(const struct answer *app)
{
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher.ctx = (void *)app;
	cfg.fetcher.fetch = fetch;
	struct emu_engine *e = NULL;
	CHECK_INT(emu_engine_new(&cfg, &e), 0);
	return e;
}

static struct emu_call_spec voice(void)
{
	struct emu_call_spec s = {0};
	s.profile = EMU_TWILIO_VOICE;
	s.from = "+14155550100";
	s.to = "+14155550199";
	s.voice_url = VOICE_URL;
	return s;
}

static const char *sid_of(struct emu_engine *e, const char *psid, const char *label, char *out)
{
	json_t *c = NULL, *l;
	size_t i;
	out[0] = 0;
	emu_call_json(e, psid, &c);
	json_array_foreach(json_object_get(c, "legs"), i, l)
	{
		if (strcmp(json_string_value(json_object_get(l, "label")), label) == 0)
			snprintf(out, EMU_SID_LEN + 1, "%s",
			         json_string_value(json_object_get(l, "sid")));
	}
	json_decref(c);
	return out;
}

/* The timeline's SIP events as "dir from>to method|status cseq" lines. */
static char *ladder(struct emu_engine *e, const char *psid)
{
	json_t *evs = NULL, *v;
	size_t i;
	static char out[4096];
	size_t n = 0;
	out[0] = 0;
	emu_events_json(e, psid, &evs);
	json_array_foreach(evs, i, v)
	{
		json_t *s = json_object_get(v, "sip");
		if (!s)
			continue;
		const char *m = json_string_value(json_object_get(s, "method"));
		char what[32];
		snprintf(what, sizeof(what), "%s", m ? m : "");
		if (!m)
			snprintf(what, sizeof(what), "%lld",
			         (long long)json_integer_value(json_object_get(s, "status")));
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s %s>%s %s %lld%s\n",
		                      json_string_value(json_object_get(s, "dir")),
		                      json_string_value(json_object_get(s, "from")),
		                      json_string_value(json_object_get(s, "to")), what,
		                      (long long)json_integer_value(json_object_get(s, "cseq")),
		                      json_is_true(json_object_get(s, "wire")) ? " wire" : "");
	}
	json_decref(evs);
	return out;
}

static json_t *sip_event(struct emu_engine *e, const char *psid, const char *method, int nth)
{
	json_t *evs = NULL, *v, *hit = NULL;
	size_t i;
	emu_events_json(e, psid, &evs);
	json_array_foreach(evs, i, v)
	{
		json_t *s = json_object_get(v, "sip");
		const char *m = json_string_value(json_object_get(s, "method"));
		if (s && m && strcmp(m, method) == 0 && nth-- == 0) {
			hit = json_incref(v);
			break;
		}
	}
	json_decref(evs);
	return hit;
}

/* The JSON path: every SIP event carries its message; the CSeqs are counted per leg. */
static void json_path_messages(void)
{
	struct emu_engine *e = engine(aob_app);
	struct emu_call_spec sp = voice();
	char psid[EMU_SID_LEN + 1], a[EMU_SID_LEN + 1];
	CHECK_INT(emu_call_create(e, &sp, psid), 0);
	struct emu_params h = {0};
	emu_params_add(&h, "X-Ticket", "42");
	struct emu_refer_req rq = {
	    .refer_to = "<sip:billing@pbx.example.com>", .target = EMU_ANSWER, .headers = &h};
	json_t *out = NULL;
	CHECK_INT(emu_refer(e, sid_of(e, psid, "A", a), &rq, &out), 0);
	json_decref(out);
	emu_params_free(&h);
	CHECK_STR(ladder(e, psid), "in agent>twilio REFER 1\n"
	                           "out twilio>agent 202 1\n"
	                           "out twilio>agent NOTIFY 2\n"
	                           "out twilio>B INVITE 1\n"
	                           "out twilio>agent NOTIFY 3\n"
	                           "out twilio>agent BYE 4\n");
	json_t *v = sip_event(e, psid, "REFER", 0), *s = json_object_get(v, "sip");
	CHECK_STR(json_string_value(json_object_get(json_object_get(s, "headers"), "Refer-To")),
	          "<sip:billing@pbx.example.com>");
	CHECK_STR(json_string_value(json_object_get(json_object_get(s, "headers"), "X-Ticket")),
	          "42");
	CHECK(strstr(json_string_value(json_object_get(s, "call_id")), "@emulator") != NULL);
	CHECK(json_is_null(json_object_get(s, "status")) &&
	      !json_is_true(json_object_get(s, "wire")));
	CHECK_STR(json_string_value(json_object_get(v, "text")),
	          "REFER from agent, Refer-To: <sip:billing@pbx.example.com> (target: answer)");
	json_decref(v);
	v = sip_event(e, psid, "NOTIFY", 1);
	s = json_object_get(v, "sip");
	json_t *hd = json_object_get(s, "headers");
	CHECK_STR(json_string_value(json_object_get(hd, "Event")), "refer;id=1");
	CHECK_STR(json_string_value(json_object_get(hd, "Subscription-State")),
	          "terminated;reason=noresource");
	CHECK_STR(json_string_value(json_object_get(hd, "Content-Type")), "message/sipfrag");
	CHECK_STR(json_string_value(json_object_get(s, "body")), "SIP/2.0 200 OK\r\n");
	CHECK_STR(json_string_value(json_object_get(v, "text")),
	          "NOTIFY sipfrag \"SIP/2.0 200 OK\"");
	json_decref(v);
	v = sip_event(e, psid, "NOTIFY", 0);
	CHECK_STR(json_string_value(json_object_get(
	              json_object_get(json_object_get(v, "sip"), "headers"), "Subscription-State")),
	          "active;expires=60");
	json_decref(v);
	v = sip_event(e, psid, "INVITE", 0);
	hd = json_object_get(json_object_get(v, "sip"), "headers");
	CHECK_STR(json_string_value(json_object_get(hd, "X-Caller")), "+1415");
	CHECK_STR(json_string_value(json_object_get(hd, "X-R")), "a b");
	json_decref(v);
	/* the webhooks' parties */
	json_t *evs = NULL, *w;
	size_t i;
	int hooks = 0, answers = 0;
	emu_events_json(e, psid, &evs);
	json_array_foreach(evs, i, w)
	{
		const char *k = json_string_value(json_object_get(w, "kind"));
		const char *f = json_string_value(json_object_get(w, "from"));
		const char *t = json_string_value(json_object_get(w, "to"));
		hooks += strcmp(k, "webhook") == 0 && f && t && !strcmp(f, "twilio") &&
		         !strcmp(t, "app");
		answers +=
		    strcmp(k, "answer") == 0 && f && t && !strcmp(f, "app") && !strcmp(t, "twilio");
		if (strcmp(k, "status") == 0)
			CHECK(!json_object_get(w, "from") && !json_object_get(w, "sip"));
	}
	json_decref(evs);
	CHECK_INT(hooks, 2);
	CHECK_INT(answers, 2);
	emu_engine_free(e);
}

/* The sink hears the SIP events in order; over the JSON path they name no REFER Call-ID. */
static void sink_events(void)
{
	struct emu_engine *e = engine(aob_app);
	struct heard h = {0};
	struct emu_sink s = {&h, sink};
	emu_engine_set_sip(e, &s, NULL);
	struct emu_call_spec sp = voice();
	char psid[EMU_SID_LEN + 1], a[EMU_SID_LEN + 1];
	CHECK_INT(emu_call_create(e, &sp, psid), 0);
	int after_create = h.n;
	struct emu_refer_req rq = {
	    .refer_to = "<sip:billing@pbx.example.com>", .target = EMU_ANSWER, .headers = NULL};
	json_t *out = NULL;
	sid_of(e, psid, "A", a);
	struct emu_sip_msg wire = {.in = true,
	                           .method = "REFER",
	                           .call_id = "abc@pbx",
	                           .cseq = 101,
	                           .cseq_method = "REFER",
	                           .transport = "udp",
	                           .local = "127.0.0.1:5080",
	                           .remote = "127.0.0.1:5070"};
	CHECK_INT(emu_refer_sip(e, a, &rq, &wire, &out), 0);
	json_decref(out);
	char all[2048] = "";
	for (int i = after_create; i < h.n; i++) {
		strcat(all, h.lines[i]);
		strcat(all, "\n");
	}
	CHECK_STR(all, "RESPOND 202 id=101 abc@pbx\n"
	               "NOTIFY 100 id=101 abc@pbx\n"
	               "INVITE sip:b@127.0.0.1:5999?X-Caller=%2B1415&X-R=a%20b\n"
	               "STATUS ringing\n"
	               "STATUS in-progress\n"
	               "NOTIFY 200 final id=101 abc@pbx\n"
	               "BYE 0 id=0 -\n"
	               "STATUS completed\n");
	/* the REFER's timeline message is the wire's */
	json_t *v = sip_event(e, psid, "REFER", 0), *sm = json_object_get(v, "sip");
	CHECK_STR(json_string_value(json_object_get(sm, "call_id")), "abc@pbx");
	CHECK_INT(json_integer_value(json_object_get(sm, "cseq")), 101);
	CHECK(json_is_true(json_object_get(sm, "wire")));
	CHECK_STR(json_string_value(json_object_get(sm, "remote")), "127.0.0.1:5070");
	json_decref(v);
	/* the sink out again: nothing more is heard */
	int before = h.n;
	emu_engine_set_sip(e, NULL, NULL);
	CHECK_INT(emu_hangup(e, psid), 0);
	CHECK_INT(h.n, before);
	emu_engine_free(e);
}

/* A dialer that rings "real" parties: busy for 127.0.0.1, answer for 127.0.0.2, ENOENT
 * (scripted) for the rest. */
struct dialed {
	int calls;
	char last[256];
	char headers[256];
	int await_rc;
};

static int dial(void *ctx, const struct emu_dial_req *req, struct emu_dial_res *res)
{
	struct dialed *d = ctx;
	if (!strstr(req->address, "@127.0.0."))
		return ENOENT;
	d->calls++;
	snprintf(d->last, sizeof(d->last), "%s from %s %us", req->address, req->from,
	         req->timeout_s);
	d->headers[0] = 0;
	for (size_t i = 0; req->headers && i < req->headers->n; i++) {
		strcat(d->headers, req->headers->v[i].name);
		strcat(d->headers, "=");
		strcat(d->headers, req->headers->v[i].value);
		strcat(d->headers, ";");
	}
	bool busy = strstr(req->address, "@127.0.0.1") != NULL;
	res->outcome = busy ? EMU_BUSY : EMU_ANSWER;
	res->sip_code = busy ? 486 : 200;
	snprintf(res->call_id, sizeof(res->call_id), "real-%d@ua", d->calls);
	return 0;
}

static int await_bye(void *ctx, const char *leg_sid, unsigned ms)
{
	struct dialed *d = ctx;
	(void)leg_sid;
	snprintf(d->last, sizeof(d->last), "await %u", ms);
	return d->await_rc;
}

static const struct answer real_app[] = {
    {"/voice", "<Response><Dial answerOnBridge=\"true\" referUrl=\"/refer\" timeout=\"20\" "
               "action=\"/after\"><Sip>sip:agent@127.0.0.2:5070?X-A=1</Sip></Dial></Response>"},
    {"/refer", "<Response><Dial><Sip>sip:b@127.0.0.1:5999</Sip></Dial></Response>"},
    {"/after", "<Response><Hangup/></Response>"},
    {NULL, NULL},
};

static void dialer(void)
{
	struct emu_engine *e = engine(real_app);
	struct dialed d = {0};
	struct emu_dialer dl = {&d, dial, await_bye};
	emu_engine_set_sip(e, NULL, &dl);
	struct emu_call_spec sp = voice();
	char psid[EMU_SID_LEN + 1], a[EMU_SID_LEN + 1];
	CHECK_INT(emu_call_create(e, &sp, psid), 0);
	CHECK_INT(d.calls, 1);
	CHECK_STR(d.last, "sip:agent@127.0.0.2:5070?X-A=1 from +14155550100 20s");
	CHECK_STR(d.headers, "X-A=1;");
	json_t *c = NULL;
	emu_call_json(e, psid, &c);
	json_t *legs = json_object_get(c, "legs");
	json_t *al = json_array_get(legs, 1);
	CHECK_STR(json_string_value(json_object_get(al, "status")), "in-progress");
	/* a real answer takes real time: no simulated ring on the virtual clock */
	CHECK(json_integer_value(json_object_get(al, "answer_ms")) ==
	      json_integer_value(json_object_get(al, "start_ms")));
	json_decref(c);
	struct emu_refer_req rq = {.refer_to = "<sip:b@x>", .target = EMU_ANSWER, .headers = NULL};
	json_t *out = NULL;
	CHECK_INT(emu_refer(e, sid_of(e, psid, "A", a), &rq, &out), 0);
	CHECK_INT(d.calls, 2);
	char *n = json_dumps(json_object_get(out, "notify"), JSON_COMPACT);
	CHECK_STR(n, "[\"SIP/2.0 100 Trying\",\"SIP/2.0 486 Busy Here\"]");
	free(n);
	json_decref(out);
	c = NULL;
	emu_call_json(e, psid, &c);
	CHECK_STR(json_string_value(
	              json_object_get(json_array_get(json_object_get(c, "legs"), 2), "status")),
	          "busy");
	json_decref(c);
	/* the real dialog's Call-ID is the leg's (DialSipCallId when its Dial ends) */
	CHECK_INT(emu_hangup(e, a), 0);
	json_t *evs = NULL, *v;
	size_t i;
	const char *callid = NULL, *code = NULL;
	emu_events_json(e, psid, &evs);
	json_array_foreach(evs, i, v)
	{
		json_t *p = json_object_get(v, "params");
		if (json_object_get(p, "DialSipCallId")) {
			callid = json_string_value(json_object_get(p, "DialSipCallId"));
			code = json_string_value(json_object_get(p, "DialSipResponseCode"));
		}
	}
	CHECK_STR(callid, "real-1@ua");
	CHECK_STR(code, "200");
	json_decref(evs);
	emu_engine_free(e);
}

/* The trunk's transferor BYE: seen over SIP, missed (the emulator's after the wait), or
 * no SIP dialog (the model's own). */
static void trunk_bye_wait(void)
{
	static const int rcs[] = {0, ETIMEDOUT, ENOENT};
	static const char *const want[] = {
	    "the transferor sent BYE: it ends the held call",
	    "BYE to agent (the transferor sent no BYE within 32 s)",
	    "BYE from the transferor: it ends the held call",
	};
	for (int k = 0; k < 3; k++) {
		struct emu_engine *e = engine(aob_app);
		struct dialed d = {.await_rc = rcs[k]};
		struct emu_dialer dl = {&d, dial, await_bye};
		emu_engine_set_sip(e, NULL, &dl);
		struct emu_call_spec sp = {0};
		sp.profile = EMU_TWILIO_TRUNK;
		sp.from = "+14155550100";
		sp.to = "+14155550199";
		sp.transfer_mode = EMU_XFER_ENABLE_ALL;
		char psid[EMU_SID_LEN + 1];
		CHECK_INT(emu_call_create(e, &sp, psid), 0);
		struct emu_refer_req rq = {
		    .refer_to = "<sip:desk@127.0.0.2>", .target = EMU_ANSWER, .headers = NULL};
		json_t *out = NULL;
		CHECK_INT(emu_refer(e, psid, &rq, &out), 0);
		json_decref(out);
		CHECK_STR(d.last, "await 32000");
		json_t *evs = NULL, *v;
		size_t i;
		bool seen = false, modelled = false;
		emu_events_json(e, psid, &evs);
		json_array_foreach(evs, i, v)
		{
			const char *t = json_string_value(json_object_get(v, "text"));
			seen |= strcmp(t, want[k]) == 0;
			modelled |= strncmp(t, "trunk.transferor-bye-wait-s=32", 30) == 0;
		}
		json_decref(evs);
		CHECK(seen);
		CHECK(modelled == (rcs[k] == ETIMEDOUT));
		json_t *c = NULL;
		emu_call_json(e, psid, &c);
		CHECK_STR(json_string_value(json_object_get(
		              json_array_get(json_object_get(c, "legs"), 0), "status")),
		          "completed");
		json_decref(c);
		emu_engine_free(e);
	}
}

/* Wire records: a modelled message sent gets the wire's object; any other is a new event. */
static void records(void)
{
	struct emu_engine *e = engine(aob_app);
	struct emu_call_spec sp = voice();
	char psid[EMU_SID_LEN + 1], a[EMU_SID_LEN + 1];
	CHECK_INT(emu_call_create(e, &sp, psid), 0);
	struct emu_refer_req rq = {
	    .refer_to = "<sip:billing@pbx.example.com>", .target = EMU_ANSWER, .headers = NULL};
	json_t *out = NULL;
	CHECK_INT(emu_refer(e, sid_of(e, psid, "A", a), &rq, &out), 0);
	json_decref(out);
	struct emu_params h = {0};
	emu_params_add(&h, "Event", "refer;id=1");
	emu_params_add(&h, "Subscription-State", "active;expires=60");
	struct emu_sip_msg n100 = {.method = "NOTIFY",
	                           .call_id = "wire@x",
	                           .cseq = 7001,
	                           .cseq_method = "NOTIFY",
	                           .headers = &h,
	                           .body = "SIP/2.0 100 Trying\r\n",
	                           .transport = "tcp",
	                           .local = "127.0.0.1:40000",
	                           .remote = "127.0.0.1:5070"};
	CHECK_INT(emu_sip_record(e, a, &n100), 0);
	struct emu_sip_msg ok = {.in = true,
	                         .status = 200,
	                         .reason = "OK",
	                         .call_id = "wire@x",
	                         .cseq = 7001,
	                         .cseq_method = "NOTIFY",
	                         .transport = "tcp",
	                         .local = "127.0.0.1:40000",
	                         .remote = "127.0.0.1:5070"};
	CHECK_INT(emu_sip_record(e, a, &ok), 0);
	CHECK_INT(emu_sip_record(e, "CA00000000000000000000000000000000", &ok), ENOENT);
	emu_params_free(&h);
	json_t *v = sip_event(e, psid, "NOTIFY", 0), *s = json_object_get(v, "sip");
	CHECK(json_is_true(json_object_get(s, "wire")));
	CHECK_INT(json_integer_value(json_object_get(s, "cseq")), 7001);
	CHECK_STR(json_string_value(json_object_get(s, "transport")), "tcp");
	CHECK_STR(json_string_value(json_object_get(s, "to")), "agent");
	CHECK_STR(json_string_value(json_object_get(v, "text")),
	          "NOTIFY sipfrag \"SIP/2.0 100 Trying\"");
	json_decref(v);
	/* the second NOTIFY (200) was not on the wire: still modelled */
	v = sip_event(e, psid, "NOTIFY", 1);
	CHECK(!json_is_true(json_object_get(json_object_get(v, "sip"), "wire")));
	json_decref(v);
	/* the 200 is a new event, after the NOTIFY it answers, in the wire's order */
	CHECK(strstr(ladder(e, psid), "out twilio>agent NOTIFY 7001 wire\n"
	                              "in agent>twilio 200 7001 wire\n") != NULL);
	json_t *evs = NULL;
	emu_events_json(e, psid, &evs);
	size_t i;
	bool found = false;
	json_array_foreach(evs, i, v)
	{
		found |= strcmp(json_string_value(json_object_get(v, "text")),
		                "200 OK from agent (NOTIFY) over tcp") == 0;
	}
	json_decref(evs);
	CHECK(found);
	emu_engine_free(e);
}

/* The new modelled rules: Replaces, a trunk's PSTN target not in tel:+E164 form. */
static void rules(void)
{
	static const struct {
		enum emu_profile p;
		const char *refer_to;
		const char *rule;
		int value, answer;
		const char *notify;
	} t[] = {
	    {EMU_TWILIO_VOICE, "<sip:b@x?Replaces=abc%40h%3Bto-tag%3D1>", NULL, 0, 501, "[]"},
	    {EMU_TWILIO_VOICE, "<sip:b@x?Replaces=abc>", "sip.refer-replaces-response", 0, 202,
	     "[\"SIP/2.0 100 Trying\",\"SIP/2.0 200 OK\"]"},
	    {EMU_TWILIO_VOICE, "<sip:b@x?X-Replaces=no>", NULL, 0, 202,
	     "[\"SIP/2.0 100 Trying\",\"SIP/2.0 200 OK\"]"},
	    {EMU_TWILIO_TRUNK, "<sip:+14155550123@10.1.2.3>", NULL, 0, 403, "[]"},
	    {EMU_TWILIO_TRUNK, "<tel:4155550123>", NULL, 0, 403, "[]"},
	    {EMU_TWILIO_TRUNK, "<sip:4155550123@mytrunk.pstn.twilio.com>", NULL, 0, 403, "[]"},
	    {EMU_TWILIO_TRUNK, "<sip:+14155550123@10.1.2.3>", "trunk.pstn-not-tel-response", 202,
	     202, "[\"SIP/2.0 403 Forbidden\"]"},
	    {EMU_TWILIO_TRUNK, "<tel:+14155550123>", NULL, 0, 202,
	     "[\"SIP/2.0 100 Trying\",\"SIP/2.0 200 OK\"]"},
	    {EMU_TWILIO_TRUNK, "<sip:desk@10.1.2.3>", NULL, 0, 202,
	     "[\"SIP/2.0 100 Trying\",\"SIP/2.0 200 OK\"]"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct emu_engine *e = engine(aob_app);
		if (t[i].rule)
			CHECK_INT(emu_engine_set_rule(e, t[i].rule, t[i].value), 0);
		struct emu_call_spec sp = voice();
		sp.profile = t[i].p;
		sp.transfer_mode = EMU_XFER_ENABLE_ALL;
		char psid[EMU_SID_LEN + 1], a[EMU_SID_LEN + 1];
		CHECK_INT(emu_call_create(e, &sp, psid), 0);
		const char *leg = t[i].p == EMU_TWILIO_VOICE ? sid_of(e, psid, "A", a) : psid;
		struct emu_refer_req rq = {
		    .refer_to = t[i].refer_to, .target = EMU_ANSWER, .headers = NULL};
		json_t *out = NULL;
		CHECK_INT(emu_refer(e, leg, &rq, &out), 0);
		if (!CHECK_INT(json_integer_value(json_object_get(out, "sip_response")),
		               t[i].answer))
			fprintf(stderr, "  case %zu: %s\n", i, t[i].refer_to);
		char *n = json_dumps(json_object_get(out, "notify"), JSON_COMPACT);
		CHECK_STR(n, t[i].notify);
		free(n);
		json_decref(out);
		emu_engine_free(e);
	}
	struct emu_engine *e = engine(aob_app);
	CHECK_INT(emu_engine_set_rule(e, "no.such-rule", 1), ENOENT);
	CHECK(emu_rule_find("trunk.transferor-bye-wait-s") >= 0);
	CHECK_INT(emu_rules[emu_rule_find("trunk.transferor-bye-wait-s")].def, 32);
	emu_engine_free(e);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"json_path_messages", json_path_messages},
	    {"sink_events", sink_events},
	    {"dialer", dialer},
	    {"trunk_bye_wait", trunk_bye_wait},
	    {"records", records},
	    {"rules", rules},
	    {NULL, NULL},
	};
	return test_run(cases);
}

/* test_ladder: the ladder's arrows from a real timeline (a transfer run through the engine
 * with inline answers), from the structured "sip" form, and the SVG drawn from them. */
#include <stdlib.h>

#include "console/ladder.h"
#include "emulator/engine.h"
#include "test.h"

static json_t *ev(const char *kind, const char *leg, int code, const char *text)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "t_ms", (json_int_t)1767225602000LL, "kind",
	                      kind, "leg", leg, "text", text);
	if (code)
		json_object_set_new(o, "code", json_integer(code));
	return o;
}

/* The events emu_ev writes today (the engine's wording), one of each that draws. */
static void from_text(void)
{
	json_t *e = json_array();
	json_array_append_new(
	    e, ev("call", "P", 0, "inbound leg CA1 from +14155550100 to +14155550199"));
	json_array_append_new(
	    e, ev("webhook", "P", 0, "Voice URL POST http://handoff.in-process/sandbox/voice"));
	json_array_append_new(e, ev("answer", "P", 200, "200 text/xml, 180 bytes"));
	json_array_append_new(e, ev("call", "A", 0,
	                            "outbound-dial leg CA2 from +14155550100 to "
	                            "sip:agent@handoff.test parent CA1"));
	json_array_append_new(e, ev("sip", "A", 0,
	                            "REFER from agent, Refer-To: <sip:billing@handoff.test?X-R=1> "
	                            "(target: answer)"));
	json_array_append_new(e, ev("sip", "A", 202, "REFER answered 202 Accepted"));
	json_array_append_new(e, ev("sip", "A", 100, "NOTIFY sipfrag \"SIP/2.0 100 Trying\""));
	json_array_append_new(e,
	                      ev("call", "B", 0,
	                         "outbound-dial leg CA3 from +14155550100 to "
	                         "sip:billing@pbx.example.com?X-Caller=+14155550100 parent CA1"));
	json_array_append_new(e, ev("sip", "B", 0,
	                            "INVITE sip:billing@pbx.example.com with headers X-Caller: "
	                            "+14155550100"));
	json_array_append_new(e, ev("status", "B", 0, "in-progress"));
	json_array_append_new(e, ev("sip", "A", 0, "BYE to agent (the target answered)"));
	json_array_append_new(e, ev("modelled", "A", 0, "voice.refer-callsid-parent=1 (...)"));
	struct ladder *l = calloc(1, sizeof(*l));
	ladder_from_events(e, l);
	static const struct {
		enum ladder_lane from, to;
		const char *method;
		int status;
		const char *label;
	} want[] = {
	    {LANE_CALLER, LANE_TWILIO, "INVITE", 0, "INVITE +14155550199"},
	    {LANE_TWILIO, LANE_HANDOFF, "POST", 0, "POST /sandbox/voice"},
	    {LANE_HANDOFF, LANE_TWILIO, "", 200, "200 text/xml"},
	    {LANE_TWILIO, LANE_AGENT, "INVITE", 0, "INVITE sip:agent@handoff.test"},
	    {LANE_AGENT, LANE_TWILIO, "REFER", 0, "REFER"},
	    {LANE_TWILIO, LANE_AGENT, "", 202, "202 Accepted"},
	    {LANE_TWILIO, LANE_AGENT, "NOTIFY", 0, "NOTIFY SIP/2.0 100 Trying"},
	    {LANE_TWILIO, LANE_TARGET, "INVITE", 0,
	     "INVITE sip:billing@pbx.example.com?X-Caller=+14155550100"},
	    {LANE_TARGET, LANE_TWILIO, "", 200, "200 OK (answered)"},
	    {LANE_TWILIO, LANE_AGENT, "BYE", 0, "BYE"},
	    {LANE_TWILIO, LANE_TWILIO, "", 0, "modelled: voice.refer-callsid-parent=1 (...)"},
	};
	CHECK_INT(l->n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < l->n && i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_INT(l->v[i].from, want[i].from);
		CHECK_INT(l->v[i].to, want[i].to);
		CHECK_STR(l->v[i].method, want[i].method);
		CHECK_INT(l->v[i].status, want[i].status);
		CHECK_STR(l->v[i].label, want[i].label);
		CHECK_INT(l->v[i].t_ms, 0); /* since the first event */
	}
	CHECK_STR(l->v[4].detail, "Refer-To: <sip:billing@handoff.test?X-R=1> (target: answer)");
	CHECK_STR(l->v[7].detail, "X-Caller: +14155550100"); /* the INVITE's headers joined it */
	CHECK(l->v[10].modelled);

	struct buf svg;
	buf_init(&svg, 1 << 20);
	ladder_svg(l, &svg);
	const char *s = buf_str(&svg);
	CHECK(strncmp(s, "<svg class=\"ladder\"", 19) == 0);
	CHECK(
	    strstr(
	        s,
	        "data-method=\"REFER\" data-status=\"\" data-from=\"agent\" data-to=\"Twilio\"") !=
	    NULL);
	CHECK(strstr(s, "<title>REFER\nRefer-To: &lt;sip:billing@handoff.test?X-R=1&gt; (target: "
	                "answer)</title>") != NULL);
	CHECK(strstr(s, "style=") == NULL); /* classes only: the CSP allows no inline style */
	CHECK(strstr(s, "<script") == NULL);
	size_t lanes = 0;
	for (const char *p = s; (p = strstr(p, "class=\"lane-name\"")); p++)
		lanes++;
	CHECK_INT(lanes, LANE__COUNT);
	buf_free(&svg);
	json_t *j = ladder_json(l);
	CHECK_INT(json_array_size(j), l->n);
	CHECK_STR(json_string_value(json_object_get(json_array_get(j, 4), "method")), "REFER");
	json_decref(j);
	free(l);
	json_decref(e);
}

/* The structured form (issue 14's "sip" object) wins over the text. */
static void structured(void)
{
	json_t *e = json_array();
	json_t *o = ev("sip", "A", 0, "prose that says something else");
	json_object_set_new(o, "sip",
	                    json_pack("{s:s, s:s, s:s, s:s, s:n, s:{s:s, s:s}}", "dir", "in",
	                              "from", "agent", "to", "twilio", "method", "REFER", "status",
	                              "headers", "Refer-To", "<sip:b@x>", "X-Reason", "upsell"));
	json_array_append_new(e, o);
	o = ev("sip", "B", 0, "x");
	json_object_set_new(o, "sip",
	                    json_pack("{s:s, s:s, s:n, s:i, s:s}", "from", "B", "to", "twilio",
	                              "method", "status", 486, "reason", "Busy Here"));
	json_array_append_new(e, o);
	struct ladder *l = calloc(1, sizeof(*l));
	ladder_from_events(e, l);
	CHECK_INT(l->n, 2);
	CHECK_INT(l->v[0].from, LANE_AGENT);
	CHECK_INT(l->v[0].to, LANE_TWILIO);
	CHECK_STR(l->v[0].method, "REFER");
	CHECK_STR(l->v[0].detail, "Refer-To: <sip:b@x>\nX-Reason: upsell");
	CHECK_INT(l->v[1].from, LANE_TARGET);
	CHECK_INT(l->v[1].status, 486);
	CHECK_STR(l->v[1].label, "486 Busy Here");
	free(l);
	json_decref(e);
}

/* A real run of the engine: a twilio-voice transfer with inline answers. */
static int inline_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	(void)ctx;
	const char *body =
	    strstr(req->url, "/refer")
	        ? "<Response><Dial><Sip>sip:billing@pbx.example.com</Sip></Dial></Response>"
	        : "<Response><Dial answerOnBridge=\"true\" "
	          "referUrl=\"https://app.example.com/refer\">"
	          "<Sip>sip:agent@pbx.example.com</Sip></Dial></Response>";
	res->status = 200;
	res->content_type = strdup("text/xml");
	res->body = strdup(body);
	res->body_len = strlen(body);
	return 0;
}

static void engine_run(void)
{
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher = (struct emu_fetcher){NULL, inline_fetch};
	struct emu_engine *eng = NULL;
	CHECK_INT(emu_engine_new(&cfg, &eng), 0);
	struct emu_call_spec sp = {0};
	sp.profile = EMU_TWILIO_VOICE;
	sp.from = "+14155550100";
	sp.to = "+14155550199";
	sp.voice_url = "https://app.example.com/voice";
	char sid[EMU_SID_LEN + 1];
	CHECK_INT(emu_call_create(eng, &sp, sid), 0);
	json_t *call = NULL, *refer = NULL, *events = NULL;
	emu_call_json(eng, sid, &call);
	const char *agent = NULL;
	size_t i;
	json_t *leg;
	json_array_foreach(json_object_get(call, "legs"), i, leg)
	{
		if (strcmp(json_string_value(json_object_get(leg, "label")), "A") == 0)
			agent = json_string_value(json_object_get(leg, "sid"));
	}
	struct emu_refer_req rq = {.refer_to = "<sip:billing@pbx.example.com>", .target = EMU_BUSY};
	CHECK(agent && emu_refer(eng, agent, &rq, &refer) == 0);
	CHECK_INT(emu_events_json(eng, sid, &events), 0);
	struct ladder *l = calloc(1, sizeof(*l));
	ladder_from_events(events, l);
	size_t refers = 0, notify486 = 0, busy = 0;
	for (size_t k = 0; k < l->n; k++) {
		refers += strcmp(l->v[k].method, "REFER") == 0 && l->v[k].from == LANE_AGENT;
		notify486 += strcmp(l->v[k].label, "NOTIFY SIP/2.0 486 Busy Here") == 0;
		busy += l->v[k].from == LANE_TARGET && strcmp(l->v[k].label, "busy") == 0;
		CHECK(l->v[k].t_ms >= 0 && l->v[k].t_ms < 60000);
	}
	CHECK_INT(refers, 1);
	CHECK_INT(notify486, 1);
	CHECK_INT(busy, 1);
	CHECK_INT(l->dropped, 0);
	free(l);
	json_decref(call);
	json_decref(refer);
	json_decref(events);
	emu_engine_free(eng);
}

/* A failover destination run through the engine: the first <Uri> busy, the second
 * answering. Each target leg has its lane (with the URI it dialled, headers cut), the order
 * and the route passed over are notes on Twilio's lane. */
static int failover_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	(void)ctx;
	const char *body =
	    strstr(req->url, "/refer")
	        ? "<Response><Dial><Sip><Uri "
	          "priority=\"1\">sip:billing@pbx1.example.com?X-A=1</Uri>"
	          "<Uri priority=\"2\">sip:billing@pbx2.example.com?X-A=1</Uri></Sip></Dial>"
	          "</Response>"
	        : "<Response><Dial answerOnBridge=\"true\" "
	          "referUrl=\"https://app.example.com/refer\">"
	          "<Sip>sip:agent@pbx.example.com</Sip></Dial></Response>";
	res->status = 200;
	res->content_type = strdup("text/xml");
	res->body = strdup(body);
	res->body_len = strlen(body);
	return 0;
}

static void failover_lanes(void)
{
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher = (struct emu_fetcher){NULL, failover_fetch};
	struct emu_engine *eng = NULL;
	CHECK_INT(emu_engine_new(&cfg, &eng), 0);
	struct emu_call_spec sp = {0};
	sp.profile = EMU_TWILIO_VOICE;
	sp.from = "+14155550100";
	sp.to = "+14155550199";
	sp.voice_url = "https://app.example.com/voice";
	char sid[EMU_SID_LEN + 1];
	CHECK_INT(emu_call_create(eng, &sp, sid), 0);
	json_t *call = NULL, *refer = NULL, *events = NULL;
	emu_call_json(eng, sid, &call);
	const char *agent = NULL;
	size_t i;
	json_t *leg;
	json_array_foreach(json_object_get(call, "legs"), i, leg)
	{
		if (strcmp(json_string_value(json_object_get(leg, "label")), "A") == 0)
			agent = json_string_value(json_object_get(leg, "sid"));
	}
	static const enum emu_outcome then[] = {EMU_ANSWER};
	struct emu_refer_req rq = {.refer_to = "<sip:billing@pbx.example.com>",
	                           .target = EMU_BUSY,
	                           .then = then,
	                           .nthen = 1};
	CHECK(agent && emu_refer(eng, agent, &rq, &refer) == 0);
	CHECK_INT(emu_events_json(eng, sid, &events), 0);
	struct ladder *l = calloc(1, sizeof(*l));
	ladder_from_events(events, l);
	CHECK_INT(l->ntargets, 2);
	CHECK_STR(l->targets[0].leg, "B");
	CHECK_STR(l->targets[0].to, "sip:billing@pbx1.example.com");
	CHECK_STR(l->targets[1].leg, "C");
	CHECK_STR(l->targets[1].to, "sip:billing@pbx2.example.com");
	char t[LADDER_LANE_TITLE_MAX];
	CHECK_STR(ladder_lane_title(l, LANE_TARGET + 1, t), "target C");
	CHECK_STR(ladder_lane_name(LANE_TARGET + 1), "target");
	CHECK_STR(ladder_lane_title(l, LANE_AGENT, t), "agent");
	size_t invites_b = 0, busy_b = 0, invites_c = 0, answered_c = 0, passed = 0, order = 0;
	for (size_t k = 0; k < l->n; k++) {
		const struct ladder_msg *m = &l->v[k];
		invites_b += strcmp(m->method, "INVITE") == 0 && m->to == LANE_TARGET;
		busy_b += m->from == LANE_TARGET && strcmp(m->label, "busy") == 0;
		invites_c += strcmp(m->method, "INVITE") == 0 && m->to == LANE_TARGET + 1;
		answered_c += m->from == LANE_TARGET + 1 && m->status == 200;
		passed += m->from == LANE_TWILIO && m->to == LANE_TWILIO &&
		          strstr(m->label, "<Uri> 1 of 2 busy") != NULL;
		order += strstr(m->label, "dial: <Sip> with 2 <Uri>") == m->label;
	}
	CHECK_INT(invites_b, 1);
	CHECK_INT(busy_b, 1);
	CHECK_INT(invites_c, 1);
	CHECK_INT(answered_c, 1);
	CHECK_INT(passed, 1);
	CHECK_INT(order, 1);
	struct buf svg;
	buf_init(&svg, 1 << 20);
	ladder_svg(l, &svg);
	const char *s = buf_str(&svg);
	size_t lanes = 0;
	for (const char *p = s; (p = strstr(p, "class=\"lane-name\"")); p++)
		lanes++;
	CHECK_INT(lanes, LANE__COUNT + 1);
	CHECK(strstr(s, ">target C</text>") != NULL);
	CHECK(strstr(s, "<title>sip:billing@pbx2.example.com</title>") != NULL);
	CHECK(strstr(s, "data-to=\"target\" data-to-leg=\"C\"") != NULL);
	buf_free(&svg);
	json_t *j = ladder_json(l);
	bool to_c = false;
	json_t *o;
	json_array_foreach(j, i, o)
	{
		to_c |= strcmp(json_string_value(json_object_get(o, "to_lane")), "target C") == 0;
	}
	CHECK(to_c);
	json_decref(j);
	free(l);
	json_decref(call);
	json_decref(refer);
	json_decref(events);
	emu_engine_free(eng);
}

/* Leg labels are kept as letters and digits: a structured event's party cannot break out of
 * the attribute it is written into raw. */
static void odd_leg(void)
{
	json_t *e = json_array();
	json_t *o = ev("sip", "B", 0, "x");
	json_object_set_new(o, "sip",
	                    json_pack("{s:s, s:s, s:s}", "from", "twilio", "to",
	                              "B\"><svg onload=1>", "method", "INVITE"));
	json_array_append_new(e, o);
	o = ev("sip", "C", 0, "x");
	json_object_set_new(
	    o, "sip",
	    json_pack("{s:s, s:s, s:s}", "from", "twilio", "to", "C", "method", "INVITE"));
	json_array_append_new(e, o);
	struct ladder *l = calloc(1, sizeof(*l));
	ladder_from_events(e, l);
	CHECK_INT(l->ntargets, 2);
	CHECK_STR(l->targets[0].leg, "Bsvgonl");
	struct buf svg;
	buf_init(&svg, 1 << 16);
	ladder_svg(l, &svg);
	CHECK(strstr(buf_str(&svg), "<svg onload") == NULL);
	CHECK(strstr(buf_str(&svg), "data-to-leg=\"Bsvgonl\"") != NULL);
	buf_free(&svg);
	free(l);
	json_decref(e);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"from_text", from_text},   {"structured", structured},
	    {"engine_run", engine_run}, {"failover_lanes", failover_lanes},
	    {"odd_leg", odd_leg},       {NULL, NULL},
	};
	return test_run(cases);
}

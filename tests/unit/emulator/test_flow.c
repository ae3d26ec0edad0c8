/* test_emu_flow: the inline fetcher, flow loading errors, and expectation failures. */
#include <errno.h>
#include <stdlib.h>

#include "emulator/flow.h"
#include "test.h"
#include "util/mem.h"

static void inline_fetcher_lookup(void)
{
	json_t *app = json_loads(
	    "{\"https://a.example.com/full\": \"<Response><Say>full</Say></Response>\","
	    " \"/path\": {\"status\": 500, \"body\": \"x\", \"content_type\": \"text/plain\"},"
	    " \"/slow\": {\"delay_ms\": 16000, \"twiml\": \"<Response/>\"},"
	    " \"/down\": {\"error\": \"timeout\"},"
	    " \"/code\": {\"error\": 11220},"
	    " \"/none\": {\"content_type\": null, \"body\": \"x\"}}",
	    0, NULL);
	CHECK(app != NULL);
	static const struct {
		const char *url;
		int status, error;
		unsigned delay;
		const char *ctype, *body;
	} cases[] = {
	    {"https://a.example.com/full", 200, 0, 0, "text/xml",
	     "<Response><Say>full</Say></Response>"},
	    {"https://b.example.com/path", 500, 0, 0, "text/plain", "x"},
	    {"https://b.example.com/path?x=1", 500, 0, 0, "text/plain", "x"},
	    {"/path", 500, 0, 0, "text/plain", "x"},
	    {"https://b.example.com/slow", 200, 0, 16000, "text/xml", "<Response/>"},
	    {"https://b.example.com/down", 200, 11205, 0, "text/xml", NULL},
	    {"https://b.example.com/code", 200, 11220, 0, "text/xml", NULL},
	    {"https://b.example.com/none", 200, 0, 0, NULL, "x"},
	    {"https://b.example.com/missing", 404, 0, 0, "text/plain",
	     "no answer for this URL in the flow file"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct emu_fetch_req req = {"POST", cases[i].url, NULL, NULL};
		struct emu_fetch_res res = {0};
		CHECK_INT(emu_flow_fetch(app, &req, &res), 0);
		CHECK_INT(res.status, cases[i].status);
		CHECK_INT(res.error, cases[i].error);
		CHECK_INT(res.delay_ms, cases[i].delay);
		CHECK_STR(res.content_type, cases[i].ctype);
		CHECK_STR(res.body, cases[i].body);
		free(res.body);
		free(res.content_type);
	}
	json_decref(app);
}

static void malformed_flows(void)
{
	static const struct {
		const char *flow, *why;
	} cases[] = {
	    {"[]", "JSON object"},
	    {"{\"profile\": \"x\"}", "profile"},
	    {"{\"profile\": \"plivo\"}", "\"call\" needs"},
	    {"{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+1\", \"to\": \"+2\"}}",
	     "voice_url"},
	    {"{\"profile\": \"twilio-trunk\", \"call\": {\"from\": \"+1\", \"to\": \"+2\"},"
	     " \"trunk\": {\"transfer_mode\": \"all\"}}",
	     "transfer_mode"},
	    {"{\"profile\": \"plivo\", \"call\": {\"from\": \"+1\", \"to\": \"+2\"},"
	     " \"overrides\": {\"plivo.fail-notify\": \"x\"}}",
	     "overrides"},
	    {"{\"profile\": \"plivo\", \"call\": {\"from\": \"+1\", \"to\": \"+2\"},"
	     " \"steps\": [{\"refer\": \"P\"}]}",
	     "refer_to"},
	    {"{\"profile\": \"plivo\", \"call\": {\"from\": \"+1\", \"to\": \"+2\"},"
	     " \"steps\": [{\"refer\": \"P\", \"refer_to\": \"x\", \"target\": \"maybe\"}]}",
	     "target"},
	    {"{\"profile\": \"plivo\", \"call\": {\"from\": \"+1\", \"to\": \"+2\"},"
	     " \"steps\": [{\"refer\": \"P\", \"refer_to\": \"x\", \"target\": \"busy,,answer\"}]}",
	     "comma-separated"},
	    {"{\"profile\": \"plivo\", \"call\": {\"from\": \"+1\", \"to\": \"+2\"},"
	     " \"steps\": [{\"refer\": \"P\", \"refer_to\": \"x\", \"target\": "
	     "\"busy,busy,busy,busy,busy,busy,busy,busy,busy,busy,answer\"}]}",
	     "at most 10"},
	    {"{\"profile\": \"plivo\", \"call\": {\"from\": \"+1\", \"to\": \"+2\"},"
	     " \"seed\": -1}",
	     "seed"},
	    {"{\"profile\": \"plivo\", \"call\": {\"from\": \"+1\", \"to\": \"+2\"},"
	     " \"steps\": [{\"wait\": 1}]}",
	     "needs \"refer\", \"hangup\" or \"update\""},
	    {"{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+1\", \"to\": \"+2\","
	     " \"twiml\": \"<Response/>\"}, \"steps\": [{\"update\": \"P\"}]}",
	     "an update needs"},
	    {"{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+1\", \"to\": \"+2\","
	     " \"twiml\": \"<Response/>\"}, \"steps\": [{\"update\": \"P\", \"url\": \"/x\","
	     " \"target\": \"maybe\"}]}",
	     "target"},
	    {"{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+1\", \"to\": \"+2\","
	     " \"twiml\": \"<Response/>\", \"answer\": \"busy\"}}",
	     "needs \"outbound\": true"},
	    {"{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+1\", \"to\": \"+2\","
	     " \"twiml\": \"<Response/>\", \"outbound\": true, \"timeout\": 601}}",
	     "call.timeout"},
	    {"{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+1\", \"to\": \"+2\","
	     " \"twiml\": \"<Response/>\", \"outbound\": true, \"answer_after_ms\": 0}}",
	     "answer_after_ms"},
	    /* timeline matchers of another type (found by fuzz_flow: a number as "text") */
	    {"{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+1\", \"to\": \"+2\","
	     " \"twiml\": \"<Response/>\"}, \"expect\": {\"events\": [{\"text\": 7}]}}",
	     "expect.events[0]"},
	    {"{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+1\", \"to\": \"+2\","
	     " \"twiml\": \"<Response/>\"}, \"expect\": {\"absent\": [{\"params\": []}]}}",
	     "expect.absent[0]"},
	    {"{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+1\", \"to\": \"+2\","
	     " \"twiml\": \"<Response/>\"}, \"expect\": {\"events\": {}}}",
	     "expect.events must be an array"},
	    {"{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+1\", \"to\": \"+2\","
	     " \"twiml\": \"<Response/>\"}, \"expect\": []}",
	     "\"expect\" must be an object"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *f = json_loads(cases[i].flow, 0, NULL);
		json_t *res = NULL;
		char err[256] = "";
		CHECK_INT(emu_flow_run(f, NULL, &res, err, sizeof(err)), EBADMSG);
		if (!CHECK(strstr(err, cases[i].why) != NULL))
			fprintf(stderr, "  case %zu: %s\n", i, err);
		CHECK(res == NULL);
		json_decref(f);
	}
	char err[256];
	json_t *res = NULL;
	CHECK_INT(emu_flow_run_file("/nonexistent/flow.json", NULL, &res, err, sizeof(err)),
	          ENOENT);
	/* offline (fuzzing): a live app is refused before anything is fetched */
	json_t *f =
	    json_loads("{\"profile\": \"twilio-voice\", \"app_url\": \"http://127.0.0.1:9\","
	               " \"call\": {\"from\": \"+1\", \"to\": \"+2\", \"voice_url\": \"/v\"}}",
	               0, NULL);
	struct emu_flow_opts off = {NULL, true};
	CHECK_INT(emu_flow_run(f, &off, &res, err, sizeof(err)), EBADMSG);
	CHECK(strstr(err, "offline") != NULL);
	json_decref(f);
}

static void failures_name_expected_and_actual(void)
{
	json_t *f = json_loads(
	    "{\"profile\": \"plivo\", \"call\": {\"from\": \"+14155550100\", \"to\": "
	    "\"+14155550199\"},"
	    " \"steps\": [{\"refer\": \"P\", \"refer_to\": \"sip:+14155550123@a.zt.plivo.com\","
	    "   \"target\": \"busy\", \"expect\": {\"sip_response\": 202, \"notify\": [100, 200]}},"
	    "  {\"refer\": \"Q\", \"refer_to\": \"x\"}],"
	    " \"expect\": {\"legs\": {\"P\": \"completed\", \"B\": {\"status\": \"busy\", "
	    "\"from\": \"+1\"}},"
	    "   \"connected\": [\"agent<->caller\"],"
	    "   \"events\": [{\"kind\": \"sip\", \"code\": 486}, {\"kind\": \"sip\", \"code\": "
	    "100}],"
	    "   \"absent\": [{\"kind\": \"sip\", \"code\": 486}]}}",
	    0, NULL);
	json_t *res = NULL;
	char err[256] = "";
	CHECK_INT(emu_flow_run(f, NULL, &res, err, sizeof(err)), 0);
	CHECK(json_is_false(json_object_get(res, "ok")));
	json_t *fails = json_object_get(res, "failures");
	static const char *const want[] = {"step 1: NOTIFY sipfrags",
	                                   "step 2: no leg to REFER on",
	                                   "leg P status",
	                                   "leg B from",
	                                   "event 2",
	                                   "absent event 1"};
	CHECK_INT(json_array_size(fails), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(json_string_value(json_object_get(json_array_get(fails, i), "what")),
		          want[i]);
	json_t *f0 = json_array_get(fails, 0);
	CHECK_INT(json_array_size(json_object_get(f0, "actual")), 2);
	CHECK_STR(json_string_value(json_array_get(json_object_get(f0, "actual"), 1)),
	          "SIP/2.0 486 Busy Here");
	CHECK_STR(json_string_value(json_object_get(json_array_get(fails, 2), "actual")),
	          "in-progress");
	json_decref(res);
	json_decref(f);
}

/* The first leg a flow's <Dial> made ("A") goes to which URI: its to, or "". */
static char *first_uri(const char *twiml, long seed)
{
	json_t *f = json_pack("{s:s, s:I, s:{s:s, s:s, s:s}}", "profile", "twilio-voice", "seed",
	                      (json_int_t)seed, "call", "from", "+14155550100", "to",
	                      "+14155550199", "twiml", twiml);
	json_t *res = NULL;
	char err[256] = "", *to = xstrdup("");
	if (CHECK_INT(emu_flow_run(f, NULL, &res, err, sizeof(err)), 0)) {
		size_t i;
		json_t *l;
		json_array_foreach(json_object_get(json_object_get(res, "call"), "legs"), i, l)
		{
			if (strcmp(json_string_value(json_object_get(l, "label")), "A") == 0) {
				free(to);
				to = xstrdup(json_string_value(json_object_get(l, "to")));
			}
		}
	}
	json_decref(res);
	json_decref(f);
	return to;
}

/* <Uri> children of equal priority are tried in an order drawn by weight, seeded: over many
 * seeds each comes first in proportion to its weight; one seed always gives one order. */
static void uri_weights_over_seeds(void)
{
	enum { RUNS = 2000 };
	static const struct {
		const char *twiml;
		double share[3]; /* how often sip:a, sip:b, sip:c come first */
	} cases[] = {
	    {"<Response><Dial><Sip><Uri priority=\"1\" weight=\"3\">sip:a@x</Uri>"
	     "<Uri priority=\"1\" weight=\"1\">sip:b@x</Uri></Sip></Dial></Response>",
	     {0.75, 0.25, 0}},
	    {"<Response><Dial><Sip><Uri weight=\"1\">sip:a@x</Uri><Uri weight=\"1\">sip:b@x</Uri>"
	     "<Uri weight=\"2\">sip:c@x</Uri></Sip></Dial></Response>",
	     {0.25, 0.25, 0.5}},
	    /* a lower priority always first, whatever the weights */
	    {"<Response><Dial><Sip><Uri priority=\"2\" weight=\"100\">sip:a@x</Uri>"
	     "<Uri priority=\"1\" weight=\"1\">sip:b@x</Uri></Sip></Dial></Response>",
	     {0, 1, 0}},
	    /* weight 0 comes after the weighted ones */
	    {"<Response><Dial><Sip><Uri weight=\"0\">sip:a@x</Uri><Uri weight=\"5\">sip:b@x</Uri>"
	     "</Sip></Dial></Response>",
	     {0, 1, 0}},
	};
	/* RUNS = 2000 draws: a share p has a standard deviation of at most
	 * sqrt(0.25 / 2000) = 0.011; the tolerance is 0.035, over three of them */
	const double tol = 0.035;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		size_t first[3] = {0, 0, 0};
		for (long seed = 1; seed <= RUNS; seed++) {
			char *to = first_uri(cases[k].twiml, seed);
			if (to[0] == 's' && strlen(to) > 4 && to[4] >= 'a' && to[4] <= 'c')
				first[to[4] - 'a']++;
			free(to);
		}
		for (int u = 0; u < 3; u++) {
			double got = (double)first[u] / RUNS;
			if (!CHECK(got >= cases[k].share[u] - tol &&
			           got <= cases[k].share[u] + tol))
				fprintf(
				    stderr,
				    "  case %zu: sip:%c first %.3f of runs, want %.3f +- %.3f\n", k,
				    'a' + u, got, cases[k].share[u], tol);
		}
	}
	/* repeatable: the same seed, the same order */
	for (long seed = 1; seed <= 20; seed++) {
		char *a = first_uri(cases[1].twiml, seed), *b = first_uri(cases[1].twiml, seed);
		CHECK_STR(a, b);
		free(a);
		free(b);
	}
	/* voice.sip-uri-order=0: document order, whatever the seed */
	for (long seed = 1; seed <= 50; seed++) {
		json_t *f = json_pack("{s:s, s:I, s:{s:i}, s:{s:s, s:s, s:s}}", "profile",
		                      "twilio-voice", "seed", (json_int_t)seed, "overrides",
		                      "voice.sip-uri-order", 0, "call", "from", "+14155550100",
		                      "to", "+14155550199", "twiml", cases[2].twiml);
		json_t *res = NULL;
		char err[256] = "";
		CHECK_INT(emu_flow_run(f, NULL, &res, err, sizeof(err)), 0);
		json_t *legs = json_object_get(json_object_get(res, "call"), "legs");
		CHECK_STR(json_string_value(json_object_get(json_array_get(legs, 1), "to")),
		          "sip:a@x");
		json_decref(res);
		json_decref(f);
	}
}

/* Update steps: a refusal nobody expected fails the flow; an expected code that does not
 * come, too; a path is taken relative to the voice_url. */
static void update_steps(void)
{
	json_t *f = json_loads(
	    "{\"profile\": \"twilio-voice\", \"call\": {\"from\": \"+14155550100\", \"to\": "
	    "\"+14155550199\", \"voice_url\": \"https://a.example.com/v/voice\"},"
	    " \"app\": {\"/v/voice\": \"<Response><Connect><Stream url='wss://x.example.com'/>"
	    "</Connect></Response>\", \"/v/next\": \"<Response><Say>x</Say></Response>\"},"
	    " \"steps\": [{\"update\": \"P\", \"status\": \"canceled\"},"
	    "  {\"update\": \"P\", \"twiml\": \"<Response><Connect><Stream "
	    "url='wss://y'/></Connect>"
	    "</Response>\", \"expect\": {\"error\": 21220}},"
	    "  {\"update\": \"P\", \"url\": \"next\", \"expect\": {\"legs\": {\"P\": "
	    "\"completed\"}}},"
	    "  {\"update\": \"Q\", \"status\": \"completed\"}],"
	    " \"expect\": {\"events\": [{\"kind\": \"webhook\", \"text\": \"Call update POST "
	    "https://a.example.com/v/next\"}]}}",
	    0, NULL);
	CHECK(f != NULL);
	json_t *res = NULL;
	char err[256] = "";
	CHECK_INT(emu_flow_run(f, NULL, &res, err, sizeof(err)), 0);
	CHECK(json_is_false(json_object_get(res, "ok")));
	json_t *fails = json_object_get(res, "failures");
	static const char *const want[] = {
	    "step 1: update refused (Twilio code): Call is in progress: Status=canceled ends only "
	    "a queued or ringing call (use Status=completed)",
	    "step 2: update refused (Twilio code)", "step 4: no leg to update"};
	CHECK_INT(json_array_size(fails), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(json_string_value(json_object_get(json_array_get(fails, i), "what")),
		          want[i]);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(fails, 0), "actual")), 21220);
	CHECK(json_is_null(json_object_get(json_array_get(fails, 1), "actual")));
	json_decref(res);
	json_decref(f);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"inline_fetcher_lookup", inline_fetcher_lookup},
	    {"malformed_flows", malformed_flows},
	    {"failures_name_expected_and_actual", failures_name_expected_and_actual},
	    {"uri_weights_over_seeds", uri_weights_over_seeds},
	    {"update_steps", update_steps},
	    {NULL, NULL},
	};
	return test_run(cases);
}

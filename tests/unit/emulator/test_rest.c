/* test_emu_rest: the REST twin's handler driven with plain request structs (no socket); hooks. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "emulator/rest.h"
#include "test.h"

#define AC   "AC0123456789abcdef0123456789abcdef"
#define TOK  "unit-test-token-1"
#define SK   "SK0123456789abcdef0123456789abcdef"
#define SEC  "key-secret-123"
#define ROOT "/2010-04-01/Accounts/" AC

static struct emu_rest *twin;

static void b64(const char *in, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

/* One request through the handler; returns the status, the body in *json (decref). */
static int call(const char *user, const char *pass, const char *method, const char *path,
                const char *query, const char *body, json_t **json)
{
	char cred[256], auth[400];
	snprintf(cred, sizeof(cred), "%s:%s", user ? user : "", pass ? pass : "");
	snprintf(auth, sizeof(auth), "Basic ");
	b64(cred, auth + 6);
	struct http_header h[] = {{"Authorization", auth}, {"Host", "127.0.0.1:9"}};
	struct http_req req = {.method = method,
	                       .path = path,
	                       .query = query,
	                       .body = body ? body : "",
	                       .body_len = body ? strlen(body) : 0,
	                       .remote_addr = "127.0.0.1",
	                       .local_port = 9,
	                       .headers = h,
	                       .nheaders = user ? 2 : 0};
	struct http_resp resp = {.status = 200};
	buf_init(&resp.body, HTTPD_MAX_RESPONSE);
	emu_rest_handle(twin, &req, &resp);
	if (json)
		*json = json_loadb(resp.body.p ? resp.body.p : "", resp.body.len, 0, NULL);
	int status = resp.status;
	buf_free(&resp.body);
	return status;
}

static int code_of(json_t *j)
{
	int c = (int)json_integer_value(json_object_get(j, "code"));
	json_decref(j);
	return c;
}

static void auth(void)
{
	json_t *j;
	CHECK_INT(call(NULL, NULL, "GET", ROOT ".json", NULL, NULL, &j), 401);
	CHECK_INT(code_of(j), 20003);
	CHECK_INT(call(AC, "nope", "GET", ROOT ".json", NULL, NULL, &j), 401);
	json_decref(j);
	CHECK_INT(call(AC, TOK "x", "GET", ROOT ".json", NULL, NULL, &j), 401);
	json_decref(j);
	CHECK_INT(call(AC, TOK, "GET", ROOT ".json", NULL, NULL, &j), 200);
	json_decref(j);
	CHECK_INT(call(SK, SEC, "GET", ROOT ".json", NULL, NULL, &j), 200);
	json_decref(j);
	CHECK_INT(call(SK, TOK, "GET", ROOT ".json", NULL, NULL, &j), 401);
	json_decref(j);
}

/* route x method -> status, as a table */
static void routes(void)
{
	static const struct {
		const char *method, *path, *query, *body;
		int status, code;
	} cases[] = {
	    {"GET", ROOT "/IncomingPhoneNumbers.json", NULL, NULL, 200, 0},
	    {"GET", ROOT "/IncomingPhoneNumbers.json", "PageSize=0", NULL, 400, 20001},
	    {"GET", ROOT "/IncomingPhoneNumbers.json", "Page=-1", NULL, 400, 20001},
	    {"PUT", ROOT "/IncomingPhoneNumbers.json", NULL, NULL, 405, 20004},
	    {"GET", ROOT "/IncomingPhoneNumbers/PN00000000000000000000000000000000.json", NULL,
	     NULL, 404, 20404},
	    {"GET", "/2010-04-01/Accounts/AC00000000000000000000000000000000/Calls.json", NULL,
	     NULL, 404, 20404},
	    {"POST", ROOT "/IncomingPhoneNumbers.json", NULL, "PhoneNumber=%2B14155550100", 400,
	     21422},
	    {"POST", ROOT "/IncomingPhoneNumbers.json", NULL, "PhoneNumber=%2B0155", 400, 21401},
	    {"POST", ROOT "/Calls.json", NULL, "From=%2B14155550100&Url=https://a.example/", 400,
	     21201},
	    {"POST", ROOT "/Calls.json", NULL, "To=%2B14155550101&Url=https://a.example/", 400,
	     21213},
	    {"POST", ROOT "/Calls.json", NULL,
	     "To=%2B14155550101&From=%2B14155550100&Url=https://a.example/&Method=PUT", 400, 21403},
	    {"POST", ROOT "/Calls.json", NULL,
	     "To=%2B14155550101&From=%2B14155550100&Url=https://a.example/&StatusCallback=https://"
	     "a.example/s&StatusCallbackEvent=ringing&StatusCallbackEvent=hungup",
	     400, 20001},
	    {"GET", ROOT "/Calls/CA00000000000000000000000000000000.json", NULL, NULL, 404, 20404},
	    {"GET", "/v1/Trunks/TK00000000000000000000000000000000", NULL, NULL, 404, 20404},
	    {"POST", "/v1/Trunks", NULL, "TransferMode=everything", 400, 20001},
	    {"GET", "/v2/Nothing", NULL, NULL, 404, 20404},
	    /* bytes that are not UTF-8: still Twilio's JSON (found by fuzz_emu_rest) */
	    {"GET", "/2010-04-01/Accounts/AC\xcf\xcd.json", NULL, NULL, 404, 20404},
	    {"POST", ROOT "/IncomingPhoneNumbers.json", NULL,
	     "PhoneNumber=%2B15005550007&FriendlyName=%FF", 400, 20001},
	    {"GET", ROOT "/Calls.json", "To=%C3%28", NULL, 400, 20001},
	    {"POST", ROOT "/Calls.json", NULL,
	     "To=%2B14155550101&From=%2B14155550100&Url=https://a.example/&Timeout=0", 400, 20001},
	    {"POST", ROOT "/Calls.json", NULL,
	     "To=%2B14155550101&From=%2B14155550100&Url=https://a.example/&Timeout=601", 400,
	     20001},
	    {"POST", ROOT "/Calls/CA00000000000000000000000000000000.json", NULL,
	     "Status=completed", 404, 20404},
	    {"DELETE", ROOT "/Calls/CA00000000000000000000000000000000.json", NULL, NULL, 404,
	     20404},
	    {"PUT", ROOT "/Calls/CA00000000000000000000000000000000.json", NULL, NULL, 405, 20004},
	    {"GET", "/2010-04-01/Accounts.json", NULL, NULL, 200, 0},
	    {"POST", "/2010-04-01/Accounts.json", NULL, NULL, 405, 20004},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j;
		test_current = cases[i].path;
		CHECK_INT(call(AC, TOK, cases[i].method, cases[i].path, cases[i].query,
		               cases[i].body, &j),
		          cases[i].status);
		if (cases[i].code)
			CHECK_INT(code_of(j), cases[i].code);
		else
			json_decref(j);
	}
	test_current = "routes";
}

static void too_many_params(void)
{
	struct buf b;
	buf_init(&b, 8192);
	for (int i = 0; i <= EMU_REST_MAX_PARAMS; i++)
		buf_printf(&b, "%sP%d=1", i ? "&" : "", i);
	json_t *j;
	CHECK_INT(call(AC, TOK, "GET", ROOT "/Calls.json", buf_str(&b), NULL, &j), 400);
	CHECK_INT(code_of(j), 20001);
	buf_free(&b);
}

static int control_calls, created_calls;
static char created_sid[40];

static int control(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	(void)ctx;
	control_calls++;
	if (strcmp(req->path, "/emulator/calls") != 0)
		return ENOENT;
	http_resp_text(resp, 202, "engine here");
	return 0;
}

static void call_created(void *ctx, const char *sid, const json_t *call_json)
{
	(void)ctx;
	created_calls++;
	snprintf(created_sid, sizeof(created_sid), "%s", sid);
	/* the engine moves the call on; the create answer still says "queued", as Twilio's */
	json_t *c = json_deep_copy(call_json);
	json_object_set_new(c, "status", json_string("ringing"));
	emu_rest_call_put(twin, c);
	json_decref(c);
}

static void hooks(void)
{
	struct emu_rest_hooks h = {.control = control, .call_created = call_created};
	emu_rest_set_hooks(twin, &h);
	json_t *j;
	CHECK_INT(call(NULL, NULL, "POST", "/emulator/calls", NULL, "From=x", &j), 202);
	json_decref(j);
	CHECK_INT(call(NULL, NULL, "POST", "/emulator/other", NULL, NULL, &j), 404);
	CHECK_INT(code_of(j), 20404);
	CHECK_INT(control_calls, 2);

	CHECK_INT(
	    call(AC, TOK, "POST", ROOT "/Calls.json", NULL,
	         "To=sip%3Aagent%40pbx.example.com&From=%2B14155550100&Twiml=%3CResponse%2F%3E",
	         &j),
	    201);
	CHECK_INT(created_calls, 1);
	CHECK_STR(json_string_value(json_object_get(j, "sid")), created_sid);
	CHECK_STR(json_string_value(json_object_get(j, "status")), "queued");
	CHECK(json_object_get(j, "_twiml") == NULL);
	json_decref(j);

	json_t *stored = emu_rest_call_get(twin, created_sid);
	CHECK_STR(json_string_value(json_object_get(stored, "status")), "ringing");
	CHECK_STR(json_string_value(json_object_get(stored, "_twiml")), "<Response/>");
	CHECK_STR(json_string_value(json_object_get(stored, "_method")), "POST");
	json_decref(stored);

	json_t *child =
	    emu_rest_call_new(twin, "+14155550100", "+14155550199", "outbound-dial", created_sid);
	CHECK_INT(emu_rest_call_put(twin, child), 0);
	char q[80];
	snprintf(q, sizeof(q), "ParentCallSid=%s", created_sid);
	CHECK_INT(call(AC, TOK, "GET", ROOT "/Calls.json", q, NULL, &j), 200);
	CHECK_INT(json_array_size(json_object_get(j, "calls")), 1);
	CHECK_STR(json_string_value(
	              json_object_get(json_array_get(json_object_get(j, "calls"), 0), "sid")),
	          json_string_value(json_object_get(child, "sid")));
	json_decref(j);
	json_decref(child);

	json_t *n = emu_rest_number_by_phone(twin, "+14155550101");
	CHECK_STR(json_string_value(json_object_get(n, "phone_number")), "+14155550101");
	json_decref(n);
	CHECK(emu_rest_number_by_phone(twin, "+19999999999") == NULL);
	json_t *bad = json_pack("{s:s}", "sid", "nope");
	CHECK_INT(emu_rest_call_put(twin, bad), EINVAL);
	json_decref(bad);
}

/* Without the engine's hooks: an update is refused (20001), a delete decides by the record;
 * date_updated moves only when a call changed; a page's uri keeps its PageToken. */
static void calls_without_engine(void)
{
	json_t *c = emu_rest_call_new(twin, "+14155550100", "+14155550199", "outbound-api", NULL);
	const char *sid = json_string_value(json_object_get(c, "sid"));
	json_object_set_new(c, "status", json_string("in-progress"));
	json_object_set_new(c, "date_updated", json_string("Thu, 01 Jan 2026 00:00:00 +0000"));
	CHECK_INT(emu_rest_call_put(twin, c), 0);
	char path[160];
	snprintf(path, sizeof(path), ROOT "/Calls/%s.json", sid);
	json_t *j;
	CHECK_INT(call(AC, TOK, "POST", path, NULL, "Status=completed", &j), 400);
	CHECK_INT(code_of(j), 20001);
	CHECK_INT(call(AC, TOK, "DELETE", path, NULL, NULL, &j), 400);
	CHECK_INT(code_of(j), 21220);
	/* the same record again, a second later: its date_updated does not move */
	json_t *before = emu_rest_call_get(twin, sid);
	usleep(1100 * 1000);
	CHECK_INT(emu_rest_call_put(twin, before), 0);
	json_t *after = emu_rest_call_get(twin, sid);
	CHECK(json_equal(json_object_get(before, "date_updated"),
	                 json_object_get(after, "date_updated")));
	json_decref(after);
	json_object_set_new(before, "status", json_string("completed"));
	CHECK_INT(emu_rest_call_put(twin, before), 0);
	after = emu_rest_call_get(twin, sid);
	CHECK(!json_equal(json_object_get(before, "date_updated"),
	                  json_object_get(after, "date_updated")));
	json_decref(after);
	json_decref(before);
	CHECK_INT(call(AC, TOK, "DELETE", path, NULL, NULL, &j), 204);
	json_decref(j);
	CHECK(emu_rest_call_get(twin, sid) == NULL);
	CHECK_INT(emu_rest_call_del(twin, sid), ENOENT);
	json_decref(c);
	CHECK_INT(call(AC, TOK, "GET", ROOT "/IncomingPhoneNumbers.json",
	               "PageSize=1&Page=1&PageToken=PAabc%2F1", NULL, &j),
	          200);
	CHECK(strstr(json_string_value(json_object_get(j, "uri")), "&PageToken=PAabc%2F1") != NULL);
	json_decref(j);
}

static void update_number(void)
{
	json_t *n = emu_rest_number_by_phone(twin, "+14155550102");
	char path[200];
	snprintf(path, sizeof(path), ROOT "/IncomingPhoneNumbers/%s.json",
	         json_string_value(json_object_get(n, "sid")));
	json_decref(n);
	json_t *j;
	static const struct {
		const char *body;
		int status, code;
	} cases[] = {
	    {"VoiceUrl=javascript:alert(1)", 400, 21402},
	    {"VoiceUrl=https://", 400, 21402},
	    {"VoiceFallbackMethod=HEAD", 400, 21403},
	    {"VoiceApplicationSid=APnope", 400, 20001},
	    {"FriendlyName=0123456789012345678901234567890123456789012345678901234567890123456789",
	     400, 20001},
	    {"VoiceFallbackUrl=https://fb.example.com/", 400, 21405},
	    {"VoiceUrl=https://a.example.com/v&VoiceFallbackUrl=https://fb.example.com/", 200, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_current = cases[i].body;
		CHECK_INT(call(AC, TOK, "POST", path, NULL, cases[i].body, &j), cases[i].status);
		if (cases[i].code)
			CHECK_INT(code_of(j), cases[i].code);
		else
			json_decref(j);
	}
	test_current = "update_number";
	CHECK_INT(call(AC, TOK, "GET", path, NULL, NULL, &j), 200);
	CHECK_STR(json_string_value(json_object_get(j, "voice_fallback_url")),
	          "https://fb.example.com/");
	json_decref(j);
}

/* SIP Domains: create, the name and limit checks, fetch, update, list, delete, and the
 * engine's lookup by name */
static void sip_domains(void)
{
	json_t *j;
	static const struct {
		const char *body;
		int status, code;
	} bad[] = {
	    {"", 400, 20001},
	    {"DomainName=", 400, 20001},
	    {"DomainName=example.pstn.twilio.com", 400, 21231},
	    {"DomainName=sip.twilio.com", 400, 21231},
	    {"DomainName=.sip.twilio.com", 400, 21231},
	    {"DomainName=a..b.sip.twilio.com", 400, 21231},
	    {"DomainName=-a.sip.twilio.com", 400, 21231},
	    {"DomainName=a_b.sip.twilio.com", 400, 21231},
	    {"DomainName=a%40b.sip.twilio.com", 400, 21231},
	    {"DomainName=ok.sip.twilio.com&VoiceUrl=ftp://x", 400, 21402},
	    {"DomainName=ok.sip.twilio.com&VoiceMethod=PUT", 400, 21403},
	    {"DomainName=ok.sip.twilio.com&Secure=maybe", 400, 20001},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_current = bad[i].body;
		CHECK_INT(call(AC, TOK, "POST", ROOT "/SIP/Domains.json", NULL, bad[i].body, &j),
		          bad[i].status);
		CHECK_INT(code_of(j), bad[i].code);
	}
	test_current = "sip_domains";
	CHECK_INT(call(AC, TOK, "POST", ROOT "/SIP/Domains.json", NULL,
	               "DomainName=Example-1.sip.twilio.com&VoiceUrl=https://app.example.com/v"
	               "&VoiceMethod=get&FriendlyName=Office",
	               &j),
	          201);
	char sid[40] = "", path[200];
	snprintf(sid, sizeof(sid), "%s", json_string_value(json_object_get(j, "sid")));
	CHECK(strncmp(sid, "SD", 2) == 0 && strlen(sid) == 34);
	CHECK_STR(json_string_value(json_object_get(j, "domain_name")), "Example-1.sip.twilio.com");
	CHECK_STR(json_string_value(json_object_get(j, "voice_method")), "GET");
	CHECK_STR(json_string_value(json_object_get(j, "friendly_name")), "Office");
	CHECK(json_is_null(json_object_get(j, "voice_fallback_url")));
	snprintf(path, sizeof(path), ROOT "/SIP/Domains/%s.json", sid);
	CHECK_STR(json_string_value(json_object_get(j, "uri")), path);
	json_decref(j);
	/* taken, whatever the case */
	CHECK_INT(call(AC, TOK, "POST", ROOT "/SIP/Domains.json", NULL,
	               "DomainName=example-1.SIP.twilio.com", &j),
	          400);
	CHECK_INT(code_of(j), 21231);
	j = emu_rest_domain_by_name(twin, "EXAMPLE-1.sip.twilio.com");
	CHECK_STR(json_string_value(json_object_get(j, "sid")), sid);
	json_decref(j);
	CHECK(emu_rest_domain_by_name(twin, "other.sip.twilio.com") == NULL);
	/* update: a field, a bad value, the name (to a free one) */
	CHECK_INT(call(AC, TOK, "POST", path, NULL, "VoiceUrl=", &j), 200);
	CHECK(json_is_null(json_object_get(j, "voice_url")));
	json_decref(j);
	CHECK_INT(call(AC, TOK, "POST", path, NULL, "VoiceFallbackMethod=HEAD", &j), 400);
	CHECK_INT(code_of(j), 21403);
	CHECK_INT(call(AC, TOK, "POST", ROOT "/SIP/Domains.json", NULL,
	               "DomainName=second.sip.twilio.com", &j),
	          201);
	json_decref(j);
	CHECK_INT(call(AC, TOK, "POST", path, NULL, "DomainName=second.sip.twilio.com", &j), 400);
	CHECK_INT(code_of(j), 21231);
	CHECK_INT(call(AC, TOK, "POST", path, NULL, "DomainName=renamed.sip.twilio.com", &j), 200);
	CHECK_STR(json_string_value(json_object_get(j, "domain_name")), "renamed.sip.twilio.com");
	json_decref(j);
	CHECK_INT(call(AC, TOK, "GET", path, NULL, NULL, &j), 200);
	CHECK_STR(json_string_value(json_object_get(j, "domain_name")), "renamed.sip.twilio.com");
	json_decref(j);
	/* list, paged */
	CHECK_INT(call(AC, TOK, "GET", ROOT "/SIP/Domains.json", "PageSize=1", NULL, &j), 200);
	CHECK_INT(json_array_size(json_object_get(j, "domains")), 1);
	CHECK(json_is_string(json_object_get(j, "next_page_uri")));
	json_decref(j);
	/* delete, then gone */
	CHECK_INT(call(AC, TOK, "DELETE", path, NULL, NULL, &j), 204);
	json_decref(j);
	CHECK_INT(call(AC, TOK, "GET", path, NULL, NULL, &j), 404);
	CHECK_INT(code_of(j), 20404);
	CHECK_INT(call(AC, TOK, "PUT", ROOT "/SIP/Domains.json", NULL, NULL, &j), 405);
	CHECK_INT(code_of(j), 20004);
	/* the named limit */
	struct emu_rest *keep = twin, *r = NULL;
	struct emu_rest_config cfg = {.account_sid = AC, .auth_token = TOK};
	char err[256];
	CHECK_INT(emu_rest_new(&r, &cfg, err, sizeof(err)), 0);
	twin = r;
	int created = 0;
	for (int i = 0; i <= EMU_REST_MAX_DOMAINS; i++) {
		char body[80];
		snprintf(body, sizeof(body), "DomainName=d%d.sip.twilio.com", i);
		int st = call(AC, TOK, "POST", ROOT "/SIP/Domains.json", NULL, body, &j);
		if (st == 201) {
			created++;
			json_decref(j);
		} else {
			CHECK_INT(st, 400);
			CHECK_INT(code_of(j), 21231);
		}
	}
	CHECK_INT(created, EMU_REST_MAX_DOMAINS);
	twin = keep;
	emu_rest_free(r);
}

static void config_checks(void)
{
	static const struct {
		struct emu_rest_config cfg;
		int rc;
	} cases[] = {
	    {{.account_sid = "ACnope", .auth_token = TOK}, EINVAL},
	    {{.account_sid = AC, .auth_token = "short"}, EINVAL},
	    {{.account_sid = AC, .auth_token = TOK, .api_key_sid = "SKx", .api_key_secret = SEC},
	     EINVAL},
	    {{.account_sid = AC, .auth_token = TOK, .seed_numbers = EMU_REST_MAX_SEED + 1}, EINVAL},
	    {{.account_sid = AC, .auth_token = TOK, .seed_numbers = 1}, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct emu_rest *r = NULL;
		char err[256] = "";
		CHECK_INT(emu_rest_new(&r, &cases[i].cfg, err, sizeof(err)), cases[i].rc);
		CHECK(cases[i].rc == 0 ? r != NULL : err[0] != '\0');
		emu_rest_free(r);
	}
	char sid[35];
	emu_rest_sid(sid, "CA");
	CHECK_INT(strlen(sid), 34);
	CHECK(strncmp(sid, "CA", 2) == 0 && strspn(sid + 2, "0123456789abcdef") == 32);
}

int main(void)
{
	char err[256];
	struct emu_rest_config cfg = {.account_sid = AC,
	                              .auth_token = TOK,
	                              .api_key_sid = SK,
	                              .api_key_secret = SEC,
	                              .seed_numbers = 5};
	if (emu_rest_new(&twin, &cfg, err, sizeof(err)) != 0) {
		printf("twin: %s\n0 passed, 1 failed\n", err);
		return 1;
	}
	static const struct test_case cases[] = {
	    {"auth", auth},
	    {"routes", routes},
	    {"too_many_params", too_many_params},
	    {"hooks", hooks},
	    {"calls_without_engine", calls_without_engine},
	    {"update_number", update_number},
	    {"sip_domains", sip_domains},
	    {"config_checks", config_checks},
	    {NULL, NULL},
	};
	int rc = test_run(cases);
	emu_rest_free(twin);
	return rc;
}

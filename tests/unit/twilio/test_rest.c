/* test_twilio_rest: the REST client against the REST twin on a loopback port; reachability table.
 */
#include <errno.h>
#include <stdlib.h>

#include "emulator/rest.h"
#include "net/httpc.h"
#include "net/httpd.h"
#include "test.h"
#include "twilio/rest.h"

#define AC  "AC0123456789abcdef0123456789abcdef"
#define TOK "unit-test-token-1"

static struct httpd *srv;
static struct emu_rest *twin;
static char base[64];
static int retries_seen;

static void count_retry(void *ctx, int attempt, int status, long wait_ms)
{
	(void)ctx;
	(void)attempt;
	(void)status;
	(void)wait_ms;
	retries_seen++;
}

static struct tw_client client(const char *secret)
{
	struct tw_client c = {.api_base = base,
	                      .account_sid = AC,
	                      .user = AC,
	                      .secret = secret,
	                      .timeout_ms = 5000,
	                      .max_retries = -1,
	                      .backoff_ms = 1,
	                      .on_retry = count_retry};
	return c;
}

static void fault(const char *form)
{
	char u[128];
	snprintf(u, sizeof(u), "%s/emulator/faults", base);
	struct httpc_req req = {.method = "POST", .url = u, .body = form, .body_len = strlen(form)};
	struct httpc_resp r;
	CHECK_INT(httpc_do(&req, &r), 0);
	CHECK_INT(r.status, 200);
	httpc_resp_free(&r);
}

static void lists_every_page(void)
{
	struct tw_client c = client(TOK);
	json_t *items = NULL;
	struct tw_error e;
	CHECK_INT(tw_list(&c, TW_API_2010,
	                  "/2010-04-01/Accounts/" AC "/IncomingPhoneNumbers.json?PageSize=2",
	                  "incoming_phone_numbers", &items, &e),
	          0);
	CHECK_INT(json_array_size(items), 7);
	CHECK_STR(json_string_value(json_object_get(json_array_get(items, 6), "phone_number")),
	          "+14155550106");
	json_decref(items);

	/* v1: absolute next_page_url in meta */
	for (int i = 0; i < 3; i++) {
		struct tw_param p[] = {{"FriendlyName", "t"}, {"TransferMode", "sip-only"}};
		json_t *t = NULL;
		CHECK_INT(tw_request(&c, TW_API_V1, "POST", "/v1/Trunks", p, 2, &t, &e), 0);
		CHECK_STR(json_string_value(json_object_get(t, "transfer_mode")), "sip-only");
		json_decref(t);
	}
	CHECK_INT(tw_list(&c, TW_API_V1, "/v1/Trunks?PageSize=1", "trunks", &items, &e), 0);
	CHECK_INT(json_array_size(items), 3);
	json_decref(items);
}

static void errors_map(void)
{
	struct tw_client c = client(TOK);
	json_t *j = NULL;
	struct tw_error e;
	char line[1024];
	CHECK_INT(tw_request(&c, TW_API_2010, "GET",
	                     "/2010-04-01/Accounts/" AC
	                     "/IncomingPhoneNumbers/PN00000000000000000000000000000000.json",
	                     NULL, 0, &j, &e),
	          ENOENT);
	CHECK_INT(e.code, 20404);
	CHECK_INT(e.status, 404);
	CHECK(j == NULL);

	struct tw_client bad = client("wrong-token");
	CHECK_INT(tw_request(&bad, TW_API_2010, "GET", "/2010-04-01/Accounts/" AC ".json", NULL, 0,
	                     &j, &e),
	          EACCES);
	CHECK_INT(e.code, 20003);
	tw_error_line(&e, line, sizeof(line));
	CHECK(strncmp(line, "Twilio 20003: ", 14) == 0);
	CHECK(strstr(line, "(https://www.twilio.com/docs/errors/20003)") != NULL);

	/* Twilio's validation error, one line */
	char path[200];
	json_t *list = NULL;
	CHECK_INT(tw_list(&c, TW_API_2010,
	                  "/2010-04-01/Accounts/" AC "/IncomingPhoneNumbers.json?PageSize=1",
	                  "incoming_phone_numbers", &list, &e),
	          0);
	snprintf(path, sizeof(path), "/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json", AC,
	         json_string_value(json_object_get(json_array_get(list, 0), "sid")));
	json_decref(list);
	struct tw_param p[] = {{"VoiceUrl", "not a url"}};
	CHECK_INT(tw_request(&c, TW_API_2010, "POST", path, p, 1, &j, &e), EPROTO);
	CHECK_INT(e.code, 21402);
	CHECK_INT(e.attempts, 1); /* a 400 is not retried */
}

static void retries(void)
{
	struct tw_client c = client(TOK);
	json_t *j = NULL;
	struct tw_error e;
	retries_seen = 0;
	fault("Status=503&Count=2");
	CHECK_INT(
	    tw_request(&c, TW_API_2010, "GET", "/2010-04-01/Accounts/" AC ".json", NULL, 0, &j, &e),
	    0);
	CHECK_INT(e.attempts, 3);
	CHECK_INT(retries_seen, 2);
	CHECK_STR(json_string_value(json_object_get(j, "sid")), AC);
	json_decref(j);

	fault("Status=500&Count=10");
	CHECK_INT(
	    tw_request(&c, TW_API_2010, "GET", "/2010-04-01/Accounts/" AC ".json", NULL, 0, &j, &e),
	    EPROTO);
	CHECK_INT(e.attempts, 1 + TW_MAX_RETRIES);
	CHECK_INT(e.code, 20500);
	fault("Status=500&Count=0");

	/* max_retries 0: one attempt only */
	fault("Status=429&Count=1&RetryAfter=0");
	c.max_retries = 0;
	CHECK_INT(
	    tw_request(&c, TW_API_2010, "GET", "/2010-04-01/Accounts/" AC ".json", NULL, 0, &j, &e),
	    EPROTO);
	CHECK_INT(e.status, 429);
	CHECK_INT(e.attempts, 1);
}

static void reachability(void)
{
	static const struct {
		const char *url;
		int rc;
		const char *why; /* a substring of the reason */
	} cases[] = {
	    {"http://127.0.0.1:8080/voice", EADDRNOTAVAIL, "loopback"},
	    {"https://10.1.2.3/x", EADDRNOTAVAIL, "private"},
	    {"https://172.16.5.4/x", EADDRNOTAVAIL, "private"},
	    {"https://172.32.0.1/x", 0, NULL},
	    {"https://192.168.1.1/x", EADDRNOTAVAIL, "private"},
	    {"http://169.254.169.254/latest", EADDRNOTAVAIL, "link-local"},
	    {"http://100.64.1.1/", EADDRNOTAVAIL, "carrier-grade NAT"},
	    {"http://0.0.0.0/", EADDRNOTAVAIL, "unspecified"},
	    {"http://[::1]:8080/", EADDRNOTAVAIL, "loopback"},
	    {"http://[fe80::1]/", EADDRNOTAVAIL, "link-local"},
	    {"http://[fd00::1]/", EADDRNOTAVAIL, "unique local"},
	    {"http://[::ffff:127.0.0.1]/", EADDRNOTAVAIL, "loopback"},
	    {"https://user:pw@10.0.0.1:8443/x", EADDRNOTAVAIL, "private"},
	    {"https://8.8.8.8/voice", 0, NULL},
	    {"https://[2001:4860:4860::8888]/voice", 0, NULL},
	    {"https://localhost/voice", EADDRNOTAVAIL, "names this machine"},
	    {"https://app.localhost/voice", EADDRNOTAVAIL, "names this machine"},
	    {"https://nowhere.invalid/voice", EADDRNOTAVAIL, "does not resolve"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256] = "";
		test_current = cases[i].url;
		CHECK_INT(tw_url_unreachable(cases[i].url, why, sizeof(why)), cases[i].rc);
		if (cases[i].why)
			CHECK(strstr(why, cases[i].why) != NULL);
	}
	test_current = "reachability";
}

static void error_line(void)
{
	struct tw_error e = {.status = 400, .code = 21402, .attempts = 1};
	snprintf(e.message, sizeof(e.message), "VoiceUrl is not a valid URL");
	snprintf(e.more_info, sizeof(e.more_info), "https://www.twilio.com/docs/errors/21402");
	char line[512];
	tw_error_line(&e, line, sizeof(line));
	CHECK_STR(
	    line,
	    "Twilio 21402: VoiceUrl is not a valid URL (https://www.twilio.com/docs/errors/21402)");
	e.attempts = 4;
	tw_error_line(&e, line, sizeof(line));
	CHECK(strstr(line, "[after 4 attempts]") != NULL);
	struct tw_error t = {.status = 0, .code = 11203, .attempts = 1};
	snprintf(t.message, sizeof(t.message), "timed out after 1.0 s");
	tw_error_line(&t, line, sizeof(line));
	CHECK_STR(line, "timed out after 1.0 s");
}

static void is_real(void)
{
	static const struct {
		const char *base;
		bool real;
	} cases[] = {
	    {NULL, true},
	    {"", true},
	    {"https://api.twilio.com", true},
	    {"https://API.TWILIO.COM:443/", true},
	    {"https://trunking.twilio.com", true},
	    {"http://127.0.0.1:8766", false},
	    {"https://twilio.com.example.net", false},
	    {"https://nottwilio.com", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tw_client c = {.api_base = cases[i].base};
		test_current = cases[i].base ? cases[i].base : "(null)";
		CHECK_INT(tw_is_real(&c), cases[i].real);
	}
	test_current = "is_real";
}

int main(void)
{
	char err[256];
	struct emu_rest_config cfg = {.account_sid = AC, .auth_token = TOK, .seed_numbers = 7};
	if (emu_rest_new(&twin, &cfg, err, sizeof(err)) != 0) {
		printf("twin: %s\n0 passed, 1 failed\n", err);
		return 1;
	}
	struct httpd_config hc = {
	    .listen = "127.0.0.1:0", .blocking = true, .handler = emu_rest_handle, .ctx = twin};
	if (httpd_start(&srv, &hc, err, sizeof(err)) != 0) {
		printf("cannot listen: %s\n0 passed, 1 failed\n", err);
		return 1;
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", httpd_port(srv));
	static const struct test_case cases[] = {
	    {"lists_every_page", lists_every_page},
	    {"errors_map", errors_map},
	    {"retries", retries},
	    {"reachability", reachability},
	    {"error_line", error_line},
	    {"is_real", is_real},
	    {NULL, NULL},
	};
	int rc = test_run(cases);
	httpd_stop(srv);
	emu_rest_free(twin);
	return rc;
}

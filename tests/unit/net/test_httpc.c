/* test_httpc: the libcurl adapter against the libmicrohttpd adapter on a loopback port. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "net/httpc.h"
#include "net/httpd.h"
#include "test.h"
#include "util/version.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void handler(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	(void)ctx;
	const char *p = req->path;
	if (strcmp(p, "/retry") == 0) {
		http_resp_header(resp, "Retry-After", "3");
		http_resp_text(resp, 429, "slow down");
	} else if (strcmp(p, "/big") == 0) {
		resp->content_type = "text/plain";
		for (int i = 0; i < 1000; i++)
			buf_adds(&resp->body, "0123456789");
	} else if (strcmp(p, "/loop") == 0) {
		http_resp_header(resp, "Location", "/loop");
		http_resp_text(resp, 302, "again");
	} else if (strcmp(p, "/badredir") == 0) {
		http_resp_header(resp, "Location", "ftp://example.com/file");
		http_resp_text(resp, 302, "elsewhere");
	} else if (strcmp(p, "/redir") == 0) {
		http_resp_header(resp, "Location", "/ok");
		http_resp_text(resp, 302, "there");
	} else if (strcmp(p, "/slow") == 0) {
		sleep_ms(1500);
		http_resp_text(resp, 200, "late");
	} else {
		const char *auth = http_req_header(req, "Authorization");
		const char *ua = http_req_header(req, "User-Agent");
		const char *ct = http_req_header(req, "Content-Type");
		const char *x = http_req_header(req, "X-Extra");
		resp->content_type = "application/json";
		buf_printf(&resp->body, "%s auth=%s ua=%s ct=%s x=%s body=%.*s", req->method,
		           auth ? auth : "-", ua ? ua : "-", ct ? ct : "-", x ? x : "-",
		           (int)req->body_len, req->body);
	}
}

static struct httpd *srv;
static char base[64];

static void url(char *out, size_t n, const char *path)
{
	snprintf(out, n, "%s%s", base, path);
}

static void get_and_headers(void)
{
	char u[128];
	url(u, sizeof(u), "/ok");
	struct httpc_header h[] = {{"X-Extra", "yes"}};
	struct httpc_req req = {.url = u, .headers = h, .nheaders = 1};
	struct httpc_resp r;
	CHECK_INT(httpc_do(&req, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.content_type, "application/json");
	CHECK(strstr(buf_str(&r.body), "GET auth=- ua=handoff/" HANDOFF_VERSION " ") != NULL);
	CHECK(strstr(buf_str(&r.body), "x=yes") != NULL);
	CHECK_INT(r.fail, HTTPC_OK);
	char v[64];
	CHECK_INT(httpc_resp_header(&r, "content-type", v, sizeof(v)), 0);
	CHECK_STR(v, "application/json");
	CHECK_INT(httpc_resp_header(&r, "X-Nope", v, sizeof(v)), ENOENT);
	httpc_resp_free(&r);
}

static void post_with_basic_auth(void)
{
	char u[128];
	url(u, sizeof(u), "/ok");
	struct httpc_req req = {.method = "POST",
	                        .url = u,
	                        .body = "A=1&B=2",
	                        .body_len = 7,
	                        .content_type = "application/x-www-form-urlencoded",
	                        .user = "user",
	                        .password = "pass"};
	struct httpc_resp r;
	CHECK_INT(httpc_do(&req, &r), 0);
	CHECK(strstr(buf_str(&r.body), "POST auth=Basic dXNlcjpwYXNz ") != NULL);
	CHECK(strstr(buf_str(&r.body), "ct=application/x-www-form-urlencoded") != NULL);
	CHECK(strstr(buf_str(&r.body), "body=A=1&B=2") != NULL);
	httpc_resp_free(&r);
}

static void retry_after(void)
{
	char u[128];
	url(u, sizeof(u), "/retry");
	struct httpc_req req = {.url = u};
	struct httpc_resp r;
	CHECK_INT(httpc_do(&req, &r), 0);
	CHECK_INT(r.status, 429);
	CHECK_INT(r.retry_after_s, 3);
	httpc_resp_free(&r);
}

/* one row per failure class: URL, settings, errno, class, Twilio code */
static void failures(void)
{
	char dead[64];
	{
		/* a port nobody listens on: bind one, learn it, close it */
		struct httpd *h = NULL;
		char err[128];
		struct httpd_config c = {.listen = "127.0.0.1:0", .threads = 1, .handler = handler};
		httpd_start(&h, &c, err, sizeof(err));
		snprintf(dead, sizeof(dead), "http://127.0.0.1:%d/", h ? httpd_port(h) : 1);
		httpd_stop(h);
	}
	char big[128], loop[128], slow[128], badredir[128];
	url(badredir, sizeof(badredir), "/badredir");
	url(big, sizeof(big), "/big");
	url(loop, sizeof(loop), "/loop");
	url(slow, sizeof(slow), "/slow");
	static const struct {
		const char *what;
		int rc;
		enum httpc_fail f;
		int code;
	} want[] = {
	    {"body cap", E2BIG, HTTPC_TOO_BIG, 11750},
	    {"redirect loop", ELOOP, HTTPC_TOO_MANY_REDIRECTS, 11215},
	    {"total timeout", ETIMEDOUT, HTTPC_TIMEOUT, 11203},
	    {"refused", ECONNREFUSED, HTTPC_CONNECT_REFUSED, 11202},
	    {"not http", EINVAL, HTTPC_BAD_URL, 11100},
	    {"no such host", EHOSTUNREACH, HTTPC_DNS, 11210},
	    {"redirect to ftp", ELOOP, HTTPC_BAD_REDIRECT, 11216},
	};
	struct httpc_req reqs[] = {
	    {.url = big, .max_body = 1000},        {.url = loop, .max_redirects = 3},
	    {.url = slow, .timeout_ms = 300},      {.url = dead},
	    {.url = "ftp://example.com/"},         {.url = "http://no-such-host.invalid/"},
	    {.url = badredir, .max_redirects = 3},
	};
	_Static_assert(sizeof(reqs) / sizeof(reqs[0]) == sizeof(want) / sizeof(want[0]),
	               "one request per expected failure");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		test_current = want[i].what;
		struct httpc_resp r;
		CHECK_INT(httpc_do(&reqs[i], &r), want[i].rc);
		CHECK_INT(r.fail, want[i].f);
		CHECK_INT(httpc_twilio_code(r.fail), want[i].code);
		CHECK(r.error[0] != '\0');
		httpc_resp_free(&r);
	}
	test_current = "failures";
}

static void redirects(void)
{
	char u[128];
	url(u, sizeof(u), "/redir");
	struct httpc_req req = {.url = u, .max_redirects = 2};
	struct httpc_resp r;
	CHECK_INT(httpc_do(&req, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_INT(r.redirects, 1);
	httpc_resp_free(&r);
	req.max_redirects = 0; /* not followed: the 302 is the answer */
	CHECK_INT(httpc_do(&req, &r), 0);
	CHECK_INT(r.status, 302);
	httpc_resp_free(&r);
}

static void urlencode(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"+1 415", "%2B1%20415"},
	    {"https://a.example.com/v?x=1&y=2", "https%3A%2F%2Fa.example.com%2Fv%3Fx%3D1%26y%3D2"},
	    {"a-b_c.d~e", "a-b_c.d~e"},
	    {"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b, 1024);
		CHECK_INT(httpc_urlencode(&b, cases[i].in), 0);
		CHECK_STR(buf_str(&b), cases[i].out);
		buf_free(&b);
	}
	struct buf small;
	buf_init(&small, 4);
	CHECK_INT(httpc_urlencode(&small, "+++"), E2BIG);
	buf_free(&small);
}

int main(void)
{
	char err[128];
	struct httpd_config c = {.listen = "127.0.0.1:0", .blocking = true, .handler = handler};
	if (httpd_start(&srv, &c, err, sizeof(err)) != 0) {
		printf("cannot listen: %s\n0 passed, 1 failed\n", err);
		return 1;
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", httpd_port(srv));
	static const struct test_case cases[] = {
	    {"get_and_headers", get_and_headers},
	    {"post_with_basic_auth", post_with_basic_auth},
	    {"retry_after", retry_after},
	    {"failures", failures},
	    {"redirects", redirects},
	    {"urlencode", urlencode},
	    {NULL, NULL},
	};
	int rc = test_run(cases);
	httpd_stop(srv);
	return rc;
}

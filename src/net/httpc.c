/* httpc: the HTTP client adapter over libcurl (the only file that includes curl/curl.h). */
#include "net/httpc.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/mem.h"
#include "util/version.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *httpc_user_agent(void)
{
	return "handoff/" HANDOFF_VERSION;
}

static const struct {
	enum httpc_fail f;
	int code;
	const char *name;
	int err;
} fail_table[] = {
    {HTTPC_OK, 0, "ok", 0},
    {HTTPC_BAD_URL, 11100, "invalid URL", EINVAL},
    {HTTPC_DNS, 11210, "host name does not resolve", EHOSTUNREACH},
    {HTTPC_CONNECT_REFUSED, 11202, "connection refused", ECONNREFUSED},
    {HTTPC_CONNECT_TIMEOUT, 11201, "connect timed out", ETIMEDOUT},
    {HTTPC_TIMEOUT, 11203, "timed out", ETIMEDOUT},
    {HTTPC_TOO_MANY_REDIRECTS, 11215, "too many redirects", ELOOP},
    {HTTPC_BAD_REDIRECT, 11216, "invalid redirect", ELOOP},
    {HTTPC_TLS, 11220, "TLS failure", EPROTO},
    {HTTPC_TOO_BIG, 11750, "response body too large", E2BIG},
    {HTTPC_PROTOCOL, 11206, "HTTP protocol violation", EPROTO},
    {HTTPC_OTHER, 11200, "HTTP retrieval failure", EIO},
};

int httpc_twilio_code(enum httpc_fail f)
{
	for (size_t i = 0; i < sizeof(fail_table) / sizeof(fail_table[0]); i++)
		if (fail_table[i].f == f)
			return fail_table[i].code;
	return 11200;
}

const char *httpc_fail_name(enum httpc_fail f)
{
	for (size_t i = 0; i < sizeof(fail_table) / sizeof(fail_table[0]); i++)
		if (fail_table[i].f == f)
			return fail_table[i].name;
	return "HTTP retrieval failure";
}

static int fail_errno(enum httpc_fail f)
{
	for (size_t i = 0; i < sizeof(fail_table) / sizeof(fail_table[0]); i++)
		if (fail_table[i].f == f)
			return fail_table[i].err;
	return EIO;
}

struct xfer {
	struct httpc_resp *resp;
	bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	if (buf_add(&x->resp->body, p, len) != 0) {
		x->too_big = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	/* a new status line starts a new response (after a redirect or 100) */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		buf_reset(&x->resp->headers);
	if (buf_add(&x->resp->headers, p, len) != 0)
		buf_init(&x->resp->headers, HTTPC_MAX_RESP_HEADERS); /* drop, keep going */
	return len;
}

int httpc_resp_header(const struct httpc_resp *resp, const char *name, char *out, size_t outlen)
{
	const char *s = buf_str(&resp->headers);
	size_t nlen = strlen(name);
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t linelen = eol ? (size_t)(eol - s) : strlen(s);
		if (linelen > nlen && strncasecmp(s, name, nlen) == 0 && s[nlen] == ':') {
			const char *v = s + nlen + 1;
			const char *end = s + linelen;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
				end--;
			snprintf(out, outlen, "%.*s", (int)(end - v), v);
			return 0;
		}
		if (!eol)
			break;
		s = eol + 1;
	}
	if (outlen)
		out[0] = '\0';
	return ENOENT;
}

/* Retry-After is either delta-seconds or an HTTP date. */
static long parse_retry_after(const char *v)
{
	if (!*v)
		return -1;
	char *end;
	long n = strtol(v, &end, 10);
	if (end != v && *end == '\0')
		return n < 0 ? 0 : n;
	time_t when = curl_getdate(v, NULL);
	if (when < 0)
		return -1;
	long d = (long)(when - time(NULL));
	return d < 0 ? 0 : d;
}

static enum httpc_fail classify(CURLcode rc, long os_errno, bool too_big)
{
	if (too_big)
		return HTTPC_TOO_BIG;
	switch (rc) {
	case CURLE_OK:
		return HTTPC_OK;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return HTTPC_BAD_URL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTPC_DNS;
	case CURLE_COULDNT_CONNECT:
		return os_errno == ETIMEDOUT ? HTTPC_CONNECT_TIMEOUT : HTTPC_CONNECT_REFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTPC_TIMEOUT;
	case CURLE_TOO_MANY_REDIRECTS:
		return HTTPC_TOO_MANY_REDIRECTS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return HTTPC_TLS;
	case CURLE_FILESIZE_EXCEEDED:
		return HTTPC_TOO_BIG;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_PARTIAL_FILE:
		return HTTPC_PROTOCOL;
	default:
		return HTTPC_OTHER;
	}
}

static bool url_ok(const char *url)
{
	return url && strlen(url) < HTTPC_MAX_URL &&
	       (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0);
}

int httpc_do(const struct httpc_req *req, struct httpc_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->retry_after_s = -1;
	size_t max_body = req->max_body ? req->max_body : HTTPC_MAX_BODY_DEFAULT;
	buf_init(&resp->body, max_body);
	buf_init(&resp->headers, HTTPC_MAX_RESP_HEADERS);
	if (!url_ok(req->url) || req->nheaders > HTTPC_MAX_HEADERS) {
		resp->fail = HTTPC_BAD_URL;
		snprintf(resp->error, sizeof(resp->error), "%s",
		         req->nheaders > HTTPC_MAX_HEADERS ? "too many request headers"
		                                           : "not an http(s) URL");
		return EINVAL;
	}
	pthread_once(&global_once, global_init);
	CURL *c = curl_easy_init();
	if (!c) {
		resp->fail = HTTPC_OTHER;
		snprintf(resp->error, sizeof(resp->error), "cannot start a transfer");
		return ENOMEM;
	}
	struct xfer x = {.resp = resp};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hl = NULL;
	for (size_t i = 0; i < req->nheaders; i++) {
		char *line = xasprintf("%s: %s", req->headers[i].name, req->headers[i].value);
		hl = curl_slist_append(hl, line);
		free(line);
	}
	char *ct = NULL;
	if (req->content_type) {
		ct = xasprintf("Content-Type: %s", req->content_type);
		hl = curl_slist_append(hl, ct);
	}
	hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */

	const char *method = req->method ? req->method : "GET";
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, httpc_user_agent());
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	                 req->connect_timeout_ms > 0 ? req->connect_timeout_ms : HTTPC_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
	                 req->timeout_ms > 0 ? req->timeout_ms : HTTPC_TOTAL_MS);
	int maxr = req->max_redirects < 0 ? HTTPC_MAX_REDIRECTS : req->max_redirects;
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, maxr > 0 ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)maxr);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (req->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, req->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, req->password ? req->password : "");
		/* credentials go to the first host only, never to a redirect target */
		curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	}
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (req->body || strcmp(method, "POST") == 0) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		}
	}

	CURLcode rc = curl_easy_perform(c);
	long status = 0, os_errno = 0, redirects = 0;
	double total = 0;
	char *ctype = NULL, *eff = NULL;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(c, CURLINFO_REDIRECT_COUNT, &redirects);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &total);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
	curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
	resp->redirects = (int)redirects;
	resp->elapsed_ms = (long)(total * 1000);
	if (ctype)
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", ctype);
	if (eff)
		snprintf(resp->effective_url, sizeof(resp->effective_url), "%s", eff);
	resp->fail = classify(rc, os_errno, x.too_big);
	/* a URL refused after a 3xx came from the Location header, not from the caller */
	if (resp->fail == HTTPC_BAD_URL && (redirects > 0 || (status >= 300 && status < 400)))
		resp->fail = HTTPC_BAD_REDIRECT;
	/* a connect timeout shows up as CURLE_OPERATION_TIMEDOUT before any byte */
	if (rc == CURLE_OPERATION_TIMEDOUT && status == 0) {
		double conn = 0;
		curl_easy_getinfo(c, CURLINFO_CONNECT_TIME, &conn);
		if (conn == 0)
			resp->fail = HTTPC_CONNECT_TIMEOUT;
	}
	int ret = 0;
	if (resp->fail != HTTPC_OK) {
		if (resp->fail == HTTPC_TOO_BIG)
			snprintf(resp->error, sizeof(resp->error),
			         "response body larger than %zu bytes", max_body);
		else if (resp->fail == HTTPC_TIMEOUT || resp->fail == HTTPC_CONNECT_TIMEOUT)
			snprintf(resp->error, sizeof(resp->error), "%s after %.1f s",
			         httpc_fail_name(resp->fail), total);
		else if (resp->fail == HTTPC_TOO_MANY_REDIRECTS)
			snprintf(resp->error, sizeof(resp->error), "more than %d redirects", maxr);
		else
			snprintf(resp->error, sizeof(resp->error), "%s (%.200s)",
			         httpc_fail_name(resp->fail),
			         errbuf[0] ? errbuf : curl_easy_strerror(rc));
		ret = fail_errno(resp->fail);
		if (resp->fail == HTTPC_TOO_BIG)
			buf_free(&resp->body);
	} else {
		resp->status = (int)status;
		char ra[64];
		if (httpc_resp_header(resp, "Retry-After", ra, sizeof(ra)) == 0)
			resp->retry_after_s = parse_retry_after(ra);
	}
	curl_slist_free_all(hl);
	free(ct);
	curl_easy_cleanup(c);
	return ret;
}

void httpc_resp_free(struct httpc_resp *resp)
{
	buf_free(&resp->body);
	buf_free(&resp->headers);
}

int httpc_urlencode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc;
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			rc = buf_addc(b, (char)*p);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			rc = buf_add(b, e, 3);
		}
		if (rc)
			return rc;
	}
	return 0;
}

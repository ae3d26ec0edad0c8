/* twilio_rest: Twilio REST calls over httpc: auth, form bodies, JSON errors, retries, paging. */
#include "twilio/rest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/httpc.h"
#include "util/buf.h"
#include "util/mem.h"

bool tw_is_real(const struct tw_client *c)
{
	if (!c->api_base || !c->api_base[0])
		return true;
	/* an explicit base on Twilio's own hosts is still the real Twilio */
	const char *h = strstr(c->api_base, "://");
	h = h ? h + 3 : c->api_base;
	size_t n = strcspn(h, "/:?#");
	return (n == 10 && strncasecmp(h, "twilio.com", 10) == 0) ||
	       (n > 11 && strncasecmp(h + n - 11, ".twilio.com", 11) == 0);
}

/* The base (scheme://host[:port][/prefix], no trailing slash) for api. */
static void base_for(const struct tw_client *c, enum tw_api api, char *out, size_t outlen)
{
	if (tw_is_real(c)) {
		snprintf(out, outlen, "%s", api == TW_API_V1 ? TW_BASE_V1 : TW_BASE_2010);
		return;
	}
	size_t n = strlen(c->api_base);
	while (n && c->api_base[n - 1] == '/')
		n--;
	snprintf(out, outlen, "%.*s", (int)n, c->api_base);
}

static void set_err(struct tw_error *err, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_err(struct tw_error *err, int status, int code, const char *fmt, ...)
{
	err->status = status;
	err->code = code;
	err->more_info[0] = '\0';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

void tw_error_line(const struct tw_error *err, char *out, size_t outlen)
{
	char tail[64] = "";
	if (err->attempts > 1)
		snprintf(tail, sizeof(tail), " [after %d attempts]", err->attempts);
	if (err->status && err->code && err->more_info[0])
		snprintf(out, outlen, "Twilio %d: %s (%s)%s", err->code, err->message,
		         err->more_info, tail);
	else if (err->status && err->code)
		snprintf(out, outlen, "Twilio %d: %s%s", err->code, err->message, tail);
	else
		snprintf(out, outlen, "%s%s", err->message, tail);
}

/* Twilio's error JSON (or RFC 9457 problem+json) into err. */
static void parse_error(const struct httpc_resp *r, struct tw_error *err)
{
	json_t *j = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
	err->status = r->status;
	err->code = 0;
	err->more_info[0] = '\0';
	snprintf(err->message, sizeof(err->message), "HTTP %d", r->status);
	if (json_is_object(j)) {
		json_t *code = json_object_get(j, "code");
		const char *msg = json_string_value(json_object_get(j, "message"));
		if (!msg)
			msg = json_string_value(json_object_get(j, "detail"));
		if (!msg)
			msg = json_string_value(json_object_get(j, "title"));
		const char *more = json_string_value(json_object_get(j, "more_info"));
		if (!more)
			more = json_string_value(json_object_get(j, "type"));
		if (json_is_integer(code))
			err->code = (int)json_integer_value(code);
		if (msg)
			snprintf(err->message, sizeof(err->message), "%s", msg);
		if (more)
			snprintf(err->more_info, sizeof(err->more_info), "%s", more);
	}
	if (!err->code) {
		/* keep the line honest when the answer was not Twilio's JSON */
		snprintf(err->message, sizeof(err->message), "HTTP %d from the API (%s)", r->status,
		         r->content_type[0] ? r->content_type : "no content type");
	}
	json_decref(j);
}

static bool retryable_status(int s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long backoff(const struct tw_client *c, int attempt, long retry_after_s)
{
	long base = c->backoff_ms > 0 ? c->backoff_ms : TW_BACKOFF_MS;
	long w = base << (attempt < 10 ? attempt : 10);
	/* jitter: anywhere in [w/2, w], so clients retrying together spread out */
	static unsigned seed;
	if (!seed)
		seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	w = w / 2 + (long)(rand_r(&seed) % (unsigned)(w / 2 + 1));
	if (retry_after_s >= 0 && retry_after_s * 1000 > w)
		w = retry_after_s * 1000;
	return w > TW_MAX_WAIT_MS ? TW_MAX_WAIT_MS : w;
}

/* Sends one request (with retries) to a full URL. */
static int send_url(const struct tw_client *c, const char *method, const char *url,
                    const char *form, json_t **out, struct tw_error *err)
{
	struct httpc_header hdr[] = {{"Accept", "application/json"}};
	struct httpc_req req = {
	    .method = method,
	    .url = url,
	    .headers = hdr,
	    .nheaders = 1,
	    .body = form,
	    .body_len = form ? strlen(form) : 0,
	    .content_type = form ? "application/x-www-form-urlencoded" : NULL,
	    .user = c->user,
	    .password = c->secret,
	    .connect_timeout_ms = c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 10000,
	    .timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 30000,
	    .max_redirects = 0, /* the API does not redirect; never carry auth elsewhere */
	    .max_body = TW_MAX_RESPONSE,
	};
	int max_retries = c->max_retries < 0 ? TW_MAX_RETRIES : c->max_retries;
	int rc = 0;
	memset(err, 0, sizeof(*err));
	if (out)
		*out = NULL;
	for (int attempt = 0;; attempt++) {
		struct httpc_resp r;
		rc = httpc_do(&req, &r);
		err->attempts = attempt + 1;
		bool retry;
		long ra = -1;
		if (rc) {
			set_err(err, 0, httpc_twilio_code(r.fail), "%s", r.error);
			/* a request that may have reached the server (total timeout) is not
			 * repeated */
			retry = r.fail == HTTPC_CONNECT_REFUSED || r.fail == HTTPC_CONNECT_TIMEOUT;
		} else if (r.status >= 200 && r.status < 300) {
			if (r.status != 204 && r.body.len && out) {
				json_error_t je;
				*out = json_loadb(r.body.p, r.body.len, 0, &je);
				if (!*out) {
					set_err(
					    err, r.status, 0,
					    "the API answered %d with a body that is not JSON: %s",
					    r.status, je.text);
					rc = EBADMSG;
				}
			}
			httpc_resp_free(&r);
			return rc;
		} else {
			parse_error(&r, err);
			ra = r.retry_after_s;
			retry = retryable_status(r.status);
			rc = r.status == 404                      ? ENOENT
			     : r.status == 401 || r.status == 403 ? EACCES
			                                          : EPROTO;
		}
		httpc_resp_free(&r);
		if (!retry || attempt >= max_retries)
			return rc;
		long wait = backoff(c, attempt, ra);
		if (c->on_retry)
			c->on_retry(c->ctx, attempt + 1, err->status, wait);
		sleep_ms(wait);
	}
}

static int encode_params(struct buf *b, const struct tw_param *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i && buf_addc(b, '&'))
			return E2BIG;
		if (httpc_urlencode(b, params[i].name) || buf_addc(b, '=') ||
		    httpc_urlencode(b, params[i].value ? params[i].value : ""))
			return E2BIG;
	}
	return 0;
}

int tw_request(const struct tw_client *c, enum tw_api api, const char *method, const char *path,
               const struct tw_param *params, size_t nparams, json_t **out, struct tw_error *err)
{
	char base[600];
	base_for(c, api, base, sizeof(base));
	if (nparams > TW_MAX_PARAMS) {
		memset(err, 0, sizeof(*err));
		set_err(err, 0, 0, "too many parameters (%zu > %d)", nparams, TW_MAX_PARAMS);
		return E2BIG;
	}
	struct buf url, form;
	buf_init(&url, HTTPC_MAX_URL);
	buf_init(&form, 64 * 1024);
	bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0;
	int rc = buf_printf(&url, "%s%s", base, path);
	if (!rc && nparams && is_get) {
		rc = buf_addc(&url, strchr(path, '?') ? '&' : '?');
		if (!rc)
			rc = encode_params(&url, params, nparams);
	} else if (!rc && !is_get) {
		rc = encode_params(&form, params, nparams);
	}
	if (rc) {
		memset(err, 0, sizeof(*err));
		set_err(err, 0, 0, "request too large");
	} else {
		rc = send_url(c, method, buf_str(&url), is_get ? NULL : buf_str(&form), out, err);
	}
	buf_free(&url);
	buf_free(&form);
	return rc;
}

/* The path+query of an absolute or relative page link, on our own base. */
static const char *link_path(const char *link)
{
	if (strncasecmp(link, "http://", 7) == 0 || strncasecmp(link, "https://", 8) == 0) {
		const char *p = strchr(strstr(link, "//") + 2, '/');
		return p ? p : "/";
	}
	return link;
}

int tw_list(const struct tw_client *c, enum tw_api api, const char *path, const char *key,
            json_t **items, struct tw_error *err)
{
	json_t *all = json_array();
	char *next = xstrdup(path);
	int rc = 0;
	for (int page = 0; next; page++) {
		if (page >= TW_MAX_PAGES) {
			memset(err, 0, sizeof(*err));
			set_err(err, 0, 0, "more than %d pages; stopped", TW_MAX_PAGES);
			rc = E2BIG;
			break;
		}
		json_t *j = NULL;
		rc = tw_request(c, api, "GET", next, NULL, 0, &j, err);
		free(next);
		next = NULL;
		if (rc)
			break;
		json_t *arr = json_object_get(j, key);
		if (!json_is_array(arr)) {
			set_err(err, 200, 0, "the list answer has no '%s' array", key);
			json_decref(j);
			rc = EBADMSG;
			break;
		}
		if (json_array_size(all) + json_array_size(arr) > TW_MAX_ITEMS) {
			set_err(err, 200, 0, "more than %d items; stopped", TW_MAX_ITEMS);
			json_decref(j);
			rc = E2BIG;
			break;
		}
		json_array_extend(all, arr);
		const char *link =
		    api == TW_API_V1 ? json_string_value(json_object_get(json_object_get(j, "meta"),
		                                                         "next_page_url"))
		                     : json_string_value(json_object_get(j, "next_page_uri"));
		if (link && *link)
			next = xstrdup(link_path(link));
		json_decref(j);
	}
	free(next);
	if (rc) {
		json_decref(all);
		return rc;
	}
	*items = all;
	return 0;
}

/* Why an address is not reachable from the internet, or NULL when it is. */
static const char *private_kind(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		uint32_t a = ntohl(in->sin_addr.s_addr);
		static const struct {
			uint32_t net, mask;
			const char *kind;
		} v4[] = {
		    {0x00000000u, 0xff000000u, "an unspecified (0.0.0.0/8) address"},
		    {0x7f000000u, 0xff000000u, "a loopback address"},
		    {0x0a000000u, 0xff000000u, "a private (RFC 1918) address"},
		    {0xac100000u, 0xfff00000u, "a private (RFC 1918) address"},
		    {0xc0a80000u, 0xffff0000u, "a private (RFC 1918) address"},
		    {0xa9fe0000u, 0xffff0000u, "a link-local address"},
		    {0x64400000u, 0xffc00000u, "a carrier-grade NAT (100.64.0.0/10) address"},
		    {0xe0000000u, 0xe0000000u, "a multicast or reserved address"},
		};
		for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
			if ((a & v4[i].mask) == v4[i].net)
				return v4[i].kind;
		return NULL;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return "a loopback address";
		if (IN6_IS_ADDR_UNSPECIFIED(a))
			return "an unspecified address";
		if (IN6_IS_ADDR_LINKLOCAL(a))
			return "a link-local address";
		if ((a->s6_addr[0] & 0xfe) == 0xfc)
			return "a unique local (private) address";
		if (IN6_IS_ADDR_MULTICAST(a))
			return "a multicast address";
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			struct sockaddr_in in = {.sin_family = AF_INET};
			memcpy(&in.sin_addr, a->s6_addr + 12, 4);
			return private_kind((const struct sockaddr *)&in);
		}
		return NULL;
	}
	return "not an internet address";
}

int tw_url_unreachable(const char *url, char *why, size_t whylen)
{
	const char *p = strstr(url, "://");
	if (!p) {
		snprintf(why, whylen, "%s is not an http(s) URL", url);
		return EINVAL;
	}
	p += 3;
	size_t n = strcspn(p, "/?#");
	const char *at = memchr(p, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	char host[256];
	if (n == 0 || n >= sizeof(host)) {
		snprintf(why, whylen, "the URL has no usable host");
		return EINVAL;
	}
	memcpy(host, p, n);
	host[n] = '\0';
	if (host[0] == '[') {
		char *close = strchr(host, ']');
		if (!close) {
			snprintf(why, whylen, "the URL's IPv6 host is malformed");
			return EINVAL;
		}
		*close = '\0';
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else {
		char *colon = strchr(host, ':');
		if (colon)
			*colon = '\0';
	}
	size_t hl = strlen(host);
	if (strcasecmp(host, "localhost") == 0 ||
	    (hl > 10 && strcasecmp(host + hl - 10, ".localhost") == 0)) {
		snprintf(why, whylen, "%s names this machine", host);
		return EADDRNOTAVAIL;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int g = getaddrinfo(host, NULL, &hints, &res);
	if (g != 0) {
		snprintf(why, whylen, "%s does not resolve (%s)", host, gai_strerror(g));
		return EADDRNOTAVAIL;
	}
	int rc = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		const char *kind = private_kind(ai->ai_addr);
		if (!kind)
			continue;
		char addr[INET6_ADDRSTRLEN] = "";
		if (ai->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr,
			          sizeof(addr));
		else if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr,
			          sizeof(addr));
		if (strcmp(addr, host) == 0)
			snprintf(why, whylen, "%s is %s", host, kind);
		else
			snprintf(why, whylen, "%s resolves to %s, %s", host, addr, kind);
		rc = EADDRNOTAVAIL;
		break;
	}
	freeaddrinfo(res);
	return rc;
}

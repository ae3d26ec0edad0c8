/* rest: the REST twin's core: Twilio's request and answer shapes (forms, error bodies,
 * field checks, paging), authentication, injected faults, routing, and the accessors the
 * engine uses; the resources are rest_numbers.c, rest_accounts.c, rest_calls.c,
 * rest_domains.c and rest_trunks.c. */
#include "emulator/rest_int.h"

#include "emulator/engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "util/buf.h"
#include "util/ids.h"
#include "util/mem.h"

/* ---- small helpers ---- */

void emu_rest_sid(char out[35], const char *prefix)
{
	unsigned char raw[16];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		/* never expected; fall back to a clock-derived value */
		unsigned long long t = (unsigned long long)time(NULL) ^ (unsigned long long)clock();
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)(i * 37);
	}
	out[0] = prefix[0];
	out[1] = prefix[1];
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", raw[i]);
}

void emu_rest_date_rfc2822(char out[40])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	         mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void emu_rest_date_iso8601(char out[40])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool rest_http_url(const char *s)
{
	size_t n = strlen(s);
	const char *rest;
	if (n > EMU_REST_MAX_URL)
		return false;
	if (strncasecmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		rest = s + 7;
	else
		return false;
	if (!*rest || *rest == '/' || *rest == ':')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool ct_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);
	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 into out (NUL-terminated); 0 or EBADMSG. */
static int b64dec(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (const char *p = in; *p && *p != '='; p++) {
		int v = b64val((unsigned char)*p);
		if (v < 0)
			return EBADMSG;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outlen)
				return EBADMSG;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return 0;
}

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexv((unsigned char)s[i + 1]) >= 0 &&
		           hexv((unsigned char)s[i + 2]) >= 0) {
			out[o++] = (char)(hexv((unsigned char)s[i + 1]) * 16 +
			                  hexv((unsigned char)s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static void form_parse(struct form *f, const char *s, size_t len)
{
	size_t i = 0;
	while (s && i < len) {
		size_t j = i;
		while (j < len && s[j] != '&')
			j++;
		if (j > i) {
			if (f->n >= EMU_REST_MAX_PARAMS) {
				f->too_many = true;
				return;
			}
			const char *eq = memchr(s + i, '=', j - i);
			size_t nlen = eq ? (size_t)(eq - (s + i)) : j - i;
			f->p[f->n].name = pct_decode(s + i, nlen);
			f->p[f->n].value =
			    eq ? pct_decode(eq + 1, (size_t)(s + j - eq - 1)) : xstrdup("");
			f->n++;
		}
		i = j + 1;
	}
}

static void form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->p[i].name);
		free(f->p[i].value);
	}
	f->n = 0;
}

/* Whether every name and value is valid UTF-8 without NULs (what JSON can carry). */
bool rest_form_utf8(const struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		json_t *a = json_string(f->p[i].name), *b = json_string(f->p[i].value);
		bool ok = a && b;
		json_decref(a);
		json_decref(b);
		if (!ok)
			return false;
	}
	return true;
}

const char *rest_form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->p[i].name, name) == 0)
			return f->p[i].value;
	return NULL;
}

/* ---- answers ---- */

void rest_send_json(struct http_resp *resp, int status, json_t *j)
{
	resp->status = status;
	resp->content_type = "application/json; charset=utf-8";
	buf_reset(&resp->body);
	if (j) {
		char *s = json_dumps(j, JSON_COMPACT);
		if (buf_adds(&resp->body, s) != 0)
			http_resp_text(resp, 500, "response too large");
		free(s);
	}
}

int rest_send_error(struct http_resp *resp, int status, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the message may quote the request (a path): keep it printable ASCII, so valid JSON */
	for (char *m = msg; *m; m++)
		if ((unsigned char)*m < 0x20 || (unsigned char)*m > 0x7e)
			*m = '?';
	char more[96];
	snprintf(more, sizeof(more), "https://www.twilio.com/docs/errors/%d", code);
	json_t *j = json_pack("{s:i,s:s,s:s,s:i}", "code", code, "message", msg, "more_info", more,
	                      "status", status);
	rest_send_json(resp, status, j);
	json_decref(j);
	return status;
}

/* A copy of o without the private '_' keys. */
json_t *rest_public_copy(const json_t *o)
{
	json_t *c = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		if (k[0] != '_')
			json_object_set(c, k, v);
	}
	return c;
}

json_t *rest_find_by(json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
	{
		const char *s = json_string_value(json_object_get(o, key));
		if (s && strcmp(s, val) == 0)
			return o;
	}
	return NULL;
}

static bool in_choices(const char *v, const char *choices)
{
	size_t n = strlen(v);
	for (const char *p = choices; *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, v, n) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/* Checks every known field in f; on a bad one fills resp and returns EINVAL.
 * Caller holds the lock (trunk existence is looked up). */
int rest_check_fields(struct emu_rest *r, const struct field *tab, size_t n, const struct form *f,
                      struct http_resp *resp)
{
	for (size_t i = 0; i < n; i++) {
		const struct field *fd = &tab[i];
		const char *v = rest_form_get(f, fd->param);
		if (!v)
			continue;
		bool ok = true;
		switch (fd->kind) {
		case V_URL:
			ok = !*v || rest_http_url(v);
			break;
		case V_METHOD:
			ok = strcasecmp(v, "GET") == 0 || strcasecmp(v, "POST") == 0;
			break;
		case V_SID_AP:
			ok = !*v || id_sid(v, "AP");
			break;
		case V_SID_TK:
			ok = !*v || (id_sid(v, "TK") && rest_find_by(r->trunks, "sid", v));
			break;
		case V_TEXT64:
			ok = strlen(v) <= 64;
			break;
		case V_BOOL:
			ok = strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0;
			break;
		case V_ENUM:
			ok = in_choices(v, fd->choices);
			break;
		}
		if (ok)
			continue;
		switch (fd->kind) {
		case V_URL:
			rest_send_error(resp, 400, fd->code,
			                "%s is not valid. %s must be an http or https URL",
			                fd->param, fd->param);
			break;
		case V_METHOD:
			rest_send_error(resp, 400, fd->code, "%s must be either GET or POST",
			                fd->param);
			break;
		case V_SID_TK:
			rest_send_error(resp, 400, fd->code, "%s %s is not a trunk of this account",
			                fd->param, v);
			break;
		case V_ENUM:
			rest_send_error(resp, 400, fd->code, "%s must be one of: %s", fd->param,
			                fd->choices);
			break;
		default:
			rest_send_error(resp, 400, fd->code, "%s is invalid", fd->param);
			break;
		}
		return EINVAL;
	}
	return 0;
}

void rest_apply_fields(json_t *o, const struct field *tab, size_t n, const struct form *f)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = rest_form_get(f, tab[i].param);
		if (!v)
			continue;
		json_t *val;
		if (tab[i].kind == V_BOOL)
			val = json_boolean(strcasecmp(v, "true") == 0);
		else if (tab[i].kind == V_METHOD)
			val = json_string(strcasecmp(v, "GET") == 0 ? "GET" : "POST");
		else if (!*v && tab[i].null_when_empty)
			val = json_null();
		else
			val = json_string(v);
		json_object_set_new(o, tab[i].key, val);
	}
}

int rest_read_paging(const struct form *q, struct page *pg, struct http_resp *resp)
{
	pg->size = EMU_REST_DEF_PAGE_SIZE;
	pg->page = 0;
	const char *s = rest_form_get(q, "PageSize");
	const char *p = rest_form_get(q, "Page");
	char *end;
	if (s) {
		pg->size = strtol(s, &end, 10);
		if (*end || pg->size < 1 || pg->size > EMU_REST_MAX_PAGE_SIZE) {
			rest_send_error(resp, 400, 20001, "PageSize must be between 1 and %d",
			                EMU_REST_MAX_PAGE_SIZE);
			return EINVAL;
		}
	}
	if (p) {
		pg->page = strtol(p, &end, 10);
		if (*end || pg->page < 0 || pg->page > 1000000) {
			rest_send_error(resp, 400, 20001, "Page must be a non-negative integer");
			return EINVAL;
		}
	}
	return 0;
}

/* Appends &name=value, the value percent-encoded. */
void rest_add_query(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, "&%s=", name);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.')
			buf_addc(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

/* Appends the filters (already validated) to a page URI. */
static void add_filters(struct buf *b, const struct form *q, const char *const *names)
{
	for (const char *const *n = names; *n; n++) {
		const char *v = rest_form_get(q, *n);
		if (v)
			rest_add_query(b, *n, v);
	}
}

/* A page's URI; token: the PageToken it carries (the next page's, or the one the request
 * was asked with), or NULL. */
static json_t *page_uri(const char *base, const struct form *q, const char *const *filters,
                        long size, long page, const char *token)
{
	struct buf b;
	buf_init(&b, 8192);
	buf_printf(&b, "%s?PageSize=%ld&Page=%ld", base, size, page);
	add_filters(&b, q, filters);
	if (token)
		rest_add_query(&b, "PageToken", token);
	json_t *s = json_string(buf_str(&b));
	buf_free(&b);
	return s;
}

/* The v2010 envelope around matching items of arr. Caller holds the lock. */
json_t *rest_list_2010(json_t *arr, const char *key, const char *base, const struct form *q,
                       const char *const *filters, const struct page *pg,
                       bool (*match)(const json_t *o, const struct form *q))
{
	json_t *items = json_array();
	long skip = pg->page * pg->size, seen = 0;
	bool more = false;
	const char *last = NULL;
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
	{
		if (!match(o, q))
			continue;
		if (seen++ < skip)
			continue;
		if ((long)json_array_size(items) == pg->size) {
			more = true;
			break;
		}
		json_array_append_new(items, rest_public_copy(o));
		last = json_string_value(json_object_get(o, "sid"));
	}
	long n = (long)json_array_size(items);
	char next[40] = "";
	if (more && last)
		snprintf(next, sizeof(next), "PA%s", last + 2);
	json_t *env = json_object();
	json_object_set_new(env, "first_page_uri", page_uri(base, q, filters, pg->size, 0, NULL));
	json_object_set_new(env, "end", json_integer(n ? skip + n - 1 : skip));
	json_object_set_new(env, "next_page_uri",
	                    next[0] ? page_uri(base, q, filters, pg->size, pg->page + 1, next)
	                            : json_null());
	json_object_set_new(env, "page", json_integer(pg->page));
	json_object_set_new(env, "page_size", json_integer(pg->size));
	json_object_set_new(env, "previous_page_uri",
	                    pg->page > 0 ? page_uri(base, q, filters, pg->size, pg->page - 1, NULL)
	                                 : json_null());
	json_object_set_new(env, "start", json_integer(skip));
	json_object_set_new(
	    env, "uri",
	    page_uri(base, q, filters, pg->size, pg->page, rest_form_get(q, "PageToken")));
	json_object_set_new(env, key, items);
	return env;
}

int rest_not_found(struct ctx *c)
{
	rest_send_error(c->resp, 404, 20404, "The requested resource %s was not found",
	                c->req->path);
	return 0;
}

/* ---- routing ---- */

/* '*' in a pattern captures one SID-like segment ([A-Za-z0-9]+). */
struct route {
	const char *methods; /* "GET POST" */
	const char *pattern;
	route_fn get, post, del;
};

static const struct route routes[] = {
    {"GET", "/2010-04-01/Accounts.json", rest_accounts_list, NULL, NULL},
    {"GET", "/2010-04-01/Accounts/*.json", rest_account_one, NULL, NULL},
    {"GET POST", "/2010-04-01/Accounts/*/IncomingPhoneNumbers.json", rest_numbers_list,
     rest_numbers_create, NULL},
    {"GET POST DELETE", "/2010-04-01/Accounts/*/IncomingPhoneNumbers/*.json", rest_number_one,
     rest_number_one, rest_number_one},
    {"GET POST", "/2010-04-01/Accounts/*/Calls.json", rest_calls_list, rest_calls_create, NULL},
    {"GET POST DELETE", "/2010-04-01/Accounts/*/Calls/*.json", rest_call_one, rest_call_one,
     rest_call_one},
    {"GET POST", "/2010-04-01/Accounts/*/SIP/Domains.json", rest_domains_list, rest_domains_create,
     NULL},
    {"GET POST DELETE", "/2010-04-01/Accounts/*/SIP/Domains/*.json", rest_domain_one,
     rest_domain_one, rest_domain_one},
    {"GET POST", "/v1/Trunks", rest_trunks_list, rest_trunks_create, NULL},
    {"GET POST DELETE", "/v1/Trunks/*", rest_trunk_one, rest_trunk_one, rest_trunk_one},
};

static bool match(const char *pat, const char *path, struct ctx *c)
{
	int ncap = 0;
	while (*pat) {
		if (*pat == '*') {
			size_t n = 0;
			while ((path[n] >= 'A' && path[n] <= 'Z') ||
			       (path[n] >= 'a' && path[n] <= 'z') ||
			       (path[n] >= '0' && path[n] <= '9'))
				n++;
			if (n == 0 || n >= sizeof(c->caps[0]) || ncap >= 2)
				return false;
			memcpy(c->caps[ncap], path, n);
			c->caps[ncap][n] = '\0';
			c->cap[ncap] = c->caps[ncap];
			ncap++;
			path += n;
			pat++;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	return *path == '\0';
}

/* Basic auth: the account SID with its token, or the API key with its secret. */
static bool authorized(const struct emu_rest *r, const struct http_req *req)
{
	const char *h = http_req_header(req, "Authorization");
	if (!h || strncasecmp(h, "Basic ", 6) != 0 || strlen(h) > 600)
		return false;
	char dec[512];
	if (b64dec(h + 6, dec, sizeof(dec)))
		return false;
	char *colon = strchr(dec, ':');
	if (!colon)
		return false;
	*colon = '\0';
	bool ok = false;
	if (strcmp(dec, r->account_sid) == 0)
		ok = ct_eq(colon + 1, r->auth_token);
	else if (r->key_sid && strcmp(dec, r->key_sid) == 0)
		ok = ct_eq(colon + 1, r->key_secret);
	xwipe(dec, sizeof(dec));
	return ok;
}

static int faults_post(struct emu_rest *r, const struct http_req *req, struct http_resp *resp)
{
	struct form f = {0};
	form_parse(&f, req->body, req->body_len);
	const char *st = rest_form_get(&f, "Status"), *cnt = rest_form_get(&f, "Count");
	const char *ra = rest_form_get(&f, "RetryAfter"), *stall = rest_form_get(&f, "StallMs");
	struct fault nf = {.retry_after = -1, .remaining = 1};
	nf.status = st ? atoi(st) : 0;
	if (cnt)
		nf.remaining = atoi(cnt);
	if (ra)
		nf.retry_after = atoi(ra);
	if (stall)
		nf.stall_ms = atol(stall);
	form_free(&f);
	if (nf.status && nf.status != 429 && nf.status != 500 && nf.status != 502 &&
	    nf.status != 503 && nf.status != 504)
		return rest_send_error(resp, 400, 20001,
		                       "Status must be 429, 500, 502, 503 or 504");
	if (!nf.status && nf.stall_ms <= 0)
		return rest_send_error(resp, 400, 20001, "give Status or StallMs");
	if (nf.remaining < 0 || nf.remaining > EMU_REST_MAX_FAULTS)
		return rest_send_error(resp, 400, 20001, "Count must be 0..%d",
		                       EMU_REST_MAX_FAULTS);
	if (nf.stall_ms < 0 || nf.stall_ms > EMU_REST_MAX_STALL_MS)
		return rest_send_error(resp, 400, 20001, "StallMs must be 0..%d",
		                       EMU_REST_MAX_STALL_MS);
	if (nf.retry_after > EMU_REST_MAX_RETRY_AFTER)
		return rest_send_error(resp, 400, 20001, "RetryAfter must be 0..%d",
		                       EMU_REST_MAX_RETRY_AFTER);
	pthread_mutex_lock(&r->lock);
	r->fault = nf;
	pthread_mutex_unlock(&r->lock);
	json_t *j = json_pack("{s:i,s:i,s:i,s:I}", "status", nf.status, "count", nf.remaining,
	                      "retry_after", nf.retry_after, "stall_ms", (json_int_t)nf.stall_ms);
	rest_send_json(resp, 200, j);
	json_decref(j);
	return 0;
}

/* Takes one pending fault, if any. */
static bool take_fault(struct emu_rest *r, struct fault *out)
{
	bool any = false;
	pthread_mutex_lock(&r->lock);
	if (r->fault.remaining > 0) {
		*out = r->fault;
		r->fault.remaining--;
		any = true;
	}
	pthread_mutex_unlock(&r->lock);
	return any;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int handle(struct emu_rest *r, const struct http_req *req, struct http_resp *resp)
{
	if (strcmp(req->path, "/healthz") == 0) {
		http_resp_text(resp, 200, "ok");
		return 200;
	}
	if (strcmp(req->path, "/emulator/faults") == 0) {
		if (strcmp(req->method, "POST") != 0)
			return rest_send_error(resp, 405, 20004, "Method not allowed");
		return faults_post(r, req, resp);
	}
	if (strncmp(req->path, "/emulator/", 10) == 0) {
		if (r->hooks.control && r->hooks.control(r->hooks.ctx, req, resp) != ENOENT)
			return resp->status;
		return rest_send_error(resp, 404, 20404, "The requested resource %s was not found",
		                       req->path);
	}
	struct fault f;
	if (take_fault(r, &f)) {
		if (f.stall_ms > 0)
			sleep_ms(f.stall_ms);
		if (f.status) {
			if (f.retry_after >= 0) {
				char v[16];
				snprintf(v, sizeof(v), "%d", f.retry_after);
				http_resp_header(resp, "Retry-After", v);
			}
			int code = f.status == 429 ? 20429 : f.status == 503 ? 20503 : 20500;
			return rest_send_error(resp, f.status, code, "%s (injected fault)",
			                       http_status_text(f.status));
		}
	}
	if (!authorized(r, req)) {
		http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"Twilio API\"");
		return rest_send_error(resp, 401, 20003, "Authentication Error - invalid username");
	}
	struct ctx c = {.r = r, .req = req, .resp = resp};
	const struct route *rt = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (match(routes[i].pattern, req->path, &c)) {
			rt = &routes[i];
			break;
		}
	}
	if (!rt)
		return rest_send_error(resp, 404, 20404, "The requested resource %s was not found",
		                       req->path);
	if (strncmp(req->path, "/2010-04-01/Accounts/", 21) == 0 &&
	    strcmp(c.cap[0], r->account_sid) != 0)
		return rest_send_error(resp, 404, 20404, "The requested resource %s was not found",
		                       req->path);
	route_fn fn = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ? rt->get
	              : strcmp(req->method, "POST") == 0                                  ? rt->post
	              : strcmp(req->method, "DELETE") == 0                                ? rt->del
	                                                                                  : NULL;
	if (!fn) {
		http_resp_header(resp, "Allow", rt->methods);
		return rest_send_error(resp, 405, 20004, "Method %s not allowed on %s", req->method,
		                       req->path);
	}
	if (req->query)
		form_parse(&c.q, req->query, strlen(req->query));
	if (strcmp(req->method, "POST") == 0)
		form_parse(&c.body, req->body, req->body_len);
	if (c.q.too_many || c.body.too_many)
		rest_send_error(resp, 400, 20001, "more than %d parameters", EMU_REST_MAX_PARAMS);
	else if (!rest_form_utf8(&c.q) || !rest_form_utf8(&c.body))
		rest_send_error(resp, 400, 20001, "parameters must be UTF-8 text");
	else
		fn(&c);
	form_free(&c.q);
	form_free(&c.body);
	return resp->status;
}

void emu_rest_handle(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	handle(ctx, req, resp);
}

/* ---- life cycle and accessors ---- */

int emu_rest_new(struct emu_rest **out, const struct emu_rest_config *cfg, char *err, size_t errlen)
{
	if (!id_sid(cfg->account_sid, "AC")) {
		snprintf(err, errlen, "account SID must be AC followed by 32 hex digits");
		return EINVAL;
	}
	if (!cfg->auth_token || strlen(cfg->auth_token) < 8 || strlen(cfg->auth_token) > 128) {
		snprintf(err, errlen, "auth token must be 8..128 characters");
		return EINVAL;
	}
	if (cfg->api_key_sid &&
	    (!id_sid(cfg->api_key_sid, "SK") || !cfg->api_key_secret ||
	     strlen(cfg->api_key_secret) < 8 || strlen(cfg->api_key_secret) > 128)) {
		snprintf(err, errlen, "API key must be SK + 32 hex digits with a secret of 8..128");
		return EINVAL;
	}
	if (cfg->seed_numbers > EMU_REST_MAX_SEED) {
		snprintf(err, errlen, "at most %d seeded numbers", EMU_REST_MAX_SEED);
		return EINVAL;
	}
	struct emu_rest *r = xcalloc(1, sizeof(*r));
	r->account_sid = xstrdup(cfg->account_sid);
	r->auth_token = xstrdup(cfg->auth_token);
	if (cfg->api_key_sid) {
		r->key_sid = xstrdup(cfg->api_key_sid);
		r->key_secret = xstrdup(cfg->api_key_secret);
	}
	pthread_mutex_init(&r->lock, NULL);
	r->numbers = json_array();
	r->calls = json_array();
	r->trunks = json_array();
	r->domains = json_array();
	r->account = rest_account_new(r);
	for (unsigned i = 0; i < cfg->seed_numbers; i++) {
		char phone[20];
		snprintf(phone, sizeof(phone), "+1415555%04u", 100 + i);
		json_array_append_new(r->numbers, rest_number_new(r, phone));
	}
	*out = r;
	return 0;
}

void emu_rest_set_hooks(struct emu_rest *r, const struct emu_rest_hooks *hooks)
{
	r->hooks = *hooks;
}

static void free_secret(char *s)
{
	if (s) {
		xwipe(s, strlen(s));
		free(s);
	}
}

void emu_rest_free(struct emu_rest *r)
{
	if (!r)
		return;
	json_decref(r->numbers);
	json_decref(r->calls);
	json_decref(r->trunks);
	json_decref(r->domains);
	json_decref(r->account);
	pthread_mutex_destroy(&r->lock);
	free(r->account_sid);
	free_secret(r->auth_token);
	free(r->key_sid);
	free_secret(r->key_secret);
	free(r);
}

const char *emu_rest_account_sid(const struct emu_rest *r)
{
	return r->account_sid;
}

static json_t *copy_found(struct emu_rest *r, json_t *arr, const char *key, const char *val)
{
	pthread_mutex_lock(&r->lock);
	json_t *o = val ? rest_find_by(arr, key, val) : NULL;
	json_t *c = o ? json_deep_copy(o) : NULL;
	pthread_mutex_unlock(&r->lock);
	return c;
}

json_t *emu_rest_number_by_phone(struct emu_rest *r, const char *e164num)
{
	return copy_found(r, r->numbers, "phone_number", e164num);
}

json_t *emu_rest_call_get(struct emu_rest *r, const char *call_sid)
{
	return copy_found(r, r->calls, "sid", call_sid);
}

json_t *emu_rest_trunk_get(struct emu_rest *r, const char *trunk_sid)
{
	return copy_found(r, r->trunks, "sid", trunk_sid);
}

static bool call_finished(const json_t *o)
{
	const char *st = json_string_value(json_object_get(o, "status"));
	return st && (!strcmp(st, "completed") || !strcmp(st, "busy") || !strcmp(st, "failed") ||
	              !strcmp(st, "no-answer") || !strcmp(st, "canceled"));
}

/* With r->lock held: drops the finished call records past the retention (the engine's:
 * over EMU_ENG_KEEP_FINISHED of them, oldest first, or finished more than
 * EMU_ENG_KEEP_FINISHED_S ago), so a long-running emulator's memory stays flat. */
static void prune_calls(struct emu_rest *r, time_t now)
{
	size_t nfin = 0, i;
	json_t *o;
	json_array_foreach(r->calls, i, o) nfin += call_finished(o);
	for (i = 0; i < json_array_size(r->calls);) {
		o = json_array_get(r->calls, i);
		json_t *at = json_object_get(o, "_finished_at");
		bool old =
		    json_is_integer(at) && now - json_integer_value(at) > EMU_ENG_KEEP_FINISHED_S;
		if (call_finished(o) && (nfin > EMU_ENG_KEEP_FINISHED || old)) {
			json_array_remove(r->calls, i);
			nfin--;
		} else {
			i++;
		}
	}
}

int emu_rest_call_put(struct emu_rest *r, const json_t *call)
{
	const char *sid = json_string_value(json_object_get(call, "sid"));
	if (!id_sid(sid, "CA"))
		return EINVAL;
	json_t *copy = json_deep_copy(call);
	char date[40];
	emu_rest_date_rfc2822(date);
	time_t now = time(NULL);
	if (call_finished(copy) && !json_object_get(copy, "_finished_at"))
		json_object_set_new(copy, "_finished_at", json_integer((json_int_t)now));
	int rc = 0;
	pthread_mutex_lock(&r->lock);
	/* past the retention by 64 records, and every 64th write (for the age) */
	if (json_array_size(r->calls) > EMU_ENG_KEEP_FINISHED + 64 ||
	    json_array_size(r->calls) % 64 == 0)
		prune_calls(r, now);
	size_t i;
	json_t *o;
	bool done = false;
	json_array_foreach(r->calls, i, o)
	{
		const char *s = json_string_value(json_object_get(o, "sid"));
		if (s && strcmp(s, sid) == 0) {
			/* date_updated moves only when something else did; a record keeps the
			 * time it was first seen finished (its retention counts from then) */
			json_t *fin = json_object_get(o, "_finished_at");
			if (fin && call_finished(copy))
				json_object_set(copy, "_finished_at", fin);
			json_object_set(copy, "date_updated", json_object_get(o, "date_updated"));
			if (!json_equal(copy, o))
				json_object_set_new(copy, "date_updated", json_string(date));
			json_array_set(r->calls, i, copy);
			done = true;
			break;
		}
	}
	if (!done) {
		json_object_set_new(copy, "date_updated", json_string(date));
		if (json_array_size(r->calls) >= EMU_REST_MAX_CALLS)
			rc = E2BIG;
		else
			json_array_append(r->calls, copy);
	}
	pthread_mutex_unlock(&r->lock);
	json_decref(copy);
	return rc;
}

int emu_rest_call_del(struct emu_rest *r, const char *call_sid)
{
	int rc = ENOENT;
	pthread_mutex_lock(&r->lock);
	size_t i;
	json_t *o;
	json_array_foreach(r->calls, i, o)
	{
		const char *s = json_string_value(json_object_get(o, "sid"));
		if (s && call_sid && strcmp(s, call_sid) == 0) {
			json_array_remove(r->calls, i);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

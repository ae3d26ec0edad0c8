/* emu_rest: the REST twin: Twilio's numbers, calls and trunks resources, auth, errors, faults. */
#include "emulator/rest.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "util/buf.h"
#include "util/mem.h"
#include "util/ids.h"

struct fault {
	int status;      /* 0 = stall only */
	int retry_after; /* seconds, -1 none */
	long stall_ms;
	int remaining;
};

struct emu_rest {
	char *account_sid, *auth_token, *key_sid, *key_secret;
	struct emu_rest_hooks hooks;
	pthread_mutex_t lock; /* guards everything below */
	json_t *numbers;      /* arrays of objects, in creation order */
	json_t *calls;
	json_t *trunks;
	struct fault fault;
};

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

static bool http_url(const char *s)
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

/* ---- form decoding ---- */

struct param {
	char *name, *value;
};

struct form {
	struct param p[EMU_REST_MAX_PARAMS];
	size_t n;
	bool too_many;
};

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
static bool form_utf8(const struct form *f)
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

static const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->p[i].name, name) == 0)
			return f->p[i].value;
	return NULL;
}

/* ---- answers ---- */

static void send_json(struct http_resp *resp, int status, json_t *j)
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

/* Twilio's error body: {"code","message","more_info","status"}. */
static int send_error(struct http_resp *resp, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int send_error(struct http_resp *resp, int status, int code, const char *fmt, ...)
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
	send_json(resp, status, j);
	json_decref(j);
	return status;
}

/* A copy of o without the private '_' keys. */
static json_t *public_copy(const json_t *o)
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

static json_t *find_by(json_t *arr, const char *key, const char *val)
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

/* ---- numbers ---- */

static json_t *number_new(struct emu_rest *r, const char *phone)
{
	char sid[35], date[40], uri[160], friendly[40];
	emu_rest_sid(sid, "PN");
	emu_rest_date_rfc2822(date);
	snprintf(uri, sizeof(uri), "/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json",
	         r->account_sid, sid);
	if (strncmp(phone, "+1", 2) == 0 && strlen(phone) == 12)
		snprintf(friendly, sizeof(friendly), "(%.3s) %.3s-%.4s", phone + 2, phone + 5,
		         phone + 8);
	else
		snprintf(friendly, sizeof(friendly), "%s", phone);
	json_t *n = json_object();
	json_object_set_new(n, "account_sid", json_string(r->account_sid));
	json_object_set_new(n, "address_sid", json_null());
	json_object_set_new(n, "address_requirements", json_string("none"));
	json_object_set_new(n, "api_version", json_string("2010-04-01"));
	json_object_set_new(n, "beta", json_false());
	json_object_set_new(
	    n, "capabilities",
	    json_pack("{s:b,s:b,s:b,s:b}", "voice", 1, "sms", 1, "mms", 1, "fax", 0));
	json_object_set_new(n, "date_created", json_string(date));
	json_object_set_new(n, "date_updated", json_string(date));
	json_object_set_new(n, "friendly_name", json_string(friendly));
	json_object_set_new(n, "identity_sid", json_null());
	json_object_set_new(n, "phone_number", json_string(phone));
	json_object_set_new(n, "origin", json_string("twilio"));
	json_object_set_new(n, "sid", json_string(sid));
	json_object_set_new(n, "sms_application_sid", json_string(""));
	json_object_set_new(n, "sms_fallback_method", json_string("POST"));
	json_object_set_new(n, "sms_fallback_url", json_string(""));
	json_object_set_new(n, "sms_method", json_string("POST"));
	json_object_set_new(n, "sms_url", json_string(""));
	json_object_set_new(n, "status_callback", json_string(""));
	json_object_set_new(n, "status_callback_method", json_string("POST"));
	json_object_set_new(n, "trunk_sid", json_null());
	json_object_set_new(n, "uri", json_string(uri));
	json_object_set_new(n, "voice_receive_mode", json_string("voice"));
	json_object_set_new(n, "voice_application_sid", json_null());
	json_object_set_new(n, "voice_caller_id_lookup", json_false());
	json_object_set_new(n, "voice_fallback_method", json_string("POST"));
	json_object_set_new(n, "voice_fallback_url", json_null());
	json_object_set_new(n, "voice_method", json_string("POST"));
	json_object_set_new(n, "voice_url", json_null());
	json_object_set_new(n, "emergency_status", json_string("Inactive"));
	json_object_set_new(n, "emergency_address_sid", json_null());
	json_object_set_new(n, "emergency_address_status", json_string("unregistered"));
	json_object_set_new(n, "bundle_sid", json_null());
	json_object_set_new(n, "status", json_string("in-use"));
	json_object_set_new(n, "type", json_string("local"));
	char sub[200];
	snprintf(sub, sizeof(sub),
	         "/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s/AssignedAddOns.json",
	         r->account_sid, sid);
	json_object_set_new(n, "subresource_uris", json_pack("{s:s}", "assigned_add_ons", sub));
	return n;
}

/* What a form field may be set to; the check answers Twilio's code. */
enum vkind { V_URL, V_METHOD, V_SID_AP, V_SID_TK, V_TEXT64, V_BOOL, V_ENUM };

struct field {
	const char *param; /* PascalCase */
	const char *key;   /* snake_case */
	enum vkind kind;
	int code; /* Twilio code on a bad value */
	const char *choices;
	bool null_when_empty;
};

static const struct field number_fields[] = {
    {"FriendlyName", "friendly_name", V_TEXT64, 20001, NULL, false},
    {"VoiceUrl", "voice_url", V_URL, 21402, NULL, false},
    {"VoiceMethod", "voice_method", V_METHOD, 21403, NULL, false},
    {"VoiceFallbackUrl", "voice_fallback_url", V_URL, 21402, NULL, false},
    {"VoiceFallbackMethod", "voice_fallback_method", V_METHOD, 21403, NULL, false},
    {"VoiceApplicationSid", "voice_application_sid", V_SID_AP, 20001, NULL, true},
    {"TrunkSid", "trunk_sid", V_SID_TK, 20001, NULL, true},
    {"VoiceCallerIdLookup", "voice_caller_id_lookup", V_BOOL, 20001, NULL, false},
    {"VoiceReceiveMode", "voice_receive_mode", V_ENUM, 20001, "voice fax", false},
    {"StatusCallback", "status_callback", V_URL, 21402, NULL, false},
    {"StatusCallbackMethod", "status_callback_method", V_METHOD, 21403, NULL, false},
    {"SmsUrl", "sms_url", V_URL, 21402, NULL, false},
    {"SmsMethod", "sms_method", V_METHOD, 21403, NULL, false},
    {"SmsFallbackUrl", "sms_fallback_url", V_URL, 21402, NULL, false},
    {"SmsFallbackMethod", "sms_fallback_method", V_METHOD, 21403, NULL, false},
    {"EmergencyStatus", "emergency_status", V_ENUM, 20001, "Active Inactive", false},
};

static const struct field trunk_fields[] = {
    {"FriendlyName", "friendly_name", V_TEXT64, 20001, NULL, false},
    {"TransferMode", "transfer_mode", V_ENUM, 20001, "disable-all enable-all sip-only", false},
    {"TransferCallerId", "transfer_caller_id", V_ENUM, 20001, "from-transferee from-transferor",
     false},
    {"DisasterRecoveryUrl", "disaster_recovery_url", V_URL, 21402, NULL, true},
    {"DisasterRecoveryMethod", "disaster_recovery_method", V_METHOD, 21403, NULL, false},
    {"Secure", "secure", V_BOOL, 20001, NULL, false},
    {"CnamLookupEnabled", "cnam_lookup_enabled", V_BOOL, 20001, NULL, false},
};

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
static int check_fields(struct emu_rest *r, const struct field *tab, size_t n, const struct form *f,
                        struct http_resp *resp)
{
	for (size_t i = 0; i < n; i++) {
		const struct field *fd = &tab[i];
		const char *v = form_get(f, fd->param);
		if (!v)
			continue;
		bool ok = true;
		switch (fd->kind) {
		case V_URL:
			ok = !*v || http_url(v);
			break;
		case V_METHOD:
			ok = strcasecmp(v, "GET") == 0 || strcasecmp(v, "POST") == 0;
			break;
		case V_SID_AP:
			ok = !*v || id_sid(v, "AP");
			break;
		case V_SID_TK:
			ok = !*v || (id_sid(v, "TK") && find_by(r->trunks, "sid", v));
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
			send_error(resp, 400, fd->code,
			           "%s is not valid. %s must be an http or https URL", fd->param,
			           fd->param);
			break;
		case V_METHOD:
			send_error(resp, 400, fd->code, "%s must be either GET or POST", fd->param);
			break;
		case V_SID_TK:
			send_error(resp, 400, fd->code, "%s %s is not a trunk of this account",
			           fd->param, v);
			break;
		case V_ENUM:
			send_error(resp, 400, fd->code, "%s must be one of: %s", fd->param,
			           fd->choices);
			break;
		default:
			send_error(resp, 400, fd->code, "%s is invalid", fd->param);
			break;
		}
		return EINVAL;
	}
	return 0;
}

static void apply_fields(json_t *o, const struct field *tab, size_t n, const struct form *f)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = form_get(f, tab[i].param);
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

/* Whether phone matches Twilio's PhoneNumber filter: a partial number, '*'
 * standing for one digit. */
static bool phone_match(const char *phone, const char *pat)
{
	size_t pl = strlen(phone), ql = strlen(pat);
	for (size_t start = 0; start + ql <= pl; start++) {
		size_t k = 0;
		while (k < ql &&
		       (pat[k] == phone[start + k] ||
		        (pat[k] == '*' && phone[start + k] >= '0' && phone[start + k] <= '9')))
			k++;
		if (k == ql)
			return true;
	}
	return false;
}

/* ---- paging ---- */

struct page {
	long size, page;
};

static int read_paging(const struct form *q, struct page *pg, struct http_resp *resp)
{
	pg->size = EMU_REST_DEF_PAGE_SIZE;
	pg->page = 0;
	const char *s = form_get(q, "PageSize");
	const char *p = form_get(q, "Page");
	char *end;
	if (s) {
		pg->size = strtol(s, &end, 10);
		if (*end || pg->size < 1 || pg->size > EMU_REST_MAX_PAGE_SIZE) {
			send_error(resp, 400, 20001, "PageSize must be between 1 and %d",
			           EMU_REST_MAX_PAGE_SIZE);
			return EINVAL;
		}
	}
	if (p) {
		pg->page = strtol(p, &end, 10);
		if (*end || pg->page < 0 || pg->page > 1000000) {
			send_error(resp, 400, 20001, "Page must be a non-negative integer");
			return EINVAL;
		}
	}
	return 0;
}

/* Appends the filters (already validated) to a page URI. */
static void add_filters(struct buf *b, const struct form *q, const char *const *names)
{
	for (const char *const *n = names; *n; n++) {
		const char *v = form_get(q, *n);
		if (!v)
			continue;
		buf_printf(b, "&%s=", *n);
		for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
			if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.')
				buf_addc(b, (char)*p);
			else
				buf_printf(b, "%%%02X", *p);
		}
	}
}

static json_t *page_uri(const char *base, const struct form *q, const char *const *filters,
                        long size, long page, const char *token)
{
	struct buf b;
	buf_init(&b, 8192);
	buf_printf(&b, "%s?PageSize=%ld&Page=%ld", base, size, page);
	add_filters(&b, q, filters);
	if (token)
		buf_printf(&b, "&PageToken=PA%s", token);
	json_t *s = json_string(buf_str(&b));
	buf_free(&b);
	return s;
}

/* The v2010 envelope around matching items of arr. Caller holds the lock. */
static json_t *list_2010(json_t *arr, const char *key, const char *base, const struct form *q,
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
		json_array_append_new(items, public_copy(o));
		last = json_string_value(json_object_get(o, "sid"));
	}
	long n = (long)json_array_size(items);
	json_t *env = json_object();
	json_object_set_new(env, "first_page_uri", page_uri(base, q, filters, pg->size, 0, NULL));
	json_object_set_new(env, "end", json_integer(n ? skip + n - 1 : skip));
	json_object_set_new(env, "next_page_uri",
	                    more ? page_uri(base, q, filters, pg->size, pg->page + 1, last + 2)
	                         : json_null());
	json_object_set_new(env, "page", json_integer(pg->page));
	json_object_set_new(env, "page_size", json_integer(pg->size));
	json_object_set_new(env, "previous_page_uri",
	                    pg->page > 0 ? page_uri(base, q, filters, pg->size, pg->page - 1, NULL)
	                                 : json_null());
	json_object_set_new(env, "start", json_integer(skip));
	json_object_set_new(env, "uri", page_uri(base, q, filters, pg->size, pg->page, NULL));
	json_object_set_new(env, key, items);
	return env;
}

static bool number_match(const json_t *o, const struct form *q)
{
	const char *pat = form_get(q, "PhoneNumber");
	const char *fn = form_get(q, "FriendlyName");
	if (pat && !phone_match(json_string_value(json_object_get(o, "phone_number")), pat))
		return false;
	if (fn && strcmp(json_string_value(json_object_get(o, "friendly_name")), fn) != 0)
		return false;
	return true;
}

static bool call_match(const json_t *o, const struct form *q)
{
	static const char *const map[][2] = {{"ParentCallSid", "parent_call_sid"},
	                                     {"Status", "status"},
	                                     {"To", "to"},
	                                     {"From", "from"}};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const char *want = form_get(q, map[i][0]);
		if (!want)
			continue;
		const char *got = json_string_value(json_object_get(o, map[i][1]));
		if (!got || strcmp(got, want) != 0)
			return false;
	}
	return true;
}

/* ---- the request context ---- */

struct ctx {
	struct emu_rest *r;
	const struct http_req *req;
	struct http_resp *resp;
	struct form q;    /* query parameters */
	struct form body; /* form body */
	const char *cap[2];
	char caps[2][64];
};

typedef int (*route_fn)(struct ctx *c);

static int numbers_list(struct ctx *c)
{
	struct emu_rest *r = c->r;
	static const char *const filters[] = {"PhoneNumber", "FriendlyName", NULL};
	struct page pg;
	if (read_paging(&c->q, &pg, c->resp))
		return 0;
	char base[160];
	snprintf(base, sizeof(base), "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json",
	         r->account_sid);
	pthread_mutex_lock(&r->lock);
	json_t *env = list_2010(r->numbers, "incoming_phone_numbers", base, &c->q, filters, &pg,
	                        number_match);
	pthread_mutex_unlock(&r->lock);
	send_json(c->resp, 200, env);
	json_decref(env);
	return 0;
}

static int numbers_create(struct ctx *c)
{
	struct emu_rest *r = c->r;
	const char *phone = form_get(&c->body, "PhoneNumber");
	if (!phone || !id_e164(phone)) {
		send_error(c->resp, 400, 21401, "PhoneNumber %s is not a valid phone number",
		           phone ? phone : "(missing)");
		return 0;
	}
	pthread_mutex_lock(&r->lock);
	if (check_fields(r, number_fields, sizeof(number_fields) / sizeof(number_fields[0]),
	                 &c->body, c->resp))
		goto out;
	if (find_by(r->numbers, "phone_number", phone)) {
		send_error(c->resp, 400, 21422, "PhoneNumber %s is already provisioned", phone);
		goto out;
	}
	if (json_array_size(r->numbers) >= EMU_REST_MAX_NUMBERS) {
		send_error(c->resp, 400, 21452, "no more than %d numbers", EMU_REST_MAX_NUMBERS);
		goto out;
	}
	json_t *n = number_new(r, phone);
	apply_fields(n, number_fields, sizeof(number_fields) / sizeof(number_fields[0]), &c->body);
	json_array_append(r->numbers, n);
	json_t *pub = public_copy(n);
	json_decref(n);
	pthread_mutex_unlock(&r->lock);
	send_json(c->resp, 201, pub);
	json_decref(pub);
	return 0;
out:
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static int not_found(struct ctx *c)
{
	send_error(c->resp, 404, 20404, "The requested resource %s was not found", c->req->path);
	return 0;
}

static int number_one(struct ctx *c)
{
	struct emu_rest *r = c->r;
	const char *method = c->req->method;
	pthread_mutex_lock(&r->lock);
	json_t *n = find_by(r->numbers, "sid", c->cap[1]);
	if (!n) {
		pthread_mutex_unlock(&r->lock);
		not_found(c);
		return 0;
	}
	if (strcmp(method, "DELETE") == 0) {
		size_t i;
		json_t *o;
		json_array_foreach(r->numbers, i, o)
		{
			if (o == n) {
				json_array_remove(r->numbers, i);
				break;
			}
		}
		pthread_mutex_unlock(&r->lock);
		c->resp->status = 204;
		return 0;
	}
	if (strcmp(method, "POST") == 0) {
		if (check_fields(r, number_fields, sizeof(number_fields) / sizeof(number_fields[0]),
		                 &c->body, c->resp)) {
			pthread_mutex_unlock(&r->lock);
			return 0;
		}
		const char *fb = form_get(&c->body, "VoiceFallbackUrl");
		const char *vu = form_get(&c->body, "VoiceUrl");
		const char *cur = json_string_value(json_object_get(n, "voice_url"));
		if (fb && *fb && !(vu ? *vu : cur && *cur)) {
			pthread_mutex_unlock(&r->lock);
			send_error(c->resp, 400, 21405,
			           "VoiceFallbackUrl cannot be set without a VoiceUrl");
			return 0;
		}
		apply_fields(n, number_fields, sizeof(number_fields) / sizeof(number_fields[0]),
		             &c->body);
		char date[40];
		emu_rest_date_rfc2822(date);
		json_object_set_new(n, "date_updated", json_string(date));
	}
	json_t *pub = public_copy(n);
	pthread_mutex_unlock(&r->lock);
	send_json(c->resp, 200, pub);
	json_decref(pub);
	return 0;
}

static int account_one(struct ctx *c)
{
	struct emu_rest *r = c->r;
	char date[40], uri[120];
	emu_rest_date_rfc2822(date);
	snprintf(uri, sizeof(uri), "/2010-04-01/Accounts/%s.json", r->account_sid);
	json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "sid", r->account_sid,
	                      "owner_account_sid", r->account_sid, "friendly_name",
	                      "handoff emulator", "status", "active", "type", "Full",
	                      "date_created", date, "date_updated", date, "uri", uri);
	send_json(c->resp, 200, a);
	json_decref(a);
	return 0;
}

static int calls_list(struct ctx *c)
{
	struct emu_rest *r = c->r;
	static const char *const filters[] = {"ParentCallSid", "Status", "To", "From", NULL};
	struct page pg;
	if (read_paging(&c->q, &pg, c->resp))
		return 0;
	char base[160];
	snprintf(base, sizeof(base), "/2010-04-01/Accounts/%s/Calls.json", r->account_sid);
	pthread_mutex_lock(&r->lock);
	json_t *env = list_2010(r->calls, "calls", base, &c->q, filters, &pg, call_match);
	pthread_mutex_unlock(&r->lock);
	send_json(c->resp, 200, env);
	json_decref(env);
	return 0;
}

json_t *emu_rest_call_new(struct emu_rest *r, const char *from, const char *to,
                          const char *direction, const char *parent_sid)
{
	char sid[35], date[40], uri[160];
	emu_rest_sid(sid, "CA");
	emu_rest_date_rfc2822(date);
	snprintf(uri, sizeof(uri), "/2010-04-01/Accounts/%s/Calls/%s.json", r->account_sid, sid);
	json_t *o = json_object();
	json_object_set_new(o, "sid", json_string(sid));
	json_object_set_new(o, "account_sid", json_string(r->account_sid));
	json_object_set_new(o, "api_version", json_string("2010-04-01"));
	json_object_set_new(o, "to", json_string(to));
	json_object_set_new(o, "to_formatted", json_string(to));
	json_object_set_new(o, "from", json_string(from));
	json_object_set_new(o, "from_formatted", json_string(from));
	json_object_set_new(o, "status", json_string("queued"));
	json_object_set_new(o, "direction", json_string(direction));
	json_object_set_new(o, "parent_call_sid",
	                    parent_sid ? json_string(parent_sid) : json_null());
	json_object_set_new(o, "date_created", json_string(date));
	json_object_set_new(o, "date_updated", json_string(date));
	json_object_set_new(o, "start_time", json_null());
	json_object_set_new(o, "end_time", json_null());
	json_object_set_new(o, "duration", json_null());
	json_object_set_new(o, "price", json_null());
	json_object_set_new(o, "price_unit", json_string("USD"));
	json_object_set_new(o, "answered_by", json_null());
	json_object_set_new(o, "caller_name", json_null());
	json_object_set_new(o, "forwarded_from", json_null());
	json_object_set_new(o, "group_sid", json_null());
	json_object_set_new(o, "phone_number_sid", json_null());
	json_object_set_new(o, "queue_time", json_string("0"));
	json_object_set_new(o, "trunk_sid", json_null());
	json_object_set_new(o, "uri", json_string(uri));
	return o;
}

static bool call_party(const char *s, bool to)
{
	if (id_e164(s))
		return true;
	if (strncmp(s, "client:", 7) == 0 && s[7] && strlen(s) <= 7 + 256)
		return true;
	return to && (strncmp(s, "sip:", 4) == 0 || strncmp(s, "sips:", 5) == 0) && strlen(s) < 255;
}

static int calls_create(struct ctx *c)
{
	struct emu_rest *r = c->r;
	const struct form *f = &c->body;
	const char *to = form_get(f, "To"), *from = form_get(f, "From");
	const char *url = form_get(f, "Url"), *twiml = form_get(f, "Twiml");
	const char *method = form_get(f, "Method");
	if (!to || !*to)
		return send_error(c->resp, 400, 21201, "No 'To' number is specified");
	if (!call_party(to, true))
		return send_error(c->resp, 400, 21211, "Invalid 'To' Phone Number: %s", to);
	if (!from || !*from)
		return send_error(c->resp, 400, 21213, "No 'From' number is specified");
	if (!call_party(from, false))
		return send_error(c->resp, 400, 21212, "Invalid 'From' Phone Number: %s", from);
	if ((!url || !*url) && (!twiml || !*twiml))
		return send_error(c->resp, 400, 21205, "Either Url or Twiml is required");
	if (url && *url && !http_url(url))
		return send_error(c->resp, 400, 21205, "Url is not a valid URL: %s", url);
	if (twiml && strlen(twiml) > EMU_REST_MAX_TWIML)
		return send_error(c->resp, 400, 32018, "Twiml is longer than %d characters",
		                  EMU_REST_MAX_TWIML);
	if (method && strcasecmp(method, "GET") != 0 && strcasecmp(method, "POST") != 0)
		return send_error(c->resp, 400, 21403, "Method must be either GET or POST");
	const char *sc = form_get(f, "StatusCallback");
	if (sc && *sc && !http_url(sc))
		return send_error(c->resp, 400, 21609, "StatusCallback is not a valid URL: %s", sc);

	json_t *o = emu_rest_call_new(r, from, to, "outbound-api", NULL);
	if (url && *url)
		json_object_set_new(o, "_url", json_string(url));
	if (twiml && *twiml)
		json_object_set_new(o, "_twiml", json_string(twiml));
	json_object_set_new(o, "_method",
	                    json_string(method && strcasecmp(method, "GET") == 0 ? "GET" : "POST"));
	if (sc && *sc)
		json_object_set_new(o, "_status_callback", json_string(sc));
	/* StatusCallbackEvent may repeat (initiated, ringing, answered, completed) */
	char events[128] = "";
	for (size_t i = 0; i < f->n; i++) {
		const char *ev = f->p[i].value;
		if (strcmp(f->p[i].name, "StatusCallbackEvent") != 0)
			continue;
		if (strcmp(ev, "initiated") && strcmp(ev, "ringing") && strcmp(ev, "answered") &&
		    strcmp(ev, "completed")) {
			json_decref(o);
			return send_error(
			    c->resp, 400, 20001,
			    "StatusCallbackEvent must be initiated, ringing, answered or "
			    "completed");
		}
		if (strlen(events) + strlen(ev) + 2 < sizeof(events))
			snprintf(events + strlen(events), sizeof(events) - strlen(events), "%s%s",
			         events[0] ? " " : "", ev);
	}
	if (events[0])
		json_object_set_new(o, "_status_callback_event", json_string(events));
	const char *scm = form_get(f, "StatusCallbackMethod");
	if (scm)
		json_object_set_new(o, "_status_callback_method",
		                    json_string(strcasecmp(scm, "GET") == 0 ? "GET" : "POST"));
	int rc = emu_rest_call_put(r, o);
	if (rc) {
		json_decref(o);
		return send_error(c->resp, 429, 20429, "no more than %d calls", EMU_REST_MAX_CALLS);
	}
	if (r->hooks.call_created)
		r->hooks.call_created(r->hooks.ctx, json_string_value(json_object_get(o, "sid")),
		                      o);
	/* Twilio answers the call as created ("queued"); it runs afterwards */
	json_t *pub = public_copy(o);
	send_json(c->resp, 201, pub);
	json_decref(pub);
	json_decref(o);
	return 0;
}

static int call_one(struct ctx *c)
{
	json_t *o = emu_rest_call_get(c->r, c->cap[1]);
	if (!o)
		return not_found(c);
	json_t *pub = public_copy(o);
	send_json(c->resp, 200, pub);
	json_decref(pub);
	json_decref(o);
	return 0;
}

/* ---- trunks (v1) ---- */

/* scheme://host of the request, for v1's absolute URLs. */
static void origin(const struct ctx *c, char *out, size_t outlen)
{
	const char *host = http_req_header(c->req, "Host");
	if (host && *host && strlen(host) < 200 &&
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
	        strlen(host))
		snprintf(out, outlen, "%s://%s", c->req->is_tls ? "https" : "http", host);
	else
		snprintf(out, outlen, "http://127.0.0.1:%d", c->req->local_port);
}

static json_t *trunk_public(const struct ctx *c, const json_t *t)
{
	char o[256], url[400], link[450];
	origin(c, o, sizeof(o));
	const char *sid = json_string_value(json_object_get(t, "sid"));
	json_t *p = public_copy(t);
	snprintf(url, sizeof(url), "%s/v1/Trunks/%s", o, sid);
	json_object_set_new(p, "url", json_string(url));
	json_t *links = json_object();
	static const char *const subs[][2] = {{"origination_urls", "OriginationUrls"},
	                                      {"credential_lists", "CredentialLists"},
	                                      {"ip_access_control_lists", "IpAccessControlLists"},
	                                      {"phone_numbers", "PhoneNumbers"},
	                                      {"recording", "Recording"}};
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(link, sizeof(link), "%s/%s", url, subs[i][1]);
		json_object_set_new(links, subs[i][0], json_string(link));
	}
	json_object_set_new(p, "links", links);
	return p;
}

static int trunks_list(struct ctx *c)
{
	struct emu_rest *r = c->r;
	struct page pg;
	if (read_paging(&c->q, &pg, c->resp))
		return 0;
	char o[256], u[512];
	origin(c, o, sizeof(o));
	json_t *items = json_array();
	pthread_mutex_lock(&r->lock);
	size_t total = json_array_size(r->trunks);
	size_t start = (size_t)(pg.page * pg.size);
	for (size_t i = start; i < total && i < start + (size_t)pg.size; i++)
		json_array_append_new(items, trunk_public(c, json_array_get(r->trunks, i)));
	const char *last = json_array_size(items)
	                       ? json_string_value(json_object_get(
	                             json_array_get(items, json_array_size(items) - 1), "sid"))
	                       : NULL;
	bool more = start + (size_t)pg.size < total;
	pthread_mutex_unlock(&r->lock);
	json_t *meta = json_object();
	snprintf(u, sizeof(u), "%s/v1/Trunks?PageSize=%ld&Page=0", o, pg.size);
	json_object_set_new(meta, "first_page_url", json_string(u));
	json_object_set_new(meta, "key", json_string("trunks"));
	if (more && last) {
		snprintf(u, sizeof(u), "%s/v1/Trunks?PageSize=%ld&Page=%ld&PageToken=PA%s", o,
		         pg.size, pg.page + 1, last + 2);
		json_object_set_new(meta, "next_page_url", json_string(u));
	} else {
		json_object_set_new(meta, "next_page_url", json_null());
	}
	json_object_set_new(meta, "page", json_integer(pg.page));
	json_object_set_new(meta, "page_size", json_integer(pg.size));
	if (pg.page > 0) {
		snprintf(u, sizeof(u), "%s/v1/Trunks?PageSize=%ld&Page=%ld", o, pg.size,
		         pg.page - 1);
		json_object_set_new(meta, "previous_page_url", json_string(u));
	} else {
		json_object_set_new(meta, "previous_page_url", json_null());
	}
	snprintf(u, sizeof(u), "%s/v1/Trunks?PageSize=%ld&Page=%ld", o, pg.size, pg.page);
	json_object_set_new(meta, "url", json_string(u));
	json_t *env = json_pack("{s:o,s:o}", "trunks", items, "meta", meta);
	send_json(c->resp, 200, env);
	json_decref(env);
	return 0;
}

static int trunks_create(struct ctx *c)
{
	struct emu_rest *r = c->r;
	const char *domain = form_get(&c->body, "DomainName");
	if (domain && *domain) {
		size_t n = strlen(domain), sfx = strlen(".pstn.twilio.com");
		if (n <= sfx || n > 255 || strcmp(domain + n - sfx, ".pstn.twilio.com") != 0)
			return send_error(c->resp, 400, 21245,
			                  "DomainName must end with pstn.twilio.com");
	}
	pthread_mutex_lock(&r->lock);
	if (check_fields(r, trunk_fields, sizeof(trunk_fields) / sizeof(trunk_fields[0]), &c->body,
	                 c->resp)) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	if (domain && *domain && find_by(r->trunks, "domain_name", domain)) {
		pthread_mutex_unlock(&r->lock);
		return send_error(c->resp, 409, 21248, "DomainName %s is already taken", domain);
	}
	if (json_array_size(r->trunks) >= EMU_REST_MAX_TRUNKS) {
		pthread_mutex_unlock(&r->lock);
		return send_error(c->resp, 400, 21244, "no more than %d trunks",
		                  EMU_REST_MAX_TRUNKS);
	}
	char sid[35], date[40];
	emu_rest_sid(sid, "TK");
	emu_rest_date_iso8601(date);
	json_t *t = json_object();
	json_object_set_new(t, "sid", json_string(sid));
	json_object_set_new(t, "account_sid", json_string(r->account_sid));
	json_object_set_new(t, "domain_name",
	                    domain && *domain ? json_string(domain) : json_null());
	json_object_set_new(t, "disaster_recovery_method", json_string("POST"));
	json_object_set_new(t, "disaster_recovery_url", json_null());
	json_object_set_new(t, "friendly_name", json_string(""));
	json_object_set_new(t, "secure", json_false());
	json_object_set_new(t, "recording",
	                    json_pack("{s:s,s:s}", "mode", "do-not-record", "trim", "do-not-trim"));
	json_object_set_new(t, "transfer_mode", json_string("disable-all"));
	json_object_set_new(t, "transfer_caller_id", json_string("from-transferee"));
	json_object_set_new(t, "cnam_lookup_enabled", json_false());
	json_object_set_new(t, "auth_type", json_string(""));
	json_object_set_new(t, "symmetric_rtp_enabled", json_false());
	json_object_set_new(t, "auth_type_set", json_array());
	json_object_set_new(t, "date_created", json_string(date));
	json_object_set_new(t, "date_updated", json_string(date));
	apply_fields(t, trunk_fields, sizeof(trunk_fields) / sizeof(trunk_fields[0]), &c->body);
	json_array_append(r->trunks, t);
	json_t *pub = trunk_public(c, t);
	json_decref(t);
	pthread_mutex_unlock(&r->lock);
	send_json(c->resp, 201, pub);
	json_decref(pub);
	return 0;
}

static int trunk_one(struct ctx *c)
{
	struct emu_rest *r = c->r;
	pthread_mutex_lock(&r->lock);
	json_t *t = find_by(r->trunks, "sid", c->cap[0]);
	if (!t) {
		pthread_mutex_unlock(&r->lock);
		return not_found(c);
	}
	if (strcmp(c->req->method, "DELETE") == 0) {
		size_t i;
		json_t *o;
		json_array_foreach(r->trunks, i, o)
		{
			if (o == t) {
				json_array_remove(r->trunks, i);
				break;
			}
		}
		pthread_mutex_unlock(&r->lock);
		c->resp->status = 204;
		return 0;
	}
	if (strcmp(c->req->method, "POST") == 0) {
		if (check_fields(r, trunk_fields, sizeof(trunk_fields) / sizeof(trunk_fields[0]),
		                 &c->body, c->resp)) {
			pthread_mutex_unlock(&r->lock);
			return 0;
		}
		apply_fields(t, trunk_fields, sizeof(trunk_fields) / sizeof(trunk_fields[0]),
		             &c->body);
		char date[40];
		emu_rest_date_iso8601(date);
		json_object_set_new(t, "date_updated", json_string(date));
	}
	json_t *pub = trunk_public(c, t);
	pthread_mutex_unlock(&r->lock);
	send_json(c->resp, 200, pub);
	json_decref(pub);
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
    {"GET", "/2010-04-01/Accounts/*.json", account_one, NULL, NULL},
    {"GET POST", "/2010-04-01/Accounts/*/IncomingPhoneNumbers.json", numbers_list, numbers_create,
     NULL},
    {"GET POST DELETE", "/2010-04-01/Accounts/*/IncomingPhoneNumbers/*.json", number_one,
     number_one, number_one},
    {"GET POST", "/2010-04-01/Accounts/*/Calls.json", calls_list, calls_create, NULL},
    {"GET", "/2010-04-01/Accounts/*/Calls/*.json", call_one, NULL, NULL},
    {"GET POST", "/v1/Trunks", trunks_list, trunks_create, NULL},
    {"GET POST DELETE", "/v1/Trunks/*", trunk_one, trunk_one, trunk_one},
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
	const char *st = form_get(&f, "Status"), *cnt = form_get(&f, "Count");
	const char *ra = form_get(&f, "RetryAfter"), *stall = form_get(&f, "StallMs");
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
		return send_error(resp, 400, 20001, "Status must be 429, 500, 502, 503 or 504");
	if (!nf.status && nf.stall_ms <= 0)
		return send_error(resp, 400, 20001, "give Status or StallMs");
	if (nf.remaining < 0 || nf.remaining > EMU_REST_MAX_FAULTS)
		return send_error(resp, 400, 20001, "Count must be 0..%d", EMU_REST_MAX_FAULTS);
	if (nf.stall_ms < 0 || nf.stall_ms > EMU_REST_MAX_STALL_MS)
		return send_error(resp, 400, 20001, "StallMs must be 0..%d", EMU_REST_MAX_STALL_MS);
	if (nf.retry_after > EMU_REST_MAX_RETRY_AFTER)
		return send_error(resp, 400, 20001, "RetryAfter must be 0..%d",
		                  EMU_REST_MAX_RETRY_AFTER);
	pthread_mutex_lock(&r->lock);
	r->fault = nf;
	pthread_mutex_unlock(&r->lock);
	json_t *j = json_pack("{s:i,s:i,s:i,s:I}", "status", nf.status, "count", nf.remaining,
	                      "retry_after", nf.retry_after, "stall_ms", (json_int_t)nf.stall_ms);
	send_json(resp, 200, j);
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
			return send_error(resp, 405, 20004, "Method not allowed");
		return faults_post(r, req, resp);
	}
	if (strncmp(req->path, "/emulator/", 10) == 0) {
		if (r->hooks.control && r->hooks.control(r->hooks.ctx, req, resp) != ENOENT)
			return resp->status;
		return send_error(resp, 404, 20404, "The requested resource %s was not found",
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
			return send_error(resp, f.status, code, "%s (injected fault)",
			                  http_status_text(f.status));
		}
	}
	if (!authorized(r, req)) {
		http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"Twilio API\"");
		return send_error(resp, 401, 20003, "Authentication Error - invalid username");
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
		return send_error(resp, 404, 20404, "The requested resource %s was not found",
		                  req->path);
	if (strncmp(req->path, "/2010-04-01/", 12) == 0 && strcmp(c.cap[0], r->account_sid) != 0)
		return send_error(resp, 404, 20404, "The requested resource %s was not found",
		                  req->path);
	route_fn fn = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ? rt->get
	              : strcmp(req->method, "POST") == 0                                  ? rt->post
	              : strcmp(req->method, "DELETE") == 0                                ? rt->del
	                                                                                  : NULL;
	if (!fn) {
		http_resp_header(resp, "Allow", rt->methods);
		return send_error(resp, 405, 20004, "Method %s not allowed on %s", req->method,
		                  req->path);
	}
	if (req->query)
		form_parse(&c.q, req->query, strlen(req->query));
	if (strcmp(req->method, "POST") == 0)
		form_parse(&c.body, req->body, req->body_len);
	if (c.q.too_many || c.body.too_many)
		send_error(resp, 400, 20001, "more than %d parameters", EMU_REST_MAX_PARAMS);
	else if (!form_utf8(&c.q) || !form_utf8(&c.body))
		send_error(resp, 400, 20001, "parameters must be UTF-8 text");
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
	for (unsigned i = 0; i < cfg->seed_numbers; i++) {
		char phone[20];
		snprintf(phone, sizeof(phone), "+1415555%04u", 100 + i);
		json_array_append_new(r->numbers, number_new(r, phone));
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
	json_t *o = val ? find_by(arr, key, val) : NULL;
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

int emu_rest_call_put(struct emu_rest *r, const json_t *call)
{
	const char *sid = json_string_value(json_object_get(call, "sid"));
	if (!id_sid(sid, "CA"))
		return EINVAL;
	json_t *copy = json_deep_copy(call);
	char date[40];
	emu_rest_date_rfc2822(date);
	json_object_set_new(copy, "date_updated", json_string(date));
	int rc = 0;
	pthread_mutex_lock(&r->lock);
	size_t i;
	json_t *o;
	bool done = false;
	json_array_foreach(r->calls, i, o)
	{
		const char *s = json_string_value(json_object_get(o, "sid"));
		if (s && strcmp(s, sid) == 0) {
			json_array_set(r->calls, i, copy);
			done = true;
			break;
		}
	}
	if (!done) {
		if (json_array_size(r->calls) >= EMU_REST_MAX_CALLS)
			rc = E2BIG;
		else
			json_array_append(r->calls, copy);
	}
	pthread_mutex_unlock(&r->lock);
	json_decref(copy);
	return rc;
}

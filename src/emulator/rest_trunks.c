/* rest_trunks: Elastic SIP Trunking's v1 Trunks resource (list, create, fetch, update,
 * delete) with its transfer settings. */
#include "emulator/rest_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/ids.h"
#include "util/mem.h"

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
	json_t *p = rest_public_copy(t);
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

int rest_trunks_list(struct ctx *c)
{
	struct emu_rest *r = c->r;
	struct page pg;
	if (rest_read_paging(&c->q, &pg, c->resp))
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
	struct buf self;
	buf_init(&self, sizeof(u) + 1024);
	buf_printf(&self, "%s/v1/Trunks?PageSize=%ld&Page=%ld", o, pg.size, pg.page);
	const char *tok = rest_form_get(&c->q, "PageToken"); /* the page keeps what it was asked */
	if (tok)
		rest_add_query(&self, "PageToken", tok);
	json_object_set_new(meta, "url", json_string(buf_str(&self)));
	buf_free(&self);
	json_t *env = json_pack("{s:o,s:o}", "trunks", items, "meta", meta);
	rest_send_json(c->resp, 200, env);
	json_decref(env);
	return 0;
}

int rest_trunks_create(struct ctx *c)
{
	struct emu_rest *r = c->r;
	const char *domain = rest_form_get(&c->body, "DomainName");
	if (domain && *domain) {
		size_t n = strlen(domain), sfx = strlen(".pstn.twilio.com");
		if (n <= sfx || n > 255 || strcmp(domain + n - sfx, ".pstn.twilio.com") != 0)
			return rest_send_error(c->resp, 400, 21245,
			                       "DomainName must end with pstn.twilio.com");
	}
	pthread_mutex_lock(&r->lock);
	if (rest_check_fields(r, trunk_fields, sizeof(trunk_fields) / sizeof(trunk_fields[0]),
	                      &c->body, c->resp)) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	if (domain && *domain && rest_find_by(r->trunks, "domain_name", domain)) {
		pthread_mutex_unlock(&r->lock);
		return rest_send_error(c->resp, 409, 21248, "DomainName %s is already taken",
		                       domain);
	}
	if (json_array_size(r->trunks) >= EMU_REST_MAX_TRUNKS) {
		pthread_mutex_unlock(&r->lock);
		return rest_send_error(c->resp, 400, 21244, "no more than %d trunks",
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
	rest_apply_fields(t, trunk_fields, sizeof(trunk_fields) / sizeof(trunk_fields[0]),
	                  &c->body);
	json_array_append(r->trunks, t);
	json_t *pub = trunk_public(c, t);
	json_decref(t);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 201, pub);
	json_decref(pub);
	return 0;
}

int rest_trunk_one(struct ctx *c)
{
	struct emu_rest *r = c->r;
	pthread_mutex_lock(&r->lock);
	json_t *t = rest_find_by(r->trunks, "sid", c->cap[0]);
	if (!t) {
		pthread_mutex_unlock(&r->lock);
		return rest_not_found(c);
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
		if (rest_check_fields(r, trunk_fields,
		                      sizeof(trunk_fields) / sizeof(trunk_fields[0]), &c->body,
		                      c->resp)) {
			pthread_mutex_unlock(&r->lock);
			return 0;
		}
		rest_apply_fields(t, trunk_fields, sizeof(trunk_fields) / sizeof(trunk_fields[0]),
		                  &c->body);
		char date[40];
		emu_rest_date_iso8601(date);
		json_object_set_new(t, "date_updated", json_string(date));
	}
	json_t *pub = trunk_public(c, t);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 200, pub);
	json_decref(pub);
	return 0;
}

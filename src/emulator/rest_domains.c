/* rest_domains: the SIP Domains resource (list, create, fetch, update, delete) whose Voice URL
 * an INVITE to NAME.sip.twilio.com runs. */
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

static const struct field domain_fields[] = {
    {"FriendlyName", "friendly_name", V_TEXT64, 20001, NULL, false},
    {"VoiceUrl", "voice_url", V_URL, 21402, NULL, true},
    {"VoiceMethod", "voice_method", V_METHOD, 21403, NULL, false},
    {"VoiceFallbackUrl", "voice_fallback_url", V_URL, 21402, NULL, true},
    {"VoiceFallbackMethod", "voice_fallback_method", V_METHOD, 21403, NULL, false},
    {"VoiceStatusCallbackUrl", "voice_status_callback_url", V_URL, 21402, NULL, true},
    {"VoiceStatusCallbackMethod", "voice_status_callback_method", V_METHOD, 21403, NULL, false},
    {"SipRegistration", "sip_registration", V_BOOL, 20001, NULL, false},
    {"EmergencyCallingEnabled", "emergency_calling_enabled", V_BOOL, 20001, NULL, false},
    {"Secure", "secure", V_BOOL, 20001, NULL, false},
};
#define NFIELDS (sizeof(domain_fields) / sizeof(domain_fields[0]))

bool rest_domain_name_ok(const char *name)
{
	static const char sfx[] = ".sip.twilio.com";
	size_t n = strlen(name), ns = sizeof(sfx) - 1;
	if (n <= ns || n > EMU_REST_MAX_DOMAIN_NAME || strcasecmp(name + n - ns, sfx) != 0)
		return false;
	/* the label(s) before the suffix: letters, digits and '-' (Twilio's rule), dots between */
	for (size_t i = 0; i < n - ns; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		             (ch >= '0' && ch <= '9');
		if (!alnum && ch != '-' && !(ch == '.' && i > 0 && name[i - 1] != '.'))
			return false;
	}
	return name[n - ns - 1] != '.' && name[0] != '-';
}

/* Refuses a DomainName that is not NAME.sip.twilio.com, or another domain's. Twilio's code
 * for a bad or taken SIP domain name is not documented apart from 21231 ("Domain Validation
 * Error": a parameter of a SIP domain's create or update was incorrect); the emulator answers
 * 21231 for both, 400 (an assumption, see README). Caller holds the lock; 0 or EINVAL. */
static int check_name(struct ctx *c, const char *name, const json_t *self)
{
	if (!rest_domain_name_ok(name)) {
		rest_send_error(c->resp, 400, 21231,
		                "DomainName %s is not valid: letters, digits and '-', ending in "
		                ".sip.twilio.com",
		                name);
		return EINVAL;
	}
	size_t i;
	json_t *o;
	json_array_foreach(c->r->domains, i, o)
	{
		const char *s = json_string_value(json_object_get(o, "domain_name"));
		if (o != self && s && strcasecmp(s, name) == 0) {
			rest_send_error(c->resp, 400, 21231, "DomainName %s is already taken",
			                name);
			return EINVAL;
		}
	}
	return 0;
}

static json_t *domain_new(struct emu_rest *r, const char *name)
{
	char sid[35], date[40], uri[200], sub[260];
	emu_rest_sid(sid, "SD");
	emu_rest_date_rfc2822(date);
	snprintf(uri, sizeof(uri), "/2010-04-01/Accounts/%s/SIP/Domains/%s", r->account_sid, sid);
	json_t *d = json_object();
	json_object_set_new(d, "account_sid", json_string(r->account_sid));
	json_object_set_new(d, "api_version", json_string("2010-04-01"));
	json_object_set_new(d, "auth_type", json_string("")); /* no ACL or credential mapped */
	json_object_set_new(d, "date_created", json_string(date));
	json_object_set_new(d, "date_updated", json_string(date));
	json_object_set_new(d, "domain_name", json_string(name));
	json_object_set_new(d, "friendly_name", json_string(name));
	json_object_set_new(d, "sid", json_string(sid));
	json_t *subs = json_object();
	snprintf(sub, sizeof(sub), "%s/CredentialListMappings.json", uri);
	json_object_set_new(subs, "credential_list_mappings", json_string(sub));
	snprintf(sub, sizeof(sub), "%s/IpAccessControlListMappings.json", uri);
	json_object_set_new(subs, "ip_access_control_list_mappings", json_string(sub));
	json_object_set_new(d, "subresource_uris", subs);
	snprintf(sub, sizeof(sub), "%s.json", uri);
	json_object_set_new(d, "uri", json_string(sub));
	json_object_set_new(d, "voice_fallback_method", json_string("POST"));
	json_object_set_new(d, "voice_fallback_url", json_null());
	json_object_set_new(d, "voice_method", json_string("POST"));
	json_object_set_new(d, "voice_status_callback_method", json_string("POST"));
	json_object_set_new(d, "voice_status_callback_url", json_null());
	json_object_set_new(d, "voice_url", json_null());
	json_object_set_new(d, "sip_registration", json_false());
	json_object_set_new(d, "emergency_calling_enabled", json_false());
	json_object_set_new(d, "secure", json_false());
	json_object_set_new(d, "byoc_trunk_sid", json_null());
	json_object_set_new(d, "emergency_caller_sid", json_null());
	return d;
}

static bool domain_match(const json_t *o, const struct form *q)
{
	(void)o;
	(void)q;
	return true;
}

int rest_domains_list(struct ctx *c)
{
	struct emu_rest *r = c->r;
	static const char *const filters[] = {NULL};
	struct page pg;
	if (rest_read_paging(&c->q, &pg, c->resp))
		return 0;
	char base[160];
	snprintf(base, sizeof(base), "/2010-04-01/Accounts/%s/SIP/Domains.json", r->account_sid);
	pthread_mutex_lock(&r->lock);
	json_t *env =
	    rest_list_2010(r->domains, "domains", base, &c->q, filters, &pg, domain_match);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 200, env);
	json_decref(env);
	return 0;
}

int rest_domains_create(struct ctx *c)
{
	struct emu_rest *r = c->r;
	const char *name = rest_form_get(&c->body, "DomainName");
	if (!name || !*name)
		return rest_send_error(c->resp, 400, 20001,
		                       "Missing required parameter DomainName in the post body");
	pthread_mutex_lock(&r->lock);
	if (check_name(c, name, NULL) ||
	    rest_check_fields(r, domain_fields, NFIELDS, &c->body, c->resp))
		goto out;
	if (json_array_size(r->domains) >= EMU_REST_MAX_DOMAINS) {
		rest_send_error(c->resp, 400, 21231, "no more than %d SIP domains",
		                EMU_REST_MAX_DOMAINS);
		goto out;
	}
	json_t *d = domain_new(r, name);
	rest_apply_fields(d, domain_fields, NFIELDS, &c->body);
	json_array_append(r->domains, d);
	json_t *pub = rest_public_copy(d);
	json_decref(d);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 201, pub);
	json_decref(pub);
	return 0;
out:
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int rest_domain_one(struct ctx *c)
{
	struct emu_rest *r = c->r;
	pthread_mutex_lock(&r->lock);
	json_t *d = rest_find_by(r->domains, "sid", c->cap[1]);
	if (!d) {
		pthread_mutex_unlock(&r->lock);
		return rest_not_found(c);
	}
	if (strcmp(c->req->method, "DELETE") == 0) {
		size_t i;
		json_t *o;
		json_array_foreach(r->domains, i, o)
		{
			if (o == d) {
				json_array_remove(r->domains, i);
				break;
			}
		}
		pthread_mutex_unlock(&r->lock);
		c->resp->status = 204;
		return 0;
	}
	if (strcmp(c->req->method, "POST") == 0) {
		const char *name = rest_form_get(&c->body, "DomainName");
		if ((name && check_name(c, name, d)) ||
		    rest_check_fields(r, domain_fields, NFIELDS, &c->body, c->resp)) {
			pthread_mutex_unlock(&r->lock);
			return 0;
		}
		if (name)
			json_object_set_new(d, "domain_name", json_string(name));
		rest_apply_fields(d, domain_fields, NFIELDS, &c->body);
		char date[40];
		emu_rest_date_rfc2822(date);
		json_object_set_new(d, "date_updated", json_string(date));
	}
	json_t *pub = rest_public_copy(d);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 200, pub);
	json_decref(pub);
	return 0;
}

json_t *emu_rest_domain_by_name(struct emu_rest *r, const char *name)
{
	json_t *c = NULL;
	pthread_mutex_lock(&r->lock);
	size_t i;
	json_t *o;
	json_array_foreach(r->domains, i, o)
	{
		const char *s = json_string_value(json_object_get(o, "domain_name"));
		if (name && s && strcasecmp(s, name) == 0) {
			c = json_deep_copy(o);
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return c;
}

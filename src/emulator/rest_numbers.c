/* rest_numbers: the IncomingPhoneNumbers resource (list, provision, fetch, update, release). */
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

json_t *rest_number_new(struct emu_rest *r, const char *phone)
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

static bool number_match(const json_t *o, const struct form *q)
{
	const char *pat = rest_form_get(q, "PhoneNumber");
	const char *fn = rest_form_get(q, "FriendlyName");
	if (pat && !phone_match(json_string_value(json_object_get(o, "phone_number")), pat))
		return false;
	if (fn && strcmp(json_string_value(json_object_get(o, "friendly_name")), fn) != 0)
		return false;
	return true;
}

int rest_numbers_list(struct ctx *c)
{
	struct emu_rest *r = c->r;
	static const char *const filters[] = {"PhoneNumber", "FriendlyName", NULL};
	struct page pg;
	if (rest_read_paging(&c->q, &pg, c->resp))
		return 0;
	char base[160];
	snprintf(base, sizeof(base), "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json",
	         r->account_sid);
	pthread_mutex_lock(&r->lock);
	json_t *env = rest_list_2010(r->numbers, "incoming_phone_numbers", base, &c->q, filters,
	                             &pg, number_match);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 200, env);
	json_decref(env);
	return 0;
}

int rest_numbers_create(struct ctx *c)
{
	struct emu_rest *r = c->r;
	const char *phone = rest_form_get(&c->body, "PhoneNumber");
	if (!phone || !id_e164(phone)) {
		rest_send_error(c->resp, 400, 21401, "PhoneNumber %s is not a valid phone number",
		                phone ? phone : "(missing)");
		return 0;
	}
	pthread_mutex_lock(&r->lock);
	if (rest_check_fields(r, number_fields, sizeof(number_fields) / sizeof(number_fields[0]),
	                      &c->body, c->resp))
		goto out;
	if (rest_find_by(r->numbers, "phone_number", phone)) {
		rest_send_error(c->resp, 400, 21422, "PhoneNumber %s is already provisioned",
		                phone);
		goto out;
	}
	if (json_array_size(r->numbers) >= EMU_REST_MAX_NUMBERS) {
		rest_send_error(c->resp, 400, 21452, "no more than %d numbers",
		                EMU_REST_MAX_NUMBERS);
		goto out;
	}
	json_t *n = rest_number_new(r, phone);
	rest_apply_fields(n, number_fields, sizeof(number_fields) / sizeof(number_fields[0]),
	                  &c->body);
	json_array_append(r->numbers, n);
	json_t *pub = rest_public_copy(n);
	json_decref(n);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 201, pub);
	json_decref(pub);
	return 0;
out:
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int rest_number_one(struct ctx *c)
{
	struct emu_rest *r = c->r;
	const char *method = c->req->method;
	pthread_mutex_lock(&r->lock);
	json_t *n = rest_find_by(r->numbers, "sid", c->cap[1]);
	if (!n) {
		pthread_mutex_unlock(&r->lock);
		rest_not_found(c);
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
		if (rest_check_fields(r, number_fields,
		                      sizeof(number_fields) / sizeof(number_fields[0]), &c->body,
		                      c->resp)) {
			pthread_mutex_unlock(&r->lock);
			return 0;
		}
		const char *fb = rest_form_get(&c->body, "VoiceFallbackUrl");
		const char *vu = rest_form_get(&c->body, "VoiceUrl");
		const char *cur = json_string_value(json_object_get(n, "voice_url"));
		if (fb && *fb && !(vu ? *vu : cur && *cur)) {
			pthread_mutex_unlock(&r->lock);
			rest_send_error(c->resp, 400, 21405,
			                "VoiceFallbackUrl cannot be set without a VoiceUrl");
			return 0;
		}
		rest_apply_fields(n, number_fields,
		                  sizeof(number_fields) / sizeof(number_fields[0]), &c->body);
		char date[40];
		emu_rest_date_rfc2822(date);
		json_object_set_new(n, "date_updated", json_string(date));
	}
	json_t *pub = rest_public_copy(n);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 200, pub);
	json_decref(pub);
	return 0;
}

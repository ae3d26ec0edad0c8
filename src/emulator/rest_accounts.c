/* rest_accounts: the Accounts resource (the one account the twin serves): fetch and list. */
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

json_t *rest_account_new(struct emu_rest *r)
{
	char date[40], uri[120], sub[160];
	emu_rest_date_rfc2822(date);
	snprintf(uri, sizeof(uri), "/2010-04-01/Accounts/%s.json", r->account_sid);
	/* the auth token is never sent back: Twilio's field is there, null */
	json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:n}", "sid", r->account_sid,
	                      "owner_account_sid", r->account_sid, "friendly_name",
	                      "handoff emulator", "status", "active", "type", "Full",
	                      "date_created", date, "date_updated", date, "uri", uri, "auth_token");
	static const char *const subs[][2] = {
	    {"available_phone_numbers", "AvailablePhoneNumbers"},
	    {"calls", "Calls"},
	    {"conferences", "Conferences"},
	    {"incoming_phone_numbers", "IncomingPhoneNumbers"},
	    {"notifications", "Notifications"},
	    {"outgoing_caller_ids", "OutgoingCallerIds"},
	    {"recordings", "Recordings"},
	    {"transcriptions", "Transcriptions"},
	    {"addresses", "Addresses"},
	    {"signing_keys", "SigningKeys"},
	    {"connect_apps", "ConnectApps"},
	    {"sip", "SIP"},
	    {"authorized_connect_apps", "AuthorizedConnectApps"},
	    {"usage", "Usage"},
	    {"keys", "Keys"},
	    {"applications", "Applications"},
	    {"short_codes", "SMS/ShortCodes"},
	    {"queues", "Queues"},
	    {"messages", "Messages"},
	    {"balance", "Balance"},
	};
	json_t *s = json_object();
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(sub, sizeof(sub), "/2010-04-01/Accounts/%s/%s.json", r->account_sid,
		         subs[i][1]);
		json_object_set_new(s, subs[i][0], json_string(sub));
	}
	json_object_set_new(a, "subresource_uris", s);
	return a;
}

int rest_account_one(struct ctx *c)
{
	struct emu_rest *r = c->r;
	pthread_mutex_lock(&r->lock);
	json_t *a = json_deep_copy(r->account);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 200, a);
	json_decref(a);
	return 0;
}

static bool account_match(const json_t *o, const struct form *q)
{
	static const char *const map[][2] = {{"FriendlyName", "friendly_name"},
	                                     {"Status", "status"}};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const char *want = rest_form_get(q, map[i][0]);
		const char *got = json_string_value(json_object_get(o, map[i][1]));
		if (want && (!got || strcmp(got, want) != 0))
			return false;
	}
	return true;
}

int rest_accounts_list(struct ctx *c)
{
	struct emu_rest *r = c->r;
	static const char *const filters[] = {"FriendlyName", "Status", NULL};
	struct page pg;
	if (rest_read_paging(&c->q, &pg, c->resp))
		return 0;
	const char *st = rest_form_get(&c->q, "Status");
	if (st && strcmp(st, "active") && strcmp(st, "suspended") && strcmp(st, "closed"))
		return rest_send_error(c->resp, 400, 20001,
		                       "Status must be active, suspended or closed");
	pthread_mutex_lock(&r->lock);
	json_t *arr = json_pack("[O]", r->account);
	json_t *env = rest_list_2010(arr, "accounts", "/2010-04-01/Accounts.json", &c->q, filters,
	                             &pg, account_match);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 200, env);
	json_decref(env);
	json_decref(arr);
	return 0;
}

/* rest_calls: the Calls resource (list, create an outbound call, fetch, update a live call,
 * delete a finished one). */
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

static bool call_match(const json_t *o, const struct form *q)
{
	static const char *const map[][2] = {{"ParentCallSid", "parent_call_sid"},
	                                     {"Status", "status"},
	                                     {"To", "to"},
	                                     {"From", "from"}};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const char *want = rest_form_get(q, map[i][0]);
		if (!want)
			continue;
		const char *got = json_string_value(json_object_get(o, map[i][1]));
		if (!got || strcmp(got, want) != 0)
			return false;
	}
	return true;
}

int rest_calls_list(struct ctx *c)
{
	struct emu_rest *r = c->r;
	static const char *const filters[] = {"ParentCallSid", "Status", "To", "From", NULL};
	struct page pg;
	if (rest_read_paging(&c->q, &pg, c->resp))
		return 0;
	char base[160];
	snprintf(base, sizeof(base), "/2010-04-01/Accounts/%s/Calls.json", r->account_sid);
	pthread_mutex_lock(&r->lock);
	json_t *env = rest_list_2010(r->calls, "calls", base, &c->q, filters, &pg, call_match);
	pthread_mutex_unlock(&r->lock);
	rest_send_json(c->resp, 200, env);
	json_decref(env);
	return 0;
}

/* A North American number as Twilio formats it, "(415) 555-0100"; others as they are. */
static json_t *formatted(const char *n)
{
	if (id_e164(n) && strlen(n) == 12 && n[1] == '1') {
		char f[20];
		snprintf(f, sizeof(f), "(%.3s) %.3s-%.4s", n + 2, n + 5, n + 8);
		return json_string(f);
	}
	return json_string(n);
}

/* The call's subresources, as Twilio lists them. */
static json_t *call_subresources(const char *account, const char *sid)
{
	static const char *const subs[][2] = {
	    {"notifications", "Notifications"},
	    {"recordings", "Recordings"},
	    {"payments", "Payments"},
	    {"events", "Events"},
	    {"siprec", "Siprec"},
	    {"streams", "Streams"},
	    {"transcriptions", "Transcriptions"},
	    {"user_defined_message_subscriptions", "UserDefinedMessageSubscriptions"},
	    {"user_defined_messages", "UserDefinedMessages"},
	};
	json_t *o = json_object();
	char u[200];
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(u, sizeof(u), "/2010-04-01/Accounts/%s/Calls/%s/%s.json", account, sid,
		         subs[i][1]);
		json_object_set_new(o, subs[i][0], json_string(u));
	}
	return o;
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
	json_object_set_new(o, "to_formatted", formatted(to));
	json_object_set_new(o, "from", json_string(from));
	json_object_set_new(o, "from_formatted", formatted(from));
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
	json_object_set_new(o, "subresource_uris", call_subresources(r->account_sid, sid));
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

int rest_calls_create(struct ctx *c)
{
	struct emu_rest *r = c->r;
	const struct form *f = &c->body;
	const char *to = rest_form_get(f, "To"), *from = rest_form_get(f, "From");
	const char *url = rest_form_get(f, "Url"), *twiml = rest_form_get(f, "Twiml");
	const char *method = rest_form_get(f, "Method");
	if (!to || !*to)
		return rest_send_error(c->resp, 400, 21201, "No 'To' number is specified");
	if (!call_party(to, true))
		return rest_send_error(c->resp, 400, 21211, "Invalid 'To' Phone Number: %s", to);
	if (!from || !*from)
		return rest_send_error(c->resp, 400, 21213, "No 'From' number is specified");
	if (!call_party(from, false))
		return rest_send_error(c->resp, 400, 21212, "Invalid 'From' Phone Number: %s",
		                       from);
	if ((!url || !*url) && (!twiml || !*twiml))
		return rest_send_error(c->resp, 400, 21205, "Either Url or Twiml is required");
	if (url && *url && !rest_http_url(url))
		return rest_send_error(c->resp, 400, 21205, "Url is not a valid URL: %s", url);
	if (twiml && strlen(twiml) > EMU_REST_MAX_TWIML)
		return rest_send_error(c->resp, 400, 32018, "Twiml is longer than %d characters",
		                       EMU_REST_MAX_TWIML);
	if (method && strcasecmp(method, "GET") != 0 && strcasecmp(method, "POST") != 0)
		return rest_send_error(c->resp, 400, 21403, "Method must be either GET or POST");
	const char *sc = rest_form_get(f, "StatusCallback");
	if (sc && *sc && !rest_http_url(sc))
		return rest_send_error(c->resp, 400, 21609, "StatusCallback is not a valid URL: %s",
		                       sc);
	const char *tmo = rest_form_get(f, "Timeout");
	long timeout = 0;
	if (tmo) {
		char *end;
		timeout = strtol(tmo, &end, 10);
		if (!*tmo || *end || timeout < 1 || timeout > EMU_REST_MAX_TIMEOUT_S)
			return rest_send_error(c->resp, 400, 20001,
			                       "Timeout must be 1 to %d seconds, not '%s'",
			                       EMU_REST_MAX_TIMEOUT_S, tmo);
	}

	json_t *o = emu_rest_call_new(r, from, to, "outbound-api", NULL);
	/* Twilio: with both, Url is used and Twiml ignored */
	if (url && *url)
		json_object_set_new(o, "_url", json_string(url));
	else if (twiml && *twiml)
		json_object_set_new(o, "_twiml", json_string(twiml));
	if (timeout)
		json_object_set_new(o, "_timeout", json_integer(timeout));
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
			return rest_send_error(
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
	const char *scm = rest_form_get(f, "StatusCallbackMethod");
	if (scm)
		json_object_set_new(o, "_status_callback_method",
		                    json_string(strcasecmp(scm, "GET") == 0 ? "GET" : "POST"));
	int rc = emu_rest_call_put(r, o);
	if (rc) {
		json_decref(o);
		return rest_send_error(c->resp, 429, 20429, "no more than %d calls",
		                       EMU_REST_MAX_CALLS);
	}
	if (r->hooks.call_created)
		r->hooks.call_created(r->hooks.ctx, json_string_value(json_object_get(o, "sid")),
		                      o);
	/* Twilio answers the call as created ("queued"); it runs afterwards */
	json_t *pub = rest_public_copy(o);
	rest_send_json(c->resp, 201, pub);
	json_decref(pub);
	json_decref(o);
	return 0;
}

/* The stored call as Twilio renders it. */
static int answer_call(struct ctx *c, const char *sid)
{
	json_t *o = emu_rest_call_get(c->r, sid);
	if (!o)
		return rest_not_found(c);
	json_t *pub = rest_public_copy(o);
	rest_send_json(c->resp, 200, pub);
	json_decref(pub);
	json_decref(o);
	return 0;
}

/* POST .../Calls/{CA}.json: Url/Method or Twiml, Status=completed|canceled. */
static int call_update(struct ctx *c, const char *sid)
{
	struct emu_rest *r = c->r;
	const struct form *f = &c->body;
	struct emu_rest_update u = {rest_form_get(f, "Url"), rest_form_get(f, "Method"),
	                            rest_form_get(f, "Twiml"), rest_form_get(f, "Status")};
	json_t *o = emu_rest_call_get(r, sid);
	if (!o)
		return rest_not_found(c);
	json_decref(o);
	if (u.url && !*u.url)
		u.url = NULL;
	if (u.twiml && !*u.twiml)
		u.twiml = NULL;
	if (u.url && !rest_http_url(u.url))
		return rest_send_error(c->resp, 400, 21205, "Url is not a valid URL: %s", u.url);
	if (u.url && u.twiml)
		return rest_send_error(c->resp, 400, 20001,
		                       "Twiml and Url are mutually exclusive: give one");
	if (u.twiml && strlen(u.twiml) > EMU_REST_MAX_TWIML)
		return rest_send_error(c->resp, 400, 32018, "Twiml is longer than %d characters",
		                       EMU_REST_MAX_TWIML);
	if (u.method && strcasecmp(u.method, "GET") != 0 && strcasecmp(u.method, "POST") != 0)
		return rest_send_error(c->resp, 400, 21403, "Method must be either GET or POST");
	if (u.status && strcmp(u.status, "completed") != 0 && strcmp(u.status, "canceled") != 0)
		return rest_send_error(c->resp, 400, 20001,
		                       "Status must be completed or canceled, not '%s'", u.status);
	const char *sc = rest_form_get(f, "StatusCallback");
	if (sc && *sc && !rest_http_url(sc))
		return rest_send_error(c->resp, 400, 21609, "StatusCallback is not a valid URL: %s",
		                       sc);
	if (!u.url && !u.twiml && !u.status) /* nothing to change: the call as it is */
		return answer_call(c, sid);
	if (!r->hooks.call_update)
		return rest_send_error(c->resp, 400, 20001, "no call engine is attached");
	struct emu_rest_err err = {0};
	if (r->hooks.call_update(r->hooks.ctx, sid, &u, &err))
		return rest_send_error(c->resp, err.status ? err.status : 400,
		                       err.code ? err.code : 20001, "%s", err.msg);
	return answer_call(c, sid);
}

/* DELETE .../Calls/{CA}.json: a finished call's record; 204. */
static int call_delete(struct ctx *c, const char *sid)
{
	struct emu_rest *r = c->r;
	json_t *o = emu_rest_call_get(r, sid);
	if (!o)
		return rest_not_found(c);
	char st[16]; /* a copy: o goes now */
	snprintf(st, sizeof(st), "%s", json_string_value(json_object_get(o, "status")) ?: "");
	json_decref(o);
	bool ended =
	    *st && strcmp(st, "queued") && strcmp(st, "ringing") && strcmp(st, "in-progress");
	struct emu_rest_err err = {0};
	/* the engine decides (and records why); a call it does not know, the record does */
	int rc = r->hooks.call_delete ? r->hooks.call_delete(r->hooks.ctx, sid, &err) : ENOENT;
	if (rc == ENOENT && !ended) {
		err = (struct emu_rest_err){400, 21220, ""};
		snprintf(err.msg, sizeof(err.msg), "Call %s is %s: it has not ended", sid, st);
		rc = EINVAL;
	}
	if (rc && rc != ENOENT)
		return rest_send_error(c->resp, err.status ? err.status : 400,
		                       err.code ? err.code : 21220, "%s", err.msg);
	(void)emu_rest_call_del(r, sid);
	c->resp->status = 204;
	return 0;
}

int rest_call_one(struct ctx *c)
{
	const char *sid = c->cap[1];
	if (strcmp(c->req->method, "POST") == 0)
		return call_update(c, sid);
	if (strcmp(c->req->method, "DELETE") == 0)
		return call_delete(c, sid);
	return answer_call(c, sid);
}

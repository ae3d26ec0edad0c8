/* json: a call, its legs and its timeline as JSON for the control endpoints and flows. */
#include "emulator/engine_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

void emu_connected_json(struct call *c, json_t *arr)
{
	for (size_t i = 0; i < c->nlegs; i++) {
		struct leg *l = &c->legs[i];
		if (l->status != ST_INPROGRESS || !l->peer[0])
			continue;
		const char *a = emu_party(l), *b = l->peer;
		if (strcmp(a, b) > 0) {
			const char *t = a;
			a = b;
			b = t;
		}
		char pair[48];
		snprintf(pair, sizeof(pair), "%s<->%s", a, b);
		bool seen = false;
		for (size_t k = 0; k < json_array_size(arr); k++)
			seen |= strcmp(json_string_value(json_array_get(arr, k)), pair) == 0;
		if (!seen)
			json_array_append_new(arr, json_string(pair));
	}
}

json_t *emu_legs_json(struct call *c)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < c->nlegs; i++) {
		struct leg *l = &c->legs[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "label", l->label,
		                      "party", emu_party(l), "sid", l->sid, "direction", l->dir,
		                      "status", emu_st_names[l->status], "from", l->from, "to",
		                      l->to, "start_ms", (json_int_t)l->start);
		json_object_set_new(o, "parent_call_sid",
		                    l->parent >= 0 ? json_string(c->legs[l->parent].sid)
		                                   : json_null());
		json_object_set_new(o, "answer_ms",
		                    l->answer >= 0 ? json_integer(l->answer) : json_null());
		json_object_set_new(o, "end_ms", l->end >= 0 ? json_integer(l->end) : json_null());
		int64_t from = l->answer >= 0 ? l->answer : -1;
		json_object_set_new(o, "duration",
		                    from >= 0 && l->end >= 0 ? json_integer((l->end - from) / 1000)
		                                             : json_null());
		json_object_set_new(o, "peer", l->peer[0] ? json_string(l->peer) : json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

/* The media streams the call opened (connect.c). */
static json_t *streams_json(struct call *c)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < c->nstreams; i++) {
		const struct stream *s = &c->streams[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "sid", s->sid, "url", s->url, "kind",
		                      s->bidi ? "connect" : "start", "open", s->open);
		json_object_set_new(o, "name", s->name ? json_string(s->name) : json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *call_json(struct call *c)
{
	json_t *conn = json_array();
	emu_connected_json(c, conn);
	json_t *o = json_pack(
	    "{s:s, s:s, s:o, s:o, s:b}", "sid", c->legs[0].sid, "profile",
	    emu_profile_name(c->profile), "legs", emu_legs_json(c), "connected", conn, "ended",
	    c->ended || (emu_terminal(c->legs[0].status) && json_array_size(conn) == 0));
	if (c->nstreams)
		json_object_set_new(o, "streams", streams_json(c));
	return o;
}

int emu_call_json(struct emu_engine *e, const char *sid, json_t **out)
{
	pthread_mutex_lock(&e->mu);
	struct call *c = emu_find(e, sid, NULL);
	if (c)
		*out = call_json(c);
	pthread_mutex_unlock(&e->mu);
	return c ? 0 : ENOENT;
}

int emu_events_json(struct emu_engine *e, const char *sid, json_t **out)
{
	pthread_mutex_lock(&e->mu);
	struct call *c = emu_find(e, sid, NULL);
	if (c) {
		json_t *arr = json_array();
		for (size_t i = 0; i < c->nev; i++) {
			struct event *v = &c->ev[i];
			json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "t_ms", (json_int_t)v->t,
			                      "kind", v->kind, "leg", v->leg, "text", v->text);
			if (v->code)
				json_object_set_new(o, "code", json_integer(v->code));
			if (v->params.n) {
				json_t *po = json_object();
				for (size_t k = 0; k < v->params.n; k++)
					json_object_set_new(po, v->params.v[k].name,
					                    json_string(v->params.v[k].value));
				json_object_set_new(o, "params", po);
			}
			if (v->signature)
				json_object_set_new(o, "signature", json_string(v->signature));
			if (v->sip)
				json_object_set_new(o, "sip", emu_ev_sip_json(v->sip));
			/* the ladder's parties for the HTTP side: the emulator and the app */
			bool hook = strcmp(v->kind, "webhook") == 0,
			     ans = strcmp(v->kind, "answer") == 0;
			if (hook || ans) {
				json_object_set_new(o, "from",
				                    json_string(hook ? "twilio" : "app"));
				json_object_set_new(o, "to", json_string(hook ? "app" : "twilio"));
			}
			json_array_append_new(arr, o);
		}
		if (c->dropped)
			json_array_append_new(arr, json_pack("{s:s, s:I}", "kind", "dropped",
			                                     "count", (json_int_t)c->dropped));
		*out = arr;
	}
	pthread_mutex_unlock(&e->mu);
	return c ? 0 : ENOENT;
}

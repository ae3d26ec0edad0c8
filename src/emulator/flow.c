/* emu_flow: flow files (a call, the app's answers, REFERs, expectations) run through the engine. */
#include "emulator/flow.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/live.h"
#include "util/mem.h"

/* ---- the inline fetcher ---- */

static const struct {
	const char *name;
	int code;
} fetch_errors[] = {
    {"unreachable", 11200}, {"connect-timeout", 11201}, {"refused", 11202},   {"timeout", 11205},
    {"protocol", 11206},    {"bad-host", 11210},        {"redirects", 11215}, {"tls", 11220}};

static json_t *app_lookup(json_t *app, const char *url)
{
	json_t *v = json_object_get(app, url);
	if (v)
		return v;
	const char *hs = strstr(url, "://");
	const char *path = hs ? strchr(hs + 3, '/') : url;
	if (!path)
		return NULL;
	if ((v = json_object_get(app, path)))
		return v;
	size_t n = strcspn(path, "?#");
	char *bare = xstrndup(path, n);
	v = json_object_get(app, bare);
	free(bare);
	return v;
}

int emu_flow_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	json_t *a = app_lookup(ctx, req->url);
	if (!a) {
		res->status = 404;
		res->content_type = xstrdup("text/plain");
		res->body = xstrdup("no answer for this URL in the flow file");
		res->body_len = strlen(res->body);
		return 0;
	}
	if (json_is_string(a)) { /* shorthand: the TwiML itself */
		res->status = 200;
		res->content_type = xstrdup("text/xml");
		res->body = xstrdup(json_string_value(a));
		res->body_len = strlen(res->body);
		return 0;
	}
	json_t *er = json_object_get(a, "error");
	if (json_is_integer(er))
		res->error = (int)json_integer_value(er);
	for (size_t i = 0; json_is_string(er) && i < sizeof(fetch_errors) / sizeof(fetch_errors[0]);
	     i++)
		if (strcmp(json_string_value(er), fetch_errors[i].name) == 0)
			res->error = fetch_errors[i].code;
	if (er && !res->error)
		res->error = 11200;
	json_t *st = json_object_get(a, "status");
	res->status = st ? (int)json_integer_value(st) : 200;
	json_t *d = json_object_get(a, "delay_ms");
	res->delay_ms = d ? (unsigned)json_integer_value(d) : 0;
	json_t *ct = json_object_get(a, "content_type");
	if (json_is_string(ct))
		res->content_type = xstrdup(json_string_value(ct));
	else if (!json_is_null(ct))
		res->content_type = xstrdup("text/xml");
	json_t *body = json_object_get(a, "twiml");
	if (!body)
		body = json_object_get(a, "body");
	json_t *rep = json_object_get(a, "body_repeat"); /* for size limits: body times N */
	if (json_is_string(body)) {
		const char *b = json_string_value(body);
		size_t n = strlen(b), times = rep ? (size_t)json_integer_value(rep) : 1;
		if (times < 1 || times > 1000)
			times = 1;
		res->body = xmalloc(n * times + 1);
		for (size_t i = 0; i < times; i++)
			memcpy(res->body + i * n, b, n);
		res->body[n * times] = 0;
		res->body_len = n * times;
	}
	return 0;
}

/* Inline answers first; then, for a flow with app_url, the live app. */
struct mixed {
	json_t *app;
	bool live;
	struct emu_live lv;
};

static int mixed_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	struct mixed *m = ctx;
	if (m->live && !app_lookup(m->app, req->url))
		return emu_live_fetch(&m->lv, req, res);
	return emu_flow_fetch(m->app, req, res);
}

/* A step's URL: absolute as it is, else against the call's voice_url (caller frees). */
static char *emu_flow_resolve(const char *base, const char *url)
{
	const char *hs = base ? strstr(base, "://") : NULL;
	if (strstr(url, "://") || !hs)
		return xstrdup(url);
	const char *path = strchr(hs + 3, '/');
	size_t origin = path ? (size_t)(path - base) : strlen(base);
	if (url[0] == '/')
		return xasprintf("%.*s%s", (int)origin, base, url);
	size_t dir = origin;
	for (size_t i = origin; base[i] && base[i] != '?' && base[i] != '#'; i++)
		if (base[i] == '/')
			dir = i + 1;
	return dir > origin ? xasprintf("%.*s%s", (int)dir, base, url)
	                    : xasprintf("%.*s/%s", (int)origin, base, url);
}

/* ---- expectations ---- */

static void failure(json_t *fails, const char *what, json_t *expected, json_t *actual)
{
	json_array_append_new(fails, json_pack("{s:s, s:o, s:o}", "what", what, "expected",
	                                       expected ? expected : json_null(), "actual",
	                                       actual ? actual : json_null()));
}

__attribute__((format(printf, 4, 5))) static void failuref(json_t *fails, json_t *expected,
                                                           json_t *actual, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	failure(fails, what, expected, actual);
}

static json_t *leg_by_label(json_t *legs, const char *label)
{
	size_t i;
	json_t *l;
	json_array_foreach(legs, i, l)
	{
		if (strcmp(json_string_value(json_object_get(l, "label")), label) == 0)
			return l;
	}
	return NULL;
}

static char *pair_norm(const char *s)
{
	const char *sep = strstr(s, "<->");
	if (!sep)
		return xstrdup(s);
	char *a = xstrndup(s, (size_t)(sep - s));
	const char *b = sep + 3;
	char *out = strcmp(a, b) <= 0 ? xasprintf("%s<->%s", a, b) : xasprintf("%s<->%s", b, a);
	free(a);
	return out;
}

static json_t *sorted_pairs(json_t *arr)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v))
			continue;
		char *n = pair_norm(json_string_value(v));
		size_t k = 0;
		while (k < json_array_size(out) &&
		       strcmp(json_string_value(json_array_get(out, k)), n) < 0)
			k++;
		json_array_insert_new(out, k, json_string(n));
		free(n);
	}
	return out;
}

/* Checks "sip_response", "notify", "legs", "legs_count", "connected" of want
 * against a state {"sip_response", "notify", "legs", "connected"}. */
static void check_state(json_t *want, json_t *state, const char *where, json_t *fails)
{
	json_t *w;
	if ((w = json_object_get(want, "sip_response"))) {
		json_t *got = json_object_get(state, "sip_response");
		if (!json_equal(w, got))
			failuref(fails, json_incref(w), json_incref(got), "%sREFER answer", where);
	}
	if ((w = json_object_get(want, "notify"))) {
		json_t *got = json_object_get(state, "notify");
		bool ok = json_array_size(w) == json_array_size(got);
		for (size_t i = 0; ok && i < json_array_size(w); i++) {
			json_t *e = json_array_get(w, i);
			const char *g = json_string_value(json_array_get(got, i));
			if (json_is_integer(e))
				ok = g && strlen(g) > 11 &&
				     atoi(g + 8) == (int)json_integer_value(e);
			else
				ok = g && json_is_string(e) && strcmp(g, json_string_value(e)) == 0;
		}
		if (!ok)
			failuref(fails, json_incref(w), json_incref(got), "%sNOTIFY sipfrags",
			         where);
	}
	json_t *legs = json_object_get(state, "legs");
	if ((w = json_object_get(want, "legs_count"))) {
		json_t *got = json_integer((json_int_t)json_array_size(legs));
		if (!json_equal(w, got))
			failuref(fails, json_incref(w), got, "%snumber of legs", where);
		else
			json_decref(got);
	}
	if ((w = json_object_get(want, "legs"))) {
		const char *label;
		json_t *lw;
		json_object_foreach(w, label, lw)
		{
			json_t *l = leg_by_label(legs, label);
			json_t *fields =
			    json_is_string(lw) ? json_pack("{s:O}", "status", lw) : json_incref(lw);
			const char *f;
			json_t *fv;
			json_object_foreach(fields, f, fv)
			{
				json_t *got = NULL;
				if (l && strcmp(f, "parent") == 0) {
					json_t *ps = json_object_get(l, "parent_call_sid");
					size_t i;
					json_t *o;
					json_array_foreach(legs, i, o)
					{
						if (json_equal(json_object_get(o, "sid"), ps))
							got = json_object_get(o, "label");
					}
				} else if (l) {
					got = json_object_get(l, f);
				}
				if (!json_equal(fv, got))
					failuref(fails, json_incref(fv),
					         got ? json_incref(got) : NULL, "%sleg %s %s",
					         where, label, f);
			}
			json_decref(fields);
		}
	}
	if ((w = json_object_get(want, "connected"))) {
		json_t *a = sorted_pairs(w), *b = sorted_pairs(json_object_get(state, "connected"));
		if (!json_equal(a, b))
			failuref(fails, a, b, "%swho is connected", where);
		else {
			json_decref(a);
			json_decref(b);
		}
	}
}

/* Whether event v matches matcher m (kind, leg, code, text substring, params subset,
 * signature presence). */
static bool ev_match(json_t *m, json_t *v)
{
	const char *k;
	json_t *mv;
	json_object_foreach(m, k, mv)
	{
		json_t *g = json_object_get(v, k);
		if (strcmp(k, "text") == 0) {
			if (!json_is_string(g) ||
			    !strstr(json_string_value(g), json_string_value(mv)))
				return false;
		} else if (strcmp(k, "params") == 0) {
			const char *pk;
			json_t *pv;
			json_object_foreach(mv, pk, pv)
			{
				json_t *gp = json_object_get(g, pk);
				if (json_is_null(pv) ? gp != NULL : !json_equal(pv, gp))
					return false;
			}
		} else if (strcmp(k, "signature") == 0) {
			if (json_is_true(mv) != (g != NULL))
				return false;
		} else if (!json_equal(mv, g)) {
			return false;
		}
	}
	return true;
}

static void check_events(json_t *want, json_t *events, json_t *fails)
{
	json_t *w = json_object_get(want, "events");
	size_t at = 0;
	for (size_t i = 0; i < json_array_size(w); i++) {
		json_t *m = json_array_get(w, i);
		size_t j = at;
		while (j < json_array_size(events) && !ev_match(m, json_array_get(events, j)))
			j++;
		if (j == json_array_size(events)) {
			failuref(fails, json_incref(m),
			         json_string("not in the timeline (in this order)"), "event %zu",
			         i + 1);
		} else {
			at = j + 1;
		}
	}
	w = json_object_get(want, "absent");
	for (size_t i = 0; i < json_array_size(w); i++) {
		json_t *m = json_array_get(w, i);
		for (size_t j = 0; j < json_array_size(events); j++)
			if (ev_match(m, json_array_get(events, j))) {
				failuref(fails, json_pack("{s:O}", "absent", m),
				         json_incref(json_array_get(events, j)), "absent event %zu",
				         i + 1);
				break;
			}
	}
}

/* ---- loading ---- */

static int bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return EBADMSG;
}

/* The timeline matchers of expect ("events", "absent"): arrays of objects whose "text" is a
 * string and whose "params" is an object, so that matching never meets another type. */
static int matchers_ok(json_t *expect, char *err, size_t errlen)
{
	static const char *const lists[] = {"events", "absent"};
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		json_t *w = json_object_get(expect, lists[l]);
		if (w && !json_is_array(w))
			return bad(err, errlen, "expect.%s must be an array of matchers", lists[l]);
		for (size_t i = 0; i < json_array_size(w); i++) {
			json_t *m = json_array_get(w, i), *t = json_object_get(m, "text"),
			       *p = json_object_get(m, "params");
			if (!json_is_object(m) || (t && !json_is_string(t)) ||
			    (p && !json_is_object(p)))
				return bad(err, errlen,
				           "expect.%s[%zu]: a matcher is an object; its \"text\" a "
				           "string, its \"params\" an object",
				           lists[l], i);
		}
	}
	return 0;
}

static const char *str_of(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* NULL-terminated array of the strings in a JSON array (pointers borrowed), or NULL. */
static const char **strv(json_t *arr)
{
	if (!json_is_array(arr))
		return NULL;
	const char **v = xcalloc(json_array_size(arr) + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (json_is_string(json_array_get(arr, i)))
			v[n++] = json_string_value(json_array_get(arr, i));
	return v;
}

struct loaded {
	struct emu_call_spec spec;
	struct emu_dial_outcome outcomes[EMU_ENG_MAX_OUTCOMES];
	int rules[EMU_R__COUNT];
	const char **countries, **dns, **digits;
	char *voice_url;
	struct emu_params sip; /* call.sip: a SIP-originated call's webhook parameters */
};

/* An outbound-api call (call.outbound): what its called party does, and its own status
 * callback. */
static int load_outbound(json_t *call, struct emu_call_spec *s, char *err, size_t errlen)
{
	s->status_callback = str_of(call, "status_callback");
	s->status_callback_method = str_of(call, "status_callback_method");
	s->status_callback_event = str_of(call, "status_callback_event");
	s->outbound = json_is_true(json_object_get(call, "outbound"));
	const char *a = str_of(call, "answer");
	if (a && (!s->outbound || emu_outcome_parse(a, &s->answer)))
		return bad(
		    err, errlen,
		    "call.answer (answer, busy, no-answer or fail) needs \"outbound\": true");
	json_t *v = json_object_get(call, "answer_after_ms");
	if (v &&
	    (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 600000))
		return bad(err, errlen, "call.answer_after_ms must be 1 to 600000");
	s->answer_after_ms = v ? (unsigned)json_integer_value(v) : 0;
	v = json_object_get(call, "timeout");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	          json_integer_value(v) > EMU_ENG_MAX_TIMEOUT_S))
		return bad(err, errlen, "call.timeout must be 1 to %d seconds",
		           EMU_ENG_MAX_TIMEOUT_S);
	s->timeout_s = v ? (unsigned)json_integer_value(v) : 0;
	return 0;
}

static int load_spec(json_t *flow, struct loaded *L, char *err, size_t errlen)
{
	struct emu_call_spec *s = &L->spec;
	if (emu_profile_parse(str_of(flow, "profile"), &s->profile))
		return bad(err, errlen, "\"profile\" must be twilio-voice, twilio-trunk or plivo");
	json_t *call = json_object_get(flow, "call");
	if (!json_is_object(call) || !str_of(call, "from") || !str_of(call, "to"))
		return bad(err, errlen, "\"call\" needs \"from\" and \"to\"");
	s->from = str_of(call, "from");
	s->to = str_of(call, "to");
	s->voice_url = str_of(call, "voice_url");
	const char *base = str_of(flow, "app_url");
	if (base && s->voice_url && s->voice_url[0] == '/') {
		size_t bl = strlen(base);
		L->voice_url = xasprintf("%.*s%s", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl),
		                         base, s->voice_url);
		s->voice_url = L->voice_url;
	}
	s->voice_method = str_of(call, "voice_method");
	s->twiml = str_of(call, "twiml");
	if (s->profile == EMU_TWILIO_VOICE && !s->voice_url && !s->twiml)
		return bad(err, errlen, "a twilio-voice call needs \"voice_url\" or \"twiml\"");
	L->digits = strv(json_object_get(call, "digits"));
	s->digits = L->digits;
	int rc = load_outbound(call, s, err, errlen);
	if (rc)
		return rc;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(call, "dial_outcomes"), k, v)
	{
		if (s->noutcomes == EMU_ENG_MAX_OUTCOMES)
			return bad(err, errlen, "more than %d dial_outcomes", EMU_ENG_MAX_OUTCOMES);
		if (emu_outcome_parse(json_string_value(v), &L->outcomes[s->noutcomes].outcome))
			return bad(err, errlen,
			           "dial_outcomes[%s]: answer, busy, no-answer or fail", k);
		L->outcomes[s->noutcomes++].address = k;
	}
	s->outcomes = L->outcomes;
	json_t *sip = json_object_get(call, "sip"); /* {"SipDomain": "...", ...} */
	json_object_foreach(sip, k, v)
	{
		if (!json_is_string(v) || strncmp(k, "Sip", 3) != 0 ||
		    emu_params_add(&L->sip, k, json_string_value(v)))
			return bad(err, errlen,
			           "call.sip[%s]: a Sip... name with a string (at most %d)", k,
			           EMU_ENG_MAX_PARAMS);
	}
	if (L->sip.n)
		s->sip_params = &L->sip;
	json_t *tr = json_object_get(flow, "trunk");
	const char *m = str_of(tr, "transfer_mode");
	if (!m || strcmp(m, "disable-all") == 0)
		s->transfer_mode = EMU_XFER_DISABLE_ALL;
	else if (strcmp(m, "enable-all") == 0)
		s->transfer_mode = EMU_XFER_ENABLE_ALL;
	else if (strcmp(m, "sip-only") == 0)
		s->transfer_mode = EMU_XFER_SIP_ONLY;
	else
		return bad(err, errlen, "trunk.transfer_mode: disable-all, enable-all or sip-only");
	m = str_of(tr, "transfer_caller_id");
	if (!m || strcmp(m, "from-transferee") == 0)
		s->transfer_caller_id = EMU_CID_TRANSFEREE;
	else if (strcmp(m, "from-transferor") == 0)
		s->transfer_caller_id = EMU_CID_TRANSFEROR;
	else
		return bad(err, errlen,
		           "trunk.transfer_caller_id: from-transferee or from-transferor");
	s->trunk_origination = json_is_true(json_object_get(tr, "origination"));
	json_t *pl = json_object_get(flow, "plivo");
	s->plivo_outbound = json_is_true(json_object_get(pl, "outbound"));
	s->plivo_domain_suffix = str_of(pl, "domain_suffix");
	L->countries = strv(json_object_get(pl, "countries"));
	s->plivo_countries = L->countries;
	json_t *dns = json_object_get(pl, "dns");
	if (json_is_object(dns)) {
		L->dns = xcalloc(2 * json_object_size(dns) + 1, sizeof(*L->dns));
		size_t n = 0;
		json_object_foreach(dns, k, v)
		{
			L->dns[n++] = k;
			L->dns[n++] = json_string_value(v) ? json_string_value(v) : "";
		}
		s->plivo_dns = L->dns;
	}
	for (int i = 0; i < EMU_R__COUNT; i++)
		L->rules[i] = emu_rules[i].def;
	json_object_foreach(json_object_get(flow, "overrides"), k, v)
	{
		int r = emu_rule_find(k);
		if (r < 0 || !json_is_integer(v))
			return bad(err, errlen,
			           "overrides: unknown rule '%s' or value not an integer", k);
		L->rules[r] = (int)json_integer_value(v);
	}
	s->rules = L->rules;
	return 0;
}

static void loaded_free(struct loaded *L)
{
	free(L->countries);
	free(L->dns);
	free(L->digits);
	free(L->voice_url);
	emu_params_free(&L->sip);
}

static const char *sid_of(struct emu_engine *e, const char *psid, const char *label, char *buf)
{
	json_t *cj = NULL;
	if (emu_call_json(e, psid, &cj))
		return NULL;
	json_t *l = leg_by_label(json_object_get(cj, "legs"), label);
	const char *s = l ? json_string_value(json_object_get(l, "sid")) : NULL;
	if (s)
		snprintf(buf, EMU_SID_LEN + 1, "%s", s);
	json_decref(cj);
	return s ? buf : NULL;
}

/* {"update": LEG, "url"|"twiml"|"status", "method", "target", "expect"}: the REST API
 * changes a live call (a path in "url" is taken relative to the call's voice_url); expect
 * checks the call right after, and "error" the Twilio code of a refused update. */
static int update_step(struct emu_engine *e, const char *psid, json_t *step, size_t n,
                       const char *base, json_t *fails, char *err, size_t errlen)
{
	char sid[EMU_SID_LEN + 1], where[64];
	snprintf(where, sizeof(where), "step %zu: ", n);
	const char *label = str_of(step, "update");
	struct emu_update u = {0};
	u.method = str_of(step, "method");
	u.twiml = str_of(step, "twiml");
	u.status = str_of(step, "status");
	const char *t = str_of(step, "target");
	if (t && emu_outcome_parse(t, &u.target))
		return bad(err, errlen, "step %zu: target: answer, busy, no-answer or fail", n);
	u.target_set = t != NULL;
	const char *url = str_of(step, "url");
	if (!url && !u.twiml && !u.status)
		return bad(err, errlen,
		           "step %zu: an update needs \"url\", \"twiml\" or \"status\"", n);
	char *abs = url ? emu_flow_resolve(base, url) : NULL;
	u.url = abs;
	json_t *want = json_object_get(step, "expect");
	json_t *werr = json_object_get(want, "error");
	if (!sid_of(e, psid, label, sid)) {
		failuref(fails, json_string(label), NULL, "%sno leg to update", where);
		free(abs);
		return 0;
	}
	struct emu_update_err ue;
	int rc = emu_call_update(e, sid, &u, &ue);
	free(abs);
	if (rc && rc != EINVAL)
		return bad(err, errlen, "step %zu: update: %s", n, strerror(rc));
	json_t *got = rc ? json_integer(ue.code) : json_null();
	if (werr ? !json_equal(werr, got) : rc != 0)
		failuref(fails, werr ? json_incref(werr) : json_null(), json_incref(got),
		         "%supdate refused (Twilio code)%s%s", where, rc ? ": " : "",
		         rc ? ue.msg : "");
	json_decref(got);
	json_t *cj = NULL;
	if (emu_call_json(e, psid, &cj) == 0)
		check_state(want, cj, where, fails);
	json_decref(cj);
	return 0;
}

static int run_step(struct emu_engine *e, const char *psid, json_t *step, size_t n, json_t *refers,
                    const char *base, json_t *fails, const struct emu_flow_hooks *hk, char *err,
                    size_t errlen)
{
	char sid[EMU_SID_LEN + 1], where[64];
	snprintf(where, sizeof(where), "step %zu: ", n);
	const char *label = str_of(step, "refer");
	if (label) {
		struct emu_refer_req req = {0};
		req.refer_to = str_of(step, "refer_to");
		if (!req.refer_to)
			return bad(err, errlen, "step %zu: a refer needs \"refer_to\"", n);
		const char *t = str_of(step, "target");
		enum emu_outcome targets[EMU_ENG_MAX_TARGETS];
		size_t nt = 0;
		if (t && emu_outcomes_parse(t, targets, EMU_ENG_MAX_TARGETS, &nt))
			return bad(
			    err, errlen,
			    "step %zu: target: answer, busy, no-answer or fail, or a "
			    "comma-separated list of them (one per party dialled, at most %d)",
			    n, EMU_ENG_MAX_TARGETS);
		if (nt) {
			req.target = targets[0];
			req.then = targets + 1;
			req.nthen = nt - 1;
		}
		struct emu_params h = {0};
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(step, "headers"), k, v)
		{
			(void)emu_params_add(&h, k, json_string_value(v));
		}
		req.headers = &h;
		json_t *res = NULL;
		if (!sid_of(e, psid, label, sid)) {
			failuref(fails, json_string(label), NULL, "%sno leg to REFER on", where);
			emu_params_free(&h);
			return 0;
		}
		int rc = hk && hk->refer ? hk->refer(hk->ctx, e, sid, &req, &res)
		                         : emu_refer(e, sid, &req, &res);
		emu_params_free(&h);
		if (rc)
			return bad(err, errlen, "step %zu: refer: %s", n, strerror(rc));
		check_state(json_object_get(step, "expect"), res, where, fails);
		json_object_del(res, "legs");
		json_array_append_new(refers, res);
		return 0;
	}
	label = str_of(step, "hangup");
	if (label) {
		if (!sid_of(e, psid, label, sid))
			failuref(fails, json_string(label), NULL, "%sno leg to hang up", where);
		else
			(void)emu_hangup(e, sid);
		return 0;
	}
	label = str_of(step, "update");
	if (label)
		return update_step(e, psid, step, n, base, fails, err, errlen);
	return bad(err, errlen, "step %zu: needs \"refer\", \"hangup\" or \"update\"", n);
}

int emu_flow_run(json_t *flow, const struct emu_flow_opts *opts, json_t **result, char *err,
                 size_t errlen)
{
	return emu_flow_run_hooked(flow, opts, NULL, result, err, errlen);
}

int emu_flow_run_hooked(json_t *flow, const struct emu_flow_opts *opts,
                        const struct emu_flow_hooks *hk, json_t **result, char *err, size_t errlen)
{
	if (!json_is_object(flow))
		return bad(err, errlen, "a flow is a JSON object");
	json_t *app = json_object_get(flow, "app");
	if (app && (!json_is_object(app) || json_object_size(app) > EMU_FLOW_MAX_APP))
		return bad(err, errlen, "\"app\" must be an object of at most %d answers",
		           EMU_FLOW_MAX_APP);
	json_t *steps = json_object_get(flow, "steps");
	if (steps && (!json_is_array(steps) || json_array_size(steps) > EMU_FLOW_MAX_STEPS))
		return bad(err, errlen, "\"steps\" must be an array of at most %d steps",
		           EMU_FLOW_MAX_STEPS);
	json_t *expect = json_object_get(flow, "expect");
	if (expect && !json_is_object(expect))
		return bad(err, errlen, "\"expect\" must be an object");
	if (matchers_ok(expect, err, errlen))
		return EBADMSG;
	struct loaded L;
	memset(&L, 0, sizeof(L));
	int rc = load_spec(flow, &L, err, errlen);
	if (rc) {
		loaded_free(&L);
		return rc;
	}
	json_t *empty = json_object();
	struct emu_config cfg;
	emu_config_init(&cfg);
	json_t *seed = json_object_get(flow, "seed");
	if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0)) {
		json_decref(empty);
		loaded_free(&L);
		return bad(err, errlen, "\"seed\" must be a non-negative integer");
	}
	if (seed)
		cfg.seed = (uint64_t)json_integer_value(seed);
	json_t *app_url = json_object_get(flow, "app_url");
	if (app_url && opts && opts->offline) {
		json_decref(empty);
		loaded_free(&L);
		return bad(err, errlen, "\"app_url\" is refused offline");
	}
	if (app_url && !json_is_string(app_url)) {
		json_decref(empty);
		loaded_free(&L);
		return bad(err, errlen, "\"app_url\" must be a URL");
	}
	struct mixed mx = {
	    app ? app : empty, app_url != NULL, {.auth_token = opts ? opts->auth_token : NULL}};
	cfg.fetcher.ctx = &mx;
	cfg.fetcher.fetch = mixed_fetch;
	if (mx.live && mx.lv.auth_token && *mx.lv.auth_token) {
		cfg.signer.ctx = &mx.lv;
		cfg.signer.sign = emu_live_sign;
	}
	struct emu_engine *e = NULL;
	char psid[EMU_SID_LEN + 1];
	json_t *fails = json_array(), *refers = json_array();
	rc = emu_engine_new(&cfg, &e);
	if (!rc && hk && hk->engine)
		hk->engine(hk->ctx, e);
	if (!rc)
		rc = hk && hk->create ? hk->create(hk->ctx, e, &L.spec, psid)
		                      : emu_call_create(e, &L.spec, psid);
	if (rc) {
		rc = bad(err, errlen, "the call could not be created: %s", strerror(rc));
		goto out;
	}
	for (size_t i = 0; i < json_array_size(steps); i++) {
		rc = run_step(e, psid, json_array_get(steps, i), i + 1, refers, L.spec.voice_url,
		              fails, hk, err, errlen);
		if (rc)
			goto out;
	}
	json_t *cj = NULL, *evs = NULL;
	(void)emu_call_json(e, psid, &cj);
	(void)emu_events_json(e, psid, &evs);
	json_t *want = json_object_get(flow, "expect");
	check_state(want, cj, "", fails);
	check_events(want, evs, fails);
	const char *name = str_of(flow, "name");
	*result = json_pack("{s:s, s:b, s:O, s:o, s:o, s:o}", "name", name ? name : "", "ok",
	                    json_array_size(fails) == 0, "failures", fails, "refers", refers,
	                    "call", cj, "events", evs);
	refers = NULL;
out:
	if (e && hk && hk->done)
		hk->done(hk->ctx, e);
	json_decref(fails);
	json_decref(refers);
	json_decref(empty);
	emu_engine_free(e);
	loaded_free(&L);
	return rc;
}

int emu_flow_run_file(const char *path, const struct emu_flow_opts *opts, json_t **result,
                      char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s", strerror(e));
		return e == EACCES ? EACCES : ENOENT;
	}
	char *buf = xmalloc(EMU_FLOW_MAX_BYTES + 1);
	size_t n = fread(buf, 1, EMU_FLOW_MAX_BYTES + 1, f);
	fclose(f);
	if (n > EMU_FLOW_MAX_BYTES) {
		free(buf);
		snprintf(err, errlen, "over %d bytes", EMU_FLOW_MAX_BYTES);
		return E2BIG;
	}
	json_error_t je;
	json_t *flow = json_loadb(buf, n, 0, &je);
	free(buf);
	if (!flow)
		return bad(err, errlen, "line %d: %s", je.line, je.text);
	int rc = emu_flow_run(flow, opts, result, err, errlen);
	json_decref(flow);
	return rc;
}

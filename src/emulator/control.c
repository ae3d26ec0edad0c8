/* emu_control: the emulator's control endpoints (/emulator/calls...) over the call engine. */
#include "emulator/control.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "emulator/live.h"
#include "emulator/parties.h"
#include "net/httpd.h"
#include "util/mem.h"
#include "webhooks/form.h"

struct emu_control {
	struct emu_engine *eng;
	struct emu_rest *rest;
	struct emu_live live;
	char *token; /* our copy of the signing token, wiped on free */
	struct emu_parties *parties;
	/* Calls.json calls run on their own threads; free waits for them */
	pthread_mutex_t mu;
	pthread_cond_t idle;
	pthread_cond_t wake;   /* a call changed (an update) or the control stops */
	unsigned long changes; /* counts the updates, for the waiters */
	int running;
	bool stopping;
};

_Static_assert(EMU_PARTIES_MAX <= EMU_ENG_MAX_OUTCOMES, "a call takes every party");

int emu_control_new(struct emu_rest *rest, const char *auth_token, struct emu_control **out)
{
	if (!rest)
		return EINVAL;
	struct emu_control *c = xcalloc(1, sizeof(*c));
	c->rest = rest;
	c->token = xstrdup(auth_token ? auth_token : "");
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->idle, NULL);
	pthread_cond_init(&c->wake, NULL);
	c->parties = emu_parties_new();
	c->live.auth_token = c->token;
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.clock = EMU_CLOCK_REAL;
	cfg.account_sid = emu_rest_account_sid(rest);
	cfg.fetcher = (struct emu_fetcher){&c->live, emu_live_fetch};
	if (auth_token && *auth_token)
		cfg.signer = (struct emu_signer){&c->live, emu_live_sign};
	int rc = emu_engine_new(&cfg, &c->eng);
	if (rc) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->idle);
		pthread_cond_destroy(&c->wake);
		emu_parties_free(c->parties);
		xwipe(c->token, strlen(c->token));
		free(c->token);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void emu_control_free(struct emu_control *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stopping = true; /* calls left ringing stop waiting */
	pthread_cond_broadcast(&c->wake);
	while (c->running > 0)
		pthread_cond_wait(&c->idle, &c->mu);
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->idle);
	pthread_cond_destroy(&c->wake);
	emu_parties_free(c->parties);
	emu_engine_free(c->eng);
	xwipe(c->token, strlen(c->token));
	free(c->token);
	free(c);
}

void emu_control_set_listener(struct emu_control *c, const char *host, int port)
{
	snprintf(c->live.self_host, sizeof(c->live.self_host), "%s", host ? host : "");
	c->live.self_port = port; /* set before the first request: read without a lock */
}

struct emu_engine *emu_control_engine(struct emu_control *c)
{
	return c->eng;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A call changed outside its own thread: the threads that wait for a ringing call look. */
static void changed(struct emu_control *c)
{
	pthread_mutex_lock(&c->mu);
	c->changes++;
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->mu);
}

static void rfc2822(json_t *ms, char out[40])
{
	if (!json_is_integer(ms)) {
		out[0] = 0;
		return;
	}
	time_t t = (time_t)(json_integer_value(ms) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 40, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* Publishes every leg of the engine's call JSON as a Call resource of the twin. */
static void publish(struct emu_control *c, json_t *call)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		const char *sid = json_string_value(json_object_get(l, "sid"));
		json_t *o = emu_rest_call_get(c->rest, sid);
		if (!o)
			o = emu_rest_call_new(
			    c->rest, json_string_value(json_object_get(l, "from")),
			    json_string_value(json_object_get(l, "to")),
			    json_string_value(json_object_get(l, "direction")),
			    json_string_value(json_object_get(l, "parent_call_sid")));
		char uri[160], date[40];
		snprintf(uri, sizeof(uri), "/2010-04-01/Accounts/%s/Calls/%s.json",
		         emu_rest_account_sid(c->rest), sid);
		json_object_set_new(o, "sid", json_string(sid));
		json_object_set_new(o, "uri", json_string(uri));
		json_object_set(o, "status", json_object_get(l, "status"));
		json_object_set(o, "parent_call_sid", json_object_get(l, "parent_call_sid"));
		rfc2822(json_object_get(l, "start_ms"), date);
		json_object_set_new(o, "start_time", date[0] ? json_string(date) : json_null());
		rfc2822(json_object_get(l, "end_ms"), date);
		json_object_set_new(o, "end_time", date[0] ? json_string(date) : json_null());
		json_t *d = json_object_get(l, "duration");
		if (json_is_integer(d)) {
			char num[24];
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(d));
			json_object_set_new(o, "duration", json_string(num));
		}
		(void)emu_rest_call_put(c->rest, o);
		json_decref(o);
	}
}

static void send_json(struct http_resp *resp, int status, json_t *j)
{
	resp->status = status;
	resp->content_type = "application/json";
	char *s = json_dumps(j, JSON_COMPACT);
	if (s)
		buf_adds(&resp->body, s);
	free(s);
	json_decref(j);
}

static int fail(struct http_resp *resp, int status, int code, const char *msg)
{
	send_json(resp, status,
	          json_pack("{s:i, s:s, s:s, s:i}", "code", code, "message", msg, "more_info",
	                    "https://www.twilio.com/docs/errors", "status", status));
	return 0;
}

/* The form body decoded into f; the copy it points into is *keep (caller frees). */
static int body_form(const struct http_req *req, struct form *f, char **keep)
{
	*keep = xstrndup(req->body ? req->body : "", req->body_len);
	return form_parse(*keep, req->body_len, f);
}

/* What a call to the number `to` runs: its trunk's transfer settings (unless a profile was
 * named), else, for twilio-voice, its Voice URL. *num and *trunk are the twin's records (the
 * caller decrefs). 0, ENOENT (no such number), ENODATA (a voice number without VoiceUrl). */
static int number_spec(struct emu_control *c, const char *to, bool profile_named, bool origination,
                       struct emu_call_spec *sp, json_t **num, json_t **trunk)
{
	*num = emu_rest_number_by_phone(c->rest, to);
	const char *tsid = json_string_value(json_object_get(*num, "trunk_sid"));
	if (tsid && !profile_named) {
		sp->profile = EMU_TWILIO_TRUNK;
		sp->trunk_origination = origination;
		*trunk = emu_rest_trunk_get(c->rest, tsid);
		const char *m = json_string_value(json_object_get(*trunk, "transfer_mode"));
		sp->transfer_mode = m && strcmp(m, "enable-all") == 0 ? EMU_XFER_ENABLE_ALL
		                    : m && strcmp(m, "sip-only") == 0 ? EMU_XFER_SIP_ONLY
		                                                      : EMU_XFER_DISABLE_ALL;
		const char *cid = json_string_value(json_object_get(*trunk, "transfer_caller_id"));
		sp->transfer_caller_id = cid && strcmp(cid, "from-transferor") == 0
		                             ? EMU_CID_TRANSFEROR
		                             : EMU_CID_TRANSFEREE;
	} else if (sp->profile == EMU_TWILIO_VOICE) {
		sp->voice_url = json_string_value(json_object_get(*num, "voice_url"));
		sp->voice_method = json_string_value(json_object_get(*num, "voice_method"));
		if (!*num)
			return ENOENT;
		if (!sp->voice_url || !*sp->voice_url)
			return ENODATA;
	}
	return 0;
}

/* POST /emulator/calls with To sip:USER@NAME.sip.twilio.com: what an INVITE to that SIP
 * domain user starts (SipCallId and SipHeader_X-... from the form). */
static int domain_post(struct emu_control *c, const struct form *f, const char *from,
                       const char *to, struct http_resp *resp)
{
	const char *at = strchr(to, '@');
	char user[EMU_CONTROL_MAX_SIP_USER + 1], host[EMU_CONTROL_MAX_PATH];
	if (!at || at - (to + 4) < 1 || (size_t)(at - (to + 4)) > EMU_CONTROL_MAX_SIP_USER ||
	    strlen(at + 1) >= sizeof(host))
		return fail(resp, 400, 21211, "To must be sip:USER@NAME.sip.twilio.com");
	snprintf(user, sizeof(user), "%.*s", (int)(at - (to + 4)), to + 4);
	snprintf(host, sizeof(host), "%s", at + 1);
	host[strcspn(host, ";?:>")] = '\0';
	struct emu_params h = {0};
	for (size_t i = 0; i < f->n; i++)
		if (strncmp(f->p[i].name, "SipHeader_", 10) == 0)
			(void)emu_params_add(&h, f->p[i].name + 10, f->p[i].value);
	struct emu_control_sip_in in = {NULL,        from, user, host, form_get(f, "SipCallId"),
	                                "127.0.0.1", &h};
	char sid[EMU_SID_LEN + 1];
	int e = emu_control_dial_domain(c, &in, sid);
	emu_params_free(&h);
	if (e == ENOENT)
		return fail(resp, 404, 21211,
		            "To is not a SIP domain (with a VoiceUrl) of this emulator");
	if (e)
		return fail(resp, e == E2BIG ? 429 : 400, e == E2BIG ? 20429 : 21211,
		            e == E2BIG ? "too many calls"
		                       : "To must be sip:USER@NAME.sip.twilio.com");
	json_t *cj = NULL;
	emu_call_json(c->eng, sid, &cj);
	send_json(resp, 201, cj);
	return 0;
}

static int calls_post(struct emu_control *c, const struct http_req *req, struct http_resp *resp)
{
	struct form f;
	char *keep = NULL;
	if (body_form(req, &f, &keep)) {
		free(keep);
		return fail(resp, 400, 20001, "malformed form body");
	}
	const char *from = form_get(&f, "From"), *to = form_get(&f, "To");
	const char *prof = form_get(&f, "Profile");
	struct emu_call_spec sp = {0};
	json_t *num = NULL, *trunk = NULL;
	int rc = 0;
	if (!from || !to) {
		rc = fail(resp, 400, 21201, "From and To are required");
		goto out;
	}
	if (prof && emu_profile_parse(prof, &sp.profile)) {
		rc = fail(resp, 400, 20001, "Profile must be twilio-voice, twilio-trunk or plivo");
		goto out;
	}
	if (strncasecmp(to, "sip:", 4) == 0) {
		rc = domain_post(c, &f, from, to, resp);
		goto out;
	}
	sp.from = from;
	sp.to = to;
	struct emu_dial_outcome oc[EMU_PARTIES_MAX];
	char ocs[EMU_PARTIES_MAX][EMU_PARTY_MAX_ADDR + 1];
	sp.outcomes = oc;
	sp.noutcomes = emu_parties_outcomes(c->parties, oc, ocs, EMU_PARTIES_MAX);
	int e = number_spec(c, to, prof != NULL, true, &sp, &num, &trunk);
	if (e == ENOENT) {
		rc = fail(resp, 404, 21211, "To is not a number provisioned on this emulator");
		goto out;
	}
	if (e) {
		rc = fail(resp, 400, 21205, "the number has no VoiceUrl");
		goto out;
	}
	char sid[EMU_SID_LEN + 1];
	e = emu_call_create(c->eng, &sp, sid);
	if (e) {
		rc = fail(resp, e == E2BIG ? 429 : 400, e == E2BIG ? 20429 : 20001,
		          e == E2BIG ? "too many calls" : "the call could not be created");
		goto out;
	}
	json_t *cj = NULL;
	emu_call_json(c->eng, sid, &cj);
	publish(c, cj);
	send_json(resp, 201, cj);
out:
	json_decref(num);
	json_decref(trunk);
	free(keep);
	return rc;
}

static int refer_post(struct emu_control *c, const char *sid, const struct http_req *req,
                      struct http_resp *resp)
{
	struct form f;
	char *keep = NULL;
	if (body_form(req, &f, &keep)) {
		free(keep);
		return fail(resp, 400, 20001, "malformed form body");
	}
	struct emu_refer_req rq = {.refer_to = form_get(&f, "ReferTo"), .target = EMU_ANSWER};
	const char *t = form_get(&f, "Target");
	enum emu_outcome targets[EMU_ENG_MAX_TARGETS];
	size_t nt = 0;
	struct emu_params h = {0};
	for (size_t i = 0; i < f.n; i++)
		if (strncmp(f.p[i].name, "SipHeader_", 10) == 0)
			(void)emu_params_add(&h, f.p[i].name + 10, f.p[i].value);
	rq.headers = &h;
	json_t *out = NULL;
	int e = 0;
	bool bad_target = t && emu_outcomes_parse(t, targets, EMU_ENG_MAX_TARGETS, &nt);
	if (nt) { /* "busy,answer": the first party, then the next ones (failover) */
		rq.target = targets[0];
		rq.then = targets + 1;
		rq.nthen = nt - 1;
	}
	if (!rq.refer_to)
		fail(resp, 400, 21201, "ReferTo is required");
	else if (bad_target)
		fail(resp, 400, 20001,
		     "Target must be answer, busy, no-answer or fail, or a comma-separated list of "
		     "them (one per party dialled, in order; at most 10)");
	else if ((e = emu_refer(c->eng, sid, &rq, &out)) == EBUSY)
		fail(resp, 409, 20409, "the call is waiting for a webhook; try again");
	else if (e)
		fail(resp, 404, 20404, "no such call leg");
	else {
		json_t *cj = NULL;
		if (emu_call_json(c->eng, sid, &cj) == 0)
			publish(c, cj);
		json_decref(cj);
		send_json(resp, 200, out);
	}
	emu_params_free(&h);
	free(keep);
	return 0;
}

/* POST /emulator/parties: Address, Answer (answer|busy|no-answer|fail), AfterMs; GET lists
 * them, DELETE forgets them all. */
static int parties(struct emu_control *c, const struct http_req *req, struct http_resp *resp)
{
	if (strcmp(req->method, "GET") == 0) {
		send_json(resp, 200, emu_parties_json(c->parties));
		return 0;
	}
	if (strcmp(req->method, "DELETE") == 0) {
		emu_parties_clear(c->parties);
		send_json(resp, 200, emu_parties_json(c->parties));
		return 0;
	}
	if (strcmp(req->method, "POST") != 0)
		return fail(resp, 405, 20004, "Method not allowed");
	struct form f;
	char *keep = NULL;
	if (body_form(req, &f, &keep)) {
		free(keep);
		return fail(resp, 400, 20001, "malformed form body");
	}
	const char *addr = form_get(&f, "Address"), *ans = form_get(&f, "Answer");
	const char *after = form_get(&f, "AfterMs");
	enum emu_outcome o = EMU_ANSWER;
	char *end = NULL;
	long ms = after ? strtol(after, &end, 10) : 0;
	int rc = 0;
	if (!addr || !*addr)
		rc = fail(resp, 400, 21201, "Address is required");
	else if (ans && emu_outcome_parse(ans, &o))
		rc = fail(resp, 400, 20001, "Answer must be answer, busy, no-answer or fail");
	else if (after && (!*after || *end || ms < 0 || ms > EMU_PARTY_MAX_AFTER))
		rc = fail(resp, 400, 20001, "AfterMs must be 0 to 60000");
	else if (emu_parties_set(c->parties, addr, o, (unsigned)ms))
		rc =
		    fail(resp, 400, 20001, "the parties table is full, or the Address is too long");
	else
		send_json(resp, 200, emu_parties_json(c->parties));
	free(keep);
	return rc;
}

static int control(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct emu_control *c = ctx;
	const char *p = req->path;
	bool post = strcmp(req->method, "POST") == 0, get = strcmp(req->method, "GET") == 0;
	if (strlen(p) > EMU_CONTROL_MAX_PATH)
		return ENOENT;
	if (strcmp(p, "/emulator/parties") == 0)
		return parties(c, req, resp);
	if (strcmp(p, "/emulator/calls") == 0)
		return post ? calls_post(c, req, resp)
		            : fail(resp, 405, 20004, "Method not allowed");
	if (strncmp(p, "/emulator/calls/", 16) != 0)
		return ENOENT;
	char sid[EMU_SID_LEN + 1];
	const char *s = p + 16, *slash = strchr(s, '/');
	size_t sl = slash ? (size_t)(slash - s) : strlen(s);
	if (sl != EMU_SID_LEN)
		return ENOENT;
	memcpy(sid, s, sl);
	sid[sl] = 0;
	const char *sub = slash ? slash : "";
	json_t *j = NULL;
	if (strcmp(sub, "") == 0 && get) {
		if (emu_call_json(c->eng, sid, &j))
			return fail(resp, 404, 20404, "no such call");
		send_json(resp, 200, j);
		return 0;
	}
	if (strcmp(sub, "/events") == 0 && get) {
		if (emu_events_json(c->eng, sid, &j))
			return fail(resp, 404, 20404, "no such call");
		send_json(resp, 200, j);
		return 0;
	}
	if (strcmp(sub, "/refer") == 0 && post)
		return refer_post(c, sid, req, resp);
	if (strcmp(sub, "/hangup") == 0 && post) {
		int e = emu_hangup(c->eng, sid);
		changed(c);
		if (e == EBUSY)
			return fail(resp, 409, 20409,
			            "the call is waiting for a webhook; try again");
		if (e || emu_call_json(c->eng, sid, &j))
			return fail(resp, 404, 20404, "no such call leg");
		publish(c, j);
		send_json(resp, 200, j);
		return 0;
	}
	if (!strcmp(sub, "") || !strcmp(sub, "/events") || !strcmp(sub, "/refer") ||
	    !strcmp(sub, "/hangup"))
		return fail(resp, 405, 20004, "Method not allowed");
	return ENOENT;
}

/* A Calls.json call waiting to run: copies of what the twin stored. */
struct pending_call {
	struct emu_control *c;
	char *sid, *from, *to, *url, *method, *twiml;
	char *sc, *sc_method, *sc_event; /* StatusCallback, its method and events */
	unsigned timeout_s;
};

static char *dup_field(const json_t *call, const char *k)
{
	const char *v = json_string_value(json_object_get(call, k));
	return v ? xstrdup(v) : NULL;
}

static void publish_sid(struct emu_control *c, const char *sid)
{
	json_t *cj = NULL;
	if (emu_call_json(c->eng, sid, &cj) == 0)
		publish(c, cj);
	json_decref(cj);
}

/* Waits (real time, without the engine's lock) up to ms while leg sid is still ringing;
 * an update wakes it early, and so does the control stopping (then false). */
static bool ring_wait(struct emu_control *c, const char *sid, unsigned ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	bool go;
	pthread_mutex_lock(&c->mu);
	while (!c->stopping) {
		unsigned long seen = c->changes;
		char st[16] = "";
		pthread_mutex_unlock(&c->mu);
		bool ringing = emu_leg_status(c->eng, sid, st) == 0 && strcmp(st, "ringing") == 0;
		pthread_mutex_lock(&c->mu);
		if (!ringing || c->stopping)
			break;
		if (seen != c->changes) /* an update came while we looked: look again */
			continue;
		if (pthread_cond_timedwait(&c->wake, &c->mu, &dl) == ETIMEDOUT)
			break;
	}
	go = !c->stopping;
	pthread_mutex_unlock(&c->mu);
	return go;
}

/* Runs one Calls.json call in the engine: it rings its To, whose party (POST
 * /emulator/parties; default: answers at once) answers, is busy, fails, or does not answer
 * within Timeout; the legs are published as it goes. */
static void run_pending(struct pending_call *pc)
{
	struct emu_control *c = pc->c;
	struct emu_call_spec sp = {0};
	sp.profile = EMU_TWILIO_VOICE;
	sp.sid = pc->sid;
	sp.direction = "outbound-api";
	sp.from = pc->from;
	sp.to = pc->to;
	sp.voice_url = pc->url;
	sp.voice_method = pc->method;
	sp.twiml = pc->twiml;
	sp.status_callback = pc->sc;
	sp.status_callback_method = pc->sc_method;
	sp.status_callback_event = pc->sc_event;
	sp.outbound = true;
	sp.hold_ringing = true;
	sp.timeout_s = pc->timeout_s;
	struct emu_dial_outcome oc[EMU_PARTIES_MAX];
	char ocs[EMU_PARTIES_MAX][EMU_PARTY_MAX_ADDR + 1];
	sp.outcomes = oc;
	sp.noutcomes = emu_parties_outcomes(c->parties, oc, ocs, EMU_PARTIES_MAX);
	struct emu_party party = {.answer = EMU_ANSWER};
	(void)emu_parties_get(c->parties, pc->to, &party);
	char sid[EMU_SID_LEN + 1];
	if (emu_call_create(c->eng, &sp, sid) == 0) {
		publish_sid(c, sid);
		unsigned ms = party.answer == EMU_NO_ANSWER
		                  ? (pc->timeout_s ? pc->timeout_s : EMU_ENG_DEF_TIMEOUT_S) * 1000
		                  : party.after_ms;
		if (ring_wait(c, sid, ms)) {
			int rc;
			/* a webhook of this call in flight (a status callback): try again shortly
			 */
			for (int i = 0;
			     (rc = emu_call_ring_end(c->eng, sid, party.answer)) == EBUSY &&
			     i < EMU_CONTROL_BUSY_TRIES;
			     i++)
				sleep_ms(EMU_CONTROL_BUSY_SLEEP_MS);
			publish_sid(c, sid);
		}
	}
	free(pc->sid);
	free(pc->from);
	free(pc->to);
	free(pc->url);
	free(pc->method);
	free(pc->twiml);
	free(pc->sc);
	free(pc->sc_method);
	free(pc->sc_event);
	free(pc);
}

static void *pending_thread(void *arg)
{
	struct pending_call *pc = arg;
	struct emu_control *c = pc->c;
	run_pending(pc);
	pthread_mutex_lock(&c->mu);
	if (--c->running == 0)
		pthread_cond_broadcast(&c->idle);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* A Calls.json POST (outbound-api): like Twilio, the call is answered "queued" and then
 * runs (its Url fetched, its TwiML executed) on its own thread, so the REST answer never
 * waits for the app's webhooks. Past EMU_CONTROL_MAX_RUNNING at once, it runs inline. */
static void call_created(void *ctx, const char *call_sid, const json_t *call)
{
	struct emu_control *c = ctx;
	struct pending_call *pc = xcalloc(1, sizeof(*pc));
	pc->c = c;
	pc->sid = xstrdup(call_sid);
	pc->from = dup_field(call, "from");
	pc->to = dup_field(call, "to");
	pc->url = dup_field(call, "_url");
	pc->method = dup_field(call, "_method");
	pc->twiml = dup_field(call, "_twiml");
	pc->sc = dup_field(call, "_status_callback");
	pc->sc_method = dup_field(call, "_status_callback_method");
	pc->sc_event = dup_field(call, "_status_callback_event");
	json_t *tmo = json_object_get(call, "_timeout");
	pc->timeout_s = json_is_integer(tmo) ? (unsigned)json_integer_value(tmo) : 0;
	pthread_mutex_lock(&c->mu);
	bool spawn = c->running < EMU_CONTROL_MAX_RUNNING;
	if (spawn)
		c->running++;
	pthread_mutex_unlock(&c->mu);
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (spawn && pthread_create(&t, &at, pending_thread, pc) == 0) {
		pthread_attr_destroy(&at);
		return;
	}
	pthread_attr_destroy(&at);
	if (spawn) {
		pthread_mutex_lock(&c->mu);
		if (--c->running == 0)
			pthread_cond_broadcast(&c->idle);
		pthread_mutex_unlock(&c->mu);
	}
	run_pending(pc);
}

static void engine_err(struct emu_rest_err *out, const struct emu_update_err *in)
{
	out->status = in->status;
	out->code = in->code;
	snprintf(out->msg, sizeof(out->msg), "%s", in->msg);
}

/* POST .../Calls/{CA}.json through the engine; the call's legs are published, and a call
 * left ringing stops waiting when the update ended it. */
static int call_update(void *ctx, const char *sid, const struct emu_rest_update *u,
                       struct emu_rest_err *err)
{
	struct emu_control *c = ctx;
	struct emu_update eu = {u->url, u->method, u->twiml, u->status, false, EMU_ANSWER};
	struct emu_update_err ee;
	int rc;
	for (int i = 0;
	     (rc = emu_call_update(c->eng, sid, &eu, &ee)) == EBUSY && i < EMU_CONTROL_BUSY_TRIES;
	     i++)
		sleep_ms(EMU_CONTROL_BUSY_SLEEP_MS);
	if (rc == 0 || rc == EINVAL)
		publish_sid(c, sid);
	changed(c);
	if (rc == EINVAL) {
		engine_err(err, &ee);
	} else if (rc == ENOENT) {
		*err =
		    (struct emu_rest_err){400, 21220, "Call is not in-progress. Cannot redirect."};
	} else if (rc == EBUSY) {
		*err =
		    (struct emu_rest_err){409, 20409, "the call is busy with a webhook; try again"};
	}
	return rc;
}

static int call_delete(void *ctx, const char *sid, struct emu_rest_err *err)
{
	struct emu_control *c = ctx;
	struct emu_update_err ee;
	int rc = emu_call_deletable(c->eng, sid, &ee);
	if (rc == EINVAL)
		engine_err(err, &ee);
	return rc;
}

int emu_control_dial_in(struct emu_control *c, const char *from, const char *to,
                        const char *profile, const char *sid)
{
	struct emu_call_spec sp = {0};
	json_t *num = NULL, *trunk = NULL;
	if (profile && emu_profile_parse(profile, &sp.profile))
		return EINVAL;
	/* the Request-URI's user is the number, with or without its '+' */
	char plus[64];
	snprintf(plus, sizeof(plus), "+%s", to);
	if (to[0] != '+' && sp.profile == EMU_TWILIO_VOICE) {
		json_t *n = emu_rest_number_by_phone(c->rest, plus);
		if (n)
			to = plus;
		json_decref(n);
	}
	sp.from = from;
	sp.to = to;
	sp.sid = sid;
	struct emu_dial_outcome oc[EMU_PARTIES_MAX];
	char ocs[EMU_PARTIES_MAX][EMU_PARTY_MAX_ADDR + 1];
	sp.outcomes = oc;
	sp.noutcomes = emu_parties_outcomes(c->parties, oc, ocs, EMU_PARTIES_MAX);
	/* a PBX's INVITE through the trunk: termination (the transferee is the number called) */
	int rc = number_spec(c, to, profile != NULL, false, &sp, &num, &trunk);
	char out[EMU_SID_LEN + 1];
	if (!rc)
		rc = emu_call_create(c->eng, &sp, out);
	json_t *cj = NULL;
	if (!rc && emu_call_json(c->eng, out, &cj) == 0)
		publish(c, cj);
	json_decref(cj);
	json_decref(num);
	json_decref(trunk);
	return rc == ENODATA ? ENOENT : rc;
}

int emu_control_dial_domain(struct emu_control *c, const struct emu_control_sip_in *in,
                            char *sid_out)
{
	if (!in->user || !in->domain || !in->from || strlen(in->user) > EMU_CONTROL_MAX_SIP_USER ||
	    strpbrk(in->user, "@;?<> "))
		return EINVAL;
	json_t *dom = emu_rest_domain_by_name(c->rest, in->domain);
	const char *url = json_string_value(json_object_get(dom, "voice_url"));
	if (!url || !*url) {
		json_decref(dom);
		return ENOENT;
	}
	const char *name = json_string_value(json_object_get(dom, "domain_name"));
	char to[EMU_CONTROL_MAX_SIP_USER + 300], cid[64];
	snprintf(to, sizeof(to), "sip:%s@%s", in->user, name);
	if (!in->call_id || !*in->call_id) { /* a JSON-started call gets a Call-ID of its own */
		char hex[35];
		emu_rest_sid(hex, "XX");
		snprintf(cid, sizeof(cid), "%s@127.0.0.1", hex + 2);
	}
	struct emu_params sip = {0};
	(void)emu_params_add(&sip, "SipCallId", in->call_id && *in->call_id ? in->call_id : cid);
	(void)emu_params_add(&sip, "SipDomain", name);
	(void)emu_params_add(&sip, "SipDomainSid", json_string_value(json_object_get(dom, "sid")));
	for (size_t i = 0; in->headers && i < in->headers->n; i++) {
		char pname[EMU_CONTROL_MAX_PATH];
		snprintf(pname, sizeof(pname), "SipHeader_%s", in->headers->v[i].name);
		(void)emu_params_add(&sip, pname, in->headers->v[i].value);
	}
	(void)emu_params_add(&sip, "SipSourceIp",
	                     in->source_ip && *in->source_ip ? in->source_ip : "127.0.0.1");
	struct emu_call_spec sp = {0};
	sp.profile = EMU_TWILIO_VOICE;
	sp.from = in->from;
	sp.to = to;
	sp.sid = in->sid;
	sp.voice_url = url;
	sp.voice_method = json_string_value(json_object_get(dom, "voice_method"));
	sp.sip_params = &sip;
	struct emu_dial_outcome oc[EMU_PARTIES_MAX];
	char ocs[EMU_PARTIES_MAX][EMU_PARTY_MAX_ADDR + 1];
	sp.outcomes = oc;
	sp.noutcomes = emu_parties_outcomes(c->parties, oc, ocs, EMU_PARTIES_MAX);
	char out[EMU_SID_LEN + 1];
	int rc = emu_call_create(c->eng, &sp, out);
	json_t *cj = NULL;
	if (!rc && emu_call_json(c->eng, out, &cj) == 0)
		publish(c, cj);
	json_decref(cj);
	if (!rc && sid_out)
		memcpy(sid_out, out, sizeof(out));
	emu_params_free(&sip);
	json_decref(dom);
	return rc;
}

void emu_control_publish_leg(struct emu_control *c, const char *leg_sid)
{
	json_t *cj = NULL;
	if (emu_call_json(c->eng, leg_sid, &cj) == 0)
		publish(c, cj);
	json_decref(cj);
}

void emu_control_attach(struct emu_control *c, struct emu_rest *rest)
{
	struct emu_rest_hooks h = {control, call_created, call_update, call_delete, c};
	emu_rest_set_hooks(rest, &h);
}

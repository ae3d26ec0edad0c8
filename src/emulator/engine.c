/* engine: the emulator's call engine core: the modelled rules, calls and their legs, SIDs,
 * the clock, the timeline, and the entry points that create, hang up and release calls. */
#include "emulator/engine_int.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "twiml/lint.h"
#include "util/buf.h"
#include "util/mem.h"

const struct emu_rule emu_rules[EMU_R__COUNT] = {
    [EMU_R_CONF_REFER] = {"voice.conference-refer", 603,
                          "SIP answer to a REFER on a <Dial><Conference|Queue> leg"},
    [EMU_R_REFER_TO_LONG] = {"voice.refer-to-too-long", 400,
                             "SIP answer to a REFER whose Refer-To passes 256 characters"},
    [EMU_R_NO_REFERURL] = {"voice.no-referurl-notify", 603,
                           "NOTIFY code after 202 when the <Dial> had no referUrl (13802)"},
    [EMU_R_CALLSID_PARENT] = {"voice.refer-callsid-parent", 1,
                              "referUrl webhook carries the parent's CallSid (1) or the "
                              "referring leg's (0)"},
    [EMU_R_REFER_XHEADERS] = {"voice.refer-x-headers", 1,
                              "X- headers on the REFER become SipHeader_<name> (1) or are "
                              "dropped (0)"},
    [EMU_R_NO_DIAL_DONE] = {"voice.no-dial-done-at-first-verb", 1,
                            "an answer without <Dial> completes the transfer when its first "
                            "verb starts"},
    [EMU_R_AOB_FALSE_FAILURE] = {"voice.aob-false-failure-notify", 503,
                                 "NOTIFY code when referUrl fails and answerOnBridge is false"},
    [EMU_R_SKIP_DIAL_ACTION] = {"voice.transfer-skips-dial-action", 1,
                                "the referUrl answer replaces the document: the original "
                                "<Dial> action is not requested"},
    [EMU_R_TRUNK_REFUSED] = {"trunk.refused-response", 403,
                             "SIP answer to a REFER the TransferMode refuses (32218)"},
    [EMU_R_TRUNK_EMERGENCY] = {"trunk.emergency-response", 403, "SIP answer to a REFER to 911/933"},
    [EMU_R_PLIVO_REFUSED] = {"plivo.refused-response", 403,
                             "SIP answer to a REFER outside the trunk domain, to a private "
                             "IP, or to a bad number"},
    [EMU_R_PLIVO_FAIL_NOTIFY] = {"plivo.fail-notify", 503,
                                 "NOTIFY code when the target fails (neither busy nor "
                                 "no-answer)"},
    [EMU_R_RING_MS] = {"clock.ring-ms", 2000, "virtual ms a target rings before it answers"},
    [EMU_R_VERB_MS] = {"clock.verb-ms", 1000, "virtual ms one <Say>/<Play> takes"},
    [EMU_R_SIP_NO_ANSWER_S] = {"sip.no-answer-seconds", 30,
                               "trunk/plivo: seconds before a ringing target is no-answer"},
    [EMU_R_REJECT_STATUS] = {"voice.reject-rejected-busy", 0,
                             "<Reject reason=\"rejected\"> ends the call busy (1) or failed "
                             "(0)"},
    [EMU_R_SIP_URI_OVER_TEXT] = {"voice.sip-uri-over-text", 1,
                                 "a <Sip> with a URI as text and <Uri> children dials the "
                                 "<Uri> children (1) or the text (0)"},
    [EMU_R_SIP_URI_ORDER] = {"voice.sip-uri-order", 1,
                             "<Uri> children are tried lowest priority first, equal "
                             "priorities drawn by weight from the seeded generator (1), or "
                             "in document order (0)"},
    [EMU_R_SIP_URI_BUSY_NEXT] = {"voice.sip-uri-busy-next", 1,
                                 "a busy <Uri> moves on to the next one (1) or ends the <Sip> "
                                 "busy (0)"},
    [EMU_R_SIP_PLUS_SPACE] = {"sip.uri-header-plus-is-space", 1,
                              "a '+' in a <Sip> URI header value reaches the target as a space "
                              "(1), as in Twilio's X-Name=Agent%2C+A example, or as '+' (0)"},
    [EMU_R_API_SKIP_ACTION] = {"api.update-skips-verb-action", 1,
                               "a call updated through the REST API leaves its <Dial> or "
                               "<Connect> without requesting the verb's action"},
    [EMU_R_API_CANCEL_LIVE] = {"api.cancel-in-progress-code", 21220,
                               "Twilio code for Status=canceled on a call in progress (0: "
                               "accepted, nothing changes)"},
    [EMU_R_API_RINGING] = {"api.update-ringing-runs-on-answer", 1,
                           "Url/Twiml sent to a queued or ringing call runs when it "
                           "answers (0: refused, 21220)"},
    [EMU_R_API_DELETE_LIVE] = {"api.delete-live-code", 21220,
                               "Twilio code for DELETE of a call that has not ended"},
    [EMU_R_STOP_UNNAMED] = {"voice.stop-unnamed-stops-all", 1,
                            "<Stop><Stream> without a name stops every <Start><Stream> (0: "
                            "none)"},
    [EMU_R_API_DONE_RINGING] = {"api.completed-ringing-canceled", 1,
                                "Status=completed on a queued or ringing call ends it canceled "
                                "(0: completed)"},
    [EMU_R_API_BAD_TWIML] = {"api.invalid-twiml-refused", 1,
                             "an update whose Twiml does not parse is refused with its TwiML "
                             "code and the call goes on (0: accepted, the call fails)"},
    [EMU_R_STREAM_TS] = {"stream.timestamp-iso8601", 1,
                         "a <Stream> statusCallback's Timestamp is ISO 8601 (0: RFC 2822)"},
    [EMU_R_TRUNK_BYE_WAIT_S] = {"trunk.transferor-bye-wait-s", 32,
                                "over real SIP: seconds Twilio waits after the final NOTIFY "
                                "for the transferor's BYE before it sends BYE itself"},
    [EMU_R_REFER_REPLACES] = {"sip.refer-replaces-response", 501,
                              "SIP answer to a REFER whose Refer-To carries Replaces (attended "
                              "transfer); 0: treated as a blind transfer"},
    [EMU_R_TRUNK_PSTN_NOT_TEL] = {"trunk.pstn-not-tel-response", 403,
                                  "SIP answer to a trunk REFER whose PSTN target is not "
                                  "tel:+E164 (202: accepted, then NOTIFY 403)"},
    [EMU_R_SIP_DOMAIN_UNKNOWN] = {"sip.unknown-domain-response", 404,
                                  "SIP answer to an INVITE for a SIP domain the account does "
                                  "not have (or one without a VoiceUrl)"},
};

int emu_rule_find(const char *name)
{
	for (int i = 0; i < EMU_R__COUNT; i++)
		if (strcmp(emu_rules[i].name, name) == 0)
			return i;
	return -1;
}

static const char *const outcome_names[] = {"answer", "busy", "no-answer", "fail"};

static const struct emu_profile_ops *const profiles[] = {
    [EMU_TWILIO_VOICE] = &emu_profile_voice,
    [EMU_TWILIO_TRUNK] = &emu_profile_trunk,
    [EMU_PLIVO] = &emu_profile_plivo,
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

static const struct emu_profile_ops *profile_ops(enum emu_profile p)
{
	return (unsigned)p < NPROFILES ? profiles[p] : NULL;
}

const char *emu_profile_name(enum emu_profile p)
{
	return (unsigned)p < NPROFILES ? profiles[p]->name : NULL;
}

const char *emu_outcome_name(enum emu_outcome o)
{
	return (unsigned)o < 4 ? outcome_names[o] : NULL;
}

int emu_profile_parse(const char *s, enum emu_profile *out)
{
	for (size_t i = 0; i < NPROFILES; i++)
		if (s && strcmp(s, profiles[i]->name) == 0) {
			*out = (enum emu_profile)i;
			return 0;
		}
	return EINVAL;
}

int emu_outcome_parse(const char *s, enum emu_outcome *out)
{
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, outcome_names[i]) == 0) {
			*out = (enum emu_outcome)i;
			return 0;
		}
	return EINVAL;
}

int emu_outcomes_parse(const char *s, enum emu_outcome *out, size_t max, size_t *n)
{
	size_t k = 0;
	if (!s)
		return EINVAL;
	for (const char *p = s;; p++) {
		size_t len = strcspn(p, ",");
		char name[16];
		if (len == 0 || len >= sizeof(name))
			return EINVAL;
		if (k == max)
			return E2BIG;
		memcpy(name, p, len);
		name[len] = '\0';
		if (emu_outcome_parse(name, &out[k++]))
			return EINVAL;
		p += len;
		if (!*p)
			break;
	}
	*n = k;
	return 0;
}

int emu_params_add(struct emu_params *p, const char *name, const char *value)
{
	if (p->n >= EMU_ENG_MAX_PARAMS)
		return E2BIG;
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n].name = xstrdup(name);
	p->v[p->n].value = xstrdup(value ? value : "");
	p->n++;
	return 0;
}

const char *emu_params_get(const struct emu_params *p, const char *name)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NULL;
}

void emu_params_free(struct emu_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].value);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

void emu_params_copy(struct emu_params *dst, const struct emu_params *src)
{
	for (size_t i = 0; src && i < src->n; i++)
		(void)emu_params_add(dst, src->v[i].name, src->v[i].value);
}

const char *const emu_st_names[] = {"queued", "ringing",   "in-progress", "completed",
                                    "busy",   "no-answer", "failed",      "canceled"};

void emu_config_init(struct emu_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->clock = EMU_CLOCK_VIRTUAL;
	cfg->seed = 1;
	for (int i = 0; i < EMU_R__COUNT; i++)
		cfg->rules[i] = emu_rules[i].def;
}

static uint64_t rnd(struct emu_engine *e)
{
	uint64_t z = (e->rng += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

uint64_t emu_rand(struct emu_engine *e)
{
	return rnd(e);
}

static void new_sid(struct emu_engine *e, const char *prefix, char *out)
{
	snprintf(out, EMU_SID_LEN + 1, "%s%016llx%016llx", prefix, (unsigned long long)rnd(e),
	         (unsigned long long)rnd(e));
}

int emu_engine_new(const struct emu_config *cfg, struct emu_engine **out)
{
	if (!cfg || !cfg->fetcher.fetch)
		return EINVAL;
	struct emu_engine *e = xcalloc(1, sizeof(*e));
	e->cfg = *cfg;
	if (!e->cfg.max_calls || e->cfg.max_calls > EMU_ENG_MAX_CALLS)
		e->cfg.max_calls = EMU_ENG_MAX_CALLS;
	e->rng = cfg->seed;
	if (cfg->clock == EMU_CLOCK_REAL) {
		e->rng ^= (uint64_t)time(NULL);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		e->rng ^= (uint64_t)ts.tv_nsec;
	}
	e->vnow = 1767225600000LL; /* 2026-01-01T00:00:00Z */
	if (cfg->account_sid && strlen(cfg->account_sid) == EMU_SID_LEN)
		memcpy(e->account, cfg->account_sid, EMU_SID_LEN + 1);
	else
		snprintf(e->account, sizeof(e->account), "AC%032d", 0);
	if (!e->cfg.keep_finished || e->cfg.keep_finished > EMU_ENG_KEEP_FINISHED)
		e->cfg.keep_finished = EMU_ENG_KEEP_FINISHED;
	/* room for every call alive and the finished ones kept */
	e->calls = xcalloc(e->cfg.max_calls + e->cfg.keep_finished + 1, sizeof(*e->calls));
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->idle, NULL);
	*out = e;
	return 0;
}

void emu_engine_set_fetcher(struct emu_engine *e, const struct emu_fetcher *f)
{
	pthread_mutex_lock(&e->mu);
	e->cfg.fetcher = *f;
	pthread_mutex_unlock(&e->mu);
}

static void call_free(struct call *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nlegs; i++) {
		free(c->legs[i].from);
		free(c->legs[i].to);
		free(c->legs[i].sip_call_id);
	}
	for (size_t i = 0; i < c->nev; i++) {
		free(c->ev[i].text);
		free(c->ev[i].signature);
		emu_params_free(&c->ev[i].params);
		emu_ev_sip_free(c->ev[i].sip);
	}
	free(c->ev);
	for (size_t i = 0; i < c->ndocs; i++) {
		twiml_free(c->docs[i].root);
		free(c->docs[i].url);
	}
	for (size_t i = 0; c->countries && c->countries[i]; i++)
		free(c->countries[i]);
	free(c->countries);
	for (size_t i = 0; c->dns && c->dns[i]; i++)
		free(c->dns[i]);
	free(c->dns);
	for (size_t i = 0; i < c->noutcomes; i++)
		free(c->outcomes[i].addr);
	for (size_t i = 0; i < c->ndigits; i++)
		free(c->digits[i]);
	free(c->plivo_suffix);
	emu_params_free(&c->sip);
	free(c->sc_url);
	free(c->sc_method);
	free(c->sc_events);
	emu_outbound_free(c);
	emu_streams_free(c);
	free(c);
}

void emu_engine_free(struct emu_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->ncalls; i++)
		call_free(e->calls[i]);
	free(e->calls);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->idle);
	free(e);
}

/* ---- clock and timeline ---- */

static int64_t now(struct emu_engine *e)
{
	if (e->cfg.clock == EMU_CLOCK_VIRTUAL)
		return e->vnow;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + e->skew;
}

int64_t emu_now(struct emu_engine *e)
{
	return now(e);
}

void emu_new_sid(struct emu_engine *e, const char *prefix, char out[EMU_SID_LEN + 1])
{
	new_sid(e, prefix, out);
}

/* Simulated waiting: the virtual clock jumps; the real clock is skewed so that
 * times stay ordered without holding the lock for the wait. */
void emu_advance(struct emu_engine *e, int64_t ms)
{
	if (ms <= 0)
		return;
	if (e->cfg.clock == EMU_CLOCK_VIRTUAL)
		e->vnow += ms;
	else
		e->skew += ms;
}

static struct event *ev_add(struct call *c, const char *kind, const struct leg *l, int code,
                            const char *fmt, va_list ap)
{
	if (c->nev >= EMU_ENG_MAX_EVENTS) {
		c->dropped++;
		return NULL;
	}
	c->ev = xreallocarray(c->ev, c->nev + 1, sizeof(*c->ev));
	struct event *v = &c->ev[c->nev++];
	memset(v, 0, sizeof(*v));
	v->t = now(c->eng);
	snprintf(v->kind, sizeof(v->kind), "%s", kind);
	snprintf(v->leg, sizeof(v->leg), "%s", l ? l->label : "");
	v->code = code;
	struct buf b;
	buf_init(&b, 4096);
	if (buf_vprintf(&b, fmt, ap) != 0)
		buf_adds(&b, "(event text over 4 kB)");
	v->text = buf_steal(&b);
	if (!v->text)
		v->text = xstrdup("");
	return v;
}

struct event *emu_ev(struct call *c, const char *kind, const struct leg *l, int code,
                     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct event *v = ev_add(c, kind, l, code, fmt, ap);
	va_end(ap);
	return v;
}

/* A modelled rule's value, recorded in the timeline each time it decides something. */
int emu_rule_use(struct call *c, enum emu_rule_id id, const struct leg *l)
{
	emu_ev(c, "modelled", l, 0, "%s=%d (%s)", emu_rules[id].name, c->rules[id],
	       emu_rules[id].help);
	return c->rules[id];
}

const char *emu_sip_reason(int code)
{
	static const struct {
		int code;
		const char *text;
	} t[] = {{100, "Trying"},
	         {180, "Ringing"},
	         {200, "OK"},
	         {202, "Accepted"},
	         {400, "Bad Request"},
	         {403, "Forbidden"},
	         {404, "Not Found"},
	         {405, "Method Not Allowed"},
	         {408, "Request Timeout"},
	         {480, "Temporarily Unavailable"},
	         {481, "Call/Transaction Does Not Exist"},
	         {486, "Busy Here"},
	         {487, "Request Terminated"},
	         {500, "Server Internal Error"},
	         {503, "Service Unavailable"},
	         {603, "Decline"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == code)
			return t[i].text;
	return "Unknown";
}

void emu_respond(struct call *c, struct leg *l, int code)
{
	struct event *v =
	    emu_ev(c, "sip", l, code, "REFER answered %d %s", code, emu_sip_reason(code));
	if (c->ro)
		c->ro->response = code;
	emu_sip_respond(c, l, v, code);
}

void emu_notify(struct call *c, struct leg *l, int code)
{
	struct event *v = emu_ev(c, "sip", l, code, "NOTIFY sipfrag \"SIP/2.0 %d %s\"", code,
	                         emu_sip_reason(code));
	if (c->ro && c->ro->nnotify < sizeof(c->ro->notify) / sizeof(c->ro->notify[0]))
		snprintf(c->ro->notify[c->ro->nnotify++], sizeof(c->ro->notify[0]), "SIP/2.0 %d %s",
		         code, emu_sip_reason(code));
	emu_sip_notify(c, l, v, code);
}

/* ---- legs ---- */

bool emu_terminal(enum st s)
{
	return s >= ST_COMPLETED;
}

const char *emu_party(const struct leg *l)
{
	if (l->parent < 0)
		return "caller";
	if (strcmp(l->label, "A") == 0)
		return "agent";
	return l->label;
}

int emu_new_leg(struct call *c, int parent, const char *dir, const char *from, const char *to)
{
	return emu_new_leg_sid(c, parent, dir, from, to, NULL);
}

int emu_new_leg_sid(struct call *c, int parent, const char *dir, const char *from, const char *to,
                    const char *sid)
{
	if (c->nlegs >= EMU_ENG_MAX_LEGS) {
		emu_ev(c, "limit", NULL, 0, "legs per call limit (%d) reached", EMU_ENG_MAX_LEGS);
		return -1;
	}
	int i = (int)c->nlegs++;
	struct leg *l = &c->legs[i];
	memset(l, 0, sizeof(*l));
	if (sid && strlen(sid) == EMU_SID_LEN && strncmp(sid, "CA", 2) == 0 &&
	    !emu_find(c->eng, sid, NULL))
		memcpy(l->sid, sid, EMU_SID_LEN + 1);
	else
		new_sid(c->eng, "CA", l->sid);
	if (parent < 0)
		snprintf(l->label, sizeof(l->label), "P");
	else if (c->next_label <= 'Z')
		snprintf(l->label, sizeof(l->label), "%c", c->next_label++);
	else
		snprintf(l->label, sizeof(l->label), "L%d", i);
	l->parent = parent;
	l->dir = dir;
	l->status = ST_QUEUED;
	l->from = xstrdup(from ? from : "");
	l->to = xstrdup(to ? to : "");
	l->start = now(c->eng);
	l->answer = l->end = -1;
	emu_ev(c, "call", l, 0, "%s leg %s from %s to %s%s%s", dir, l->sid, l->from, l->to,
	       parent >= 0 ? " parent " : "", parent >= 0 ? c->legs[parent].sid : "");
	return i;
}

void emu_std_params(struct call *c, const struct leg *l, struct emu_params *p)
{
	emu_params_add(p, "AccountSid", c->eng->account);
	emu_params_add(p, "ApiVersion", "2010-04-01");
	emu_params_add(p, "CallSid", l->sid);
	emu_params_add(p, "CallStatus", emu_st_names[l->status]);
	emu_params_add(p, "Called", l->to);
	emu_params_add(p, "Caller", l->from);
	emu_params_add(p, "Direction", l->dir);
	emu_params_add(p, "From", l->from);
	if (l->parent >= 0)
		emu_params_add(p, "ParentCallSid", c->legs[l->parent].sid);
	emu_params_add(p, "To", l->to);
	for (size_t i = 0; l->parent < 0 && i < c->sip.n; i++) /* a SIP-originated call's own */
		emu_params_add(p, c->sip.v[i].name, c->sip.v[i].value);
}

/* The trimmed text of n (a noun's address), as a copy the caller frees. */
char *emu_text_of(const struct twiml_node *n)
{
	struct str t = twiml_text(n);
	return xstrndup(t.p ? t.p : "", t.len);
}

const char *emu_method_of(const struct twiml_node *n, const char *attr)
{
	const char *m = twiml_get(n, attr);
	return m && strcasecmp(m, "GET") == 0 ? "GET" : "POST";
}

/* Fires a noun's statusCallback (or, on the parent leg, the call's own) when its event
 * list holds ev_name. */
void emu_status_callback(struct call *c, struct leg *l, const char *ev_name)
{
	const char *url = NULL, *evs = NULL, *method = "POST";
	char *resolved = NULL; /* a noun's relative URL, against its document's */
	if (l->noun) {
		url = twiml_get(l->noun, "statusCallback");
		if (url && *url)
			url = resolved = emu_resolve(l->dial_url, url);
		evs = twiml_get(l->noun, "statusCallbackEvent");
		method = emu_method_of(l->noun, "statusCallbackMethod");
	} else if (l == &c->legs[0] && c->sc_url) {
		url = c->sc_url;
		evs = c->sc_events;
		method = c->sc_method && strcasecmp(c->sc_method, "GET") == 0 ? "GET" : "POST";
	}
	if (!evs)
		evs = "completed";
	if (!url || !*url || !strstr(evs, ev_name)) {
		free(resolved);
		return;
	}
	struct emu_params p = {0};
	emu_std_params(c, l, &p);
	/* a <Dial> child skips "queued": its initiated event says CallStatus=initiated */
	for (size_t i = 0; strcmp(ev_name, "initiated") == 0 && i < p.n; i++)
		if (strcmp(p.v[i].name, "CallStatus") == 0) {
			free(p.v[i].value);
			p.v[i].value = xstrdup("initiated");
		}
	emu_params_add(&p, "CallbackSource", "call-progress-events");
	char num[32];
	snprintf(num, sizeof(num), "%d", l->seq++);
	emu_params_add(&p, "SequenceNumber", num);
	time_t t = (time_t)(now(c->eng) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char ts[64];
	strftime(ts, sizeof(ts), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	emu_params_add(&p, "Timestamp", ts);
	if (strcmp(ev_name, "completed") == 0) {
		snprintf(num, sizeof(num), "%lld",
		         l->answer >= 0 ? (long long)((l->end - l->answer) / 1000) : 0LL);
		emu_params_add(&p, "CallDuration", num);
	}
	(void)emu_webhook(c, l, "statusCallback", method, url, &p, NULL, NULL);
	emu_params_free(&p);
	free(resolved);
}

void emu_set_status(struct call *c, struct leg *l, enum st s)
{
	if (l->status == s)
		return;
	l->status = s;
	int64_t t = now(c->eng);
	if (s == ST_INPROGRESS && l->answer < 0)
		l->answer = t;
	if (emu_terminal(s)) {
		l->end = t;
		l->peer[0] = 0;
	}
	emu_ev(c, "status", l, 0, "%s", emu_st_names[s]);
	emu_sink_fire(c, l, EMU_SINK_STATUS, 0, emu_st_names[s]);
	if (s == ST_RINGING)
		emu_status_callback(c, l, "ringing");
	else if (s == ST_INPROGRESS)
		emu_status_callback(c, l, "answered");
	else if (emu_terminal(s))
		emu_status_callback(c, l, "completed");
}

void emu_answer_parent(struct call *c)
{
	if (c->legs[0].status != ST_INPROGRESS && !emu_terminal(c->legs[0].status))
		emu_set_status(c, &c->legs[0], ST_INPROGRESS);
}

void emu_bye(struct call *c, struct leg *l, const char *who)
{
	/* on a trunk/plivo parent leg the far end of the BYE is the agent, not the caller */
	const char *to = l->parent < 0 && c->ops->agent_on_parent ? "agent" : emu_party(l);
	struct event *v = emu_ev(c, "sip", l, 0, "BYE to %s (%s)", to, who);
	emu_sip_bye(c, l, v);
	if (!emu_terminal(l->status))
		emu_set_status(c, l, l->status == ST_INPROGRESS ? ST_COMPLETED : ST_CANCELED);
}

void emu_link_peers(struct call *c, struct leg *a, const char *pa, struct leg *b, const char *pb)
{
	if (a)
		snprintf(a->peer, sizeof(a->peer), "%s", pb);
	if (b)
		snprintf(b->peer, sizeof(b->peer), "%s", pa);
	emu_ev(c, "bridge", b ? b : a, 0, "%s <-> %s", pa, pb);
}

/* Ends the whole call: P and every live child. */
void emu_end_call(struct call *c, enum st pstatus)
{
	emu_streams_stop(c, "the call ends");
	for (size_t i = c->nlegs; i-- > 1;) {
		struct leg *l = &c->legs[i];
		if (!emu_terminal(l->status))
			emu_set_status(c, l,
			               l->status == ST_INPROGRESS ? ST_COMPLETED : ST_CANCELED);
	}
	struct leg *p = &c->legs[0];
	if (!emu_terminal(p->status))
		emu_set_status(c, p, p->status == ST_INPROGRESS ? ST_COMPLETED : pstatus);
	c->ended = true;
	c->fr.root = NULL;
	c->bridged = -1;
	c->x.active = false;
}

/* ---- public API (each entry takes the lock) ---- */

/* The static spelling of a Twilio Direction (legs keep a pointer to it). */
static const char *direction_name(const char *d)
{
	static const char *const names[] = {"inbound", "outbound-api", "outbound-dial",
	                                    "trunking-originating", "trunking-terminating"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], d) == 0)
			return names[i];
	return "inbound";
}

struct call *emu_find(struct emu_engine *e, const char *sid, int *li)
{
	for (size_t i = 0; sid && i < e->ncalls; i++)
		for (size_t j = 0; j < e->calls[i]->nlegs; j++)
			if (strcmp(e->calls[i]->legs[j].sid, sid) == 0) {
				if (li)
					*li = (int)j;
				return e->calls[i];
			}
	return NULL;
}

/* With e->mu held: the call that has leg sid, marked busy for the caller's
 * change (which clears busy when done). ENOENT: no such leg; EBUSY: the call
 * is serving a webhook, or another change is under way. */
int emu_claim(struct emu_engine *e, const char *sid, struct call **cp, int *li)
{
	struct call *c = emu_find(e, sid, li);
	if (!c)
		return ENOENT;
	if (c->busy)
		return EBUSY;
	c->busy = true;
	*cp = c;
	return 0;
}

static char **strv_dup(const char *const *v)
{
	if (!v)
		return NULL;
	size_t n = 0;
	while (v[n])
		n++;
	char **out = xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static bool finished(const struct call *c)
{
	return !c->busy && (c->ended || (c->nlegs && emu_terminal(c->legs[0].status)));
}

/* With e->mu held: frees the finished calls past the retention (over keep_finished of
 * them, oldest end first; on the real clock also those ended more than
 * EMU_ENG_KEEP_FINISHED_S ago). Returns how many calls are still alive. */
static size_t reap_finished(struct emu_engine *e)
{
	int64_t t = now(e);
	for (;;) {
		size_t nfin = 0, oldest = SIZE_MAX;
		for (size_t i = 0; i < e->ncalls; i++) {
			const struct call *c = e->calls[i];
			if (!finished(c))
				continue;
			nfin++;
			if (oldest == SIZE_MAX || c->legs[0].end < e->calls[oldest]->legs[0].end)
				oldest = i;
		}
		bool expired = oldest != SIZE_MAX && e->cfg.clock == EMU_CLOCK_REAL &&
		               t - e->calls[oldest]->legs[0].end > EMU_ENG_KEEP_FINISHED_S * 1000LL;
		if (oldest == SIZE_MAX || (nfin <= e->cfg.keep_finished && !expired))
			return e->ncalls - nfin;
		call_free(e->calls[oldest]);
		e->calls[oldest] = e->calls[--e->ncalls];
	}
}

int emu_call_create(struct emu_engine *e, const struct emu_call_spec *spec, char *sid_out)
{
	const struct emu_profile_ops *ops = spec ? profile_ops(spec->profile) : NULL;
	if (!ops || !spec->from || !spec->to)
		return EINVAL;
	if (!ops->agent_on_parent && !spec->twiml && !spec->voice_url)
		return EINVAL;
	if (spec->noutcomes > EMU_ENG_MAX_OUTCOMES)
		return E2BIG;
	if (spec->outbound &&
	    (spec->timeout_s > EMU_ENG_MAX_TIMEOUT_S || (unsigned)spec->answer > EMU_FAIL))
		return EINVAL;
	pthread_mutex_lock(&e->mu);
	int rc = 0;
	struct call *c = NULL;
	if (reap_finished(e) >= e->cfg.max_calls ||
	    e->ncalls >= e->cfg.max_calls + e->cfg.keep_finished) {
		rc = E2BIG;
		goto out;
	}
	c = xcalloc(1, sizeof(*c));
	c->eng = e;
	c->profile = spec->profile;
	c->ops = ops;
	c->bridged = -1;
	c->next_label = ops->first_child;
	memcpy(c->rules, spec->rules ? spec->rules : e->cfg.rules, sizeof(c->rules));
	c->trunk_orig = spec->trunk_origination;
	c->mode = spec->transfer_mode;
	c->cid = spec->transfer_caller_id;
	c->plivo_out = spec->plivo_outbound;
	c->plivo_suffix = spec->plivo_domain_suffix ? xstrdup(spec->plivo_domain_suffix) : NULL;
	for (size_t i = 0; spec->sip_params && i < spec->sip_params->n; i++)
		(void)emu_params_add(&c->sip, spec->sip_params->v[i].name,
		                     spec->sip_params->v[i].value);
	c->countries = strv_dup(spec->plivo_countries);
	c->dns = strv_dup(spec->plivo_dns);
	for (size_t i = 0; i < spec->noutcomes; i++) {
		c->outcomes[i].addr = xstrdup(spec->outcomes[i].address);
		c->outcomes[i].o = spec->outcomes[i].outcome;
	}
	c->noutcomes = spec->noutcomes;
	for (size_t i = 0; spec->digits && spec->digits[i] && i < EMU_ENG_MAX_DIGITS; i++)
		c->digits[c->ndigits++] = xstrdup(spec->digits[i]);
	c->busy = true;
	e->calls[e->ncalls++] = c;

	const char *dir = spec->direction  ? direction_name(spec->direction)
	                  : spec->outbound ? "outbound-api"
	                                   : ops->direction(spec);
	/* the leg takes the call's own SID before its first event names it */
	int pi = emu_new_leg_sid(c, -1, dir, spec->from, spec->to, spec->sid);
	struct leg *p = &c->legs[pi];
	memcpy(sid_out, p->sid, EMU_SID_LEN + 1);
	if (spec->status_callback && *spec->status_callback) {
		c->sc_url = xstrdup(spec->status_callback);
		c->sc_method =
		    spec->status_callback_method ? xstrdup(spec->status_callback_method) : NULL;
		c->sc_events =
		    spec->status_callback_event ? xstrdup(spec->status_callback_event) : NULL;
		if (strcmp(p->dir, "outbound-api") == 0) /* queued -> initiated: dialling starts */
			emu_status_callback(c, p, "initiated");
	}
	if (spec->outbound && !ops->agent_on_parent) {
		emu_outbound_start(c, spec);
		goto out;
	}
	emu_set_status(c, p, ST_RINGING);
	if (ops->agent_on_parent) {
		emu_set_status(c, p, ST_INPROGRESS);
		snprintf(p->peer, sizeof(p->peer), "agent");
		emu_ev(c, "bridge", p, 0, "caller <-> agent");
		goto out;
	}
	const char *url = spec->voice_url ? spec->voice_url : "";
	if (spec->twiml) {
		struct twiml_node *root = NULL;
		char err[TWIML_MAX_MSG + 16] = "";
		int code =
		    emu_parse_doc(c, p, spec->twiml, strlen(spec->twiml), &root, err, sizeof(err));
		if (code) {
			emu_ev(c, "error", p, code, "inline TwiML: %s", err);
			emu_end_call(c, ST_FAILED);
			goto out;
		}
		const char *du = NULL;
		const struct twiml_node *doc = emu_keep_doc(c, root, url, &du);
		emu_set_frame(c, doc, du); /* du is set by emu_keep_doc: two statements */
	} else {
		struct emu_params prm = {0};
		emu_std_params(c, p, &prm);
		const char *m = spec->voice_method && strcasecmp(spec->voice_method, "GET") == 0
		                    ? "GET"
		                    : "POST";
		int r = emu_goto_url(c, "Voice URL", m, url, &prm);
		emu_params_free(&prm);
		if (r == EMU_PAUSE)
			goto out;
	}
	emu_run(c);
out:
	if (c)
		c->busy = false;
	pthread_cond_broadcast(&e->idle);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

/* The party on leg li hangs up, or Twilio hangs it up (why: NULL, or the reason for the
 * timeline). The call is claimed by the caller. */
void emu_hangup_leg(struct call *c, int li, const char *why)
{
	struct leg *l = &c->legs[li];
	if (why)
		emu_ev(c, "hangup", l, 0, "%s: %s is hung up", why, emu_party(l));
	else
		emu_ev(c, "hangup", l, 0, "%s hangs up", emu_party(l));
	if (emu_terminal(l->status))
		return;
	if (li == 0) {
		emu_end_call(c, ST_CANCELED);
	} else if (c->ops->agent_on_parent) {
		if (strcmp(l->peer, "caller") == 0) {
			emu_ev(c, "transfer", l, 0,
			       "the target hung up after the bridge: the call ends");
			emu_end_call(c, ST_COMPLETED);
		} else {
			emu_set_status(c, l,
			               l->status == ST_INPROGRESS ? ST_COMPLETED : ST_CANCELED);
		}
	} else if (c->bridged == li) {
		const struct twiml_node *dial = c->bdial;
		const char *url = c->bdial_url;
		emu_set_status(c, l, ST_COMPLETED);
		if (emu_dial_end(c, dial, url, "completed", li, true) == EMU_CONT)
			emu_run(c);
	} else {
		emu_set_status(c, l, l->status == ST_INPROGRESS ? ST_COMPLETED : ST_CANCELED);
	}
}

int emu_hangup(struct emu_engine *e, const char *leg_sid)
{
	pthread_mutex_lock(&e->mu);
	int li = 0;
	struct call *c = NULL;
	int rc = emu_claim(e, leg_sid, &c, &li);
	if (!rc) {
		emu_hangup_leg(c, li, NULL);
		c->busy = false;
	}
	pthread_cond_broadcast(&e->idle);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

int emu_engine_set_rule(struct emu_engine *e, const char *name, int value)
{
	int r = emu_rule_find(name);
	if (r < 0)
		return ENOENT;
	pthread_mutex_lock(&e->mu);
	e->cfg.rules[r] = value;
	pthread_mutex_unlock(&e->mu);
	return 0;
}

int emu_engine_rule(struct emu_engine *e, int id)
{
	pthread_mutex_lock(&e->mu);
	int v = id >= 0 && id < EMU_R__COUNT ? e->cfg.rules[id] : 0;
	pthread_mutex_unlock(&e->mu);
	return v;
}

int emu_leg_status(struct emu_engine *e, const char *sid, char out[16])
{
	pthread_mutex_lock(&e->mu);
	int li = 0;
	struct call *c = emu_find(e, sid, &li);
	if (c)
		snprintf(out, 16, "%s", emu_st_names[c->legs[li].status]);
	pthread_mutex_unlock(&e->mu);
	return c ? 0 : ENOENT;
}

int emu_call_release(struct emu_engine *e, const char *sid)
{
	pthread_mutex_lock(&e->mu);
	int rc = ENOENT;
	for (size_t i = 0; i < e->ncalls; i++) {
		struct call *c = e->calls[i];
		for (size_t j = 0; j < c->nlegs && rc; j++)
			if (strcmp(c->legs[j].sid, sid) == 0)
				rc = 0;
		if (!rc && c->busy) {
			rc = EBUSY;
			break;
		}
		if (!rc) {
			call_free(c);
			e->calls[i] = e->calls[--e->ncalls];
			break;
		}
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}

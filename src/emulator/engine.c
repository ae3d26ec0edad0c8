/* emu_engine: the emulator's call engine: legs, TwiML execution, the three REFER profiles, the
 * timeline. */
#include "emulator/engine.h"

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
#include "twiml/twiml.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/ids.h"

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
};

int emu_rule_find(const char *name)
{
	for (int i = 0; i < EMU_R__COUNT; i++)
		if (strcmp(emu_rules[i].name, name) == 0)
			return i;
	return -1;
}

static const char *const profile_names[] = {"twilio-voice", "twilio-trunk", "plivo"};
static const char *const outcome_names[] = {"answer", "busy", "no-answer", "fail"};

const char *emu_profile_name(enum emu_profile p)
{
	return (unsigned)p < 3 ? profile_names[p] : NULL;
}

const char *emu_outcome_name(enum emu_outcome o)
{
	return (unsigned)o < 4 ? outcome_names[o] : NULL;
}

int emu_profile_parse(const char *s, enum emu_profile *out)
{
	for (int i = 0; i < 3; i++)
		if (s && strcmp(s, profile_names[i]) == 0) {
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

static void params_copy(struct emu_params *dst, const struct emu_params *src)
{
	for (size_t i = 0; src && i < src->n; i++)
		(void)emu_params_add(dst, src->v[i].name, src->v[i].value);
}

/* ---- call state ---- */

enum st {
	ST_QUEUED,
	ST_RINGING,
	ST_INPROGRESS,
	ST_COMPLETED,
	ST_BUSY,
	ST_NOANSWER,
	ST_FAILED,
	ST_CANCELED
};
static const char *const st_names[] = {"queued", "ringing",   "in-progress", "completed",
                                       "busy",   "no-answer", "failed",      "canceled"};
enum noun { N_NUMBER, N_SIP, N_CLIENT, N_CONFERENCE, N_QUEUE, N_OTHER };

struct event {
	int64_t t;
	char kind[16];
	char leg[8];
	int code;
	char *text;
	struct emu_params params;
	char *signature;
};

struct leg {
	char sid[EMU_SID_LEN + 1];
	char label[8];
	int parent;
	const char *dir;
	enum st status;
	char *from, *to;
	int64_t start, answer, end;
	char peer[16];
	const struct twiml_node *dial, *noun; /* the <Dial> and noun that created it */
	const char *dial_url;
	enum noun kind;
	int seq;
	int sip_code;
};

struct frame {
	const struct twiml_node *root;
	const char *url;
	size_t pc;
};

struct doc {
	struct twiml_node *root;
	char *url;
};

struct refer_out {
	int response;
	char notify[16][48];
	size_t nnotify;
};

struct call {
	struct emu_engine *eng;
	enum emu_profile profile;
	struct leg legs[EMU_ENG_MAX_LEGS];
	size_t nlegs;
	char next_label;
	struct event *ev;
	size_t nev, dropped;
	struct doc docs[EMU_ENG_MAX_DOCS];
	size_t ndocs;
	struct frame fr;
	int redirects, verbs;
	int rules[EMU_R__COUNT];
	bool trunk_orig, plivo_out;
	enum emu_trunk_mode mode;
	enum emu_trunk_cid cid;
	char *plivo_suffix;
	char **countries; /* NULL-terminated or NULL */
	char **dns;       /* pairs, NULL-terminated or NULL */
	struct {
		char *addr;
		enum emu_outcome o;
	} outcomes[EMU_ENG_MAX_OUTCOMES];
	size_t noutcomes;
	char *digits[EMU_ENG_MAX_DIGITS];
	size_t ndigits, digit_pos;
	char *sc_url, *sc_method, *sc_events; /* the parent leg's own status callback, or NULL */
	bool refer_set;
	enum emu_outcome refer_outcome;
	struct {
		bool active, aob;
		int leg;
		struct frame saved;
		const struct twiml_node *saved_dial;
		const char *saved_url;
	} x;
	struct refer_out *ro;
	bool ended;
	int bridged; /* the child P is bridged with through a <Dial>, or -1 */
	const struct twiml_node *bdial;
	const char *bdial_url;
	bool in_conf;
	bool busy; /* an entry point is running it (the lock may be released for a fetch) */
};

struct emu_engine {
	pthread_mutex_t mu;
	struct emu_config cfg;
	char account[EMU_SID_LEN + 1];
	struct call **calls;
	size_t ncalls;
	uint64_t rng;
	int64_t vnow, skew;
};

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
	e->calls = xcalloc(e->cfg.max_calls, sizeof(*e->calls));
	pthread_mutex_init(&e->mu, NULL);
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
	}
	for (size_t i = 0; i < c->nev; i++) {
		free(c->ev[i].text);
		free(c->ev[i].signature);
		emu_params_free(&c->ev[i].params);
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
	free(c->sc_url);
	free(c->sc_method);
	free(c->sc_events);
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

/* Simulated waiting: the virtual clock jumps; the real clock is skewed so that
 * times stay ordered without holding the lock for the wait. */
static void advance(struct emu_engine *e, int64_t ms)
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

__attribute__((format(printf, 5, 6))) static struct event *
ev(struct call *c, const char *kind, const struct leg *l, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct event *v = ev_add(c, kind, l, code, fmt, ap);
	va_end(ap);
	return v;
}

/* A modelled rule's value, recorded in the timeline each time it decides something. */
static int rule(struct call *c, enum emu_rule_id id, const struct leg *l)
{
	ev(c, "modelled", l, 0, "%s=%d (%s)", emu_rules[id].name, c->rules[id], emu_rules[id].help);
	return c->rules[id];
}

static const char *reason(int code)
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

static void respond(struct call *c, struct leg *l, int code)
{
	ev(c, "sip", l, code, "REFER answered %d %s", code, reason(code));
	if (c->ro)
		c->ro->response = code;
}

static void notify(struct call *c, struct leg *l, int code)
{
	struct event *v =
	    ev(c, "sip", l, code, "NOTIFY sipfrag \"SIP/2.0 %d %s\"", code, reason(code));
	(void)v;
	if (c->ro && c->ro->nnotify < sizeof(c->ro->notify) / sizeof(c->ro->notify[0]))
		snprintf(c->ro->notify[c->ro->nnotify++], sizeof(c->ro->notify[0]), "SIP/2.0 %d %s",
		         code, reason(code));
}

/* ---- legs ---- */

static bool terminal(enum st s)
{
	return s >= ST_COMPLETED;
}

static const char *party(const struct leg *l)
{
	if (l->parent < 0)
		return "caller";
	if (strcmp(l->label, "A") == 0)
		return "agent";
	return l->label;
}

static int new_leg(struct call *c, int parent, const char *dir, const char *from, const char *to)
{
	if (c->nlegs >= EMU_ENG_MAX_LEGS) {
		ev(c, "limit", NULL, 0, "legs per call limit (%d) reached", EMU_ENG_MAX_LEGS);
		return -1;
	}
	int i = (int)c->nlegs++;
	struct leg *l = &c->legs[i];
	memset(l, 0, sizeof(*l));
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
	ev(c, "call", l, 0, "%s leg %s from %s to %s%s%s", dir, l->sid, l->from, l->to,
	   parent >= 0 ? " parent " : "", parent >= 0 ? c->legs[parent].sid : "");
	return i;
}

static void std_params(struct call *c, const struct leg *l, struct emu_params *p)
{
	emu_params_add(p, "AccountSid", c->eng->account);
	emu_params_add(p, "ApiVersion", "2010-04-01");
	emu_params_add(p, "CallSid", l->sid);
	emu_params_add(p, "CallStatus", st_names[l->status]);
	emu_params_add(p, "Called", l->to);
	emu_params_add(p, "Caller", l->from);
	emu_params_add(p, "Direction", l->dir);
	emu_params_add(p, "From", l->from);
	if (l->parent >= 0)
		emu_params_add(p, "ParentCallSid", c->legs[l->parent].sid);
	emu_params_add(p, "To", l->to);
}

static int webhook(struct call *c, const struct leg *l, const char *why, const char *method,
                   const char *url, const struct emu_params *p, const struct twiml_node **doc,
                   const char **doc_url);

/* The trimmed text of n (a noun's address), as a copy the caller frees. */
static char *text_of(const struct twiml_node *n)
{
	struct str t = twiml_text(n);
	return xstrndup(t.p ? t.p : "", t.len);
}

static const char *method_of(const struct twiml_node *n, const char *attr)
{
	const char *m = twiml_get(n, attr);
	return m && strcasecmp(m, "GET") == 0 ? "GET" : "POST";
}

/* Fires a noun's statusCallback (or, on the parent leg, the call's own) when its event
 * list holds ev_name. */
static void status_callback(struct call *c, struct leg *l, const char *ev_name)
{
	const char *url = NULL, *evs = NULL, *method = "POST";
	if (l->noun) {
		url = twiml_get(l->noun, "statusCallback");
		evs = twiml_get(l->noun, "statusCallbackEvent");
		method = method_of(l->noun, "statusCallbackMethod");
	} else if (l == &c->legs[0] && c->sc_url) {
		url = c->sc_url;
		evs = c->sc_events;
		method = c->sc_method && strcasecmp(c->sc_method, "GET") == 0 ? "GET" : "POST";
	}
	if (!url)
		return;
	if (!evs)
		evs = "completed";
	const char *hit = strstr(evs, ev_name);
	if (!hit)
		return;
	struct emu_params p = {0};
	std_params(c, l, &p);
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
	(void)webhook(c, l, "statusCallback", method, url, &p, NULL, NULL);
	emu_params_free(&p);
}

static void set_status(struct call *c, struct leg *l, enum st s)
{
	if (l->status == s)
		return;
	l->status = s;
	int64_t t = now(c->eng);
	if (s == ST_INPROGRESS && l->answer < 0)
		l->answer = t;
	if (terminal(s)) {
		l->end = t;
		l->peer[0] = 0;
	}
	ev(c, "status", l, 0, "%s", st_names[s]);
	if (s == ST_RINGING)
		status_callback(c, l, "ringing");
	else if (s == ST_INPROGRESS)
		status_callback(c, l, "answered");
	else if (terminal(s))
		status_callback(c, l, "completed");
}

static void answer_parent(struct call *c)
{
	if (c->legs[0].status != ST_INPROGRESS && !terminal(c->legs[0].status))
		set_status(c, &c->legs[0], ST_INPROGRESS);
}

static void bye(struct call *c, struct leg *l, const char *who)
{
	/* on a trunk/plivo parent leg the far end of the BYE is the agent, not the caller */
	const char *to = l->parent < 0 && c->profile != EMU_TWILIO_VOICE ? "agent" : party(l);
	ev(c, "sip", l, 0, "BYE to %s (%s)", to, who);
	if (!terminal(l->status))
		set_status(c, l, l->status == ST_INPROGRESS ? ST_COMPLETED : ST_CANCELED);
}

static void link_peers(struct call *c, struct leg *a, const char *pa, struct leg *b, const char *pb)
{
	if (a)
		snprintf(a->peer, sizeof(a->peer), "%s", pb);
	if (b)
		snprintf(b->peer, sizeof(b->peer), "%s", pa);
	ev(c, "bridge", b ? b : a, 0, "%s <-> %s", pa, pb);
}

/* Ends the whole call: P and every live child. */
static void end_call(struct call *c, enum st pstatus)
{
	for (size_t i = c->nlegs; i-- > 1;) {
		struct leg *l = &c->legs[i];
		if (!terminal(l->status))
			set_status(c, l, l->status == ST_INPROGRESS ? ST_COMPLETED : ST_CANCELED);
	}
	struct leg *p = &c->legs[0];
	if (!terminal(p->status))
		set_status(c, p, p->status == ST_INPROGRESS ? ST_COMPLETED : pstatus);
	c->ended = true;
	c->fr.root = NULL;
	c->bridged = -1;
	c->x.active = false;
}

/* ---- webhooks ---- */

static char *resolve(const char *base, const char *ref)
{
	if (!ref)
		return NULL;
	if (strstr(ref, "://") || !base || !*base)
		return xstrdup(ref);
	const char *hs = strstr(base, "://");
	if (!hs)
		return xstrdup(ref);
	const char *path = strchr(hs + 3, '/');
	size_t origin = path ? (size_t)(path - base) : strlen(base);
	if (ref[0] == '/')
		return xasprintf("%.*s%s", (int)origin, base, ref);
	const char *q = strpbrk(base + origin, "?#");
	size_t upto = q ? (size_t)(q - base) : strlen(base);
	const char *slash = NULL;
	for (const char *s = base + origin; s < base + upto; s++)
		if (*s == '/')
			slash = s;
	if (!slash)
		return xasprintf("%.*s/%s", (int)origin, base, ref);
	return xasprintf("%.*s%s", (int)(slash - base + 1), base, ref);
}

static const struct twiml_node *keep_doc(struct call *c, struct twiml_node *root, const char *url,
                                         const char **doc_url)
{
	struct doc *d = &c->docs[c->ndocs++];
	d->root = root;
	d->url = xstrdup(url ? url : "");
	if (doc_url)
		*doc_url = d->url;
	return root;
}

/* A document built from a non-XML answer (text/plain read aloud, audio played). */
static struct twiml_node *synth_doc(const char *verb, const char *text, bool hangup)
{
	struct twiml_node *r = twiml_new("Response");
	twiml_add_text(twiml_add(r, verb), text);
	if (hangup)
		twiml_add(r, "Hangup");
	return r;
}

/* Reads TwiML with twiml_parse and checks it with twiml_validate (findings go to the
 * timeline). 0 and *root (caller frees), or the Twilio code with why filled. */
static int parse_doc(struct call *c, const struct leg *l, const char *body, size_t len,
                     struct twiml_node **root, char *why, size_t whylen)
{
	struct twiml_findings f;
	twiml_findings_init(&f);
	struct twiml_node *r = NULL;
	int code = 0, rc = twiml_parse(body, len, &r, &f);
	if (rc) {
		code = rc == E2BIG ? 11750 : 12100;
		snprintf(why, whylen, "%s", f.n ? f.v[0].msg : "not well-formed");
	} else if (strcmp(r->name, "Response") != 0) {
		code = 12102;
		snprintf(why, whylen, "the root element is <%s>, not <Response>", r->name);
		twiml_free(r);
	} else {
		twiml_validate(r, &f);
		for (size_t i = 0; i < f.n; i++)
			ev(c, f.v[i].level == TWIML_ERROR ? "error" : "warning", l, f.v[i].code,
			   "TwiML line %u:%u: %s", f.v[i].line, f.v[i].col, f.v[i].msg);
		*root = r;
	}
	twiml_findings_free(&f);
	return code;
}

static bool ctype_is(const char *ct, const char *want)
{
	size_t n = strlen(want);
	return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/* url with p appended as a percent-encoded query (RFC 3986 unreserved kept); caller frees. */
static char *query_url(const char *url, const struct emu_params *p)
{
	struct buf b;
	buf_init(&b, 64 * 1024);
	int rc = buf_adds(&b, url);
	char sep = strchr(url, '?') ? '&' : '?';
	for (size_t i = 0; p && i < p->n && !rc; i++) {
		rc = buf_addc(&b, sep);
		sep = '&';
		for (int k = 0; k < 2 && !rc; k++) {
			if (k)
				rc = buf_addc(&b, '=');
			for (const char *q = k ? p->v[i].value : p->v[i].name; *q && !rc; q++) {
				unsigned char ch = (unsigned char)*q;
				if (isalnum(ch) || strchr("-._~", ch))
					rc = buf_addc(&b, (char)ch);
				else
					rc = buf_printf(&b, "%%%02X", ch);
			}
		}
	}
	char *out = rc ? xstrdup(url) : buf_steal(&b);
	buf_free(&b);
	return out;
}

/* Runs one webhook; returns 0 (with *doc when doc is not NULL) or the Twilio error code,
 * which is also in the timeline. */
static int webhook(struct call *c, const struct leg *l, const char *why, const char *method,
                   const char *url, const struct emu_params *p, const struct twiml_node **doc,
                   const char **doc_url)
{
	struct emu_engine *e = c->eng;
	char sig[128] = "";
	/* a GET carries the parameters in its query, and that whole URL is what is signed */
	char *get_url = strcmp(method, "GET") == 0 ? query_url(url, p) : NULL;
	if (get_url)
		url = get_url;
	if (e->cfg.signer.sign &&
	    e->cfg.signer.sign(e->cfg.signer.ctx, url, get_url ? NULL : p, sig, sizeof(sig)))
		sig[0] = 0;
	struct event *v = ev(c, "webhook", l, 0, "%s %s %s", why, method, url);
	if (v) {
		params_copy(&v->params, p);
		if (sig[0])
			v->signature = xstrdup(sig);
	}
	if (doc && c->ndocs >= EMU_ENG_MAX_DOCS) {
		ev(c, "limit", l, 12400, "TwiML documents per call limit (%d) reached",
		   EMU_ENG_MAX_DOCS);
		return 12400;
	}
	struct emu_fetch_req req = {method, url, p, sig[0] ? sig : NULL};
	struct emu_fetch_res res = {0};
	/* the lock is released while the app answers (up to 15 s): other calls go on; this
	 * one is marked busy, so the entry points that change it answer EBUSY meanwhile */
	struct emu_fetcher f = e->cfg.fetcher;
	pthread_mutex_unlock(&e->mu);
	int rc = f.fetch(f.ctx, &req, &res);
	pthread_mutex_lock(&e->mu);
	int code = 0;
	const char *why_err = "";
	char err[TWIML_MAX_MSG + 16] = "";
	if (res.delay_ms >= EMU_FETCH_TIMEOUT_MS) {
		advance(e, EMU_FETCH_TIMEOUT_MS);
		code = 11205, why_err = "no answer within 15 s";
	} else {
		advance(e, res.delay_ms);
	}
	if (code) {
	} else if (rc) {
		code = 11200, why_err = "fetch failed";
	} else if (res.error) {
		code = res.error, why_err = "transport error";
	} else if (res.status < 200 || res.status > 299) {
		snprintf(err, sizeof(err), "HTTP status %d", res.status);
		code = 11217, why_err = err;
	} else if (res.body_len > EMU_FETCH_MAX_BODY) {
		code = 11750, why_err = "body over 64 kB";
	}
	if (!code)
		ev(c, "answer", l, res.status, "%d %s, %zu bytes", res.status,
		   res.content_type ? res.content_type : "(no content type)", res.body_len);
	if (!code && doc) {
		const char *ct = res.content_type;
		struct twiml_node *root = NULL;
		if (!res.body || res.body_len == 0) {
			code = 11770, why_err = "empty body";
		} else if (ctype_is(ct, "text/xml") || ctype_is(ct, "application/xml") ||
		           ctype_is(ct, "text/html")) {
			code = parse_doc(c, l, res.body, res.body_len, &root, err, sizeof(err));
			why_err = err;
		} else if (ctype_is(ct, "text/plain")) {
			if (parse_doc(c, l, res.body, res.body_len, &root, err, sizeof(err))) {
				char *t = xstrndup(res.body, res.body_len);
				root = synth_doc("Say", t, false);
				free(t);
				ev(c, "twiml", l, 0, "text/plain answer is read aloud");
			}
		} else if (ct && strncasecmp(ct, "audio/", 6) == 0) {
			root = synth_doc("Play", url, true);
			ev(c, "twiml", l, 0, "audio answer is played, then the call hangs up");
		} else {
			code = 12300,
			why_err = ct ? "content type is not TwiML" : "no content type";
		}
		if (code)
			twiml_free(root);
		else
			*doc = keep_doc(c, root, url, doc_url);
	}
	if (code)
		ev(c, "error", l, code, "%s %s: %s", why, url, why_err);
	free(res.body);
	free(res.content_type);
	free(get_url);
	return code;
}

/* ---- TwiML execution ---- */

enum { CONT, PAUSE };

static void set_frame(struct call *c, const struct twiml_node *root, const char *url)
{
	c->fr.root = root;
	c->fr.url = url;
	c->fr.pc = 0;
}

static const struct twiml_node *next_verb(struct frame *f)
{
	while (f->root && f->pc < f->root->nkids) {
		const struct twiml_node *k = f->root->kids[f->pc++];
		if (k->kind == TWIML_ELEMENT)
			return k;
	}
	return NULL;
}

static bool has_dial(const struct twiml_node *root)
{
	for (size_t i = 0; i < root->nkids; i++)
		if (root->kids[i]->kind == TWIML_ELEMENT &&
		    strcmp(root->kids[i]->name, "Dial") == 0)
			return true;
	return false;
}

/* Fetches url and makes its answer the running document; CONT, or ends the call. */
static int goto_url(struct call *c, const char *why, const char *method, const char *url,
                    const struct emu_params *p)
{
	const struct twiml_node *doc = NULL;
	const char *du = NULL;
	if (webhook(c, &c->legs[0], why, method, url, p, &doc, &du)) {
		ev(c, "twiml", &c->legs[0], 0, "call ends: the %s answer could not be used", why);
		end_call(c, ST_FAILED);
		return PAUSE;
	}
	set_frame(c, doc, du);
	return CONT;
}

static enum emu_outcome outcome_for(struct call *c, const char *addr)
{
	if (c->refer_set)
		return c->refer_outcome;
	for (size_t i = 0; i < c->noutcomes; i++)
		if (strcmp(c->outcomes[i].addr, addr) == 0)
			return c->outcomes[i].o;
	return EMU_ANSWER;
}

static int notify_code(enum st s)
{
	return s == ST_BUSY ? 486 : s == ST_NOANSWER ? 408 : 503;
}

/* The Dial is over (not bridged any more, or never bridged): action, or next verb. */
static int dial_end(struct call *c, const struct twiml_node *dial, const char *dial_url,
                    const char *dstatus, int li, bool bridged)
{
	struct leg *p = &c->legs[0];
	c->bridged = -1;
	c->bdial = NULL;
	p->peer[0] = 0;
	ev(c, "dial", p, 0, "Dial ended: DialCallStatus=%s", dstatus);
	const char *action = twiml_get(dial, "action");
	if (!action)
		return CONT;
	struct emu_params prm = {0};
	std_params(c, p, &prm);
	emu_params_add(&prm, "DialCallStatus", dstatus);
	emu_params_add(&prm, "DialBridged", bridged ? "true" : "false");
	if (li >= 0) {
		struct leg *l = &c->legs[li];
		char num[32];
		emu_params_add(&prm, "DialCallSid", l->sid);
		snprintf(num, sizeof(num), "%lld",
		         l->answer >= 0 && l->end >= 0 ? (long long)((l->end - l->answer) / 1000)
		                                       : 0LL);
		emu_params_add(&prm, "DialCallDuration", num);
		if (l->kind == N_SIP) {
			snprintf(num, sizeof(num), "%d", l->sip_code);
			emu_params_add(&prm, "DialSipResponseCode", num);
			char callid[48];
			snprintf(callid, sizeof(callid), "%.32s@emulator", l->sid + 2);
			emu_params_add(&prm, "DialSipCallId", callid);
		}
	}
	char *url = resolve(dial_url, action);
	int r = goto_url(c, "Dial action", method_of(dial, "method"), url, &prm);
	free(url);
	emu_params_free(&prm);
	return r;
}

struct noun_ref {
	const struct twiml_node *n;
	enum noun kind;
	char *addr;
};

static enum noun noun_kind(const char *name)
{
	static const struct {
		const char *name;
		enum noun k;
	} t[] = {{"Number", N_NUMBER},         {"Sip", N_SIP},       {"Client", N_CLIENT},
	         {"Conference", N_CONFERENCE}, {"Queue", N_QUEUE},   {"Sim", N_OTHER},
	         {"Application", N_OTHER},     {"WhatsApp", N_OTHER}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].k;
	return (enum noun) - 1;
}

/* A <Sip> URI's ?name=value&... part becomes headers on the INVITE (values
 * percent-decoded); the timeline shows them as sent. */
static void invite_headers(struct call *c, const struct leg *l)
{
	const char *q = l->kind == N_SIP ? strchr(l->to, '?') : NULL;
	if (!q)
		return;
	struct buf b;
	buf_init(&b, 4096);
	int rc = 0;
	for (const char *p = q + 1; *p && !rc; p++) {
		if (*p == '&')
			rc = buf_adds(&b, "; ");
		else if (*p == '=')
			rc = buf_adds(&b, ": ");
		else if (*p == '%' && isxdigit((unsigned char)p[1]) &&
		         isxdigit((unsigned char)p[2])) {
			char hex[3] = {p[1], p[2], 0};
			rc = buf_addc(&b, (char)strtol(hex, NULL, 16));
			p += 2;
		} else {
			rc = buf_addc(&b, *p);
		}
	}
	ev(c, "sip", l, 0, "INVITE %.*s with headers %s", (int)(q - l->to), l->to,
	   rc ? "(over 4 kB)" : buf_str(&b));
	buf_free(&b);
}

static int do_dial(struct call *c, const struct twiml_node *v)
{
	struct leg *p = &c->legs[0];
	struct noun_ref nouns[EMU_ENG_MAX_NOUNS];
	size_t nn = 0;
	for (size_t i = 0; i < v->nkids; i++) {
		const struct twiml_node *k = v->kids[i];
		enum noun kind = N_NUMBER;
		char *addr;
		if (k->kind == TWIML_TEXT) {
			addr = text_of(v);
			if (!*addr || nn > 0) { /* plain text counts once */
				free(addr);
				continue;
			}
		} else {
			kind = noun_kind(k->name);
			if ((int)kind < 0) {
				ev(c, "warning", p, 13215, "<%s> is not a <Dial> noun; ignored",
				   k->name);
				continue;
			}
			char *t = text_of(k);
			addr = kind == N_CLIENT && strncmp(t, "client:", 7) != 0
			           ? xasprintf("client:%s", t)
			           : xstrdup(t);
			free(t);
		}
		if (nn == EMU_ENG_MAX_NOUNS) {
			ev(c, "warning", p, 0, "more than %d nouns: %s ignored", EMU_ENG_MAX_NOUNS,
			   addr);
			free(addr);
			continue;
		}
		nouns[nn++] = (struct noun_ref){k->kind == TWIML_TEXT ? NULL : k, kind, addr};
	}
	int r = CONT;
	if (nn == 0) {
		ev(c, "warning", p, 13215, "<Dial> with nothing to dial");
		goto out;
	}
	bool aob =
	    twiml_get(v, "answerOnBridge") && strcmp(twiml_get(v, "answerOnBridge"), "true") == 0;
	if (nouns[0].kind == N_CONFERENCE || nouns[0].kind == N_QUEUE) {
		answer_parent(c);
		c->in_conf = true;
		c->bdial = v;
		c->bdial_url = c->fr.url;
		snprintf(p->peer, sizeof(p->peer), "%s",
		         nouns[0].kind == N_CONFERENCE ? "conference" : "queue");
		ev(c, "dial", p, 0, "%s %s joined",
		   nouns[0].kind == N_CONFERENCE ? "Conference" : "Queue", nouns[0].addr);
		r = PAUSE;
		goto out;
	}
	if (!aob)
		answer_parent(c);
	const char *tattr = twiml_get(v, "timeout");
	long timeout = tattr ? strtol(tattr, NULL, 10) : 30;
	if (timeout < 5 || timeout > 600)
		timeout = timeout < 5 ? 5 : 600;
	bool seq = twiml_get(v, "sequential") && strcmp(twiml_get(v, "sequential"), "true") == 0;
	const char *cid = twiml_get(v, "callerId");
	int ring = c->rules[EMU_R_RING_MS];
	int winner = -1, last = -1;
	enum st worst = ST_FAILED;
	int idx[EMU_ENG_MAX_NOUNS];
	enum emu_outcome oc[EMU_ENG_MAX_NOUNS];
	ev(c, "dial", p, 0, "Dial %zu noun(s)%s, timeout %ld s, answerOnBridge=%s", nn,
	   seq ? " in sequence" : "", timeout, aob ? "true" : "false");
	for (size_t i = 0; i < nn; i++) {
		if (seq && winner >= 0)
			break;
		idx[i] = new_leg(c, 0, "outbound-dial", cid ? cid : p->from, nouns[i].addr);
		if (idx[i] < 0) {
			nn = i;
			break;
		}
		struct leg *l = &c->legs[idx[i]];
		l->dial = v;
		l->noun = nouns[i].n;
		l->dial_url = c->fr.url;
		l->kind = nouns[i].kind;
		oc[i] = outcome_for(c, nouns[i].addr);
		invite_headers(c, l);
		status_callback(c, l, "initiated");
		set_status(c, l, ST_RINGING);
		if (!seq)
			continue;
		last = idx[i];
		switch (oc[i]) {
		case EMU_ANSWER:
			advance(c->eng, ring);
			winner = idx[i];
			break;
		case EMU_BUSY:
			advance(c->eng, ring);
			l->sip_code = 486;
			set_status(c, l, worst = ST_BUSY);
			break;
		case EMU_NO_ANSWER:
			advance(c->eng, timeout * 1000);
			l->sip_code = 487;
			set_status(c, l, worst = ST_NOANSWER);
			break;
		case EMU_FAIL:
			l->sip_code = 503;
			set_status(c, l, worst = ST_FAILED);
			break;
		}
	}
	if (!seq) {
		/* parallel: failures at once, busy after ringing, first answer wins */
		bool any_busy = false, any_na = false;
		for (size_t i = 0; i < nn; i++) {
			last = idx[i];
			if (oc[i] == EMU_FAIL) {
				c->legs[idx[i]].sip_code = 503;
				set_status(c, &c->legs[idx[i]], ST_FAILED);
			}
			if (oc[i] == EMU_ANSWER && winner < 0)
				winner = idx[i];
			any_busy |= oc[i] == EMU_BUSY;
			any_na |= oc[i] == EMU_NO_ANSWER;
		}
		if (winner >= 0 || any_busy)
			advance(c->eng, ring);
		for (size_t i = 0; i < nn; i++)
			if (oc[i] == EMU_BUSY) {
				c->legs[idx[i]].sip_code = 486;
				set_status(c, &c->legs[idx[i]], ST_BUSY);
			}
		if (winner < 0 && any_na) {
			advance(c->eng, timeout * 1000);
			for (size_t i = 0; i < nn; i++)
				if (oc[i] == EMU_NO_ANSWER) {
					c->legs[idx[i]].sip_code = 487;
					set_status(c, &c->legs[idx[i]], ST_NOANSWER);
				}
		}
		worst = any_na ? ST_NOANSWER : any_busy ? ST_BUSY : ST_FAILED;
		for (size_t i = 0; winner >= 0 && i < nn; i++)
			if (idx[i] != winner && !terminal(c->legs[idx[i]].status)) {
				c->legs[idx[i]].sip_code = 487;
				set_status(c, &c->legs[idx[i]], ST_CANCELED);
			}
	}
	if (winner >= 0) {
		struct leg *w = &c->legs[winner];
		w->sip_code = 200;
		set_status(c, w, ST_INPROGRESS);
		answer_parent(c);
		if (c->x.active) {
			struct leg *a = &c->legs[c->x.leg];
			if (c->x.aob) {
				notify(c, a, 200);
				bye(c, a, "the target answered");
			}
			c->x.active = false;
		}
		link_peers(c, p, "caller", w, party(w));
		c->bridged = winner;
		c->bdial = v;
		c->bdial_url = c->fr.url;
		r = PAUSE;
		goto out;
	}
	const char *dstatus = st_names[worst];
	if (c->x.active && c->x.aob) {
		/* answerOnBridge=true: the failure goes back to the agent, the caller returns */
		struct leg *a = &c->legs[c->x.leg];
		notify(c, a, notify_code(worst));
		c->fr = c->x.saved;
		c->bdial = c->x.saved_dial;
		c->bdial_url = c->x.saved_url;
		c->bridged = c->x.leg;
		c->x.active = false;
		ev(c, "transfer", a, 0, "transfer failed (%s): caller re-established with %s",
		   dstatus, party(a));
		link_peers(c, p, "caller", a, party(a));
		r = PAUSE;
		goto out;
	}
	c->x.active = false;
	r = dial_end(c, v, c->fr.url, dstatus, last, false);
out:
	for (size_t i = 0; i < nn; i++)
		free(nouns[i].addr);
	return r;
}

/* <Refer> (outbound REFER from Twilio to the SIP party on P). The party's answer
 * comes from the scripted outcome for the Refer-To URI. */
static int do_refer_verb(struct call *c, const struct twiml_node *v)
{
	struct leg *p = &c->legs[0];
	char *to = NULL;
	for (size_t i = 0; i < v->nkids && !to; i++)
		if (v->kids[i]->kind == TWIML_ELEMENT && strcmp(v->kids[i]->name, "Sip") == 0)
			to = text_of(v->kids[i]);
	if (!to)
		to = xstrdup("");
	bool sip_leg = strncmp(p->from, "sip:", 4) == 0 || strncmp(p->to, "sip:", 4) == 0;
	const char *rcs = NULL;
	int refer_code = 0, notify_last = 0;
	if (!sip_leg) {
		ev(c, "error", p, 13801, "<Refer> on a leg that is not SIP");
		rcs = "failed";
	} else {
		answer_parent(c);
		enum emu_outcome o = outcome_for(c, to);
		ev(c, "sip", p, 0, "REFER sent, Refer-To: <%s>", to);
		if (o == EMU_FAIL) {
			refer_code = 405;
			rcs = "failed";
			ev(c, "sip", p, 405, "REFER answered 405 %s", reason(405));
		} else {
			refer_code = 202;
			ev(c, "sip", p, 202, "REFER answered 202 %s", reason(202));
			ev(c, "sip", p, 100, "NOTIFY sipfrag \"SIP/2.0 100 Trying\"");
			advance(c->eng, c->rules[EMU_R_RING_MS]);
			notify_last = o == EMU_ANSWER ? 200 : o == EMU_BUSY ? 486 : 408;
			rcs = o == EMU_ANSWER ? "in-progress"
			      : o == EMU_BUSY ? "busy"
			                      : "no-answer";
			ev(c, "sip", p, notify_last, "NOTIFY sipfrag \"SIP/2.0 %d %s\"",
			   notify_last, reason(notify_last));
		}
	}
	free(to);
	const char *action = twiml_get(v, "action");
	if (!action) {
		if (notify_last == 200) {
			ev(c, "twiml", p, 0, "<Refer> succeeded without action: the leg ends");
			end_call(c, ST_COMPLETED);
			return PAUSE;
		}
		return CONT;
	}
	struct emu_params prm = {0};
	std_params(c, p, &prm);
	char num[16];
	if (rcs)
		emu_params_add(&prm, "ReferCallStatus", rcs);
	if (refer_code) {
		snprintf(num, sizeof(num), "%d", refer_code);
		emu_params_add(&prm, "ReferSipResponseCode", num);
	}
	if (notify_last) {
		snprintf(num, sizeof(num), "%d", notify_last);
		emu_params_add(&prm, "NotifySipResponseCode", num);
	}
	char *url = resolve(c->fr.url, action);
	int r = goto_url(c, "Refer action", method_of(v, "method"), url, &prm);
	free(url);
	emu_params_free(&prm);
	return r;
}

static int do_gather(struct call *c, const struct twiml_node *v)
{
	struct leg *p = &c->legs[0];
	answer_parent(c);
	for (size_t i = 0; i < v->nkids; i++)
		if (v->kids[i]->kind == TWIML_ELEMENT) {
			char *t = text_of(v->kids[i]);
			ev(c, "twiml", p, 0, "Gather prompt <%s> %s", v->kids[i]->name, t);
			free(t);
			advance(c->eng, c->rules[EMU_R_VERB_MS]);
		}
	if (c->digit_pos >= c->ndigits) {
		const char *to = twiml_get(v, "timeout");
		advance(c->eng, (to ? strtol(to, NULL, 10) : 5) * 1000);
		ev(c, "twiml", p, 0, "Gather: no input, next verb");
		return CONT;
	}
	const char *d = c->digits[c->digit_pos++];
	ev(c, "twiml", p, 0, "Gather: caller pressed %s", d);
	struct emu_params prm = {0};
	std_params(c, p, &prm);
	emu_params_add(&prm, "Digits", d);
	const char *action = twiml_get(v, "action");
	char *url = resolve(c->fr.url, action ? action : c->fr.url);
	int r = goto_url(c, "Gather action", method_of(v, "method"), url, &prm);
	free(url);
	emu_params_free(&prm);
	return r;
}

static int exec_verb(struct call *c, const struct twiml_node *v)
{
	struct leg *p = &c->legs[0];
	const char *n = v->name;
	if (strcmp(n, "Say") == 0 || strcmp(n, "Play") == 0) {
		answer_parent(c);
		const char *lp = twiml_get(v, "loop");
		long loops = lp ? strtol(lp, NULL, 10) : 1;
		loops = loops < 1 ? 1 : loops > 100 ? 100 : loops;
		char *t = text_of(v);
		ev(c, "twiml", p, 0, "%s %s", n, t);
		free(t);
		advance(c->eng, (int64_t)c->rules[EMU_R_VERB_MS] * loops);
		return CONT;
	}
	if (strcmp(n, "Pause") == 0) {
		const char *ln = twiml_get(v, "length");
		long s = ln ? strtol(ln, NULL, 10) : 1;
		ev(c, "twiml", p, 0, "Pause %ld s", s);
		advance(c->eng, (s < 0 ? 0 : s > 600 ? 600 : s) * 1000);
		return CONT;
	}
	if (strcmp(n, "Gather") == 0)
		return do_gather(c, v);
	if (strcmp(n, "Redirect") == 0) {
		if (++c->redirects > EMU_ENG_MAX_REDIRECTS) {
			ev(c, "limit", p, 0, "more than %d <Redirect>s", EMU_ENG_MAX_REDIRECTS);
			end_call(c, ST_FAILED);
			return PAUSE;
		}
		char *t = text_of(v);
		char *url = resolve(c->fr.url, *t ? t : c->fr.url);
		struct emu_params prm = {0};
		std_params(c, p, &prm);
		int r = goto_url(c, "Redirect", method_of(v, "method"), url, &prm);
		emu_params_free(&prm);
		free(url);
		free(t);
		return r;
	}
	if (strcmp(n, "Hangup") == 0) {
		ev(c, "twiml", p, 0, "Hangup");
		end_call(c, ST_COMPLETED);
		return PAUSE;
	}
	if (strcmp(n, "Reject") == 0) {
		const char *rs = twiml_get(v, "reason");
		bool busy = rs && strcmp(rs, "busy") == 0;
		ev(c, "twiml", p, 0, "Reject reason=%s", busy ? "busy" : "rejected");
		if (p->status == ST_INPROGRESS) {
			ev(c, "warning", p, 0,
			   "<Reject> after the call was answered acts as <Hangup>");
			end_call(c, ST_COMPLETED);
		} else if (busy) {
			ev(c, "sip", p, 486, "INVITE answered 486 Busy Here");
			end_call(c, ST_BUSY);
		} else {
			bool b = rule(c, EMU_R_REJECT_STATUS, p) != 0;
			ev(c, "sip", p, 404, "INVITE answered 404 Not Found");
			end_call(c, b ? ST_BUSY : ST_FAILED);
		}
		return PAUSE;
	}
	if (strcmp(n, "Dial") == 0)
		return do_dial(c, v);
	if (strcmp(n, "Refer") == 0)
		return do_refer_verb(c, v);
	ev(c, "unsupported", p, 12200, "<%s> is not emulated; skipped", n);
	return CONT;
}

static void run(struct call *c)
{
	while (!c->ended && c->fr.root) {
		if (++c->verbs > EMU_ENG_MAX_STEPS_VERBS) {
			ev(c, "limit", &c->legs[0], 0, "more than %d verbs run",
			   EMU_ENG_MAX_STEPS_VERBS);
			end_call(c, ST_FAILED);
			return;
		}
		const struct twiml_node *v = next_verb(&c->fr);
		if (!v) {
			ev(c, "twiml", &c->legs[0], 0, "end of document: the call ends");
			end_call(c, ST_COMPLETED);
			return;
		}
		if (exec_verb(c, v) == PAUSE)
			return;
	}
}

/* ---- REFER, per profile ---- */

/* Splits a Refer-To into scheme, user, host (copies, caller frees); the
 * <...> and ;params / ?headers are left out. */
struct target {
	char *scheme, *user, *host, *uri;
};

static void target_parse(const char *refer_to, struct target *t)
{
	const char *s = refer_to;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '<')
		s++;
	size_t n = strcspn(s, ">?;");
	char *uri = xstrndup(s, n);
	t->uri = xstrndup(s, strcspn(s, ">?"));
	char *colon = strchr(uri, ':');
	t->scheme = xstrndup(uri, colon ? (size_t)(colon - uri) : 0);
	const char *rest = colon ? colon + 1 : uri;
	const char *at = strchr(rest, '@');
	if (at) {
		t->user = xstrndup(rest, (size_t)(at - rest));
		t->host = xstrndup(at + 1, strcspn(at + 1, ":"));
	} else if (strcasecmp(t->scheme, "tel") == 0) {
		t->user = xstrdup(rest);
		t->host = xstrdup("");
	} else {
		t->user = xstrdup("");
		t->host = xstrndup(rest, strcspn(rest, ":"));
	}
	free(uri);
}

static void target_free(struct target *t)
{
	free(t->scheme);
	free(t->user);
	free(t->host);
	free(t->uri);
}

static bool ends_with_ci(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static void voice_refer(struct call *c, int li, const struct emu_refer_req *req)
{
	struct leg *l = &c->legs[li], *p = &c->legs[0];
	if (li == 0) {
		if (c->in_conf) {
			ev(c, "transfer", l, 0, "REFER on a <Dial><Conference|Queue> call");
			respond(c, l, rule(c, EMU_R_CONF_REFER, l));
		} else {
			ev(c, "transfer", l, 0, "REFER on a leg no <Dial> created");
			respond(c, l, 405);
		}
		return;
	}
	const struct twiml_node *dial = l->dial;
	if (strlen(req->refer_to) > EMU_ENG_MAX_REFER_TO) {
		ev(c, "transfer", l, 0, "Refer-To is %zu characters (limit %d)",
		   strlen(req->refer_to), EMU_ENG_MAX_REFER_TO);
		respond(c, l, rule(c, EMU_R_REFER_TO_LONG, l));
		return;
	}
	const char *refer_url = twiml_get(dial, "referUrl");
	if (!refer_url) {
		ev(c, "alert", l, 13802, "REFER received but the <Dial> has no referUrl");
		respond(c, l, 202);
		notify(c, l, rule(c, EMU_R_NO_REFERURL, l));
		ev(c, "transfer", l, 0, "caller stays with %s", party(l));
		return;
	}
	respond(c, l, 202);
	notify(c, l, 100);
	bool aob = twiml_get(dial, "answerOnBridge") &&
	           strcmp(twiml_get(dial, "answerOnBridge"), "true") == 0;
	struct emu_params prm = {0};
	std_params(c, rule(c, EMU_R_CALLSID_PARENT, l) ? p : l, &prm);
	emu_params_add(&prm, "ReferTransferTarget", req->refer_to);
	if (req->headers && req->headers->n && rule(c, EMU_R_REFER_XHEADERS, l))
		for (size_t i = 0; i < req->headers->n; i++)
			if (strncasecmp(req->headers->v[i].name, "X-", 2) == 0) {
				char *nm = xasprintf("SipHeader_%s", req->headers->v[i].name);
				emu_params_add(&prm, nm, req->headers->v[i].value);
				free(nm);
			}
	char *url = resolve(l->dial_url, refer_url);
	const struct twiml_node *doc = NULL;
	const char *du = NULL;
	int code = webhook(c, p, "referUrl", method_of(dial, "referMethod"), url, &prm, &doc, &du);
	free(url);
	emu_params_free(&prm);
	if (code) {
		if (aob) {
			notify(c, l, 503);
			ev(c, "transfer", l, code, "referUrl failed: caller re-established with %s",
			   party(l));
		} else {
			notify(c, l, rule(c, EMU_R_AOB_FALSE_FAILURE, l));
			bye(c, l, "answerOnBridge=false");
			ev(c, "transfer", p, code,
			   "referUrl failed: caller disconnected, re-establishing is not possible");
			end_call(c, ST_COMPLETED);
		}
		return;
	}
	c->refer_set = true;
	c->refer_outcome = req->target;
	if (!aob || !has_dial(doc)) {
		if (aob)
			(void)rule(c, EMU_R_NO_DIAL_DONE, l);
		notify(c, l, 200);
		bye(c, l, aob ? "the answer holds no <Dial>" : "answerOnBridge=false");
		p->peer[0] = 0;
		c->bridged = -1;
		c->in_conf = false;
		(void)rule(c, EMU_R_SKIP_DIAL_ACTION, l);
		set_frame(c, doc, du);
		c->x.active = false;
		run(c);
	} else {
		c->x.active = true;
		c->x.aob = true;
		c->x.leg = li;
		c->x.saved = c->fr;
		c->x.saved_dial = c->bdial;
		c->x.saved_url = c->bdial_url;
		(void)rule(c, EMU_R_SKIP_DIAL_ACTION, l);
		set_frame(c, doc, du);
		run(c);
		c->x.active = false;
	}
	c->refer_set = false;
}

/* Trunk and Plivo: the provider dials the target itself and reports by NOTIFY. */
static void sip_transfer(struct call *c, int li, const struct emu_refer_req *req, const char *from,
                         const char *to)
{
	struct leg *l = &c->legs[li], *p = &c->legs[0];
	bool trunk = c->profile == EMU_TWILIO_TRUNK;
	respond(c, l, 202);
	if (trunk)
		ev(c, "transfer", l, 0, "the original call is held");
	notify(c, l, 100);
	int ci = new_leg(c, 0, trunk ? p->dir : "outbound-dial", from, to);
	if (ci < 0) {
		notify(c, l, 503);
		return;
	}
	struct leg *t = &c->legs[ci];
	l = &c->legs[li];
	set_status(c, t, ST_RINGING);
	if (trunk)
		ev(c, "transfer", t, 0, "no early media: no 180/183 sipfrag");
	switch (req->target) {
	case EMU_ANSWER:
		advance(c->eng, c->rules[EMU_R_RING_MS]);
		set_status(c, t, ST_INPROGRESS);
		notify(c, l, 200);
		if (trunk) {
			ev(c, "sip", l, 0, "BYE from the transferor: it ends the held call");
			set_status(c, l, ST_COMPLETED);
			link_peers(c, NULL, "caller", t, party(t));
		} else {
			link_peers(c, NULL, "caller", t, party(t));
			bye(c, l, "Plivo, after bridging");
			if (li == 0)
				ev(c, "transfer", l, 0,
				   "recording on the original leg stops; its CDR ends");
			else
				ev(c, "transfer", l, 0, "the new transfer leg replaces %s",
				   l->label);
		}
		return;
	case EMU_BUSY:
		advance(c->eng, c->rules[EMU_R_RING_MS]);
		set_status(c, t, ST_BUSY);
		notify(c, l, 486);
		break;
	case EMU_NO_ANSWER:
		advance(c->eng, (int64_t)c->rules[EMU_R_SIP_NO_ANSWER_S] * 1000);
		set_status(c, t, ST_NOANSWER);
		notify(c, l, 408);
		break;
	case EMU_FAIL:
		set_status(c, t, ST_FAILED);
		notify(c, l, trunk ? 503 : rule(c, EMU_R_PLIVO_FAIL_NOTIFY, l));
		break;
	}
	ev(c, "transfer", l, 0, "transfer failed: the caller stays with %s",
	   li == 0 ? "the agent" : party(l));
}

static void trunk_refer(struct call *c, int li, const struct emu_refer_req *req)
{
	struct leg *l = &c->legs[li], *p = &c->legs[0];
	struct target t;
	target_parse(req->refer_to, &t);
	const char *u = t.user[0] == '+' ? t.user + 1 : t.user;
	bool emergency = strcmp(u, "911") == 0 || strcmp(u, "933") == 0 || strcmp(u, "1911") == 0 ||
	                 strcmp(u, "1933") == 0;
	bool pstn = (strcasecmp(t.scheme, "tel") == 0 && id_e164(t.user)) ||
	            (strcasecmp(t.scheme, "sip") == 0 && id_e164(t.user) &&
	             ends_with_ci(t.host, ".pstn.twilio.com"));
	if (c->mode == EMU_XFER_DISABLE_ALL) {
		ev(c, "error", l, 32218, "Transfer not allowed: TransferMode is disable-all");
		respond(c, l, rule(c, EMU_R_TRUNK_REFUSED, l));
	} else if (emergency) {
		ev(c, "transfer", l, 0, "transfers to emergency numbers are not supported");
		respond(c, l, rule(c, EMU_R_TRUNK_EMERGENCY, l));
	} else if (pstn && c->mode == EMU_XFER_SIP_ONLY) {
		ev(c, "error", l, 32218,
		   "Transfer not allowed: PSTN target and TransferMode sip-only");
		respond(c, l, rule(c, EMU_R_TRUNK_REFUSED, l));
	} else {
		/* termination (PBX A -> B): transferee B, transferor A; origination: the reverse */
		const char *transferee = c->trunk_orig ? p->from : p->to;
		const char *transferor = c->trunk_orig ? p->to : p->from;
		const char *from = c->cid == EMU_CID_TRANSFEREE ? transferee : transferor;
		ev(c, "transfer", l, 0, "%s target; caller ID %s (%s)", pstn ? "PSTN" : "SIP", from,
		   c->cid == EMU_CID_TRANSFEREE ? "from-transferee" : "from-transferor");
		sip_transfer(c, li, req, from, pstn ? t.user : t.uri);
	}
	target_free(&t);
}

static bool private_ip(const char *h)
{
	unsigned a, b, cc, d;
	char tail;
	if (sscanf(h, "%u.%u.%u.%u%c", &a, &b, &cc, &d, &tail) == 4 && a < 256 && b < 256 &&
	    cc < 256 && d < 256)
		return a == 10 || a == 127 || a == 0 || (a == 172 && b >= 16 && b < 32) ||
		       (a == 192 && b == 168) || (a == 169 && b == 254) ||
		       (a == 100 && b >= 64 && b < 128);
	const char *s = h[0] == '[' ? h + 1 : h;
	if (strchr(s, ':'))
		return strncasecmp(s, "fc", 2) == 0 || strncasecmp(s, "fd", 2) == 0 ||
		       strncasecmp(s, "fe80", 4) == 0 || strcmp(s, "::1") == 0 ||
		       strncmp(s, "::1]", 4) == 0;
	return false;
}

static void plivo_refer(struct call *c, int li, const struct emu_refer_req *req)
{
	struct leg *l = &c->legs[li], *p = &c->legs[0];
	struct target t;
	target_parse(req->refer_to, &t);
	const char *addr = t.host;
	for (size_t i = 0; c->dns && c->dns[i] && c->dns[i + 1]; i += 2)
		if (strcasecmp(c->dns[i], t.host) == 0)
			addr = c->dns[i + 1];
	const char *suffix = c->plivo_suffix ? c->plivo_suffix : ".zt.plivo.com";
	bool number = t.user[0] == '+' || isdigit((unsigned char)t.user[0]);
	const char *why = NULL;
	if (private_ip(addr))
		why = "the target resolves to a private IP address";
	else if (!ends_with_ci(t.host, suffix))
		why = "the Refer-To host is not the trunk's domain";
	else if (number && !id_e164(t.user))
		why = "the target number is not E.164";
	if (!why && number && c->countries) {
		bool ok = false;
		for (size_t i = 0; c->countries[i]; i++)
			ok |= strncmp(t.user + 1, c->countries[i], strlen(c->countries[i])) == 0;
		if (!ok)
			why = "the target's country is not enabled";
	}
	if (why) {
		ev(c, "transfer", l, 0, "REFER refused: %s (%s)", why, addr);
		respond(c, l, rule(c, EMU_R_PLIVO_REFUSED, l));
	} else {
		ev(c, "transfer", l, 0, "caller ID %s (%s call: %s)", p->from,
		   c->plivo_out ? "outbound" : "inbound",
		   c->plivo_out ? "the Plivo number of the original leg" : "the original caller");
		sip_transfer(c, li, req, p->from, number ? t.user : t.uri);
	}
	target_free(&t);
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

static struct call *find(struct emu_engine *e, const char *sid, int *li)
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
static int claim(struct emu_engine *e, const char *sid, struct call **cp, int *li)
{
	struct call *c = find(e, sid, li);
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

int emu_call_create(struct emu_engine *e, const struct emu_call_spec *spec, char *sid_out)
{
	if (!spec || !spec->from || !spec->to || (unsigned)spec->profile > EMU_PLIVO)
		return EINVAL;
	if (spec->profile == EMU_TWILIO_VOICE && !spec->twiml && !spec->voice_url)
		return EINVAL;
	if (spec->noutcomes > EMU_ENG_MAX_OUTCOMES)
		return E2BIG;
	pthread_mutex_lock(&e->mu);
	int rc = 0;
	struct call *c = NULL;
	if (e->ncalls >= e->cfg.max_calls) {
		rc = E2BIG;
		goto out;
	}
	c = xcalloc(1, sizeof(*c));
	c->eng = e;
	c->profile = spec->profile;
	c->bridged = -1;
	c->next_label = spec->profile == EMU_TWILIO_VOICE ? 'A' : 'B';
	memcpy(c->rules, spec->rules ? spec->rules : e->cfg.rules, sizeof(c->rules));
	c->trunk_orig = spec->trunk_origination;
	c->mode = spec->transfer_mode;
	c->cid = spec->transfer_caller_id;
	c->plivo_out = spec->plivo_outbound;
	c->plivo_suffix = spec->plivo_domain_suffix ? xstrdup(spec->plivo_domain_suffix) : NULL;
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

	const char *dir = "inbound";
	if (c->profile == EMU_TWILIO_TRUNK)
		dir = c->trunk_orig ? "trunking-originating" : "trunking-terminating";
	else if (c->profile == EMU_PLIVO && c->plivo_out)
		dir = "outbound-api";
	if (spec->direction)
		dir = direction_name(spec->direction);
	int pi = new_leg(c, -1, dir, spec->from, spec->to);
	struct leg *p = &c->legs[pi];
	if (spec->sid && strlen(spec->sid) == EMU_SID_LEN && strncmp(spec->sid, "CA", 2) == 0 &&
	    !find(e, spec->sid, NULL))
		memcpy(p->sid, spec->sid, EMU_SID_LEN + 1);
	memcpy(sid_out, p->sid, EMU_SID_LEN + 1);
	if (spec->status_callback && *spec->status_callback) {
		c->sc_url = xstrdup(spec->status_callback);
		c->sc_method =
		    spec->status_callback_method ? xstrdup(spec->status_callback_method) : NULL;
		c->sc_events =
		    spec->status_callback_event ? xstrdup(spec->status_callback_event) : NULL;
		if (strcmp(p->dir, "outbound-api") == 0) /* queued -> initiated: dialling starts */
			status_callback(c, p, "initiated");
	}
	set_status(c, p, ST_RINGING);
	if (c->profile != EMU_TWILIO_VOICE) {
		set_status(c, p, ST_INPROGRESS);
		snprintf(p->peer, sizeof(p->peer), "agent");
		ev(c, "bridge", p, 0, "caller <-> agent");
		goto out;
	}
	const char *url = spec->voice_url ? spec->voice_url : "";
	if (spec->twiml) {
		struct twiml_node *root = NULL;
		char err[TWIML_MAX_MSG + 16] = "";
		int code =
		    parse_doc(c, p, spec->twiml, strlen(spec->twiml), &root, err, sizeof(err));
		if (code) {
			ev(c, "error", p, code, "inline TwiML: %s", err);
			end_call(c, ST_FAILED);
			goto out;
		}
		const char *du = NULL;
		set_frame(c, keep_doc(c, root, url, &du), du);
	} else {
		struct emu_params prm = {0};
		std_params(c, p, &prm);
		const char *m = spec->voice_method && strcasecmp(spec->voice_method, "GET") == 0
		                    ? "GET"
		                    : "POST";
		int r = goto_url(c, "Voice URL", m, url, &prm);
		emu_params_free(&prm);
		if (r == PAUSE)
			goto out;
	}
	run(c);
out:
	if (c)
		c->busy = false;
	pthread_mutex_unlock(&e->mu);
	return rc;
}

static void connected_json(struct call *c, json_t *arr)
{
	for (size_t i = 0; i < c->nlegs; i++) {
		struct leg *l = &c->legs[i];
		if (l->status != ST_INPROGRESS || !l->peer[0])
			continue;
		const char *a = party(l), *b = l->peer;
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

static json_t *legs_json(struct call *c)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < c->nlegs; i++) {
		struct leg *l = &c->legs[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "label", l->label,
		                      "party", party(l), "sid", l->sid, "direction", l->dir,
		                      "status", st_names[l->status], "from", l->from, "to", l->to,
		                      "start_ms", (json_int_t)l->start);
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

static json_t *call_json(struct call *c)
{
	json_t *conn = json_array();
	connected_json(c, conn);
	return json_pack("{s:s, s:s, s:o, s:o, s:b}", "sid", c->legs[0].sid, "profile",
	                 emu_profile_name(c->profile), "legs", legs_json(c), "connected", conn,
	                 "ended",
	                 c->ended || (terminal(c->legs[0].status) && json_array_size(conn) == 0));
}

int emu_refer(struct emu_engine *e, const char *leg_sid, const struct emu_refer_req *req,
              json_t **out)
{
	if (!req || !req->refer_to || (unsigned)req->target > EMU_FAIL)
		return EINVAL;
	pthread_mutex_lock(&e->mu);
	int li = 0;
	struct call *c = NULL;
	int rc = claim(e, leg_sid, &c, &li);
	if (rc)
		goto out;
	struct refer_out ro = {0};
	c->ro = &ro;
	size_t from = c->nev;
	struct leg *l = &c->legs[li];
	const char *sender = li == 0 && c->profile != EMU_TWILIO_VOICE ? "agent" : party(l);
	struct event *v = ev(c, "sip", l, 0, "REFER from %s, Refer-To: %s (target: %s)", sender,
	                     req->refer_to, emu_outcome_name(req->target));
	if (v)
		params_copy(&v->params, req->headers);
	if (l->status != ST_INPROGRESS)
		respond(c, l, 481);
	else if (c->profile == EMU_TWILIO_VOICE)
		voice_refer(c, li, req);
	else if (c->profile == EMU_TWILIO_TRUNK)
		trunk_refer(c, li, req);
	else
		plivo_refer(c, li, req);
	c->ro = NULL;
	c->busy = false;
	json_t *notif = json_array();
	for (size_t i = 0; i < ro.nnotify; i++)
		json_array_append_new(notif, json_string(ro.notify[i]));
	json_t *conn = json_array();
	connected_json(c, conn);
	*out = json_pack("{s:i, s:o, s:o, s:o, s:I}", "sip_response", ro.response, "notify", notif,
	                 "legs", legs_json(c), "connected", conn, "events_from", (json_int_t)from);
out:
	pthread_mutex_unlock(&e->mu);
	return rc;
}

int emu_hangup(struct emu_engine *e, const char *leg_sid)
{
	pthread_mutex_lock(&e->mu);
	int li = 0;
	struct call *c = NULL;
	int rc = claim(e, leg_sid, &c, &li);
	if (rc)
		goto out;
	struct leg *l = &c->legs[li];
	ev(c, "hangup", l, 0, "%s hangs up", party(l));
	if (terminal(l->status))
		goto out;
	if (li == 0) {
		end_call(c, ST_CANCELED);
	} else if (c->profile != EMU_TWILIO_VOICE) {
		if (strcmp(l->peer, "caller") == 0) {
			ev(c, "transfer", l, 0,
			   "the target hung up after the bridge: the call ends");
			end_call(c, ST_COMPLETED);
		} else {
			set_status(c, l, l->status == ST_INPROGRESS ? ST_COMPLETED : ST_CANCELED);
		}
	} else if (c->bridged == li) {
		const struct twiml_node *dial = c->bdial;
		const char *url = c->bdial_url;
		set_status(c, l, ST_COMPLETED);
		if (dial_end(c, dial, url, "completed", li, true) == CONT)
			run(c);
	} else {
		set_status(c, l, l->status == ST_INPROGRESS ? ST_COMPLETED : ST_CANCELED);
	}
out:
	if (c) /* claimed */
		c->busy = false;
	pthread_mutex_unlock(&e->mu);
	return rc;
}

int emu_call_json(struct emu_engine *e, const char *sid, json_t **out)
{
	pthread_mutex_lock(&e->mu);
	struct call *c = find(e, sid, NULL);
	if (c)
		*out = call_json(c);
	pthread_mutex_unlock(&e->mu);
	return c ? 0 : ENOENT;
}

int emu_events_json(struct emu_engine *e, const char *sid, json_t **out)
{
	pthread_mutex_lock(&e->mu);
	struct call *c = find(e, sid, NULL);
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

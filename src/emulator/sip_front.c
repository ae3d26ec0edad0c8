/* emu_sipfront: the emulator's real SIP front door: the adapter's REFERs, INVITEs, hang-ups
 * and wire records into the engine, and the engine's sink and dialer out to the adapter. */
#include "emulator/sip_front.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/sip.h"
#include "util/mem.h"

/* A wire message waiting for the recorder (owned copies). */
struct rec {
	struct rec *next;
	char leg[EMU_SID_LEN + 1];
	struct emu_sip_msg m;
	struct emu_params h;
	char *s[10];
	int64_t since_ms;
};

struct emu_sipfront {
	struct emu_sipfront_config cfg;
	struct sipd *sip;
	/* the engine's calls into the front door, counted, so free waits for them */
	pthread_mutex_t mu;
	pthread_cond_t idle;
	int active;
	bool closed;
	/* the recorder: the SIP thread never waits for the engine's lock; records go into the
	 * timeline in order on a thread of their own (one whose call is not made yet is tried
	 * again for EMU_SIPFRONT_RECORD_WAIT_MS) */
	pthread_t rec_th;
	pthread_cond_t rec_cv;
	struct rec *rq, *rq_tail;
	size_t nrq, dropped;
	bool rec_stop;
};

static bool enter(struct emu_sipfront *f)
{
	pthread_mutex_lock(&f->mu);
	bool ok = !f->closed;
	if (ok)
		f->active++;
	pthread_mutex_unlock(&f->mu);
	return ok;
}

static void leave(struct emu_sipfront *f)
{
	pthread_mutex_lock(&f->mu);
	if (--f->active == 0)
		pthread_cond_broadcast(&f->idle);
	pthread_mutex_unlock(&f->mu);
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
	nanosleep(&ts, NULL);
}

/* ---- the engine's side: sink and dialer ---- */

/* An INVITE the emulator answers for an inbound call that ends unanswered. */
static int end_code(const char *status)
{
	static const struct {
		const char *status;
		int code;
	} t[] = {{"busy", 486},
	         {"no-answer", 480},
	         {"canceled", 487},
	         {"failed", 500},
	         {"completed", 603}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].status, status) == 0)
			return t[i].code;
	return 0;
}

static void sink(void *ctx, const struct emu_sink_event *ev)
{
	struct emu_sipfront *f = ctx;
	if (!enter(f))
		return;
	switch (ev->kind) {
	case EMU_SINK_RESPOND:
		if (ev->refer_call_id) /* a REFER that came over SIP: answer it there */
			sipd_respond(f->sip, ev->leg_sid, ev->refer_cseq, ev->code,
			             emu_sip_reason(ev->code));
		break;
	case EMU_SINK_NOTIFY:
		if (ev->refer_call_id)
			sipd_notify(f->sip, ev->leg_sid, ev->refer_cseq, ev->code,
			            emu_sip_reason(ev->code));
		break;
	case EMU_SINK_BYE:
		sipd_bye(f->sip, ev->leg_sid);
		break;
	case EMU_SINK_REJECT:
		sipd_end(f->sip, ev->leg_sid, ev->code);
		break;
	case EMU_SINK_STATUS:
		if (strcmp(ev->status, "in-progress") == 0)
			sipd_answer(f->sip, ev->leg_sid);
		else if (end_code(ev->status))
			sipd_end(f->sip, ev->leg_sid, end_code(ev->status));
		break;
	case EMU_SINK_INVITE:
		break; /* the dialer rings the party */
	}
	leave(f);
}

static struct sipd_header *headers_of(const struct emu_params *p, size_t *n)
{
	*n = p ? p->n : 0;
	struct sipd_header *h = xcalloc(*n + 1, sizeof(*h));
	for (size_t i = 0; i < *n; i++)
		h[i] = (struct sipd_header){p->v[i].name, p->v[i].value};
	return h;
}

static int dial(void *ctx, const struct emu_dial_req *req, struct emu_dial_res *res)
{
	struct emu_sipfront *f = ctx;
	if (!enter(f))
		return ENOENT;
	struct sipd_dial d = {req->call_sid, req->leg_sid, req->address, req->from, NULL, 0,
	                      req->timeout_s};
	struct sipd_header *h = headers_of(req->headers, &d.nheaders);
	d.headers = h;
	struct sipd_dial_result r;
	int rc = sipd_dial(f->sip, &d, &r);
	free(h);
	leave(f);
	if (rc)
		return rc == ENOENT ? ENOENT : (res->outcome = EMU_FAIL, res->sip_code = 503, 0);
	static const enum emu_outcome map[] = {
	    [SIPD_ANSWERED] = EMU_ANSWER,
	    [SIPD_BUSY] = EMU_BUSY,
	    [SIPD_NO_ANSWER] = EMU_NO_ANSWER,
	    [SIPD_FAILED] = EMU_FAIL,
	};
	res->outcome = map[r.outcome];
	res->sip_code = r.code;
	snprintf(res->call_id, sizeof(res->call_id), "%s", r.call_id);
	return 0;
}

static int await_bye(void *ctx, const char *leg_sid, unsigned ms)
{
	struct emu_sipfront *f = ctx;
	if (!enter(f))
		return ENOENT;
	int rc = sipd_await_bye(f->sip, leg_sid, ms);
	leave(f);
	return rc;
}

/* ---- the adapter's side ---- */

/* m as the engine's message; its headers go to *h (the caller frees it). */
static struct emu_sip_msg msg_of(const struct sipd_msg *m, struct emu_params *h)
{
	for (size_t i = 0; i < m->nheaders; i++)
		(void)emu_params_add(h, m->headers[i].name, m->headers[i].value);
	return (struct emu_sip_msg){m->in,    m->method,      m->status, m->reason, m->call_id,
	                            m->cseq,  m->cseq_method, h,         m->body,   m->transport,
	                            m->local, m->remote,      m->at_ms};
}

static int on_refer(void *ctx, const struct sipd_refer *r)
{
	struct emu_sipfront *f = ctx;
	struct emu_params x = {0}, h = {0};
	for (size_t i = 0; i < r->nx; i++)
		(void)emu_params_add(&x, r->xheaders[i].name, r->xheaders[i].value);
	struct emu_sip_msg m = msg_of(r->msg, &h);
	struct emu_refer_req req = {.refer_to = r->refer_to, .target = EMU_ANSWER, .headers = &x};
	int rc = 0;
	/* X-Emulator-Target: answer, busy, ... or a list, one per party dialled (failover); an
	 * unknown value means answer */
	enum emu_outcome targets[EMU_ENG_MAX_TARGETS];
	size_t nt = 0;
	if (r->target && emu_outcomes_parse(r->target, targets, EMU_ENG_MAX_TARGETS, &nt) == 0 &&
	    nt) {
		req.target = targets[0];
		req.then = targets + 1;
		req.nthen = nt - 1;
	}
	json_t *out = NULL;
	rc = emu_refer_sip(f->cfg.eng, r->leg_sid, &req, &m, &out); /* waits for a busy call */
	if (!rc && f->cfg.refer_done)
		f->cfg.refer_done(f->cfg.ctx, r->leg_sid, out);
	json_decref(out);
	emu_params_free(&x);
	emu_params_free(&h);
	return rc;
}

static int on_invite(void *ctx, const struct sipd_invite *inv)
{
	struct emu_sipfront *f = ctx;
	struct emu_params xh = {0};
	for (size_t i = 0; i < inv->nx; i++)
		(void)emu_params_add(&xh, inv->xheaders[i].name, inv->xheaders[i].value);
	const char *dom = NULL;
	size_t hl = inv->host ? strlen(inv->host) : 0, sl = strlen(EMU_SIPFRONT_DOMAIN_SUFFIX);
	if (hl > sl && strcasecmp(inv->host + hl - sl, EMU_SIPFRONT_DOMAIN_SUFFIX) == 0)
		dom = inv->host;
	else if (inv->domain && *inv->domain)
		dom = inv->domain;
	struct emu_sipfront_invite fi = {
	    inv->call_sid, inv->from,         inv->to,        inv->profile, dom,
	    inv->from_uri, inv->msg->call_id, inv->source_ip, &xh};
	int rc = f->cfg.create ? f->cfg.create(f->cfg.ctx, &fi) : ENOENT;
	emu_params_free(&xh);
	return rc;
}

static void on_hangup(void *ctx, const char *leg_sid)
{
	struct emu_sipfront *f = ctx;
	for (long waited = 0, us = 100; emu_hangup(f->cfg.eng, leg_sid) == EBUSY &&
	                                waited < EMU_SIPFRONT_HANGUP_WAIT_MS * 1000L;
	     waited += us, us = us < 10000 ? us * 2 : us)
		sleep_us(us);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < sizeof(r->s) / sizeof(r->s[0]); i++)
		free(r->s[i]);
	emu_params_free(&r->h);
	free(r);
}

/* On the SIP thread: a copy of the message queued for the recorder; never blocks. */
static int on_record(void *ctx, const char *leg_sid, const struct sipd_msg *m)
{
	struct emu_sipfront *f = ctx;
	struct rec *r = xcalloc(1, sizeof(*r));
	snprintf(r->leg, sizeof(r->leg), "%s", leg_sid);
	r->m = msg_of(m, &r->h);
	const char **str[] = {&r->m.method, &r->m.reason,    &r->m.call_id, &r->m.cseq_method,
	                      &r->m.body,   &r->m.transport, &r->m.local,   &r->m.remote};
	for (size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		if (*str[i])
			*str[i] = r->s[i] = xstrdup(*str[i]);
	r->m.headers = &r->h;
	r->since_ms = mono_ms();
	pthread_mutex_lock(&f->mu);
	if (f->nrq >= EMU_SIPFRONT_MAX_RECORDS) {
		f->dropped++;
		pthread_mutex_unlock(&f->mu);
		rec_free(r);
		return 0;
	}
	if (f->rq_tail)
		f->rq_tail->next = r;
	else
		f->rq = r;
	f->rq_tail = r;
	f->nrq++;
	pthread_cond_signal(&f->rec_cv);
	pthread_mutex_unlock(&f->mu);
	return 0;
}

static void *recorder(void *arg)
{
	struct emu_sipfront *f = arg;
	struct rec *later = NULL; /* for calls not made yet, in order */
	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!f->rq && !f->rec_stop && !later)
			pthread_cond_wait(&f->rec_cv, &f->mu);
		if (!f->rq && !f->rec_stop && later) {
			struct timespec t;
			clock_gettime(CLOCK_REALTIME, &t);
			t.tv_nsec += 20 * 1000000L;
			if (t.tv_nsec >= 1000000000L)
				t.tv_sec++, t.tv_nsec -= 1000000000L;
			(void)pthread_cond_timedwait(&f->rec_cv, &f->mu, &t);
		}
		struct rec *batch = f->rq;
		bool stop = f->rec_stop;
		f->rq = f->rq_tail = NULL;
		f->nrq = 0;
		pthread_mutex_unlock(&f->mu);
		/* the ones waiting first, then the new ones, each list in its order */
		struct rec **tail = &later;
		while (*tail)
			tail = &(*tail)->next;
		*tail = batch;
		struct rec *keep = NULL, **kt = &keep;
		for (struct rec *r = later, *n; r; r = n) {
			n = r->next;
			r->next = NULL;
			if (emu_sip_record(f->cfg.eng, r->leg, &r->m) == ENOENT && !stop &&
			    mono_ms() - r->since_ms < EMU_SIPFRONT_RECORD_WAIT_MS) {
				*kt = r;
				kt = &r->next;
			} else {
				rec_free(r);
			}
		}
		later = keep;
		pthread_mutex_lock(&f->mu);
		if (stop && !f->rq)
			break;
	}
	pthread_mutex_unlock(&f->mu);
	for (struct rec *r = later, *n; r; r = n) {
		n = r->next;
		rec_free(r);
	}
	return NULL;
}

/* The recorder writes what is queued, then ends. */
static void stop_recorder(struct emu_sipfront *f)
{
	pthread_mutex_lock(&f->mu);
	f->rec_stop = true;
	pthread_cond_signal(&f->rec_cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->rec_th, NULL);
}

int emu_sipfront_start(const struct emu_sipfront_config *cfg, struct emu_sipfront **out, char *err,
                       size_t errlen)
{
	if (!cfg || !cfg->eng)
		return EINVAL;
	struct emu_sipfront *f = xcalloc(1, sizeof(*f));
	f->cfg = *cfg;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->idle, NULL);
	pthread_cond_init(&f->rec_cv, NULL);
	if (pthread_create(&f->rec_th, NULL, recorder, f) != 0) {
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->idle);
		pthread_cond_destroy(&f->rec_cv);
		free(f);
		snprintf(err, errlen, "no thread for the SIP records");
		return EAGAIN;
	}
	struct sipd_config sc = {cfg->listen, {f, on_refer, on_invite, on_hangup, on_record}};
	int rc = sipd_start(&f->sip, &sc, err, errlen);
	if (rc) {
		stop_recorder(f);
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->idle);
		pthread_cond_destroy(&f->rec_cv);
		free(f);
		return rc;
	}
	struct emu_sink s = {f, sink};
	struct emu_dialer d = {f, dial, await_bye};
	emu_engine_set_sip(cfg->eng, &s, &d);
	*out = f;
	return 0;
}

const char *emu_sipfront_addr(const struct emu_sipfront *f)
{
	return sipd_addr(f->sip);
}

void emu_sipfront_stop(struct emu_sipfront *f)
{
	if (!f)
		return;
	emu_engine_set_sip(f->cfg.eng, NULL, NULL);
	sipd_stop(f->sip);
}

void emu_sipfront_free(struct emu_sipfront *f)
{
	if (!f)
		return;
	emu_sipfront_stop(f);
	pthread_mutex_lock(&f->mu);
	f->closed = true;
	while (f->active > 0)
		pthread_cond_wait(&f->idle, &f->mu);
	pthread_mutex_unlock(&f->mu);
	sipd_free(f->sip); /* no record comes after this */
	stop_recorder(f);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->idle);
	pthread_cond_destroy(&f->rec_cv);
	free(f);
}

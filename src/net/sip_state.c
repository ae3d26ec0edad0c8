/* sip_state: the libre-free side of one SIP dialog: the NOTIFY/BYE FIFO and the dead
 * subscriptions, the retransmission filter, the records for the timeline (built, kept until
 * the call exists, handed to the hook) and the wake-ups of blocked callers. */
#include "net/sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#ifdef HANDOFF_HAVE_LIBRE

bool sipd_st_dead(const struct dstate *d, uint32_t ev)
{
	for (size_t i = 0; i < d->ndead; i++)
		if (d->dead[i] == ev)
			return true;
	return false;
}

void sipd_st_kill(struct dstate *d, uint32_t ev)
{
	if (!sipd_st_dead(d, ev) && d->ndead < sizeof(d->dead) / sizeof(d->dead[0]))
		d->dead[d->ndead++] = ev;
}

bool sipd_st_add(struct dstate *d, bool bye, uint32_t ev, int code, const char *reason)
{
	size_t n = 0;
	for (struct op *o = d->ops; o; o = o->next)
		n += !o->bye && o->ev == ev;
	if (!bye && (sipd_st_dead(d, ev) || n >= SIPD_MAX_NOTIFY_QUEUE))
		return false;
	struct op *o = xcalloc(1, sizeof(*o));
	*o = (struct op){NULL, bye, ev, code, ""};
	snprintf(o->reason, sizeof(o->reason), "%s", reason ? reason : "");
	if (bye)
		d->bye_queued = true;
	if (d->ops_tail)
		d->ops_tail->next = o;
	else
		d->ops = o;
	d->ops_tail = o;
	return true;
}

struct op *sipd_st_pop(struct dstate *d)
{
	struct op *o = d->ops;
	if (o) {
		d->ops = o->next;
		if (!d->ops)
			d->ops_tail = NULL;
	}
	return o;
}

bool sipd_st_seen(struct dstate *d, bool in, uint32_t cseq, int status, const char *met)
{
	size_t cap = sizeof(d->seen) / sizeof(d->seen[0]);
	for (size_t i = 0; i < d->nseen && i < cap; i++)
		if (d->seen[i].in == in && d->seen[i].cseq == cseq && d->seen[i].status == status &&
		    strcmp(d->seen[i].met, met) == 0)
			return true;
	size_t k = d->nseen++ % cap;
	d->seen[k].in = in;
	d->seen[k].cseq = cseq;
	d->seen[k].status = status;
	snprintf(d->seen[k].met, sizeof(d->seen[k].met), "%s", met);
	return false;
}

void sipd_st_record(struct sipd *s, struct dstate *d, struct rec *r)
{
	struct sipd_hooks *h = &SIPD_Q(s)->hooks;
	size_t i = 0;
	if (d->leg[0] && h->record) {
		for (; i < d->nearly; i++)
			if (h->record(h->ctx, d->leg, &d->early[i]->m) == ENOENT)
				break;
			else
				sipd_rec_free(d->early[i]);
		memmove(d->early, d->early + i, (d->nearly - i) * sizeof(d->early[0]));
		d->nearly -= i;
		if (r && !d->nearly && h->record(h->ctx, d->leg, &r->m) != ENOENT) {
			sipd_rec_free(r);
			return;
		}
	}
	if (r && d->nearly < SIPD_MAX_EARLY)
		d->early[d->nearly++] = r;
	else
		sipd_rec_free(r);
}

bool sipd_st_busy(const struct dstate *d)
{
	return d->ops || d->inflight || d->refer_busy || d->invite_busy || d->dial || d->await;
}

void sipd_st_clear(struct dstate *d)
{
	for (struct op *o = d->ops, *n; o; o = n) {
		n = o->next;
		free(o);
	}
	d->ops = d->ops_tail = NULL;
	free(d->inflight);
	d->inflight = NULL;
	for (size_t i = 0; i < d->nearly; i++)
		sipd_rec_free(d->early[i]);
	d->nearly = 0;
}

void sipd_st_dial_done(struct sipd *s, struct dstate *d, enum sipd_outcome o, int code)
{
	struct waiter *w = d->dial;
	if (!w)
		return;
	d->dial = NULL;
	w->res->outcome = o;
	w->res->code = code;
	snprintf(w->res->call_id, sizeof(w->res->call_id), "%s", d->call_id);
	sipd_waiter_done(s, w, 0);
}

void sipd_st_await_done(struct sipd *s, struct dstate *d, int rc)
{
	struct waiter *w = d->await;
	if (w) {
		d->await = NULL;
		sipd_waiter_done(s, w, rc);
	}
}

/* ---- records ---- */

struct rec *sipd_rec_build(const struct rec_src *src)
{
	struct rec *r = xcalloc(1, sizeof(*r));
	struct strbuf b = {0};
	size_t met = sipd_sb_put(&b, src->method.p, src->method.n);
	size_t reason = sipd_sb_put(&b, src->reason.p, src->reason.n);
	size_t cid = sipd_sb_put(&b, src->call_id.p, src->call_id.n);
	size_t cmet = sipd_sb_put(&b, src->cseq_method.p, src->cseq_method.n);
	size_t body = sipd_sb_put(&b, src->body.p, src->body.n);
	size_t tp = sipd_sb_str(&b, src->transport), lo = sipd_sb_str(&b, src->local);
	size_t re = sipd_sb_str(&b, src->remote);
	size_t hn[SIPD_MAX_HEADERS], hv[SIPD_MAX_HEADERS];
	for (size_t i = 0; i < src->nh; i++) {
		hn[i] = sipd_sb_put(&b, src->hn[i].p, src->hn[i].n);
		hv[i] = sipd_sb_put(&b, src->hv[i].p, src->hv[i].n);
	}
	r->strs = b.p;
#define AT(o) ((o) ? b.p + (o)-1 : NULL)
	r->m = (struct sipd_msg){src->in,   AT(met),  src->status, AT(reason),    AT(cid),
	                         src->cseq, AT(cmet), r->h,        src->nh,       AT(body),
	                         AT(tp),    AT(lo),   AT(re),      sipd_unix_ms()};
	for (size_t i = 0; i < src->nh; i++)
		r->h[i] = (struct sipd_header){AT(hn[i]), AT(hv[i])};
#undef AT
	return r;
}

const char *sipd_reason(int code)
{
	static const struct {
		int code;
		const char *text;
	} t[] = {{200, "OK"},
	         {202, "Accepted"},
	         {400, "Bad Request"},
	         {403, "Forbidden"},
	         {404, "Not Found"},
	         {413, "Request Entity Too Large"},
	         {480, "Temporarily Unavailable"},
	         {481, "Call/Transaction Does Not Exist"},
	         {486, "Busy Here"},
	         {487, "Request Terminated"},
	         {491, "Request Pending"},
	         {503, "Service Unavailable"},
	         {603, "Decline"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == code)
			return t[i].text;
	return "Server Internal Error";
}

int sipd_refer_refusal(int err)
{
	return err == ENOENT ? 481 : err == EBUSY ? 491 : 500;
}

int sipd_invite_refusal(int err)
{
	if (err >= 300 && err <= 699) /* the hook named the answer */
		return err;
	return err == ENOENT ? 404 : err == E2BIG || err == EBUSY ? 503 : 500;
}

#endif

/* sip_cmd: the SIP adapter's thread-safe side: the command queue to the SIP thread and its
 * doorbell, the blocking dial and BYE waits, the public calls other threads make, the
 * records and the jobs the workers run (no libre here: that is sip.c). */
#include "net/sip_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/mem.h"

#ifdef HANDOFF_HAVE_LIBRE

int64_t sipd_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the command queue ---- */

void sipd_waiter_done(struct sipd *s, struct waiter *w, int rc)
{
	struct sipd_q *q = SIPD_Q(s);
	pthread_mutex_lock(&q->mu);
	w->rc = rc;
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&q->mu);
}

void sipd_push(struct sipd *s, struct cmd *c)
{
	struct sipd_q *q = SIPD_Q(s);
	pthread_mutex_lock(&q->mu);
	if (q->closed || q->qlen >= SIPD_MAX_QUEUE) {
		if (c->w) {
			c->w->rc = ECANCELED;
			c->w->done = true;
			pthread_cond_signal(&c->w->cv);
		}
		pthread_mutex_unlock(&q->mu);
		free(c);
		return;
	}
	c->next = NULL;
	bool ring = !q->qhead;
	if (q->qtail)
		q->qtail->next = c;
	else
		q->qhead = c;
	q->qtail = c;
	q->qlen++;
	if (ring)
		sipd_ring(s);
	pthread_mutex_unlock(&q->mu);
}

struct cmd *sipd_cmd_new(enum cmd_kind k, const char *leg)
{
	struct cmd *c = xcalloc(1, sizeof(*c));
	c->kind = k;
	snprintf(c->leg, sizeof(c->leg), "%s", leg ? leg : "");
	return c;
}

static void cmd_simple(struct sipd *s, enum cmd_kind k, const char *leg, uint32_t cseq, int code,
                       const char *reason)
{
	struct cmd *c = sipd_cmd_new(k, leg);
	c->cseq = cseq;
	c->code = code;
	snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
	sipd_push(s, c);
}

void sipd_respond(struct sipd *s, const char *leg_sid, uint32_t refer_cseq, int code,
                  const char *reason)
{
	cmd_simple(s, C_RESPOND, leg_sid, refer_cseq, code, reason);
}

void sipd_notify(struct sipd *s, const char *leg_sid, uint32_t refer_cseq, int code,
                 const char *reason)
{
	cmd_simple(s, C_NOTIFY, leg_sid, refer_cseq, code, reason);
}

void sipd_bye(struct sipd *s, const char *leg_sid)
{
	cmd_simple(s, C_BYE, leg_sid, 0, 0, NULL);
}

void sipd_answer(struct sipd *s, const char *leg_sid)
{
	cmd_simple(s, C_ANSWER, leg_sid, 0, 0, NULL);
}

void sipd_end(struct sipd *s, const char *leg_sid, int code)
{
	cmd_simple(s, C_END, leg_sid, 0, code, sipd_reason(code));
}

/* Queues a blocking command and waits for the SIP thread to complete it (it always does:
 * at stop it completes every waiter it holds with ECANCELED). */
static int wait_cmd(struct sipd *s, enum cmd_kind k, const char *leg, struct waiter *w)
{
	struct sipd_q *q = SIPD_Q(s);
	pthread_cond_init(&w->cv, NULL);
	struct cmd *c = sipd_cmd_new(k, leg);
	c->w = w;
	sipd_push(s, c);
	pthread_mutex_lock(&q->mu);
	while (!w->done)
		pthread_cond_wait(&w->cv, &q->mu);
	pthread_mutex_unlock(&q->mu);
	pthread_cond_destroy(&w->cv);
	return w->rc;
}

int sipd_dial(struct sipd *s, const struct sipd_dial *d, struct sipd_dial_result *res)
{
	struct sipd_q *q = SIPD_Q(s);
	char uri[SIPD_MAX_URI + 1];
	if (!d || !d->uri || !sipd_loopback_uri(d->uri, uri, sizeof(uri)))
		return ENOENT;
	pthread_mutex_lock(&q->mu);
	bool stop = q->stopping;
	pthread_mutex_unlock(&q->mu);
	if (stop)
		return ECANCELED;
	memset(res, 0, sizeof(*res));
	struct waiter w = {.dial = d, .res = res};
	return wait_cmd(s, C_DIAL, d->leg_sid, &w);
}

int sipd_await_bye(struct sipd *s, const char *leg_sid, unsigned ms)
{
	struct waiter w = {.ms = ms};
	int rc = wait_cmd(s, C_AWAIT, leg_sid, &w);
	return rc == ECANCELED ? ENOENT : rc;
}

void sipd_stop(struct sipd *s)
{
	if (!s)
		return;
	struct sipd_q *q = SIPD_Q(s);
	pthread_mutex_lock(&q->mu);
	bool first = !q->stopping;
	q->stopping = true;
	pthread_mutex_unlock(&q->mu);
	if (first)
		sipd_push(s, sipd_cmd_new(C_QUIT, NULL));
}

int sipd_start(struct sipd **out, const struct sipd_config *cfg, char *err, size_t errlen)
{
	int rc = sipd_lib(true);
	if (rc) {
		snprintf(err, errlen, "the SIP stack did not start: %s", strerror(rc));
		return rc;
	}
	struct sipd *s = sipd_alloc();
	struct sipd_q *q = SIPD_Q(s);
	q->hooks = cfg->hooks;
	q->listen = cfg->listen ? cfg->listen : "127.0.0.1:5080";
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	rc = sipd_pool_start(&q->pool, SIPD_WORKERS, SIPD_MAX_JOBS);
	if (!rc && pthread_create(&q->th, NULL, sipd_thread, s) != 0)
		rc = EAGAIN;
	else if (!rc) {
		pthread_mutex_lock(&q->mu);
		while (!q->ready)
			pthread_cond_wait(&q->cv, &q->mu);
		rc = q->ready_err;
		pthread_mutex_unlock(&q->mu);
		if (rc)
			pthread_join(q->th, NULL);
	}
	if (rc) {
		snprintf(err, errlen, "cannot listen for SIP on %s: %s", q->listen, strerror(rc));
		sipd_pool_free(q->pool);
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->cv);
		sipd_dealloc(s);
		(void)sipd_lib(false);
		return rc == EADDRINUSE || rc == EINVAL || rc == EACCES ? rc : EIO;
	}
	q->listen = NULL;
	*out = s;
	return 0;
}

void sipd_free(struct sipd *s)
{
	if (!s)
		return;
	struct sipd_q *q = SIPD_Q(s);
	sipd_stop(s);
	sipd_pool_free(q->pool); /* the running hooks finish; their answers are dropped */
	pthread_join(q->th, NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	sipd_dealloc(s);
	(void)sipd_lib(false);
}

const char *sipd_addr(const struct sipd *s)
{
	return SIPD_Q(s)->addr;
}

int sipd_port(const struct sipd *s)
{
	return SIPD_Q(s)->port;
}

/* ---- records ---- */

size_t sipd_sb_put(struct strbuf *b, const char *p, size_t n)
{
	if (!p)
		return 0;
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	size_t at = b->len;
	memcpy(b->p + at, p, n);
	b->p[at + n] = 0;
	b->len += n + 1;
	return at + 1;
}

size_t sipd_sb_str(struct strbuf *b, const char *s)
{
	return s ? sipd_sb_put(b, s, strlen(s)) : 0;
}

void sipd_rec_free(struct rec *r)
{
	if (r) {
		free(r->strs);
		free(r);
	}
}

enum sipd_outcome sipd_outcome_of(int code)
{
	if (code >= 200 && code < 300)
		return SIPD_ANSWERED;
	if (code == 486 || code == 600)
		return SIPD_BUSY;
	if (code == 408 || code == 480 || code == 487)
		return SIPD_NO_ANSWER;
	return SIPD_FAILED;
}

bool sipd_header_ok(const struct sipd_header *h)
{
	if (!h->name || !*h->name || !h->value || strpbrk(h->value, "\r\n"))
		return false;
	for (const char *p = h->name; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("-.!%*_+`'~", *p)))
			return false;
	return true;
}

/* ---- jobs (run on the workers) ---- */

void sipd_job_free(void *arg)
{
	struct job *j = arg;
	free(j->refer_to);
	free(j->target);
	free(j->from);
	free(j->to);
	free(j->profile);
	free(j->host);
	free(j->domain);
	free(j->from_uri);
	free(j->source_ip);
	for (size_t i = 0; i < j->nx; i++) {
		free((char *)j->x[i].name);
		free((char *)j->x[i].value);
	}
	sipd_rec_free(j->r);
	free(j);
}

static void job_run(void *arg)
{
	struct job *j = arg;
	struct sipd *s = j->s;
	struct sipd_hooks *h = &SIPD_Q(s)->hooks;
	int rc = 0;
	if (j->kind == J_REFER) {
		struct sipd_refer r = {j->leg, j->refer_to, j->target, j->x, j->nx, &j->r->m};
		rc = h->refer ? h->refer(h->ctx, &r) : ENOENT;
	} else if (j->kind == J_INVITE) {
		struct sipd_invite inv = {j->leg,       j->from, j->to,     j->profile,
		                          &j->r->m,     j->host, j->domain, j->from_uri,
		                          j->source_ip, j->x,    j->nx};
		rc = h->invite ? h->invite(h->ctx, &inv) : ENOENT;
	} else if (h->hangup) {
		h->hangup(h->ctx, j->leg);
	}
	if (j->kind != J_HANGUP) {
		struct cmd *c =
		    sipd_cmd_new(j->kind == J_REFER ? C_REFER_DONE : C_INVITE_DONE, j->leg);
		c->cseq = j->cseq;
		c->code = rc;
		sipd_push(s, c);
	}
	sipd_job_free(j);
}

struct job *sipd_job_new(struct sipd *s, enum job_kind kind, const char *leg)
{
	struct job *j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->kind = kind;
	snprintf(j->leg, sizeof(j->leg), "%s", leg);
	return j;
}

int sipd_job_push(struct job *j)
{
	return sipd_pool_push(SIPD_Q(j->s)->pool, job_run, sipd_job_free, j);
}

void sipd_job_hangup(struct sipd *s, const char *leg)
{
	struct job *j = sipd_job_new(s, J_HANGUP, leg);
	if (sipd_job_push(j))
		sipd_job_free(j);
}

#endif

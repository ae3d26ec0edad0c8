/* sip_int: what the SIP adapter's files share: the command queue to the SIP thread, the
 * blocking waiters, the records and jobs (sip_cmd.c), the worker pool (sip_pool.c); the
 * libre side is sip.c. Not for other modules, which use sip.h. */
#ifndef HANDOFF_NET_SIP_INT_H
#define HANDOFF_NET_SIP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/sip.h"

/* ---- sip_pool.c ---- */

struct sipd_pool;

/* A job: run on a worker (it owns arg and frees it), or dropped unrun at stop (drop frees
 * arg). */
typedef void (*sipd_job_fn)(void *arg);

/* Starts n workers over a queue of at most max jobs. 0 or an errno value. */
int sipd_pool_start(struct sipd_pool **out, int n, size_t max);
/* Queues a job: 0, or EAGAIN when the queue is full or the pool stopping (nothing taken). */
int sipd_pool_push(struct sipd_pool *p, sipd_job_fn run, sipd_job_fn drop, void *arg);
/* Stops taking jobs, drops the queued ones, waits for the running ones, frees the pool. */
void sipd_pool_free(struct sipd_pool *p);

/* ---- sip_cmd.c ---- */

/* A blocked sipd_dial or sipd_await_bye; it lives on the caller's stack until done. */
struct waiter {
	pthread_cond_t cv;
	bool done;
	int rc;
	const struct sipd_dial *dial;
	struct sipd_dial_result *res;
	unsigned ms;
};

enum cmd_kind {
	C_RESPOND,
	C_NOTIFY,
	C_BYE,
	C_ANSWER,
	C_END,
	C_DIAL,
	C_AWAIT,
	C_REFER_DONE,
	C_INVITE_DONE,
	C_QUIT
};

/* Work for the SIP thread (which frees it). */
struct cmd {
	struct cmd *next;
	enum cmd_kind kind;
	char leg[SIPD_SID_LEN + 1];
	uint32_t cseq;
	int code;
	char reason[64];
	struct waiter *w;
};

/* The part of struct sipd (its first member) every thread uses, under mu. */
struct sipd_q {
	struct sipd_hooks hooks;
	char addr[64];
	int port;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct cmd *qhead, *qtail;
	size_t qlen;
	bool ready, closed, stopping;
	int ready_err;
	pthread_t th;
	struct sipd_pool *pool;
	const char *listen; /* during sipd_start */
};
#define SIPD_Q(s) ((struct sipd_q *)(void *)(s))

struct cmd *sipd_cmd_new(enum cmd_kind k, const char *leg);
/* Queues c for the SIP thread; a closed or full queue drops it (a waiter gets ECANCELED). */
void sipd_push(struct sipd *s, struct cmd *c);
void sipd_waiter_done(struct sipd *s, struct waiter *w, int rc);

/* A message recorded for the timeline, owning its strings. */
struct rec {
	struct sipd_msg m;
	struct sipd_header h[SIPD_MAX_HEADERS];
	char *strs;
};
void sipd_rec_free(struct rec *r);

/* Strings packed in one block while a record is built. */
struct strbuf {
	char *p;
	size_t len, cap;
};
/* Appends n bytes and a NUL; returns the offset + 1 (0 stands for NULL). */
size_t sipd_sb_put(struct strbuf *b, const char *p, size_t n);
size_t sipd_sb_str(struct strbuf *b, const char *s);

/* Work for a worker: a REFER, an INVITE or a hang-up, with copies of what it needs. */
enum job_kind { J_REFER, J_INVITE, J_HANGUP };
struct job {
	struct sipd *s;
	enum job_kind kind;
	char leg[SIPD_SID_LEN + 1];
	uint32_t cseq;
	char *refer_to, *target, *from, *to, *profile;
	char *host, *domain, *from_uri, *source_ip; /* an INVITE's */
	struct sipd_header x[SIPD_MAX_HEADERS];
	size_t nx;
	struct rec *r;
};
struct job *sipd_job_new(struct sipd *s, enum job_kind kind, const char *leg);
/* Queues j on the pool: 0, or EAGAIN (j is still the caller's). */
int sipd_job_push(struct job *j);
void sipd_job_free(void *arg);
/* The party on leg hung up: a hang-up job (dropped when the pool is full). */
void sipd_job_hangup(struct sipd *s, const char *leg);

/* The libre-free state of one dialog (sip_state.c), kept by sip.c's struct dlg. */
struct op { /* the FIFO: NOTIFYs in order, each after the previous one's answer; BYE last */
	struct op *next;
	bool bye;
	uint32_t ev; /* the subscription: its REFER's CSeq */
	int code;
	char reason[64];
};
struct dstate {
	char leg[SIPD_SID_LEN + 1], call_id[SIPD_MAX_CALL_ID + 1];
	bool uac, estab, answered, closed, peer_bye, refer_busy, invite_busy, bye_queued;
	bool lingering;
	bool end_on_estab; /* the call ended between our 200 and the caller's ACK */
	uint32_t refer_cseq;
	struct waiter *dial, *await;
	struct op *ops, *ops_tail, *inflight;
	uint32_t dead[8]; /* subscriptions a non-2xx ended */
	size_t ndead;
	struct rec *early[SIPD_MAX_EARLY]; /* records the hooks could not take yet */
	size_t nearly;
	struct {
		bool in;
		uint32_t cseq;
		int status;
		char met[16];
	} seen[16]; /* the last messages recorded: a retransmission is recorded once */
	size_t nseen;
};
/* Queues a NOTIFY of subscription ev (false when it is dead or its queue is full:
 * SIPD_MAX_NOTIFY_QUEUE), or the BYE. */
bool sipd_st_add(struct dstate *d, bool bye, uint32_t ev, int code, const char *reason);
struct op *sipd_st_pop(struct dstate *d);
bool sipd_st_dead(const struct dstate *d, uint32_t ev);
void sipd_st_kill(struct dstate *d, uint32_t ev);
/* Whether this message was recorded before (and remembers it). */
bool sipd_st_seen(struct dstate *d, bool in, uint32_t cseq, int status, const char *met);
/* Hands r (may be NULL: just retry) to the record hook, after the kept ones. */
void sipd_st_record(struct sipd *s, struct dstate *d, struct rec *r);
/* Whether anything still waits on the dialog. */
bool sipd_st_busy(const struct dstate *d);
void sipd_st_clear(struct dstate *d);
/* Wakes the blocked sipd_dial with an outcome, or the sipd_await_bye with rc. */
void sipd_st_dial_done(struct sipd *s, struct dstate *d, enum sipd_outcome o, int code);
void sipd_st_await_done(struct sipd *s, struct dstate *d, int rc);

/* A message taken apart by sip.c, for sipd_rec_build. */
struct slice {
	const char *p;
	size_t n;
};
struct rec_src {
	bool in;
	struct slice method, reason, call_id, cseq_method, body;
	int status;
	uint32_t cseq;
	const char *transport, *local, *remote;
	struct slice hn[SIPD_MAX_HEADERS], hv[SIPD_MAX_HEADERS];
	size_t nh;
};
struct rec *sipd_rec_build(const struct rec_src *src);

/* The reason phrase of the codes the adapter sends. */
const char *sipd_reason(int code);
/* The SIP answer when a hook did not run: a REFER's (481, 491, 500), an INVITE's (404,
 * 503, 500, or the SIP code 300..699 the hook returned). */
int sipd_refer_refusal(int err);
int sipd_invite_refusal(int err);

int64_t sipd_unix_ms(void);
/* What a final answer to our INVITE means. */
enum sipd_outcome sipd_outcome_of(int code);
/* A header name of token characters and a value without CR or LF. */
bool sipd_header_ok(const struct sipd_header *h);

/* ---- sip.c (libre) ---- */

/* The library, counted (libre_init once, libre_close with the last user): 0 or an errno. */
int sipd_lib(bool up);
struct sipd *sipd_alloc(void);
void sipd_dealloc(struct sipd *s);
/* The SIP thread (arg: the sipd): its loop until C_QUIT; q.ready set once it listens. */
void *sipd_thread(void *arg);
/* The doorbell of the SIP thread's loop; called with mu held while the queue is open. */
void sipd_ring(struct sipd *s);
/* The dialled URI without its ?headers, when it is sip: on a numeric loopback address. */
bool sipd_loopback_uri(const char *uri, char *out, size_t outlen);

#endif

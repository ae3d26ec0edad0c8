/* sipd: the SIP adapter (the only file that includes libre): libre's loop on its own thread,
 * UDP and TCP on one port; other threads reach it only through a locked command queue and a
 * doorbell (mqueue, sip_cmd.c). libre 1.1.0 (Debian's libre-dev) rather than sofia-sip: BSD,
 * kept up by baresip, in-dialog REFER in sipsess, raw in-dialog requests for an exact NOTIFY
 * FIFO (its own notifier coalesces NOTIFYs). */
#include "net/sip.h"

#ifdef HANDOFF_HAVE_LIBRE

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* libre's headers need <stdint.h> and <stdbool.h> first, and -DHAVE_INTTYPES_H ... */
#include <re.h>
#define DEBUG_MODULE "sipd"
#define DEBUG_LEVEL  3
#include <re_dbg.h> /* dbg_init: re.h leaves it out */

#include "net/sip_int.h"
#include "util/mem.h"

#define SIPD_LINGER_MS    3000 /* a closed dialog stays this long to record its last messages */
#define SIPD_QUIT_WAIT_MS 3000 /* at stop, how long the BYEs and CANCELs may take */
#define SIPD_MAX_BODY_REC 1024 /* a sipfrag body kept for the timeline */
#define SIPD_ALLOW        "Allow: INVITE, ACK, CANCEL, BYE, REFER, NOTIFY, OPTIONS\r\n"

static const char sdp_body[] = "v=0\r\n"
                               "o=twilio 1 1 IN IP4 127.0.0.1\r\n"
                               "s=Twilio Media Gateway\r\n"
                               "c=IN IP4 127.0.0.1\r\n"
                               "t=0 0\r\n"
                               "m=audio 40000 RTP/AVP 0\r\n"
                               "a=rtpmap:0 PCMU/8000\r\n"
                               "a=sendrecv\r\n";

/* The adapter: the part every thread uses first (sip_int.h), then the SIP thread's own. */
struct sipd {
	struct sipd_q q;
	struct sa laddr;
	struct mqueue *mq; /* the doorbell; freed under q.mu once q.closed */
	struct sip *sip;
	struct sipsess_sock *sock;
	struct hash *by_cid, *by_leg;
	struct list dlgs;
	unsigned nlive; /* dialogs with a session: SIPD_MAX_DIALOGS */
	char contact_udp[96], contact_tcp[96];
	struct dlg *dialing;        /* set while sipsess_connect sends its INVITE */
	struct rec *pending_invite; /* a new INVITE, seen by the trace before conn_h */
	bool quitting;
	struct tmr tmr_quit;
	uint64_t quit_deadline;
	uint32_t idle_refs;
};

/* One dialog (the SIP thread's). */
struct dlg {
	struct le le_all, le_cid, le_leg;
	struct sipd *s;
	struct dstate st;
	bool live, hashed_cid, hashed_leg;
	struct sipsess *sess;
	struct sip_dialog *dlg; /* our reference: it outlives the session (NOTIFYs after BYE) */
	enum sip_transp tp;
	struct tmr tmr_ring, tmr_await, tmr_linger;
	const struct sip_msg *refer_msg; /* the REFER the engine is answering */
	struct sip_strans *refer_st;
	struct sip_request *req; /* the NOTIFY in flight */
};

bool sipd_available(void)
{
	return true;
}

/* ---- records ---- */

static struct slice sl(const struct pl *pl)
{
	return (struct slice){pl->p, pl->p ? pl->l : 0};
}

/* The headers the timeline keeps, by libre's id (compact forms map to the same id). */
static const char *known_header(enum sip_hdrid id)
{
	static const struct {
		enum sip_hdrid id;
		const char *name;
	} t[] = {{SIP_HDR_REFER_TO, "Refer-To"},
	         {SIP_HDR_REFERRED_BY, "Referred-By"},
	         {SIP_HDR_REPLACES, "Replaces"},
	         {SIP_HDR_REFER_SUB, "Refer-Sub"},
	         {SIP_HDR_EVENT, "Event"},
	         {SIP_HDR_CONTENT_TYPE, "Content-Type"},
	         {SIP_HDR_SUBSCRIPTION_STATE, "Subscription-State"},
	         {SIP_HDR_REASON, "Reason"},
	         {SIP_HDR_RETRY_AFTER, "Retry-After"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].id == id)
			return t[i].name;
	return NULL;
}

/* A record of msg (received when in) for the timeline. */
static struct rec *rec_of(const struct sip_msg *msg, bool in, enum sip_transp tp,
                          const struct sa *local, const struct sa *remote)
{
	struct rec_src r = {.in = in, .status = msg->req ? 0 : msg->scode, .cseq = msg->cseq.num};
	char lo[64] = "", re[64] = "";
	(void)re_snprintf(lo, sizeof(lo), "%J", local);
	(void)re_snprintf(re, sizeof(re), "%J", remote);
	if (msg->req)
		r.method = sl(&msg->met);
	else
		r.reason = sl(&msg->reason);
	r.call_id = sl(&msg->callid);
	r.cseq_method = sl(&msg->cseq.met);
	r.transport = tp == SIP_TRANSP_TCP ? "tcp" : "udp";
	r.local = lo;
	r.remote = re;
	struct le *le;
	LIST_FOREACH(&msg->hdrl, le)
	{
		const struct sip_hdr *h = le->data;
		const char *kn = known_header(h->id);
		bool keep = kn || (h->name.l > 2 && !strncasecmp(h->name.p, "X-", 2)) ||
		            !pl_strcasecmp(&h->name, "User-to-User");
		if (!keep || r.nh == SIPD_MAX_HEADERS)
			continue;
		r.hn[r.nh] = kn ? (struct slice){kn, strlen(kn)} : sl(&h->name);
		r.hv[r.nh] =
		    (struct slice){h->val.p, h->val.l > SIPD_MAX_VALUE ? SIPD_MAX_VALUE : h->val.l};
		r.nh++;
	}
	size_t n = mbuf_get_left(msg->mb);
	if (n && msg_ctype_cmp(&msg->ctyp, "message", "sipfrag"))
		r.body = (struct slice){(const char *)mbuf_buf(msg->mb),
		                        n > SIPD_MAX_BODY_REC ? SIPD_MAX_BODY_REC : n};
	return sipd_rec_build(&r);
}

/* ---- dialogs ---- */

static bool cid_cmp(struct le *le, void *arg)
{
	const struct dlg *d = le->data;
	return !pl_strcmp(arg, d->st.call_id);
}

static bool leg_cmp(struct le *le, void *arg)
{
	const struct dlg *d = le->data;
	return strcmp(d->st.leg, arg) == 0;
}

static struct dlg *by_cid(struct sipd *s, const struct pl *cid)
{
	struct le *le = hash_lookup(s->by_cid, hash_joaat_pl(cid), cid_cmp, (void *)cid);
	return le ? le->data : NULL;
}

static struct dlg *by_leg(struct sipd *s, const char *leg)
{
	struct le *le =
	    leg && *leg ? hash_lookup(s->by_leg, hash_joaat_str(leg), leg_cmp, (void *)leg) : NULL;
	return le ? le->data : NULL;
}

static void set_cid(struct dlg *d, const char *cid)
{
	if (d->hashed_cid)
		return;
	snprintf(d->st.call_id, sizeof(d->st.call_id), "%s", cid);
	hash_append(d->s->by_cid, hash_joaat_str(d->st.call_id), &d->le_cid, d);
	d->hashed_cid = true;
}

static struct dlg *dlg_new(struct sipd *s, bool uac, const char *leg)
{
	struct dlg *d = xcalloc(1, sizeof(*d));
	d->s = s;
	d->st.uac = uac;
	d->live = true;
	s->nlive++;
	tmr_init(&d->tmr_ring);
	tmr_init(&d->tmr_await);
	tmr_init(&d->tmr_linger);
	list_append(&s->dlgs, &d->le_all, d);
	snprintf(d->st.leg, sizeof(d->st.leg), "%s", leg);
	hash_append(s->by_leg, hash_joaat_str(d->st.leg), &d->le_leg, d);
	d->hashed_leg = true;
	return d;
}

static void dlg_free(struct dlg *d)
{
	tmr_cancel(&d->tmr_ring);
	tmr_cancel(&d->tmr_await);
	tmr_cancel(&d->tmr_linger);
	if (d->live)
		d->s->nlive--;
	list_unlink(&d->le_all);
	if (d->hashed_cid)
		hash_unlink(&d->le_cid);
	if (d->hashed_leg)
		hash_unlink(&d->le_leg);
	sipd_st_clear(&d->st);
	d->req = mem_deref(d->req);
	d->refer_st = mem_deref(d->refer_st);
	d->refer_msg = mem_deref((void *)d->refer_msg);
	d->sess = mem_deref(d->sess);
	d->dlg = mem_deref(d->dlg);
	free(d);
}

static void linger_h(void *arg)
{
	dlg_free(arg);
}

/* The session is over: the dialog no longer counts against SIPD_MAX_DIALOGS. */
static void dlg_closed(struct dlg *d)
{
	d->st.closed = true;
	d->sess = mem_deref(d->sess);
	if (d->live) {
		d->live = false;
		d->s->nlive--;
	}
}

/* Frees the dialog, after a linger for its last records, once nothing waits on it. */
static void dlg_maybe_done(struct dlg *d)
{
	if (!d->st.closed || sipd_st_busy(&d->st) || d->st.lingering || d->s->quitting)
		return;
	d->st.lingering = true;
	tmr_start(&d->tmr_linger, SIPD_LINGER_MS, linger_h, d);
}

/* Every message on the sockets passes here: those on a call's dialog go to the timeline. */
static void trace_h(bool tx, enum sip_transp tp, const struct sa *src, const struct sa *dst,
                    const uint8_t *pkt, size_t len, void *arg)
{
	struct sipd *s = arg;
	struct mbuf *mb = mbuf_alloc(len);
	struct sip_msg *m = NULL;
	if (!mb)
		return;
	(void)mbuf_write_mem(mb, pkt, len);
	mb->pos = 0;
	if (sip_msg_decode(&m, mb))
		goto out;
	struct dlg *d = by_cid(s, &m->callid);
	bool in = !tx, invite = m->req && !pl_strcmp(&m->met, "INVITE");
	if (!d && tx && s->dialing && invite) { /* our INVITE, still inside sipsess_connect */
		char cid[SIPD_MAX_CALL_ID + 1];
		pl_strcpy(&m->callid, cid, sizeof(cid));
		set_cid(s->dialing, cid);
		d = s->dialing;
	}
	const struct sa *local = tx ? src : dst, *remote = tx ? dst : src;
	if (!d) {
		/* a new INVITE comes here before the session handler: keep it for that */
		if (in && invite && !pl_isset(&m->to.tag)) {
			sipd_rec_free(s->pending_invite);
			s->pending_invite = rec_of(m, true, tp, local, remote);
		}
		goto out;
	}
	char met[16];
	pl_strcpy(m->req ? &m->met : &m->cseq.met, met, sizeof(met));
	/* the engine records the REFERs it runs, with what it made of them */
	if ((in && m->req && !strcmp(met, "REFER")) ||
	    sipd_st_seen(&d->st, in, m->cseq.num, m->req ? 0 : m->scode, met))
		goto out;
	sipd_st_record(s, &d->st, rec_of(m, in, tp, local, remote));
out:
	mem_deref(m);
	mem_deref(mb);
}

/* libre never sets TCP_NODELAY: a 202 and a NOTIFY back to back would meet Nagle and the
 * peer's delayed ACK (40 ms). */
static void nodelay(const struct sip_msg *msg)
{
	struct tcp_conn *tc = msg && msg->tp == SIP_TRANSP_TCP ? sip_msg_tcpconn(msg) : NULL;
	int fd = tc ? tcp_conn_fd(tc) : -1, one = 1;
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static const char *contact_for(const struct sipd *s, enum sip_transp tp)
{
	return tp == SIP_TRANSP_TCP ? s->contact_tcp : s->contact_udp;
}

static struct mbuf *sdp_mbuf(void)
{
	struct mbuf *mb = mbuf_alloc(sizeof(sdp_body));
	if (mb) {
		(void)mbuf_write_str(mb, sdp_body);
		mb->pos = 0;
	}
	return mb;
}

/* An answer in a server transaction (*stp, or a new one when NULL), with Retry-After on
 * 491 and 503. */
static void answer(struct sipd *s, struct sip_strans **stp, const struct sip_msg *msg, int code)
{
	if (code == 491 || code == 503)
		(void)sip_treplyf(stp, NULL, s->sip, msg, false, (uint16_t)code, sipd_reason(code),
		                  "Retry-After: %d\r\nContent-Length: 0\r\n\r\n",
		                  SIPD_RETRY_AFTER_S);
	else
		(void)sip_treplyf(stp, NULL, s->sip, msg, false, (uint16_t)code, sipd_reason(code),
		                  NULL);
}

/* ---- the FIFO: NOTIFYs in order, each after the previous one's answer; then BYE ---- */

static void kick(struct dlg *d);

static void notify_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	struct dlg *d = arg;
	if (!err && msg && msg->scode < 200)
		return;
	struct op *o = d->st.inflight;
	d->st.inflight = NULL;
	if (o && (err || !msg || msg->scode >= 300))
		sipd_st_kill(&d->st, o->ev); /* a non-2xx ends the subscription */
	free(o);
	kick(d);
	dlg_maybe_done(d);
}

/* A NOTIFY is a target-refresh request: it carries our Contact. */
static int notify_send_h(enum sip_transp tp, const struct sa *src, const struct sa *dst,
                         struct mbuf *mb, void *arg)
{
	struct dlg *d = arg;
	struct sip_contact c;
	(void)dst;
	sip_contact_set(&c, contact_for(d->s, tp), src, tp);
	return mbuf_printf(mb, "%H", sip_contact_print, &c);
}

/* BYE on an established session, an answer to an unanswered INVITE, CANCEL on an early one
 * (libre does each on deref, and waits for its answer). */
static void hang_up(struct dlg *d)
{
	if (d->sess && !d->st.uac && !d->st.answered)
		(void)sipsess_reject(d->sess, 480, sipd_reason(480), NULL);
	dlg_closed(d);
}

static void kick(struct dlg *d)
{
	while (!d->st.inflight && d->st.ops) {
		struct op *o = sipd_st_pop(&d->st);
		if (o->bye) {
			free(o);
			if (!d->st.peer_bye)
				hang_up(d);
			continue;
		}
		char frag[96];
		snprintf(frag, sizeof(frag), "SIP/2.0 %d %s\r\n", o->code, o->reason);
		if (!d->dlg || sipd_st_dead(&d->st, o->ev) ||
		    sip_drequestf(&d->req, d->s->sip, true, "NOTIFY", d->dlg, 0, NULL,
		                  notify_send_h, notify_resp_h, d,
		                  "Event: refer;id=%u\r\nSubscription-State: %s\r\n"
		                  "Content-Type: message/sipfrag\r\nContent-Length: %zu\r\n\r\n%s",
		                  o->ev,
		                  o->code >= 200 ? "terminated;reason=noresource"
		                                 : "active;expires=60",
		                  strlen(frag), frag)) {
			sipd_st_kill(&d->st, o->ev);
			free(o);
			continue;
		}
		d->st.inflight = o;
	}
}

/* ---- session handlers ---- */

static void dial_done(struct dlg *d, enum sipd_outcome o, int code)
{
	tmr_cancel(&d->tmr_ring);
	sipd_st_dial_done(d->s, &d->st, o, code);
}

static void await_done(struct dlg *d, int rc)
{
	tmr_cancel(&d->tmr_await);
	sipd_st_await_done(d->s, &d->st, rc);
}

static int offer_h(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	(void)msg, (void)arg;
	*descp = sdp_mbuf();
	return *descp ? 0 : ENOMEM;
}

/* Without it libre would end the session right after the 2xx to our offer. */
static int answer_h(const struct sip_msg *msg, void *arg)
{
	(void)msg, (void)arg;
	return 0;
}

static void progr_h(const struct sip_msg *msg, void *arg)
{
	(void)arg;
	nodelay(msg);
}

static void end_dialog(struct dlg *d, int code);

static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct dlg *d = arg;
	nodelay(msg);
	d->st.estab = true;
	if (!d->dlg && d->sess)
		d->dlg = mem_ref(sipsess_dialog(d->sess));
	if (d->st.uac)
		dial_done(d, SIPD_ANSWERED, msg && msg->scode ? msg->scode : 200);
	if (d->st.end_on_estab)
		end_dialog(d, 0);
}

/* The session ended without us: a final answer to our INVITE, a transport error, the peer's
 * BYE or CANCEL (ECONNRESET). */
static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct dlg *d = arg;
	d->sess = mem_deref(d->sess);
	if (d->st.dial) {
		int code = msg && msg->scode ? msg->scode : err == ETIMEDOUT ? 408 : 503;
		dial_done(d, sipd_outcome_of(code), code);
	} else {
		d->st.peer_bye = true;
		if (d->st.await)
			await_done(d, 0); /* the engine was waiting for exactly this */
		else if (!d->s->quitting)
			sipd_job_hangup(d->s, d->st.leg);
	}
	dlg_closed(d);
	dlg_maybe_done(d);
}

static void ring_h(void *arg)
{
	struct dlg *d = arg;
	dlg_closed(d); /* an early session: libre CANCELs it and ACKs the 487 */
	dial_done(d, SIPD_NO_ANSWER, 487);
	dlg_maybe_done(d);
}

static void await_h(void *arg)
{
	await_done(arg, ETIMEDOUT);
	dlg_maybe_done(arg);
}

static char *pl_copy(const struct pl *pl)
{
	return pl && pl->p ? xstrndup(pl->p, pl->l) : NULL;
}

/* ---- in-dialog REFER ---- */

/* The REFER's X- headers for the job; X-Emulator-Target is the scripted outcome. */
static void refer_headers(struct job *j, const struct sip_msg *msg)
{
	struct le *le;
	LIST_FOREACH(&msg->hdrl, le)
	{
		const struct sip_hdr *h = le->data;
		if (h->id != SIP_HDR_NONE || h->name.l < 3 || strncasecmp(h->name.p, "X-", 2) ||
		    h->val.l > SIPD_MAX_VALUE)
			continue;
		if (!pl_strcasecmp(&h->name, "X-Emulator-Target")) {
			free(j->target);
			j->target = pl_copy(&h->val);
		} else if (j->nx < SIPD_MAX_HEADERS) {
			j->x[j->nx].name = pl_copy(&h->name);
			j->x[j->nx++].value = pl_copy(&h->val);
		}
	}
}

static void refer_h(struct sip *sip, const struct sip_msg *msg, void *arg)
{
	struct dlg *d = arg;
	struct sipd *s = d->s;
	(void)sip;
	nodelay(msg);
	const struct sip_hdr *rt = sip_msg_hdr(msg, SIP_HDR_REFER_TO);
	int code = !rt || !rt->val.l                        ? 400
	           : rt->val.l > SIPD_MAX_VALUE             ? 400
	           : mbuf_get_left(msg->mb) > SIPD_MAX_BODY ? 413
	           : d->st.refer_busy                       ? 491
	           : s->quitting                            ? 503
	                                                    : 0;
	struct rec *r = rec_of(msg, true, msg->tp, &msg->dst, &msg->src);
	struct job *j = code ? NULL : sipd_job_new(s, J_REFER, d->st.leg);
	if (j) {
		j->cseq = msg->cseq.num;
		j->refer_to = pl_copy(&rt->val);
		j->r = r;
		refer_headers(j, msg);
		/* a server transaction now: retransmissions are absorbed until the engine answers
		 */
		if (sip_strans_alloc(&d->refer_st, s->sip, msg, NULL, NULL) || sipd_job_push(j)) {
			d->refer_st = mem_deref(d->refer_st);
			r = j->r = NULL;
			sipd_job_free(j);
			r = rec_of(msg, true, msg->tp, &msg->dst, &msg->src);
			code = 503;
		}
	}
	if (code) {
		sipd_st_record(s, &d->st, r); /* the engine never sees this one: recorded here */
		answer(s, NULL, msg, code);
		return;
	}
	d->refer_msg = mem_ref((void *)msg);
	d->st.refer_cseq = msg->cseq.num;
	d->st.refer_busy = true;
	if (!d->dlg && d->sess)
		d->dlg = mem_ref(sipsess_dialog(d->sess));
}

static void refer_answer(struct dlg *d, int code)
{
	struct sipd *s = d->s;
	if (!d->refer_msg)
		return;
	struct sip_contact c;
	sip_contact_set(&c, contact_for(s, d->refer_msg->tp), &d->refer_msg->dst, d->refer_msg->tp);
	if (code >= 200 && code < 300)
		(void)sip_treplyf(&d->refer_st, NULL, s->sip, d->refer_msg, false, (uint16_t)code,
		                  sipd_reason(code), "%HExpires: %d\r\nContent-Length: 0\r\n\r\n",
		                  sip_contact_print, &c, SIPD_NOTIFY_EXPIRES_S);
	else
		answer(s, &d->refer_st, d->refer_msg, code);
	d->refer_st = NULL; /* a final answer: libre keeps the transaction */
	d->refer_msg = mem_deref((void *)d->refer_msg);
}

/* ---- new INVITEs ---- */

static void conn_h(const struct sip_msg *msg, void *arg)
{
	struct sipd *s = arg;
	nodelay(msg);
	if (s->quitting || s->nlive >= SIPD_MAX_DIALOGS || mbuf_get_left(msg->mb) > SIPD_MAX_BODY) {
		answer(s, NULL, msg, mbuf_get_left(msg->mb) > SIPD_MAX_BODY ? 413 : 503);
		return;
	}
	char cid[SIPD_MAX_CALL_ID + 1], sid[SIPD_SID_LEN + 1];
	snprintf(sid, sizeof(sid), "CA%016llx%016llx", (unsigned long long)rand_u64(),
	         (unsigned long long)rand_u64());
	pl_strcpy(&msg->callid, cid, sizeof(cid));
	struct dlg *d = dlg_new(s, false, sid);
	set_cid(d, cid);
	d->tp = msg->tp;
	struct rec *pi = s->pending_invite;
	if (pi && pi->m.call_id && strcmp(pi->m.call_id, cid) == 0) {
		d->st.early[d->st.nearly++] = pi;
		s->pending_invite = NULL;
	}
	struct job *j = sipd_job_new(s, J_INVITE, sid);
	j->from =
	    pl_isset(&msg->from.uri.user) ? pl_copy(&msg->from.uri.user) : pl_copy(&msg->from.auri);
	j->to = pl_isset(&msg->uri.user) ? pl_copy(&msg->uri.user) : xstrdup("");
	struct pl prof, dom;
	if (!msg_param_decode(&msg->uri.params, "profile", &prof))
		j->profile = pl_copy(&prof);
	j->host = pl_copy(&msg->uri.host);
	if (!msg_param_decode(&msg->uri.params, "domain", &dom))
		j->domain = pl_copy(&dom);
	/* the From URI as libre decoded it: scheme:user@host[:port], no ;params or ?headers */
	const struct uri *fu = &msg->from.uri;
	bool v6 = fu->af == AF_INET6;
	char port[8] = "";
	if (fu->port)
		snprintf(port, sizeof(port), ":%u", (unsigned)fu->port);
	j->from_uri = xasprintf("%.*s:%.*s%s%s%.*s%s%s", (int)fu->scheme.l, fu->scheme.p,
	                        (int)fu->user.l, fu->user.p, fu->user.l ? "@" : "", v6 ? "[" : "",
	                        (int)fu->host.l, fu->host.p, v6 ? "]" : "", port);
	char ip[64];
	j->source_ip = xstrdup(sa_ntop(&msg->src, ip, sizeof(ip)) ? "" : ip);
	refer_headers(j, msg); /* the INVITE's X- headers */
	j->r = rec_of(msg, true, msg->tp, &msg->dst, &msg->src);
	int err = sipsess_accept(&d->sess, s->sock, msg, 180, "Ringing", contact_for(s, msg->tp),
	                         "application/sdp", NULL, NULL, NULL, false, offer_h, answer_h,
	                         estab_h, NULL, refer_h, close_h, d, SIPD_ALLOW);
	if (err || sipd_job_push(j)) {
		sipd_job_free(j);
		if (d->sess)
			(void)sipsess_reject(d->sess, 503, sipd_reason(503), "Retry-After: %d\r\n",
			                     SIPD_RETRY_AFTER_S);
		else /* libre found no dialog to make (no Contact ...) */
			answer(s, NULL, msg, err == EBADMSG || err == EINVAL ? 400 : 500);
		dlg_closed(d);
		dlg_maybe_done(d);
		return;
	}
	d->st.invite_busy = true;
}

/* ---- outbound INVITEs ---- */

bool sipd_loopback_uri(const char *uri, char *out, size_t outlen)
{
	size_t n = strcspn(uri, "?");
	if (n >= outlen || strncasecmp(uri, "sip:", 4) != 0)
		return false;
	memcpy(out, uri, n);
	out[n] = 0;
	struct pl pl;
	struct uri u;
	struct sa sa;
	pl_set_str(&pl, out);
	return !uri_decode(&u, &pl) && !sa_set(&sa, &u.host, u.port ? u.port : 5060) &&
	       sa_is_loopback(&sa);
}

/* The INVITE's own headers: X-Twilio-CallSid, the dial's (checked), Allow. */
static int invite_headers(struct mbuf *mb, const struct sipd_dial *dd)
{
	int err = mbuf_printf(mb, "X-Twilio-CallSid: %s\r\n", dd->leg_sid);
	for (size_t i = 0; !err && i < dd->nheaders; i++)
		if (sipd_header_ok(&dd->headers[i]))
			err = mbuf_printf(mb, "%s: %s\r\n", dd->headers[i].name,
			                  dd->headers[i].value);
	err |= mbuf_write_str(mb, SIPD_ALLOW);
	mb->pos = 0;
	return err;
}

static void do_dial(struct sipd *s, struct waiter *w)
{
	const struct sipd_dial *dd = w->dial;
	char uri[SIPD_MAX_URI + 1], from[SIPD_MAX_URI + 64];
	if (s->quitting || !sipd_loopback_uri(dd->uri, uri, sizeof(uri))) {
		sipd_waiter_done(s, w, s->quitting ? ECANCELED : ENOENT);
		return;
	}
	if (s->nlive >= SIPD_MAX_DIALOGS) {
		*w->res = (struct sipd_dial_result){SIPD_FAILED, 503, ""};
		sipd_waiter_done(s, w, 0);
		return;
	}
	struct dlg *d = dlg_new(s, true, dd->leg_sid);
	d->st.dial = w;
	d->tp = strcasestr(uri, "transport=tcp") ? SIP_TRANSP_TCP : SIP_TRANSP_UDP;
	struct mbuf *hdrs = mbuf_alloc(512), *sdp = sdp_mbuf();
	int err = hdrs && sdp ? invite_headers(hdrs, dd) : ENOMEM;
	if (dd->from && strncasecmp(dd->from, "sip:", 4) == 0)
		snprintf(from, sizeof(from), "%s", dd->from);
	else if (re_snprintf(from, sizeof(from), "sip:%s@%J",
	                     dd->from && *dd->from ? dd->from : "anonymous", &s->laddr) < 0)
		err = EINVAL;
	if (!err) {
		s->dialing = d;
		err = sipsess_connect(&d->sess, s->sock, uri, NULL, from, contact_for(s, d->tp),
		                      NULL, 0, "application/sdp", sdp, NULL, NULL, false, offer_h,
		                      answer_h, progr_h, estab_h, NULL, refer_h, close_h, d, "%b",
		                      mbuf_buf(hdrs), mbuf_get_left(hdrs));
		s->dialing = NULL;
	}
	mem_deref(hdrs);
	mem_deref(sdp);
	if (err) {
		dial_done(d, SIPD_FAILED, 503);
		dlg_closed(d);
		dlg_maybe_done(d);
		return;
	}
	set_cid(d, sip_dialog_callid(sipsess_dialog(d->sess)));
	unsigned t = dd->timeout_s ? dd->timeout_s : 30;
	tmr_start(&d->tmr_ring, (uint64_t)(t > SIPD_MAX_RING_S ? SIPD_MAX_RING_S : t) * 1000,
	          ring_h, d);
}

/* ---- commands (on the SIP thread) ---- */

static void quit_poll_h(void *arg)
{
	struct sipd *s = arg;
	if (mem_nrefs(s->sip) <= s->idle_refs || tmr_jiffies() > s->quit_deadline) {
		re_cancel(); /* this loop's: re_cancel acts on the calling thread */
		return;
	}
	tmr_start(&s->tmr_quit, 10, quit_poll_h, s);
}

static void quit(struct sipd *s)
{
	s->quitting = true;
	for (struct le *le = list_head(&s->dlgs); le; le = le->next) {
		struct dlg *d = le->data;
		if (d->st.dial)
			dial_done(d, SIPD_FAILED, 503);
		await_done(d, ENOENT);
		refer_answer(d, 503);
		d->req = mem_deref(d->req);
		sipd_st_clear(&d->st);
		hang_up(d);
	}
	s->quit_deadline = tmr_jiffies() + SIPD_QUIT_WAIT_MS;
	quit_poll_h(s);
}

/* The leg ended or the model sent BYE: reject an unanswered INVITE, or queue the BYE. */
static void end_dialog(struct dlg *d, int code)
{
	if (d->st.bye_queued || d->st.closed)
		return;
	if (!d->st.uac && !d->st.answered && d->sess) {
		(void)sipsess_reject(d->sess, (uint16_t)code, sipd_reason(code), NULL);
		dlg_closed(d);
	} else if (d->st.estab && sipd_st_add(&d->st, true, 0, 0, NULL)) {
		kick(d);
	} else if (!d->st.uac && d->st.answered && !d->st.estab) {
		d->st.end_on_estab = true; /* answered, not ACKed yet: the BYE follows the ACK */
	}
}

static void run_cmd(struct sipd *s, struct cmd *c)
{
	struct dlg *d = c->kind == C_DIAL ? NULL : by_leg(s, c->leg);
	if (c->kind == C_DIAL)
		do_dial(s, c->w);
	else if (c->kind == C_QUIT && !s->quitting)
		quit(s);
	else if (c->kind == C_AWAIT) {
		if (d && d->st.peer_bye)
			sipd_waiter_done(s, c->w, 0);
		else if (!d || !d->st.estab || !d->sess || d->st.await)
			sipd_waiter_done(s, c->w, ENOENT);
		else {
			d->st.await = c->w;
			tmr_start(&d->tmr_await, c->w->ms, await_h, d);
		}
	}
	if (!d || s->quitting)
		return;
	switch (c->kind) {
	case C_RESPOND:
		if (d->refer_msg && d->st.refer_cseq == c->cseq)
			refer_answer(d, c->code);
		break;
	case C_NOTIFY:
		if (sipd_st_add(&d->st, false, c->cseq, c->code, c->reason))
			kick(d);
		break;
	case C_BYE:
		end_dialog(d, 480);
		break;
	case C_END:
		end_dialog(d, c->code);
		break;
	case C_ANSWER:
		if (!d->st.uac && !d->st.answered && d->sess) {
			struct mbuf *sdp = sdp_mbuf();
			d->st.answered = !sipsess_answer(d->sess, 200, "OK", sdp, SIPD_ALLOW);
			mem_deref(sdp);
		}
		break;
	case C_REFER_DONE:
		d->st.refer_busy = false;
		if (d->refer_msg && d->st.refer_cseq == c->cseq)
			refer_answer(d, sipd_refer_refusal(c->code));
		break;
	case C_INVITE_DONE:
		d->st.invite_busy = false;
		if (c->code && d->sess && !d->st.answered) {
			int code = sipd_invite_refusal(c->code);
			(void)sipsess_reject(d->sess, (uint16_t)code, sipd_reason(code),
			                     code == 503 ? "Retry-After: 5\r\n" : NULL);
			dlg_closed(d);
			sipd_st_clear(&d->st); /* no call: the records have nowhere to go */
		}
		sipd_st_record(s, &d->st, NULL);
		break;
	default:
		break;
	}
	dlg_maybe_done(d);
}

void sipd_ring(struct sipd *s)
{
	(void)mqueue_push(s->mq, 0, NULL); /* one write(2) */
}

static void mq_h(int id, void *data, void *arg)
{
	struct sipd *s = arg;
	(void)id, (void)data;
	pthread_mutex_lock(&s->q.mu);
	struct cmd *c = s->q.qhead;
	s->q.qhead = s->q.qtail = NULL;
	s->q.qlen = 0;
	pthread_mutex_unlock(&s->q.mu);
	while (c) {
		struct cmd *n = c->next;
		run_cmd(s, c);
		free(c);
		c = n;
	}
}

/* ---- the SIP thread ---- */

static void exit_h(void *arg)
{
	(void)arg;
}

static int setup(struct sipd *s, const char *listen)
{
	/* ADDR:PORT or a bare PORT (on 127.0.0.1); the port in digits */
	char buf[80];
	const char *colon = strrchr(listen, ':'), *port = colon ? colon + 1 : listen;
	if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
		return EINVAL;
	snprintf(buf, sizeof(buf), "127.0.0.1:%s", listen);
	if (colon ? sa_decode(&s->laddr, listen, strlen(listen))
	          : sa_decode(&s->laddr, buf, strlen(buf)))
		return EINVAL;
	struct sa want = s->laddr, bound;
	int err = 0;
	/* port 0: TCP takes the port UDP got, which TCP may have in use: then another, at
	 * random (port 0 again could hand out the same one) */
	for (int tries = 0; tries < 20; tries++) {
		s->sip = mem_deref(s->sip);
		s->laddr = want;
		if (tries)
			sa_set_port(&s->laddr, (uint16_t)(20000 + rand_u16() % 40000));
		err = sip_alloc(&s->sip, NULL, 64, 64, 64, "Twilio Gateway (handoff emulator)",
		                exit_h, s);
		if (!err)
			err = sip_transp_add(s->sip, SIP_TRANSP_UDP, &s->laddr);
		if (!err)
			err = sip_transp_laddr(s->sip, &bound, SIP_TRANSP_UDP, &s->laddr);
		if (!err) {
			s->laddr = bound;
			err = sip_transp_add(s->sip, SIP_TRANSP_TCP, &s->laddr);
		}
		if (err != EADDRINUSE || sa_port(&want))
			break;
	}
	if (!err)
		err = sipsess_listen(&s->sock, s->sip, 64, conn_h, s);
	if (!err)
		err = hash_alloc(&s->by_cid, 256);
	if (!err)
		err = hash_alloc(&s->by_leg, 256);
	if (!err)
		err = mqueue_alloc(&s->mq, mq_h, s); /* on this thread: it listens in this loop */
	if (err)
		return err;
	sip_set_trace_handler(s->sip, trace_h);
	s->q.port = sa_port(&s->laddr);
	(void)re_snprintf(s->q.addr, sizeof(s->q.addr), "%J", &s->laddr);
	(void)re_snprintf(s->contact_udp, sizeof(s->contact_udp), "sip:twilio@%J", &s->laddr);
	(void)re_snprintf(s->contact_tcp, sizeof(s->contact_tcp), "sip:twilio@%J;transport=tcp",
	                  &s->laddr);
	s->idle_refs = mem_nrefs(s->sip);
	return 0;
}

void *sipd_thread(void *arg)
{
	struct sipd *s = arg;
	int err = re_thread_init();
	if (!err)
		err = fd_setsize(4096); /* before the first fd_listen of this loop */
	if (!err)
		err = setup(s, s->q.listen);
	pthread_mutex_lock(&s->q.mu);
	s->q.ready = true;
	s->q.ready_err = err;
	s->q.closed = err != 0;
	pthread_cond_broadcast(&s->q.cv);
	pthread_mutex_unlock(&s->q.mu);
	if (!err)
		(void)re_main(NULL);
	tmr_cancel(&s->tmr_quit);
	if (s->sip)
		sip_close(s->sip, true); /* aborts what is left; the handlers still find us */
	pthread_mutex_lock(&s->q.mu);
	s->q.closed = true;
	struct cmd *c = s->q.qhead;
	s->q.qhead = s->q.qtail = NULL;
	pthread_mutex_unlock(&s->q.mu);
	for (struct cmd *n; c; c = n) {
		n = c->next;
		if (c->w)
			sipd_waiter_done(s, c->w, ECANCELED);
		free(c);
	}
	while (!list_isempty(&s->dlgs))
		dlg_free(list_head(&s->dlgs)->data);
	sipd_rec_free(s->pending_invite);
	if (s->sock)
		sipsess_close_all(s->sock); /* sessions still terminating inside libre */
	s->sock = mem_deref(s->sock);
	s->sip = mem_deref(s->sip);
	s->by_cid = mem_deref(s->by_cid);
	s->by_leg = mem_deref(s->by_leg);
	pthread_mutex_lock(&s->q.mu);
	s->mq = mem_deref(s->mq);
	pthread_mutex_unlock(&s->q.mu);
	re_thread_close();
	return NULL;
}

static pthread_mutex_t lib_mu = PTHREAD_MUTEX_INITIALIZER;
static int lib_users;

int sipd_lib(bool up)
{
	int rc = 0;
	pthread_mutex_lock(&lib_mu);
	if (up && !lib_users && !(rc = libre_init())) {
		signal(SIGPIPE, SIG_IGN); /* libre_init installs a no-op handler: plainly ignored */
		dbg_init(DBG_ERR, DBG_NONE); /* its warnings (a busy port we retry) stay quiet */
	}
	if (up && !rc)
		lib_users++;
	if (!up && --lib_users == 0)
		libre_close();
	pthread_mutex_unlock(&lib_mu);
	return rc;
}

struct sipd *sipd_alloc(void)
{
	struct sipd *s = xcalloc(1, sizeof(*s));
	list_init(&s->dlgs);
	tmr_init(&s->tmr_quit);
	return s;
}

void sipd_dealloc(struct sipd *s)
{
	free(s);
}

#endif /* HANDOFF_HAVE_LIBRE */

/* sipmsg: the timeline's SIP messages (the "sip" object of events of kind "sip", modelled or
 * recorded off the wire), and the two SIP hooks: the sink the engine reports to and the
 * dialer that rings real parties. */
#include "emulator/engine_int.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/mem.h"

const char *emu_sip_party(const struct call *c, const struct leg *l)
{
	return l->parent < 0 && c->ops->agent_on_parent ? "agent" : emu_party(l);
}

void emu_leg_call_id(const struct leg *l, char *out, size_t outlen)
{
	if (l->sip_call_id)
		snprintf(out, outlen, "%s", l->sip_call_id);
	else
		snprintf(out, outlen, "%.32s@emulator", l->sid + 2);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void emu_ev_sip_free(struct ev_sip *s)
{
	if (!s)
		return;
	free(s->method);
	free(s->reason);
	free(s->call_id);
	free(s->cseq_method);
	free(s->body);
	free(s->transport);
	free(s->local);
	free(s->remote);
	emu_params_free(&s->headers);
	free(s);
}

/* Fills s from m (the parties stay). */
static void sip_fill(struct ev_sip *s, const struct emu_sip_msg *m)
{
	s->in = m->in;
	s->wire = m->transport != NULL;
	s->method = dup_or_null(m->method);
	s->status = m->status;
	s->reason = dup_or_null(m->reason);
	s->call_id = dup_or_null(m->call_id);
	s->cseq = m->cseq;
	s->cseq_method = dup_or_null(m->cseq_method);
	s->body = dup_or_null(m->body);
	s->transport = dup_or_null(m->transport);
	s->local = dup_or_null(m->local);
	s->remote = dup_or_null(m->remote);
	emu_params_copy(&s->headers, m->headers);
}

void emu_sip_attach(struct event *v, const char *peer, const struct emu_sip_msg *m)
{
	if (!v)
		return;
	emu_ev_sip_free(v->sip);
	struct ev_sip *s = xcalloc(1, sizeof(*s));
	snprintf(s->from, sizeof(s->from), "%s", m->in ? peer : "twilio");
	snprintf(s->to, sizeof(s->to), "%s", m->in ? "twilio" : peer);
	sip_fill(s, m);
	v->sip = s;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *emu_ev_sip_json(const struct ev_sip *s)
{
	json_t *h = json_object();
	for (size_t i = 0; i < s->headers.n; i++)
		json_object_set_new(h, s->headers.v[i].name, json_string(s->headers.v[i].value));
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "dir",
	                      s->in ? "in" : "out", "from", s->from, "to", s->to, "method",
	                      str_or_null(s->method), "status",
	                      s->status ? json_integer(s->status) : json_null(), "reason",
	                      str_or_null(s->reason), "call_id", str_or_null(s->call_id), "cseq",
	                      s->cseq ? json_integer(s->cseq) : json_null(), "cseq_method",
	                      str_or_null(s->cseq_method), "headers", h, "body",
	                      str_or_null(s->body), "wire", s->wire);
	if (s->wire)
		json_object_update_new(
		    o, json_pack("{s:o, s:o, s:o}", "transport", str_or_null(s->transport), "local",
		                 str_or_null(s->local), "remote", str_or_null(s->remote)));
	return o;
}

/* ---- the model's messages ---- */

void emu_sip_model(struct call *c, const struct leg *l, struct event *v,
                   const struct emu_sip_msg *m)
{
	if (!v)
		return;
	struct emu_sip_msg mm = *m;
	char cid[EMU_SIP_MAX_CALL_ID + 1];
	if (!mm.call_id) {
		emu_leg_call_id(l, cid, sizeof(cid));
		mm.call_id = cid;
	}
	emu_sip_attach(v, emu_sip_party(c, l), &mm);
}

void emu_sip_refer_in(struct call *c, struct leg *l, struct event *v,
                      const struct emu_refer_req *req, const struct emu_sip_msg *sip,
                      const char *sender)
{
	struct refer_out *ro = c->ro;
	if (sip) {
		ro->wire = true;
		ro->cseq = sip->cseq;
		snprintf(ro->call_id, sizeof(ro->call_id), "%s", sip->call_id ? sip->call_id : "");
	} else {
		ro->cseq = ++l->refers;
		emu_leg_call_id(l, ro->call_id, sizeof(ro->call_id));
	}
	snprintf(ro->sender, sizeof(ro->sender), "%s", sender);
	if (!v)
		return;
	if (sip) {
		emu_sip_attach(v, sender, sip);
		return;
	}
	struct emu_params h = {0};
	emu_params_add(&h, "Refer-To", req->refer_to);
	emu_params_copy(&h, req->headers);
	struct emu_sip_msg m = {.in = true,
	                        .method = "REFER",
	                        .call_id = ro->call_id,
	                        .cseq = ro->cseq,
	                        .cseq_method = "REFER",
	                        .headers = &h};
	emu_sip_attach(v, sender, &m);
	emu_params_free(&h);
}

void emu_sip_respond(struct call *c, struct leg *l, struct event *v, int code)
{
	struct refer_out *ro = c->ro;
	struct emu_sip_msg m = {.status = code,
	                        .reason = emu_sip_reason(code),
	                        .call_id = ro ? ro->call_id : NULL,
	                        .cseq = ro ? ro->cseq : 0,
	                        .cseq_method = "REFER"};
	if (v) {
		emu_sip_model(c, l, v, &m);
		if (ro && ro->sender[0])
			snprintf(v->sip->to, sizeof(v->sip->to), "%s", ro->sender);
	}
	emu_sink_fire(c, l, EMU_SINK_RESPOND, code, NULL);
}

void emu_sip_notify(struct call *c, struct leg *l, struct event *v, int code)
{
	struct refer_out *ro = c->ro;
	if (v) {
		char id[32], frag[64];
		snprintf(id, sizeof(id), "refer;id=%u", ro ? ro->cseq : 0);
		snprintf(frag, sizeof(frag), "SIP/2.0 %d %s\r\n", code, emu_sip_reason(code));
		struct emu_params h = {0};
		emu_params_add(&h, "Event", id);
		emu_params_add(&h, "Subscription-State",
		               code >= 200 ? "terminated;reason=noresource" : "active;expires=60");
		emu_params_add(&h, "Content-Type", "message/sipfrag");
		if (!l->lcseq)
			l->lcseq = 1;
		struct emu_sip_msg m = {.method = "NOTIFY",
		                        .call_id = ro ? ro->call_id : NULL,
		                        .cseq = ++l->lcseq,
		                        .cseq_method = "NOTIFY",
		                        .headers = &h,
		                        .body = frag};
		emu_sip_model(c, l, v, &m);
		if (ro && ro->sender[0])
			snprintf(v->sip->to, sizeof(v->sip->to), "%s", ro->sender);
		emu_params_free(&h);
	}
	emu_sink_fire(c, l, EMU_SINK_NOTIFY, code, NULL);
}

void emu_sip_bye(struct call *c, struct leg *l, struct event *v)
{
	if (!l->lcseq)
		l->lcseq = 1;
	struct emu_sip_msg m = {.method = "BYE", .cseq = ++l->lcseq, .cseq_method = "BYE"};
	emu_sip_model(c, l, v, &m);
	emu_sink_fire(c, l, EMU_SINK_BYE, 0, NULL);
}

void emu_sip_invite(struct call *c, const struct leg *l, struct event *v,
                    const struct emu_params *headers)
{
	struct emu_sip_msg m = {
	    .method = "INVITE", .cseq = 1, .cseq_method = "INVITE", .headers = headers};
	emu_sip_model(c, l, v, &m);
	emu_sink_fire(c, l, EMU_SINK_INVITE, 0, l->to);
}

/* ---- the sink and the dialer ---- */

void emu_engine_set_sip(struct emu_engine *e, const struct emu_sink *sink,
                        const struct emu_dialer *dialer)
{
	pthread_mutex_lock(&e->mu);
	e->sink = sink ? *sink : (struct emu_sink){0};
	e->dialer = dialer ? *dialer : (struct emu_dialer){0};
	pthread_mutex_unlock(&e->mu);
}

void emu_sink_fire(struct call *c, const struct leg *l, enum emu_sink_kind kind, int code,
                   const char *text)
{
	struct emu_sink *s = &c->eng->sink;
	if (!s->event)
		return;
	struct emu_sink_event ev = {
	    .kind = kind, .call_sid = c->legs[0].sid, .leg_sid = l->sid, .code = code};
	if (kind == EMU_SINK_STATUS)
		ev.status = text;
	if (kind == EMU_SINK_INVITE)
		ev.address = text;
	if ((kind == EMU_SINK_RESPOND || kind == EMU_SINK_NOTIFY) && c->ro) {
		ev.refer_call_id = c->ro->wire ? c->ro->call_id : NULL;
		ev.refer_cseq = c->ro->cseq;
		ev.final = kind == EMU_SINK_NOTIFY && code >= 200;
	}
	s->event(s->ctx, &ev);
}

int emu_dial(struct call *c, struct leg *l, const struct emu_params *headers, unsigned timeout_s,
             struct emu_dial_res *res)
{
	struct emu_engine *e = c->eng;
	struct emu_dialer d = e->dialer;
	if (!d.dial)
		return ENOENT;
	struct emu_dial_req req = {c->legs[0].sid, l->sid, l->to, l->from, headers, timeout_s};
	memset(res, 0, sizeof(*res));
	/* the call is busy (its entry point is running): only this thread changes it */
	pthread_mutex_unlock(&e->mu);
	int rc = d.dial(d.ctx, &req, res);
	pthread_mutex_lock(&e->mu);
	if (rc)
		return rc == ENOENT ? ENOENT : (res->outcome = EMU_FAIL, res->sip_code = 503, 0);
	res->call_id[sizeof(res->call_id) - 1] = 0;
	if (res->call_id[0]) {
		free(l->sip_call_id);
		l->sip_call_id = xstrdup(res->call_id);
	}
	emu_ev(c, "dial", l, res->sip_code, "%s rang over real SIP: %d %s (%s)", l->to,
	       res->sip_code, emu_sip_reason(res->sip_code), emu_outcome_name(res->outcome));
	return 0;
}

int emu_await_bye(struct call *c, struct leg *l, unsigned ms)
{
	struct emu_engine *e = c->eng;
	struct emu_dialer d = e->dialer;
	if (!d.await_bye)
		return ENOENT;
	char sid[EMU_SID_LEN + 1];
	memcpy(sid, l->sid, sizeof(sid));
	pthread_mutex_unlock(&e->mu);
	int rc = d.await_bye(d.ctx, sid, ms);
	pthread_mutex_lock(&e->mu);
	return rc == 0 || rc == ETIMEDOUT ? rc : ENOENT;
}

static int hexval(char ch)
{
	return isdigit((unsigned char)ch) ? ch - '0' : tolower((unsigned char)ch) - 'a' + 10;
}

static char *pct_decode(const char *s, size_t n, bool plus_space)
{
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+' && plus_space) {
			*o++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		           isxdigit((unsigned char)s[i + 2])) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = 0;
	return out;
}

void emu_uri_headers(const char *addr, bool plus_space, struct emu_params *out)
{
	const char *q = strchr(addr, '?');
	if (!q)
		return;
	for (const char *p = q + 1; *p;) {
		size_t n = strcspn(p, "&");
		const char *eq = memchr(p, '=', n);
		size_t nl = eq ? (size_t)(eq - p) : n;
		if (nl) {
			char *name = pct_decode(p, nl, false);
			char *value = eq ? pct_decode(eq + 1, n - nl - 1, plus_space) : xstrdup("");
			(void)emu_params_add(out, name, value);
			free(name);
			free(value);
		}
		p += n;
		if (*p == '&')
			p++;
	}
}

/* ---- recording what crossed the wire ---- */

static bool same(const char *a, const char *b)
{
	return a && b ? strcasecmp(a, b) == 0 : a == b;
}

/* The first modelled (not yet wired) event of leg label that m, sent by the emulator, is. */
static struct event *model_of(struct call *c, const char *label, const struct emu_sip_msg *m)
{
	const char *ev_id = NULL;
	for (size_t k = 0; m->headers && k < m->headers->n; k++)
		if (strcasecmp(m->headers->v[k].name, "Event") == 0)
			ev_id = m->headers->v[k].value;
	for (size_t i = 0; i < c->nev; i++) {
		struct event *v = &c->ev[i];
		struct ev_sip *s = v->sip;
		if (!s || s->wire || s->in || strcmp(v->leg, label) != 0)
			continue;
		if (m->method) {
			if (!same(s->method, m->method))
				continue;
			if (strcasecmp(m->method, "NOTIFY") == 0) {
				const char *mid = emu_params_get(&s->headers, "Event");
				if (!same(s->body, m->body) || (ev_id && mid && strcmp(ev_id, mid)))
					continue;
			}
			return v;
		}
		if (s->status == m->status && same(s->cseq_method, m->cseq_method) &&
		    (!s->cseq || s->cseq == m->cseq))
			return v;
	}
	return NULL;
}

/* Where a wire message of time t goes: after every event before t and every wire message of
 * time t (those crossed the socket first), before the other events of that millisecond; skip
 * is the event being moved (or SIZE_MAX). */
static size_t wire_pos(const struct call *c, int64_t t, size_t skip)
{
	size_t at = 0;
	for (size_t i = 0; i < c->nev; i++) {
		const struct event *e = &c->ev[i];
		if (i != skip && (e->t < t || (e->t == t && e->sip && e->sip->wire)))
			at = i + 1;
	}
	return at;
}

/* A new event at time t for a message the model has no event of (placed as move_later
 * says). */
static struct event *insert_at(struct call *c, int64_t t, const struct leg *l, int code)
{
	if (c->nev >= EMU_ENG_MAX_EVENTS) {
		c->dropped++;
		return NULL;
	}
	size_t at = wire_pos(c, t, SIZE_MAX);
	c->ev = xreallocarray(c->ev, c->nev + 1, sizeof(*c->ev));
	memmove(&c->ev[at + 1], &c->ev[at], (c->nev - at) * sizeof(*c->ev));
	c->nev++;
	struct event *v = &c->ev[at];
	memset(v, 0, sizeof(*v));
	v->t = t;
	snprintf(v->kind, sizeof(v->kind), "sip");
	snprintf(v->leg, sizeof(v->leg), "%s", l->label);
	v->code = code;
	return v;
}

/* A modelled message went out later than the model decided (a NOTIFY behind the previous
 * one's answer, the BYE behind the final NOTIFY's): it moves to where it crossed the wire.
 * Only ever later: emu_refer's events_from stays right. */
static void move_later(struct call *c, size_t i, int64_t t)
{
	if (t < c->ev[i].t)
		t = c->ev[i].t;
	c->ev[i].t = t;
	size_t to = wire_pos(c, t, i);
	if (to <= i + 1)
		return;
	struct event tmp = c->ev[i];
	memmove(&c->ev[i], &c->ev[i + 1], (to - i - 1) * sizeof(*c->ev));
	c->ev[to - 1] = tmp;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int emu_sip_record(struct emu_engine *e, const char *leg_sid, const struct emu_sip_msg *m)
{
	pthread_mutex_lock(&e->mu);
	int li = 0;
	struct call *c = emu_find(e, leg_sid, &li);
	if (!c) {
		pthread_mutex_unlock(&e->mu);
		return ENOENT;
	}
	struct leg *l = &c->legs[li];
	const char *peer = emu_sip_party(c, l);
	/* the real clock's times carry the skew of simulated waits; the virtual clock places
	 * wire messages now */
	int64_t t = e->cfg.clock == EMU_CLOCK_VIRTUAL ? e->vnow
	            : m->at_ms                        ? m->at_ms + e->skew
	                                              : wall_ms() + e->skew;
	struct event *v = m->in ? NULL : model_of(c, l->label, m);
	if (v) {
		char from[16], to[16];
		memcpy(from, v->sip->from, sizeof(from));
		memcpy(to, v->sip->to, sizeof(to));
		emu_sip_attach(v, peer, m);
		memcpy(v->sip->from, from, sizeof(from));
		memcpy(v->sip->to, to, sizeof(to));
		move_later(c, (size_t)(v - c->ev), t);
	} else {
		v = insert_at(c, t, l, m->status);
		if (v) {
			char what[64];
			if (m->method)
				snprintf(what, sizeof(what), "%s", m->method);
			else
				snprintf(what, sizeof(what), "%d %s", m->status,
				         m->reason ? m->reason : emu_sip_reason(m->status));
			char cs[48] = "";
			if (!m->method && m->cseq_method)
				snprintf(cs, sizeof(cs), " (%s)", m->cseq_method);
			v->text = xasprintf("%s %s %s%s over %s", what, m->in ? "from" : "to", peer,
			                    cs, m->transport ? m->transport : "SIP");
			emu_sip_attach(v, peer, m);
		}
	}
	pthread_mutex_unlock(&e->mu);
	return 0;
}

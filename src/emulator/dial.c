/* dial: <Dial> and its nouns: child legs, parallel and sequential ringing, the scripted
 * outcomes, the INVITE headers, the action callback, and the end of a transfer's dial. */
#include "emulator/engine_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

enum emu_outcome emu_outcome_for(struct call *c, const char *addr)
{
	if (c->refer_set) { /* the REFER's outcomes, one per party in dial order */
		size_t k = c->refer_dialled++;
		if (k == 0 || c->nrefer_then == 0)
			return c->refer_outcome;
		return c->refer_then[k - 1 < c->nrefer_then ? k - 1 : c->nrefer_then - 1];
	}
	for (size_t i = 0; i < c->noutcomes; i++)
		if (strcmp(c->outcomes[i].addr, addr) == 0)
			return c->outcomes[i].o;
	/* then the same URI without its ?headers (a destination's <Sip> carries them) */
	size_t n = strcspn(addr, "?");
	for (size_t i = 0; addr[n] && i < c->noutcomes; i++)
		if (strlen(c->outcomes[i].addr) == n && strncmp(c->outcomes[i].addr, addr, n) == 0)
			return c->outcomes[i].o;
	return EMU_ANSWER;
}

static int notify_code(enum st s)
{
	return s == ST_BUSY ? 486 : s == ST_NOANSWER ? 408 : 503;
}

/* The Dial is over (not bridged any more, or never bridged): action, or next verb. */
int emu_dial_end(struct call *c, const struct twiml_node *dial, const char *dial_url,
                 const char *dstatus, int li, bool bridged)
{
	struct leg *p = &c->legs[0];
	c->bridged = -1;
	c->bdial = NULL;
	p->peer[0] = 0;
	emu_ev(c, "dial", p, 0, "Dial ended: DialCallStatus=%s", dstatus);
	const char *action = twiml_get(dial, "action");
	if (!action)
		return EMU_CONT;
	struct emu_params prm = {0};
	emu_std_params(c, p, &prm);
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
			char callid[EMU_SIP_MAX_CALL_ID + 1];
			emu_leg_call_id(l, callid, sizeof(callid));
			emu_params_add(&prm, "DialSipCallId", callid);
		}
	}
	char *url = emu_resolve(dial_url, action);
	int r = emu_goto_url(c, "Dial action", emu_method_of(dial, "method"), url, &prm);
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

/* A <Sip> URI's ?name=value&... part becomes headers on the INVITE, decoded as the
 * target receives them: %XX, and '+' as a space (the modelled rule
 * sip.uri-header-plus-is-space); the timeline shows them as sent. */
static void invite_headers(struct call *c, const struct leg *l)
{
	const char *q = l->kind == N_SIP ? strchr(l->to, '?') : NULL;
	if (!q)
		return;
	int plus = strchr(q, '+') ? emu_rule_use(c, EMU_R_SIP_PLUS_SPACE, l) : 0;
	struct buf b;
	buf_init(&b, 4096);
	int rc = 0;
	bool value = false; /* past the name: a later '=' is the value's own */
	for (const char *p = q + 1; *p && !rc; p++) {
		if (*p == '&') {
			rc = buf_adds(&b, "; ");
			value = false;
		} else if (*p == '=' && !value) {
			rc = buf_adds(&b, ": ");
			value = true;
		} else if (*p == '+' && plus)
			rc = buf_addc(&b, ' ');
		else if (*p == '%' && isxdigit((unsigned char)p[1]) &&
		         isxdigit((unsigned char)p[2])) {
			char hex[3] = {p[1], p[2], 0};
			rc = buf_addc(&b, (char)strtol(hex, NULL, 16));
			p += 2;
		} else {
			rc = buf_addc(&b, *p);
		}
	}
	struct event *v = emu_ev(c, "sip", l, 0, "INVITE %.*s with headers %s", (int)(q - l->to),
	                         l->to, rc ? "(over 4 kB)" : buf_str(&b));
	buf_free(&b);
	struct emu_params h = {0};
	emu_uri_headers(l->to, plus != 0, &h);
	emu_sip_invite(c, l, v, &h);
	emu_params_free(&h);
}

/* The <Headers> of a <Sip> noun, as written, into out. */
static void element_headers(const struct twiml_node *sip, struct emu_params *out)
{
	for (size_t i = 0; sip && i < sip->nkids; i++) {
		const struct twiml_node *h = sip->kids[i];
		if (h->kind != TWIML_ELEMENT || strcmp(h->name, "Headers") != 0)
			continue;
		for (size_t j = 0; j < h->nkids; j++) {
			const struct twiml_node *k = h->kids[j];
			const char *name =
			    k->kind == TWIML_ELEMENT && strcmp(k->name, "Header") == 0
			        ? twiml_get(k, "name")
			        : NULL;
			if (name && *name)
				(void)emu_params_add(out, name, twiml_get(k, "value"));
		}
	}
}

/* Rings leg li for real when the dialer takes its address (a loopback SIP URI over
 * `emulator --sip`): its answer replaces the scripted outcome *oc, and the leg is marked
 * real (no simulated ringing time). The INVITE carries the headers as the model decoded. */
static void ring_real(struct call *c, int li, const struct twiml_node *dial, enum emu_outcome *oc)
{
	struct leg *l = &c->legs[li];
	struct emu_params h = {0};
	if (l->kind == N_SIP) {
		const char *q = strchr(l->to, '?');
		emu_uri_headers(l->to, q && strchr(q, '+') && c->rules[EMU_R_SIP_PLUS_SPACE], &h);
		element_headers(l->noun, &h);
	}
	const char *tattr = twiml_get(dial, "timeout");
	long timeout = tattr ? strtol(tattr, NULL, 10) : 30;
	timeout = timeout < 5 ? 5 : timeout > 600 ? 600 : timeout;
	struct emu_dial_res res;
	if (emu_dial(c, l, &h, (unsigned)timeout, &res) == 0) {
		l = &c->legs[li];
		l->real = true;
		l->sip_code = res.sip_code;
		*oc = res.outcome;
	}
	emu_params_free(&h);
}

int emu_dial_leg(struct call *c, const struct twiml_node *dial, const struct twiml_node *noun,
                 enum noun kind, const char *addr, const char *from, enum emu_outcome *oc)
{
	int li = emu_new_leg(c, 0, "outbound-dial", from, addr);
	if (li < 0)
		return -1;
	struct leg *l = &c->legs[li];
	l->dial = dial;
	l->noun = noun;
	l->dial_url = c->fr.url;
	l->kind = kind;
	*oc = emu_outcome_for(c, addr);
	invite_headers(c, l);
	if (kind == N_SIP)
		emu_sip_element_headers(c, l);
	emu_status_callback(c, l, "initiated");
	emu_set_status(c, l, ST_RINGING);
	ring_real(c, li, dial, oc);
	return li;
}

enum st emu_dial_leg_ends(struct call *c, struct leg *l, enum emu_outcome o, long timeout)
{
	switch (o) {
	case EMU_ANSWER:
		break;
	case EMU_BUSY: /* a real party rang in real time, and said its code */
		if (!l->real) {
			emu_advance(c->eng, c->rules[EMU_R_RING_MS]);
			l->sip_code = 486;
		}
		emu_set_status(c, l, ST_BUSY);
		break;
	case EMU_NO_ANSWER:
		if (!l->real) {
			emu_advance(c->eng, timeout * 1000);
			l->sip_code = 487;
		}
		emu_set_status(c, l, ST_NOANSWER);
		break;
	case EMU_FAIL:
		if (!l->real)
			l->sip_code = 503;
		emu_set_status(c, l, ST_FAILED);
		break;
	}
	return l->status;
}

int emu_do_dial(struct call *c, const struct twiml_node *v)
{
	struct leg *p = &c->legs[0];
	struct noun_ref nouns[EMU_ENG_MAX_NOUNS];
	size_t nn = 0;
	for (size_t i = 0; i < v->nkids; i++) {
		const struct twiml_node *k = v->kids[i];
		enum noun kind = N_NUMBER;
		char *addr;
		if (k->kind == TWIML_TEXT) {
			addr = emu_text_of(v);
			if (!*addr || nn > 0) { /* plain text counts once */
				free(addr);
				continue;
			}
		} else {
			kind = noun_kind(k->name);
			if ((int)kind < 0) {
				emu_ev(c, "warning", p, 13215, "<%s> is not a <Dial> noun; ignored",
				       k->name);
				continue;
			}
			char *t = emu_text_of(k);
			addr = kind == N_CLIENT && strncmp(t, "client:", 7) != 0
			           ? xasprintf("client:%s", t)
			           : xstrdup(t);
			free(t);
		}
		if (nn == EMU_ENG_MAX_NOUNS) {
			emu_ev(c, "warning", p, 0, "more than %d nouns: %s ignored",
			       EMU_ENG_MAX_NOUNS, addr);
			free(addr);
			continue;
		}
		nouns[nn++] = (struct noun_ref){k->kind == TWIML_TEXT ? NULL : k, kind, addr};
	}
	int r = EMU_CONT;
	if (nn == 0) {
		emu_ev(c, "warning", p, 13215, "<Dial> with nothing to dial");
		goto out;
	}
	bool aob =
	    twiml_get(v, "answerOnBridge") && strcmp(twiml_get(v, "answerOnBridge"), "true") == 0;
	if (nouns[0].kind == N_CONFERENCE || nouns[0].kind == N_QUEUE) {
		emu_answer_parent(c);
		c->in_conf = true;
		c->bdial = v;
		c->bdial_url = c->fr.url;
		snprintf(p->peer, sizeof(p->peer), "%s",
		         nouns[0].kind == N_CONFERENCE ? "conference" : "queue");
		emu_ev(c, "dial", p, 0, "%s %s joined",
		       nouns[0].kind == N_CONFERENCE ? "Conference" : "Queue", nouns[0].addr);
		r = EMU_PAUSE;
		goto out;
	}
	if (!aob)
		emu_answer_parent(c);
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
	emu_ev(c, "dial", p, 0, "Dial %zu noun(s)%s, timeout %ld s, answerOnBridge=%s", nn,
	       seq ? " in sequence" : "", timeout, aob ? "true" : "false");
	for (size_t i = 0; i < nn; i++) {
		if (seq && winner >= 0)
			break;
		const char *from = cid ? cid : p->from;
		idx[i] = nouns[i].kind == N_SIP && nouns[i].n && emu_sip_dials_uris(c, nouns[i].n)
		             ? emu_sip_dial_uris(c, v, nouns[i].n, from, timeout, &oc[i])
		             : emu_dial_leg(c, v, nouns[i].n, nouns[i].kind, nouns[i].addr, from,
		                            &oc[i]);
		if (idx[i] < 0) {
			nn = i;
			break;
		}
		if (!seq)
			continue;
		last = idx[i];
		if (oc[i] == EMU_ANSWER) {
			if (!c->legs[idx[i]].real)
				emu_advance(c->eng, ring);
			winner = idx[i];
		} else {
			worst = emu_dial_leg_ends(c, &c->legs[idx[i]], oc[i], timeout);
		}
	}
	if (!seq) {
		/* parallel: failures at once, busy after ringing, first answer wins */
		/* a party rung over real SIP took real time and said its own code */
		bool any_busy = false, any_na = false, wait_ring = false, wait_na = false;
		for (size_t i = 0; i < nn; i++) {
			struct leg *l = &c->legs[idx[i]];
			last = idx[i];
			if (oc[i] == EMU_FAIL) {
				if (!l->real)
					l->sip_code = 503;
				emu_set_status(c, l, ST_FAILED);
			}
			if (oc[i] == EMU_ANSWER && winner < 0) {
				winner = idx[i];
				wait_ring |= !l->real;
			}
			any_busy |= oc[i] == EMU_BUSY;
			any_na |= oc[i] == EMU_NO_ANSWER;
			wait_ring |= oc[i] == EMU_BUSY && !l->real;
			wait_na |= oc[i] == EMU_NO_ANSWER && !l->real;
		}
		if (wait_ring)
			emu_advance(c->eng, ring);
		for (size_t i = 0; i < nn; i++)
			if (oc[i] == EMU_BUSY) {
				if (!c->legs[idx[i]].real)
					c->legs[idx[i]].sip_code = 486;
				emu_set_status(c, &c->legs[idx[i]], ST_BUSY);
			}
		if (winner < 0 && any_na) {
			if (wait_na)
				emu_advance(c->eng, timeout * 1000);
			for (size_t i = 0; i < nn; i++)
				if (oc[i] == EMU_NO_ANSWER) {
					if (!c->legs[idx[i]].real)
						c->legs[idx[i]].sip_code = 487;
					emu_set_status(c, &c->legs[idx[i]], ST_NOANSWER);
				}
		}
		worst = any_na ? ST_NOANSWER : any_busy ? ST_BUSY : ST_FAILED;
		for (size_t i = 0; winner >= 0 && i < nn; i++)
			if (idx[i] != winner && !emu_terminal(c->legs[idx[i]].status)) {
				c->legs[idx[i]].sip_code = 487;
				emu_set_status(c, &c->legs[idx[i]], ST_CANCELED);
			}
	}
	if (winner >= 0) {
		struct leg *w = &c->legs[winner];
		w->sip_code = 200;
		emu_set_status(c, w, ST_INPROGRESS);
		emu_answer_parent(c);
		if (c->x.active) {
			struct leg *a = &c->legs[c->x.leg];
			if (c->x.aob) {
				emu_notify(c, a, 200);
				emu_bye(c, a, "the target answered");
			}
			c->x.active = false;
		}
		emu_link_peers(c, p, "caller", w, emu_party(w));
		c->bridged = winner;
		c->bdial = v;
		c->bdial_url = c->fr.url;
		r = EMU_PAUSE;
		goto out;
	}
	const char *dstatus = emu_st_names[worst];
	if (c->x.active && c->x.aob) {
		/* answerOnBridge=true: the failure goes back to the agent, the caller returns */
		struct leg *a = &c->legs[c->x.leg];
		emu_notify(c, a, notify_code(worst));
		c->fr = c->x.saved;
		c->bdial = c->x.saved_dial;
		c->bdial_url = c->x.saved_url;
		c->bridged = c->x.leg;
		c->x.active = false;
		emu_ev(c, "transfer", a, 0, "transfer failed (%s): caller re-established with %s",
		       dstatus, emu_party(a));
		emu_link_peers(c, p, "caller", a, emu_party(a));
		r = EMU_PAUSE;
		goto out;
	}
	c->x.active = false;
	r = emu_dial_end(c, v, c->fr.url, dstatus, last, false);
out:
	for (size_t i = 0; i < nn; i++)
		free(nouns[i].addr);
	return r;
}

/* refer: a REFER from a leg's SIP party, handed to its call's transfer profile; the
 * Refer-To split, and the provider-dialled transfer that trunk and Plivo share. */
#include "emulator/engine_int.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/mem.h"

void emu_target_parse(const char *refer_to, struct emu_target *t)
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

void emu_target_free(struct emu_target *t)
{
	free(t->scheme);
	free(t->user);
	free(t->host);
	free(t->uri);
}

bool emu_ends_with_ci(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

/* Trunk, target answered: the transferor ends the held call with a BYE. Over real SIP the
 * engine waits for it (trunk.transferor-bye-wait-s), then sends BYE itself. */
static void transferor_bye(struct call *c, int li)
{
	struct leg *l = &c->legs[li];
	int rc = emu_await_bye(c, l, (unsigned)c->rules[EMU_R_TRUNK_BYE_WAIT_S] * 1000u);
	l = &c->legs[li];
	if (rc == ENOENT) {
		struct event *v =
		    emu_ev(c, "sip", l, 0, "BYE from the transferor: it ends the held call");
		struct emu_sip_msg m = {.in = true,
		                        .method = "BYE",
		                        .cseq = c->ro ? c->ro->cseq + 1 : 0,
		                        .cseq_method = "BYE",
		                        .call_id =
		                            c->ro && c->ro->call_id[0] ? c->ro->call_id : NULL};
		emu_sip_model(c, l, v, &m);
	} else if (rc == 0) {
		emu_ev(c, "transfer", l, 0, "the transferor sent BYE: it ends the held call");
	} else {
		int s = emu_rule_use(c, EMU_R_TRUNK_BYE_WAIT_S, l);
		char why[96];
		snprintf(why, sizeof(why), "the transferor sent no BYE within %d s", s);
		emu_bye(c, l, why);
	}
}

/* Trunk and Plivo: the provider dials the target itself and reports by NOTIFY. */
void emu_sip_transfer(struct call *c, int li, const struct emu_refer_req *req, const char *from,
                      const char *to)
{
	struct leg *l = &c->legs[li], *p = &c->legs[0];
	bool trunk = c->profile == EMU_TWILIO_TRUNK;
	emu_respond(c, l, 202);
	if (trunk)
		emu_ev(c, "transfer", l, 0, "the original call is held");
	emu_notify(c, l, 100);
	int ci = emu_new_leg(c, 0, trunk ? p->dir : "outbound-dial", from, to);
	if (ci < 0) {
		emu_notify(c, l, 503);
		return;
	}
	struct leg *t = &c->legs[ci];
	l = &c->legs[li];
	emu_set_status(c, t, ST_RINGING);
	if (trunk)
		emu_ev(c, "transfer", t, 0, "no early media: no 180/183 sipfrag");
	/* a target on a loopback SIP address is rung for real; its answer is the outcome */
	struct emu_dial_res dr;
	bool real = emu_dial(c, t, NULL, (unsigned)c->rules[EMU_R_SIP_NO_ANSWER_S], &dr) == 0;
	switch (real ? dr.outcome : req->target) {
	case EMU_ANSWER:
		if (!real)
			emu_advance(c->eng, c->rules[EMU_R_RING_MS]);
		emu_set_status(c, t, ST_INPROGRESS);
		emu_notify(c, l, 200);
		if (trunk) {
			transferor_bye(c, li);
			l = &c->legs[li];
			emu_set_status(c, l, ST_COMPLETED);
			emu_link_peers(c, NULL, "caller", t, emu_party(t));
		} else {
			emu_link_peers(c, NULL, "caller", t, emu_party(t));
			emu_bye(c, l, "Plivo, after bridging");
			if (li == 0)
				emu_ev(c, "transfer", l, 0,
				       "recording on the original leg stops; its CDR ends");
			else
				emu_ev(c, "transfer", l, 0, "the new transfer leg replaces %s",
				       l->label);
		}
		return;
	case EMU_BUSY:
		if (!real)
			emu_advance(c->eng, c->rules[EMU_R_RING_MS]);
		emu_set_status(c, t, ST_BUSY);
		emu_notify(c, l, 486);
		break;
	case EMU_NO_ANSWER:
		if (!real)
			emu_advance(c->eng, (int64_t)c->rules[EMU_R_SIP_NO_ANSWER_S] * 1000);
		emu_set_status(c, t, ST_NOANSWER);
		emu_notify(c, l, 408);
		break;
	case EMU_FAIL:
		emu_set_status(c, t, ST_FAILED);
		emu_notify(c, l, trunk ? 503 : emu_rule_use(c, EMU_R_PLIVO_FAIL_NOTIFY, l));
		break;
	}
	emu_ev(c, "transfer", l, 0, "transfer failed: the caller stays with %s",
	       li == 0 ? "the agent" : emu_party(l));
}

/* An attended transfer (a Replaces URI header in the Refer-To) is not supported: a modelled
 * answer, unless the rule says 0 (then it goes on as a blind transfer). */
static bool refer_replaces(struct call *c, struct leg *l, const char *refer_to)
{
	const char *q = strchr(refer_to, '?');
	bool has = false;
	for (const char *p = q; p && *p && !has; p++)
		has = (*p == '?' || *p == '&') && strncasecmp(p + 1, "Replaces=", 9) == 0;
	if (!has)
		return false;
	emu_ev(c, "unsupported", l, 0, "REFER with Replaces (attended transfer)");
	int code = emu_rule_use(c, EMU_R_REFER_REPLACES, l);
	if (!code)
		return false;
	emu_respond(c, l, code);
	return true;
}

/* Whether the realtime clock is still before end. */
static bool before(const struct timespec *end)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec < end->tv_sec || (t.tv_sec == end->tv_sec && t.tv_nsec < end->tv_nsec);
}

int emu_refer(struct emu_engine *e, const char *leg_sid, const struct emu_refer_req *req,
              json_t **out)
{
	return emu_refer_sip(e, leg_sid, req, NULL, out);
}

int emu_refer_sip(struct emu_engine *e, const char *leg_sid, const struct emu_refer_req *req,
                  const struct emu_sip_msg *sip, json_t **out)
{
	if (!req || !req->refer_to || (unsigned)req->target > EMU_FAIL)
		return EINVAL;
	pthread_mutex_lock(&e->mu);
	int li = 0;
	struct call *c = NULL;
	int rc = emu_claim(e, leg_sid, &c, &li);
	/* over SIP the REFER waits for the call's entry point under way (the INVITE it answers
	 * comes back before that is done); checked again every 5 ms in case no one tells */
	struct timespec end;
	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += EMU_ENG_SIP_BUSY_WAIT_MS / 1000;
	while (rc == EBUSY && sip && before(&end)) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 5000000L;
		if (t.tv_nsec >= 1000000000L)
			t.tv_sec++, t.tv_nsec -= 1000000000L;
		(void)pthread_cond_timedwait(&e->idle, &e->mu, &t);
		rc = emu_claim(e, leg_sid, &c, &li);
	}
	if (rc)
		goto out;
	struct refer_out ro = {0};
	c->ro = &ro;
	size_t from = c->nev;
	struct leg *l = &c->legs[li];
	const char *sender = li == 0 && c->ops->agent_on_parent ? "agent" : emu_party(l);
	char targets[16 * EMU_ENG_MAX_TARGETS];
	int tn = snprintf(targets, sizeof(targets), "%s", emu_outcome_name(req->target));
	for (size_t i = 0; req->then && i < req->nthen && i + 1 < EMU_ENG_MAX_TARGETS; i++)
		tn += snprintf(targets + tn, sizeof(targets) - (size_t)tn, ",%s",
		               emu_outcome_name(req->then[i]));
	struct event *v = emu_ev(c, "sip", l, 0, "REFER from %s, Refer-To: %s (target: %s)", sender,
	                         req->refer_to, targets);
	if (v)
		emu_params_copy(&v->params, req->headers);
	emu_sip_refer_in(c, l, v, req, sip, sender);
	if (l->status != ST_INPROGRESS)
		emu_respond(c, l, 481);
	else if (!refer_replaces(c, l, req->refer_to))
		c->ops->refer(c, li, req);
	c->ro = NULL;
	c->busy = false;
	pthread_cond_broadcast(&e->idle);
	json_t *notif = json_array();
	for (size_t i = 0; i < ro.nnotify; i++)
		json_array_append_new(notif, json_string(ro.notify[i]));
	json_t *conn = json_array();
	emu_connected_json(c, conn);
	*out =
	    json_pack("{s:i, s:o, s:o, s:o, s:I}", "sip_response", ro.response, "notify", notif,
	              "legs", emu_legs_json(c), "connected", conn, "events_from", (json_int_t)from);
out:
	pthread_mutex_unlock(&e->mu);
	return rc;
}

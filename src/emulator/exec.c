/* exec: TwiML execution on the parent leg: the verb loop, <Say>/<Play>/<Pause>, <Gather>,
 * <Redirect>, <Hangup>, <Reject> and <Refer>; <Dial> is dial.c, <Connect>/<Start>/<Stop>
 * connect.c. */
#include "emulator/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

void emu_set_frame(struct call *c, const struct twiml_node *root, const char *url)
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

bool emu_has_dial(const struct twiml_node *root)
{
	for (size_t i = 0; i < root->nkids; i++)
		if (root->kids[i]->kind == TWIML_ELEMENT &&
		    strcmp(root->kids[i]->name, "Dial") == 0)
			return true;
	return false;
}

/* Fetches url and makes its answer the running document; EMU_CONT, or ends the call. */
int emu_goto_url(struct call *c, const char *why, const char *method, const char *url,
                 const struct emu_params *p)
{
	const struct twiml_node *doc = NULL;
	const char *du = NULL;
	if (emu_webhook(c, &c->legs[0], why, method, url, p, &doc, &du)) {
		emu_ev(c, "twiml", &c->legs[0], 0, "call ends: the %s answer could not be used",
		       why);
		emu_end_call(c, ST_FAILED);
		return EMU_PAUSE;
	}
	emu_set_frame(c, doc, du);
	return EMU_CONT;
}

/* The "sip" object of the <Refer> verb's events: the REFER Twilio sends (to set), the
 * party's answer (code > 0) and its NOTIFYs (code < 0: the sipfrag's code). */
static void refer_verb_sip(struct call *c, struct event *v, int code, const char *to)
{
	struct leg *p = &c->legs[0];
	struct emu_params h = {0};
	char frag[64];
	struct emu_sip_msg m = {.cseq = 1, .cseq_method = "REFER"};
	if (to) {
		char *rt = xasprintf("<%s>", to);
		emu_params_add(&h, "Refer-To", rt);
		free(rt);
		m.method = "REFER";
	} else if (code > 0) {
		m.in = true;
		m.status = code;
		m.reason = emu_sip_reason(code);
	} else {
		snprintf(frag, sizeof(frag), "SIP/2.0 %d %s\r\n", -code, emu_sip_reason(-code));
		emu_params_add(&h, "Event", "refer;id=1");
		emu_params_add(&h, "Subscription-State",
		               -code >= 200 ? "terminated;reason=noresource" : "active;expires=60");
		emu_params_add(&h, "Content-Type", "message/sipfrag");
		m.in = true;
		m.method = "NOTIFY";
		m.cseq = (uint32_t)(-code >= 200 ? 3 : 2);
		m.cseq_method = "NOTIFY";
		m.body = frag;
	}
	m.headers = &h;
	emu_sip_model(c, p, v, &m);
	emu_params_free(&h);
}

/* <Refer> (outbound REFER from Twilio to the SIP party on P). The party's answer
 * comes from the scripted outcome for the Refer-To URI. */
static int do_refer_verb(struct call *c, const struct twiml_node *v)
{
	struct leg *p = &c->legs[0];
	char *to = NULL;
	for (size_t i = 0; i < v->nkids && !to; i++)
		if (v->kids[i]->kind == TWIML_ELEMENT && strcmp(v->kids[i]->name, "Sip") == 0)
			to = emu_text_of(v->kids[i]);
	if (!to)
		to = xstrdup("");
	bool sip_leg = strncmp(p->from, "sip:", 4) == 0 || strncmp(p->to, "sip:", 4) == 0;
	const char *rcs = NULL;
	int refer_code = 0, notify_last = 0;
	if (!sip_leg) {
		emu_ev(c, "error", p, 13801, "<Refer> on a leg that is not SIP");
		rcs = "failed";
	} else {
		emu_answer_parent(c);
		enum emu_outcome o = emu_outcome_for(c, to);
		struct event *ev = emu_ev(c, "sip", p, 0, "REFER sent, Refer-To: <%s>", to);
		refer_verb_sip(c, ev, 0, to);
		if (o == EMU_FAIL) {
			refer_code = 405;
			rcs = "failed";
			ev = emu_ev(c, "sip", p, 405, "REFER answered 405 %s", emu_sip_reason(405));
			refer_verb_sip(c, ev, 405, NULL);
		} else {
			refer_code = 202;
			ev = emu_ev(c, "sip", p, 202, "REFER answered 202 %s", emu_sip_reason(202));
			refer_verb_sip(c, ev, 202, NULL);
			ev = emu_ev(c, "sip", p, 100, "NOTIFY sipfrag \"SIP/2.0 100 Trying\"");
			refer_verb_sip(c, ev, -100, NULL);
			emu_advance(c->eng, c->rules[EMU_R_RING_MS]);
			notify_last = o == EMU_ANSWER ? 200 : o == EMU_BUSY ? 486 : 408;
			rcs = o == EMU_ANSWER ? "in-progress"
			      : o == EMU_BUSY ? "busy"
			                      : "no-answer";
			ev = emu_ev(c, "sip", p, notify_last, "NOTIFY sipfrag \"SIP/2.0 %d %s\"",
			            notify_last, emu_sip_reason(notify_last));
			refer_verb_sip(c, ev, -notify_last, NULL);
		}
	}
	free(to);
	const char *action = twiml_get(v, "action");
	if (!action) {
		if (notify_last == 200) {
			emu_ev(c, "twiml", p, 0, "<Refer> succeeded without action: the leg ends");
			emu_end_call(c, ST_COMPLETED);
			return EMU_PAUSE;
		}
		return EMU_CONT;
	}
	struct emu_params prm = {0};
	emu_std_params(c, p, &prm);
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
	char *url = emu_resolve(c->fr.url, action);
	int r = emu_goto_url(c, "Refer action", emu_method_of(v, "method"), url, &prm);
	free(url);
	emu_params_free(&prm);
	return r;
}

static int do_gather(struct call *c, const struct twiml_node *v)
{
	struct leg *p = &c->legs[0];
	emu_answer_parent(c);
	for (size_t i = 0; i < v->nkids; i++)
		if (v->kids[i]->kind == TWIML_ELEMENT) {
			char *t = emu_text_of(v->kids[i]);
			emu_ev(c, "twiml", p, 0, "Gather prompt <%s> %s", v->kids[i]->name, t);
			free(t);
			emu_advance(c->eng, c->rules[EMU_R_VERB_MS]);
		}
	if (c->digit_pos >= c->ndigits) {
		const char *to = twiml_get(v, "timeout");
		emu_advance(c->eng, (to ? strtol(to, NULL, 10) : 5) * 1000);
		emu_ev(c, "twiml", p, 0, "Gather: no input, next verb");
		return EMU_CONT;
	}
	const char *d = c->digits[c->digit_pos++];
	emu_ev(c, "twiml", p, 0, "Gather: caller pressed %s", d);
	struct emu_params prm = {0};
	emu_std_params(c, p, &prm);
	emu_params_add(&prm, "Digits", d);
	const char *action = twiml_get(v, "action");
	char *url = emu_resolve(c->fr.url, action ? action : c->fr.url);
	int r = emu_goto_url(c, "Gather action", emu_method_of(v, "method"), url, &prm);
	free(url);
	emu_params_free(&prm);
	return r;
}

/* <Reject>: Twilio's answer to the caller's INVITE. */
static void reject_sip(struct call *c, struct event *v, int code)
{
	struct emu_sip_msg m = {
	    .status = code, .reason = emu_sip_reason(code), .cseq = 1, .cseq_method = "INVITE"};
	emu_sip_model(c, &c->legs[0], v, &m);
	emu_sink_fire(c, &c->legs[0], EMU_SINK_REJECT, code, NULL);
}

static int exec_verb(struct call *c, const struct twiml_node *v)
{
	struct leg *p = &c->legs[0];
	const char *n = v->name;
	if (strcmp(n, "Say") == 0 || strcmp(n, "Play") == 0) {
		emu_answer_parent(c);
		const char *lp = twiml_get(v, "loop");
		long loops = lp ? strtol(lp, NULL, 10) : 1;
		loops = loops < 1 ? 1 : loops > 100 ? 100 : loops;
		char *t = emu_text_of(v);
		emu_ev(c, "twiml", p, 0, "%s %s", n, t);
		free(t);
		emu_advance(c->eng, (int64_t)c->rules[EMU_R_VERB_MS] * loops);
		return EMU_CONT;
	}
	if (strcmp(n, "Pause") == 0) {
		const char *ln = twiml_get(v, "length");
		long s = ln ? strtol(ln, NULL, 10) : 1;
		emu_ev(c, "twiml", p, 0, "Pause %ld s", s);
		emu_advance(c->eng, (s < 0 ? 0 : s > 600 ? 600 : s) * 1000);
		return EMU_CONT;
	}
	if (strcmp(n, "Gather") == 0)
		return do_gather(c, v);
	if (strcmp(n, "Redirect") == 0) {
		if (++c->redirects > EMU_ENG_MAX_REDIRECTS) {
			emu_ev(c, "limit", p, 0, "more than %d <Redirect>s", EMU_ENG_MAX_REDIRECTS);
			emu_end_call(c, ST_FAILED);
			return EMU_PAUSE;
		}
		char *t = emu_text_of(v);
		char *url = emu_resolve(c->fr.url, *t ? t : c->fr.url);
		struct emu_params prm = {0};
		emu_std_params(c, p, &prm);
		int r = emu_goto_url(c, "Redirect", emu_method_of(v, "method"), url, &prm);
		emu_params_free(&prm);
		free(url);
		free(t);
		return r;
	}
	if (strcmp(n, "Hangup") == 0) {
		emu_ev(c, "twiml", p, 0, "Hangup");
		emu_end_call(c, ST_COMPLETED);
		return EMU_PAUSE;
	}
	if (strcmp(n, "Reject") == 0) {
		const char *rs = twiml_get(v, "reason");
		bool busy = rs && strcmp(rs, "busy") == 0;
		emu_ev(c, "twiml", p, 0, "Reject reason=%s", busy ? "busy" : "rejected");
		if (p->status == ST_INPROGRESS) {
			emu_ev(c, "warning", p, 0,
			       "<Reject> after the call was answered acts as <Hangup>");
			emu_end_call(c, ST_COMPLETED);
		} else if (busy) {
			struct event *ev =
			    emu_ev(c, "sip", p, 486, "INVITE answered 486 Busy Here");
			reject_sip(c, ev, 486);
			emu_end_call(c, ST_BUSY);
		} else {
			bool b = emu_rule_use(c, EMU_R_REJECT_STATUS, p) != 0;
			struct event *ev =
			    emu_ev(c, "sip", p, 404, "INVITE answered 404 Not Found");
			reject_sip(c, ev, 404);
			emu_end_call(c, b ? ST_BUSY : ST_FAILED);
		}
		return EMU_PAUSE;
	}
	if (strcmp(n, "Dial") == 0)
		return emu_do_dial(c, v);
	if (strcmp(n, "Refer") == 0)
		return do_refer_verb(c, v);
	if (strcmp(n, "Connect") == 0)
		return emu_do_connect(c, v);
	if (strcmp(n, "Start") == 0)
		return emu_do_start(c, v);
	if (strcmp(n, "Stop") == 0)
		return emu_do_stop(c, v);
	emu_ev(c, "unsupported", p, 12200, "<%s> is not emulated; skipped", n);
	return EMU_CONT;
}

void emu_run(struct call *c)
{
	while (!c->ended && c->fr.root) {
		if (++c->verbs > EMU_ENG_MAX_STEPS_VERBS) {
			emu_ev(c, "limit", &c->legs[0], 0, "more than %d verbs run",
			       EMU_ENG_MAX_STEPS_VERBS);
			emu_end_call(c, ST_FAILED);
			return;
		}
		const struct twiml_node *v = next_verb(&c->fr);
		if (!v) {
			emu_ev(c, "twiml", &c->legs[0], 0, "end of document: the call ends");
			emu_end_call(c, ST_COMPLETED);
			return;
		}
		if (exec_verb(c, v) == EMU_PAUSE)
			return;
	}
}

/* update: live-call changes through the REST API (POST .../Calls/{CA}.json): hang up,
 * cancel, or make the call leave the TwiML it runs for a new document; and whether a call
 * record may be deleted. */
#include "emulator/engine_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "twiml/lint.h"
#include "util/mem.h"

__attribute__((format(printf, 4, 5))) static int refuse(struct emu_update_err *err, int status,
                                                        int code, const char *fmt, ...)
{
	err->status = status;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return EINVAL;
}

/* The call leaves the TwiML it runs: the <Dial> it is in ends its child legs, a
 * <Connect><Stream> stops, a conference is left; the verbs' actions are not requested
 * (the api.update-skips-verb-action rule; 0: the action is still requested, and its
 * answer is not used). <Start> streams go on. */
static void leave_twiml(struct call *c)
{
	struct leg *p = &c->legs[0];
	const struct twiml_node *dial = c->bdial, *conn = c->connect;
	const char *dial_url = c->bdial_url, *conn_url = c->connect_url;
	bool live_child = false;
	for (size_t i = 1; i < c->nlegs; i++)
		live_child |= !emu_terminal(c->legs[i].status);
	if (dial || live_child || c->held) {
		bool skip = emu_rule_use(c, EMU_R_API_SKIP_ACTION, p) != 0;
		for (size_t i = 1; i < c->nlegs; i++)
			if (!emu_terminal(c->legs[i].status))
				emu_bye(c, &c->legs[i], "the parent call was updated");
		if (c->in_conf)
			emu_ev(c, "dial", p, 0, "the caller leaves the %s", p->peer);
		if (c->held)
			emu_connect_leave(c, "the call was updated");
		const struct twiml_node *verb = dial ? dial : conn;
		const char *action = verb ? twiml_get(verb, "action") : NULL;
		if (action && !skip) {
			struct emu_params prm = {0};
			emu_std_params(c, p, &prm);
			if (dial)
				emu_params_add(&prm, "DialCallStatus", "completed");
			char *url = emu_resolve(dial ? dial_url : conn_url, action);
			(void)emu_webhook(c, p, dial ? "Dial action" : "Connect action",
			                  emu_method_of(verb, "method"), url, &prm, NULL, NULL);
			free(url);
			emu_params_free(&prm);
		}
	}
	c->bridged = -1;
	c->bdial = NULL;
	c->bdial_url = NULL;
	c->in_conf = false;
	c->x.active = false;
	p->peer[0] = 0;
	emu_set_frame(c, NULL, NULL);
}

/* Url/Twiml on the parent leg of a call in progress: the new document runs now. */
static int redirect(struct call *c, const struct emu_update *u, struct emu_update_err *err)
{
	struct leg *p = &c->legs[0];
	struct twiml_node *root = NULL;
	if (u->twiml) {
		/* read first: refused, TwiML that does not parse leaves the call as it is */
		char why[TWIML_MAX_MSG + 16] = "";
		int code = emu_parse_doc(c, p, u->twiml, strlen(u->twiml), &root, why, sizeof(why));
		if (code && emu_rule_use(c, EMU_R_API_BAD_TWIML, p)) {
			emu_ev(c, "error", p, code, "update refused: Twiml: %s", why);
			return refuse(err, 400, code, "Twiml is not valid TwiML: %s", why);
		}
		if (code) {
			leave_twiml(c);
			emu_ev(c, "error", p, code, "the update's Twiml: %s; the call fails", why);
			emu_end_call(c, ST_FAILED);
			return 0;
		}
	}
	leave_twiml(c);
	c->refer_set = u->target_set;
	c->refer_outcome = u->target;
	if (root) {
		const char *du = NULL;
		const struct twiml_node *doc = emu_keep_doc(c, root, "", &du);
		emu_set_frame(c, doc, du); /* du is set by emu_keep_doc: two statements */
		emu_run(c);
	} else {
		struct emu_params prm = {0};
		emu_std_params(c, p, &prm);
		const char *m = u->method && strcasecmp(u->method, "GET") == 0 ? "GET" : "POST";
		if (emu_goto_url(c, "Call update", m, u->url, &prm) == EMU_CONT)
			emu_run(c);
		emu_params_free(&prm);
	}
	c->refer_set = false;
	return 0;
}

/* Status=completed or canceled on leg li. */
static int set_status(struct call *c, int li, const char *status, struct emu_update_err *err)
{
	struct leg *l = &c->legs[li];
	bool live = l->status == ST_INPROGRESS;
	if (emu_terminal(l->status))
		return refuse(err, 400, 21220, "Call is not in-progress: %s is %s", l->sid,
		              emu_st_names[l->status]);
	if (strcmp(status, "canceled") == 0 && live) {
		int code = emu_rule_use(c, EMU_R_API_CANCEL_LIVE, l);
		if (code)
			return refuse(err, 400, code,
			              "Call is in progress: Status=canceled ends only a queued or "
			              "ringing call (use Status=completed)");
		emu_ev(c, "api", l, 0, "Status=canceled on a call in progress: nothing changes");
		return 0;
	}
	if (li == 0) {
		emu_ev(c, "hangup", l, 0, "Status=%s: Twilio hangs up the call", status);
		/* in progress: completed; queued or ringing: canceled, or what the rule says */
		enum st end = ST_CANCELED;
		if (!live && strcmp(status, "completed") == 0 &&
		    !emu_rule_use(c, EMU_R_API_DONE_RINGING, l))
			end = ST_COMPLETED;
		c->ob.pending = false;
		emu_end_call(c, end);
	} else {
		emu_hangup_leg(c, li, "Status=completed");
	}
	return 0;
}

int emu_call_update(struct emu_engine *e, const char *sid, const struct emu_update *u,
                    struct emu_update_err *err)
{
	memset(err, 0, sizeof(*err));
	if (!u || (u->status && strcmp(u->status, "completed") && strcmp(u->status, "canceled")))
		return refuse(err, 400, 20001, "Status must be completed or canceled");
	if (!u->status && !u->twiml && !(u->url && *u->url))
		return refuse(err, 400, 20001, "give Url, Twiml or Status");
	pthread_mutex_lock(&e->mu);
	int li = 0;
	struct call *c = NULL;
	int rc = emu_claim(e, sid, &c, &li);
	if (rc)
		goto out;
	struct leg *l = &c->legs[li], *p = &c->legs[0];
	if (u->status)
		emu_ev(c, "api", l, 0, "REST update: Status=%s", u->status);
	else if (u->twiml)
		emu_ev(c, "api", l, 0, "REST update: Twiml (%zu bytes)", strlen(u->twiml));
	else
		emu_ev(c, "api", l, 0, "REST update: Url %s %s",
		       u->method && strcasecmp(u->method, "GET") == 0 ? "GET" : "POST", u->url);
	if (u->status) {
		rc = set_status(c, li, u->status, err);
	} else if (li != 0 || c->ops->agent_on_parent) {
		rc = refuse(err, 400, 20001,
		            "the emulator runs new TwiML on a Programmable Voice parent call only "
		            "(%s is %s)",
		            l->sid, li ? "a child leg" : "a SIP trunk or Plivo call");
	} else if (emu_terminal(p->status)) {
		rc = refuse(err, 400, 21220, "Call is not in-progress. Cannot redirect.");
	} else if (c->ob.pending) {
		if (emu_rule_use(c, EMU_R_API_RINGING, p))
			(void)emu_outbound_replace(c, u);
		else
			rc = refuse(err, 400, 21220, "Call is not in-progress (it is %s)",
			            emu_st_names[p->status]);
	} else {
		rc = redirect(c, u, err);
	}
	if (rc == EINVAL)
		emu_ev(c, "api", l, err->code, "update refused: %s", err->msg);
	c->busy = false;
	pthread_cond_broadcast(&e->idle); /* a REFER over SIP may wait for it */
out:
	pthread_mutex_unlock(&e->mu);
	return rc;
}

int emu_call_deletable(struct emu_engine *e, const char *sid, struct emu_update_err *err)
{
	memset(err, 0, sizeof(*err));
	pthread_mutex_lock(&e->mu);
	int li = 0, rc = 0;
	struct call *c = emu_find(e, sid, &li);
	if (!c) {
		rc = ENOENT;
	} else if (!emu_terminal(c->legs[li].status)) {
		struct leg *l = &c->legs[li];
		int code = emu_rule_use(c, EMU_R_API_DELETE_LIVE, l);
		rc = refuse(err, 400, code,
		            "Call %s is %s: only a call that has ended can be deleted", l->sid,
		            emu_st_names[l->status]);
		emu_ev(c, "api", l, code, "DELETE refused: %s", err->msg);
	} else {
		emu_ev(c, "api", &c->legs[li], 0, "DELETE: the call record is removed");
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}

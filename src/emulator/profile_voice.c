/* profile_voice: Programmable Voice (twilio-voice): a REFER on a <Dial> leg decided by the
 * referUrl webhook, answerOnBridge deciding what happens to the agent (transfer-model.md). */
#include "emulator/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

static void refer(struct call *c, int li, const struct emu_refer_req *req)
{
	struct leg *l = &c->legs[li], *p = &c->legs[0];
	if (li == 0) {
		if (c->in_conf) {
			emu_ev(c, "transfer", l, 0, "REFER on a <Dial><Conference|Queue> call");
			emu_respond(c, l, emu_rule_use(c, EMU_R_CONF_REFER, l));
		} else {
			emu_ev(c, "transfer", l, 0, "REFER on a leg no <Dial> created");
			emu_respond(c, l, 405);
		}
		return;
	}
	const struct twiml_node *dial = l->dial;
	if (strlen(req->refer_to) > EMU_ENG_MAX_REFER_TO) {
		emu_ev(c, "transfer", l, 0, "Refer-To is %zu characters (limit %d)",
		       strlen(req->refer_to), EMU_ENG_MAX_REFER_TO);
		emu_respond(c, l, emu_rule_use(c, EMU_R_REFER_TO_LONG, l));
		return;
	}
	const char *refer_url = twiml_get(dial, "referUrl");
	if (!refer_url) {
		emu_ev(c, "alert", l, 13802, "REFER received but the <Dial> has no referUrl");
		emu_respond(c, l, 202);
		emu_notify(c, l, emu_rule_use(c, EMU_R_NO_REFERURL, l));
		emu_ev(c, "transfer", l, 0, "caller stays with %s", emu_party(l));
		return;
	}
	emu_respond(c, l, 202);
	emu_notify(c, l, 100);
	bool aob = twiml_get(dial, "answerOnBridge") &&
	           strcmp(twiml_get(dial, "answerOnBridge"), "true") == 0;
	struct emu_params prm = {0};
	emu_std_params(c, emu_rule_use(c, EMU_R_CALLSID_PARENT, l) ? p : l, &prm);
	emu_params_add(&prm, "ReferTransferTarget", req->refer_to);
	if (req->headers && req->headers->n && emu_rule_use(c, EMU_R_REFER_XHEADERS, l))
		for (size_t i = 0; i < req->headers->n; i++)
			if (strncasecmp(req->headers->v[i].name, "X-", 2) == 0) {
				char *nm = xasprintf("SipHeader_%s", req->headers->v[i].name);
				emu_params_add(&prm, nm, req->headers->v[i].value);
				free(nm);
			}
	char *url = emu_resolve(l->dial_url, refer_url);
	const struct twiml_node *doc = NULL;
	const char *du = NULL;
	int code =
	    emu_webhook(c, p, "referUrl", emu_method_of(dial, "referMethod"), url, &prm, &doc, &du);
	free(url);
	emu_params_free(&prm);
	if (code) {
		if (aob) {
			emu_notify(c, l, 503);
			emu_ev(c, "transfer", l, code,
			       "referUrl failed: caller re-established with %s", emu_party(l));
		} else {
			emu_notify(c, l, emu_rule_use(c, EMU_R_AOB_FALSE_FAILURE, l));
			emu_bye(c, l, "answerOnBridge=false");
			emu_ev(c, "transfer", p, code,
			       "referUrl failed: caller disconnected, re-establishing is not "
			       "possible");
			emu_end_call(c, ST_COMPLETED);
		}
		return;
	}
	c->refer_set = true;
	c->refer_outcome = req->target;
	c->nrefer_then = req->then && req->nthen < EMU_ENG_MAX_TARGETS ? req->nthen : 0;
	if (c->nrefer_then)
		memcpy(c->refer_then, req->then, c->nrefer_then * sizeof(*c->refer_then));
	c->refer_dialled = 0;
	if (!aob || !emu_has_dial(doc)) {
		if (aob)
			(void)emu_rule_use(c, EMU_R_NO_DIAL_DONE, l);
		emu_notify(c, l, 200);
		emu_bye(c, l, aob ? "the answer holds no <Dial>" : "answerOnBridge=false");
		p->peer[0] = 0;
		c->bridged = -1;
		c->in_conf = false;
		(void)emu_rule_use(c, EMU_R_SKIP_DIAL_ACTION, l);
		emu_set_frame(c, doc, du);
		c->x.active = false;
		emu_run(c);
	} else {
		c->x.active = true;
		c->x.aob = true;
		c->x.leg = li;
		c->x.saved = c->fr;
		c->x.saved_dial = c->bdial;
		c->x.saved_url = c->bdial_url;
		(void)emu_rule_use(c, EMU_R_SKIP_DIAL_ACTION, l);
		emu_set_frame(c, doc, du);
		emu_run(c);
		c->x.active = false;
	}
	c->refer_set = false;
}

static const char *direction(const struct emu_call_spec *spec)
{
	(void)spec;
	return "inbound";
}

const struct emu_profile_ops emu_profile_voice = {
    .name = "twilio-voice",
    .first_child = 'A',
    .agent_on_parent = false,
    .direction = direction,
    .refer = refer,
};

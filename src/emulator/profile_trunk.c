/* profile_trunk: Elastic SIP Trunking (twilio-trunk): a REFER decided by the trunk's
 * TransferMode and TransferCallerId, no webhook (transfer-model.md). */
#include "emulator/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/ids.h"
#include "util/mem.h"

/* A dotted IPv4 address or a bracketed IPv6 one. */
static bool ip_literal(const char *h)
{
	unsigned a, b, cc, d;
	char tail;
	return h[0] == '[' || sscanf(h, "%u.%u.%u.%u%c", &a, &b, &cc, &d, &tail) == 4;
}

/* A PSTN target written another way than tel:+E164: a tel: URI that is not E.164, a
 * *.pstn.twilio.com user that is not E.164, or sip:+E164 at an IP address (seen refused). */
static bool pstn_not_tel(const struct emu_target *t)
{
	if (strcasecmp(t->scheme, "tel") == 0)
		return !id_e164(t->user);
	if (strcasecmp(t->scheme, "sip") != 0 && strcasecmp(t->scheme, "sips") != 0)
		return false;
	if (emu_ends_with_ci(t->host, ".pstn.twilio.com"))
		return !id_e164(t->user);
	return t->user[0] == '+' && id_e164(t->user) && ip_literal(t->host);
}

static void refer(struct call *c, int li, const struct emu_refer_req *req)
{
	struct leg *l = &c->legs[li], *p = &c->legs[0];
	struct emu_target t;
	emu_target_parse(req->refer_to, &t);
	const char *u = t.user[0] == '+' ? t.user + 1 : t.user;
	bool emergency = strcmp(u, "911") == 0 || strcmp(u, "933") == 0 || strcmp(u, "1911") == 0 ||
	                 strcmp(u, "1933") == 0;
	bool pstn = (strcasecmp(t.scheme, "tel") == 0 && id_e164(t.user)) ||
	            (strcasecmp(t.scheme, "sip") == 0 && id_e164(t.user) &&
	             emu_ends_with_ci(t.host, ".pstn.twilio.com"));
	if (c->mode == EMU_XFER_DISABLE_ALL) {
		emu_ev(c, "error", l, 32218, "Transfer not allowed: TransferMode is disable-all");
		emu_respond(c, l, emu_rule_use(c, EMU_R_TRUNK_REFUSED, l));
	} else if (emergency) {
		emu_ev(c, "transfer", l, 0, "transfers to emergency numbers are not supported");
		emu_respond(c, l, emu_rule_use(c, EMU_R_TRUNK_EMERGENCY, l));
	} else if (pstn_not_tel(&t)) {
		emu_ev(c, "transfer", l, 0,
		       "a PSTN target must be tel:+E164 (or "
		       "sip:+E164@<trunk>.pstn.twilio.com): %s",
		       t.uri);
		int code = emu_rule_use(c, EMU_R_TRUNK_PSTN_NOT_TEL, l);
		emu_respond(c, l, code);
		if (code == 202)
			emu_notify(c, l, 403);
	} else if (pstn && c->mode == EMU_XFER_SIP_ONLY) {
		emu_ev(c, "error", l, 32218,
		       "Transfer not allowed: PSTN target and TransferMode sip-only");
		emu_respond(c, l, emu_rule_use(c, EMU_R_TRUNK_REFUSED, l));
	} else {
		/* termination (PBX A -> B): transferee B, transferor A; origination: the reverse */
		const char *transferee = c->trunk_orig ? p->from : p->to;
		const char *transferor = c->trunk_orig ? p->to : p->from;
		const char *from = c->cid == EMU_CID_TRANSFEREE ? transferee : transferor;
		emu_ev(c, "transfer", l, 0, "%s target; caller ID %s (%s)", pstn ? "PSTN" : "SIP",
		       from, c->cid == EMU_CID_TRANSFEREE ? "from-transferee" : "from-transferor");
		emu_sip_transfer(c, li, req, from, pstn ? t.user : t.uri);
	}
	emu_target_free(&t);
}

/* termination: PBX -> PSTN; origination: PSTN -> PBX */
static const char *direction(const struct emu_call_spec *spec)
{
	return spec->trunk_origination ? "trunking-originating" : "trunking-terminating";
}

const struct emu_profile_ops emu_profile_trunk = {
    .name = "twilio-trunk",
    .first_child = 'B',
    .agent_on_parent = true,
    .direction = direction,
    .refer = refer,
};

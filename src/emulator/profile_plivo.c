/* profile_plivo: Plivo's SIP trunk REFER: the trunk domain, private addresses, E.164 and
 * enabled countries decide; Plivo bridges and then sends BYE (transfer-model.md). */
#include "emulator/engine_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/ids.h"
#include "util/mem.h"

static bool private_ip(const char *h)
{
	unsigned a, b, cc, d;
	char tail;
	if (sscanf(h, "%u.%u.%u.%u%c", &a, &b, &cc, &d, &tail) == 4 && a < 256 && b < 256 &&
	    cc < 256 && d < 256)
		return a == 10 || a == 127 || a == 0 || (a == 172 && b >= 16 && b < 32) ||
		       (a == 192 && b == 168) || (a == 169 && b == 254) ||
		       (a == 100 && b >= 64 && b < 128);
	const char *s = h[0] == '[' ? h + 1 : h;
	if (strchr(s, ':'))
		return strncasecmp(s, "fc", 2) == 0 || strncasecmp(s, "fd", 2) == 0 ||
		       strncasecmp(s, "fe80", 4) == 0 || strcmp(s, "::1") == 0 ||
		       strncmp(s, "::1]", 4) == 0;
	return false;
}

static void refer(struct call *c, int li, const struct emu_refer_req *req)
{
	struct leg *l = &c->legs[li], *p = &c->legs[0];
	struct emu_target t;
	emu_target_parse(req->refer_to, &t);
	const char *addr = t.host;
	for (size_t i = 0; c->dns && c->dns[i] && c->dns[i + 1]; i += 2)
		if (strcasecmp(c->dns[i], t.host) == 0)
			addr = c->dns[i + 1];
	const char *suffix = c->plivo_suffix ? c->plivo_suffix : ".zt.plivo.com";
	bool number = t.user[0] == '+' || isdigit((unsigned char)t.user[0]);
	const char *why = NULL;
	if (private_ip(addr))
		why = "the target resolves to a private IP address";
	else if (!emu_ends_with_ci(t.host, suffix))
		why = "the Refer-To host is not the trunk's domain";
	else if (number && !id_e164(t.user))
		why = "the target number is not E.164";
	if (!why && number && c->countries) {
		bool ok = false;
		for (size_t i = 0; c->countries[i]; i++)
			ok |= strncmp(t.user + 1, c->countries[i], strlen(c->countries[i])) == 0;
		if (!ok)
			why = "the target's country is not enabled";
	}
	if (why) {
		emu_ev(c, "transfer", l, 0, "REFER refused: %s (%s)", why, addr);
		emu_respond(c, l, emu_rule_use(c, EMU_R_PLIVO_REFUSED, l));
	} else {
		emu_ev(c, "transfer", l, 0, "caller ID %s (%s call: %s)", p->from,
		       c->plivo_out ? "outbound" : "inbound",
		       c->plivo_out ? "the Plivo number of the original leg"
		                    : "the original caller");
		emu_sip_transfer(c, li, req, p->from, number ? t.user : t.uri);
	}
	emu_target_free(&t);
}

/* inbound: a caller dialled the Plivo number; outbound: the endpoint dialled out */
static const char *direction(const struct emu_call_spec *spec)
{
	return spec->plivo_outbound ? "outbound-api" : "inbound";
}

const struct emu_profile_ops emu_profile_plivo = {
    .name = "plivo",
    .first_child = 'B',
    .agent_on_parent = true,
    .direction = direction,
    .refer = refer,
};

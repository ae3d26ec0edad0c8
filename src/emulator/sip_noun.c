/* sip_noun: the children of a <Sip> noun: <Uri> failover (tried one after another in the
 * modelled order, each a child leg) and <Headers> (stamped on the INVITE as written). */
#include "emulator/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

/* Absent priority and weight: the defaults Twilio documents for a trunk's origination URIs
 * (the one place it says how priority and weight order SIP URIs). */
#define SIP_URI_DEFAULT_PRIORITY 10
#define SIP_URI_DEFAULT_WEIGHT   10
#define SIP_URI_ATTR_MAX         65535 /* the schema's range for priority and weight */

/* One <Uri> child and what orders it. */
struct uri_ref {
	const struct twiml_node *n;
	long priority, weight;
};

static bool is_elem(const struct twiml_node *n, const char *name)
{
	return n->kind == TWIML_ELEMENT && strcmp(n->name, name) == 0;
}

static size_t count_uris(const struct twiml_node *sip)
{
	size_t k = 0;
	for (size_t i = 0; i < sip->nkids; i++)
		k += is_elem(sip->kids[i], "Uri");
	return k;
}

bool emu_sip_dials_uris(struct call *c, const struct twiml_node *sip)
{
	if (count_uris(sip) == 0)
		return false;
	if (!twiml_has_text(sip))
		return true;
	return emu_rule_use(c, EMU_R_SIP_URI_OVER_TEXT, &c->legs[0]) != 0;
}

/* An integer attribute in [0, SIP_URI_ATTR_MAX], or def when absent or not one (the linter
 * reports those). */
static long attr_num(const struct twiml_node *n, const char *name, long def)
{
	const char *v = twiml_get(n, name);
	char *end;
	if (!v || !*v)
		return def;
	long x = strtol(v, &end, 10);
	return *end || x < 0 || x > SIP_URI_ATTR_MAX ? def : x;
}

/* Orders u[a..b) (equal priorities) by weight: each place is drawn among the URIs left with
 * probability weight / sum of weights (RFC 2782's way); URIs of weight 0 come last, as
 * written. */
static void draw_by_weight(struct call *c, struct uri_ref *u, size_t a, size_t b)
{
	for (size_t k = a; k + 1 < b; k++) {
		uint64_t total = 0;
		for (size_t i = k; i < b; i++)
			total += (uint64_t)u[i].weight;
		if (total == 0)
			return;
		uint64_t r = emu_rand(c->eng) % total, run = 0;
		size_t pick = k;
		for (size_t i = k; i < b; i++) {
			run += (uint64_t)u[i].weight;
			if (r < run) {
				pick = i;
				break;
			}
		}
		struct uri_ref chosen = u[pick]; /* the rest keep their written order */
		memmove(&u[k + 1], &u[k], (pick - k) * sizeof(*u));
		u[k] = chosen;
	}
}

/* sip's <Uri> children (at most EMU_ENG_MAX_URIS) in the order they are tried. */
static size_t uri_order(struct call *c, const struct twiml_node *sip, struct uri_ref *u)
{
	size_t n = 0, more = 0;
	for (size_t i = 0; i < sip->nkids; i++) {
		const struct twiml_node *k = sip->kids[i];
		if (!is_elem(k, "Uri"))
			continue;
		if (n == EMU_ENG_MAX_URIS) {
			more++;
			continue;
		}
		u[n++] = (struct uri_ref){k, attr_num(k, "priority", SIP_URI_DEFAULT_PRIORITY),
		                          attr_num(k, "weight", SIP_URI_DEFAULT_WEIGHT)};
	}
	if (more)
		emu_ev(c, "warning", &c->legs[0], 13250,
		       "<Sip> holds %zu <Uri> elements: the first %d are dialled", n + more,
		       EMU_ENG_MAX_URIS);
	if (n < 2 || !emu_rule_use(c, EMU_R_SIP_URI_ORDER, &c->legs[0]))
		return n;
	for (size_t i = 1; i < n; i++) { /* stable: by priority, as written among equals */
		struct uri_ref x = u[i];
		size_t j = i;
		for (; j > 0 && u[j - 1].priority > x.priority; j--)
			u[j] = u[j - 1];
		u[j] = x;
	}
	for (size_t a = 0; a < n;) {
		size_t b = a + 1;
		while (b < n && u[b].priority == u[a].priority)
			b++;
		if (b - a > 1)
			draw_by_weight(c, u, a, b);
		a = b;
	}
	return n;
}

/* " (priority 1, weight 10, username desk, password: set)": what the timeline may show of
 * a <Uri>; its password never (nor the <Sip>'s it falls back to). */
static void describe(struct buf *b, const struct twiml_node *sip, const struct uri_ref *u)
{
	const char *user = twiml_get(u->n, "username");
	bool pw = twiml_get(u->n, "password") != NULL;
	if (!user && !pw) {
		user = twiml_get(sip, "username");
		pw = twiml_get(sip, "password") != NULL;
	}
	buf_printf(b, " (priority %ld, weight %ld", u->priority, u->weight);
	if (user)
		buf_printf(b, ", username %.64s", user);
	if (pw)
		buf_adds(b, ", password: set");
	buf_addc(b, ')');
}

int emu_sip_dial_uris(struct call *c, const struct twiml_node *dial, const struct twiml_node *sip,
                      const char *from, long timeout, enum emu_outcome *oc)
{
	struct uri_ref u[EMU_ENG_MAX_URIS];
	size_t n = uri_order(c, sip, u);
	struct buf b;
	buf_init(&b, 4096);
	buf_printf(&b, "<Sip> with %zu <Uri>, tried in this order:", n);
	for (size_t k = 0; k < n; k++) {
		struct str t = twiml_text(u[k].n);
		buf_printf(&b, " %zu. %.*s", k + 1, (int)t.len, t.p);
		describe(&b, sip, &u[k]);
	}
	emu_ev(c, "dial", &c->legs[0], 0, "%s", buf_str(&b));
	buf_free(&b);
	int li = -1;
	for (size_t k = 0; k < n; k++) {
		char *addr = emu_text_of(u[k].n);
		li = emu_dial_leg(c, dial, sip, N_SIP, addr, from, oc);
		free(addr);
		if (li < 0)
			return -1;
		struct leg *l = &c->legs[li];
		if (*oc == EMU_ANSWER || k + 1 == n)
			return li;
		if (*oc == EMU_BUSY && !emu_rule_use(c, EMU_R_SIP_URI_BUSY_NEXT, l))
			return li;
		enum st s = emu_dial_leg_ends(c, l, *oc, timeout);
		emu_ev(c, "dial", l, l->sip_code, "<Uri> %zu of %zu %s (%d %s): trying the next",
		       k + 1, n, emu_st_names[s], l->sip_code, emu_sip_reason(l->sip_code));
	}
	return li;
}

void emu_sip_element_headers(struct call *c, const struct leg *l)
{
	const struct twiml_node *sip = l->noun;
	if (!sip || !is_elem(sip, "Sip"))
		return;
	struct emu_params hs = {0};
	struct buf b;
	buf_init(&b, 4096);
	int rc = 0;
	for (size_t i = 0; i < sip->nkids; i++) {
		const struct twiml_node *h = sip->kids[i];
		for (size_t j = 0; is_elem(h, "Headers") && j < h->nkids; j++) {
			const struct twiml_node *k = h->kids[j];
			const char *name = is_elem(k, "Header") ? twiml_get(k, "name") : NULL;
			if (!name || !*name)
				continue; /* the linter reports it (13252); nothing to stamp */
			const char *value = twiml_get(k, "value");
			if (emu_params_add(&hs, name, value ? value : ""))
				break;
			rc = rc ? rc
			        : buf_printf(&b, "%s%s: %s", hs.n > 1 ? "; " : "", name,
			                     value ? value : "");
		}
	}
	if (hs.n) {
		size_t ul = strcspn(l->to, "?");
		struct event *v = emu_ev(
		    c, "sip", l, 0, "INVITE %.*s with <Headers> headers %s (values as written)",
		    (int)ul, l->to, rc ? "(over 4 kB)" : buf_str(&b));
		if (v) {
			emu_sip_invite(c, l, v, &hs); /* its "sip" object */
			v->params = hs;
		} else {
			emu_params_free(&hs);
		}
	}
	buf_free(&b);
}

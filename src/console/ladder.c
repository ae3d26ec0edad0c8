/* ladder: the arrows of a call's SIP ladder, derived from the engine's timeline in one
 * function (ladder_from_events), a lane for each target dialled, and the SVG drawn from them
 * (ladder_svg). */
#include "console/ladder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_int.h"

static const char *const lane_names[LANE__COUNT] = {"caller", "Twilio", "agent", "handoff",
                                                    "target"};

const char *ladder_lane_name(int lane)
{
	if (lane >= LANE_TARGET && lane < LADDER_MAX_LANES)
		return lane_names[LANE_TARGET];
	return lane >= 0 && lane < LANE__COUNT ? lane_names[lane] : "?";
}

/* The target lane's row, or NULL for the other lanes. */
static const struct ladder_target *target_of(const struct ladder *l, int lane)
{
	size_t i = (size_t)(lane - LANE_TARGET);
	return lane >= LANE_TARGET && i < l->ntargets ? &l->targets[i] : NULL;
}

const char *ladder_lane_title(const struct ladder *l, int lane, char *out)
{
	const struct ladder_target *t = target_of(l, lane);
	if (t && l->ntargets > 1)
		snprintf(out, LADDER_LANE_TITLE_MAX, "target %s", t->leg);
	else
		snprintf(out, LADDER_LANE_TITLE_MAX, "%s", ladder_lane_name(lane));
	return out;
}

enum ladder_lane ladder_lane_of(const char *p)
{
	if (!p || !*p || strcmp(p, "twilio") == 0 || strcmp(p, "Twilio") == 0)
		return LANE_TWILIO;
	if (strcmp(p, "caller") == 0 || strcmp(p, "P") == 0)
		return LANE_CALLER;
	if (strcmp(p, "agent") == 0 || strcmp(p, "A") == 0)
		return LANE_AGENT;
	if (strcmp(p, "handoff") == 0 || strcmp(p, "app") == 0)
		return LANE_HANDOFF;
	return LANE_TARGET; /* B, C, ...: whoever the transfer dialled */
}

/* A leg label as a lane keeps it: letters and digits only (it goes into an attribute raw). */
static void leg_name(const char *party, char out[8])
{
	size_t o = 0;
	for (const char *p = party; *p && o + 1 < 8; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9'))
			out[o++] = *p;
	out[o] = '\0';
}

/* The lane of a party in l: a target leg ("B", "C", ...) gets the next target lane the
 * first time it is seen; "target" is the latest one. */
static int lane_for(struct ladder *l, const char *party)
{
	enum ladder_lane base = ladder_lane_of(party);
	if (base != LANE_TARGET)
		return base;
	if (strcmp(party, "target") == 0)
		return LANE_TARGET + (l->ntargets ? (int)l->ntargets - 1 : 0);
	char leg[8];
	leg_name(party, leg);
	for (size_t i = 0; i < l->ntargets; i++)
		if (strcmp(l->targets[i].leg, leg) == 0)
			return LANE_TARGET + (int)i;
	if (l->ntargets >= LADDER_MAX_TARGETS)
		return LANE_TARGET + LADDER_MAX_TARGETS - 1; /* the rest share the last lane */
	struct ladder_target *t = &l->targets[l->ntargets++];
	memcpy(t->leg, leg, sizeof(t->leg));
	t->to[0] = '\0';
	return LANE_TARGET + (int)(l->ntargets - 1);
}

static const char *str_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static struct ladder_msg *add(struct ladder *l, json_t *ev, int from, int to)
{
	if (l->n >= LADDER_MAX_MSGS) {
		l->dropped++;
		return NULL;
	}
	struct ladder_msg *m = &l->v[l->n++];
	memset(m, 0, sizeof(*m));
	m->t_ms = (int64_t)json_integer_value(json_object_get(ev, "t_ms"));
	m->from = from;
	m->to = to;
	snprintf(m->kind, sizeof(m->kind), "%s", str_of(ev, "kind"));
	return m;
}

/* The structured form (an event's "sip" object): from, to, method or status, headers. */
static bool from_structured(struct ladder *l, json_t *ev)
{
	json_t *s = json_object_get(ev, "sip");
	if (!json_is_object(s))
		return false;
	int from = lane_for(l, str_of(s, "from"));
	int to = lane_for(l, str_of(s, "to"));
	const char *method = json_string_value(json_object_get(s, "method"));
	struct ladder_msg *m = NULL;
	/* a dialled leg's INVITE is drawn once: its "call" event made the arrow, the
	 * structured event fills in the headers */
	if (method && strcmp(method, "INVITE") == 0)
		for (size_t i = l->n; i-- > 0 && !m;)
			if (strcmp(l->v[i].method, "INVITE") == 0 && l->v[i].to == to &&
			    strcmp(l->v[i].kind, "call") == 0)
				m = &l->v[i];
	bool merged = m != NULL;
	if (merged) { /* keeps its label, "INVITE <the URI>" */
		m->detail[0] = '\0';
		snprintf(m->kind, sizeof(m->kind), "%s", str_of(ev, "kind"));
	} else if (!(m = add(l, ev, from, to))) {
		return true;
	}
	m->status = (int)json_integer_value(json_object_get(s, "status"));
	snprintf(m->method, sizeof(m->method), "%s", method ? method : "");
	const char *frag = json_string_value(json_object_get(s, "body"));
	if (!merged && method && frag &&
	    strcmp(method, "NOTIFY") == 0) /* the sipfrag's status line */
		snprintf(m->label, sizeof(m->label), "NOTIFY %.*s", (int)strcspn(frag, "\r\n"),
		         frag);
	else if (!merged && method)
		snprintf(m->label, sizeof(m->label), "%s", method);
	else if (!merged)
		snprintf(m->label, sizeof(m->label), "%d %s", m->status, str_of(s, "reason"));
	size_t at = 0;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(s, "headers"), k, v)
	{
		int w = snprintf(m->detail + at, sizeof(m->detail) - at, "%s%s: %s", at ? "\n" : "",
		                 k, json_is_string(v) ? json_string_value(v) : "");
		if (w < 0 || (size_t)w >= sizeof(m->detail) - at)
			break;
		at += (size_t)w;
	}
	if (!at)
		snprintf(m->detail, sizeof(m->detail), "%s", str_of(ev, "text"));
	return true;
}

/* Copies the text after prefix (or the whole text) into out. */
static void after(char *out, size_t cap, const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);
	snprintf(out, cap, "%s", p ? p + strlen(prefix) : text);
}

/* Today's timeline: kind, leg, code and the text (emu_ev's wording). */
static void from_text(struct ladder *l, json_t *ev)
{
	const char *kind = str_of(ev, "kind"), *leg = str_of(ev, "leg"), *t = str_of(ev, "text");
	int code = (int)json_integer_value(json_object_get(ev, "code"));
	int party = lane_for(l, leg);
	struct ladder_msg *m = NULL;
	if (strcmp(kind, "call") == 0) {
		/* the parent leg comes in from the caller; a child leg is Twilio dialling out */
		bool in = party == LANE_CALLER;
		const char *to = strstr(t, " to ");
		struct ladder_target *tl = (struct ladder_target *)target_of(l, party);
		if (tl && to && !tl->to[0]) /* the lane's subtitle: the URI, not its headers */
			snprintf(tl->to, sizeof(tl->to), "%.*s", (int)strcspn(to + 4, " ?"),
			         to + 4);
		if ((m = add(l, ev, in ? LANE_CALLER : LANE_TWILIO, in ? LANE_TWILIO : party))) {
			snprintf(m->method, sizeof(m->method), "INVITE");
			snprintf(m->label, sizeof(m->label), "INVITE %.*s",
			         (int)strcspn(to ? to + 4 : t, " "), to ? to + 4 : t);
			snprintf(m->detail, sizeof(m->detail), "%s", t);
		}
	} else if (strcmp(kind, "webhook") == 0) {
		if ((m = add(l, ev, LANE_TWILIO, LANE_HANDOFF))) {
			/* "<why> METHOD URL": the last two words */
			const char *url = strrchr(t, ' ');
			const char *meth = url;
			while (meth && meth > t && meth[-1] != ' ')
				meth--;
			snprintf(m->method, sizeof(m->method), "%.*s",
			         url && meth ? (int)(url - meth) : 0, meth ? meth : "");
			const char *path = url ? strstr(url + 1, "://") : NULL;
			path = path ? strchr(path + 3, '/') : NULL;
			snprintf(m->label, sizeof(m->label), "%s %.*s", m->method,
			         (int)(path ? strcspn(path, "?") : 0), path ? path : "");
			snprintf(m->detail, sizeof(m->detail), "%s", t);
		}
	} else if (strcmp(kind, "answer") == 0) {
		if ((m = add(l, ev, LANE_HANDOFF, LANE_TWILIO))) {
			m->status = code;
			snprintf(m->label, sizeof(m->label), "%.*s", (int)strcspn(t, ","), t);
			snprintf(m->detail, sizeof(m->detail), "%s", t);
		}
	} else if (strcmp(kind, "sip") == 0) {
		if (strncmp(t, "REFER from ", 11) == 0) {
			if ((m = add(l, ev, party == LANE_CALLER ? LANE_AGENT : party,
			             LANE_TWILIO))) {
				snprintf(m->method, sizeof(m->method), "REFER");
				snprintf(m->label, sizeof(m->label), "REFER");
				after(m->detail, sizeof(m->detail), t, ", ");
			}
		} else if (strncmp(t, "REFER sent", 10) == 0) { /* <Refer> TwiML: Twilio sends it */
			if ((m = add(l, ev, LANE_TWILIO, party))) {
				snprintf(m->method, sizeof(m->method), "REFER");
				snprintf(m->label, sizeof(m->label), "REFER");
				after(m->detail, sizeof(m->detail), t, ", ");
			}
		} else if (strncmp(t, "REFER answered ", 15) == 0) {
			if ((m = add(l, ev, LANE_TWILIO,
			             party == LANE_CALLER ? LANE_AGENT : party))) {
				m->status = code;
				after(m->label, sizeof(m->label), t, "answered ");
			}
		} else if (strncmp(t, "NOTIFY ", 7) == 0) {
			if ((m = add(l, ev, LANE_TWILIO,
			             party == LANE_CALLER ? LANE_AGENT : party))) {
				snprintf(m->method, sizeof(m->method), "NOTIFY");
				const char *q = strchr(t, '"');
				snprintf(m->label, sizeof(m->label), "NOTIFY %.*s",
				         q ? (int)strcspn(q + 1, "\"") : 0, q ? q + 1 : "");
				snprintf(m->detail, sizeof(m->detail), "%s", t);
			}
		} else if (strncmp(t, "INVITE answered ", 16) == 0) {
			if ((m = add(l, ev, party, LANE_TWILIO))) {
				m->status = code;
				after(m->label, sizeof(m->label), t, "answered ");
			}
		} else if (strncmp(t, "INVITE ", 7) == 0) {
			/* the headers of the leg's INVITE: onto its arrow when there is one */
			for (size_t i = l->n; i-- > 0;)
				if (strcmp(l->v[i].method, "INVITE") == 0 && l->v[i].to == party) {
					after(l->v[i].detail, sizeof(l->v[i].detail), t,
					      "with headers ");
					return;
				}
			if ((m = add(l, ev, LANE_TWILIO, party))) {
				snprintf(m->method, sizeof(m->method), "INVITE");
				snprintf(m->label, sizeof(m->label), "INVITE");
				snprintf(m->detail, sizeof(m->detail), "%s", t);
			}
		} else if (strncmp(t, "BYE to ", 7) == 0) {
			char who[16];
			snprintf(who, sizeof(who), "%.*s", (int)strcspn(t + 7, " "), t + 7);
			if ((m = add(l, ev, LANE_TWILIO, lane_for(l, who)))) {
				snprintf(m->method, sizeof(m->method), "BYE");
				snprintf(m->label, sizeof(m->label), "BYE");
				snprintf(m->detail, sizeof(m->detail), "%s", t);
			}
		} else if (strncmp(t, "BYE from ", 9) == 0) {
			if ((m = add(l, ev, party, LANE_TWILIO))) {
				snprintf(m->method, sizeof(m->method), "BYE");
				snprintf(m->label, sizeof(m->label), "BYE");
				snprintf(m->detail, sizeof(m->detail), "%s", t);
			}
		} else if ((m = add(l, ev, party, party))) {
			snprintf(m->label, sizeof(m->label), "%s", t);
		}
	} else if (strcmp(kind, "status") == 0) {
		/* a dialled party's answer or failure travels back to Twilio */
		if (party == LANE_CALLER || strcmp(t, "queued") == 0 || strcmp(t, "initiated") == 0)
			return;
		if (strcmp(t, "completed") == 0 || strcmp(t, "canceled") == 0)
			return; /* the BYE or CANCEL already says it */
		if ((m = add(l, ev, party, LANE_TWILIO))) {
			if (strcmp(t, "in-progress") == 0) {
				m->status = 200;
				snprintf(m->label, sizeof(m->label), "200 OK (answered)");
			} else {
				snprintf(m->label, sizeof(m->label), "%s", t);
			}
		}
	} else if (strcmp(kind, "bridge") == 0 || strcmp(kind, "modelled") == 0 ||
	           strcmp(kind, "transfer") == 0 || strcmp(kind, "error") == 0 ||
	           strcmp(kind, "alert") == 0 || strcmp(kind, "hangup") == 0 ||
	           (strcmp(kind, "dial") == 0 &&
	            (strncmp(t, "<Uri>", 5) == 0 || strncmp(t, "<Sip> with", 10) == 0))) {
		/* dial: the order a <Sip>'s <Uri> are tried in, and each one passed over */
		int on = strcmp(kind, "hangup") == 0 ? party : LANE_TWILIO;
		if ((m = add(l, ev, on, on))) {
			m->modelled = strcmp(kind, "modelled") == 0;
			if (code && strcmp(kind, "transfer") && strcmp(kind, "dial"))
				snprintf(m->label, sizeof(m->label), "%s %d: %s", kind, code, t);
			else
				snprintf(m->label, sizeof(m->label), "%s: %s", kind, t);
			snprintf(m->detail, sizeof(m->detail), "%s", t);
		}
	}
}

void ladder_from_events(json_t *events, struct ladder *out)
{
	memset(out, 0, sizeof(*out));
	size_t i;
	json_t *ev;
	int64_t t0 =
	    (int64_t)json_integer_value(json_object_get(json_array_get(events, 0), "t_ms"));
	json_array_foreach(events, i, ev)
	{
		size_t before = out->n;
		if (!from_structured(out, ev))
			from_text(out, ev);
		for (size_t k = before; k < out->n; k++) /* times since the call began */
			out->v[k].t_ms -= t0;
	}
}

/* ---- the SVG ---- */

#define LANE_W      200 /* between lane centres */
#define LANE_W_MANY 170 /* the same with more than one target lane */
#define LEFT        90  /* the time column */
#define TOP         58  /* under the lane names and a target's URI */
#define ROW_H       30
#define NOTE_CUT    70 /* characters of a note's label drawn (the title has it all) */
#define TO_CUT      26 /* characters of a target lane's URI drawn */

static int lane_x(int lane, int w)
{
	return LEFT + w / 2 + lane * w;
}

static const char *css_token(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s && o + 1 < cap; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9'))
			out[o++] = *s;
	out[o] = '\0';
	return out;
}

/* data-from-leg="B" (or data-to-leg) for a target lane, "" for the others. */
static void leg_attr(const struct ladder *l, const char *which, int lane, char *out, size_t cap)
{
	const struct ladder_target *t = target_of(l, lane);
	out[0] = '\0';
	if (t)
		snprintf(out, cap, " data-%s-leg=\"%s\"", which,
		         t->leg); /* leg: a label, no quote */
}

void ladder_svg(const struct ladder *l, struct buf *out)
{
	int lanes = LANE_TARGET + (l->ntargets > 1 ? (int)l->ntargets : 1);
	int w = l->ntargets > 1 ? LANE_W_MANY : LANE_W;
	int width = LEFT + lanes * w + 10;
	int height = TOP + (int)l->n * ROW_H + 20;
	html_f(out,
	       "<svg class=\"ladder\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	       "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"SIP ladder\">"
	       "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
	       "markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" "
	       "orient=\"auto-start-reverse\">"
	       "<path class=\"head\" d=\"M0,0 L10,5 L0,10 z\"/></marker></defs>",
	       width, height, width, height);
	for (int i = 0; i < lanes; i++) {
		int x = lane_x(i, w);
		char title[LADDER_LANE_TITLE_MAX], cls[LADDER_LANE_TITLE_MAX];
		ladder_lane_title(l, i, title);
		html_f(out,
		       "<g class=\"lane lane-%s\"><text class=\"lane-name\" x=\"%d\" "
		       "y=\"20\">%s</text>",
		       css_token(ladder_lane_name(i), cls, sizeof(cls)), x, title);
		const struct ladder_target *t = target_of(l, i);
		if (t && t->to[0]) {
			char cut[TO_CUT + 4];
			snprintf(cut, sizeof(cut), "%.*s%s", TO_CUT, t->to,
			         strlen(t->to) > TO_CUT ? "…" : "");
			html_f(
			    out,
			    "<text class=\"lane-to\" x=\"%d\" y=\"35\"><title>%s</title>%s</text>",
			    x, t->to, cut);
		}
		html_f(out, "<line x1=\"%d\" y1=\"42\" x2=\"%d\" y2=\"%d\"/></g>", x, x,
		       height - 10);
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct ladder_msg *m = &l->v[i];
		int y = TOP + (int)i * ROW_H + 14;
		char t[32], kind[16], status[12], fleg[32], tleg[32];
		snprintf(t, sizeof(t), "+%lld.%03llds", (long long)(m->t_ms / 1000),
		         (long long)(m->t_ms % 1000));
		snprintf(status, sizeof(status), "%d", m->status);
		leg_attr(l, "from", m->from, fleg, sizeof(fleg));
		leg_attr(l, "to", m->to, tleg, sizeof(tleg));
		html_f(out,
		       "<g class=\"msg k-%s%r\" data-method=\"%s\" data-status=\"%s\" "
		       "data-from=\"%s\" data-to=\"%s\"%r%r><title>%s%r%s</title>"
		       "<text class=\"t\" x=\"6\" y=\"%d\">%s</text>",
		       css_token(m->kind, kind, sizeof(kind)), m->modelled ? " modelled" : "",
		       m->method, m->status ? status : "", ladder_lane_name(m->from),
		       ladder_lane_name(m->to), fleg, tleg, m->label, m->detail[0] ? "\n" : "",
		       m->detail, y + 4, t);
		int x1 = lane_x(m->from, w), x2 = lane_x(m->to, w);
		if (m->from == m->to) { /* a note on the lane */
			char cut[NOTE_CUT + 4];
			snprintf(cut, sizeof(cut), "%.*s%s", NOTE_CUT, m->label,
			         strlen(m->label) > NOTE_CUT ? "…" : "");
			html_f(out,
			       "<circle cx=\"%d\" cy=\"%d\" r=\"4\"/><text class=\"note\" x=\"%d\" "
			       "y=\"%d\">%s</text></g>",
			       x1, y, x1 + 9, y + 4, cut);
			continue;
		}
		int mid = (x1 + x2) / 2;
		html_f(
		    out,
		    "<line class=\"arrow\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "marker-end=\"url(#arrow)\"/><text class=\"label\" x=\"%d\" y=\"%d\">%s</text>"
		    "</g>",
		    x1, y, x2, y, mid, y - 5, m->label);
	}
	buf_adds(out, "</svg>");
}

json_t *ladder_json(const struct ladder *l)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < l->n; i++) {
		const struct ladder_msg *m = &l->v[i];
		char ft[LADDER_LANE_TITLE_MAX], tt[LADDER_LANE_TITLE_MAX];
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "t_ms",
		                      (json_int_t)m->t_ms, "kind", m->kind, "from",
		                      ladder_lane_name(m->from), "to", ladder_lane_name(m->to),
		                      "from_lane", ladder_lane_title(l, m->from, ft), "to_lane",
		                      ladder_lane_title(l, m->to, tt), "method", m->method, "label",
		                      m->label, "detail", m->detail);
		json_object_set_new(o, "status", m->status ? json_integer(m->status) : json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

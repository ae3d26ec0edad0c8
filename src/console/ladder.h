/* ladder: a call's SIP ladder (caller, Twilio, agent, handoff, and a lane for each target the
 * transfer dialled: one, or each failover route in turn): the arrows derived from the
 * engine's timeline, and the SVG the server draws from them. */
#ifndef HANDOFF_CONSOLE_LADDER_H
#define HANDOFF_CONSOLE_LADDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define LADDER_MAX_MSGS       160 /* arrows and notes drawn; the rest are counted */
#define LADDER_LABEL_MAX      120
#define LADDER_DETAIL_MAX     600
#define LADDER_MAX_TARGETS    6  /* target lanes: a route and its failover routes, and more */
#define LADDER_LANE_TITLE_MAX 24 /* "target B" */

/* The lanes; target legs after the first get lanes LANE_TARGET + 1, + 2, ... in the order
 * they were dialled (LADDER_MAX_LANES in all; legs past that share the last). */
enum ladder_lane { LANE_CALLER, LANE_TWILIO, LANE_AGENT, LANE_HANDOFF, LANE_TARGET, LANE__COUNT };
#define LADDER_MAX_LANES (LANE_TARGET + LADDER_MAX_TARGETS)

/* One arrow (from != to) or a note on one lane (from == to). */
struct ladder_msg {
	int64_t t_ms;    /* since the call began */
	int from, to;    /* lanes: an enum ladder_lane, or a later target lane */
	char method[16]; /* "INVITE", "REFER", "NOTIFY", "BYE", "POST", ...; "" for a response */
	int status;      /* a response's status (202, 200, 486), or 0 */
	char kind[16];   /* the timeline event's kind: "sip", "webhook", "answer", "bridge", ... */
	char label[LADDER_LABEL_MAX];
	char detail[LADDER_DETAIL_MAX]; /* headers, Refer-To, the URL: the arrow's tooltip */
	bool modelled;                  /* a modelled choice (a note) */
};

/* A target lane: the leg ("B", "C", ...) and what it dialled (its URI without the header
 * part, from its leg's event; "" when the timeline did not say). */
struct ladder_target {
	char leg[8];
	char to[LADDER_LABEL_MAX];
};

struct ladder {
	struct ladder_msg v[LADDER_MAX_MSGS];
	size_t n;
	size_t dropped;
	struct ladder_target targets[LADDER_MAX_TARGETS]; /* lanes LANE_TARGET + i */
	size_t ntargets;
};

/* The lane a party of the timeline stands on: "caller", "twilio", "agent", "handoff" (or
 * "app"), a leg label ("P" caller, "A" agent, others the target). */
enum ladder_lane ladder_lane_of(const char *party);
/* "caller", "Twilio", "agent", "handoff", "target" (every target lane). */
const char *ladder_lane_name(int lane);
/* What a lane is called on the drawing: its name, or "target B" when the call dialled more
 * than one target. out has LADDER_LANE_TITLE_MAX bytes; returns it. */
const char *ladder_lane_title(const struct ladder *l, int lane, char *out);

/* Derives the arrows from a timeline (emu_events_json's array). Events that carry a
 * structured "sip" object ({"from", "to", "method", "status", "headers", ...}) are drawn
 * from it; the others from their kind, leg, code and text. Each target leg gets its lane;
 * a <Sip>'s <Uri> order and each route passed over are notes on Twilio's. */
void ladder_from_events(json_t *events, struct ladder *out);

/* The ladder as an inline <svg> (classes only, no style attributes, every text escaped);
 * each arrow is a <g class="msg" data-method=".." data-status=".." data-from=".." data-to="..">
 * with a <title> (data-from-leg / data-to-leg name a target lane's leg). */
void ladder_svg(const struct ladder *l, struct buf *out);

/* The same arrows as JSON [{"t_ms", "from", "to", "from_lane", "to_lane", "method",
 * "status", "label", "detail"}] (from/to the lane names; *_lane their titles). */
json_t *ladder_json(const struct ladder *l);

#endif

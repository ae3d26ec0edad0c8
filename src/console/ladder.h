/* ladder: a call's SIP ladder (caller, Twilio, agent, handoff, target): the arrows derived
 * from the engine's timeline, and the SVG the server draws from them. */
#ifndef HANDOFF_CONSOLE_LADDER_H
#define HANDOFF_CONSOLE_LADDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define LADDER_MAX_MSGS   160 /* arrows and notes drawn; the rest are counted */
#define LADDER_LABEL_MAX  120
#define LADDER_DETAIL_MAX 600

enum ladder_lane { LANE_CALLER, LANE_TWILIO, LANE_AGENT, LANE_HANDOFF, LANE_TARGET, LANE__COUNT };

/* One arrow (from != to) or a note on one lane (from == to). */
struct ladder_msg {
	int64_t t_ms; /* since the call began */
	enum ladder_lane from, to;
	char method[16]; /* "INVITE", "REFER", "NOTIFY", "BYE", "POST", ...; "" for a response */
	int status;      /* a response's status (202, 200, 486), or 0 */
	char kind[16];   /* the timeline event's kind: "sip", "webhook", "answer", "bridge", ... */
	char label[LADDER_LABEL_MAX];
	char detail[LADDER_DETAIL_MAX]; /* headers, Refer-To, the URL: the arrow's tooltip */
	bool modelled;                  /* a modelled choice (a note) */
};

struct ladder {
	struct ladder_msg v[LADDER_MAX_MSGS];
	size_t n;
	size_t dropped;
};

/* The lane a party of the timeline stands on: "caller", "twilio", "agent", "handoff" (or
 * "app"), a leg label ("P" caller, "A" agent, others the target). */
enum ladder_lane ladder_lane_of(const char *party);
const char *ladder_lane_name(enum ladder_lane l);

/* Derives the arrows from a timeline (emu_events_json's array). Events that carry a
 * structured "sip" object ({"from", "to", "method", "status", "headers", ...}) are drawn
 * from it; the others from their kind, leg, code and text. */
void ladder_from_events(json_t *events, struct ladder *out);

/* The ladder as an inline <svg> (classes only, no style attributes, every text escaped);
 * each arrow is a <g class="msg" data-method=".." data-status=".."> with a <title>. */
void ladder_svg(const struct ladder *l, struct buf *out);

/* The same arrows as JSON [{"t_ms", "from", "to", "method", "status", "label", "detail"}]. */
json_t *ladder_json(const struct ladder *l);

#endif

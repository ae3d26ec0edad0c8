/* emu_sipfront: the emulator's real SIP front door: the SIP adapter (net/sip.h) wired to the
 * call engine as its sink and dialer, and the engine entry points the adapter's REFERs,
 * INVITEs, hang-ups and wire records go to. */
#ifndef HANDOFF_EMU_SIP_FRONT_H
#define HANDOFF_EMU_SIP_FRONT_H

#include <jansson.h>
#include <stddef.h>

#include "emulator/engine.h"

#define EMU_SIPFRONT_HANGUP_WAIT_MS 660000 /* a hang-up waits for the call's transfer (ring) */
#define EMU_SIPFRONT_MAX_RECORDS    65536  /* wire messages waiting for the timeline */
#define EMU_SIPFRONT_RECORD_WAIT_MS 5000   /* one whose call is not made yet is kept so long */
#define EMU_SIPFRONT_DOMAIN_SUFFIX  ".sip.twilio.com" /* a Request-URI host naming a SIP domain */

/* A new INVITE to the front door. */
struct emu_sipfront_invite {
	const char *sid;     /* the CallSid the call must get (the adapter's dialog knows it) */
	const char *from;    /* the From user (e.g. "+14155550100") */
	const char *to;      /* the Request-URI user: a number (or SIP domain user) */
	const char *profile; /* the Request-URI's ;profile= (twilio-voice, twilio-trunk, plivo) */
	/* the SIP domain the INVITE is for: the Request-URI's host when it ends in
	 * .sip.twilio.com, else its ;domain= parameter (the loopback form), else NULL (a number) */
	const char *domain;
	const char *from_uri;        /* the From header's URI */
	const char *call_id;         /* the INVITE's Call-ID */
	const char *source_ip;       /* "127.0.0.1" */
	const struct emu_params *xh; /* its X- headers */
};

struct emu_sipfront_config {
	const char *listen; /* ADDR:PORT, UDP and TCP */
	struct emu_engine *eng;
	void *ctx;
	/* Makes the call an inbound INVITE starts (spec.sid = inv->sid): 0, ENOENT (no such
	 * number: 404), E2BIG or EBUSY (503), a SIP code 300..699 to answer it, another errno
	 * (500). Runs on a worker. */
	int (*create)(void *ctx, const struct emu_sipfront_invite *inv);
	/* Optional: a REFER that came over SIP ran; out is emu_refer's answer (borrowed). */
	void (*refer_done)(void *ctx, const char *leg_sid, json_t *out);
};

struct emu_sipfront;

/* Starts the adapter and installs the sink and the dialer in the engine. 0, or an errno
 * (ENOTSUP: built without SIP) with err filled; *out written only on success. */
int emu_sipfront_start(const struct emu_sipfront_config *cfg, struct emu_sipfront **out, char *err,
                       size_t errlen);
/* "127.0.0.1:5080" */
const char *emu_sipfront_addr(const struct emu_sipfront *f);
/* Takes the sink and dialer out of the engine, hangs up every dialog and wakes every
 * blocked dial; call before the threads that use the engine stop. */
void emu_sipfront_stop(struct emu_sipfront *f);
/* Frees it (stopping first); no engine call may be inside the front door any more. */
void emu_sipfront_free(struct emu_sipfront *f);

#endif

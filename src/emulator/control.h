/* emu_control: the emulator's control endpoints (/emulator/calls...) over the call engine, attached
 * to the REST twin. */
#ifndef HANDOFF_EMU_CONTROL_H
#define HANDOFF_EMU_CONTROL_H

#include <stddef.h>

#include "emulator/engine.h"
#include "emulator/rest.h"

#define EMU_CONTROL_MAX_PATH      256 /* longest control path handled */
#define EMU_CONTROL_MAX_SIP_USER  128 /* a SIP domain user (sip:USER@...) */
#define EMU_CONTROL_MAX_RUNNING   64  /* Calls.json calls running on their own threads at once */
#define EMU_CONTROL_BUSY_TRIES    250 /* an update waits for a webhook in flight: tries, */
#define EMU_CONTROL_BUSY_SLEEP_MS 20  /* this far apart (5 s in all) */

struct emu_control;

/* Creates the engine behind the control endpoints: real clock, the live fetcher,
 * webhooks signed with auth_token (copied: the caller may wipe its own at once), the REST
 * twin's account SID. cfg_rules may be NULL (defaults). 0 or an errno value; *out
 * is written only on success. Free with emu_control_free after the server stopped. */
int emu_control_new(struct emu_rest *rest, const char *auth_token, struct emu_control **out);
void emu_control_free(struct emu_control *c);

/* The engine, e.g. to swap its fetcher in tests (owned by the control). */
struct emu_engine *emu_control_engine(struct emu_control *c);

/* Attaches the control endpoints and the Calls.json runner to the twin
 * (emu_rest_set_hooks). Call before the server starts.
 *
 *   POST /emulator/calls                 From, To [, Profile]: a caller dials a provisioned
 *                                         number; its Voice URL runs (or its trunk's
 *                                         transfer settings apply). 201, the call's JSON.
 *                                         To sip:USER@NAME.sip.twilio.com calls a SIP
 *                                         domain user (emu_control_dial_domain), with
 *                                         SipCallId and SipHeader_X-... optional
 *   GET  /emulator/calls/{CA}            the call's JSON (legs, connected)
 *   POST /emulator/calls/{CA}/refer      ReferTo, Target (answer|busy|no-answer|fail),
 *                                         SipHeader_X-...: 200 {"sip_response", "notify",
 *                                         "legs", "connected"}
 *   POST /emulator/calls/{CA}/hangup     the party on that leg hangs up: the call's JSON
 *   GET  /emulator/calls/{CA}/events     the timeline
 *   POST /emulator/parties               Address, Answer (answer|busy|no-answer|fail),
 *                                         AfterMs: what a called party does (GET lists,
 *                                         DELETE forgets); default: it answers at once
 *
 * A Calls.json POST is answered "queued" (as Twilio does) and the call then runs on its
 * own thread: it rings its To for the party's AfterMs (Timeout for no-answer) in real
 * time, so an update can cancel it meanwhile, and only an answer runs its TwiML;
 * emu_control_free stops those waits and waits for the threads. POST and DELETE
 * .../Calls/{CA}.json reach the engine (emu_call_update, emu_call_deletable). Every leg
 * is also published as a Call resource of the twin (Calls.json). */
void emu_control_attach(struct emu_control *c, struct emu_rest *rest);

/* Tells the engine's fetcher where the emulator listens (host as in --listen, port as
 * bound), so a webhook pointing there is refused instead of fetched. */
void emu_control_set_listener(struct emu_control *c, const char *host, int port);
/* A SIP INVITE for `to` (a provisioned number, '+' optional) from `from` starts a call with
 * CallSid sid, as POST /emulator/calls does (profile: the Request-URI's ;profile=, or NULL:
 * the number's trunk, else twilio-voice); its legs are published. 0, ENOENT (no such number,
 * or no VoiceUrl), EINVAL (bad profile), E2BIG (too many calls). */
int emu_control_dial_in(struct emu_control *c, const char *from, const char *to,
                        const char *profile, const char *sid);
/* A call to a SIP domain user (an INVITE to sip:USER@NAME.sip.twilio.com). */
struct emu_control_sip_in {
	const char *sid;                  /* the CallSid it must get, or NULL: a new one */
	const char *from;                 /* the From header's URI (From, Caller) */
	const char *user;                 /* the Request-URI's user */
	const char *domain;               /* the domain's DomainName */
	const char *call_id;              /* SipCallId, or NULL: a new one */
	const char *source_ip;            /* SipSourceIp, or NULL: 127.0.0.1 */
	const struct emu_params *headers; /* the INVITE's X- headers (SipHeader_<name>), or NULL */
};
/* Starts that call: the domain's Voice URL runs with To and Called sip:USER@DOMAIN, and
 * SipDomain, SipDomainSid, SipCallId, SipSourceIp, SipHeader_X-... on the parent leg's
 * webhooks (twilio-facts 4.2); its legs are published; its CallSid in sid_out (may be NULL).
 * 0, ENOENT (no such domain, or no VoiceUrl), EINVAL, E2BIG (too many calls). */
int emu_control_dial_domain(struct emu_control *c, const struct emu_control_sip_in *in,
                            char *sid_out);
/* Publishes the call holding leg_sid to the REST twin (after a REFER over SIP). */
void emu_control_publish_leg(struct emu_control *c, const char *leg_sid);

#endif

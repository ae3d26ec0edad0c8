/* emu_engine: the emulator's call engine: legs, TwiML execution, the three REFER profiles, the
 * timeline. */
#ifndef HANDOFF_EMU_ENGINE_H
#define HANDOFF_EMU_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMU_SID_LEN              34   /* "CA" + 32 hex */
#define EMU_ENG_MAX_CALLS        1024 /* calls alive in one engine (finished ones do not count) */
#define EMU_ENG_KEEP_FINISHED    1000 /* finished calls kept readable (then the oldest go) */
#define EMU_ENG_KEEP_FINISHED_S  1800 /* ... for at most 30 minutes (real clock only) */
#define EMU_ENG_MAX_LEGS         32   /* legs in one call (parent + children) */
#define EMU_ENG_MAX_EVENTS       512  /* timeline events kept per call (then counted as dropped) */
#define EMU_ENG_MAX_REDIRECTS    10   /* <Redirect> chain depth */
#define EMU_ENG_MAX_DOCS         32   /* TwiML documents executed per call */
#define EMU_ENG_MAX_NOUNS        10   /* nouns dialled by one <Dial> */
#define EMU_ENG_MAX_PARAMS       96   /* parameters on one webhook */
#define EMU_ENG_MAX_REFER_TO     256  /* Twilio's Refer-To limit */
#define EMU_ENG_MAX_OUTCOMES     32   /* scripted dial outcomes per call */
#define EMU_ENG_MAX_DIGITS       16   /* scripted <Gather> answers per call */
#define EMU_ENG_MAX_STEPS_VERBS  1000 /* verbs executed per call (loop guard) */
#define EMU_ENG_MAX_URIS         10   /* <Uri> children dialled by one <Sip> (more: 13250) */
#define EMU_ENG_MAX_TARGETS      10   /* outcomes one REFER scripts (failover: one per party) */
#define EMU_ENG_MAX_STREAMS      8    /* media streams (<Connect>/<Start><Stream>) per call */
#define EMU_ENG_MAX_TIMEOUT_S    600  /* Calls.json Timeout (seconds of ringing) */
#define EMU_ENG_DEF_TIMEOUT_S    60   /* its default */
#define EMU_SIP_MAX_CALL_ID      128  /* a SIP Call-ID the engine keeps */
#define EMU_ENG_SIP_BUSY_WAIT_MS 5000 /* a REFER over SIP waits so long for a busy call */
#define EMU_FETCH_TIMEOUT_MS     15000
#define EMU_FETCH_MAX_BODY       (64 * 1024)

enum emu_profile { EMU_TWILIO_VOICE, EMU_TWILIO_TRUNK, EMU_PLIVO };
enum emu_clock { EMU_CLOCK_VIRTUAL, EMU_CLOCK_REAL };
/* What a dialled party does when it is rung. */
enum emu_outcome { EMU_ANSWER, EMU_BUSY, EMU_NO_ANSWER, EMU_FAIL };

/* Names as Twilio writes them; NULL for an out-of-range value. */
const char *emu_profile_name(enum emu_profile p);
const char *emu_outcome_name(enum emu_outcome o);
/* The reason phrase of a SIP status code (RFC 3261), "Unknown" when not in the table. */
const char *emu_sip_reason(int code);
/* Parses a name; returns 0 or EINVAL. */
int emu_profile_parse(const char *s, enum emu_profile *out);
int emu_outcome_parse(const char *s, enum emu_outcome *out);
/* Parses a comma-separated list of outcomes ("busy,answer") into out (at most max);
 * writes the count to *n. 0, EINVAL (a bad or empty name), E2BIG (more than max). */
int emu_outcomes_parse(const char *s, enum emu_outcome *out, size_t max, size_t *n);

/* One name=value pair of a webhook; a list owns its strings. */
struct emu_param {
	char *name, *value;
};
struct emu_params {
	struct emu_param *v;
	size_t n;
};
/* Appends a copy (E2BIG past EMU_ENG_MAX_PARAMS, then nothing is added). */
int emu_params_add(struct emu_params *p, const char *name, const char *value);
/* The value of the first parameter called name, or NULL. */
const char *emu_params_get(const struct emu_params *p, const char *name);
void emu_params_free(struct emu_params *p);

/* A webhook the engine wants answered. */
struct emu_fetch_req {
	const char *method; /* "GET" or "POST" */
	const char *url;    /* absolute; for GET it already carries params as its query */
	const struct emu_params *params;
	const char *signature; /* X-Twilio-Signature it carries, or NULL without a signer */
};
/* The answer. The fetcher fills it; content_type and body are malloc'd (or NULL)
 * and the engine frees them. error is 0 or the Twilio code of a transport failure
 * (11200 unreachable, 11205 timeout, 11210 bad host, 11215 redirects, 11206 ...).
 * delay_ms is how long the answer took (advances the virtual clock; from 15000 on
 * the engine counts a timeout, 11205). */
struct emu_fetch_res {
	int status;
	char *content_type;
	char *body;
	size_t body_len;
	int error;
	unsigned delay_ms;
	const char *why; /* with error: a static reason for the timeline, or NULL */
};
/* The injected HTTP side: an inline table (flow files) or a live client.
 * fetch returns 0, or an errno value (counted as 11200). Called WITHOUT the engine
 * lock (other calls go on meanwhile; the call it serves is busy); it must not call
 * back into the engine for that call. May run on several threads at once. */
struct emu_fetcher {
	void *ctx;
	int (*fetch)(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res);
};
/* Optional: computes X-Twilio-Signature for a request to url with params (NULL
 * for a GET, whose url holds them) into out (NUL-terminated); 0 or an errno value. */
struct emu_signer {
	void *ctx;
	int (*sign)(void *ctx, const char *url, const struct emu_params *params, char *out,
	            size_t outlen);
};

/* The modelled choices (transfer-model.md): each has a name, a default value and
 * a line of help; engine options override the value, and every use is recorded in
 * the timeline as an event of kind "modelled". Table order = enum order. */
enum emu_rule_id {
	EMU_R_CONF_REFER,        /* SIP answer to REFER on a Conference/Queue dial */
	EMU_R_REFER_TO_LONG,     /* SIP answer when Refer-To > 256 */
	EMU_R_NO_REFERURL,       /* NOTIFY code after 202 when Dial had no referUrl */
	EMU_R_CALLSID_PARENT,    /* referUrl webhook CallSid: 1 parent, 0 referring leg */
	EMU_R_REFER_XHEADERS,    /* X- headers on the REFER become SipHeader_* (1/0) */
	EMU_R_NO_DIAL_DONE,      /* answer without <Dial>: done at the first verb (1/0) */
	EMU_R_AOB_FALSE_FAILURE, /* NOTIFY code when referUrl fails and answerOnBridge=false */
	EMU_R_SKIP_DIAL_ACTION,  /* a transfer replaces the document: old Dial action skipped */
	EMU_R_TRUNK_REFUSED,     /* SIP answer for 32218 (TransferMode) */
	EMU_R_TRUNK_EMERGENCY,   /* SIP answer for 911/933 targets */
	EMU_R_PLIVO_REFUSED,     /* SIP answer when the Refer-To is refused */
	EMU_R_PLIVO_FAIL_NOTIFY, /* NOTIFY code when the target fails (not busy/no-answer) */
	EMU_R_RING_MS,           /* virtual ms a target rings before answering or busy */
	EMU_R_VERB_MS,           /* virtual ms a Say/Play takes */
	EMU_R_SIP_NO_ANSWER_S,   /* trunk/plivo: seconds before a target counts as no-answer */
	EMU_R_REJECT_STATUS,     /* <Reject reason="rejected">: 1 status busy, 0 failed */
	EMU_R_SIP_URI_OVER_TEXT, /* <Sip> with text and <Uri> children: 1 dials the <Uri>s */
	EMU_R_SIP_URI_ORDER,     /* <Uri> order: 1 priority then weight (seeded), 0 as written */
	EMU_R_SIP_URI_BUSY_NEXT, /* a busy <Uri>: 1 the next is tried, 0 the <Sip> ends busy */
	EMU_R_SIP_PLUS_SPACE,    /* a '+' in a <Sip> URI header value arrives as a space (1/0) */
	EMU_R_API_SKIP_ACTION,   /* a REST update leaves a <Dial>/<Connect> without its action */
	EMU_R_API_CANCEL_LIVE,   /* Twilio code for Status=canceled on a call in progress */
	EMU_R_API_RINGING,       /* Url/Twiml on a ringing call: runs when it answers (1/0) */
	EMU_R_API_DELETE_LIVE,   /* Twilio code for DELETE of a call that has not ended */
	EMU_R_STOP_UNNAMED,      /* <Stop><Stream> without a name stops every <Start> stream */
	EMU_R_API_DONE_RINGING,  /* Status=completed on a ringing call: 1 canceled, 0 completed */
	EMU_R_API_BAD_TWIML,     /* an update's Twiml that does not parse: 1 refused, 0 fails */
	EMU_R_STREAM_TS,         /* a stream callback's Timestamp: 1 ISO 8601, 0 RFC 2822 */
	EMU_R_TRUNK_BYE_WAIT_S,  /* trunk, over real SIP: seconds Twilio waits for the transferor's
	                            BYE */
	EMU_R_REFER_REPLACES, /* SIP answer to a REFER whose Refer-To carries Replaces (0: blind) */
	EMU_R_TRUNK_PSTN_NOT_TEL, /* SIP answer when a trunk's PSTN target is not tel:+E164 */
	EMU_R_SIP_DOMAIN_UNKNOWN, /* SIP answer to an INVITE for a domain the account lacks */
	EMU_R__COUNT
};
struct emu_rule {
	const char *name;
	int def;
	const char *help;
};
extern const struct emu_rule emu_rules[EMU_R__COUNT];
/* The rule called name, or -1. */
int emu_rule_find(const char *name);

/* Engine settings (copied by emu_engine_new). */
struct emu_config {
	enum emu_clock clock;
	const char *account_sid; /* NULL: a fixed test SID */
	uint64_t seed;           /* SIDs are drawn from it (virtual clock: reproducible) */
	struct emu_fetcher fetcher;
	struct emu_signer signer; /* sign NULL: webhooks carry no signature */
	int rules[EMU_R__COUNT];  /* filled from emu_rules by emu_config_init */
	size_t max_calls;         /* calls alive; 0: EMU_ENG_MAX_CALLS */
	size_t keep_finished;     /* 0: EMU_ENG_KEEP_FINISHED */
};
/* Fills defaults (virtual clock, default rules). */
void emu_config_init(struct emu_config *cfg);

struct emu_engine;
/* Creates an engine; *out is written only on success (0). Free with emu_engine_free
 * once no entry point is running. Every entry point takes the engine's one lock; a
 * webhook fetch runs with it released. */
int emu_engine_new(const struct emu_config *cfg, struct emu_engine **out);
void emu_engine_free(struct emu_engine *e);

/* Trunk settings (twilio-trunk profile). */
enum emu_trunk_mode { EMU_XFER_DISABLE_ALL, EMU_XFER_ENABLE_ALL, EMU_XFER_SIP_ONLY };
enum emu_trunk_cid { EMU_CID_TRANSFEREE, EMU_CID_TRANSFEROR };

/* A dialled address's scripted outcome (twilio-voice dials outside a REFER). */
struct emu_dial_outcome {
	const char *address; /* as written in the noun, e.g. "sip:agent@pbx.example.com" */
	enum emu_outcome outcome;
};

/* A new call. Strings are copied. */
struct emu_call_spec {
	enum emu_profile profile;
	const char *from, *to;
	/* twilio-voice: the number's Voice URL (fetched with voice_method, default POST),
	 * or inline TwiML run as if fetched from voice_url (twiml wins when both are set). */
	const char *voice_url, *voice_method, *twiml;
	/* twilio-trunk: termination (PBX -> PSTN) or origination (PSTN -> PBX). */
	bool trunk_origination;
	enum emu_trunk_mode transfer_mode;
	enum emu_trunk_cid transfer_caller_id;
	/* plivo: inbound (caller dialled the Plivo number) or outbound (endpoint dialled). */
	bool plivo_outbound;
	const char *plivo_domain_suffix;    /* NULL: ".zt.plivo.com" */
	const char *const *plivo_countries; /* NULL-terminated calling codes; NULL = all */
	/* host -> address for Refer-To hosts (NULL-terminated pairs), to model DNS */
	const char *const *plivo_dns;
	const struct emu_dial_outcome *outcomes;
	size_t noutcomes;
	const char *const *digits; /* scripted <Gather> answers, NULL-terminated */
	const int *rules;          /* per-call rule overrides (EMU_R__COUNT), or NULL */
	const char *sid;           /* the parent's CallSid (CA + 32 hex), or NULL: a new one */
	const char *direction;     /* the parent's Direction, or NULL: the profile's default */
	/* the call's own status callback (Calls.json StatusCallback, StatusCallbackMethod,
	 * StatusCallbackEvent: space-separated, default "completed"), or NULL */
	const char *status_callback, *status_callback_method, *status_callback_event;
	/* An outbound-api call (Calls.json): the parent leg rings `to` first, and voice_url
	 * (Twilio's Url, fetched with CallStatus=in-progress) or twiml runs only when the
	 * called party answers; busy, no answer (after timeout_s) and failure end the call
	 * with that status and no TwiML. */
	bool outbound;
	enum emu_outcome answer;  /* what the called party does */
	unsigned answer_after_ms; /* how long it rings first; 0: the clock.ring-ms rule */
	unsigned timeout_s;       /* Timeout; 0: EMU_ENG_DEF_TIMEOUT_S */
	bool hold_ringing;        /* leave it ringing: emu_call_ring_end decides (real clock) */
	/* A SIP-originated call (an INVITE to a SIP domain): parameters every webhook of the
	 * parent leg carries after the standard ones (SipDomain, SipDomainSid, SipCallId,
	 * SipSourceIp, SipHeader_X-...), or NULL */
	const struct emu_params *sip_params;
};

/* Replaces the fetcher (e.g. an inline one in tests); takes the lock. */
void emu_engine_set_fetcher(struct emu_engine *e, const struct emu_fetcher *f);

/* Creates a call and runs it until it waits (bridged, ended). Writes the parent
 * leg's SID to sid_out (EMU_SID_LEN + 1 bytes). 0, EINVAL (bad spec), E2BIG (too
 * many calls alive). Finished calls stay readable (emu_call_json, emu_events_json) until
 * more than EMU_ENG_KEEP_FINISHED have finished, or, on the real clock, for
 * EMU_ENG_KEEP_FINISHED_S after they ended; then they are freed, oldest first. */
int emu_call_create(struct emu_engine *e, const struct emu_call_spec *spec, char *sid_out);

/* One SIP message as the timeline records it. Every event of kind "sip" carries one as an
 * additive object (its "text" and other fields stay as they are):
 *   "sip": {"dir": "in"|"out" (as seen by the emulator), "from": party, "to": party,
 *           "method": "REFER"|"NOTIFY"|"INVITE"|"BYE"|"ACK"|"CANCEL"|... or null (a response),
 *           "status": 202 or null (a request), "reason": "Accepted" or null,
 *           "call_id": "...", "cseq": 101 or null, "cseq_method": "REFER" or null,
 *           "headers": {"Refer-To", "Referred-By", "Event", "Subscription-State",
 *                       "Content-Type", "User-to-User", "X-...", ...: the ones that matter},
 *           "body": the sipfrag ("SIP/2.0 100 Trying\r\n") or null,
 *           "wire": true when it crossed a real SIP socket (then also "transport": "udp"|"tcp",
 *                   "local", "remote": "ADDR:PORT"), false when only modelled}
 * Parties are named as the engine names them: "caller", "agent", a leg's label ("B"), and
 * "twilio" for the emulator itself. Webhook events carry "from": "twilio", "to": "app" (their
 * answers the reverse). On the JSON control path the Call-ID is made up from the leg's SID
 * ("<32 hex>@emulator") and CSeqs are counted per leg; over real SIP they are the wire's. */
struct emu_sip_msg {
	bool in;                          /* received by the emulator */
	const char *method;               /* a request's method, NULL for a response */
	int status;                       /* a response's code, 0 for a request */
	const char *reason;               /* a response's reason phrase, or NULL */
	const char *call_id;              /* or NULL */
	uint32_t cseq;                    /* 0: none */
	const char *cseq_method;          /* or NULL */
	const struct emu_params *headers; /* or NULL */
	const char *body;                 /* or NULL */
	const char *transport;            /* over real SIP: "udp", "tcp"; NULL when modelled */
	const char *local, *remote;       /* over real SIP: "ADDR:PORT", else NULL */
	int64_t at_ms;                    /* when it crossed the socket (Unix ms), 0: now */
};

/* The called party of an outbound call created with hold_ringing does o now (answer: the
 * TwiML runs until the call waits). 0; ENOENT (no such call); EALREADY (it is not ringing
 * any more: canceled or hung up meanwhile); EBUSY (serving a webhook). */
int emu_call_ring_end(struct emu_engine *e, const char *sid, enum emu_outcome o);

/* The status of leg sid as Twilio writes it ("ringing", "in-progress", ...) into out
 * (16 bytes). 0 or ENOENT. */
int emu_leg_status(struct emu_engine *e, const char *sid, char out[16]);

/* A change to a live call through the REST API (POST .../Calls/{CA}.json). */
struct emu_update {
	const char *url, *method; /* new TwiML fetched from url (method: GET or POST) */
	const char *twiml;        /* or inline TwiML (wins over url) */
	const char *status;       /* "completed" or "canceled" (wins over both), or NULL */
	bool target_set;          /* what every party the new TwiML dials does */
	enum emu_outcome target;
};
/* Why an update or a delete was refused: Twilio's HTTP status, code and message. */
struct emu_update_err {
	int status, code;
	char msg[256];
};
/* Changes the call of leg sid: Status=completed hangs it up (a ringing call ends
 * canceled), Status=canceled ends a queued or ringing one, Url/Twiml make the call leave
 * the TwiML it runs (a <Dial> ends its child legs, a <Connect><Stream> stops) and run the
 * new document on the parent leg until it waits. 0; ENOENT (no such leg); EBUSY; EINVAL
 * when refused, with err filled (21220 for a call that is not in progress, ...). */
int emu_call_update(struct emu_engine *e, const char *sid, const struct emu_update *u,
                    struct emu_update_err *err);
/* Whether leg sid's record may be deleted (DELETE .../Calls/{CA}.json): 0 when the leg
 * has ended; EINVAL with err filled (the api.delete-live-code rule) while it is live;
 * ENOENT when the engine does not know it. The engine keeps the call's timeline. */
int emu_call_deletable(struct emu_engine *e, const char *sid, struct emu_update_err *err);

/* A REFER sent by the SIP party on a leg. */
struct emu_refer_req {
	const char *refer_to;             /* the Refer-To value exactly as sent */
	enum emu_outcome target;          /* what the party dialled because of it does */
	const struct emu_params *headers; /* X- headers on the REFER request, or NULL */
	/* failover (twilio-voice): what the parties dialled after the first one do, in the
	 * order they are dialled (an answer's further <Uri>s or nouns); past the list the
	 * last one repeats. NULL/0: every party does as target. At most
	 * EMU_ENG_MAX_TARGETS - 1. */
	const enum emu_outcome *then;
	size_t nthen;
};

/* Runs a REFER on leg_sid to completion (EBUSY while the call waits for a webhook). *out (caller
 * frees with json_decref) is
 * {"sip_response": 202, "notify": ["SIP/2.0 100 Trying", ...], "legs": [...],
 *  "connected": ["caller<->B"], "events_from": N}. 0, ENOENT (no such leg). */
int emu_refer(struct emu_engine *e, const char *leg_sid, const struct emu_refer_req *req,
              json_t **out);
/* emu_refer for a REFER that arrived over real SIP: sip is the message as received (its
 * Call-ID, CSeq and headers go into the timeline, and the sink's answers name it). Where
 * emu_refer answers EBUSY at once, it waits up to EMU_ENG_SIP_BUSY_WAIT_MS for the call. */
int emu_refer_sip(struct emu_engine *e, const char *leg_sid, const struct emu_refer_req *req,
                  const struct emu_sip_msg *sip, json_t **out);

/* The party on leg_sid hangs up. 0, ENOENT, EBUSY (the call is waiting for a webhook). */
int emu_hangup(struct emu_engine *e, const char *leg_sid);

/* The call holding leg sid as JSON (caller frees): {"sid", "profile", "legs": [{"label",
 * "sid", "parent_call_sid", "direction", "status", "from", "to", "start_ms",
 * "answer_ms", "end_ms", "duration", "peer"}], "connected": [...]}. 0, ENOENT. */
int emu_call_json(struct emu_engine *e, const char *sid, json_t **out);

/* The call's timeline as a JSON array (caller frees), ordered by time: each event
 * {"t_ms", "kind", "leg", "code"?, "text", "params"?, "signature"?, "sip"? (kind "sip": the
 * message, see struct emu_sip_msg), "from"?, "to"? (webhooks and answers)}. 0, ENOENT. */
int emu_events_json(struct emu_engine *e, const char *sid, json_t **out);

/* Releases a finished or live call; 0, ENOENT, EBUSY (waiting for a webhook). */
int emu_call_release(struct emu_engine *e, const char *sid);

/* Sets a modelled rule's value for calls created from now on; 0, ENOENT (no such rule). */
int emu_engine_set_rule(struct emu_engine *e, const char *name, int value);
/* The value a modelled rule (EMU_R_...) has for calls created now. */
int emu_engine_rule(struct emu_engine *e, int id);

/* ---- a real SIP front door (src/net/sip.c through src/emulator/sip_front.c) ----
 * The engine stays SIP-free: it reports the SIP-level events it models through a sink, and
 * learns a dialled party's outcome from an injected dialer (as it gets webhooks from the
 * fetcher). Unset, the scripted outcomes apply and nothing else changes. */

enum emu_sink_kind {
	EMU_SINK_RESPOND, /* the SIP answer to the REFER under way: code */
	EMU_SINK_NOTIFY,  /* a NOTIFY of that REFER's subscription: code (its sipfrag), final */
	EMU_SINK_BYE,     /* a BYE to the party on the leg */
	EMU_SINK_INVITE,  /* an INVITE the model sends to the leg's party: address */
	EMU_SINK_STATUS,  /* the leg's status changed: status ("in-progress", "completed", ...) */
	EMU_SINK_REJECT,  /* the answer to the party's own INVITE (<Reject>): code */
};
struct emu_sink_event {
	enum emu_sink_kind kind;
	const char *call_sid, *leg_sid;
	int code;
	bool final;                /* NOTIFY: Subscription-State terminated */
	const char *refer_call_id; /* RESPOND, NOTIFY: the REFER's Call-ID when it came over
	                            * real SIP (emu_refer_sip), else NULL */
	uint32_t refer_cseq;       /* RESPOND, NOTIFY: the REFER's CSeq (the NOTIFY's Event id) */
	const char *status;        /* STATUS */
	const char *address;       /* INVITE */
};
/* Called with the engine lock held, in the order the events happen: it must not block nor
 * call back into the engine (queue the work). */
struct emu_sink {
	void *ctx;
	void (*event)(void *ctx, const struct emu_sink_event *ev);
};

/* A party the engine rings (a <Dial> noun, a trunk or Plivo transfer target). */
struct emu_dial_req {
	const char *call_sid, *leg_sid;
	const char *address;              /* as dialled, e.g. "sip:b@127.0.0.1:5072?X-A=1" */
	const char *from;                 /* the caller ID the INVITE carries */
	const struct emu_params *headers; /* the headers the INVITE carries, decoded */
	unsigned timeout_s;               /* ring at most this long, then CANCEL: no-answer */
};
struct emu_dial_res {
	enum emu_outcome outcome;
	int sip_code; /* the final answer: 200, 486, 487 (cancelled), 503, ... */
	char call_id[EMU_SIP_MAX_CALL_ID + 1];
};
/* Called WITHOUT the engine lock (the call it serves is busy); may run on several threads.
 * dial: 0 when it rang the party for real (res filled), ENOENT when the address is not one
 * it dials (the scripted outcome applies). await_bye: waits up to ms for the party on
 * leg_sid to hang up; 0 it did, ETIMEDOUT it did not, ENOENT the leg is no live SIP dialog.
 * Either may be NULL. */
struct emu_dialer {
	void *ctx;
	int (*dial)(void *ctx, const struct emu_dial_req *req, struct emu_dial_res *res);
	int (*await_bye)(void *ctx, const char *leg_sid, unsigned ms);
};
/* Installs (or, with NULLs, removes) the sink and the dialer; takes the lock. */
void emu_engine_set_sip(struct emu_engine *e, const struct emu_sink *sink,
                        const struct emu_dialer *dialer);

/* Records a SIP message that crossed a real socket on leg_sid's dialog. A message the model
 * already has an event for (the REFER's answer, a NOTIFY, a BYE, an INVITE, sent) fills that
 * event's "sip" object with the wire's; any other becomes a new event of kind "sip", placed
 * by its time. 0, ENOENT (no such leg, e.g. its call is not made yet). */
int emu_sip_record(struct emu_engine *e, const char *leg_sid, const struct emu_sip_msg *m);

#endif

/* engine_int: what the engine's files share (the call, its legs and timeline, and the
 * helpers each part uses); not for other modules, which use engine.h. Every function here
 * runs with the engine lock held (emu_webhook releases it while the app answers). */
#ifndef HANDOFF_EMU_ENGINE_INT_H
#define HANDOFF_EMU_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emulator/engine.h"
#include "twiml/twiml.h"

enum st {
	ST_QUEUED,
	ST_RINGING,
	ST_INPROGRESS,
	ST_COMPLETED,
	ST_BUSY,
	ST_NOANSWER,
	ST_FAILED,
	ST_CANCELED
};
/* The status names as Twilio writes them, by enum st. */
extern const char *const emu_st_names[];
enum noun { N_NUMBER, N_SIP, N_CLIENT, N_CONFERENCE, N_QUEUE, N_OTHER };

/* The SIP message of an event of kind "sip" (struct emu_sip_msg, owned copies). */
struct ev_sip {
	bool in, wire;
	char from[16], to[16];
	char *method, *reason, *call_id, *cseq_method, *body, *transport, *local, *remote;
	int status;
	uint32_t cseq;
	struct emu_params headers;
};

/* One timeline entry (the JSON of emu_events_json). */
struct event {
	int64_t t;
	char kind[16];
	char leg[8];
	int code;
	char *text;
	struct emu_params params;
	char *signature;
	struct ev_sip *sip; /* kind "sip": the message, or NULL */
};

/* One call leg (P, the parent, is legs[0]). */
struct leg {
	char sid[EMU_SID_LEN + 1];
	char label[8];
	int parent;
	const char *dir;
	enum st status;
	char *from, *to;
	int64_t start, answer, end;
	char peer[16];
	const struct twiml_node *dial, *noun; /* the <Dial> and noun that created it */
	const char *dial_url;
	enum noun kind;
	int seq;
	int sip_code;
	char *sip_call_id;      /* the real dialog's Call-ID (a dialler rang it), or NULL */
	bool real;              /* rung over real SIP: its time and code are the party's */
	uint32_t lcseq, refers; /* the JSON path's CSeqs: the emulator's, REFERs received */
};

/* Where the running document is: a verb list and the next verb's index. */
struct frame {
	const struct twiml_node *root;
	const char *url;
	size_t pc;
};

/* A TwiML document the call fetched and keeps while it may still run. */
struct doc {
	struct twiml_node *root;
	char *url;
};

/* What one REFER answered (the JSON of emu_refer), and the REFER it answers. */
struct refer_out {
	int response;
	char notify[16][48];
	size_t nnotify;
	uint32_t cseq;                         /* the REFER's CSeq: the NOTIFYs' Event id */
	char call_id[EMU_SIP_MAX_CALL_ID + 1]; /* its Call-ID */
	bool wire;                             /* it came over real SIP */
	char sender[16];                       /* the party that sent it */
};

/* A call: its legs, timeline, documents and transfer state. Guarded by the engine lock. */
struct call {
	struct emu_engine *eng;
	enum emu_profile profile;
	const struct emu_profile_ops *ops;
	struct leg legs[EMU_ENG_MAX_LEGS];
	size_t nlegs;
	char next_label;
	struct event *ev;
	size_t nev, dropped;
	struct doc docs[EMU_ENG_MAX_DOCS];
	size_t ndocs;
	struct frame fr;
	int redirects, verbs;
	int rules[EMU_R__COUNT];
	bool trunk_orig, plivo_out;
	enum emu_trunk_mode mode;
	enum emu_trunk_cid cid;
	char *plivo_suffix;
	struct emu_params sip; /* a SIP-originated call's own webhook parameters */
	char **countries;      /* NULL-terminated or NULL */
	char **dns;            /* pairs, NULL-terminated or NULL */
	struct {
		char *addr;
		enum emu_outcome o;
	} outcomes[EMU_ENG_MAX_OUTCOMES];
	size_t noutcomes;
	char *digits[EMU_ENG_MAX_DIGITS];
	size_t ndigits, digit_pos;
	char *sc_url, *sc_method, *sc_events; /* the parent leg's own status callback, or NULL */
	bool refer_set;
	enum emu_outcome refer_outcome;
	enum emu_outcome refer_then[EMU_ENG_MAX_TARGETS]; /* a REFER's failover outcomes */
	size_t nrefer_then, refer_dialled;                /* and how many parties it rang */
	struct {
		bool active, aob;
		int leg;
		struct frame saved;
		const struct twiml_node *saved_dial;
		const char *saved_url;
	} x;
	struct refer_out *ro;
	bool ended;
	int bridged; /* the child P is bridged with through a <Dial>, or -1 */
	const struct twiml_node *bdial;
	const char *bdial_url;
	bool in_conf;
	bool busy; /* an entry point is running it (the lock may be released for a fetch) */
	/* an outbound-api call: what runs when the called party answers (outbound.c) */
	struct {
		bool pending; /* ringing: the party has not done what it does yet */
		char *url, *method, *twiml;
	} ob;
	/* media streams (connect.c); a <Connect><Stream> holds the call while it is open */
	struct stream {
		char sid[EMU_SID_LEN + 1]; /* MZ... */
		char *name, *url, *sc_url, *sc_method;
		bool bidi, open;
	} streams[EMU_ENG_MAX_STREAMS];
	size_t nstreams;
	bool held; /* the parent is connected to streams[held_at] */
	size_t held_at;
	const struct twiml_node *connect; /* that <Connect> (its action) and its document URL */
	const char *connect_url;
};

/* The engine: every call alive, behind one lock. */
struct emu_engine {
	pthread_mutex_t mu;
	struct emu_config cfg;
	char account[EMU_SID_LEN + 1];
	struct call **calls;
	size_t ncalls;
	uint64_t rng;
	int64_t vnow, skew;
	pthread_cond_t idle;      /* broadcast when a call stops being busy */
	struct emu_sink sink;     /* SIP events out (sink.event NULL: none) */
	struct emu_dialer dialer; /* real SIP parties (NULL functions: scripted outcomes) */
};

/* What running a verb leaves: go on with the next verb, or stop (the call waits or ended). */
enum { EMU_CONT, EMU_PAUSE };

/* A transfer profile: one file each (profile_voice.c, profile_trunk.c, profile_plivo.c),
 * so a new provider is a new file and a row of engine.c's profiles table. */
struct emu_profile_ops {
	const char *name;     /* as flow files and the control endpoints spell it */
	char first_child;     /* the label of the first child leg */
	bool agent_on_parent; /* the parent leg is the dialog with the agent (trunk, Plivo),
	                       * not a caller running TwiML (Programmable Voice) */
	const char *(*direction)(const struct emu_call_spec *spec); /* the parent's default */
	/* a REFER on leg li of a call in progress */
	void (*refer)(struct call *c, int li, const struct emu_refer_req *req);
};
extern const struct emu_profile_ops emu_profile_voice, emu_profile_trunk, emu_profile_plivo;

/* ---- engine.c: SIDs, the clock, the timeline, legs ---- */

void emu_params_copy(struct emu_params *dst, const struct emu_params *src);
/* The engine's clock (ms since the epoch; virtual or real). */
int64_t emu_now(struct emu_engine *e);
/* A new SID: prefix (two letters) and 32 hex digits from the engine's generator. */
void emu_new_sid(struct emu_engine *e, const char *prefix, char out[EMU_SID_LEN + 1]);
/* Simulated waiting: the virtual clock jumps; the real clock is skewed so that
 * times stay ordered without holding the lock for the wait. */
void emu_advance(struct emu_engine *e, int64_t ms);
/* Adds a timeline event (NULL past EMU_ENG_MAX_EVENTS: counted as dropped). */
struct event *emu_ev(struct call *c, const char *kind, const struct leg *l, int code,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A modelled rule's value, recorded in the timeline each time it decides something. */
int emu_rule_use(struct call *c, enum emu_rule_id id, const struct leg *l);
/* The next number of the engine's seeded generator (the one SIDs come from). */
uint64_t emu_rand(struct emu_engine *e);
/* The SIP answer to the REFER under way, and one NOTIFY sipfrag of it. */
void emu_respond(struct call *c, struct leg *l, int code);
void emu_notify(struct call *c, struct leg *l, int code);
bool emu_terminal(enum st s);
/* Who is on a leg: "caller" (P), "agent" (A) or its label. */
const char *emu_party(const struct leg *l);
/* A new leg (child of parent, or the parent itself when parent < 0); its index, or -1
 * at EMU_ENG_MAX_LEGS. */
int emu_new_leg(struct call *c, int parent, const char *dir, const char *from, const char *to);
/* The standard voice webhook parameters of leg l. */
void emu_std_params(struct call *c, const struct leg *l, struct emu_params *p);
/* The trimmed text of n (a noun's address), as a copy the caller frees. */
char *emu_text_of(const struct twiml_node *n);
/* The method an attribute names: "GET" when it says GET (any case), else "POST". */
const char *emu_method_of(const struct twiml_node *n, const char *attr);
/* Fires a noun's statusCallback (or, on the parent leg, the call's own) when its event
 * list holds ev_name. */
void emu_status_callback(struct call *c, struct leg *l, const char *ev_name);
/* Moves a leg to status s (times, the timeline, status callbacks). */
void emu_set_status(struct call *c, struct leg *l, enum st s);
void emu_answer_parent(struct call *c);
/* A BYE to the party on l (who: why, for the timeline). */
void emu_bye(struct call *c, struct leg *l, const char *who);
void emu_link_peers(struct call *c, struct leg *a, const char *pa, struct leg *b, const char *pb);
/* Ends the whole call: P and every live child. */
void emu_end_call(struct call *c, enum st pstatus);
/* The same with a given SID (copied when sid is a CA SID no leg has yet). */
int emu_new_leg_sid(struct call *c, int parent, const char *dir, const char *from, const char *to,
                    const char *sid);
/* The party on leg li hangs up, or Twilio hangs it up (why: NULL, or the reason for the
 * timeline). The call is claimed by the caller. */
void emu_hangup_leg(struct call *c, int li, const char *why);
/* The call holding leg sid (and the leg's index), or NULL. */
struct call *emu_find(struct emu_engine *e, const char *sid, int *li);
/* The call that has leg sid, marked busy for the caller's change (which clears busy
 * when done). ENOENT: no such leg; EBUSY: the call is serving a webhook, or another
 * change is under way. */
int emu_claim(struct emu_engine *e, const char *sid, struct call **cp, int *li);

/* ---- webhook.c ---- */

/* ref resolved against base (absolute, root-relative or relative); caller frees. */
char *emu_resolve(const char *base, const char *ref);
/* Keeps a document for the call's lifetime; returns it, with its URL in *doc_url. */
const struct twiml_node *emu_keep_doc(struct call *c, struct twiml_node *root, const char *url,
                                      const char **doc_url);
/* Reads TwiML with twiml_parse and checks it with twiml_validate (findings go to the
 * timeline). 0 and *root (caller frees), or the Twilio code with why filled. */
int emu_parse_doc(struct call *c, const struct leg *l, const char *body, size_t len,
                  struct twiml_node **root, char *why, size_t whylen);
/* Runs one webhook; returns 0 (with *doc when doc is not NULL) or the Twilio error code,
 * which is also in the timeline. Releases the engine lock while the app answers. */
int emu_webhook(struct call *c, const struct leg *l, const char *why, const char *method,
                const char *url, const struct emu_params *p, const struct twiml_node **doc,
                const char **doc_url);

/* ---- exec.c ---- */

void emu_set_frame(struct call *c, const struct twiml_node *root, const char *url);
/* Whether a document has a <Dial> among its verbs. */
bool emu_has_dial(const struct twiml_node *root);
/* Fetches url and makes its answer the running document; EMU_CONT, or ends the call. */
int emu_goto_url(struct call *c, const char *why, const char *method, const char *url,
                 const struct emu_params *p);
/* Runs the parent's document from where it is until it waits or ends. */
void emu_run(struct call *c);

/* ---- dial.c ---- */

/* The scripted outcome for a dialled address (during a transfer: the REFER's target). */
enum emu_outcome emu_outcome_for(struct call *c, const char *addr);
/* The Dial is over (not bridged any more, or never bridged): action, or next verb. */
int emu_dial_end(struct call *c, const struct twiml_node *dial, const char *dial_url,
                 const char *dstatus, int li, bool bridged);
int emu_do_dial(struct call *c, const struct twiml_node *v);
/* Starts one child leg of dial for noun (kind, to addr, from): its INVITE headers (the
 * URI's and a <Sip>'s <Headers>), initiated, ringing; its scripted outcome in *oc. The
 * leg's index, or -1 at EMU_ENG_MAX_LEGS. */
int emu_dial_leg(struct call *c, const struct twiml_node *dial, const struct twiml_node *noun,
                 enum noun kind, const char *addr, const char *from, enum emu_outcome *oc);
/* A rung leg that does not answer ends as o says (busy after ringing, no-answer after
 * timeout seconds, fail at once); its final status. */
enum st emu_dial_leg_ends(struct call *c, struct leg *l, enum emu_outcome o, long timeout);

/* ---- sip_noun.c: the <Sip> noun's children ---- */

/* Whether a <Sip> noun dials its <Uri> children (with a text URI too, the modelled
 * rule voice.sip-uri-over-text decides). */
bool emu_sip_dials_uris(struct call *c, const struct twiml_node *sip);
/* Dials sip's <Uri> children in the modelled order (voice.sip-uri-order), each a child
 * leg of dial: a URI that is busy, fails or does not answer ends and the next is tried
 * (voice.sip-uri-busy-next for busy). Returns the index of the last leg started, still
 * ringing, with its outcome in *oc, for emu_do_dial to finish like any noun's leg: the
 * one that answers, or the last one tried; -1 when no leg could be made. */
int emu_sip_dial_uris(struct call *c, const struct twiml_node *dial, const struct twiml_node *sip,
                      const char *from, long timeout, enum emu_outcome *oc);
/* Stamps the <Headers> of l's <Sip> noun on its INVITE exactly as written (no
 * percent-decoding, a '+' stays a '+'): one "sip" event whose params are the headers. */
void emu_sip_element_headers(struct call *c, const struct leg *l);

/* ---- refer.c ---- */

/* Splits a Refer-To into scheme, user, host (copies, caller frees); the
 * <...> and ;params / ?headers are left out. */
struct emu_target {
	char *scheme, *user, *host, *uri;
};
void emu_target_parse(const char *refer_to, struct emu_target *t);
void emu_target_free(struct emu_target *t);
bool emu_ends_with_ci(const char *s, const char *suf);
/* Trunk and Plivo: the provider dials the target itself and reports by NOTIFY. */
void emu_sip_transfer(struct call *c, int li, const struct emu_refer_req *req, const char *from,
                      const char *to);

/* ---- sipmsg.c: the timeline's SIP messages, the sink and the dialer ---- */

/* The far end of leg l's SIP dialog: emu_party, except the agent on a trunk or Plivo P. */
const char *emu_sip_party(const struct call *c, const struct leg *l);
/* The leg's Call-ID: the real dialog's, else made up from its SID ("<hex>@emulator"). */
void emu_leg_call_id(const struct leg *l, char *out, size_t outlen);
/* Gives event v (kind "sip"; NULL: nothing) its message m, from or to party peer. */
void emu_sip_attach(struct event *v, const char *peer, const struct emu_sip_msg *m);
void emu_ev_sip_free(struct ev_sip *s);
json_t *emu_ev_sip_json(const struct ev_sip *s);
/* The model's own SIP messages: each gives event v (NULL: dropped) its "sip" object and
 * tells the sink. respond and notify answer the REFER under way (c->ro). */
void emu_sip_respond(struct call *c, struct leg *l, struct event *v, int code);
void emu_sip_notify(struct call *c, struct leg *l, struct event *v, int code);
void emu_sip_bye(struct call *c, struct leg *l, struct event *v);
void emu_sip_invite(struct call *c, const struct leg *l, struct event *v,
                    const struct emu_params *headers);
/* The REFER that starts c->ro: its timeline message (sip: as it came over the wire, or NULL). */
void emu_sip_refer_in(struct call *c, struct leg *l, struct event *v,
                      const struct emu_refer_req *req, const struct emu_sip_msg *sip,
                      const char *sender);
/* Any other modelled message on leg l (call_id NULL: the leg's); the sink is not told. */
void emu_sip_model(struct call *c, const struct leg *l, struct event *v,
                   const struct emu_sip_msg *m);
/* Tells the sink (if any) about leg l. */
void emu_sink_fire(struct call *c, const struct leg *l, enum emu_sink_kind kind, int code,
                   const char *text);
/* Rings leg l through the dialer, the lock released meanwhile: 0 with *res (the leg's
 * sip_call_id set), or ENOENT when no dialer takes its address (scripted outcome). */
int emu_dial(struct call *c, struct leg *l, const struct emu_params *headers, unsigned timeout_s,
             struct emu_dial_res *res);
/* Waits for the party on leg l to hang up over real SIP, the lock released: 0, ETIMEDOUT,
 * or ENOENT (no live SIP dialog: the model decides). */
int emu_await_bye(struct call *c, struct leg *l, unsigned ms);
/* A <Sip> address's ?name=value&... URI headers, percent-decoded (and '+' as a space when
 * plus_space: the sip.uri-header-plus-is-space rule), into out. */
void emu_uri_headers(const char *addr, bool plus_space, struct emu_params *out);

/* ---- outbound.c: outbound-api calls ---- */

/* Rings the parent of a new outbound call (spec->outbound); unless spec->hold_ringing,
 * the called party then does what spec->answer says. */
void emu_outbound_start(struct call *c, const struct emu_call_spec *spec);
/* The called party does o: answer runs the call's TwiML; otherwise the call ends. */
void emu_outbound_resolve(struct call *c, enum emu_outcome o);
/* A queued or ringing outbound call takes u's Url or Twiml for its answer; ENOENT when
 * it is not ringing. */
int emu_outbound_replace(struct call *c, const struct emu_update *u);
void emu_outbound_free(struct call *c);

/* ---- connect.c: <Connect>, <Start>, <Stop> and media streams ---- */

int emu_do_connect(struct call *c, const struct twiml_node *v);
int emu_do_start(struct call *c, const struct twiml_node *v);
int emu_do_stop(struct call *c, const struct twiml_node *v);
/* Stops every open stream (why for the timeline), with their status callbacks. */
void emu_streams_stop(struct call *c, const char *why);
/* Leaves a <Connect><Stream> the call is held in (the stream stops; no action). */
void emu_connect_leave(struct call *c, const char *why);
void emu_streams_free(struct call *c);

/* ---- json.c ---- */

json_t *emu_legs_json(struct call *c);
/* Appends "a<->b" for each pair of legs connected now. */
void emu_connected_json(struct call *c, json_t *arr);

#endif

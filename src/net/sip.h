/* sipd: the SIP adapter (the only file that includes libre): a user agent on UDP and TCP
 * that runs its loop on its own thread and turns real SIP into plain calls on hooks. */
#ifndef HANDOFF_NET_SIP_H
#define HANDOFF_NET_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIPD_MAX_DIALOGS      256   /* dialogs at once; past it an INVITE gets 503 + Retry-After */
#define SIPD_RETRY_AFTER_S    5     /* the Retry-After of a 503 */
#define SIPD_MAX_BODY         4096  /* a request's body (SDP, sipfrag); larger: 413 */
#define SIPD_MAX_VALUE        2048  /* a header value passed on (Refer-To, X-...); larger: 400 */
#define SIPD_MAX_HEADERS      32    /* headers passed on from one message */
#define SIPD_MAX_NOTIFY_QUEUE 8     /* NOTIFYs queued per subscription (one in flight at a time) */
#define SIPD_NOTIFY_EXPIRES_S 60    /* Subscription-State: active;expires= */
#define SIPD_WORKERS          8     /* threads that run REFERs, INVITEs and hang-ups */
#define SIPD_MAX_JOBS         512   /* work waiting for a worker; past it: 503 */
#define SIPD_MAX_RING_S       600   /* longest ring before CANCEL */
#define SIPD_MAX_EARLY        8     /* messages kept for a call the hooks have not made yet */
#define SIPD_MAX_URI          512   /* a dialled URI */
#define SIPD_MAX_QUEUE        65536 /* commands queued for the SIP thread */
#define SIPD_SID_LEN          34
#define SIPD_MAX_CALL_ID      128
/* A UDP datagram is read in 8 KiB and a TCP frame over 64 KiB closes the connection: libre's. */

/* One header, as received or to send. */
struct sipd_header {
	const char *name, *value;
};

/* A SIP message that crossed the socket on a call's dialog (what the timeline shows). The
 * strings are valid for the hook call only. */
struct sipd_msg {
	bool in;            /* received */
	const char *method; /* a request's method, NULL for a response */
	int status;         /* a response's code */
	const char *reason; /* a response's phrase */
	const char *call_id;
	uint32_t cseq;
	const char *cseq_method;
	const struct sipd_header *headers; /* the ones that matter: Refer-To, Event, X-, ... */
	size_t nheaders;
	const char *body;           /* a message/sipfrag body, or NULL */
	const char *transport;      /* "udp", "tcp" */
	const char *local, *remote; /* "127.0.0.1:5080" */
	int64_t at_ms;              /* Unix ms when it crossed the socket */
};

/* An in-dialog REFER. */
struct sipd_refer {
	const char *leg_sid;                /* the leg its dialog carries */
	const char *refer_to;               /* the Refer-To value exactly as sent */
	const char *target;                 /* X-Emulator-Target (answer, busy, ...) or NULL */
	const struct sipd_header *xheaders; /* the other X- headers, in order */
	size_t nx;
	const struct sipd_msg *msg; /* the REFER itself */
};

/* A new INVITE to the adapter's address. */
struct sipd_invite {
	const char *call_sid; /* the CallSid chosen for the call it starts */
	const char *from;     /* the From URI's user (e.g. "+14155550100"), else the URI */
	const char *to;       /* the Request-URI's user (the number or SIP domain user) */
	const char *profile;  /* the Request-URI's ;profile= parameter, or NULL */
	const struct sipd_msg *msg;
	const char *host;   /* the Request-URI's host (e.g. "example.sip.twilio.com") */
	const char *domain; /* the Request-URI's ;domain= parameter (the loopback form), or NULL */
	const char *from_uri;               /* the From header's URI without its parameters */
	const char *source_ip;              /* where the INVITE came from ("127.0.0.1") */
	const struct sipd_header *xheaders; /* its X- headers, in order */
	size_t nx;
};

/* A party to ring. */
struct sipd_dial {
	const char *call_sid, *leg_sid;
	const char *uri;  /* as dialled: sip:user@127.0.0.1:5072;transport=tcp?X-A=1 */
	const char *from; /* the caller ID (a number or a SIP URI) */
	const struct sipd_header *headers; /* extra INVITE headers */
	size_t nheaders;
	unsigned timeout_s; /* ring at most this long (then CANCEL) */
};
enum sipd_outcome { SIPD_ANSWERED, SIPD_BUSY, SIPD_NO_ANSWER, SIPD_FAILED };
struct sipd_dial_result {
	enum sipd_outcome outcome;
	int code; /* the final answer: 200, 486, 487 (we cancelled), 408, 503 ... */
	char call_id[SIPD_MAX_CALL_ID + 1];
};

/* What the adapter calls. refer, invite and hangup run on a worker thread and may block;
 * record runs on the SIP thread and must be quick (and call no blocking sipd function). */
struct sipd_hooks {
	void *ctx;
	/* A REFER: answer it with sipd_respond (then sipd_notify ...). 0 when it ran; ENOENT
	 * (no such leg: 481), EBUSY (491) or another errno (500) when it did not answer. */
	int (*refer)(void *ctx, const struct sipd_refer *r);
	/* A new call: 0 when it was made (its status then drives the answer through
	 * sipd_answer / sipd_end); ENOENT (404), E2BIG or EBUSY (503), a SIP code 300..699
	 * (answered as it is), other errno (500). */
	int (*invite)(void *ctx, const struct sipd_invite *inv);
	/* The party on leg_sid hung up (BYE, or CANCEL before the answer). */
	void (*hangup)(void *ctx, const char *leg_sid);
	/* A message that crossed the socket on leg_sid's dialog; 0, or ENOENT when the call does
	 * not exist yet (the adapter keeps it and tries again). */
	int (*record)(void *ctx, const char *leg_sid, const struct sipd_msg *m);
};

struct sipd_config {
	const char *listen; /* "127.0.0.1:5080", "[::1]:0" (0: any free port); UDP and TCP */
	struct sipd_hooks hooks;
};

struct sipd;

/* Whether this build has the SIP stack (libre found at build time). */
bool sipd_available(void);

/* Starts the SIP thread and the workers. 0, or an errno value with err filled (ENOTSUP
 * without the SIP stack); *out is written only on success. */
int sipd_start(struct sipd **out, const struct sipd_config *cfg, char *err, size_t errlen);
/* The bound address, e.g. "127.0.0.1:5080". */
const char *sipd_addr(const struct sipd *s);
int sipd_port(const struct sipd *s);

/* Thread-safe; each queues work for the SIP thread and returns at once. leg_sid names the
 * dialog; unknown legs are ignored. */
/* The SIP answer to the REFER with that CSeq on the leg's dialog. */
void sipd_respond(struct sipd *s, const char *leg_sid, uint32_t refer_cseq, int code,
                  const char *reason);
/* A NOTIFY of that REFER's subscription, sipfrag "SIP/2.0 code reason"; code >= 200 ends
 * it. Sent in order, each after the previous one's answer. */
void sipd_notify(struct sipd *s, const char *leg_sid, uint32_t refer_cseq, int code,
                 const char *reason);
/* BYE to the party, once the NOTIFYs before it were answered. */
void sipd_bye(struct sipd *s, const char *leg_sid);
/* The call on an inbound dialog was answered: 200 OK. */
void sipd_answer(struct sipd *s, const char *leg_sid);
/* The leg ended: an unanswered inbound INVITE gets code (486, 480, 487, ...), an
 * established dialog a BYE. */
void sipd_end(struct sipd *s, const char *leg_sid, int code);

/* Blocking. Rings d->uri when it is a sip: URI on a numeric loopback address: 0 with *res
 * once the party answered, refused or the ring timed out (the dialog stays with the leg
 * when answered); ENOENT when the address is not one it dials; ECANCELED when stopping. */
int sipd_dial(struct sipd *s, const struct sipd_dial *d, struct sipd_dial_result *res);
/* Blocking. Waits up to ms for the party on leg_sid to hang up: 0 it did (or already had),
 * ETIMEDOUT, ENOENT (no established dialog on that leg). */
int sipd_await_bye(struct sipd *s, const char *leg_sid, unsigned ms);

/* Stops taking work: new INVITEs get 503, blocked sipd_dial/sipd_await_bye calls return,
 * every dialog is hung up. Then sipd_free (after the hooks' callers stopped) frees it. */
void sipd_stop(struct sipd *s);
void sipd_free(struct sipd *s);

#endif

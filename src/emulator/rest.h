/* emu_rest: the emulator's REST twin of Twilio (numbers, calls, SIP domains, trunks, faults)
 * over httpd. */
#ifndef HANDOFF_EMU_REST_H
#define HANDOFF_EMU_REST_H

#include <jansson.h>
#include <stddef.h>

#include "net/httpd.h"

/* Named limits. */
#define EMU_REST_MAX_NUMBERS     10000
#define EMU_REST_MAX_SEED        2000
#define EMU_REST_MAX_CALLS       10000
#define EMU_REST_MAX_TRUNKS      1000
#define EMU_REST_MAX_DOMAINS     1000 /* SIP Domains of the account */
#define EMU_REST_MAX_DOMAIN_NAME 253  /* a DomainName (a DNS name) */
#define EMU_REST_MAX_PARAMS      64
#define EMU_REST_MAX_PAGE_SIZE   1000
#define EMU_REST_DEF_PAGE_SIZE   50
#define EMU_REST_MAX_FAULTS      100 /* requests one fault order may affect */
#define EMU_REST_MAX_STALL_MS    30000
#define EMU_REST_MAX_RETRY_AFTER 60
#define EMU_REST_MAX_URL         2048
#define EMU_REST_MAX_TWIML       4000 /* 32018 */
#define EMU_REST_MAX_TIMEOUT_S   600  /* Calls.json Timeout */

/* Settings; strings are copied by emu_rest_new. */
struct emu_rest_config {
	const char *account_sid;    /* AC + 32 hex (required) */
	const char *auth_token;     /* required; compared in constant time */
	const char *api_key_sid;    /* optional SK + 32 hex, accepted as Basic user */
	const char *api_key_secret; /* its secret */
	unsigned seed_numbers;      /* numbers provisioned at start: +14155550100, ... */
};

/* A live-call change (POST .../Calls/{CA}.json) that passed the twin's checks. */
struct emu_rest_update {
	const char *url, *method, *twiml, *status; /* NULL when not given */
};
/* Why a change was refused: Twilio's HTTP status, code and message. */
struct emu_rest_err {
	int status, code;
	char msg[256];
};

/* How the call engine attaches (all optional; set before serving). */
struct emu_rest_hooks {
	/* Any request under /emulator/ except /emulator/faults. Fill resp and
	 * return 0, or return ENOENT to let the twin answer 404. Called without
	 * the twin's lock; may call the accessors below. */
	int (*control)(void *ctx, const struct http_req *req, struct http_resp *resp);
	/* A POST Calls.json passed validation and was stored with status "queued".
	 * call is a copy the hook may read (not keep); the engine runs the call and
	 * updates it with emu_rest_call_put. Called without the lock. */
	void (*call_created)(void *ctx, const char *call_sid, const json_t *call);
	/* POST .../Calls/{CA}.json: the engine changes the call and publishes its records
	 * (emu_rest_call_put) before the twin answers the record. 0, or non-zero with err
	 * filled. Called without the lock. NULL: updates are refused (20001). */
	int (*call_update)(void *ctx, const char *call_sid, const struct emu_rest_update *u,
	                   struct emu_rest_err *err);
	/* DELETE .../Calls/{CA}.json: 0 when the record may go (the call has ended); EINVAL
	 * with err filled when it may not; ENOENT when the engine does not know the call (and
	 * NULL): the twin decides from the record's status. */
	int (*call_delete)(void *ctx, const char *call_sid, struct emu_rest_err *err);
	void *ctx;
};

struct emu_rest;

/* Creates the twin with cfg (seeding numbers). Returns 0, or EINVAL with a
 * reason in err. Free with emu_rest_free. */
int emu_rest_new(struct emu_rest **out, const struct emu_rest_config *cfg, char *err,
                 size_t errlen);
/* Attaches the engine's hooks (copied). Call before httpd_start. */
void emu_rest_set_hooks(struct emu_rest *r, const struct emu_rest_hooks *hooks);
void emu_rest_free(struct emu_rest *r);

/* The httpd handler: ctx is the struct emu_rest *. Thread-safe. */
void emu_rest_handle(void *ctx, const struct http_req *req, struct http_resp *resp);

/* Accessors for the engine, each under the twin's lock. Objects are Twilio's
 * snake_case JSON; keys starting with '_' are private (never rendered):
 * calls carry _url, _method, _twiml, _status_callback, _status_callback_method.
 * Returned objects are deep copies the caller json_decref's; NULL = none. */
json_t *emu_rest_number_by_phone(struct emu_rest *r, const char *e164);
json_t *emu_rest_call_get(struct emu_rest *r, const char *call_sid);
json_t *emu_rest_trunk_get(struct emu_rest *r, const char *trunk_sid);
/* The SIP Domain whose domain_name is name (compared without case), or NULL. */
json_t *emu_rest_domain_by_name(struct emu_rest *r, const char *name);
/* Removes a call record; 0 or ENOENT. */
int emu_rest_call_del(struct emu_rest *r, const char *call_sid);
/* Inserts or replaces a call by its "sid" (copied; date_updated set when a field
 * changed, kept otherwise, so two fetches of an unchanged call agree).
 * Returns 0, EINVAL without a sid, E2BIG at EMU_REST_MAX_CALLS. */
int emu_rest_call_put(struct emu_rest *r, const json_t *call);
/* A new call object (not stored) with a fresh CA sid, status "queued" and
 * the given fields (parent_sid may be NULL). Caller json_decref's. */
json_t *emu_rest_call_new(struct emu_rest *r, const char *from, const char *to,
                          const char *direction, const char *parent_sid);
const char *emu_rest_account_sid(const struct emu_rest *r);

/* A random Twilio-shaped SID: prefix (2 letters) + 32 lowercase hex; out has 35 bytes. */
void emu_rest_sid(char out[35], const char *prefix);
/* The current time as RFC 2822 (v2010) or ISO 8601 (v1); out has 40 bytes. */
void emu_rest_date_rfc2822(char out[40]);
void emu_rest_date_iso8601(char out[40]);

#endif

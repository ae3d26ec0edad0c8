/* desttest: try one destination (what 'handoff dest test' and the console's "Test in sandbox"
 * run): a call to the sandbox number, a REFER to NAME, the engine's timeline, the verdict. */
#ifndef HANDOFF_EMU_DESTTEST_H
#define HANDOFF_EMU_DESTTEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "emulator/engine.h"
#include "webhooks/dest.h"

#define DESTTEST_MAX_HOOKS    8   /* webhooks remembered for the report */
#define DESTTEST_MAX_RHDRS    8   /* Refer-To headers ("X-Name: value") */
#define DESTTEST_MAX_URL      512 /* a --server URL */
#define DESTTEST_AGENT        "sip:agent@handoff.test"
#define DESTTEST_REFER_HOST   "handoff.test"
#define DESTTEST_DEFAULT_FROM "+14155550100"
#define DESTTEST_TO           "+14155550199"
#define DESTTEST_MAX_OUTCOMES (1 + DEST_MAX_FAILOVER) /* one per route */
#define DESTTEST_MAX_TRIED    EMU_ENG_MAX_LEGS        /* target legs read back from the call */

/* What to try. Strings are borrowed for the call. */
struct desttest_req {
	const char *name;   /* the destination (a slug; the caller checks its shape) */
	const char *server; /* a running 'handoff serve' base URL, or NULL: the server's handler
	                     * in-process over db */
	const char *token;  /* with server: signs the webhooks (never printed) */
	const char *db;     /* without server: the database file (it must exist) */
	const char *from;   /* the caller; NULL: DESTTEST_DEFAULT_FROM */
	const char *const *rhdr; /* Refer-To URI headers, "X-Name: value" (the caller checks
	                          * each holds a ':' after a name) */
	size_t nrhdr;            /* at most DESTTEST_MAX_RHDRS */
	bool live;               /* /voice and /refer with the live set, not the sandbox */
	/* what each party the answer dials does, in dial order (a failover destination's
	 * routes: busy, answer); past the list the last repeats; ntarget 0: answer */
	enum emu_outcome targets[DESTTEST_MAX_OUTCOMES];
	size_t ntarget;
	const char *target_arg; /* as given ("busy,answer"), for the report; NULL: the first's */
	const char *at; /* in-process only: the handler answers as at this moment (ISO 8601 with
	                 * an offset, or a local time in NAME's zone); NULL: now */
};

/* One webhook the engine sent and what it got back. */
struct desttest_hook {
	char *method, *url;
	int status, error; /* error: a Twilio code when the server could not be reached */
	char *content_type, *body;
	char *dest, *asked; /* in-process: the destination that answered, the one named (when
	                     * another answered for it), or NULL */
};

/* One party the server's answer dialled (B, then C, ... with failover routes). */
struct desttest_target {
	const char *label, *to, *status; /* point into the call's JSON */
	const char *invite;              /* its first INVITE event's text, or NULL */
	json_t *headers;                 /* {"X-Name": "value"} its INVITE carried */
};

/* What happened, and the verdict. Filled by desttest_run; free with desttest_free. */
struct desttest_result {
	bool ok;           /* the caller ended where the outcome should leave it */
	char reason[1024]; /* the verdict in one sentence (the CLI's "ok:" or error line) */
	const char *hint;  /* a fix, or NULL (static) */
	char where[DESTTEST_MAX_URL + 64]; /* "in-process server over DB" or "server URL" */
	char from[80];
	const char *voice_path; /* "/voice" or "/sandbox/voice" (static) */
	const char *refer_path; /* "/refer" or "/sandbox/refer" (static) */
	char *refer_to;         /* the Refer-To the agent sent */
	struct desttest_hook hooks[DESTTEST_MAX_HOOKS];
	size_t nhooks;
	const struct desttest_hook *voice, *refer_hook; /* into hooks, or NULL */
	json_t *call;   /* the call's JSON (legs, connected) at the end */
	json_t *refer;  /* emu_refer's answer (sip_response, notify), or NULL when none ran */
	json_t *events; /* the call's timeline (emu_events_json), or NULL */
	struct desttest_target t[DESTTEST_MAX_TRIED]; /* in the order they were dialled */
	size_t nt;
	const struct desttest_target *final; /* the one bridged, or the last tried; NULL: none */
	json_t *headers;    /* the final target's headers (a reference; {} without one) */
	const char *invite; /* the final target's INVITE line, or NULL */
	json_t *warnings;   /* ["..."]: header values that arrive other than the answer meant */
	char at[96];        /* --at as a local time of the destination ("" without) */
};

/* The name of rq's outcomes ("busy,answer"), for reports. */
const char *desttest_target_name(const struct desttest_req *rq);

/* Runs the test; res is filled whether the transfer worked or not (res->ok). Returns 0
 * when it ran, or an errno value with err saying why it could not (ENOENT: no database
 * at db; others: the engine or the call could not be created). Free res either way. */
int desttest_run(const struct desttest_req *rq, struct desttest_result *res, char *err,
                 size_t errlen);
void desttest_free(struct desttest_result *res);

/* The report as one JSON document ('handoff dest test --json'); the caller frees it. */
json_t *desttest_json(const struct desttest_req *rq, const struct desttest_result *res);

/* The headers a timeline event's INVITE carried (its "sip" object's) into the object h;
 * nothing for any other event. */
void desttest_invite_headers(json_t *ev, json_t *h);

/* The webhook whose URL path ends with suffix, or NULL. */
const struct desttest_hook *desttest_hook_for(const struct desttest_result *res,
                                              const char *suffix);

#endif

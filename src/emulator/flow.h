/* emu_flow: flow files (a call, the app's answers, REFERs, expectations) run through the engine. */
#ifndef HANDOFF_EMU_FLOW_H
#define HANDOFF_EMU_FLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "emulator/engine.h"

#define EMU_FLOW_MAX_BYTES (1024 * 1024) /* one flow file */
#define EMU_FLOW_MAX_STEPS 32            /* refer, hangup and update steps per flow */
#define EMU_FLOW_MAX_APP   64            /* inline answers per flow */

/* A flow's "app" answers inline; with "app_url" every other URL is fetched live
 * (emu_live), and a "voice_url" that is a path is taken relative to app_url. */

/* An inline fetcher over a JSON object mapping a URL or a path to an answer:
 * {"twiml"|"body": "...", "status": 200, "content_type": "text/xml", "delay_ms": 0,
 *  "error": "unreachable"|"timeout"|"bad-host"|"redirects"|"protocol"|<code>}.
 * A URL with no entry answers 404. ctx is the JSON object (borrowed). */
int emu_flow_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res);

/* Another way to run a flow's call and REFERs than in-process, e.g. over a real SIP front
 * door (tests/sip/parity.c). Each may be NULL. */
struct emu_flow_hooks {
	void *ctx;
	/* once the flow's engine exists */
	void (*engine)(void *ctx, struct emu_engine *e);
	/* instead of emu_call_create (same contract) */
	int (*create)(void *ctx, struct emu_engine *e, const struct emu_call_spec *spec,
	              char *sid_out);
	/* instead of emu_refer for a step's REFER (same contract) */
	int (*refer)(void *ctx, struct emu_engine *e, const char *leg_sid,
	             const struct emu_refer_req *req, json_t **out);
	/* before the engine is freed */
	void (*done)(void *ctx, struct emu_engine *e);
};

/* How flows reach a live app (a flow with "app_url"): the token signs every webhook
 * (X-Twilio-Signature); NULL = unsigned. Borrowed, never printed. */
struct emu_flow_opts {
	const char *auth_token;
	bool offline; /* refuse flows with "app_url" (fuzzing, sandboxes): EBADMSG */
};

/* Runs one parsed flow document (opts may be NULL). *result (caller frees) is
 * {"name", "ok": bool, "failures": [{"what", "expected", "actual"}], "refers": [...],
 *  "call": {...}, "events": [...]}. Returns 0 when the flow ran (passed or not), or
 * EBADMSG when the flow itself is malformed (err says why; no result). */
int emu_flow_run(json_t *flow, const struct emu_flow_opts *opts, json_t **result, char *err,
                 size_t errlen);
/* emu_flow_run with the call and its REFERs run through hooks (NULL: in-process). */
int emu_flow_run_hooked(json_t *flow, const struct emu_flow_opts *opts,
                        const struct emu_flow_hooks *hooks, json_t **result, char *err,
                        size_t errlen);

/* Reads path (at most EMU_FLOW_MAX_BYTES) and runs it; ENOENT/EACCES when unreadable,
 * E2BIG when too big, EBADMSG when not a valid flow, with err filled. */
int emu_flow_run_file(const char *path, const struct emu_flow_opts *opts, json_t **result,
                      char *err, size_t errlen);

#endif

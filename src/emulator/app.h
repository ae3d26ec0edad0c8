/* emu_app: the webhook server's handler as an in-process app for the engine (no socket). */
#ifndef HANDOFF_EMU_APP_H
#define HANDOFF_EMU_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emulator/engine.h"
#include "util/tz.h"

#define EMU_APP_BASE    "http://handoff.in-process" /* the base URL its routes answer on */
#define EMU_APP_MAX_WHY 512                         /* bytes kept of the handler's last reason */

struct emu_app;

/* Loads both destination sets of the database at db (it must exist) and answers
 * the engine's webhooks with the server's handler (webhooks/handler.h), exactly
 * as `handoff serve --public-url EMU_APP_BASE --agent AGENT` would, signatures
 * checked with token (copied, wiped on free). The sets are read once: later
 * edits are not seen. *out is written only on success; 0, or ENOENT/EACCES/
 * EBADMSG/EIO with err saying why. Free with emu_app_free. */
int emu_app_open(const char *db, const char *agent, const char *token, struct emu_app **out,
                 char *err, size_t errlen);
void emu_app_free(struct emu_app *a);

/* An emu_fetcher.fetch: ctx is a struct emu_app. A URL outside EMU_APP_BASE is a
 * transport failure (11200). Serialised: one request at a time. Always 0. */
int emu_app_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res);

/* The handler's explanation for the last request it refused ("" when none):
 * borrowed until the next fetch. */
const char *emu_app_last_why(const struct emu_app *a);

/* The destination that answered the last request ("" when none), and in *asked the one
 * named when another answered for it (opening hours; "" otherwise): borrowed until the
 * next fetch. */
const char *emu_app_last_dest(const struct emu_app *a, const char **asked);

/* Answers every later request as at instant t (Unix seconds), as `dest test --at` does;
 * by default each request is at the wall clock's time. */
void emu_app_at(struct emu_app *a, int64_t t);

/* The time zone of destination name in the live (or sandbox) set, or NULL (no such
 * destination, no hours): to read a local --at time. Borrowed for a's lifetime. */
const struct tz *emu_app_zone(const struct emu_app *a, const char *name, bool live);

#endif

/* emu_live: the engine's live fetcher: real HTTP through httpc, signed with webhooks/sig. */
#ifndef HANDOFF_EMU_LIVE_H
#define HANDOFF_EMU_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "emulator/engine.h"

#define EMU_LIVE_CONNECT_MS 5000  /* Twilio's webhook connect timeout */
#define EMU_LIVE_TOTAL_MS   15000 /* Twilio's whole-request timeout */
#define EMU_LIVE_REDIRECTS  10    /* redirects Twilio follows (11215 beyond) */

/* Settings of the live fetcher and signer; the token is borrowed and never printed. */
struct emu_live {
	const char *auth_token; /* signs X-Twilio-Signature; NULL or "": unsigned */
	/* the emulator's own listener: a webhook to it is refused (error 11200), never
	 * fetched: the fetch would wait on the emulator itself. self_port 0: unknown */
	int self_port;
	char self_host[64]; /* the --listen host ("" or 0.0.0.0: every address) */
};

/* Whether url (http[s]://host[:port]/...) names the listener self_host:self_port: the
 * same port on a loopback address, "localhost", the listen host, or any address when
 * the listener is on every address. */
bool emu_live_is_self(const struct emu_live *l, const char *url);

/* An emu_fetcher.fetch over HTTP: POST sends params as a form body, GET uses the
 * URL as given; X-Twilio-Signature from req->signature; 5 s connect, 15 s total,
 * up to 10 redirects, a 64 kB body (11750 beyond). Transport failures become
 * res->error (Twilio's code). ctx is a struct emu_live. Always returns 0. */
int emu_live_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res);

/* An emu_signer.sign with the token of ctx (a struct emu_live): EINVAL without
 * one, E2BIG when the request is too large to sign. */
int emu_live_sign(void *ctx, const char *url, const struct emu_params *params, char *out,
                  size_t outlen);

#endif

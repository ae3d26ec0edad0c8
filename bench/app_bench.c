/* app_bench: complete transfer flows per second through the engine (virtual clock) with the
 * app = the webhook server: its handler in-process, or `handoff serve` over loopback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator/app.h"
#include "emulator/engine.h"
#include "emulator/live.h"

static double secs(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The agent leg's SID of a fresh call, or "" when the call did not reach it. */
static void agent_sid(struct emu_engine *e, const char *p, char out[EMU_SID_LEN + 1])
{
	json_t *c = NULL;
	out[0] = 0;
	if (emu_call_json(e, p, &c))
		return;
	json_t *a = json_array_get(json_object_get(c, "legs"), 1);
	const char *s = json_string_value(json_object_get(a, "sid"));
	const char *st = json_string_value(json_object_get(a, "status"));
	if (s && st && strcmp(st, "in-progress") == 0)
		snprintf(out, EMU_SID_LEN + 1, "%s", s);
	json_decref(c);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr,
		        "usage: app_bench SECONDS DB [URL] (token for URL in TWILIO_AUTH_TOKEN)\n");
		return 2;
	}
	double budget = atof(argv[1]);
	const char *url = argc > 3 ? argv[3] : NULL;
	const char *tok = url ? getenv("TWILIO_AUTH_TOKEN") : "app-bench-in-process-token";
	struct emu_live live = {.auth_token = tok};
	struct emu_app *app = NULL;
	char err[256];
	if (!url &&
	    emu_app_open(argv[2], "sip:agent@pbx.example.com", tok, &app, err, sizeof(err))) {
		fprintf(stderr, "app_bench: %s\n", err);
		return 1;
	}
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher = app ? (struct emu_fetcher){app, emu_app_fetch}
	                  : (struct emu_fetcher){&live, emu_live_fetch};
	cfg.signer = (struct emu_signer){&live, emu_live_sign};
	struct emu_engine *e = NULL;
	if (emu_engine_new(&cfg, &e))
		return 1;
	char voice[512];
	snprintf(voice, sizeof(voice), "%s/voice", url ? url : EMU_APP_BASE);
	struct emu_call_spec sp = {0};
	sp.profile = EMU_TWILIO_VOICE;
	sp.from = "+14155550100";
	sp.to = "+14155550199";
	sp.voice_url = voice;
	long n = 0, bad = 0;
	double t0 = secs(), t;
	do {
		for (int i = 0; i < 20; i++, n++) {
			char p[EMU_SID_LEN + 1], a[EMU_SID_LEN + 1];
			json_t *r = NULL;
			if (emu_call_create(e, &sp, p)) {
				bad++;
				continue;
			}
			agent_sid(e, p, a);
			struct emu_refer_req rq = {"<sip:billing@agent.example.com?X-Reason=bench>",
			                           EMU_ANSWER, NULL};
			json_t *conn = NULL;
			if (!a[0] || emu_refer(e, a, &rq, &r) ||
			    !(conn = json_array_get(json_object_get(r, "connected"), 0)) ||
			    strcmp(json_string_value(conn), "B<->caller") != 0)
				bad++;
			json_decref(r);
			emu_call_release(e, p);
		}
		t = secs() - t0;
	} while (t < budget);
	printf("%.0f\n", bad ? 0.0 : (double)n / t);
	fprintf(stderr, "app_bench: %s: %ld flows in %.2f s, %ld failed\n",
	        url ? url : "in-process", n, t, bad);
	emu_engine_free(e);
	emu_app_free(app);
	return bad ? 1 : 0;
}

/* engine_bench: complete transfer flows per second through the emulator engine, in-process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator/engine.h"
#include "emulator/flow.h"

static double secs(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double budget = argc > 2 ? atof(argv[2]) : 2.0;
	if (argc < 2) {
		fprintf(stderr, "usage: engine_bench FLOW.json [SECONDS]\n");
		return 2;
	}
	json_t *flow = json_load_file(argv[1], 0, NULL);
	if (!flow) {
		fprintf(stderr, "engine_bench: cannot read %s\n", argv[1]);
		return 1;
	}
	/* 1. whole flows: engine, call, REFERs, expectations (what 'simulate' does per file) */
	long n = 0, bad = 0;
	double t0 = secs(), t;
	do {
		for (int i = 0; i < 100; i++, n++) {
			json_t *res = NULL;
			char err[256];
			if (emu_flow_run(flow, NULL, &res, err, sizeof(err)) ||
			    !json_is_true(json_object_get(res, "ok")))
				bad++;
			json_decref(res);
		}
		t = secs() - t0;
	} while (t < budget);
	printf("engine: %.0f complete flows/s (%s, %ld runs, %ld failed)\n", (double)n / t, argv[1],
	       n, bad);

	/* 2. one engine: create a call, REFER to an answering target, release */
	json_t *app = json_object_get(flow, "app");
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher.ctx = app;
	cfg.fetcher.fetch = emu_flow_fetch;
	struct emu_engine *e = NULL;
	if (emu_engine_new(&cfg, &e))
		return 1;
	json_t *call = json_object_get(flow, "call");
	struct emu_call_spec sp = {0};
	sp.profile = EMU_TWILIO_VOICE;
	sp.from = json_string_value(json_object_get(call, "from"));
	sp.to = json_string_value(json_object_get(call, "to"));
	sp.voice_url = json_string_value(json_object_get(call, "voice_url"));
	n = 0;
	t0 = secs();
	do {
		for (int i = 0; i < 100; i++, n++) {
			char p[EMU_SID_LEN + 1];
			json_t *c = NULL, *r = NULL;
			if (emu_call_create(e, &sp, p) || emu_call_json(e, p, &c)) {
				bad++;
				continue;
			}
			const char *a = json_string_value(
			    json_object_get(json_array_get(json_object_get(c, "legs"), 1), "sid"));
			struct emu_refer_req rq = {"<sip:billing@pbx.example.com>", EMU_ANSWER,
			                           NULL};
			if (!a || emu_refer(e, a, &rq, &r) ||
			    json_integer_value(json_object_get(r, "sip_response")) != 202)
				bad++;
			json_decref(r);
			json_decref(c);
			emu_call_release(e, p);
		}
		t = secs() - t0;
	} while (t < budget);
	printf("engine: %.0f call+REFER+release/s on one engine (%ld runs, %ld failed)\n",
	       (double)n / t, n, bad);
	emu_engine_free(e);
	json_decref(flow);
	return bad ? 1 : 0;
}

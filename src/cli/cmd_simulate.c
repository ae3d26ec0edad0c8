/* cmd_simulate: 'handoff simulate': runs flow files through the emulator engine. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "emulator/flow.h"

#define SIMULATE_MAX_FILES 4096

const char cmd_simulate_help[] =
    "Runs each flow file (fixtures/flows/*.json; format in docs/flows.md) through the\n"
    "emulator's call engine on a virtual clock and checks its expectations: the REFER's SIP\n"
    "answer, the NOTIFY sipfrags, every leg's status, who is connected, timeline events.\n"
    "Prints one line per flow (ok, or FAIL with expected vs actual), then N passed, N failed.\n"
    "Exit 0 when all pass, 1 when any fails, 2 on a usage error.\n\n"
    "--verbose      print each call's timeline\n"
    "--json         one JSON document: {flows: [...], passed, failed}\n"
    "--token-env NAME  the variable holding the auth token that signs webhooks to a live\n"
    "               app (flows with \"app_url\"); default TWILIO_AUTH_TOKEN\n";

static void print_json_short(FILE *f, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	fputs(s ? s : "(nothing)", f);
	free(s);
}

static void print_timeline(json_t *events)
{
	json_int_t t0 = json_integer_value(json_object_get(json_array_get(events, 0), "t_ms"));
	size_t i;
	json_t *v;
	json_array_foreach(events, i, v)
	{
		json_t *code = json_object_get(v, "code");
		char cbuf[16] = "";
		if (code)
			snprintf(cbuf, sizeof(cbuf), "%lld", (long long)json_integer_value(code));
		printf("      +%8.3fs %-2s %-11s %5s %s\n",
		       (double)(json_integer_value(json_object_get(v, "t_ms")) - t0) / 1000.0,
		       json_string_value(json_object_get(v, "leg")) ?: "",
		       json_string_value(json_object_get(v, "kind")) ?: "", cbuf,
		       json_string_value(json_object_get(v, "text")) ?: "");
	}
}

int cmd_simulate(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"verbose", no_argument, NULL, 'v'},
	                                     {"token-env", required_argument, NULL, 't'},
	                                     {NULL, 0, NULL, 0}};
	bool as_json = false, verbose = false;
	const char *token_env = "TWILIO_AUTH_TOKEN";
	int o;
	while ((o = getopt_long(argc, argv, "+v", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			as_json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 't':
			token_env = optarg;
			break;
		default:
			return cli_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("no flow file given");
	if (argc - optind > SIMULATE_MAX_FILES)
		return cli_usage("more than %d flow files", SIMULATE_MAX_FILES);
	/* the token signs webhooks to a live app ("app_url"); it never goes on argv */
	struct emu_flow_opts fo = {.auth_token = getenv(token_env)};
	int passed = 0, failed = 0;
	json_t *all = json_array();
	for (int i = optind; i < argc; i++) {
		const char *path = argv[i];
		json_t *res = NULL;
		char err[256] = "";
		int rc = emu_flow_run_file(path, &fo, &res, err, sizeof(err));
		if (rc) {
			failed++;
			fprintf(stderr, "handoff: simulate: %s: %s\n", path, err);
			if (as_json)
				json_array_append_new(all, json_pack("{s:s, s:b, s:s}", "file",
				                                     path, "ok", 0, "error", err));
			else
				printf("FAIL  %s: %s\n", path, err);
			continue;
		}
		bool ok = json_is_true(json_object_get(res, "ok"));
		ok ? passed++ : failed++;
		if (as_json) {
			json_object_set_new(res, "file", json_string(path));
			if (!verbose)
				json_object_del(res, "events");
			json_array_append_new(all, res);
			continue;
		}
		printf("%-4s  %s  %s\n", ok ? "ok" : "FAIL", path,
		       json_string_value(json_object_get(res, "name")));
		size_t k;
		json_t *f;
		json_array_foreach(json_object_get(res, "failures"), k, f)
		{
			printf("      %s: expected ",
			       json_string_value(json_object_get(f, "what")));
			print_json_short(stdout, json_object_get(f, "expected"));
			printf(", got ");
			print_json_short(stdout, json_object_get(f, "actual"));
			printf("\n");
		}
		if (verbose)
			print_timeline(json_object_get(res, "events"));
		json_decref(res);
	}
	if (as_json) {
		json_t *doc =
		    json_pack("{s:o, s:i, s:i}", "flows", all, "passed", passed, "failed", failed);
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(doc);
	} else {
		json_decref(all);
		printf("%d passed, %d failed\n", passed, failed);
	}
	return failed ? EXIT_FAIL : EXIT_OK;
}

/* main: the one entry point; the top-level command table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "version.h"

static const struct cmd top[] = {
    {"twiml", NULL, "check and format TwiML documents (lint, fmt)", NULL, NULL, cmd_twiml},
    {"sig", NULL, "sign and verify X-Twilio-Signature (sign, verify)", NULL, NULL, cmd_sig},
    {"dest", NULL, "edit handoff destinations in the sandbox (add, set, rm, list, show, preview)",
     NULL, NULL, cmd_dest},
    {"promote", "[--message TEXT] [--db PATH]", "snapshot the sandbox as a new live version", NULL,
     cmd_promote, NULL},
    {"versions", "[--json] [--db PATH]", "list promoted versions", NULL, cmd_versions, NULL},
    {"rollback", "[VERSION] [--db PATH]", "make an older version live (default: the previous one)",
     NULL, cmd_rollback, NULL},
    {"export", "[--env sandbox|live] [--db PATH]", "print the whole destination set as one file",
     NULL, cmd_export, NULL},
    {"import", "FILE [--db PATH]", "replace the sandbox with a file from export (all or nothing)",
     NULL, cmd_import, NULL},
    {"serve", "[--listen ADDR:PORT] [--db PATH] [--public-url URL] [--agent SIP-URI]",
     "run the referUrl webhook server", NULL, cmd_serve, NULL},
    {"emulator",
     "[--listen ADDR:PORT] [--account-sid AC...] [--auth-token-file FILE | --auth-token TOKEN] "
     "[--api-key SK...] [--seed-numbers N]",
     "run a local Twilio for transfer flows", cmd_emulator_help, cmd_emulator, NULL},
    {"simulate", "[--json] [--verbose] FILE...", "run flow files through the emulator engine", NULL,
     cmd_simulate, NULL},
    {"twilio", NULL, "administer a Twilio account (login, numbers, trunks)", NULL, NULL,
     cmd_twilio},
    {"version", "", "print the version", NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("handoff %s\n", HANDOFF_VERSION);
		return EXIT_OK;
	}
	if (argc < 2) {
		fprintf(stderr,
		        "handoff %s: Twilio SIP REFER handoffs: webhook server, TwiML "
		        "linter, emulator, admin CLI\n\n",
		        HANDOFF_VERSION);
	}
	return cli_dispatch(top, "handoff", argc - 1, argv + 1);
}

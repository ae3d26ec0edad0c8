/* main: the one entry point (the command table is commands.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/version.h"

int main(int argc, char **argv)
{
	cli_hide_secrets(argc, argv); /* a database URL's password stays out of ps */
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
	return cli_dispatch(cli_commands, "handoff", argc - 1, argv + 1);
}

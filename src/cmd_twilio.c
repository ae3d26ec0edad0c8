/* cmd_twilio: the 'handoff twilio' commands. (Placeholder until its issue lands.) */
#include "cli.h"

static int todo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail("%s: not built yet", cli_name());
}

const struct cmd cmd_twilio[] = {
    {"todo", "", "not built yet", NULL, todo, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

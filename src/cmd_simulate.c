/* cmd_simulate: 'handoff simulate'. (Placeholder until its issue lands.) */
#include "cli.h"

int cmd_simulate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail("simulate: not built yet");
}

/* cmd_emulator: 'handoff emulator' and 'handoff simulate'. (Placeholder until its issue lands.) */
#include "cli.h"

int cmd_emulator(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail("emulator: not built yet");
}

int cmd_simulate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail("simulate: not built yet");
}

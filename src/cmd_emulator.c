/* cmd_emulator: 'handoff emulator'. (Placeholder until its issue lands.) */
#include "cli.h"

int cmd_emulator(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail("emulator: not built yet");
}

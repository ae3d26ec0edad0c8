/* cmd_dest: the 'handoff dest' commands and promote/versions/rollback/export/import.
 * (Placeholder until its issue lands.) */
#include "cli.h"

static int todo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail("%s: not built yet", cli_name());
}

const struct cmd cmd_dest[] = {
    {"todo", "", "not built yet", NULL, todo, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

int cmd_promote(int argc, char **argv)
{
	return todo(argc, argv);
}
int cmd_versions(int argc, char **argv)
{
	return todo(argc, argv);
}
int cmd_rollback(int argc, char **argv)
{
	return todo(argc, argv);
}
int cmd_export(int argc, char **argv)
{
	return todo(argc, argv);
}
int cmd_import(int argc, char **argv)
{
	return todo(argc, argv);
}

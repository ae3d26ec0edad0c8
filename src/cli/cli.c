/* cli: the command table, dispatch, --help and the one-line error helpers. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/mem.h"

static char leaf_name[256];

const char *cli_name(void)
{
	return leaf_name;
}

static const struct cmd *find(const struct cmd *table, const char *name)
{
	for (const struct cmd *c = table; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void list(FILE *f, const struct cmd *table, const char *prefix)
{
	size_t width = 0;
	for (const struct cmd *c = table; c->name; c++) {
		size_t w = strlen(c->name);
		if (w > width)
			width = w;
	}
	for (const struct cmd *c = table; c->name; c++)
		fprintf(f, "  %-*s  %s\n", (int)width, c->name, c->summary);
	fprintf(f, "\nRun '%s COMMAND --help' for a command's options.\n", prefix);
}

static void leaf_help(const struct cmd *c, const char *path)
{
	printf("usage: %s%s%s\n\n%s\n", path, c->args && *c->args ? " " : "",
	       c->args ? c->args : "", c->summary);
	if (c->help)
		printf("\n%s", c->help);
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

int cli_dispatch(const struct cmd *table, const char *prefix, int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		FILE *f = argc < 1 ? stderr : stdout;
		fprintf(f, "usage: %s COMMAND [ARGS]\n\nCommands:\n", prefix);
		list(f, table, prefix);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	const struct cmd *c = find(table, argv[0]);
	if (!c) {
		fprintf(stderr, "handoff: unknown command '%s %s'\n", prefix, argv[0]);
		fprintf(stderr, "hint: run '%s --help' for the list\n", prefix);
		return EXIT_USAGE;
	}
	char path[256];
	snprintf(path, sizeof(path), "%s %s", prefix, c->name);
	if (c->sub)
		return cli_dispatch(c->sub, path, argc - 1, argv + 1);
	if (wants_help(argc, argv)) {
		leaf_help(c, path);
		return EXIT_OK;
	}
	/* "handoff twiml lint" -> "twiml lint" for error messages */
	const char *name = strchr(path, ' ');
	snprintf(leaf_name, sizeof(leaf_name), "%s", name ? name + 1 : path);
	cli_getopt_reset();
	return c->run(argc, argv);
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("handoff: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_FAIL;
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "handoff: %s: ", leaf_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fprintf(stderr, "hint: run 'handoff %s --help' for usage\n", leaf_name);
	return EXIT_USAGE;
}

void cli_hint(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hint: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_getopt_reset(void)
{
	optind = 0; /* glibc: 0 re-initialises getopt completely */
	opterr = 0; /* leaves report unknown options through cli_usage */
}

/* The arguments whose password was hidden: where each is in argv, and what it said. */
#define CLI_HIDDEN_MAX 8
static struct {
	char *at;
	size_t len;
	char *was;
} hidden[CLI_HIDDEN_MAX];

void cli_hide_secrets(int argc, char **argv)
{
	size_t n = 0;
	for (int i = 1; i < argc && n < CLI_HIDDEN_MAX; i++) {
		char *u = argv[i];
		while (*u && !store_is_url(u)) /* --db=URL, or URL */
			u++;
		if (!*u || !store_has_password(u))
			continue;
		size_t len = strlen(argv[i]);
		char shown[1024];
		store_redact(u, shown, sizeof(shown));
		hidden[n].at = argv[i];
		hidden[n].len = len;
		hidden[n].was = xstrdup(argv[i]);
		/* in place: /proc/PID/cmdline (ps) reads this memory; never longer than it was */
		size_t keep = (size_t)(u - argv[i]), room = len - keep, m = strlen(shown);
		memset(u, 0, room);
		memcpy(u, shown, m < room ? m : room);
		n++;
	}
}

const char *cli_unhidden(const char *arg)
{
	for (size_t k = 0; arg && k < CLI_HIDDEN_MAX && hidden[k].at; k++)
		if (arg >= hidden[k].at && arg < hidden[k].at + hidden[k].len)
			return hidden[k].was + (arg - hidden[k].at);
	return arg;
}

const char *cli_db_path(const char *flag)
{
	if (flag && *flag)
		return cli_unhidden(flag);
	const char *env = getenv("HANDOFF_DB");
	if (env && *env)
		return env;
	return "handoff.db";
}

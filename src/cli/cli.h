/* cli: the command table, dispatch, --help and the one-line error helpers. */
#ifndef HANDOFF_CLI_H
#define HANDOFF_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit statuses every command keeps (docs/interface.md). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* One row of a command table. A group has sub and no run; a leaf has run.
 * run gets argv[0] = the leaf's name and returns an exit status. */
struct cmd {
	const char *name;
	const char *args;    /* usage after the name, e.g. "[--json] FILE..." */
	const char *summary; /* one line for listings */
	const char *help;    /* longer text for CMD --help, or NULL */
	int (*run)(int argc, char **argv);
	const struct cmd *sub; /* NULL-name-terminated table */
};

/* The top-level table (commands.c) and each group's table (one file per group). */
extern const struct cmd cli_commands[];
extern const struct cmd cmd_twiml[];
extern const struct cmd cmd_sig[];
extern const struct cmd cmd_dest[];
extern const struct cmd cmd_twilio[];
extern const struct cmd cmd_store[];
int cmd_promote(int argc, char **argv);
int cmd_versions(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_console(int argc, char **argv);
extern const char cmd_console_help[];
int cmd_emulator(int argc, char **argv);
extern const char cmd_emulator_help[];
int cmd_dest_test(int argc, char **argv);
extern const char cmd_dest_test_help[];
int cmd_simulate(int argc, char **argv);
int cmd_man(int argc, char **argv);
extern const char cmd_simulate_help[];

/* Finds argv[0] in table and runs it (recursing into groups). prefix is the
 * path so far ("handoff", "handoff twiml"). Handles --help and -h. */
int cli_dispatch(const struct cmd *table, const char *prefix, int argc, char **argv);

/* The full name of the running leaf, e.g. "twiml lint" (no "handoff"). */
const char *cli_name(void);

/* Prints "handoff: <fmt>" and a newline on stderr; returns EXIT_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "handoff: <leaf>: <fmt>" and a hint to see --help; returns EXIT_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "hint: <fmt>" on stderr. */
void cli_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Resets getopt for a leaf's own parsing (leaves use getopt_long). */
void cli_getopt_reset(void);

/* The destinations database: --db, else $HANDOFF_DB, else ./handoff.db (a path, or a
 * postgresql:// URL; a password hidden from argv is given back). */
const char *cli_db_path(const char *flag);

/* Hides every password of a database URL in argv (postgresql://user:PASSWORD@...,
 * password=...) where ps and /proc/PID/cmdline show it, keeping the original for
 * cli_unhidden; called first thing in main. */
void cli_hide_secrets(int argc, char **argv);
/* An argument (or a pointer into one, as getopt's optarg) as it was before
 * cli_hide_secrets; any other pointer as it is. */
const char *cli_unhidden(const char *arg);

#endif

/* dest_cli: what the destination commands (cmd_dest.c, cmd_versions.c) share: the options
 * table and its parser, the database, and JSON output. */
#ifndef HANDOFF_DEST_CLI_H
#define HANDOFF_DEST_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* Options every command of this file may take; each leaf lists the ones it accepts. */
enum {
	OPT_DB = 1000,
	OPT_ENV,
	OPT_JSON,
	OPT_ROUTE,
	OPT_DESC,
	OPT_HEADER,
	OPT_CALLER,
	OPT_TIMEOUT,
	OPT_CLEAR,
	OPT_MESSAGE,
	OPT_OUTPUT,
	OPT_FAILOVER,
	OPT_CLEAR_FAILOVER,
	OPT_TZ,
	OPT_OPEN,
	OPT_CLOSED,
	OPT_OTHERWISE,
	OPT_CLEAR_HOURS,
	OPT_AT,
};

struct dest_cli_opts {
	const char *db;
	enum dest_env env;
	bool json;
	const char *route, *description, *caller_id, *timeout, *message, *output;
	const char *headers[DEST_MAX_HEADERS + 1];
	size_t nheaders;
	bool clear_headers;
	const char *failover[DEST_MAX_FAILOVER + 1]; /* --failover ROUTE, in order */
	size_t nfailover;
	bool clear_failover;
	const char *tz, *otherwise, *at;
	const char *open[HOURS_OPEN_MAX + 1], *closed[HOURS_CLOSED_MAX + 1];
	size_t nopen, nclosed;
	bool clear_hours;
	char **args; /* positional arguments */
	int nargs;
};

/* Parses argv against the options this leaf allows (a 0-terminated list of
 * OPT_ codes; shorts: "m:" and/or "o:"). Returns 0 or EXIT_USAGE. */
int dest_cli_parse(int argc, char **argv, const int *allowed, const char *shorts,
                   struct dest_cli_opts *o);
/* "sandbox" or "live". */
const char *dest_cli_env_name(enum dest_env e);
/* Who is running the command, for the versions and the audit log: $USER, else the
 * account's name. */
const char *dest_cli_author(void);
/* Opens the database of --db / $HANDOFF_DB (create: make it when absent; only import,
 * dest add and promote do), its changes authored by dest_cli_author(); 0 or EXIT_FAIL
 * (reported as "what: why": "no database at PATH: create one with ..."). */
int dest_cli_open_db(const struct dest_cli_opts *o, bool create, struct store **s,
                     const char *what);
/* Closes a database dest_cli_open_db opened: when the command failed (rc != 0) and the
 * open created the file, the file goes too. */
void dest_cli_close_db(struct store *s, int rc);
/* The set of --env (sandbox unless told) from the database; 0 or EXIT_FAIL (reported). */
int dest_cli_load_env(const struct dest_cli_opts *o, const char *what, struct dest_set **set);
/* Prints "handoff: what: <first line of err>" and, when err has a second line (a store
 * refusal's suggestion), "hint: <it>"; returns EXIT_FAIL. */
int dest_cli_fail(const char *what, const char *err);
/* Prints text (taken over and freed) with a final newline. */
void dest_cli_print_json_text(char *text);
/* Prints j (taken over) as one indented JSON document. */
void dest_cli_print_json(json_t *j);

#endif

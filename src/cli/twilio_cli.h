/* twilio_cli: what the 'handoff twilio' command files share: the options table, the client
 * session (credentials resolved, client set up) and the one-line error helpers. */
#ifndef HANDOFF_TWILIO_CLI_H
#define HANDOFF_TWILIO_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"
#include "twilio/creds.h"
#include "twilio/rest.h"

#define MAX_URL       2048 /* a webhook URL we will set */
#define MAX_LINE      256  /* a login input line */
#define WIRED_FILE    "wired.json"
#define MAX_TIMEOUT_S 300

/* The options a leaf may accept: a mask of these picks them from the table. */
enum {
	O_API_BASE = 1 << 0,
	O_PROFILE = 1 << 1,
	O_JSON = 1 << 2,
	O_VOICE_URL = 1 << 3,
	O_METHOD = 1 << 4,
	O_FALLBACK = 1 << 5,
	O_DRY_RUN = 1 << 6,
	O_FORCE = 1 << 7,
	O_XFER_MODE = 1 << 8,
	O_XFER_CID = 1 << 9,
	O_TIMEOUT = 1 << 10,
	O_PAGE_SIZE = 1 << 11,
	O_PUBLIC_URL = 1 << 12,
	O_SANDBOX = 1 << 13,
	O_STATUS = 1 << 14,
};

struct tw_cli_opts {
	const char *api_base, *profile, *voice_url, *method, *fallback, *xfer_mode, *xfer_cid;
	const char *public_url, *status;
	bool json, dry_run, force, sandbox;
	double timeout_s;
	long page_size;
	int argc; /* positional arguments */
	char **argv;
};

/* Credentials resolved and a client built on them (wiped by tw_cli_session_close). */
struct tw_cli_session {
	struct creds cr;
	struct tw_client c;
	char base[CREDS_MAX_BASE + 1];
};

/* The common options of every leaf's --help. */
#define COMMON_HELP                                                                                \
	"  --api-base URL     another Twilio (the emulator); env TWILIO_API_BASE\n"                \
	"  --profile NAME     use this stored profile instead of the environment\n"                \
	"  --timeout SECONDS  total time per request (default 30)\n"                               \
	"  --json             one JSON document on stdout\n"

/* Parses argv with the options in mask; returns 0 or EXIT_USAGE (reported). */
int tw_cli_parse(int argc, char **argv, unsigned mask, struct tw_cli_opts *o);
/* "numbers wire" for error lines (the interface's "handoff: numbers wire X: why"). */
const char *tw_cli_leaf(void);
/* Copies s into d (size n), truncating. */
void tw_cli_scopy(char *d, size_t n, const char *s);
/* An absolute http(s) URL with a host, no spaces or controls, bounded. */
bool tw_cli_is_http_url(const char *s);
/* NUMBER as the leaves take it (+E164 or PN...); 0 or EXIT_USAGE (reported). */
int tw_cli_check_number_arg(const char *s);
/* Resolves credentials and builds the client; returns 0 or an exit status. */
int tw_cli_session_open(struct tw_cli_session *s, const struct tw_cli_opts *o);
void tw_cli_session_close(struct tw_cli_session *s);
/* Reports a REST failure about target; returns EXIT_FAIL. */
int tw_cli_fail_rest(const char *target, int rc, const struct tw_error *e);
/* The string at key of o, or "" (never NULL). */
const char *tw_cli_jstr(const json_t *o, const char *key);
/* Prints j as one indented JSON document on stdout. */
void tw_cli_print_json(json_t *j);

/* The tables of the groups (cmd_twilio_numbers.c, cmd_twilio_trunks.c, cmd_twilio_calls.c). */
extern const struct cmd tw_cli_numbers_cmds[];
extern const struct cmd tw_cli_trunks_cmds[];
extern const struct cmd tw_cli_calls_cmds[];

#endif

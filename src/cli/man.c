/* man: 'handoff man': the manual page handoff(1) in roff, made from the command table, the
 * destination variables table and the environment table below, so it cannot drift from
 * --help. make builds build/handoff.1 with it; make install installs that. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/version.h"
#include "webhooks/dest.h"

/* The environment variables handoff reads, with what they do. */
static const struct {
	const char *name, *means;
} env_table[] = {
    {"HANDOFF_DB", "the destinations database when --db is not given (default ./handoff.db): "
                   "a file path (SQLite), or a postgresql:// URL (PostgreSQL, shared by "
                   "several servers; libpq's PGPASSWORD, PGPASSFILE and ~/.pgpass apply)"},
    {"HANDOFF_LISTEN", "serve: the default of --listen"},
    {"HANDOFF_PUBLIC_URL", "serve: the default of --public-url"},
    {"HANDOFF_AGENT", "serve: the default of --agent"},
    {"TWILIO_AUTH_TOKEN", "serve and sig: the auth token that signs X-Twilio-Signature"},
    {"TWILIO_AUTH_TOKEN_SECONDARY", "serve: a second accepted token during a rotation"},
    {"TWILIO_ACCOUNT_SID", "twilio: the account, with TWILIO_AUTH_TOKEN or an API key"},
    {"TWILIO_API_KEY, TWILIO_API_SECRET", "twilio: an API key and its secret instead of the token"},
    {"TWILIO_API_BASE", "twilio: another Twilio to talk to (the emulator); like --api-base"},
    {"HANDOFF_TWILIO_TIMEOUT_MS, HANDOFF_TWILIO_CONNECT_TIMEOUT_MS",
     "twilio: total and connect time per request (30 s, 10 s)"},
    {"HANDOFF_TWILIO_RETRIES, HANDOFF_TWILIO_BACKOFF_MS",
     "twilio: retries of a failed request and the first backoff"},
    {"HANDOFF_EMULATOR_AUTH_TOKEN", "emulator: its auth token when no --auth-token-file is given"},
    {"HANDOFF_EMULATOR_API_SECRET", "emulator: the secret of --api-key"},
    {"XDG_CONFIG_HOME", "where credentials and wire records live (default ~/.config)"},
};

/* Text for roff: backslashes and hyphens escaped, a line never starting a request. */
static void put_text(const char *s)
{
	bool bol = true;
	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", stdout);
		bol = *s == '\n';
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

static void put_line(const char *s)
{
	put_text(s);
	putchar('\n');
}

static void leaf(const struct cmd *c, const char *path)
{
	printf(".SS \"");
	put_text(path);
	printf("\"\n.B ");
	put_text(path);
	if (c->args && *c->args) {
		putchar(' ');
		put_text(c->args);
	}
	printf("\n.PP\n");
	put_line(c->summary);
	if (c->help) {
		/* the help texts are laid out in columns: kept as they are */
		printf(".PP\n.nf\n");
		put_text(c->help);
		if (c->help[0] && c->help[strlen(c->help) - 1] != '\n')
			putchar('\n');
		printf(".fi\n");
	}
}

static void walk(const struct cmd *table, const char *prefix)
{
	for (const struct cmd *c = table; c->name; c++) {
		char path[256];
		snprintf(path, sizeof(path), "%s %s", prefix, c->name);
		if (c->sub)
			walk(c->sub, path);
		else
			leaf(c, path);
	}
}

int cmd_man(int argc, char **argv)
{
	if (argc > 1)
		return cli_usage("unexpected argument '%s'", argv[1]);
	printf(".TH HANDOFF 1 \"%s\" \"handoff %s\" \"User Commands\"\n", HANDOFF_DATE,
	       HANDOFF_VERSION);
	printf(".ad l\n.SH NAME\nhandoff \\- Twilio SIP REFER handoffs: the referUrl webhook "
	       "server, a "
	       "TwiML linter, a local Twilio emulator and an admin CLI\n");
	printf(".SH SYNOPSIS\n.B handoff\n.I COMMAND\n.RI [ ARGS ]\n.br\n.B handoff\n"
	       ".I COMMAND\n.B \\-\\-help\n");
	printf(".SH DESCRIPTION\n");
	put_line(
	    "An AI agent or a PBX on a SIP leg sends a SIP REFER; Twilio calls the <Dial>'s "
	    "referUrl with ReferTransferTarget; handoff serve checks X-Twilio-Signature, finds "
	    "the named handoff destination and answers the TwiML that dials it. "
	    "Destinations are edited in a sandbox, tested, promoted to live as immutable "
	    "versions, and served without a restart.");
	printf(".PP\n");
	put_line("Every command has --help; --json, where a command prints data, prints one JSON "
	         "document. Errors are one line on standard error, \"handoff: what: why\", with a "
	         "hint line where one helps.");
	printf(".SH COMMANDS\n");
	walk(cli_commands, "handoff");
	printf(".SH DESTINATION VARIABLES\n");
	put_line("A header value of a SIP destination may use these variables ($$ is a literal $); "
	         "an unknown one is refused when the destination is saved.");
	for (const struct dest_var *v = dest_vars_table; v->name; v++) {
		printf(".TP\n.B $");
		put_text(v->name);
		printf("%s\n", v->name[strlen(v->name) - 1] == '.' ? "\\fIHeader\\-Name\\fR" : "");
		put_line(v->means);
	}
	printf(".SH ENVIRONMENT\n");
	for (size_t i = 0; i < sizeof(env_table) / sizeof(env_table[0]); i++) {
		printf(".TP\n.B ");
		put_line(env_table[i].name);
		put_line(env_table[i].means);
	}
	printf(".SH FILES\n.TP\n.B ./handoff.db\n");
	put_line("the default destinations database (SQLite, WAL mode: the CLI and a running "
	         "server share it); 'handoff store copy' moves it to PostgreSQL and back");
	printf(".TP\n.B ~/.pgpass\n");
	put_line("libpq's password file, read for a postgresql:// database URL without a "
	         "password (mode 0600)");
	printf(".TP\n.B $XDG_CONFIG_HOME/handoff/credentials\n");
	put_line("Twilio credential profiles (mode 0600 in a 0700 directory)");
	printf(".TP\n.B /etc/handoff/handoff.env\n");
	put_line("the environment of the handoff-serve.service unit (TWILIO_AUTH_TOKEN, "
	         "HANDOFF_PUBLIC_URL, ...; mode 0600)");
	printf(".SH EXIT STATUS\n.TP\n.B 0\nsuccess\n.TP\n.B 1\n");
	put_line("the thing failed: invalid input, a check failed, a remote error");
	printf(".TP\n.B 2\n");
	put_line("a usage error: an unknown command or option, a missing argument");
	printf(".SH SEE ALSO\n");
	put_line("The destination file format and flow files: destinations.md and flows.md in the "
	         "documentation directory (share/doc/handoff). The unit handoff-serve.service runs "
	         "the server under systemd.");
	return EXIT_OK;
}

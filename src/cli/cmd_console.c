/* cmd_console: 'handoff console', the web console on its own (no webhook server beside it). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "console/console.h"

const char cmd_console_help[] =
    "Serves the web console: the destinations (add, edit, remove, with every field's error\n"
    "and the TwiML preview as you type), Test in sandbox (the in-process 'handoff dest\n"
    "test', drawn as a SIP ladder), Promote, Versions (compare, roll back) and the audit\n"
    "log. 'handoff serve --console ADDR:PORT' serves the same beside the webhook server,\n"
    "with its recent transfers.\n"
    "\n"
    "  --listen ADDR:PORT  default " CONSOLE_DEFAULT_LISTEN " (port 0: any free one)\n"
    "  --db PATH|URL       the destinations database: a file or a postgresql:// URL\n"
    "                      (default $HANDOFF_DB, ./handoff.db)\n"
    "  --token-file FILE   the token, in a file only you can read (0600)\n"
    "  --public-url URL    the console's address behind a TLS proxy (its Host and Origin\n"
    "                      are accepted; https makes the cookie Secure)\n"
    "\n"
    "Always behind a token: $HANDOFF_CONSOLE_TOKEN, else --token-file, else a generated\n"
    "one in a 0600 file beside the database, whose path is printed (the token never is).\n"
    "A non-loopback --listen without a configured token refuses to start: put the\n"
    "console behind a TLS proxy or reach it through an SSH tunnel. Log in with the token\n"
    "and your name (the audit log records it); scripts send Authorization: Bearer TOKEN\n"
    "and Accept: application/json. SIGTERM/SIGINT stop it.\n";

int cmd_console(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"db", required_argument, NULL, 'd'},
	    {"token-file", required_argument, NULL, 't'},
	    {"public-url", required_argument, NULL, 'u'},
	    {NULL, 0, NULL, 0},
	};
	struct console_config cfg = {.listen = CONSOLE_DEFAULT_LISTEN};
	const char *db = NULL;
	const char *e = getenv("HANDOFF_CONSOLE_LISTEN");
	if (e && *e)
		cfg.listen = e;
	int c;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			cfg.listen = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 't':
			cfg.token_file = optarg;
			break;
		case 'u':
			cfg.public_url = optarg;
			break;
		case ':':
			return cli_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	cfg.db = cli_db_path(db);
	e = getenv("HANDOFF_CONSOLE_TOKEN");
	cfg.token = e && *e ? e : NULL;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the listener's threads inherit it */
	signal(SIGPIPE, SIG_IGN);
	struct console *con = NULL;
	char err[1024];
	if (console_start(&con, &cfg, err, sizeof(err))) {
		char *hint = strstr(err, "\nhint: ");
		if (hint)
			*hint = '\0';
		cli_fail("console: %s", err);
		if (hint)
			cli_hint("%s", hint + 7);
		return EXIT_FAIL;
	}
	int sig = 0;
	sigwait(&set, &sig);
	fprintf(stderr, "console: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	console_stop(con);
	return EXIT_OK;
}

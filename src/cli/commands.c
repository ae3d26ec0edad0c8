/* commands: the top-level command table (each group's own table is in its cmd_*.c). */
#include <stddef.h>

#include "cli/cli.h"

const struct cmd cli_commands[] = {
    {"twiml", NULL, "check and format TwiML documents (lint, fmt)", NULL, NULL, cmd_twiml},
    {"sig", NULL, "sign and verify X-Twilio-Signature (sign, verify)", NULL, NULL, cmd_sig},
    {"dest", NULL,
     "edit handoff destinations in the sandbox (add, set, rm, list, show, preview, test)", NULL,
     NULL, cmd_dest},
    {"promote", "[-m|--message TEXT] [--json] [--db PATH|URL]",
     "snapshot the sandbox as a new live version", NULL, cmd_promote, NULL},
    {"versions", "[--json] [--db PATH|URL]", "list promoted versions", NULL, cmd_versions, NULL},
    {"rollback", "[VERSION] [--json] [--db PATH|URL]",
     "make an older version live (default: the previous one)", NULL, cmd_rollback, NULL},
    {"audit", "[COUNT] [--json] [--db PATH|URL]",
     "who changed what and when (the newest COUNT changes, default 50)",
     "Every change to the database (dest add/set/rm, import, promote, rollback, from the\n"
     "CLI or the console) records its author, the time and the fields that changed.\n",
     cmd_audit, NULL},
    {"export", "[--env sandbox|live] [-o FILE] [--db PATH|URL]",
     "print the whole destination set as one file", NULL, cmd_export, NULL},
    {"import", "FILE|- [--db PATH|URL]",
     "replace the sandbox with a file from export (all or nothing)", NULL, cmd_import, NULL},
    {"store", NULL, "copy a whole store between SQLite and PostgreSQL (copy)", NULL, NULL,
     cmd_store},
    {"serve",
     "[--listen ADDR:PORT] [--db PATH|URL] [--public-url URL] [--agent SIP-URI] [--trust-proxy] "
     "[--allow-direct PATTERN] [--threads N] [--max-connections N] [--max-per-client N] "
     "[--head-timeout S] [--body-timeout S] [--keepalive-timeout S] [--insecure-no-signature] "
     "[--console ADDR:PORT [--console-token-file FILE] [--console-public-url URL]]",
     "run the referUrl webhook server",
     "Routes: POST|GET /voice and /sandbox/voice (answer a <Dial referUrl> to --agent),\n"
     "POST|GET /refer and /sandbox/refer (the referUrl webhook: ReferTransferTarget names a\n"
     "destination of the live or sandbox set), GET /healthz, GET /metrics.\n"
     "Answers 200 TwiML; 403 missing/invalid X-Twilio-Signature; 400 malformed; 404 no\n"
     "destination; 405 other methods; 413 body over 64 KiB.\n\n"
     "The auth token comes from $TWILIO_AUTH_TOKEN (and $TWILIO_AUTH_TOKEN_SECONDARY);\n"
     "without one the server refuses to start unless --insecure-no-signature is given.\n"
     "--public-url: the base URL Twilio calls (behind a TLS proxy); without it the URL is\n"
     "rebuilt from Host (X-Forwarded-Proto/-Host only with --trust-proxy).\n"
     "--allow-direct PATTERN: targets naming no destination are dialled as they are when\n"
     "their number or URI matches the fnmatch(3) PATTERN (e.g. '+1415*', "
     "'sip:*@pbx.example.com').\n"
     "\nHolding up under slow and idle clients (an idle socket holds no thread):\n"
     "--threads N: event-loop worker threads (default 2; 1-64).\n"
     "--max-connections N: open connections (default 2048, and as many as the open-file\n"
     "limit allows: the soft limit is raised to fit); more are refused at accept.\n"
     "--max-per-client N: open connections from one client address (default 64; 0: no\n"
     "cap). --trust-proxy turns the cap off: behind a proxy every client is the proxy.\n"
     "--head-timeout S: the request line and headers within S seconds of connecting\n"
     "(default 5). --body-timeout S: the body read and the answer taken within S seconds\n"
     "of the head (default 10). --keepalive-timeout S: the next request's head within S\n"
     "seconds of an answer (default 5); past 75% of --max-connections every answer closes\n"
     "its connection. Overdue connections are closed; /metrics counts them\n"
     "(handoff_http_timeouts_total), the refusals, the busy workers and the limits.\n"
     "Framing is strict: over 100 headers 431; a bad or conflicting Content-Length,\n"
     "chunked with Content-Length, a target that is not a path (absolute-form), %00 in\n"
     "the path 400; the connection is closed after each refusal.\n\n"
     "Environment: HANDOFF_LISTEN, HANDOFF_PUBLIC_URL, HANDOFF_AGENT and HANDOFF_DB give\n"
     "the defaults of --listen, --public-url, --agent and --db (a flag wins).\n"
     "--db postgresql://[USER@]HOST[:PORT]/DB (or postgres://) shares one PostgreSQL\n"
     "database between replicas: each loads a promote at once (LISTEN/NOTIFY, checked\n"
     "every 0.5 s besides); while the database is unreachable each keeps serving its last\n"
     "snapshot, /healthz answers 200 'degraded: serving version N, store unreachable' and\n"
     "it reconnects with a backoff. Give the password through ~/.pgpass, PGPASSFILE or\n"
     "HANDOFF_DB rather than on the command line (it is hidden from ps, but only once the\n"
     "server has started).\n"
     "SIGHUP reloads the database now (changes are picked up within a second anyway);\n"
     "SIGTERM/SIGINT finish in-flight requests and exit 0.\n\n"
     "--console ADDR:PORT also serves the web console on its own listener (its own 4\n"
     "threads; the public port is untouched), with the recent transfers this server\n"
     "answered. See 'handoff console --help' for its token and addresses.\n",
     cmd_serve, NULL},
    {"console", "[--listen ADDR:PORT] [--db PATH|URL] [--token-file FILE] [--public-url URL]",
     "serve the web console alone (destinations, test, promote, versions, audit)", cmd_console_help,
     cmd_console, NULL},
    {"emulator",
     "[--listen ADDR:PORT] [--account-sid AC...] [--auth-token-file FILE | --auth-token TOKEN] "
     "[--api-key SK...] [--seed-numbers N]",
     "run a local Twilio for transfer flows", cmd_emulator_help, cmd_emulator, NULL},
    {"simulate", "[--json] [--verbose] [--token-env NAME] FILE...",
     "run flow files through the emulator engine", cmd_simulate_help, cmd_simulate, NULL},
    {"twilio", NULL, "administer a Twilio account (login, numbers, trunks, calls)", NULL, NULL,
     cmd_twilio},
    {"man", "", "print the manual page handoff(1) (roff: man -l <(handoff man))", NULL, cmd_man,
     NULL},
    {"version", "", "print the version", NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

/* cmd_serve: 'handoff serve', the referUrl webhook server (options; the run is in server.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "net/httpd.h"
#include "server/server.h"
#include "util/mem.h"

enum {
	OPT_LISTEN = 1,
	OPT_DB,
	OPT_PUBLIC_URL,
	OPT_AGENT,
	OPT_TRUST_PROXY,
	OPT_ALLOW_DIRECT,
	OPT_THREADS,
	OPT_INSECURE,
	OPT_MAX_CONNS,
	OPT_MAX_PER_CLIENT,
	OPT_HEAD_TIMEOUT,
	OPT_BODY_TIMEOUT,
	OPT_KEEPALIVE_TIMEOUT,
	OPT_CONSOLE,
	OPT_CONSOLE_TOKEN_FILE,
	OPT_CONSOLE_PUBLIC_URL,
};

static const struct option opts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"db", required_argument, NULL, OPT_DB},
    {"public-url", required_argument, NULL, OPT_PUBLIC_URL},
    {"agent", required_argument, NULL, OPT_AGENT},
    {"trust-proxy", no_argument, NULL, OPT_TRUST_PROXY},
    {"allow-direct", required_argument, NULL, OPT_ALLOW_DIRECT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"insecure-no-signature", no_argument, NULL, OPT_INSECURE},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNS},
    {"max-per-client", required_argument, NULL, OPT_MAX_PER_CLIENT},
    {"head-timeout", required_argument, NULL, OPT_HEAD_TIMEOUT},
    {"body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT},
    {"keepalive-timeout", required_argument, NULL, OPT_KEEPALIVE_TIMEOUT},
    {"console", required_argument, NULL, OPT_CONSOLE},
    {"console-token-file", required_argument, NULL, OPT_CONSOLE_TOKEN_FILE},
    {"console-public-url", required_argument, NULL, OPT_CONSOLE_PUBLIC_URL},
    {NULL, 0, NULL, 0},
};

#define SERVE_MAX_TIMEOUT_S 3600

/* A whole number in [lo, hi] into *out; EINVAL otherwise. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned *out)
{
	char *end;
	if (!*s || *s == '-')
		return EINVAL;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v < lo || v > hi)
		return EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* A timeout in seconds (a decimal like 2.5 allowed) into milliseconds. */
static int parse_seconds(const char *s, unsigned *ms)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !(v >= 0.1) || v > SERVE_MAX_TIMEOUT_S)
		return EINVAL;
	*ms = (unsigned)(v * 1000 + 0.5);
	return 0;
}

static const char *env_token(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int cmd_serve(int argc, char **argv)
{
	struct server_config cfg = {.listen = SERVER_DEFAULT_LISTEN,
	                            .threads = SERVER_DEFAULT_THREADS,
	                            .max_per_client = SERVER_DEFAULT_PER_CLIENT};
	bool per_client_given = false;
	const char *db = NULL;
	char *public_url = NULL;
	/* the environment gives the defaults (a systemd EnvironmentFile, scripts/run.sh);
	 * a flag wins over it */
	const char *e;
	if ((e = env_token("HANDOFF_LISTEN")))
		cfg.listen = e;
	if ((e = env_token("HANDOFF_PUBLIC_URL")))
		public_url = xstrdup(e);
	if ((e = env_token("HANDOFF_AGENT")))
		cfg.agent = e;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			cfg.listen = optarg;
			break;
		case OPT_DB:
			db = optarg;
			break;
		case OPT_PUBLIC_URL:
			free(public_url);
			public_url = xstrdup(optarg);
			break;
		case OPT_AGENT:
			cfg.agent = optarg;
			break;
		case OPT_TRUST_PROXY:
			cfg.trust_proxy = true;
			break;
		case OPT_ALLOW_DIRECT:
			cfg.allow_direct = optarg;
			break;
		case OPT_THREADS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > SERVER_MAX_THREADS) {
				free(public_url);
				return cli_usage("--threads takes 1 to %d", SERVER_MAX_THREADS);
			}
			cfg.threads = (int)n;
			break;
		}
		case OPT_INSECURE:
			cfg.insecure = true;
			break;
		case OPT_MAX_CONNS:
			if (parse_uint(optarg, 1, HTTPD_MAX_CONNS, &cfg.max_conns)) {
				free(public_url);
				return cli_usage("--max-connections takes 1 to %d",
				                 HTTPD_MAX_CONNS);
			}
			break;
		case OPT_MAX_PER_CLIENT:
			if (parse_uint(optarg, 0, HTTPD_MAX_CONNS, &cfg.max_per_client)) {
				free(public_url);
				return cli_usage("--max-per-client takes 0 (no cap) to %d",
				                 HTTPD_MAX_CONNS);
			}
			per_client_given = true;
			break;
		case OPT_HEAD_TIMEOUT:
		case OPT_BODY_TIMEOUT:
		case OPT_KEEPALIVE_TIMEOUT: {
			unsigned *ms = c == OPT_HEAD_TIMEOUT   ? &cfg.head_ms
			               : c == OPT_BODY_TIMEOUT ? &cfg.body_ms
			                                       : &cfg.idle_ms;
			if (parse_seconds(optarg, ms)) {
				free(public_url);
				return cli_usage("%s takes seconds, 0.1 to %d", argv[optind - 1],
				                 SERVE_MAX_TIMEOUT_S);
			}
			break;
		}
		case OPT_CONSOLE:
			cfg.console_listen = optarg;
			break;
		case OPT_CONSOLE_TOKEN_FILE:
			cfg.console_token_file = optarg;
			break;
		case OPT_CONSOLE_PUBLIC_URL:
			cfg.console_public_url = optarg;
			break;
		default:
			free(public_url);
			return cli_usage("unknown option or missing argument: %s",
			                 argv[optind - 1]);
		}
	}
	if (optind < argc) {
		free(public_url);
		return cli_usage("unexpected argument '%s'", argv[optind]);
	}
	/* behind a proxy every client has the proxy's address: no per-address cap */
	if (cfg.trust_proxy && !per_client_given)
		cfg.max_per_client = 0;
	cfg.db = cli_db_path(db);
	if (public_url) {
		size_t n = strlen(public_url);
		while (n > 0 && public_url[n - 1] == '/')
			public_url[--n] = '\0';
		if ((strncasecmp(public_url, "https://", 8) != 0 &&
		     strncasecmp(public_url, "http://", 7) != 0) ||
		    strchr(public_url, '?') || strchr(public_url, '#') || n > 512) {
			cli_fail("serve: --public-url '%s' is not an http(s) base URL", public_url);
			cli_hint("give the URL Twilio calls without the route, e.g. "
			         "--public-url https://agent.example.com");
			free(public_url);
			return EXIT_USAGE;
		}
		cfg.public_url = public_url;
	}
	if (cfg.agent && strncasecmp(cfg.agent, "sip:", 4) != 0 &&
	    strncasecmp(cfg.agent, "sips:", 5) != 0) {
		free(public_url);
		cli_fail("serve: --agent '%s' is not a sip: or sips: URI", cfg.agent);
		cli_hint("e.g. --agent sip:agent@voice.example.com");
		return EXIT_USAGE;
	}
	cfg.keys.primary = env_token("TWILIO_AUTH_TOKEN");
	cfg.keys.secondary = env_token("TWILIO_AUTH_TOKEN_SECONDARY");
	if (!cfg.keys.primary && !cfg.keys.secondary && !cfg.insecure) {
		free(public_url);
		cli_fail("serve: TWILIO_AUTH_TOKEN is not set: cannot check X-Twilio-Signature");
		cli_hint("export TWILIO_AUTH_TOKEN (and TWILIO_AUTH_TOKEN_SECONDARY during a "
		         "rotation); --insecure-no-signature turns the check off for local tests");
		return EXIT_FAIL;
	}
	if ((cfg.console_token_file || cfg.console_public_url) && !cfg.console_listen) {
		free(public_url);
		return cli_usage("--console-token-file and --console-public-url go with --console "
		                 "ADDR:PORT");
	}
	cfg.console_token = env_token("HANDOFF_CONSOLE_TOKEN");
	int rc = server_run(&cfg);
	free(public_url);
	return rc;
}

/* cmd_sig: 'handoff sig sign' and 'handoff sig verify' (X-Twilio-Signature). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/buf.h"
#include "util/mem.h"
#include "webhooks/crypto.h"
#include "webhooks/sig.h"

#define SIG_MAX_BODY_FILE (1024 * 1024) /* --body FILE */

struct sig_opts {
	const char *url, *signature, *body_file, *token_env, *secondary_env;
	int json;
	struct form_param *params;
	size_t nparams;
	char *body;
	size_t body_len;
};

static const struct option long_opts[] = {
    {"url", required_argument, NULL, 'u'},
    {"signature", required_argument, NULL, 's'},
    {"body", required_argument, NULL, 'b'},
    {"token-env", required_argument, NULL, 't'},
    {"secondary-env", required_argument, NULL, 'S'},
    {"json", no_argument, NULL, 'j'},
    {NULL, 0, NULL, 0},
};

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return errno;
	struct buf b;
	buf_init(&b, SIG_MAX_BODY_FILE);
	char chunk[4096];
	size_t n;
	int rc = 0;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(&b, chunk, n);
	if (f != stdin)
		fclose(f);
	if (rc)
		return rc;
	*len = b.len;
	*out = b.len ? buf_steal(&b) : xstrdup("");
	return 0;
}

/* Parses the options and NAME=VALUE operands; returns -1 when fine, else an exit status. */
static int parse(int argc, char **argv, struct sig_opts *o, int verify)
{
	memset(o, 0, sizeof(*o));
	o->token_env = "TWILIO_AUTH_TOKEN";
	o->secondary_env = "TWILIO_AUTH_TOKEN_SECONDARY";
	int c;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->url = optarg;
			break;
		case 's':
			o->signature = optarg;
			break;
		case 'b':
			o->body_file = optarg;
			break;
		case 't':
			o->token_env = optarg;
			break;
		case 'S':
			o->secondary_env = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		default:
			return cli_usage("unknown option or missing argument: %s",
			                 argv[optind - 1]);
		}
	}
	if (!o->url)
		return cli_usage("--url is required");
	if (verify && !o->signature)
		return cli_usage("--signature is required");
	if (strlen(o->url) > SIG_MAX_URL)
		return cli_fail("%s: the URL is longer than %d bytes", cli_name(), SIG_MAX_URL);
	size_t n = (size_t)(argc - optind);
	o->params = xcalloc(n ? n : 1, sizeof(*o->params));
	for (int i = optind; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq)
			return cli_usage("'%s' is not NAME=VALUE", argv[i]);
		struct form_param *p = &o->params[o->nparams++];
		*p = (struct form_param){argv[i], (size_t)(eq - argv[i]), eq + 1, strlen(eq + 1)};
	}
	if (o->body_file) {
		if (o->nparams)
			return cli_usage("--body and NAME=VALUE parameters exclude each other");
		int rc = read_file(o->body_file, &o->body, &o->body_len);
		if (rc)
			return cli_fail("%s: %s: %s", cli_name(), o->body_file,
			                rc == E2BIG ? "larger than 1 MiB" : strerror(rc));
	}
	return -1;
}

static void opts_free(struct sig_opts *o)
{
	free(o->params);
	free(o->body);
	crypto_thread_done();
}

static const char *token_from(const char *env)
{
	const char *t = env ? getenv(env) : NULL;
	return t && *t ? t : NULL;
}

static int sig_sign_cmd(int argc, char **argv)
{
	struct sig_opts o;
	int rc = parse(argc, argv, &o, 0);
	if (rc >= 0) {
		opts_free(&o);
		return rc;
	}
	const char *token = token_from(o.token_env);
	if (!token) {
		opts_free(&o);
		cli_fail("sig sign: $%s is not set", o.token_env);
		cli_hint("export the auth token in %s (it is never read from the command line)",
		         o.token_env);
		return EXIT_FAIL;
	}
	/* a JSON body is signed through the hash the URL carries */
	char *url = xstrdup(o.url);
	if (o.body) {
		char hex[65];
		sig_body_hash(o.body, o.body_len, hex);
		free(url);
		url = xasprintf("%s%sbodySHA256=%s", o.url, strchr(o.url, '?') ? "&" : "?", hex);
		if (strstr(o.url, "bodySHA256="))
			cli_hint("the URL already carries bodySHA256; signing with the body's own "
			         "hash appended");
	}
	char sig[SIG_LEN + 1];
	rc = sig_sign(token, url, o.params, o.nparams, sig);
	if (rc) {
		free(url);
		opts_free(&o);
		return cli_fail("sig sign: %s", rc == E2BIG ? "too large to sign" : "HMAC failed");
	}
	if (o.json) {
		json_t *j = json_pack("{s:s, s:s}", "signature", sig, "url", url);
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		printf("%s\n", sig);
		if (o.body)
			fprintf(stderr, "signed URL: %s\n", url);
	}
	free(url);
	opts_free(&o);
	return EXIT_OK;
}

static int sig_verify_cmd(int argc, char **argv)
{
	struct sig_opts o;
	int rc = parse(argc, argv, &o, 1);
	if (rc >= 0) {
		opts_free(&o);
		return rc;
	}
	struct sig_keys keys = {token_from(o.token_env), token_from(o.secondary_env)};
	if (!keys.primary && !keys.secondary) {
		opts_free(&o);
		cli_fail("sig verify: neither $%s nor $%s is set", o.token_env, o.secondary_env);
		cli_hint("export the auth token (it is never read from the command line)");
		return EXIT_FAIL;
	}
	struct sig_request req = {o.url, o.params, o.nparams, o.body, o.body_len, o.signature};
	struct sig_explain *ex = xcalloc(1, sizeof(*ex));
	rc = sig_verify(&keys, &req, ex);
	if (o.json) {
		json_t *vs = json_array();
		for (size_t i = 0; i < ex->nv; i++)
			json_array_append_new(vs, json_pack("{s:s, s:s, s:b}", "url", ex->v[i].url,
			                                    "why", ex->v[i].why, "matched",
			                                    (int)i == ex->matched));
		json_t *j =
		    json_pack("{s:b, s:s, s:s?, s:o, s:s%}", "valid", rc == 0, "reason", ex->reason,
		              "token", ex->token, "variants", vs, "signed_string",
		              ex->signed_.p ? ex->signed_.p : "", ex->signed_.len);
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		struct buf out;
		buf_init(&out, 1 << 20);
		sig_explain_format(ex, &out, SIG_MAX_DATA, 1);
		if (rc == 0)
			printf("valid\n%s\n",
			       strchr(buf_str(&out), '\n') ? strchr(buf_str(&out), '\n') + 1 : "");
		else
			fprintf(stderr, "handoff: sig verify: signature invalid: %s\n",
			        buf_str(&out));
		buf_free(&out);
	}
	sig_explain_free(ex);
	free(ex);
	opts_free(&o);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

#define SIG_COMMON "[--body FILE] [--token-env NAME] [--json]"

const struct cmd cmd_sig[] = {
    {"sign", "--url URL [NAME=VALUE ...] " SIG_COMMON,
     "print the X-Twilio-Signature of a form POST (or a JSON body) to URL",
     "The auth token is read from $TWILIO_AUTH_TOKEN (or --token-env NAME), never\n"
     "from the command line. NAME=VALUE pairs are the decoded form parameters.\n"
     "--body FILE signs a JSON body: its SHA-256 is appended to the URL as bodySHA256\n"
     "(the signed URL is printed on stderr).\n",
     sig_sign_cmd, NULL},
    {"verify", "--url URL --signature SIG [NAME=VALUE ...] " SIG_COMMON " [--secondary-env NAME]",
     "check an X-Twilio-Signature; exit 1 with the explanation when it does not match",
     "Tries the primary token ($TWILIO_AUTH_TOKEN or --token-env) and the secondary\n"
     "($TWILIO_AUTH_TOKEN_SECONDARY or --secondary-env) against every URL variant\n"
     "Twilio's helper libraries accept (as given, port removed, default port added,\n"
     "normalised, legacy re-encoded query). On failure it prints the string that was\n"
     "signed, each URL tried and why it differs, and which tokens were tried.\n",
     sig_verify_cmd, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

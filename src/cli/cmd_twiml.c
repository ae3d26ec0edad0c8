/* cmd_twiml: 'handoff twiml lint' and 'handoff twiml fmt': Twilio's own codes for a TwiML file, and
 * its canonical form. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "twiml/lint.h"
#include "util/buf.h"
#include "util/mem.h"

#define FMT_MAX_OUT (4 * TWIML_MAX_BYTES) /* indentation can grow a 64 kB document */

/* A file read for linting: at most TWIML_MAX_BYTES + 1 bytes are read, so a
 * huge file is refused (11750) without reading or parsing all of it. */
struct input {
	const char *name; /* as shown in findings */
	char *data;
	size_t len;
	long long size; /* whole size when known (regular file), else -1 */
	bool over;      /* more than TWIML_MAX_BYTES */
};

static int read_input(const char *path, struct input *in, char *why, size_t wsz)
{
	bool std = strcmp(path, "-") == 0;
	int fd = std ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	memset(in, 0, sizeof(*in));
	in->name = std ? "<stdin>" : path;
	in->size = -1;
	if (fd < 0) {
		snprintf(why, wsz, "%s", strerror(errno));
		return errno;
	}
	struct stat st;
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(why, wsz, "is a directory");
			if (!std)
				close(fd);
			return EISDIR;
		}
		if (S_ISREG(st.st_mode))
			in->size = (long long)st.st_size;
	}
	size_t cap = TWIML_MAX_BYTES + 1;
	in->data = xmalloc(cap + 1);
	while (in->len < cap) {
		ssize_t n = read(fd, in->data + in->len, cap - in->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			snprintf(why, wsz, "%s", strerror(e));
			free(in->data);
			in->data = NULL;
			if (!std)
				close(fd);
			return e;
		}
		if (n == 0)
			break;
		in->len += (size_t)n;
	}
	in->data[in->len] = '\0';
	in->over = in->len > TWIML_MAX_BYTES;
	if (!std)
		close(fd);
	return 0;
}

/* Reads and lints one input; *root gets the document when wanted and parsed. */
static int lint_input(struct input *in, struct twiml_findings *f, struct twiml_node **root,
                      bool validate)
{
	if (in->over) {
		if (in->size > 0)
			twiml_finding_add(f, 1, 1, 11750,
			                  "document is %lld bytes; Twilio reads at most %d (64 kB)",
			                  in->size, TWIML_MAX_BYTES);
		else
			twiml_finding_add(
			    f, 1, 1, 11750,
			    "document is over %d bytes (64 kB), the most Twilio reads",
			    TWIML_MAX_BYTES);
		return E2BIG;
	}
	struct twiml_node *doc = NULL;
	int rc = twiml_parse(in->data, in->len, &doc, f);
	if (rc == 0 && validate)
		twiml_validate(doc, f);
	if (rc == 0 && root)
		*root = doc;
	else
		twiml_free(doc);
	return rc;
}

static const char *level_name(enum twiml_level l)
{
	return l == TWIML_ERROR ? "error" : "warning";
}

static void print_findings(const char *name, const struct twiml_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct twiml_finding *x = &f->v[i];
		printf("%s:%u:%u: %s %d: %s\n", name, x->line ? x->line : 1, x->col ? x->col : 1,
		       level_name(x->level), x->code, x->msg);
	}
	if (f->dropped)
		printf("%s: %zu more findings not shown (at most %d per file)\n", name, f->dropped,
		       TWIML_MAX_FINDINGS);
}

static json_t *findings_json(const struct twiml_findings *f)
{
	json_t *a = json_array();
	for (size_t i = 0; i < f->n; i++) {
		const struct twiml_finding *x = &f->v[i];
		json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:i, s:s}", "line",
		                                   (json_int_t)(x->line ? x->line : 1), "col",
		                                   (json_int_t)(x->col ? x->col : 1), "level",
		                                   level_name(x->level), "code", x->code, "message",
		                                   x->msg));
	}
	return a;
}

static int run_lint(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"strict", no_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	bool strict = false, json = false;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			strict = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("no FILE given (use - for standard input)");
	size_t errors = 0, warnings = 0, unreadable = 0, stdin_uses = 0;
	for (int i = optind; i < argc; i++)
		stdin_uses += strcmp(argv[i], "-") == 0;
	if (stdin_uses > 1)
		return cli_usage("standard input (-) given more than once");
	json_t *files = json ? json_array() : NULL;
	for (int i = optind; i < argc; i++) {
		struct input in;
		char why[256];
		if (read_input(argv[i], &in, why, sizeof(why)) != 0) {
			unreadable++;
			fprintf(stderr, "handoff: twiml lint: %s: %s\n", in.name, why);
			if (files)
				json_array_append_new(
				    files, json_pack("{s:s, s:s}", "file", in.name, "error", why));
			continue;
		}
		struct twiml_findings f;
		twiml_findings_init(&f);
		lint_input(&in, &f, NULL, true);
		errors += f.errors;
		warnings += f.warnings;
		if (files) {
			bool ok = f.errors == 0 && !(strict && f.warnings);
			json_array_append_new(
			    files, json_pack("{s:s, s:b, s:I, s:I, s:I, s:o}", "file", in.name,
			                     "ok", ok, "errors", (json_int_t)f.errors, "warnings",
			                     (json_int_t)f.warnings, "dropped",
			                     (json_int_t)f.dropped, "findings", findings_json(&f)));
		} else {
			print_findings(in.name, &f);
		}
		twiml_findings_free(&f);
		free(in.data);
	}
	bool failed = unreadable || errors || (strict && warnings);
	if (files) {
		json_t *doc = json_pack("{s:o, s:I, s:I, s:b, s:b}", "files", files, "errors",
		                        (json_int_t)errors, "warnings", (json_int_t)warnings,
		                        "strict", strict, "ok", !failed);
		char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
		json_decref(doc);
	}
	return failed ? EXIT_FAIL : EXIT_OK;
}

static int run_fmt(int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	if (getopt_long(argc, argv, "", opts, NULL) != -1)
		return cli_usage("unknown option '%s'", argv[optind - 1]);
	if (optind >= argc)
		return cli_usage("no FILE given (use - for standard input)");
	if (argc - optind > 1)
		return cli_usage("one FILE at a time");
	struct input in;
	char why[256];
	if (read_input(argv[optind], &in, why, sizeof(why)) != 0)
		return cli_fail("twiml fmt: %s: %s", in.name, why);
	struct twiml_findings f;
	struct twiml_node *root = NULL;
	twiml_findings_init(&f);
	int rc = lint_input(&in, &f, &root, false);
	free(in.data);
	if (rc != 0) {
		for (size_t i = 0; i < f.n; i++)
			fprintf(stderr, "%s:%u:%u: %s %d: %s\n", in.name,
			        f.v[i].line ? f.v[i].line : 1, f.v[i].col ? f.v[i].col : 1,
			        level_name(f.v[i].level), f.v[i].code, f.v[i].msg);
		twiml_findings_free(&f);
		cli_hint(
		    "fmt only rewrites documents that parse; 'handoff twiml lint %s' says more",
		    argv[optind]);
		return EXIT_FAIL;
	}
	twiml_findings_free(&f);
	struct buf out;
	buf_init(&out, FMT_MAX_OUT);
	rc = twiml_render(root, &out);
	twiml_free(root);
	if (rc != 0) {
		buf_free(&out);
		return cli_fail("twiml fmt: %s: the rendering is over %d bytes", in.name,
		                FMT_MAX_OUT);
	}
	fwrite(out.p, 1, out.len, stdout);
	buf_free(&out);
	return EXIT_OK;
}

static const char lint_help[] =
    "Checks TwiML files offline the way Twilio reads them and reports Twilio's own\n"
    "error and warning codes, one line per finding:\n"
    "\n"
    "  FILE:LINE:COL: error|warning CODE: message\n"
    "\n"
    "Codes: 11750 over 64 kB; 12100 not well-formed (also empty, invalid UTF-8, a\n"
    "DOCTYPE, nesting over 64 levels); 12102 root is not <Response>; 12200 unknown or\n"
    "misplaced verb, noun or attribute, wrong case, text where none is allowed;\n"
    "13000 <Conference> with <Number>; 13210-13223 bad <Dial>/<Number> values;\n"
    "13241-13256 bad <Sip> values and headers; 13810 bad <Reject reason>; 21227 SIP\n"
    "URI headers of 1024 characters or more.\n"
    "\n"
    "Options:\n"
    "  --strict   exit 1 on warnings too (Twilio runs a document with warnings)\n"
    "  --json     one JSON document on stdout: {files:[{file, ok, errors, warnings,\n"
    "             findings:[{line, col, level, code, message}]}], errors, warnings, ok}\n"
    "\n"
    "FILE '-' reads standard input. Exit status: 0 clean, 1 an error (or, with\n"
    "--strict, a warning) or an unreadable file, 2 usage error.\n"
    "\n"
    "Example:\n"
    "  handoff twiml lint --strict answer.xml\n"
    "  curl -s https://app.example.com/voice | handoff twiml lint -\n";

static const char fmt_help[] =
    "Prints the canonical rendering of a TwiML document on stdout: the XML\n"
    "declaration, two-space indent, attributes in the schema's order (unknown ones\n"
    "after, as written), text and attribute values escaped. SSML mixed content in\n"
    "<Say> is kept inline as written. Comments and the DOCTYPE are not kept.\n"
    "Formatting the output again gives the same bytes.\n"
    "\n"
    "Exit status: 0 done; 1 the file does not parse (the findings are printed on\n"
    "stderr) or cannot be read; 2 usage error. Schema warnings do not stop fmt:\n"
    "run 'handoff twiml lint' for those.\n";

const struct cmd cmd_twiml[] = {
    {"lint", "[--strict] [--json] FILE...", "check TwiML files and report Twilio's codes",
     lint_help, run_lint, NULL},
    {"fmt", "FILE", "print a TwiML document in canonical form", fmt_help, run_fmt, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

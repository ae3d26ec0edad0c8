/* test_creds: the credentials file (modes, atomic writes, parsing) and the environment's
 * precedence. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "twilio/creds.h"
#include "test.h"

#define AC "AC0123456789abcdef0123456789abcdef"
#define SK "SK0123456789abcdef0123456789abcdef"

static char dir[256];

static void clear_env(void)
{
	unsetenv("TWILIO_ACCOUNT_SID");
	unsetenv("TWILIO_AUTH_TOKEN");
	unsetenv("TWILIO_API_KEY");
	unsetenv("TWILIO_API_SECRET");
}

static int mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static void save_and_load(void)
{
	clear_env();
	struct creds_store s;
	memset(&s, 0, sizeof(s));
	char err[512];
	struct creds c;
	CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), ENOENT);
	snprintf(s.active, sizeof(s.active), "work");
	s.n = 2;
	snprintf(s.p[0].profile, sizeof(s.p[0].profile), "home");
	snprintf(s.p[0].account_sid, sizeof(s.p[0].account_sid), AC);
	snprintf(s.p[0].user, sizeof(s.p[0].user), AC);
	snprintf(s.p[0].secret, sizeof(s.p[0].secret), "home-token");
	s.p[1] = s.p[0];
	snprintf(s.p[1].profile, sizeof(s.p[1].profile), "work");
	snprintf(s.p[1].user, sizeof(s.p[1].user), SK);
	snprintf(s.p[1].secret, sizeof(s.p[1].secret), "work-secret");
	snprintf(s.p[1].api_base, sizeof(s.p[1].api_base), "http://127.0.0.1:9");
	CHECK_INT(creds_store_save(&s, err, sizeof(err)), 0);

	char path[1100];
	CHECK_INT(creds_path(path, sizeof(path)), 0);
	CHECK_INT(mode_of(path), 0600);
	CHECK_INT(mode_of(dir), 0700 | 0); /* the parent we made for the test */
	char hd[600];
	snprintf(hd, sizeof(hd), "%s/handoff", dir);
	CHECK_INT(mode_of(hd), 0700);
	/* no temp file left behind */
	DIR *d = opendir(hd);
	int files = 0;
	for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d))
		files += e->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK_INT(files, 1);

	CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), 0);
	CHECK_STR(c.profile, "work");
	CHECK_STR(c.user, SK);
	CHECK_STR(c.secret, "work-secret");
	CHECK_STR(c.api_base, "http://127.0.0.1:9");
	CHECK_INT(creds_resolve(&c, "home", err, sizeof(err)), 0);
	CHECK_STR(c.secret, "home-token");
	CHECK_INT(creds_resolve(&c, "nobody", err, sizeof(err)), ENOENT);
	CHECK(strstr(err, "nobody") != NULL);
	creds_wipe(&c);
	CHECK_STR(c.secret, "");
}

static void environment_first(void)
{
	char err[512];
	struct creds c;
	setenv("TWILIO_ACCOUNT_SID", AC, 1);
	setenv("TWILIO_AUTH_TOKEN", "env-token", 1);
	CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), 0);
	CHECK(c.from_env);
	CHECK_STR(c.user, AC);
	CHECK_STR(c.secret, "env-token");
	setenv("TWILIO_API_KEY", SK, 1);
	setenv("TWILIO_API_SECRET", "env-secret", 1);
	CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), 0);
	CHECK_STR(c.user, SK);
	CHECK_STR(c.secret, "env-secret");
	/* an explicit profile wins over the environment */
	CHECK_INT(creds_resolve(&c, "home", err, sizeof(err)), 0);
	CHECK_STR(c.secret, "home-token");
	setenv("TWILIO_ACCOUNT_SID", "ACshort", 1);
	CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), EINVAL);
	clear_env();
	setenv("TWILIO_ACCOUNT_SID", AC, 1);
	CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), EINVAL); /* no token */
	clear_env();
	creds_wipe(&c);
}

static void refuses_open_file(void)
{
	char path[1100], err[512];
	creds_path(path, sizeof(path));
	struct creds c;
	chmod(path, 0644);
	CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), EACCES);
	CHECK(strstr(err, "readable by group or others (mode 0644)") != NULL);
	chmod(path, 0640);
	CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), EACCES);
	chmod(path, 0600);
	CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), 0);
	creds_wipe(&c);
}

static void malformed(void)
{
	static const char *const bad[] = {
	    "[ok]\nnot a pair\n", "[bad name!]\n", "[a]\n[a]\n",
	    "[a]\nunknown = 1\n", "stray = 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512];
		test_current = bad[i];
		CHECK_INT(
		    cfg_write_private("credentials", bad[i], strlen(bad[i]), err, sizeof(err)), 0);
		struct creds_store s;
		CHECK_INT(creds_store_load(&s, err, sizeof(err)), EBADMSG);
		CHECK(strstr(err, ":") != NULL);
	}
	test_current = "malformed";
	/* blank lines count: the error names the right line */
	char text[] = "# c\n\n[a]\n\nno equals sign\n";
	struct creds_store s;
	char err[256];
	CHECK_INT(creds_store_parse(&s, text, strlen(text), "f", err, sizeof(err)), EBADMSG);
	CHECK(strncmp(err, "f:5:", 4) == 0);
	/* a value that cannot round-trip is not written */
	struct creds_store w;
	memset(&w, 0, sizeof(w));
	w.n = 1;
	snprintf(w.p[0].profile, sizeof(w.p[0].profile), "x");
	snprintf(w.p[0].secret, sizeof(w.p[0].secret), "tab\tinside");
	struct buf b;
	buf_init(&b, 4096);
	CHECK_INT(creds_store_format(&w, &b), EINVAL);
	buf_free(&b);
	CHECK(creds_profile_name_ok("work-2_x"));
	CHECK(!creds_profile_name_ok(""));
	CHECK(!creds_profile_name_ok("a/b"));
	CHECK(!creds_profile_name_ok("012345678901234567890123456789012"));
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/handoff-creds-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		printf("mkdtemp failed\n0 passed, 1 failed\n");
		return 1;
	}
	setenv("XDG_CONFIG_HOME", dir, 1);
	static const struct test_case cases[] = {
	    {"save_and_load", save_and_load},
	    {"environment_first", environment_first},
	    {"refuses_open_file", refuses_open_file},
	    {"malformed", malformed},
	    {NULL, NULL},
	};
	int rc = test_run(cases);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return rc;
}

/* auth: the console's token (configured, from a 0600 file, or generated into one), its
 * sessions (random ids and CSRF tokens) and the throttle on failed logins. */
#include "console/console_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/mem.h"
#include "webhooks/crypto.h"

#define TOKEN_FILE_NAME ".handoff-console-token"
#define TOKEN_BYTES     32 /* a generated token: 256 bits */

int console_random_hex(char *out, size_t n)
{
	unsigned char b[64];
	if (n > sizeof(b))
		return EINVAL;
	size_t got = 0;
	while (got < n) {
		ssize_t k = getrandom(b + got, n - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return EIO;
		got += (size_t)k;
	}
	crypto_hex(b, n, out);
	xwipe(b, sizeof(b));
	return 0;
}

/* Reads a token from a file that only its owner can read; 0 or EINVAL/errno. */
static int read_token_file(struct console *c, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot read the token file %s: %s", path, strerror(e));
		return e;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "the token file %s is not a regular file", path);
		return EINVAL;
	}
	if (st.st_mode & 077) {
		close(fd);
		snprintf(err, errlen,
		         "the token file %s can be read by others (mode %04o)\nhint: chmod 600 %s",
		         path, (unsigned)(st.st_mode & 07777), path);
		return EINVAL;
	}
	char buf[CONSOLE_TOKEN_MAX + 2];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	size_t len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	if (len < CONSOLE_TOKEN_MIN || len > CONSOLE_TOKEN_MAX) {
		xwipe(buf, sizeof(buf));
		snprintf(err, errlen,
		         "the token in %s must be %d to %d characters on its first line\nhint: "
		         "e.g. openssl rand -hex 32 >%s",
		         path, CONSOLE_TOKEN_MIN, CONSOLE_TOKEN_MAX, path);
		return EINVAL;
	}
	memcpy(c->token, buf, len + 1);
	c->token_len = len;
	xwipe(buf, sizeof(buf));
	return 0;
}

/* The generated token's file: beside the database (a PostgreSQL one: in the current
 * directory). */
static void generated_path(const char *db, char *out, size_t cap)
{
	const char *slash = store_is_url(db) ? NULL : strrchr(db, '/');
	if (slash)
		snprintf(out, cap, "%.*s/%s", (int)(slash - db), db, TOKEN_FILE_NAME);
	else
		snprintf(out, cap, "%s", TOKEN_FILE_NAME);
}

int console_token_setup(struct console *c, const struct console_config *cfg, char *err,
                        size_t errlen)
{
	if (cfg->token && *cfg->token) {
		size_t n = strlen(cfg->token);
		if (n < CONSOLE_TOKEN_MIN || n > CONSOLE_TOKEN_MAX) {
			snprintf(err, errlen,
			         "HANDOFF_CONSOLE_TOKEN must be %d to %d characters\nhint: e.g. "
			         "export HANDOFF_CONSOLE_TOKEN=$(openssl rand -hex 32)",
			         CONSOLE_TOKEN_MIN, CONSOLE_TOKEN_MAX);
			return EINVAL;
		}
		memcpy(c->token, cfg->token, n + 1);
		c->token_len = n;
		fprintf(stderr, "console: the token is HANDOFF_CONSOLE_TOKEN's\n");
		return 0;
	}
	if (cfg->token_file) {
		int rc = read_token_file(c, cfg->token_file, err, errlen);
		if (!rc)
			fprintf(stderr, "console: the token is in %s\n", cfg->token_file);
		return rc;
	}
	char path[1024];
	generated_path(cfg->db, path, sizeof(path));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == EEXIST) { /* made by an earlier run: use it */
		int rc = read_token_file(c, path, err, errlen);
		if (!rc)
			fprintf(stderr,
			        "console: the token is in %s (mode 0600; it is not printed)\n",
			        path);
		return rc;
	}
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen,
		         "cannot create the token file %s: %s\nhint: set HANDOFF_CONSOLE_TOKEN or "
		         "--console-token-file FILE",
		         path, strerror(e));
		return e;
	}
	char tok[2 * TOKEN_BYTES + 2];
	int rc = console_random_hex(tok, TOKEN_BYTES);
	if (!rc) {
		size_t len = strlen(tok);
		memcpy(c->token, tok, len + 1);
		c->token_len = len;
		tok[len] = '\n';
		if (write(fd, tok, len + 1) != (ssize_t)(len + 1) || fsync(fd) != 0)
			rc = errno ? errno : EIO;
	}
	xwipe(tok, sizeof(tok));
	close(fd);
	if (rc) {
		unlink(path);
		snprintf(err, errlen, "cannot write the token file %s: %s", path, strerror(rc));
		return rc;
	}
	fprintf(stderr, "console: made a token in %s (mode 0600; it is not printed)\n", path);
	return 0;
}

bool console_token_ok(struct console *c, const char *given)
{
	return given && c->token_len && crypto_equal(given, strlen(given), c->token, c->token_len);
}

bool console_login_locked(struct console *c, int *retry)
{
	int64_t now = (int64_t)time(NULL);
	pthread_mutex_lock(&c->mu);
	/* the ring holds the last CONSOLE_LOGIN_FAILS failures: the oldest is next */
	int64_t oldest = c->fail_at[c->fail_next];
	pthread_mutex_unlock(&c->mu);
	bool locked = oldest && now - oldest < CONSOLE_LOGIN_WINDOW;
	if (retry)
		*retry = locked ? (int)(CONSOLE_LOGIN_WINDOW - (now - oldest)) : 0;
	return locked;
}

void console_login_failed(struct console *c)
{
	pthread_mutex_lock(&c->mu);
	c->fail_at[c->fail_next] = (int64_t)time(NULL);
	c->fail_next = (c->fail_next + 1) % CONSOLE_LOGIN_FAILS;
	pthread_mutex_unlock(&c->mu);
}

void console_session_new(struct console *c, const char *user, char id[CONSOLE_ID_LEN + 1],
                         char csrf[CONSOLE_ID_LEN + 1])
{
	if (console_random_hex(id, CONSOLE_ID_LEN / 2) ||
	    console_random_hex(csrf, CONSOLE_ID_LEN / 2))
		abort(); /* no randomness: no safe session can be made */
	int64_t now = (int64_t)time(NULL);
	pthread_mutex_lock(&c->mu);
	size_t slot = 0;
	for (size_t i = 0; i < CONSOLE_SESSIONS_MAX; i++) {
		struct csess *s = &c->sess[i];
		if (!s->last || now - s->last > CONSOLE_SESSION_IDLE) {
			slot = i;
			break;
		}
		if (s->last < c->sess[slot].last) /* full: the least recently used goes */
			slot = i;
	}
	struct csess *s = &c->sess[slot];
	memcpy(s->id, id, CONSOLE_ID_LEN + 1);
	memcpy(s->csrf, csrf, CONSOLE_ID_LEN + 1);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->last = now;
	pthread_mutex_unlock(&c->mu);
}

bool console_cookie(const char *h, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	while (h && *h) {
		while (*h == ' ' || *h == ';')
			h++;
		if (strncmp(h, name, nl) == 0 && h[nl] == '=') {
			const char *v = h + nl + 1;
			size_t n = strcspn(v, ";");
			while (n && v[n - 1] == ' ')
				n--;
			if (n >= cap)
				return false;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		h = strchr(h, ';');
	}
	return false;
}

/* The slot whose id matches (compared in constant time); -1. Under c->mu. */
static int find_slot(struct console *c, const char *id, int64_t now)
{
	if (strlen(id) != CONSOLE_ID_LEN)
		return -1;
	int found = -1;
	for (int i = 0; i < CONSOLE_SESSIONS_MAX; i++) {
		struct csess *s = &c->sess[i];
		if (s->last && now - s->last <= CONSOLE_SESSION_IDLE &&
		    crypto_equal(s->id, CONSOLE_ID_LEN, id, CONSOLE_ID_LEN))
			found = i;
	}
	return found;
}

bool console_session_find(struct console *c, const char *cookie_header, struct creq *r)
{
	char id[CONSOLE_ID_LEN + 2];
	if (!console_cookie(cookie_header, CONSOLE_COOKIE, id, sizeof(id)))
		return false;
	int64_t now = (int64_t)time(NULL);
	pthread_mutex_lock(&c->mu);
	int i = find_slot(c, id, now);
	if (i >= 0) {
		c->sess[i].last = now;
		snprintf(r->user, sizeof(r->user), "%s", c->sess[i].user);
		memcpy(r->csrf, c->sess[i].csrf, CONSOLE_ID_LEN + 1);
	}
	pthread_mutex_unlock(&c->mu);
	xwipe(id, sizeof(id));
	return i >= 0;
}

void console_session_end(struct console *c, const char *cookie_header)
{
	char id[CONSOLE_ID_LEN + 2];
	if (!console_cookie(cookie_header, CONSOLE_COOKIE, id, sizeof(id)))
		return;
	pthread_mutex_lock(&c->mu);
	int i = find_slot(c, id, (int64_t)time(NULL));
	if (i >= 0)
		memset(&c->sess[i], 0, sizeof(c->sess[i]));
	pthread_mutex_unlock(&c->mu);
	xwipe(id, sizeof(id));
}

/* creds: Twilio credentials from the environment or a 0600 profiles file. */
#include "twilio/creds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mem.h"
#include "util/ids.h"

int creds_config_dir(char *out, size_t outlen)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	int n;
	if (xdg && xdg[0] == '/') {
		n = snprintf(out, outlen, "%s/handoff", xdg);
	} else {
		const char *home = getenv("HOME");
		if (!home || !*home)
			return ENOENT;
		n = snprintf(out, outlen, "%s/.config/handoff", home);
	}
	return n < 0 || (size_t)n >= outlen ? ENAMETOOLONG : 0;
}

static int file_path(const char *name, char *out, size_t outlen)
{
	char dir[1024];
	int rc = creds_config_dir(dir, sizeof(dir));
	if (rc)
		return rc;
	int n = snprintf(out, outlen, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= outlen ? ENAMETOOLONG : 0;
}

int creds_path(char *out, size_t outlen)
{
	return file_path("credentials", out, outlen);
}

bool creds_profile_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > CREDS_MAX_NAME)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

int cfg_read_private(const char *name, struct buf *out, char *err, size_t errlen)
{
	char path[1100];
	int rc = file_path(name, path, sizeof(path));
	if (rc) {
		snprintf(err, errlen,
		         "cannot find the config directory (set HOME or XDG_CONFIG_HOME)");
		return rc;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = errno;
		if (rc != ENOENT)
			snprintf(err, errlen, "%s: %s", path, strerror(rc));
		return rc;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return EBADMSG;
	}
	if (st.st_mode & 077) {
		close(fd);
		snprintf(err, errlen, "%s is readable by group or others (mode %04o)", path,
		         (unsigned)(st.st_mode & 07777));
		return EACCES;
	}
	buf_init(out, CREDS_MAX_FILE);
	char chunk[4096];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (buf_add(out, chunk, (size_t)n) != 0) {
			close(fd);
			snprintf(err, errlen, "%s: larger than %d bytes", path, CREDS_MAX_FILE);
			return E2BIG;
		}
	}
	rc = n < 0 ? errno : 0;
	xwipe(chunk, sizeof(chunk));
	close(fd);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(rc));
		buf_free(out);
	}
	return rc;
}

int cfg_write_private(const char *name, const char *data, size_t len, char *err, size_t errlen)
{
	char dir[1024], path[1100], tmp[1200];
	int rc = creds_config_dir(dir, sizeof(dir));
	if (rc) {
		snprintf(err, errlen,
		         "cannot find the config directory (set HOME or XDG_CONFIG_HOME)");
		return rc;
	}
	/* create the parents too (~/.config may not exist yet); only the last is ours */
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = errno;
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(rc));
		return rc;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return ENOTDIR;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
		         "%s is open to group or others (mode %04o); run: chmod 700 %s", dir,
		         (unsigned)(st.st_mode & 07777), dir);
		return EACCES;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	int fd = mkstemp(tmp); /* mkstemp creates 0600 */
	if (fd < 0) {
		rc = errno;
		snprintf(err, errlen, "cannot create a file in %s: %s", dir, strerror(rc));
		return rc;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	rc = off == len && fchmod(fd, 0600) == 0 && fsync(fd) == 0 ? 0 : errno ? errno : EIO;
	if (close(fd) != 0 && !rc)
		rc = errno;
	if (!rc && rename(tmp, path) != 0)
		rc = errno;
	if (rc) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(rc));
	}
	return rc;
}

struct creds *creds_store_find(struct creds_store *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->p[i].profile, name) == 0)
			return &s->p[i];
	return NULL;
}

void creds_wipe(struct creds *c)
{
	xwipe(c, sizeof(*c));
}

void creds_store_wipe(struct creds_store *s)
{
	xwipe(s, sizeof(*s));
}

/* key = value into the right field; 0 or EBADMSG. */
static int set_field(struct creds *p, const char *key, const char *val)
{
	static const struct {
		const char *key;
		size_t off, size;
	} fields[] = {
	    {"account_sid", offsetof(struct creds, account_sid), CREDS_MAX_SID + 1},
	    {"user", offsetof(struct creds, user), CREDS_MAX_SID + 1},
	    {"secret", offsetof(struct creds, secret), CREDS_MAX_SECRET + 1},
	    {"api_base", offsetof(struct creds, api_base), CREDS_MAX_BASE + 1},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(key, fields[i].key) != 0)
			continue;
		if (strlen(val) >= fields[i].size)
			return EBADMSG;
		/* clear first: a repeated key must not leave the old value's tail behind */
		xwipe((char *)p + fields[i].off, fields[i].size);
		memcpy((char *)p + fields[i].off, val, strlen(val) + 1);
		return 0;
	}
	return EBADMSG;
}

int creds_store_parse(struct creds_store *s, char *text, size_t len, const char *name, char *err,
                      size_t errlen)
{
	memset(s, 0, sizeof(*s));
	struct creds *cur = NULL;
	int lineno = 0;
	char *p = text, *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line = p;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p += n + 1;
		lineno++;
		if (memchr(line, '\0', n))
			goto bad;
		line[n] = '\0'; /* the newline, or one past the text (the buffer has a NUL there) */
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (*line == '[') {
			char *close = strchr(line, ']');
			if (!close || close[1] || s->n >= CREDS_MAX_PROFILES)
				goto bad;
			*close = '\0';
			if (!creds_profile_name_ok(line + 1) || creds_store_find(s, line + 1))
				goto bad;
			cur = &s->p[s->n++];
			snprintf(cur->profile, sizeof(cur->profile), "%s", line + 1);
			continue;
		}
		char *eq = strchr(line, '=');
		if (!eq)
			goto bad;
		char *k = line, *v = eq + 1;
		char *ke = eq;
		while (ke > k && ke[-1] == ' ')
			ke--;
		*ke = '\0';
		while (*v == ' ')
			v++;
		if (!cur) {
			if (strcmp(k, "active") != 0 || !creds_profile_name_ok(v))
				goto bad;
			memset(s->active, 0, sizeof(s->active));
			snprintf(s->active, sizeof(s->active), "%s", v);
			continue;
		}
		if (set_field(cur, k, v))
			goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s:%d: malformed line (expected [profile] or key = value)", name,
	         lineno);
	creds_store_wipe(s);
	return EBADMSG;
}

int creds_store_load(struct creds_store *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	struct buf b;
	int rc = cfg_read_private("credentials", &b, err, errlen);
	if (rc)
		return rc;
	char path[1100];
	creds_path(path, sizeof(path));
	rc = creds_store_parse(s, b.p ? b.p : (char *)"", b.len, path, err, errlen);
	if (b.p)
		xwipe(b.p, b.cap);
	buf_free(&b);
	return rc;
}

/* A value the file can hold and give back unchanged. */
static bool storable(const char *v)
{
	size_t n = strlen(v);
	if (n && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		return false;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int creds_store_format(const struct creds_store *s, struct buf *b)
{
	int rc = buf_adds(b, "# handoff Twilio credentials: keep this file mode 0600.\n");
	if (s->active[0])
		rc |= buf_printf(b, "active = %s\n", s->active);
	for (size_t i = 0; i < s->n && !rc; i++) {
		const struct creds *p = &s->p[i];
		if (!creds_profile_name_ok(p->profile) || !storable(p->account_sid) ||
		    !storable(p->user) || !storable(p->secret) || !storable(p->api_base))
			return EINVAL;
		rc |= buf_printf(b, "\n[%s]\naccount_sid = %s\nuser = %s\nsecret = %s\n",
		                 p->profile, p->account_sid, p->user, p->secret);
		if (p->api_base[0])
			rc |= buf_printf(b, "api_base = %s\n", p->api_base);
	}
	return rc ? E2BIG : 0;
}

int creds_store_save(const struct creds_store *s, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b, CREDS_MAX_FILE);
	int rc = creds_store_format(s, &b);
	if (rc)
		snprintf(err, errlen, "%s",
		         rc == EINVAL ? "a value has control characters or "
		                        "surrounding spaces; not saved"
		                      : "the credentials are too large");
	else
		rc = cfg_write_private("credentials", buf_str(&b), b.len, err, errlen);
	if (b.p)
		xwipe(b.p, b.cap);
	buf_free(&b);
	return rc;
}

static int from_env(struct creds *c, char *err, size_t errlen)
{
	const char *sid = getenv("TWILIO_ACCOUNT_SID");
	const char *tok = getenv("TWILIO_AUTH_TOKEN");
	const char *key = getenv("TWILIO_API_KEY");
	const char *sec = getenv("TWILIO_API_SECRET");
	if (!sid || !*sid)
		return ENOENT;
	const char *user = sid, *secret = tok;
	if (key && *key && sec && *sec) {
		user = key;
		secret = sec;
	}
	if (!secret || !*secret) {
		snprintf(err, errlen,
		         "TWILIO_ACCOUNT_SID is set but neither TWILIO_AUTH_TOKEN nor "
		         "TWILIO_API_KEY + TWILIO_API_SECRET is");
		return EINVAL;
	}
	if (!id_sid(sid, "AC")) {
		snprintf(err, errlen, "TWILIO_ACCOUNT_SID is not an account SID (AC + 32 hex)");
		return EINVAL;
	}
	if (user != sid && !id_sid(user, "SK")) {
		snprintf(err, errlen, "TWILIO_API_KEY is not an API key SID (SK + 32 hex)");
		return EINVAL;
	}
	if (strlen(secret) > CREDS_MAX_SECRET) {
		snprintf(err, errlen, "the secret is longer than %d characters", CREDS_MAX_SECRET);
		return EINVAL;
	}
	memset(c, 0, sizeof(*c));
	snprintf(c->account_sid, sizeof(c->account_sid), "%s", sid);
	snprintf(c->user, sizeof(c->user), "%s", user);
	snprintf(c->secret, sizeof(c->secret), "%s", secret);
	c->from_env = true;
	return 0;
}

int creds_resolve(struct creds *c, const char *profile, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (!profile) {
		int rc = from_env(c, err, errlen);
		if (rc != ENOENT)
			return rc;
	}
	struct creds_store *s = xcalloc(1, sizeof(*s));
	int rc = creds_store_load(s, err, errlen);
	if (rc == ENOENT) {
		snprintf(err, errlen, "no credentials (no TWILIO_ACCOUNT_SID and no profile)");
	} else if (rc == 0) {
		const char *name = profile ? profile : s->active;
		const struct creds *p = name[0] ? creds_store_find(s, name) : NULL;
		if (!p) {
			rc = ENOENT;
			if (profile || name[0])
				snprintf(err, errlen, "no profile named '%s'", name);
			else
				snprintf(err, errlen, "no active profile");
		} else if (!id_sid(p->account_sid, "AC") || !p->secret[0]) {
			rc = EBADMSG;
			snprintf(err, errlen, "profile '%s' is incomplete", name);
		} else {
			*c = *p;
		}
	}
	creds_store_wipe(s);
	free(s);
	return rc;
}

/* creds: Twilio credentials (environment or profiles file) and private config files. */
#ifndef HANDOFF_CREDS_H
#define HANDOFF_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define CREDS_MAX_PROFILES 32
#define CREDS_MAX_NAME     32
#define CREDS_MAX_SID      34 /* AC/SK + 32 hex */
#define CREDS_MAX_SECRET   128
#define CREDS_MAX_BASE     512
#define CREDS_MAX_FILE     (256 * 1024) /* any private config file */

/* One set of credentials. secret is wiped by creds_wipe. */
struct creds {
	char profile[CREDS_MAX_NAME + 1];    /* "" when from the environment */
	char account_sid[CREDS_MAX_SID + 1]; /* AC... */
	char user[CREDS_MAX_SID + 1];        /* Basic auth user: AC... or SK... */
	char secret[CREDS_MAX_SECRET + 1];   /* auth token or API key secret */
	char api_base[CREDS_MAX_BASE + 1];   /* stored with the profile, "" = Twilio */
	bool from_env;
};

/* The whole credentials file. */
struct creds_store {
	char active[CREDS_MAX_NAME + 1];
	size_t n;
	struct creds p[CREDS_MAX_PROFILES];
};

/* The config directory: $XDG_CONFIG_HOME/handoff, else ~/.config/handoff.
 * Returns 0, or ENAMETOOLONG / ENOENT (no HOME). Writes into out. */
int creds_config_dir(char *out, size_t outlen);
/* The credentials file path inside it. */
int creds_path(char *out, size_t outlen);

/* Whether name is a valid profile name ([A-Za-z0-9_-], 1..CREDS_MAX_NAME). */
bool creds_profile_name_ok(const char *name);

/* Reads the credentials file. Returns 0; ENOENT when there is none (s is
 * then empty); EACCES when it is readable by group/others (err names the
 * file and mode); EBADMSG when malformed. s must be wiped with
 * creds_store_wipe. */
int creds_store_load(struct creds_store *s, char *err, size_t errlen);
/* Parses the file's text into s (text is modified; text[len] must be
 * writable, e.g. a buf's NUL). name labels err. 0 or EBADMSG (s wiped). */
int creds_store_parse(struct creds_store *s, char *text, size_t len, const char *name, char *err,
                      size_t errlen);
/* Renders s as the file's text into b (caller's buffer). 0; EINVAL when a
 * value cannot round-trip (control characters, surrounding spaces); E2BIG. */
int creds_store_format(const struct creds_store *s, struct buf *b);
/* Writes the file atomically (temp file + rename), 0600 in a 0700 dir. */
int creds_store_save(const struct creds_store *s, char *err, size_t errlen);
/* Finds a profile by name; NULL when absent. */
struct creds *creds_store_find(struct creds_store *s, const char *name);
void creds_store_wipe(struct creds_store *s);

/* The credentials to use: profile (when non-NULL) from the file; else
 * TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN or TWILIO_API_KEY +
 * TWILIO_API_SECRET; else the active profile. Returns 0, ENOENT when there
 * are none, EACCES / EBADMSG from the file, EINVAL for a malformed SID. */
int creds_resolve(struct creds *c, const char *profile, char *err, size_t errlen);
/* Overwrites the secret (and everything else) in c. */
void creds_wipe(struct creds *c);

/* Private config files (the wire records): name is a plain file name inside
 * the config dir. write: atomic, 0600, creating the dir 0700. read: fills out
 * (caller frees with buf_free); ENOENT when absent, EACCES when readable by
 * group/others, E2BIG over CREDS_MAX_FILE. */
int cfg_write_private(const char *name, const char *data, size_t len, char *err, size_t errlen);
int cfg_read_private(const char *name, struct buf *out, char *err, size_t errlen);

#endif

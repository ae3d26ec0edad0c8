/* console_int: what the console's files share: the listener's state, one request's context,
 * the route table, the HTML writer and the page helpers; not for other modules. */
#ifndef HANDOFF_CONSOLE_INT_H
#define HANDOFF_CONSOLE_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console/console.h"
#include "console/html.h"
#include "net/httpd.h"
#include "store/store.h"
#include "util/buf.h"
#include "webhooks/form.h"

#define CONSOLE_SESSIONS_MAX  64          /* logged-in browsers at once (the oldest goes) */
#define CONSOLE_SESSION_IDLE  (12 * 3600) /* seconds a session lives unused */
#define CONSOLE_ID_LEN        64          /* hex characters of a session id or CSRF token */
#define CONSOLE_HOSTS_MAX     8           /* Host values accepted */
#define CONSOLE_HOST_MAX      300
#define CONSOLE_LOGIN_FAILS   5  /* failed logins in a window before logins are refused */
#define CONSOLE_LOGIN_WINDOW  60 /* seconds */
#define CONSOLE_COOKIE        "handoff_console"
#define CONSOLE_LOGIN_COOKIE  "handoff_login" /* the login form's CSRF pair */
#define CONSOLE_BODY_MAX      (64 * 1024)
#define CONSOLE_PAGE_MAX      (4 * 1024 * 1024) /* one answer */
#define CONSOLE_AUTHOR_BEARER "api"             /* the audit's author for a bearer script */

struct csess {
	char id[CONSOLE_ID_LEN + 1];
	char csrf[CONSOLE_ID_LEN + 1];
	char user[STORE_AUTHOR_MAX + 1];
	int64_t last; /* Unix seconds of its last request; 0: the slot is free */
};

struct console {
	struct httpd *h;
	int port; /* set once listening (atomic) */
	char *db;
	char *server_listen; /* NULL: no server beside it */
	struct console_source source;
	bool secure_cookie;
	char public_origin[CONSOLE_URL_MAX + 1]; /* scheme://host[:port] or "" */
	char listen_host[CONSOLE_HOST_MAX];      /* the bound address as written, no port */
	char token[CONSOLE_TOKEN_MAX + 1];
	size_t token_len;
	pthread_mutex_t mu; /* sessions and the login throttle */
	struct csess sess[CONSOLE_SESSIONS_MAX];
	int64_t fail_at[CONSOLE_LOGIN_FAILS]; /* times of the last failed logins (a ring) */
	size_t fail_next;
};

/* One request: what the router found out, the parsed query and form. */
struct creq {
	struct console *c;
	const struct http_req *req;
	struct http_resp *resp;
	struct buf *out; /* = &resp->body */
	bool authed, bearer;
	char user[STORE_AUTHOR_MAX + 1];
	char csrf[CONSOLE_ID_LEN + 1]; /* the session's, to put in forms */
	bool json;                     /* Accept: application/json */
	const char *arg;               /* the {name} of /console/destinations/{name}/... */
	char argbuf[DEST_NAME_MAX + 2];
	struct form q, f; /* query and form body (decoded in place in qbuf, fbuf) */
	char *qbuf, *fbuf;
};

/* One row of the route table. pattern: an exact path, or with one "*" segment (a name). */
struct console_route {
	const char *method;
	const char *pattern;
	bool changes; /* state-changing: Origin, Sec-Fetch-Site and the CSRF token are checked */
	bool open;    /* served without a login (the login page, assets) */
	void (*fn)(struct creq *r);
	const char *what;
};
extern const struct console_route console_routes[];

/* ---- auth.c: token, sessions, login throttle ---- */
/* Fills out with 2 * n hex characters of randomness (getrandom); 0 or EIO. */
int console_random_hex(char *out, size_t n);
/* Resolves the token (config, file, or a generated file). err: "why\nhint: ...". */
int console_token_setup(struct console *c, const struct console_config *cfg, char *err,
                        size_t errlen);
bool console_token_ok(struct console *c, const char *given);
/* true while logins are refused (too many failures); *retry: seconds to wait. */
bool console_login_locked(struct console *c, int *retry);
void console_login_failed(struct console *c);
/* A new session for user; fills id and csrf. */
void console_session_new(struct console *c, const char *user, char id[CONSOLE_ID_LEN + 1],
                         char csrf[CONSOLE_ID_LEN + 1]);
/* Looks the session of the request's cookie up; fills r->user, r->csrf. */
bool console_session_find(struct console *c, const char *cookie_header, struct creq *r);
void console_session_end(struct console *c, const char *cookie_header);
/* The value of cookie name in a Cookie header, into out; false when absent. */
bool console_cookie(const char *header, const char *name, char *out, size_t cap);

/* ---- page.c: the frame every page shares ---- */
void page_begin(struct creq *r, const char *title, const char *nav);
/* The equivalent command line (already shell-quoted HTML), then the end of the page. */
void page_end(struct creq *r, const char *cmdline_html);
/* A complete answer: status, and a short page (or JSON {"error": msg}) with msg. */
void page_error(struct creq *r, int status, const char *title, const char *msg);
/* 303 to location (or, for JSON, 200 with doc, which is taken over). */
void page_redirect(struct creq *r, const char *location, json_t *doc);
/* Answers doc (taken over) as application/json with status. */
void page_json(struct creq *r, int status, json_t *doc);
/* The hidden CSRF field of a form. */
void page_csrf_field(struct creq *r);
/* The query's (or form's) first value of name, or NULL. */
const char *page_q(const struct creq *r, const char *name);
const char *page_f(const struct creq *r, const char *name);
/* Opens the database as r's user; on failure answers 500 and returns NULL. */
struct store *page_store(struct creq *r);
/* UTC "2026-11-21 16:10:00" of Unix seconds (ms: with milliseconds). */
void page_time(char out[32], int64_t secs);
void page_time_ms(char out[40], int64_t ms);

/* ---- the pages ---- */
void page_home(struct creq *r);
void page_login(struct creq *r);
void page_login_post(struct creq *r);
void page_logout(struct creq *r);
void page_asset(struct creq *r);
void page_routes(struct creq *r);
void page_dests(struct creq *r);
void page_dest_new(struct creq *r);
void page_dest_edit(struct creq *r);
void page_dest_create(struct creq *r);
void page_dest_update(struct creq *r);
void page_dest_delete(struct creq *r);
void page_dest_delete_post(struct creq *r);
void page_validate(struct creq *r);
void page_test(struct creq *r);
void page_promote(struct creq *r);
void page_promote_post(struct creq *r);
void page_versions(struct creq *r);
void page_compare(struct creq *r);
void page_rollback(struct creq *r);
void page_rollback_post(struct creq *r);
void page_transfers(struct creq *r);
void page_audit(struct creq *r);

/* ---- assets.c: the files embedded at build time ---- */
struct console_asset {
	const char *name; /* "console.css" */
	const char *type;
	const unsigned char *data;
	size_t len;
	const char *etag; /* "\"<sha256 prefix>\"" */
};
const struct console_asset *console_asset_find(const char *name);
extern const struct console_asset console_assets[];
extern const size_t console_nassets;

#endif

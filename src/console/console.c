/* console: the listener, and what every request goes through before its page: the Host
 * check (DNS rebinding), the login or bearer token, the Origin / Sec-Fetch-Site / CSRF
 * checks of every change, then the route table. */
#include "console/console.h"
#include "console/console_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "webhooks/crypto.h"

/* Every answer carries these; nothing inline is allowed anywhere. Referrer-Policy is
 * same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with a
 * form's POST, and the Origin check below needs the real one. */
#define SECURITY_HEADERS                                                                           \
	"Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "       \
	"img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "         \
	"base-uri 'none'\r\n"                                                                      \
	"X-Content-Type-Options: nosniff\r\n"                                                      \
	"Referrer-Policy: same-origin\r\n"                                                         \
	"X-Frame-Options: DENY\r\n"                                                                \
	"Cross-Origin-Opener-Policy: same-origin\r\n"                                              \
	"Cross-Origin-Resource-Policy: same-origin\r\n"
static const char headers_page[] = SECURITY_HEADERS "Cache-Control: no-store\r\n";
static const char headers_asset[] = SECURITY_HEADERS "Cache-Control: no-cache\r\n";

const struct console_route console_routes[] = {
    {"GET", "/console", false, false, page_home, "the start page"},
    {"GET", "/console/", false, false, page_home, "the start page"},
    {"GET", "/console/login", false, true, page_login, "the login form"},
    {"POST", "/console/login", true, true, page_login_post, "log in with the token"},
    {"POST", "/console/logout", true, false, page_logout, "log out"},
    {"GET", "/console/assets/*", false, true, page_asset, "the stylesheet and the script"},
    {"GET", "/console/api/routes", false, false, page_routes, "this table"},
    {"POST", "/console/api/validate", true, false, page_validate,
     "every field's error and the TwiML preview of a form"},
    {"GET", "/console/destinations", false, false, page_dests, "the destinations"},
    {"GET", "/console/destinations/new", false, false, page_dest_new, "the add form"},
    {"POST", "/console/destinations", true, false, page_dest_create, "add a destination"},
    {"GET", "/console/destinations/*/edit", false, false, page_dest_edit, "the edit form"},
    {"POST", "/console/destinations/*", true, false, page_dest_update, "change a destination"},
    {"GET", "/console/destinations/*/delete", false, false, page_dest_delete, "confirm a removal"},
    {"POST", "/console/destinations/*/delete", true, false, page_dest_delete_post,
     "remove a destination"},
    {"GET", "/console/test", false, false, page_test, "test in sandbox"},
    {"GET", "/console/promote", false, false, page_promote, "the sandbox against live"},
    {"POST", "/console/promote", true, false, page_promote_post, "promote the sandbox"},
    {"GET", "/console/versions", false, false, page_versions, "the versions"},
    {"GET", "/console/versions/compare", false, false, page_compare, "compare two versions"},
    {"GET", "/console/rollback", false, false, page_rollback, "confirm a rollback"},
    {"POST", "/console/rollback", true, false, page_rollback_post, "roll back"},
    {"GET", "/console/transfers", false, false, page_transfers, "recent transfers"},
    {"GET", "/console/audit", false, false, page_audit, "the audit log"},
    {NULL, NULL, false, false, NULL, NULL},
};

/* Whether path matches pattern; a "*" segment takes one name ([A-Za-z0-9._-]+) into arg. */
static bool match(const char *pattern, const char *path, char *arg, size_t cap)
{
	const char *star = strchr(pattern, '*');
	if (!star)
		return strcmp(pattern, path) == 0;
	size_t pre = (size_t)(star - pattern);
	if (strncmp(pattern, path, pre) != 0)
		return false;
	const char *seg = path + pre;
	size_t n = 0;
	while (seg[n] && (isalnum((unsigned char)seg[n]) || strchr("._-", seg[n])))
		n++;
	if (!n || n >= cap || strcmp(seg + n, star + 1) != 0)
		return false;
	memcpy(arg, seg, n);
	arg[n] = '\0';
	return true;
}

/* Whether a Host (or an Origin's host part) is this console's: the loopback names and the
 * bound address with its port, or the public URL's host. */
static bool host_is_ours(const struct console *c, const char *host, size_t len)
{
	int port = __atomic_load_n(&c->port, __ATOMIC_RELAXED);
	char want[CONSOLE_HOST_MAX + 16];
	const char *names[] = {"127.0.0.1", "localhost", "[::1]", c->listen_host};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!names[i][0] || strcmp(names[i], "0.0.0.0") == 0 ||
		    strcmp(names[i], "[::]") == 0)
			continue;
		snprintf(want, sizeof(want), "%s:%d", names[i], port);
		if (strlen(want) == len && strncasecmp(want, host, len) == 0)
			return true;
	}
	if (c->public_origin[0]) {
		const char *h = strstr(c->public_origin, "://") + 3;
		if (strlen(h) == len && strncasecmp(h, host, len) == 0)
			return true;
	}
	return false;
}

/* Whether an Origin header is this console's own. */
static bool origin_is_ours(const struct console *c, const char *origin)
{
	if (c->public_origin[0] && strcasecmp(origin, c->public_origin) == 0)
		return true;
	if (strncasecmp(origin, "http://", 7) != 0)
		return false;
	return host_is_ours(c, origin + 7, strlen(origin + 7));
}

static void answer_text(struct creq *r, int status, const char *msg)
{
	page_error(r, status, status == 421 ? "Wrong host" : "Refused", msg);
}

/* The checks of a state-changing request from a browser: where it comes from, and the
 * session's CSRF token (or, for the login form, its cookie pair). */
static bool change_allowed(struct creq *r, const struct console_route *rt)
{
	const struct http_req *q = r->req;
	const char *site = http_req_header(q, "Sec-Fetch-Site");
	if (site && strcmp(site, "same-origin") != 0) {
		answer_text(r, 403, "refused: the request came from another site (Sec-Fetch-Site)");
		return false;
	}
	const char *origin = http_req_header(q, "Origin");
	if (origin && !origin_is_ours(r->c, origin)) {
		answer_text(r, 403, "refused: the request came from another origin (Origin)");
		return false;
	}
	const char *given = page_f(r, "csrf");
	if (!given)
		given = http_req_header(q, "X-CSRF-Token");
	char want[CONSOLE_ID_LEN + 2] = "";
	if (rt->open) /* the login form: the pair set by GET /console/login */
		console_cookie(http_req_header(q, "Cookie"), CONSOLE_LOGIN_COOKIE, want,
		               sizeof(want));
	else
		memcpy(want, r->csrf, sizeof(r->csrf));
	if (!given || strlen(want) != CONSOLE_ID_LEN ||
	    !crypto_equal(given, strlen(given), want, CONSOLE_ID_LEN)) {
		answer_text(r, 403,
		            "refused: the form's CSRF token is missing or stale: reload the page "
		            "and try again");
		return false;
	}
	return true;
}

/* Decodes the query and, for a form POST, the body. false: answered 400. */
static bool parse_input(struct creq *r)
{
	const struct http_req *q = r->req;
	if (q->query) {
		size_t n = strlen(q->query);
		r->qbuf = xstrndup(q->query, n);
		if (form_parse(r->qbuf, n, &r->q)) {
			answer_text(r, 400, "the query string is malformed");
			return false;
		}
	}
	const char *ct = http_req_header(q, "Content-Type");
	if (strcmp(q->method, "POST") == 0 && q->body_len && ct &&
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
		r->fbuf = xstrndup(q->body, q->body_len);
		if (form_parse(r->fbuf, q->body_len, &r->f)) {
			answer_text(r, 400, "the form is malformed");
			return false;
		}
	}
	return true;
}

/* Who is asking: a bearer token (scripts), else the session cookie. */
static bool authenticate(struct creq *r)
{
	const char *a = http_req_header(r->req, "Authorization");
	if (a && strncasecmp(a, "Bearer ", 7) == 0) {
		if (console_token_ok(r->c, a + 7)) {
			r->authed = r->bearer = true;
			snprintf(r->user, sizeof(r->user), "%s", CONSOLE_AUTHOR_BEARER);
			return true;
		}
		console_login_failed(r->c);
		return false;
	}
	r->authed = console_session_find(r->c, http_req_header(r->req, "Cookie"), r);
	return r->authed;
}

static void handle(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct console *c = ctx;
	struct creq r = {.c = c, .req = req, .resp = resp, .out = &resp->body};
	resp->body.max = CONSOLE_PAGE_MAX;
	resp->fixed_headers = headers_page;
	const char *accept = http_req_header(req, "Accept");
	r.json = accept && strstr(accept, "application/json");
	const char *host = http_req_header(req, "Host");
	if (!host || !host_is_ours(c, host, strlen(host))) {
		answer_text(&r, 421,
		            "this console answers only to its own address (the Host header names "
		            "another: DNS rebinding is refused)");
		return;
	}
	if (strcmp(req->path, "/") == 0) {
		page_redirect(&r, "/console/", NULL);
		return;
	}
	const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
	const struct console_route *rt = NULL;
	bool path_known = false;
	for (const struct console_route *x = console_routes; x->pattern; x++) {
		if (!match(x->pattern, req->path, r.argbuf, sizeof(r.argbuf)))
			continue;
		path_known = true;
		if (strcmp(x->method, method) == 0) {
			rt = x;
			break;
		}
	}
	if (!rt) {
		if (path_known)
			http_resp_header(resp, "Allow",
			                 strcmp(method, "GET") ? "GET, HEAD" : "POST");
		page_error(&r, path_known ? 405 : 404, path_known ? "Not allowed" : "Not found",
		           path_known ? "that method is not served here" : "no such page");
		return;
	}
	r.arg = strchr(rt->pattern, '*') ? r.argbuf : NULL;
	if (rt->fn == page_asset) {
		resp->fixed_headers = headers_asset;
		page_asset(&r);
		return;
	}
	bool authed = authenticate(&r);
	if (!rt->open && !authed) {
		if (r.json || strcmp(method, "GET") != 0 || http_req_header(req, "Authorization"))
			page_error(
			    &r, 401, "Log in",
			    "log in first (or send Authorization: Bearer with the console token)");
		else
			page_redirect(&r, "/console/login", NULL);
		return;
	}
	if (!parse_input(&r))
		goto out;
	if (rt->changes && !r.bearer && !change_allowed(&r, rt))
		goto out;
	rt->fn(&r);
out:
	free(r.qbuf);
	free(r.fbuf);
}

/* Splits ADDR:PORT into its address part ("" for a bare port); whether it is loopback. */
static bool loopback_listen(const char *listen, char *host, size_t cap)
{
	const char *colon = strrchr(listen, ':');
	size_t n = colon ? (size_t)(colon - listen) : 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(host, listen, n);
	host[n] = '\0';
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "localhost") == 0 ||
	       strcmp(host, "[::1]") == 0;
}

/* scheme://host[:port] of an http(s) URL, checked. */
static int origin_of(const char *url, char *out, size_t cap)
{
	size_t skip = strncasecmp(url, "https://", 8) == 0  ? 8
	              : strncasecmp(url, "http://", 7) == 0 ? 7
	                                                    : 0;
	if (!skip)
		return EINVAL;
	size_t n = strcspn(url + skip, "/?#");
	if (!n || skip + n >= cap || strlen(url) > CONSOLE_URL_MAX)
		return EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)url[skip + i]) && !strchr(".-:[]", url[skip + i]))
			return EINVAL;
	memcpy(out, url, skip + n);
	out[skip + n] = '\0';
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

int console_start(struct console **cp, const struct console_config *cfg, char *err, size_t errlen)
{
	struct console *c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	const char *listen = cfg->listen ? cfg->listen : CONSOLE_DEFAULT_LISTEN;
	bool loopback = loopback_listen(listen, c->listen_host, sizeof(c->listen_host));
	int rc = 0;
	if (cfg->public_url &&
	    origin_of(cfg->public_url, c->public_origin, sizeof(c->public_origin))) {
		snprintf(err, errlen,
		         "--console-public-url '%s' is not an http(s) URL\nhint: e.g. "
		         "https://console.example.com",
		         cfg->public_url);
		rc = EINVAL;
		goto fail;
	}
	c->secure_cookie = strncmp(c->public_origin, "https://", 8) == 0;
	if (!loopback && !(cfg->token && *cfg->token) && !cfg->token_file) {
		snprintf(
		    err, errlen,
		    "refusing to serve the console on %s, a non-loopback address, without a "
		    "configured token\nhint: set HANDOFF_CONSOLE_TOKEN or --console-token-file "
		    "(0600), and put it behind a TLS proxy (--console-public-url https://...) or "
		    "reach it through an SSH tunnel to 127.0.0.1",
		    listen);
		rc = EINVAL;
		goto fail;
	}
	if ((rc = console_token_setup(c, cfg, err, errlen)))
		goto fail;
	c->db = xstrdup(cfg->db);
	c->source = cfg->source;
	c->server_listen = cfg->server_listen ? xstrdup(cfg->server_listen) : NULL;
	struct httpd_config hc = {
	    .listen = listen,
	    .threads = CONSOLE_THREADS,
	    /* its handlers write the database and run in-process tests: they block */
	    .blocking = true,
	    .max_conns = CONSOLE_MAX_CONNS,
	    .max_body = CONSOLE_BODY_MAX,
	    .handler = handle,
	    .ctx = c,
	};
	char herr[256];
	if ((rc = httpd_start(&c->h, &hc, herr, sizeof(herr)))) {
		snprintf(err, errlen,
		         "cannot listen on %s: %s\nhint: another program has that port? "
		         "127.0.0.1:0 picks a free one",
		         listen, herr);
		goto fail;
	}
	__atomic_store_n(&c->port, httpd_port(c->h), __ATOMIC_RELAXED);
	char shown[CONSOLE_HOST_MAX];
	snprintf(shown, sizeof(shown), "%s",
	         c->listen_host[0] && strcmp(c->listen_host, "0.0.0.0") ? c->listen_host
	                                                                : "127.0.0.1");
	fprintf(stderr, "console: listening on %s (port %d): http://%s:%d/console/login%s%s\n",
	        listen, c->port, shown, c->port, c->public_origin[0] ? "; public URL " : "",
	        c->public_origin);
	*cp = c;
	return 0;
fail:
	free(c->db);
	free(c->server_listen);
	xwipe(c->token, sizeof(c->token));
	pthread_mutex_destroy(&c->mu);
	free(c);
	return rc;
}

int console_port(const struct console *c)
{
	return __atomic_load_n(&c->port, __ATOMIC_RELAXED);
}

void console_stop(struct console *c)
{
	if (!c)
		return;
	httpd_stop(c->h);
	xwipe(c->token, sizeof(c->token));
	xwipe(c->sess, sizeof(c->sess));
	pthread_mutex_destroy(&c->mu);
	free(c->db);
	free(c->server_listen);
	free(c);
}

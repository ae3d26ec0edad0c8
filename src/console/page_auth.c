/* page_auth: the start page, login and logout, the embedded assets, the route table. */
#include "console/console_int.h"

#include <stdio.h>
#include <string.h>

#include "util/mem.h"

void page_home(struct creq *r)
{
	page_redirect(r, "/console/destinations", NULL);
}

/* The login form; a fresh pair (cookie and hidden field) guards its POST. */
static void login_form(struct creq *r, int status, const char *error)
{
	char pair[CONSOLE_ID_LEN + 1];
	if (console_random_hex(pair, CONSOLE_ID_LEN / 2)) {
		page_error(r, 500, "No randomness", "the system gave no random bytes");
		return;
	}
	char cookie[160];
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/console/login; HttpOnly; SameSite=Strict%s",
	         CONSOLE_LOGIN_COOKIE, pair, r->c->secure_cookie ? "; Secure" : "");
	http_resp_header(r->resp, "Set-Cookie", cookie);
	r->resp->status = status;
	page_begin(r, "Log in", NULL);
	if (error)
		html_f(r->out, "<p class=\"error\" id=\"login-error\">%s</p>", error);
	html_f(r->out,
	       "<form class=\"login\" method=\"post\" action=\"/console/login\">"
	       "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
	       "<label>Console token <input type=\"password\" name=\"token\" id=\"token\" "
	       "autocomplete=\"current-password\" required></label>"
	       "<label>Your name <small>(the audit log records it with every change)</small>"
	       "<input type=\"text\" name=\"name\" id=\"name\" maxlength=\"%d\" required "
	       "autocomplete=\"username\"></label>"
	       "<button type=\"submit\" id=\"login\">Log in</button></form>"
	       "<p class=\"help\">The token is <code>HANDOFF_CONSOLE_TOKEN</code>, the file "
	       "given with <code>--console-token-file</code>, or the 0600 file whose path the "
	       "server printed when it started. Scripts may send <code>Authorization: Bearer "
	       "TOKEN</code> instead.</p>",
	       pair, STORE_AUTHOR_MAX);
	page_end(r, "handoff serve --console 127.0.0.1:8081   # or: handoff console");
}

void page_login(struct creq *r)
{
	if (r->authed && !r->bearer) {
		page_redirect(r, "/console/destinations", NULL);
		return;
	}
	login_form(r, 200, NULL);
}

/* A name fit for the audit log: printable, no control characters, trimmed. */
static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || n > STORE_AUTHOR_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

void page_login_post(struct creq *r)
{
	int retry;
	if (console_login_locked(r->c, &retry)) {
		char after[16];
		snprintf(after, sizeof(after), "%d", retry > 0 ? retry : 1);
		http_resp_header(r->resp, "Retry-After", after);
		page_error(r, 429, "Too many tries",
		           "too many wrong tokens in the last minute: wait and try again");
		return;
	}
	const char *name = page_f(r, "name");
	if (!name_ok(name)) {
		login_form(r, 422,
		           "give your name (1 to 64 printable characters): the audit log "
		           "records it with every change");
		return;
	}
	if (!console_token_ok(r->c, page_f(r, "token"))) {
		console_login_failed(r->c);
		login_form(r, 401, "that is not the console's token");
		return;
	}
	char id[CONSOLE_ID_LEN + 1], csrf[CONSOLE_ID_LEN + 1];
	console_session_new(r->c, name, id, csrf);
	char cookie[200];
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/console; HttpOnly; SameSite=Strict%s",
	         CONSOLE_COOKIE, id, r->c->secure_cookie ? "; Secure" : "");
	http_resp_header(r->resp, "Set-Cookie", cookie);
	xwipe(id, sizeof(id));
	xwipe(csrf, sizeof(csrf));
	page_redirect(r, "/console/destinations", json_pack("{s:b, s:s}", "ok", 1, "user", name));
}

void page_logout(struct creq *r)
{
	console_session_end(r->c, http_req_header(r->req, "Cookie"));
	char cookie[160];
	snprintf(cookie, sizeof(cookie),
	         "%s=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0%s", CONSOLE_COOKIE,
	         r->c->secure_cookie ? "; Secure" : "");
	http_resp_header(r->resp, "Set-Cookie", cookie);
	page_redirect(r, "/console/login", NULL);
}

void page_asset(struct creq *r)
{
	const struct console_asset *a = console_asset_find(r->arg);
	if (!a) {
		page_error(r, 404, "Not found", "no such asset");
		return;
	}
	http_resp_header(r->resp, "ETag", a->etag);
	const char *inm = http_req_header(r->req, "If-None-Match");
	if (inm && strcmp(inm, a->etag) == 0) {
		r->resp->status = 304;
		return;
	}
	r->resp->content_type = a->type;
	buf_add(r->out, a->data, a->len);
}

void page_routes(struct creq *r)
{
	json_t *arr = json_array();
	for (const struct console_route *x = console_routes; x->pattern; x++)
		json_array_append_new(arr,
		                      json_pack("{s:s, s:s, s:b, s:b, s:s}", "method", x->method,
		                                "path", x->pattern, "changes", x->changes, "login",
		                                !x->open, "what", x->what));
	page_json(r, 200, arr);
}

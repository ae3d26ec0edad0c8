/* page: the frame every console page shares (head, navigation, the equivalent command
 * line), errors, redirects, JSON answers, and the small helpers the pages use. */
#include "console/console_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/version.h"

/* The navigation, in order: path, label, the nav key pages pass to page_begin. */
static const struct {
	const char *path, *label, *key;
} nav[] = {
    {"/console/destinations", "Destinations", "dests"},
    {"/console/test", "Test in sandbox", "test"},
    {"/console/promote", "Promote", "promote"},
    {"/console/versions", "Versions", "versions"},
    {"/console/transfers", "Recent transfers", "transfers"},
    {"/console/audit", "Audit log", "audit"},
};

void page_begin(struct creq *r, const char *title, const char *key)
{
	r->resp->content_type = "text/html; charset=utf-8";
	html_f(r->out,
	       "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	       "<title>%s · handoff console</title>"
	       "<link rel=\"stylesheet\" href=\"/console/assets/console.css\">"
	       "<script src=\"/console/assets/console.js\" defer></script></head>\n"
	       "<body><header class=\"top\"><a class=\"brand\" href=\"/console/\">handoff "
	       "<span>console</span></a>",
	       title);
	if (r->authed) {
		buf_adds(r->out, "<nav>");
		for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++)
			html_f(r->out, "<a href=\"%s\"%r>%s</a>", nav[i].path,
			       key && strcmp(key, nav[i].key) == 0 ? " class=\"on\"" : "",
			       nav[i].label);
		buf_adds(r->out, "</nav>");
		if (!r->bearer) {
			html_f(r->out,
			       "<form class=\"logout\" method=\"post\" action=\"/console/logout\">"
			       "<span class=\"who\">%s</span>",
			       r->user);
			page_csrf_field(r);
			buf_adds(r->out, "<button type=\"submit\">Log out</button></form>");
		}
	}
	html_f(r->out, "</header>\n<main><h1>%s</h1>\n", title);
}

void page_end(struct creq *r, const char *cmdline_html)
{
	if (cmdline_html && *cmdline_html)
		html_f(r->out,
		       "<section class=\"cmdline\"><h2>The same on the command line</h2>"
		       "<pre><code>%r</code></pre></section>\n",
		       cmdline_html);
	html_f(r->out, "</main><footer>handoff %s · console on port %d", HANDOFF_VERSION,
	       console_port(r->c));
	if (r->c->server_listen)
		html_f(r->out, " beside the webhook server on %s", r->c->server_listen);
	else
		buf_adds(r->out, " (no webhook server in this process)");
	buf_adds(r->out, "</footer></body></html>\n");
}

void page_json(struct creq *r, int status, json_t *doc)
{
	r->resp->status = status;
	r->resp->content_type = "application/json";
	buf_reset(r->out);
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(doc);
	if (s) {
		buf_adds(r->out, s);
		buf_addc(r->out, '\n');
		free(s);
	}
}

void page_error(struct creq *r, int status, const char *title, const char *msg)
{
	if (r->json) {
		page_json(r, status, json_pack("{s:s, s:i}", "error", msg, "status", status));
		return;
	}
	buf_reset(r->out);
	r->resp->status = status;
	page_begin(r, title, NULL);
	html_f(r->out, "<p class=\"error\">%s</p>", msg);
	if (status == 401 || status == 403)
		buf_adds(r->out, "<p><a href=\"/console/login\">Log in</a></p>");
	page_end(r, NULL);
	r->resp->status = status;
}

void page_redirect(struct creq *r, const char *location, json_t *doc)
{
	if (r->json) {
		page_json(r, 200, doc ? doc : json_pack("{s:s}", "location", location));
		return;
	}
	json_decref(doc);
	r->resp->status = 303;
	http_resp_header(r->resp, "Location", location);
	r->resp->content_type = "text/plain; charset=utf-8";
	buf_reset(r->out);
	buf_adds(r->out, "see ");
	buf_adds(r->out, location);
	buf_addc(r->out, '\n');
}

void page_csrf_field(struct creq *r)
{
	html_f(r->out, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", r->csrf);
}

const char *page_q(const struct creq *r, const char *name)
{
	return form_get(&r->q, name);
}

const char *page_f(const struct creq *r, const char *name)
{
	return form_get(&r->f, name);
}

struct store *page_store(struct creq *r)
{
	char err[600];
	struct store *s = NULL;
	if (store_open(&s, r->c->db, STORE_CREATE, err, sizeof(err))) {
		page_error(r, 500, "The database cannot be opened", err);
		return NULL;
	}
	store_set_author(s, r->user);
	return s;
}

void page_time(char out[32], int64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

void page_time_ms(char out[40], int64_t ms)
{
	char s[32];
	page_time(s, ms / 1000);
	snprintf(out, 40, "%s.%03d", s, (int)(ms % 1000));
}

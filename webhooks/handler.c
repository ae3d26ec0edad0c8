/* handler: the webhook routes as pure functions from a plain request to a plain answer. */
#include "webhooks/handler.h"

#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "twiml/twiml.h"
#include "util/mem.h"
#include "webhooks/form.h"
#include "util/perthread.h"

const struct handler_route handler_routes[] = {
    {"/voice", ROUTE_VOICE, false, true, true, "voice", false},
    {"/sandbox/voice", ROUTE_VOICE, true, true, true, "sandbox_voice", false},
    {"/refer", ROUTE_REFER, false, true, true, "refer", false},
    {"/sandbox/refer", ROUTE_REFER, true, true, true, "sandbox_refer", false},
    {"/healthz", ROUTE_HEALTHZ, false, true, false, "healthz", false},
    {"/metrics", ROUTE_METRICS, false, true, false, "metrics", false},
    {"/transfer/", ROUTE_TRANSFER, false, true, true, "transfer", true},
    {"/sandbox/transfer/", ROUTE_TRANSFER, true, true, true, "sandbox_transfer", true},
    {NULL, ROUTE_VOICE, false, false, false, NULL, false},
};
_Static_assert(sizeof(handler_routes) / sizeof(handler_routes[0]) == HANDLER_NROUTES + 1,
               "HANDLER_NROUTES counts the route table");

int handler_status(int err)
{
	switch (err) {
	case 0:
		return 200;
	case EBADMSG:
	case EINVAL:
	case EPROTO:
		return 400;
	case EACCES:
		return 403;
	case ENOENT:
		return 404;
	case EOPNOTSUPP:
		return 405;
	case E2BIG:
		return 413;
	default:
		return 500;
	}
}

/* The short text a refused request gets back (the details go to the log). */
static const char *status_body(int status)
{
	switch (status) {
	case 400:
		return "bad request\n";
	case 403:
		return "forbidden: missing or invalid X-Twilio-Signature\n";
	case 404:
		return "no such destination\n";
	case 405:
		return "method not allowed\n";
	case 413:
		return "request too large\n";
	default:
		return "internal error\n";
	}
}

static int why(struct handler_log *log, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int why(struct handler_log *log, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(log->why, sizeof(log->why), fmt, ap);
	va_end(ap);
	return rc;
}

/* What one thread reuses from request to request (allocated once per thread,
 * freed when it ends): a request allocates nothing large. */
struct scratch {
	struct form form;
	struct target target;
};

static struct perthread scratch_slot = PERTHREAD(sizeof(struct scratch), NULL);

static struct scratch *scratch(void)
{
	return perthread_get(&scratch_slot);
}

void handler_thread_done(void)
{
	perthread_release(&scratch_slot);
}

/* The route for a path, after the public URL's own path (a proxy may keep it); *rest is
 * that path without the prefix. A prefix route takes one more segment: its name. */
static const struct handler_route *find_route(const struct handler_settings *s, const char *path,
                                              const char **rest)
{
	if (s->public_url) {
		const char *p = strstr(s->public_url, "://");
		p = p ? strchr(p + 3, '/') : NULL;
		size_t n = p ? strlen(p) : 0;
		if (n > 1 && strncmp(path, p, n) == 0 && path[n] == '/')
			path += n;
	}
	*rest = path;
	for (const struct handler_route *r = handler_routes; r->path; r++)
		if (strcmp(r->path, path) == 0)
			return r->prefix ? NULL : r; /* "/transfer/" names nobody */
	/* then the prefix routes (/transfer/NAME): /voice and /refer never get here */
	for (const struct handler_route *r = handler_routes; r->path; r++) {
		size_t n = r->prefix ? strlen(r->path) : 0;
		if (n && strncmp(r->path, path, n) == 0 && !strchr(path + n, '/'))
			return r;
	}
	return NULL;
}

static void copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

/* Everything a webhook route reads from one request. */
struct webhook {
	const struct handler_settings *s;
	const struct handler_req *req;
	const struct handler_route *route;
	const char *path; /* the route's path as requested (a prefix route's with its name) */
	const char *base; /* public URL or rebuilt base */
	struct form *form;
	char *query_copy;
};

/* The parameters (form body or query), then the signature over the URL. */
static int read_webhook(struct webhook *w, struct handler_log *log)
{
	const struct handler_req *req = w->req;
	bool post = strcmp(req->method, "POST") == 0;
	bool form_body =
	    post && (!req->content_type ||
	             strncasecmp(req->content_type, "application/x-www-form-urlencoded", 33) == 0);
	int rc;
	if (post && req->body_len > FORM_MAX_BODY)
		return why(log, E2BIG, "body of %zu bytes (at most %d)", req->body_len,
		           FORM_MAX_BODY);
	if (form_body) {
		rc = form_parse(req->body, req->body_len, w->form);
	} else if (!post && req->query) {
		/* a GET webhook carries its parameters in the query */
		size_t n = strlen(req->query);
		if (n > FORM_MAX_BODY)
			return why(log, E2BIG, "query of %zu bytes (at most %d)", n, FORM_MAX_BODY);
		w->query_copy = xmalloc(n + 1);
		memcpy(w->query_copy, req->query, n + 1);
		rc = form_parse(w->query_copy, n, w->form);
	} else {
		rc = 0;
		w->form->n = 0;
	}
	if (rc)
		return why(log, rc, "%s: %s", form_body ? "form body" : "query string",
		           rc == EBADMSG ? "bad %-escape"
		                         : "over a form limit (params, name or value)");
	copy_field(log->call_sid, sizeof(log->call_sid), form_get(w->form, "CallSid"));
	for (char *p = log->call_sid; *p; p++) /* it goes into a log line */
		if ((unsigned char)*p < 0x21 || *p == 0x7f || *p == '"')
			*p = '?';
	if (w->s->insecure)
		return 0;

	/* the URL Twilio requested: the base, the route, the raw query */
	char url[SIG_MAX_URL + 1];
	size_t bl = strlen(w->base), pl = strlen(w->path);
	size_t ql = req->query ? strlen(req->query) : 0;
	if (bl + pl + (req->query ? 1 + ql : 0) > SIG_MAX_URL)
		return why(log, E2BIG, "URL longer than %d bytes", SIG_MAX_URL);
	memcpy(url, w->base, bl);
	memcpy(url + bl, w->path, pl);
	if (req->query) {
		url[bl + pl] = '?';
		memcpy(url + bl + pl + 1, req->query, ql);
	}
	url[bl + pl + (req->query ? 1 + ql : 0)] = '\0';
	struct sig_request sr = {
	    .url = url,
	    .params = form_body ? w->form->p : NULL,
	    .nparams = form_body ? w->form->n : 0,
	    .body = post && !form_body ? req->body : NULL,
	    .body_len = post && !form_body ? req->body_len : 0,
	    .signature = req->signature,
	};
	rc = sig_verify(&w->s->keys, &sr, NULL);
	if (rc) {
		/* again, with the explanation: only refused requests pay for it */
		struct sig_explain *ex = xcalloc(1, sizeof(*ex));
		sig_verify(&w->s->keys, &sr, ex);
		struct buf b;
		buf_init(&b, sizeof(log->why) - 1);
		sig_explain_format(ex, &b, 512, 0);
		copy_field(log->why, sizeof(log->why), b.p ? buf_str(&b) : ex->reason);
		if (!w->s->public_url && b.p)
			snprintf(log->why + strlen(log->why), sizeof(log->why) - strlen(log->why),
			         "; the URL was rebuilt from the request: behind a proxy, give "
			         "--public-url (or --trust-proxy)");
		buf_free(&b);
		sig_explain_free(ex);
		free(ex);
		log->sig_failed = true;
		rc = rc == EINVAL ? EIO : EACCES;
	}
	return rc;
}

static int voice(struct webhook *w, struct handler_resp *resp, struct handler_log *log)
{
	if (!w->s->agent_uri || !*w->s->agent_uri)
		return why(log, ENOENT, "no --agent SIP URI was given to the server");
	char refer[SIG_MAX_URL + 32];
	snprintf(refer, sizeof(refer), "%s%s", w->base,
	         w->route->sandbox ? "/sandbox/refer" : "/refer");
	struct twiml_node *root = twiml_new("Response");
	struct twiml_node *dial = twiml_add(root, "Dial");
	twiml_set(dial, "answerOnBridge", "true");
	twiml_set(dial, "referUrl", refer);
	twiml_add_text(twiml_add(dial, "Sip"), w->s->agent_uri);
	int rc = twiml_render(root, resp->body);
	twiml_free(root);
	copy_field(log->dest, sizeof(log->dest), "agent");
	return rc ? why(log, EIO, "the answer is larger than the TwiML limit") : 0;
}

/* Whether --allow-direct lets t be dialled as it is: the pattern is matched
 * against the number of a phone target and against the URI. */
static bool direct_allowed(const char *pattern, const struct target *t)
{
	if (!pattern || !*pattern)
		return false;
	if (t->phone && t->user[0] && fnmatch(pattern, t->user, 0) == 0)
		return true;
	return fnmatch(pattern, t->uri, FNM_CASEFOLD) == 0;
}

/* The destination called name in the route's set (for /refer, --allow-direct may dial t
 * as it is), rendered with the request's variables; t is NULL for /transfer. Both routes
 * answer through here, so they find and render a destination the same way. */
__attribute__((always_inline)) static inline int
answer_dest(struct webhook *w, const struct handler_snap *snap, struct str name,
            const struct target *t, struct handler_resp *resp, struct handler_log *log)
{
	const struct form *f = w->form;
	const struct dest_set *set = w->route->sandbox ? snap->sandbox : snap->live;
	const char *env = w->route->sandbox ? "sandbox" : "live";
	log->version = set ? set->version : -1;
	/* the destination named, or the one that answers for it at this time */
	struct dest_pick pick;
	const struct dest *d =
	    set && name.len ? dest_set_pick(set, name, w->req->now, &pick) : NULL;
	struct dest direct = {0};
	if (d) {
		copy_field(log->dest, sizeof(log->dest), d->name);
		if (pick.asked != d)
			copy_field(log->asked, sizeof(log->asked), pick.asked->name);
	} else if (t && direct_allowed(w->s->allow_direct, t)) {
		direct.name = (char *)"direct";
		/* a phone number (tel:, ;user=phone) is dialled as a <Number> */
		direct.route = (char *)(t->phone && t->user[0] == '+' ? t->user : t->uri);
		struct dest_error derr;
		if (dest_validate(&direct, &derr) != 0) {
			return why(log, ENOENT,
			           "target matches --allow-direct but is not dialable: %s",
			           derr.msg);
		}
		d = &direct;
		copy_field(log->dest, sizeof(log->dest), "direct");
	} else if (!t) {
		return why(log, ENOENT, "no destination named \"%.64s\" in the %s set", log->name,
		           env);
	} else {
		int n =
		    t->user[0]
		        ? why(log, ENOENT, "no destination named \"%.64s\" in the %s set%s",
		              t->user, env,
		              t->phone && w->s->allow_direct
		                  ? " and the number does not match --allow-direct"
		              : t->phone ? " (a number: --allow-direct PATTERN dials numbers as "
		                           "they are)"
		                         : "")
		        : why(log, ENOENT, "the target has no user part to name a destination");
		return n;
	}
	struct dest_vars vars = {
	    .from = form_get(f, "From"),
	    .to = form_get(f, "To"),
	    .call_sid = form_get(f, "CallSid"),
	    .account_sid = form_get(f, "AccountSid"),
	    .refer = t ? t->headers : NULL,
	    .nrefer = t ? t->nheaders : 0,
	};
	int rc = d == &direct ? dest_render(d, &vars, resp->body)
	                      : dest_set_render(set, d, &vars, resp->body);
	if (rc == E2BIG)
		return why(log, EBADMSG, "a variable's value is too long for destination %s",
		           d->name);
	if (rc)
		return why(log, EIO, "destination %s did not render (errno %d)", d->name, rc);
	return 0;
}

static int refer(struct webhook *w, const struct handler_snap *snap, struct handler_resp *resp,
                 struct handler_log *log)
{
	const struct form *f = w->form;
	const char *raw = form_get(f, "ReferTransferTarget");
	if (!raw)
		return why(log, EBADMSG, "no ReferTransferTarget parameter");
	struct target *t = &scratch()->target;
	char err[256];
	int rc = target_parse(raw, strlen(raw), t, err, sizeof(err));
	copy_field(log->target, sizeof(log->target), rc == 0 ? t->uri : "");
	for (char *p = log->target; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f || *p == '"')
			*p = '?';
	if (rc) {
		return why(log, EBADMSG, "ReferTransferTarget: %s", err);
	}
	return answer_dest(w, snap, str_c(t->user), t, resp, log);
}

/* /transfer/{name}: the Voice API transfer (a live call updated to this URL). The name in
 * the path picks the destination; $refer.* variables are empty. */
static int transfer(struct webhook *w, const struct handler_snap *snap, struct handler_resp *resp,
                    struct handler_log *log)
{
	const char *name = w->path + strlen(w->route->path);
	size_t n = strlen(name);
	copy_field(log->name, sizeof(log->name), name); /* printable, for the log */
	for (char *p = log->name; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f || *p == '"')
			*p = '?';
	if (n > DEST_NAME_MAX)
		return why(log, ENOENT, "the name in the path is longer than %d characters",
		           DEST_NAME_MAX);
	return answer_dest(w, snap, (struct str){name, n}, NULL, resp, log);
}

int handler_handle(const struct handler_settings *s, const struct handler_snap *snap,
                   const struct handler_req *req, struct handler_resp *resp,
                   struct handler_log *log)
{
	/* the fields, not the whole struct: memset would write (and keep resident
	 * in every worker thread) the 2 KiB of why for each request */
	log->route = NULL;
	log->call_sid[0] = log->target[0] = log->dest[0] = log->asked[0] = log->why[0] =
	    log->name[0] = '\0';
	log->sig_failed = false;
	log->version = -1;
	resp->allow = NULL;
	const char *path = req->path;
	const struct handler_route *route = find_route(s, req->path, &path);
	log->route = route;
	bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	bool post = strcmp(req->method, "POST") == 0;
	int rc = 0;
	struct webhook w = {
	    .s = s, .req = req, .route = route, .path = path, .base = s->public_url};
	if (!w.base)
		w.base = req->base_url ? req->base_url : "";
	buf_reset(resp->body);
	resp->content_type = "text/plain; charset=utf-8";
	if (!route) {
		rc = why(log, ENOENT, "no route %.200s", req->path);
	} else if (!(get && route->get) && !(post && route->post)) {
		resp->allow = route->post ? "GET, HEAD, POST" : "GET, HEAD";
		rc = why(log, EOPNOTSUPP, "method %.16s", req->method);
	} else if (route->kind == ROUTE_HEALTHZ) {
		if (s->health)
			s->health(s->metrics_ctx, resp->body);
		else
			buf_adds(resp->body, "ok\n");
	} else if (route->kind == ROUTE_METRICS) {
		if (s->metrics)
			s->metrics(s->metrics_ctx, resp->body);
		resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	} else {
		w.form = &scratch()->form;
		rc = read_webhook(&w, log);
		if (rc == 0) {
			resp->content_type = "text/xml";
			rc = route->kind == ROUTE_VOICE      ? voice(&w, resp, log)
			     : route->kind == ROUTE_TRANSFER ? transfer(&w, snap, resp, log)
			                                     : refer(&w, snap, resp, log);
		}
		free(w.query_copy);
	}
	resp->status = handler_status(rc);
	if (rc) {
		buf_reset(resp->body);
		buf_adds(resp->body, status_body(resp->status));
		resp->content_type = "text/plain; charset=utf-8";
	}
	return resp->status;
}

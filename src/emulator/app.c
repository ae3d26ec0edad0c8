/* emu_app: the webhook server's handler as an in-process app for the engine. */
#include "emulator/app.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/httpc.h"
#include "store/store.h"
#include "twiml/twiml.h"
#include "util/mem.h"
#include "webhooks/handler.h"

struct emu_app {
	pthread_mutex_t mu;
	struct handler_settings hs;
	struct dest_set *live, *sandbox;
	char *token, *agent;
	char why[EMU_APP_MAX_WHY];
	char dest[DEST_NAME_MAX + 1], asked[DEST_NAME_MAX + 1];
	bool at_set;
	int64_t at;
};

int emu_app_open(const char *db, const char *agent, const char *token, struct emu_app **out,
                 char *err, size_t errlen)
{
	struct store *s = NULL;
	int rc = store_open(&s, db, 0, err, errlen);
	if (rc)
		return rc;
	struct emu_app *a = xcalloc(1, sizeof(*a));
	rc = store_load(s, DEST_LIVE, &a->live, err, errlen);
	if (!rc)
		rc = store_load(s, DEST_SANDBOX, &a->sandbox, err, errlen);
	store_close(s);
	if (rc) {
		if (a->live)
			dest_set_release(a->live);
		free(a);
		return rc;
	}
	pthread_mutex_init(&a->mu, NULL);
	a->token = xstrdup(token ? token : "");
	a->agent = agent ? xstrdup(agent) : NULL;
	a->hs.public_url = EMU_APP_BASE;
	a->hs.agent_uri = a->agent;
	a->hs.keys.primary = a->token;
	a->hs.insecure = !*a->token;
	*out = a;
	return 0;
}

void emu_app_free(struct emu_app *a)
{
	if (!a)
		return;
	dest_set_release(a->live);
	dest_set_release(a->sandbox);
	xwipe(a->token, strlen(a->token));
	free(a->token);
	free(a->agent);
	pthread_mutex_destroy(&a->mu);
	handler_thread_done();
	free(a);
}

const char *emu_app_last_why(const struct emu_app *a)
{
	return a->why;
}

const char *emu_app_last_dest(const struct emu_app *a, const char **asked)
{
	if (asked)
		*asked = a->asked;
	return a->dest;
}

const struct tz *emu_app_zone(const struct emu_app *a, const char *name, bool live)
{
	const struct dest_set *set = live ? a->live : a->sandbox;
	const struct dest *d = dest_set_find(set, str_c(name));
	return d ? dest_set_zone(set, d) : NULL;
}

void emu_app_at(struct emu_app *a, int64_t t)
{
	a->at = t;
	a->at_set = true;
}

int emu_app_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	struct emu_app *a = ctx;
	size_t bl = strlen(EMU_APP_BASE);
	if (strncmp(req->url, EMU_APP_BASE, bl) != 0 || (req->url[bl] && req->url[bl] != '/')) {
		res->error = 11200;
		return 0;
	}
	bool post = strcmp(req->method, "POST") == 0;
	struct buf form, body;
	buf_init(&form, TWIML_MAX_BYTES);
	buf_init(&body, TWIML_MAX_BYTES);
	int rc = 0;
	for (size_t i = 0; post && req->params && i < req->params->n && !rc; i++) {
		if (i)
			rc = buf_addc(&form, '&');
		if (!rc)
			rc = httpc_urlencode(&form, req->params->v[i].name);
		if (!rc)
			rc = buf_addc(&form, '=');
		if (!rc)
			rc = httpc_urlencode(&form, req->params->v[i].value);
	}
	if (rc) { /* larger than a request the server takes */
		res->status = 413;
		goto out;
	}
	const char *rest = req->url + bl;
	const char *q = strchr(rest, '?');
	char *path =
	    xstrndup(*rest ? rest : "/", q ? (size_t)(q - rest) : strlen(*rest ? rest : "/"));
	char *text = xstrndup(post ? buf_str(&form) : "", post ? form.len : 0);
	struct handler_req hr = {
	    .method = req->method,
	    .path = path,
	    .query = q ? q + 1 : NULL,
	    .base_url = EMU_APP_BASE,
	    .content_type = post ? "application/x-www-form-urlencoded" : NULL,
	    .signature = req->signature,
	    .body = text,
	    .body_len = post ? form.len : 0,
	    .now = a->at_set ? a->at : (int64_t)time(NULL),
	};
	struct handler_snap snap = {a->live, a->sandbox};
	struct handler_resp hresp = {.body = &body};
	struct handler_log *log = xcalloc(1, sizeof(*log));
	pthread_mutex_lock(&a->mu);
	res->status = handler_handle(&a->hs, &snap, &hr, &hresp, log);
	snprintf(a->why, sizeof(a->why), "%.*s", (int)sizeof(a->why) - 1, log->why);
	snprintf(a->dest, sizeof(a->dest), "%s", log->dest);
	snprintf(a->asked, sizeof(a->asked), "%s", log->asked);
	pthread_mutex_unlock(&a->mu);
	free(log);
	free(text);
	free(path);
	res->content_type = hresp.content_type ? xstrdup(hresp.content_type) : NULL;
	res->body_len = body.len;
	res->body = xstrndup(buf_str(&body), body.len);
out:
	buf_free(&form);
	buf_free(&body);
	return 0;
}

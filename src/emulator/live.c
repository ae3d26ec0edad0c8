/* emu_live: the engine's live fetcher: real HTTP through httpc, signed with webhooks/sig. */
#include "emulator/live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/httpc.h"
#include "util/mem.h"
#include "webhooks/sig.h"

bool emu_live_is_self(const struct emu_live *l, const char *url)
{
	if (!l || l->self_port <= 0 || !url)
		return false;
	int port;
	if (strncasecmp(url, "http://", 7) == 0)
		url += 7, port = 80;
	else if (strncasecmp(url, "https://", 8) == 0)
		url += 8, port = 443;
	else
		return false;
	size_t hl = strcspn(url, "/?#");
	const char *at = memchr(url, '@', hl); /* user:pass@ */
	if (at) {
		hl -= (size_t)(at + 1 - url);
		url = at + 1;
	}
	char host[256];
	if (hl >= sizeof(host))
		return false;
	memcpy(host, url, hl);
	host[hl] = '\0';
	char *colon = host[0] == '[' ? strchr(host, ']') : host;
	colon = colon ? strrchr(colon, ':') : NULL;
	if (colon) {
		*colon = '\0';
		port = atoi(colon + 1);
	}
	if (port != l->self_port)
		return false;
	size_t n = strlen(host);
	if (host[0] == '[' && n > 1 && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	bool any = !l->self_host[0] || strcmp(l->self_host, "0.0.0.0") == 0 ||
	           strcmp(l->self_host, "::") == 0;
	return any || strcasecmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "::1") == 0 || strcmp(host, "0.0.0.0") == 0 ||
	       strcasecmp(host, l->self_host) == 0;
}

int emu_live_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	const struct emu_live *l = ctx;
	if (emu_live_is_self(l, req->url)) {
		/* Twilio cannot fetch from it either: an unreachable webhook is its 11200 */
		res->error = 11200;
		res->why = "refused: the URL points at the emulator's own listener (the fetch "
		           "would wait on itself); point it at your app";
		return 0;
	}
	bool post = strcmp(req->method, "POST") == 0;
	struct buf body;
	buf_init(&body, 256 * 1024);
	int rc = 0;
	for (size_t i = 0; post && req->params && i < req->params->n && !rc; i++) {
		if (i)
			rc = buf_addc(&body, '&');
		if (!rc)
			rc = httpc_urlencode(&body, req->params->v[i].name);
		if (!rc)
			rc = buf_addc(&body, '=');
		if (!rc)
			rc = httpc_urlencode(&body, req->params->v[i].value);
	}
	if (rc) {
		buf_free(&body);
		res->error = 11200;
		return 0;
	}
	struct httpc_header hdr[2];
	size_t nh = 0;
	if (req->signature)
		hdr[nh++] = (struct httpc_header){"X-Twilio-Signature", req->signature};
	hdr[nh++] = (struct httpc_header){"Accept", "text/xml, application/xml, text/html, */*"};
	struct httpc_req hr = {0};
	hr.method = req->method;
	hr.url = req->url;
	hr.headers = hdr;
	hr.nheaders = nh;
	hr.body = post ? buf_str(&body) : NULL;
	hr.body_len = post ? body.len : 0;
	hr.content_type = post ? "application/x-www-form-urlencoded" : NULL;
	hr.connect_timeout_ms = EMU_LIVE_CONNECT_MS;
	hr.timeout_ms = EMU_LIVE_TOTAL_MS;
	hr.max_redirects = EMU_LIVE_REDIRECTS;
	hr.max_body = EMU_FETCH_MAX_BODY;
	struct httpc_resp hs;
	memset(&hs, 0, sizeof(hs));
	rc = httpc_do(&hr, &hs);
	if (rc) {
		res->error = httpc_twilio_code(hs.fail);
		if (!res->error)
			res->error = 11200;
	} else {
		res->status = hs.status;
		res->content_type = hs.content_type[0] ? xstrdup(hs.content_type) : NULL;
		res->body_len = hs.body.len;
		res->body = xstrndup(buf_str(&hs.body), hs.body.len);
	}
	httpc_resp_free(&hs);
	buf_free(&body);
	return 0;
}

int emu_live_sign(void *ctx, const char *url, const struct emu_params *params, char *out,
                  size_t outlen)
{
	const struct emu_live *l = ctx;
	if (!l || !l->auth_token || !*l->auth_token || outlen < SIG_LEN + 1)
		return EINVAL;
	size_t n = params ? params->n : 0;
	struct form_param *fp = n ? xcalloc(n, sizeof(*fp)) : NULL;
	for (size_t i = 0; i < n; i++)
		fp[i] = (struct form_param){params->v[i].name, strlen(params->v[i].name),
		                            params->v[i].value, strlen(params->v[i].value)};
	char sig[SIG_LEN + 1];
	int rc = sig_sign(l->auth_token, url, fp, n, sig);
	free(fp);
	if (!rc)
		memcpy(out, sig, SIG_LEN + 1);
	return rc;
}

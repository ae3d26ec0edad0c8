/* emu_live: the engine's live fetcher: real HTTP through httpc, signed with webhooks/sig. */
#include "emulator/live.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/httpc.h"
#include "util/mem.h"
#include "webhooks/sig.h"

int emu_live_fetch(void *ctx, const struct emu_fetch_req *req, struct emu_fetch_res *res)
{
	(void)ctx;
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

/* webhook: one webhook the engine sends (signed, through the injected fetcher) and how its
 * answer becomes a TwiML document, with Twilio's error codes on failure. */
#include "emulator/engine_int.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "twiml/lint.h"
#include "util/buf.h"
#include "util/mem.h"

char *emu_resolve(const char *base, const char *ref)
{
	if (!ref)
		return NULL;
	if (strstr(ref, "://") || !base || !*base)
		return xstrdup(ref);
	const char *hs = strstr(base, "://");
	if (!hs)
		return xstrdup(ref);
	const char *path = strchr(hs + 3, '/');
	size_t origin = path ? (size_t)(path - base) : strlen(base);
	if (ref[0] == '/')
		return xasprintf("%.*s%s", (int)origin, base, ref);
	const char *q = strpbrk(base + origin, "?#");
	size_t upto = q ? (size_t)(q - base) : strlen(base);
	const char *slash = NULL;
	for (const char *s = base + origin; s < base + upto; s++)
		if (*s == '/')
			slash = s;
	if (!slash)
		return xasprintf("%.*s/%s", (int)origin, base, ref);
	return xasprintf("%.*s%s", (int)(slash - base + 1), base, ref);
}

const struct twiml_node *emu_keep_doc(struct call *c, struct twiml_node *root, const char *url,
                                      const char **doc_url)
{
	struct doc *d = &c->docs[c->ndocs++];
	d->root = root;
	d->url = xstrdup(url ? url : "");
	if (doc_url)
		*doc_url = d->url;
	return root;
}

/* A document built from a non-XML answer (text/plain read aloud, audio played). */
static struct twiml_node *synth_doc(const char *verb, const char *text, bool hangup)
{
	struct twiml_node *r = twiml_new("Response");
	twiml_add_text(twiml_add(r, verb), text);
	if (hangup)
		twiml_add(r, "Hangup");
	return r;
}

/* Reads TwiML with twiml_parse and checks it with twiml_validate (findings go to the
 * timeline). 0 and *root (caller frees), or the Twilio code with why filled. */
int emu_parse_doc(struct call *c, const struct leg *l, const char *body, size_t len,
                  struct twiml_node **root, char *why, size_t whylen)
{
	struct twiml_findings f;
	twiml_findings_init(&f);
	struct twiml_node *r = NULL;
	int code = 0, rc = twiml_parse(body, len, &r, &f);
	if (rc) {
		code = rc == E2BIG ? 11750 : 12100;
		snprintf(why, whylen, "%s", f.n ? f.v[0].msg : "not well-formed");
	} else if (strcmp(r->name, "Response") != 0) {
		code = 12102;
		snprintf(why, whylen, "the root element is <%s>, not <Response>", r->name);
		twiml_free(r);
	} else {
		twiml_validate(r, &f);
		for (size_t i = 0; i < f.n; i++)
			emu_ev(c, f.v[i].level == TWIML_ERROR ? "error" : "warning", l, f.v[i].code,
			       "TwiML line %u:%u: %s", f.v[i].line, f.v[i].col, f.v[i].msg);
		*root = r;
	}
	twiml_findings_free(&f);
	return code;
}

static bool ctype_is(const char *ct, const char *want)
{
	size_t n = strlen(want);
	return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/* url with p appended as a percent-encoded query (RFC 3986 unreserved kept); caller frees. */
static char *query_url(const char *url, const struct emu_params *p)
{
	struct buf b;
	buf_init(&b, 64 * 1024);
	int rc = buf_adds(&b, url);
	char sep = strchr(url, '?') ? '&' : '?';
	for (size_t i = 0; p && i < p->n && !rc; i++) {
		rc = buf_addc(&b, sep);
		sep = '&';
		for (int k = 0; k < 2 && !rc; k++) {
			if (k)
				rc = buf_addc(&b, '=');
			for (const char *q = k ? p->v[i].value : p->v[i].name; *q && !rc; q++) {
				unsigned char ch = (unsigned char)*q;
				if (isalnum(ch) || strchr("-._~", ch))
					rc = buf_addc(&b, (char)ch);
				else
					rc = buf_printf(&b, "%%%02X", ch);
			}
		}
	}
	char *out = rc ? xstrdup(url) : buf_steal(&b);
	buf_free(&b);
	return out;
}

/* Runs one webhook; returns 0 (with *doc when doc is not NULL) or the Twilio error code,
 * which is also in the timeline. */
int emu_webhook(struct call *c, const struct leg *l, const char *why, const char *method,
                const char *url, const struct emu_params *p, const struct twiml_node **doc,
                const char **doc_url)
{
	struct emu_engine *e = c->eng;
	char sig[128] = "";
	/* a GET carries the parameters in its query, and that whole URL is what is signed */
	char *get_url = strcmp(method, "GET") == 0 ? query_url(url, p) : NULL;
	if (get_url)
		url = get_url;
	if (e->cfg.signer.sign &&
	    e->cfg.signer.sign(e->cfg.signer.ctx, url, get_url ? NULL : p, sig, sizeof(sig)))
		sig[0] = 0;
	struct event *v = emu_ev(c, "webhook", l, 0, "%s %s %s", why, method, url);
	if (v) {
		emu_params_copy(&v->params, p);
		if (sig[0])
			v->signature = xstrdup(sig);
	}
	if (doc && c->ndocs >= EMU_ENG_MAX_DOCS) {
		emu_ev(c, "limit", l, 12400, "TwiML documents per call limit (%d) reached",
		       EMU_ENG_MAX_DOCS);
		return 12400;
	}
	struct emu_fetch_req req = {method, url, p, sig[0] ? sig : NULL};
	struct emu_fetch_res res = {0};
	/* the lock is released while the app answers (up to 15 s): other calls go on; this
	 * one is marked busy, so the entry points that change it answer EBUSY meanwhile */
	struct emu_fetcher f = e->cfg.fetcher;
	pthread_mutex_unlock(&e->mu);
	int rc = f.fetch(f.ctx, &req, &res);
	pthread_mutex_lock(&e->mu);
	int code = 0;
	const char *why_err = "";
	char err[TWIML_MAX_MSG + 16] = "";
	if (res.delay_ms >= EMU_FETCH_TIMEOUT_MS) {
		emu_advance(e, EMU_FETCH_TIMEOUT_MS);
		code = 11205, why_err = "no answer within 15 s";
	} else {
		emu_advance(e, res.delay_ms);
	}
	if (code) {
	} else if (rc) {
		code = 11200, why_err = "fetch failed";
	} else if (res.error) {
		code = res.error, why_err = res.why ? res.why : "transport error";
	} else if (res.status < 200 || res.status > 299) {
		snprintf(err, sizeof(err), "HTTP status %d", res.status);
		code = 11217, why_err = err;
	} else if (res.body_len > EMU_FETCH_MAX_BODY) {
		code = 11750, why_err = "body over 64 kB";
	}
	if (!code)
		emu_ev(c, "answer", l, res.status, "%d %s, %zu bytes", res.status,
		       res.content_type ? res.content_type : "(no content type)", res.body_len);
	if (!code && doc) {
		const char *ct = res.content_type;
		struct twiml_node *root = NULL;
		if (!res.body || res.body_len == 0) {
			code = 11770, why_err = "empty body";
		} else if (ctype_is(ct, "text/xml") || ctype_is(ct, "application/xml") ||
		           ctype_is(ct, "text/html")) {
			code = emu_parse_doc(c, l, res.body, res.body_len, &root, err, sizeof(err));
			why_err = err;
		} else if (ctype_is(ct, "text/plain")) {
			if (emu_parse_doc(c, l, res.body, res.body_len, &root, err, sizeof(err))) {
				char *t = xstrndup(res.body, res.body_len);
				root = synth_doc("Say", t, false);
				free(t);
				emu_ev(c, "twiml", l, 0, "text/plain answer is read aloud");
			}
		} else if (ct && strncasecmp(ct, "audio/", 6) == 0) {
			root = synth_doc("Play", url, true);
			emu_ev(c, "twiml", l, 0, "audio answer is played, then the call hangs up");
		} else {
			code = 12300,
			why_err = ct ? "content type is not TwiML" : "no content type";
		}
		if (code)
			twiml_free(root);
		else
			*doc = emu_keep_doc(c, root, url, doc_url);
	}
	if (code)
		emu_ev(c, "error", l, code, "%s %s: %s", why, url, why_err);
	free(res.body);
	free(res.content_type);
	free(get_url);
	return code;
}

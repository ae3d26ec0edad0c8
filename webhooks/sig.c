/* sig: X-Twilio-Signature, computed and checked the way Twilio and its helper
 * libraries do (one implementation for the server, the CLI and the emulator). */
#include "webhooks/sig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "util/str.h"
#include "webhooks/crypto.h"

/* ---- the signed string ---- */

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

static int cmp_param(const void *x, const void *y)
{
	const struct form_param *a = *(const struct form_param *const *)x;
	const struct form_param *b = *(const struct form_param *const *)y;
	int c = cmp_bytes(a->name, a->name_len, b->name, b->name_len);
	return c ? c : cmp_bytes(a->value, a->value_len, b->value, b->value_len);
}

/* Appends the sorted pairs (the part after the URL) to out. */
static int add_params(const struct form_param *p, size_t n, struct buf *out)
{
	if (n == 0)
		return 0;
	/* one allocation for the whole suffix instead of doubling from 64 bytes */
	size_t total = out->len;
	for (size_t i = 0; i < n; i++)
		total += p[i].name_len + p[i].value_len;
	if (total > out->max)
		return E2BIG;
	if (out->cap < total + 1) {
		out->p = xrealloc(out->p, total + 1);
		out->cap = total + 1;
		out->p[out->len] = '\0';
	}
	const struct form_param *small[FORM_MAX_PARAMS];
	const struct form_param **sorted =
	    n <= FORM_MAX_PARAMS ? small : xmalloc(n * sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = &p[i];
	if (n <= 16) { /* a webhook's dozen: insertion sort beats qsort's calls */
		for (size_t i = 1; i < n; i++) {
			const struct form_param *x = sorted[i];
			size_t j = i;
			for (; j > 0 && cmp_param(&sorted[j - 1], &x) > 0; j--)
				sorted[j] = sorted[j - 1];
			sorted[j] = x;
		}
	} else {
		qsort(sorted, n, sizeof(*sorted), cmp_param);
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		/* a repeated name's equal values count once (as the helper libraries do) */
		if (i > 0 && cmp_param(&sorted[i - 1], &sorted[i]) == 0)
			continue;
		rc = buf_add(out, sorted[i]->name, sorted[i]->name_len);
		if (rc == 0)
			rc = buf_add(out, sorted[i]->value, sorted[i]->value_len);
	}
	if (sorted != small)
		free(sorted);
	return rc;
}

int sig_data(const char *url, const struct form_param *p, size_t n, struct buf *out)
{
	int rc = buf_adds(out, url);
	return rc ? rc : add_params(p, n, out);
}

static void sign_parts(const char *key, const char *url, const struct buf *suffix,
                       char out[SIG_LEN + 1], int *rc)
{
	unsigned char mac[CRYPTO_SHA1_LEN];
	*rc = crypto_hmac_sha1(key, strlen(key), url, strlen(url), suffix->p, suffix->len, mac);
	if (*rc == 0)
		crypto_base64(mac, sizeof(mac), out);
	else
		out[0] = '\0';
}

int sig_sign(const char *key, const char *url, const struct form_param *p, size_t n,
             char out[SIG_LEN + 1])
{
	struct buf suffix;
	buf_init(&suffix, SIG_MAX_DATA);
	int rc = add_params(p, n, &suffix);
	if (rc == 0)
		sign_parts(key, url, &suffix, out, &rc);
	buf_free(&suffix);
	return rc;
}

int sig_body_hash(const char *body, size_t len, char hex[65])
{
	unsigned char d[CRYPTO_SHA256_LEN];
	int rc = crypto_sha256(body, len, d);
	if (rc == 0)
		crypto_hex(d, sizeof(d), hex);
	return rc;
}

/* ---- URL variants ---- */

/* A URL cut the way the helper libraries cut it, without normalising:
 * scheme "https://", userinfo "user:pass@", host, port ":8443", rest. */
struct url_parts {
	struct str scheme, userinfo, host, port, rest;
};

static int split_url(const char *url, struct url_parts *u)
{
	const char *p = url;
	if (!isalpha((unsigned char)*p))
		return -1;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '.' || *p == '-')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return -1;
	p += 3;
	u->scheme = (struct str){url, (size_t)(p - url)};
	const char *auth = p;
	while (*p && *p != '/' && *p != '?' && *p != '#')
		p++;
	struct str a = {auth, (size_t)(p - auth)};
	size_t at = 0; /* just past the last '@' */
	for (size_t i = 0; i < a.len; i++)
		if (a.p[i] == '@')
			at = i + 1;
	u->userinfo = (struct str){a.p, at};
	struct str hp = {a.p + at, a.len - at};
	size_t from = 0; /* a ':' starts the port only after an IPv6 literal's ']' */
	for (size_t i = 0; i < hp.len; i++)
		if (hp.p[i] == ']')
			from = i + 1;
	size_t colon = hp.len;
	for (size_t i = from; i < hp.len; i++)
		if (hp.p[i] == ':') {
			colon = i;
			break;
		}
	u->host = (struct str){hp.p, colon};
	u->port = (struct str){hp.p + colon, hp.len - colon};
	u->rest = str_c(p);
	return 0;
}

static const char *default_port(struct str scheme)
{
	return str_caseprefix(scheme, "https://") || str_caseprefix(scheme, "wss://") ? ":443"
	                                                                              : ":80";
}

static int join(struct buf *b, const struct url_parts *u, struct str port)
{
	buf_reset(b);
	buf_add(b, u->scheme.p, u->scheme.len);
	buf_add(b, u->userinfo.p, u->userinfo.len);
	buf_add(b, u->host.p, u->host.len);
	buf_add(b, port.p, port.len);
	return buf_add(b, u->rest.p, u->rest.len);
}

static void pct(struct buf *b, unsigned char c)
{
	static const char hexd[] = "0123456789ABCDEF";
	char e[3] = {'%', hexd[c >> 4], hexd[c & 15]};
	buf_add(b, e, 3);
}

/* The URL as WHATWG's URL parser prints it (what new URL(url).toString() gives
 * for ordinary webhook URLs): scheme and host lowercased, the default port
 * dropped, an empty path made "/", and the characters of the path and query
 * percent-encode sets escaped (in a query: space " < > ' and non-ASCII). */
static int normalise(const char *url, struct buf *b)
{
	struct url_parts u;
	if (split_url(url, &u) != 0)
		return -1;
	buf_reset(b);
	for (size_t i = 0; i < u.scheme.len; i++)
		buf_addc(b, (char)tolower((unsigned char)u.scheme.p[i]));
	buf_add(b, u.userinfo.p, u.userinfo.len);
	for (size_t i = 0; i < u.host.len; i++)
		buf_addc(b, (char)tolower((unsigned char)u.host.p[i]));
	if (u.port.len > 1 && !str_eqc(u.port, default_port(u.scheme)))
		buf_add(b, u.port.p, u.port.len);
	const char *p = u.rest.p;
	if (*p != '/')
		buf_addc(b, '/');
	enum { PATH, QUERY, FRAGMENT } part = PATH;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (part == PATH && c == '?')
			part = QUERY;
		else if (part != FRAGMENT && c == '#')
			part = FRAGMENT;
		else if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' ||
		         (part == PATH && (c == '`' || c == '{' || c == '}')) ||
		         (part == QUERY && c == '\'') || (part == FRAGMENT && c == '`')) {
			pct(b, c);
			continue;
		}
		buf_addc(b, (char)c);
	}
	return b->p ? 0 : -1;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* querystring.unescape: '+' is a space, a valid %XX a byte, anything else as is. */
static void qs_unescape(struct str s, struct buf *out)
{
	buf_reset(out);
	buf_adds(out, "");
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '+') {
			buf_addc(out, ' ');
		} else if (s.p[i] == '%' && i + 2 < s.len && hexv(s.p[i + 1]) >= 0 &&
		           hexv(s.p[i + 2]) >= 0) {
			buf_addc(out, (char)(hexv(s.p[i + 1]) << 4 | hexv(s.p[i + 2])));
			i += 2;
		} else {
			buf_addc(out, s.p[i]);
		}
	}
}

/* querystring.escape: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) escaped. */
static void qs_escape(const struct buf *s, struct buf *out)
{
	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->p[i];
		if (isalnum(c) || strchr("-_.!~*'()", c))
			buf_addc(out, (char)c);
		else
			pct(out, c);
	}
}

/* Whether s is a canonical array index ("0", "17"): JavaScript objects list
 * such keys first, in numeric order, whatever order they were added in. */
static int array_index(const struct buf *s, unsigned long *v)
{
	if (s->len == 0 || s->len > 9 || (s->len > 1 && s->p[0] == '0'))
		return 0;
	*v = 0;
	for (size_t i = 0; i < s->len; i++) {
		if (!isdigit((unsigned char)s->p[i]))
			return 0;
		*v = *v * 10 + (unsigned long)(s->p[i] - '0');
	}
	return 1;
}

#define QS_MAX_KEYS 64

/* The URL with its query parsed and printed again by Node's legacy
 * querystring module (parse, then stringify): keys grouped in first-seen
 * order (index-like keys first), values unescaped and escaped again. */
static int legacy_query(const char *url, struct buf *b)
{
	const char *q = strchr(url, '?');
	buf_reset(b);
	if (!q || !q[1])
		return buf_adds(b, url);
	struct {
		struct buf key;
		size_t first; /* index into vals of the first value */
		int is_index;
		unsigned long index;
	} keys[QS_MAX_KEYS];
	struct {
		size_t key;
		struct buf val;
	} vals[QS_MAX_KEYS];
	size_t nk = 0, nv = 0;
	struct buf tmp;
	buf_init(&tmp, SIG_MAX_URL);
	for (const char *p = q + 1; *p && nv < QS_MAX_KEYS;) {
		const char *end = strchr(p, '&');
		if (!end)
			end = p + strlen(p);
		struct str piece = {p, (size_t)(end - p)};
		p = *end ? end + 1 : end;
		if (piece.len == 0)
			continue;
		const char *eq = memchr(piece.p, '=', piece.len);
		struct str k = {piece.p, eq ? (size_t)(eq - piece.p) : piece.len};
		struct str v = {eq ? eq + 1 : piece.p + piece.len, eq ? piece.len - k.len - 1 : 0};
		qs_unescape(k, &tmp);
		size_t ki = 0;
		while (ki < nk && !(keys[ki].key.len == tmp.len &&
		                    memcmp(keys[ki].key.p, tmp.p, tmp.len) == 0))
			ki++;
		if (ki == nk) {
			if (nk == QS_MAX_KEYS)
				break;
			buf_init(&keys[nk].key, SIG_MAX_URL);
			qs_unescape(k, &keys[nk].key);
			keys[nk].first = nv;
			keys[nk].is_index = array_index(&keys[nk].key, &keys[nk].index);
			nk++;
		}
		vals[nv].key = ki;
		buf_init(&vals[nv].val, SIG_MAX_URL);
		qs_unescape(v, &vals[nv].val);
		nv++;
	}
	buf_free(&tmp);
	/* the printing order: index-like keys ascending, then the rest as seen */
	size_t order[QS_MAX_KEYS] = {0}, no = 0;
	for (size_t i = 0; i < nk; i++)
		if (keys[i].is_index) {
			size_t j = no++;
			while (j > 0 && keys[order[j - 1]].index > keys[i].index) {
				order[j] = order[j - 1];
				j--;
			}
			order[j] = i;
		}
	for (size_t i = 0; i < nk; i++)
		if (!keys[i].is_index)
			order[no++] = i;
	buf_add(b, url, (size_t)(q - url) + 1);
	int first = 1;
	for (size_t o = 0; o < no; o++) {
		size_t ki = order[o];
		for (size_t i = keys[ki].first; i < nv; i++) {
			if (vals[i].key != ki)
				continue;
			if (!first)
				buf_addc(b, '&');
			first = 0;
			qs_escape(&keys[ki].key, b);
			buf_addc(b, '=');
			qs_escape(&vals[i].val, b);
		}
	}
	for (size_t i = 0; i < nk; i++)
		buf_free(&keys[i].key);
	for (size_t i = 0; i < nv; i++)
		buf_free(&vals[i].val);
	return b->p ? 0 : E2BIG;
}

/* Names the parts in which variant differs from the URL as given. */
static void describe(const char *given, const char *variant, const char *how, char *why, size_t len)
{
	struct url_parts a, b;
	if (strcmp(given, variant) == 0) {
		snprintf(why, len, "as given");
		return;
	}
	if (split_url(given, &a) != 0 || split_url(variant, &b) != 0) {
		snprintf(why, len, "%s", how);
		return;
	}
	const char *qa = strchr(a.rest.p, '?'), *qb = strchr(b.rest.p, '?');
	struct str pa = {a.rest.p, qa ? (size_t)(qa - a.rest.p) : a.rest.len};
	struct str pb = {b.rest.p, qb ? (size_t)(qb - b.rest.p) : b.rest.len};
	snprintf(why, len, "%s; differs in%s%s%s%s%s", how,
	         str_eq(a.scheme, b.scheme) ? "" : " scheme", str_eq(a.host, b.host) ? "" : " host",
	         str_eq(a.port, b.port) ? "" : " port", str_eq(pa, pb) ? "" : " path",
	         (qa && qb ? strcmp(qa, qb) == 0 : qa == qb) ? "" : " query");
}

static void add_variant(struct sig_variant *v, size_t max, size_t *n, const char *given,
                        const char *url, const char *how)
{
	if (*n >= max || strlen(url) > SIG_MAX_URL)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i].url, url) == 0)
			return;
	snprintf(v[*n].url, sizeof(v[*n].url), "%s", url);
	describe(given, url, how, v[*n].why, sizeof(v[*n].why));
	(*n)++;
}

/* Adds url with its port removed and with the default port added. */
static void add_port_pair(struct sig_variant *v, size_t max, size_t *n, const char *given,
                          const char *url, int legacy, const char *how_removed,
                          const char *how_added)
{
	struct url_parts u;
	struct buf b, l;
	buf_init(&b, SIG_MAX_URL + 1);
	buf_init(&l, SIG_MAX_URL + 1);
	if (split_url(url, &u) == 0) {
		join(&b, &u, (struct str){"", 0});
		const char *s = buf_str(&b);
		if (legacy && legacy_query(s, &l) == 0)
			s = buf_str(&l);
		add_variant(v, max, n, given, s, how_removed);
		join(&b, &u, u.port.len ? u.port : str_c(default_port(u.scheme)));
		s = buf_str(&b);
		if (legacy && legacy_query(s, &l) == 0)
			s = buf_str(&l);
		add_variant(v, max, n, given, s, how_added);
	}
	buf_free(&b);
	buf_free(&l);
}

size_t sig_url_variants(const char *url, struct sig_variant *v, size_t max)
{
	size_t n = 0;
	if (strlen(url) > SIG_MAX_URL || max == 0)
		return 0;
	add_variant(v, max, &n, url, url, "as given");
	add_port_pair(v, max, &n, url, url, 0, "port removed", "default port added");
	struct buf norm;
	buf_init(&norm, SIG_MAX_URL * 3 + 1);
	if (normalise(url, &norm) == 0) {
		const char *s = buf_str(&norm);
		add_port_pair(v, max, &n, url, s, 0, "normalised like new URL()",
		              "normalised, default port added");
		add_port_pair(v, max, &n, url, s, 1, "normalised, query re-encoded",
		              "normalised, default port added, query re-encoded");
	}
	buf_free(&norm);
	return n;
}

/* ---- checking ---- */

/* The raw value of the query parameter name in url, or an empty slice. */
static struct str query_param(const char *url, const char *name)
{
	const char *q = strchr(url, '?');
	size_t nl = strlen(name);
	while (q) {
		q++;
		const char *end = q + strcspn(q, "&#");
		if ((size_t)(end - q) > nl && strncmp(q, name, nl) == 0 && q[nl] == '=')
			return (struct str){q + nl + 1, (size_t)(end - q) - nl - 1};
		q = *end == '&' ? end : NULL;
	}
	return (struct str){"", 0};
}

static int matches(const char *key, const char *url, const struct buf *suffix, const char *sig,
                   size_t siglen, int *rc)
{
	char want[SIG_LEN + 1];
	sign_parts(key, url, suffix, want, rc);
	return *rc == 0 && crypto_equal(want, SIG_LEN, sig, siglen);
}

static int fail(struct sig_explain *ex, int rc, const char *fmt, const char *arg)
{
	if (ex)
		snprintf(ex->reason, sizeof(ex->reason), fmt, arg);
	return rc;
}

int sig_verify(const struct sig_keys *keys, const struct sig_request *req, struct sig_explain *ex)
{
	const char *tokens[2] = {keys->primary, keys->secondary};
	static const char *const token_names[2] = {"primary", "secondary"};
	int ntok = 0;
	if (ex) {
		memset(ex, 0, offsetof(struct sig_explain, signed_));
		ex->matched = -1;
		buf_init(&ex->signed_, SIG_MAX_DATA);
	}
	if (keys->primary && *keys->primary)
		ntok = 1;
	if (keys->secondary && *keys->secondary)
		ntok = 2;
	if (ntok == 0)
		return fail(ex, EINVAL, "%s", "no auth token is configured");
	if (ex)
		ex->token = ntok == 2 && keys->primary && *keys->primary ? "primary and secondary"
		            : ntok == 2                                  ? "secondary"
		                                                         : "primary";
	if (strlen(req->url) > SIG_MAX_URL)
		return fail(ex, E2BIG, "the URL is longer than %s bytes", "2048");
	if (req->body) {
		/* a JSON body is signed through the hash in the URL, not as params */
		struct str want = query_param(req->url, "bodySHA256");
		char hex[65];
		if (want.len == 0)
			return fail(ex, EACCES, "%s",
			            "a non-form body but no bodySHA256 in the URL");
		if (sig_body_hash(req->body, req->body_len, hex) != 0 ||
		    !crypto_equal(hex, 64, want.p, want.len))
			return fail(ex, EACCES,
			            "the body's SHA-256 (%.64s) does not match bodySHA256", hex);
	}
	struct buf suffix;
	buf_init(&suffix, SIG_MAX_DATA);
	int rc = req->body ? 0 : add_params(req->params, req->nparams, &suffix);
	if (rc != 0) {
		buf_free(&suffix);
		return fail(ex, E2BIG, "%s", "the parameters are too large to sign");
	}
	const char *sig = req->signature;
	if (!sig || !*sig) {
		rc = fail(ex, EACCES, "%s", "no X-Twilio-Signature header");
		goto explain;
	}
	size_t siglen = strlen(sig);
	/* the URL as given first: nearly every genuine request matches it */
	for (int t = 0; t < 2; t++)
		if (tokens[t] && *tokens[t] &&
		    matches(tokens[t], req->url, &suffix, sig, siglen, &rc)) {
			if (ex) {
				ex->nv = sig_url_variants(req->url, ex->v, SIG_MAX_VARIANTS);
				ex->matched = 0;
				ex->token = token_names[t];
			}
			buf_free(&suffix);
			return 0;
		}
	struct sig_variant *v = xcalloc(SIG_MAX_VARIANTS, sizeof(*v));
	size_t nv = sig_url_variants(req->url, v, SIG_MAX_VARIANTS);
	rc = EACCES;
	for (int t = 0; t < 2 && rc; t++)
		for (size_t i = 1; i < nv && rc; i++) {
			int err = 0;
			if (tokens[t] && *tokens[t] &&
			    matches(tokens[t], v[i].url, &suffix, sig, siglen, &err)) {
				rc = 0;
				if (ex) {
					ex->matched = (int)i;
					ex->token = token_names[t];
				}
			}
		}
	if (ex) {
		memcpy(ex->v, v, nv * sizeof(*v));
		ex->nv = nv;
		if (rc)
			snprintf(ex->reason, sizeof(ex->reason),
			         "the signature matches none of the %zu URL variants", nv);
	}
	free(v);
explain:
	if (ex && rc) {
		if (ex->nv == 0)
			ex->nv = sig_url_variants(req->url, ex->v, SIG_MAX_VARIANTS);
		buf_adds(&ex->signed_, req->url);
		buf_add(&ex->signed_, suffix.p, suffix.len);
	}
	buf_free(&suffix);
	return rc;
}

void sig_explain_format(const struct sig_explain *ex, struct buf *out, size_t max_signed,
                        int multiline)
{
	const char *sep = multiline ? "\n" : "; ";
	buf_printf(out, "%s", ex->reason[0] ? ex->reason : "valid");
	if (ex->token)
		buf_printf(out, "%s%s %s", sep,
		           ex->matched >= 0 ? "token:" : "tokens tried:", ex->token);
	for (size_t i = 0; i < ex->nv; i++)
		buf_printf(out, "%s%s URL %s (%s)", sep,
		           (int)i == ex->matched ? "matched" : "tried", ex->v[i].url, ex->v[i].why);
	if (ex->signed_.len) {
		size_t n = ex->signed_.len < max_signed ? ex->signed_.len : max_signed;
		buf_printf(out, "%ssigned string (URL as given): \"", sep);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)ex->signed_.p[i];
			if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
				buf_printf(out, "\\x%02x", c);
			else
				buf_addc(out, (char)c);
		}
		buf_printf(out, "\"%s", n < ex->signed_.len ? " (cut)" : "");
	}
}

void sig_explain_free(struct sig_explain *ex)
{
	if (ex)
		buf_free(&ex->signed_);
}

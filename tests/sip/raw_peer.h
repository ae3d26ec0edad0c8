/* raw_peer: a SIP peer's few reads and writes done by hand, for the test and the bench
 * that stand outside libre on purpose (a first header's value, the Vias, a response). */
#ifndef HANDOFF_TESTS_RAW_PEER_H
#define HANDOFF_TESTS_RAW_PEER_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The first NAME header's value in msg (after "NAME:" and its blanks) into out; NULL when
 * there is none. */
static inline const char *raw_header(const char *msg, const char *name, char *out, size_t n)
{
	char key[64];
	snprintf(key, sizeof(key), "\r\n%s:", name);
	const char *p = strcasestr(msg, key);
	out[0] = 0;
	if (!p)
		return NULL;
	p += strlen(key);
	while (*p == ' ')
		p++;
	size_t l = strcspn(p, "\r\n");
	snprintf(out, n, "%.*s", (int)(l < n ? l : n - 1), p);
	return out;
}

/* Every Via line of msg, each with its CRLF, into out. */
static inline void raw_vias(const char *msg, char *out, size_t n)
{
	out[0] = 0;
	for (const char *p = strcasestr(msg, "\r\nVia:"); p; p = strcasestr(p + 2, "\r\nVia:")) {
		size_t l = strcspn(p + 2, "\r\n");
		size_t used = strlen(out);
		snprintf(out + used, n - used, "%.*s\r\n", (int)l, p + 2);
	}
}

/* A response to req into out (cap bytes): its Vias, From, To (with ";tag=TAG" added when
 * tag is given and To has none), Call-ID and CSeq, then extra (header lines with their
 * CRLFs, or NULL) and body (or NULL). Returns its length. */
static inline int raw_response(char *out, size_t cap, const char *req, const char *status,
                               const char *tag, const char *extra, const char *body)
{
	char v[1024], f[256], t[256], c[256], q[64];
	raw_vias(req, v, sizeof(v));
	raw_header(req, "From", f, sizeof(f));
	raw_header(req, "To", t, sizeof(t));
	raw_header(req, "Call-ID", c, sizeof(c));
	raw_header(req, "CSeq", q, sizeof(q));
	bool add = tag && !strstr(t, "tag=");
	int n = snprintf(out, cap,
	                 "SIP/2.0 %s\r\n%sFrom: %s\r\nTo: %s%s%s\r\nCall-ID: %s\r\nCSeq: %s\r\n%s"
	                 "Content-Length: %zu\r\n\r\n%s",
	                 status, v, f, t, add ? ";tag=" : "", add ? tag : "", c, q,
	                 extra ? extra : "", body ? strlen(body) : 0, body ? body : "");
	return n < 0 ? 0 : (size_t)n >= cap ? (int)cap - 1 : n;
}

#endif

/* httpd: the HTTP server adapter over libmicrohttpd (the only file that includes
 * microhttpd.h). A handler fills a plain response; the adapter sends it in one piece.
 *
 * libmicrohttpd runs event loops (epoll, a small thread pool): a connection holds a
 * thread only while a handler runs, so idle and slow sockets cost memory, not workers.
 * What the library (Debian's 0.9.75) leaves to us, this file adds:
 *  - deadlines: the request head within head_ms of the connection opening, the body and
 *    the answer within body_ms of the head, the next head within idle_ms of an answer
 *    (libmicrohttpd has only an inactivity timeout, which a client sending one byte a
 *    second never meets). A reaper thread shuts overdue sockets down; the library then
 *    closes them itself.
 *  - caps: open connections (max_conns) and per client address (max_per_client), both
 *    refused at accept and counted; keep-alive off while the server is busy.
 *  - strict framing, checked on every head before any body byte is read, each refusal
 *    answered and the connection closed after it (so no smuggled request is read):
 *    more than HTTPD_MAX_HEADERS headers (431), a header name that is not a token
 *    (e.g. "Content-Length :"), a Content-Length that is not digits or conflicts with
 *    another, Transfer-Encoding other than one "chunked", chunked with a Content-Length,
 *    two Host headers, a target not in origin form (absolute-form included), a %00 or a
 *    bad escape or a control byte in the path (400). */
#include "net/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/mem.h"

#define REAP_MS           100  /* how often overdue connections are looked for */
#define NBUCKETS          1024 /* client-address hash buckets */
#define HTTPD_PENDING_MAX 256  /* connections accepted and not yet started, at once */
#define HTTPD_PENDING_MS  2000 /* a reservation the library never started is dropped after */
#define STOP_WAIT_MS      5000 /* httpd_stop waits this long for requests in flight */
#define STACK_BYTES       (512 * 1024)
#define FD_RESERVE        64 /* descriptors kept for everything but connections */

/* A connection's phase and deadline live in one atomic word, so the request path
 * changes them without the lock and the reaper never sees one without the other:
 * deadline (ms since start) << 3 | phase. */
enum phase { P_HEAD, P_BODY, P_HANDLER, P_IDLE, P_REAPED };

struct conn {
	struct conn *prev, *next; /* every open connection (under mu) */
	struct conn *hnext;       /* the same address bucket (under mu) */
	uint64_t pd;              /* phase and deadline (atomic) */
	int fd;
	unsigned bucket;
	socklen_t alen;
	unsigned char addr[16];
	char addr_text[INET6_ADDRSTRLEN];
};

/* One request, from its request line to its completion. */
struct rq {
	struct conn *conn;
	char *target; /* the raw target, then split: decoded path, '\0', raw query */
	const char *query;
	struct buf body;
	bool head_seen, too_big, counted;
};

struct httpd {
	struct MHD_Daemon *d;
	struct httpd_config cfg;
	int port, lfd;
	struct timespec t0;
	pthread_mutex_t mu; /* the connection list and buckets */
	struct conn *conns;
	struct conn *buckets[NBUCKETS];
	unsigned nconns;
	/* connections accepted by accept_policy and not yet started: counted against the
	 * caps, so that two loops accepting at once cannot both take the last place */
	struct pending {
		unsigned char addr[16];
		socklen_t alen;
		uint64_t at_ms;
	} pend[HTTPD_PENDING_MAX];
	unsigned npend;
	pthread_t reaper;
	pthread_cond_t cv;
	bool stop;
	/* atomics */
	unsigned busy, inflight;
	unsigned long refused_full, refused_per_client, timeouts[3], framing, closed_busy;
};

static void add(unsigned long *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static uint64_t now_ms(const struct httpd *h)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)(ts.tv_sec - h->t0.tv_sec) * 1000 + (uint64_t)ts.tv_nsec / 1000000 -
	       (uint64_t)h->t0.tv_nsec / 1000000;
}

static void set_phase(const struct httpd *h, struct conn *c, enum phase p, unsigned ms)
{
	if (!c)
		return;
	uint64_t old = __atomic_load_n(&c->pd, __ATOMIC_RELAXED);
	uint64_t pd = (p == P_HANDLER ? 0 : (now_ms(h) + ms) << 3) | p;
	/* a reaped connection stays reaped: its socket is shut down already */
	while ((old & 7) != P_REAPED &&
	       !__atomic_compare_exchange_n(&c->pd, &old, pd, true, __ATOMIC_RELAXED,
	                                    __ATOMIC_RELAXED))
		;
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 307:
		return "Temporary Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 421:
		return "Misdirected Request";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

const char *http_req_header(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

void http_resp_header(struct http_resp *resp, const char *name, const char *value)
{
	size_t used = strlen(resp->headers);
	size_t need = strlen(name) + strlen(value) + 4;
	if (used + need >= sizeof(resp->headers))
		return;
	snprintf(resp->headers + used, sizeof(resp->headers) - used, "%s: %s\r\n", name, value);
}

void http_resp_text(struct http_resp *resp, int status, const char *text)
{
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	buf_reset(&resp->body);
	buf_adds(&resp->body, text);
	if (text[0] && text[strlen(text) - 1] != '\n')
		buf_addc(&resp->body, '\n');
}

/* ---- connections: accept policy, tracking, the reaper ---- */

static unsigned addr_key(const struct sockaddr *sa, unsigned char out[16], socklen_t *len)
{
	const unsigned char *p;
	if (sa->sa_family == AF_INET6) {
		p = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		*len = 16;
	} else {
		p = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)
		        ->sin_addr;
		*len = 4;
	}
	memcpy(out, p, *len);
	unsigned hsh = 2166136261u;
	for (socklen_t i = 0; i < *len; i++)
		hsh = (hsh ^ out[i]) * 16777619u;
	return hsh % NBUCKETS;
}

/* With mu held: connections open from this address. */
static unsigned count_from(const struct httpd *h, unsigned b, const unsigned char *a, socklen_t len)
{
	unsigned n = 0;
	for (const struct conn *c = h->buckets[b]; c; c = c->hnext)
		n += c->alen == len && memcmp(c->addr, a, len) == 0;
	return n;
}

/* With mu held: drops the reservation of one connection from address a (it started), or
 * every reservation older than HTTPD_PENDING_MS (the library gave up on it) when a is NULL. */
static void unreserve(struct httpd *h, const unsigned char *a, socklen_t len)
{
	uint64_t now = now_ms(h);
	for (unsigned i = 0; i < h->npend;) {
		struct pending *p = &h->pend[i];
		bool hit = a ? p->alen == len && memcmp(p->addr, a, len) == 0
		             : now - p->at_ms > HTTPD_PENDING_MS;
		if (!hit) {
			i++;
			continue;
		}
		*p = h->pend[--h->npend];
		if (a)
			return;
	}
}

/* With mu held: reservations for address a. */
static unsigned pending_from(const struct httpd *h, const unsigned char *a, socklen_t len)
{
	unsigned n = 0;
	for (unsigned i = 0; i < h->npend; i++)
		n += h->pend[i].alen == len && memcmp(h->pend[i].addr, a, len) == 0;
	return n;
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *sa, socklen_t salen)
{
	struct httpd *h = cls;
	(void)salen;
	unsigned char a[16];
	socklen_t len;
	unsigned b = addr_key(sa, a, &len);
	pthread_mutex_lock(&h->mu);
	unreserve(h, NULL, 0);
	/* a full reservation table counts as full: HTTPD_PENDING_MAX accepts under way */
	bool full = h->nconns + h->npend >= h->cfg.max_conns || h->npend >= HTTPD_PENDING_MAX;
	bool over = !full && h->cfg.max_per_client &&
	            count_from(h, b, a, len) + pending_from(h, a, len) >= h->cfg.max_per_client;
	if (!full && !over) {
		struct pending *p = &h->pend[h->npend++];
		memcpy(p->addr, a, len);
		p->alen = len;
		p->at_ms = now_ms(h);
	}
	pthread_mutex_unlock(&h->mu);
	if (full)
		add(&h->refused_full);
	if (over)
		add(&h->refused_per_client);
	return full || over ? MHD_NO : MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct httpd *h = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn *c = xcalloc(1, sizeof(*c));
		const union MHD_ConnectionInfo *fi =
		    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ai =
		    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		c->fd = fi ? fi->connect_fd : -1;
		if (ai && ai->client_addr) {
			c->bucket = addr_key(ai->client_addr, c->addr, &c->alen);
			inet_ntop(ai->client_addr->sa_family, c->addr, c->addr_text,
			          sizeof(c->addr_text));
		}
		c->pd = (now_ms(h) + h->cfg.head_ms) << 3 | P_HEAD;
		pthread_mutex_lock(&h->mu);
		unreserve(h, c->addr, c->alen);
		c->next = h->conns;
		if (h->conns)
			h->conns->prev = c;
		h->conns = c;
		c->hnext = h->buckets[c->bucket];
		h->buckets[c->bucket] = c;
		__atomic_add_fetch(&h->nconns, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&h->mu);
		*socket_context = c;
		return;
	}
	struct conn *c = *socket_context;
	if (!c)
		return;
	/* called before the library closes the descriptor: once this returns, the
	 * reaper can no longer shut down a descriptor number that is reused */
	pthread_mutex_lock(&h->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	struct conn **pp = &h->buckets[c->bucket];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	__atomic_sub_fetch(&h->nconns, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&h->mu);
	free(c);
	*socket_context = NULL;
}

static void *reaper_main(void *arg)
{
	struct httpd *h = arg;
	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += REAP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->cv, &h->mu, &ts);
		uint64_t now = now_ms(h);
		for (struct conn *c = h->conns; c; c = c->next) {
			uint64_t pd = __atomic_load_n(&c->pd, __ATOMIC_RELAXED);
			enum phase p = (enum phase)(pd & 7);
			if (p == P_HANDLER || p == P_REAPED || (pd >> 3) > now)
				continue;
			if (!__atomic_compare_exchange_n(&c->pd, &pd, P_REAPED, false,
			                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				continue; /* it moved on meanwhile */
			add(&h->timeouts[p == P_HEAD ? 0 : p == P_BODY ? 1 : 2]);
			if (c->fd >= 0)
				shutdown(c->fd, SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ---- requests ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	(void)cls;
	struct rq *rq = xcalloc(1, sizeof(*rq));
	const union MHD_ConnectionInfo *si =
	    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	rq->conn = si ? si->socket_context : NULL;
	rq->target = xstrndup(uri ? uri : "", HTTPD_MAX_TARGET + 1);
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	(void)mc;
	(void)toe;
	struct rq *rq = *con_cls;
	if (!rq)
		return;
	set_phase(h, rq->conn, P_IDLE, h->cfg.idle_ms);
	if (rq->counted)
		__atomic_fetch_sub(&h->inflight, 1, __ATOMIC_RELAXED);
	buf_free(&rq->body);
	free(rq->target);
	free(rq);
	*con_cls = NULL;
}

/* RFC 9110 tchar, as a table: every header name of every request goes through it. */
#define T3(c) [c] = 1
static const unsigned char tchar[256] = {
    T3('!'), T3('#'), T3('$'), T3('%'), T3('&'), T3('\''), T3('*'), T3('+'), T3('-'), T3('.'),
    T3('^'), T3('_'), T3('`'), T3('|'), T3('~'), T3('0'),  T3('1'), T3('2'), T3('3'), T3('4'),
    T3('5'), T3('6'), T3('7'), T3('8'), T3('9'), T3('A'),  T3('B'), T3('C'), T3('D'), T3('E'),
    T3('F'), T3('G'), T3('H'), T3('I'), T3('J'), T3('K'),  T3('L'), T3('M'), T3('N'), T3('O'),
    T3('P'), T3('Q'), T3('R'), T3('S'), T3('T'), T3('U'),  T3('V'), T3('W'), T3('X'), T3('Y'),
    T3('Z'), T3('a'), T3('b'), T3('c'), T3('d'), T3('e'),  T3('f'), T3('g'), T3('h'), T3('i'),
    T3('j'), T3('k'), T3('l'), T3('m'), T3('n'), T3('o'),  T3('p'), T3('q'), T3('r'), T3('s'),
    T3('t'), T3('u'), T3('v'), T3('w'), T3('x'), T3('y'),  T3('z'),
};
#undef T3

static bool is_token(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!tchar[(unsigned char)s[i]])
			return false;
	return true;
}

struct scan {
	unsigned n, ncl, nte, nhost;
	const char *cl;
	uint64_t clen;
	const char *why; /* the first problem, or NULL */
	int status;
};

static void scan_fail(struct scan *s, int status, const char *why)
{
	if (!s->why) {
		s->why = why;
		s->status = status;
	}
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t klen,
                                   const char *value, size_t vlen)
{
	struct scan *s = cls;
	(void)kind;
	if (++s->n > HTTPD_MAX_HEADERS) {
		scan_fail(s, 431, "more request headers than the server takes");
		return MHD_NO;
	}
	if (!key || !is_token(key, klen) || strlen(key) != klen) {
		scan_fail(s, 400, "a header name that is not a token");
		return MHD_NO;
	}
	if (!value || strlen(value) != vlen) {
		scan_fail(s, 400, "a NUL byte in a header value");
		return MHD_NO;
	}
	/* most headers are none of these three: look at the first letter before comparing */
	unsigned char k0 = (unsigned char)(key[0] | 0x20);
	if (k0 != 'c' && k0 != 't' && k0 != 'h')
		return MHD_YES;
	if (strcasecmp(key, "Content-Length") == 0) {
		if (vlen == 0 || vlen > 18 || strspn(value, "0123456789") != vlen)
			scan_fail(s, 400, "a Content-Length that is not a number");
		else if (s->ncl && strcmp(s->cl, value) != 0)
			scan_fail(s, 400, "two different Content-Length headers");
		s->ncl++;
		s->cl = value;
		s->clen = strtoull(value, NULL, 10);
	} else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		if (s->nte++ || strcasecmp(value, "chunked") != 0)
			scan_fail(s, 400, "a Transfer-Encoding other than one \"chunked\"");
	} else if (strcasecmp(key, "Host") == 0 && s->nhost++) {
		scan_fail(s, 400, "two Host headers");
	}
	return MHD_YES;
}

static int hexv(unsigned char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* Splits the raw target into the decoded path and the raw query, in place; the reason
 * when it is not an acceptable origin-form target. */
static const char *split_target(struct rq *rq)
{
	char *t = rq->target;
	if (strlen(t) > HTTPD_MAX_TARGET)
		return "a request target over 4096 bytes";
	if (t[0] != '/')
		return strstr(t, "://") ? "an absolute-form request target (send the path only)"
		                        : "a request target that is not a path";
	char *q = strchr(t, '?');
	if (q) {
		*q = '\0';
		rq->query = q + 1;
	}
	char *o = t;
	for (const char *p = t; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f)
			return "a control byte in the path";
		if (c == '%') {
			int hi = hexv((unsigned char)p[1]),
			    lo = hi < 0 ? -1 : hexv((unsigned char)p[2]);
			if (hi < 0 || lo < 0)
				return "a bad %-escape in the path";
			c = (unsigned char)(hi << 4 | lo);
			if (!c)
				return "a %00 in the path";
			p += 2;
		}
		*o++ = (char)c;
	}
	*o = '\0';
	for (const char *p = rq->query; p && *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return "a control byte in the query";
	return NULL;
}

/* Adds "Name: value\r\n" lines to m (block may be NULL); returns whether one of them is
 * "Connection: close" (which the caller turns into closing the connection). */
static bool add_lines(struct MHD_Response *m, const char *block)
{
	bool close = false;
	for (const char *line = block; line && *line;) {
		const char *end = strstr(line, "\r\n"),
		           *colon = end ? memchr(line, ':', (size_t)(end - line)) : NULL;
		if (!end)
			break;
		if (colon && colon - line < 128 && end - colon < 1024) {
			char name[128], value[1024];
			memcpy(name, line, (size_t)(colon - line));
			name[colon - line] = '\0';
			const char *v = colon + 1;
			while (*v == ' ')
				v++;
			memcpy(value, v, (size_t)(end - v));
			value[end - v] = '\0';
			if (strcasecmp(name, "Connection") == 0 && strcasecmp(value, "close") == 0)
				close = true;
			else
				MHD_add_response_header(m, name, value);
		}
		line = end + 2;
	}
	return close;
}

/* Queues an answer built from resp, owning its body. Closes the connection after it when
 * close_after, or when most connection slots are taken (keep-alive off while busy). */
static enum MHD_Result send_resp(struct httpd *h, struct MHD_Connection *mc, struct http_resp *r,
                                 bool close_after)
{
	size_t len = r->body.len;
	char *body = buf_steal(&r->body);
	struct MHD_Response *m = MHD_create_response_from_buffer(
	    len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!m) {
		free(body);
		return MHD_NO;
	}
	if (r->content_type)
		MHD_add_response_header(m, "Content-Type", r->content_type);
	/* the handler's static block (the console's security headers), then its extra lines */
	close_after |= add_lines(m, r->fixed_headers);
	close_after |= add_lines(m, r->headers);
	if (!close_after) {
		unsigned n = __atomic_load_n(&h->nconns, __ATOMIC_RELAXED);
		if ((unsigned long)n * 100 >=
		    (unsigned long)h->cfg.max_conns * HTTPD_BUSY_PERCENT) {
			close_after = true;
			add(&h->closed_busy);
		}
	}
	if (close_after)
		MHD_add_response_header(m, "Connection", "close");
	int status = r->status >= 100 && r->status <= 999 ? r->status : 500;
	enum MHD_Result ok = MHD_queue_response(mc, (unsigned)status, m);
	MHD_destroy_response(m);
	return ok;
}

/* A refusal by the adapter itself: plain text, and the connection closed after it. */
static enum MHD_Result refuse(struct httpd *h, struct MHD_Connection *mc, int status,
                              const char *why)
{
	if (status == 400 || status == 431)
		add(&h->framing);
	struct http_resp r = {.status = status};
	buf_init(&r.body, 1024);
	http_resp_text(&r, status, why);
	return send_resp(h, mc, &r, true);
}

struct collect {
	struct http_header *v;
	size_t n;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	struct collect *hc = cls;
	(void)kind;
	if (hc->n < HTTPD_MAX_HEADERS)
		hc->v[hc->n++] = (struct http_header){key, value ? value : ""};
	return MHD_YES;
}

/* The first call of a request: the head is complete, no body byte read yet. */
static enum MHD_Result on_head(struct httpd *h, struct MHD_Connection *mc, struct rq *rq,
                               const char *method)
{
	rq->head_seen = true;
	set_phase(h, rq->conn, P_BODY, h->cfg.body_ms);
	struct scan s = {0};
	MHD_get_connection_values_n(mc, MHD_HEADER_KIND, scan_header, &s);
	const char *why = s.why;
	int status = s.status;
	if (!why && !is_token(method, strlen(method)))
		why = "a method that is not a token", status = 400;
	if (!why && s.nte && s.ncl)
		why = "Content-Length with chunked", status = 400;
	if (!why && (why = split_target(rq)))
		status = strstr(why, "4096") ? 414 : 400;
	if (why)
		return refuse(h, mc, status, why);
	if (s.ncl && s.clen > h->cfg.max_body) {
		rq->too_big = true;
		return refuse(h, mc, 413, "request body too large");
	}
	buf_init(&rq->body, h->cfg.max_body);
	if (s.ncl && s.clen) { /* sized once: the body is read straight into it */
		rq->body.p = xmalloc((size_t)s.clen + 1);
		rq->body.cap = (size_t)s.clen + 1;
		rq->body.p[0] = '\0';
	}
	rq->counted = true;
	__atomic_fetch_add(&h->inflight, 1, __ATOMIC_RELAXED);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct httpd *h = cls;
	(void)url;
	(void)version;
	struct rq *rq = *con_cls;
	if (!rq) /* the library always logs the URI first; be safe anyway */
		return MHD_NO;
	if (!rq->head_seen)
		return on_head(h, mc, rq, method);
	if (*upload_size) {
		/* past the cap the rest is read and dropped (within the body deadline),
		 * then refused: an answer cannot be queued in the middle of a body */
		if (!rq->too_big && buf_add(&rq->body, upload, *upload_size) != 0)
			rq->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return refuse(h, mc, 413, "request body too large");

	struct http_header headers[HTTPD_MAX_HEADERS];
	struct collect hc = {headers, 0};
	MHD_get_connection_values(mc, MHD_HEADER_KIND, collect_header, &hc);
	struct http_req req = {
	    .method = method,
	    .path = rq->target,
	    .query = rq->query,
	    .body = buf_str(&rq->body),
	    .body_len = rq->body.len,
	    .remote_addr = rq->conn ? rq->conn->addr_text : "",
	    .local_port = h->port,
	    .headers = headers,
	    .nheaders = hc.n,
	};
	struct http_resp resp = {.status = 200};
	buf_init(&resp.body, HTTPD_MAX_RESPONSE);
	set_phase(h, rq->conn, P_HANDLER, 0);
	__atomic_fetch_add(&h->busy, 1, __ATOMIC_RELAXED);
	h->cfg.handler(h->cfg.ctx, &req, &resp);
	__atomic_fetch_sub(&h->busy, 1, __ATOMIC_RELAXED);
	set_phase(h, rq->conn, P_BODY, h->cfg.body_ms); /* the answer must be taken */
	return send_resp(h, mc, &resp, false);
}

/* ---- start and stop ---- */

/* A bound, listening, non-blocking socket for "host:port", "[v6]:port" or "port". */
static int listen_on(const char *spec, int *fd_out, int *port_out, bool *v6, char *err,
                     size_t errlen)
{
	char host[256] = "", port[16] = "";
	const char *colon = strrchr(spec, ':');
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof(host)) {
			snprintf(err, errlen, "'%s' is not ADDR:PORT", spec);
			return EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(rb - spec - 1), spec + 1);
		snprintf(port, sizeof(port), "%s", rb + 2);
	} else if (colon) {
		if ((size_t)(colon - spec) >= sizeof(host)) {
			snprintf(err, errlen, "'%s': host too long", spec);
			return EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		snprintf(port, sizeof(port), "%s", colon + 1);
	} else {
		snprintf(port, sizeof(port), "%s", spec);
	}
	if (!port[0] || strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535) {
		snprintf(err, errlen, "'%s': the port must be a number 0-65535", spec);
		return EINVAL;
	}
	struct addrinfo hints = {.ai_family = host[0] ? AF_UNSPEC : AF_INET,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int g = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (g) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(g));
		return EINVAL;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, rc = 0;
	if (fd < 0) {
		rc = errno;
		snprintf(err, errlen, "socket: %s", strerror(rc));
		freeaddrinfo(ai);
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	*v6 = ai->ai_family == AF_INET6;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		rc = errno;
		snprintf(err, errlen, "%s", strerror(rc));
		close(fd);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                           : ((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
	return 0;
}

/* Raises the soft open-file limit as far as max connections need (up to the hard
 * limit) and returns how many connections fit under it. */
static unsigned fit_fd_limit(unsigned want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	rlim_t need = (rlim_t)want + FD_RESERVE;
	if (rl.rlim_cur < need) {
		rl.rlim_cur =
		    rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		return rl.rlim_cur > 2 * FD_RESERVE ? (unsigned)(rl.rlim_cur - FD_RESERVE)
		                                    : FD_RESERVE;
	return want;
}

int httpd_start(struct httpd **hp, const struct httpd_config *cfg, char *err, size_t errlen)
{
	char spare[256];
	if (!err || !errlen) {
		err = spare;
		errlen = sizeof(spare);
	}
	err[0] = '\0';
	struct httpd *h = xcalloc(1, sizeof(*h));
	h->cfg = *cfg;
	struct httpd_config *c = &h->cfg;
	if (!c->max_body)
		c->max_body = HTTPD_MAX_BODY_DEFAULT;
	if (c->threads <= 0)
		c->threads = 2;
	if (c->threads > HTTPD_MAX_THREADS)
		c->threads = HTTPD_MAX_THREADS;
	if (!c->max_conns || c->max_conns > HTTPD_MAX_CONNS)
		c->max_conns = c->max_conns ? HTTPD_MAX_CONNS : HTTPD_MAX_CONNS_DEFAULT;
	c->max_conns = fit_fd_limit(c->max_conns);
	if (!c->head_ms)
		c->head_ms = HTTPD_HEAD_MS_DEFAULT;
	if (!c->body_ms)
		c->body_ms = HTTPD_BODY_MS_DEFAULT;
	if (!c->idle_ms)
		c->idle_ms = HTTPD_IDLE_MS_DEFAULT;
	clock_gettime(CLOCK_MONOTONIC, &h->t0);
	bool v6 = false;
	int rc = listen_on(c->listen, &h->lfd, &h->port, &v6, err, errlen);
	if (rc) {
		free(h);
		return rc;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);

	/* the library's own inactivity timeout only backs ours up */
	unsigned longest = c->head_ms > c->body_ms ? c->head_ms : c->body_ms;
	if (c->idle_ms > longest)
		longest = c->idle_ms;
	unsigned flags = MHD_USE_ITC | MHD_USE_SUPPRESS_DATE_NO_CLOCK | (v6 ? MHD_USE_IPv6 : 0) |
	                 (c->blocking ? MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD
	                              : MHD_USE_EPOLL_INTERNAL_THREAD);
	h->d = MHD_start_daemon(
	    flags, 0, accept_policy, h, on_request, h, MHD_OPTION_LISTEN_SOCKET, h->lfd,
	    MHD_OPTION_THREAD_POOL_SIZE, c->blocking || c->threads < 2 ? 0u : (unsigned)c->threads,
	    MHD_OPTION_CONNECTION_LIMIT, c->max_conns + 16, MHD_OPTION_CONNECTION_TIMEOUT,
	    longest / 1000 + 2, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_CONN_MEMORY,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)(c->blocking ? 0 : STACK_BYTES),
	    MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, h, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot start the HTTP server on %s", c->listen);
		close(h->lfd);
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->cv);
		free(h);
		return EIO;
	}
	if ((rc = pthread_create(&h->reaper, NULL, reaper_main, h)) != 0) {
		snprintf(err, errlen, "cannot start the reaper: %s", strerror(rc));
		MHD_stop_daemon(h->d);
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->cv);
		free(h);
		return rc;
	}
	*hp = h;
	return 0;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_stats(struct httpd *h, struct httpd_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->threads = h->cfg.blocking ? 0 : (unsigned)h->cfg.threads;
	out->busy = __atomic_load_n(&h->busy, __ATOMIC_RELAXED);
	pthread_mutex_lock(&h->mu);
	out->conns = h->nconns;
	pthread_mutex_unlock(&h->mu);
	if (h->cfg.blocking) /* one thread per connection */
		out->threads = out->conns;
	out->max_conns = h->cfg.max_conns;
	out->max_per_client = h->cfg.max_per_client;
	out->head_ms = h->cfg.head_ms;
	out->body_ms = h->cfg.body_ms;
	out->idle_ms = h->cfg.idle_ms;
	out->refused_full = __atomic_load_n(&h->refused_full, __ATOMIC_RELAXED);
	out->refused_per_client = __atomic_load_n(&h->refused_per_client, __ATOMIC_RELAXED);
	out->timeouts_head = __atomic_load_n(&h->timeouts[0], __ATOMIC_RELAXED);
	out->timeouts_body = __atomic_load_n(&h->timeouts[1], __ATOMIC_RELAXED);
	out->timeouts_idle = __atomic_load_n(&h->timeouts[2], __ATOMIC_RELAXED);
	out->framing = __atomic_load_n(&h->framing, __ATOMIC_RELAXED);
	out->closed_busy = __atomic_load_n(&h->closed_busy, __ATOMIC_RELAXED);
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	/* no new connections; the requests whose head is in finish (bounded) */
	int lfd = MHD_quiesce_daemon(h->d);
	for (int waited = 0;
	     waited < STOP_WAIT_MS && __atomic_load_n(&h->inflight, __ATOMIC_RELAXED) > 0;
	     waited += 10)
		usleep(10000);
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->reaper, NULL);
	MHD_stop_daemon(h->d);
	if (lfd >= 0)
		close(lfd);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h);
}

/* httpd: the HTTP server adapter (the only file that includes civetweb.h).
 * A handler fills a plain response; the adapter writes it in one piece. */
#include "net/httpd.h"

#include <civetweb.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "util/perthread.h"

struct httpd {
	struct mg_context *mg;
	struct httpd_config cfg;
	int port;
};

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
	case 415:
		return "Unsupported Media Type";
	case 421:
		return "Misdirected Request";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
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

/* Status line, headers and body go out in one mg_write: written in pieces,
 * the response meets Nagle's algorithm and the peer's delayed ACK. The head
 * is formatted by hand and the whole answer sized once (this runs for every
 * request; printf and a buffer doubling from 64 bytes showed in profiles). */
static size_t put(char *dst, size_t at, const char *s, size_t n)
{
	memcpy(dst + at, s, n);
	return at + n;
}

static size_t put_num(char *dst, size_t at, size_t v)
{
	char d[24];
	int i = (int)sizeof(d);
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return put(dst, at, d + i, sizeof(d) - (size_t)i);
}

static void send_resp(struct mg_connection *conn, const struct http_resp *resp, int head_only)
{
	const char *reason = http_status_text(resp->status);
	const char *ctype = resp->content_type;
	size_t body = head_only ? 0 : resp->body.len;
	size_t fixed = resp->fixed_headers ? strlen(resp->fixed_headers) : 0;
	size_t need = 64 + strlen(reason) + (ctype ? strlen(ctype) + 16 : 0) + 40 + fixed +
	              strlen(resp->headers) + body;
	char small[4096];
	char *out = need <= sizeof(small) ? small : xmalloc(need);
	size_t n = put(out, 0, "HTTP/1.1 ", 9);
	n = put_num(out, n, (size_t)(resp->status > 0 && resp->status < 1000 ? resp->status : 500));
	n = put(out, n, " ", 1);
	n = put(out, n, reason, strlen(reason));
	n = put(out, n, "\r\n", 2);
	if (ctype) {
		n = put(out, n, "Content-Type: ", 14);
		n = put(out, n, ctype, strlen(ctype));
		n = put(out, n, "\r\n", 2);
	}
	n = put(out, n, "Content-Length: ", 16);
	n = put_num(out, n, resp->body.len);
	n = put(out, n, "\r\n", 2);
	if (fixed)
		n = put(out, n, resp->fixed_headers, fixed);
	n = put(out, n, resp->headers, strlen(resp->headers));
	n = put(out, n, "\r\n", 2);
	if (body)
		n = put(out, n, resp->body.p, body);
	mg_write(conn, out, n);
	if (out != small)
		free(out);
}

/* Reads the body, refusing one over the limit before reading it. Returns the
 * HTTP status to answer with instead of calling the handler, or 0. A body of
 * known length is read straight into its buffer, sized once. */
static int read_body(struct mg_connection *conn, const struct mg_request_info *ri, size_t max,
                     struct buf *body)
{
	if (ri->content_length > 0 && (unsigned long long)ri->content_length > max)
		return 413;
	if (ri->content_length > 0 && body->cap < (size_t)ri->content_length + 1) {
		free(body->p);
		body->cap = (size_t)ri->content_length + 1;
		body->p = xmalloc(body->cap);
	}
	body->len = 0;
	if (body->p)
		body->p[0] = '\0';
	for (;;) {
		size_t room = body->p && body->cap > body->len + 1 ? body->cap - body->len - 1 : 0;
		if (room > body->max - body->len)
			room = body->max - body->len;
		if (room > 0) {
			int n = mg_read(conn, body->p + body->len, room);
			if (n < 0)
				return 400;
			if (n == 0)
				return 0;
			body->len += (size_t)n;
			body->p[body->len] = '\0';
			continue;
		}
		/* no length given (chunked), or more than it said: grow or refuse */
		char chunk[4096];
		int n = mg_read(conn, chunk, sizeof(chunk));
		if (n < 0)
			return 400;
		if (n == 0)
			return 0;
		if (buf_add(body, chunk, (size_t)n) != 0)
			return 413;
	}
}

/* Each worker thread keeps its request and answer buffers between requests
 * (up to KEEP_BYTES each): no malloc/free per request. */
#define KEEP_BYTES (16 * 1024)
struct bufs {
	struct buf resp, body;
};
static void bufs_free(void *p)
{
	struct bufs *b = p;
	if (b) {
		buf_free(&b->resp);
		buf_free(&b->body);
		free(b);
	}
}

static struct perthread thread_bufs = PERTHREAD(sizeof(struct bufs), bufs_free);

/* Takes a buffer's memory for this request: capped at max, empty. */
static void take(struct buf *dst, struct buf *kept, size_t max)
{
	*dst = *kept;
	dst->max = max;
	buf_reset(dst);
	kept->p = NULL;
	kept->cap = 0;
}

/* Gives it back after the request, or frees it when it grew large. */
static void give_back(struct buf *kept, struct buf *b)
{
	if (b->p && b->cap <= KEEP_BYTES) {
		*kept = *b;
		kept->len = 0;
	} else {
		buf_free(b);
	}
}

static int begin_request(struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct httpd *h = ri->user_data;
	struct http_header headers[64];
	size_t nheaders = 0;
	for (int i = 0; i < ri->num_headers && nheaders < 64; i++) {
		headers[nheaders].name = ri->http_headers[i].name;
		headers[nheaders].value = ri->http_headers[i].value;
		nheaders++;
	}

	struct bufs *tb = perthread_get(&thread_bufs);
	struct http_resp resp = {.status = 200};
	take(&resp.body, &tb->resp, HTTPD_MAX_RESPONSE);
	if (!resp.body.p) { /* most answers fit: one allocation instead of several */
		resp.body.p = xmalloc(1000);
		resp.body.cap = 1000;
		resp.body.p[0] = '\0';
	}
	struct buf body;
	take(&body, &tb->body, h->cfg.max_body);

	int early = read_body(conn, ri, h->cfg.max_body, &body);
	if (early) {
		http_resp_text(&resp, early,
		               early == 413 ? "request body too large" : "could not read the body");
		http_resp_header(&resp, "Connection", "close");
	} else {
		struct http_req req = {
		    .method = ri->request_method,
		    .path = ri->local_uri ? ri->local_uri : "/",
		    .query = ri->query_string,
		    .body = buf_str(&body),
		    .body_len = body.len,
		    .remote_addr = ri->remote_addr,
		    .local_port = ri->server_port,
		    .is_tls = ri->is_ssl,
		    .headers = headers,
		    .nheaders = nheaders,
		};
		h->cfg.handler(h->cfg.ctx, &req, &resp);
	}
	send_resp(conn, &resp, strcmp(ri->request_method, "HEAD") == 0);
	int status = resp.status;
	give_back(&tb->resp, &resp.body);
	give_back(&tb->body, &body);
	return status;
}

/* CivetWeb reports its own errors here; keep them off the access log. */
static int log_message(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	(void)message;
	return 1;
}

int httpd_start(struct httpd **hp, const struct httpd_config *cfg, char *err, size_t errlen)
{
	struct httpd *h = xcalloc(1, sizeof(*h));
	h->cfg = *cfg;
	if (!h->cfg.max_body)
		h->cfg.max_body = HTTPD_MAX_BODY_DEFAULT;
	char threads[16];
	snprintf(threads, sizeof(threads), "%d", cfg->threads > 0 ? cfg->threads : 64);
	const char *options[] = {
	    "listening_ports",
	    cfg->listen,
	    "num_threads",
	    threads,
	    "enable_keep_alive",
	    "yes",
	    "tcp_nodelay",
	    "1",
	    "request_timeout_ms",
	    "15000",
	    "keep_alive_timeout_ms",
	    "30000",
	    "listen_backlog",
	    "1024",
	    NULL,
	};
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof(cb));
	cb.begin_request = begin_request;
	cb.log_message = log_message;

	struct mg_init_data init = {
	    .callbacks = &cb, .user_data = h, .configuration_options = options};
	struct mg_error_data ed = {.text = err, .text_buffer_size = errlen};
	if (err && errlen)
		err[0] = '\0';
	h->mg = mg_start2(&init, &ed);
	if (!h->mg) {
		if (err && errlen && !err[0])
			snprintf(err, errlen, "cannot listen on %s", cfg->listen);
		free(h);
		return EADDRINUSE;
	}
	struct mg_server_port ports[4];
	int n = mg_get_server_ports(h->mg, 4, ports);
	h->port = n > 0 ? ports[0].port : 0;
	*hp = h;
	return 0;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	mg_stop(h->mg);
	free(h);
}

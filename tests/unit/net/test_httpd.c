/* test_httpd: the libmicrohttpd adapter on a loopback port, driven by a raw socket: framing,
 * deadlines, caps. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/httpd.h"
#include "test.h"

static void echo(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	(void)ctx;
	if (strcmp(req->path, "/missing") == 0) {
		http_resp_text(resp, 404, "no such thing");
		return;
	}
	if (strcmp(req->path, "/fixed") == 0) {
		resp->fixed_headers = "X-Fixed-A: 1\r\nX-Fixed-B: 2\r\n";
		http_resp_header(resp, "X-Own", "3");
		http_resp_text(resp, 200, "fixed");
		return;
	}
	resp->content_type = "text/xml";
	const char *sig = http_req_header(req, "x-twilio-signature");
	buf_printf(&resp->body, "%s %s q=%s sig=%s body=%.*s", req->method, req->path,
	           req->query ? req->query : "-", sig ? sig : "-", (int)req->body_len, req->body);
	http_resp_header(resp, "X-Test", "1");
}

/* Sends raw bytes to 127.0.0.1:port and reads until the peer closes or n bytes. */
static char *roundtrip(int port, const char *request)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return strdup("");
	}
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t w = write(fd, request, strlen(request));
	(void)w;
	shutdown(fd, SHUT_WR);
	static char out[65536];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(out) - 1 && (n = read(fd, out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fd);
	return strdup(out);
}

static void serves_one_request(void)
{
	struct httpd *h = NULL;
	char err[256];
	struct httpd_config cfg = {
	    .listen = "127.0.0.1:0", .threads = 4, .max_body = 100, .handler = echo};
	CHECK_INT(httpd_start(&h, &cfg, err, sizeof(err)), 0);
	if (!h)
		return;
	int port = httpd_port(h);
	CHECK(port > 0);

	char *r =
	    roundtrip(port, "POST /refer?a=1 HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: abc\r\n"
	                    "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
	CHECK(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(r, "Content-Type: text/xml\r\n") != NULL);
	CHECK(strstr(r, "X-Test: 1\r\n") != NULL);
	CHECK(strstr(r, "\r\n\r\nPOST /refer q=a=1 sig=abc body=hello") != NULL);
	free(r);

	/* the fixed block goes out before the handler's own headers */
	r = roundtrip(port, "GET /fixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	const char *fa = strstr(r, "\r\nX-Fixed-A: 1\r\n"), *fb = strstr(r, "\r\nX-Fixed-B: 2\r\n"),
	           *own = strstr(r, "\r\nX-Own: 3\r\n"), *body = strstr(r, "\r\n\r\nfixed\n");
	CHECK(fa && fb && own && body && fa < fb && fb < own && own < body);
	free(r);

	r = roundtrip(port, "GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	CHECK(strncmp(r, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	free(r);

	/* a body over max_body is refused before the handler sees it */
	r = roundtrip(port, "POST /refer HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n"
	                    "Connection: close\r\n\r\n");
	CHECK(strncmp(r, "HTTP/1.1 413 ", 13) == 0);
	free(r);
	httpd_stop(h);
}

static void refuses_a_busy_port(void)
{
	struct httpd *a = NULL, *b = NULL;
	char err[256];
	struct httpd_config cfg = {.listen = "127.0.0.1:0", .threads = 2, .handler = echo};
	CHECK_INT(httpd_start(&a, &cfg, err, sizeof(err)), 0);
	if (!a)
		return;
	char listen[64];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", httpd_port(a));
	cfg.listen = listen;
	CHECK(httpd_start(&b, &cfg, err, sizeof(err)) != 0);
	CHECK(b == NULL);
	CHECK(err[0] != '\0');
	httpd_stop(a);
}

/* How many answers a reply holds (status lines; the echo never writes one). */
static int answers(const char *r)
{
	int n = 0;
	for (const char *p = r; (p = strstr(p, "HTTP/1.1 ")); p++)
		n++;
	return n;
}

/* n headers "X-Hn: v" (n < 200) into out. */
static void many_headers(char *out, size_t cap, int n)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, cap - used, "X-H%d: v\r\n", i);
}

/* Each request is followed, in the same write, by a second one: a refusal must close
 * the connection so that second request (the smuggled one) is never read. */
static void framing_is_strict(void)
{
	struct httpd *h = NULL;
	char err[256];
	struct httpd_config cfg = {.listen = "127.0.0.1:0", .handler = echo};
	CHECK_INT(httpd_start(&h, &cfg, err, sizeof(err)), 0);
	if (!h)
		return;
	int port = httpd_port(h);
	static char hdrs[8192];
	static const char smuggled[] = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
	static const struct {
		const char *name;
		int nheaders; /* extra X-H headers before the fixed ones */
		const char *head, *body;
		const char *want; /* status line start */
		int nanswers;     /* 1: closed after it; 2: the next request was read too */
		const char *body_has;
	} cases[] = {
	    {"101 headers: 431", 101, "POST / HTTP/1.1\r\nHost: x\r\n", "", "HTTP/1.1 431 ", 1,
	     NULL},
	    {"Content-Length after 70 headers is kept", 70,
	     "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n", "hello", "HTTP/1.1 200 ", 2,
	     "body=hello"},
	    {"two different Content-Lengths: 400", 0,
	     "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n", "hello",
	     "HTTP/1.1 400 ", 1, "two different Content-Length"},
	    {"the same Content-Length twice is one", 0,
	     "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n", "hello",
	     "HTTP/1.1 200 ", 2, "body=hello"},
	    {"Content-Length with chunked: 400", 0,
	     "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n",
	     "5\r\nhello\r\n0\r\n\r\n", "HTTP/1.1 400 ", 1, "Content-Length with chunked"},
	    {"Content-Length 5x: 400", 0, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n",
	     "hello", "HTTP/1.1 400 ", 1, NULL},
	    {"Content-Length +5: 400", 0, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n",
	     "hello", "HTTP/1.1 400 ", 1, NULL},
	    {"a space before the colon: 400", 0,
	     "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n", "hello", "HTTP/1.1 400 ", 1,
	     "not a token"},
	    {"Transfer-Encoding gzip: 400", 0,
	     "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n", "", "HTTP/1.1 400 ", 1,
	     NULL},
	    {"chunked alone is read", 0,
	     "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n",
	     "5\r\nhello\r\n0\r\n\r\n", "HTTP/1.1 200 ", 2, "body=hello"},
	    {"two Host headers: 400", 0, "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n", "",
	     "HTTP/1.1 400 ", 1, NULL},
	    {"absolute-form: 400, not a silent close", 0,
	     "GET http://x/refer HTTP/1.1\r\nHost: x\r\n", "", "HTTP/1.1 400 ", 1, "absolute-form"},
	    {"absolute-form to another port: 400", 0,
	     "GET http://127.0.0.1:1/refer HTTP/1.1\r\nHost: x\r\n", "", "HTTP/1.1 400 ", 1,
	     "absolute-form"},
	    {"%00 in the path: 400", 0, "GET /refer%00.xml HTTP/1.1\r\nHost: x\r\n", "",
	     "HTTP/1.1 400 ", 1, "%00"},
	    {"a bad escape in the path: 400", 0, "GET /a%zz HTTP/1.1\r\nHost: x\r\n", "",
	     "HTTP/1.1 400 ", 1, NULL},
	    {"a method that is not a token: 400", 0, "G\xc9T / HTTP/1.1\r\nHost: x\r\n", "",
	     "HTTP/1.1 400 ", 1, NULL},
	    {"a plain request keeps the connection", 0, "GET /ok HTTP/1.1\r\nHost: x\r\n", "",
	     "HTTP/1.1 200 ", 2, "GET /ok"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		many_headers(hdrs, sizeof(hdrs), cases[i].nheaders);
		char req[16384];
		snprintf(req, sizeof(req), "%s%s\r\n%s%s", cases[i].head, hdrs, cases[i].body,
		         smuggled);
		char *r = roundtrip(port, req);
		/* the library's own refusals (a Content-Length it cannot parse) may write
		 * their status line twice; what counts is that /smuggled is never answered */
		bool second = strstr(r, "GET /smuggled") != NULL;
		if (strncmp(r, cases[i].want, strlen(cases[i].want)) != 0 ||
		    second != (cases[i].nanswers == 2) || (second && answers(r) != 2) ||
		    (cases[i].body_has && !strstr(r, cases[i].body_has))) {
			printf("  case '%s': got %d answer(s):\n%.300s\n", cases[i].name,
			       answers(r), r);
			CHECK(0);
		} else {
			CHECK(1);
		}
		free(r);
	}
	struct httpd_stats st;
	httpd_stats(h, &st);
	CHECK(st.framing >= 10); /* ours; the library refused the unparsable lengths */
	httpd_stop(h);
}

static int connect_to(int port, const char *src)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (src) {
		struct sockaddr_in b = {.sin_family = AF_INET};
		inet_pton(AF_INET, src, &b.sin_addr);
		bind(fd, (struct sockaddr *)&b, sizeof(b));
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Milliseconds until the server closes fd (reading and dropping what it sends), or
 * -1 past limit_ms. */
static long ms_to_close(int fd, long limit_ms)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long el = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (el > limit_ms)
			return -1;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 50) > 0) {
			char b[4096];
			ssize_t n = read(fd, b, sizeof(b));
			if (n <= 0)
				return el;
		}
	}
}

static void deadlines_close_slow_clients(void)
{
	struct httpd *h = NULL;
	char err[256];
	struct httpd_config cfg = {.listen = "127.0.0.1:0",
	                           .head_ms = 300,
	                           .body_ms = 400,
	                           .idle_ms = 300,
	                           .handler = echo};
	CHECK_INT(httpd_start(&h, &cfg, err, sizeof(err)), 0);
	if (!h)
		return;
	int port = httpd_port(h);
	/* a head trickled a byte at a time never completes: closed at the head deadline,
	 * although it is never idle for long */
	int fd = connect_to(port, NULL);
	const char *head = "POST / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaa";
	long closed = -1;
	for (size_t i = 0; head[i] && closed < 0; i++) {
		if (write(fd, head + i, 1) != 1)
			break;
		closed = ms_to_close(fd, 40);
	}
	CHECK(closed >= 0 || ms_to_close(fd, 1000) >= 0);
	close(fd);
	/* a body announced and never sent */
	fd = connect_to(port, NULL);
	const char *b = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab";
	CHECK(write(fd, b, strlen(b)) == (ssize_t)strlen(b));
	long ms = ms_to_close(fd, 2000);
	CHECK(ms >= 250 && ms < 1500);
	close(fd);
	/* an idle keep-alive connection after its answer */
	fd = connect_to(port, NULL);
	const char *g = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
	CHECK(write(fd, g, strlen(g)) == (ssize_t)strlen(g));
	ms = ms_to_close(fd, 2000);
	CHECK(ms >= 200 && ms < 1500);
	close(fd);
	/* a connection that sends nothing at all */
	fd = connect_to(port, NULL);
	ms = ms_to_close(fd, 2000);
	CHECK(ms >= 200 && ms < 1500);
	close(fd);
	struct httpd_stats st;
	httpd_stats(h, &st);
	CHECK(st.timeouts_head >= 2);
	CHECK(st.timeouts_body >= 1);
	CHECK(st.timeouts_idle >= 1);
	CHECK_INT(st.head_ms, 300);
	httpd_stop(h);
}

static void caps_refuse_at_accept(void)
{
	struct httpd *h = NULL;
	char err[256];
	struct httpd_config cfg = {
	    .listen = "127.0.0.1:0", .max_per_client = 2, .max_conns = 8, .handler = echo};
	CHECK_INT(httpd_start(&h, &cfg, err, sizeof(err)), 0);
	if (!h)
		return;
	int port = httpd_port(h);
	int a = connect_to(port, "127.0.0.2"), b = connect_to(port, "127.0.0.2");
	usleep(100000);
	int c = connect_to(port, "127.0.0.2"); /* the third from one address */
	CHECK(c < 0 || ms_to_close(c, 1000) >= 0);
	/* another address still gets in, and is answered */
	int d = connect_to(port, "127.0.0.3");
	const char *g = "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	CHECK(d >= 0 && write(d, g, strlen(g)) == (ssize_t)strlen(g));
	char buf[512] = "";
	ssize_t n = d >= 0 ? read(d, buf, sizeof(buf) - 1) : -1;
	CHECK(n > 0 && strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	struct httpd_stats st;
	httpd_stats(h, &st);
	CHECK_INT(st.refused_per_client, 1);
	CHECK_INT(st.max_per_client, 2);
	/* past 75% of max_conns (6 of 8) every answer closes its connection */
	int more[6];
	for (int i = 0; i < 6; i++)
		more[i] = connect_to(port, i % 2 ? "127.0.0.4" : "127.0.0.5"); /* 2 + 2 + 2: */
	/* a, b and four of more[] started, the other two refused (a bounded wait: the
	 * library accepts on its own loops) */
	for (int i = 0; i < 200; i++) {
		httpd_stats(h, &st);
		if (st.conns >= 6 && st.refused_per_client >= 3)
			break;
		usleep(10000);
	}
	const char *k = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
	CHECK(write(more[0], k, strlen(k)) == (ssize_t)strlen(k));
	CHECK(ms_to_close(more[0], 1000) >= 0);
	httpd_stats(h, &st);
	CHECK(st.closed_busy >= 1);
	/* a, b and more[1], [2], [3] are open (two more[] were over the per-client cap,
	 * more[0] was closed): three more fit, the next is refused */
	CHECK_INT(st.refused_per_client, 3);
	int fill[3];
	for (int i = 0; i < 3; i++)
		fill[i] = connect_to(port, i == 0   ? "127.0.0.6"
		                           : i == 1 ? "127.0.0.8"
		                                    : "127.0.0.9");
	/* the library starts them on its own loops: wait (bounded) until it has */
	for (int i = 0; i < 200; i++) {
		httpd_stats(h, &st);
		if (st.conns >= 8)
			break;
		usleep(10000);
	}
	CHECK_INT(st.conns, 8);
	int full = -1;
	int over = connect_to(port, "127.0.0.7");
	CHECK(over < 0 || ms_to_close(over, 1000) >= 0);
	httpd_stats(h, &st);
	CHECK(st.refused_full >= 1);
	for (int i = 0; i < 3; i++)
		if (fill[i] >= 0)
			close(fill[i]);
	if (full >= 0)
		close(full);
	if (over >= 0)
		close(over);
	for (int i = 0; i < 6; i++)
		if (more[i] >= 0)
			close(more[i]);
	close(a);
	close(b);
	if (c >= 0)
		close(c);
	if (d >= 0)
		close(d);
	httpd_stop(h);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"serves_one_request", serves_one_request},
	    {"refuses_a_busy_port", refuses_a_busy_port},
	    {"framing_is_strict", framing_is_strict},
	    {"deadlines_close_slow_clients", deadlines_close_slow_clients},
	    {"caps_refuse_at_accept", caps_refuse_at_accept},
	    {NULL, NULL},
	};
	return test_run(cases);
}

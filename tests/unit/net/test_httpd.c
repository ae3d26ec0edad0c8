/* test_httpd: the CivetWeb adapter on a loopback port, driven by a raw socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
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
	CHECK(strstr(r, "\r\nX-Fixed-A: 1\r\nX-Fixed-B: 2\r\nX-Own: 3\r\n\r\nfixed\n") != NULL);
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

int main(void)
{
	static const struct test_case cases[] = {
	    {"serves_one_request", serves_one_request},
	    {"refuses_a_busy_port", refuses_a_busy_port},
	    {NULL, NULL},
	};
	return test_run(cases);
}

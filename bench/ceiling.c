/* ceiling: the fastest CivetWeb can answer the bench's request here: a fixed
 * TwiML body, one mg_write, tcp_nodelay, keep-alive. Not part of handoff. */
#include <civetweb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char body[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n  <Dial "
			   "answerOnBridge=\"true\">\n    <Sip>sip:billing@pbx.example.com?X-Caller="
			   "+14155550100&amp;X-Call=CA0123456789abcdef0123456789abcdef</Sip>\n  "
			   "</Dial>\n</Response>\n";
static char response[1024];
static size_t response_len;

static int handler(struct mg_connection *conn, void *cb)
{
	(void)cb;
	char drain[4096];
	while (mg_read(conn, drain, sizeof(drain)) > 0)
		;
	mg_write(conn, response, response_len);
	return 200;
}

static volatile sig_atomic_t stop;
static void on_signal(int s)
{
	(void)s;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ceiling PORT THREADS\n");
		return 2;
	}
	response_len = (size_t)snprintf(response, sizeof(response),
					"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
					"Content-Length: %zu\r\n\r\n%s",
					strlen(body), body);
	char listen[64];
	snprintf(listen, sizeof(listen), "127.0.0.1:%s", argv[1]);
	const char *opts[] = {"listening_ports", listen, "num_threads", argv[2],
			      "enable_keep_alive", "yes", "tcp_nodelay", "1",
			      "keep_alive_timeout_ms", "30000", "listen_backlog", "1024", NULL};
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof(cb));
	struct mg_context *ctx = mg_start(&cb, NULL, opts);
	if (!ctx)
		return 1;
	mg_set_request_handler(ctx, "/", handler, NULL);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	mg_stop(ctx);
	return 0;
}

/* ceiling: the fastest libmicrohttpd answers the bench's request here, configured as
 * src/net/httpd.c configures it (epoll event loops, a pool of THREADS, no Date header,
 * keep-alive, an 8 KiB per-connection buffer): a fixed TwiML body, sent with its head in one sendmsg. Not part of handoff. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char body[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n  <Dial "
			   "answerOnBridge=\"true\">\n    <Sip>sip:billing@pbx.example.com?X-Caller="
			   "+14155550100&amp;X-Call=CA0123456789abcdef0123456789abcdef</Sip>\n  "
			   "</Dial>\n</Response>\n";
static struct MHD_Response *response;

/* The first call sees the head, the next ones the body (dropped), the last answers. */
static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	if (!*con_cls) {
		*con_cls = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	return MHD_queue_response(c, 200, response);
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
	unsigned threads = (unsigned)atoi(argv[2]);
	if (threads > 64)
		threads = 64; /* as handoff serve's --threads */
	response = MHD_create_response_from_buffer(strlen(body), (void *)body,
						   MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(response, "Content-Type", "text/xml");
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_SUPPRESS_DATE_NO_CLOCK, 0, NULL,
	    NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
	    MHD_OPTION_THREAD_POOL_SIZE, threads < 2 ? 0u : threads, MHD_OPTION_CONNECTION_LIMIT,
	    4096u, MHD_OPTION_CONNECTION_TIMEOUT, 12u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(8 * 1024), /* as HTTPD_CONN_MEMORY */
	    MHD_OPTION_END);
	if (!d)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	MHD_destroy_response(response);
	return 0;
}

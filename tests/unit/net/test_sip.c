/* test_sipd: the SIP adapter through its public API, with a raw UDP socket as the far end:
 * where it listens, which addresses it dials, the INVITE it sends (headers, a busy answer),
 * a ring that runs out (CANCEL), an inbound INVITE handed to the hooks and refused, the
 * records, and a stop that wakes a blocked caller. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/sip.h"
#include "test.h"
#include "tests/sip/raw_peer.h"

/* ---- a raw UDP peer ---- */

static int peer_open(int *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof(a);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &n);
	*port = ntohs(a.sin_port);
	struct timeval tv = {3, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* The next datagram into buf (NUL-terminated), its sender in *from; its length or -1. */
static int peer_recv(int fd, char *buf, size_t n, struct sockaddr_in *from)
{
	socklen_t fl = sizeof(*from);
	ssize_t r = recvfrom(fd, buf, n - 1, 0, (struct sockaddr *)from, &fl);
	buf[r > 0 ? r : 0] = 0;
	return (int)r;
}

/* The next datagram that starts with want (others skipped), at most 3 s. */
static bool peer_expect(int fd, const char *want, char *buf, size_t n, struct sockaddr_in *from)
{
	for (int i = 0; i < 20; i++)
		if (peer_recv(fd, buf, n, from) <= 0)
			return false;
		else if (strncmp(buf, want, strlen(want)) == 0)
			return true;
	return false;
}

/* A response to the request req, with the To tag added when tag. */
static void peer_answer(int fd, const char *req, const struct sockaddr_in *to, const char *status,
                        bool tag)
{
	char out[2048];
	int n = raw_response(out, sizeof(out), req, status, tag ? "peer1" : NULL, NULL, NULL);
	sendto(fd, out, (size_t)n, 0, (const struct sockaddr *)to, sizeof(*to));
}

/* ---- hooks ---- */

struct seen {
	pthread_mutex_t mu;
	int invites, records;
	char from[64], to[64], profile[32], call_sid[40], first_record[64];
};

static int on_invite(void *ctx, const struct sipd_invite *inv)
{
	struct seen *s = ctx;
	pthread_mutex_lock(&s->mu);
	s->invites++;
	snprintf(s->from, sizeof(s->from), "%s", inv->from);
	snprintf(s->to, sizeof(s->to), "%s", inv->to);
	snprintf(s->profile, sizeof(s->profile), "%s", inv->profile ? inv->profile : "-");
	snprintf(s->call_sid, sizeof(s->call_sid), "%s", inv->call_sid);
	pthread_mutex_unlock(&s->mu);
	return ENOENT; /* no such number: 404 */
}

static int on_record(void *ctx, const char *leg, const struct sipd_msg *m)
{
	struct seen *s = ctx;
	(void)leg;
	pthread_mutex_lock(&s->mu);
	if (!s->records++)
		snprintf(s->first_record, sizeof(s->first_record), "%s %s %s", m->in ? "in" : "out",
		         m->method ? m->method : "-", m->transport);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static struct sipd *start(struct seen *s)
{
	struct sipd_config cfg = {"127.0.0.1:0", {s, NULL, on_invite, NULL, on_record}};
	struct sipd *d = NULL;
	char err[256];
	CHECK_INT(sipd_start(&d, &cfg, err, sizeof(err)), 0);
	return d;
}

static void listens(void)
{
	if (!sipd_available()) {
		struct sipd_config cfg = {"127.0.0.1:0", {0}};
		struct sipd *d = NULL;
		char err[256] = "";
		CHECK_INT(sipd_start(&d, &cfg, err, sizeof(err)), ENOTSUP);
		CHECK(strstr(err, "without SIP") != NULL);
		return;
	}
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct sipd *d = start(&s);
	CHECK(sipd_port(d) > 0);
	char want[32];
	snprintf(want, sizeof(want), "127.0.0.1:%d", sipd_port(d));
	CHECK_STR(sipd_addr(d), want);
	sipd_free(d);
	struct sipd_config bad = {"not an address", {0}};
	char err[256] = "";
	CHECK(sipd_start(&d, &bad, err, sizeof(err)) != 0);
	CHECK(strstr(err, "not an address") != NULL);
}

static void dials_only_loopback_sip(void)
{
	if (!sipd_available())
		return;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct sipd *d = start(&s);
	static const char *const not_dialled[] = {"tel:+14155550100",
	                                          "+14155550100",
	                                          "sip:a@pbx.example.com",
	                                          "sip:a@10.0.0.1:5060",
	                                          "sips:a@127.0.0.1",
	                                          "client:alice",
	                                          ""};
	for (size_t i = 0; i < sizeof(not_dialled) / sizeof(not_dialled[0]); i++) {
		struct sipd_dial dl = {"CA1", "CA2", not_dialled[i], "+1", NULL, 0, 5};
		struct sipd_dial_result r;
		if (!CHECK_INT(sipd_dial(d, &dl, &r), ENOENT))
			fprintf(stderr, "  %s\n", not_dialled[i]);
	}
	sipd_free(d);
}

struct dial_arg {
	struct sipd *d;
	struct sipd_dial dl;
	struct sipd_dial_result r;
	int rc;
};

static void *dial_thread(void *arg)
{
	struct dial_arg *a = arg;
	a->rc = sipd_dial(a->d, &a->dl, &a->r);
	return NULL;
}

static void invite_out_busy_and_no_answer(void)
{
	if (!sipd_available())
		return;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct sipd *d = start(&s);
	int port, fd = peer_open(&port);
	char uri[128], buf[4096], h[256];
	snprintf(uri, sizeof(uri), "sip:desk@127.0.0.1:%d?X-Caller=ignored", port);
	struct sipd_header hs[] = {{"X-Caller", "+14155550100"},
	                           {"X-Bad", "a\r\nInjected: 1"},
	                           {"Bad Name", "x"},
	                           {"User-to-User", "42;encoding=hex"}};
	struct dial_arg a = {
	    .d = d,
	    .dl = {"CAp", "CA0123456789abcdef0123456789abcdef", uri, "+14155550100", hs, 4, 5}};
	pthread_t t;
	pthread_create(&t, NULL, dial_thread, &a);
	struct sockaddr_in from;
	CHECK(peer_expect(fd, "INVITE ", buf, sizeof(buf), &from));
	char line[256];
	snprintf(line, sizeof(line), "INVITE sip:desk@127.0.0.1:%d SIP/2.0\r\n", port);
	CHECK(strncmp(buf, line, strlen(line)) == 0); /* the ?headers are not in the URI */
	CHECK_STR(raw_header(buf, "X-Caller", h, sizeof(h)), "+14155550100");
	CHECK_STR(raw_header(buf, "User-to-User", h, sizeof(h)), "42;encoding=hex");
	CHECK_STR(raw_header(buf, "X-Twilio-CallSid", h, sizeof(h)),
	          "CA0123456789abcdef0123456789abcdef");
	CHECK(raw_header(buf, "X-Bad", h, sizeof(h)) == NULL &&
	      raw_header(buf, "Injected", h, sizeof(h)) == NULL);
	CHECK(strstr(buf, "REFER") != NULL); /* Allow: ... REFER ... */
	CHECK(strstr(raw_header(buf, "From", h, sizeof(h)), "sip:+14155550100@127.0.0.1") != NULL);
	char cid[128];
	raw_header(buf, "Call-ID", cid, sizeof(cid));
	peer_answer(fd, buf, &from, "486 Busy Here", true);
	pthread_join(t, NULL);
	CHECK_INT(a.rc, 0);
	CHECK_INT(a.r.outcome, SIPD_BUSY);
	CHECK_INT(a.r.code, 486);
	CHECK_STR(a.r.call_id, cid);
	CHECK(peer_expect(fd, "ACK ", buf, sizeof(buf), &from));

	/* a ring that runs out: CANCEL, then no-answer */
	a.dl.timeout_s = 1;
	a.dl.leg_sid = "CA1111111111111111111111111111111b";
	pthread_create(&t, NULL, dial_thread, &a);
	CHECK(peer_expect(fd, "INVITE ", buf, sizeof(buf), &from));
	peer_answer(fd, buf, &from, "180 Ringing", true);
	char inv[4096];
	memcpy(inv, buf, sizeof(inv));
	CHECK(peer_expect(fd, "CANCEL ", buf, sizeof(buf), &from));
	peer_answer(fd, buf, &from, "200 OK", false);
	peer_answer(fd, inv, &from, "487 Request Terminated", true);
	pthread_join(t, NULL);
	CHECK_INT(a.rc, 0);
	CHECK_INT(a.r.outcome, SIPD_NO_ANSWER);
	CHECK_INT(a.r.code, 487);
	sipd_free(d);
	close(fd);
}

static void invite_in_refused(void)
{
	if (!sipd_available())
		return;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct sipd *d = start(&s);
	int port, fd = peer_open(&port);
	char msg[1024], buf[4096];
	int n =
	    snprintf(msg, sizeof(msg),
	             "INVITE sip:14155550199@127.0.0.1:%d;profile=plivo SIP/2.0\r\n"
	             "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKtest1\r\n"
	             "From: <sip:+14155550100@127.0.0.1:%d>;tag=t1\r\n"
	             "To: <sip:14155550199@127.0.0.1>\r\nCall-ID: in-1@test\r\nCSeq: 1 INVITE\r\n"
	             "Contact: <sip:caller@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n"
	             "Content-Length: 0\r\n\r\n",
	             sipd_port(d), port, port, port);
	struct sockaddr_in to = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)sipd_port(d)),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to));
	struct sockaddr_in from;
	CHECK(peer_expect(fd, "SIP/2.0 404 ", buf, sizeof(buf), &from));
	pthread_mutex_lock(&s.mu);
	CHECK_INT(s.invites, 1);
	CHECK_STR(s.from, "+14155550100");
	CHECK_STR(s.to, "14155550199");
	CHECK_STR(s.profile, "plivo");
	CHECK(strlen(s.call_sid) == 34 && strncmp(s.call_sid, "CA", 2) == 0);
	pthread_mutex_unlock(&s.mu);
	sipd_free(d);
	close(fd);
	/* the records were handed over, the INVITE first */
	CHECK(s.records >= 3);
	CHECK_STR(s.first_record, "in INVITE udp");
}

struct await_arg {
	struct sipd *d;
	int rc;
};

static void *await_thread(void *arg)
{
	struct await_arg *a = arg;
	a->rc = sipd_await_bye(a->d, "CA-no-such-leg", 10000);
	return NULL;
}

static void stop_wakes_waiters(void)
{
	if (!sipd_available())
		return;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct sipd *d = start(&s);
	struct await_arg aw = {d, -1};
	pthread_t t;
	pthread_create(&t, NULL, await_thread, &aw);
	pthread_join(t, NULL);
	CHECK_INT(aw.rc, ENOENT); /* no such dialog: at once */
	int port, fd = peer_open(&port);
	char uri[128];
	snprintf(uri, sizeof(uri), "sip:silent@127.0.0.1:%d", port);
	struct dial_arg a = {
	    .d = d, .dl = {"CAp", "CA2222222222222222222222222222222c", uri, "+1", NULL, 0, 30}};
	pthread_create(&t, NULL, dial_thread, &a);
	char buf[4096];
	struct sockaddr_in from;
	CHECK(peer_expect(fd, "INVITE ", buf, sizeof(buf), &from));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sipd_stop(d); /* the 30 s ring ends now */
	pthread_join(t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 5);
	CHECK(a.rc == 0 || a.rc == ECANCELED);
	CHECK(a.rc != 0 || a.r.outcome == SIPD_FAILED);
	struct sipd_dial_result r;
	CHECK_INT(sipd_dial(d, &a.dl, &r), ECANCELED); /* stopped: no more */
	sipd_free(d);
	close(fd);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"listens", listens},
	    {"dials_only_loopback_sip", dials_only_loopback_sip},
	    {"invite_out_busy_and_no_answer", invite_out_busy_and_no_answer},
	    {"invite_in_refused", invite_in_refused},
	    {"stop_wakes_waiters", stop_wakes_waiters},
	    {NULL, NULL},
	};
	return test_run(cases);
}

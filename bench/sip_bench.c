/* sip_bench: complete transfers over real SIP (UDP) through `handoff emulator --sip`, with
 * this program as the agent: HTTP threads place calls (POST /emulator/calls); the emulator
 * fetches the app's /voice and rings us; we answer, REFER at once, and answer the NOTIFYs and
 * the BYE. Prints REFER-to-202 latency (p50, p99), REFER-to-final-NOTIFY, transfers per
 * second, and, as the reference measured in the same run, the round trip of an OPTIONS the
 * emulator's SIP loop answers itself (no worker, no engine).
 *
 *   sip_bench HTTP_PORT SIP_PORT UA_PORT TRANSFERS CONCURRENCY [REFER_DELAY_MS]
 *
 * REFER_DELAY_MS (default 0): how long the agent talks before it REFERs. 0 loads the
 * emulator fully (transfers/s); a few ms with one call at a time measures the REFER's own
 * path, the call idle when the REFER comes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/sip/raw_peer.h"

#define MAX_CALLS 1024

static int http_port, sip_port, ua_port, total, conc, delay_ms;
static int sock;
static struct sockaddr_in emu;
static atomic_int placed, http_fail;

struct call {
	char cid[128], from[256], to[256], contact[256];
	double refer_at, t202, tfinal, refer_due;
	int state; /* 1 answered, 2 REFER sent, 3 202, 4 final NOTIFY, 5 BYE */
};
static struct call calls[MAX_CALLS];
static int ncalls, done;
/* with a REFER delay, a call is placed only once the one before it is over */
static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void send_to(const char *buf, size_t n, const struct sockaddr_in *to)
{
	(void)sendto(sock, buf, n, 0, (const struct sockaddr *)to, sizeof(*to));
}

/* A response to req (the To tag added when it has none). */
static void respond(const char *req, const struct sockaddr_in *to, const char *status,
                    const char *extra, const char *body)
{
	char out[4096];
	int n = raw_response(out, sizeof(out), req, status, "bench1", extra, body);
	send_to(out, (size_t)n, to);
}

static struct call *find(const char *cid)
{
	for (int i = 0; i < ncalls; i++)
		if (strcmp(calls[i].cid, cid) == 0)
			return &calls[i];
	return NULL;
}

static void on_invite(const char *m, const struct sockaddr_in *from)
{
	if (ncalls == MAX_CALLS)
		return;
	struct call *c = &calls[ncalls++];
	raw_header(m, "Call-ID", c->cid, sizeof(c->cid));
	raw_header(m, "From", c->from, sizeof(c->from));
	raw_header(m, "To", c->to, sizeof(c->to));
	char ct[256];
	raw_header(m, "Contact", ct, sizeof(ct));
	const char *lt = strchr(ct, '<');
	snprintf(c->contact, sizeof(c->contact), "%.*s", (int)strcspn(lt ? lt + 1 : ct, ">"),
	         lt ? lt + 1 : ct);
	c->state = 1;
	char extra[160];
	snprintf(extra, sizeof(extra),
	         "Contact: <sip:agent@127.0.0.1:%d>\r\nContent-Type: application/sdp\r\n", ua_port);
	respond(m, from, "200 OK", extra,
	        "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	        "m=audio 9 RTP/AVP 0\r\n");
}

static void send_refer(struct call *c)
{
	char out[2048];
	static int branch;
	int n = snprintf(out, sizeof(out),
	                 "REFER %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%d-%d\r\n"
	                 "From: %s;tag=bench1\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 REFER\r\n"
	                 "Contact: <sip:agent@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n"
	                 "Refer-To: <sip:billing@agent.example.com?X-Reason=bench>\r\n"
	                 "X-Emulator-Target: answer\r\nContent-Length: 0\r\n\r\n",
	                 c->contact, ua_port, (int)getpid(), ++branch, c->to, c->from, c->cid,
	                 ua_port);
	c->refer_at = now_us();
	c->state = 2;
	send_to(out, (size_t)n, &emu);
}

/* The UA: until every transfer ended with its BYE (or 10 s pass with nothing). */
static void ua_loop(void)
{
	char m[8192];
	struct pollfd pf = {sock, POLLIN, 0};
	double idle_since = now_us();
	while (done < total && now_us() - idle_since < 10e6) {
		double next = 0, t = now_us();
		for (int i = 0; i < ncalls; i++) {
			struct call *c = &calls[i];
			if (c->state == 1 && c->refer_due) {
				if (c->refer_due <= t)
					send_refer(c);
				else if (!next || c->refer_due < next)
					next = c->refer_due;
			}
		}
		int wait = next ? (int)((next - t) / 1000) + 1 : 100;
		if (poll(&pf, 1, wait) <= 0)
			continue;
		idle_since = now_us();
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(sock, m, sizeof(m) - 1, 0, (struct sockaddr *)&from, &fl);
		if (r <= 0)
			continue;
		m[r] = 0;
		char cid[128];
		raw_header(m, "Call-ID", cid, sizeof(cid));
		struct call *c = find(cid);
		if (!strncmp(m, "INVITE ", 7)) {
			if (!c)
				on_invite(m, &from);
		} else if (!strncmp(m, "ACK ", 4)) {
			if (c && c->state == 1 && !c->refer_due)
				c->refer_due = now_us() + delay_ms * 1000.0;
		} else if (!strncmp(m, "SIP/2.0 202", 11)) {
			if (c && c->state == 2) {
				c->t202 = now_us() - c->refer_at;
				c->state = 3;
			}
		} else if (!strncmp(m, "NOTIFY ", 7)) {
			respond(m, &from, "200 OK", NULL, NULL);
			if (c && strstr(m, "terminated") && !c->tfinal)
				c->tfinal = now_us() - c->refer_at;
		} else if (!strncmp(m, "BYE ", 4)) {
			respond(m, &from, "200 OK", NULL, NULL);
			if (c && c->state != 5) {
				c->state = 5;
				pthread_mutex_lock(&done_mu);
				done++;
				pthread_cond_broadcast(&done_cv);
				pthread_mutex_unlock(&done_mu);
			}
		}
	}
}

/* ---- calls placed over HTTP ---- */

static void *placer(void *arg)
{
	(void)arg;
	static const char body[] = "From=%2B14155550100&To=%2B14155550199";
	for (;;) {
		int k = atomic_fetch_add(&placed, 1);
		if (k >= total)
			return NULL;
		if (delay_ms) { /* one at a time: the engine idle when the REFER comes */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 10;
			pthread_mutex_lock(&done_mu);
			while (done < k && pthread_cond_timedwait(&done_cv, &done_mu, &ts) == 0)
				;
			pthread_mutex_unlock(&done_mu);
		}
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_port),
		                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		char req[512], resp[256] = "";
		int n = snprintf(req, sizeof(req),
		                 "POST /emulator/calls HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
		                 "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n"
		                 "Connection: close\r\n\r\n%s",
		                 sizeof(body) - 1, body);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) || write(fd, req, (size_t)n) != n ||
		    read(fd, resp, sizeof(resp) - 1) <= 0 || !strstr(resp, " 201 "))
			atomic_fetch_add(&http_fail, 1);
		close(fd);
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	return n ? v[(int)(p * (n - 1) + 0.5)] : 0;
}

/* The reference: OPTIONS round trips to the emulator's SIP loop (it answers them itself). */
static void reference(double *out, int n)
{
	char m[4096], cid[32];
	for (int i = 0; i < n; i++) {
		snprintf(cid, sizeof(cid), "opt-%d", i);
		int len = snprintf(m, sizeof(m),
		                   "OPTIONS sip:x@127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP "
		                   "127.0.0.1:%d;branch=z9hG4bKo%d\r\nFrom: <sip:b@127.0.0.1>;tag=o\r\n"
		                   "To: <sip:x@127.0.0.1>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\n"
		                   "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		                   sip_port, ua_port, i, cid);
		double t0 = now_us();
		send_to(m, (size_t)len, &emu);
		struct pollfd pf = {sock, POLLIN, 0};
		out[i] = -1;
		while (poll(&pf, 1, 1000) > 0) {
			ssize_t r = recv(sock, m, sizeof(m) - 1, 0);
			if (r > 0 && (m[r] = 0, strstr(m, cid))) {
				out[i] = now_us() - t0;
				break;
			}
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: sip_bench HTTP_PORT SIP_PORT UA_PORT TRANSFERS CONCURRENCY "
		                "[REFER_DELAY_MS]\n");
		return 2;
	}
	delay_ms = argc == 7 ? atoi(argv[6]) : 0;
	http_port = atoi(argv[1]), sip_port = atoi(argv[2]), ua_port = atoi(argv[3]);
	total = atoi(argv[4]), conc = atoi(argv[5]);
	if (total > MAX_CALLS)
		total = MAX_CALLS;
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 4 << 20;
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)ua_port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	emu = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)sip_port),
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(sock, (struct sockaddr *)&me, sizeof(me))) {
		perror("sip_bench: bind");
		return 1;
	}
	static double ref[200];
	reference(ref, 200);
	pthread_t th[64];
	if (conc > 64)
		conc = 64;
	double t0 = now_us();
	for (int i = 0; i < conc; i++)
		pthread_create(&th[i], NULL, placer, NULL);
	ua_loop();
	double secs = (now_us() - t0) / 1e6;
	if (done < total) {
		int st[6] = {0};
		for (int i = 0; i < ncalls; i++)
			st[calls[i].state]++;
		fprintf(stderr, "sip_bench: %d of %d calls rang us; stuck: answered %d, REFER sent %d, "
		                "202 %d\n",
		        ncalls, total, st[1], st[2], st[3]);
	}
	for (int i = 0; i < conc; i++)
		pthread_join(th[i], NULL);
	static double l202[MAX_CALLS], lfin[MAX_CALLS];
	int n202 = 0, nfin = 0;
	for (int i = 0; i < ncalls; i++) {
		if (calls[i].t202 > 0)
			l202[n202++] = calls[i].t202;
		if (calls[i].tfinal > 0)
			lfin[nfin++] = calls[i].tfinal;
	}
	qsort(l202, (size_t)n202, sizeof(double), cmp);
	qsort(lfin, (size_t)nfin, sizeof(double), cmp);
	int nref = 0;
	for (int i = 0; i < 200; i++)
		if (ref[i] >= 0)
			ref[nref++] = ref[i];
	qsort(ref, (size_t)nref, sizeof(double), cmp);
	printf("sip: %d transfers over UDP in %.2f s: %.0f transfers/s (%d at once, REFER %d ms after "
	       "the answer; %d HTTP failures)\n",
	       done, secs, done / secs, conc, delay_ms, atomic_load(&http_fail));
	printf("sip: REFER -> 202:          p50 %.0f us, p99 %.0f us (%d REFERs)\n", pct(l202, n202, 0.5),
	       pct(l202, n202, 0.99), n202);
	printf("sip: REFER -> final NOTIFY: p50 %.0f us, p99 %.0f us (webhook to the app included)\n",
	       pct(lfin, nfin, 0.5), pct(lfin, nfin, 0.99));
	printf("sip: reference, OPTIONS -> answer from the SIP loop itself: p50 %.0f us, p99 %.0f us\n",
	       pct(ref, nref, 0.5), pct(ref, nref, 0.99));
	printf("sip: REFER -> 202 / OPTIONS round trip (p50): %.1f\n",
	       pct(ref, nref, 0.5) > 0 ? pct(l202, n202, 0.5) / pct(ref, nref, 0.5) : 0);
	return done == total ? 0 : 1;
}

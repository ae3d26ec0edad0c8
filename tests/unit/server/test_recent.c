/* test_recent: the server's ring of recent transfers: newest first, bounded, the oldest
 * dropped, fields cut to fit, and many writers at once. */
#include <pthread.h>
#include <stdlib.h>

#include "server/recent.h"
#include "test.h"

static void add(struct srv_recent *r, const char *sid, int status)
{
	struct handler_log log = {0};
	log.route = &handler_routes[2]; /* /refer */
	snprintf(log.call_sid, sizeof(log.call_sid), "%s", sid);
	snprintf(log.target, sizeof(log.target), "sip:billing@agent.example.com");
	snprintf(log.dest, sizeof(log.dest), "billing");
	log.version = 3;
	memset(log.why, 'w', sizeof(log.why) - 1); /* longer than the ring keeps */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	srv_recent_add(r, "POST", &log, status, 1234567, &now);
}

static void ring(void)
{
	struct srv_recent *r = srv_recent_new(3);
	struct console_transfer out[5];
	CHECK_INT(srv_recent_read(r, out, 5), 0);
	add(r, "CA1", 200);
	add(r, "CA2", 404);
	CHECK_INT(srv_recent_read(r, out, 5), 2);
	CHECK_STR(out[0].call_sid, "CA2");
	CHECK_STR(out[1].call_sid, "CA1");
	CHECK_INT(out[0].status, 404);
	CHECK_STR(out[0].route, "refer");
	CHECK_STR(out[0].method, "POST");
	CHECK_STR(out[0].dest, "billing");
	CHECK_INT(out[0].version, 3);
	CHECK_INT(out[0].latency_us, 1234);
	CHECK_INT(strlen(out[0].why), CONSOLE_WHY_MAX - 1);
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	int64_t wall_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
	CHECK(out[0].at_ms > wall_ms - 5000 && out[0].at_ms <= wall_ms + 5); /* wall time */
	add(r, "CA3", 200);
	add(r, "CA4", 200);
	CHECK_INT(srv_recent_read(r, out, 5), 3); /* bounded: CA1 is gone */
	CHECK_STR(out[0].call_sid, "CA4");
	CHECK_STR(out[2].call_sid, "CA2");
	CHECK_INT(srv_recent_read(r, out, 1), 1);
	CHECK_STR(out[0].call_sid, "CA4");
	CHECK(srv_recent_wanted(&handler_routes[2]));  /* /refer */
	CHECK(srv_recent_wanted(&handler_routes[3]));  /* /sandbox/refer */
	CHECK(!srv_recent_wanted(&handler_routes[0])); /* /voice */
	CHECK(!srv_recent_wanted(NULL));
	srv_recent_free(r);
}

static void *writer(void *p)
{
	for (int i = 0; i < 2000; i++)
		add(p, "CAx", 200);
	return NULL;
}

static void concurrent(void)
{
	struct srv_recent *r = srv_recent_new(CONSOLE_RECENT_MAX);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, writer, r);
	struct console_transfer *out = calloc(CONSOLE_RECENT_MAX, sizeof(*out));
	size_t n = 0;
	for (int i = 0; i < 50; i++)
		n = srv_recent_read(r, out, CONSOLE_RECENT_MAX);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	n = srv_recent_read(r, out, CONSOLE_RECENT_MAX);
	CHECK_INT(n, CONSOLE_RECENT_MAX);
	bool whole = true;
	for (size_t i = 0; i < n; i++)
		whole = whole && strcmp(out[i].call_sid, "CAx") == 0 && out[i].status == 200;
	CHECK(whole);
	free(out);
	srv_recent_free(r);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"ring", ring},
	    {"concurrent", concurrent},
	    {NULL, NULL},
	};
	return test_run(cases);
}

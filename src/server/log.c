/* log: the server's log: request threads hand whole lines to one writer thread, and lines
 * are built without allocating. */
#include "server/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/mem.h"

/* Each line is still one line on stderr, written in order; but 32 threads
 * each calling write() on one file serialise on its position lock and
 * switch context, which halved throughput. The writer takes everything
 * queued every LOG_FLUSH_MS, so lines reach stderr in order, in batches. */

#define LOG_QUEUE_BYTES (256 * 1024)

static struct {
	pthread_mutex_t mu;
	pthread_cond_t more, space;
	char *buf, *spare;
	size_t len;
	bool running, stop;
	pthread_t thread;
} logq = {.mu = PTHREAD_MUTEX_INITIALIZER,
          .more = PTHREAD_COND_INITIALIZER,
          .space = PTHREAD_COND_INITIALIZER};

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* stderr is gone: nothing better to do with the log */
		p += w;
		n -= (size_t)w;
	}
}

#define LOG_FLUSH_MS 20 /* how long a line may wait in the queue */

static void *log_writer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&logq.mu);
	for (;;) {
		/* request threads do not wake the writer for each line (that is a
		 * context switch per request): it writes what came in every
		 * LOG_FLUSH_MS, sooner when the queue is half full or at the end */
		if (logq.len < LOG_QUEUE_BYTES / 2 && !logq.stop) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += LOG_FLUSH_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&logq.more, &logq.mu, &until);
		}
		if (logq.len == 0) {
			if (logq.stop)
				break;
			continue;
		}
		char *out = logq.buf;
		size_t n = logq.len;
		logq.buf = logq.spare;
		logq.spare = out;
		logq.len = 0;
		pthread_cond_broadcast(&logq.space);
		pthread_mutex_unlock(&logq.mu);
		write_all(out, n);
		pthread_mutex_lock(&logq.mu);
	}
	pthread_mutex_unlock(&logq.mu);
	return NULL;
}

/* Queues one line (waits while the queue is full: lines are never dropped). */
void srv_log_write(const char *line, size_t n)
{
	pthread_mutex_lock(&logq.mu);
	if (!logq.running || n > LOG_QUEUE_BYTES) {
		pthread_mutex_unlock(&logq.mu);
		write_all(line, n);
		return;
	}
	while (logq.len + n > LOG_QUEUE_BYTES)
		pthread_cond_wait(&logq.space, &logq.mu);
	memcpy(logq.buf + logq.len, line, n);
	logq.len += n;
	if (logq.len >= LOG_QUEUE_BYTES / 2)
		pthread_cond_signal(&logq.more);
	pthread_mutex_unlock(&logq.mu);
}

void srv_log_start(void)
{
	logq.buf = xmalloc(LOG_QUEUE_BYTES);
	logq.spare = xmalloc(LOG_QUEUE_BYTES);
	logq.len = 0;
	logq.stop = false;
	if (pthread_create(&logq.thread, NULL, log_writer, NULL) == 0)
		logq.running = true;
}

/* Writes out what is queued and stops the writer. */
void srv_log_stop(void)
{
	pthread_mutex_lock(&logq.mu);
	bool was = logq.running;
	logq.stop = true;
	pthread_cond_signal(&logq.more);
	pthread_mutex_unlock(&logq.mu);
	if (was)
		pthread_join(logq.thread, NULL);
	logq.running = false;
	free(logq.buf);
	free(logq.spare);
	logq.buf = logq.spare = NULL;
}

void srv_line_put(struct srv_line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->p) - 1 - l->n; /* one byte kept for the newline */
	if (n > room)
		n = room;
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

void srv_line_puts(struct srv_line *l, const char *s)
{
	srv_line_put(l, s, strlen(s));
}

void srv_line_putu(struct srv_line *l, unsigned long long v, int min_digits)
{
	char d[24];
	int i = (int)sizeof(d);
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
		min_digits--;
	} while (v || min_digits > 0);
	srv_line_put(l, d + i, sizeof(d) - (size_t)i);
}

/* The length of the well-formed UTF-8 sequence at s (at most n bytes), or 0: no
 * overlong form, no surrogate, nothing past U+10FFFF (RFC 3629). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xc2 && s[0] <= 0xdf   ? 2
	             : s[0] >= 0xe0 && s[0] <= 0xef ? 3
	             : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
	                                            : 0;
	if (!len || len > n)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

/* s quoted, with anything unprintable escaped: a log line stays one line, and bytes
 * that are not well-formed UTF-8 are written as \xNN, never raw. */
void srv_line_putq(struct srv_line *l, const char *s, size_t max)
{
	static const char hexd[] = "0123456789abcdef";
	srv_line_put(l, "\"", 1);
	size_t i = 0;
	while (i < max && s[i]) {
		size_t run = i; /* printable bytes go in runs, not one call each */
		while (run < max && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x7f &&
		       s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			srv_line_put(l, s + i, run - i);
			i = run;
			continue;
		}
		if (i >= max || !s[i])
			break;
		size_t u = (unsigned char)s[i] >= 0x80
		               ? utf8_seq((const unsigned char *)s + i, strnlen(s + i, max - i))
		               : 0;
		if (u) {
			srv_line_put(l, s + i, u);
			i += u;
			continue;
		}
		unsigned char c = (unsigned char)s[i++];
		char e[4] = {'\\', 'x', hexd[c >> 4], hexd[c & 15]};
		srv_line_put(l, e, 4);
	}
	srv_line_put(l, "\"", 1);
}

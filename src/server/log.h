/* log: the server's log lines (stderr), written in order and in batches by one writer
 * thread, and the allocation-free line builder the access log uses. */
#ifndef HANDOFF_SERVER_LOG_H
#define HANDOFF_SERVER_LOG_H

#include <stddef.h>

/* One access log line, built without allocating (a busy server writes many). */
#define LOG_LINE_MAX 8192
struct srv_line {
	size_t n;
	char p[LOG_LINE_MAX];
};

/* Starts the writer thread (without it, lines are written at once). */
void srv_log_start(void);
/* Writes out what is queued and stops the writer. */
void srv_log_stop(void);
/* Queues one line (waits while the queue is full: lines are never dropped). */
void srv_log_write(const char *line, size_t n);

/* Appends to a line, cut at LOG_LINE_MAX - 1 (one byte stays for the newline). */
void srv_line_put(struct srv_line *l, const char *s, size_t n);
void srv_line_puts(struct srv_line *l, const char *s);
/* v in decimal, with at least min_digits digits. */
void srv_line_putu(struct srv_line *l, unsigned long long v, int min_digits);
/* s (at most max bytes) quoted, with anything unprintable escaped: a line stays one line. */
void srv_line_putq(struct srv_line *l, const char *s, size_t max);

#endif

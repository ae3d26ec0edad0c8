/* buf: a growable byte buffer with a hard size cap (after curl's dynbuf). */
#ifndef HANDOFF_UTIL_BUF_H
#define HANDOFF_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;    /* always NUL-terminated once anything was added; may be NULL before */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* the cap: len never exceeds it */
};

/* Starts an empty buffer that will hold at most max bytes. */
void buf_init(struct buf *b, size_t max);
/* Frees the memory and leaves an empty buffer with the same cap. */
void buf_free(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);

/* Each returns 0, or E2BIG when the result would pass max: then the buffer
 * is freed (as curl's dynbuf does), so a half-built value is never used. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
/* Grows the buffer by n bytes and returns where they start, for the caller to
 * fill (the NUL after them is written); NULL on E2BIG (the buffer is then
 * freed, as buf_add does). */
char *buf_extend(struct buf *b, size_t n);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* The contents as a C string ("" when empty); owned by the buffer. */
const char *buf_str(const struct buf *b);
/* Hands the memory to the caller (free() it) and leaves the buffer empty. */
char *buf_steal(struct buf *b);

#endif

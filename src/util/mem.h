/* mem: allocation wrappers that abort on out-of-memory and on size overflow. */
#ifndef HANDOFF_UTIL_MEM_H
#define HANDOFF_UTIL_MEM_H

#include <stddef.h>

/* Each returns memory the caller frees with free(); none returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray: realloc to nmemb * size, aborting when the product overflows. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Overwrites n bytes in a way the compiler may not drop (for secrets). */
void xwipe(void *p, size_t n);

#endif

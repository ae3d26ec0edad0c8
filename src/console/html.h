/* html: the console's one HTML escaper, a printf that escapes every string by default, and
 * shell quoting for the equivalent command lines. */
#ifndef HANDOFF_CONSOLE_HTML_H
#define HANDOFF_CONSOLE_HTML_H

#include <stddef.h>

#include "util/buf.h"

/* Appends s[0..n) with & < > " ' as entities (text and quoted attributes alike). */
void html_esc(struct buf *out, const char *s, size_t n);
/* A printf for HTML: %s escapes its argument (NULL prints nothing), %r writes trusted HTML
 * raw, %U percent-encodes for a URL path or query value, %d %u %zu %lld %ld numbers (with
 * printf's flags and width: %03d), %% a percent sign. Any other conversion is a programming
 * error: it aborts (the tests run every page). */
void html_f(struct buf *out, const char *fmt, ...);
/* Quotes s for a POSIX shell ('...', ' as '\'') into out: as text, or escaped for HTML. */
void shell_quote(struct buf *out, const char *s);
void html_shell(struct buf *out, const char *s);

#endif

/* ids: the shapes of Twilio's identifiers: E.164 numbers and resource SIDs. */
#ifndef HANDOFF_UTIL_IDS_H
#define HANDOFF_UTIL_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define ID_SID_LEN 34 /* two letters and 32 hex digits */

/* Whether s (n bytes) is E.164 as Twilio writes it: ^\+[1-9][0-9]{1,14}$. */
bool id_e164_n(const char *s, size_t n);
bool id_e164(const char *s);

/* Whether s (n bytes) is a SID with the two-letter prefix ("CA", "PN", ...):
 * the prefix then 32 hex digits, either case. */
bool id_sid_n(const char *s, size_t n, const char *prefix);
bool id_sid(const char *s, const char *prefix);

#endif

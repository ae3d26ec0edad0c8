/* target: the ReferTransferTarget of a referUrl webhook (the REFER's Refer-To),
 * parsed into the URI, the user part that names a destination, and the URI
 * headers carried inside it. */
#ifndef HANDOFF_TARGET_H
#define HANDOFF_TARGET_H

#include <stddef.h>

#include "webhooks/dest.h"

#define TARGET_MAX         256 /* Twilio accepts a Refer-To of at most 256 characters */
#define TARGET_MAX_HEADERS 16  /* URI headers after '?' */

enum target_scheme { TARGET_SIP, TARGET_SIPS, TARGET_TEL };

/* A parsed target; self-contained (no pointers into the input). */
struct target {
	enum target_scheme scheme;
	char uri[TARGET_MAX + 1];  /* the URI without brackets, display name and headers */
	char user[TARGET_MAX + 1]; /* the user part, percent-decoded, without ;params or
	                            * :password; for tel: the number without separators */
	char host[TARGET_MAX + 1]; /* host[:port] of a sip:/sips: URI; "" for tel: */
	int phone;                 /* tel:, ;user=phone, or a user part that is +digits */
	struct dest_kv headers[TARGET_MAX_HEADERS]; /* decoded; point into hstore */
	size_t nheaders;
	char hstore[2 * TARGET_MAX + 2];
};

/* Parses s[0..len): "<sip:user@host;params?H=v&X-Y=w>", "sip:...", "sips:...",
 * "tel:+E164;params", optionally with a display name before '<'. URI header
 * values are percent-decoded and must hold no control characters. Returns 0;
 * E2BIG over TARGET_MAX or TARGET_MAX_HEADERS; EBADMSG for anything else
 * malformed, with a reason in err (caller-owned, may be NULL). */
int target_parse(const char *s, size_t len, struct target *t, char *err, size_t errlen);

#endif

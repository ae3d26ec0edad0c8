/* zones: the system's tz database: a zone name checked and its TZif file read (the one
 * place that opens zone files; parsing is util/tz.c). */
#ifndef HANDOFF_STORE_ZONES_H
#define HANDOFF_STORE_ZONES_H

#include <stddef.h>

#include "util/tz.h"
#include "webhooks/dest.h"

#define ZONE_DIR_DEFAULT "/usr/share/zoneinfo" /* Debian's tzdata */

/* The directory zones are read from: $TZDIR when set (as glibc reads it), else
 * ZONE_DIR_DEFAULT. */
const char *zone_dir(void);

/* Reads and parses the zone called name (e.g. "America/Los_Angeles") from zone_dir().
 * The name is checked first (tz_name_ok: no "..", no absolute path), and only a regular
 * file of TZif data is taken. *out is written only on success (tz_free it). EINVAL for
 * a name that is not a zone name, ENOENT for an unknown zone, EBADMSG for a file that is
 * not TZif, E2BIG, EIO; err (caller's, may be NULL) says which in a sentence. */
int zone_load(const char *name, struct tz **out, char *err, size_t errlen);

/* Whether every zone the n destinations name (hours.tz) loads: 0, or EINVAL with err
 * "<prefix><destination>: <why>" for the first that does not. Each zone is read once. */
int zone_check_all(const struct dest *d, size_t n, const char *prefix, char *err, size_t errlen);

#endif

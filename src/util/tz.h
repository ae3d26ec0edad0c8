/* tz: time zones from TZif data (RFC 8536) without the process's TZ: parsing a zone
 * file's bytes, the UTC offset at an instant, and local time back to an instant. */
#ifndef HANDOFF_UTIL_TZ_H
#define HANDOFF_UTIL_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TZ_NAME_MAX  64           /* an IANA zone name, e.g. America/Los_Angeles */
#define TZ_FILE_MAX  (256 * 1024) /* the largest zone file read */
#define TZ_MAX_TIMES 8192         /* transitions in one file */
#define TZ_MAX_TYPES 256          /* local time types (an index is one byte) */
#define TZ_MAX_CHARS 256          /* bytes of abbreviations */
#define TZ_ABBR_MAX  15           /* one abbreviation ("PDT", "+0530") */
#define TZ_RULE_MAX  128          /* the POSIX TZ string of the footer */

/* A parsed zone: immutable once made, so any number of threads may read it. */
struct tz;

/* What applies at one instant. */
struct tz_info {
	int32_t utoff; /* seconds east of UTC (-28800 for PST) */
	bool isdst;
	char abbr[TZ_ABBR_MAX + 1];
};

/* A civil (proleptic Gregorian) date and time. */
struct tz_civil {
	int64_t year;
	int mon, day;       /* 1-12, 1-31 */
	int hour, min, sec; /* 0-23, 0-59, 0-59 */
	int wday;           /* 0 Sunday .. 6 Saturday (filled by tz_civil_of) */
};

/* Parses TZif data (versions 1 to 4; for 2+ the 64-bit block and the footer's POSIX TZ
 * string, which gives local time after the last transition). Nothing is read from the
 * file system or the environment. *out is written only on success; free it with
 * tz_free. EBADMSG for data that is not well-formed TZif (or uses leap seconds), E2BIG
 * over a TZ_* limit. */
int tz_parse(const void *data, size_t len, struct tz **out);
void tz_free(struct tz *z); /* NULL is fine */

/* The offset, DST flag and abbreviation in force at instant t (Unix seconds). */
void tz_at(const struct tz *z, int64_t t, struct tz_info *out);

/* Local time back to an instant: the instants whose local time in z is `local` (its
 * wday ignored). Returns how many there are: 1; 2 when the local time happens twice
 * (clocks going back), earliest first; 0 when it never happens (clocks going forward:
 * a gap). t[] has room for 2. */
int tz_local(const struct tz *z, const struct tz_civil *local, int64_t t[2]);

/* Whether name is a zone name safe to look up under a zone directory: 1-64 bytes,
 * '/'-separated parts, each starting with A-Z and holding only letters, digits and
 * "_+-" (so no "..", no absolute path, and none of the lower-case files beside the
 * zones such as posixrules or the right/ leap-second tree). */
bool tz_name_ok(const char *name);

/* Calendar arithmetic (no zone): days since 1970-01-01 of a civil date, and the civil
 * time of instant t shifted by utoff seconds. */
int64_t tz_days_from_civil(int64_t year, int mon, int day);
void tz_civil_of(int64_t t, int32_t utoff, struct tz_civil *out);
/* Whether year is a leap year, and the days of a month. */
bool tz_leap(int64_t year);
int tz_month_days(int64_t year, int mon);

#endif

/* hours: a destination's opening hours (weekly ranges in an IANA zone, closed dates, the
 * destination that answers otherwise): their text forms and the decision at an instant. */
#ifndef HANDOFF_HOURS_H
#define HANDOFF_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/tz.h"

#define HOURS_OPEN_MAX   16   /* --open ranges of one destination */
#define HOURS_CLOSED_MAX 64   /* --closed dates of one destination */
#define HOURS_TEXT_MAX   48   /* one range or date as text, with its NUL */
#define HOURS_LIST_MAX   1024 /* the ranges or the dates as one ';'-separated text */
#define HOURS_YEAR_MIN   1970
#define HOURS_YEAR_MAX   9999

/* "mon-fri 08:00-18:00": the days (bit 0 Sunday .. bit 6 Saturday, as tz_civil.wday) and
 * the minutes after local midnight, from < to <= 1440 (24:00). */
struct hours_range {
	uint8_t days;
	uint16_t from, to;
};

/* "2026-12-25": a local date on which the destination is closed all day. */
struct hours_date {
	int16_t year;
	uint8_t mon, day;
};

/* A destination's hours. tz NULL: none (the destination always answers itself); else
 * tz, at least one range and otherwise are set (dest_validate checks). */
struct dest_hours {
	char *tz; /* an IANA zone name, e.g. "America/Los_Angeles" */
	struct hours_range open[HOURS_OPEN_MAX];
	size_t nopen;
	struct hours_date closed[HOURS_CLOSED_MAX];
	size_t nclosed;
	char *otherwise; /* the destination (same set) that answers outside them */
};

/* Parses "DAYS HH:MM-HH:MM": DAYS a comma list of mon..sun and ranges of them (mon-fri,
 * sat-sun; fri-mon wraps), or daily. 0, or EINVAL with err (caller's) saying why. */
int hours_parse_range(const char *text, struct hours_range *r, char *err, size_t errlen);
/* The canonical text of r ("mon-fri 08:00-18:00"); out has HOURS_TEXT_MAX bytes. */
void hours_format_range(const struct hours_range *r, char *out);

/* Parses "YYYY-MM-DD" (a real date, HOURS_YEAR_MIN..MAX). 0 or EINVAL with err. */
int hours_parse_date(const char *text, struct hours_date *d, char *err, size_t errlen);
void hours_format_date(const struct hours_date *d, char *out); /* HOURS_TEXT_MAX bytes */

/* h's ranges and dates as ';'-separated canonical text (HOURS_LIST_MAX bytes each),
 * and back (entries that do not parse, or past the limits, are skipped): how the store
 * keeps them. */
void hours_format_lists(const struct dest_hours *h, char *open, char *closed);
void hours_parse_lists(struct dest_hours *h, const char *open, const char *closed);

/* Checks h's own rules (not whether its zone exists or otherwise names a destination of
 * the set: dest_validate_set and the store do): all or nothing of tz/open/otherwise, a
 * zone name, ranges and dates unique, otherwise a slug other than self. 0, or EINVAL
 * with err saying which and how to fix it. */
int hours_check(const struct dest_hours *h, const char *self, char *err, size_t errlen);

/* Whether a destination with hours h is open at instant t (Unix seconds), z being h->tz
 * parsed. closed_date (may be NULL) is set when t falls on one of h's closed dates. */
bool hours_open_at(const struct dest_hours *h, const struct tz *z, int64_t t, bool *closed_date);

/* Parses a moment for --at: "now"; ISO 8601 with an offset ("2026-12-24T17:30-08:00",
 * "...Z", "+0530", seconds optional, 'T' or one space); or a local time without one, read
 * in z (NULL: refused as needing an offset). A local time that happens twice (clocks
 * going back) is its first occurrence and sets *twice (may be NULL); one that never
 * happens (clocks going forward) is refused. 0 or EINVAL with err. */
int hours_parse_instant(const char *text, const struct tz *z, int64_t now, int64_t *t, bool *twice,
                        char *err, size_t errlen);

/* t as local ISO 8601 in z with its offset and abbreviation: "2026-12-24T17:30:00-08:00
 * (PST)"; z NULL: UTC ("...Z"). out has at least 64 bytes. */
void hours_format_instant(const struct tz *z, int64_t t, char *out, size_t cap);

#endif

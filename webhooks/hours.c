/* hours: opening hours parsed, checked, formatted and decided at an instant (pure: the
 * zone arrives parsed, the instant as an argument). */
#include "webhooks/hours.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int hfail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int hfail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return EINVAL;
}

/* Monday first, as people write weeks; the bit is tz_civil.wday's. */
static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static int day_bit(int monday_first)
{
	return (monday_first + 1) % 7;
}

static int day_of(const char *p, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(p, day_names[i], 3) == 0)
			return i;
	return -1;
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* HH:MM (H or HH; 24:00 only when end) as minutes; the end of what was read, or NULL. */
static const char *clock_of(const char *p, bool end, int *min)
{
	int h = 0, m = 0, nd = 0;
	while (digit(*p) && nd < 2)
		h = h * 10 + (*p++ - '0'), nd++;
	if (!nd || *p != ':' || !digit(p[1]) || !digit(p[2]))
		return NULL;
	m = (p[1] - '0') * 10 + (p[2] - '0');
	p += 3;
	if (m > 59 || h > 24 || (h == 24 && (m || !end)))
		return NULL;
	*min = h * 60 + m;
	return p;
}

int hours_parse_range(const char *text, struct hours_range *r, char *err, size_t errlen)
{
	const char *s = text ? text : "";
	while (*s == ' ')
		s++;
	const char *sp = strchr(s, ' ');
	if (!sp)
		return hfail(err, errlen,
		             "opening hours \"%.40s\" need days and times: write e.g. 'mon-fri "
		             "08:00-18:00'",
		             s);
	uint8_t days = 0;
	if ((size_t)(sp - s) == 5 && strncasecmp(s, "daily", 5) == 0) {
		days = 0x7f;
	} else {
		for (const char *p = s; p < sp;) {
			const char *end = p;
			while (end < sp && *end != ',')
				end++;
			const char *dash = memchr(p, '-', (size_t)(end - p));
			int a = day_of(p, (size_t)((dash ? dash : end) - p));
			int b = dash ? day_of(dash + 1, (size_t)(end - dash - 1)) : a;
			if (a < 0 || b < 0) {
				/* quote the part that is wrong: "fry" of "mon-fry" */
				const char *bad = a < 0 ? p : dash + 1;
				const char *bad_end = a < 0 && dash ? dash : end;
				return hfail(
				    err, errlen,
				    "opening hours \"%.40s\": \"%.*s\" is not a day: use "
				    "mon tue wed thu fri sat sun, a range such as mon-fri, "
				    "or daily",
				    s, (int)(bad_end - bad), bad);
			}
			for (int d = a;; d = (d + 1) % 7) { /* fri-mon wraps round the week */
				days |= (uint8_t)(1u << day_bit(d));
				if (d == b)
					break;
			}
			p = end < sp ? end + 1 : end;
			if (end < sp && p == sp)
				return hfail(err, errlen,
				             "opening hours \"%.40s\": a day list ends with ','",
				             s);
		}
	}
	const char *t = sp;
	while (*t == ' ')
		t++;
	int from, to;
	const char *p = clock_of(t, false, &from);
	if (!p || *p != '-' || !(p = clock_of(p + 1, true, &to)) || *p)
		return hfail(err, errlen,
		             "opening hours \"%.40s\": the times must be HH:MM-HH:MM, e.g. "
		             "08:00-18:00 (24:00 for midnight at the end)",
		             s);
	if (from >= to)
		return hfail(err, errlen,
		             "opening hours \"%.40s\" end before they start: a range past "
		             "midnight is two ranges, e.g. 'fri 22:00-24:00' and 'sat "
		             "00:00-02:00'",
		             s);
	r->days = days;
	r->from = (uint16_t)from;
	r->to = (uint16_t)to;
	return 0;
}

void hours_format_range(const struct hours_range *r, char *out)
{
	size_t o = 0;
	if ((r->days & 0x7f) == 0x7f) {
		o = (size_t)snprintf(out, HOURS_TEXT_MAX, "daily");
	} else {
		for (int d = 0; d < 7;) {
			if (!(r->days & (1u << day_bit(d)))) {
				d++;
				continue;
			}
			int e = d;
			while (e + 1 < 7 && (r->days & (1u << day_bit(e + 1))))
				e++;
			o += (size_t)snprintf(out + o, HOURS_TEXT_MAX - o, "%s%s", o ? "," : "",
			                      day_names[d]);
			if (e > d)
				o += (size_t)snprintf(out + o, HOURS_TEXT_MAX - o, "%c%s",
				                      e > d + 1 ? '-' : ',', day_names[e]);
			d = e + 1;
		}
	}
	snprintf(out + o, HOURS_TEXT_MAX - o, " %02d:%02d-%02d:%02d", r->from / 60, r->from % 60,
	         r->to / 60, r->to % 60);
}

int hours_parse_date(const char *text, struct hours_date *d, char *err, size_t errlen)
{
	const char *s = text ? text : "";
	int y = 0, m = 0, dd = 0;
	bool shape = strlen(s) == 10 && s[4] == '-' && s[7] == '-';
	for (int i = 0; shape && i < 10; i++)
		if (i != 4 && i != 7 && !digit(s[i]))
			shape = false;
	if (shape) {
		y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		m = (s[5] - '0') * 10 + (s[6] - '0');
		dd = (s[8] - '0') * 10 + (s[9] - '0');
	}
	if (!shape || y < HOURS_YEAR_MIN || y > HOURS_YEAR_MAX || m < 1 || m > 12 || dd < 1 ||
	    dd > tz_month_days(y, m))
		return hfail(
		    err, errlen,
		    "closed date \"%.40s\" is not a date: write YYYY-MM-DD, e.g. 2026-12-25", s);
	d->year = (int16_t)y;
	d->mon = (uint8_t)m;
	d->day = (uint8_t)dd;
	return 0;
}

void hours_format_date(const struct hours_date *d, char *out)
{
	snprintf(out, HOURS_TEXT_MAX, "%04d-%02d-%02d", d->year, d->mon, d->day);
}

void hours_format_lists(const struct dest_hours *h, char *open, char *closed)
{
	size_t o = 0, c = 0;
	open[0] = closed[0] = '\0';
	for (size_t i = 0; i < h->nopen && o + HOURS_TEXT_MAX + 1 < HOURS_LIST_MAX; i++) {
		if (o)
			open[o++] = ';';
		hours_format_range(&h->open[i], open + o);
		o += strlen(open + o);
	}
	for (size_t i = 0; i < h->nclosed && c + HOURS_TEXT_MAX + 1 < HOURS_LIST_MAX; i++) {
		if (c)
			closed[c++] = ';';
		hours_format_date(&h->closed[i], closed + c);
		c += strlen(closed + c);
	}
}

void hours_parse_lists(struct dest_hours *h, const char *open, const char *closed)
{
	for (int kind = 0; kind < 2; kind++) {
		const char *p = kind ? closed : open;
		while (p && *p) {
			size_t n = strcspn(p, ";");
			char one[HOURS_TEXT_MAX];
			if (n < sizeof(one)) {
				memcpy(one, p, n);
				one[n] = '\0';
				if (kind == 0 && h->nopen < HOURS_OPEN_MAX &&
				    hours_parse_range(one, &h->open[h->nopen], NULL, 0) == 0)
					h->nopen++;
				else if (kind == 1 && h->nclosed < HOURS_CLOSED_MAX &&
				         hours_parse_date(one, &h->closed[h->nclosed], NULL, 0) ==
				             0)
					h->nclosed++;
			}
			p += n + (p[n] == ';');
		}
	}
}

static bool slug(const char *s)
{
	if (!s || !*s || strlen(s) > 64 || !((*s >= 'a' && *s <= 'z') || digit(*s)))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || digit(*s) || *s == '-'))
			return false;
	return true;
}

int hours_check(const struct dest_hours *h, const char *self, char *err, size_t errlen)
{
	bool any = h->tz || h->nopen || h->nclosed || h->otherwise;
	if (!any)
		return 0;
	if (!h->tz)
		return hfail(err, errlen,
		             "opening hours need a time zone: add --tz ZONE, e.g. --tz "
		             "America/Los_Angeles");
	if (!tz_name_ok(h->tz))
		return hfail(err, errlen,
		             "\"%.80s\" is not a time zone name: write an IANA zone such as "
		             "America/Los_Angeles or Europe/London",
		             h->tz);
	if (!h->nopen)
		return hfail(
		    err, errlen,
		    "a time zone without opening hours: add --open 'DAYS HH:MM-HH:MM', e.g. "
		    "--open 'mon-fri 08:00-18:00' (or --clear-hours)");
	if (!h->otherwise)
		return hfail(err, errlen,
		             "opening hours need --otherwise NAME: the destination that takes the "
		             "calls outside them");
	if (!slug(h->otherwise))
		return hfail(err, errlen,
		             "--otherwise \"%.80s\" is not a destination name (a slug)",
		             h->otherwise);
	if (self && strcasecmp(h->otherwise, self) == 0)
		return hfail(err, errlen,
		             "--otherwise %s names the destination itself: name the one that "
		             "takes its calls when it is closed",
		             h->otherwise);
	if (h->nopen > HOURS_OPEN_MAX || h->nclosed > HOURS_CLOSED_MAX)
		return hfail(err, errlen, "at most %d --open ranges and %d --closed dates",
		             HOURS_OPEN_MAX, HOURS_CLOSED_MAX);
	for (size_t i = 0; i < h->nopen; i++) {
		const struct hours_range *r = &h->open[i];
		char t[HOURS_TEXT_MAX];
		if (!(r->days & 0x7f) || r->from >= r->to || r->to > 1440) {
			return hfail(err, errlen,
			             "opening hours %zu are not a range of days and times", i + 1);
		}
		for (size_t k = 0; k < i; k++)
			if (memcmp(&h->open[k], r, sizeof(*r)) == 0) {
				hours_format_range(r, t);
				return hfail(err, errlen, "opening hours '%s' are given twice", t);
			}
	}
	for (size_t i = 0; i < h->nclosed; i++) {
		const struct hours_date *d = &h->closed[i];
		char t[HOURS_TEXT_MAX];
		hours_format_date(d, t);
		if (d->year < HOURS_YEAR_MIN || d->year > HOURS_YEAR_MAX || d->mon < 1 ||
		    d->mon > 12 || d->day < 1 || d->day > tz_month_days(d->year, d->mon))
			return hfail(err, errlen, "closed date %s is not a date", t);
		for (size_t k = 0; k < i; k++)
			if (memcmp(&h->closed[k], d, sizeof(*d)) == 0)
				return hfail(err, errlen, "closed date %s is given twice", t);
	}
	return 0;
}

bool hours_open_at(const struct dest_hours *h, const struct tz *z, int64_t t, bool *closed_date)
{
	struct tz_info in;
	struct tz_civil c;
	tz_at(z, t, &in);
	tz_civil_of(t, in.utoff, &c);
	if (closed_date)
		*closed_date = false;
	for (size_t i = 0; i < h->nclosed; i++)
		if (h->closed[i].year == c.year && h->closed[i].mon == c.mon &&
		    h->closed[i].day == c.day) {
			if (closed_date)
				*closed_date = true;
			return false;
		}
	int minute = c.hour * 60 + c.min;
	for (size_t i = 0; i < h->nopen; i++)
		if ((h->open[i].days & (1u << c.wday)) && minute >= h->open[i].from &&
		    minute < h->open[i].to)
			return true;
	return false;
}

/* --- instants --- */

static const char *num(const char *p, int n, int *v)
{
	int x = 0;
	for (int i = 0; i < n; i++) {
		if (!digit(p[i]))
			return NULL;
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return p + n;
}

int hours_parse_instant(const char *text, const struct tz *z, int64_t now, int64_t *t, bool *twice,
                        char *err, size_t errlen)
{
	const char *s = text ? text : "";
	if (twice)
		*twice = false;
	if (strcmp(s, "now") == 0) {
		*t = now;
		return 0;
	}
	struct tz_civil c = {0};
	int y, off = 0, oh = 0, om = 0;
	const char *p = num(s, 4, &y);
	bool ok = p && *p == '-' && (p = num(p + 1, 2, &c.mon)) && *p == '-' &&
	          (p = num(p + 1, 2, &c.day)) && (*p == 'T' || *p == 't' || *p == ' ') &&
	          (p = num(p + 1, 2, &c.hour)) && *p == ':' && (p = num(p + 1, 2, &c.min));
	if (ok && *p == ':')
		ok = (p = num(p + 1, 2, &c.sec)) != NULL;
	bool has_off = false;
	if (ok && (*p == 'Z' || *p == 'z')) {
		has_off = true;
		p++;
	} else if (ok && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1;
		ok = (p = num(p + 1, 2, &oh)) != NULL;
		if (ok && *p == ':')
			p++;
		ok = ok && (p = num(p, 2, &om)) != NULL && oh <= 23 && om <= 59;
		off = sign * (oh * 3600 + om * 60);
		has_off = true;
	}
	if (!ok || *p || y < HOURS_YEAR_MIN || y > HOURS_YEAR_MAX || c.mon < 1 || c.mon > 12 ||
	    c.day < 1 || c.day > tz_month_days(y, c.mon) || c.hour > 23 || c.min > 59 || c.sec > 59)
		return hfail(
		    err, errlen,
		    "\"%.60s\" is not a time: write ISO 8601 such as 2026-12-24T17:30-08:00 "
		    "(or ...Z), a local time such as 2026-12-24T17:30, or now",
		    s);
	c.year = y;
	int64_t L =
	    tz_days_from_civil(y, c.mon, c.day) * 86400 + c.hour * 3600 + c.min * 60 + c.sec;
	if (has_off) {
		*t = L - off;
		return 0;
	}
	if (!z)
		return hfail(
		    err, errlen,
		    "\"%.60s\" has no UTC offset and the destination has no time zone: add "
		    "one, e.g. %.19sZ or %.19s-08:00",
		    s, s, s);
	int64_t at[2];
	int n = tz_local(z, &c, at);
	if (n == 0)
		return hfail(
		    err, errlen,
		    "%.60s does not happen in the destination's zone (the clocks go forward "
		    "over it): give a time outside the change, or one with an offset",
		    s);
	if (n == 2 && twice)
		*twice = true;
	*t = at[0];
	return 0;
}

void hours_format_instant(const struct tz *z, int64_t t, char *out, size_t cap)
{
	struct tz_info in = {0, false, "UTC"};
	if (z)
		tz_at(z, t, &in);
	struct tz_civil c;
	tz_civil_of(t, in.utoff, &c);
	int n = snprintf(out, cap, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)c.year, c.mon,
	                 c.day, c.hour, c.min, c.sec);
	if (n < 0 || (size_t)n >= cap)
		return;
	if (!z) {
		snprintf(out + n, cap - (size_t)n, "Z");
		return;
	}
	int a = in.utoff < 0 ? -in.utoff : in.utoff;
	snprintf(out + n, cap - (size_t)n, "%c%02d:%02d (%s)", in.utoff < 0 ? '-' : '+', a / 3600,
	         a / 60 % 60, in.abbr);
}

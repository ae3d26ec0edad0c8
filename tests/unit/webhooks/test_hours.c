/* test_hours: opening hours: the text forms, the rules, open or closed at instants (DST
 * days, 30- and 45-minute zones), --at times, and which destination of a set answers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/zones.h"
#include "test.h"
#include "webhooks/dest_set.h"
#include "webhooks/hours.h"

static void ranges(void)
{
	static const struct {
		const char *in, *out; /* out NULL: refused */
	} c[] = {
	    {"mon-fri 08:00-18:00", "mon-fri 08:00-18:00"},
	    {"sat 10:00-14:00", "sat 10:00-14:00"},
	    {"mon,wed 9:30-12:00", "mon,wed 09:30-12:00"},
	    {"Mon-Tue,thu 00:00-24:00", "mon,tue,thu 00:00-24:00"},
	    {"fri-mon 08:00-12:00", "mon,fri-sun 08:00-12:00"}, /* wraps round the week */
	    {"sat,sun 08:00-12:00", "sat,sun 08:00-12:00"},
	    {"daily 07:00-07:01", "daily 07:00-07:01"},
	    {"mon-sun 07:00-08:00", "daily 07:00-08:00"},
	    {"mon-fri   08:00-18:00", "mon-fri 08:00-18:00"},
	    {"mon-fri", NULL},
	    {"08:00-18:00", NULL},
	    {"mon-fry 08:00-18:00", NULL},
	    {"mon, 08:00-18:00", NULL},
	    {"mon-fri 18:00-08:00", NULL}, /* past midnight: two ranges */
	    {"mon-fri 08:00-08:00", NULL},
	    {"mon-fri 24:00-24:00", NULL},
	    {"mon-fri 08:00-24:01", NULL},
	    {"mon-fri 08:60-09:00", NULL},
	    {"mon-fri 8-18", NULL},
	    {"mon-fri 08:00-18:00x", NULL},
	    {"", NULL},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct hours_range r;
		char err[256] = "", out[HOURS_TEXT_MAX];
		int rc = hours_parse_range(c[i].in, &r, err, sizeof(err));
		test_current = c[i].in;
		if (!c[i].out) {
			CHECK_INT(rc, EINVAL);
			CHECK(err[0] != '\0');
			continue;
		}
		CHECK_INT(rc, 0);
		hours_format_range(&r, out);
		CHECK_STR(out, c[i].out);
	}
	char err[256];
	struct hours_range r;
	hours_parse_range("mon-fri 18:00-08:00", &r, err, sizeof(err));
	CHECK(strstr(err, "'fri 22:00-24:00' and 'sat 00:00-02:00'") != NULL);
}

static void dates(void)
{
	static const struct {
		const char *in;
		bool ok;
	} c[] = {
	    {"2026-12-25", true},  {"2028-02-29", true},  {"2026-02-29", false},
	    {"2026-13-01", false}, {"2026-12-32", false}, {"26-12-25", false},
	    {"2026/12/25", false}, {"1969-12-31", false}, {"2026-12-25 ", false},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct hours_date d;
		char out[HOURS_TEXT_MAX];
		test_current = c[i].in;
		CHECK_INT(hours_parse_date(c[i].in, &d, NULL, 0), c[i].ok ? 0 : EINVAL);
		if (c[i].ok) {
			hours_format_date(&d, out);
			CHECK_STR(out, c[i].in);
		}
	}
	/* the store's lists, both ways */
	struct dest_hours h = {0}, back = {0};
	hours_parse_range("mon-fri 08:00-18:00", &h.open[h.nopen++], NULL, 0);
	hours_parse_range("sat 10:00-14:00", &h.open[h.nopen++], NULL, 0);
	hours_parse_date("2026-12-25", &h.closed[h.nclosed++], NULL, 0);
	hours_parse_date("2027-01-01", &h.closed[h.nclosed++], NULL, 0);
	char open[HOURS_LIST_MAX], closed[HOURS_LIST_MAX];
	hours_format_lists(&h, open, closed);
	CHECK_STR(open, "mon-fri 08:00-18:00;sat 10:00-14:00");
	CHECK_STR(closed, "2026-12-25;2027-01-01");
	hours_parse_lists(&back, open, closed);
	CHECK_INT(back.nopen, 2);
	CHECK_INT(back.nclosed, 2);
	CHECK(memcmp(back.open, h.open, sizeof(h.open[0]) * 2) == 0);
	CHECK(memcmp(back.closed, h.closed, sizeof(h.closed[0]) * 2) == 0);
}

/* A destination's hours from text: "ZONE|range;range|date;date|otherwise". */
static struct dest_hours hours_of(const char *tz, const char *open, const char *closed,
                                  const char *otherwise)
{
	struct dest_hours h = {0};
	h.tz = (char *)tz;
	h.otherwise = (char *)otherwise;
	hours_parse_lists(&h, open, closed);
	return h;
}

static void rules(void)
{
	static const struct {
		const char *tz, *open, *closed, *otherwise, *self, *err; /* err NULL: fine */
	} c[] = {
	    {NULL, "", "", NULL, "a", NULL},
	    {"America/Los_Angeles", "mon-fri 08:00-18:00", "2026-12-25", "b", "a", NULL},
	    {NULL, "mon-fri 08:00-18:00", "", "b", "a", "need a time zone"},
	    {"America/Los_Angeles", "", "", "b", "a", "without opening hours"},
	    {"America/Los_Angeles", "mon-fri 08:00-18:00", "", NULL, "a", "need --otherwise"},
	    {"America/Los_Angeles", "mon-fri 08:00-18:00", "", "a", "a", "the destination itself"},
	    {"America/Los_Angeles", "mon-fri 08:00-18:00", "", "B c", "a", "not a destination"},
	    {"../../etc/passwd", "mon-fri 08:00-18:00", "", "b", "a", "not a time zone name"},
	    {"UTC", "mon 08:00-09:00;mon 08:00-09:00", "", "b", "a", "given twice"},
	    {"UTC", "mon 08:00-09:00", "2026-12-25;2026-12-25", "b", "a", "given twice"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct dest_hours h = hours_of(c[i].tz, c[i].open, c[i].closed, c[i].otherwise);
		char err[512] = "";
		int rc = hours_check(&h, c[i].self, err, sizeof(err));
		char name[32];
		snprintf(name, sizeof(name), "rule %zu", i);
		test_current = name;
		CHECK_INT(rc, c[i].err ? EINVAL : 0);
		if (c[i].err && !CHECK(strstr(err, c[i].err) != NULL))
			fprintf(stderr, "  err: %s\n", err);
	}
}

static struct tz *zone(const char *name)
{
	struct tz *z = NULL;
	char err[256];
	if (!CHECK_INT(zone_load(name, &z, err, sizeof(err)), 0))
		fprintf(stderr, "  %s\n", err);
	return z;
}

/* Open or closed at instants: both sides of each DST change, the half-hour zones. */
static void open_at(void)
{
	static const struct {
		const char *tz, *open, *closed;
		long long t;
		bool open_, closed_date;
	} c[] = {
	    /* New York, open daily 08:00-09:00: 12:30Z is 07:30 EST the day before the change,
	     * 08:30 EDT on it; 13:30Z is 09:30 EDT before the fall change, 08:30 EST on it */
	    {"America/New_York", "daily 08:00-09:00", "", 1772886600, false, false},
	    {"America/New_York", "daily 08:00-09:00", "", 1772973000, true, false},
	    {"America/New_York", "daily 08:00-09:00", "", 1793453400, false, false},
	    {"America/New_York", "daily 08:00-09:00", "", 1793539800, true, false},
	    /* London, the same hours: 07:30Z is 07:30 GMT on 2026-03-28, 08:30 BST on the 29th;
	     * 08:30Z is 09:30 BST on 2026-10-24, 08:30 GMT on the 25th */
	    {"Europe/London", "daily 08:00-09:00", "", 1774683000, false, false},
	    {"Europe/London", "daily 08:00-09:00", "", 1774769400, true, false},
	    {"Europe/London", "daily 08:00-09:00", "", 1792830600, false, false},
	    {"Europe/London", "daily 08:00-09:00", "", 1792917000, true, false},
	    /* Kolkata (+05:30) and Kathmandu (+05:45), open 09:00-09:30 on weekdays: 03:35Z
	     * on Monday 2026-06-01 is 09:05 in Kolkata and 09:20 in Kathmandu; 03:50Z is 09:20
	     * and 09:35 */
	    {"Asia/Kolkata", "mon-fri 09:00-09:30", "", 1780284900, true, false},
	    {"Asia/Kolkata", "mon-fri 09:00-09:30", "", 1780285800, true, false},
	    {"Asia/Kathmandu", "mon-fri 09:00-09:30", "", 1780284900, true, false},
	    {"Asia/Kathmandu", "mon-fri 09:00-09:30", "", 1780285800, false, false},
	    /* Lord Howe: +10:30, +11 from 2026-10-04 02:00; open sundays 08:00-08:20: 21:15Z on
	     * Saturday 2026-10-03 is 08:15 on Sunday in +11, 07:45 a week before in +10:30 */
	    {"Australia/Lord_Howe", "sun 08:00-08:20", "", 1791062100, true, false},
	    {"Australia/Lord_Howe", "sun 08:00-08:20", "", 1790457300, false, false},
	    /* a closed date is the whole local day, in the zone's own date */
	    {"America/Los_Angeles", "mon-fri 08:00-18:00", "2026-12-25", 1798221600, false, true},
	    {"America/Los_Angeles", "mon-fri 08:00-18:00", "2026-12-25", 1798135200, true, false},
	    /* 2026-12-26T07:30Z is still the 25th in Los Angeles (23:30 PST) */
	    {"America/Los_Angeles", "daily 00:00-24:00", "2026-12-25", 1798270200, false, true},
	    {"America/Los_Angeles", "daily 00:00-24:00", "2026-12-25", 1798273800, true, false},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tz *z = zone(c[i].tz);
		if (!z)
			continue;
		struct dest_hours h = hours_of(c[i].tz, c[i].open, c[i].closed, "x");
		bool cd;
		char name[64];
		snprintf(name, sizeof(name), "open_at %zu %s", i, c[i].tz);
		test_current = name;
		CHECK_INT(hours_open_at(&h, z, c[i].t, &cd), c[i].open_);
		CHECK_INT(cd, c[i].closed_date);
		tz_free(z);
	}
}

static void instants(void)
{
	struct tz *ny = zone("America/New_York");
	static const struct {
		const char *in;
		long long t; /* -1: refused */
		bool twice;
	} c[] = {
	    {"2026-07-01T12:00-04:00", 1782921600, false},
	    {"2026-07-01T16:00Z", 1782921600, false},
	    {"2026-07-01T16:00:00z", 1782921600, false},
	    {"2026-07-01T21:30+0530", 1782921600, false},
	    {"2026-07-01 12:00", 1782921600, false}, /* local, in New York */
	    {"2026-07-01T12:00", 1782921600, false},
	    {"2026-11-01T01:30", 1793511000, true}, /* twice: the first (EDT) */
	    {"2026-03-08T02:30", -1, false},        /* never */
	    {"now", 12345, false},
	    {"2026-07-01", -1, false},
	    {"2026-02-30T10:00Z", -1, false},
	    {"2026-07-01T25:00Z", -1, false},
	    {"2026-07-01T12:00+24:00", -1, false},
	    {"yesterday", -1, false},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int64_t t = 0;
		bool twice = false;
		char err[256] = "";
		test_current = c[i].in;
		int rc = hours_parse_instant(c[i].in, ny, 12345, &t, &twice, err, sizeof(err));
		CHECK_INT(rc, c[i].t < 0 ? EINVAL : 0);
		if (c[i].t >= 0) {
			CHECK_INT(t, c[i].t);
			CHECK_INT(twice, c[i].twice);
		} else {
			CHECK(err[0] != '\0');
		}
	}
	char err[256];
	int64_t t;
	CHECK_INT(hours_parse_instant("2026-07-01T12:00", NULL, 0, &t, NULL, err, sizeof(err)),
	          EINVAL);
	CHECK(strstr(err, "has no UTC offset") != NULL);
	char out[96];
	hours_format_instant(ny, 1782921600, out, sizeof(out));
	CHECK_STR(out, "2026-07-01T12:00:00-04:00 (EDT)");
	hours_format_instant(NULL, 1782921600, out, sizeof(out));
	CHECK_STR(out, "2026-07-01T16:00:00Z");
	tz_free(ny);
}

/* A set with hours: which destination answers, along --otherwise chains. */
static void pick(void)
{
	struct dest d[] = {
	    {.name = (char *)"front-desk",
	     .route = (char *)"+14155550123",
	     .hours = hours_of("America/New_York", "mon-fri 09:00-17:00", "2026-12-25", "evening")},
	    {.name = (char *)"evening",
	     .route = (char *)"+14155550124",
	     .hours = hours_of("America/New_York", "mon-fri 17:00-21:00", "", "night")},
	    {.name = (char *)"night", .route = (char *)"sip:oncall@pbx.example.com"},
	    {.name = (char *)"lost",
	     .route = (char *)"+14155550125",
	     .hours = hours_of("Mars/Olympus_Mons", "daily 00:00-00:01", "", "night")},
	};
	struct dest_error e;
	CHECK_INT(dest_validate_set(d, 4, &e), 0);
	struct dest_set *s = dest_set_new(d, 4);
	CHECK_INT(dest_set_load_zones(s, zone_load), 1); /* Mars is not a zone */
	CHECK(strstr(s->zone_error, "lost: unknown time zone Mars/Olympus_Mons") != NULL);
	static const struct {
		const char *name;
		long long t;
		const char *answers;
		size_t hops;
		bool closed_date;
	} c[] = {
	    {"front-desk", 1782921600, "front-desk", 0, false}, /* Wed 12:00 EDT */
	    {"front-desk", 1782943200, "evening", 1, false},    /* Wed 18:00 EDT */
	    {"front-desk", 1782957600, "night", 2, false},      /* Wed 22:00 EDT */
	    {"front-desk", 1798214400, "night", 2, true},       /* Fri 2026-12-25 12:00 EST */
	    {"evening", 1782943200, "evening", 0, false},
	    {"night", 1782957600, "night", 0, false},
	    {"NIGHT", 1782957600, "night", 0, false},
	    {"lost", 1782957600, "lost", 0, false}, /* its zone is not loaded: it answers */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct dest_pick p;
		char name[64];
		snprintf(name, sizeof(name), "pick %s %lld", c[i].name, c[i].t);
		test_current = name;
		const struct dest *a = dest_set_pick(s, str_c(c[i].name), c[i].t, &p);
		CHECK(a != NULL);
		if (!a)
			continue;
		CHECK_STR(a->name, c[i].answers);
		CHECK_INT(p.hops, c[i].hops);
		CHECK(p.asked != NULL && strcasecmp(p.asked->name, c[i].name) == 0);
		if (c[i].hops)
			CHECK_INT(p.closed_date, c[i].closed_date);
	}
	CHECK(dest_set_pick(s, str_c("nobody"), 0, NULL) == NULL);
	dest_set_release(s);
}

/* The set's rules: --otherwise names one of the set, and never comes back round. */
static void set_rules(void)
{
	struct dest d[] = {
	    {.name = (char *)"a",
	     .route = (char *)"+14155550123",
	     .hours = hours_of("UTC", "daily 09:00-17:00", "", "b")},
	    {.name = (char *)"b",
	     .route = (char *)"+14155550124",
	     .hours = hours_of("UTC", "daily 09:00-17:00", "", "c")},
	    {.name = (char *)"c", .route = (char *)"+14155550125"},
	};
	struct dest_error e;
	CHECK_INT(dest_validate_set(d, 3, &e), 0);
	d[1].hours.otherwise = (char *)"a"; /* a -> b -> a */
	CHECK_INT(dest_validate_set(d, 3, &e), EINVAL);
	if (!CHECK(strstr(e.msg, "a: --otherwise makes a cycle (a -> b -> a)") != NULL))
		fprintf(stderr, "  msg: %s\n", e.msg);
	d[1].hours.otherwise = (char *)"z";
	CHECK_INT(dest_validate_set(d, 3, &e), EINVAL);
	CHECK(strstr(e.msg, "b: --otherwise z names no destination of the set") != NULL);
	CHECK_STR(e.field, "hours");
	/* a destination's own hours rules come through dest_validate */
	d[2].hours = hours_of("UTC", "", "", "a");
	CHECK_INT(dest_validate(&d[2], &e), EINVAL);
	CHECK_STR(e.field, "hours");
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"ranges", ranges},       {"dates", dates},       {"rules", rules},
	    {"open_at", open_at},     {"instants", instants}, {"pick", pick},
	    {"set_rules", set_rules}, {NULL, NULL},
	};
	return test_run(cases);
}

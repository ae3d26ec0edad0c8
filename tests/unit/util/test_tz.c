/* test_tz: TZif parsing and the offsets it gives, against the system's zone files (the
 * transition days of America/New_York and Europe/London, the 30- and 45-minute zones)
 * and hand-built TZif data (the footer rule alone, version 1, malformed files). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/zones.h"
#include "test.h"
#include "util/buf.h"
#include "util/tz.h"

static struct tz *zone(const char *name)
{
	struct tz *z = NULL;
	char err[256];
	int rc = zone_load(name, &z, err, sizeof(err));
	if (rc)
		fprintf(stderr, "zone_load %s: %s\n", name, err);
	CHECK_INT(rc, 0);
	return z;
}

/* Instants (from the IANA data: each line is a second before and at a change). */
static const struct {
	const char *zone;
	long long t;
	int utoff;
	int isdst;
	const char *abbr;
} offsets[] = {
    /* New York 2026: EDT from 2026-03-08 02:00 EST, EST from 2026-11-01 02:00 EDT */
    {"America/New_York", 1772953199, -18000, 0, "EST"},
    {"America/New_York", 1772953200, -14400, 1, "EDT"},
    {"America/New_York", 1793512799, -14400, 1, "EDT"},
    {"America/New_York", 1793512800, -18000, 0, "EST"},
    {"America/New_York", 646790400, -14400, 1, "EDT"},  /* 1990-07-01: the table */
    {"America/New_York", 4118083200, -14400, 1, "EDT"}, /* 2100-07-01: the footer */
    {"America/New_York", 4102444800, -18000, 0, "EST"}, /* 2100-01-01 */
    /* London 2026: BST from 2026-03-29 01:00 UTC to 2026-10-25 01:00 UTC */
    {"Europe/London", 1774745999, 0, 0, "GMT"},
    {"Europe/London", 1774746000, 3600, 1, "BST"},
    {"Europe/London", 1792889999, 3600, 1, "BST"},
    {"Europe/London", 1792890000, 0, 0, "GMT"},
    /* Lord Howe: +10:30, and a 30-minute DST (+11) from the first Sunday of October */
    {"Australia/Lord_Howe", 1775314799, 39600, 1, "+11"},
    {"Australia/Lord_Howe", 1775314800, 37800, 0, "+1030"},
    {"Australia/Lord_Howe", 1791041399, 37800, 0, "+1030"},
    {"Australia/Lord_Howe", 1791041400, 39600, 1, "+11"},
    {"Asia/Kolkata", 1780272000, 19800, 0, "IST"},
    {"Asia/Kathmandu", 1780272000, 20700, 0, "+0545"},
    {"UTC", 1780272000, 0, 0, "UTC"},
};

static void real_zones(void)
{
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct tz *z = zone(offsets[i].zone);
		if (!z)
			continue;
		struct tz_info in;
		tz_at(z, offsets[i].t, &in);
		if (!CHECK_INT(in.utoff, offsets[i].utoff))
			fprintf(stderr, "  at %s %lld\n", offsets[i].zone, offsets[i].t);
		CHECK_INT(in.isdst, offsets[i].isdst);
		CHECK_STR(in.abbr, offsets[i].abbr);
		tz_free(z);
	}
}

static int64_t local(struct tz *z, const char *when, int64_t t[2])
{
	struct tz_civil c = {0};
	long long y;
	sscanf(when, "%lld-%d-%d %d:%d", &y, &c.mon, &c.day, &c.hour, &c.min);
	c.year = y;
	return tz_local(z, &c, t);
}

static void local_times(void)
{
	int64_t t[2];
	struct tz *ny = zone("America/New_York");
	CHECK_INT(local(ny, "2026-07-01 12:00", t), 1);
	CHECK_INT(t[0], 1782921600); /* 16:00Z */
	/* 02:30 on 2026-03-08 never happens in New York */
	CHECK_INT(local(ny, "2026-03-08 02:30", t), 0);
	CHECK_INT(local(ny, "2026-03-08 03:00", t), 1);
	CHECK_INT(t[0], 1772953200);
	/* 01:30 on 2026-11-01 happens twice: EDT, then EST */
	CHECK_INT(local(ny, "2026-11-01 01:30", t), 2);
	CHECK_INT(t[0], 1793511000);
	CHECK_INT(t[1], 1793514600);
	tz_free(ny);
	struct tz *lh = zone("Australia/Lord_Howe");
	/* the clocks go from 02:00 to 02:30 on 2026-10-04, and back from 02:00 to 01:30 on
	 * 2026-04-05 */
	CHECK_INT(local(lh, "2026-10-04 02:15", t), 0);
	CHECK_INT(local(lh, "2026-04-05 01:45", t), 2);
	CHECK_INT(t[1] - t[0], 1800);
	tz_free(lh);
	struct tz *kt = zone("Asia/Kathmandu");
	CHECK_INT(local(kt, "2026-06-01 05:45", t), 1);
	CHECK_INT(t[0], 1780272000);
	tz_free(kt);
}

/* --- hand-built TZif --- */

static void be32(struct buf *b, uint32_t v)
{
	char c[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
	buf_add(b, c, 4);
}

static void be64(struct buf *b, int64_t v)
{
	be32(b, (uint32_t)((uint64_t)v >> 32));
	be32(b, (uint32_t)v);
}

/* A header: version, then isut, isstd, leap, time, type, char counts. */
static void hdr(struct buf *b, char v, uint32_t leap, uint32_t times, uint32_t types,
                uint32_t chars)
{
	buf_add(b, "TZif", 4);
	buf_addc(b, v);
	buf_add(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15);
	be32(b, 0);
	be32(b, 0);
	be32(b, leap);
	be32(b, times);
	be32(b, types);
	be32(b, chars);
}

/* Version 2 with no transitions, one type and this footer. */
static void footer_only(struct buf *b, const char *rule, int32_t off, const char *abbr)
{
	uint32_t nc = (uint32_t)strlen(abbr) + 1;
	for (int pass = 0; pass < 2; pass++) {
		hdr(b, '2', 0, 0, 1, nc);
		be32(b, (uint32_t)off);
		buf_addc(b, 0);
		buf_addc(b, 0);
		buf_add(b, abbr, nc);
	}
	buf_addc(b, '\n');
	buf_adds(b, rule);
	buf_addc(b, '\n');
}

static struct tz *parse_buf(struct buf *b, int want)
{
	struct tz *z = NULL;
	int rc = tz_parse(b->p, b->len, &z);
	CHECK_INT(rc, want);
	return rc ? NULL : z;
}

static void footer_rules(void)
{
	static const struct {
		const char *rule;
		long long t;
		int utoff, isdst;
		const char *abbr;
	} c[] = {
	    /* the US rule, 2026 */
	    {"EST5EDT,M3.2.0,M11.1.0", 1772953199, -18000, 0, "EST"},
	    {"EST5EDT,M3.2.0,M11.1.0", 1772953200, -14400, 1, "EDT"},
	    {"EST5EDT,M3.2.0,M11.1.0", 1793512799, -14400, 1, "EDT"},
	    {"EST5EDT,M3.2.0,M11.1.0", 1793512800, -18000, 0, "EST"},
	    /* no rule: the US default */
	    {"EST5EDT", 1793512800, -18000, 0, "EST"},
	    /* the EU rule with its /1 time */
	    {"GMT0BST,M3.5.0/1,M10.5.0", 1774746000, 3600, 1, "BST"},
	    {"GMT0BST,M3.5.0/1,M10.5.0", 1792890000, 0, 0, "GMT"},
	    /* southern hemisphere, half-hour offsets and a half-hour DST */
	    {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 1775314799, 39600, 1, "+11"},
	    {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 1775314800, 37800, 0, "+1030"},
	    {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 1791041400, 39600, 1, "+11"},
	    {"<+0545>-5:45", 1780272000, 20700, 0, "+0545"},
	    /* RFC 8536 3.3.1: negative and past-24 h rule times (DST all year) */
	    {"EST5EDT,0/0,J365/25", 1780272000, -14400, 1, "EDT"},
	    {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1780272000, -3600, 1, "-01"},
	    /* Jn and zero-based n dates */
	    {"XST3XDT,J60/0,J300/0", 1772334000, -7200, 1, "XDT"},
	    {"XST3XDT,59/0,300/0", 1835406000, -7200, 1, "XDT"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct buf b;
		buf_init(&b, 4096);
		footer_only(&b, c[i].rule, 0, "LMT");
		struct tz *z = parse_buf(&b, 0);
		if (z) {
			struct tz_info in;
			tz_at(z, c[i].t, &in);
			if (!CHECK_INT(in.utoff, c[i].utoff))
				fprintf(stderr, "  rule %s at %lld\n", c[i].rule, c[i].t);
			CHECK_INT(in.isdst, c[i].isdst);
			CHECK_STR(in.abbr, c[i].abbr);
		}
		tz_free(z);
		buf_free(&b);
	}
	CHECK_INT(tz_days_from_civil(2026, 3, 1) * 86400 + 3 * 3600, 1772334000);
	CHECK_INT(tz_days_from_civil(2028, 2, 29) * 86400 + 3 * 3600, 1835406000);
	/* an empty footer: the last type stays */
	struct buf b;
	buf_init(&b, 4096);
	footer_only(&b, "", 3600, "CET");
	struct tz *z = parse_buf(&b, 0);
	struct tz_info in;
	if (z) {
		tz_at(z, 1780272000, &in);
		CHECK_INT(in.utoff, 3600);
		CHECK_STR(in.abbr, "CET");
	}
	tz_free(z);
	buf_free(&b);
}

/* A version-1 file: 32-bit transitions, no footer. */
static void version1(void)
{
	struct buf b;
	buf_init(&b, 4096);
	hdr(&b, 0, 0, 2, 2, 8);
	be32(&b, 1000000);
	be32(&b, 2000000);
	buf_addc(&b, 1);
	buf_addc(&b, 0);
	be32(&b, 3600);
	buf_addc(&b, 0);
	buf_addc(&b, 0);
	be32(&b, 7200);
	buf_addc(&b, 1);
	buf_addc(&b, 4);
	buf_add(&b, "CET\0CEST", 8);
	struct tz *z = parse_buf(&b, 0);
	struct tz_info in;
	if (z) {
		tz_at(z, 999999, &in); /* before the first: type 0 */
		CHECK_INT(in.utoff, 3600);
		tz_at(z, 1000000, &in);
		CHECK_INT(in.utoff, 7200);
		CHECK_STR(in.abbr, "CEST");
		tz_at(z, 5000000, &in);
		CHECK_INT(in.utoff, 3600);
	}
	tz_free(z);
	buf_free(&b);
}

static void malformed(void)
{
	struct tz *z = NULL;
	CHECK_INT(tz_parse("TZif", 4, &z), EBADMSG);
	CHECK_INT(tz_parse("", 0, &z), EBADMSG);
	struct buf b;
	/* bad magic, bad version */
	buf_init(&b, 4096);
	footer_only(&b, "UTC0", 0, "UTC");
	b.p[0] = 'X';
	CHECK_INT(tz_parse(b.p, b.len, &z), EBADMSG);
	b.p[0] = 'T';
	b.p[4] = '9';
	CHECK_INT(tz_parse(b.p, b.len, &z), EBADMSG);
	b.p[4] = '2';
	/* every truncation fails cleanly */
	for (size_t n = 0; n < b.len; n++)
		if (tz_parse(b.p, n, &z) == 0) {
			CHECK(!"a truncated file parsed");
			tz_free(z);
			break;
		}
	CHECK_INT(tz_parse(b.p, b.len, &z), 0);
	tz_free(z);
	buf_free(&b);
	/* bad footers */
	static const char *const rules[] = {
	    "EST",  "EST5EDT,M3.2.0", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
	    "<E>5", "EST25",          "EST5EDT,J0,J100",         "EST5 EDT"};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		buf_init(&b, 4096);
		footer_only(&b, rules[i], 0, "LMT");
		if (!CHECK_INT(tz_parse(b.p, b.len, &z), EBADMSG))
			fprintf(stderr, "  rule %s\n", rules[i]);
		buf_free(&b);
	}
	/* leap seconds, descending transitions, a type index out of range */
	buf_init(&b, 4096);
	hdr(&b, 0, 1, 0, 1, 4);
	be32(&b, 0);
	buf_add(&b, "\0\0UTC\0", 6);
	be32(&b, 78796800);
	be32(&b, 1);
	CHECK_INT(tz_parse(b.p, b.len, &z), EBADMSG);
	buf_free(&b);
	buf_init(&b, 4096);
	hdr(&b, 0, 0, 2, 1, 4);
	be32(&b, 2000);
	be32(&b, 1000);
	buf_add(&b, "\0\0", 2);
	be32(&b, 0);
	buf_add(&b, "\0\0UTC\0", 6);
	CHECK_INT(tz_parse(b.p, b.len, &z), EBADMSG);
	buf_free(&b);
	buf_init(&b, 4096);
	hdr(&b, 0, 0, 1, 1, 4);
	be32(&b, 1000);
	buf_addc(&b, 1);
	be32(&b, 0);
	buf_add(&b, "\0\0UTC\0", 6);
	CHECK_INT(tz_parse(b.p, b.len, &z), EBADMSG);
	buf_free(&b);
	/* a count over the limits */
	buf_init(&b, 4096);
	hdr(&b, 0, 0, TZ_MAX_TIMES + 1, 1, 4);
	CHECK_INT(tz_parse(b.p, b.len, &z), E2BIG);
	buf_free(&b);
	(void)be64;
}

static void names(void)
{
	static const struct {
		const char *name;
		bool ok;
	} c[] = {
	    {"America/Los_Angeles", true},
	    {"America/Argentina/Buenos_Aires", true},
	    {"Etc/GMT+5", true},
	    {"UTC", true},
	    {"EST5EDT", true},
	    {"", false},
	    {"/etc/passwd", false},
	    {"../../etc/passwd", false},
	    {"America/../../etc/shadow", false},
	    {"America//New_York", false},
	    {"America/", false},
	    {"posixrules", false},
	    {"right/UTC", false},
	    {"America/New York", false},
	    {"America/New_York\n", false},
	    {"Europe/London.", false},
	    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (!CHECK_INT(tz_name_ok(c[i].name), c[i].ok))
			fprintf(stderr, "  name \"%s\"\n", c[i].name);
	struct tz *z = NULL;
	char err[256];
	CHECK_INT(zone_load("America/Los_Angles", &z, err, sizeof(err)), ENOENT);
	CHECK(strstr(err, "unknown time zone America/Los_Angles") != NULL);
	CHECK_INT(zone_load("../etc/passwd", &z, err, sizeof(err)), EINVAL);
	CHECK_INT(zone_load("America", &z, err, sizeof(err)), ENOENT); /* a directory */
	CHECK(z == NULL);
}

static void civil(void)
{
	struct tz_civil c;
	tz_civil_of(0, 0, &c);
	CHECK_INT(c.year, 1970);
	CHECK_INT(c.wday, 4);
	tz_civil_of(1782921600, -14400, &c); /* 2026-07-01 12:00 EDT, a Wednesday */
	CHECK_INT(c.year, 2026);
	CHECK_INT(c.mon, 7);
	CHECK_INT(c.day, 1);
	CHECK_INT(c.hour, 12);
	CHECK_INT(c.wday, 3);
	tz_civil_of(-1, 0, &c);
	CHECK_INT(c.year, 1969);
	CHECK_INT(c.mon, 12);
	CHECK_INT(c.day, 31);
	CHECK_INT(c.sec, 59);
	CHECK_INT(c.wday, 3);
	CHECK_INT(tz_days_from_civil(2000, 3, 1), 11017);
	CHECK_INT(tz_month_days(2028, 2), 29);
	CHECK_INT(tz_month_days(2100, 2), 28);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"real_zones", real_zones},
	    {"local_times", local_times},
	    {"footer_rules", footer_rules},
	    {"version1", version1},
	    {"malformed", malformed},
	    {"names", names},
	    {"civil", civil},
	    {NULL, NULL},
	};
	return test_run(cases);
}

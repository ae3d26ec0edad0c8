/* tz: TZif (RFC 8536) and POSIX TZ strings read from bytes; offsets and local times
 * computed from the parsed zone alone (never TZ, tzset or localtime). */
#include "util/tz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define HDR_LEN    44
#define UTOFF_MIN  (-89999) /* RFC 8536 3.2: the range a utoff should keep to */
#define UTOFF_MAX  93599
#define RULE_HOURS 167                /* RFC 8536 3.3.1: a rule's time may run to 167 hours */
#define T_LIMIT    ((int64_t)1 << 52) /* instants beyond are clamped (no overflow) */

struct tz_type {
	int32_t utoff;
	bool isdst;
	uint8_t abbr; /* index into chars */
};

/* One date of a POSIX rule: Jn (1-365, no Feb 29), n (0-365), or Mm.w.d. */
struct rule_date {
	char kind; /* 'J', 'D' or 'M' */
	int n, m, w, d;
	int32_t time; /* seconds after local midnight (may be negative or past 24 h) */
};

/* The footer: what applies after the last transition. */
struct rule {
	bool has;     /* a non-empty footer */
	bool has_dst; /* a DST part */
	int32_t std_off, dst_off;
	char std_abbr[TZ_ABBR_MAX + 1], dst_abbr[TZ_ABBR_MAX + 1];
	struct rule_date start, end;
};

struct tz {
	size_t ntimes;
	int64_t *times;
	uint8_t *idx;
	size_t ntypes;
	struct tz_type *types;
	char chars[TZ_MAX_CHARS + 1];
	struct rule rule;
};

/* --- calendar --- */

bool tz_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tz_month_days(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12)
		return 0;
	return days[m - 1] + (m == 2 && tz_leap(y));
}

/* Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms). */
int64_t tz_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void tz_civil_of(int64_t t, int32_t utoff, struct tz_civil *out)
{
	if (t > T_LIMIT)
		t = T_LIMIT;
	if (t < -T_LIMIT)
		t = -T_LIMIT;
	int64_t s = t + utoff;
	int64_t z = floor_div(s, 86400);
	int64_t sod = s - z * 86400;
	out->wday = (int)(((z % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	out->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	out->year = yoe + era * 400 + (out->mon <= 2);
	out->hour = (int)(sod / 3600);
	out->min = (int)(sod / 60 % 60);
	out->sec = (int)(sod % 60);
}

/* --- the POSIX TZ string (RFC 8536 3.3, POSIX 8.3) --- */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An abbreviation: three or more letters, or <...> of letters, digits, '+', '-'. */
static const char *p_abbr(const char *p, char out[TZ_ABBR_MAX + 1])
{
	size_t n = 0;
	if (*p == '<') {
		p++;
		while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-') {
			if (n == TZ_ABBR_MAX)
				return NULL;
			out[n++] = *p++;
		}
		if (*p++ != '>')
			return NULL;
	} else {
		while (is_alpha(*p)) {
			if (n == TZ_ABBR_MAX)
				return NULL;
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return n >= 3 ? p : NULL;
}

static const char *p_num(const char *p, int min, int max, int *v)
{
	if (!is_digit(*p))
		return NULL;
	int x = 0;
	while (is_digit(*p)) {
		x = x * 10 + (*p++ - '0');
		if (x > max)
			return NULL;
	}
	if (x < min)
		return NULL;
	*v = x;
	return p;
}

/* [+-]hh[:mm[:ss]] as seconds, hh at most maxh. */
static const char *p_hms(const char *p, int maxh, int32_t *secs)
{
	int sign = 1, h = 0, m = 0, s = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!(p = p_num(p, 0, maxh, &h)))
		return NULL;
	if (*p == ':' && !(p = p_num(p + 1, 0, 59, &m)))
		return NULL;
	if (*p == ':' && !(p = p_num(p + 1, 0, 59, &s)))
		return NULL;
	*secs = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *p_date(const char *p, struct rule_date *d)
{
	if (*p == 'J') {
		d->kind = 'J';
		p = p_num(p + 1, 1, 365, &d->n);
	} else if (*p == 'M') {
		d->kind = 'M';
		if ((p = p_num(p + 1, 1, 12, &d->m)) && *p == '.' &&
		    (p = p_num(p + 1, 1, 5, &d->w)) && *p == '.')
			p = p_num(p + 1, 0, 6, &d->d);
		else
			p = NULL;
	} else {
		d->kind = 'D';
		p = p_num(p, 0, 365, &d->n);
	}
	if (!p)
		return NULL;
	d->time = 7200;
	if (*p == '/')
		p = p_hms(p + 1, RULE_HOURS, &d->time);
	return p;
}

/* Parses a footer; an empty one leaves r->has false. */
static int parse_rule(const char *s, struct rule *r)
{
	memset(r, 0, sizeof(*r));
	if (!*s)
		return 0;
	const char *p = p_abbr(s, r->std_abbr);
	int32_t off;
	if (!p || !(p = p_hms(p, 24, &off)))
		return EBADMSG;
	r->has = true;
	r->std_off = -off; /* POSIX offsets are west of Greenwich */
	if (!*p)
		return 0;
	if (!(p = p_abbr(p, r->dst_abbr)))
		return EBADMSG;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = p_hms(p, 24, &off)))
			return EBADMSG;
		r->dst_off = -off;
	}
	if (!*p) { /* no rule given: the US rule POSIX implementations use */
		r->start = (struct rule_date){'M', 0, 3, 2, 0, 7200};
		r->end = (struct rule_date){'M', 0, 11, 1, 0, 7200};
		return 0;
	}
	if (*p != ',' || !(p = p_date(p + 1, &r->start)) || *p != ',' ||
	    !(p = p_date(p + 1, &r->end)) || *p)
		return EBADMSG;
	return 0;
}

/* The day of year (0-based) a rule date falls on in year y. */
static int rule_yday(const struct rule_date *d, int64_t y)
{
	if (d->kind == 'J')
		return d->n - 1 + (tz_leap(y) && d->n >= 60);
	if (d->kind == 'D')
		return d->n; /* 365 in a common year is the next 1 January, as written */
	int64_t first = tz_days_from_civil(y, d->m, 1);
	int wday1 = (int)(((first % 7) + 11) % 7);
	int day = 1 + (d->d - wday1 + 7) % 7 + (d->w - 1) * 7;
	if (day > tz_month_days(y, d->m))
		day -= 7;
	return (int)(tz_days_from_civil(y, d->m, day) - tz_days_from_civil(y, 1, 1));
}

static int64_t rule_instant(const struct rule_date *d, int64_t y, int32_t off_before)
{
	return (tz_days_from_civil(y, 1, 1) + rule_yday(d, y)) * 86400 + d->time - off_before;
}

static void rule_at(const struct rule *r, int64_t t, struct tz_info *o)
{
	bool dst = false;
	if (r->has_dst) {
		struct tz_civil c;
		tz_civil_of(t, r->std_off, &c);
		int64_t s = rule_instant(&r->start, c.year, r->std_off);
		int64_t e = rule_instant(&r->end, c.year, r->dst_off);
		dst = s < e ? (s <= t && t < e) : !(e <= t && t < s);
	}
	o->utoff = dst ? r->dst_off : r->std_off;
	o->isdst = dst;
	memcpy(o->abbr, dst ? r->dst_abbr : r->std_abbr, sizeof(o->abbr));
}

/* --- TZif --- */

struct hdr {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int read_hdr(const uint8_t *p, size_t len, struct hdr *h)
{
	if (len < HDR_LEN || memcmp(p, "TZif", 4) != 0)
		return EBADMSG;
	h->version = (char)p[4];
	if (h->version != 0 && (h->version < '2' || h->version > '4'))
		return EBADMSG;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	if (h->timecnt > TZ_MAX_TIMES || h->typecnt > TZ_MAX_TYPES || h->charcnt > TZ_MAX_CHARS ||
	    h->leapcnt > TZ_MAX_TIMES)
		return E2BIG;
	if (h->typecnt == 0 || h->charcnt == 0 || (h->isutcnt && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt && h->isstdcnt != h->typecnt))
		return EBADMSG;
	return 0;
}

/* The data block's length after a header, with tsize-byte times. */
static size_t block_len(const struct hdr *h, size_t tsize)
{
	return (size_t)h->timecnt * (tsize + 1) + (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Reads one data block into z. */
static int read_block(const struct hdr *h, const uint8_t *p, size_t tsize, struct tz *z)
{
	if (h->leapcnt)
		return EBADMSG; /* leap-second files ("right/") count time differently */
	z->ntimes = h->timecnt;
	z->times = xcalloc(h->timecnt ? h->timecnt : 1, sizeof(*z->times));
	z->idx = xcalloc(h->timecnt ? h->timecnt : 1, 1);
	for (size_t i = 0; i < h->timecnt; i++) {
		z->times[i] = tsize == 8 ? be64(p) : (int32_t)be32(p);
		p += tsize;
		if (i && z->times[i] <= z->times[i - 1])
			return EBADMSG;
	}
	for (size_t i = 0; i < h->timecnt; i++) {
		z->idx[i] = *p++;
		if (z->idx[i] >= h->typecnt)
			return EBADMSG;
	}
	z->ntypes = h->typecnt;
	z->types = xcalloc(h->typecnt, sizeof(*z->types));
	for (size_t i = 0; i < h->typecnt; i++, p += 6) {
		int32_t off = (int32_t)be32(p);
		if (off < UTOFF_MIN || off > UTOFF_MAX || p[4] > 1 || p[5] >= h->charcnt)
			return EBADMSG;
		z->types[i] = (struct tz_type){off, p[4] == 1, p[5]};
	}
	memcpy(z->chars, p, h->charcnt);
	z->chars[h->charcnt] = '\0';
	/* isstd/isut only matter for POSIX-rule files without a footer: not read */
	return 0;
}

int tz_parse(const void *data, size_t len, struct tz **out)
{
	const uint8_t *p = data;
	struct hdr h;
	if (len > TZ_FILE_MAX)
		return E2BIG;
	int rc = read_hdr(p, len, &h);
	if (rc)
		return rc;
	size_t tsize = 4, at = HDR_LEN;
	if (h.version >= '2') {
		/* skip the 32-bit block: its counts need not fit the limits' sense */
		size_t skip = (size_t)h.timecnt * 5 + (size_t)h.typecnt * 6 + h.charcnt +
		              (size_t)h.leapcnt * 8 + h.isstdcnt + h.isutcnt;
		if (len - at < skip)
			return EBADMSG;
		at += skip;
		if ((rc = read_hdr(p + at, len - at, &h)))
			return rc;
		if (h.version < '2')
			return EBADMSG;
		at += HDR_LEN;
		tsize = 8;
	}
	size_t blen = block_len(&h, tsize);
	if (len - at < blen)
		return EBADMSG;
	struct tz *z = xcalloc(1, sizeof(*z));
	rc = read_block(&h, p + at, tsize, z);
	at += blen;
	if (!rc && tsize == 8) {
		/* the footer: "\n" POSIX-TZ "\n" */
		const char *f = (const char *)p + at;
		size_t left = len - at;
		const char *nl = left > 1 && f[0] == '\n' ? memchr(f + 1, '\n', left - 1) : NULL;
		char rule[TZ_RULE_MAX + 1];
		size_t rl = nl ? (size_t)(nl - f - 1) : 0;
		if (!nl || rl > TZ_RULE_MAX || memchr(f + 1, '\0', rl))
			rc = nl && rl > TZ_RULE_MAX ? E2BIG : EBADMSG;
		else {
			memcpy(rule, f + 1, rl);
			rule[rl] = '\0';
			rc = parse_rule(rule, &z->rule);
		}
	}
	if (rc) {
		tz_free(z);
		return rc;
	}
	*out = z;
	return 0;
}

void tz_free(struct tz *z)
{
	if (!z)
		return;
	free(z->times);
	free(z->idx);
	free(z->types);
	free(z);
}

static void type_info(const struct tz *z, size_t i, struct tz_info *o)
{
	const struct tz_type *ty = &z->types[i];
	o->utoff = ty->utoff;
	o->isdst = ty->isdst;
	size_t k = 0;
	for (const char *a = z->chars + ty->abbr; *a && k < TZ_ABBR_MAX; a++)
		o->abbr[k++] = *a;
	o->abbr[k] = '\0';
}

void tz_at(const struct tz *z, int64_t t, struct tz_info *out)
{
	if (t > T_LIMIT)
		t = T_LIMIT;
	if (t < -T_LIMIT)
		t = -T_LIMIT;
	size_t n = z->ntimes;
	if ((n == 0 || t >= z->times[n - 1]) && z->rule.has) {
		rule_at(&z->rule, t, out);
		return;
	}
	if (n == 0 || t < z->times[0]) {
		type_info(z, 0, out);
		return;
	}
	size_t lo = 0, hi = n; /* the last transition at or before t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	type_info(z, z->idx[lo], out);
}

/* Adds x to the sorted solutions t[0..*n) (at most 2 kept: the earliest). */
static void add_solution(int64_t t[2], int *n, int64_t x)
{
	for (int k = 0; k < *n; k++)
		if (t[k] == x)
			return;
	if (*n < 2) {
		t[(*n)++] = x;
	} else if (x < t[1]) {
		t[1] = x;
	} else {
		return;
	}
	if (*n == 2 && t[1] < t[0]) {
		int64_t y = t[0];
		t[0] = t[1];
		t[1] = y;
	}
}

int tz_local(const struct tz *z, const struct tz_civil *l, int64_t t[2])
{
	int64_t L = tz_days_from_civil(l->year, l->mon, l->day) * 86400 + l->hour * 3600 +
	            l->min * 60 + l->sec;
	/* an instant x has local time L when utoff(x) = L - x: so L - o for each offset o
	 * the zone has (its types and its footer's two) is every candidate there is */
	int n = 0;
	size_t ncand = z->ntypes + (z->rule.has ? 2 : 0);
	for (size_t i = 0; i < ncand; i++) {
		int32_t o = i < z->ntypes    ? z->types[i].utoff
		            : i == z->ntypes ? z->rule.std_off
		                             : z->rule.dst_off;
		struct tz_info c;
		tz_at(z, L - o, &c);
		if (c.utoff == o)
			add_solution(t, &n, L - o);
	}
	return n;
}

bool tz_name_ok(const char *name)
{
	if (!name)
		return false;
	size_t n = strlen(name);
	if (n == 0 || n > TZ_NAME_MAX)
		return false;
	bool start = true;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (start) {
			if (c < 'A' || c > 'Z')
				return false;
			start = false;
		} else if (c == '/') {
			start = true;
		} else if (!is_alpha(c) && !is_digit(c) && !strchr("_+-", c)) {
			return false;
		}
	}
	return !start;
}

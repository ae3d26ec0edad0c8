/* dest_set: an immutable, refcounted set of destinations (one environment at one
 * moment), each destination's answer compiled once, looked up by name. */
#include "webhooks/dest_set.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dest *)a)->name, ((const struct dest *)b)->name);
}

/* Compiles each destination's answer once, so requests only splice values in, and
 * finds each one's --otherwise once. */
static void compile_set(struct dest_set *set)
{
	if (!set->n)
		return;
	set->tmpl = xcalloc(set->n, sizeof(*set->tmpl));
	set->other = xcalloc(set->n, sizeof(*set->other));
	set->zone = xcalloc(set->n, sizeof(*set->zone));
	for (size_t i = 0; i < set->n; i++) {
		set->tmpl[i] = dest_compile(&set->dests[i]);
		const struct dest *o = NULL;
		if (set->dests[i].hours.tz && set->dests[i].hours.otherwise)
			o = dest_set_find(set, str_c(set->dests[i].hours.otherwise));
		set->other[i] = o ? (size_t)(o - set->dests) : SIZE_MAX;
	}
}

size_t dest_set_load_zones(struct dest_set *s, dest_zone_loader load)
{
	size_t failed = 0;
	for (size_t i = 0; i < s->n; i++) {
		const char *name = s->dests[i].hours.tz;
		if (!name || s->zone[i])
			continue;
		struct tz *z = NULL;
		char err[sizeof(s->zone_error)];
		if (load(name, &z, err, sizeof(err)) != 0) {
			if (!s->zone_error[0])
				snprintf(s->zone_error, sizeof(s->zone_error), "%.64s: %.180s",
				         s->dests[i].name, err);
			failed++;
			continue;
		}
		s->zones = xreallocarray(s->zones, s->nzones + 1, sizeof(*s->zones));
		s->zones[s->nzones++] = z;
		for (size_t k = i; k < s->n; k++) /* every destination in that zone */
			if (s->dests[k].hours.tz && strcmp(s->dests[k].hours.tz, name) == 0)
				s->zone[k] = z;
	}
	return failed;
}

const struct tz *dest_set_zone(const struct dest_set *s, const struct dest *d)
{
	if (!s->zone || d < s->dests || d >= s->dests + s->n)
		return NULL;
	return s->zone[d - s->dests];
}

const struct dest *dest_set_pick(const struct dest_set *s, struct str name, int64_t now,
                                 struct dest_pick *pick)
{
	const struct dest *d = dest_set_find(s, name);
	if (pick)
		*pick = (struct dest_pick){.asked = d};
	for (size_t hop = 0; d && d->hours.tz && hop < s->n; hop++) {
		size_t i = (size_t)(d - s->dests);
		bool closed_date = false;
		/* without its zone the hours cannot be read: it answers (zone_error says) */
		if (!s->zone[i] || s->other[i] == SIZE_MAX ||
		    hours_open_at(&d->hours, s->zone[i], now, &closed_date))
			break;
		if (pick) {
			if (hop == 0)
				pick->closed_date = closed_date;
			pick->hops = hop + 1;
		}
		d = &s->dests[s->other[i]];
	}
	return d;
}

void dest_set_answer_note(const struct dest_set *s, const struct dest *d, int64_t t, char *out,
                          size_t cap)
{
	out[0] = '\0';
	if (!d->hours.tz)
		return;
	struct dest_pick pick;
	const struct dest *ans = dest_set_pick(s, str_c(d->name), t, &pick);
	if (!dest_set_zone(s, d))
		snprintf(out, cap, "open (zone %s not loaded)", d->hours.tz);
	else if (ans == d)
		snprintf(out, cap, "open");
	else
		snprintf(out, cap, "closed%s -> %s", pick.closed_date ? " (closed date)" : "",
		         ans ? ans->name : "?");
}

int dest_set_render(const struct dest_set *s, const struct dest *d, const struct dest_vars *v,
                    struct buf *out)
{
	if (s && s->tmpl && d >= s->dests && d < s->dests + s->n && s->tmpl[d - s->dests])
		return dest_tmpl_render(s->tmpl[d - s->dests], v, out);
	return dest_render(d, v, out);
}

struct dest_set *dest_set_adopt(struct dest *dests, size_t n)
{
	struct dest_set *set = xcalloc(1, sizeof(*set));
	set->refs = 1;
	set->dests = dests;
	set->n = n;
	if (n)
		qsort(set->dests, n, sizeof(*set->dests), by_name);
	compile_set(set);
	return set;
}

struct dest_set *dest_set_new(const struct dest *dests, size_t n)
{
	struct dest *copy = n ? xcalloc(n, sizeof(*copy)) : NULL;
	for (size_t i = 0; i < n; i++) {
		struct dest *c = dest_dup(&dests[i]);
		copy[i] = *c;
		free(c);
	}
	return dest_set_adopt(copy, n);
}

const struct dest *dest_set_find(const struct dest_set *s, struct str name)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = s->dests[mid].name;
		size_t mlen = strlen(m);
		int c = strncasecmp(m, name.p ? name.p : "", mlen < name.len ? mlen : name.len);
		if (c == 0)
			c = mlen < name.len ? -1 : mlen > name.len ? 1 : 0;
		if (c == 0)
			return &s->dests[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void dest_set_hold(struct dest_set *s)
{
	__atomic_fetch_add(&s->refs, 1, __ATOMIC_RELAXED);
}

void dest_set_release(struct dest_set *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < s->n; i++) {
		dest_clear(&s->dests[i]);
		if (s->tmpl)
			dest_tmpl_free(s->tmpl[i]);
	}
	for (size_t i = 0; i < s->nzones; i++)
		tz_free(s->zones[i]);
	free(s->zones);
	free((void *)s->zone);
	free(s->other);
	free(s->tmpl);
	free(s->dests);
	free(s);
}

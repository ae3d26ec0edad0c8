/* dest_set: an immutable, refcounted set of destinations (one environment at one
 * moment), each destination's answer compiled once, looked up by name. */
#include "webhooks/dest_set.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dest *)a)->name, ((const struct dest *)b)->name);
}

/* Compiles each destination's answer once, so requests only splice values in. */
static void compile_set(struct dest_set *set)
{
	if (!set->n)
		return;
	set->tmpl = xcalloc(set->n, sizeof(*set->tmpl));
	for (size_t i = 0; i < set->n; i++)
		set->tmpl[i] = dest_compile(&set->dests[i]);
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
	free(s->tmpl);
	free(s->dests);
	free(s);
}

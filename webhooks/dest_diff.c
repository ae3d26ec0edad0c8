/* dest_diff: what changed between two versions of a destination, field by field. */
#include "webhooks/dest_diff.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "util/mem.h"

/* A field's value as text: a borrowed string, or written into tmp (DEST_DIFF_TEXT_MAX
 * bytes); NULL when absent. */
typedef const char *(*field_get)(const struct dest *d, char *tmp);

static const char *get_description(const struct dest *d, char *tmp)
{
	(void)tmp;
	return d->description;
}
static const char *get_route(const struct dest *d, char *tmp)
{
	(void)tmp;
	return d->route;
}
static const char *get_caller_id(const struct dest *d, char *tmp)
{
	(void)tmp;
	return d->caller_id;
}
static const char *get_timeout(const struct dest *d, char *tmp)
{
	if (!d->timeout)
		return NULL;
	snprintf(tmp, DEST_DIFF_TEXT_MAX, "%d", d->timeout);
	return tmp;
}

/* Appends one item of a ", "-joined list to tmp (at *at); an item that does not fit is
 * left out (the limits make them fit). */
static void join(char *tmp, size_t *at, const char *item)
{
	size_t n = strlen(item);
	if (*at + (*at ? 2 : 0) + n + 1 > DEST_DIFF_TEXT_MAX)
		return;
	if (*at) {
		memcpy(tmp + *at, ", ", 2);
		*at += 2;
	}
	memcpy(tmp + *at, item, n + 1);
	*at += n;
}

static const char *get_failover(const struct dest *d, char *tmp)
{
	size_t at = 0;
	tmp[0] = '\0';
	for (size_t i = 0; i < d->nfailover; i++)
		join(tmp, &at, d->failover[i] ? d->failover[i] : "");
	return at ? tmp : NULL;
}
static const char *get_tz(const struct dest *d, char *tmp)
{
	(void)tmp;
	return d->hours.tz;
}
static const char *get_open(const struct dest *d, char *tmp)
{
	size_t at = 0;
	char one[HOURS_TEXT_MAX];
	tmp[0] = '\0';
	for (size_t i = 0; i < d->hours.nopen; i++) {
		hours_format_range(&d->hours.open[i], one);
		join(tmp, &at, one);
	}
	return at ? tmp : NULL;
}
static const char *get_closed(const struct dest *d, char *tmp)
{
	size_t at = 0;
	char one[HOURS_TEXT_MAX];
	tmp[0] = '\0';
	for (size_t i = 0; i < d->hours.nclosed; i++) {
		hours_format_date(&d->hours.closed[i], one);
		join(tmp, &at, one);
	}
	return at ? tmp : NULL;
}
static const char *get_otherwise(const struct dest *d, char *tmp)
{
	(void)tmp;
	return d->hours.otherwise;
}

/* The fields compared, in the order they are shown; a new field of struct dest is a new row
 * (named as its 'handoff dest' option and the console's form field). Headers come after
 * these. */
static const struct {
	const char *name;
	field_get get;
} fields[] = {
    {"description", get_description},
    {"route", get_route},
    {"failover", get_failover},
    {"caller_id", get_caller_id},
    {"timeout", get_timeout},
    {"tz", get_tz},
    {"open", get_open},
    {"closed", get_closed},
    {"otherwise", get_otherwise},
};
_Static_assert(sizeof(fields) / sizeof(fields[0]) <= DEST_DIFF_FIELDS,
               "DEST_DIFF_FIELDS counts the fields table");
_Static_assert(DEST_DIFF_TEXT_MAX >= HOURS_LIST_MAX, "a list of ranges or dates fits");

const char *dest_change_name(enum dest_change c)
{
	static const char *const names[] = {"same", "added", "changed", "removed"};
	return (unsigned)c < 4 ? names[c] : "?";
}

static bool same(const char *a, const char *b)
{
	if (!a || !*a)
		return !b || !*b;
	return b && strcmp(a, b) == 0;
}

static const struct dest_header *header_named(const struct dest *d, const char *name)
{
	for (size_t i = 0; d && i < d->nheaders; i++)
		if (strcasecmp(d->headers[i].name, name) == 0)
			return &d->headers[i];
	return NULL;
}

static struct dest_delta *next(struct dest_delta *out, size_t max, size_t *n, const char *field)
{
	size_t i = (*n)++;
	if (i >= max)
		return NULL;
	struct dest_delta *d = &out[i];
	memset(d->field, 0, sizeof(d->field));
	snprintf(d->field, sizeof(d->field), "%s", field);
	d->before = d->after = NULL;
	return d;
}

size_t dest_diff(const struct dest *a, const struct dest *b, struct dest_delta *out, size_t max)
{
	size_t n = 0;
	struct dest_delta scratch = {0}; /* the text of a field past max, counted only */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		/* written straight into the delta when there is room for one */
		struct dest_delta *d = n < max ? &out[n] : &scratch;
		const char *va = a ? fields[i].get(a, d->text[0]) : NULL;
		const char *vb = b ? fields[i].get(b, d->text[1]) : NULL;
		if (same(va, vb))
			continue;
		if (next(out, max, &n, fields[i].name) != d)
			continue;
		d->before = va;
		d->after = vb;
	}
	char f[DEST_HEADER_NAME_MAX + 16];
	for (size_t i = 0; a && i < a->nheaders; i++) {
		const struct dest_header *hb = header_named(b, a->headers[i].name);
		if (hb && same(a->headers[i].value, hb->value))
			continue;
		snprintf(f, sizeof(f), "header %.*s", DEST_HEADER_NAME_MAX, a->headers[i].name);
		struct dest_delta *d = next(out, max, &n, f);
		if (d) {
			d->before = a->headers[i].value;
			d->after = hb ? hb->value : NULL;
		}
	}
	for (size_t i = 0; b && i < b->nheaders; i++) {
		if (header_named(a, b->headers[i].name))
			continue;
		snprintf(f, sizeof(f), "header %.*s", DEST_HEADER_NAME_MAX, b->headers[i].name);
		struct dest_delta *d = next(out, max, &n, f);
		if (d)
			d->after = b->headers[i].value;
	}
	/* the same headers in another order render another URI */
	bool moved = a && b && a->nheaders == b->nheaders;
	for (size_t i = 0; moved && i < a->nheaders; i++)
		if (!header_named(b, a->headers[i].name))
			moved = false;
	bool any = false;
	for (size_t i = 0; moved && i < a->nheaders; i++)
		any |= strcasecmp(a->headers[i].name, b->headers[i].name) != 0;
	if (moved && any) {
		struct dest_delta *d = next(out, max, &n, "header order");
		if (d) {
			d->before = a->headers[0].name;
			d->after = b->headers[0].name;
		}
	}
	return n;
}

int dest_diff_text(const struct dest *a, const struct dest *b, struct buf *out)
{
	struct dest_delta *d = xcalloc(DEST_DIFF_MAX, sizeof(*d));
	size_t n = dest_diff(a, b, d, DEST_DIFF_MAX);
	if (n > DEST_DIFF_MAX)
		n = DEST_DIFF_MAX;
	if (!n) {
		free(d);
		return buf_adds(out, "no change");
	}
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		if (strcmp(d[i].field, "header order") == 0)
			rc = buf_printf(out, "%sheader order changed", i ? "; " : "");
		else if (!a || !b) /* added or removed: what it holds */
			rc = buf_printf(out, "%s%s: %s", i ? "; " : "", d[i].field,
			                a ? d[i].before : d[i].after);
		else
			rc = buf_printf(out, "%s%s: %s -> %s", i ? "; " : "", d[i].field,
			                d[i].before ? d[i].before : "(none)",
			                d[i].after ? d[i].after : "(none)");
	}
	free(d);
	return rc;
}

int dest_set_changes_text(const struct dest_set *from, const struct dest *to, size_t nto,
                          struct buf *out)
{
	size_t add = 0, chg = 0, rm = 0;
	for (size_t i = 0; i < nto; i++) {
		const struct dest *o = dest_set_find(from, str_c(to[i].name));
		struct dest_delta dd[1];
		if (!o)
			add++;
		else if (dest_diff(o, &to[i], dd, 1))
			chg++;
	}
	for (size_t i = 0; i < from->n; i++) {
		bool kept = false;
		for (size_t k = 0; k < nto && !kept; k++)
			kept = strcasecmp(from->dests[i].name, to[k].name) == 0;
		rm += !kept;
	}
	return buf_printf(out, "%zu added, %zu changed, %zu removed", add, chg, rm);
}

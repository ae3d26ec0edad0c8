/* dest_json: the destinations file format and --json shapes, over jansson. */
#include "store/dest_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/mem.h"

/* The keys of one destination object, in the order they are written. */
static const char *const dest_keys[] = {"name",    "description", "route", "caller_id", "timeout",
                                        "headers", "failover",    "hours", NULL};

static json_t *dest_obj(const struct dest *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(d->name));
	if (d->description)
		json_object_set_new(o, "description", json_string(d->description));
	json_object_set_new(o, "route", json_string(d->route));
	if (d->caller_id)
		json_object_set_new(o, "caller_id", json_string(d->caller_id));
	if (d->timeout)
		json_object_set_new(o, "timeout", json_integer(d->timeout));
	json_t *h = json_array();
	for (size_t i = 0; i < d->nheaders; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string(d->headers[i].name));
		json_object_set_new(e, "value", json_string(d->headers[i].value));
		json_array_append_new(h, e);
	}
	json_object_set_new(o, "headers", h);
	if (d->nfailover) { /* optional: absent = none */
		json_t *f = json_array();
		for (size_t i = 0; i < d->nfailover; i++)
			json_array_append_new(f, json_string(d->failover[i]));
		json_object_set_new(o, "failover", f);
	}
	if (d->hours.tz) {
		json_t *hr = json_object(), *open = json_array(), *closed = json_array();
		char t[HOURS_TEXT_MAX];
		for (size_t i = 0; i < d->hours.nopen; i++) {
			hours_format_range(&d->hours.open[i], t);
			json_array_append_new(open, json_string(t));
		}
		for (size_t i = 0; i < d->hours.nclosed; i++) {
			hours_format_date(&d->hours.closed[i], t);
			json_array_append_new(closed, json_string(t));
		}
		json_object_set_new(hr, "tz", json_string(d->hours.tz));
		json_object_set_new(hr, "open", open);
		json_object_set_new(hr, "closed", closed);
		json_object_set_new(hr, "otherwise", json_string(d->hours.otherwise));
		json_object_set_new(o, "hours", hr);
	}
	return o;
}

static char *dump(json_t *j, size_t flags)
{
	char *s = json_dumps(j, flags);
	json_decref(j);
	if (!s)
		abort(); /* only on out-of-memory */
	char *c = xstrdup(s);
	free(s);
	return c;
}

char *dest_json_dest(const struct dest *d)
{
	return dump(dest_obj(d), JSON_INDENT(2));
}

char *dest_json_set(const struct dest_set *s, const char *env)
{
	json_t *o = json_object();
	json_object_set_new(o, "format", json_string(DEST_JSON_FORMAT));
	json_object_set_new(o, "format_version", json_integer(DEST_JSON_VERSION));
	json_object_set_new(o, "env", json_string(env));
	json_object_set_new(o, "version", json_integer(s->version));
	json_t *a = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(a, dest_obj(&s->dests[i]));
	json_object_set_new(o, "destinations", a);
	char *text = dump(o, JSON_INDENT(2));
	char *withnl = xasprintf("%s\n", text);
	free(text);
	return withnl;
}

static int bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return EBADMSG;
}

/* An optional string member: NULL when absent or null. */
static int get_str(json_t *o, const char *key, const char *where, bool required, char **out,
                   char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (required)
			return bad(err, errlen, "%s: \"%s\" is missing", where, key);
		return 0;
	}
	if (!json_is_string(v))
		return bad(err, errlen, "%s.%s must be a string", where, key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return bad(err, errlen, "%s.%s holds a NUL character", where, key);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* "failover": an array of route strings (format_version 2); absent or null = none. */
static int parse_failover(json_t *o, const char *where, struct dest *d, char *err, size_t errlen)
{
	json_t *f = json_object_get(o, "failover");
	if (!f || json_is_null(f))
		return 0;
	if (!json_is_array(f))
		return bad(err, errlen, "%s.failover must be an array of SIP routes", where);
	size_t n = json_array_size(f);
	if (n > DEST_MAX_FAILOVER)
		return bad(err, errlen, "%s.failover: %zu routes, over the limit of %d", where, n,
		           DEST_MAX_FAILOVER);
	if (n)
		d->failover = xcalloc(n, sizeof(*d->failover));
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(f, i);
		if (!json_is_string(r) || strlen(json_string_value(r)) != json_string_length(r))
			return bad(err, errlen, "%s.failover[%zu] must be a string (a SIP route)",
			           where, i);
		d->failover[i] = xstrdup(json_string_value(r));
		d->nfailover = i + 1;
	}
	return 0;
}

/* "hours": {"tz", "open": [...], "closed": [...], "otherwise"} (format_version 2). */
static int parse_hours(json_t *o, const char *where, struct dest_hours *h, char *err, size_t errlen)
{
	char hw[96];
	snprintf(hw, sizeof(hw), "%s.hours", where);
	if (!json_is_object(o))
		return bad(err, errlen,
		           "%s must be {\"tz\", \"open\": [...], \"closed\": [...], \"otherwise\"}",
		           hw);
	const char *key;
	json_t *val;
	json_object_foreach(o, key, val)
	{
		if (strcmp(key, "tz") && strcmp(key, "open") && strcmp(key, "closed") &&
		    strcmp(key, "otherwise"))
			return bad(
			    err, errlen,
			    "%s: unknown key \"%.40s\": the keys are tz, open, closed, otherwise",
			    hw, key);
	}
	int rc;
	if ((rc = get_str(o, "tz", hw, true, &h->tz, err, errlen)) ||
	    (rc = get_str(o, "otherwise", hw, true, &h->otherwise, err, errlen)))
		return rc;
	for (int kind = 0; kind < 2; kind++) {
		const char *k = kind ? "closed" : "open";
		json_t *a = json_object_get(o, k);
		size_t max = kind ? HOURS_CLOSED_MAX : HOURS_OPEN_MAX;
		if (!a || json_is_null(a))
			continue;
		if (!json_is_array(a) || json_array_size(a) > max)
			return bad(err, errlen, "%s.%s must be an array of at most %zu strings", hw,
			           k, max);
		for (size_t i = 0; i < json_array_size(a); i++) {
			const char *t = json_string_value(json_array_get(a, i));
			char why[256];
			if (!t)
				return bad(err, errlen, "%s.%s[%zu] must be a string", hw, k, i);
			if (kind ? hours_parse_date(t, &h->closed[h->nclosed++], why, sizeof(why))
			         : hours_parse_range(t, &h->open[h->nopen++], why, sizeof(why)))
				return bad(err, errlen, "%s.%s[%zu]: %s", hw, k, i, why);
		}
	}
	return 0;
}

static int parse_dest(json_t *o, const char *where, int version, struct dest *d, char *err,
                      size_t errlen)
{
	if (!json_is_object(o))
		return bad(err, errlen, "%s must be an object", where);
	const char *key;
	json_t *val;
	json_object_foreach(o, key, val)
	{
		bool known = false;
		for (int i = 0; dest_keys[i]; i++)
			if (strcmp(key, dest_keys[i]) == 0)
				known = true;
		if (known && version < 2 && strcmp(key, "failover") == 0)
			return bad(err, errlen,
			           "%s: \"failover\" needs format_version 2 (this file says %d)",
			           where, version);
		if (known && version < 2 && strcmp(key, "hours") == 0)
			return bad(err, errlen,
			           "%s: \"hours\" needs \"format_version\": 2 (this file says %d)",
			           where, version);
		if (!known)
			return bad(
			    err, errlen,
			    "%s: unknown key \"%.40s\": the keys are name, description, route, "
			    "caller_id, timeout, headers, failover, hours",
			    where, key);
	}
	json_t *hr = json_object_get(o, "hours");
	int hrc = hr && !json_is_null(hr) ? parse_hours(hr, where, &d->hours, err, errlen) : 0;
	if (hrc)
		return hrc;
	int rc;
	if ((rc = get_str(o, "name", where, true, &d->name, err, errlen)) ||
	    (rc = get_str(o, "description", where, false, &d->description, err, errlen)) ||
	    (rc = get_str(o, "route", where, true, &d->route, err, errlen)) ||
	    (rc = get_str(o, "caller_id", where, false, &d->caller_id, err, errlen)))
		return rc;
	json_t *t = json_object_get(o, "timeout");
	if (t && !json_is_null(t)) {
		if (!json_is_integer(t) || json_integer_value(t) < 0 ||
		    json_integer_value(t) > 100000)
			return bad(err, errlen, "%s.timeout must be a number of seconds (5-600)",
			           where);
		d->timeout = (int)json_integer_value(t);
	}
	if ((rc = parse_failover(o, where, d, err, errlen)))
		return rc;
	json_t *h = json_object_get(o, "headers");
	if (!h || json_is_null(h))
		return 0;
	if (!json_is_array(h))
		return bad(err, errlen, "%s.headers must be an array of {\"name\", \"value\"}",
		           where);
	size_t nh = json_array_size(h);
	if (nh > DEST_MAX_HEADERS)
		return bad(err, errlen, "%s.headers: %zu headers, over the limit of %d", where, nh,
		           DEST_MAX_HEADERS);
	if (nh)
		d->headers = xcalloc(nh, sizeof(*d->headers));
	for (size_t i = 0; i < nh; i++) {
		char hw[128];
		snprintf(hw, sizeof(hw), "%s.headers[%zu]", where, i);
		json_t *e = json_array_get(h, i);
		if (!json_is_object(e) || json_object_size(e) != 2)
			return bad(err, errlen, "%s must be {\"name\": ..., \"value\": ...}", hw);
		d->nheaders = i + 1;
		if ((rc = get_str(e, "name", hw, true, &d->headers[i].name, err, errlen)) ||
		    (rc = get_str(e, "value", hw, true, &d->headers[i].value, err, errlen)))
			return rc;
	}
	return 0;
}

int dest_json_parse(const char *text, size_t len, struct dest **out, size_t *n, char *err,
                    size_t errlen)
{
	if (len > DEST_JSON_MAX_BYTES)
		return bad(err, errlen, "the file is %zu bytes, over the limit of %d", len,
		           DEST_JSON_MAX_BYTES);
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return bad(err, errlen, "line %d, column %d: %s", je.line, je.column, je.text);
	int rc = 0;
	struct dest *d = NULL;
	size_t nd = 0;
	json_t *f = json_object_get(root, "format");
	json_t *fv = json_object_get(root, "format_version");
	json_t *a = json_object_get(root, "destinations");
	if (!json_is_object(root)) {
		rc = bad(err, errlen,
		         "the file must hold one JSON object (see docs/destinations.md)");
	} else if (!json_is_string(f) || strcmp(json_string_value(f), DEST_JSON_FORMAT) != 0) {
		rc = bad(err, errlen, "\"format\" must be \"%s\": is this a 'handoff export' file?",
		         DEST_JSON_FORMAT);
	} else if (!json_is_integer(fv)) {
		rc = bad(err, errlen, "\"format_version\" is missing or not a number");
	} else if (json_integer_value(fv) < DEST_JSON_VERSION_MIN ||
	           json_integer_value(fv) > DEST_JSON_VERSION) {
		rc = bad(
		    err, errlen, "format_version %lld is not one this handoff reads (%d to %d): %s",
		    (long long)json_integer_value(fv), DEST_JSON_VERSION_MIN, DEST_JSON_VERSION,
		    json_integer_value(fv) > DEST_JSON_VERSION ? "upgrade handoff"
		                                               : "re-export the file");
	} else if (!json_is_array(a)) {
		rc = bad(err, errlen, "\"destinations\" must be an array");
	} else if (json_array_size(a) > STORE_MAX_DESTS) {
		rc = bad(err, errlen, "%zu destinations, over the limit of %d", json_array_size(a),
		         STORE_MAX_DESTS);
	} else {
		const char *key;
		json_t *val;
		json_object_foreach(root, key, val)
		{
			if (strcmp(key, "format") && strcmp(key, "format_version") &&
			    strcmp(key, "env") && strcmp(key, "version") &&
			    strcmp(key, "destinations")) {
				rc = bad(err, errlen,
				         "unknown key \"%.40s\": the keys are format, "
				         "format_version, env, "
				         "version, destinations",
				         key);
				break;
			}
		}
		nd = json_array_size(a);
		d = nd ? xcalloc(nd, sizeof(*d)) : NULL;
		for (size_t i = 0; !rc && i < nd; i++) {
			char where[64];
			snprintf(where, sizeof(where), "destinations[%zu]", i);
			rc = parse_dest(json_array_get(a, i), where, (int)json_integer_value(fv),
			                &d[i], err, errlen);
		}
	}
	json_decref(root);
	if (rc) {
		dest_json_free(d, nd);
		return rc;
	}
	*out = d;
	*n = nd;
	return 0;
}

void dest_json_free(struct dest *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dest_clear(&d[i]);
	free(d);
}

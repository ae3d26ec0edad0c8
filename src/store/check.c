/* check: what every write checks before it touches the database (a destination, a whole
 * set with its zones), the error line, and the rest of the store that needs no database. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"
#include "store/zones.h"

/* A test-only pause inside write transactions, so a test can kill the
 * process in the middle of one (HANDOFF_TEST_STALL_MS). */
void store_test_stall(void)
{
	const char *s = getenv("HANDOFF_TEST_STALL_MS");
	if (s && *s) {
		long ms = strtol(s, NULL, 10);
		if (ms > 0 && ms <= 10000) {
			/* a marker the test waits for, so its kill lands inside the window */
			fprintf(stderr, "handoff: test stall %ld ms\n", ms);
			usleep((useconds_t)ms * 1000);
		}
	}
}

void store_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A refusal as one line, and its hint (if any) on a second. */
int store_refused(const struct dest_error *e, const char *prefix, char *err, size_t errlen)
{
	store_seterr(err, errlen, "%s%s%s%s", prefix, e->msg, e->hint[0] ? "\n" : "", e->hint);
	return EINVAL;
}

int store_validate(const struct dest *d, char *err, size_t errlen)
{
	struct dest_error e;
	if (dest_validate(d, &e))
		return store_refused(&e, "", err, errlen);
	return 0;
}

int store_check_set(const struct dest *all, size_t n, const struct dest *d, const char *prefix,
                    char *err, size_t errlen)
{
	struct dest_error e;
	int rc;
	if (dest_validate_set(all, n, &e))
		rc = store_refused(&e, prefix, err, errlen);
	else
		rc = zone_check_all(d ? d : all, d ? 1 : n, prefix, err, errlen);
	size_t nl = d ? strlen(d->name) : 0;
	if (rc && d && err && strncmp(err, d->name, nl) == 0 && strncmp(err + nl, ": ", 2) == 0)
		memmove(err, err + nl + 2, strlen(err + nl + 2) + 1); /* the CLI names it */
	return rc;
}

void store_versions_free(struct store_version *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].message);
		free(v[i].author);
	}
	free(v);
}

/* zones: zone names checked and their TZif files read from the system's tz database. */
#include "store/zones.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mem.h"

static int zfail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int zfail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const char *zone_dir(void)
{
	const char *d = getenv("TZDIR");
	return d && *d ? d : ZONE_DIR_DEFAULT;
}

int zone_load(const char *name, struct tz **out, char *err, size_t errlen)
{
	if (!tz_name_ok(name))
		return zfail(err, errlen, EINVAL,
		             "\"%.80s\" is not a time zone name: write an IANA zone such as "
		             "America/Los_Angeles or Europe/London",
		             name ? name : "");
	const char *dir = zone_dir();
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return zfail(err, errlen, E2BIG, "the zone directory %s is too long", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR)
			return zfail(err, errlen, ENOENT,
			             "unknown time zone %s: it is not in %s (the names are "
			             "case-sensitive, e.g. America/New_York; is tzdata installed?)",
			             name, dir);
		return zfail(err, errlen, EIO, "cannot read time zone %s: %s: %s", name, path,
		             strerror(e));
	}
	struct stat sb;
	int rc = 0;
	char *data = NULL;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = zfail(err, errlen, ENOENT, "unknown time zone %s: %s is not a zone file", name,
		           path);
		goto out;
	}
	if (sb.st_size > TZ_FILE_MAX) {
		rc = zfail(err, errlen, E2BIG, "time zone %s: %s is over %d bytes", name, path,
		           TZ_FILE_MAX);
		goto out;
	}
	size_t len = (size_t)sb.st_size, got = 0;
	data = xmalloc(len + 1);
	while (got < len) {
		ssize_t n = read(fd, data + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = zfail(err, errlen, EIO, "cannot read time zone %s: %s: %s", name, path,
			           n < 0 ? strerror(errno) : "the file got shorter");
			goto out;
		}
		got += (size_t)n;
	}
	rc = tz_parse(data, len, out);
	if (rc)
		zfail(err, errlen, rc, "time zone %s: %s is not TZif data this handoff reads", name,
		      path);
out:
	free(data);
	close(fd);
	return rc;
}

int zone_check_all(const struct dest *d, size_t n, const char *prefix, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		bool seen = !d[i].hours.tz;
		for (size_t k = 0; k < i && !seen; k++)
			seen = d[k].hours.tz && strcmp(d[k].hours.tz, d[i].hours.tz) == 0;
		if (seen)
			continue;
		struct tz *z = NULL;
		char why[400];
		int rc = zone_load(d[i].hours.tz, &z, why, sizeof(why));
		tz_free(z);
		if (rc)
			return zfail(err, errlen, EINVAL, "%s%s: %s", prefix, d[i].name, why);
	}
	return 0;
}

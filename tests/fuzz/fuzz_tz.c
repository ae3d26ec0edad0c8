/* fuzz_tz: libFuzzer target: any bytes through tz_parse (TZif, its footer's POSIX TZ
 * string), and a parsed zone asked for offsets and local times: no crash, no
 * undefined behaviour, offsets in range, and tz_local finding the instants of a local
 * time (at least the one it came from), each mapping back to it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tz *z = NULL;
	if (tz_parse(data, size, &z) != 0)
		return 0;
	static const int64_t at[] = {INT64_MIN,    -2208988800, -1,         0,
	                             1772953200,   1793512800,  2147483647, 4118083200,
	                             253402300799, INT64_MAX};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		struct tz_info in;
		tz_at(z, at[i], &in);
		if (in.utoff < -89999 || in.utoff > 93599 || strlen(in.abbr) > TZ_ABBR_MAX)
			abort();
		if (at[i] < -(INT64_C(1) << 40) || at[i] > (INT64_C(1) << 40))
			continue;
		struct tz_civil c;
		tz_civil_of(at[i], in.utoff, &c);
		int64_t t[2];
		int n = tz_local(z, &c, t);
		if (n < 1) /* at[i] itself has that local time */
			abort();
		for (int k = 0; k < n; k++) {
			struct tz_info back;
			struct tz_civil c2;
			tz_at(z, t[k], &back);
			tz_civil_of(t[k], back.utoff, &c2);
			if (c2.year != c.year || c2.mon != c.mon || c2.day != c.day ||
			    c2.hour != c.hour || c2.min != c.min || c2.sec != c.sec)
				abort();
		}
	}
	tz_free(z);
	return 0;
}

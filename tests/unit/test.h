/* test: a tiny table-friendly unit test harness; each test binary prints
 * its failures and ends with "N passed, N failed" (N counts checks). */
#ifndef HANDOFF_TEST_H
#define HANDOFF_TEST_H

#include <stdio.h>
#include <string.h>

static int test_passed, test_failed;
static const char *test_current = "";

#define CHECK(cond)          test_check((cond), #cond, __FILE__, __LINE__)
#define CHECK_STR(got, want) test_check_str((got), (want), #got, __FILE__, __LINE__)
#define CHECK_INT(got, want)                                                                       \
	test_check_int((long long)(got), (long long)(want), #got, __FILE__, __LINE__)

static inline int test_check(int ok, const char *expr, const char *file, int line)
{
	if (ok) {
		test_passed++;
	} else {
		test_failed++;
		fprintf(stderr, "FAIL %s: %s:%d: %s\n", test_current, file, line, expr);
	}
	return ok;
}

static inline int test_check_str(const char *got, const char *want, const char *expr,
                                 const char *file, int line)
{
	int ok = got && want ? strcmp(got, want) == 0 : got == want;
	if (ok) {
		test_passed++;
	} else {
		test_failed++;
		fprintf(stderr, "FAIL %s: %s:%d: %s\n  got:  %s\n  want: %s\n", test_current, file,
		        line, expr, got ? got : "(null)", want ? want : "(null)");
	}
	return ok;
}

static inline int test_check_int(long long got, long long want, const char *expr, const char *file,
                                 int line)
{
	int ok = got == want;
	if (ok) {
		test_passed++;
	} else {
		test_failed++;
		fprintf(stderr, "FAIL %s: %s:%d: %s = %lld, want %lld\n", test_current, file, line,
		        expr, got, want);
	}
	return ok;
}

struct test_case {
	const char *name;
	void (*fn)(void);
};

/* Runs every case of a NULL-terminated table; returns the exit status. */
static inline int test_run(const struct test_case *cases)
{
	for (const struct test_case *t = cases; t->name; t++) {
		test_current = t->name;
		t->fn();
	}
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif

/* store_int: what the store's files share (the schema's SQL, the checks every write makes,
 * the error line); not for other modules, which use store.h. */
#ifndef HANDOFF_STORE_INT_H
#define HANDOFF_STORE_INT_H

#include <stddef.h>

#include "store/store.h"

/* The schema, one migration per version: store_migrations[i] takes a database from
 * schema i to i + 1 (schema.c). */
extern const char *const store_migrations[STORE_SCHEMA];

/* Writes a message into err (caller's buffer, may be NULL). */
void store_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A refusal as one line (prefix, then e's message), and its hint (if any) on a second;
 * returns EINVAL. */
int store_refused(const struct dest_error *e, const char *prefix, char *err, size_t errlen);
/* dest_validate, its refusal written to err: 0 or EINVAL. */
int store_validate(const struct dest *d, char *err, size_t errlen);
/* Checks a whole set (all, n) by dest_validate_set, and the zones of d (or of every
 * destination when d is NULL): 0, or EINVAL with the refusal in err. */
int store_check_set(const struct dest *all, size_t n, const struct dest *d, const char *prefix,
                    char *err, size_t errlen);
/* A test-only pause inside write transactions, so a test can kill the process in the
 * middle of one (HANDOFF_TEST_STALL_MS). */
void store_test_stall(void);

#endif

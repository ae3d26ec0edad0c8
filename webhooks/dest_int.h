/* dest_int: what dest.c (validation) and dest_render.c (rendering) share; not for
 * other modules. */
#ifndef HANDOFF_DEST_INT_H
#define HANDOFF_DEST_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "webhooks/dest.h"

static inline bool dest_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The variable of dest_vars_table called name (len bytes, after the '$'), or NULL. */
const struct dest_var *dest_var_find(const char *name, size_t len);
/* The length of a variable name after '$' (refer.<token> or [a-z_]+). */
size_t dest_var_len(const char *p);

#endif

/* dest_json: destinations as JSON: the export/import file (docs/destinations.md) and --json. */
#ifndef HANDOFF_DEST_JSON_H
#define HANDOFF_DEST_JSON_H

#include <stddef.h>

#include "store/store.h"

#define DEST_JSON_FORMAT      "handoff-destinations"
#define DEST_JSON_VERSION     2 /* written; 2 added "hours" and "failover" (1 is still read) */
#define DEST_JSON_VERSION_MIN 1
#define DEST_JSON_MAX_BYTES   (4 * 1024 * 1024) /* an import file */

/* One destination as a JSON object (text, no trailing newline); caller frees. */
char *dest_json_dest(const struct dest *d);

/* A whole set as the file format (env "sandbox" or "live"), indented, ending
 * in a newline; caller frees. */
char *dest_json_set(const struct dest_set *s, const char *env);

/* Parses the file format. On success *out holds *n destinations (free them
 * with dest_json_free) and nothing is validated beyond types: the caller runs
 * dest_validate_set. EBADMSG with err saying where (line, or the field path
 * such as destinations[2].route) otherwise. */
int dest_json_parse(const char *text, size_t len, struct dest **out, size_t *n, char *err,
                    size_t errlen);
void dest_json_free(struct dest *d, size_t n);

#endif

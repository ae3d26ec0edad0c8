/* audit: the audit log's rows as a person reads them (what changed, field by field), for
 * every backend; the rows are written by the store in the change's own transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/buf.h"
#include "webhooks/dest_diff.h"

const char *store_audit_edit_text(const struct dest_set *old, const char *action,
                                  const struct dest *d, struct buf *detail)
{
	const struct dest *was = dest_set_find(old, str_c(d->name));
	buf_init(detail, STORE_AUDIT_DETAIL_MAX * 2);
	if (strcmp(action, "rm") == 0)
		dest_diff_text(was, NULL, detail);
	else
		dest_diff_text(strcmp(action, "add") == 0 ? NULL : was, d, detail);
	return was ? was->name : d->name;
}

void store_audit_import_text(const struct dest_set *old, const struct dest *d, size_t n,
                             struct buf *detail)
{
	buf_init(detail, STORE_AUDIT_DETAIL_MAX);
	buf_printf(detail, "sandbox replaced by %zu destinations: ", n);
	dest_set_changes_text(old, d, n, detail);
}

void store_audit_promote_text(const struct dest_set *was, const struct dest_set *now, int64_t n,
                              int64_t live, const char *message, struct buf *detail)
{
	buf_init(detail, STORE_AUDIT_DETAIL_MAX);
	buf_printf(detail, "version %lld from the sandbox (", (long long)n);
	dest_set_changes_text(was, now->dests, now->n, detail);
	buf_printf(detail, " against version %lld): %s", (long long)live,
	           message && *message ? message : "(no message)");
}

void store_audit_free(struct store_audit *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].author);
		free(v[i].action);
		free(v[i].dest);
		free(v[i].detail);
	}
	free(v);
}

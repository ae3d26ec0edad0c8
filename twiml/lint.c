/* lint: reading then checking one document (reader.c, then validate.c). */
#include "twiml/lint.h"

int twiml_lint(const char *data, size_t len, struct twiml_node **rootp, struct twiml_findings *f)
{
	struct twiml_node *root;
	int rc = twiml_parse(data, len, &root, f);
	if (rc)
		return rc;
	twiml_validate(root, f);
	if (rootp)
		*rootp = root;
	else
		twiml_free(root);
	return 0;
}

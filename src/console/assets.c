/* assets: the console's stylesheet and script, embedded at build time (xxd -i, by
 * scripts/embed-assets.sh into build/gen/console/assets_gen.h) and served with an ETag. */
#include "console/console_int.h"

#include <string.h>

#include "console/assets_gen.h"

const struct console_asset *console_asset_find(const char *name)
{
	for (size_t i = 0; name && i < console_nassets; i++)
		if (strcmp(console_assets[i].name, name) == 0)
			return &console_assets[i];
	return NULL;
}

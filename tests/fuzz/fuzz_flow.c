/* fuzz_flow: libFuzzer target: any bytes as a flow file through the loader, the engine and the
 * expectations, offline. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > EMU_FLOW_MAX_BYTES)
		return 0;
	json_t *flow = json_loadb((const char *)data, size, 0, NULL);
	if (!flow)
		return 0;
	struct emu_flow_opts o = {NULL, true};
	json_t *res = NULL;
	char err[256] = "";
	int rc = emu_flow_run(flow, &o, &res, err, sizeof(err));
	if (rc == 0 && (!json_is_object(res) || !json_is_array(json_object_get(res, "failures"))))
		abort(); /* a flow that ran always has a result */
	if (rc != 0 && (rc != EBADMSG || !err[0] || res))
		abort(); /* a refused flow says why and leaves no result */
	json_decref(res);
	json_decref(flow);
	return 0;
}

/* fuzz_emu_rest: libFuzzer target: any request to the REST twin gets a well-formed answer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/rest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define AC  "AC0123456789abcdef0123456789abcdef"
#define TOK "fuzz-token-123"

static struct emu_rest *twin;

/* Input: METHOD \n PATH \n QUERY \n AUTHORIZATION \n BODY (lines may be empty). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!twin) {
		char err[128];
		struct emu_rest_config cfg = {
		    .account_sid = AC, .auth_token = TOK, .seed_numbers = 3};
		if (emu_rest_new(&twin, &cfg, err, sizeof(err)) != 0)
			abort();
	}
	char *copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	char *part[5] = {copy, "", "", "", ""};
	char *p = copy;
	for (int i = 1; i < 5; i++) {
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		p = part[i] = nl + 1;
	}
	/* stalls are bounded but slow: not what this target is for */
	if (strncmp(part[1], "/emulator/faults", 16) == 0) {
		free(copy);
		return 0;
	}
	struct http_header h[] = {{"Authorization", part[3]}, {"Host", "127.0.0.1:1"}};
	struct http_req req = {.method = part[0],
	                       .path = part[1],
	                       .query = *part[2] ? part[2] : NULL,
	                       .body = part[4],
	                       .body_len = strlen(part[4]),
	                       .headers = h,
	                       .nheaders = 2};
	struct http_resp resp = {.status = 200};
	buf_init(&resp.body, HTTPD_MAX_RESPONSE);
	emu_rest_handle(twin, &req, &resp);
	if (resp.status < 200 || resp.status > 599)
		abort();
	/* every REST error is Twilio's JSON with the same status inside */
	if (resp.status >= 400 && strcmp(part[1], "/healthz") != 0) {
		json_t *j = json_loadb(resp.body.p ? resp.body.p : "", resp.body.len, 0, NULL);
		if (!json_is_integer(json_object_get(j, "code")) ||
		    json_integer_value(json_object_get(j, "status")) != resp.status)
			abort();
		json_decref(j);
	}
	buf_free(&resp.body);
	free(copy);
	return 0;
}

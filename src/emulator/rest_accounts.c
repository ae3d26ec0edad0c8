/* rest_accounts: the Accounts resource (the one account the twin serves). */
#include "emulator/rest_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/ids.h"
#include "util/mem.h"

int rest_account_one(struct ctx *c)
{
	struct emu_rest *r = c->r;
	char date[40], uri[120];
	emu_rest_date_rfc2822(date);
	snprintf(uri, sizeof(uri), "/2010-04-01/Accounts/%s.json", r->account_sid);
	json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "sid", r->account_sid,
	                      "owner_account_sid", r->account_sid, "friendly_name",
	                      "handoff emulator", "status", "active", "type", "Full",
	                      "date_created", date, "date_updated", date, "uri", uri);
	rest_send_json(c->resp, 200, a);
	json_decref(a);
	return 0;
}

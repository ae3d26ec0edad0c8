/* cmd_twilio_trunks: 'handoff twilio trunks': list and set the transfer settings. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/twilio_cli.h"
#include "net/httpc.h"
#include "twilio/creds.h"
#include "twilio/rest.h"
#include "util/buf.h"
#include "util/ids.h"
#include "util/mem.h"

/* ---- trunks ---- */

static int trunks_list(int argc, char **argv)
{
	struct tw_cli_opts o;
	int rc =
	    tw_cli_parse(argc, argv, O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_PAGE_SIZE, &o);
	if (rc)
		return rc;
	if (o.argc)
		return cli_usage("unexpected argument '%s'", o.argv[0]);
	struct tw_cli_session s;
	if ((rc = tw_cli_session_open(&s, &o)))
		return rc;
	json_t *items = NULL;
	struct tw_error e;
	char path[64];
	snprintf(path, sizeof(path), "/v1/Trunks?PageSize=%ld", o.page_size ? o.page_size : 50);
	int r = tw_list(&s.c, TW_API_V1, path, "trunks", &items, &e);
	tw_cli_session_close(&s);
	if (r)
		return tw_cli_fail_rest("", r, &e);
	if (o.json) {
		tw_cli_print_json(items);
	} else {
		printf("%-34s  %-12s  %-16s  %s\n", "SID", "TRANSFER", "CALLER ID", "NAME");
		size_t i;
		json_t *t;
		json_array_foreach(items, i, t)
		{
			printf("%-34s  %-12s  %-16s  %s\n", tw_cli_jstr(t, "sid"),
			       tw_cli_jstr(t, "transfer_mode"),
			       tw_cli_jstr(t, "transfer_caller_id"),
			       tw_cli_jstr(t, "friendly_name"));
		}
		printf("%zu trunk%s\n", json_array_size(items),
		       json_array_size(items) == 1 ? "" : "s");
	}
	json_decref(items);
	return EXIT_OK;
}

static const char *const transfer_modes[] = {"disable-all", "enable-all", "sip-only", NULL};
static const char *const transfer_cids[] = {"from-transferee", "from-transferor", NULL};

static bool one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

static int trunks_set(int argc, char **argv)
{
	struct tw_cli_opts o;
	int rc = tw_cli_parse(
	    argc, argv,
	    O_API_BASE | O_PROFILE | O_JSON | O_TIMEOUT | O_XFER_MODE | O_XFER_CID | O_DRY_RUN, &o);
	if (rc)
		return rc;
	if (o.argc != 1)
		return cli_usage(o.argc ? "one TK... SID only" : "missing the trunk SID (TK...)");
	const char *tk = o.argv[0];
	if (!id_sid(tk, "TK"))
		return cli_usage("'%s' is not a trunk SID (TK + 32 hex)", tk);
	if (!o.xfer_mode && !o.xfer_cid)
		return cli_usage("give --transfer-mode and/or --transfer-caller-id");
	if (o.xfer_mode && !one_of(o.xfer_mode, transfer_modes))
		return cli_usage("--transfer-mode must be disable-all, enable-all or sip-only");
	if (o.xfer_cid && !one_of(o.xfer_cid, transfer_cids))
		return cli_usage("--transfer-caller-id must be from-transferee or from-transferor");
	struct tw_cli_session s;
	if ((rc = tw_cli_session_open(&s, &o)))
		return rc;
	char path[64];
	snprintf(path, sizeof(path), "/v1/Trunks/%s", tk);
	json_t *t = NULL;
	struct tw_error e;
	int r = tw_request(&s.c, TW_API_V1, "GET", path, NULL, 0, &t, &e);
	if (r) {
		tw_cli_session_close(&s);
		return tw_cli_fail_rest(tk, r, &e);
	}
	struct {
		const char *key, *param, *value;
	} fields[] = {{"transfer_mode", "TransferMode", o.xfer_mode},
	              {"transfer_caller_id", "TransferCallerId", o.xfer_cid}};
	struct tw_param p[2];
	size_t np = 0;
	json_t *changes = json_array();
	for (size_t i = 0; i < 2; i++) {
		if (!fields[i].value || strcmp(tw_cli_jstr(t, fields[i].key), fields[i].value) == 0)
			continue;
		p[np].name = fields[i].param;
		p[np].value = fields[i].value;
		np++;
		json_array_append_new(changes, json_pack("{s:s,s:s,s:s}", "field", fields[i].key,
		                                         "before", tw_cli_jstr(t, fields[i].key),
		                                         "after", fields[i].value));
	}
	if (o.json) {
		json_t *j = json_pack("{s:s,s:O,s:b,s:b}", "sid", tk, "changes", changes, "dry_run",
		                      o.dry_run, "applied", !o.dry_run && np > 0);
		tw_cli_print_json(j);
		json_decref(j);
	} else if (np) {
		printf("--- trunk %s (now)\n+++ trunk %s (after)\n", tk, tk);
		for (size_t i = 0; i < json_array_size(changes); i++)
			printf("- %s: %s\n", tw_cli_jstr(json_array_get(changes, i), "field"),
			       tw_cli_jstr(json_array_get(changes, i), "before"));
		for (size_t i = 0; i < json_array_size(changes); i++)
			printf("+ %s: %s\n", tw_cli_jstr(json_array_get(changes, i), "field"),
			       tw_cli_jstr(json_array_get(changes, i), "after"));
	} else {
		printf("trunk %s already has these settings: nothing to change\n", tk);
	}
	json_decref(changes);
	json_decref(t);
	rc = EXIT_OK;
	if (np && !o.dry_run) {
		json_t *u = NULL;
		r = tw_request(&s.c, TW_API_V1, "POST", path, p, np, &u, &e);
		json_decref(u);
		if (r)
			rc = tw_cli_fail_rest(tk, r, &e);
		else if (!o.json)
			printf("updated trunk %s\n", tk);
	} else if (np && !o.json) {
		printf("dry run: nothing changed\n");
	}
	tw_cli_session_close(&s);
	return rc;
}

const struct cmd tw_cli_trunks_cmds[] = {
    {"list", "[--json] [--page-size N]", "Elastic SIP trunks and their transfer settings",
     "Lists every trunk (all pages) with TransferMode and TransferCallerId.\n\n" COMMON_HELP,
     trunks_list, NULL},
    {"set",
     "TK... [--transfer-mode disable-all|enable-all|sip-only] "
     "[--transfer-caller-id from-transferee|from-transferor] [--dry-run]",
     "change a trunk's transfer settings (shows before/after)",
     "TransferMode: whether the trunk accepts SIP REFER transfers (disable-all, enable-all\n"
     "for SIP and PSTN targets, sip-only). TransferCallerId: whose number the transfer\n"
     "target sees (from-transferee, the default, or from-transferor).\n\n"
     "  --dry-run          show the change, change nothing\n" COMMON_HELP,
     trunks_set, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

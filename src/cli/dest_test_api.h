/* dest_test_api: 'handoff dest test NAME --via api', the Voice API transfer: a call whose
 * agent answered with <Connect><Stream>, updated through the REST path to
 * /sandbox/transfer/NAME (cmd_dest_test_api.c; the REFER path is cmd_dest_test.c). */
#ifndef HANDOFF_DEST_TEST_API_H
#define HANDOFF_DEST_TEST_API_H

#include <stdbool.h>

#include "emulator/engine.h"

/* What the API test runs with (parsed by cmd_dest_test.c; strings borrowed). */
struct dt_api_opts {
	const char *name;      /* the destination */
	const char *server;    /* a running 'handoff serve' base URL, or NULL: in-process */
	const char *token_env; /* where the server's token is (with server) */
	const char *db;        /* the database (in-process), or NULL: the default */
	const char *from;      /* the caller */
	bool live, json;
	enum emu_outcome target; /* what the destination does */
};

/* Runs the test and reports it; returns the exit status (0 ok, 1 the transfer would
 * fail). */
int dest_test_api(const struct dt_api_opts *o);

#endif

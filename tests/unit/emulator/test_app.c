/* test_emu_app: the server's handler as the engine's in-process app, over a real SQLite file. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "emulator/app.h"
#include "emulator/live.h"
#include "store/store.h"
#include "test.h"

#define TOKEN "app-test-token"

static char dir[64], db[96];
static struct emu_app *app;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/handoff-test-app-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(db, sizeof(db), "%s/h.db", dir);
	struct store *s = NULL;
	char err[256];
	CHECK_INT(store_open(&s, db, STORE_CREATE, err, sizeof(err)), 0);
	static struct dest_header h[] = {{(char *)"X-Caller", (char *)"$caller_id"}};
	struct dest d = {.name = (char *)"billing",
	                 .description = (char *)"",
	                 .route = (char *)"sip:billing@pbx.example.com",
	                 .headers = h,
	                 .nheaders = 1};
	CHECK_INT(store_add(s, &d, err, sizeof(err)), 0);
	int v = 0;
	CHECK_INT(store_promote(s, "t", "test", &v, err, sizeof(err)), 0);
	struct dest d2 = {
	    .name = (char *)"support", .description = (char *)"", .route = (char *)"+14155550123"};
	CHECK_INT(store_add(s, &d2, err, sizeof(err)), 0); /* sandbox only */
	store_close(s);
	CHECK_INT(emu_app_open(db, "sip:agent@pbx.example.com", TOKEN, &app, err, sizeof(err)), 0);
}

/* One webhook through the app, signed with token (NULL: unsigned). */
static int fetch(const char *path, const char *target, const char *token, struct emu_fetch_res *res)
{
	char url[256];
	snprintf(url, sizeof(url), "%s%s", EMU_APP_BASE, path);
	struct emu_params p = {0};
	emu_params_add(&p, "AccountSid", "AC0123456789abcdef0123456789abcdef");
	emu_params_add(&p, "CallSid", "CA0123456789abcdef0123456789abcdef");
	emu_params_add(&p, "From", "+14155550100");
	emu_params_add(&p, "To", "+14155550199");
	if (target)
		emu_params_add(&p, "ReferTransferTarget", target);
	char sig[64] = "";
	struct emu_live l = {.auth_token = token};
	if (token)
		CHECK_INT(emu_live_sign(&l, url, &p, sig, sizeof(sig)), 0);
	struct emu_fetch_req rq = {"POST", url, &p, token ? sig : NULL};
	memset(res, 0, sizeof(*res));
	CHECK_INT(emu_app_fetch(app, &rq, res), 0);
	emu_params_free(&p);
	return res->status;
}

static void res_free(struct emu_fetch_res *r)
{
	free(r->body);
	free(r->content_type);
}

static void routes(void)
{
	struct emu_fetch_res r;
	CHECK_INT(fetch("/voice", NULL, TOKEN, &r), 200);
	CHECK_STR(r.content_type, "text/xml");
	CHECK(strstr(r.body, "referUrl=\"" EMU_APP_BASE "/refer\"") != NULL);
	CHECK(strstr(r.body, "<Sip>sip:agent@pbx.example.com</Sip>") != NULL);
	res_free(&r);
	CHECK_INT(fetch("/sandbox/voice", NULL, TOKEN, &r), 200);
	CHECK(strstr(r.body, "referUrl=\"" EMU_APP_BASE "/sandbox/refer\"") != NULL);
	res_free(&r);
	CHECK_INT(fetch("/refer", "<sip:billing@x.example.com>", TOKEN, &r), 200);
	CHECK(strstr(r.body, "sip:billing@pbx.example.com?X-Caller=%2B14155550100") != NULL);
	res_free(&r);
	/* support is in the sandbox only */
	CHECK_INT(fetch("/refer", "<sip:support@x.example.com>", TOKEN, &r), 404);
	CHECK(strstr(emu_app_last_why(app), "support") != NULL);
	res_free(&r);
	CHECK_INT(fetch("/sandbox/refer", "<sip:support@x.example.com>", TOKEN, &r), 200);
	CHECK(strstr(r.body, "+14155550123") != NULL);
	res_free(&r);
}

static void refusals(void)
{
	struct emu_fetch_res r;
	CHECK_INT(fetch("/voice", NULL, NULL, &r), 403);
	res_free(&r);
	CHECK_INT(fetch("/voice", NULL, "another-token", &r), 403);
	CHECK(strstr(emu_app_last_why(app), "signature") != NULL);
	res_free(&r);
	CHECK_INT(fetch("/refer", NULL, TOKEN, &r), 400); /* no ReferTransferTarget */
	res_free(&r);
	CHECK_INT(fetch("/nowhere", NULL, TOKEN, &r), 404);
	res_free(&r);
	/* a URL outside the app is a transport failure */
	struct emu_params p = {0};
	struct emu_fetch_req rq = {"POST", "http://elsewhere.example.com/voice", &p, NULL};
	memset(&r, 0, sizeof(r));
	CHECK_INT(emu_app_fetch(app, &rq, &r), 0);
	CHECK_INT(r.error, 11200);
	struct emu_fetch_req rq2 = {"POST", EMU_APP_BASE "x/voice", &p, NULL};
	memset(&r, 0, sizeof(r));
	CHECK_INT(emu_app_fetch(app, &rq2, &r), 0);
	CHECK_INT(r.error, 11200);
	struct emu_app *none = NULL;
	char err[256], missing[128];
	snprintf(missing, sizeof(missing), "%s/none.db", dir);
	CHECK_INT(emu_app_open(missing, NULL, TOKEN, &none, err, sizeof(err)), ENOENT);
	CHECK(none == NULL);
}

/* The engine through the app: a call, a REFER, the caller bridged to billing. */
static void engine_transfer(void)
{
	struct emu_live l = {.auth_token = TOKEN};
	struct emu_config cfg;
	emu_config_init(&cfg);
	cfg.fetcher = (struct emu_fetcher){app, emu_app_fetch};
	cfg.signer = (struct emu_signer){&l, emu_live_sign};
	struct emu_engine *e = NULL;
	CHECK_INT(emu_engine_new(&cfg, &e), 0);
	struct emu_call_spec sp = {0};
	sp.from = "+14155550100";
	sp.to = "+14155550199";
	sp.voice_url = EMU_APP_BASE "/voice";
	char p[EMU_SID_LEN + 1];
	CHECK_INT(emu_call_create(e, &sp, p), 0);
	json_t *c = NULL, *r = NULL;
	CHECK_INT(emu_call_json(e, p, &c), 0);
	const char *a = json_string_value(
	    json_object_get(json_array_get(json_object_get(c, "legs"), 1), "sid"));
	CHECK(a != NULL);
	struct emu_refer_req rq = {
	    .refer_to = "<sip:billing@agent.example.com>", .target = EMU_ANSWER, .headers = NULL};
	CHECK_INT(a ? emu_refer(e, a, &rq, &r) : ENOENT, 0);
	CHECK_STR(json_string_value(json_array_get(json_object_get(r, "connected"), 0)),
	          "B<->caller");
	json_decref(r);
	json_decref(c);
	emu_engine_free(e);
}

int main(void)
{
	setup();
	static const struct test_case cases[] = {
	    {"routes", routes},
	    {"refusals", refusals},
	    {"engine_transfer", engine_transfer},
	    {NULL, NULL},
	};
	int rc = test_run(cases);
	emu_app_free(app);
	char f[128];
	const char *sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(f, sizeof(f), "%s%s", db, sfx[i]);
		unlink(f);
	}
	rmdir(dir);
	return rc;
}

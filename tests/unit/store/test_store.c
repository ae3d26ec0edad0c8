/* test_store: the SQLite store on real files: edits, promote, rollback, the JSON format, and the
 * watcher under concurrent writes. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/dest_json.h"
#include "store/store.h"
#include "test.h"
#include "util/mem.h"

static char dir[64];

static char *db_path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct dest mk(const char *name, const char *route, const char *desc)
{
	struct dest d = {0};
	d.name = (char *)name;
	d.route = (char *)route;
	d.description = (char *)desc;
	return d;
}

static void edits_and_versions(void)
{
	char *path = db_path("a.db");
	char err[512];
	struct store *s = NULL;
	CHECK_INT(store_open(&s, path, 0, err, sizeof(err)), ENOENT); /* no file, no create */
	CHECK(s == NULL);
	CHECK_INT(store_open(&s, path, STORE_CREATE, err, sizeof(err)), 0);

	struct dest_header hs[] = {{(char *)"X-Account", (char *)"$refer.X-Account"}};
	struct dest b = mk("billing", "sip:billing@pbx.example.com", "Billing");
	b.headers = hs;
	b.nheaders = 1;
	b.timeout = 25;
	struct dest f = mk("front-desk", "+14155550123", NULL);
	CHECK_INT(store_add(s, &b, err, sizeof(err)), 0);
	CHECK_INT(store_add(s, &f, err, sizeof(err)), 0);
	CHECK_INT(store_add(s, &f, err, sizeof(err)), EEXIST);
	struct dest bad = mk("bad", "4155550100", NULL);
	CHECK_INT(store_add(s, &bad, err, sizeof(err)), EINVAL);
	CHECK_STR(err, "route \"4155550100\" is not E.164: write + and the country code, e.g. "
	               "+14155550100");
	struct dest ghost = mk("ghost", "+14155550100", NULL);
	CHECK_INT(store_update(s, &ghost, err, sizeof(err)), ENOENT);
	CHECK_INT(store_remove(s, "ghost", err, sizeof(err)), ENOENT);

	struct dest_set *sb, *live;
	CHECK_INT(store_load(s, DEST_SANDBOX, &sb, err, sizeof(err)), 0);
	CHECK_INT(sb->n, 2);
	CHECK_STR(sb->dests[0].name, "billing"); /* sorted by name */
	CHECK_INT(sb->dests[0].nheaders, 1);
	CHECK_STR(sb->dests[0].headers[0].value, "$refer.X-Account");
	CHECK_INT(sb->dests[0].timeout, 25);
	CHECK(sb->dests[1].description == NULL);
	CHECK(dest_set_find(sb, str_c("FRONT-desk")) == &sb->dests[1]);
	CHECK(dest_set_find(sb, str_c("front")) == NULL);
	int64_t sandbox_changed = sb->changed;
	dest_set_release(sb);
	CHECK_INT(store_load(s, DEST_LIVE, &live, err, sizeof(err)), 0);
	CHECK_INT(live->n, 0);
	CHECK_INT(live->version, 0);
	int64_t live_changed = live->changed;
	dest_set_release(live);

	int v = 0, now = 0;
	CHECK_INT(store_rollback(s, 0, &now, err, sizeof(err)), ENOENT);
	CHECK_INT(store_promote(s, "first", "alice", &v, err, sizeof(err)), 0);
	CHECK_INT(v, 1);
	CHECK_INT(store_load(s, DEST_LIVE, &live, err, sizeof(err)), 0);
	CHECK_INT(live->version, 1);
	CHECK_INT(live->n, 2);
	CHECK(live->changed != live_changed);
	live_changed = live->changed;
	dest_set_release(live);

	/* a sandbox edit moves the sandbox only */
	f.route = (char *)"+14155550124";
	CHECK_INT(store_update(s, &f, err, sizeof(err)), 0);
	CHECK_INT(store_remove(s, "billing", err, sizeof(err)), 0);
	CHECK_INT(store_load(s, DEST_SANDBOX, &sb, err, sizeof(err)), 0);
	CHECK_INT(sb->n, 1);
	CHECK_STR(sb->dests[0].route, "+14155550124");
	CHECK(sb->changed != sandbox_changed);
	dest_set_release(sb);
	CHECK_INT(store_load(s, DEST_LIVE, &live, err, sizeof(err)), 0);
	CHECK_INT(live->n, 2);
	CHECK_INT(live->changed, live_changed);
	CHECK_STR(dest_set_find(live, str_c("front-desk"))->route, "+14155550123");
	dest_set_release(live);

	/* a conditional update loses to an edit made after the read */
	CHECK_INT(store_load(s, DEST_SANDBOX, &sb, err, sizeof(err)), 0);
	int64_t seen = sb->changed;
	dest_set_release(sb);
	struct dest other = mk("other", "+14155550125", NULL);
	CHECK_INT(store_add(s, &other, err, sizeof(err)), 0);
	f.timeout = 40;
	CHECK_INT(store_update_if(s, &f, seen, err, sizeof(err)), EAGAIN);
	CHECK(strstr(err, "changed while front-desk was being edited") != NULL);
	CHECK_INT(store_load(s, DEST_SANDBOX, &sb, err, sizeof(err)), 0);
	CHECK_INT(dest_set_find(sb, str_c("front-desk"))->timeout, 0);
	seen = sb->changed;
	dest_set_release(sb);
	CHECK_INT(store_update_if(s, &f, seen, err, sizeof(err)), 0);
	CHECK_INT(store_remove(s, "other", err, sizeof(err)), 0);

	CHECK_INT(store_promote(s, "second", "bob", &v, err, sizeof(err)), 0);
	CHECK_INT(v, 2);
	CHECK_INT(store_rollback(s, 0, &now, err, sizeof(err)), 0);
	CHECK_INT(now, 1);
	CHECK_INT(store_load(s, DEST_LIVE, &live, err, sizeof(err)), 0);
	CHECK_INT(live->version, 1);
	CHECK_INT(live->n, 2);
	dest_set_release(live);
	CHECK_INT(store_rollback(s, 0, &now, err, sizeof(err)), ENOENT); /* 1 is the oldest */
	CHECK_INT(store_rollback(s, 1, &now, err, sizeof(err)), EALREADY);
	CHECK_INT(store_rollback(s, 7, &now, err, sizeof(err)), ENOENT);
	CHECK_INT(store_rollback(s, 2, &now, err, sizeof(err)), 0);
	CHECK_INT(now, 2);

	/* promoted versions never change */
	struct dest_set *v1;
	CHECK_INT(store_load_version(s, 1, &v1, err, sizeof(err)), 0);
	CHECK_INT(v1->n, 2);
	dest_set_release(v1);
	CHECK_INT(store_load_version(s, 9, &v1, err, sizeof(err)), ENOENT);

	struct store_version *vs;
	size_t nv;
	CHECK_INT(store_versions(s, &vs, &nv, err, sizeof(err)), 0);
	CHECK_INT(nv, 2);
	if (nv == 2) {
		CHECK_INT(vs[0].number, 1);
		CHECK_STR(vs[0].message, "first");
		CHECK_STR(vs[0].author, "alice");
		CHECK_INT(vs[0].ndests, 2);
		CHECK(!vs[0].live);
		CHECK(vs[1].live);
		CHECK_INT(vs[1].ndests, 1);
		CHECK(vs[1].created >= vs[0].created && vs[1].created > 1700000000);
	}
	store_versions_free(vs, nv);
	store_close(s);

	/* a second connection sees the same state (the file is the truth) */
	CHECK_INT(store_open(&s, path, 0, err, sizeof(err)), 0);
	CHECK_INT(store_load(s, DEST_LIVE, &live, err, sizeof(err)), 0);
	CHECK_INT(live->version, 2);
	dest_set_release(live);
	store_close(s);
	free(path);
}

static void replace_all_or_nothing(void)
{
	char *path = db_path("b.db");
	char err[512];
	struct store *s;
	CHECK_INT(store_open(&s, path, STORE_CREATE, err, sizeof(err)), 0);
	struct dest good[2] = {mk("a", "+14155550100", "old"), mk("b", "+14155550101", "old")};
	CHECK_INT(store_replace_sandbox(s, good, 2, err, sizeof(err)), 0);
	struct dest next[3] = {mk("c", "+14155550102", "new"),
	                       mk("d", "sip:d@x.example.com", "new"), mk("e", "+0", "new")};
	CHECK_INT(store_replace_sandbox(s, next, 3, err, sizeof(err)), EINVAL);
	CHECK(strncmp(err, "e: route \"+0\" is not E.164", 26) == 0);
	struct dest_set *sb;
	CHECK_INT(store_load(s, DEST_SANDBOX, &sb, err, sizeof(err)), 0);
	CHECK_INT(sb->n, 2);
	CHECK_STR(sb->dests[0].description, "old");
	dest_set_release(sb);
	CHECK_INT(store_replace_sandbox(s, next, 2, err, sizeof(err)), 0);
	CHECK_INT(store_load(s, DEST_SANDBOX, &sb, err, sizeof(err)), 0);
	CHECK_INT(sb->n, 2);
	CHECK_STR(sb->dests[0].name, "c");
	dest_set_release(sb);
	CHECK_INT(store_replace_sandbox(s, NULL, 0, err, sizeof(err)), 0);
	CHECK_INT(store_load(s, DEST_SANDBOX, &sb, err, sizeof(err)), 0);
	CHECK_INT(sb->n, 0);
	dest_set_release(sb);
	store_close(s);
	free(path);
}

static void foreign_file(void)
{
	char *path = db_path("not.db");
	FILE *f = fopen(path, "w");
	fputs("this is not a database, just text that is long enough to have a header......\n", f);
	fclose(f);
	char err[512];
	struct store *s = NULL;
	CHECK_INT(store_open(&s, path, 0, err, sizeof(err)), EBADMSG);
	CHECK(strstr(err, "is not a handoff database") != NULL);
	free(path);
}

static void json_format(void)
{
	struct dest_header hs[] = {{(char *)"X-A", (char *)"$from \"q\""},
	                           {(char *)"User-to-User", (char *)"$refer.User-to-User"}};
	struct dest d[2] = {mk("b", "sip:b@x.example.com", "B \u00e9"),
	                    mk("a", "+14155550100", NULL)};
	d[0].headers = hs;
	d[0].nheaders = 2;
	d[0].caller_id = (char *)"cid";
	d[1].timeout = 45;
	struct dest_set *set = dest_set_new(d, 2);
	set->version = 3;
	char *text = dest_json_set(set, "live");
	struct dest *back;
	size_t n;
	char err[512];
	CHECK_INT(dest_json_parse(text, strlen(text), &back, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(back[0].name, "a");
		CHECK_INT(back[0].timeout, 45);
		CHECK(back[0].description == NULL && back[0].nheaders == 0);
		CHECK_STR(back[1].description, "B \u00e9");
		CHECK_STR(back[1].caller_id, "cid");
		CHECK_INT(back[1].nheaders, 2);
		CHECK_STR(back[1].headers[0].value, "$from \"q\"");
		CHECK_STR(back[1].headers[1].name, "User-to-User");
	}
	dest_json_free(back, n);
	free(text);
	dest_set_release(set);

	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"{", "line 1"},
	    {"[]", "one JSON object"},
	    {"{\"format\":\"x\",\"format_version\":1,\"destinations\":[]}", "\"format\" must be"},
	    {"{\"format\":\"handoff-destinations\",\"format_version\":2,\"destinations\":[]}",
	     "upgrade handoff"},
	    {"{\"format\":\"handoff-destinations\",\"destinations\":[]}", "format_version"},
	    {"{\"format\":\"handoff-destinations\",\"format_version\":1}", "must be an array"},
	    {"{\"format\":\"handoff-destinations\",\"format_version\":1,\"destinations\":[],\"x\":"
	     "1}",
	     "unknown key \"x\""},
	    {"{\"format\":\"handoff-destinations\",\"format_version\":1,\"destinations\":[{"
	     "\"name\":"
	     "\"a\",\"rout\":\"+1\"}]}",
	     "destinations[0]: unknown key \"rout\""},
	    {"{\"format\":\"handoff-destinations\",\"format_version\":1,\"destinations\":[{"
	     "\"name\":"
	     "\"a\"}]}",
	     "destinations[0]: \"route\" is missing"},
	    {"{\"format\":\"handoff-destinations\",\"format_version\":1,\"destinations\":[{"
	     "\"name\":"
	     "\"a\",\"route\":5}]}",
	     "destinations[0].route must be a string"},
	    {"{\"format\":\"handoff-destinations\",\"format_version\":1,\"destinations\":[{"
	     "\"name\":"
	     "\"a\",\"route\":\"+1\",\"headers\":{\"X-A\":\"1\"}}]}",
	     "destinations[0].headers must be an array"},
	    {"{\"format\":\"handoff-destinations\",\"format_version\":1,\"destinations\":[{"
	     "\"name\":"
	     "\"a\",\"route\":\"+1\",\"timeout\":\"30\"}]}",
	     "timeout must be a number"},
	    {"{\"format\":\"handoff-destinations\",\"format_version\":1,\"destinations\":[{"
	     "\"name\":"
	     "\"a\",\"name\":\"b\",\"route\":\"+1\"}]}",
	     "duplicate"},
	    {"{\"format\":\"handoff-destinations\",\"format_version\":1,\"destinations\":[{"
	     "\"name\":"
	     "\"a\\u0000b\",\"route\":\"+1\"}]}",
	     "NUL"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(
		    dest_json_parse(bad[i].text, strlen(bad[i].text), &back, &n, err, sizeof(err)),
		    EBADMSG);
		if (!strstr(err, bad[i].msg))
			CHECK_STR(err, bad[i].msg);
	}
}

/* --- the watcher under concurrent writes --- */

#define GENS    30
#define READERS 3

struct race {
	const char *path;
	int done;        /* set atomically by the writer */
	int bad;         /* snapshots that mixed two states */
	long seen;       /* snapshots checked */
	int last_gen[2]; /* the highest generation a reader saw, per environment */
	pthread_mutex_t mu;
};

/* Whether a set is one whole committed state: every destination carries the
 * same generation marker, and there are exactly 10 + gen % 7 of them. */
static int set_gen(const struct dest_set *s)
{
	if (s->n == 0)
		return 0;
	int g = atoi(s->dests[0].description ? s->dests[0].description + 4 : "-1");
	for (size_t i = 0; i < s->n; i++)
		if (!s->dests[i].description || atoi(s->dests[i].description + 4) != g)
			return -1;
	return s->n == (size_t)(10 + g % 7) ? g : -1;
}

static void *writer(void *arg)
{
	struct race *r = arg;
	struct store *s;
	char err[512];
	if (store_open(&s, r->path, STORE_CREATE, err, sizeof(err)))
		return NULL;
	for (int g = 1; g <= GENS; g++) {
		size_t n = (size_t)(10 + g % 7);
		struct dest d[20];
		char names[20][32], desc[20][32];
		for (size_t i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "d%02d", (int)i);
			snprintf(desc[i], sizeof(desc[i]), "gen-%d", g);
			d[i] = mk(names[i], "+14155550100", desc[i]);
		}
		if (store_replace_sandbox(s, d, n, err, sizeof(err)))
			break;
		if (g % 2 == 0 && store_promote(s, "race", "test", NULL, err, sizeof(err)))
			break;
		usleep(2000);
	}
	store_close(s);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct reader_arg {
	struct race *r;
	struct store_watch *w;
};

static void *reader(void *arg)
{
	struct reader_arg *a = arg;
	int last[2] = {0, 0};
	int64_t last_changed[2] = {-1, -1};
	long seen = 0;
	int bad = 0;
	while (!__atomic_load_n(&a->r->done, __ATOMIC_ACQUIRE) || seen < 1000) {
		for (int e = 0; e < 2; e++) {
			struct dest_set *s = store_watch_get(a->w, e ? DEST_LIVE : DEST_SANDBOX);
			int g = set_gen(s);
			/* whole, and never older than what this reader saw before */
			if (g < 0 || g < last[e] || s->changed < last_changed[e])
				bad++;
			if (g > last[e])
				last[e] = g;
			last_changed[e] = s->changed;
			dest_set_release(s);
			seen++;
		}
		usleep(20); /* a server thread's pace, not a spin */
	}
	pthread_mutex_lock(&a->r->mu);
	a->r->bad += bad;
	a->r->seen += seen;
	for (int e = 0; e < 2; e++)
		if (last[e] > a->r->last_gen[e])
			a->r->last_gen[e] = last[e];
	pthread_mutex_unlock(&a->r->mu);
	return NULL;
}

static void watcher_consistency(void)
{
	char *path = db_path("race.db");
	char err[512];
	struct store_watch *w;
	CHECK_INT(store_watch_start(&w, path, err, sizeof(err)), 0);
	struct race r = {.path = path};
	pthread_mutex_init(&r.mu, NULL);
	pthread_t wt, rt[READERS];
	struct reader_arg ra = {&r, w};
	for (int i = 0; i < READERS; i++)
		pthread_create(&rt[i], NULL, reader, &ra);
	pthread_create(&wt, NULL, writer, &r);
	pthread_join(wt, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(rt[i], NULL);
	CHECK_INT(r.bad, 0);
	CHECK(r.seen >= 1000);
	/* within a second the watcher holds the final state */
	double t0 = now_s();
	int gs = -1, gl = -1;
	while (now_s() - t0 < 1.0) {
		struct dest_set *s = store_watch_get(w, DEST_SANDBOX),
		                *l = store_watch_get(w, DEST_LIVE);
		gs = set_gen(s);
		gl = set_gen(l);
		dest_set_release(s);
		dest_set_release(l);
		if (gs == GENS && gl == GENS)
			break;
		usleep(10000);
	}
	CHECK_INT(gs, GENS);
	CHECK_INT(gl, GENS);
	printf("watcher: %ld snapshots checked, final state seen %.0f ms after the last write\n",
	       r.seen, (now_s() - t0) * 1000);
	store_watch_stop(w);
	pthread_mutex_destroy(&r.mu);
	free(path);
}

/* The same race with the writes made by other processes: the real binary
 * importing and promoting (HANDOFF, set by tests/run.sh; skipped without). */
static void watcher_cross_process(void)
{
	const char *bin = getenv("HANDOFF");
	if (!bin || access(bin, X_OK) != 0) {
		printf("SKIP watcher_cross_process: HANDOFF is not set to the binary\n");
		return;
	}
	char *path = db_path("xproc.db");
	char err[512];
	struct store_watch *w;
	CHECK_INT(store_watch_start(&w, path, err, sizeof(err)), 0);
	struct race r = {.path = path};
	pthread_mutex_init(&r.mu, NULL);
	pthread_t rt[READERS];
	struct reader_arg ra = {&r, w};
	for (int i = 0; i < READERS; i++)
		pthread_create(&rt[i], NULL, reader, &ra);
	int failures = 0;
	enum { XGENS = 8 };
	for (int g = 1; g <= XGENS; g++) {
		char *file = xasprintf("%s/gen%d.json", dir, g);
		FILE *f = fopen(file, "w");
		fprintf(f, "{\"format\":\"handoff-destinations\",\"format_version\":1,"
		           "\"destinations\":[");
		for (int i = 0; i < 10 + g % 7; i++)
			fprintf(f,
			        "%s{\"name\":\"d%02d\",\"route\":\"+14155550100\",\"description\":"
			        "\"gen-%d\"}",
			        i ? "," : "", i, g);
		fprintf(f, "]}\n");
		fclose(f);
		char *cmd =
		    xasprintf("'%s' import '%s' --db '%s' >/dev/null && '%s' promote --db '%s' "
		              ">/dev/null",
		              bin, file, path, bin, path);
		if (system(cmd) != 0)
			failures++;
		free(cmd);
		free(file);
	}
	__atomic_store_n(&r.done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < READERS; i++)
		pthread_join(rt[i], NULL);
	CHECK_INT(failures, 0);
	CHECK_INT(r.bad, 0);
	double t0 = now_s();
	int gs = -1, gl = -1;
	while (now_s() - t0 < 1.0) {
		struct dest_set *s = store_watch_get(w, DEST_SANDBOX),
		                *l = store_watch_get(w, DEST_LIVE);
		gs = set_gen(s);
		gl = set_gen(l);
		dest_set_release(s);
		dest_set_release(l);
		if (gs == XGENS && gl == XGENS)
			break;
		usleep(10000);
	}
	CHECK_INT(gs, XGENS);
	CHECK_INT(gl, XGENS);
	printf("watcher (other processes writing): %ld snapshots checked, highest generation "
	       "seen while writing: sandbox %d, live %d\n",
	       r.seen, r.last_gen[0], r.last_gen[1]);
	store_watch_stop(w);
	pthread_mutex_destroy(&r.mu);
	free(path);
}

static void watcher_latency_and_poke(void)
{
	char *path = db_path("lat.db");
	char err[512];
	struct store_watch *w;
	/* a watcher on a path with no database creates none, and serves nothing */
	CHECK_INT(store_watch_start(&w, path, err, sizeof(err)), 0);
	CHECK(access(path, F_OK) != 0);
	CHECK(!store_watch_has_db(w));
	struct dest_set *s = store_watch_get(w, DEST_SANDBOX);
	CHECK_INT(s->n, 0);
	int64_t c0 = s->changed;
	/* ... until one appears there */
	struct store *st;
	CHECK_INT(store_open(&st, path, STORE_CREATE, err, sizeof(err)), 0);
	double worst = 0;
	for (int i = 0; i < 5; i++) {
		char name[16];
		snprintf(name, sizeof(name), "n%d", i);
		struct dest d = mk(name, "+14155550100", NULL);
		CHECK_INT(store_add(st, &d, err, sizeof(err)), 0);
		double t0 = now_s(), dt = 0;
		size_t n = 0;
		while ((dt = now_s() - t0) < 1.0) {
			struct dest_set *x = store_watch_get(w, DEST_SANDBOX);
			n = x->n;
			dest_set_release(x);
			if (n == (size_t)i + 1)
				break;
			usleep(2000);
		}
		CHECK_INT(n, i + 1);
		if (dt > worst)
			worst = dt;
	}
	CHECK(worst < 1.0);
	printf("watcher: worst change-to-snapshot latency %.0f ms (poll %d ms)\n", worst * 1000,
	       STORE_POLL_MS);
	/* an old snapshot held by a reader stays valid after swaps */
	CHECK_INT(s->n, 0);
	CHECK_INT(s->changed, c0);
	dest_set_release(s);
	s = store_watch_get(w, DEST_SANDBOX);
	CHECK(s->changed != c0);
	dest_set_release(s);
	store_watch_poke(w);
	usleep(3 * STORE_POLL_MS * 1000);
	s = store_watch_get(w, DEST_SANDBOX);
	CHECK_INT(s->n, 5);
	dest_set_release(s);
	store_close(st);
	store_watch_stop(w);
	free(path);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/handoff-test-store-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	static const struct test_case cases[] = {
	    {"edits_and_versions", edits_and_versions},
	    {"replace_all_or_nothing", replace_all_or_nothing},
	    {"foreign_file", foreign_file},
	    {"json_format", json_format},
	    {"watcher_consistency", watcher_consistency},
	    {"watcher_cross_process", watcher_cross_process},
	    {"watcher_latency_and_poke", watcher_latency_and_poke},
	    {NULL, NULL},
	};
	int rc = test_run(cases);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	free(cmd);
	return rc;
}

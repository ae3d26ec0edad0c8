/* server: 'handoff serve' at run time: the HTTP adapter, the store watcher,
 * the handlers, the access log, the metrics and the signals, wired together. */
#include "server/server.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "console/console.h"
#include "net/httpd.h"
#include "server/log.h"
#include "server/recent.h"
#include "store/store.h"
#include "twiml/twiml.h"
#include "util/mem.h"
#include "webhooks/crypto.h"
#include "webhooks/form.h"
#include "webhooks/handler.h"
#include "util/perthread.h"

/* ---- metrics: counters only ever added to, read without a lock ---- */

static const int status_codes[] = {200, 400, 403, 404, 405, 413, 500, 0}; /* 0: other */
#define NSTATUS (sizeof(status_codes) / sizeof(status_codes[0]))
#define NROUTES (HANDLER_NROUTES + 1) /* the route table's rows, and one for "none" */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

/* Transfers by (env, destination that answered): open addressing, filled under tmu and
 * read without it (a slot's name is written before its state turns ready). */
#define TRANSFER_SLOTS 1024 /* per env; more destinations are counted as "other" */
struct transfer_slot {
	int state; /* 0 empty, 1 ready */
	char name[DEST_NAME_MAX + 1];
	uint64_t n;
};

struct metrics {
	uint64_t requests[NROUTES][NSTATUS];
	struct transfer_slot transfers[2][TRANSFER_SLOTS]; /* [0] live, [1] sandbox */
	uint64_t transfers_other[2];
	pthread_mutex_t tmu;
	uint64_t sig_failures;
	uint64_t latency[NBUCKETS + 1]; /* non-cumulative; the last is +Inf */
	uint64_t latency_sum_ns;
	uint64_t latency_count;
};

struct server {
	const struct server_config *cfg;
	struct handler_settings hs;
	struct store_watch *watch;
	struct httpd *httpd; /* set once listening: its counters go into /metrics */
	struct metrics m;
	struct srv_recent *recent; /* the console's recent transfers; NULL without a console */
	struct console *console;
};

static void count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static uint64_t load(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static size_t route_index(const struct handler_route *r)
{
	return r ? (size_t)(r - handler_routes) : NROUTES - 1;
}

/* Counts one transfer answered by destination name in env e (0 live, 1 sandbox). */
static void count_transfer(struct metrics *m, int e, const char *name)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	struct transfer_slot *tab = m->transfers[e];
	for (size_t k = 0; k < TRANSFER_SLOTS; k++) { /* a name seen before: no lock */
		struct transfer_slot *t = &tab[(h + k) % TRANSFER_SLOTS];
		if (!__atomic_load_n(&t->state, __ATOMIC_ACQUIRE))
			break;
		if (strcmp(t->name, name) == 0) {
			count(&t->n, 1);
			return;
		}
	}
	pthread_mutex_lock(&m->tmu);
	for (size_t k = 0; k < TRANSFER_SLOTS; k++) {
		struct transfer_slot *t = &tab[(h + k) % TRANSFER_SLOTS];
		if (t->state && strcmp(t->name, name) == 0) {
			count(&t->n, 1);
			pthread_mutex_unlock(&m->tmu);
			return;
		}
		if (!t->state) {
			snprintf(t->name, sizeof(t->name), "%s", name);
			__atomic_store_n(&t->n, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&t->state, 1, __ATOMIC_RELEASE);
			pthread_mutex_unlock(&m->tmu);
			return;
		}
	}
	count(&m->transfers_other[e], 1);
	pthread_mutex_unlock(&m->tmu);
}

static void record(struct server *sv, const struct handler_log *log, int status, uint64_t ns)
{
	size_t si = NSTATUS - 1;
	for (size_t i = 0; i + 1 < NSTATUS; i++)
		if (status_codes[i] == status)
			si = i;
	count(&sv->m.requests[route_index(log->route)][si], 1);
	/* a transfer answered: /refer (and any route that answers a destination) */
	if (status == 200 && log->route && log->route->kind != ROUTE_VOICE && log->dest[0])
		count_transfer(&sv->m, log->route->sandbox ? 1 : 0, log->dest);
	if (log->sig_failed)
		count(&sv->m.sig_failures, 1);
	size_t b = 0;
	while (b < NBUCKETS && (double)ns / 1e9 > buckets[b])
		b++;
	count(&sv->m.latency[b], 1);
	count(&sv->m.latency_sum_ns, ns);
	count(&sv->m.latency_count, 1);
}

/* The HTTP adapter's limits (so a scrape shows what the server runs with), how busy it is,
 * and what it refused. */
static void metrics_http(struct server *sv, struct buf *out)
{
	struct httpd *h = __atomic_load_n(&sv->httpd, __ATOMIC_ACQUIRE);
	if (!h)
		return;
	struct httpd_stats st;
	httpd_stats(h, &st);
	buf_printf(
	    out,
	    "# HELP handoff_http_workers Event-loop worker threads.\n"
	    "# TYPE handoff_http_workers gauge\nhandoff_http_workers %u\n"
	    "# HELP handoff_http_workers_busy Workers running a request handler now.\n"
	    "# TYPE handoff_http_workers_busy gauge\nhandoff_http_workers_busy %u\n"
	    "# HELP handoff_http_connections Open client connections.\n"
	    "# TYPE handoff_http_connections gauge\nhandoff_http_connections %u\n"
	    "# HELP handoff_http_limit The HTTP limits in force (seconds, connections).\n"
	    "# TYPE handoff_http_limit gauge\n"
	    "handoff_http_limit{name=\"max_connections\"} %u\n"
	    "handoff_http_limit{name=\"max_per_client\"} %u\n"
	    "handoff_http_limit{name=\"head_timeout_seconds\"} %g\n"
	    "handoff_http_limit{name=\"body_timeout_seconds\"} %g\n"
	    "handoff_http_limit{name=\"keepalive_timeout_seconds\"} %g\n"
	    "handoff_http_limit{name=\"keepalive_off_percent\"} %d\n"
	    "# HELP handoff_http_connections_refused_total Connections refused at accept.\n"
	    "# TYPE handoff_http_connections_refused_total counter\n"
	    "handoff_http_connections_refused_total{reason=\"max_connections\"} %lu\n"
	    "handoff_http_connections_refused_total{reason=\"max_per_client\"} %lu\n"
	    "# HELP handoff_http_timeouts_total Connections closed at a deadline, by phase.\n"
	    "# TYPE handoff_http_timeouts_total counter\n"
	    "handoff_http_timeouts_total{phase=\"head\"} %lu\n"
	    "handoff_http_timeouts_total{phase=\"body\"} %lu\n"
	    "handoff_http_timeouts_total{phase=\"keepalive\"} %lu\n"
	    "# HELP handoff_http_framing_refused_total Requests refused for their framing "
	    "(400, 431), the connection closed.\n"
	    "# TYPE handoff_http_framing_refused_total counter\n"
	    "handoff_http_framing_refused_total %lu\n"
	    "# HELP handoff_http_keepalive_refused_total Answers that closed the connection "
	    "because most connection slots were taken.\n"
	    "# TYPE handoff_http_keepalive_refused_total counter\n"
	    "handoff_http_keepalive_refused_total %lu\n",
	    st.threads, st.busy, st.conns, st.max_conns, st.max_per_client, st.head_ms / 1000.0,
	    st.body_ms / 1000.0, st.idle_ms / 1000.0, HTTPD_BUSY_PERCENT, st.refused_full,
	    st.refused_per_client, st.timeouts_head, st.timeouts_body, st.timeouts_idle, st.framing,
	    st.closed_busy);
}

static void metrics_text(void *ctx, struct buf *out)
{
	struct server *sv = ctx;
	buf_adds(out, "# HELP handoff_requests_total Requests answered, by route and status.\n"
	              "# TYPE handoff_requests_total counter\n");
	for (size_t r = 0; r < NROUTES; r++)
		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t n = load(&sv->m.requests[r][s]);
			if (!n)
				continue;
			char st[8];
			snprintf(st, sizeof(st), "%d", status_codes[s]);
			buf_printf(out, "handoff_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
			           r + 1 < NROUTES ? handler_routes[r].name : "none",
			           status_codes[s] ? st : "other", (unsigned long long)n);
		}
	buf_printf(out,
	           "# HELP handoff_signature_failures_total Requests refused for a missing or "
	           "invalid X-Twilio-Signature.\n"
	           "# TYPE handoff_signature_failures_total counter\n"
	           "handoff_signature_failures_total %llu\n",
	           (unsigned long long)load(&sv->m.sig_failures));
	buf_adds(out, "# HELP handoff_request_duration_seconds Time from request to answer.\n"
	              "# TYPE handoff_request_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += load(&sv->m.latency[b]);
		buf_printf(out, "handoff_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
		           buckets[b], (unsigned long long)cum);
	}
	cum += load(&sv->m.latency[NBUCKETS]);
	buf_printf(out,
	           "handoff_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	           "handoff_request_duration_seconds_sum %.6f\n"
	           "handoff_request_duration_seconds_count %llu\n",
	           (unsigned long long)cum, (double)load(&sv->m.latency_sum_ns) / 1e9,
	           (unsigned long long)load(&sv->m.latency_count));
	buf_adds(out, "# HELP handoff_transfers_total Transfers answered, by environment and the "
	              "destination that answered (after opening hours).\n"
	              "# TYPE handoff_transfers_total counter\n");
	for (int e = 0; e < 2; e++) {
		const char *env = e ? "sandbox" : "live";
		for (size_t k = 0; k < TRANSFER_SLOTS; k++) {
			const struct transfer_slot *t = &sv->m.transfers[e][k];
			if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE))
				buf_printf(out,
				           "handoff_transfers_total{env=\"%s\",destination=\"%s\"} "
				           "%llu\n",
				           env, t->name, (unsigned long long)load(&t->n));
		}
		if (load(&sv->m.transfers_other[e]))
			buf_printf(
			    out, "handoff_transfers_total{env=\"%s\",destination=\"other\"} %llu\n",
			    env, (unsigned long long)load(&sv->m.transfers_other[e]));
	}
	struct dest_set *live = store_watch_get(sv->watch, DEST_LIVE);
	struct dest_set *sand = store_watch_get(sv->watch, DEST_SANDBOX);
	buf_printf(out,
	           "# HELP handoff_live_version The promoted version being served as live.\n"
	           "# TYPE handoff_live_version gauge\nhandoff_live_version %d\n"
	           "# HELP handoff_sandbox_revision A counter that moves whenever the sandbox "
	           "changes.\n"
	           "# TYPE handoff_sandbox_revision gauge\nhandoff_sandbox_revision %lld\n"
	           "# HELP handoff_destinations Destinations loaded, by environment.\n"
	           "# TYPE handoff_destinations gauge\n"
	           "handoff_destinations{env=\"live\"} %zu\nhandoff_destinations{env=\"sandbox\"} "
	           "%zu\n",
	           live->version, (long long)sand->changed, live->n, sand->n);
	struct store_watch_status st;
	store_watch_status(sv->watch, &st, NULL, 0);
	buf_printf(out,
	           "# HELP handoff_reload_failures_total Reloads of the database that failed "
	           "(the previous destinations stay served).\n"
	           "# TYPE handoff_reload_failures_total counter\nhandoff_reload_failures_total "
	           "%lu\n"
	           "# HELP handoff_store_up Whether the last read of the store succeeded (0: it is "
	           "unreachable or unreadable, and the last good snapshot is served).\n"
	           "# TYPE handoff_store_up gauge\nhandoff_store_up{backend=\"%s\"} %d\n"
	           "# HELP handoff_store_notices_total Change notices received from the store "
	           "(PostgreSQL's LISTEN/NOTIFY; SQLite is polled).\n"
	           "# TYPE handoff_store_notices_total counter\nhandoff_store_notices_total %lu\n"
	           "# HELP handoff_store_reconnects_total Times the store was opened afresh after "
	           "it was lost.\n"
	           "# TYPE handoff_store_reconnects_total counter\nhandoff_store_reconnects_total "
	           "%lu\n",
	           st.failures, st.backend, st.up ? 1 : 0, st.notices, st.reconnects);
	dest_set_release(live);
	dest_set_release(sand);
	metrics_http(sv, out);
}

/* /healthz: 200 either way, so a load balancer keeps a replica that serves its last good
 * snapshot while the store is away; the text says which. */
static void health_text(void *ctx, struct buf *out)
{
	struct server *sv = ctx;
	struct store_watch_status st;
	store_watch_status(sv->watch, &st, NULL, 0);
	if (st.up) {
		buf_adds(out, "ok\n");
		return;
	}
	struct dest_set *live = store_watch_get(sv->watch, DEST_LIVE);
	buf_printf(out, "degraded: serving version %d, store unreachable\n", live->version);
	dest_set_release(live);
}

/* ---- the request path ---- */

/* Whether a Host-like value is safe to put in a URL: host, IPv6 literal, port. */
static bool host_ok(const char *h)
{
	if (!h || !*h || strlen(h) > 255)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && !strchr(".-:[]_", *h))
			return false;
	return true;
}

/* The first value of a possibly comma-separated header, trimmed, into out. */
static void first_value(const char *v, char *out, size_t cap)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strcspn(v, ", \t");
	snprintf(out, cap, "%.*s", (int)n, v);
}

/* scheme://host[:port] of this request, as the client asked for it. */
static void base_url(const struct server *sv, const struct http_req *req, char *out, size_t cap)
{
	char proto[16] = "", host[256] = "";
	if (sv->cfg->trust_proxy) {
		const char *p = http_req_header(req, "X-Forwarded-Proto");
		const char *h = http_req_header(req, "X-Forwarded-Host");
		if (p)
			first_value(p, proto, sizeof(proto));
		if (h)
			first_value(h, host, sizeof(host));
	}
	if (strcasecmp(proto, "http") != 0 && strcasecmp(proto, "https") != 0)
		snprintf(proto, sizeof(proto), "%s", req->is_tls ? "https" : "http");
	if (!host[0]) {
		const char *h = http_req_header(req, "Host");
		snprintf(host, sizeof(host), "%s", h ? h : "");
	}
	if (!host_ok(host)) /* an unusable Host: the signature check will refuse it */
		snprintf(host, sizeof(host), "invalid-host");
	for (char *p = proto; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(out, cap, "%s://%s", proto, host);
}

static void access_log(struct srv_line *l, const struct http_req *req,
                       const struct handler_log *log, int status, uint64_t ns)
{
	l->n = 0;
	srv_line_puts(l, "serve: ");
	srv_line_puts(l, req->method);
	srv_line_puts(l, " ");
	if (log->route && log->route->prefix && log->name[0]) { /* /transfer/NAME */
		srv_line_puts(l, log->route->path);
		srv_line_puts(l, log->name);
	} else if (log->route && !log->route->prefix) {
		srv_line_puts(l, log->route->path);
	} else { /* no route, or a /transfer/ refused before its name was read */
		srv_line_putq(l, req->path, 64);
	}
	srv_line_puts(l, " ");
	srv_line_putu(l, (unsigned)status, 0);
	srv_line_puts(l, " ");
	srv_line_putu(l, ns / 1000000, 0);
	srv_line_puts(l, ".");
	srv_line_putu(l, ns / 1000 % 1000, 3);
	srv_line_puts(l, "ms");
	if (log->call_sid[0]) {
		srv_line_puts(l, " call=");
		srv_line_puts(l, log->call_sid);
	}
	if (log->target[0]) {
		srv_line_puts(l, " target=");
		srv_line_putq(l, log->target, TARGET_MAX);
	}
	if (log->dest[0]) {
		srv_line_puts(l, " dest=");
		srv_line_puts(l, log->dest);
	}
	if (log->asked[0]) { /* another destination answered for the one named */
		srv_line_puts(l, " asked=");
		srv_line_puts(l, log->asked);
	}
	if (log->version >= 0) {
		srv_line_puts(l, " version=");
		srv_line_putu(l, (unsigned)log->version, 0);
	}
	if (log->why[0]) {
		srv_line_puts(l, " why=");
		srv_line_putq(l, log->why, sizeof(log->why));
	}
	l->p[l->n++] = '\n';
	srv_log_write(l->p, l->n);
}

/* What one worker thread reuses from request to request (allocated once per
 * thread, freed when it ends): no large allocation per request. */
struct scratch {
	struct handler_log log;
	struct srv_line line;
	char body[4096];
};

static struct perthread scratch_slot = PERTHREAD(sizeof(struct scratch), NULL);

static struct scratch *scratch(void)
{
	return perthread_get(&scratch_slot);
}

/* The console's recent transfers, when it runs: the transfer routes' answers. */
static void feed_console(struct server *sv, const struct http_req *req,
                         const struct handler_log *log, int status, uint64_t ns,
                         const struct timespec *done)
{
	if (sv->recent && srv_recent_wanted(log->route))
		srv_recent_add(sv->recent, req->method, log, status, ns, done);
}

static void handle(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct server *sv = ctx;
	struct timespec t0, t1, wall;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_REALTIME, &wall); /* the request's time: opening hours */
	char base[300] = "";
	if (!sv->cfg->public_url) /* only needed when the URL is rebuilt from the request */
		base_url(sv, req, base, sizeof(base));
	struct scratch *sc = scratch();
	/* the handler decodes the body in place: give it a copy it may write */
	char *small = sc->body;
	char *body = req->body_len < sizeof(sc->body) ? small : xmalloc(req->body_len + 1);
	memcpy(body, req->body, req->body_len);
	body[req->body_len] = '\0';
	struct handler_req hr = {
	    .method = req->method,
	    .path = req->path,
	    .query = req->query,
	    .base_url = base,
	    .content_type = http_req_header(req, "Content-Type"),
	    .signature = http_req_header(req, "X-Twilio-Signature"),
	    .body = body,
	    .body_len = req->body_len,
	    .now = (int64_t)wall.tv_sec,
	};
	struct handler_snap snap = {
	    .live = store_watch_get(sv->watch, DEST_LIVE),
	    .sandbox = store_watch_get(sv->watch, DEST_SANDBOX),
	};
	struct handler_resp hresp = {.body = &resp->body};
	struct handler_log *log = &sc->log;
	int status = handler_handle(&sv->hs, &snap, &hr, &hresp, log);
	dest_set_release((struct dest_set *)snap.live);
	dest_set_release((struct dest_set *)snap.sandbox);
	if (body != small)
		free(body);
	resp->status = status;
	resp->content_type = hresp.content_type;
	if (hresp.allow)
		http_resp_header(resp, "Allow", hresp.allow);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	uint64_t ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)t1.tv_nsec -
	              (uint64_t)t0.tv_nsec;
	record(sv, log, status, ns);
	access_log(&sc->line, req, log, status, ns);
	feed_console(sv, req, log, status, ns, &t1);
}

/* ---- run ---- */

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	srv_log_write(line, (size_t)n);
}

/* Says once per load when a snapshot's zone could not be read (its destinations then
 * answer as if they had no hours). */
static void zone_warnings(struct store_watch *w)
{
	for (int e = 0; e < 2; e++) {
		struct dest_set *set = store_watch_get(w, e ? DEST_SANDBOX : DEST_LIVE);
		if (set->zone_error[0])
			note("serve: WARNING: %s: a time zone could not be read: %s; that "
			     "destination "
			     "answers as if it had no opening hours",
			     e ? "sandbox" : "live", set->zone_error);
		dest_set_release(set);
	}
}

static void versions(struct store_watch *w, int *live, int64_t *sandbox, size_t *nlive,
                     size_t *nsand)
{
	struct dest_set *l = store_watch_get(w, DEST_LIVE);
	struct dest_set *s = store_watch_get(w, DEST_SANDBOX);
	*live = l->version;
	*sandbox = s->changed;
	*nlive = l->n;
	*nsand = s->n;
	dest_set_release(l);
	dest_set_release(s);
}

/* The console's own listener beside the public one, reading the recent transfers. */
static int start_console(struct server *sv, const struct server_config *cfg, int port)
{
	char err[1024], beside[300];
	snprintf(beside, sizeof(beside), "%s (port %d)", cfg->listen, port);
	sv->recent = srv_recent_new(CONSOLE_RECENT_MAX);
	struct console_config cc = {
	    .listen = cfg->console_listen,
	    .db = cfg->db,
	    .public_url = cfg->console_public_url,
	    .token = cfg->console_token,
	    .token_file = cfg->console_token_file,
	    .source = {sv->recent, srv_recent_read},
	    .server_listen = beside,
	};
	if (console_start(&sv->console, &cc, err, sizeof(err)) == 0)
		return 0;
	const char *hint = strstr(err, "\nhint: ");
	if (hint)
		fprintf(stderr, "handoff: serve: console: %.*s\n%s\n", (int)(hint - err), err,
		        hint + 1);
	else
		fprintf(stderr, "handoff: serve: console: %s\n", err);
	return 1;
}

int server_run(const struct server_config *cfg)
{
	/* the auth tokens are in this process's memory: no core dump, no ptrace by peers */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	struct server *sv = xcalloc(1, sizeof(*sv));
	sv->cfg = cfg;
	pthread_mutex_init(&sv->m.tmu, NULL);
	sv->hs = (struct handler_settings){
	    .public_url = cfg->public_url,
	    .agent_uri = cfg->agent,
	    .allow_direct = cfg->allow_direct,
	    .keys = cfg->keys,
	    .insecure = cfg->insecure,
	    .metrics = metrics_text,
	    .metrics_ctx = sv,
	    .health = health_text,
	};
	/* every thread started from here on inherits the mask: signals arrive
	 * only at the sigwait below */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	srv_log_start();

	char err[512], db[512];
	store_redact(cfg->db, db, sizeof(db)); /* what the log shows: no password */
	int rc = store_watch_start(&sv->watch, cfg->db, err, sizeof(err));
	if (rc) {
		srv_log_stop();
		fprintf(stderr, "handoff: serve: %s\n", err); /* err names the database */
		if (store_is_url(cfg->db))
			fprintf(stderr,
			        "hint: a server starts only with its database reachable (it has "
			        "nothing to serve before); is PostgreSQL up, the URL right?\n");
		pthread_mutex_destroy(&sv->m.tmu);
		free(sv);
		return 1;
	}
	struct httpd_config hc = {
	    .listen = cfg->listen,
	    .threads = cfg->threads,
	    .max_body = FORM_MAX_BODY,
	    .max_conns = cfg->max_conns,
	    .max_per_client = cfg->max_per_client,
	    .head_ms = cfg->head_ms,
	    .body_ms = cfg->body_ms,
	    .idle_ms = cfg->idle_ms,
	    .handler = handle,
	    .ctx = sv,
	};
	struct httpd *h = NULL;
	rc = httpd_start(&h, &hc, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "handoff: serve: cannot listen on %s: %s\n", cfg->listen, err);
		fprintf(stderr, "hint: is another server on that port? --listen 127.0.0.1:0 picks "
		                "a free one\n");
		store_watch_stop(sv->watch);
		srv_log_stop();
		pthread_mutex_destroy(&sv->m.tmu);
		free(sv);
		return 1;
	}
	__atomic_store_n(&sv->httpd, h, __ATOMIC_RELEASE);
	if (cfg->console_listen && start_console(sv, cfg, httpd_port(h)) != 0) {
		httpd_stop(h);
		store_watch_stop(sv->watch);
		srv_log_stop();
		srv_recent_free(sv->recent);
		pthread_mutex_destroy(&sv->m.tmu);
		free(sv);
		return 1;
	}
	int live;
	int64_t sand;
	size_t nlive, nsand;
	versions(sv->watch, &live, &sand, &nlive, &nsand);
	struct httpd_stats st;
	httpd_stats(h, &st);
	note("serve: listening on %s (port %d, %d threads); db %s: live version %d (%zu "
	     "destinations), sandbox %zu destinations; public URL %s; signatures %s",
	     cfg->listen, httpd_port(h), cfg->threads, db, live, nlive, nsand,
	     cfg->public_url
	         ? cfg->public_url
	         : (cfg->trust_proxy ? "rebuilt from X-Forwarded-*/Host" : "rebuilt from Host"),
	     cfg->insecure                                 ? "NOT CHECKED (--insecure-no-signature)"
	     : cfg->keys.secondary && *cfg->keys.secondary ? "checked (primary and secondary token)"
	                                                   : "checked (primary token)");
	zone_warnings(sv->watch);
	char per[48];
	if (st.max_per_client)
		snprintf(per, sizeof(per), "%u per client address", st.max_per_client);
	else
		snprintf(per, sizeof(per), "no per-client cap");
	note("serve: limits: %u connections, %s; deadlines: head %gs, body %gs, keep-alive %gs "
	     "(none past %d%% of the connections)",
	     st.max_conns, per, st.head_ms / 1000.0, st.body_ms / 1000.0, st.idle_ms / 1000.0,
	     HTTPD_BUSY_PERCENT);
	if (!store_watch_has_db(sv->watch))
		note("serve: no database at %s yet: no destinations are served until one is "
		     "created there (handoff import FILE, or handoff dest add)",
		     db);
	if (cfg->insecure)
		note("serve: WARNING: signature checks are off: anyone who can reach this port "
		     "can ask for any destination's TwiML");
	int sig = 0;
	unsigned long failures = 0;
	bool up = true;
	for (;;) {
		struct timespec tick = {1, 0};
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP) {
			note("serve: SIGHUP: reloading %s", db);
			store_watch_poke(sv->watch);
		}
		int l2;
		int64_t s2;
		size_t nl2, ns2;
		versions(sv->watch, &l2, &s2, &nl2, &ns2);
		char why[256];
		struct store_watch_status ws;
		store_watch_status(sv->watch, &ws, why, sizeof(why));
		if (ws.failures != failures) {
			/* one line per second at most, however often the watcher retried */
			note("serve: cannot reload the database (%lu failure%s so far): %s; still "
			     "serving "
			     "live version %d",
			     ws.failures, ws.failures == 1 ? "" : "s", why, live);
			failures = ws.failures;
		}
		if (ws.up && !up)
			note("serve: the database %s can be read again (%lu reconnection%s so far)",
			     db, ws.reconnects, ws.reconnects == 1 ? "" : "s");
		up = ws.up;
		if (l2 != live || s2 != sand) {
			note("serve: loaded live version %d (%zu destinations), sandbox revision "
			     "%lld "
			     "(%zu destinations)",
			     l2, nl2, (long long)s2, ns2);
			zone_warnings(sv->watch);
			live = l2;
			sand = s2;
		}
	}
	note("serve: %s: finishing in-flight requests", sig == SIGINT ? "SIGINT" : "SIGTERM");
	__atomic_store_n(&sv->httpd, NULL, __ATOMIC_RELEASE);
	console_stop(sv->console);
	httpd_stop(h);
	store_watch_stop(sv->watch);
	crypto_thread_done();
	note("serve: stopped");
	srv_log_stop();
	pthread_mutex_destroy(&sv->m.tmu);
	srv_recent_free(sv->recent);
	free(sv);
	return 0;
}

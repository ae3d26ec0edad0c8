/* parity: each flow file runs twice through the emulator's engine, once with its REFERs on
 * the JSON control path (emu_refer) and once over real SIP: a SIPp party holds the dialog (an
 * agent the emulator rings, or a PBX that INVITEs the emulator's SIP address) and sends the
 * flow's REFERs itself, and the emulator's SIP front door (emulator/sip_front.c) answers.
 * What SIPp received (each REFER's answer, its NOTIFY sipfrags, the BYEs) must equal what the
 * JSON path answered, and the legs must end in the same states.
 *
 *   parity [-v] FLOW.json...   one line per flow (ok, FAIL with what differs, skip with why),
 *                              then "N passed, N failed" (flows compared)
 *
 * A flow runs over SIP when its REFERs all come from the first SIP dialog: the agent of a
 * twilio-voice <Dial><Sip> (its address is moved to the SIPp agent on loopback, for both
 * runs), or the caller / PBX on P (trunk, Plivo, a Conference call). SIPp sends the step's
 * target as X-Emulator-Target, and its X- headers. UDP. */
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emulator/engine.h"
#include "emulator/flow.h"
#include "emulator/sip_front.h"

#define PARITY_WAIT_S 30 /* the longest a REFER or a call may take over SIP */

enum mode { AGENT, PBX };
enum ending { E_NONE, E_BYE_IN, E_BYE_OUT }; /* after a REFER: the emulator BYEs, SIPp does */

struct run {
	enum mode mode;
	int port; /* SIPp's (agent mode) */
	char dir[512];
	pid_t sipp;
	struct emu_sipfront *front;
	struct emu_engine *eng;
	const struct emu_call_spec *spec;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char sid[EMU_SID_LEN + 1];
	bool created;
	json_t *done[EMU_FLOW_MAX_STEPS]; /* each REFER's answer, as the front door ran it */
	size_t ndone, next;
	int want_lines; /* what SIPp must have logged before the front door may stop */
	char err[256];
};

static int verbose;

static int free_udp_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &n)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(a.sin_port);
}

/* Whether something holds UDP port p on loopback (SIPp listening). */
static bool udp_taken(int p)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)p),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool taken = bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0;
	close(fd);
	return taken;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- the SIPp scenario, written from the flow's steps ---- */

/* Text inside the scenario's CDATA sections: as it is (entities are not read there), with
 * "]]>" broken up and line ends left out. */
static void cdata_text(FILE *f, const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			continue;
		else if (s[0] == ']' && s[1] == ']' && s[2] == '>')
			fputs("]] >", f), s += 2;
		else
			fputc(*s, f);
}

static const char *str_of(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The dialog's own lines for a request we send (agent: the UAS side, PBX: the UAC side). */
static void dialog_lines(FILE *f, enum mode m)
{
	if (m == AGENT)
		fputs("From: [$me]\nTo: [$peer]\n", f);
	else
		fputs("From: <sip:+14155550100@[local_ip]:[local_port]>;tag=[pid]pbx[call_number]\n"
		      "To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]\n",
		      f);
}

/* A 200 to the last request; then to label next (when the variable test is set, if any). */
static void ok_answer(FILE *f, const char *next, const char *test)
{
	fprintf(f, "  <send");
	if (next)
		fprintf(f, " next=\"%s\"", next);
	if (test)
		fprintf(f, " test=\"%s\"", test);
	fputs(">\n    <![CDATA[\nSIP/2.0 200 OK\n[last_Via:]\n[last_From:]\n[last_To:]\n"
	      "[last_Call-ID:]\n[last_CSeq:]\nContent-Length: 0\n\n]]>\n  </send>\n",
	      f);
}

static void scenario(FILE *f, enum mode m, json_t *steps, const enum ending *end)
{
	const char *target = m == AGENT ? "[$contact]" : "[next_url]";
	fputs("<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n<scenario name=\"parity\">\n", f);
	if (m == AGENT) {
		fputs("  <recv request=\"INVITE\"><action><ereg regexp=\"sip:[^>]*\" search_in=\"hdr\" "
		      "header=\"Contact:\" check_it=\"true\" assign_to=\"contact\"/></action></recv>\n"
		      "  <send retrans=\"500\">\n    <![CDATA[\nSIP/2.0 200 OK\n[last_Via:]\n"
		      "[last_From:]\n[last_To:];tag=[pid]par[call_number]\n[last_Call-ID:]\n"
		      "[last_CSeq:]\nContact: <sip:agent@[local_ip]:[local_port]>\n"
		      "Content-Type: application/sdp\nContent-Length: [len]\n\nv=0\n"
		      "o=a 1 1 IN IP4 [local_ip]\ns=-\nc=IN IP4 [local_ip]\nt=0 0\n"
		      "m=audio [media_port] RTP/AVP 0\n]]>\n  </send>\n"
		      "  <recv request=\"ACK\"><action><ereg regexp=\".*\" search_in=\"hdr\" "
		      "header=\"To:\" check_it=\"true\" assign_to=\"me\"/><ereg regexp=\".*\" "
		      "search_in=\"hdr\" header=\"From:\" check_it=\"true\" assign_to=\"peer\"/>"
		      "</action></recv>\n",
		      f);
	} else {
		fputs("  <send retrans=\"500\">\n    <![CDATA[\nINVITE "
		      "sip:[service]@[remote_ip]:[remote_port] SIP/2.0\n"
		      "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
		      "From: <sip:+14155550100@[local_ip]:[local_port]>;tag=[pid]pbx[call_number]\n"
		      "To: <sip:[service]@[remote_ip]:[remote_port]>\nCall-ID: [call_id]\n"
		      "CSeq: 1 INVITE\nContact: <sip:pbx@[local_ip]:[local_port]>\n"
		      "Max-Forwards: 70\nContent-Type: application/sdp\nContent-Length: [len]\n\n"
		      "v=0\no=p 1 1 IN IP4 [local_ip]\ns=-\nc=IN IP4 [local_ip]\nt=0 0\n"
		      "m=audio [media_port] RTP/AVP 0\n]]>\n  </send>\n"
		      "  <recv response=\"100\" optional=\"true\"/>\n"
		      "  <recv response=\"180\" optional=\"true\"/>\n"
		      "  <recv response=\"200\" rrs=\"true\"/>\n"
		      "  <send>\n    <![CDATA[\nACK [next_url] SIP/2.0\n"
		      "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n",
		      f);
		dialog_lines(f, m);
		fputs("Call-ID: [call_id]\nCSeq: 1 ACK\nContent-Length: 0\n\n]]>\n  </send>\n", f);
	}
	static const int refused[] = {400, 403, 404, 405, 481, 488, 491, 501, 503, 603};
	size_t k = 0;
	for (size_t i = 0; i < json_array_size(steps); i++) {
		json_t *st = json_array_get(steps, i);
		if (!str_of(st, "refer"))
			continue;
		unsigned cseq = 100 + (unsigned)k;
		fprintf(f, "  <pause milliseconds=\"%d\"/>\n  <send retrans=\"500\">\n    <![CDATA[\n"
		           "REFER %s SIP/2.0\n"
		           "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n",
		        k ? 50 : 100, target);
		dialog_lines(f, m);
		fprintf(f, "Call-ID: [call_id]\nCSeq: %u REFER\nContact: <sip:p@[local_ip]:[local_port]>\n"
		           "Max-Forwards: 70\nRefer-To: ",
		        cseq);
		cdata_text(f, str_of(st, "refer_to"));
		fprintf(f, "\nX-Emulator-Target: %s\n", str_of(st, "target") ? str_of(st, "target") : "answer");
		const char *hn;
		json_t *hv;
		json_object_foreach(json_object_get(st, "headers"), hn, hv)
		{
			cdata_text(f, hn);
			fputs(": ", f);
			cdata_text(f, json_string_value(hv) ? json_string_value(hv) : "");
			fputc('\n', f);
		}
		fputs("Content-Length: 0\n\n]]>\n  </send>\n", f);
		fprintf(f, "  <recv response=\"202\" optional=\"true\" next=\"n%zu\"><action><log "
		           "message=\"S%zu ANSWER 202\"/></action></recv>\n",
		        k, k);
		for (size_t r = 0; r < sizeof(refused) / sizeof(refused[0]); r++)
			fprintf(f, "  <recv response=\"%d\"%s next=\"a%zu\"><action><log message=\"S%zu "
			           "ANSWER %d\"/></action></recv>\n",
			        refused[r], r + 1 < sizeof(refused) / sizeof(refused[0]) ? " optional=\"true\"" : "",
			        k, k, refused[r]);
		fprintf(f, "  <label id=\"n%zu\"/>\n", k);
		for (int n = 0; n < 3; n++) {
			fprintf(f, "  <recv request=\"BYE\" optional=\"true\" next=\"bye\"><action><log "
			           "message=\"S%zu BYE\"/></action></recv>\n"
			           "  <recv request=\"NOTIFY\"><action>"
			           "<ereg regexp=\"^SIP/2.0 [0-9]{3} [[:print:]]*\" search_in=\"body\" "
			           "check_it=\"true\" assign_to=\"frag\"/><ereg regexp=\"terminated\" "
			           "search_in=\"hdr\" header=\"Subscription-State:\" assign_to=\"done%zu\"/>"
			           "<log message=\"S%zu NOTIFY [$frag]\"/></action></recv>\n",
			        k, k, k);
			char lbl[16], var[16]; /* a variable per REFER: it stays set */
			snprintf(lbl, sizeof(lbl), "a%zu", k);
			snprintf(var, sizeof(var), "done%zu", k);
			ok_answer(f, lbl, n < 2 ? var : NULL);
		}
		fprintf(f, "  <label id=\"a%zu\"/>\n", k);
		if (end[k] == E_BYE_IN)
			fprintf(f, "  <recv request=\"BYE\" next=\"bye\"><action><log message=\"S%zu "
			           "BYE\"/></action></recv>\n",
			        k);
		if (end[k] == E_BYE_OUT) {
			fprintf(f, "  <send retrans=\"500\">\n    <![CDATA[\nBYE %s SIP/2.0\n"
			           "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n",
			        target);
			dialog_lines(f, m);
			fprintf(f, "Call-ID: [call_id]\nCSeq: %u BYE\nContent-Length: 0\n\n]]>\n"
			           "  </send>\n  <recv response=\"200\" next=\"end\"><action><log "
			           "message=\"S%zu BYE_SENT\"/></action></recv>\n",
			        cseq + 50, k);
		}
		k++;
	}
	/* the dialog still up: the BYE at the end (a hang-up step, or the front door stopping) */
	fputs("  <recv request=\"BYE\"><action><log message=\"END BYE\"/></action></recv>\n"
	      "  <label id=\"bye\"/>\n",
	      f);
	ok_answer(f, "end", NULL);
	fputs("  <label id=\"end\"/>\n</scenario>\n", f);
}

/* ---- SIPp ---- */

static pid_t sipp_start(struct run *r, const char *remote)
{
	char port[16], scen[600], log[600];
	snprintf(port, sizeof(port), "%d", r->mode == AGENT ? r->port : free_udp_port());
	snprintf(scen, sizeof(scen), "%s/parity.xml", r->dir);
	snprintf(log, sizeof(log), "%s/parity.log", r->dir);
	fflush(NULL); /* the child must not write our buffered lines again */
	pid_t pid = fork();
	if (pid == 0) {
		if (chdir(r->dir) != 0)
			_exit(127);
		if (!freopen("sipp.out", "w", stdout) || !freopen("sipp.err", "w", stderr))
			_exit(127);
		const char *argv[40] = {"sipp", "-sf", scen, "-i", "127.0.0.1", "-p", port,
		                        "-t", "u1", "-m", "1", "-timeout", "30s", "-timeout_error",
		                        "-recv_timeout", "20000", "-nostdin", "-trace_logs",
		                        "-log_file", log, "-trace_msg", "-message_file", "msg.log"};
		int n = 23;
		if (remote) {
			argv[n++] = "-s";
			argv[n++] = "14155550199";
			argv[n++] = remote;
		}
		argv[n] = NULL;
		execvp("sipp", (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Waits for SIPp (at most secs, then kills it); its exit status, or -1. */
static int sipp_wait(pid_t pid, int secs)
{
	int st = 0;
	for (int i = 0; i < secs * 20; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* ---- the flow's hooks: the SIP run ---- */

static int front_create(void *ctx, const struct emu_sipfront_invite *inv)
{
	struct run *r = ctx;
	struct emu_call_spec sp = *r->spec; /* the flow's call, with the CallSid of the dialog */
	sp.sid = inv->sid;
	char sid[EMU_SID_LEN + 1];
	int rc = emu_call_create(r->eng, &sp, sid);
	pthread_mutex_lock(&r->mu);
	if (!rc)
		memcpy(r->sid, sid, sizeof(sid));
	r->created = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static void front_refer_done(void *ctx, const char *leg_sid, json_t *out)
{
	struct run *r = ctx;
	(void)leg_sid;
	pthread_mutex_lock(&r->mu);
	if (r->ndone < EMU_FLOW_MAX_STEPS)
		r->done[r->ndone++] = json_deep_copy(out);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void hook_engine(void *ctx, struct emu_engine *e)
{
	struct run *r = ctx;
	r->eng = e;
	struct emu_sipfront_config c = {"127.0.0.1:0", e, r, front_create, front_refer_done};
	char err[200];
	if (emu_sipfront_start(&c, &r->front, err, sizeof(err)))
		snprintf(r->err, sizeof(r->err), "the SIP front door: %s", err);
	if (r->mode == AGENT && r->front) {
		r->sipp = sipp_start(r, NULL);
		for (int i = 0; i < 100 && !udp_taken(r->port); i++)
			sleep_ms(50);
	}
}

/* Waits on r->cv until *flag says so, at most PARITY_WAIT_S; with r->mu held. */
static bool wait_for(struct run *r, bool (*ready)(struct run *))
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += PARITY_WAIT_S;
	while (!ready(r))
		if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) == ETIMEDOUT)
			return ready(r);
	return true;
}

static bool is_created(struct run *r)
{
	return r->created;
}

static bool refer_ready(struct run *r)
{
	return r->ndone > r->next;
}

static int hook_create(void *ctx, struct emu_engine *e, const struct emu_call_spec *spec,
                       char *sid_out)
{
	struct run *r = ctx;
	if (!r->front)
		return EIO;
	if (r->mode == AGENT)
		return emu_call_create(e, spec, sid_out);
	r->spec = spec;
	r->sipp = sipp_start(r, emu_sipfront_addr(r->front));
	pthread_mutex_lock(&r->mu);
	bool ok = wait_for(r, is_created) && r->sid[0];
	if (ok)
		memcpy(sid_out, r->sid, EMU_SID_LEN + 1);
	pthread_mutex_unlock(&r->mu);
	return ok ? 0 : ETIMEDOUT;
}

static int hook_refer(void *ctx, struct emu_engine *e, const char *leg_sid,
                      const struct emu_refer_req *req, json_t **out)
{
	struct run *r = ctx;
	(void)e, (void)leg_sid, (void)req; /* SIPp sends this REFER: the front door runs it */
	pthread_mutex_lock(&r->mu);
	bool ok = wait_for(r, refer_ready);
	if (ok)
		*out = r->done[r->next++];
	pthread_mutex_unlock(&r->mu);
	return ok ? 0 : ETIMEDOUT;
}

static int log_lines(const struct run *r)
{
	char path[600], line[1024];
	snprintf(path, sizeof(path), "%s/parity.log", r->dir);
	FILE *f = fopen(path, "r");
	int n = 0;
	while (f && fgets(line, sizeof(line), f))
		n += strncmp(line, "END ", 4) != 0;
	if (f)
		fclose(f);
	return n;
}

static void hook_done(void *ctx, struct emu_engine *e)
{
	struct run *r = ctx;
	(void)e;
	/* the engine is done at once (virtual clock); the wire is not: let SIPp see it all (or
	 * give up after a while: then what it missed shows in the comparison) */
	for (int i = 0; i < 200 && r->sipp > 0 && log_lines(r) < r->want_lines; i++)
		sleep_ms(50);
	emu_sipfront_free(r->front); /* BYE to a dialog still up: the scenario's last step */
	r->front = NULL;
}

/* ---- comparing ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* What the JSON run says SIPp will see after REFER k: the emulator's BYE, or the transferor's. */
static enum ending ending_of(json_t *res, size_t k, const char *label)
{
	json_t *refers = json_object_get(res, "refers"), *evs = json_object_get(res, "events");
	size_t from = (size_t)json_integer_value(json_object_get(json_array_get(refers, k), "events_from"));
	json_t *nx = json_array_get(refers, k + 1);
	size_t to = nx ? (size_t)json_integer_value(json_object_get(nx, "events_from"))
	               : json_array_size(evs);
	for (size_t i = from; i < to && i < json_array_size(evs); i++) {
		json_t *v = json_array_get(evs, i), *s = json_object_get(v, "sip");
		if (!s || strcmp(str_of(v, "leg"), label) || !str_of(s, "method") ||
		    strcmp(str_of(s, "method"), "BYE"))
			continue;
		return strcmp(str_of(s, "dir"), "out") == 0 ? E_BYE_IN : E_BYE_OUT;
	}
	return E_NONE;
}

/* "label:status ..." of a result's call, and who is connected. */
static void states(json_t *res, char *out, size_t n)
{
	size_t i, used = 0;
	json_t *l, *call = json_object_get(res, "call");
	out[0] = 0;
	json_array_foreach(json_object_get(call, "legs"), i, l)
	{
		used += (size_t)snprintf(out + used, used < n ? n - used : 0, "%s:%s ",
		                         str_of(l, "label"), str_of(l, "status"));
	}
	char *c = json_dumps(json_object_get(call, "connected"), JSON_COMPACT);
	snprintf(out + (used < n ? used : n - 1), used < n ? n - used : 1, "%s", c ? c : "");
	free(c);
}

static int compare(const char *name, json_t *a, json_t *b, const char *log, const enum ending *end,
                   size_t nrefer)
{
	char want[2048] = "", got[2048] = "", sa[1024], sb[1024];
	size_t w = 0;
	for (size_t k = 0; k < nrefer; k++) {
		json_t *rf = json_array_get(json_object_get(a, "refers"), k), *nv;
		w += (size_t)snprintf(want + w, sizeof(want) - w, "S%zu ANSWER %lld\n", k,
		                      (long long)json_integer_value(json_object_get(rf, "sip_response")));
		size_t i;
		json_array_foreach(json_object_get(rf, "notify"), i, nv)
		{
			w += (size_t)snprintf(want + w, sizeof(want) - w, "S%zu NOTIFY %s\n", k,
			                      json_string_value(nv));
		}
		if (end[k] == E_BYE_IN)
			w += (size_t)snprintf(want + w, sizeof(want) - w, "S%zu BYE\n", k);
		if (end[k] == E_BYE_OUT)
			w += (size_t)snprintf(want + w, sizeof(want) - w, "S%zu BYE_SENT\n", k);
		if (end[k] != E_NONE)
			break; /* the dialog is over */
	}
	size_t g = 0;
	for (const char *p = log; p && *p;) {
		size_t len = strcspn(p, "\n");
		if (len && strncmp(p, "END ", 4) != 0)
			g += (size_t)snprintf(got + g, sizeof(got) - g, "%.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
	states(a, sa, sizeof(sa));
	states(b, sb, sizeof(sb));
	int bad = strcmp(want, got) != 0 || strcmp(sa, sb) != 0;
	if (bad)
		printf("FAIL  %s\n  over SIP, SIPp saw:\n%s  the JSON path answered:\n%s"
		       "  legs over SIP:  %s\n  legs over JSON: %s\n",
		       name, got, want, sb, sa);
	else
		printf("ok    %s (%zu REFER%s)%s%s", name, nrefer, nrefer == 1 ? "" : "s",
		       verbose ? "\n" : "\n", verbose ? got : "");
	return bad;
}

/* The first twilio-voice <Dial><Sip> agent's address, from a plain run. */
static char *agent_address(json_t *res)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(json_object_get(res, "call"), "legs"), i, l)
	{
		if (strcmp(str_of(l, "label"), "A") == 0 && strncmp(str_of(l, "to"), "sip:", 4) == 0)
			return strndup(str_of(l, "to"), strcspn(str_of(l, "to"), "?;"));
	}
	return NULL;
}

/* The flow with every occurrence of from replaced by to (its addresses, TwiML included). */
static json_t *rewritten(json_t *flow, const char *from, const char *to)
{
	char *s = json_dumps(flow, JSON_COMPACT);
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = s; (p = strstr(p, from)); p += fl)
		n++;
	char *out = malloc(strlen(s) + n * tl + 1), *o = out;
	const char *p = s;
	for (const char *q; (q = strstr(p, from)); p = q + fl) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
	}
	strcpy(o, p);
	json_t *j = json_loads(out, 0, NULL);
	free(out);
	free(s);
	return j;
}

/* One flow: 0 compared equal, 1 differs, 2 skipped. */
static int run_flow(const char *path)
{
	json_error_t je;
	json_t *flow = json_load_file(path, 0, &je);
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (!flow)
		return printf("FAIL  %s: %s\n", name, je.text), 1;
	json_t *steps = json_object_get(flow, "steps"), *st;
	size_t i, nrefer = 0;
	const char *leg = NULL;
	bool same_leg = true;
	json_array_foreach(steps, i, st)
	{
		const char *l = str_of(st, "refer");
		if (!l)
			continue;
		nrefer++;
		same_leg &= !leg || strcmp(leg, l) == 0;
		leg = l;
	}
	char err[512];
	json_t *plain = NULL, *a = NULL, *b = NULL;
	int rc = 2;
	const char *why = NULL;
	if (!nrefer)
		why = "no REFER step";
	else if (!same_leg || (strcmp(leg, "A") && strcmp(leg, "P")))
		why = "a REFER from a leg the flow's own answer dials (a chained transfer)";
	else if (json_object_get(flow, "app_url"))
		why = "a live app";
	if (why) {
		printf("skip  %s: %s\n", name, why);
		json_decref(flow);
		return 2;
	}
	struct run r = {.mode = strcmp(leg, "A") == 0 ? AGENT : PBX};
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	if (emu_flow_run(flow, NULL, &plain, err, sizeof(err)) != 0) {
		printf("skip  %s: %s\n", name, err);
		goto out;
	}
	json_t *f2 = json_incref(flow);
	if (r.mode == AGENT) {
		char *agent = agent_address(plain), to[96];
		if (!agent) {
			printf("skip  %s: the agent is no <Sip> (a number or a client)\n", name);
			json_decref(f2);
			goto out;
		}
		r.port = free_udp_port();
		snprintf(to, sizeof(to), "sip:agent@127.0.0.1:%d", r.port);
		json_decref(f2);
		f2 = rewritten(flow, agent, to);
		free(agent);
	}
	if (emu_flow_run(f2, NULL, &a, err, sizeof(err)) != 0) {
		printf("FAIL  %s: the JSON run: %s\n", name, err);
		rc = 1;
		json_decref(f2);
		goto out;
	}
	enum ending end[EMU_FLOW_MAX_STEPS] = {E_NONE};
	for (size_t k = 0; k < nrefer; k++)
		end[k] = ending_of(a, k, leg);
	snprintf(r.dir, sizeof(r.dir), "%s/parity-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(r.dir)) {
		printf("FAIL  %s: mkdtemp\n", name);
		rc = 1;
		json_decref(f2);
		goto out;
	}
	for (size_t k = 0; k < nrefer; k++) {
		json_t *rf = json_array_get(json_object_get(a, "refers"), k);
		r.want_lines += 1 + (int)json_array_size(json_object_get(rf, "notify")) + (end[k] != E_NONE);
		if (end[k] != E_NONE)
			break;
	}
	char scen[600], logp[600];
	snprintf(scen, sizeof(scen), "%s/parity.xml", r.dir);
	FILE *sf = fopen(scen, "w");
	scenario(sf, r.mode, json_object_get(f2, "steps"), end);
	fclose(sf);
	struct emu_flow_hooks hk = {&r, hook_engine, hook_create, hook_refer, hook_done};
	struct emu_flow_opts o = {NULL, true};
	int e2 = emu_flow_run_hooked(f2, &o, &hk, &b, err, sizeof(err));
	int sipp_rc = r.sipp > 0 ? sipp_wait(r.sipp, 20) : -1;
	snprintf(logp, sizeof(logp), "%s/parity.log", r.dir);
	char *log = slurp(logp);
	if (e2 || r.err[0]) {
		printf("FAIL  %s: the SIP run: %s%s (SIPp exit %d)\n", name, err, r.err, sipp_rc);
		rc = 1;
	} else {
		rc = compare(name, a, b, log, end, nrefer);
		if (!rc && sipp_rc != 0) {
			printf("FAIL  %s: SIPp exit %d (see %s)\n", name, sipp_rc, r.dir);
			rc = 1;
		}
	}
	if (rc == 0 && !getenv("PARITY_KEEP")) {
		char cmd[700];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "parity: could not remove %s\n", r.dir);
	} else if (rc) {
		printf("      (SIPp's messages and log: %s)\n", r.dir);
	}
	free(log);
	json_decref(f2);
out:
	for (size_t k = r.next; k < r.ndone; k++)
		json_decref(r.done[k]);
	json_decref(plain);
	json_decref(a);
	json_decref(b);
	json_decref(flow);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	return rc;
}

int main(int argc, char **argv)
{
	int pass = 0, fail = 0, skip = 0;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
			continue;
		}
		int rc = run_flow(argv[i]);
		pass += rc == 0;
		fail += rc == 1;
		skip += rc == 2;
	}
	printf("%d flows compared over SIP, %d skipped\n%d passed, %d failed\n", pass + fail, skip,
	       pass, fail);
	return fail ? 1 : 0;
}

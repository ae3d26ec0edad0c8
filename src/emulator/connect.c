/* connect: <Connect><Stream> (the caller is connected to a bidirectional media stream until
 * the call is updated or hung up), <Start><Stream> and <Stop><Stream> (forked streams that
 * run beside the TwiML), with the streams' status callbacks. No media is sent: the stream's
 * URL, name, track and parameters are recorded in the timeline. */
#include "emulator/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/buf.h"
#include "util/mem.h"

void emu_streams_free(struct call *c)
{
	for (size_t i = 0; i < c->nstreams; i++) {
		free(c->streams[i].name);
		free(c->streams[i].url);
		free(c->streams[i].sc_url);
		free(c->streams[i].sc_method);
	}
	c->nstreams = 0;
}

/* The stream's statusCallback, as Twilio sends it: AccountSid, CallSid, StreamSid,
 * StreamName (the name, else the StreamSid), StreamEvent, Timestamp (the
 * stream.timestamp-iso8601 rule: ISO 8601). */
static void stream_callback(struct call *c, const struct stream *s, const char *event)
{
	if (!s->sc_url)
		return;
	struct leg *p = &c->legs[0];
	struct emu_params prm = {0};
	emu_params_add(&prm, "AccountSid", c->eng->account);
	emu_params_add(&prm, "CallSid", p->sid);
	emu_params_add(&prm, "StreamSid", s->sid);
	emu_params_add(&prm, "StreamName", s->name ? s->name : s->sid);
	emu_params_add(&prm, "StreamEvent", event);
	int64_t ms = emu_now(c->eng);
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char ts[40], full[48];
	if (emu_rule_use(c, EMU_R_STREAM_TS, p)) {
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(full, sizeof(full), "%s.%03dZ", ts, (int)(ms % 1000));
	} else {
		strftime(full, sizeof(full), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	}
	emu_params_add(&prm, "Timestamp", full);
	const char *m = s->sc_method && strcasecmp(s->sc_method, "GET") == 0 ? "GET" : "POST";
	(void)emu_webhook(c, p, "Stream statusCallback", m, s->sc_url, &prm, NULL, NULL);
	emu_params_free(&prm);
}

/* Opens the stream a <Stream> describes; NULL (with the reason in the timeline) when it
 * cannot. */
static struct stream *open_stream(struct call *c, const struct twiml_node *n, bool bidi)
{
	struct leg *p = &c->legs[0];
	const char *url = twiml_get(n, "url");
	if (!url || !*url) {
		emu_ev(c, "warning", p, 12200, "<Stream> without a url: no stream");
		return NULL;
	}
	if (c->nstreams >= EMU_ENG_MAX_STREAMS) {
		emu_ev(c, "limit", p, 0, "streams per call limit (%d) reached",
		       EMU_ENG_MAX_STREAMS);
		return NULL;
	}
	struct stream *s = &c->streams[c->nstreams++];
	memset(s, 0, sizeof(*s));
	emu_new_sid(c->eng, "MZ", s->sid);
	s->url = emu_resolve(c->fr.url, url);
	s->name = twiml_get(n, "name") ? xstrdup(twiml_get(n, "name")) : NULL;
	const char *sc = twiml_get(n, "statusCallback");
	s->sc_url = sc && *sc ? emu_resolve(c->fr.url, sc) : NULL;
	s->sc_method = xstrdup(emu_method_of(n, "statusCallbackMethod"));
	s->bidi = bidi;
	s->open = true;
	struct emu_params prm = {0};
	struct buf b;
	buf_init(&b, 2048);
	for (size_t i = 0; i < n->nkids; i++) {
		const struct twiml_node *k = n->kids[i];
		if (k->kind != TWIML_ELEMENT || strcmp(k->name, "Parameter") != 0)
			continue;
		const char *pn = twiml_get(k, "name"), *pv = twiml_get(k, "value");
		if (!pn)
			continue;
		emu_params_add(&prm, pn, pv);
		if (buf_printf(&b, "%s%s=%s", b.len ? ", " : "", pn, pv ? pv : "") != 0)
			break;
	}
	const char *track = twiml_attr(n, "track");
	struct event *v =
	    emu_ev(c, "stream", p, 0,
	           "%s stream %s opened to %s (name %s, track %s, parameters: %s); "
	           "no media is sent",
	           bidi ? "<Connect>" : "<Start>", s->sid, s->url, s->name ? s->name : "(none)",
	           track ? track : "inbound_track", b.len ? buf_str(&b) : "none");
	if (v)
		emu_params_copy(&v->params, &prm);
	buf_free(&b);
	emu_params_free(&prm);
	stream_callback(c, s, "stream-started");
	return s;
}

static void stop_stream(struct call *c, struct stream *s, const char *why)
{
	if (!s->open)
		return;
	s->open = false;
	emu_ev(c, "stream", &c->legs[0], 0, "stream %s%s%s stopped: %s", s->sid, s->name ? " " : "",
	       s->name ? s->name : "", why);
	stream_callback(c, s, "stream-stopped");
}

void emu_streams_stop(struct call *c, const char *why)
{
	if (c->held)
		emu_connect_leave(c, why);
	for (size_t i = 0; i < c->nstreams; i++)
		stop_stream(c, &c->streams[i], why);
}

void emu_connect_leave(struct call *c, const char *why)
{
	if (!c->held)
		return;
	c->held = false;
	c->connect = NULL;
	c->connect_url = NULL;
	c->legs[0].peer[0] = 0;
	stop_stream(c, &c->streams[c->held_at], why);
}

static const struct twiml_node *first_element(const struct twiml_node *v)
{
	for (size_t i = 0; i < v->nkids; i++)
		if (v->kids[i]->kind == TWIML_ELEMENT)
			return v->kids[i];
	return NULL;
}

int emu_do_connect(struct call *c, const struct twiml_node *v)
{
	struct leg *p = &c->legs[0];
	const struct twiml_node *n = first_element(v);
	if (!n || strcmp(n->name, "Stream") != 0) {
		emu_ev(c, "unsupported", p, 12200, "<Connect><%s> is not emulated; skipped",
		       n ? n->name : "");
		return EMU_CONT;
	}
	emu_answer_parent(c);
	struct stream *s = open_stream(c, n, true);
	if (!s)
		return EMU_CONT;
	c->held = true;
	c->held_at = (size_t)(s - c->streams);
	c->connect = v;
	c->connect_url = c->fr.url;
	/* the agent is the stream: a leg the call dials later is B, as after a REFER */
	if (c->next_label == 'A')
		c->next_label = 'B';
	emu_link_peers(c, p, "caller", NULL, "stream");
	return EMU_PAUSE;
}

int emu_do_start(struct call *c, const struct twiml_node *v)
{
	for (size_t i = 0; i < v->nkids; i++) {
		const struct twiml_node *n = v->kids[i];
		if (n->kind != TWIML_ELEMENT)
			continue;
		if (strcmp(n->name, "Stream") == 0)
			(void)open_stream(c, n, false);
		else
			emu_ev(c, "unsupported", &c->legs[0], 12200,
			       "<Start><%s> is not emulated; skipped", n->name);
	}
	return EMU_CONT;
}

int emu_do_stop(struct call *c, const struct twiml_node *v)
{
	for (size_t i = 0; i < v->nkids; i++) {
		const struct twiml_node *n = v->kids[i];
		if (n->kind != TWIML_ELEMENT)
			continue;
		if (strcmp(n->name, "Stream") != 0) {
			emu_ev(c, "unsupported", &c->legs[0], 12200,
			       "<Stop><%s> is not emulated; skipped", n->name);
			continue;
		}
		const char *name = twiml_get(n, "name");
		bool all = !name && emu_rule_use(c, EMU_R_STOP_UNNAMED, &c->legs[0]);
		for (size_t k = 0; k < c->nstreams; k++) {
			struct stream *s = &c->streams[k];
			if (!s->bidi && (all || (name && s->name && strcmp(s->name, name) == 0)))
				stop_stream(c, s, "<Stop><Stream>");
		}
	}
	return EMU_CONT;
}

/* outbound: outbound-api calls (Calls.json) as Twilio places them: the called party rings
 * first, and only its answer fetches the call's Url (or runs its Twiml); busy, no answer
 * and failure end the call with that status and no TwiML. */
#include "emulator/engine_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "twiml/lint.h"
#include "util/mem.h"

void emu_outbound_free(struct call *c)
{
	free(c->ob.url);
	free(c->ob.method);
	free(c->ob.twiml);
	c->ob.url = c->ob.method = c->ob.twiml = NULL;
}

/* Replaces what runs when the call answers (copies; NULL clears). */
static void set_source(struct call *c, const char *url, const char *method, const char *twiml)
{
	emu_outbound_free(c);
	c->ob.url = url ? xstrdup(url) : NULL;
	c->ob.method = method ? xstrdup(method) : NULL;
	c->ob.twiml = twiml ? xstrdup(twiml) : NULL;
}

void emu_outbound_start(struct call *c, const struct emu_call_spec *spec)
{
	struct leg *p = &c->legs[0];
	set_source(c, spec->voice_url, spec->voice_method, spec->twiml);
	c->ob.pending = true;
	emu_ev(c, "call", p, 0, "dialling %s (Timeout %u s)", p->to,
	       spec->timeout_s ? spec->timeout_s : EMU_ENG_DEF_TIMEOUT_S);
	emu_set_status(c, p, ST_RINGING);
	if (spec->hold_ringing || c->ended)
		return;
	/* the virtual clock: the party rings, then does what the spec says */
	if (spec->answer == EMU_NO_ANSWER) {
		emu_advance(c->eng,
		            (int64_t)(spec->timeout_s ? spec->timeout_s : EMU_ENG_DEF_TIMEOUT_S) *
		                1000);
	} else if (spec->answer != EMU_FAIL) {
		int64_t ms = spec->answer_after_ms;
		if (!ms)
			ms = emu_rule_use(c, EMU_R_RING_MS, p);
		emu_advance(c->eng, ms);
	}
	emu_outbound_resolve(c, spec->answer);
}

/* Runs the call's first document: inline TwiML, or the Url fetched with the call's
 * parameters (CallStatus=in-progress now). */
static void run_source(struct call *c)
{
	struct leg *p = &c->legs[0];
	const char *url = c->ob.url ? c->ob.url : "";
	if (c->ob.twiml) {
		struct twiml_node *root = NULL;
		char err[TWIML_MAX_MSG + 16] = "";
		int code =
		    emu_parse_doc(c, p, c->ob.twiml, strlen(c->ob.twiml), &root, err, sizeof(err));
		if (code) {
			emu_ev(c, "error", p, code, "inline TwiML: %s", err);
			emu_end_call(c, ST_FAILED);
			return;
		}
		const char *du = NULL;
		const struct twiml_node *doc = emu_keep_doc(c, root, url, &du);
		emu_set_frame(c, doc, du); /* du is set by emu_keep_doc: two statements */
	} else {
		struct emu_params prm = {0};
		emu_std_params(c, p, &prm);
		const char *m =
		    c->ob.method && strcasecmp(c->ob.method, "GET") == 0 ? "GET" : "POST";
		int r = emu_goto_url(c, "Url", m, url, &prm);
		emu_params_free(&prm);
		if (r == EMU_PAUSE)
			return;
	}
	emu_run(c);
}

void emu_outbound_resolve(struct call *c, enum emu_outcome o)
{
	struct leg *p = &c->legs[0];
	c->ob.pending = false;
	switch (o) {
	case EMU_ANSWER:
		emu_ev(c, "call", p, 200, "%s answered", p->to);
		emu_set_status(c, p, ST_INPROGRESS);
		run_source(c);
		break;
	case EMU_BUSY:
		emu_ev(c, "call", p, 486, "%s is busy: the call ends, no TwiML runs", p->to);
		emu_end_call(c, ST_BUSY);
		break;
	case EMU_NO_ANSWER:
		emu_ev(c, "call", p, 0, "%s did not answer within the Timeout: the call ends",
		       p->to);
		emu_end_call(c, ST_NOANSWER);
		break;
	case EMU_FAIL:
		emu_ev(c, "call", p, 503, "%s could not be reached: the call fails", p->to);
		emu_end_call(c, ST_FAILED);
		break;
	}
}

int emu_call_ring_end(struct emu_engine *e, const char *sid, enum emu_outcome o)
{
	if ((unsigned)o > EMU_FAIL)
		return EINVAL;
	pthread_mutex_lock(&e->mu);
	int li = 0;
	struct call *c = NULL;
	int rc = emu_claim(e, sid, &c, &li);
	if (!rc) {
		if (c->ended || !c->ob.pending || li != 0)
			rc = EALREADY;
		else
			emu_outbound_resolve(c, o);
		c->busy = false;
		pthread_cond_broadcast(&e->idle); /* a REFER over SIP may wait for it */
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}

int emu_outbound_replace(struct call *c, const struct emu_update *u)
{
	if (!c->ob.pending)
		return ENOENT;
	set_source(c, u->twiml ? NULL : u->url, u->twiml ? NULL : u->method, u->twiml);
	emu_ev(c, "api", &c->legs[0], 0, "the call will run %s%s when it answers",
	       u->twiml ? "the new inline TwiML" : "the new Url ", u->twiml ? "" : u->url);
	return 0;
}

/* sip_none: the SIP adapter of a build without libre: `emulator --sip` says so, nothing else
 * changes. */
#include "net/sip.h"

#include <errno.h>
#include <stdio.h>

#ifndef HANDOFF_HAVE_LIBRE

bool sipd_available(void)
{
	return false;
}

int sipd_start(struct sipd **out, const struct sipd_config *cfg, char *err, size_t errlen)
{
	(void)out, (void)cfg;
	snprintf(err, errlen, "this handoff was built without SIP (libre-dev was not found)");
	return ENOTSUP;
}

const char *sipd_addr(const struct sipd *s)
{
	(void)s;
	return "";
}

int sipd_port(const struct sipd *s)
{
	(void)s;
	return 0;
}

void sipd_respond(struct sipd *s, const char *leg, uint32_t cseq, int code, const char *reason)
{
	(void)s, (void)leg, (void)cseq, (void)code, (void)reason;
}

void sipd_notify(struct sipd *s, const char *leg, uint32_t cseq, int code, const char *reason)
{
	(void)s, (void)leg, (void)cseq, (void)code, (void)reason;
}

void sipd_bye(struct sipd *s, const char *leg)
{
	(void)s, (void)leg;
}

void sipd_answer(struct sipd *s, const char *leg)
{
	(void)s, (void)leg;
}

void sipd_end(struct sipd *s, const char *leg, int code)
{
	(void)s, (void)leg, (void)code;
}

int sipd_dial(struct sipd *s, const struct sipd_dial *d, struct sipd_dial_result *res)
{
	(void)s, (void)d, (void)res;
	return ENOENT;
}

int sipd_await_bye(struct sipd *s, const char *leg, unsigned ms)
{
	(void)s, (void)leg, (void)ms;
	return ENOENT;
}

void sipd_stop(struct sipd *s)
{
	(void)s;
}

void sipd_free(struct sipd *s)
{
	(void)s;
}

#endif

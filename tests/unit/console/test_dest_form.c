/* test_dest_form: the console's destination form: a posted form read into a destination
 * (failover routes and opening hours from textareas), every field's error in the CLI's
 * words (the zone and --otherwise checked against the sandbox before saving), the
 * equivalent command line, and the form's own text read back to the same destination. */
#include <stdlib.h>
#include <string.h>

#include "console/dest_form.h"
#include "test.h"
#include "util/mem.h"
#include "webhooks/dest_diff.h"

#define S(x) ((char *)(x))

/* A decoded form over a copy of body (kept for the form's lifetime in *keep). */
static void form_of(const char *body, struct form *f, char **keep)
{
	*keep = xstrdup(body);
	CHECK_INT(form_parse(*keep, strlen(*keep), f), 0);
}

/* The sandbox the form is checked against: after-hours (a number) and front-desk, whose
 * --otherwise is after-hours. */
static struct dest_set *sandbox(void)
{
	struct dest d[2] = {{.name = S("after-hours"), .route = S("+14155550111")},
	                    {.name = S("front-desk"), .route = S("+14155550123")}};
	d[1].hours.tz = S("America/Los_Angeles");
	d[1].hours.otherwise = S("after-hours");
	d[1].hours.nopen = 1;
	CHECK_INT(hours_parse_range("mon-fri 09:00-17:00", &d[1].hours.open[0], NULL, 0), 0);
	return dest_set_new(d, 2);
}

static const char *cmdline(const struct dest_form *df, bool add, struct buf *out)
{
	buf_reset(out);
	dest_form_cmdline(&df->d, df, add, out);
	return buf_str(out);
}

static void reads_failover_and_hours(void)
{
	struct form f;
	char *keep;
	form_of(
	    "name=billing&route=sip%3Abilling%40pbx1.example.com"
	    "&failover=sip%3Abilling%40pbx2.example.com%0D%0A%0D%0A++sip%3Abilling%40pbx3.example."
	    "com+"
	    "%0D%0A&tz=America%2FLos_Angeles&open=mon-fri+08%3A00-18%3A00%0D%0Asat+10%3A00-14%3A00"
	    "&closed=2026-12-25%0D%0Anone&otherwise=after-hours&timeout=&caller_id=&description="
	    "&header_name=X-Caller&header_value=%24caller_id",
	    &f, &keep);
	struct dest_form df;
	dest_form_read(&df, &f, "billing");
	struct dest_set *set = sandbox();
	CHECK_INT(dest_form_check(&df, set), 0);
	CHECK_INT(df.d.nfailover, 2);
	CHECK_STR(df.d.failover[0], "sip:billing@pbx2.example.com");
	CHECK_STR(df.d.failover[1], "sip:billing@pbx3.example.com"); /* trimmed, blank skipped */
	CHECK_STR(df.d.hours.tz, "America/Los_Angeles");
	CHECK_INT(df.d.hours.nopen, 2);
	CHECK_INT(df.d.hours.nclosed, 1); /* "none" is no date, as --closed none */
	CHECK_STR(df.d.hours.otherwise, "after-hours");
	struct buf out;
	buf_init(&out, 16384);
	CHECK_STR(cmdline(&df, true, &out),
	          "handoff dest add billing --route sip:billing@pbx1.example.com --failover "
	          "sip:billing@pbx2.example.com --failover sip:billing@pbx3.example.com --tz "
	          "America/Los_Angeles --open 'mon-fri 08:00-18:00' --open 'sat 10:00-14:00' "
	          "--closed 2026-12-25 --otherwise after-hours --header 'X-Caller: $caller_id'");
	/* set: each list cleared first, so the line leaves exactly the form's destination */
	CHECK_STR(cmdline(&df, false, &out),
	          "handoff dest set billing --description '' --route sip:billing@pbx1.example.com "
	          "--clear-failover --failover sip:billing@pbx2.example.com --failover "
	          "sip:billing@pbx3.example.com --caller-id '' --timeout 0 --clear-hours --tz "
	          "America/Los_Angeles --open 'mon-fri 08:00-18:00' --open 'sat 10:00-14:00' "
	          "--closed 2026-12-25 --otherwise after-hours --clear-headers --header 'X-Caller: "
	          "$caller_id'");

	/* the form's own text for that destination reads back to the same one */
	struct buf post, v;
	buf_init(&post, 16384);
	buf_init(&v, 8192);
	buf_adds(&post, "x=1");
	for (const struct dest_field *x = dest_fields; x->name; x++) {
		buf_reset(&v);
		x->get(&df.d, &v);
		buf_printf(&post, "&%s=", x->name);
		for (const char *p = buf_str(&v); *p; p++)
			buf_printf(&post, "%%%02X", (unsigned char)*p);
	}
	buf_adds(&post, "&header_name=X-Caller&header_value=%24caller_id");
	struct form f2;
	char *keep2;
	form_of(buf_str(&post), &f2, &keep2);
	struct dest_form back;
	dest_form_read(&back, &f2, "billing");
	CHECK_INT(dest_form_check(&back, set), 0);
	struct dest_delta d[DEST_DIFF_MAX];
	CHECK_INT(dest_diff(&df.d, &back.d, d, DEST_DIFF_MAX), 0);

	/* set without hours or failover: cleared, and nothing else of them written */
	struct dest_form none;
	struct form f3;
	char *keep3;
	form_of("route=%2B14155550100&failover=&tz=&open=&closed=&otherwise=", &f3, &keep3);
	dest_form_read(&none, &f3, "desk");
	CHECK_INT(dest_form_check(&none, set), 0);
	CHECK_STR(cmdline(&none, false, &out),
	          "handoff dest set desk --description '' --route +14155550100 --clear-failover "
	          "--caller-id '' --timeout 0 --clear-hours --clear-headers");
	CHECK_STR(cmdline(&none, true, &out), "handoff dest add desk --route +14155550100");
	buf_free(&post);
	buf_free(&v);
	buf_free(&out);
	free(keep);
	free(keep2);
	free(keep3);
	dest_set_release(set);
}

/* One posted form's errors: field, message (the CLI's words after "dest add NAME: "). */
static void errors_of(const char *body, const struct dest_set *set, size_t n,
                      const char *const *want)
{
	struct form f;
	char *keep;
	form_of(body, &f, &keep);
	struct dest_form df;
	dest_form_read(&df, &f, "billing");
	CHECK_INT(dest_form_check(&df, set), n);
	for (size_t i = 0; i < n && i < df.errs.n; i++) {
		CHECK_STR(df.errs.v[i].field, want[2 * i]);
		CHECK_STR(df.errs.v[i].msg, want[2 * i + 1]);
	}
	free(keep);
}

static void errors(void)
{
	struct dest_set *set = sandbox();
	/* an unknown zone: the store's message, shown before saving */
	static const char *const zone[] = {
	    "hours", "unknown time zone Mars/Olympus: it is not in /usr/share/zoneinfo (the names "
	             "are case-sensitive, e.g. America/New_York; is tzdata installed?)"};
	setenv("TZDIR", "/usr/share/zoneinfo", 1);
	errors_of("route=sip%3Ab%40pbx.example.com&tz=Mars%2FOlympus&open=daily+08%3A00-18%3A00"
	          "&otherwise=after-hours",
	          set, 1, zone);
	/* without the sandbox the zone is not read (and nothing else is said) */
	errors_of("route=sip%3Ab%40pbx.example.com&tz=Mars%2FOlympus&open=daily+08%3A00-18%3A00"
	          "&otherwise=after-hours",
	          NULL, 0, NULL);
	/* --otherwise naming nobody; a cycle through the sandbox */
	static const char *const nobody[] = {
	    "hours",
	    "--otherwise nobody names no destination of the set: add it first, or name another"};
	errors_of("route=sip%3Ab%40pbx.example.com&tz=America%2FNew_York&open=daily+08%3A00-18%3A00"
	          "&otherwise=nobody",
	          set, 1, nobody);
	struct form f;
	char *keep;
	form_of("route=%2B14155550111&tz=America%2FNew_York&open=daily+08%3A00-18%3A00"
	        "&otherwise=front-desk",
	        &f, &keep);
	struct dest_form df;
	dest_form_read(&df, &f, "after-hours");
	CHECK_INT(dest_form_check(&df, set), 1);
	CHECK_STR(
	    df.errs.v[0].msg,
	    "front-desk: --otherwise makes a cycle (front-desk -> after-hours -> front-desk): "
	    "one of them must answer without opening hours");
	free(keep);
	/* a range that does not parse is said once, beside its textarea (not also "hours") */
	static const char *const range[] = {
	    "open", "opening hours \"mon-fry 08:00-18:00\": \"fry\" is not a day: use mon tue wed "
	            "thu fri sat sun, a range such as mon-fri, or daily"};
	errors_of(
	    "route=sip%3Ab%40pbx.example.com&tz=America%2FNew_York&open=mon-fry+08%3A00-18%3A00"
	    "&otherwise=after-hours",
	    set, 1, range);
	static const char *const date[] = {
	    "closed",
	    "closed date \"2026-13-01\" is not a date: write YYYY-MM-DD, e.g. 2026-12-25"};
	errors_of("route=sip%3Ab%40pbx.example.com&tz=America%2FNew_York&open=daily+08%3A00-18%3A00"
	          "&closed=2026-13-01&otherwise=after-hours",
	          set, 1, date);
	/* hours without --otherwise: dest_validate's words under the group */
	static const char *const half[] = {
	    "hours", "opening hours need --otherwise NAME: the destination that takes the calls "
	             "outside them"};
	errors_of(
	    "route=sip%3Ab%40pbx.example.com&tz=America%2FNew_York&open=daily+08%3A00-18%3A00", set,
	    1, half);
	/* failover: on a number route; a number; five of them; each with the others at once */
	static const char *const fo[] = {
	    "failover",
	    "failover routes need a SIP route: +14155550100 dials a number, and only a "
	    "<Sip> tries several URIs; use a sip: route or drop the failover routes",
	    "hours",
	    "--otherwise nobody names no destination of the set: add it first, or name another"};
	errors_of("route=%2B14155550100&failover=sip%3Ab%40pbx2.example.com&tz=America%2FNew_York"
	          "&open=daily+08%3A00-18%3A00&otherwise=nobody",
	          set, 2, fo);
	static const char *const num[] = {
	    "failover", "failover 1: \"+14155550100\" is a number: a failover route is a sip: or "
	                "sips: URI (a <Sip> tries only SIP URIs)"};
	errors_of("route=sip%3Ab%40pbx.example.com&failover=%2B14155550100", set, 1, num);
	static const char *const five[] = {"failover", "at most 4 --failover routes"};
	errors_of(
	    "route=sip%3Ab%40pbx.example.com&failover=sip%3A1%40a.com%0Asip%3A2%40a.com%0Asip%3A"
	    "3%40a.com%0Asip%3A4%40a.com%0Asip%3A5%40a.com",
	    set, 1, five);
	/* a field that did not parse is on the command line as typed: the CLI refuses it alike */
	form_of("route=sip%3Ab%40pbx.example.com&timeout=x&tz=America%2FNew_York"
	        "&open=mon-fri+08%3A00-18%3A00%0Amon-fry+08%3A00-18%3A00&otherwise=after-hours",
	        &f, &keep);
	dest_form_read(&df, &f, "billing");
	dest_form_check(&df, set);
	struct buf out;
	buf_init(&out, 4096);
	CHECK_STR(cmdline(&df, true, &out),
	          "handoff dest add billing --route sip:b@pbx.example.com --timeout x --tz "
	          "America/New_York --open 'mon-fri 08:00-18:00' --open 'mon-fry 08:00-18:00' "
	          "--otherwise after-hours");
	buf_free(&out);
	free(keep);
	/* the group's error shows under its fieldset: a dest_field_groups row of that name */
	CHECK(dest_field_group("hours") != NULL);
	CHECK(dest_field_group("route") == NULL);
	for (const struct dest_field *x = dest_fields; x->name; x++)
		CHECK(!x->group || dest_field_group(x->group));
	dest_set_release(set);
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"reads_failover_and_hours", reads_failover_and_hours},
	    {"errors", errors},
	    {NULL, NULL}};
	return test_run(cases);
}

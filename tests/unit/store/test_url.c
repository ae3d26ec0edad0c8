/* test_url: telling a PostgreSQL URL from a file path, and every password in one hidden
 * (the user part, password= parameters, %-escaped names), as messages show it. */
#include "store/store.h"
#include "test.h"

static void is_url(void)
{
	static const struct {
		const char *db;
		bool url;
	} cases[] = {
	    {"postgresql://h/db", true},
	    {"postgres://h/db", true},
	    {"POSTGRESQL://h/db", true},
	    {"postgresql:///db?host=/run/postgresql", true},
	    {"handoff.db", false},
	    {"/var/lib/handoff/handoff.db", false},
	    {"./postgresql://x", false}, /* a path that happens to say it */
	    {"postgresql:/h/db", false},
	    {"mysql://h/db", false},
	    {"", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!CHECK(store_is_url(cases[i].db) == cases[i].url))
			fprintf(stderr, "  for %s\n", cases[i].db);
	CHECK(!store_is_url(NULL));
}

static void redact(void)
{
	static const struct {
		const char *db, *shown;
		bool secret;
	} cases[] = {
	    {"postgresql://alice:s3cret@db.example.com:5432/handoff",
	     "postgresql://alice:***@db.example.com:5432/handoff", true},
	    {"postgres://alice:s3cret@db/handoff", "postgres://alice:***@db/handoff", true},
	    {"postgresql://alice@db.example.com/handoff",
	     "postgresql://alice@db.example.com/handoff", false},
	    {"postgresql://db.example.com/handoff", "postgresql://db.example.com/handoff", false},
	    /* an empty password is hidden too */
	    {"postgresql://alice:@db/handoff", "postgresql://alice:***@db/handoff", true},
	    /* %-escaped characters, and an '@' escaped in it */
	    {"postgresql://alice:p%40ss%2Fw@db/h", "postgresql://alice:***@db/h", true},
	    /* a ':' in the password: all of it after the first */
	    {"postgresql://alice:a:b:c@db/h", "postgresql://alice:***@db/h", true},
	    /* the user part ends at the first '@' before a '/' */
	    {"postgresql://alice:pw@db/h?application_name=a@b",
	     "postgresql://alice:***@db/h?application_name=a@b", true},
	    {"postgresql://db/h?user=alice&password=s3cret&sslmode=require",
	     "postgresql://db/h?user=alice&password=***&sslmode=require", true},
	    {"postgresql://db/h?password=s3cret", "postgresql://db/h?password=***", true},
	    /* libpq %-decodes parameter names */
	    {"postgresql://db/h?pass%77ord=s3cret", "postgresql://db/h?pass%77ord=***", true},
	    {"postgresql://u:one@db/h?password=two", "postgresql://u:***@db/h?password=***", true},
	    {"postgresql://db/h?passwords=x&xpassword=y",
	     "postgresql://db/h?passwords=x&xpassword=y", false},
	    /* ports and IPv6 hosts are not passwords */
	    {"postgresql://[::1]:5432/h", "postgresql://[::1]:5432/h", false},
	    {"postgresql://db:5432,db2:5433/h", "postgresql://db:5432,db2:5433/h", false},
	    /* more password= parameters than the limit: from the last one counted to the
	     * end is hidden, the ninth with it */
	    {"postgresql://db/h?password=1&password=2&password=3&password=4&password=5&"
	     "password=6&password=7&password=8&password=9&sslmode=require",
	     "postgresql://db/h?password=***&password=***&password=***&password=***&password="
	     "***&password=***&password=***&password=***",
	     true},
	    /* a file path is shown as it is */
	    {"/tmp/a:b@c.db", "/tmp/a:b@c.db", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];
		CHECK_STR(store_redact(cases[i].db, out, sizeof(out)), cases[i].shown);
		if (!CHECK(store_has_password(cases[i].db) == cases[i].secret))
			fprintf(stderr, "  for %s\n", cases[i].db);
	}
	/* cut to the buffer, never past it, never leaving the secret's end */
	char small[24];
	CHECK_STR(store_redact("postgresql://alice:s3cret@db/handoff", small, sizeof(small)),
	          "postgresql://alice:***@");
	char one[1];
	CHECK_STR(store_redact("postgresql://a:b@c/d", one, sizeof(one)), "");
}

int main(void)
{
	static const struct test_case cases[] = {
	    {"is_url", is_url},
	    {"redact", redact},
	    {NULL, NULL},
	};
	return test_run(cases);
}

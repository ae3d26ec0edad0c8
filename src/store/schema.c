/* schema: the destinations database's tables, one migration per schema version, in the
 * text each adapter applies: SQLite's and PostgreSQL's keep the same tables, columns and
 * versions (PostgreSQL's integers that hold times are BIGINT, its audit ids an identity). */
#include <stddef.h>

#include "store/store_int.h"

/* Tables that are the same text in both dialects. */
#define DESTS                                                                                      \
	"CREATE TABLE dests ("                                                                     \
	"  version INTEGER NOT NULL,"                                                              \
	"  name TEXT NOT NULL,"                                                                    \
	"  description TEXT,"                                                                      \
	"  route TEXT NOT NULL,"                                                                   \
	"  caller_id TEXT,"                                                                        \
	"  timeout INTEGER NOT NULL DEFAULT 0,"                                                    \
	"  PRIMARY KEY (version, name));"                                                          \
	"CREATE TABLE headers ("                                                                   \
	"  version INTEGER NOT NULL,"                                                              \
	"  dest TEXT NOT NULL,"                                                                    \
	"  pos INTEGER NOT NULL,"                                                                  \
	"  name TEXT NOT NULL,"                                                                    \
	"  value TEXT NOT NULL,"                                                                   \
	"  PRIMARY KEY (version, dest, pos));"
/* live: the live version (0 = none yet); gen: moves on every write; sandbox_changed /
 * live_changed: gen at each environment's last change */
#define STATE_ROWS                                                                                 \
	"INSERT INTO state VALUES ('live', 0), ('gen', 0), ('sandbox_changed', 0),"                \
	"  ('live_changed', 0);"
/* 1 -> 2: failover routes of a SIP destination, in the order they are tried (rows of the
 * same version as their destination's, like headers) */
#define FAILOVER                                                                                   \
	"CREATE TABLE failover ("                                                                  \
	"  version INTEGER NOT NULL,"                                                              \
	"  dest TEXT NOT NULL,"                                                                    \
	"  pos INTEGER NOT NULL,"                                                                  \
	"  route TEXT NOT NULL,"                                                                   \
	"  PRIMARY KEY (version, dest, pos));"
/* 2 -> 3: opening hours. A destination with hours has one row: its zone, its --otherwise,
 * its --open ranges ("mon-fri 08:00-18:00;sat 10:00-14:00") and its --closed dates
 * ("2026-12-25;2027-01-01") as canonical text; versions as in dests. */
#define HOURS                                                                                      \
	"CREATE TABLE hours ("                                                                     \
	"  version INTEGER NOT NULL,"                                                              \
	"  dest TEXT NOT NULL,"                                                                    \
	"  tz TEXT NOT NULL,"                                                                      \
	"  otherwise TEXT NOT NULL,"                                                               \
	"  open TEXT NOT NULL,"                                                                    \
	"  closed TEXT NOT NULL,"                                                                  \
	"  PRIMARY KEY (version, dest));"
/* 3 -> 4: the audit log: one row per change, written in the change's own transaction */
#define AUDIT(id, bigint)                                                                          \
	"CREATE TABLE audit ("                                                                     \
	"  id " id ","                                                                             \
	"  at " bigint " NOT NULL,"                                                                \
	"  author TEXT NOT NULL,"                                                                  \
	"  action TEXT NOT NULL,"                                                                  \
	"  dest TEXT,"                                                                             \
	"  version INTEGER,"                                                                       \
	"  detail TEXT NOT NULL);"

/* The schema, one migration per version: migrations[i] takes the database from schema
 * version i to i + 1 (SQLite: PRAGMA user_version; PostgreSQL: the state row 'schema').
 * Version 0 of the dests/headers/failover/hours rows is the sandbox; N > 0 is promoted
 * version N, which is never modified afterwards. */
const char *const store_migrations[STORE_SCHEMA][2] = {
    /* 0 -> 1 */
    {DESTS "CREATE TABLE versions ("
           "  number INTEGER PRIMARY KEY,"
           "  created INTEGER NOT NULL,"
           "  message TEXT NOT NULL,"
           "  author TEXT NOT NULL);"
           "CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);" STATE_ROWS,
     DESTS "CREATE TABLE versions ("
           "  number INTEGER PRIMARY KEY,"
           "  created BIGINT NOT NULL,"
           "  message TEXT NOT NULL,"
           "  author TEXT NOT NULL);"
           "CREATE TABLE state (key TEXT PRIMARY KEY, value BIGINT NOT NULL);" STATE_ROWS},
    {FAILOVER, FAILOVER},
    {HOURS, HOURS},
    {AUDIT("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"),
     AUDIT("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT")},
};
_Static_assert(sizeof(store_migrations) / sizeof(store_migrations[0]) == STORE_SCHEMA,
               "STORE_SCHEMA is the number of migrations");

/* Every table with its columns in a fixed order, as a store copy reads and writes them
 * (state last: it holds the live pointer). NULL-terminated pairs of name and columns. */
const char *const store_tables[] = {
    "dests",    "version, name, description, route, caller_id, timeout",
    "headers",  "version, dest, pos, name, value",
    "failover", "version, dest, pos, route",
    "hours",    "version, dest, tz, otherwise, open, closed",
    "versions", "number, created, message, author",
    "audit",    "id, at, author, action, dest, version, detail",
    NULL,       NULL,
};

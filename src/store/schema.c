/* schema: the destinations database's tables, one migration per schema version (the SQL
 * text store.c applies; a second backend keeps the same tables and versions). */
#include "store/store_int.h"

/* The schema, one migration per version: migrations[i] takes the database
 * from user_version i to i + 1. Version 0 of `dests`/`headers`/`failover` rows is the
 * sandbox; N > 0 is promoted version N, which is never modified afterwards. */
const char *const store_migrations[STORE_SCHEMA] = {
    /* 0 -> 1 */
    "CREATE TABLE dests ("
    "  version INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  description TEXT,"
    "  route TEXT NOT NULL,"
    "  caller_id TEXT,"
    "  timeout INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (version, name));"
    "CREATE TABLE headers ("
    "  version INTEGER NOT NULL,"
    "  dest TEXT NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (version, dest, pos));"
    "CREATE TABLE versions ("
    "  number INTEGER PRIMARY KEY,"
    "  created INTEGER NOT NULL,"
    "  message TEXT NOT NULL,"
    "  author TEXT NOT NULL);"
    /* live: the live version (0 = none yet); gen: moves on every write;
     * sandbox_changed / live_changed: gen at each environment's last change */
    "CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO state VALUES ('live', 0), ('gen', 0), ('sandbox_changed', 0),"
    "  ('live_changed', 0);",
    /* 1 -> 2: failover routes of a SIP destination, in the order they are tried (rows of
     * the same version as their destination's, like headers) */
    "CREATE TABLE failover ("
    "  version INTEGER NOT NULL,"
    "  dest TEXT NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  route TEXT NOT NULL,"
    "  PRIMARY KEY (version, dest, pos));",
    /* 2 -> 3: opening hours. A destination with hours has one row: its zone, its
     * --otherwise, its --open ranges ("mon-fri 08:00-18:00;sat 10:00-14:00") and its
     * --closed dates ("2026-12-25;2027-01-01") as canonical text; versions as in dests. */
    "CREATE TABLE hours ("
    "  version INTEGER NOT NULL,"
    "  dest TEXT NOT NULL,"
    "  tz TEXT NOT NULL,"
    "  otherwise TEXT NOT NULL,"
    "  open TEXT NOT NULL,"
    "  closed TEXT NOT NULL,"
    "  PRIMARY KEY (version, dest));",
    /* 3 -> 4: the audit log: one row per change, written in the change's own transaction */
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at INTEGER NOT NULL,"
    "  author TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  dest TEXT,"
    "  version INTEGER,"
    "  detail TEXT NOT NULL);",
};
_Static_assert(sizeof(store_migrations) / sizeof(store_migrations[0]) == STORE_SCHEMA,
               "STORE_SCHEMA is the number of migrations");

/* lantian tests — SQL shared by the store tests that rebuild databases of older schema versions. */
#ifndef LT_TEST_STORE_FIXTURES_H
#define LT_TEST_STORE_FIXTURES_H

/* Take a store of today back to schema version 9: no device-first copy of device values
 * (version 10). */
#define V9_FROM_TODAY_SQL                                                                          \
    "DROP TABLE dev_by_mn; DROP TABLE dev_copy; DELETE FROM schema_version WHERE version >= 10; "

/* Take a store of today back to schema version 8: no data generation (version 9). */
#define V8_FROM_TODAY_SQL                                                                          \
    V9_FROM_TODAY_SQL "DROP TABLE data_gen; DELETE FROM schema_version WHERE version >= 9; "

/* Take a store of today back to schema version 7: no store metadata (version 8). */
#define V7_FROM_TODAY_SQL                                                                          \
    V8_FROM_TODAY_SQL "DROP TABLE meta; DELETE FROM schema_version WHERE version >= 8; "

/* Take a store of today back to schema version 6: version 7's township column, targets and audit
 * log indexes removed. */
#define V6_FROM_TODAY_SQL                                                                          \
    V7_FROM_TODAY_SQL                                                                              \
    "DROP TABLE target_values; DROP TABLE targets; ALTER TABLE sites DROP COLUMN township; "       \
    "DROP INDEX audit_log_action; DROP INDEX audit_log_user; "                                     \
    "DELETE FROM schema_version WHERE version >= 7; "

/* Take a store of today back to schema version 5: device values one row each (version 4's
 * dev_values, src/store/sqlite.c at commit 47ca1c6) instead of packed records. */
#define V5_FROM_TODAY_SQL                                                                          \
    V6_FROM_TODAY_SQL                                                                              \
    "DROP TABLE dev_records; "                                                                     \
    "CREATE TABLE dev_values (mn TEXT NOT NULL, cn INTEGER NOT NULL, data_time INTEGER NOT NULL, " \
    "factor TEXT NOT NULL, vk INTEGER NOT NULL, value REAL, value_conv REAL, flag TEXT NOT NULL "  \
    "DEFAULT '', raw_id INTEGER, PRIMARY KEY (data_time, mn, cn, factor, vk)) WITHOUT ROWID; "     \
    "CREATE TRIGGER dev_values_no_update BEFORE UPDATE ON dev_values BEGIN SELECT RAISE(ABORT, "   \
    "'device values are never updated'); END; "                                                    \
    "CREATE TRIGGER dev_values_no_delete BEFORE DELETE ON dev_values BEGIN SELECT RAISE(ABORT, "   \
    "'device values are never deleted'); END; "                                                    \
    "CREATE INDEX raw_frames_mn ON raw_frames (mn, id) WHERE mn IS NOT NULL; "                     \
    "DELETE FROM schema_version WHERE version >= 6; "

#endif

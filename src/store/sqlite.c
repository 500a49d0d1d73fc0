/* lantian — the SQLite implementation of store.h.
 *
 * One database file in WAL mode with synchronous=NORMAL (a crash may lose the last transactions
 * but never corrupts the file) and foreign keys on. Raw hourly values are never updated or deleted:
 * triggers refuse it, and corrections live in their own append-only table. Every statement is
 * prepared once per handle and kept; station codes are mapped to row ids through an in-memory hash
 * filled at open, so an import does no extra query per value (a code missing from it is looked up
 * once in the database: another process may have added the site since).
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lantian/hj212.h"
#include "lantian/util.h"
#include "store/store.h"

#define LT__SCHEMA_VERSION LT_STORE_SCHEMA_VERSION

/* The schema (version 1). Times are UTC seconds of the hour's end; days are Beijing day numbers;
 * NULL lon/lat/valid_* mean unknown or open. A NULL hourly value is a value not monitored ("NM")
 * or explicitly missing. */
static const char lt__schema_sql[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);\n"
    "CREATE TABLE sites (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  code TEXT NOT NULL UNIQUE,\n"
    "  name TEXT NOT NULL DEFAULT '',\n"
    "  city TEXT NOT NULL DEFAULT '',\n"
    "  county TEXT NOT NULL DEFAULT '',\n"
    "  province TEXT NOT NULL DEFAULT '',\n"
    "  lon REAL, lat REAL,\n"
    "  is_eval INTEGER NOT NULL DEFAULT 1,\n"
    "  valid_from INTEGER, valid_to INTEGER);\n"
    "CREATE TABLE hourly (\n"
    "  site_id INTEGER NOT NULL REFERENCES sites(id),\n"
    "  factor INTEGER NOT NULL,\n"
    "  ts INTEGER NOT NULL,\n"
    "  value REAL,\n"
    "  flag TEXT,\n"
    "  PRIMARY KEY (site_id, factor, ts)) WITHOUT ROWID;\n"
    "CREATE TABLE corrections (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  site_id INTEGER NOT NULL REFERENCES sites(id),\n"
    "  factor INTEGER NOT NULL,\n"
    "  ts INTEGER NOT NULL,\n"
    "  old_value REAL,\n"
    "  new_value REAL,\n"
    "  who TEXT NOT NULL,\n"
    "  at INTEGER NOT NULL,\n"
    "  why TEXT NOT NULL);\n"
    "CREATE INDEX corrections_key ON corrections (site_id, factor, ts, id);\n"
    "CREATE TABLE dust_days (\n"
    "  area TEXT NOT NULL,\n"
    "  day INTEGER NOT NULL,\n"
    "  PRIMARY KEY (area, day)) WITHOUT ROWID;\n"
    /* Raw data are never overwritten (DESIGN.md): enforce it below the API as well. */
    "CREATE TRIGGER hourly_no_update BEFORE UPDATE ON hourly BEGIN\n"
    "  SELECT RAISE(ABORT, 'raw hourly values are never updated; record a correction'); END;\n"
    "CREATE TRIGGER hourly_no_delete BEFORE DELETE ON hourly BEGIN\n"
    "  SELECT RAISE(ABORT, 'raw hourly values are never deleted; record a correction'); END;\n"
    "CREATE TRIGGER corrections_no_update BEFORE UPDATE ON corrections BEGIN\n"
    "  SELECT RAISE(ABORT, 'corrections are append-only'); END;\n"
    "CREATE TRIGGER corrections_no_delete BEFORE DELETE ON corrections BEGIN\n"
    "  SELECT RAISE(ABORT, 'corrections are append-only'); END;\n"
    "INSERT INTO schema_version (version) VALUES (1);\n";

/* Version 2: HJ 212 ingestion. Applied on top of version 1, both to a new database and to one made
 * by an older lantian (the migration). Times are UTC (seconds, or milliseconds where the name says
 * _ms); DataTime is the interval start as sent (HJ 212-2017 Table 4). The raw archive and the
 * device values are append-only like the hourly values: triggers refuse UPDATE and DELETE. */
static const char lt__schema_v2_sql[] =
    "CREATE TABLE raw_frames (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  recv_ms INTEGER NOT NULL,\n"
    "  peer TEXT NOT NULL DEFAULT '',\n"
    "  mn TEXT,\n"
    "  status INTEGER NOT NULL,\n"
    "  bytes BLOB NOT NULL);\n"
    "CREATE INDEX raw_frames_mn ON raw_frames (mn, id) WHERE mn IS NOT NULL;\n"
    "CREATE TABLE devices (\n"
    "  mn TEXT PRIMARY KEY,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('air', 'cems', 'dust', 'voc', 'power')),\n"
    "  site TEXT REFERENCES sites(code),\n"
    "  outlet TEXT NOT NULL DEFAULT '',\n"
    "  pw TEXT NOT NULL DEFAULT '',\n"
    "  crc_mask INTEGER NOT NULL DEFAULT 1,\n"
    "  enabled INTEGER NOT NULL DEFAULT 1,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  CHECK ((kind = 'air' AND site IS NOT NULL AND outlet = '') OR\n"
    "         (kind <> 'air' AND site IS NULL AND outlet <> ''))) WITHOUT ROWID;\n"
    "CREATE TABLE device_factors (\n"
    "  mn TEXT NOT NULL REFERENCES devices(mn),\n"
    "  code TEXT NOT NULL,\n"
    "  pollutant INTEGER,\n"
    "  unit TEXT NOT NULL DEFAULT '',\n"
    "  scale REAL NOT NULL DEFAULT 1.0,\n"
    "  PRIMARY KEY (mn, code)) WITHOUT ROWID;\n"
    "CREATE TABLE quarantine (\n"
    "  mn TEXT PRIMARY KEY,\n"
    "  first_ms INTEGER NOT NULL,\n"
    "  last_ms INTEGER NOT NULL,\n"
    "  frames INTEGER NOT NULL,\n"
    "  last_peer TEXT NOT NULL DEFAULT '',\n"
    "  last_raw_id INTEGER) WITHOUT ROWID;\n"
    "CREATE TABLE dev_values (\n"
    "  mn TEXT NOT NULL,\n"
    "  cn INTEGER NOT NULL,\n"
    "  data_time INTEGER NOT NULL,\n"
    "  factor TEXT NOT NULL,\n"
    "  vk INTEGER NOT NULL,\n"
    "  value REAL,\n"
    "  value_conv REAL,\n"
    "  flag TEXT NOT NULL DEFAULT '',\n"
    "  raw_id INTEGER,\n"
    "  PRIMARY KEY (mn, cn, data_time, factor, vk)) WITHOUT ROWID;\n"
    "CREATE TABLE exceedances (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  mn TEXT NOT NULL,\n"
    "  outlet TEXT NOT NULL DEFAULT '',\n"
    "  factor TEXT NOT NULL,\n"
    "  data_time INTEGER NOT NULL,\n"
    "  measured REAL, o2 REAL, o2_ref REAL, corrected REAL, limit_value REAL,\n"
    "  flag TEXT NOT NULL DEFAULT '',\n"
    "  rule TEXT NOT NULL DEFAULT '',\n"
    "  detected_ms INTEGER NOT NULL,\n"
    "  UNIQUE (mn, factor, data_time));\n"
    "CREATE TABLE device_health (\n"
    "  mn TEXT NOT NULL,\n"
    "  hour INTEGER NOT NULL,\n"
    "  frames INTEGER NOT NULL DEFAULT 0,\n"
    "  vals INTEGER NOT NULL DEFAULT 0,\n"
    "  e0 INTEGER NOT NULL DEFAULT 0, e1 INTEGER NOT NULL DEFAULT 0,\n"
    "  e2 INTEGER NOT NULL DEFAULT 0, e3 INTEGER NOT NULL DEFAULT 0,\n"
    "  e4 INTEGER NOT NULL DEFAULT 0, e5 INTEGER NOT NULL DEFAULT 0,\n"
    "  e6 INTEGER NOT NULL DEFAULT 0, e7 INTEGER NOT NULL DEFAULT 0,\n"
    "  last_ms INTEGER,\n"
    "  last_peer TEXT,\n"
    "  PRIMARY KEY (mn, hour)) WITHOUT ROWID;\n"
    "CREATE TRIGGER raw_frames_no_update BEFORE UPDATE ON raw_frames BEGIN\n"
    "  SELECT RAISE(ABORT, 'the raw archive is append-only'); END;\n"
    "CREATE TRIGGER raw_frames_no_delete BEFORE DELETE ON raw_frames BEGIN\n"
    "  SELECT RAISE(ABORT, 'the raw archive is append-only'); END;\n"
    "CREATE TRIGGER dev_values_no_update BEFORE UPDATE ON dev_values BEGIN\n"
    "  SELECT RAISE(ABORT, 'device values are never updated'); END;\n"
    "CREATE TRIGGER dev_values_no_delete BEFORE DELETE ON dev_values BEGIN\n"
    "  SELECT RAISE(ABORT, 'device values are never deleted'); END;\n"
    "CREATE TRIGGER exceedances_no_update BEFORE UPDATE ON exceedances BEGIN\n"
    "  SELECT RAISE(ABORT, 'exceedance evidence is never altered'); END;\n"
    "CREATE TRIGGER exceedances_no_delete BEFORE DELETE ON exceedances BEGIN\n"
    "  SELECT RAISE(ABORT, 'exceedance evidence is never deleted'); END;\n"
    "INSERT INTO schema_version (version) VALUES (2);\n";

/* Version 3: the source type of a device's outlet (the type whose default emission limits apply
 * to it, config/emission_limits.ini); '' = none. Existing devices get ''. */
static const char lt__schema_v3_sql[] =
    "ALTER TABLE devices ADD COLUMN source_type TEXT NOT NULL DEFAULT '';\n"
    "INSERT INTO schema_version (version) VALUES (3);\n";

/* Version 4: device values keyed by time first, (data_time, mn, cn, factor, vk), instead of MN
 * first. The key is the same set of columns (idempotency unchanged); only its order changes. Live
 * values arrive with DataTime close to now, so a batch's rows land at the right edge of the
 * B-tree (a few pages dirtied per commit) instead of one page per device and commit: with 1,000
 * devices this cut the bytes written per frame (WAL and checkpoints) from ~13 KB to ~4 KB and
 * doubled throughput (docs/INGEST.md, benchmark). Existing rows are copied; the append-only
 * triggers are made again (DROP TABLE drops them with the old table). */
static const char lt__schema_v4_sql[] =
    "ALTER TABLE dev_values RENAME TO dev_values_v3;\n"
    "CREATE TABLE dev_values (\n"
    "  mn TEXT NOT NULL,\n"
    "  cn INTEGER NOT NULL,\n"
    "  data_time INTEGER NOT NULL,\n"
    "  factor TEXT NOT NULL,\n"
    "  vk INTEGER NOT NULL,\n"
    "  value REAL,\n"
    "  value_conv REAL,\n"
    "  flag TEXT NOT NULL DEFAULT '',\n"
    "  raw_id INTEGER,\n"
    "  PRIMARY KEY (data_time, mn, cn, factor, vk)) WITHOUT ROWID;\n"
    "INSERT INTO dev_values (mn, cn, data_time, factor, vk, value, value_conv, flag, raw_id)\n"
    "  SELECT mn, cn, data_time, factor, vk, value, value_conv, flag, raw_id FROM dev_values_v3\n"
    "  ORDER BY data_time, mn, cn, factor, vk;\n"
    "DROP TABLE dev_values_v3;\n"
    "CREATE TRIGGER dev_values_no_update BEFORE UPDATE ON dev_values BEGIN\n"
    "  SELECT RAISE(ABORT, 'device values are never updated'); END;\n"
    "CREATE TRIGGER dev_values_no_delete BEFORE DELETE ON dev_values BEGIN\n"
    "  SELECT RAISE(ABORT, 'device values are never deleted'); END;\n"
    "INSERT INTO schema_version (version) VALUES (4);\n";

/* Version 5: accounts and reach. Users with a role and a scope in the region tree ('' = the whole
 * level: a county user has province, city and county set); sessions keyed by a hash of their
 * token (the token itself is never stored, so a copy of the database opens no session); and the
 * audit log of every change to official data, append-only like the corrections. */
static const char lt__schema_v5_sql[] =
    "CREATE TABLE users (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL UNIQUE,\n"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'county', 'enforcement', "
    "'leader')),\n"
    "  scope_province TEXT NOT NULL DEFAULT '',\n"
    "  scope_city TEXT NOT NULL DEFAULT '',\n"
    "  scope_county TEXT NOT NULL DEFAULT '',\n"
    "  scope_township TEXT NOT NULL DEFAULT '',\n"
    "  pw_hash TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  disabled INTEGER NOT NULL DEFAULT 0);\n"
    "CREATE TABLE sessions (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  token_hash TEXT NOT NULL UNIQUE,\n"
    "  user_id INTEGER NOT NULL REFERENCES users (id),\n"
    "  created_at INTEGER NOT NULL,\n"
    "  expires_at INTEGER NOT NULL);\n"
    "CREATE TABLE audit_log (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  at_ms INTEGER NOT NULL,\n"
    "  user TEXT NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  object TEXT NOT NULL,\n"
    "  before_json TEXT,\n"
    "  after_json TEXT);\n"
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN\n"
    "  SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n"
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN\n"
    "  SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n"
    "INSERT INTO schema_version (version) VALUES (5);\n";

/* Version 6: device values packed per frame (docs/INGEST.md, "Packed device values"). A frame's
 * values of one (MN, CN, DataTime) are one row of dev_records, their items packed in a BLOB
 * (format in lt__vals_encode), instead of one dev_values row per value: one B-tree insert per
 * frame instead of 6-30. Idempotency per (MN, CN, DataTime, factor, kind) is unchanged: a later
 * frame for the same key adds a row with the next seq holding only the values not stored yet.
 * n = the number of values in the row, so that counts need no decoding.
 * device_health is keyed (hour, mn): the counters of the current hour of every device are a few
 * adjacent pages (per device first, each commit dirtied one page per device).
 * The raw archive's MN index is dropped: no query used it, and it cost a random-position insert
 * per frame. The existing values are copied by lt__migrate_v6 between these two scripts. */
static const char lt__schema_v6_sql[] =
    "CREATE TABLE dev_records (\n"
    "  data_time INTEGER NOT NULL,\n"
    "  mn TEXT NOT NULL,\n"
    "  cn INTEGER NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  n INTEGER NOT NULL,\n"
    "  raw_id INTEGER,\n"
    "  vals BLOB NOT NULL,\n"
    "  PRIMARY KEY (data_time, mn, cn, seq)) WITHOUT ROWID;\n"
    "CREATE TRIGGER dev_records_no_update BEFORE UPDATE ON dev_records BEGIN\n"
    "  SELECT RAISE(ABORT, 'device values are never updated'); END;\n"
    "CREATE TRIGGER dev_records_no_delete BEFORE DELETE ON dev_records BEGIN\n"
    "  SELECT RAISE(ABORT, 'device values are never deleted'); END;\n"
    "DROP INDEX IF EXISTS raw_frames_mn;\n"
    "ALTER TABLE device_health RENAME TO device_health_v5;\n"
    "CREATE TABLE device_health (\n"
    "  mn TEXT NOT NULL,\n"
    "  hour INTEGER NOT NULL,\n"
    "  frames INTEGER NOT NULL DEFAULT 0,\n"
    "  vals INTEGER NOT NULL DEFAULT 0,\n"
    "  e0 INTEGER NOT NULL DEFAULT 0, e1 INTEGER NOT NULL DEFAULT 0,\n"
    "  e2 INTEGER NOT NULL DEFAULT 0, e3 INTEGER NOT NULL DEFAULT 0,\n"
    "  e4 INTEGER NOT NULL DEFAULT 0, e5 INTEGER NOT NULL DEFAULT 0,\n"
    "  e6 INTEGER NOT NULL DEFAULT 0, e7 INTEGER NOT NULL DEFAULT 0,\n"
    "  last_ms INTEGER,\n"
    "  last_peer TEXT,\n"
    "  PRIMARY KEY (hour, mn)) WITHOUT ROWID;\n"
    "INSERT INTO device_health SELECT * FROM device_health_v5 ORDER BY hour, mn;\n"
    "DROP TABLE device_health_v5;\n";
static const char lt__schema_v6_end_sql[] = "DROP TABLE dev_values;\n"
                                            "INSERT INTO schema_version (version) VALUES (6);\n";

/* Version 7: townships, targets as data, and audit log filters. Sites get a township (乡镇/街道,
 * '' = unknown), so that a township user's scope can hold sites. Plan targets move from an INI
 * file into the store: one row per area (keyed by the place name without its administrative
 * suffix, as dust days are) and year, and one row per value with who set it and when; their
 * history is the audit log. The log gets indexes for its filters (by action, by user). */
static const char lt__schema_v7_sql[] =
    "ALTER TABLE sites ADD COLUMN township TEXT NOT NULL DEFAULT '';\n"
    "CREATE TABLE targets (\n"
    "  area_key TEXT NOT NULL,\n"
    "  year INTEGER NOT NULL,\n"
    "  area TEXT NOT NULL,\n"
    "  name TEXT NOT NULL DEFAULT '',\n"
    "  ruleset TEXT NOT NULL DEFAULT '',\n"
    "  source TEXT NOT NULL DEFAULT '',\n"
    "  PRIMARY KEY (area_key, year)) WITHOUT ROWID;\n"
    "CREATE TABLE target_values (\n"
    "  area_key TEXT NOT NULL,\n"
    "  year INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('pm25', 'pm10', 'good_ratio', 'good_days', "
    "'heavy_ratio', 'index')),\n"
    "  value REAL NOT NULL,\n"
    "  strict INTEGER NOT NULL DEFAULT 0,\n"
    "  set_by TEXT NOT NULL,\n"
    "  set_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (area_key, year, kind),\n"
    "  FOREIGN KEY (area_key, year) REFERENCES targets (area_key, year)) WITHOUT ROWID;\n"
    "CREATE INDEX audit_log_action ON audit_log (action, id);\n"
    "CREATE INDEX audit_log_user ON audit_log (user, id);\n"
    "INSERT INTO schema_version (version) VALUES (7);\n";

/* Version 8: facts about the store as a whole, by key (store.h, "store metadata"): e.g. that its
 * hourly values are real data moved in time for a demonstration (lantian import --shift-days). */
static const char lt__schema_v8_sql[] = "CREATE TABLE meta (\n"
                                        "  key TEXT PRIMARY KEY,\n"
                                        "  value TEXT NOT NULL) WITHOUT ROWID;\n"
                                        "INSERT INTO schema_version (version) VALUES (8);\n";

/* Version 9: the data generation (lt_store_data_gen), one row whose n grows by one in every
 * transaction that changes sites, hourly values, corrections, dust days, plan targets or the
 * store metadata — the data the HTTP
 * API's answers are computed from — so that its answer cache knows when they are out of date
 * without being flushed by the commits that change nothing of that (raw frames, device health,
 * sessions, the audit log). The bump is made by this file's writers (lt__gen_begin/lt__gen_end,
 * lt_store_commit), inside the transaction of the change. */
static const char lt__schema_v9_sql[] = "CREATE TABLE data_gen (\n"
                                        "  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
                                        "  n INTEGER NOT NULL);\n"
                                        "INSERT INTO data_gen (id, n) VALUES (1, 0);\n"
                                        "INSERT INTO schema_version (version) VALUES (9);\n";

/* Version 10: device values also in device-first order (docs/INGEST.md, "Device values in the
 * store"). dev_records is keyed time first, so ingest appends; but one device's values of a day
 * lie among every other device's rows of that day, and reading them scans them all (0.85 s with
 * the pages cached, 19 s from disk, for one device-day of a 4.1 M-frame store of 1,000 devices).
 * The rows of closed hours are copied into dev_by_mn, keyed device first, unit by unit in device
 * order (lt_store_dev_copy_step): a unit is an hour, or less when an hour holds more rows than a
 * few copy steps (each step orders its unit by device), so that each device's unit lands on one
 * or two pages. dev_copy says how far: every dev_records row with data_time < unit_start, or in
 * [unit_start, unit_end) with (mn, data_time, cn, seq) <= the key, is in dev_by_mn; a row stored
 * later for such a key is written to both tables (lt__record_insert). Reads take data_time <
 * unit_start from dev_by_mn, the rest from dev_records.
 * dev_records keeps everything (idempotency is checked there): dev_by_mn is a second copy. */
static const char lt__schema_v10_sql[] =
    "CREATE TABLE dev_by_mn (\n"
    "  mn TEXT NOT NULL,\n"
    "  data_time INTEGER NOT NULL,\n"
    "  cn INTEGER NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  n INTEGER NOT NULL,\n"
    "  raw_id INTEGER,\n"
    "  vals BLOB NOT NULL,\n"
    "  PRIMARY KEY (mn, data_time, cn, seq)) WITHOUT ROWID;\n"
    "CREATE TRIGGER dev_by_mn_no_update BEFORE UPDATE ON dev_by_mn BEGIN\n"
    "  SELECT RAISE(ABORT, 'device values are never updated'); END;\n"
    "CREATE TRIGGER dev_by_mn_no_delete BEFORE DELETE ON dev_by_mn BEGIN\n"
    "  SELECT RAISE(ABORT, 'device values are never deleted'); END;\n"
    "CREATE TABLE dev_copy (\n"
    "  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  unit_start INTEGER NOT NULL,\n"
    "  unit_end INTEGER NOT NULL,\n"
    "  mn TEXT NOT NULL,\n"
    "  data_time INTEGER NOT NULL,\n"
    "  cn INTEGER NOT NULL,\n"
    "  seq INTEGER NOT NULL);\n"
    "INSERT INTO schema_version (version) VALUES (10);\n";

/* Migrations by the version they produce: lt__migrations[v] turns version v into v + 1. Version 0
 * is an empty database. NULL: done in C (lt__migrate_v6). */
static const char *const lt__migrations[LT__SCHEMA_VERSION] = {
    lt__schema_sql, lt__schema_v2_sql, lt__schema_v3_sql, lt__schema_v4_sql, lt__schema_v5_sql,
    NULL,           lt__schema_v7_sql, lt__schema_v8_sql, lt__schema_v9_sql, lt__schema_v10_sql};

#define LT__SITE_COLS                                                                              \
    "id, code, name, city, county, province, lon, lat, is_eval, valid_from, valid_to, township"

enum lt__stmt {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SITE_GET,
    ST_SITE_ID,
    ST_SITE_INS,
    ST_SITE_UPD,
    ST_SITE_ALL,
    ST_H_INS,
    ST_H_GET,
    ST_H_LOAD,
    ST_C_LOAD,
    ST_AQI_LOAD,
    ST_C_LAST,
    ST_C_INS,
    ST_C_LIST_ALL,
    ST_C_LIST_SITE,
    ST_D_SET,
    ST_D_DEL,
    ST_D_GET,
    ST_D_LIST,
    ST_RAW_INS,
    ST_RAW_COUNT,
    ST_DEV_PUT,
    ST_DEV_GET,
    ST_DEV_ALL,
    ST_DF_PUT,
    ST_DF_LIST,
    ST_Q_NOTE,
    ST_Q_GET,
    ST_Q_DEL,
    ST_Q_ALL,
    ST_SP_ADOPT,
    ST_SP_RELEASE,
    ST_SP_ROLLBACK,
    ST_V_INS,
    ST_V_GET,
    ST_V_COUNT,
    ST_V_LIST,
    ST_V_LIST_MN,
    ST_DC_GET,
    ST_DC_PUT,
    ST_DC_MIN,
    ST_DC_COUNT,
    ST_DC_SEL,
    ST_DC_INS,
    ST_X_INS,
    ST_X_ALL,
    ST_X_MN,
    ST_HL_ADD,
    ST_HL_ALL,
    ST_HL_MN,
    ST_U_INS,
    ST_U_GET,
    ST_U_ALL,
    ST_U_DISABLE,
    ST_U_COUNT,
    ST_S_INS,
    ST_S_GET,
    ST_S_DEL,
    ST_S_DEL_USER,
    ST_A_INS,
    ST_A_LIST,
    ST_A_COUNT,
    ST_Q_ONE,
    ST_T_GET,
    ST_T_ALL,
    ST_T_YEAR,
    ST_TV_GET,
    ST_T_PUT,
    ST_TV_PUT,
    ST_TV_DEL,
    ST_M_PUT,
    ST_M_GET,
    ST_GEN_GET,
    ST_GEN_BUMP,
    ST_GEN_SP,
    ST_GEN_RELEASE,
    ST_GEN_ROLLBACK,
    ST_N
};

#define LT__DEV_COLS "mn, kind, site, outlet, pw, crc_mask, enabled, created_at, source_type"
#define LT__X_COLS                                                                                 \
    "id, mn, outlet, factor, data_time, measured, o2, o2_ref, corrected, limit_value, flag, "      \
    "rule, "                                                                                       \
    "detected_ms"
#define LT__U_INS_COLS                                                                             \
    "name, role, scope_province, scope_city, scope_county, scope_township, pw_hash, created_at, "  \
    "disabled"
#define LT__U_COLS  "id, " LT__U_INS_COLS
#define LT__HL_COLS "mn, hour, frames, vals, e0, e1, e2, e3, e4, e5, e6, e7, last_ms, last_peer"

static const char *const lt__stmt_sql[ST_N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SITE_GET] = "SELECT " LT__SITE_COLS " FROM sites WHERE code = ?1",
    [ST_SITE_ID] = "SELECT id FROM sites WHERE code = ?1",
    [ST_SITE_INS] = "INSERT INTO sites (code, name, city, county, province, lon, lat, is_eval, "
                    "valid_from, valid_to, township) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                    "?10, ?11)",
    [ST_SITE_UPD] = "UPDATE sites SET name = ?2, city = ?3, county = ?4, province = ?5, lon = ?6, "
                    "lat = ?7, is_eval = ?8, valid_from = ?9, valid_to = ?10, township = ?11 "
                    "WHERE code = ?1",
    [ST_SITE_ALL] = "SELECT " LT__SITE_COLS " FROM sites ORDER BY code",
    [ST_H_INS] =
        "INSERT INTO hourly (site_id, factor, ts, value, flag) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT (site_id, factor, ts) DO NOTHING",
    [ST_H_GET] = "SELECT value, flag FROM hourly WHERE site_id = ?1 AND factor = ?2 AND ts = ?3",
    /* IN on the second key column lets SQLite seek each factor's ts range separately. */
    [ST_H_LOAD] = "SELECT factor, ts, value, flag FROM hourly WHERE site_id = ?1 "
                  "AND factor IN (0, 1, 2, 3, 4, 5) AND ts BETWEEN ?2 AND ?3",
    [ST_C_LOAD] = "SELECT factor, ts, new_value FROM corrections WHERE site_id = ?1 "
                  "AND factor IN (0, 1, 2, 3, 4, 5) AND ts BETWEEN ?2 AND ?3 ORDER BY id",
    [ST_AQI_LOAD] = "SELECT ts, value FROM hourly WHERE site_id = ?1 AND factor = 100 "
                    "AND ts BETWEEN ?2 AND ?3",
    [ST_C_LAST] = "SELECT new_value FROM corrections WHERE site_id = ?1 AND factor = ?2 "
                  "AND ts = ?3 ORDER BY id DESC LIMIT 1",
    [ST_C_INS] =
        "INSERT INTO corrections (site_id, factor, ts, old_value, new_value, who, at, why) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_C_LIST_ALL] = "SELECT c.id, s.code, c.factor, c.ts, c.old_value, c.new_value, c.who, c.at, "
                      "c.why FROM corrections c JOIN sites s ON s.id = c.site_id ORDER BY c.id",
    [ST_C_LIST_SITE] = "SELECT c.id, s.code, c.factor, c.ts, c.old_value, c.new_value, c.who, "
                       "c.at, c.why FROM corrections c JOIN sites s ON s.id = c.site_id "
                       "WHERE c.site_id = ?1 ORDER BY c.id",
    [ST_D_SET] = "INSERT INTO dust_days (area, day) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [ST_D_DEL] = "DELETE FROM dust_days WHERE area = ?1 AND day = ?2",
    [ST_D_GET] = "SELECT 1 FROM dust_days WHERE area = ?1 AND day = ?2",
    [ST_D_LIST] = "SELECT area, day FROM dust_days WHERE ?1 IS NULL OR area = ?1 "
                  "ORDER BY area, day",
    [ST_RAW_INS] = "INSERT INTO raw_frames (recv_ms, peer, mn, status, bytes) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_RAW_COUNT] = "SELECT count(*) FROM raw_frames WHERE ?1 OR status = ?2",
    /* A device's configuration may change (password, CRC tolerance); its creation time stays. */
    [ST_DEV_PUT] = "INSERT INTO devices (" LT__DEV_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                   "?9) ON CONFLICT (mn) DO UPDATE SET kind = excluded.kind, site = excluded.site, "
                   "outlet = excluded.outlet, pw = excluded.pw, crc_mask = excluded.crc_mask, "
                   "enabled = excluded.enabled, source_type = excluded.source_type",
    [ST_DEV_GET] = "SELECT " LT__DEV_COLS " FROM devices WHERE mn = ?1",
    [ST_DEV_ALL] = "SELECT " LT__DEV_COLS " FROM devices ORDER BY mn",
    [ST_DF_PUT] = "INSERT INTO device_factors (mn, code, pollutant, unit, scale) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (mn, code) DO UPDATE SET "
                  "pollutant = excluded.pollutant, unit = excluded.unit, scale = excluded.scale",
    [ST_DF_LIST] = "SELECT mn, code, pollutant, unit, scale FROM device_factors "
                   "WHERE ?1 IS NULL OR mn = ?1 ORDER BY mn, code",
    /* Frames may be noted out of order (several connections, one batch): first and last are the
     * extremes, the peer and raw row those of the latest frame. */
    [ST_Q_NOTE] = "INSERT INTO quarantine (mn, first_ms, last_ms, frames, last_peer, last_raw_id) "
                  "VALUES (?1, ?2, ?2, 1, ?3, ?4) ON CONFLICT (mn) DO UPDATE SET "
                  "first_ms = min(first_ms, excluded.first_ms), "
                  "last_ms = max(last_ms, excluded.last_ms), frames = frames + 1, "
                  "last_peer = CASE WHEN excluded.last_ms >= last_ms THEN excluded.last_peer "
                  "ELSE last_peer END, "
                  "last_raw_id = CASE WHEN excluded.last_ms >= last_ms THEN excluded.last_raw_id "
                  "ELSE last_raw_id END",
    [ST_Q_GET] = "SELECT 1 FROM quarantine WHERE mn = ?1",
    [ST_Q_DEL] = "DELETE FROM quarantine WHERE mn = ?1",
    [ST_Q_ALL] = "SELECT mn, first_ms, last_ms, frames, last_peer, last_raw_id FROM quarantine "
                 "ORDER BY mn",
    /* A savepoint nests inside the caller's transaction, or makes its own when there is none. */
    [ST_SP_ADOPT] = "SAVEPOINT lt_adopt",
    [ST_SP_RELEASE] = "RELEASE lt_adopt",
    [ST_SP_ROLLBACK] = "ROLLBACK TO lt_adopt",
    [ST_V_INS] = "INSERT INTO dev_records (data_time, mn, cn, seq, n, raw_id, vals) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
    [ST_V_GET] = "SELECT seq, vals FROM dev_records WHERE data_time = ?1 AND mn = ?2 AND cn = ?3 "
                 "ORDER BY seq",
    [ST_V_COUNT] = "SELECT coalesce(sum(n), 0) FROM dev_records WHERE ?1 IS NULL OR mn = ?1",
    [ST_V_LIST] = "SELECT data_time, cn, raw_id, vals FROM dev_records WHERE data_time BETWEEN ?2 "
                  "AND ?3 AND mn = ?1 AND (?4 = 0 OR cn = ?4) ORDER BY data_time, cn, seq",
    [ST_V_LIST_MN] = "SELECT data_time, cn, raw_id, vals FROM dev_by_mn WHERE mn = ?1 AND "
                     "data_time BETWEEN ?2 AND ?3 AND (?4 = 0 OR cn = ?4) ORDER BY data_time, cn, "
                     "seq",
    [ST_DC_GET] = "SELECT unit_start, unit_end, mn, data_time, cn, seq FROM dev_copy WHERE id = 1",
    [ST_DC_PUT] = "INSERT INTO dev_copy (id, unit_start, unit_end, mn, data_time, cn, seq) VALUES "
                  "(1, ?1, ?6, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET unit_start = ?1, "
                  "unit_end = ?6, mn = ?2, data_time = ?3, cn = ?4, seq = ?5",
    [ST_DC_COUNT] = "SELECT count(*) FROM dev_records WHERE data_time >= ?1 AND data_time < ?2",
    [ST_DC_MIN] = "SELECT min(data_time) FROM dev_records WHERE data_time >= ?1",
    [ST_DC_SEL] = "SELECT mn, data_time, cn, seq, n, raw_id, vals FROM dev_records WHERE "
                  "data_time >= ?1 AND data_time < ?7 AND (mn, data_time, cn, seq) > (?2, "
                  "?3, ?4, ?5) ORDER BY mn, data_time, cn, seq LIMIT ?6",
    [ST_DC_INS] = "INSERT OR IGNORE INTO dev_by_mn (data_time, mn, cn, seq, n, raw_id, vals) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_X_INS] = "INSERT INTO exceedances (mn, outlet, factor, data_time, measured, o2, o2_ref, "
                 "corrected, limit_value, flag, rule, detected_ms) VALUES (?1, ?2, ?3, ?4, ?5, "
                 "?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (mn, factor, data_time) DO NOTHING",
    [ST_X_ALL] = "SELECT " LT__X_COLS " FROM exceedances ORDER BY data_time, mn, factor",
    [ST_X_MN] = "SELECT " LT__X_COLS " FROM exceedances WHERE mn = ?1 ORDER BY data_time, factor",
    [ST_HL_ADD] = "INSERT INTO device_health (" LT__HL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                  "?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT (mn, hour) DO UPDATE SET "
                  "frames = frames + excluded.frames, vals = vals + excluded.vals, "
                  "e0 = e0 + excluded.e0, e1 = e1 + excluded.e1, e2 = e2 + excluded.e2, "
                  "e3 = e3 + excluded.e3, e4 = e4 + excluded.e4, e5 = e5 + excluded.e5, "
                  "e6 = e6 + excluded.e6, e7 = e7 + excluded.e7, "
                  "last_peer = CASE WHEN excluded.last_ms IS NOT NULL AND (last_ms IS NULL OR "
                  "excluded.last_ms >= last_ms) THEN excluded.last_peer ELSE last_peer END, "
                  "last_ms = max(coalesce(last_ms, excluded.last_ms), "
                  "coalesce(excluded.last_ms, last_ms))",
    [ST_HL_ALL] = "SELECT " LT__HL_COLS " FROM device_health WHERE hour BETWEEN ?2 AND ?3 "
                  "ORDER BY mn, hour",
    [ST_HL_MN] = "SELECT " LT__HL_COLS " FROM device_health WHERE hour BETWEEN ?2 AND ?3 "
                 "AND mn = ?1 ORDER BY hour",
    [ST_U_INS] = "INSERT INTO users (" LT__U_INS_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                 "?9)",
    [ST_U_GET] = "SELECT " LT__U_COLS " FROM users WHERE name = ?1",
    [ST_U_ALL] = "SELECT " LT__U_COLS " FROM users ORDER BY name",
    [ST_U_DISABLE] = "UPDATE users SET disabled = 1 WHERE name = ?1",
    [ST_U_COUNT] = "SELECT count(*) FROM users WHERE role = ?1 AND disabled = 0",
    [ST_S_INS] = "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) "
                 "VALUES (?1, ?2, ?3, ?4)",
    /* A session of a disabled user, or one past its expiry, opens nothing. */
    [ST_S_GET] = "SELECT s.expires_at, u.id, u.name, u.role, u.scope_province, u.scope_city, "
                 "u.scope_county, u.scope_township, u.pw_hash, u.created_at, u.disabled "
                 "FROM sessions s JOIN users u ON u.id = s.user_id "
                 "WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0",
    [ST_S_DEL] = "DELETE FROM sessions WHERE token_hash = ?1",
    [ST_S_DEL_USER] = "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
    [ST_A_INS] = "INSERT INTO audit_log (at_ms, user, action, object, before_json, after_json) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* Filters: NULL takes every row; the object filter is a prefix (substr, not LIKE, so that
     * '%' and '_' in it are plain characters). */
    [ST_A_LIST] = "SELECT id, at_ms, user, action, object, before_json, after_json FROM audit_log "
                  "WHERE (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR user = ?4) AND "
                  "(?5 IS NULL OR substr(object, 1, length(?5)) = ?5) "
                  "ORDER BY id DESC LIMIT ?1 OFFSET ?2",
    [ST_A_COUNT] = "SELECT count(*) FROM audit_log WHERE (?3 IS NULL OR action = ?3) AND "
                   "(?4 IS NULL OR user = ?4) AND (?5 IS NULL OR substr(object, 1, length(?5)) = "
                   "?5)",
    [ST_Q_ONE] = "SELECT mn, first_ms, last_ms, frames, last_peer, last_raw_id FROM quarantine "
                 "WHERE mn = ?1",
    [ST_T_GET] = "SELECT area_key, year, area, name, ruleset, source FROM targets "
                 "WHERE area_key = ?1 AND year = ?2",
    [ST_T_ALL] = "SELECT area_key, year, area, name, ruleset, source FROM targets "
                 "ORDER BY area_key, year",
    [ST_T_YEAR] = "SELECT area_key, year, area, name, ruleset, source FROM targets WHERE year = ?2 "
                  "ORDER BY area_key",
    [ST_TV_GET] = "SELECT kind, value, strict, set_by, set_at FROM target_values "
                  "WHERE area_key = ?1 AND year = ?2",
    [ST_T_PUT] = "INSERT INTO targets (area_key, year, area, name, ruleset, source) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (area_key, year) DO UPDATE SET "
                 "name = excluded.name, ruleset = excluded.ruleset, source = excluded.source",
    [ST_TV_PUT] = "INSERT INTO target_values (area_key, year, kind, value, strict, set_by, set_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (area_key, year, kind) DO "
                  "UPDATE SET value = excluded.value, strict = excluded.strict, "
                  "set_by = excluded.set_by, set_at = excluded.set_at",
    [ST_TV_DEL] = "DELETE FROM target_values WHERE area_key = ?1 AND year = ?2 AND kind = ?3",
    [ST_M_PUT] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [ST_M_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_GEN_GET] = "SELECT n FROM data_gen WHERE id = 1",
    [ST_GEN_BUMP] = "UPDATE data_gen SET n = n + 1 WHERE id = 1",
    [ST_GEN_SP] = "SAVEPOINT lt_gen",
    [ST_GEN_RELEASE] = "RELEASE lt_gen",
    [ST_GEN_ROLLBACK] = "ROLLBACK TO lt_gen",
};

/* Open-addressing hash of station code -> sites.id. */
struct lt__site_slot {
    char code[16]; /* "" = empty slot */
    int64_t id;
};

struct lt_store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_N];
    struct lt__site_slot *slots;
    size_t nslots, nused; /* nslots is a power of two */
    int wal_hard;         /* lt_store_wal_notify: checkpoint here at this many log pages */
    void (*wal_fn)(void *arg, int pages);
    void *wal_arg;
    unsigned char *vbuf; /* packed device values being written (lt__vals_encode) */
    size_t vcap;
    bool gen_dirty; /* the open transaction changed data_gen's data: bump it at commit */
    /* dev_copy as read in the open write transaction (lt__dc_load; begin and rollback forget) */
    bool dc_valid, dc_any;
    bool dc_absent; /* migrating from a version before 10: no device-first copy yet */
    struct lt__dc_key {
        int64_t start, end, data_time; /* the unit [start, end) being copied; the key in it */
        int cn, seq;
        char mn[64];
    } dc;
    char err[256];
};

/* ---- helpers --------------------------------------------------------------------------------- */

static void lt__err(struct lt_store *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void lt__err(struct lt_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
}

/* Record the SQLite error of the last call and return LT_ESTORE. */
static int lt__dberr(struct lt_store *s, const char *what)
{
    lt__err(s, "%s: %s", what, sqlite3_errmsg(s->db));
    return LT_ESTORE;
}

static sqlite3_stmt *lt__stmt(struct lt_store *s, enum lt__stmt k)
{
    if (!s->st[k]) {
        if (sqlite3_prepare_v3(s->db, lt__stmt_sql[k], -1, SQLITE_PREPARE_PERSISTENT, &s->st[k],
                               NULL) != SQLITE_OK) {
            lt__dberr(s, "prepare");
            s->st[k] = NULL;
            return NULL;
        }
    } else {
        sqlite3_reset(s->st[k]);
        sqlite3_clear_bindings(s->st[k]);
    }
    return s->st[k];
}

static void lt__bind_double_or_null(sqlite3_stmt *q, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_double(q, i, v);
}

static double lt__col_double_or_nan(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

static void lt__col_text(sqlite3_stmt *q, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    int n = sqlite3_column_bytes(q, i);
    lt_str_copy(dst, cap, (struct lt_str){t ? (const char *)t : "", t ? (size_t)n : 0});
}

static int lt__exec(struct lt_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        lt__err(s, "%s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return LT_ESTORE;
    }
    return 0;
}

/* ---- site id cache --------------------------------------------------------------------------- */

static uint64_t lt__hash(const char *code, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)code[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int lt__cache_put(struct lt_store *s, const char *code, int64_t id);

static int lt__cache_grow(struct lt_store *s)
{
    size_t n = s->nslots ? s->nslots * 2 : 1024;
    struct lt__site_slot *old = s->slots;
    size_t nold = s->nslots;
    s->slots = calloc(n, sizeof *s->slots);
    if (!s->slots) {
        s->slots = old;
        return LT_ENOMEM;
    }
    s->nslots = n;
    s->nused = 0;
    for (size_t i = 0; i < nold; i++)
        if (old[i].code[0])
            lt__cache_put(s, old[i].code, old[i].id);
    free(old);
    return 0;
}

static int lt__cache_put(struct lt_store *s, const char *code, int64_t id)
{
    size_t len = strlen(code);
    if (len == 0 || len > 15)
        return 0; /* such codes are never looked up */
    if ((s->nused + 1) * 2 > s->nslots) {
        int rc = lt__cache_grow(s);
        if (rc)
            return rc;
    }
    size_t mask = s->nslots - 1, i = (size_t)lt__hash(code, len) & mask;
    while (s->slots[i].code[0]) {
        if (!strcmp(s->slots[i].code, code)) {
            s->slots[i].id = id;
            return 0;
        }
        i = (i + 1) & mask;
    }
    memcpy(s->slots[i].code, code, len + 1);
    s->slots[i].id = id;
    s->nused++;
    return 0;
}

/* Site id of a code, or LT_ENOTFOUND (LT_ESTORE, LT_ENOMEM on failure). The cache is filled at
 * open and by lt_store_site_put; a site added by another process (or handle) since then is not
 * in it, so a miss asks the database once and caches what it finds. */
static int lt__site_id(struct lt_store *s, const char *code, int64_t *id)
{
    size_t len = code ? strlen(code) : 0;
    if (len == 0 || len > 15)
        return LT_ENOTFOUND;
    if (s->nslots) {
        size_t mask = s->nslots - 1, i = (size_t)lt__hash(code, len) & mask;
        while (s->slots[i].code[0]) {
            if (!memcmp(s->slots[i].code, code, len + 1)) {
                *id = s->slots[i].id;
                return 0;
            }
            i = (i + 1) & mask;
        }
    }
    sqlite3_stmt *q = lt__stmt(s, ST_SITE_ID);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, code, (int)len, SQLITE_STATIC);
    int step = sqlite3_step(q), rc = LT_ENOTFOUND;
    int64_t found = 0;
    if (step == SQLITE_ROW) {
        found = sqlite3_column_int64(q, 0);
        rc = 0;
    } else if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "look up site");
    }
    sqlite3_reset(q);
    if (rc)
        return rc;
    rc = lt__cache_put(s, code, found);
    if (rc)
        return rc;
    *id = found;
    return 0;
}

static int lt__cache_load(struct lt_store *s)
{
    sqlite3_stmt *q = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT code, id FROM sites", -1, &q, NULL) != SQLITE_OK)
        return lt__dberr(s, "load sites");
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        rc = lt__cache_put(s, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int64(q, 1));
        if (rc)
            goto out;
    }
    if (step != SQLITE_DONE)
        rc = lt__dberr(s, "load sites");
out:
    sqlite3_finalize(q);
    return rc;
}

/* ---- open, close, transactions --------------------------------------------------------------- */

/* The schema version recorded in the database; 0 for an empty database. */
static int lt__schema_version(struct lt_store *s, int *version)
{
    sqlite3_stmt *q = NULL;
    int rc = 0;

    *version = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                           "name = 'schema_version'",
                           -1, &q, NULL) != SQLITE_OK) {
        rc = lt__dberr(s, "read schema");
        goto out;
    }
    int step = sqlite3_step(q);
    sqlite3_finalize(q);
    q = NULL;
    if (step == SQLITE_DONE)
        goto out;
    if (step != SQLITE_ROW) {
        rc = lt__dberr(s, "read schema");
        goto out;
    }
    if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version", -1, &q, NULL) !=
            SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        rc = lt__dberr(s, "read schema version");
        goto out;
    }
    *version = sqlite3_column_int(q, 0);
out:
    sqlite3_finalize(q);
    return rc;
}

/* Bring the schema to LT__SCHEMA_VERSION, one migration after the other, in one IMMEDIATE
 * transaction: a second process opening the same file meanwhile waits and then finds the work
 * done (the version is read again under the write lock). */
static int lt__migrate_v6(struct lt_store *s);

static int lt__migrate(struct lt_store *s, struct lt_diag *d, const char *path)
{
    int rc, version = 0;
    bool in_tx = false;

    rc = lt__schema_version(s, &version);
    if (rc || version == LT__SCHEMA_VERSION)
        goto out;
    rc = lt__exec(s, "BEGIN IMMEDIATE");
    if (rc)
        goto out;
    in_tx = true;
    rc = lt__schema_version(s, &version);
    if (rc)
        goto out;
    if (version < 0 || version > LT__SCHEMA_VERSION) {
        lt__err(s, "database schema version %d, this lantian knows version %d", version,
                LT__SCHEMA_VERSION);
        rc = LT_ESTORE;
        goto out;
    }
    for (; version < LT__SCHEMA_VERSION; version++) {
        s->dc_absent = version < 9; /* no dev_copy before version 10 (lt__migrate_v6 stores) */
        rc = lt__migrations[version] ? lt__exec(s, lt__migrations[version]) : lt__migrate_v6(s);
        if (rc)
            goto out;
    }
    s->dc_absent = false;
    rc = lt__exec(s, "COMMIT");
    in_tx = rc != 0;
out:
    if (in_tx) {
        char keep[sizeof s->err];
        memcpy(keep, s->err, sizeof keep);
        lt__exec(s, "ROLLBACK");
        memcpy(s->err, keep, sizeof keep);
    }
    if (rc)
        lt_diag_set(d, rc, 0, "%s: %s", path, s->err);
    return rc;
}

int lt_store_open(struct lt_store **out, const char *path, struct lt_diag *d)
{
    struct lt_store *s = NULL;
    int rc = 0;

    if (!out || !path)
        return lt_diag_set(d, LT_EINVAL, 0, "no store path");
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s)
        return lt_diag_set(d, LT_ENOMEM, 0, "out of memory");
    /* NOMUTEX: a handle is used by one thread at a time (store.h: the ingest writer, the
     * checkpointer and each HTTP worker thread have their own), so SQLite's per-connection mutex,
     * entered by every sqlite3_* call, is pure cost (~4 % of the ingest writer's time, about a
     * fifth of loading a year of a city's hourly values: docs/INGEST.md, bench/README.md). */
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = lt_diag_set(d, LT_ESTORE, 0, "%s: %s", path,
                         s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    /* A second process (e.g. `lantian serve` while an import runs) waits instead of failing. */
    sqlite3_busy_timeout(s->db, 10000);
    /* WAL keeps readers going during an import; NORMAL is durable up to the last checkpointed
     * commit and never corrupts; 64 MiB of page cache holds the hot leaf pages of a year import.
     * Reads of pages not in the cache go through a 1 GiB mmap instead of pread (measured on the
     * ingest benchmark, docs/INGEST.md; the ingest writer also moves checkpoints to a thread of
     * their own, lt_store_wal_notify). */
    rc = lt__exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                     "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; "
                     "PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824");
    if (rc) {
        lt_diag_set(d, rc, 0, "%s: %s", path, s->err);
        goto out;
    }
    rc = lt__migrate(s, d, path);
    if (rc)
        goto out;
    rc = lt__cache_load(s);
    if (rc) {
        lt_diag_set(d, rc, 0, "%s: %s", path, rc == LT_ENOMEM ? "out of memory" : s->err);
        goto out;
    }
    *out = s;
    s = NULL;
out:
    lt_store_close(s);
    return rc;
}

void lt_store_close(struct lt_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_N; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    free(s->vbuf);
    free(s->slots);
    free(s);
}

const char *lt_store_errmsg(struct lt_store *s)
{
    if (!s)
        return "no store";
    return s->err[0] ? s->err : "no error";
}

static int lt__run(struct lt_store *s, enum lt__stmt k, const char *what)
{
    sqlite3_stmt *q = lt__stmt(s, k);
    if (!q)
        return LT_ESTORE;
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : lt__dberr(s, what);
    sqlite3_reset(q);
    return rc;
}

int lt_store_begin(struct lt_store *s)
{
    s->dc_valid = false;
    return lt__run(s, ST_BEGIN, "begin");
}

int lt_store_commit(struct lt_store *s)
{
    /* The generation moves in the transaction of the change: readers see both or neither. */
    if (s->gen_dirty) {
        int rc = lt__run(s, ST_GEN_BUMP, "bump the data generation");
        if (rc)
            return rc;
    }
    int rc = lt__run(s, ST_COMMIT, "commit");
    if (!rc)
        s->gen_dirty = false;
    return rc;
}

int lt_store_rollback(struct lt_store *s)
{
    s->gen_dirty = false;
    s->dc_valid = false;
    return lt__run(s, ST_ROLLBACK, "rollback");
}

/* Around every write to sites, hourly, corrections, dust_days, targets or meta (see
 * lt__schema_v9_sql). Inside
 * the caller's transaction the bump is left to lt_store_commit; outside one, the write and the
 * bump make a transaction of their own (a savepoint). */
static int lt__gen_begin(struct lt_store *s, bool *own)
{
    *own = sqlite3_get_autocommit(s->db) != 0;
    return *own ? lt__run(s, ST_GEN_SP, "begin a change") : 0;
}

/* After the write: rc its result, changed whether it changed anything. Returns rc, or the error
 * of the bump or of the savepoint's end. */
static int lt__gen_end(struct lt_store *s, bool own, bool changed, int rc)
{
    if (!own) {
        if (!rc && changed)
            s->gen_dirty = true;
        return rc;
    }
    if (!rc && changed)
        rc = lt__run(s, ST_GEN_BUMP, "bump the data generation");
    if (rc) {
        char keep[sizeof s->err];
        memcpy(keep, s->err, sizeof keep);
        lt__run(s, ST_GEN_ROLLBACK, "undo a change");
        lt__run(s, ST_GEN_RELEASE, "end a change");
        memcpy(s->err, keep, sizeof keep);
        return rc;
    }
    return lt__run(s, ST_GEN_RELEASE, "commit a change");
}

static int lt__wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct lt_store *s = arg;
    (void)name;
    if (s->wal_fn)
        s->wal_fn(s->wal_arg, pages);
    if (s->wal_hard > 0 && pages >= s->wal_hard)
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK; /* a failed checkpoint is not an error of the commit */
}

int lt_store_wal_notify(struct lt_store *s, int hard_pages, void (*fn)(void *arg, int pages),
                        void *arg)
{
    if (!s || hard_pages < 1)
        return LT_EINVAL;
    s->wal_hard = hard_pages;
    s->wal_fn = fn;
    s->wal_arg = arg;
    sqlite3_wal_hook(s->db, lt__wal_hook, s); /* replaces wal_autocheckpoint for this handle */
    return 0;
}

int lt_store_checkpoint(struct lt_store *s)
{
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc == SQLITE_OK || rc == SQLITE_BUSY ? 0 : lt__dberr(s, "checkpoint");
}

int lt_store_data_gen(struct lt_store *s, int64_t *n)
{
    if (!s || !n)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_GEN_GET);
    if (!q)
        return LT_ESTORE;
    int rc = 0;
    if (sqlite3_step(q) == SQLITE_ROW)
        *n = sqlite3_column_int64(q, 0);
    else
        rc = lt__dberr(s, "read the data generation");
    sqlite3_reset(q);
    return rc;
}

void lt_store_end_reads(struct lt_store *s)
{
    if (!s)
        return;
    for (sqlite3_stmt *q = sqlite3_next_stmt(s->db, NULL); q; q = sqlite3_next_stmt(s->db, q))
        if (sqlite3_stmt_busy(q))
            sqlite3_reset(q);
}

/* ---- sites ----------------------------------------------------------------------------------- */

static void lt__site_from_row(sqlite3_stmt *q, struct lt_site *o)
{
    memset(o, 0, sizeof *o);
    lt__col_text(q, 1, o->code, sizeof o->code);
    lt__col_text(q, 2, o->name, sizeof o->name);
    lt__col_text(q, 3, o->city, sizeof o->city);
    lt__col_text(q, 4, o->county, sizeof o->county);
    lt__col_text(q, 5, o->province, sizeof o->province);
    o->lon = lt__col_double_or_nan(q, 6);
    o->lat = lt__col_double_or_nan(q, 7);
    o->is_eval = sqlite3_column_int(q, 8) != 0;
    o->valid_from =
        sqlite3_column_type(q, 9) == SQLITE_NULL ? LT_DAY_OPEN_FROM : sqlite3_column_int(q, 9);
    o->valid_to =
        sqlite3_column_type(q, 10) == SQLITE_NULL ? LT_DAY_OPEN_TO : sqlite3_column_int(q, 10);
    lt__col_text(q, 11, o->township, sizeof o->township);
}

static bool lt__same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static bool lt__site_same(const struct lt_site *a, const struct lt_site *b)
{
    return !strcmp(a->name, b->name) && !strcmp(a->city, b->city) &&
           !strcmp(a->county, b->county) && !strcmp(a->township, b->township) &&
           !strcmp(a->province, b->province) && lt__same_double(a->lon, b->lon) &&
           lt__same_double(a->lat, b->lat) && a->is_eval == b->is_eval &&
           a->valid_from == b->valid_from && a->valid_to == b->valid_to;
}

int lt_store_site_get(struct lt_store *s, const char *code, struct lt_site *out)
{
    if (!s || !code || !out)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_SITE_GET);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, code, -1, SQLITE_STATIC);
    int step = sqlite3_step(q), rc = 0;
    if (step == SQLITE_ROW)
        lt__site_from_row(q, out);
    else if (step == SQLITE_DONE)
        rc = LT_ENOTFOUND;
    else
        rc = lt__dberr(s, "get site");
    sqlite3_reset(q);
    return rc;
}

int lt_store_site_put(struct lt_store *s, const struct lt_site *site, bool *changed)
{
    struct lt_site cur;
    struct lt_site norm;
    bool exists;
    int rc;

    if (changed)
        *changed = false;
    if (!s || !site)
        return LT_EINVAL;
    /* The code is copied with its NUL: a 16-byte code without NUL is invalid. */
    if (!memchr(site->code, '\0', sizeof site->code) || !site->code[0])
        return LT_EINVAL;
    norm = *site;
    norm.name[sizeof norm.name - 1] = norm.city[sizeof norm.city - 1] = '\0';
    norm.county[sizeof norm.county - 1] = norm.province[sizeof norm.province - 1] = '\0';
    norm.township[sizeof norm.township - 1] = '\0';
    if (norm.valid_from > norm.valid_to)
        return LT_ERANGE;

    rc = lt_store_site_get(s, norm.code, &cur);
    if (rc && rc != LT_ENOTFOUND)
        return rc;
    exists = rc == 0;
    if (exists && lt__site_same(&cur, &norm))
        return 0;

    sqlite3_stmt *q = lt__stmt(s, exists ? ST_SITE_UPD : ST_SITE_INS);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, norm.code, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, norm.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, norm.city, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, norm.county, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, norm.province, -1, SQLITE_STATIC);
    lt__bind_double_or_null(q, 6, norm.lon);
    lt__bind_double_or_null(q, 7, norm.lat);
    sqlite3_bind_int(q, 8, norm.is_eval ? 1 : 0);
    if (norm.valid_from == LT_DAY_OPEN_FROM)
        sqlite3_bind_null(q, 9);
    else
        sqlite3_bind_int(q, 9, norm.valid_from);
    if (norm.valid_to == LT_DAY_OPEN_TO)
        sqlite3_bind_null(q, 10);
    else
        sqlite3_bind_int(q, 10, norm.valid_to);
    sqlite3_bind_text(q, 11, norm.township, -1, SQLITE_STATIC);
    bool own;
    rc = lt__gen_begin(s, &own);
    if (rc) {
        sqlite3_reset(q);
        return rc;
    }
    rc = sqlite3_step(q) == SQLITE_DONE ? 0 : lt__dberr(s, "put site");
    sqlite3_reset(q);
    int64_t rowid = sqlite3_last_insert_rowid(s->db);
    rc = lt__gen_end(s, own, true, rc);
    if (rc)
        return rc;
    if (!exists) {
        rc = lt__cache_put(s, norm.code, rowid);
        if (rc)
            return rc;
    }
    if (changed)
        *changed = true;
    return 0;
}

int lt_store_sites(struct lt_store *s, const struct lt_site_filter *f, struct lt_site **out, int *n)
{
    struct lt_site *v = NULL;
    int len = 0, cap = 0, rc = 0;

    if (!s || !out || !n)
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = lt__stmt(s, ST_SITE_ALL);
    if (!q)
        return LT_ESTORE;
    /* A few thousand sites at most: filter in C, where the place-name rule is easy to state. */
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        struct lt_site site;
        lt__site_from_row(q, &site);
        if (f && f->eval_only && !site.is_eval)
            continue;
        if (f && f->city && !lt_place_match(f->city, site.city))
            continue;
        if (f && f->province && !lt_place_match(f->province, site.province))
            continue;
        if (f && f->county && !lt_place_match(f->county, site.county))
            continue;
        if (f && f->township && strcmp(f->township, site.township) != 0)
            continue;
        if (len == cap) {
            int ncap = cap ? cap * 2 : 64;
            struct lt_site *nv = realloc(v, sizeof *v * (size_t)ncap);
            if (!nv) {
                rc = LT_ENOMEM;
                goto out;
            }
            v = nv;
            cap = ncap;
        }
        v[len++] = site;
    }
    if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "list sites");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

/* ---- measurements ---------------------------------------------------------------------------- */

static bool lt__factor_ok(int factor)
{
    return (factor >= 0 && factor < LT_POLL_N) || factor == LT_FACTOR_AQI_PUB;
}

static bool lt__flag_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

int lt_store_put_hourly(struct lt_store *s, const char *site, int factor, int64_t ts, double value,
                        const char *flag, enum lt_put_result *res)
{
    int64_t id;
    int rc;

    if (!s || !res || !lt__factor_ok(factor) || ts % 3600 != 0 || (!isnan(value) && value < 0) ||
        isinf(value))
        return LT_EINVAL;
    if (flag && !*flag)
        flag = NULL;
    rc = lt__site_id(s, site, &id);
    if (rc)
        return rc;
    sqlite3_stmt *q = lt__stmt(s, ST_H_INS);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int(q, 2, factor);
    sqlite3_bind_int64(q, 3, ts);
    lt__bind_double_or_null(q, 4, value);
    if (flag)
        sqlite3_bind_text(q, 5, flag, -1, SQLITE_STATIC);
    bool own;
    rc = lt__gen_begin(s, &own);
    if (rc) {
        sqlite3_reset(q);
        return rc;
    }
    rc = sqlite3_step(q) == SQLITE_DONE ? 0 : lt__dberr(s, "store hourly value");
    sqlite3_reset(q);
    bool inserted = !rc && sqlite3_changes(s->db) == 1;
    rc = lt__gen_end(s, own, inserted, rc);
    if (rc)
        return rc;
    if (inserted) {
        *res = LT_PUT_INSERTED;
        return 0;
    }
    /* The key exists: the raw value stays; say whether the offer was the same. */
    q = lt__stmt(s, ST_H_GET);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int(q, 2, factor);
    sqlite3_bind_int64(q, 3, ts);
    if (sqlite3_step(q) != SQLITE_ROW) {
        rc = lt__dberr(s, "read hourly value");
        sqlite3_reset(q);
        return rc;
    }
    double old = lt__col_double_or_nan(q, 0);
    const char *oflag = (const char *)sqlite3_column_text(q, 1);
    *res = lt__same_double(old, value) && lt__flag_eq(oflag, flag) ? LT_PUT_SAME : LT_PUT_CONFLICT;
    sqlite3_reset(q);
    return 0;
}

/* UTC range of the hour-ending timestamps of natural days day0 .. day0+ndays-1. */
static int lt__range(int32_t day0, int ndays, int64_t *t0, int64_t *t1)
{
    if (ndays <= 0 || ndays > 100000)
        return LT_EINVAL;
    *t0 = lt_hour_end_utc(day0, 1);
    *t1 = lt_hour_end_utc(day0 + ndays - 1, 24);
    return 0;
}

int lt_store_load_hourly(struct lt_store *s, const char *site, int32_t day0, int ndays,
                         double *const v[LT_POLL_N], unsigned *not_monitored)
{
    int64_t id, t0, t1;
    int rc, step;

    if (!s || !v)
        return LT_EINVAL;
    rc = lt__range(day0, ndays, &t0, &t1);
    if (rc)
        return rc;
    rc = lt__site_id(s, site, &id);
    if (rc)
        return rc;
    unsigned nm = 0;
    sqlite3_stmt *q = lt__stmt(s, ST_H_LOAD);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, t0);
    sqlite3_bind_int64(q, 3, t1);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        int f = sqlite3_column_int(q, 0);
        int64_t off = sqlite3_column_int64(q, 1) - t0;
        if (f < 0 || f >= LT_POLL_N || off % 3600)
            continue;
        const unsigned char *flag = sqlite3_column_text(q, 3);
        if (flag && !strcmp((const char *)flag, "NM")) {
            nm |= 1u << f;
            continue;
        }
        if (v[f] && sqlite3_column_type(q, 2) != SQLITE_NULL)
            v[f][off / 3600] = sqlite3_column_double(q, 2);
    }
    sqlite3_reset(q);
    if (step != SQLITE_DONE)
        return lt__dberr(s, "load hourly values");

    /* Corrections in the order they were made: the latest one of each key wins. */
    q = lt__stmt(s, ST_C_LOAD);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, t0);
    sqlite3_bind_int64(q, 3, t1);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        int f = sqlite3_column_int(q, 0);
        int64_t off = sqlite3_column_int64(q, 1) - t0;
        if (f < 0 || f >= LT_POLL_N || off % 3600 || !v[f])
            continue;
        v[f][off / 3600] = lt__col_double_or_nan(q, 2);
    }
    sqlite3_reset(q);
    if (step != SQLITE_DONE)
        return lt__dberr(s, "load corrections");
    if (not_monitored)
        *not_monitored = nm;
    return 0;
}

int lt_store_load_aqi_pub(struct lt_store *s, const char *site, int32_t day0, int ndays, int *aqi)
{
    int64_t id, t0, t1;
    int rc, step;

    if (!s || !aqi)
        return LT_EINVAL;
    rc = lt__range(day0, ndays, &t0, &t1);
    if (rc)
        return rc;
    rc = lt__site_id(s, site, &id);
    if (rc)
        return rc;
    sqlite3_stmt *q = lt__stmt(s, ST_AQI_LOAD);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, t0);
    sqlite3_bind_int64(q, 3, t1);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t off = sqlite3_column_int64(q, 0) - t0;
        if (off % 3600 || sqlite3_column_type(q, 1) == SQLITE_NULL)
            continue;
        /* The published AQI is an integer (HJ 633 rounds IAQI up); it is stored as it came. */
        aqi[off / 3600] = (int)sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    if (step != SQLITE_DONE)
        return lt__dberr(s, "load published AQI");
    return 0;
}

/* ---- corrections ----------------------------------------------------------------------------- */

int lt_store_correct(struct lt_store *s, const char *site, int factor, int64_t ts, double new_value,
                     const char *who, int64_t at, const char *why, int64_t *id)
{
    int64_t sid;
    int rc, step;
    double old;

    if (!s || !who || !*who || !why || !*why || !lt__factor_ok(factor) ||
        (!isnan(new_value) && new_value < 0) || isinf(new_value))
        return LT_EINVAL;
    rc = lt__site_id(s, site, &sid);
    if (rc)
        return rc;

    /* The value before this correction: the latest correction, else the raw value. */
    sqlite3_stmt *q = lt__stmt(s, ST_H_GET);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, sid);
    sqlite3_bind_int(q, 2, factor);
    sqlite3_bind_int64(q, 3, ts);
    step = sqlite3_step(q);
    if (step == SQLITE_DONE) {
        sqlite3_reset(q);
        lt__err(s, "no value stored for %s factor %d at %lld", site, factor, (long long)ts);
        return LT_ENOTFOUND;
    }
    if (step != SQLITE_ROW) {
        rc = lt__dberr(s, "read hourly value");
        sqlite3_reset(q);
        return rc;
    }
    old = lt__col_double_or_nan(q, 0);
    sqlite3_reset(q);

    q = lt__stmt(s, ST_C_LAST);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, sid);
    sqlite3_bind_int(q, 2, factor);
    sqlite3_bind_int64(q, 3, ts);
    step = sqlite3_step(q);
    if (step == SQLITE_ROW)
        old = lt__col_double_or_nan(q, 0);
    sqlite3_reset(q);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return lt__dberr(s, "read corrections");

    q = lt__stmt(s, ST_C_INS);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, sid);
    sqlite3_bind_int(q, 2, factor);
    sqlite3_bind_int64(q, 3, ts);
    lt__bind_double_or_null(q, 4, old);
    lt__bind_double_or_null(q, 5, new_value);
    sqlite3_bind_text(q, 6, who, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, at);
    sqlite3_bind_text(q, 8, why, -1, SQLITE_STATIC);
    bool own;
    rc = lt__gen_begin(s, &own);
    if (rc) {
        sqlite3_reset(q);
        return rc;
    }
    rc = sqlite3_step(q) == SQLITE_DONE ? 0 : lt__dberr(s, "record correction");
    sqlite3_reset(q);
    int64_t rowid = sqlite3_last_insert_rowid(s->db);
    rc = lt__gen_end(s, own, true, rc);
    if (!rc && id)
        *id = rowid;
    return rc;
}

int lt_store_corrections(struct lt_store *s, const char *site, struct lt_correction **out, int *n)
{
    struct lt_correction *v = NULL;
    int len = 0, cap = 0, rc = 0, step;
    int64_t sid = 0;
    sqlite3_stmt *q;

    if (!s || !out || !n)
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    if (site) {
        rc = lt__site_id(s, site, &sid);
        if (rc)
            return rc;
    }
    q = lt__stmt(s, site ? ST_C_LIST_SITE : ST_C_LIST_ALL);
    if (!q)
        return LT_ESTORE;
    if (site)
        sqlite3_bind_int64(q, 1, sid);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (len == cap) {
            int ncap = cap ? cap * 2 : 32;
            struct lt_correction *nv = realloc(v, sizeof *v * (size_t)ncap);
            if (!nv) {
                rc = LT_ENOMEM;
                goto out;
            }
            v = nv;
            cap = ncap;
        }
        struct lt_correction *c = &v[len++];
        memset(c, 0, sizeof *c);
        c->id = sqlite3_column_int64(q, 0);
        lt__col_text(q, 1, c->site, sizeof c->site);
        c->factor = sqlite3_column_int(q, 2);
        c->ts = sqlite3_column_int64(q, 3);
        c->old_value = lt__col_double_or_nan(q, 4);
        c->new_value = lt__col_double_or_nan(q, 5);
        lt__col_text(q, 6, c->who, sizeof c->who);
        c->at = sqlite3_column_int64(q, 7);
        lt__col_text(q, 8, c->why, sizeof c->why);
    }
    if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "list corrections");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

/* ---- dust days ------------------------------------------------------------------------------- */

/* Dust days are keyed by the place name without its administrative suffix (the rule of the site
 * filter), so a flag set for "郑州市" is found for the registry's "郑州". */
static int lt__area_key(const char *area, char *key, size_t cap)
{
    struct lt_str b = lt_place_base(lt_str_of(area));
    if (!b.len || b.len >= cap)
        return LT_EINVAL;
    lt_str_copy(key, cap, b);
    return 0;
}

int lt_store_dust_set(struct lt_store *s, const char *area, int32_t day, bool on)
{
    char key[64];
    if (!s || !area || lt__area_key(area, key, sizeof key))
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, on ? ST_D_SET : ST_D_DEL);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, day);
    bool own;
    int rc = lt__gen_begin(s, &own);
    if (rc) {
        sqlite3_reset(q);
        return rc;
    }
    rc = sqlite3_step(q) == SQLITE_DONE ? 0 : lt__dberr(s, "set dust day");
    sqlite3_reset(q);
    return lt__gen_end(s, own, !rc && sqlite3_changes(s->db) > 0, rc);
}

int lt_store_dust_get(struct lt_store *s, const char *area, int32_t day, bool *on)
{
    char key[64];
    if (!s || !area || !on || lt__area_key(area, key, sizeof key))
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_D_GET);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, day);
    int step = sqlite3_step(q), rc = 0;
    if (step == SQLITE_ROW || step == SQLITE_DONE)
        *on = step == SQLITE_ROW;
    else
        rc = lt__dberr(s, "get dust day");
    sqlite3_reset(q);
    return rc;
}

int lt_store_dust_list(struct lt_store *s, const char *area, struct lt_dust_day **out, int *n)
{
    struct lt_dust_day *v = NULL;
    int len = 0, cap = 0, rc = 0, step;

    char key[64];
    if (!s || !out || !n || (area && lt__area_key(area, key, sizeof key)))
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = lt__stmt(s, ST_D_LIST);
    if (!q)
        return LT_ESTORE;
    if (area)
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (len == cap) {
            int ncap = cap ? cap * 2 : 32;
            struct lt_dust_day *nv = realloc(v, sizeof *v * (size_t)ncap);
            if (!nv) {
                rc = LT_ENOMEM;
                goto out;
            }
            v = nv;
            cap = ncap;
        }
        lt__col_text(q, 0, v[len].area, sizeof v[len].area);
        v[len].day = sqlite3_column_int(q, 1);
        len++;
    }
    if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "list dust days");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

/* ---- HJ 212 ingestion ------------------------------------------------------------------------ */

/* These run on the ingest writer thread, thousands per batch inside one transaction: each is one
 * or two steps of a cached statement, with no allocation and no schema work. */

/* A NUL-terminated string that fits a field of `cap` bytes (with its NUL). */
static bool lt__fits(const char *str, size_t cap)
{
    return str && memchr(str, '\0', cap) != NULL;
}

static bool lt__nonempty(const char *str, size_t cap)
{
    return lt__fits(str, cap) && str[0];
}

static int lt__step_done(struct lt_store *s, sqlite3_stmt *q, const char *what)
{
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : lt__dberr(s, what);
    sqlite3_reset(q);
    return rc;
}

int lt_store_raw_append(struct lt_store *s, const struct lt_raw_frame *f, int64_t *id)
{
    if (!s || !f || (!f->bytes && f->len) || f->len > INT32_MAX)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_RAW_INS);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, f->recv_ms);
    sqlite3_bind_text(q, 2, f->peer ? f->peer : "", -1, SQLITE_STATIC);
    if (f->mn && f->mn[0])
        sqlite3_bind_text(q, 3, f->mn, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 4, f->status);
    /* A blob, never text: the bytes may hold NULs and need not be UTF-8. A NULL pointer would
     * bind SQL NULL, so an empty chunk is bound from a non-NULL empty buffer. */
    sqlite3_bind_blob(q, 5, f->len ? (const void *)f->bytes : (const void *)"", (int)f->len,
                      SQLITE_STATIC);
    int rc = lt__step_done(s, q, "append raw frame");
    if (!rc && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int lt_store_last_hour(struct lt_store *s, int64_t *ts)
{
    /* max(ts) over the whole table would scan it; the primary key (site_id, factor, ts) answers
     * "the last hour of this site and pollutant" with one seek, so take the max of those. */
    static const char sql[] =
        "SELECT max((SELECT max(ts) FROM hourly h WHERE h.site_id = s.id AND h.factor = f.f)) "
        "FROM sites s, (SELECT 0 AS f UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 "
        "UNION ALL SELECT 4 UNION ALL SELECT 5) f";
    sqlite3_stmt *q = NULL;
    int rc;
    if (!s || !ts)
        return LT_EINVAL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
        return lt__dberr(s, "find the last hour");
    if (sqlite3_step(q) != SQLITE_ROW) {
        rc = lt__dberr(s, "find the last hour");
    } else if (sqlite3_column_type(q, 0) == SQLITE_NULL) {
        rc = LT_ENOTFOUND;
    } else {
        *ts = sqlite3_column_int64(q, 0);
        rc = 0;
    }
    sqlite3_finalize(q);
    return rc;
}

int lt_store_raw_count(struct lt_store *s, int status, bool any_status, int64_t *n)
{
    if (!s || !n)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_RAW_COUNT);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int(q, 1, any_status ? 1 : 0);
    sqlite3_bind_int(q, 2, status);
    int rc = 0;
    if (sqlite3_step(q) == SQLITE_ROW)
        *n = sqlite3_column_int64(q, 0);
    else
        rc = lt__dberr(s, "count raw frames");
    sqlite3_reset(q);
    return rc;
}

/* ---- devices --------------------------------------------------------------------------------- */

static const char *const lt__device_kinds[] = {"air", "cems", "dust", "voc", "power"};

static bool lt__kind_ok(const char *kind)
{
    for (size_t i = 0; i < sizeof lt__device_kinds / sizeof lt__device_kinds[0]; i++)
        if (!strcmp(kind, lt__device_kinds[i]))
            return true;
    return false;
}

/* Check a device record; LT_ENOTFOUND (with the message) when its site is unknown. */
static int lt__device_check(struct lt_store *s, const struct lt_device *d)
{
    int64_t sid;
    if (!lt__nonempty(d->mn, sizeof d->mn) || !lt__fits(d->kind, sizeof d->kind) ||
        !lt__fits(d->site, sizeof d->site) || !lt__fits(d->outlet, sizeof d->outlet) ||
        !lt__fits(d->pw, sizeof d->pw) || !lt__fits(d->source_type, sizeof d->source_type)) {
        lt__err(s, "device: MN missing or a field too long");
        return LT_EINVAL;
    }
    if (!lt__kind_ok(d->kind)) {
        lt__err(s, "device %s: kind '%s' is not air, cems, dust, voc or power", d->mn, d->kind);
        return LT_EINVAL;
    }
    if (d->crc_mask == 0 || d->crc_mask >= (1u << LT_CRC_KIND_N)) {
        lt__err(s, "device %s: CRC mask %u names no known CRC variant", d->mn, d->crc_mask);
        return LT_EINVAL;
    }
    /* Air stations feed the hourly table of their site; every other kind belongs to an outlet. */
    if (!strcmp(d->kind, "air")) {
        if (!d->site[0] || d->outlet[0]) {
            lt__err(s, "device %s: an air-station device needs a site and no outlet", d->mn);
            return LT_EINVAL;
        }
        if (d->source_type[0]) {
            lt__err(s, "device %s: an air-station device has no source type", d->mn);
            return LT_EINVAL;
        }
        int rc = lt__site_id(s, d->site, &sid);
        if (rc == LT_ENOTFOUND)
            lt__err(s, "device %s: unknown site '%s'", d->mn, d->site);
        if (rc)
            return rc;
    } else if (!d->outlet[0] || d->site[0]) {
        lt__err(s, "device %s: a %s device needs an outlet and no site", d->mn, d->kind);
        return LT_EINVAL;
    }
    return 0;
}

static int lt__device_write(struct lt_store *s, const struct lt_device *d)
{
    sqlite3_stmt *q = lt__stmt(s, ST_DEV_PUT);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, d->mn, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, d->kind, -1, SQLITE_STATIC);
    if (d->site[0])
        sqlite3_bind_text(q, 3, d->site, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, d->outlet, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, d->pw, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, d->crc_mask);
    sqlite3_bind_int(q, 7, d->enabled ? 1 : 0);
    sqlite3_bind_int64(q, 8, d->created_at);
    sqlite3_bind_text(q, 9, d->source_type, -1, SQLITE_STATIC);
    return lt__step_done(s, q, "put device");
}

int lt_store_device_put(struct lt_store *s, const struct lt_device *d)
{
    if (!s || !d)
        return LT_EINVAL;
    int rc = lt__device_check(s, d);
    return rc ? rc : lt__device_write(s, d);
}

static void lt__device_from_row(sqlite3_stmt *q, struct lt_device *o)
{
    memset(o, 0, sizeof *o);
    lt__col_text(q, 0, o->mn, sizeof o->mn);
    lt__col_text(q, 1, o->kind, sizeof o->kind);
    lt__col_text(q, 2, o->site, sizeof o->site);
    lt__col_text(q, 3, o->outlet, sizeof o->outlet);
    lt__col_text(q, 4, o->pw, sizeof o->pw);
    o->crc_mask = (unsigned)sqlite3_column_int64(q, 5);
    o->enabled = sqlite3_column_int(q, 6) != 0;
    o->created_at = sqlite3_column_int64(q, 7);
    lt__col_text(q, 8, o->source_type, sizeof o->source_type);
}

int lt_store_device_get(struct lt_store *s, const char *mn, struct lt_device *out)
{
    if (!s || !mn || !out)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_DEV_GET);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, mn, -1, SQLITE_STATIC);
    int step = sqlite3_step(q), rc = 0;
    if (step == SQLITE_ROW)
        lt__device_from_row(q, out);
    else if (step == SQLITE_DONE)
        rc = LT_ENOTFOUND;
    else
        rc = lt__dberr(s, "get device");
    sqlite3_reset(q);
    return rc;
}

/* A malloc'd array of `size`-byte elements with room for one more than `len` (v itself when it
 * has room); NULL when out of memory, v then left as it was. */
static void *lt__grow(void *v, int *cap, int len, size_t size)
{
    if (len < *cap)
        return v;
    int ncap = *cap ? *cap * 2 : 32;
    void *nv = realloc(v, size * (size_t)ncap);
    if (nv)
        *cap = ncap;
    return nv;
}

int lt_store_devices(struct lt_store *s, struct lt_device **out, int *n)
{
    struct lt_device *v = NULL;
    int len = 0, cap = 0, rc = 0, step;

    if (!s || !out || !n)
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = lt__stmt(s, ST_DEV_ALL);
    if (!q)
        return LT_ESTORE;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        void *nv = lt__grow(v, &cap, len, sizeof *v);
        if (!nv) {
            rc = LT_ENOMEM;
            goto out;
        }
        v = nv;
        lt__device_from_row(q, &v[len++]);
    }
    if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "list devices");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

int lt_store_device_factor_put(struct lt_store *s, const struct lt_device_factor *f)
{
    struct lt_device dev;
    int rc;

    if (!s || !f || !lt__nonempty(f->mn, sizeof f->mn) || !lt__nonempty(f->code, sizeof f->code) ||
        !lt__fits(f->unit, sizeof f->unit) || !isfinite(f->scale) || f->scale <= 0 ||
        f->pollutant < -1 || f->pollutant >= LT_POLL_N)
        return LT_EINVAL;
    rc = lt_store_device_get(s, f->mn, &dev);
    if (rc == LT_ENOTFOUND)
        lt__err(s, "no device with MN %s", f->mn);
    if (rc)
        return rc;
    /* Only an air station's values become a site's hourly pollutant values. */
    if (f->pollutant >= 0 && strcmp(dev.kind, "air") != 0) {
        lt__err(s, "device %s is a %s device: only air stations map factors to pollutants", f->mn,
                dev.kind);
        return LT_EINVAL;
    }
    sqlite3_stmt *q = lt__stmt(s, ST_DF_PUT);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, f->mn, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, f->code, -1, SQLITE_STATIC);
    if (f->pollutant >= 0)
        sqlite3_bind_int(q, 3, f->pollutant);
    sqlite3_bind_text(q, 4, f->unit, -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 5, f->scale);
    return lt__step_done(s, q, "put device factor");
}

int lt_store_device_factors(struct lt_store *s, const char *mn, struct lt_device_factor **out,
                            int *n)
{
    struct lt_device_factor *v = NULL;
    int len = 0, cap = 0, rc = 0, step;

    if (!s || !out || !n)
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = lt__stmt(s, ST_DF_LIST);
    if (!q)
        return LT_ESTORE;
    if (mn)
        sqlite3_bind_text(q, 1, mn, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        void *nv = lt__grow(v, &cap, len, sizeof *v);
        if (!nv) {
            rc = LT_ENOMEM;
            goto out;
        }
        v = nv;
        struct lt_device_factor *f = &v[len++];
        memset(f, 0, sizeof *f);
        lt__col_text(q, 0, f->mn, sizeof f->mn);
        lt__col_text(q, 1, f->code, sizeof f->code);
        f->pollutant = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 2);
        lt__col_text(q, 3, f->unit, sizeof f->unit);
        f->scale = sqlite3_column_double(q, 4);
    }
    if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "list device factors");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

/* ---- quarantine ------------------------------------------------------------------------------ */

int lt_store_quarantine_note(struct lt_store *s, const char *mn, const char *peer, int64_t now_ms,
                             int64_t raw_id)
{
    if (!s || !mn || !*mn)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_Q_NOTE);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, mn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, now_ms);
    sqlite3_bind_text(q, 3, peer ? peer : "", -1, SQLITE_STATIC);
    if (raw_id > 0)
        sqlite3_bind_int64(q, 4, raw_id);
    return lt__step_done(s, q, "note quarantined MN");
}

int lt_store_quarantine_list(struct lt_store *s, struct lt_quarantine **out, int *n)
{
    struct lt_quarantine *v = NULL;
    int len = 0, cap = 0, rc = 0, step;

    if (!s || !out || !n)
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = lt__stmt(s, ST_Q_ALL);
    if (!q)
        return LT_ESTORE;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        void *nv = lt__grow(v, &cap, len, sizeof *v);
        if (!nv) {
            rc = LT_ENOMEM;
            goto out;
        }
        v = nv;
        struct lt_quarantine *e = &v[len++];
        memset(e, 0, sizeof *e);
        lt__col_text(q, 0, e->mn, sizeof e->mn);
        e->first_ms = sqlite3_column_int64(q, 1);
        e->last_ms = sqlite3_column_int64(q, 2);
        e->frames = sqlite3_column_int64(q, 3);
        lt__col_text(q, 4, e->last_peer, sizeof e->last_peer);
        e->last_raw_id = sqlite3_column_int64(q, 5);
    }
    if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "list quarantine");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

int lt_store_quarantine_get(struct lt_store *s, const char *mn, struct lt_quarantine *out)
{
    if (!s || !mn || !out)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_Q_ONE);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, mn, -1, SQLITE_STATIC);
    int step = sqlite3_step(q), rc = 0;
    if (step == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        lt__col_text(q, 0, out->mn, sizeof out->mn);
        out->first_ms = sqlite3_column_int64(q, 1);
        out->last_ms = sqlite3_column_int64(q, 2);
        out->frames = sqlite3_column_int64(q, 3);
        lt__col_text(q, 4, out->last_peer, sizeof out->last_peer);
        out->last_raw_id = sqlite3_column_int64(q, 5);
    } else if (step == SQLITE_DONE) {
        rc = LT_ENOTFOUND;
    } else {
        rc = lt__dberr(s, "read quarantine");
    }
    sqlite3_reset(q);
    return rc;
}

int lt_store_quarantine_adopt(struct lt_store *s, const struct lt_device *d)
{
    struct lt_device cur;
    int rc, step;

    if (!s || !d)
        return LT_EINVAL;
    rc = lt__device_check(s, d);
    if (rc)
        return rc;
    rc = lt__run(s, ST_SP_ADOPT, "adopt");
    if (rc)
        return rc;
    sqlite3_stmt *q = lt__stmt(s, ST_Q_GET);
    if (!q) {
        rc = LT_ESTORE;
        goto out;
    }
    sqlite3_bind_text(q, 1, d->mn, -1, SQLITE_STATIC);
    step = sqlite3_step(q);
    sqlite3_reset(q);
    if (step == SQLITE_DONE) {
        lt__err(s, "MN %s is not in quarantine", d->mn);
        rc = LT_ENOTFOUND;
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = lt__dberr(s, "read quarantine");
        goto out;
    }
    rc = lt_store_device_get(s, d->mn, &cur);
    if (rc == 0) {
        lt__err(s, "MN %s is already a device", d->mn);
        rc = LT_EEXIST;
        goto out;
    }
    if (rc != LT_ENOTFOUND)
        goto out;
    rc = lt__device_write(s, d);
    if (rc)
        goto out;
    q = lt__stmt(s, ST_Q_DEL);
    if (!q) {
        rc = LT_ESTORE;
        goto out;
    }
    sqlite3_bind_text(q, 1, d->mn, -1, SQLITE_STATIC);
    rc = lt__step_done(s, q, "drop quarantine entry");
out:
    if (rc) {
        /* Undo whatever part was done, keeping the reason. */
        char keep[sizeof s->err];
        memcpy(keep, s->err, sizeof keep);
        lt__run(s, ST_SP_ROLLBACK, "adopt rollback");
        lt__run(s, ST_SP_RELEASE, "adopt release");
        memcpy(s->err, keep, sizeof keep);
        return rc;
    }
    return lt__run(s, ST_SP_RELEASE, "adopt commit");
}

/* ---- device values --------------------------------------------------------------------------- */

/* The packed values of a dev_records row (schema version 6). Byte 0 is the format (1); then per
 * value: factor length (1..63) and bytes, kind (lt_hj212_vk), presence bits (1 value, 2 converted
 * value), flag length (0..15) and bytes, then the value and the converted value when present, as
 * IEEE 754 doubles in little-endian byte order. */
#define LT__VALS_FORMAT 1
#define LT__VAL_MAX     (1 + 63 + 1 + 1 + 1 + 15 + 8 + 8)

static unsigned char *lt__put_f64(unsigned char *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(u >> (8 * i));
    return p + 8;
}

static double lt__get_f64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[i] << (8 * i);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static int lt__vals_reserve(struct lt_store *s, size_t need)
{
    if (need <= s->vcap)
        return 0;
    size_t cap = s->vcap ? s->vcap : 4096;
    while (cap < need)
        cap *= 2;
    unsigned char *p = realloc(s->vbuf, cap);
    if (!p)
        return LT_ENOMEM;
    s->vbuf = p;
    s->vcap = cap;
    return 0;
}

/* Pack the items of r whose bit in pick is set (pick NULL: all) into s->vbuf; *len its length. */
static int lt__vals_encode(struct lt_store *s, const struct lt_dev_record *r, const bool *pick,
                           size_t *len)
{
    int rc = lt__vals_reserve(s, 1 + (size_t)r->n * LT__VAL_MAX);
    if (rc)
        return rc;
    unsigned char *p = s->vbuf;
    *p++ = LT__VALS_FORMAT;
    for (int i = 0; i < r->n; i++) {
        if (pick && !pick[i])
            continue;
        const struct lt_dev_item *it = &r->items[i];
        size_t fl = strlen(it->factor), gl = it->flag ? strlen(it->flag) : 0;
        *p++ = (unsigned char)fl;
        memcpy(p, it->factor, fl);
        p += fl;
        *p++ = (unsigned char)it->vk;
        *p++ = (unsigned char)((isnan(it->value) ? 0 : 1) | (isnan(it->value_conv) ? 0 : 2));
        *p++ = (unsigned char)gl;
        memcpy(p, it->flag ? it->flag : "", gl);
        p += gl;
        if (!isnan(it->value))
            p = lt__put_f64(p, it->value);
        if (!isnan(it->value_conv))
            p = lt__put_f64(p, it->value_conv);
    }
    *len = (size_t)(p - s->vbuf);
    return 0;
}

/* One decoded value; factor and flag are NUL-terminated copies. */
struct lt__val {
    char factor[64];
    char flag[16];
    int vk;
    double value, value_conv;
};

/* Decode the value at *off of blob b (n bytes); advances *off. LT_ESTORE on a malformed blob. */
static int lt__vals_next(struct lt_store *s, const unsigned char *b, size_t n, size_t *off,
                         struct lt__val *v)
{
    size_t o = *off;
    if (o >= n || b[o] == 0 || b[o] > 63 || n - o < 1u + b[o] + 3u)
        goto bad;
    size_t fl = b[o++];
    memcpy(v->factor, b + o, fl);
    v->factor[fl] = '\0';
    o += fl;
    v->vk = b[o++];
    unsigned has = b[o++];
    size_t gl = b[o++];
    if (v->vk >= LT_VK_N || has > 3 || gl > 15 || n - o < gl + 8u * ((has & 1) + (has >> 1)))
        goto bad;
    memcpy(v->flag, b + o, gl);
    v->flag[gl] = '\0';
    o += gl;
    v->value = v->value_conv = NAN;
    if (has & 1) {
        v->value = lt__get_f64(b + o);
        o += 8;
    }
    if (has & 2) {
        v->value_conv = lt__get_f64(b + o);
        o += 8;
    }
    *off = o;
    return 0;
bad:
    lt__err(s, "device values: malformed packed row at byte %zu of %zu", o, n);
    return LT_ESTORE;
}

static int lt__vals_check_format(struct lt_store *s, const unsigned char *b, size_t n)
{
    if (n >= 1 && b[0] == LT__VALS_FORMAT)
        return 0;
    lt__err(s, "device values: packed row of unknown format %d", n ? b[0] : -1);
    return LT_ESTORE;
}

/* ---- the device-first copy (schema version 10, lt__schema_v10_sql) ----------------------------
 */

/* Reads dev_copy into s->dc (once per write transaction; always when `fresh` or outside one). */
static int lt__dc_load(struct lt_store *s, bool fresh)
{
    if (s->dc_valid && !fresh && !sqlite3_get_autocommit(s->db))
        return 0;
    sqlite3_stmt *q = lt__stmt(s, ST_DC_GET);
    if (!q)
        return LT_ESTORE;
    int step = sqlite3_step(q), rc = 0;
    s->dc_any = step == SQLITE_ROW;
    if (s->dc_any) {
        s->dc.start = sqlite3_column_int64(q, 0);
        s->dc.end = sqlite3_column_int64(q, 1);
        const unsigned char *mn = sqlite3_column_text(q, 2);
        lt_str_copy(s->dc.mn, sizeof s->dc.mn, lt_str_of(mn ? (const char *)mn : ""));
        s->dc.data_time = sqlite3_column_int64(q, 3);
        s->dc.cn = sqlite3_column_int(q, 4);
        s->dc.seq = sqlite3_column_int(q, 5);
    } else if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "read the device-first copy's progress");
    }
    sqlite3_reset(q);
    s->dc_valid = rc == 0;
    return rc;
}

/* Whether the copy has passed the dev_records key (data_time, mn, cn, seq): such a row, stored
 * now, must be written to dev_by_mn too. */
static bool lt__dc_passed(const struct lt_store *s, int64_t data_time, const char *mn, int cn,
                          int seq)
{
    if (!s->dc_any || data_time >= s->dc.end)
        return false;
    if (data_time < s->dc.start)
        return true;
    int c = strcmp(mn, s->dc.mn); /* the copy walks a unit in (mn, data_time, cn, seq) order */
    if (c)
        return c < 0;
    if (data_time != s->dc.data_time)
        return data_time < s->dc.data_time;
    if (cn != s->dc.cn)
        return cn < s->dc.cn;
    return seq <= s->dc.seq;
}

/* One packed row into dev_records (ST_V_INS) or dev_by_mn (ST_DC_INS): the same placeholders. */
static int lt__row_insert(struct lt_store *s, enum lt__stmt k, const char *mn, int64_t data_time,
                          int cn, int seq, int n, int64_t raw_id, const void *vals, int len)
{
    sqlite3_stmt *q = lt__stmt(s, k);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, data_time);
    sqlite3_bind_text(q, 2, mn, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, cn);
    sqlite3_bind_int(q, 4, seq);
    sqlite3_bind_int(q, 5, n);
    if (raw_id > 0)
        sqlite3_bind_int64(q, 6, raw_id);
    else
        sqlite3_bind_null(q, 6);
    sqlite3_bind_blob(q, 7, vals, len, SQLITE_STATIC);
    return lt__step_done(s, q, k == ST_V_INS ? "store device values" : "copy device values");
}

static int lt__dc_save(struct lt_store *s)
{
    sqlite3_stmt *q = lt__stmt(s, ST_DC_PUT);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, s->dc.start);
    sqlite3_bind_int64(q, 6, s->dc.end);
    sqlite3_bind_text(q, 2, s->dc.mn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, s->dc.data_time);
    sqlite3_bind_int(q, 4, s->dc.cn);
    sqlite3_bind_int(q, 5, s->dc.seq);
    return lt__step_done(s, q, "save the device-first copy's progress");
}

/* The first data_time >= from in dev_records (*found false: none). */
static int lt__dc_next_time(struct lt_store *s, int64_t from, int64_t *t, bool *found)
{
    sqlite3_stmt *q = lt__stmt(s, ST_DC_MIN);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, from);
    int rc = 0;
    *found = false;
    if (sqlite3_step(q) == SQLITE_ROW) {
        *found = sqlite3_column_type(q, 0) != SQLITE_NULL;
        *t = sqlite3_column_int64(q, 0);
    } else {
        rc = lt__dberr(s, "find the next device values to copy");
    }
    sqlite3_reset(q);
    return rc;
}

static int64_t lt__floor_to(int64_t t, int64_t step)
{
    return t - ((t % step) + step) % step;
}

/* Starts the unit at `start` (a minute's start): the rest of its hour, or fewer minutes when the
 * rest holds more than `rows` rows, so that a step never orders much more than `rows` rows. */
static int lt__dc_unit(struct lt_store *s, int64_t start, int64_t rows)
{
    int64_t hour_end = lt__floor_to(start, 3600) + 3600;
    sqlite3_stmt *q = lt__stmt(s, ST_DC_COUNT);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, start);
    sqlite3_bind_int64(q, 2, hour_end);
    int rc = 0;
    int64_t n = 0;
    if (sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    else
        rc = lt__dberr(s, "count device values to copy");
    sqlite3_reset(q);
    int64_t span = hour_end - start;
    if (n > rows) {
        span = lt__floor_to(span * rows / n, 60);
        if (span < 60)
            span = 60;
    }
    s->dc.start = start;
    s->dc.end = start + span;
    s->dc.mn[0] = '\0'; /* before every MN */
    s->dc.data_time = INT64_MIN;
    s->dc.cn = s->dc.seq = INT_MIN;
    return rc;
}

int lt_store_dev_copy_step(struct lt_store *s, int64_t upto, int max, int *copied, bool *more)
{
    if (!s || max < 1 || !copied || !more)
        return LT_EINVAL;
    *copied = 0;
    *more = false;
    const int64_t unit_rows = 4 * (int64_t)max;
    int rc = lt__dc_load(s, true);
    bool found, moved = false;
    int64_t t;
    if (!rc && !s->dc_any) {
        rc = lt__dc_next_time(s, INT64_MIN, &t, &found);
        if (rc || !found)
            return rc;            /* no device values yet: nothing to copy */
        s->dc_any = moved = true; /* a progress just started is saved */
        rc = lt__dc_unit(s, lt__floor_to(t, 3600), unit_rows);
    }
    while (!rc && *copied < max && s->dc.end <= upto) {
        sqlite3_stmt *q = lt__stmt(s, ST_DC_SEL);
        if (!q)
            return LT_ESTORE;
        int want = max - *copied, got = 0, step;
        sqlite3_bind_int64(q, 1, s->dc.start);
        sqlite3_bind_int64(q, 7, s->dc.end);
        sqlite3_bind_text(q, 2, s->dc.mn, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 3, s->dc.data_time);
        sqlite3_bind_int(q, 4, s->dc.cn);
        sqlite3_bind_int(q, 5, s->dc.seq);
        sqlite3_bind_int(q, 6, want);
        while (!rc && (step = sqlite3_step(q)) == SQLITE_ROW) {
            const char *mn = (const char *)sqlite3_column_text(q, 0);
            rc = lt__row_insert(s, ST_DC_INS, mn ? mn : "", sqlite3_column_int64(q, 1),
                                sqlite3_column_int(q, 2), sqlite3_column_int(q, 3),
                                sqlite3_column_int(q, 4), sqlite3_column_int64(q, 5),
                                sqlite3_column_blob(q, 6), sqlite3_column_bytes(q, 6));
            if (rc)
                break;
            lt_str_copy(s->dc.mn, sizeof s->dc.mn, lt_str_of(mn ? mn : ""));
            s->dc.data_time = sqlite3_column_int64(q, 1);
            s->dc.cn = sqlite3_column_int(q, 2);
            s->dc.seq = sqlite3_column_int(q, 3);
            got++;
            moved = true;
        }
        if (!rc && step != SQLITE_DONE)
            rc = lt__dberr(s, "read device values to copy");
        sqlite3_reset(q);
        if (rc)
            break;
        *copied += got;
        if (got == want)
            break; /* this step's rows are done; the unit may have more */
        /* The unit is copied: the next starts at the minute of the next values (none lie between:
         * everything before it is copied); with none, at the minute of `upto` (rows stored later
         * before it are written to both tables). */
        rc = lt__dc_next_time(s, s->dc.end, &t, &found);
        if (rc)
            break;
        int64_t next = lt__floor_to(found ? t : upto, 60);
        if (next < s->dc.end)
            next = s->dc.end;
        rc = lt__dc_unit(s, next, unit_rows);
        moved = true;
    }
    if (!rc && moved)
        rc = lt__dc_save(s);
    s->dc_valid = rc == 0 && !sqlite3_get_autocommit(s->db);
    if (!rc)
        *more = s->dc.end <= upto;
    return rc;
}

static int lt__record_insert(struct lt_store *s, const struct lt_dev_record *r, int seq, int nvals,
                             size_t len, bool *inserted)
{
    int rc = lt__row_insert(s, ST_V_INS, r->mn, r->data_time, r->cn, seq, nvals, r->raw_id, s->vbuf,
                            (int)len);
    *inserted = !rc && sqlite3_changes(s->db) == 1;
    if (!*inserted)
        return rc;
    /* A row for a key the device-first copy has passed (history sent late): written there too. */
    if (s->dc_absent)
        return 0;
    rc = lt__dc_load(s, false);
    if (!rc && lt__dc_passed(s, r->data_time, r->mn, r->cn, seq))
        rc = lt__row_insert(s, ST_DC_INS, r->mn, r->data_time, r->cn, seq, nvals, r->raw_id,
                            s->vbuf, (int)len);
    return rc;
}

/* The key has rows already: compare each item with the stored values (the first value received
 * stays: a device resending the hour, HJ 212-2017 6.5 resend on a missing 9014, is SAME; another
 * value or flag is a CONFLICT; value_conv is not compared, it follows the mapping in force), and
 * store the items not yet there as the next row of the key. */
static int lt__record_merge(struct lt_store *s, const struct lt_dev_record *r,
                            enum lt_put_result *res)
{
    sqlite3_stmt *q = lt__stmt(s, ST_V_GET);
    if (!q)
        return LT_ESTORE;
    for (int i = 0; i < r->n; i++)
        res[i] = LT_PUT_INSERTED;
    sqlite3_bind_int64(q, 1, r->data_time);
    sqlite3_bind_text(q, 2, r->mn, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, r->cn);
    int rc = 0, step, seq = 0;
    while (!rc && (step = sqlite3_step(q)) == SQLITE_ROW) {
        seq = sqlite3_column_int(q, 0);
        const unsigned char *b = sqlite3_column_blob(q, 1);
        size_t n = (size_t)sqlite3_column_bytes(q, 1), off = 1;
        rc = lt__vals_check_format(s, b, n);
        while (!rc && off < n) {
            struct lt__val v;
            rc = lt__vals_next(s, b, n, &off, &v);
            for (int i = 0; !rc && i < r->n; i++) {
                const struct lt_dev_item *it = &r->items[i];
                if (it->vk != v.vk || strcmp(it->factor, v.factor))
                    continue;
                res[i] = lt__same_double(v.value, it->value) &&
                                 lt__flag_eq(v.flag, it->flag ? it->flag : "")
                             ? LT_PUT_SAME
                             : LT_PUT_CONFLICT;
            }
        }
    }
    if (!rc && step != SQLITE_DONE)
        rc = lt__dberr(s, "read device values");
    sqlite3_reset(q);
    if (rc)
        return rc;
    bool pick[LT_HJ212_ITEMS_MAX * LT_VK_N];
    int nnew = 0;
    for (int i = 0; i < r->n; i++)
        nnew += pick[i] = res[i] == LT_PUT_INSERTED;
    if (!nnew)
        return 0;
    size_t len;
    bool inserted;
    rc = lt__vals_encode(s, r, pick, &len);
    return rc ? rc : lt__record_insert(s, r, seq + 1, nnew, len, &inserted);
}

int lt_store_dev_record_put(struct lt_store *s, const struct lt_dev_record *r,
                            enum lt_put_result *res)
{
    if (!s || !r || !res || !r->mn || !*r->mn || strlen(r->mn) >= sizeof s->dc.mn || r->n < 0 ||
        r->n > LT_HJ212_ITEMS_MAX * LT_VK_N || (r->n && !r->items))
        return LT_EINVAL; /* MNs are 14 (2005) or 24 (2017) characters: a longer one is no MN */
    for (int i = 0; i < r->n; i++) {
        const struct lt_dev_item *it = &r->items[i];
        size_t fl = it->factor ? strlen(it->factor) : 0;
        if (fl == 0 || fl > 63 || it->vk < 0 || it->vk >= LT_VK_N || isinf(it->value) ||
            isinf(it->value_conv) || (it->flag && strlen(it->flag) > 15))
            return LT_EINVAL;
        for (int k = 0; k < i; k++)
            if (r->items[k].vk == it->vk && !strcmp(r->items[k].factor, it->factor))
                return LT_EINVAL;
    }
    if (r->n == 0)
        return 0;
    size_t len;
    bool inserted = false;
    int rc = lt__vals_encode(s, r, NULL, &len);
    if (!rc)
        rc = lt__record_insert(s, r, 0, r->n, len, &inserted);
    if (rc)
        return rc;
    if (inserted) {
        for (int i = 0; i < r->n; i++)
            res[i] = LT_PUT_INSERTED;
        return 0;
    }
    return lt__record_merge(s, r, res);
}

int lt_store_dev_value_put(struct lt_store *s, const struct lt_dev_value *v,
                           enum lt_put_result *res)
{
    if (!s || !v || !res)
        return LT_EINVAL;
    struct lt_dev_item it = {.factor = v->factor,
                             .vk = v->vk,
                             .value = v->value,
                             .value_conv = v->value_conv,
                             .flag = v->flag};
    struct lt_dev_record r = {.mn = v->mn,
                              .cn = v->cn,
                              .data_time = v->data_time,
                              .raw_id = v->raw_id,
                              .n = 1,
                              .items = &it};
    return lt_store_dev_record_put(s, &r, res);
}

int lt_store_dev_value_count(struct lt_store *s, const char *mn, int64_t *n)
{
    if (!s || !n)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_V_COUNT);
    if (!q)
        return LT_ESTORE;
    if (mn)
        sqlite3_bind_text(q, 1, mn, -1, SQLITE_STATIC);
    int rc = 0;
    if (sqlite3_step(q) == SQLITE_ROW)
        *n = sqlite3_column_int64(q, 0);
    else
        rc = lt__dberr(s, "count device values");
    sqlite3_reset(q);
    return rc;
}

/* The values of the rows one of ST_V_LIST / ST_V_LIST_MN finds, to cb in their order. */
static int lt__dev_list_part(struct lt_store *s, enum lt__stmt k, const char *mn, int cn,
                             int64_t from, int64_t to,
                             int (*cb)(void *arg, const struct lt_dev_value_row *v), void *arg)
{
    sqlite3_stmt *q = lt__stmt(s, k);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, mn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    sqlite3_bind_int(q, 4, cn);
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(q)) == SQLITE_ROW) {
        struct lt_dev_value_row row = {.data_time = sqlite3_column_int64(q, 0),
                                       .cn = sqlite3_column_int(q, 1),
                                       .raw_id = sqlite3_column_int64(q, 2)};
        const unsigned char *b = sqlite3_column_blob(q, 3);
        size_t n = (size_t)sqlite3_column_bytes(q, 3), off = 1;
        rc = lt__vals_check_format(s, b, n);
        while (!rc && off < n) {
            struct lt__val v;
            rc = lt__vals_next(s, b, n, &off, &v);
            if (rc)
                break;
            row.factor = v.factor;
            row.vk = v.vk;
            row.value = v.value;
            row.value_conv = v.value_conv;
            row.flag = v.flag;
            rc = cb(arg, &row);
        }
    }
    if (!rc && step != SQLITE_DONE)
        rc = lt__dberr(s, "list device values");
    sqlite3_reset(q);
    return rc;
}

int lt_store_dev_value_list(struct lt_store *s, const char *mn, int cn, int64_t from, int64_t to,
                            int (*cb)(void *arg, const struct lt_dev_value_row *v), void *arg)
{
    if (!s || !mn || !cb || from > to)
        return LT_EINVAL;
    /* One read transaction: the copy's progress and both tables as of one moment. */
    bool own = sqlite3_get_autocommit(s->db);
    if (own && lt__exec(s, "BEGIN"))
        return LT_ESTORE;
    int rc = lt__dc_load(s, true);
    /* Before the hour the copy is in, dev_by_mn has every row; from it on, dev_records. */
    int64_t split = s->dc_any ? s->dc.start : INT64_MIN;
    if (!rc && from < split)
        rc = lt__dev_list_part(s, ST_V_LIST_MN, mn, cn, from, to < split ? to : split - 1, cb, arg);
    if (!rc && to >= split)
        rc = lt__dev_list_part(s, ST_V_LIST, mn, cn, from > split ? from : split, to, cb, arg);
    if (own)
        sqlite3_exec(s->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
    s->dc_valid = false;
    return rc;
}

/* Version 5 -> 6: the schema script, the old per-value rows packed per (DataTime, MN, CN) into
 * dev_records (their raw_id: the first value's), then the old table dropped. */
static int lt__migrate_v6(struct lt_store *s)
{
    int rc = lt__exec(s, lt__schema_v6_sql);
    if (rc)
        return rc;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT data_time, mn, cn, factor, vk, value, value_conv, flag, raw_id "
                           "FROM dev_values ORDER BY data_time, mn, cn, factor, vk",
                           -1, &q, NULL) != SQLITE_OK)
        return lt__dberr(s, "migrate device values");
    enum { CAP = LT_HJ212_ITEMS_MAX * LT_VK_N };
    struct lt_dev_item *items = calloc(CAP, sizeof *items);
    char(*txt)[2][64] = calloc(CAP, sizeof *txt);
    enum lt_put_result *res = calloc(CAP, sizeof *res);
    char mn[64] = "";
    struct lt_dev_record r = {.mn = mn, .items = items};
    if (!items || !txt || !res)
        rc = LT_ENOMEM;
    int step = SQLITE_DONE;
    while (!rc) {
        step = sqlite3_step(q);
        bool row = step == SQLITE_ROW;
        const char *rmn = row ? (const char *)sqlite3_column_text(q, 1) : "";
        bool same = row && r.n > 0 && r.n < CAP && sqlite3_column_int64(q, 0) == r.data_time &&
                    sqlite3_column_int(q, 2) == r.cn && !strcmp(rmn, mn);
        if (r.n > 0 && !same) {
            rc = lt_store_dev_record_put(s, &r, res);
            r.n = 0;
        }
        if (rc || !row)
            break;
        if (r.n == 0) {
            r.data_time = sqlite3_column_int64(q, 0);
            r.cn = sqlite3_column_int(q, 2);
            r.raw_id = sqlite3_column_int64(q, 8);
            lt__col_text(q, 1, mn, sizeof mn);
        }
        lt__col_text(q, 3, txt[r.n][0], sizeof txt[r.n][0]);
        lt__col_text(q, 7, txt[r.n][1], 16);
        items[r.n] = (struct lt_dev_item){.factor = txt[r.n][0],
                                          .vk = sqlite3_column_int(q, 4),
                                          .value = lt__col_double_or_nan(q, 5),
                                          .value_conv = lt__col_double_or_nan(q, 6),
                                          .flag = txt[r.n][1]};
        r.n++;
    }
    if (!rc && step != SQLITE_DONE)
        rc = lt__dberr(s, "migrate device values");
    sqlite3_finalize(q);
    free(items);
    free(txt);
    free(res);
    return rc ? rc : lt__exec(s, lt__schema_v6_end_sql);
}

/* ---- exceedances ----------------------------------------------------------------------------- */

int lt_store_exceedance_add(struct lt_store *s, const struct lt_exceedance *e, bool *added)
{
    if (added)
        *added = false;
    if (!s || !e || !lt__nonempty(e->mn, sizeof e->mn) || !lt__fits(e->outlet, sizeof e->outlet) ||
        !lt__nonempty(e->factor, sizeof e->factor) || !lt__fits(e->flag, sizeof e->flag) ||
        !lt__fits(e->rule, sizeof e->rule))
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_X_INS);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, e->mn, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, e->outlet, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, e->factor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, e->data_time);
    lt__bind_double_or_null(q, 5, e->measured);
    lt__bind_double_or_null(q, 6, e->o2);
    lt__bind_double_or_null(q, 7, e->o2_ref);
    lt__bind_double_or_null(q, 8, e->corrected);
    lt__bind_double_or_null(q, 9, e->limit);
    sqlite3_bind_text(q, 10, e->flag, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 11, e->rule, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 12, e->detected_ms);
    int rc = lt__step_done(s, q, "record exceedance");
    if (!rc && added)
        *added = sqlite3_changes(s->db) == 1;
    return rc;
}

int lt_store_exceedances(struct lt_store *s, const char *mn, struct lt_exceedance **out, int *n)
{
    struct lt_exceedance *v = NULL;
    int len = 0, cap = 0, rc = 0, step;

    if (!s || !out || !n)
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = lt__stmt(s, mn ? ST_X_MN : ST_X_ALL);
    if (!q)
        return LT_ESTORE;
    if (mn)
        sqlite3_bind_text(q, 1, mn, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        void *nv = lt__grow(v, &cap, len, sizeof *v);
        if (!nv) {
            rc = LT_ENOMEM;
            goto out;
        }
        v = nv;
        struct lt_exceedance *e = &v[len++];
        memset(e, 0, sizeof *e);
        e->id = sqlite3_column_int64(q, 0);
        lt__col_text(q, 1, e->mn, sizeof e->mn);
        lt__col_text(q, 2, e->outlet, sizeof e->outlet);
        lt__col_text(q, 3, e->factor, sizeof e->factor);
        e->data_time = sqlite3_column_int64(q, 4);
        e->measured = lt__col_double_or_nan(q, 5);
        e->o2 = lt__col_double_or_nan(q, 6);
        e->o2_ref = lt__col_double_or_nan(q, 7);
        e->corrected = lt__col_double_or_nan(q, 8);
        e->limit = lt__col_double_or_nan(q, 9);
        lt__col_text(q, 10, e->flag, sizeof e->flag);
        lt__col_text(q, 11, e->rule, sizeof e->rule);
        e->detected_ms = sqlite3_column_int64(q, 12);
    }
    if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "list exceedances");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

/* ---- device health --------------------------------------------------------------------------- */

int lt_store_health_add(struct lt_store *s, const struct lt_health_delta *h)
{
    if (!s || !h || !h->mn || !*h->mn || h->frames < 0 || h->values < 0)
        return LT_EINVAL;
    for (int i = 0; i < 8; i++)
        if (h->errors[i] < 0)
            return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_HL_ADD);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, h->mn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, h->hour);
    sqlite3_bind_int64(q, 3, h->frames);
    sqlite3_bind_int64(q, 4, h->values);
    for (int i = 0; i < 8; i++)
        sqlite3_bind_int64(q, 5 + i, h->errors[i]);
    /* last_ms 0 means "no frame in this delta" (an error-only delta may still carry a peer). */
    if (h->last_ms > 0) {
        sqlite3_bind_int64(q, 13, h->last_ms);
        sqlite3_bind_text(q, 14, h->last_peer ? h->last_peer : "", -1, SQLITE_STATIC);
    }
    return lt__step_done(s, q, "add device health");
}

int lt_store_health(struct lt_store *s, const char *mn, int64_t from_hour, int64_t to_hour,
                    struct lt_health_row **out, int *n)
{
    struct lt_health_row *v = NULL;
    int len = 0, cap = 0, rc = 0, step;

    if (!s || !out || !n)
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = lt__stmt(s, mn ? ST_HL_MN : ST_HL_ALL);
    if (!q)
        return LT_ESTORE;
    if (mn)
        sqlite3_bind_text(q, 1, mn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, from_hour);
    sqlite3_bind_int64(q, 3, to_hour);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        void *nv = lt__grow(v, &cap, len, sizeof *v);
        if (!nv) {
            rc = LT_ENOMEM;
            goto out;
        }
        v = nv;
        struct lt_health_row *r = &v[len++];
        memset(r, 0, sizeof *r);
        lt__col_text(q, 0, r->mn, sizeof r->mn);
        r->hour = sqlite3_column_int64(q, 1);
        r->frames = sqlite3_column_int64(q, 2);
        r->values = sqlite3_column_int64(q, 3);
        for (int i = 0; i < 8; i++)
            r->errors[i] = sqlite3_column_int64(q, 4 + i);
        r->last_ms = sqlite3_column_int64(q, 12);
        lt__col_text(q, 13, r->last_peer, sizeof r->last_peer);
    }
    if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "read device health");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

/* ---- accounts, sessions, audit log ----------------------------------------------------------- */

bool lt_store_role_ok(const char *role)
{
    static const char *const roles[] = {"admin", "analyst", "county", "enforcement", "leader"};
    if (!role)
        return false;
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (!strcmp(role, roles[i]))
            return true;
    return false;
}

static void lt__user_row(sqlite3_stmt *q, int c, struct lt_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(q, c);
    lt__col_text(q, c + 1, u->name, sizeof u->name);
    lt__col_text(q, c + 2, u->role, sizeof u->role);
    lt__col_text(q, c + 3, u->province, sizeof u->province);
    lt__col_text(q, c + 4, u->city, sizeof u->city);
    lt__col_text(q, c + 5, u->county, sizeof u->county);
    lt__col_text(q, c + 6, u->township, sizeof u->township);
    lt__col_text(q, c + 7, u->pw_hash, sizeof u->pw_hash);
    u->created_at = sqlite3_column_int64(q, c + 8);
    u->disabled = sqlite3_column_int(q, c + 9) != 0;
}

int lt_store_user_add(struct lt_store *s, const struct lt_user *u, int64_t *id)
{
    if (!s || !u || !lt__nonempty(u->name, sizeof u->name) || !lt__fits(u->role, sizeof u->role) ||
        !lt_store_role_ok(u->role) || !lt__fits(u->province, sizeof u->province) ||
        !lt__fits(u->city, sizeof u->city) || !lt__fits(u->county, sizeof u->county) ||
        !lt__fits(u->township, sizeof u->township) || !lt__nonempty(u->pw_hash, sizeof u->pw_hash))
        return LT_EINVAL;
    /* A scope is a path from the root: no county without its city, and so on. */
    if ((u->township[0] && !u->county[0]) || (u->county[0] && !u->city[0]) ||
        (u->city[0] && !u->province[0])) {
        lt__err(s, "a scope names every level above its own (province > city > county)");
        return LT_EINVAL;
    }
    struct lt_user cur;
    int rc = lt_store_user_get(s, u->name, &cur);
    if (rc == 0) {
        lt__err(s, "user %s exists already", u->name);
        return LT_EEXIST;
    }
    if (rc != LT_ENOTFOUND)
        return rc;
    sqlite3_stmt *q = lt__stmt(s, ST_U_INS);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, u->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, u->role, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, u->province, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, u->city, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, u->county, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, u->township, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, u->pw_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 8, u->created_at);
    sqlite3_bind_int(q, 9, u->disabled ? 1 : 0);
    rc = lt__step_done(s, q, "add user");
    if (!rc && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int lt_store_user_get(struct lt_store *s, const char *name, struct lt_user *out)
{
    if (!s || !name || !out)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_U_GET);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    int rc = 0, step = sqlite3_step(q);
    if (step == SQLITE_ROW)
        lt__user_row(q, 0, out);
    else if (step == SQLITE_DONE)
        rc = LT_ENOTFOUND;
    else
        rc = lt__dberr(s, "read user");
    sqlite3_reset(q);
    return rc;
}

int lt_store_users(struct lt_store *s, struct lt_user **out, int *n)
{
    struct lt_user *v = NULL;
    int len = 0, cap = 0, rc = 0, step;

    if (!s || !out || !n)
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = lt__stmt(s, ST_U_ALL);
    if (!q)
        return LT_ESTORE;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (len == cap) {
            int ncap = cap ? cap * 2 : 16;
            struct lt_user *nv = realloc(v, sizeof *v * (size_t)ncap);
            if (!nv) {
                rc = LT_ENOMEM;
                goto out;
            }
            v = nv;
            cap = ncap;
        }
        lt__user_row(q, 0, &v[len++]);
    }
    if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "list users");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

int lt_store_user_disable(struct lt_store *s, const char *name)
{
    if (!s || !name)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_U_DISABLE);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    int rc = lt__step_done(s, q, "disable user");
    if (rc)
        return rc;
    if (sqlite3_changes(s->db) == 0) {
        lt__err(s, "no user %s", name);
        return LT_ENOTFOUND;
    }
    q = lt__stmt(s, ST_S_DEL_USER);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    return lt__step_done(s, q, "end the user's sessions");
}

int lt_store_user_count(struct lt_store *s, const char *role, int64_t *n)
{
    if (!s || !role || !n)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_U_COUNT);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, role, -1, SQLITE_STATIC);
    int rc = 0;
    if (sqlite3_step(q) == SQLITE_ROW)
        *n = sqlite3_column_int64(q, 0);
    else
        rc = lt__dberr(s, "count users");
    sqlite3_reset(q);
    return rc;
}

int lt_store_session_add(struct lt_store *s, const char *token_hash, int64_t user_id,
                         int64_t created_at, int64_t expires_at)
{
    if (!s || !lt__nonempty(token_hash, 129) || expires_at <= created_at)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_S_INS);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, token_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, user_id);
    sqlite3_bind_int64(q, 3, created_at);
    sqlite3_bind_int64(q, 4, expires_at);
    int step = sqlite3_step(q);
    int rc = 0;
    if (step == SQLITE_CONSTRAINT_UNIQUE) {
        lt__err(s, "session exists already");
        rc = LT_EEXIST;
    } else if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "add session");
    }
    sqlite3_reset(q);
    return rc;
}

int lt_store_session_get(struct lt_store *s, const char *token_hash, int64_t now,
                         struct lt_user *out, int64_t *expires_at)
{
    if (!s || !token_hash || !out)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_S_GET);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, token_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, now);
    int rc = 0, step = sqlite3_step(q);
    if (step == SQLITE_ROW) {
        if (expires_at)
            *expires_at = sqlite3_column_int64(q, 0);
        lt__user_row(q, 1, out);
    } else if (step == SQLITE_DONE) {
        rc = LT_ENOTFOUND;
    } else {
        rc = lt__dberr(s, "read session");
    }
    sqlite3_reset(q);
    return rc;
}

int lt_store_session_end(struct lt_store *s, const char *token_hash)
{
    if (!s || !token_hash)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_S_DEL);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, token_hash, -1, SQLITE_STATIC);
    return lt__step_done(s, q, "end session");
}

int lt_store_audit_append(struct lt_store *s, int64_t at_ms, const char *user, const char *action,
                          const char *object, const char *before_json, const char *after_json,
                          int64_t *id)
{
    if (!s || !lt__nonempty(user, 64) || !lt__nonempty(action, 32) || !lt__nonempty(object, 128) ||
        (before_json && !lt__fits(before_json, LT_AUDIT_JSON_MAX)) ||
        (after_json && !lt__fits(after_json, LT_AUDIT_JSON_MAX)))
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_A_INS);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_int64(q, 1, at_ms);
    sqlite3_bind_text(q, 2, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, object, -1, SQLITE_STATIC);
    if (before_json)
        sqlite3_bind_text(q, 5, before_json, -1, SQLITE_STATIC);
    if (after_json)
        sqlite3_bind_text(q, 6, after_json, -1, SQLITE_STATIC);
    int rc = lt__step_done(s, q, "append to the audit log");
    if (!rc && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static void lt__audit_bind_filter(sqlite3_stmt *q, const struct lt_audit_filter *f)
{
    if (!f)
        return;
    if (f->action)
        sqlite3_bind_text(q, 3, f->action, -1, SQLITE_STATIC);
    if (f->user)
        sqlite3_bind_text(q, 4, f->user, -1, SQLITE_STATIC);
    if (f->object_prefix)
        sqlite3_bind_text(q, 5, f->object_prefix, -1, SQLITE_STATIC);
}

int lt_store_audit_list(struct lt_store *s, int limit, int offset, const struct lt_audit_filter *f,
                        struct lt_audit **out, int *n, int64_t *total)
{
    struct lt_audit *v = NULL;
    int len = 0, rc = 0, step;

    if (!s || !out || !n || limit < 0 || offset < 0)
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    if (total) {
        sqlite3_stmt *c = lt__stmt(s, ST_A_COUNT);
        if (!c)
            return LT_ESTORE;
        lt__audit_bind_filter(c, f);
        if (sqlite3_step(c) == SQLITE_ROW)
            *total = sqlite3_column_int64(c, 0);
        else
            rc = lt__dberr(s, "count the audit log");
        sqlite3_reset(c);
        if (rc)
            return rc;
    }
    if (limit == 0)
        return 0;
    v = calloc((size_t)limit, sizeof *v);
    if (!v)
        return LT_ENOMEM;
    sqlite3_stmt *q = lt__stmt(s, ST_A_LIST);
    if (!q) {
        free(v);
        return LT_ESTORE;
    }
    sqlite3_bind_int(q, 1, limit);
    sqlite3_bind_int(q, 2, offset);
    lt__audit_bind_filter(q, f);
    while ((step = sqlite3_step(q)) == SQLITE_ROW && len < limit) {
        struct lt_audit *a = &v[len++];
        a->id = sqlite3_column_int64(q, 0);
        a->at_ms = sqlite3_column_int64(q, 1);
        lt__col_text(q, 2, a->user, sizeof a->user);
        lt__col_text(q, 3, a->action, sizeof a->action);
        lt__col_text(q, 4, a->object, sizeof a->object);
        lt__col_text(q, 5, a->before_json, sizeof a->before_json);
        lt__col_text(q, 6, a->after_json, sizeof a->after_json);
    }
    if (step != SQLITE_DONE && step != SQLITE_ROW) {
        rc = lt__dberr(s, "read the audit log");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

/* ---- plan targets ---------------------------------------------------------------------------- */

/* The column names of the kinds (lt_target_kind order), as the targets INI writes them. */
static const char *const lt__tkind[LT_TGT_N] = {"pm25",      "pm10",        "good_ratio",
                                                "good_days", "heavy_ratio", "index"};

static int lt__tkind_of(const char *name)
{
    for (int k = 0; k < LT_TGT_N; k++)
        if (!strcmp(name, lt__tkind[k]))
            return k;
    return -1;
}

static void lt__target_blank(struct lt_store_target *o)
{
    memset(o, 0, sizeof *o);
    for (int k = 0; k < LT_TGT_N; k++)
        o->t.value[k] = NAN;
}

/* The target row at q's current row (columns of ST_T_GET) and its values into o. */
static int lt__target_row(struct lt_store *s, sqlite3_stmt *q, struct lt_store_target *o)
{
    char key[96];
    lt__target_blank(o);
    lt__col_text(q, 0, key, sizeof key);
    o->t.year = sqlite3_column_int(q, 1);
    lt__col_text(q, 2, o->t.area, sizeof o->t.area);
    lt__col_text(q, 3, o->t.name, sizeof o->t.name);
    lt__col_text(q, 4, o->t.ruleset, sizeof o->t.ruleset);
    lt__col_text(q, 5, o->t.source, sizeof o->t.source);
    /* The values come from a second statement: q stays on its row meanwhile. */
    sqlite3_stmt *v = lt__stmt(s, ST_TV_GET);
    if (!v)
        return LT_ESTORE;
    sqlite3_bind_text(v, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(v, 2, o->t.year);
    int step;
    while ((step = sqlite3_step(v)) == SQLITE_ROW) {
        char kind[16];
        lt__col_text(v, 0, kind, sizeof kind);
        int k = lt__tkind_of(kind);
        if (k < 0)
            continue; /* the CHECK constraint keeps others out */
        o->t.value[k] = sqlite3_column_double(v, 1);
        o->t.strict[k] = sqlite3_column_int(v, 2) != 0;
        lt__col_text(v, 3, o->set_by[k], sizeof o->set_by[k]);
        o->set_at[k] = sqlite3_column_int64(v, 4);
    }
    int rc = step == SQLITE_DONE ? 0 : lt__dberr(s, "read target values");
    sqlite3_reset(v);
    return rc;
}

int lt_store_target_get(struct lt_store *s, const char *area, int year, struct lt_store_target *out)
{
    char key[96];
    if (!s || !area || !out || lt__area_key(area, key, sizeof key))
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_T_GET);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, year);
    int step = sqlite3_step(q), rc;
    if (step == SQLITE_ROW)
        rc = lt__target_row(s, q, out);
    else if (step == SQLITE_DONE)
        rc = LT_ENOTFOUND;
    else
        rc = lt__dberr(s, "read target");
    sqlite3_reset(q);
    return rc;
}

int lt_store_targets(struct lt_store *s, int year, struct lt_store_target **out, int *n)
{
    struct lt_store_target *v = NULL;
    int len = 0, cap = 0, rc = 0, step;

    if (!s || !out || !n)
        return LT_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = lt__stmt(s, year ? ST_T_YEAR : ST_T_ALL);
    if (!q)
        return LT_ESTORE;
    if (year)
        sqlite3_bind_int(q, 2, year);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        void *nv = lt__grow(v, &cap, len, sizeof *v);
        if (!nv) {
            rc = LT_ENOMEM;
            goto out;
        }
        v = nv;
        rc = lt__target_row(s, q, &v[len++]);
        if (rc)
            goto out;
    }
    if (step != SQLITE_DONE) {
        rc = lt__dberr(s, "list targets");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
out:
    sqlite3_reset(q);
    free(v);
    return rc;
}

int lt_store_target_put(struct lt_store *s, const struct lt_target *t, const char *who, int64_t at,
                        bool *changed)
{
    char key[96];
    struct lt_store_target cur;
    bool exists, any = false;
    int rc;

    if (changed)
        *changed = false;
    if (!s || !t || !lt__nonempty(who, 64) || !lt__fits(t->area, sizeof t->area) ||
        !lt__fits(t->name, sizeof t->name) || !lt__fits(t->ruleset, sizeof t->ruleset) ||
        !lt__fits(t->source, sizeof t->source) || t->year < 1900 || t->year > 2199 ||
        lt__area_key(t->area, key, sizeof key))
        return LT_EINVAL;
    for (int k = 0; k < LT_TGT_N; k++)
        if (isinf(t->value[k]))
            return LT_EINVAL;
    rc = lt_store_target_get(s, t->area, t->year, &cur);
    if (rc && rc != LT_ENOTFOUND)
        return rc;
    exists = rc == 0;
    /* Targets answer /api/targets: the change moves the data generation (lt__gen_begin). */
    bool own;
    rc = lt__gen_begin(s, &own);
    if (rc)
        return rc;
    if (!exists || strcmp(cur.t.name, t->name) || strcmp(cur.t.ruleset, t->ruleset) ||
        strcmp(cur.t.source, t->source)) {
        sqlite3_stmt *q = lt__stmt(s, ST_T_PUT);
        if (!q) {
            rc = LT_ESTORE;
            goto out;
        }
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, t->year);
        sqlite3_bind_text(q, 3, t->area, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, t->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, t->ruleset, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, t->source, -1, SQLITE_STATIC);
        rc = lt__step_done(s, q, "put target");
        if (rc)
            goto out;
        any = true;
    }
    for (int k = 0; k < LT_TGT_N; k++) {
        bool had = exists && !isnan(cur.t.value[k]), has = !isnan(t->value[k]);
        if (!had && !has)
            continue;
        if (had && has && cur.t.value[k] == t->value[k] && cur.t.strict[k] == t->strict[k])
            continue; /* unchanged: who set it and when stay */
        sqlite3_stmt *q = lt__stmt(s, has ? ST_TV_PUT : ST_TV_DEL);
        if (!q) {
            rc = LT_ESTORE;
            goto out;
        }
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, t->year);
        sqlite3_bind_text(q, 3, lt__tkind[k], -1, SQLITE_STATIC);
        if (has) {
            sqlite3_bind_double(q, 4, t->value[k]);
            sqlite3_bind_int(q, 5, t->strict[k] ? 1 : 0);
            sqlite3_bind_text(q, 6, who, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 7, at);
        }
        rc = lt__step_done(s, q, has ? "put target value" : "remove target value");
        if (rc)
            goto out;
        any = true;
    }
out:
    rc = lt__gen_end(s, own, any, rc);
    if (!rc && changed)
        *changed = any;
    return rc;
}

/* ---- store metadata --------------------------------------------------------------------------
 */

int lt_store_meta_put(struct lt_store *s, const char *key, const char *value)
{
    if (!s || !lt__nonempty(key, LT_META_KEY_MAX) || !lt__fits(value, LT_META_VALUE_MAX))
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_M_PUT);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    bool own; /* the metadata says what the data are (/api/health): a change moves the generation */
    int rc = lt__gen_begin(s, &own);
    if (rc) {
        sqlite3_reset(q);
        return rc;
    }
    rc = lt__step_done(s, q, "write store metadata");
    return lt__gen_end(s, own, true, rc);
}

int lt_store_meta_get(struct lt_store *s, const char *key, char *out, size_t cap)
{
    if (!s || !lt__nonempty(key, LT_META_KEY_MAX) || !out || !cap)
        return LT_EINVAL;
    sqlite3_stmt *q = lt__stmt(s, ST_M_GET);
    if (!q)
        return LT_ESTORE;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int step = sqlite3_step(q), rc = 0;
    if (step == SQLITE_ROW)
        lt__col_text(q, 0, out, cap);
    else if (step == SQLITE_DONE)
        rc = LT_ENOTFOUND;
    else
        rc = lt__dberr(s, "read store metadata");
    sqlite3_reset(q);
    return rc;
}

/* lantian — storage interface. Everything outside src/store reaches data only through this header.
 *
 * The embedded default is SQLite (WAL). Raw measurements are never overwritten: a correction
 * (数据审核) is a separate record naming who, when, why, the old and the new value; readers get the
 * latest correction applied. A store handle is not thread-safe: use one per thread.
 */
#ifndef LANTIAN_STORE_H
#define LANTIAN_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "lantian/common.h"
#include "lantian/target.h"

/* The schema version this lantian makes and reads (src/store/sqlite.c lists the migrations). */
#define LT_STORE_SCHEMA_VERSION 10

struct lt_store; /* opaque */

/* Open (creating if needed, and migrating the schema) the store at `path`. */
int lt_store_open(struct lt_store **out, const char *path, struct lt_diag *d);
/* Close; NULL is fine. */
void lt_store_close(struct lt_store *s);
/* Last backend error text (for messages). */
const char *lt_store_errmsg(struct lt_store *s);

/* Transactions: batches of writes go inside one. Nesting is not supported. */
int lt_store_begin(struct lt_store *s);
int lt_store_commit(struct lt_store *s);
int lt_store_rollback(struct lt_store *s);

/* WAL checkpoints (copying committed pages from the log into the database file, then an fsync).
 * By default a commit that leaves the log at 1,000 pages or more checkpoints on the committing
 * thread. lt_store_wal_notify replaces that for this handle: after each commit, fn(arg, pages)
 * is called with the pages in the log (fn may signal another thread that checkpoints with its own
 * handle); when the log reaches hard_pages, this handle still checkpoints itself (a bound on the
 * log when the other thread cannot keep up). lt_store_checkpoint runs one PASSIVE checkpoint: it
 * copies what it can without waiting for writers or readers. 0 or LT_ESTORE. */
int lt_store_wal_notify(struct lt_store *s, int hard_pages, void (*fn)(void *arg, int pages),
                        void *arg);
int lt_store_checkpoint(struct lt_store *s);

/* The data generation: a number that grows with every committed transaction that changed sites,
 * hourly values, corrections or dust days (the data statistics and AQI answers are computed
 * from), by any handle or process, and with nothing else (raw frames, devices, health counters,
 * users, sessions and the audit log leave it). Moved by this store's writers inside the
 * transaction of the change, so a reader that sees the change sees the new number. Each call is a
 * read transaction of its own. 0 or LT_ESTORE. */
int lt_store_data_gen(struct lt_store *s, int64_t *n);

/* Reset every statement of the handle still in progress, so that its next read starts a new read
 * transaction and sees every commit made so far (a statement left stepping would keep the handle
 * on an old snapshot). Store functions reset their statements; this is the guard of pooled
 * handles, called when a handle is taken for a new request. */
void lt_store_end_reads(struct lt_store *s);

/* ---- sites --------------------------------------------------------------------------------- */

#define LT_DAY_OPEN_FROM INT32_MIN
#define LT_DAY_OPEN_TO   INT32_MAX

struct lt_site {
    char code[16]; /* station code, e.g. "1316A" */
    char name[96];
    char city[64];      /* as in the registry, e.g. "郑州" or "郑州市" */
    char county[64];    /* "" when unknown */
    char township[64];  /* 乡镇/街道, "" when unknown (schema version 7) */
    char province[64];  /* e.g. "河南省" */
    double lon, lat;    /* degrees; NaN when unknown */
    bool is_eval;       /* evaluation station (false: control/background 对照点) */
    int32_t valid_from; /* Beijing day numbers, inclusive; LT_DAY_OPEN_* when open */
    int32_t valid_to;
};

/* Insert or update a site by code. *changed (optional) is set when anything was new or different.
 */
int lt_store_site_put(struct lt_store *s, const struct lt_site *site, bool *changed);
/* LT_ENOTFOUND when unknown. */
int lt_store_site_get(struct lt_store *s, const char *code, struct lt_site *out);

/* Place names match after dropping one trailing administrative suffix (维吾尔自治区, 特别行政区,
 * 壮族自治区, 回族自治区, 自治区, 省, 市) from both sides: "郑州" = "郑州市", "河南" = "河南省",
 * "广西" = "广西壮族自治区". Other names (自治州, 地区, 县, 区) compare exactly. */
struct lt_site_filter {
    const char *city;     /* NULL: any. Matches "郑州" and "郑州市" alike. */
    const char *county;   /* NULL: any */
    const char *township; /* NULL: any (compared exactly) */
    const char *province; /* NULL: any. Matches "河南" and "河南省" alike. */
    bool eval_only;       /* only evaluation sites */
};
/* Sites matching the filter, ordered by code; *out is malloc'd (free()), *n its length. */
int lt_store_sites(struct lt_store *s, const struct lt_site_filter *f, struct lt_site **out,
                   int *n);

/* ---- measurements -------------------------------------------------------------------------- */

/* Factors stored from CNEMC files: the six pollutants' 1-h values (lt_pollutant 0..5) and the AQI
 * as published (LT_FACTOR_AQI_PUB), kept to check lantian's own AQI against. */
#define LT_FACTOR_AQI_PUB 100

enum lt_put_result { LT_PUT_INSERTED = 0, LT_PUT_SAME = 1, LT_PUT_CONFLICT = 2 };

/* Store one hourly value (ts = hour-ending UTC seconds). A value already stored for the same key
 * is kept: *res says whether the offered one was the same (re-import) or different (conflict, not
 * stored). `flag` may be NULL; "NM" marks a pollutant not monitored ("/"), with value NaN. */
int lt_store_put_hourly(struct lt_store *s, const char *site, int factor, int64_t ts, double value,
                        const char *flag, enum lt_put_result *res);

/* Load hourly values of a site for natural days day0 .. day0+ndays-1 into v[p][24*j + h-1]
 * (hour ending h of day j), applying the latest correction of each value. Values must be
 * pre-filled by the caller (NaN = missing); only stored values are written. Not-monitored values
 * are left NaN and their pollutant is set in *not_monitored (optional). */
int lt_store_load_hourly(struct lt_store *s, const char *site, int32_t day0, int ndays,
                         double *const v[LT_POLL_N], unsigned *not_monitored);

/* The latest hour (hour-ending UTC seconds) at which any site has a 1-h pollutant value;
 * LT_ENOTFOUND when the store holds none. One index seek per site and pollutant. */
int lt_store_last_hour(struct lt_store *s, int64_t *ts);

/* Published AQI values of a site for the same range into aqi[24*j + h-1] (LT_IAQI_NA = -1 when
 * absent; pre-filled by the caller). */
int lt_store_load_aqi_pub(struct lt_store *s, const char *site, int32_t day0, int ndays, int *aqi);

/* ---- corrections (数据审核): records, never overwrites ------------------------------------- */

struct lt_correction {
    int64_t id;
    char site[16];
    int factor;
    int64_t ts;       /* the hour corrected */
    double old_value; /* value before this correction (raw or previous correction); NaN none */
    double new_value; /* NaN = invalidated */
    char who[64];
    int64_t at; /* when the correction was made, UTC seconds */
    char why[256];
};
/* Record a correction. LT_ENOTFOUND when no value exists for the key. */
int lt_store_correct(struct lt_store *s, const char *site, int factor, int64_t ts, double new_value,
                     const char *who, int64_t at, const char *why, int64_t *id);
/* Corrections of a site (all sites when site is NULL), oldest first; *out malloc'd. */
int lt_store_corrections(struct lt_store *s, const char *site, struct lt_correction **out, int *n);

/* ---- dust days (环办监测〔2016〕120号) ---------------------------------------------------------
 */

/* Flag (on = true) or unflag an area-day as dust-affected. area is a city or county name, matched
 * by the place-name rule of lt_site_filter ("郑州" = "郑州市"); lists show it without the suffix.
 */
int lt_store_dust_set(struct lt_store *s, const char *area, int32_t day, bool on);
/* Is the area-day flagged? */
int lt_store_dust_get(struct lt_store *s, const char *area, int32_t day, bool *on);

struct lt_dust_day {
    char area[64];
    int32_t day; /* Beijing day number */
};
/* Flagged area-days of one area (all areas when area is NULL), ordered by area then day; *out is
 * malloc'd (free()), *n its length. */
int lt_store_dust_list(struct lt_store *s, const char *area, struct lt_dust_day **out, int *n);

/* ---- HJ 212 ingestion ---------------------------------------------------------------------- */

/* The ingest server calls these from its one writer thread, thousands per batch inside one
 * transaction (lt_store_begin/commit): each is one or two steps of a statement prepared once per
 * handle. Return 0 or a negative LT_E*; LT_EINVAL for a missing or oversized field, LT_ESTORE for
 * a backend error (text in lt_store_errmsg). Lists are malloc'd arrays the caller free()s.
 *
 * Air stations: when a device of kind "air" sends hourly values (CN 2061, -Avg) of a factor mapped
 * to a pollutant (lt_device_factor.pollutant >= 0), the server also stores value_conv with
 * lt_store_put_hourly(site, pollutant, DataTime + 3600, ...): hourly values there are labelled by
 * the hour they END, while HJ 212 DataTime is the interval start (HJ 212-2017 Table 4). */

/* The raw archive: every received frame (and every rejected chunk) byte-exact, with the peer and
 * the receive time, appended before anything else is done with it. Append-only. */
struct lt_raw_frame {
    int64_t recv_ms;      /* receive time, UTC milliseconds */
    const char *peer;     /* "ip:port" */
    const uint8_t *bytes; /* may contain NUL */
    size_t len;
    int status;     /* 0 = a frame with a valid CRC; else lt_hj212_reject (or a server
                       reason >= 100: unknown MN 100, bad password 101, device disabled 102) */
    const char *mn; /* MN when known, else NULL */
};
/* Append one row; *id (optional) receives its id. The bytes are stored as a BLOB, exactly. */
int lt_store_raw_append(struct lt_store *s, const struct lt_raw_frame *f, int64_t *id);
/* Count raw rows (all, or with a status) — for accounting in tests and tools. */
int lt_store_raw_count(struct lt_store *s, int status, bool any_status, int64_t *n);

/* A device (数采仪) known by its MN, bound to a monitoring site (air stations) or an enterprise
 * outlet (CEMS, dust, VOC, electricity). */
struct lt_device {
    char mn[32];
    char kind[16];        /* "air", "cems", "dust", "voc", "power" */
    char site[16];        /* site code for air stations, "" otherwise */
    char outlet[64];      /* enterprise outlet id (CEMS ...), "" otherwise */
    char source_type[32]; /* source type of the outlet ("cement_kiln", "gas_boiler" ...: a type
                             of the emission limits, config/emission_limits.ini) whose default
                             limits apply to it; "" = none (only outlet overrides apply). Not
                             for air stations. */
    char pw[16];          /* expected PW; "" = not checked */
    unsigned crc_mask; /* CRC variants tolerated (bit per lt_hj212_crc_kind); 1 = standard only */
    bool enabled;
    int64_t created_at; /* UTC seconds */
};
/* Insert, or update the configuration of, a device (created_at of an existing one is kept). An air
 * device needs a known site and no outlet (LT_ENOTFOUND for an unknown site), any other kind an
 * outlet and no site; a source type only on a device that is not an air station; crc_mask must name
 * at least one variant. LT_EINVAL otherwise. Whether the source type is one the limits know is the
 * caller's check (the store does not read the limits). */
int lt_store_device_put(struct lt_store *s, const struct lt_device *d);
int lt_store_device_get(struct lt_store *s, const char *mn, struct lt_device *out); /* ENOTFOUND */
int lt_store_devices(struct lt_store *s, struct lt_device **out, int *n);           /* malloc'd */

/* How a device's factor code maps to what lantian stores: for air stations the pollutant
 * (lt_pollutant) whose hourly value it is; unit conversion by a multiplier into the unit of the
 * standard (µg/m3; CO mg/m3; CEMS mg/m3). A device without mappings uses the defaults of
 * lt_hj212_factor_find and 1.0. */
struct lt_device_factor {
    char mn[32];
    char code[16]; /* as the device sends it (2017 or 2005 code) */
    int pollutant; /* lt_pollutant for air stations, -1 otherwise */
    char unit[16]; /* the device's unit, for people */
    double scale;  /* value_stored = value_sent * scale */
};
/* Insert or replace the mapping of (mn, code). LT_ENOTFOUND when the device is unknown; LT_EINVAL
 * for scale <= 0 or a pollutant on a device that is not an air station. */
int lt_store_device_factor_put(struct lt_store *s, const struct lt_device_factor *f);
/* Mappings of one device (all devices when mn is NULL), ordered by MN and code. */
int lt_store_device_factors(struct lt_store *s, const char *mn, struct lt_device_factor **out,
                            int *n);

/* Quarantine: frames from unknown MNs are held here (not stored as data) until a user adopts the
 * MN as a device or leaves it. */
struct lt_quarantine {
    char mn[32];
    int64_t first_ms, last_ms;
    int64_t frames;
    char last_peer[64];
    int64_t last_raw_id; /* the raw archive row of the last frame */
};
/* Count one frame of an unknown MN: creates the entry or updates first/last seen (frames may come
 * out of order), the frame count and the peer and raw row of the latest frame. */
int lt_store_quarantine_note(struct lt_store *s, const char *mn, const char *peer, int64_t now_ms,
                             int64_t raw_id);
/* Entries ordered by MN. */
int lt_store_quarantine_list(struct lt_store *s, struct lt_quarantine **out, int *n);
/* The entry of one MN; LT_ENOTFOUND when it is not held there. */
int lt_store_quarantine_get(struct lt_store *s, const char *mn, struct lt_quarantine *out);
/* Adopt: create the device and drop the quarantine entry, in one transaction (a savepoint, so it
 * also works inside the caller's transaction): both happen or neither. LT_ENOTFOUND when the MN
 * is not in quarantine (or the site is unknown), LT_EEXIST when it is a device already. */
int lt_store_quarantine_adopt(struct lt_store *s, const struct lt_device *d);

/* Values received from devices: (MN, CN, DataTime, factor, kind) is the key; a duplicate is
 * idempotent (LT_PUT_SAME), a different value for the key is LT_PUT_CONFLICT and not stored. */
struct lt_dev_value {
    const char *mn;
    int cn;             /* 2011 real-time, 2051 minute, 2061 hour, 2031 day */
    int64_t data_time;  /* UTC seconds (the DataTime sent, interval start for 2051/2061/2031) */
    const char *factor; /* code as sent */
    int vk;             /* lt_hj212_vk */
    double value;       /* as sent */
    double value_conv;  /* after the device factor's scale (NaN when not converted) */
    const char *flag;   /* data flag as sent, "" when none */
    int64_t raw_id;     /* the raw archive row it came from */
};
/* The value and flag are compared for SAME/CONFLICT; value_conv is not (it follows the mapping in
 * force when it was received). The table is append-only. One value: a record of one item. */
int lt_store_dev_value_put(struct lt_store *s, const struct lt_dev_value *v,
                           enum lt_put_result *res);
/* Values stored for one device (all devices when mn is NULL). */
int lt_store_dev_value_count(struct lt_store *s, const char *mn, int64_t *n);

/* One value of a record (the items of one frame). */
struct lt_dev_item {
    const char *factor; /* code as sent, 1 .. 63 bytes */
    int vk;             /* lt_hj212_vk */
    double value;       /* as sent (NaN: none) */
    double value_conv;  /* after the factor's scale (NaN when not converted) */
    const char *flag;   /* data flag as sent, "" or NULL when none; at most 15 bytes */
};
/* The values of one (MN, CN, DataTime) that came in one frame, stored as one packed row (schema
 * version 6): one insert per frame. (factor, vk) must be distinct within the record (LT_EINVAL).
 * res[i] tells item i's fate exactly as lt_store_dev_value_put would: INSERTED, SAME or CONFLICT
 * (a conflicting value is not stored, the first one stays). */
struct lt_dev_record {
    const char *mn;
    int cn;
    int64_t data_time;
    int64_t raw_id; /* the raw archive row it came from (0: none) */
    int n;
    const struct lt_dev_item *items;
};
int lt_store_dev_record_put(struct lt_store *s, const struct lt_dev_record *r,
                            enum lt_put_result *res);

/* Values of one device with DataTime in [from, to] (UTC seconds), CN = cn (0: any), in order of
 * (DataTime, CN, arrival). cb is called for each value; a non-zero return stops the walk and is
 * returned. Strings passed to cb are valid during the call only. */
struct lt_dev_value_row {
    int cn;
    int64_t data_time;
    int64_t raw_id;
    const char *factor;
    int vk;
    double value, value_conv; /* NaN: none */
    const char *flag;
};
int lt_store_dev_value_list(struct lt_store *s, const char *mn, int cn, int64_t from, int64_t to,
                            int (*cb)(void *arg, const struct lt_dev_value_row *v), void *arg);

/* Copies device values with data_time before `upto` (UTC seconds) into the device-first table
 * the reads above use (schema version 10: one device's day is then a few adjacent pages instead
 * of a scan of every device's rows), at most `max` rows, from where the last call stopped, in
 * units of an hour (shorter when an hour holds more than 4 x max rows). *copied: rows copied;
 * *more: rows of such hours remain. Call in a write transaction; it writes nothing else. A row
 * stored later for an hour already copied is written to both tables by lt_store_dev_record_put. */
int lt_store_dev_copy_step(struct lt_store *s, int64_t upto, int max, int *copied, bool *more);

/* A CEMS exceedance found on arrival, with its evidence. */
struct lt_exceedance {
    int64_t id;
    char mn[32];
    char outlet[64];
    char factor[16];   /* 2017 code */
    int64_t data_time; /* the hour (interval start, UTC seconds) */
    double measured;   /* mg/m3 as measured (dry) */
    double o2;         /* measured O2 %, NaN when the limit needs none */
    double o2_ref;     /* reference O2 %, NaN when none */
    double corrected;  /* C_ref = C (21 - O2_ref) / (21 - O2), or the converted value sent */
    double limit;      /* mg/m3 */
    char flag[8];      /* the value's data flag */
    char rule[96];     /* which limit rule (config section and its source) */
    int64_t detected_ms;
};
/* Idempotent on (mn, factor, data_time): a repeated hour does not make a second event (*added,
 * optional, says whether this call recorded it). The first evidence recorded stays: the table is
 * append-only. e->id is ignored. */
int lt_store_exceedance_add(struct lt_store *s, const struct lt_exceedance *e, bool *added);
/* Exceedances of one device (all when mn is NULL), ordered by hour. */
int lt_store_exceedances(struct lt_store *s, const char *mn, struct lt_exceedance **out, int *n);

/* Device health, accumulated by the server and flushed with each batch: per device and hour,
 * frames received and errors by reason. Buckets: errors[r] for lt_hj212_reject r (1 .. 7);
 * errors[0] for the server's reasons (>= 100: unknown MN, bad password, device disabled). */
struct lt_health_delta {
    const char *mn;
    int64_t hour; /* hour start, UTC seconds */
    int64_t frames;
    int64_t values;
    int64_t errors[8]; /* index: reason bucket (see docs) */
    int64_t last_ms;
    const char *last_peer;
};
/* Add a delta to (mn, hour): counts are summed, last_ms is the maximum and last_peer that of the
 * latest frame (last_ms 0: the delta has no frame time). */
int lt_store_health_add(struct lt_store *s, const struct lt_health_delta *h);
struct lt_health_row {
    char mn[32];
    int64_t hour, frames, values, errors[8], last_ms;
    char last_peer[64];
};
/* Rows of one device (all when mn is NULL) with from_hour <= hour <= to_hour, by MN and hour. */
int lt_store_health(struct lt_store *s, const char *mn, int64_t from_hour, int64_t to_hour,
                    struct lt_health_row **out, int *n);

/* ---- store metadata (schema version 8) --------------------------------------------------------
 *
 * Facts about the store as a whole, as text by key. Keys in use:
 *   shift.days         the hourly values are real data moved by this many whole days (a demo or
 *                      training store: lantian import cnemc --shift-days N); absent = not moved
 *   shift.until        hour-ending UTC seconds of the cut: no moved hour after it was stored
 *   shift.src_first    hour-ending UTC seconds of the first and last stored hour of the input,
 *   shift.src_last     before moving (the years the data really are from)
 */
#define LT_META_KEY_MAX   64  /* bytes of a key, with its NUL */
#define LT_META_VALUE_MAX 512 /* bytes of a value, with its NUL */
/* Set (insert or replace) a value. LT_EINVAL for an empty or oversized key, or an oversized value.
 */
int lt_store_meta_put(struct lt_store *s, const char *key, const char *value);
/* The value of key into out (cap bytes, truncated to fit); LT_ENOTFOUND when not set. */
int lt_store_meta_get(struct lt_store *s, const char *key, char *out, size_t cap);

/* ---- accounts, sessions and the audit log (schema version 5) ----------------------------------
 *
 * The store keeps what it is given: password hashes (libsodium crypto_pwhash_str strings, made by
 * the caller) and session token hashes (hex text, made by the caller) — never a password or a
 * token. Roles: "admin", "analyst", "county", "enforcement", "leader". A scope is a place in the
 * region tree province > city > county > township; "" means the whole level (an admin has all
 * four empty, a county user province, city and county set). */

struct lt_user {
    int64_t id;
    char name[64];
    char role[16];
    char province[64], city[64], county[64], township[64]; /* the scope; "" = whole level */
    char pw_hash[192];                                     /* crypto_pwhash_str output */
    int64_t created_at;                                    /* UTC seconds */
    bool disabled;
};
/* True for one of the five role names. */
bool lt_store_role_ok(const char *role);
/* Add a user (u->id is ignored; *id optional). LT_EINVAL for an empty or oversized name, an
 * unknown role, a township without a county, a county without a city, a city without a province,
 * or an empty pw_hash; LT_EEXIST when the name is taken. */
int lt_store_user_add(struct lt_store *s, const struct lt_user *u, int64_t *id);
/* By name; LT_ENOTFOUND when unknown. */
int lt_store_user_get(struct lt_store *s, const char *name, struct lt_user *out);
/* All users ordered by name; *out malloc'd (free()), *n its length. */
int lt_store_users(struct lt_store *s, struct lt_user **out, int *n);
/* Disable a user (kept for the audit log's sake, never deleted) and end its sessions.
 * LT_ENOTFOUND when unknown. */
int lt_store_user_disable(struct lt_store *s, const char *name);
/* Enabled users with a role (the bootstrap: is there an admin yet?). */
int lt_store_user_count(struct lt_store *s, const char *role, int64_t *n);

/* Start a session: token_hash (hex text, at most 128 bytes) of user_id until expires_at (UTC
 * seconds). LT_EEXIST for a hash already in use. */
int lt_store_session_add(struct lt_store *s, const char *token_hash, int64_t user_id,
                         int64_t created_at, int64_t expires_at);
/* The user of a session that has not expired at `now` and whose user is enabled; LT_ENOTFOUND
 * otherwise. *expires_at optional. */
int lt_store_session_get(struct lt_store *s, const char *token_hash, int64_t now,
                         struct lt_user *out, int64_t *expires_at);
/* End a session (nothing happens for an unknown hash). */
int lt_store_session_end(struct lt_store *s, const char *token_hash);

/* One row of the audit log: who changed what, when, with the object before and after as JSON
 * text (NULL when there was nothing before / nothing after). Append-only (triggers). */
#define LT_AUDIT_JSON_MAX 2048
struct lt_audit {
    int64_t id;
    int64_t at_ms; /* UTC milliseconds */
    char user[64];
    char action[32]; /* "correction", "quarantine_adopt", "dust_set" ... */
    char object[128];
    char before_json[LT_AUDIT_JSON_MAX]; /* "" = NULL */
    char after_json[LT_AUDIT_JSON_MAX];  /* "" = NULL */
};
/* Append a row (*id optional). before/after may be NULL; LT_EINVAL for empty user, action or
 * object, or JSON texts longer than LT_AUDIT_JSON_MAX - 1 bytes. */
int lt_store_audit_append(struct lt_store *s, int64_t at_ms, const char *user, const char *action,
                          const char *object, const char *before_json, const char *after_json,
                          int64_t *id);
/* Which rows of the log a listing takes: NULL members match every row. */
struct lt_audit_filter {
    const char *action;        /* exactly this action */
    const char *user;          /* exactly this user ("cli:root", "zy") */
    const char *object_prefix; /* objects starting with this text ("site/", "device/AIR01") */
};
/* A page of the log, newest first: at most limit rows from offset among those the filter takes
 * (f may be NULL); *total (optional) is the number of rows the filter takes. *out malloc'd
 * (free()), *n its length. */
int lt_store_audit_list(struct lt_store *s, int limit, int offset, const struct lt_audit_filter *f,
                        struct lt_audit **out, int *n, int64_t *total);

/* ---- plan targets (schema version 7) ---------------------------------------------------------
 *
 * Targets are data: one per area (a city or county name, matched by the place-name rule of
 * lt_site_filter: "郑州" = "郑州市") and year, with a name, the rule set they were set under and
 * where they come from, and up to LT_TGT_N values, each recorded with who set it and when. Every
 * change goes through lt_store_target_put; the caller writes the audit row in the same
 * transaction. */
struct lt_store_target {
    struct lt_target t;        /* t.area as first stored; value[k] NaN = not set */
    char set_by[LT_TGT_N][64]; /* who set value k ("" when not set) */
    int64_t set_at[LT_TGT_N];  /* when, UTC seconds (0 when not set) */
};
/* The target of an area and year; LT_ENOTFOUND when none. */
int lt_store_target_get(struct lt_store *s, const char *area, int year,
                        struct lt_store_target *out);
/* Targets of a year (every year when year is 0), by area then year; *out malloc'd (free()). */
int lt_store_targets(struct lt_store *s, int year, struct lt_store_target **out, int *n);
/* Make the stored target of (t->area, t->year) exactly t: its name, rule set and source, and the
 * values t sets (values t leaves NaN are removed). Values whose number and strictness are
 * unchanged keep their who/when; new or changed ones get (who, at). *changed (optional) says
 * whether anything changed. LT_EINVAL for an empty area or who, a year outside 1900 .. 2199, a
 * value that is not finite, or text too long for the struct. */
int lt_store_target_put(struct lt_store *s, const struct lt_target *t, const char *who, int64_t at,
                        bool *changed);

#endif

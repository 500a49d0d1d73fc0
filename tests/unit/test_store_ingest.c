/* Tests of the HJ 212 ingestion part of the SQLite store (src/store/sqlite.c): the byte-exact,
 * append-only raw archive; devices and their factor mappings; quarantine and adoption; device
 * values that are never overwritten; exceedances; device health; the migrations of databases made
 * by schema versions 1, 2 and 3; the site cache seeing sites added by another process. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "lantian/hj212.h"
#include "lantian/util.h"
#include "store/store.h"
#include "store_fixtures.h"

static char tmpdir[512];
static char dbpath[600];

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("LT_TMP");
    if (base && *base) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", base);
        if (system(cmd) != 0)
            return -1;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s/lt_ingest_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void set_path(const char *name)
{
    snprintf(dbpath, sizeof dbpath, "%s/%s.db", tmpdir, name);
    unlink(dbpath);
}

static struct lt_store *fresh(const char *name)
{
    struct lt_store *s = NULL;
    struct lt_diag d = {0};
    set_path(name);
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    assert_non_null(s);
    return s;
}

/* A second connection, to look below the API. */
static sqlite3 *raw_db(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    return db;
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* Values read back through lt_store_dev_value_list. */
struct collect {
    int n;
    struct {
        char factor[64], flag[16];
        int vk, cn;
        int64_t data_time, raw_id;
        double value, value_conv;
    } v[32];
};

static int collect_cb(void *arg, const struct lt_dev_value_row *r)
{
    struct collect *c = arg;
    if (c->n >= 32)
        return 1;
    snprintf(c->v[c->n].factor, sizeof c->v[c->n].factor, "%s", r->factor);
    snprintf(c->v[c->n].flag, sizeof c->v[c->n].flag, "%s", r->flag);
    c->v[c->n].vk = r->vk;
    c->v[c->n].cn = r->cn;
    c->v[c->n].data_time = r->data_time;
    c->v[c->n].raw_id = r->raw_id;
    c->v[c->n].value = r->value;
    c->v[c->n].value_conv = r->value_conv;
    c->n++;
    return 0;
}

/* The store at dbpath, opened again (no new file). */
static struct lt_store *fresh_open(void)
{
    struct lt_store *s = NULL;
    struct lt_diag d = {0};
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    return s;
}

static void add_site(struct lt_store *s, const char *code)
{
    struct lt_site x;
    memset(&x, 0, sizeof x);
    snprintf(x.code, sizeof x.code, "%s", code);
    snprintf(x.city, sizeof x.city, "郑州市");
    x.lon = x.lat = NAN;
    x.is_eval = true;
    x.valid_from = LT_DAY_OPEN_FROM;
    x.valid_to = LT_DAY_OPEN_TO;
    assert_int_equal(lt_store_site_put(s, &x, NULL), 0);
}

static struct lt_device dev(const char *mn, const char *kind, const char *site, const char *outlet)
{
    struct lt_device d;
    memset(&d, 0, sizeof d);
    snprintf(d.mn, sizeof d.mn, "%s", mn);
    snprintf(d.kind, sizeof d.kind, "%s", kind);
    snprintf(d.site, sizeof d.site, "%s", site);
    snprintf(d.outlet, sizeof d.outlet, "%s", outlet);
    d.crc_mask = LT_CRC_MASK_STD;
    d.enabled = true;
    d.created_at = 1700000000;
    return d;
}

/* ---- raw archive ----------------------------------------------------------------------------- */

static void test_raw_archive(void **state)
{
    (void)state;
    struct lt_store *s = fresh("raw");
    /* Network bytes: NULs inside and at the end, bytes that are not UTF-8. */
    static const uint8_t frame[] = "##0010QN=1\0\0\xff\xfe"
                                   "ABCD\r\n\0";
    const size_t len = sizeof frame; /* includes the final NUL as a byte of the frame */
    struct lt_raw_frame f = {.recv_ms = 1700000000123,
                             .peer = "10.0.0.7:50000",
                             .bytes = frame,
                             .len = len,
                             .status = 0,
                             .mn = "88888880000001"};
    int64_t id1 = 0, id2 = 0, id3 = 0, n = -1;
    assert_int_equal(lt_store_begin(s), 0);
    assert_int_equal(lt_store_raw_append(s, &f, &id1), 0);
    f.status = LT_HJ212_R_CRC;
    f.mn = NULL;
    f.len = 5;
    assert_int_equal(lt_store_raw_append(s, &f, &id2), 0);
    /* An empty chunk is an empty blob, not NULL. */
    f.bytes = NULL;
    f.len = 0;
    f.status = 100;
    assert_int_equal(lt_store_raw_append(s, &f, &id3), 0);
    assert_int_equal(lt_store_commit(s), 0);
    assert_true(id1 > 0 && id2 > id1 && id3 > id2);
    f.len = 3;
    assert_int_equal(lt_store_raw_append(s, &f, NULL), LT_EINVAL);

    assert_int_equal(lt_store_raw_count(s, 0, true, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(lt_store_raw_count(s, LT_HJ212_R_CRC, false, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(lt_store_raw_count(s, 0, false, &n), 0);
    assert_int_equal(n, 1);

    sqlite3 *db = raw_db();
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT bytes, typeof(bytes), mn, peer, recv_ms, status "
                                        "FROM raw_frames ORDER BY id",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(q, 0), (int)len);
    assert_memory_equal(sqlite3_column_blob(q, 0), frame, len);
    assert_string_equal((const char *)sqlite3_column_text(q, 1), "blob");
    assert_string_equal((const char *)sqlite3_column_text(q, 2), "88888880000001");
    assert_string_equal((const char *)sqlite3_column_text(q, 3), "10.0.0.7:50000");
    assert_int_equal(sqlite3_column_int64(q, 4), 1700000000123);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(q, 0), 5);
    assert_memory_equal(sqlite3_column_blob(q, 0), frame, 5);
    assert_int_equal(sqlite3_column_type(q, 2), SQLITE_NULL);
    assert_int_equal(sqlite3_column_int(q, 5), LT_HJ212_R_CRC);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 1), "blob");
    assert_int_equal(sqlite3_column_bytes(q, 0), 0);
    sqlite3_finalize(q);

    /* Append-only below the API: UPDATE and DELETE are refused by triggers. */
    assert_int_not_equal(exec(db, "UPDATE raw_frames SET status = 0"), SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
    assert_int_not_equal(exec(db, "UPDATE raw_frames SET bytes = x'00' WHERE id = 1"), SQLITE_OK);
    assert_int_not_equal(exec(db, "DELETE FROM raw_frames"), SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT count(*) FROM raw_frames"), 3);
    sqlite3_close(db);
    lt_store_close(s);
}

/* ---- devices and factor mappings ------------------------------------------------------------ */

static void test_devices(void **state)
{
    (void)state;
    struct lt_store *s = fresh("devices");
    struct lt_device d = dev("AIR001", "air", "1316A", ""), got;

    /* An air device needs a known site. */
    assert_int_equal(lt_store_device_put(s, &d), LT_ENOTFOUND);
    assert_non_null(strstr(lt_store_errmsg(s), "unknown site '1316A'"));
    add_site(s, "1316A");
    assert_int_equal(lt_store_device_put(s, &d), 0);
    assert_int_equal(lt_store_device_get(s, "AIR001", &got), 0);
    assert_string_equal(got.kind, "air");
    assert_string_equal(got.site, "1316A");
    assert_string_equal(got.outlet, "");
    assert_int_equal(got.crc_mask, LT_CRC_MASK_STD);
    assert_true(got.enabled);
    assert_int_equal(got.created_at, 1700000000);
    assert_int_equal(lt_store_device_get(s, "NOPE", &got), LT_ENOTFOUND);

    /* An update changes the configuration and keeps the creation time. */
    snprintf(d.pw, sizeof d.pw, "123456");
    d.crc_mask = 1u << LT_CRC_HJ212 | 1u << LT_CRC_MODBUS;
    d.created_at = 1800000000;
    assert_int_equal(lt_store_device_put(s, &d), 0);
    assert_int_equal(lt_store_device_get(s, "AIR001", &got), 0);
    assert_string_equal(got.pw, "123456");
    assert_int_equal(got.crc_mask, 3);
    assert_int_equal(got.created_at, 1700000000);

    /* Invalid records. */
    struct lt_device bad = dev("X1", "boiler", "", "ENT1-DA001");
    assert_int_equal(lt_store_device_put(s, &bad), LT_EINVAL);
    bad = dev("X1", "air", "1316A", "ENT1-DA001");
    assert_int_equal(lt_store_device_put(s, &bad), LT_EINVAL);
    bad = dev("X1", "cems", "", "");
    assert_int_equal(lt_store_device_put(s, &bad), LT_EINVAL);
    bad = dev("X1", "cems", "1316A", "ENT1-DA001");
    assert_int_equal(lt_store_device_put(s, &bad), LT_EINVAL);
    bad = dev("", "cems", "", "ENT1-DA001");
    assert_int_equal(lt_store_device_put(s, &bad), LT_EINVAL);
    bad = dev("X1", "cems", "", "ENT1-DA001");
    bad.crc_mask = 0;
    assert_int_equal(lt_store_device_put(s, &bad), LT_EINVAL);
    bad.crc_mask = 1u << LT_CRC_KIND_N;
    assert_int_equal(lt_store_device_put(s, &bad), LT_EINVAL);

    struct lt_device c = dev("CEMS01", "cems", "", "ENT1-DA001");
    assert_int_equal(lt_store_device_put(s, &c), 0);
    struct lt_device *v = NULL;
    int n = 0;
    assert_int_equal(lt_store_devices(s, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].mn, "AIR001");
    assert_string_equal(v[1].mn, "CEMS01");
    assert_string_equal(v[1].outlet, "ENT1-DA001");
    assert_string_equal(v[1].site, "");
    free(v);

    /* Factor mappings. */
    struct lt_device_factor f = {.mn = "AIR001", .code = "a34004", .pollutant = 5, .scale = 1};
    snprintf(f.unit, sizeof f.unit, "ug/m3");
    assert_int_equal(lt_store_device_factor_put(s, &f), 0);
    struct lt_device_factor g = {.mn = "AIR001", .code = "a21005", .pollutant = 2, .scale = 1e-3};
    snprintf(g.unit, sizeof g.unit, "ug/m3");
    assert_int_equal(lt_store_device_factor_put(s, &g), 0);
    /* Replacing a mapping. */
    f.scale = 1000;
    snprintf(f.unit, sizeof f.unit, "mg/m3");
    assert_int_equal(lt_store_device_factor_put(s, &f), 0);
    struct lt_device_factor unknown = f;
    snprintf(unknown.mn, sizeof unknown.mn, "NOPE");
    assert_int_equal(lt_store_device_factor_put(s, &unknown), LT_ENOTFOUND);
    struct lt_device_factor cf = {.mn = "CEMS01", .code = "a21026", .pollutant = 0, .scale = 1};
    assert_int_equal(lt_store_device_factor_put(s, &cf), LT_EINVAL); /* not an air station */
    cf.pollutant = -1;
    cf.scale = 0;
    assert_int_equal(lt_store_device_factor_put(s, &cf), LT_EINVAL);
    cf.scale = NAN;
    assert_int_equal(lt_store_device_factor_put(s, &cf), LT_EINVAL);
    cf.scale = 1;
    assert_int_equal(lt_store_device_factor_put(s, &cf), 0);

    struct lt_device_factor *fv = NULL;
    assert_int_equal(lt_store_device_factors(s, "AIR001", &fv, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(fv[0].code, "a21005");
    assert_int_equal(fv[0].pollutant, 2);
    assert_true(fv[0].scale == 1e-3);
    assert_string_equal(fv[1].code, "a34004");
    assert_true(fv[1].scale == 1000);
    assert_string_equal(fv[1].unit, "mg/m3");
    free(fv);
    assert_int_equal(lt_store_device_factors(s, NULL, &fv, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(fv[2].pollutant, -1);
    free(fv);
    lt_store_close(s);
}

/* ---- quarantine -------------------------------------------------------------------------------
 */

static void test_quarantine(void **state)
{
    (void)state;
    struct lt_store *s = fresh("quarantine");
    add_site(s, "1316A");

    /* Frames noted out of order: first and last are the extremes, the peer that of the latest. */
    assert_int_equal(lt_store_quarantine_note(s, "UNK1", "1.2.3.4:1000", 2000, 11), 0);
    assert_int_equal(lt_store_quarantine_note(s, "UNK1", "1.2.3.4:999", 1000, 10), 0);
    assert_int_equal(lt_store_quarantine_note(s, "UNK1", "5.6.7.8:2000", 3000, 12), 0);
    assert_int_equal(lt_store_quarantine_note(s, "UNK2", "9.9.9.9:1", 500, 13), 0);
    assert_int_equal(lt_store_quarantine_note(s, "", "x", 1, 1), LT_EINVAL);
    struct lt_quarantine *q = NULL;
    int n = 0;
    assert_int_equal(lt_store_quarantine_list(s, &q, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(q[0].mn, "UNK1");
    assert_int_equal(q[0].first_ms, 1000);
    assert_int_equal(q[0].last_ms, 3000);
    assert_int_equal(q[0].frames, 3);
    assert_string_equal(q[0].last_peer, "5.6.7.8:2000");
    assert_int_equal(q[0].last_raw_id, 12);
    free(q);

    /* Adoption of an MN not in quarantine; with an unknown site (the entry stays). */
    struct lt_device d = dev("NOPE", "cems", "", "ENT1-DA001");
    assert_int_equal(lt_store_quarantine_adopt(s, &d), LT_ENOTFOUND);
    assert_non_null(strstr(lt_store_errmsg(s), "not in quarantine"));
    assert_int_equal(lt_store_device_get(s, "NOPE", &d), LT_ENOTFOUND);
    d = dev("UNK1", "air", "9999A", "");
    assert_int_equal(lt_store_quarantine_adopt(s, &d), LT_ENOTFOUND);

    /* Inside the caller's transaction, a rollback undoes the adoption as a whole. */
    d = dev("UNK1", "air", "1316A", "");
    assert_int_equal(lt_store_begin(s), 0);
    assert_int_equal(lt_store_quarantine_adopt(s, &d), 0);
    assert_int_equal(lt_store_rollback(s), 0);
    assert_int_equal(lt_store_device_get(s, "UNK1", &d), LT_ENOTFOUND);
    assert_int_equal(lt_store_quarantine_list(s, &q, &n), 0);
    assert_int_equal(n, 2);
    free(q);

    /* Adoption: the device exists and the entry is gone, together. */
    d = dev("UNK1", "air", "1316A", "");
    assert_int_equal(lt_store_quarantine_adopt(s, &d), 0);
    struct lt_device got;
    assert_int_equal(lt_store_device_get(s, "UNK1", &got), 0);
    assert_string_equal(got.site, "1316A");
    assert_int_equal(lt_store_quarantine_list(s, &q, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(q[0].mn, "UNK2");
    free(q);
    assert_int_equal(lt_store_quarantine_adopt(s, &d), LT_ENOTFOUND);

    /* An MN that is a device already: refused, the entry stays, nothing is left half-done. */
    assert_int_equal(lt_store_quarantine_note(s, "UNK1", "1.1.1.1:1", 4000, 14), 0);
    d = dev("UNK1", "cems", "", "ENT9-DA009");
    assert_int_equal(lt_store_quarantine_adopt(s, &d), LT_EEXIST);
    assert_int_equal(lt_store_device_get(s, "UNK1", &got), 0);
    assert_string_equal(got.kind, "air");
    assert_int_equal(lt_store_quarantine_list(s, &q, &n), 0);
    assert_int_equal(n, 2);
    free(q);
    /* The store stays usable (no savepoint left open): a plain transaction works. */
    assert_int_equal(lt_store_begin(s), 0);
    assert_int_equal(lt_store_commit(s), 0);
    lt_store_close(s);
}

/* ---- device values ----------------------------------------------------------------------------
 */

static void test_dev_values(void **state)
{
    (void)state;
    struct lt_store *s = fresh("values");
    struct lt_dev_value v = {.mn = "CEMS01",
                             .cn = 2061,
                             .data_time = 1700000000 - 1700000000 % 3600,
                             .factor = "a21026",
                             .vk = LT_VK_AVG,
                             .value = 35.2,
                             .value_conv = 35.2,
                             .flag = "N",
                             .raw_id = 7};
    enum lt_put_result r = 99;
    int64_t n = -1;

    assert_int_equal(lt_store_begin(s), 0);
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_INSERTED);
    /* The device resends the hour: idempotent. The converted value is not compared. */
    v.value_conv = 99;
    v.raw_id = 8;
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_SAME);
    /* A different value or flag for the key: conflict, not stored. */
    v.value = 36;
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_CONFLICT);
    v.value = 35.2;
    v.flag = "D";
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_CONFLICT);
    v.flag = "N";
    /* Another value kind, CN or factor is another key. */
    v.vk = LT_VK_ZSAVG;
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_INSERTED);
    v.cn = 2051;
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_INSERTED);
    /* A NaN value and no flag are stored and compared as such. */
    struct lt_dev_value w = v;
    w.factor = "a19001";
    w.value = NAN;
    w.value_conv = NAN;
    w.flag = NULL;
    assert_int_equal(lt_store_dev_value_put(s, &w, &r), 0);
    assert_int_equal(r, LT_PUT_INSERTED);
    w.flag = "";
    assert_int_equal(lt_store_dev_value_put(s, &w, &r), 0);
    assert_int_equal(r, LT_PUT_SAME);
    w.mn = "OTHER";
    assert_int_equal(lt_store_dev_value_put(s, &w, &r), 0);
    assert_int_equal(r, LT_PUT_INSERTED);
    w.vk = LT_VK_N;
    assert_int_equal(lt_store_dev_value_put(s, &w, &r), LT_EINVAL);
    assert_int_equal(lt_store_commit(s), 0);

    assert_int_equal(lt_store_dev_value_count(s, "CEMS01", &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(lt_store_dev_value_count(s, NULL, &n), 0);
    assert_int_equal(n, 5);

    /* The first value stays, with its raw row; the table refuses UPDATE and DELETE. */
    struct collect c = {0};
    assert_int_equal(
        lt_store_dev_value_list(s, "CEMS01", 2061, v.data_time, v.data_time, collect_cb, &c), 0);
    assert_int_equal(c.n, 2); /* a21026 Avg and ZsAvg */
    assert_string_equal(c.v[0].factor, "a21026");
    assert_int_equal(c.v[0].vk, LT_VK_AVG);
    assert_true(c.v[0].value == 35.2);
    assert_true(c.v[0].value_conv == 35.2);
    assert_string_equal(c.v[0].flag, "N");
    assert_int_equal(c.v[0].raw_id, 7);
    assert_int_equal(c.v[1].vk, LT_VK_ZSAVG);
    lt_store_close(s);
    sqlite3 *db = raw_db();
    assert_int_not_equal(exec(db, "UPDATE dev_records SET n = 1"), SQLITE_OK);
    assert_int_not_equal(exec(db, "DELETE FROM dev_records"), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- records: the values of one frame in one packed row (schema version 6) ------------------- */

static void test_dev_records(void **state)
{
    (void)state;
    struct lt_store *s = fresh("records");
    const int64_t t = 1700000000;
    struct lt_dev_item it[4] = {
        {.factor = "a34004", .vk = LT_VK_RTD, .value = 35, .value_conv = 35, .flag = "N"},
        {.factor = "a34004", .vk = LT_VK_ZSRTD, .value = 0.125, .value_conv = NAN, .flag = "N"},
        {.factor = "a21026", .vk = LT_VK_RTD, .value = NAN, .value_conv = NAN, .flag = "F"},
        {.factor = "a01012", .vk = LT_VK_RTD, .value = -12.5, .value_conv = -12.5, .flag = ""},
    };
    struct lt_dev_record r = {
        .mn = "AIR001", .cn = 2011, .data_time = t, .raw_id = 3, .n = 3, .items = it};
    enum lt_put_result res[4] = {9, 9, 9, 9};
    assert_int_equal(lt_store_begin(s), 0);
    assert_int_equal(lt_store_dev_record_put(s, &r, res), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(res[i], LT_PUT_INSERTED);
    /* The frame again, with one more value and one changed: per item SAME, SAME, CONFLICT, and
     * the new one INSERTED (into a second row of the key; the conflicting value is not stored). */
    it[2].value = 7;
    r.n = 4;
    r.raw_id = 4;
    assert_int_equal(lt_store_dev_record_put(s, &r, res), 0);
    assert_int_equal(res[0], LT_PUT_SAME);
    assert_int_equal(res[1], LT_PUT_SAME);
    assert_int_equal(res[2], LT_PUT_CONFLICT);
    assert_int_equal(res[3], LT_PUT_INSERTED);
    /* All of it once more: nothing new, no row added. */
    assert_int_equal(lt_store_dev_record_put(s, &r, res), 0);
    assert_int_equal(res[3], LT_PUT_SAME);
    /* Invalid records store nothing: a repeated (factor, kind), an empty factor, an infinite
     * value, a flag too long, no MN. */
    struct lt_dev_item bad[2] = {it[0], it[0]};
    struct lt_dev_record rb = {
        .mn = "AIR001", .cn = 2011, .data_time = t + 1, .n = 2, .items = bad};
    assert_int_equal(lt_store_dev_record_put(s, &rb, res), LT_EINVAL);
    rb.n = 1;
    bad[0].factor = "";
    assert_int_equal(lt_store_dev_record_put(s, &rb, res), LT_EINVAL);
    bad[0] = it[0];
    bad[0].value = INFINITY;
    assert_int_equal(lt_store_dev_record_put(s, &rb, res), LT_EINVAL);
    bad[0] = it[0];
    bad[0].flag = "0123456789abcdef";
    assert_int_equal(lt_store_dev_record_put(s, &rb, res), LT_EINVAL);
    rb.mn = "";
    assert_int_equal(lt_store_dev_record_put(s, &rb, res), LT_EINVAL);
    assert_int_equal(lt_store_commit(s), 0);

    int64_t n = 0;
    assert_int_equal(lt_store_dev_value_count(s, "AIR001", &n), 0);
    assert_int_equal(n, 4);
    /* Listed in arrival order, each value exactly as sent (NaN stays NaN, negative values). */
    struct collect c = {0};
    assert_int_equal(lt_store_dev_value_list(s, "AIR001", 0, t, t, collect_cb, &c), 0);
    assert_int_equal(c.n, 4);
    assert_true(c.v[0].value == 35 && c.v[0].value_conv == 35);
    assert_true(c.v[1].value == 0.125 && isnan(c.v[1].value_conv));
    assert_string_equal(c.v[2].factor, "a21026");
    assert_true(isnan(c.v[2].value));
    assert_string_equal(c.v[2].flag, "F");
    assert_int_equal(c.v[2].raw_id, 3);
    assert_string_equal(c.v[3].factor, "a01012");
    assert_true(c.v[3].value == -12.5);
    assert_string_equal(c.v[3].flag, "");
    assert_int_equal(c.v[3].raw_id, 4);
    /* Other ranges, CNs and devices see nothing; a bad range is refused. */
    c.n = 0;
    assert_int_equal(lt_store_dev_value_list(s, "AIR001", 2061, t, t, collect_cb, &c), 0);
    assert_int_equal(lt_store_dev_value_list(s, "AIR001", 0, t + 1, t + 9, collect_cb, &c), 0);
    assert_int_equal(lt_store_dev_value_list(s, "AIR002", 0, t, t, collect_cb, &c), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(lt_store_dev_value_list(s, "AIR001", 0, t, t - 1, collect_cb, &c), LT_EINVAL);
    lt_store_close(s);

    sqlite3 *db = raw_db();
    assert_int_equal(query_int(db, "SELECT count(*) FROM dev_records"), 2);
    assert_int_equal(query_int(db, "SELECT sum(n) FROM dev_records"), 4);
    /* A damaged row is reported, not read past its end. */
    assert_int_equal(exec(db, "INSERT INTO dev_records VALUES (1700000100, 'AIR001', 2011, 0, 1, "
                              "NULL, x'0106613334303034')"),
                     SQLITE_OK);
    assert_int_equal(exec(db, "INSERT INTO dev_records VALUES (1700000200, 'AIR001', 2011, 0, 1, "
                              "NULL, x'02')"),
                     SQLITE_OK);
    sqlite3_close(db);
    s = fresh_open();
    c.n = 0;
    assert_int_equal(lt_store_dev_value_list(s, "AIR001", 0, t + 100, t + 100, collect_cb, &c),
                     LT_ESTORE);
    assert_non_null(strstr(lt_store_errmsg(s), "malformed"));
    assert_int_equal(lt_store_dev_value_list(s, "AIR001", 0, t + 200, t + 200, collect_cb, &c),
                     LT_ESTORE);
    assert_non_null(strstr(lt_store_errmsg(s), "unknown format"));
    lt_store_close(s);
}

/* ---- the device-first copy (schema version 10) ------------------------------------------------
 */

struct listing {
    char buf[16384];
    size_t len;
    int n;
};

static int listing_cb(void *arg, const struct lt_dev_value_row *r)
{
    struct listing *l = arg;
    int k = snprintf(l->buf + l->len, sizeof l->buf - l->len, "%lld %d %s %d %g %s %lld\n",
                     (long long)r->data_time, r->cn, r->factor, r->vk, r->value, r->flag,
                     (long long)r->raw_id);
    assert_true(k > 0 && (size_t)k < sizeof l->buf - l->len);
    l->len += (size_t)k;
    l->n++;
    return 0;
}

static void list_of(struct lt_store *s, const char *mn, int cn, int64_t from, int64_t to,
                    struct listing *l)
{
    l->len = 0;
    l->n = 0;
    l->buf[0] = '\0';
    assert_int_equal(lt_store_dev_value_list(s, mn, cn, from, to, listing_cb, l), 0);
}

static void put_one(struct lt_store *s, const char *mn, int cn, int64_t t, const char *factor,
                    double v, int64_t raw)
{
    struct lt_dev_item it = {
        .factor = factor, .vk = LT_VK_RTD, .value = v, .value_conv = v, .flag = "N"};
    struct lt_dev_record r = {
        .mn = mn, .cn = cn, .data_time = t, .raw_id = raw, .n = 1, .items = &it};
    enum lt_put_result res;
    assert_int_equal(lt_store_dev_record_put(s, &r, &res), 0);
    assert_int_equal(res, LT_PUT_INSERTED);
}

static int copy_step(struct lt_store *s, int64_t upto, int max, bool *more)
{
    int copied = -1;
    assert_int_equal(lt_store_begin(s), 0);
    assert_int_equal(lt_store_dev_copy_step(s, upto, max, &copied, more), 0);
    assert_int_equal(lt_store_commit(s), 0);
    assert_true(copied >= 0 && copied <= max);
    return copied;
}

static void test_dev_copy(void **state)
{
    (void)state;
    struct lt_store *s = fresh("copy");
    const int64_t h0 = 1700002800; /* an hour's start */
    const char *mns[3] = {"MNA", "MNB", "MNC"};
    bool more = true;
    /* Nothing stored: nothing to copy. */
    assert_int_equal(copy_step(s, h0 + 10 * 3600, 5, &more), 0);
    assert_false(more);
    /* Four hours of three devices: real-time values at :00, :20, :40, an hourly one at :00, and
     * MNB's 10:20 of hour 1 in two rows (a packetised upload: seq 0 and 1). */
    int64_t raw = 1;
    assert_int_equal(lt_store_begin(s), 0);
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 3; i++) {
            for (int m = 0; m < 60; m += 20)
                put_one(s, mns[i], 2011, h0 + k * 3600 + m * 60, "a34004", k * 100 + m, raw++);
            put_one(s, mns[i], 2061, h0 + k * 3600, "a34004", k, raw++);
        }
    put_one(s, "MNB", 2011, h0 + 3600 + 1200, "a21026", 5, raw++);
    assert_int_equal(lt_store_commit(s), 0);

    struct listing ref[3], part_ref, l;
    for (int i = 0; i < 3; i++)
        list_of(s, mns[i], 0, h0 - 3600, h0 + 5 * 3600, &ref[i]);
    list_of(s, "MNB", 2011, h0 + 1800, h0 + 2 * 3600 + 1200, &part_ref);
    assert_int_equal(ref[1].n, 17);
    assert_int_equal(part_ref.n, 7);

    /* Hours 0-2 have ended by `upto`, hour 3 has not. Five rows a step; after every step each
     * device reads exactly what it read before, whichever table its rows come from. */
    const int64_t upto = h0 + 3 * 3600;
    int total = 0, steps = 0;
    do {
        total += copy_step(s, upto, 5, &more);
        steps++;
        for (int i = 0; i < 3; i++) {
            list_of(s, mns[i], 0, h0 - 3600, h0 + 5 * 3600, &l);
            assert_string_equal(l.buf, ref[i].buf);
        }
        list_of(s, "MNB", 2011, h0 + 1800, h0 + 2 * 3600 + 1200, &l);
        assert_string_equal(l.buf, part_ref.buf);
    } while (more && steps < 100);
    assert_false(more);
    assert_int_equal(total, 3 * 3 * 4 + 1);
    assert_true(steps >= 8);
    assert_int_equal(copy_step(s, upto, 5, &more), 0); /* nothing new */

    /* Late rows: for an hour copied (written to both tables at once) and for hour 3 (not yet). */
    assert_int_equal(lt_store_begin(s), 0);
    put_one(s, "MNA", 2011, h0 + 600, "a34004", 7, raw++);
    put_one(s, "MNA", 2011, h0 + 3 * 3600 + 600, "a34004", 8, raw++);
    assert_int_equal(lt_store_commit(s), 0);
    list_of(s, "MNA", 0, h0, h0 + 1200, &l);
    assert_int_equal(l.n, 4); /* 10:00 real-time and hourly, the late 10:10, 10:20 */
    assert_non_null(strstr(l.buf, "1700003400 2011 a34004 0 7 N"));
    list_of(s, "MNA", 0, h0 - 3600, h0 + 5 * 3600, &l);
    assert_int_equal(l.n, ref[0].n + 2);

    /* Hour 3 ends: one row copied (MNA's first of the hour), then a row of that hour ordered
     * before it (MN0 < MNA: the copy has passed it, both tables) and one after it (MNA's second
     * row of the key: the copy takes it). */
    assert_int_equal(copy_step(s, h0 + 4 * 3600, 1, &more), 1);
    assert_true(more);
    assert_int_equal(lt_store_begin(s), 0);
    put_one(s, "MN0", 2011, h0 + 3 * 3600 + 60, "a34004", 9, raw++);
    put_one(s, "MNA", 2011, h0 + 3 * 3600, "a21026", 10, raw++);
    assert_int_equal(lt_store_commit(s), 0);
    lt_store_close(s);
    sqlite3 *db = raw_db();
    assert_int_equal(query_int(db, "SELECT count(*) FROM dev_by_mn WHERE mn = 'MN0'"), 1);
    sqlite3_close(db);
    s = fresh_open();
    while (more)
        copy_step(s, h0 + 4 * 3600, 3, &more);

    /* Everything before the hour of `upto` is in dev_by_mn exactly (nothing missing, nothing
     * extra), and every device reads its rows once each. */
    db = raw_db();
    assert_int_equal(query_int(db, "SELECT count(*) FROM dev_by_mn"),
                     query_int(db, "SELECT count(*) FROM dev_records"));
    assert_int_equal(query_int(db, "SELECT count(*) FROM (SELECT mn, data_time, cn, seq FROM "
                                   "dev_records EXCEPT SELECT mn, data_time, cn, seq FROM "
                                   "dev_by_mn)"),
                     0);
    assert_int_equal(query_int(db, "SELECT unit_start FROM dev_copy"), h0 + 4 * 3600);
    /* The copy is never changed or deleted. */
    assert_int_not_equal(exec(db, "DELETE FROM dev_by_mn WHERE mn = 'MNA'"), SQLITE_OK);
    assert_int_not_equal(exec(db, "UPDATE dev_by_mn SET n = 0"), SQLITE_OK);
    int64_t want[4] = {0};
    const char *all[4] = {"MN0", "MNA", "MNB", "MNC"};
    for (int i = 0; i < 4; i++) {
        char q[128];
        snprintf(q, sizeof q, "SELECT sum(n) FROM dev_records WHERE mn = '%s'", all[i]);
        want[i] = query_int(db, q);
    }
    sqlite3_close(db);
    for (int i = 0; i < 4; i++) {
        list_of(s, all[i], 0, h0 - 3600, h0 + 5 * 3600, &l);
        assert_int_equal(l.n, want[i]);
    }
    list_of(s, "MNB", 2011, h0 + 1800, h0 + 2 * 3600 + 1200, &l);
    assert_string_equal(l.buf, part_ref.buf);
    lt_store_close(s);

    /* A store of version 9 gets the copy on open, and copies from its first hour. */
    db = raw_db();
    assert_int_equal(exec(db, V9_FROM_TODAY_SQL), SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"), 9);
    sqlite3_close(db);
    s = fresh_open();
    assert_int_equal(copy_step(s, h0 + 2 * 3600, 1000, &more), 3 * 4 * 2 + 1 + 1);
    assert_false(more);
    list_of(s, "MNB", 2011, h0 + 1800, h0 + 2 * 3600 + 1200, &l);
    assert_string_equal(l.buf, part_ref.buf);
    lt_store_close(s);

    /* An hour with more rows than four steps: copied in units shorter than the hour (each step
     * orders only its unit by device), reads unchanged all along. 10 devices x 6 values = 60
     * rows, 2 a step: units of 3600 * 8 / 60 = 480 s. */
    s = fresh("copy-units");
    char mn[16];
    assert_int_equal(lt_store_begin(s), 0);
    for (int i = 0; i < 10; i++)
        for (int m = 0; m < 60; m += 10) {
            snprintf(mn, sizeof mn, "U%02d", i);
            put_one(s, mn, 2011, h0 + m * 60, "a34004", i * 100 + m, raw++);
        }
    assert_int_equal(lt_store_commit(s), 0);
    struct listing uref[10];
    for (int i = 0; i < 10; i++) {
        snprintf(mn, sizeof mn, "U%02d", i);
        list_of(s, mn, 0, h0, h0 + 3600, &uref[i]);
        assert_int_equal(uref[i].n, 6);
    }
    int64_t span_min = 3600;
    total = steps = 0;
    do {
        total += copy_step(s, h0 + 3600, 2, &more);
        steps++;
        db = raw_db();
        int64_t span = query_int(db, "SELECT unit_end - unit_start FROM dev_copy");
        sqlite3_close(db);
        span_min = span < span_min ? span : span_min;
        for (int i = 0; i < 10; i++) {
            snprintf(mn, sizeof mn, "U%02d", i);
            list_of(s, mn, 0, h0, h0 + 3600, &l);
            assert_string_equal(l.buf, uref[i].buf);
        }
    } while (more && steps < 100);
    assert_false(more);
    assert_int_equal(total, 60);
    assert_int_equal(span_min, 480);
    lt_store_close(s);
    db = raw_db();
    assert_int_equal(query_int(db, "SELECT count(*) FROM dev_by_mn"), 60);
    sqlite3_close(db);
}

/* ---- exceedances ---------------------------------------------------------------------------- */

static void test_exceedances(void **state)
{
    (void)state;
    struct lt_store *s = fresh("exceed");
    struct lt_exceedance e;
    memset(&e, 0, sizeof e);
    snprintf(e.mn, sizeof e.mn, "CEMS01");
    snprintf(e.outlet, sizeof e.outlet, "ENT1-DA001");
    snprintf(e.factor, sizeof e.factor, "a21026");
    e.data_time = 1700002800;
    e.measured = 40;
    e.o2 = 12;
    e.o2_ref = 9;
    e.corrected = 40.0 * 12 / 9;
    e.limit = 35;
    snprintf(e.flag, sizeof e.flag, "N");
    snprintf(e.rule, sizeof e.rule, "coal-boiler (GB 13223)");
    e.detected_ms = 1700006400000;
    bool added = false;

    assert_int_equal(lt_store_exceedance_add(s, &e, &added), 0);
    assert_true(added);
    /* The hour again (a resent frame): no second event, the first evidence stays. */
    e.measured = 41;
    assert_int_equal(lt_store_exceedance_add(s, &e, &added), 0);
    assert_false(added);
    /* Another factor of the same hour, and one with no O2 correction (NaN evidence). */
    snprintf(e.factor, sizeof e.factor, "a21002");
    e.o2 = e.o2_ref = NAN;
    e.corrected = 60;
    e.limit = 50;
    assert_int_equal(lt_store_exceedance_add(s, &e, &added), 0);
    assert_true(added);
    snprintf(e.mn, sizeof e.mn, "CEMS02");
    e.data_time -= 3600;
    assert_int_equal(lt_store_exceedance_add(s, &e, NULL), 0);
    e.mn[0] = '\0';
    assert_int_equal(lt_store_exceedance_add(s, &e, &added), LT_EINVAL);

    struct lt_exceedance *v = NULL;
    int n = 0;
    assert_int_equal(lt_store_exceedances(s, "CEMS01", &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].factor, "a21002");
    assert_true(isnan(v[0].o2) && isnan(v[0].o2_ref));
    assert_string_equal(v[1].factor, "a21026");
    assert_true(v[1].measured == 40);
    assert_true(v[1].corrected == 40.0 * 12 / 9);
    assert_true(v[1].limit == 35 && v[1].o2 == 12 && v[1].o2_ref == 9);
    assert_string_equal(v[1].rule, "coal-boiler (GB 13223)");
    assert_string_equal(v[1].outlet, "ENT1-DA001");
    assert_int_equal(v[1].detected_ms, 1700006400000);
    assert_true(v[1].id > 0);
    free(v);
    assert_int_equal(lt_store_exceedances(s, NULL, &v, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].mn, "CEMS02");
    free(v);

    sqlite3 *db = raw_db();
    assert_int_not_equal(exec(db, "UPDATE exceedances SET limit_value = 1000"), SQLITE_OK);
    assert_int_not_equal(exec(db, "DELETE FROM exceedances"), SQLITE_OK);
    sqlite3_close(db);
    lt_store_close(s);
}

/* ---- device health --------------------------------------------------------------------------- */

static void test_health(void **state)
{
    (void)state;
    struct lt_store *s = fresh("health");
    const int64_t h0 = 1700000000 - 1700000000 % 3600;
    struct lt_health_delta a = {.mn = "CEMS01",
                                .hour = h0,
                                .frames = 10,
                                .values = 40,
                                .errors = {1, 0, 0, 0, 0, 0, 2, 0},
                                .last_ms = h0 * 1000 + 5000,
                                .last_peer = "1.1.1.1:1"};
    assert_int_equal(lt_store_health_add(s, &a), 0);
    /* The same hour again (next batch): counts add up; the later frame gives the peer. */
    a.frames = 5;
    a.values = 20;
    a.errors[6] = 1;
    a.errors[7] = 3;
    a.last_ms = h0 * 1000 + 9000;
    a.last_peer = "2.2.2.2:2";
    assert_int_equal(lt_store_health_add(s, &a), 0);
    /* A delta with an older frame, and one with errors only, keep the latest peer. */
    a.frames = 1;
    a.values = 0;
    memset(a.errors, 0, sizeof a.errors);
    a.last_ms = h0 * 1000 + 1000;
    a.last_peer = "3.3.3.3:3";
    assert_int_equal(lt_store_health_add(s, &a), 0);
    a.frames = 0;
    a.errors[1] = 4;
    a.last_ms = 0;
    a.last_peer = NULL;
    assert_int_equal(lt_store_health_add(s, &a), 0);
    /* Another hour and another device. */
    struct lt_health_delta b = {.mn = "CEMS01", .hour = h0 + 7200, .frames = 2, .last_ms = 1};
    assert_int_equal(lt_store_health_add(s, &b), 0);
    b.mn = "AIR001";
    assert_int_equal(lt_store_health_add(s, &b), 0);
    b.frames = -1;
    assert_int_equal(lt_store_health_add(s, &b), LT_EINVAL);

    struct lt_health_row *v = NULL;
    int n = 0;
    assert_int_equal(lt_store_health(s, "CEMS01", h0, h0 + 7200, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].hour, h0);
    assert_int_equal(v[0].frames, 16);
    assert_int_equal(v[0].values, 60);
    assert_int_equal(v[0].errors[0], 2);
    assert_int_equal(v[0].errors[1], 4);
    assert_int_equal(v[0].errors[6], 3);
    assert_int_equal(v[0].errors[7], 3);
    assert_int_equal(v[0].last_ms, h0 * 1000 + 9000);
    assert_string_equal(v[0].last_peer, "2.2.2.2:2");
    assert_int_equal(v[1].frames, 2);
    free(v);
    /* Ranges are inclusive; all devices when mn is NULL. */
    assert_int_equal(lt_store_health(s, "CEMS01", h0 + 1, h0 + 7199, &v, &n), 0);
    assert_int_equal(n, 0);
    free(v);
    assert_int_equal(lt_store_health(s, NULL, h0 + 7200, h0 + 7200, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].mn, "AIR001");
    free(v);
    lt_store_close(s);
}

/* ---- migration from schema version 1 ------------------------------------------------------- */

/* The schema of version 1 as lantian created it before HJ 212 ingestion (src/store/sqlite.c at
 * commit 6969290), with one site and one hourly value. */
static const char v1_sql[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);\n"
    "CREATE TABLE sites (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL "
    "DEFAULT '', city TEXT NOT NULL DEFAULT '', county TEXT NOT NULL DEFAULT '', province TEXT "
    "NOT NULL DEFAULT '', lon REAL, lat REAL, is_eval INTEGER NOT NULL DEFAULT 1, valid_from "
    "INTEGER, valid_to INTEGER);\n"
    "CREATE TABLE hourly (site_id INTEGER NOT NULL REFERENCES sites(id), factor INTEGER NOT "
    "NULL, ts INTEGER NOT NULL, value REAL, flag TEXT, PRIMARY KEY (site_id, factor, ts)) "
    "WITHOUT ROWID;\n"
    "CREATE TABLE corrections (id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES "
    "sites(id), factor INTEGER NOT NULL, ts INTEGER NOT NULL, old_value REAL, new_value REAL, "
    "who TEXT NOT NULL, at INTEGER NOT NULL, why TEXT NOT NULL);\n"
    "CREATE INDEX corrections_key ON corrections (site_id, factor, ts, id);\n"
    "CREATE TABLE dust_days (area TEXT NOT NULL, day INTEGER NOT NULL, PRIMARY KEY (area, day)) "
    "WITHOUT ROWID;\n"
    "CREATE TRIGGER hourly_no_update BEFORE UPDATE ON hourly BEGIN SELECT RAISE(ABORT, 'raw "
    "hourly values are never updated; record a correction'); END;\n"
    "CREATE TRIGGER hourly_no_delete BEFORE DELETE ON hourly BEGIN SELECT RAISE(ABORT, 'raw "
    "hourly values are never deleted; record a correction'); END;\n"
    "CREATE TRIGGER corrections_no_update BEFORE UPDATE ON corrections BEGIN SELECT "
    "RAISE(ABORT, 'corrections are append-only'); END;\n"
    "CREATE TRIGGER corrections_no_delete BEFORE DELETE ON corrections BEGIN SELECT "
    "RAISE(ABORT, 'corrections are append-only'); END;\n"
    "INSERT INTO schema_version (version) VALUES (1);\n"
    "INSERT INTO sites (code, name, city, province) VALUES ('1316A', '银行学校', '郑州市', "
    "'河南省');\n"
    "INSERT INTO hourly (site_id, factor, ts, value, flag) VALUES (1, 5, 1547258400, 87, "
    "NULL);\n";

static void test_migration(void **state)
{
    (void)state;
    set_path("v1");
    sqlite3 *db = raw_db();
    assert_int_equal(exec(db, v1_sql), SQLITE_OK);
    sqlite3_close(db);

    struct lt_store *s = NULL;
    struct lt_diag d = {0};
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    /* Version 1 data are kept and readable. */
    struct lt_site site;
    assert_int_equal(lt_store_site_get(s, "1316A", &site), 0);
    assert_string_equal(site.name, "银行学校");
    enum lt_put_result r;
    assert_int_equal(lt_store_put_hourly(s, "1316A", 5, 1547258400, 87, NULL, &r), 0);
    assert_int_equal(r, LT_PUT_SAME);
    /* The new tables work, with the site from version 1. */
    struct lt_device dv = dev("AIR001", "air", "1316A", "");
    assert_int_equal(lt_store_device_put(s, &dv), 0);
    static const uint8_t b[] = {'#', '#', 0, 1};
    struct lt_raw_frame f = {.recv_ms = 1, .peer = "p", .bytes = b, .len = sizeof b};
    assert_int_equal(lt_store_raw_append(s, &f, NULL), 0);
    lt_store_close(s);

    db = raw_db();
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"),
                     LT_STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(db, "SELECT count(*) FROM schema_version"), LT_STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(db, "SELECT count(*) FROM hourly"), 1);
    assert_int_not_equal(exec(db, "DELETE FROM raw_frames"), SQLITE_OK);
    sqlite3_close(db);

    /* Reopening does not migrate again. */
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    struct lt_device got;
    assert_int_equal(lt_store_device_get(s, "AIR001", &got), 0);
    lt_store_close(s);
    db = raw_db();
    assert_int_equal(query_int(db, "SELECT count(*) FROM schema_version"), LT_STORE_SCHEMA_VERSION);
    /* A database from a newer lantian is refused, not touched. */
    char newer[64], said[32];
    snprintf(newer, sizeof newer, "INSERT INTO schema_version VALUES (%d)",
             LT_STORE_SCHEMA_VERSION + 1);
    snprintf(said, sizeof said, "version %d", LT_STORE_SCHEMA_VERSION + 1);
    assert_int_equal(exec(db, newer), SQLITE_OK);
    sqlite3_close(db);
    s = NULL;
    assert_int_equal(lt_store_open(&s, dbpath, &d), LT_ESTORE);
    assert_null(s);
    assert_non_null(strstr(d.msg, said));

    /* A new database gets the current version directly. */
    s = fresh("new");
    lt_store_close(s);
    db = raw_db();
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"),
                     LT_STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('devices') "
                                   "WHERE name = 'source_type'"),
                     1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                   "('raw_frames', 'devices', 'device_factors', 'quarantine', "
                                   "'dev_records', 'exceedances', 'device_health')"),
                     7);
    sqlite3_close(db);
}

/* ---- migration from schema version 2 (devices without a source type) --------------------------
 */

/* The devices table as version 2 made it (src/store/sqlite.c at commit 5d24e9f). */
static const char v2_devices_sql[] =
    "CREATE TABLE devices (mn TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('air', 'cems', "
    "'dust', 'voc', 'power')), site TEXT REFERENCES sites(code), outlet TEXT NOT NULL DEFAULT '', "
    "pw TEXT NOT NULL DEFAULT '', crc_mask INTEGER NOT NULL DEFAULT 1, enabled INTEGER NOT NULL "
    "DEFAULT 1, created_at INTEGER NOT NULL, CHECK ((kind = 'air' AND site IS NOT NULL AND outlet "
    "= '') OR (kind <> 'air' AND site IS NULL AND outlet <> ''))) WITHOUT ROWID;\n"
    "INSERT INTO devices (mn, kind, site, outlet, pw, crc_mask, enabled, created_at) VALUES "
    "('OLDCEMS', 'cems', NULL, 'ENT9-DA001', 'pw', 1, 1, 1600000000);\n";

static void test_migration_v2(void **state)
{
    (void)state;
    /* A version-2 database: the v1 schema, then version 2's tables with the devices table of
     * version 2 (made by a store of today, whose version-3 parts are then taken back). */
    struct lt_store *s = fresh("v2");
    lt_store_close(s);
    sqlite3 *db = raw_db();
    assert_int_equal(exec(db, V5_FROM_TODAY_SQL), SQLITE_OK);
    assert_int_equal(exec(db, "DROP TABLE sessions; DROP TABLE users; DROP TABLE audit_log; "
                              "DROP TABLE device_factors; DROP TABLE devices; "
                              "DELETE FROM schema_version WHERE version >= 3; "
                              "CREATE TABLE device_factors (mn TEXT NOT NULL REFERENCES "
                              "devices(mn), code TEXT NOT NULL, pollutant INTEGER, unit TEXT NOT "
                              "NULL DEFAULT '', scale REAL NOT NULL DEFAULT 1.0, PRIMARY KEY (mn, "
                              "code)) WITHOUT ROWID;"),
                     SQLITE_OK);
    assert_int_equal(exec(db, v2_devices_sql), SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"), 2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('devices') "
                                   "WHERE name = 'source_type'"),
                     0);
    sqlite3_close(db);

    struct lt_diag d = {0};
    s = NULL;
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    /* The old device is kept, with no source type. */
    struct lt_device got;
    assert_int_equal(lt_store_device_get(s, "OLDCEMS", &got), 0);
    assert_string_equal(got.outlet, "ENT9-DA001");
    assert_string_equal(got.pw, "pw");
    assert_int_equal(got.created_at, 1600000000);
    assert_string_equal(got.source_type, "");
    /* It can be given one; a new device with one is stored. */
    snprintf(got.source_type, sizeof got.source_type, "cement_kiln");
    assert_int_equal(lt_store_device_put(s, &got), 0);
    struct lt_device nd = dev("NEWCEMS", "cems", "", "ENT9-DA002");
    snprintf(nd.source_type, sizeof nd.source_type, "gas_boiler");
    assert_int_equal(lt_store_device_put(s, &nd), 0);
    lt_store_close(s);

    db = raw_db();
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"),
                     LT_STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(db, "SELECT count(*) FROM schema_version"), LT_STORE_SCHEMA_VERSION);
    sqlite3_close(db);
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    assert_int_equal(lt_store_device_get(s, "OLDCEMS", &got), 0);
    assert_string_equal(got.source_type, "cement_kiln");
    assert_int_equal(got.created_at, 1600000000);
    assert_int_equal(lt_store_device_get(s, "NEWCEMS", &got), 0);
    assert_string_equal(got.source_type, "gas_boiler");
    lt_store_close(s);
}

/* ---- migration from schema version 3 (device values keyed by MN first) ------------------------
 */

/* The dev_values table as version 3 made it (src/store/sqlite.c at commit 3157147), with its
 * append-only triggers and three values of two devices. */
static const char v3_values_sql[] =
    "CREATE TABLE dev_values (mn TEXT NOT NULL, cn INTEGER NOT NULL, data_time INTEGER NOT NULL, "
    "factor TEXT NOT NULL, vk INTEGER NOT NULL, value REAL, value_conv REAL, flag TEXT NOT NULL "
    "DEFAULT '', raw_id INTEGER, PRIMARY KEY (mn, cn, data_time, factor, vk)) WITHOUT ROWID;\n"
    "CREATE TRIGGER dev_values_no_update BEFORE UPDATE ON dev_values BEGIN SELECT RAISE(ABORT, "
    "'device values are never updated'); END;\n"
    "CREATE TRIGGER dev_values_no_delete BEFORE DELETE ON dev_values BEGIN SELECT RAISE(ABORT, "
    "'device values are never deleted'); END;\n"
    "INSERT INTO dev_values VALUES ('MNB', 2011, 1700000000, 'a21026', 0, 12.5, 12.5, 'N', 7);\n"
    "INSERT INTO dev_values VALUES ('MNA', 2061, 1699999200, 'a34004', 2, 40, NULL, '', 8);\n"
    "INSERT INTO dev_values VALUES ('MNA', 2011, 1700000000, 'a21026', 0, NULL, NULL, 'M', 9);\n";

static void test_migration_v3(void **state)
{
    (void)state;
    /* A version-3 database: today's schema with the version-3 dev_values table put back. */
    struct lt_store *s = fresh("v3");
    lt_store_close(s);
    sqlite3 *db = raw_db();
    assert_int_equal(exec(db, V5_FROM_TODAY_SQL
                          "DROP TABLE sessions; DROP TABLE users; DROP TABLE audit_log; "
                          "DROP TABLE dev_values; DELETE FROM schema_version WHERE version >= 4"),
                     SQLITE_OK);
    assert_int_equal(exec(db, v3_values_sql), SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"), 3);
    sqlite3_close(db);

    struct lt_diag d = {0};
    s = NULL;
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    /* The rows are kept, values and flags included. */
    int64_t n = 0;
    assert_int_equal(lt_store_dev_value_count(s, NULL, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(lt_store_dev_value_count(s, "MNA", &n), 0);
    assert_int_equal(n, 2);
    /* Idempotency holds on the migrated rows: the same value is SAME, another is a CONFLICT, a
     * NULL value with its flag is SAME, and a new key is stored. */
    struct lt_dev_value v = {.mn = "MNB",
                             .cn = 2011,
                             .data_time = 1700000000,
                             .factor = "a21026",
                             .vk = 0,
                             .value = 12.5,
                             .value_conv = 12.5,
                             .flag = "N",
                             .raw_id = 10};
    enum lt_put_result r;
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_SAME);
    v.value = 13;
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_CONFLICT);
    v.mn = "MNA";
    v.value = NAN;
    v.flag = "M";
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_SAME);
    v.data_time += 30;
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_INSERTED);

    /* Through versions 4, 5 and 6: the values are packed records now, exactly as they were. */
    struct collect c = {0};
    assert_int_equal(lt_store_dev_value_list(s, "MNA", 0, 0, 2000000000, collect_cb, &c), 0);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.v[0].cn, 2061);
    assert_int_equal(c.v[0].raw_id, 8);
    assert_true(c.v[0].value == 40 && isnan(c.v[0].value_conv));
    assert_string_equal(c.v[0].flag, "");
    assert_int_equal(c.v[1].data_time, 1700000000);
    assert_true(isnan(c.v[1].value));
    assert_string_equal(c.v[1].flag, "M");
    assert_int_equal(c.v[2].data_time, 1700000030);
    c.n = 0;
    assert_int_equal(lt_store_dev_value_list(s, "MNB", 2011, 0, 2000000000, collect_cb, &c), 0);
    assert_int_equal(c.n, 1);
    assert_true(c.v[0].value == 12.5 && c.v[0].value_conv == 12.5);
    assert_string_equal(c.v[0].flag, "N");
    assert_int_equal(c.v[0].raw_id, 7);
    lt_store_close(s);

    db = raw_db();
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"),
                     LT_STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(db, "SELECT count(*) FROM schema_version"), LT_STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(db, "SELECT sum(n) FROM dev_records"), 4);
    /* The old tables are gone; the records are append-only. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE "
                                   "'dev_values%'"),
                     0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                                   "AND tbl_name = 'dev_records'"),
                     2);
    assert_int_not_equal(exec(db, "UPDATE dev_records SET n = 1"), SQLITE_OK);
    assert_int_not_equal(exec(db, "DELETE FROM dev_records"), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- migration from schema version 5 (one row per device value) ----------------------------- */

static void test_migration_v5(void **state)
{
    (void)state;
    struct lt_store *s = fresh("v5");
    struct lt_health_delta h = {.mn = "MNA", .hour = 1699999200, .frames = 3, .last_ms = 5};
    assert_int_equal(lt_store_health_add(s, &h), 0);
    lt_store_close(s);
    sqlite3 *db = raw_db();
    assert_int_equal(exec(db, V5_FROM_TODAY_SQL), SQLITE_OK);
    /* Seven values: three of one frame, two of another CN of the same time, one per other key. */
    assert_int_equal(
        exec(db, "INSERT INTO dev_values VALUES ('MNA', 2011, 1700000000, 'a34004', 0, 35, 35, "
                 "'N', 11);"
                 "INSERT INTO dev_values VALUES ('MNA', 2011, 1700000000, 'a34004', 5, 0.5, NULL, "
                 "'N', 11);"
                 "INSERT INTO dev_values VALUES ('MNA', 2011, 1700000000, 'a21026', 0, NULL, NULL, "
                 "'D', 11);"
                 "INSERT INTO dev_values VALUES ('MNA', 2061, 1700000000, 'a34004', 2, 30, 30, "
                 "'N', 12);"
                 "INSERT INTO dev_values VALUES ('MNA', 2061, 1700000000, 'a34004', 3, 44, 44, "
                 "'N', 12);"
                 "INSERT INTO dev_values VALUES ('MNB', 2011, 1700000000, 'a34004', 0, 9, 9, '', "
                 "13);"
                 "INSERT INTO dev_values VALUES ('MNA', 2011, 1700000030, 'a34004', 0, 36, 36, "
                 "'N', 14);"),
        SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"), 5);
    sqlite3_close(db);

    s = fresh_open();
    int64_t n = 0;
    assert_int_equal(lt_store_dev_value_count(s, NULL, &n), 0);
    assert_int_equal(n, 7);
    struct collect c = {0};
    assert_int_equal(
        lt_store_dev_value_list(s, "MNA", 2011, 1700000000, 1700000000, collect_cb, &c), 0);
    assert_int_equal(c.n, 3);
    /* Idempotency on the migrated records: the same value SAME, another CONFLICT. */
    struct lt_dev_value v = {.mn = "MNA",
                             .cn = 2011,
                             .data_time = 1700000000,
                             .factor = "a21026",
                             .vk = 0,
                             .value = NAN,
                             .value_conv = NAN,
                             .flag = "D"};
    enum lt_put_result r;
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_SAME);
    v.factor = "a34004";
    v.vk = 5;
    v.value = 0.6;
    v.flag = "N";
    assert_int_equal(lt_store_dev_value_put(s, &v, &r), 0);
    assert_int_equal(r, LT_PUT_CONFLICT);
    /* Health kept, now keyed by hour first. */
    struct lt_health_row *hv = NULL;
    int nh = 0;
    assert_int_equal(lt_store_health(s, "MNA", 1699999200, 1699999200, &hv, &nh), 0);
    assert_int_equal(nh, 1);
    assert_int_equal(hv[0].frames, 3);
    free(hv);
    lt_store_close(s);

    db = raw_db();
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"),
                     LT_STORE_SCHEMA_VERSION);
    /* One record per (DataTime, MN, CN): 4 rows for the 7 values, each with the raw row of its
     * frame. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM dev_records"), 4);
    assert_int_equal(query_int(db, "SELECT n FROM dev_records WHERE mn = 'MNA' AND cn = 2011 AND "
                                   "data_time = 1700000000"),
                     3);
    assert_int_equal(query_int(db, "SELECT raw_id FROM dev_records WHERE mn = 'MNA' AND cn = 2061"),
                     12);
    assert_int_equal(query_int(db, "SELECT pk FROM pragma_table_info('device_health') "
                                   "WHERE name = 'hour'"),
                     1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                   "('raw_frames_mn', 'dev_values', 'device_health_v5')"),
                     0);
    sqlite3_close(db);
}

/* ---- source types and the site cache --------------------------------------------------------- */

static void test_source_type(void **state)
{
    (void)state;
    struct lt_store *s = fresh("srctype");
    add_site(s, "1316A");
    /* An air station has no source type; a too long one is refused. */
    struct lt_device a = dev("AIR1", "air", "1316A", "");
    snprintf(a.source_type, sizeof a.source_type, "cement_kiln");
    assert_int_equal(lt_store_device_put(s, &a), LT_EINVAL);
    struct lt_device c = dev("C1", "cems", "", "ENT1-DA001");
    memset(c.source_type, 'x', sizeof c.source_type);
    assert_int_equal(lt_store_device_put(s, &c), LT_EINVAL);
    snprintf(c.source_type, sizeof c.source_type, "coke_oven");
    assert_int_equal(lt_store_device_put(s, &c), 0);
    struct lt_device *v = NULL;
    int n = 0;
    assert_int_equal(lt_store_devices(s, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].source_type, "coke_oven");
    free(v);
    /* Changing it is a configuration update. */
    snprintf(c.source_type, sizeof c.source_type, "steel_sinter");
    assert_int_equal(lt_store_device_put(s, &c), 0);
    struct lt_device got;
    assert_int_equal(lt_store_device_get(s, "C1", &got), 0);
    assert_string_equal(got.source_type, "steel_sinter");
    lt_store_close(s);
}

static void test_site_added_elsewhere(void **state)
{
    (void)state;
    /* Handle s (a long-running server) opens first; handle t (another process: an import, a
     * user adding a station) then adds a site. s must find it without reopening. */
    struct lt_store *s = fresh("sitecache");
    struct lt_store *t = NULL;
    struct lt_diag d = {0};
    assert_int_equal(lt_store_open(&t, dbpath, &d), 0);
    enum lt_put_result r;
    assert_int_equal(lt_store_put_hourly(s, "2001A", 0, 1700002800, 10, NULL, &r), LT_ENOTFOUND);
    add_site(t, "2001A");
    lt_store_close(t);
    assert_int_equal(lt_store_put_hourly(s, "2001A", 0, 1700002800, 10, NULL, &r), 0);
    assert_int_equal(r, LT_PUT_INSERTED);
    assert_int_equal(lt_store_put_hourly(s, "2001A", 0, 1700002800, 10, NULL, &r), 0);
    assert_int_equal(r, LT_PUT_SAME);
    /* A device of that site is accepted by s too, and the site's values read back. */
    struct lt_device a = dev("AIR2001", "air", "2001A", "");
    assert_int_equal(lt_store_device_put(s, &a), 0);
    double so2[24 * 1], *vv[LT_POLL_N] = {0};
    double others[LT_POLL_N - 1][24];
    for (int i = 0; i < 24; i++)
        so2[i] = NAN;
    vv[0] = so2;
    for (int p = 1; p < LT_POLL_N; p++) {
        for (int i = 0; i < 24; i++)
            others[p - 1][i] = NAN;
        vv[p] = others[p - 1];
    }
    int32_t day = (int32_t)((1700002800 + 8 * 3600 - 1) / 86400);
    assert_int_equal(lt_store_load_hourly(s, "2001A", day, 1, vv, NULL), 0);
    int have = 0;
    for (int i = 0; i < 24; i++)
        have += so2[i] == 10;
    assert_int_equal(have, 1);
    /* A code unknown to both is still unknown (and the miss does not poison the cache). */
    assert_int_equal(lt_store_put_hourly(s, "9999Z", 0, 1700002800, 10, NULL, &r), LT_ENOTFOUND);
    lt_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_archive),  cmocka_unit_test(test_devices),
        cmocka_unit_test(test_quarantine),   cmocka_unit_test(test_dev_values),
        cmocka_unit_test(test_dev_records),  cmocka_unit_test(test_exceedances),
        cmocka_unit_test(test_health),       cmocka_unit_test(test_migration),
        cmocka_unit_test(test_migration_v2), cmocka_unit_test(test_migration_v3),
        cmocka_unit_test(test_migration_v5), cmocka_unit_test(test_dev_copy),
        cmocka_unit_test(test_source_type),  cmocka_unit_test(test_site_added_elsewhere),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Tests of the SQLite store (src/store/sqlite.c): schema and reopen, sites and their filters, raw
 * values that are never overwritten, the hour-24 mapping, corrections, dust days, the store's
 * metadata, and the data generation that moves with them. */
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

#include "lantian/util.h"
#include "store/store.h"

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
    snprintf(tmpdir, sizeof tmpdir, "%s/lt_store_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A fresh database per test. */
static struct lt_store *fresh(const char *name)
{
    struct lt_store *s = NULL;
    struct lt_diag d = {0};
    snprintf(dbpath, sizeof dbpath, "%s/%s.db", tmpdir, name);
    unlink(dbpath);
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    assert_non_null(s);
    return s;
}

static struct lt_site site_of(const char *code, const char *city, const char *county,
                              const char *province, bool eval)
{
    struct lt_site x;
    memset(&x, 0, sizeof x);
    snprintf(x.code, sizeof x.code, "%s", code);
    snprintf(x.name, sizeof x.name, "站点%s", code);
    snprintf(x.city, sizeof x.city, "%s", city);
    snprintf(x.county, sizeof x.county, "%s", county);
    snprintf(x.province, sizeof x.province, "%s", province);
    x.lon = 113.6;
    x.lat = 34.7;
    x.is_eval = eval;
    x.valid_from = LT_DAY_OPEN_FROM;
    x.valid_to = LT_DAY_OPEN_TO;
    return x;
}

static void add_sites(struct lt_store *s)
{
    struct lt_site v[] = {
        site_of("1316A", "郑州市", "金水区", "河南省", true),
        site_of("1317A", "郑州", "", "河南", true),
        site_of("1323A", "郑州市", "", "河南省", false),
        site_of("1811A", "开封市", "", "河南省", true),
        site_of("1001A", "北京", "", "北京市", true),
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        bool changed = false;
        assert_int_equal(lt_store_site_put(s, &v[i], &changed), 0);
        assert_true(changed);
    }
}

static void test_sites(void **state)
{
    (void)state;
    struct lt_store *s = fresh("sites");
    struct lt_site got;
    bool changed;

    add_sites(s);
    assert_int_equal(lt_store_site_get(s, "1316A", &got), 0);
    assert_string_equal(got.city, "郑州市");
    assert_string_equal(got.county, "金水区");
    assert_true(got.lon == 113.6);
    assert_int_equal(got.valid_from, LT_DAY_OPEN_FROM);
    assert_int_equal(got.valid_to, LT_DAY_OPEN_TO);
    assert_int_equal(lt_store_site_get(s, "9999A", &got), LT_ENOTFOUND);

    /* The same again changes nothing; a different field updates. */
    struct lt_site x = site_of("1316A", "郑州市", "金水区", "河南省", true);
    assert_int_equal(lt_store_site_put(s, &x, &changed), 0);
    assert_false(changed);
    x.lon = NAN;
    x.valid_from = lt_days_from_civil(2015, 1, 1);
    assert_int_equal(lt_store_site_put(s, &x, &changed), 0);
    assert_true(changed);
    assert_int_equal(lt_store_site_get(s, "1316A", &got), 0);
    assert_true(isnan(got.lon));
    assert_int_equal(got.valid_from, lt_days_from_civil(2015, 1, 1));
    x.valid_to = x.valid_from - 1;
    assert_int_equal(lt_store_site_put(s, &x, &changed), LT_ERANGE);

    struct lt_site *list = NULL;
    int n = -1;
    assert_int_equal(lt_store_sites(s, NULL, &list, &n), 0);
    assert_int_equal(n, 5);
    assert_string_equal(list[0].code, "1001A"); /* ordered by code */
    assert_string_equal(list[4].code, "1811A");
    free(list);

    /* "郑州" matches "郑州市" and the reverse. */
    struct lt_site_filter f = {.city = "郑州"};
    assert_int_equal(lt_store_sites(s, &f, &list, &n), 0);
    assert_int_equal(n, 3);
    free(list);
    f.city = "郑州市";
    f.eval_only = true;
    assert_int_equal(lt_store_sites(s, &f, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].code, "1316A");
    assert_string_equal(list[1].code, "1317A");
    free(list);
    /* "河南" matches "河南省" and "河南". */
    struct lt_site_filter fp = {.province = "河南"};
    assert_int_equal(lt_store_sites(s, &fp, &list, &n), 0);
    assert_int_equal(n, 4);
    free(list);
    fp.province = "河南省";
    fp.county = "金水区";
    assert_int_equal(lt_store_sites(s, &fp, &list, &n), 0);
    assert_int_equal(n, 1);
    free(list);
    struct lt_site_filter fz = {.city = "郑"};
    assert_int_equal(lt_store_sites(s, &fz, &list, &n), 0);
    assert_int_equal(n, 0);
    free(list);

    /* A township (schema version 6) is stored, compared by site_put and filtered exactly. */
    assert_int_equal(lt_store_site_get(s, "1316A", &x), 0);
    assert_string_equal(x.township, "");
    snprintf(x.township, sizeof x.township, "丰产路街道");
    assert_int_equal(lt_store_site_put(s, &x, &changed), 0);
    assert_true(changed);
    assert_int_equal(lt_store_site_put(s, &x, &changed), 0);
    assert_false(changed);
    assert_int_equal(lt_store_site_get(s, "1316A", &got), 0);
    assert_string_equal(got.township, "丰产路街道");
    struct lt_site_filter ft = {.township = "丰产路街道"};
    assert_int_equal(lt_store_sites(s, &ft, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].code, "1316A");
    free(list);
    ft.township = "丰产路";
    assert_int_equal(lt_store_sites(s, &ft, &list, &n), 0);
    assert_int_equal(n, 0);
    free(list);

    /* Sites survive a reopen, and the code -> id cache is rebuilt from the table. */
    lt_store_close(s);
    struct lt_diag d = {0};
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    enum lt_put_result res;
    assert_int_equal(
        lt_store_put_hourly(s, "1811A", LT_PM25, lt_bj_to_utc(17900, 1), 5, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_INSERTED);
    lt_store_close(s);
}

static void test_put_hourly(void **state)
{
    (void)state;
    struct lt_store *s = fresh("put");
    enum lt_put_result res;
    int64_t t = lt_bj_to_utc(lt_days_from_civil(2019, 1, 12), 8);
    add_sites(s);

    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, 227, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_INSERTED);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, 227, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_SAME);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, 228, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_CONFLICT);
    /* The conflicting offer was not stored. */
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, 227, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_SAME);

    /* Not monitored: NaN with flag NM; a number offered for it is a conflict. */
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_CO, t, NAN, "NM", &res), 0);
    assert_int_equal(res, LT_PUT_INSERTED);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_CO, t, NAN, "NM", &res), 0);
    assert_int_equal(res, LT_PUT_SAME);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_CO, t, 1.2, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_CONFLICT);

    /* Other factor, other site, other hour: separate keys. */
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM10, t, 227, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_INSERTED);
    assert_int_equal(lt_store_put_hourly(s, "1317A", LT_PM25, t, 1, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_INSERTED);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_FACTOR_AQI_PUB, t, 277, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_INSERTED);

    assert_int_equal(lt_store_put_hourly(s, "9999A", LT_PM25, t, 1, NULL, &res), LT_ENOTFOUND);
    assert_int_equal(lt_store_put_hourly(s, "1316A", 42, t, 1, NULL, &res), LT_EINVAL);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t + 60, 1, NULL, &res), LT_EINVAL);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, -1, NULL, &res), LT_EINVAL);

    /* A rolled-back transaction leaves nothing. */
    assert_int_equal(lt_store_begin(s), 0);
    assert_int_equal(lt_store_put_hourly(s, "1811A", LT_PM25, t, 9, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_INSERTED);
    assert_int_equal(lt_store_rollback(s), 0);
    assert_int_equal(lt_store_put_hourly(s, "1811A", LT_PM25, t, 10, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_INSERTED);
    lt_store_close(s);
}

static void test_load_hourly(void **state)
{
    (void)state;
    struct lt_store *s = fresh("load");
    enum lt_put_result res;
    int32_t d12 = lt_days_from_civil(2019, 1, 12);
    add_sites(s);

    /* CNEMC hour 0 of 01-13 is hour 24 of 01-12. */
    assert_int_equal(
        lt_store_put_hourly(s, "1316A", LT_PM25, lt_bj_to_utc(d12 + 1, 0), 24, NULL, &res), 0);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, lt_bj_to_utc(d12, 1), 1, NULL, &res),
                     0);
    /* Hour 0 of 01-12 belongs to 01-11 and is outside a range starting on 01-12. */
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, lt_bj_to_utc(d12, 0), 99, NULL, &res),
                     0);
    assert_int_equal(
        lt_store_put_hourly(s, "1316A", LT_O3, lt_bj_to_utc(d12 + 1, 5), 55, NULL, &res), 0);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_CO, lt_bj_to_utc(d12, 3), NAN, "NM", &res),
                     0);
    assert_int_equal(
        lt_store_put_hourly(s, "1316A", LT_FACTOR_AQI_PUB, lt_bj_to_utc(d12, 3), 150, NULL, &res),
        0);
    /* Another site's values must not leak in. */
    assert_int_equal(lt_store_put_hourly(s, "1317A", LT_PM25, lt_bj_to_utc(d12, 2), 7, NULL, &res),
                     0);

    double buf[LT_POLL_N][48];
    double *v[LT_POLL_N];
    for (int p = 0; p < LT_POLL_N; p++) {
        v[p] = buf[p];
        for (int k = 0; k < 48; k++)
            buf[p][k] = NAN;
    }
    unsigned nm = 0;
    assert_int_equal(lt_store_load_hourly(s, "1316A", d12, 2, v, &nm), 0);
    assert_true(buf[LT_PM25][0] == 1.0);     /* 01-12 hour 1 */
    assert_true(buf[LT_PM25][23] == 24.0);   /* 01-12 hour 24 */
    assert_true(isnan(buf[LT_PM25][1]));     /* 1317A's value is not here */
    assert_true(buf[LT_O3][24 + 4] == 55.0); /* 01-13 hour 5 */
    assert_true(isnan(buf[LT_CO][2]));
    assert_int_equal(nm, 1u << LT_CO);
    int stored = 0;
    for (int p = 0; p < LT_POLL_N; p++)
        for (int k = 0; k < 48; k++)
            stored += !isnan(buf[p][k]);
    assert_int_equal(stored, 3);

    /* One day: the 24:00 value is its last hour. */
    for (int k = 0; k < 48; k++)
        buf[LT_PM25][k] = NAN;
    assert_int_equal(lt_store_load_hourly(s, "1316A", d12 + 1, 1, v, &nm), 0);
    assert_true(isnan(buf[LT_PM25][23]));
    assert_int_equal(lt_store_load_hourly(s, "1316A", d12, 1, v, &nm), 0);
    assert_true(buf[LT_PM25][23] == 24.0);

    int aqi[24];
    for (int k = 0; k < 24; k++)
        aqi[k] = -1;
    assert_int_equal(lt_store_load_aqi_pub(s, "1316A", d12, 1, aqi), 0);
    assert_int_equal(aqi[2], 150);
    assert_int_equal(aqi[3], -1);
    assert_int_equal(lt_store_load_hourly(s, "nope", d12, 1, v, &nm), LT_ENOTFOUND);
    lt_store_close(s);
}

static void test_corrections(void **state)
{
    (void)state;
    struct lt_store *s = fresh("corr");
    enum lt_put_result res;
    int32_t d12 = lt_days_from_civil(2019, 1, 12);
    int64_t t = lt_bj_to_utc(d12, 8), id1 = 0, id2 = 0, id3 = 0;
    add_sites(s);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, 227, NULL, &res), 0);

    assert_int_equal(
        lt_store_correct(s, "1316A", LT_PM25, t, 120, "王工", 1700000000, "仪器漂移", &id1), 0);
    assert_int_equal(
        lt_store_correct(s, "1316A", LT_PM25, t, 121.5, "李工", 1700000100, "复核", &id2), 0);
    assert_true(id2 > id1);
    /* No value stored: nothing to correct. */
    assert_int_equal(lt_store_correct(s, "1316A", LT_PM25, t + 3600, 1, "x", 1, "y", &id3),
                     LT_ENOTFOUND);
    assert_int_equal(lt_store_correct(s, "1316A", LT_PM25, t, 1, "", 1, "y", &id3), LT_EINVAL);

    double buf[LT_POLL_N][24];
    double *v[LT_POLL_N];
    for (int p = 0; p < LT_POLL_N; p++) {
        v[p] = buf[p];
        for (int k = 0; k < 24; k++)
            buf[p][k] = NAN;
    }
    assert_int_equal(lt_store_load_hourly(s, "1316A", d12, 1, v, NULL), 0);
    assert_true(buf[LT_PM25][7] == 121.5); /* the latest correction */

    /* The raw value is kept: offering it again is "same", not a conflict. */
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, 227, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_SAME);

    /* Invalidation. */
    assert_int_equal(
        lt_store_correct(s, "1316A", LT_PM25, t, NAN, "王工", 1700000200, "停电", &id3), 0);
    buf[LT_PM25][7] = NAN;
    assert_int_equal(lt_store_load_hourly(s, "1316A", d12, 1, v, NULL), 0);
    assert_true(isnan(buf[LT_PM25][7]));

    struct lt_correction *c = NULL;
    int n = 0;
    assert_int_equal(lt_store_corrections(s, "1316A", &c, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(c[0].id, id1);
    assert_string_equal(c[0].site, "1316A");
    assert_int_equal(c[0].factor, LT_PM25);
    assert_int_equal(c[0].ts, t);
    assert_true(c[0].old_value == 227.0);
    assert_true(c[0].new_value == 120.0);
    assert_string_equal(c[0].who, "王工");
    assert_int_equal(c[0].at, 1700000000);
    assert_string_equal(c[0].why, "仪器漂移");
    assert_true(c[1].old_value == 120.0); /* before the 2nd: the 1st correction */
    assert_true(c[1].new_value == 121.5);
    assert_true(c[2].old_value == 121.5);
    assert_true(isnan(c[2].new_value));
    free(c);
    assert_int_equal(lt_store_corrections(s, "1317A", &c, &n), 0);
    assert_int_equal(n, 0);
    free(c);
    assert_int_equal(lt_store_corrections(s, NULL, &c, &n), 0);
    assert_int_equal(n, 3);
    free(c);
    lt_store_close(s);
}

static void test_dust(void **state)
{
    (void)state;
    struct lt_store *s = fresh("dust");
    int32_t d = lt_days_from_civil(2019, 3, 28);
    bool on = true;
    assert_int_equal(lt_store_dust_get(s, "郑州市", d, &on), 0);
    assert_false(on);
    assert_int_equal(lt_store_dust_set(s, "郑州市", d, true), 0);
    assert_int_equal(lt_store_dust_set(s, "郑州市", d, true), 0); /* idempotent */
    assert_int_equal(lt_store_dust_set(s, "郑州市", d + 1, true), 0);
    assert_int_equal(lt_store_dust_set(s, "开封市", d, true), 0);
    assert_int_equal(lt_store_dust_get(s, "郑州市", d, &on), 0);
    assert_true(on);
    assert_int_equal(lt_store_dust_get(s, "郑州市", d + 2, &on), 0);
    assert_false(on);
    /* The registry may say "郑州" where the flag said "郑州市". */
    assert_int_equal(lt_store_dust_get(s, "郑州", d, &on), 0);
    assert_true(on);
    assert_int_equal(lt_store_dust_get(s, "郑州县", d, &on), 0);
    assert_false(on);

    struct lt_dust_day *v = NULL;
    int n = 0;
    assert_int_equal(lt_store_dust_list(s, NULL, &v, &n), 0);
    assert_int_equal(n, 3);
    free(v);
    assert_int_equal(lt_store_dust_list(s, "郑州市", &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].area, "郑州");
    assert_int_equal(v[0].day, d);
    assert_int_equal(v[1].day, d + 1);
    free(v);

    assert_int_equal(lt_store_dust_set(s, "郑州市", d, false), 0);
    assert_int_equal(lt_store_dust_get(s, "郑州市", d, &on), 0);
    assert_false(on);
    assert_int_equal(lt_store_dust_get(s, "开封市", d, &on), 0);
    assert_true(on);
    lt_store_close(s);
}

static void test_meta(void **state)
{
    (void)state;
    struct lt_store *s = fresh("meta");
    char v[LT_META_VALUE_MAX];
    assert_int_equal(lt_store_meta_get(s, "shift.days", v, sizeof v), LT_ENOTFOUND);
    assert_int_equal(lt_store_meta_put(s, "shift.days", "2557"), 0);
    assert_int_equal(lt_store_meta_get(s, "shift.days", v, sizeof v), 0);
    assert_string_equal(v, "2557");
    /* Replaced, not added: one value per key. */
    assert_int_equal(lt_store_meta_put(s, "shift.days", "2558"), 0);
    assert_int_equal(lt_store_meta_get(s, "shift.days", v, sizeof v), 0);
    assert_string_equal(v, "2558");
    assert_int_equal(lt_store_meta_put(s, "note", ""), 0);
    assert_int_equal(lt_store_meta_get(s, "note", v, sizeof v), 0);
    assert_string_equal(v, "");
    /* A short buffer gets what fits. */
    char small[3];
    assert_int_equal(lt_store_meta_get(s, "shift.days", small, sizeof small), 0);
    assert_string_equal(small, "25");
    /* Bad keys and values. */
    char big[LT_META_VALUE_MAX + 1];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(lt_store_meta_put(s, "", "x"), LT_EINVAL);
    assert_int_equal(lt_store_meta_put(s, "k", big), LT_EINVAL);
    assert_int_equal(lt_store_meta_put(s, big, "x"), LT_EINVAL);
    assert_int_equal(lt_store_meta_put(s, "k", NULL), LT_EINVAL);
    assert_int_equal(lt_store_meta_get(s, "", v, sizeof v), LT_EINVAL);
    lt_store_close(s);
    /* Kept across a reopen. */
    struct lt_diag d = {0};
    s = NULL;
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    assert_int_equal(lt_store_meta_get(s, "shift.days", v, sizeof v), 0);
    assert_string_equal(v, "2558");
    lt_store_close(s);
}

/* The data generation moves with every committed change of sites, hourly values, corrections
 * and dust days (alone or in a transaction, seen by another handle), and with nothing else. */
static int64_t gen_of(struct lt_store *s)
{
    int64_t n = -1;
    assert_int_equal(lt_store_data_gen(s, &n), 0);
    return n;
}

static void test_data_gen(void **state)
{
    (void)state;
    struct lt_store *s = fresh("gen"), *r = NULL;
    struct lt_diag d = {0};
    assert_int_equal(lt_store_open(&r, dbpath, &d), 0); /* a reader: another connection */
    int64_t g = gen_of(r);
    assert_int_equal(g, 0);

    /* A site: new, the same again (no change), changed. */
    struct lt_site x = site_of("1316A", "郑州市", "金水区", "河南省", true);
    assert_int_equal(lt_store_site_put(s, &x, NULL), 0);
    assert_int_equal(gen_of(r), ++g);
    assert_int_equal(lt_store_site_put(s, &x, NULL), 0);
    assert_int_equal(gen_of(r), g);
    x.lat = 35.0;
    assert_int_equal(lt_store_site_put(s, &x, NULL), 0);
    assert_int_equal(gen_of(r), ++g);

    /* Hourly values: one alone; the same again, a conflict (nothing stored); then a transaction of
     * several moves it once, at its commit, and a rolled-back one not at all. */
    int64_t t = lt_hour_end_utc(lt_days_from_civil(2019, 1, 1), 1);
    enum lt_put_result res;
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, 80, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_INSERTED);
    assert_int_equal(gen_of(r), ++g);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, 80, NULL, &res), 0);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, 81, NULL, &res), 0);
    assert_int_equal(res, LT_PUT_CONFLICT);
    assert_int_equal(gen_of(r), g);
    assert_int_equal(lt_store_begin(s), 0);
    for (int h = 1; h <= 3; h++)
        assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM10, t + 3600 * h, 90, NULL, &res), 0);
    assert_int_equal(gen_of(r), g); /* not before the commit */
    assert_int_equal(lt_store_commit(s), 0);
    assert_int_equal(gen_of(r), ++g);
    assert_int_equal(lt_store_begin(s), 0);
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_NO2, t, 30, NULL, &res), 0);
    assert_int_equal(lt_store_rollback(s), 0);
    assert_int_equal(gen_of(r), g);
    assert_int_equal(lt_store_begin(s), 0); /* a transaction changing nothing */
    assert_int_equal(lt_store_put_hourly(s, "1316A", LT_PM25, t, 80, NULL, &res), 0);
    assert_int_equal(lt_store_commit(s), 0);
    assert_int_equal(gen_of(r), g);

    /* A correction; a dust day set, set again (no change), cleared. */
    assert_int_equal(lt_store_correct(s, "1316A", LT_PM25, t, 70, "王工", 1, "test", NULL), 0);
    assert_int_equal(gen_of(r), ++g);
    int32_t day = lt_days_from_civil(2019, 1, 1);
    assert_int_equal(lt_store_dust_set(s, "郑州市", day, true), 0);
    assert_int_equal(gen_of(r), ++g);
    assert_int_equal(lt_store_dust_set(s, "郑州市", day, true), 0);
    assert_int_equal(gen_of(r), g);
    assert_int_equal(lt_store_dust_set(s, "郑州市", day, false), 0);
    assert_int_equal(gen_of(r), ++g);

    /* A plan target set, set again (no change); store metadata. */
    struct lt_target tg;
    memset(&tg, 0, sizeof tg);
    snprintf(tg.area, sizeof tg.area, "郑州");
    tg.year = 2019;
    for (int k = 0; k < LT_TGT_N; k++)
        tg.value[k] = NAN;
    tg.value[LT_TGT_PM25] = 40;
    assert_int_equal(lt_store_target_put(s, &tg, "root", 1, NULL), 0);
    assert_int_equal(gen_of(r), ++g);
    assert_int_equal(lt_store_target_put(s, &tg, "root", 2, NULL), 0);
    assert_int_equal(gen_of(r), g);
    assert_int_equal(lt_store_meta_put(s, "shift.days", "7"), 0);
    assert_int_equal(gen_of(r), ++g);

    /* Devices, raw frames, users and sessions are not the data answers are computed from. */
    struct lt_device dv;
    memset(&dv, 0, sizeof dv);
    snprintf(dv.mn, sizeof dv.mn, "AIR001");
    snprintf(dv.kind, sizeof dv.kind, "air");
    snprintf(dv.site, sizeof dv.site, "1316A");
    dv.crc_mask = 1;
    dv.enabled = true;
    assert_int_equal(lt_store_device_put(s, &dv), 0);
    static const uint8_t b[] = {'#', '#', '0', '1'};
    struct lt_raw_frame f = {.recv_ms = 1, .peer = "p", .bytes = b, .len = sizeof b};
    assert_int_equal(lt_store_raw_append(s, &f, NULL), 0);
    assert_int_equal(gen_of(r), g);
    assert_int_equal(gen_of(s), g); /* the writer's own handle reads the same */
    lt_store_close(r);
    lt_store_close(s);
}

static void test_open_errors(void **state)
{
    (void)state;
    struct lt_store *s = NULL;
    struct lt_diag d = {0};
    char p[700];
    snprintf(p, sizeof p, "%s/no/such/dir/x.db", tmpdir);
    assert_int_equal(lt_store_open(&s, p, &d), LT_ESTORE);
    assert_null(s);
    assert_non_null(strstr(d.msg, "x.db"));
    /* A file that is not a database. */
    snprintf(p, sizeof p, "%s/junk.db", tmpdir);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    for (int i = 0; i < 100; i++)
        fputs("this is not an SQLite database\n", f);
    fclose(f);
    assert_int_equal(lt_store_open(&s, p, &d), LT_ESTORE);
    assert_null(s);
    lt_store_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sites),       cmocka_unit_test(test_put_hourly),
        cmocka_unit_test(test_load_hourly), cmocka_unit_test(test_corrections),
        cmocka_unit_test(test_dust),        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_data_gen),    cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

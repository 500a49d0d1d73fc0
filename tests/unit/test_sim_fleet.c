/* Tests of the simulated fleet's values and frames (src/cli/sim_fleet.c): frames that parse as
 * HJ 212-2017 with the hour's start as DataTime and the six pollutants (or the CEMS factors with
 * their Zs values); the same hour gives the same values; CEMS values consistent with the O2
 * correction, within the limit except in about one hour in twelve; an air station's walk stays
 * near its site's diurnal levels and moves a few per cent from hour to hour. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "cli/sim_fleet.h"
#include "lantian/hj212.h"
#include "lantian/util.h"

/* 2026-11-26 00:00 Beijing: an hour's start. */
#define HOUR0 ((int64_t)lt_bj_to_utc(lt_days_from_civil(2026, 11, 26), 0))

static struct lt_sim_unit air_unit(void)
{
    struct lt_sim_unit u;
    memset(&u, 0, sizeof u);
    snprintf(u.mn, sizeof u.mn, "5A3D0000A00000000001316A");
    snprintf(u.pw, sizeof u.pw, "123456");
    snprintf(u.site, sizeof u.site, "1316A");
    /* Levels: PM2.5 40 at night, 60 in the evening; the others flat. */
    static const double lv[LT_POLL_N] = {10, 35, 0.8, 60, 80, 40};
    for (int p = 0; p < LT_POLL_N; p++) {
        u.has[p] = true;
        for (int h = 0; h < 24; h++)
            u.level[p][h] = log(p == LT_PM25 && h >= 17 ? 60 : lv[p]);
        u.x[p] = u.level[p][23];
    }
    return u;
}

static struct lt_hj212_item *item(struct lt_hj212_msg *m, const char *code)
{
    for (int i = 0; i < m->nitems; i++)
        if (lt_str_eq(m->item[i].code, code))
            return &m->item[i];
    return NULL;
}

static void parse(const char *seg, size_t n, struct lt_hj212_msg *m)
{
    struct lt_diag d = {0};
    assert_true(n > 0);
    assert_int_equal(lt_hj212_parse((const uint8_t *)seg, n, m, &d), 0);
}

static void test_air_frames(void **state)
{
    (void)state;
    struct lt_sim_unit u = air_unit(), v = air_unit();
    struct lt_hj212_msg *m = malloc(sizeof *m);
    char seg[1024], seg2[1024];
    assert_non_null(m);
    lt_sim_unit_hour(&u, NULL, HOUR0);
    lt_sim_unit_hour(&v, NULL, HOUR0);
    size_t n = lt_sim_unit_segment(&u, true, 0, "20261126010002000", seg, sizeof seg);
    /* The same state and hour: the same frame. */
    assert_int_equal(lt_sim_unit_segment(&v, true, 0, "20261126010002000", seg2, sizeof seg2), n);
    assert_memory_equal(seg, seg2, n);
    parse(seg, n, m);
    assert_int_equal(m->cn_num, 2061);
    assert_true(lt_str_eq(m->st, "22") && lt_str_eq(m->mn, u.mn) && lt_str_eq(m->pw, "123456"));
    assert_true(m->ack_requested);
    assert_true(m->has_data_time);
    assert_int_equal(m->data_time, HOUR0); /* HJ 212-2017: the interval's start */
    static const char *const codes[LT_POLL_N] = {"a21026", "a21004", "a21005",
                                                 "a05024", "a34002", "a34004"};
    for (int p = 0; p < LT_POLL_N; p++) {
        struct lt_hj212_item *it = item(m, codes[p]);
        assert_non_null(it);
        assert_true((it->has >> LT_VK_AVG) & 1);
        assert_true(lt_str_eq(it->flag, "N"));
        assert_true(it->v[LT_VK_AVG] == u.v[p]);
    }
    /* A pollutant the site does not measure is not sent. */
    u.has[LT_CO] = false;
    lt_sim_unit_hour(&u, NULL, HOUR0 + 3600);
    n = lt_sim_unit_segment(&u, true, 0, "q", seg, sizeof seg);
    parse(seg, n, m);
    assert_null(item(m, "a21005"));
    assert_int_equal(m->data_time, HOUR0 + 3600);
    /* Real time: CN 2011 at the second given, values within a few per cent of the hour's. */
    int64_t t = HOUR0 + 3600 + 1234;
    n = lt_sim_unit_segment(&u, false, t, "r", seg, sizeof seg);
    parse(seg, n, m);
    assert_int_equal(m->cn_num, 2011);
    assert_int_equal(m->data_time, t);
    struct lt_hj212_item *pm = item(m, "a34002");
    assert_non_null(pm);
    assert_true((pm->has >> LT_VK_RTD) & 1);
    assert_true(fabs(pm->v[LT_VK_RTD] / u.v[LT_PM10] - 1) < 0.25);
    /* Too small a buffer: 0, nothing half-written counted. */
    assert_int_equal(lt_sim_unit_segment(&u, true, 0, "q", seg, 40), 0);
    free(m);
}

static void test_air_walk(void **state)
{
    (void)state;
    struct lt_sim_unit u = air_unit();
    double prev = NAN, maxstep = 0, evening = 0, night = 0;
    int ne = 0, nn = 0;
    for (int k = 0; k < 24 * 60; k++) {
        int64_t h = HOUR0 + (int64_t)k * 3600;
        lt_sim_unit_hour(&u, NULL, h);
        double v = u.v[LT_PM25];
        /* Near the level: within a factor 3 for 60 days. */
        assert_true(v >= 40.0 / 3 && v <= 60.0 * 3);
        if (!isnan(prev) && fabs(log(v / prev)) > maxstep)
            maxstep = fabs(log(v / prev));
        prev = v;
        int hd = lt_natural_hour(h + 3600) - 1;
        if (hd >= 18 && hd <= 22) {
            evening += v;
            ne++;
        } else if (hd >= 2 && hd <= 6) {
            night += v;
            nn++;
        }
    }
    /* The diurnal level shows through: evenings about 60, nights about 40. */
    assert_true(evening / ne > 48 && evening / ne < 75);
    assert_true(night / nn > 32 && night / nn < 50);
    assert_true(evening / ne / (night / nn) > 1.3 && evening / ne / (night / nn) < 1.7);
    /* Hour to hour: the level's own step (log 1.5 at 17:00) plus a few per cent. */
    assert_true(maxstep < log(1.5) + 0.3);
}

static void test_cems(void **state)
{
    (void)state;
    struct lt_limits lim;
    lt_limits_init(&lim);
    assert_int_equal(lt_cli_load_limits("test", NULL, &lim, NULL, 0), 0);
    struct lt_sim_unit u;
    memset(&u, 0, sizeof u);
    u.cems = true;
    snprintf(u.mn, sizeof u.mn, "5A3D0000C000000000000001");
    snprintf(u.pw, sizeof u.pw, "123456");
    snprintf(u.outlet, sizeof u.outlet, "SIM-E01-DA001");
    snprintf(u.type, sizeof u.type, "cement_kiln"); /* PM 10, SO2 35, NOx 100 at 10 % O2 */
    static const double limit[LT_SIM_CEMS_N] = {35, 100, 10};
    int over = 0, hours = 24 * 30;
    struct lt_hj212_msg *m = malloc(sizeof *m);
    assert_non_null(m);
    for (int k = 0; k < hours; k++) {
        lt_sim_unit_hour(&u, &lim, HOUR0 + (int64_t)k * 3600);
        assert_true(u.o2 > 9 && u.o2 < 16);
        int n_over = 0;
        for (int f = 0; f < LT_SIM_CEMS_N; f++) {
            /* measured = corrected x (21 - O2) / (21 - 10), each to 0.01 */
            assert_true(fabs(u.meas[f] - u.zs[f] * (21 - u.o2) / 11) <= 0.01 + 1e-9 * u.zs[f]);
            assert_true(u.zs[f] > 0.3 * limit[f] && u.zs[f] <= 1.5 * limit[f]);
            n_over += u.zs[f] > limit[f];
        }
        assert_true(n_over <= 1);
        over += n_over;
    }
    /* About one hour in twelve (60 of 720), deterministic: a loose band around it. */
    assert_in_range(over, 30, 95);
    /* The frame: ST 31, O2 and each factor's Avg and ZsAvg. */
    char seg[1024];
    size_t n = lt_sim_unit_segment(&u, true, 0, "q", seg, sizeof seg);
    parse(seg, n, m);
    assert_true(lt_str_eq(m->st, "31"));
    assert_true(item(m, "a19001")->v[LT_VK_AVG] == u.o2);
    struct lt_hj212_item *so2 = item(m, "a21026");
    assert_non_null(so2);
    assert_true(so2->v[LT_VK_AVG] == u.meas[0] && so2->v[LT_VK_ZSAVG] == u.zs[0]);
    /* An outlet without a source type emits typical values, never judged. */
    u.type[0] = '\0';
    lt_sim_unit_hour(&u, &lim, HOUR0);
    for (int f = 0; f < LT_SIM_CEMS_N; f++)
        assert_true(u.zs[f] > 0 && u.meas[f] == u.zs[f]);
    free(m);
    lt_limits_release(&lim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_air_frames),
        cmocka_unit_test(test_air_walk),
        cmocka_unit_test(test_cems),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

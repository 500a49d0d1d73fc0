/* Unit tests of src/aq/stats.c: GB 3095 Table 4 validity, HJ 663 O3 8-h / MDA8 and percentiles,
 * period statistics (daily AQI per rule set, ratios, dust, exceedances, attainment, comprehensive
 * index) and competition ranking. Golden data: tests/data/stats_percentile.csv and
 * tests/data/stats_validity.csv. Rule sets: those of config/rules.ini, built in code and checked
 * against the file.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lantian/stats.h"
#include "lantian/util.h"

#define EPS     1e-9
#define MAXDAYS 800

/* cmocka 1.1 has no assert_double_equal: compare with a tolerance and report both values. */
#define assert_near(got, want, eps) check_near((got), (want), (eps), #got, __FILE__, __LINE__)

static void check_near(double got, double want, double eps, const char *expr, const char *file,
                       int line)
{
    if (fabs(got - want) <= eps)
        return;
    print_error("%s = %.12g, want %.12g\n", expr, got, want);
    _fail(file, line);
}

static struct lt_rules g_rules;
static struct lt_day g_days[MAXDAYS];

/* ---- helpers --------------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

static void set6(double *v, double so2, double no2, double co, double o3, double pm10, double pm25)
{
    v[LT_SO2] = so2;
    v[LT_NO2] = no2;
    v[LT_CO] = co;
    v[LT_O3] = o3;
    v[LT_PM10] = pm10;
    v[LT_PM25] = pm25;
}

/* The rule sets of config/rules.ini, built in code so that these tests exercise the statistics
 * and not the INI parser; test_fixture_matches_rules_ini checks that the two agree. */
static void build_rules(struct lt_rules *r)
{
    static const char *const names[3] = {"2012", "2026T", "2026"};
    memset(r, 0, sizeof *r);
    r->n = 3;
    for (int i = 0; i < 3; i++) {
        struct lt_ruleset *s = &r->set[i];
        snprintf(s->name, sizeof s->name, "%s", names[i]);
        s->aqi = i == 0 ? LT_ED_2012 : LT_ED_2026;
        set6(s->limit_1h, NAN, NAN, NAN, NAN, NAN, NAN);
        set6(s->pct, 98, 98, 95, 90, 95, 95);
        set6(s->index_s, 60, 40, 4, 160, 70, 35);
        set6(s->index_w, 1, 1, 1, 1, 1, 1);
        s->dust_exclude_ratios = false;
    }
    r->set[0].from_day = lt_days_from_civil(2012, 1, 1);
    r->set[0].to_day = lt_days_from_civil(2026, 2, 28);
    set6(r->set[0].limit_annual, 60, 40, NAN, NAN, 70, 35);
    set6(r->set[0].limit_daily, 150, 80, 4, 160, 150, 75);
    r->set[1].from_day = lt_days_from_civil(2026, 3, 1);
    r->set[1].to_day = lt_days_from_civil(2030, 12, 31);
    set6(r->set[1].limit_annual, 60, 40, NAN, NAN, 60, 30);
    set6(r->set[1].limit_daily, 150, 80, 4, 160, 120, 60);
    r->set[2].from_day = lt_days_from_civil(2031, 1, 1);
    r->set[2].to_day = lt_days_from_civil(2099, 12, 31);
    set6(r->set[2].limit_annual, 20, 30, NAN, NAN, 50, 25);
    set6(r->set[2].limit_daily, 50, 50, 4, 160, 100, 50);
}

static int setup_rules(void **state)
{
    (void)state;
    build_rules(&g_rules);
    return 0;
}

static bool same_num(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* The fixture above must describe the shipped config/rules.ini (read with lt_rules_parse from
 * LT_TEST_DATA/../../config/rules.ini) in every field the statistics use. */
static void test_fixture_matches_rules_ini(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = read_file(LT_TEST_DATA "/../../config/rules.ini", &len);
    assert_non_null(text);
    struct lt_rules *file = calloc(1, sizeof *file);
    assert_non_null(file);
    struct lt_diag d;
    memset(&d, 0, sizeof d);
    int rc = lt_rules_parse(file, text, len, &d);
    free(text);
    if (rc != 0) {
        free(file);
        fail_msg("config/rules.ini does not parse: %s", d.msg);
    }
    int bad = 0;
    for (int i = 0; i < g_rules.n; i++) {
        const struct lt_ruleset *a = &g_rules.set[i];
        const struct lt_ruleset *b = lt_rules_by_name(file, a->name);
        if (!b) {
            print_error("rules.ini has no rule set [%s]\n", a->name);
            bad++;
            continue;
        }
        if (a->from_day != b->from_day || a->to_day != b->to_day || a->aqi != b->aqi ||
            a->dust_exclude_ratios != b->dust_exclude_ratios) {
            print_error("[%s]: dates, aqi or dust_exclude_ratios differ\n", a->name);
            bad++;
        }
        for (int p = 0; p < LT_POLL_N; p++) {
            /* limit_annual of CO and O3 is not used by the statistics. */
            bool annual_used = p != LT_CO && p != LT_O3;
            if ((annual_used && !same_num(a->limit_annual[p], b->limit_annual[p])) ||
                !same_num(a->limit_daily[p], b->limit_daily[p]) ||
                !same_num(a->pct[p], b->pct[p]) || !same_num(a->index_s[p], b->index_s[p]) ||
                !same_num(a->index_w[p], b->index_w[p])) {
                print_error("[%s] %s: a limit, percentile or index value differs\n", a->name,
                            lt_pollutant_name((enum lt_pollutant)p));
                bad++;
            }
        }
    }
    free(file);
    assert_int_equal(bad, 0);
}

static int32_t day_of(const char *s)
{
    int32_t day = 0;
    int rc = lt_date_parse(lt_str_of(s), &day);
    assert_int_equal(rc, 0);
    return day;
}

static void fill(double *h, double v)
{
    for (int i = 0; i < 24; i++)
        h[i] = v;
}

/* A clean area-day: SO2 10, NO2 20, CO 0.5, O3 MDA8 80, PM10 40, PM2.5 20, O3 1-h max 90.
 * Daily AQI 40 under both editions. */
static void clean_day(struct lt_day *d)
{
    lt_day_init(d);
    d->c[LT_SO2] = 10;
    d->c[LT_NO2] = 20;
    d->c[LT_CO] = 0.5;
    d->c[LT_O3] = 80;
    d->c[LT_PM10] = 40;
    d->c[LT_PM25] = 20;
    d->o3_1h_max = 90;
}

static void clean_days(int n)
{
    assert_true(n <= MAXDAYS);
    for (int i = 0; i < n; i++)
        clean_day(&g_days[i]);
}

static void missing_day(struct lt_day *d)
{
    lt_day_init(d);
}

static int period(const char *from, const char *to, struct lt_period *out)
{
    int32_t a = day_of(from), b = day_of(to);
    assert_true(b >= a && b - a + 1 <= MAXDAYS);
    return lt_period_compute(g_days, a, b - a + 1, &g_rules, out);
}

/* ---- site-day: GB 3095 Table 4 daily mean ---------------------------------------------------- */

static void test_day_19_vs_20_hours(void **state)
{
    (void)state;
    double so2[24], no2[24];
    /* GB 3095-2012 Table 4: a daily mean needs >= 20 hourly values. */
    for (int i = 0; i < 24; i++) {
        so2[i] = i < 19 ? 10.0 + i : NAN; /* 19 valid */
        no2[i] = i < 20 ? 10.0 + i : NAN; /* 20 valid: mean of 10..29 = 19.5 */
    }
    const double *hours[LT_POLL_N] = {so2, no2, NULL, NULL, NULL, NULL};
    struct lt_day d;
    lt_day_from_hours(hours, 160, &d);
    assert_true(isnan(d.c[LT_SO2]));
    assert_int_equal(d.n[LT_SO2], 19);
    assert_near(d.c[LT_NO2], 19.5, EPS);
    assert_int_equal(d.n[LT_NO2], 20);
    /* Pollutants without data stay missing. */
    assert_true(isnan(d.c[LT_CO]));
    assert_int_equal(d.n[LT_CO], 0);
    assert_true(isnan(d.c[LT_O3]));
    assert_true(isnan(d.o3_1h_max));
}

static void test_day_hour24_belongs_to_day(void **state)
{
    (void)state;
    /* The natural day is hours 01..24 (GB 3095 / HJ 663; CNEMC writes hour 24 as 00 of the next
     * date). hours[23] is the hour ending 24:00: it counts towards this day's 20 hours and mean,
     * and the O3 window ending 24:00 uses it. */
    double pm[24], o3[24];
    for (int i = 0; i < 24; i++)
        pm[i] = i < 19 ? 50.0 : NAN;
    pm[23] = 240.0; /* 19 hours + hour 24 = 20 valid */
    fill(o3, 50.0);
    o3[23] = 290.0; /* window ending 24 (17..24): (7*50 + 290) / 8 = 80 */
    const double *hours[LT_POLL_N] = {NULL, NULL, NULL, o3, NULL, pm};
    struct lt_day d;
    lt_day_from_hours(hours, 160, &d);
    assert_int_equal(d.n[LT_PM25], 20);
    assert_near(d.c[LT_PM25], (19 * 50.0 + 240.0) / 20.0, EPS);
    assert_near(d.c[LT_O3], 80.0, EPS);
    assert_near(d.o3_1h_max, 290.0, EPS);
}

/* ---- O3 8-h windows and MDA8 (GB 3095 Table 4; HJ 663-2013 6.1.2) ---------------------------- */

static void test_o3_window_5_vs_6_hours(void **state)
{
    (void)state;
    double h[24];
    fill(h, 100.0);
    /* Window ending 16 covers hours 09..16 (indices 8..15). */
    h[8] = h[9] = NAN; /* 6 valid */
    assert_near(lt_o3_8h_window(h, 16), 100.0, EPS);
    h[10] = NAN; /* 5 valid */
    assert_true(isnan(lt_o3_8h_window(h, 16)));
    /* With 6 valid hours the mean is over those 6, not over 8. */
    fill(h, NAN);
    for (int i = 10; i < 16; i++)
        h[i] = 60.0 + 10.0 * (i - 10); /* 60..110 */
    assert_near(lt_o3_8h_window(h, 16), 85.0, EPS);
}

static void test_o3_window_ending_08_uses_01_08(void **state)
{
    (void)state;
    double h[24];
    for (int i = 0; i < 24; i++)
        h[i] = i + 1.0;                             /* the hour ending h has value h */
    assert_near(lt_o3_8h_window(h, 8), 4.5, EPS);   /* hours 01..08 */
    assert_near(lt_o3_8h_window(h, 24), 20.5, EPS); /* hours 17..24 */
    assert_true(isnan(lt_o3_8h_window(h, 7)));      /* no window ends before 08 */
    assert_true(isnan(lt_o3_8h_window(h, 25)));
    assert_true(isnan(lt_o3_8h_window(NULL, 8)));
    /* Hour 01 belongs to the window ending 08: without it only 7 hours remain, still valid, and
     * the mean moves. */
    h[0] = NAN;
    assert_near(lt_o3_8h_window(h, 8), 5.0, EPS);
}

static void test_mda8_value_and_1h_max(void **state)
{
    (void)state;
    double h[24];
    fill(h, 50.0);
    for (int i = 11; i < 16; i++)
        h[i] = 200.0; /* hours 12..16 */
    const double *hours[LT_POLL_N] = {NULL, NULL, NULL, h, NULL, NULL};
    struct lt_day d;
    lt_day_from_hours(hours, 160, &d);
    /* Windows ending 16..19 hold all five 200s: (5*200 + 3*50) / 8 = 143.75. */
    assert_near(d.c[LT_O3], 143.75, EPS);
    assert_int_equal(d.n[LT_O3], 17);
    assert_near(d.o3_1h_max, 200.0, EPS);
    assert_int_equal(d.o3_1h_n, 24);
}

/* O3 valid in hours 01..k only: windows ending 08..min(24, k+2) are valid, i.e. k - 5 windows. */
static void o3_first_hours(double *h, int k, double v)
{
    for (int i = 0; i < 24; i++)
        h[i] = i < k ? v : NAN;
}

static void test_mda8_13_vs_14_windows(void **state)
{
    (void)state;
    double h[24];
    const double *hours[LT_POLL_N] = {NULL, NULL, NULL, h, NULL, NULL};
    struct lt_day d;

    /* HJ 663-2013 6.1.2: >= 14 valid 8-h means from 08:00 to 24:00. */
    o3_first_hours(h, 19, 100.0);
    lt_day_from_hours(hours, 160, &d);
    assert_int_equal(d.n[LT_O3], 14);
    assert_near(d.c[LT_O3], 100.0, EPS);

    o3_first_hours(h, 18, 100.0);
    lt_day_from_hours(hours, 160, &d);
    assert_int_equal(d.n[LT_O3], 13);
    assert_true(isnan(d.c[LT_O3]));

    /* Fewer than 14 but above the limit: still valid. */
    o3_first_hours(h, 18, 200.0);
    lt_day_from_hours(hours, 160, &d);
    assert_int_equal(d.n[LT_O3], 13);
    assert_near(d.c[LT_O3], 200.0, EPS);

    /* Exactly at the limit does not exceed it; 161 does. */
    o3_first_hours(h, 18, 160.0);
    lt_day_from_hours(hours, 160, &d);
    assert_true(isnan(d.c[LT_O3]));
    o3_first_hours(h, 18, 161.0);
    lt_day_from_hours(hours, 160, &d);
    assert_near(d.c[LT_O3], 161.0, EPS);

    /* Without a limit (NaN) only the 14-window rule applies. */
    o3_first_hours(h, 18, 200.0);
    lt_day_from_hours(hours, NAN, &d);
    assert_true(isnan(d.c[LT_O3]));
}

static void test_o3_1h_max_19_vs_20_hours(void **state)
{
    (void)state;
    /* The O3 daily max 1-h needs >= 20 valid hours (lantian's reading; see STANDARDS-stats.md). */
    double h[24];
    const double *hours[LT_POLL_N] = {NULL, NULL, NULL, h, NULL, NULL};
    struct lt_day d;
    o3_first_hours(h, 19, 120.0);
    h[5] = 180.0;
    lt_day_from_hours(hours, 160, &d);
    assert_int_equal(d.o3_1h_n, 19);
    assert_true(isnan(d.o3_1h_max));
    o3_first_hours(h, 20, 120.0);
    h[5] = 180.0;
    lt_day_from_hours(hours, 160, &d);
    assert_int_equal(d.o3_1h_n, 20);
    assert_near(d.o3_1h_max, 180.0, EPS);
}

/* ---- area-day -------------------------------------------------------------------------------- */

static void test_day_area_mean_of_valid_sites(void **state)
{
    (void)state;
    struct lt_day s[3], a;
    for (int i = 0; i < 3; i++)
        clean_day(&s[i]);
    s[0].c[LT_PM25] = 30;
    s[1].c[LT_PM25] = NAN; /* not valid at this site */
    s[2].c[LT_PM25] = 41;
    s[0].c[LT_O3] = 100;
    s[1].c[LT_O3] = 110;
    s[2].c[LT_O3] = 121;
    s[0].o3_1h_max = NAN;
    s[1].flags = LT_DAY_F_DUST; /* site flags do not make an area flag */
    lt_day_area(s, 3, &a);
    assert_near(a.c[LT_PM25], 35.5, EPS);
    assert_int_equal(a.n[LT_PM25], 2);
    assert_near(a.c[LT_O3], 331.0 / 3.0, EPS);
    assert_int_equal(a.n[LT_O3], 3);
    assert_near(a.o3_1h_max, 90.0, EPS);
    assert_int_equal(a.o3_1h_n, 2);
    assert_int_equal(a.flags, 0);
    lt_day_area(s, 0, &a);
    assert_true(isnan(a.c[LT_SO2]));
    assert_int_equal(a.n[LT_SO2], 0);
}

/* ---- daily AQI ------------------------------------------------------------------------------- */

static void test_day_aqi_editions(void **state)
{
    (void)state;
    struct lt_day d;
    struct lt_aqi a;
    clean_day(&d);
    d.o3_1h_max = 300; /* O3 1-h IAQI 150 (HJ 633-2012 Table 1) */
    assert_int_equal(lt_day_aqi(&d, LT_ED_2012, &a), 0);
    assert_int_equal(a.aqi, 150);
    assert_int_equal(a.iaqi[LT_ITEM_O3_1H], 150);
    /* HJ 633-2026 4.2.2 dropped the O3 1-h max from the daily AQI. */
    assert_int_equal(lt_day_aqi(&d, LT_ED_2026, &a), 0);
    assert_int_equal(a.aqi, 40);
    /* PM2.5 70: 2012 IAQI 94 (93.75 up); 2026 IAQI 110 (100 + 10 * 50 / 55 = 109.09 up). */
    clean_day(&d);
    d.c[LT_PM25] = 70;
    assert_int_equal(lt_day_aqi(&d, LT_ED_2012, &a), 0);
    assert_int_equal(a.aqi, 94);
    assert_int_equal(lt_day_aqi(&d, LT_ED_2026, &a), 0);
    assert_int_equal(a.aqi, 110);
}

/* ---- percentile (HJ 663-2013 Appendix A) ----------------------------------------------------- */

static void test_percentile_golden(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = read_file(LT_TEST_DATA "/stats_percentile.csv", &len);
    assert_non_null(text);
    int rows = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        struct lt_str line = lt_str_trim((struct lt_str){text + pos, e - pos});
        pos = e + 1;
        if (line.len == 0 || line.p[0] == '#' || lt_str_eq(line, "values,p,expected,case"))
            continue;
        struct lt_str f[4];
        assert_int_equal(lt_csv_split(line, f, 4, NULL), 4);
        double v[64], p, expect;
        int n = 0;
        size_t i = 0;
        while (i < f[0].len) {
            while (i < f[0].len && f[0].p[i] == ' ')
                i++;
            size_t j = i;
            while (j < f[0].len && f[0].p[j] != ' ')
                j++;
            if (j > i) {
                assert_true(n < 64);
                assert_int_equal(lt_parse_double((struct lt_str){f[0].p + i, j - i}, &v[n]), 0);
                n++;
            }
            i = j;
        }
        assert_int_equal(lt_parse_double(f[1], &p), 0);
        assert_int_equal(lt_parse_double(f[2], &expect), 0);
        double got = lt_percentile(v, n, p);
        if (fabs(got - expect) > EPS)
            fail_msg("percentile row '%.*s': got %.12g, want %.12g", (int)line.len, line.p, got,
                     expect);
        for (int k = 1; k < n; k++)
            assert_true(v[k - 1] <= v[k]); /* sorted in place */
        rows++;
    }
    free(text);
    assert_true(rows >= 10);
}

static void test_percentile_edges(void **state)
{
    (void)state;
    double v[3] = {1, 2, 3};
    assert_true(isnan(lt_percentile(v, 0, 95)));
    assert_true(isnan(lt_percentile(NULL, 3, 95)));
    assert_true(isnan(lt_percentile(v, 3, 101)));
    assert_true(isnan(lt_percentile(v, 3, NAN)));
    /* A year of CO: n = 365, p = 95: k = 346.8 -> X(346) + 0.8 (X(347) - X(346)). */
    double y[365];
    for (int i = 0; i < 365; i++)
        y[i] = (double)(364 - i); /* 364 .. 0, reversed */
    assert_near(lt_percentile(y, 365, 95), 345.8, 1e-9);
    for (int i = 0; i < 365; i++)
        assert_near(y[i], (double)i, 0.0); /* sorted in place */
}

/* lt_period_compute selects the order statistics instead of sorting: it must agree exactly with
 * lt_percentile, for every length, with many ties, with sorted and reversed runs. */
static void test_period_percentile_matches_sort(void **state)
{
    (void)state;
    static double copy[MAXDAYS];
    unsigned seed = 12345;
    const int32_t day0 = day_of("2019-01-01");
    for (int t = 0; t < 400; t++) {
        seed = seed * 1103515245u + 12345u;
        int n = t < 40 ? t + 1 : 1 + (int)((seed >> 8) % 731);
        int pattern = t % 4;
        clean_days(n);
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            double pm;
            if (pattern == 0)
                pm = (double)((seed >> 16) % 7) * 10.0; /* few distinct values */
            else if (pattern == 1)
                pm = (double)i; /* ascending */
            else if (pattern == 2)
                pm = (double)(n - i); /* descending */
            else
                pm = (double)((seed >> 8) % 100000) / 100.0;
            g_days[i].c[LT_PM25] = pm;
            g_days[i].c[LT_CO] = (double)((seed >> 4) % 1000) / 100.0;
            g_days[i].c[LT_O3] = (double)((seed >> 12) % 300);
        }
        struct lt_period per;
        assert_int_equal(lt_period_compute(g_days, day0, n, &g_rules, &per), 0);
        const int pols[3] = {LT_PM25, LT_CO, LT_O3};
        for (int q = 0; q < 3; q++) {
            int p = pols[q];
            for (int i = 0; i < n; i++)
                copy[i] = g_days[i].c[p];
            double want = lt_percentile(copy, n, per.p[p].pct_p);
            if (!(per.p[p].pct == want))
                fail_msg("trial %d n %d %s: select %.17g, sort %.17g", t, n,
                         lt_pollutant_name((enum lt_pollutant)p), per.p[p].pct, want);
            for (int i = 1; i < n; i++)
                assert_true(copy[i - 1] <= copy[i]);
        }
    }
}

/* ---- period: validity (GB 3095 Table 4) ------------------------------------------------------ */

static void mark_missing(int32_t day0, int ndays, struct lt_str tok)
{
    int32_t a, b;
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < tok.len; i++)
        if (tok.p[i] == '.' && tok.p[i + 1] == '.')
            dots = tok.p + i;
    if (dots) {
        assert_int_equal(lt_date_parse((struct lt_str){tok.p, (size_t)(dots - tok.p)}, &a), 0);
        struct lt_str rest = {dots + 2, tok.len - (size_t)(dots + 2 - tok.p)};
        assert_int_equal(lt_date_parse(rest, &b), 0);
    } else {
        assert_int_equal(lt_date_parse(tok, &a), 0);
        b = a;
    }
    for (int32_t d = a; d <= b; d++) {
        assert_true(d >= day0 && d < day0 + ndays);
        missing_day(&g_days[d - day0]);
    }
}

static void test_validity_golden(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = read_file(LT_TEST_DATA "/stats_validity.csv", &len);
    assert_non_null(text);
    int rows = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        struct lt_str line = lt_str_trim((struct lt_str){text + pos, e - pos});
        pos = e + 1;
        if (line.len == 0 || line.p[0] == '#' ||
            lt_str_eq(line, "from,to,missing,valid,ndays,case"))
            continue;
        struct lt_str f[6];
        assert_int_equal(lt_csv_split(line, f, 6, NULL), 6);
        int32_t a, b;
        long long want_valid, want_n;
        assert_int_equal(lt_date_parse(f[0], &a), 0);
        assert_int_equal(lt_date_parse(f[1], &b), 0);
        assert_int_equal(lt_parse_int(f[3], 0, 1, &want_valid), 0);
        assert_int_equal(lt_parse_int(f[4], 0, 400, &want_n), 0);
        int n = b - a + 1;
        assert_true(n > 0 && n <= MAXDAYS);
        clean_days(n);
        size_t i = 0;
        while (i < f[2].len) {
            while (i < f[2].len && f[2].p[i] == ' ')
                i++;
            size_t j = i;
            while (j < f[2].len && f[2].p[j] != ' ')
                j++;
            if (j > i)
                mark_missing(a, n, (struct lt_str){f[2].p + i, j - i});
            i = j;
        }
        struct lt_period per;
        assert_int_equal(lt_period_compute(g_days, a, n, &g_rules, &per), 0);
        assert_int_equal(per.ndays, n);
        assert_int_equal(per.aqi_days, (int)want_n);
        for (int p = 0; p < LT_POLL_N; p++) {
            if (per.p[p].valid != (want_valid != 0) || per.p[p].ndays != (int)want_n)
                fail_msg("validity row '%.*s' pollutant %s: valid %d ndays %d", (int)line.len,
                         line.p, lt_pollutant_name((enum lt_pollutant)p), per.p[p].valid,
                         per.p[p].ndays);
        }
        rows++;
    }
    free(text);
    assert_true(rows >= 20);
}

/* Periods longer than a leap year take the heap scratch for the percentiles. */
static void test_period_two_years(void **state)
{
    (void)state;
    clean_days(731);
    for (int i = 0; i < 731; i++)
        g_days[i].c[LT_O3] = (double)(i % 100); /* 0..99 repeated */
    struct lt_period per;
    assert_int_equal(period("2019-01-01", "2020-12-31", &per), 0);
    assert_int_equal(per.ndays, 731);
    assert_int_equal(per.aqi_days, 731);
    assert_int_equal(per.p[LT_O3].ndays, 731);
    assert_true(per.p[LT_O3].valid);
    /* Sorted: 0..30 eight times (248 values), 31..99 seven times. p90: k = 658 -> X(658). */
    assert_near(per.p[LT_O3].pct, 89.0, EPS);
    /* Two calendar years are not "a whole calendar year": attainment not judged. */
    assert_int_equal(per.attain, -1);
}

/* The validity of one pollutant does not depend on another's gaps. */
static void test_validity_per_pollutant(void **state)
{
    (void)state;
    clean_days(31);
    for (int i = 0; i < 5; i++)
        g_days[i].c[LT_NO2] = NAN; /* NO2: 26 of 31 */
    struct lt_period per;
    assert_int_equal(period("2019-01-01", "2019-01-31", &per), 0);
    assert_false(per.p[LT_NO2].valid);
    assert_int_equal(per.p[LT_NO2].ndays, 26);
    assert_true(per.p[LT_SO2].valid);
    assert_int_equal(per.p[LT_SO2].ndays, 31);
}

/* ---- period: means, percentiles, rounding ---------------------------------------------------- */

static void test_period_means_and_percentiles(void **state)
{
    (void)state;
    /* Ten days of 2019-05 with varying values; hand-computed statistics. */
    clean_days(10);
    for (int i = 0; i < 10; i++) {
        g_days[i].c[LT_SO2] = 10.0 + i;        /* mean 14.5 -> 14 (half-even) */
        g_days[i].c[LT_CO] = 0.5 + 0.1 * i;    /* mean 0.95 -> 1.0 (half-even); p95 k=9.55 */
        g_days[i].c[LT_O3] = 100.0 + 10 * i;   /* mean 145; p90 k = 9.1 -> 181 */
        g_days[i].c[LT_PM25] = 30.0 + 2.5 * i; /* mean 41.25 -> 41 */
    }
    struct lt_period per;
    assert_int_equal(period("2019-05-01", "2019-05-10", &per), 0);
    assert_near(per.p[LT_SO2].mean, 14.5, EPS);
    assert_near(per.p[LT_SO2].mean_r, 14.0, EPS);
    assert_near(per.p[LT_CO].mean, 0.95, EPS);
    assert_near(per.p[LT_CO].mean_r, 1.0, EPS);
    assert_near(per.p[LT_CO].pct_p, 95.0, EPS);
    assert_near(per.p[LT_CO].pct, 1.355, EPS); /* 1.3 + 0.55 * 0.1 */
    assert_near(per.p[LT_CO].pct_r, 1.4, EPS);
    assert_near(per.p[LT_O3].mean, 145.0, EPS);
    assert_near(per.p[LT_O3].pct_p, 90.0, EPS);
    assert_near(per.p[LT_O3].pct, 181.0, EPS);
    assert_near(per.p[LT_O3].pct_r, 181.0, EPS);
    assert_near(per.p[LT_PM25].mean_r, 41.0, EPS);
    assert_near(per.p[LT_SO2].pct_p, 98.0, EPS);
    assert_near(per.p[LT_SO2].pct, 18.82, EPS); /* k = 9.82 */
    assert_near(per.p[LT_SO2].pct_r, 19.0, EPS);
    assert_int_equal(per.from, day_of("2019-05-01"));
    assert_int_equal(per.to, day_of("2019-05-10"));
    /* The O3 days above 160: 170, 180, 190. */
    assert_int_equal(per.p[LT_O3].exceed_days, 3);
    assert_string_equal(per.ruleset, "2012");
}

static void test_period_exceedance_uses_reported_value(void **state)
{
    (void)state;
    clean_days(4);
    g_days[0].c[LT_PM25] = 75.4; /* reported 75: not above 75 */
    g_days[1].c[LT_PM25] = 75.5; /* reported 76 (half-even) */
    g_days[2].c[LT_PM25] = 76.5; /* reported 76 */
    g_days[3].c[LT_PM25] = 74.0;
    g_days[0].c[LT_CO] = 4.04; /* reported 4.0: not above 4 */
    g_days[1].c[LT_CO] = 4.06; /* reported 4.1 */
    struct lt_period per;
    assert_int_equal(period("2019-05-01", "2019-05-04", &per), 0);
    assert_int_equal(per.p[LT_PM25].exceed_days, 2);
    assert_int_equal(per.p[LT_CO].exceed_days, 1);
    assert_int_equal(per.p[LT_SO2].exceed_days, 0);
}

/* ---- period: ratios -------------------------------------------------------------------------- */

static void test_ratio_rounding(void **state)
{
    (void)state;
    struct lt_period per;
    /* 2 good of 3: 66.666... -> 66.7; 1 heavy of 3 -> 33.3. PM10 400 -> IAQI 272 (heavy). */
    clean_days(3);
    g_days[2].c[LT_PM10] = 400;
    assert_int_equal(period("2019-05-01", "2019-05-03", &per), 0);
    assert_int_equal(per.aqi_days, 3);
    assert_int_equal(per.good_days, 2);
    assert_int_equal(per.heavy_days, 1);
    assert_near(per.good_ratio, 66.7, EPS);
    assert_near(per.heavy_ratio, 33.3, EPS);
    assert_int_equal(per.aqi_max, 272);
    assert_int_equal(per.level_days[1], 2);
    assert_int_equal(per.level_days[5], 1);

    /* GB/T 8170 half-even at 0.1: 15/16 = 93.75 -> 93.8, 1/16 = 6.25 -> 6.2 (half-up: 6.3). */
    clean_days(16);
    g_days[7].c[LT_PM10] = 400;
    assert_int_equal(period("2019-05-01", "2019-05-16", &per), 0);
    assert_near(per.good_ratio, 93.8, EPS);
    assert_near(per.heavy_ratio, 6.2, EPS);
    /* And the other way round: 1 good of 16 -> 6.2, 15 heavy of 16 -> 93.8. */
    for (int i = 0; i < 16; i++)
        g_days[i].c[LT_PM10] = i == 3 ? 40 : 400;
    assert_int_equal(period("2019-05-01", "2019-05-16", &per), 0);
    assert_int_equal(per.good_days, 1);
    assert_near(per.good_ratio, 6.2, EPS);
    assert_near(per.heavy_ratio, 93.8, EPS);

    /* AQI exactly 100 is good, 200 is not heavy (PM2.5 75 -> 100; PM2.5 150 -> 200 in 2012). */
    clean_days(2);
    g_days[0].c[LT_PM25] = 75;
    g_days[1].c[LT_PM25] = 150;
    assert_int_equal(period("2019-05-01", "2019-05-02", &per), 0);
    assert_int_equal(per.good_days, 1);
    assert_int_equal(per.heavy_days, 0);
    assert_int_equal(per.aqi_max, 200);

    /* Days without a valid AQI leave the denominator; none at all gives NaN ratios. */
    for (int i = 0; i < 2; i++)
        missing_day(&g_days[i]);
    assert_int_equal(period("2019-05-01", "2019-05-02", &per), 0);
    assert_int_equal(per.aqi_days, 0);
    assert_true(isnan(per.good_ratio));
    assert_true(isnan(per.heavy_ratio));
    assert_int_equal(per.aqi_max, LT_IAQI_NA);
}

static void test_edition_switch_in_period(void **state)
{
    (void)state;
    /* 2026-02-27 .. 2026-03-02: HJ 633-2012 on the first two days, HJ 633-2026 on the last two.
     * PM2.5 70: 2012 IAQI 94 (good); 2026 IAQI 110 (not good). */
    clean_days(4);
    for (int i = 0; i < 4; i++)
        g_days[i].c[LT_PM25] = 70;
    struct lt_period per;
    assert_int_equal(period("2026-02-27", "2026-03-02", &per), 0);
    assert_int_equal(per.editions, (1u << LT_ED_2012) | (1u << LT_ED_2026));
    assert_int_equal(per.aqi_days, 4);
    assert_int_equal(per.good_days, 2);
    assert_int_equal(per.level_days[2], 2);
    assert_int_equal(per.level_days[3], 2);
    assert_near(per.good_ratio, 50.0, EPS);
    assert_int_equal(per.aqi_max, 110);
    /* The period is judged with the rule set of its last day. */
    assert_string_equal(per.ruleset, "2026T");
    /* Each day's exceedance uses that day's limit: 70 <= 75 (2012), 70 > 60 (2026T). */
    assert_int_equal(per.p[LT_PM25].exceed_days, 2);

    /* A period entirely before the switch uses only the 2012 edition. */
    assert_int_equal(period("2026-02-25", "2026-02-28", &per), 0);
    assert_int_equal(per.editions, 1u << LT_ED_2012);
    assert_int_equal(per.good_days, 4);
    assert_string_equal(per.ruleset, "2012");
}

static void test_no_ruleset_is_einval(void **state)
{
    (void)state;
    clean_days(3);
    struct lt_period per;
    /* rules.ini starts on 2012-01-01. */
    assert_int_equal(period("2011-12-30", "2012-01-01", &per), LT_EINVAL);
    assert_int_equal(lt_period_compute(g_days, day_of("2019-01-01"), 0, &g_rules, &per), LT_EINVAL);
    assert_int_equal(lt_period_compute(NULL, day_of("2019-01-01"), 3, &g_rules, &per), LT_EINVAL);
    /* A rule set built in code with a gap. */
    struct lt_rules r = g_rules;
    r.n = 1;
    r.set[0].to_day = day_of("2019-05-01");
    assert_int_equal(lt_period_compute(g_days, day_of("2019-05-01"), 3, &r, &per), LT_EINVAL);
    assert_int_equal(lt_period_compute(g_days, day_of("2019-04-29"), 3, &r, &per), 0);
}

/* ---- period: dust ---------------------------------------------------------------------------- */

static void dust_fixture(void)
{
    /* Three days of 2019-05; day 3 is a dust day with PM10 400 and PM2.5 90. */
    clean_days(3);
    g_days[0].c[LT_PM10] = 100;
    g_days[1].c[LT_PM10] = 110;
    g_days[2].c[LT_PM10] = 400;
    g_days[2].c[LT_PM25] = 90;
    g_days[2].c[LT_SO2] = 13;
    g_days[2].flags = LT_DAY_F_DUST;
}

static void test_dust_kept_in_ratios(void **state)
{
    (void)state;
    dust_fixture();
    struct lt_period per;
    assert_int_equal(period("2019-05-01", "2019-05-03", &per), 0);
    assert_int_equal(per.dust_days, 1);
    /* PM of the dust day leave the means, percentiles and exceedances (环办监测〔2016〕120号). */
    assert_int_equal(per.p[LT_PM10].ndays, 2);
    assert_near(per.p[LT_PM10].mean, 105.0, EPS);
    assert_near(per.p[LT_PM10].pct, 109.5, EPS); /* k = 1.95 */
    assert_int_equal(per.p[LT_PM10].exceed_days, 0);
    assert_near(per.p[LT_PM25].mean, 20.0, EPS);
    /* Other pollutants of the dust day stay. */
    assert_int_equal(per.p[LT_SO2].ndays, 3);
    assert_near(per.p[LT_SO2].mean, 11.0, EPS);
    /* The dust day keeps its AQI (272, heavy) in the ratios. */
    assert_int_equal(per.aqi_days, 3);
    assert_int_equal(per.heavy_days, 1);
    assert_near(per.good_ratio, 66.7, EPS);
    assert_near(per.heavy_ratio, 33.3, EPS);
    assert_int_equal(per.aqi_max, 272);
    /* The index uses the PM means without the dust day: PM10 105 / 70. */
    assert_near(per.index_i[LT_PM10], 1.5, EPS);
}

static void test_dust_excluded_from_ratios(void **state)
{
    (void)state;
    dust_fixture();
    struct lt_rules r = g_rules;
    for (int i = 0; i < r.n; i++)
        r.set[i].dust_exclude_ratios = true;
    struct lt_period per;
    assert_int_equal(lt_period_compute(g_days, day_of("2019-05-01"), 3, &r, &per), 0);
    assert_int_equal(per.dust_days, 1);
    assert_int_equal(per.aqi_days, 2);
    assert_int_equal(per.good_days, 2);
    assert_int_equal(per.heavy_days, 0);
    assert_near(per.good_ratio, 100.0, EPS);
    assert_near(per.heavy_ratio, 0.0, EPS);
    assert_near(per.p[LT_PM10].mean, 105.0, EPS);
}

/* ---- period: attainment ---------------------------------------------------------------------- */

static void test_attainment(void **state)
{
    (void)state;
    struct lt_period per;

    /* A whole, valid year of clean days: every pollutant attains. */
    clean_days(365);
    assert_int_equal(period("2019-01-01", "2019-12-31", &per), 0);
    for (int p = 0; p < LT_POLL_N; p++)
        assert_int_equal(per.p[p].attain, 1);
    assert_int_equal(per.attain, 1);

    /* PM2.5: annual mean 25.48 -> 25 <= 35, but 25 days of 100 put p95 at 100 > 75 -> no. */
    for (int i = 0; i < 25; i++)
        g_days[i * 14].c[LT_PM25] = 100;
    assert_int_equal(period("2019-01-01", "2019-12-31", &per), 0);
    assert_near(per.p[LT_PM25].mean_r, 25.0, EPS);
    assert_near(per.p[LT_PM25].pct_r, 100.0, EPS);
    assert_int_equal(per.p[LT_PM25].attain, 0);
    assert_int_equal(per.p[LT_SO2].attain, 1);
    assert_int_equal(per.attain, 0);

    /* Annual mean above the limit after GB/T 8170: 35.5 -> 36 > 35 (percentile fine). */
    clean_days(365);
    for (int i = 0; i < 365; i++)
        g_days[i].c[LT_PM25] = 35.5;
    assert_int_equal(period("2019-01-01", "2019-12-31", &per), 0);
    assert_int_equal(per.p[LT_PM25].attain, 0);
    /* 34.5 -> 34: attained. */
    for (int i = 0; i < 365; i++)
        g_days[i].c[LT_PM25] = 34.5;
    assert_int_equal(period("2019-01-01", "2019-12-31", &per), 0);
    assert_int_equal(per.p[LT_PM25].attain, 1);

    /* CO and O3 by percentile only: a CO annual mean has no limit, O3 p90 of 161 fails. */
    clean_days(365);
    for (int i = 0; i < 40; i++)
        g_days[i].c[LT_O3] = 161; /* 40 of 365 above: p90 k = 328.6 -> 161 */
    assert_int_equal(period("2019-01-01", "2019-12-31", &per), 0);
    assert_near(per.p[LT_O3].pct_r, 161.0, EPS);
    assert_int_equal(per.p[LT_O3].attain, 0);
    assert_int_equal(per.p[LT_CO].attain, 1);

    /* Not a whole calendar year: not judged. */
    clean_days(365);
    assert_int_equal(period("2019-01-01", "2019-12-30", &per), 0);
    for (int p = 0; p < LT_POLL_N; p++)
        assert_int_equal(per.p[p].attain, -1);
    assert_int_equal(per.attain, -1);
    assert_int_equal(period("2019-01-02", "2020-01-01", &per), 0);
    assert_int_equal(per.attain, -1);

    /* A whole year whose SO2 is not valid (323 days): SO2 not judged, the rest attain -> -1. */
    clean_days(365);
    for (int m = 1; m <= 12; m++) {
        int k = m == 2 ? 2 : (lt_days_in_month(2019, m) == 31 ? 4 : 3);
        int32_t first = lt_days_from_civil(2019, m, 1) - day_of("2019-01-01");
        for (int i = 0; i < k; i++)
            g_days[first + i].c[LT_SO2] = NAN;
    }
    assert_int_equal(period("2019-01-01", "2019-12-31", &per), 0);
    assert_int_equal(per.p[LT_SO2].ndays, 323);
    assert_false(per.p[LT_SO2].valid);
    assert_int_equal(per.p[LT_SO2].attain, -1);
    assert_int_equal(per.p[LT_NO2].attain, 1);
    assert_int_equal(per.attain, -1);
    /* ... and with another pollutant failing, the overall answer is no. */
    for (int i = 0; i < 365; i++)
        g_days[i].c[LT_NO2] = 41;
    assert_int_equal(period("2019-01-01", "2019-12-31", &per), 0);
    assert_int_equal(per.p[LT_NO2].attain, 0);
    assert_int_equal(per.attain, 0);
}

/* ---- period: comprehensive index ------------------------------------------------------------- */

static void test_comprehensive_index(void **state)
{
    (void)state;
    /* 20 days of 2019-06. Reported values: SO2 12, NO2 30, PM10 80, PM2.5 45 (means), CO p95 1.2,
     * O3 p90 150. I = 12/60 + 30/40 + 1.2/4 + 150/160 + 80/70 + 45/35
     *   = 0.2 + 0.75 + 0.3 + 0.9375 + 1.142857 + 1.285714 = 4.616071 -> 4.62. */
    clean_days(20);
    for (int i = 0; i < 20; i++) {
        g_days[i].c[LT_SO2] = (i % 2) ? 12.4 : 11.4; /* mean 11.9 -> 12 */
        g_days[i].c[LT_NO2] = 30;
        g_days[i].c[LT_CO] = 1.2;
        g_days[i].c[LT_O3] = 150;
        g_days[i].c[LT_PM10] = 80;
        g_days[i].c[LT_PM25] = 45;
    }
    struct lt_period per;
    assert_int_equal(period("2019-06-01", "2019-06-20", &per), 0);
    assert_near(per.index_i[LT_SO2], 0.2, EPS); /* from the reported 12, not 11.9 */
    assert_near(per.index_i[LT_NO2], 0.75, EPS);
    assert_near(per.index_i[LT_CO], 0.3, EPS);
    assert_near(per.index_i[LT_O3], 0.9375, EPS);
    assert_near(per.index_i[LT_PM10], 80.0 / 70.0, EPS);
    assert_near(per.index_i[LT_PM25], 45.0 / 35.0, EPS);
    assert_near(per.index, 4.62, EPS);

    /* Weights from the rule set multiply the single indices. */
    struct lt_rules r = g_rules;
    for (int i = 0; i < r.n; i++)
        r.set[i].index_w[LT_PM25] = 3;
    assert_int_equal(lt_period_compute(g_days, day_of("2019-06-01"), 20, &r, &per), 0);
    assert_near(per.index_i[LT_PM25], 3 * 45.0 / 35.0, EPS);
    assert_near(per.index, 7.19, EPS); /* 4.616071 + 2 * 1.285714 = 7.187500 */

    /* A missing component: no index. */
    for (int i = 0; i < 20; i++)
        g_days[i].c[LT_CO] = NAN;
    assert_int_equal(period("2019-06-01", "2019-06-20", &per), 0);
    assert_true(isnan(per.index));
    assert_true(isnan(per.index_i[LT_CO]));
    assert_near(per.index_i[LT_NO2], 0.75, EPS);
}

/* ---- ranking --------------------------------------------------------------------------------- */

static void test_rank_competition(void **state)
{
    (void)state;
    const double v[] = {4.62, 3.10, 4.62, NAN, 1.00, 5.00};
    int rank[6];
    lt_rank_competition(v, 6, rank);
    assert_int_equal(rank[0], 3);
    assert_int_equal(rank[1], 2);
    assert_int_equal(rank[2], 3);
    assert_int_equal(rank[3], 0);
    assert_int_equal(rank[4], 1);
    assert_int_equal(rank[5], 5); /* "1224": after two thirds comes fifth */

    const double w[] = {1, 2, 2, 4};
    int r2[4];
    lt_rank_competition(w, 4, r2);
    assert_int_equal(r2[0], 1);
    assert_int_equal(r2[1], 2);
    assert_int_equal(r2[2], 2);
    assert_int_equal(r2[3], 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_matches_rules_ini),
        cmocka_unit_test(test_day_19_vs_20_hours),
        cmocka_unit_test(test_day_hour24_belongs_to_day),
        cmocka_unit_test(test_o3_window_5_vs_6_hours),
        cmocka_unit_test(test_o3_window_ending_08_uses_01_08),
        cmocka_unit_test(test_mda8_value_and_1h_max),
        cmocka_unit_test(test_mda8_13_vs_14_windows),
        cmocka_unit_test(test_o3_1h_max_19_vs_20_hours),
        cmocka_unit_test(test_day_area_mean_of_valid_sites),
        cmocka_unit_test(test_day_aqi_editions),
        cmocka_unit_test(test_percentile_golden),
        cmocka_unit_test(test_percentile_edges),
        cmocka_unit_test(test_period_percentile_matches_sort),
        cmocka_unit_test(test_validity_golden),
        cmocka_unit_test(test_validity_per_pollutant),
        cmocka_unit_test(test_period_two_years),
        cmocka_unit_test(test_period_means_and_percentiles),
        cmocka_unit_test(test_period_exceedance_uses_reported_value),
        cmocka_unit_test(test_ratio_rounding),
        cmocka_unit_test(test_edition_switch_in_period),
        cmocka_unit_test(test_no_ruleset_is_einval),
        cmocka_unit_test(test_dust_kept_in_ratios),
        cmocka_unit_test(test_dust_excluded_from_ratios),
        cmocka_unit_test(test_attainment),
        cmocka_unit_test(test_comprehensive_index),
        cmocka_unit_test(test_rank_competition),
    };
    return cmocka_run_group_tests(tests, setup_rules, NULL);
}

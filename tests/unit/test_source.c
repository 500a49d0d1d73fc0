/* Tests of pollution-source monitoring (src/source): oxygen correction (HJ 212-2017 App. D.2.3,
 * HJ 75-2017), limits from INI text with their line-numbered errors, effective dates and outlet
 * overrides, and the exceedance judgement of one hourly value with every data flag. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lantian/source.h"
#include "lantian/util.h"

#define EPS 1e-9

/* cmocka 1.1 compares floats only as float: compare doubles here (eps 0 = exactly). */
#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            fail_msg("%.17g != %.17g", a_, b_);                                                    \
    } while (0)

static const char test_ini[] = "# a test set\n"
                               "[coal-boiler]\n"
                               "type = coal_boiler\n"
                               "o2_ref = 9\n"
                               "source = test: coal boiler at 9 % O2\n"
                               "PM = 10\n"
                               "SO2 = 35\n"
                               "NOx = 50\n"
                               "\n"
                               "[gas-boiler]\n"
                               "type = gas_boiler\n"
                               "o2_ref = 3.5\n"
                               "source = test: gas boiler at 3.5 % O2\n"
                               "NOx = 30\n"
                               "\n"
                               "[cement-old]\n"
                               "type = cement_kiln\n"
                               "from = 2019-01-01\n"
                               "to = 2020-12-31\n"
                               "o2_ref = 10\n"
                               "source = test: older cement limits\n"
                               "SO2 = 50\n"
                               "NOx = 110\n"
                               "\n"
                               "[cement-new]\n"
                               "type = cement_kiln\n"
                               "from = 2021-01-01\n"
                               "o2_ref = 10\n"
                               "status = verified\n"
                               "source = test: newer cement limits\n"
                               "SO2 = 35\n"
                               "NOx = 100\n"
                               "\n"
                               "[glass]\n"
                               "type = glass_furnace\n"
                               "o2_ref = 8\n"
                               "o2_below_ref = measured\n"
                               "source = test: glass at 8 % O2\n"
                               "a21002 = 200\n"
                               "\n"
                               "[process]\n"
                               "type = process\n"
                               "o2_ref = none\n"
                               "source = test: no correction\n"
                               "NMHC = 60\n"
                               "\n"
                               "[sinter]\n"
                               "type = sinter\n"
                               "o2_ref = unknown\n"
                               "source = test: reference O2 not known\n"
                               "PM = 10\n"
                               "\n"
                               "[outlet:ENT001-DA001]\n"
                               "from = 2022-01-01\n"
                               "to = 2022-12-31\n"
                               "o2_ref = 10\n"
                               "source = test: a stricter permit for one kiln in 2022\n"
                               "SO2 = 20\n";

static void load(struct lt_limits *l)
{
    struct lt_diag d = {0};
    lt_limits_init(l);
    int rc = lt_limits_parse(l, test_ini, strlen(test_ini), &d);
    if (rc)
        fail_msg("parse: %s", d.msg);
    assert_int_equal(l->n, 12);
}

/* UTC start of the Beijing hour y-m-d h:00. */
static int64_t bj(int y, int m, int d, int h)
{
    return lt_bj_to_utc(lt_days_from_civil(y, m, d), h);
}

static struct lt_judgement judge(const struct lt_limits *l, const char *outlet, const char *type,
                                 const char *factor, int64_t t, double c, const char *flag,
                                 double o2, const char *o2_flag)
{
    struct lt_hour_obs o = {.outlet = outlet,
                            .type = type,
                            .factor = factor,
                            .data_time = t,
                            .measured = c,
                            .flag = flag,
                            .o2 = o2,
                            .o2_flag = o2_flag};
    struct lt_judgement j;
    assert_int_equal(lt_source_judge(l, &o, &j), 0);
    return j;
}

/* ---- oxygen correction ------------------------------------------------------------------------
 */

static void test_o2_correct(void **state)
{
    (void)state;
    /* HJ 212-2017 App. D.2.3: C_ref = C (21 - O2_ref) / (21 - O2). Worked by hand. */
    /* Coal boiler, 9 %: 100 at 12 % -> 100 x 12 / 9. */
    assert_near(lt_o2_correct(100, 12, 9), 1200.0 / 9.0, EPS);
    assert_near(lt_o2_correct(60, 15, 9), 120, 0);
    /* Gas boiler, 3.5 %: 40 at 10.5 % -> 40 x 17.5 / 10.5 = 66.67. */
    assert_near(lt_o2_correct(40, 10.5, 3.5), 700.0 / 10.5, EPS);
    assert_near(lt_o2_correct(30, 3.5, 3.5), 30, 0);
    /* Cement kiln, 10 %: 50 at 16 % -> 50 x 11 / 5 = 110, exactly. */
    assert_near(lt_o2_correct(50, 16, 10), 110, 0);
    /* Glass furnace, 8 %: 100 at 13 % -> 100 x 13 / 8 = 162.5; below the reference it shrinks. */
    assert_near(lt_o2_correct(100, 13, 8), 162.5, 0);
    assert_near(lt_o2_correct(100, 5, 8), 100.0 * 13 / 16, EPS);
    /* Dry air alone (O2 = 0) and zero drift pass; 21 % and beyond, or negatives, do not. */
    assert_near(lt_o2_correct(21, 0, 10), 11, EPS);
    assert_near(lt_o2_correct(-1, 12, 9), -12.0 / 9.0, EPS);
    assert_true(isnan(lt_o2_correct(100, 21, 9)));
    assert_true(isnan(lt_o2_correct(100, 25, 9)));
    assert_true(isnan(lt_o2_correct(100, -0.1, 9)));
    assert_true(isnan(lt_o2_correct(100, 12, 21)));
    assert_true(isnan(lt_o2_correct(100, 12, -1)));
    assert_true(isnan(lt_o2_correct(NAN, 12, 9)));
    assert_true(isnan(lt_o2_correct(100, NAN, 9)));
    assert_true(isnan(lt_o2_correct(100, 12, NAN)));
    assert_true(isnan(lt_o2_correct(INFINITY, 12, 9)));
}

/* ---- boundaries -------------------------------------------------------------------------------
 */

static void test_boundaries(void **state)
{
    (void)state;
    struct lt_limits l;
    load(&l);
    int64_t t = bj(2024, 6, 1, 10);

    /* At the limit is within; just above exceeds (no rounding before comparing). */
    struct lt_judgement j = judge(&l, "X", "coal_boiler", "a21026", t, 35, "N", 9, "N");
    assert_int_equal(j.state, LT_JUDGE_WITHIN);
    assert_near(j.corrected, 35, 0);
    j = judge(&l, "X", "coal_boiler", "a21026", t, 35.001, "N", 9, "N");
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);

    /* A value that corrects exactly onto the limit: 25 at 15 % O2 -> 25 x 12 / 6 = 50 (NOx 50). */
    j = judge(&l, "X", "coal_boiler", "a21002", t, 25, "N", 15, "N");
    assert_int_equal(j.state, LT_JUDGE_WITHIN);
    assert_near(j.corrected, 50, 0);
    j = judge(&l, "X", "coal_boiler", "a21002", t, 25.001, "N", 15, "N");
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);
    /* Evidence of the verdict. */
    assert_near(j.measured, 25.001, 0);
    assert_near(j.o2, 15, 0);
    assert_near(j.o2_ref, 9, 0);
    assert_near(j.limit, 50, 0);
    assert_string_equal(j.rule, "coal-boiler");
    assert_string_equal(j.source, "test: coal boiler at 9 % O2");
    assert_string_equal(j.flag, "N");
    assert_false(j.verified);
    assert_non_null(strstr(j.why, "exceeded"));

    /* A measured value under the limit that exceeds once corrected: gas boiler 20 at 10.5 % O2 is
     * 20 x 17.5 / 10.5 = 33.3 > 30. */
    j = judge(&l, "X", "gas_boiler", "a21002", t, 20, "N", 10.5, "");
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);
    assert_near(j.corrected, 350.0 / 10.5, EPS);
    /* Cement 10 %: 50 at 16 % is 110, above 100 from 2021. */
    j = judge(&l, "X", "cement_kiln", "a21002", t, 50, "N", 16, "N");
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);
    assert_near(j.corrected, 110, 0);
    assert_true(j.verified);
    /* Glass 8 %: 100 at 13 % is 162.5, within 200; 130 at 13 % is 211.25, above. */
    j = judge(&l, "X", "glass_furnace", "a21002", t, 100, "N", 13, "N");
    assert_int_equal(j.state, LT_JUDGE_WITHIN);
    assert_near(j.corrected, 162.5, 0);
    j = judge(&l, "X", "glass_furnace", "a21002", t, 130, "N", 13, "N");
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);
    /* o2_below_ref = measured: at 5 % O2 (below 8 %) the measured 201 is compared, not 163.3. */
    j = judge(&l, "X", "glass_furnace", "a21002", t, 201, "N", 5, "N");
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);
    assert_near(j.corrected, 201, 0);
    /* Coal boiler corrects below the reference too: 60 at 5 % O2 is 60 x 12 / 16 = 45 <= 50. */
    j = judge(&l, "X", "coal_boiler", "a21002", t, 60, "N", 5, "N");
    assert_int_equal(j.state, LT_JUDGE_WITHIN);
    assert_near(j.corrected, 45, 0);

    /* No correction: the measured value, with no O2 needed. */
    j = judge(&l, "X", "process", "a24088", t, 60, "N", NAN, NULL);
    assert_int_equal(j.state, LT_JUDGE_WITHIN);
    assert_true(isnan(j.o2_ref));
    j = judge(&l, "X", "process", "a24088", t, 60.5, "N", NAN, NULL);
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);

    /* No limit for the factor or type. */
    j = judge(&l, "X", "coal_boiler", "a21005", t, 1000, "N", 9, "N");
    assert_int_equal(j.state, LT_JUDGE_NO_LIMIT);
    j = judge(&l, "X", NULL, "a21026", t, 1000, "N", 9, "N");
    assert_int_equal(j.state, LT_JUDGE_NO_LIMIT);
    lt_limits_release(&l);
}

/* ---- flags and O2 --------------------------------------------------------------------------- */

static void test_flags(void **state)
{
    (void)state;
    struct lt_limits l;
    load(&l);
    int64_t t = bj(2024, 6, 1, 10);
    char want[64];

    /* HJ 212-2017 Table 8 and 2005 P: only N and T (and no flag) are judged. */
    static const char *const invalid[] = {"F", "M", "S", "D", "C", "B", "P", "Z", "n", "NN"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        struct lt_judgement j = judge(&l, "X", "coal_boiler", "a21026", t, 500, invalid[i], 9, "N");
        assert_int_equal(j.state, LT_JUDGE_NOT_JUDGED);
        snprintf(want, sizeof want, "not judged: flag %s", invalid[i]);
        if (strncmp(j.why, want, strlen(want)) != 0)
            fail_msg("flag %s: '%s'", invalid[i], j.why);
        assert_true(isnan(j.corrected));
        /* The limit in force is still named as evidence. */
        assert_near(j.limit, 35, 0);
        assert_string_equal(j.flag, invalid[i]);
    }
    struct lt_judgement j = judge(&l, "X", "coal_boiler", "a21026", t, 500, "D", 9, "N");
    assert_non_null(strstr(j.why, "instrument fault"));
    static const char *const valid[] = {"N", "T", ""};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        j = judge(&l, "X", "coal_boiler", "a21026", t, 500, valid[i], 9, "N");
        assert_int_equal(j.state, LT_JUDGE_EXCEEDED);
    }
    j = judge(&l, "X", "coal_boiler", "a21026", t, 500, NULL, 9, NULL);
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);

    /* The limit needs correction: O2 missing, flagged or out of range -> not judged, saying why.
     */
    j = judge(&l, "X", "coal_boiler", "a21026", t, 500, "N", NAN, NULL);
    assert_int_equal(j.state, LT_JUDGE_NOT_JUDGED);
    assert_non_null(strstr(j.why, "no O2"));
    j = judge(&l, "X", "coal_boiler", "a21026", t, 500, "N", 9, "D");
    assert_int_equal(j.state, LT_JUDGE_NOT_JUDGED);
    assert_non_null(strstr(j.why, "O2 value is flagged D"));
    j = judge(&l, "X", "coal_boiler", "a21026", t, 500, "N", 21, "N");
    assert_int_equal(j.state, LT_JUDGE_NOT_JUDGED);
    assert_non_null(strstr(j.why, "outside"));
    j = judge(&l, "X", "coal_boiler", "a21026", t, 500, "N", -2, "N");
    assert_int_equal(j.state, LT_JUDGE_NOT_JUDGED);
    /* The reference O2 is unknown: not judged rather than judged wrongly. */
    j = judge(&l, "X", "sinter", "a34013", t, 500, "N", 12, "N");
    assert_int_equal(j.state, LT_JUDGE_NOT_JUDGED);
    assert_non_null(strstr(j.why, "reference O2"));

    /* Bad arguments. */
    struct lt_hour_obs o = {.type = "coal_boiler", .factor = "a21026", .measured = NAN};
    assert_int_equal(lt_source_judge(&l, &o, &j), LT_EINVAL);
    o.measured = 1;
    o.factor = NULL;
    assert_int_equal(lt_source_judge(&l, &o, &j), LT_EINVAL);
    lt_limits_release(&l);
}

/* ---- effective dates and overrides ----------------------------------------------------------- */

static void test_dates_and_overrides(void **state)
{
    (void)state;
    struct lt_limits l;
    load(&l);

    /* The hour starting 2020-12-31 23:00 (Beijing) is judged by the old set, 00:00 the next day
     * by the new one: SO2 40 at 10 % is within 50, above 35. */
    struct lt_judgement j =
        judge(&l, "X", "cement_kiln", "a21026", bj(2020, 12, 31, 23), 40, "N", 10, "N");
    assert_int_equal(j.state, LT_JUDGE_WITHIN);
    assert_string_equal(j.rule, "cement-old");
    assert_near(j.limit, 50, 0);
    j = judge(&l, "X", "cement_kiln", "a21026", bj(2021, 1, 1, 0), 40, "N", 10, "N");
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);
    assert_string_equal(j.rule, "cement-new");
    /* Before the first set: no limit. From is inclusive. */
    j = judge(&l, "X", "cement_kiln", "a21026", bj(2018, 12, 31, 23), 40, "N", 10, "N");
    assert_int_equal(j.state, LT_JUDGE_NO_LIMIT);
    j = judge(&l, "X", "cement_kiln", "a21026", bj(2019, 1, 1, 0), 40, "N", 10, "N");
    assert_int_equal(j.state, LT_JUDGE_WITHIN);

    /* The outlet override wins in 2022 (both ends inclusive), the type default otherwise; factors
     * the override does not set fall back to the type. */
    const struct lt_limit *x =
        lt_limits_find(&l, "ENT001-DA001", "cement_kiln", "a21026", lt_days_from_civil(2022, 1, 1));
    assert_non_null(x);
    assert_near(x->limit, 20, 0);
    x = lt_limits_find(&l, "ENT001-DA001", "cement_kiln", "a21026",
                       lt_days_from_civil(2022, 12, 31));
    assert_string_equal(x->rule, "outlet:ENT001-DA001");
    assert_string_equal(x->outlet, "ENT001-DA001");
    x = lt_limits_find(&l, "ENT001-DA001", "cement_kiln", "a21026", lt_days_from_civil(2023, 1, 1));
    assert_string_equal(x->rule, "cement-new");
    x = lt_limits_find(&l, "ENT001-DA001", "cement_kiln", "a21002", lt_days_from_civil(2022, 6, 1));
    assert_string_equal(x->rule, "cement-new");
    /* Another outlet of the same type gets the default. */
    x = lt_limits_find(&l, "ENT002-DA001", "cement_kiln", "a21026", lt_days_from_civil(2022, 6, 1));
    assert_near(x->limit, 35, 0);
    /* The override applies even when the type is unknown. */
    j = judge(&l, "ENT001-DA001", NULL, "a21026", bj(2022, 6, 1, 8), 25, "N", 10, "N");
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);
    assert_near(j.limit, 20, 0);
    assert_null(lt_limits_find(&l, NULL, NULL, "a21026", 0));
    assert_null(lt_limits_find(&l, "ENT001-DA001", "cement_kiln", NULL, 0));
    lt_limits_release(&l);
}

/* ---- parse errors --------------------------------------------------------------------------- */

static void expect_error(const char *text, int code, size_t line, const char *needle)
{
    struct lt_limits l;
    struct lt_diag d = {0};
    lt_limits_init(&l);
    int rc = lt_limits_parse(&l, text, strlen(text), &d);
    lt_limits_release(&l);
    if (rc != code || d.offset != line || !strstr(d.msg, needle))
        fail_msg("want %d at line %zu with '%s', got %d at %zu: %s", code, line, needle, rc,
                 d.offset, d.msg);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("[a]\ntype = t\no2_ref = 9\nsource = s\nPX = 10\n", LT_EPARSE, 5,
                 "line 5: unknown key 'PX'");
    expect_error("[a]\ntype = t\no2_ref = 9\nsource = s\nPM = ten\n", LT_EPARSE, 5,
                 "not a positive number");
    expect_error("[a]\ntype = t\no2_ref = 9\nsource = s\nPM = -1\n", LT_EPARSE, 5,
                 "not a positive number");
    expect_error("[a]\ntype = t\no2_ref = 21\nsource = s\nPM = 10\n", LT_EPARSE, 3, "o2_ref");
    expect_error("[a]\ntype = t\no2_ref = 9\nfrom = 2021-02-30\nsource = s\nPM = 10\n", LT_EPARSE,
                 4, "not a YYYY-MM-DD date");
    expect_error("[a]\ntype = t\noutlet = o\no2_ref = 9\nsource = s\nPM = 10\n", LT_EINVAL, 2,
                 "not both or neither");
    expect_error("[a]\no2_ref = 9\nsource = s\nPM = 10\n", LT_EINVAL, 2, "not both or neither");
    expect_error("[a]\ntype = t\nsource = s\nPM = 10\n", LT_EINVAL, 2, "o2_ref is required");
    expect_error("[a]\ntype = t\no2_ref = 9\nPM = 10\n", LT_EINVAL, 2, "source is required");
    expect_error("[a]\ntype = t\no2_ref = 9\nsource = s\n", LT_EINVAL, 2, "no limit");
    expect_error("[a]\ntype = t\no2_ref = 9\nsource = s\nPM = 10\na34013 = 5\n", LT_EEXIST, 6,
                 "given twice");
    expect_error("PM = 10\n", LT_EPARSE, 1, "outside a [section]");
    expect_error("[a]\ntype = t\no2_ref = 9\nsource = s\nPM = 10\nnot an ini line\n", LT_EPARSE, 6,
                 "line 6");
    expect_error("[a]\ntype = t\nfrom = 2022-01-01\nto = 2021-01-01\no2_ref = 9\nsource = s\n"
                 "PM = 10\n",
                 LT_EINVAL, 2, "from is after to");
    /* Overlapping limits of the same type and factor; adjacent ranges are fine. */
    expect_error("[a]\ntype = t\nto = 2021-01-01\no2_ref = 9\nsource = s\nPM = 10\n"
                 "[b]\ntype = t\nfrom = 2021-01-01\no2_ref = 9\nsource = s\nPM = 5\n",
                 LT_EEXIST, 0, "[a] and [b] both set a34013");
    expect_error("[outlet:]\no2_ref = 9\nsource = s\nPM = 10\n", LT_EINVAL, 2, "[outlet:ID]");
    expect_error("[a]\ntype = t\no2_ref = 9\nsource = s\nPM = 10\n[b]\ntype = u\no2_ref = 9\n"
                 "source = s\nPM = 10\n[a]\ntype = v\n",
                 LT_EEXIST, 12, "given twice");
    expect_error("", LT_EINVAL, 0, "no limit defined");

    struct lt_limits l;
    struct lt_diag d = {0};
    lt_limits_init(&l);
    const char *ok = "[a]\ntype = t\nto = 2020-12-31\no2_ref = 9\nsource = s\nPM = 10\n"
                     "[b]\ntype = t\nfrom = 2021-01-01\no2_ref = 9\nsource = s\nPM = 5\n";
    assert_int_equal(lt_limits_parse(&l, ok, strlen(ok), &d), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[0].from_day, LT_LIMIT_OPEN_FROM);
    assert_int_equal(l.v[1].to_day, LT_LIMIT_OPEN_TO);
    lt_limits_release(&l);
    lt_limits_release(NULL);
}

/* ---- the shipped configuration ------------------------------------------------------------- */

static void test_shipped_config(void **state)
{
    (void)state;
    const char *path = LT_TEST_DATA "/../../config/emission_limits.ini";
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    assert_true(n > 0 && n < sizeof buf - 1);

    struct lt_limits l;
    struct lt_diag d = {0};
    lt_limits_init(&l);
    if (lt_limits_parse(&l, buf, n, &d))
        fail_msg("%s: %s", path, d.msg);
    /* Every limit names its source, and none is claimed as verified: the notes were not checked
     * against the official texts (henan-rules.md §0). */
    for (int i = 0; i < l.n; i++) {
        assert_true(strlen(l.v[i].source) > 20);
        assert_false(l.v[i].verified);
    }
    /* henan-rules.md §8.1: Henan cement-kiln ultra-low 10 / 35 / 100 at 10 % O2. */
    int32_t day = lt_days_from_civil(2024, 6, 1);
    const struct lt_limit *x = lt_limits_find(&l, NULL, "cement_kiln", "a21002", day);
    assert_non_null(x);
    assert_near(x->limit, 100, 0);
    assert_near(x->o2_ref, 10, 0);
    /* The 2021 furnace limits need a sector reference O2 the notes do not give. */
    struct lt_judgement j = judge(&l, "ENT9", "industrial_furnace_urban", "a21002",
                                  bj(2024, 6, 1, 0), 80, "N", 12, "N");
    assert_int_equal(j.state, LT_JUDGE_NOT_JUDGED);
    assert_null(lt_limits_find(&l, NULL, "industrial_furnace_urban", "a21002",
                               lt_days_from_civil(2020, 12, 31)));
    /* Coke oven at 8 % O2: SO2 30; 20 at 13 % O2 is 20 x 13 / 8 = 32.5 > 30. */
    j = judge(&l, "ENT9", "coke_oven", "a21026", bj(2024, 6, 1, 0), 20, "N", 13, "N");
    assert_int_equal(j.state, LT_JUDGE_EXCEEDED);
    assert_near(j.corrected, 32.5, 0);
    lt_limits_release(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_o2_correct),   cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_flags),        cmocka_unit_test(test_dates_and_overrides),
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_shipped_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

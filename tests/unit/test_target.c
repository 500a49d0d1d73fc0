/* Unit tests of plan targets and the remaining-days budget (lt_target_evaluate). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lantian/target.h"
#include "lantian/util.h"

static struct lt_rules rules;

static int setup(void **state)
{
    (void)state;
    FILE *f = fopen(LT_TEST_DATA "/../../config/rules.ini", "rb");
    static char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    struct lt_diag d;
    return lt_rules_parse(&rules, buf, len, &d);
}

/* A valid area-day with the given PM2.5 daily mean; the other pollutants low. */
static void day_with(struct lt_day *d, double pm25)
{
    lt_day_init(d);
    double c[LT_POLL_N] = {10, 20, 0.5, 50, 60, 0};
    c[LT_PM25] = pm25;
    for (int p = 0; p < LT_POLL_N; p++) {
        d->c[p] = c[p];
        d->n[p] = 1;
    }
    d->o3_1h_max = 60;
    d->o3_1h_n = 1;
}

static struct lt_target target_2019(void)
{
    struct lt_target t;
    memset(&t, 0, sizeof(t));
    snprintf(t.area, sizeof(t.area), "郑州");
    t.year = 2019;
    for (int k = 0; k < LT_TGT_N; k++)
        t.value[k] = NAN;
    t.value[LT_TGT_PM25] = 40;
    t.value[LT_TGT_GOOD_RATIO] = 66.5;
    t.value[LT_TGT_HEAVY_RATIO] = 1.2;
    return t;
}

/* Ten days of PM2.5 50 (IAQI 69 under HJ 633-2012: good, not heavy), as of 2019-01-10. */
static void test_budget_early_year(void **state)
{
    (void)state;
    struct lt_day days[10];
    for (int i = 0; i < 10; i++)
        day_with(&days[i], 50);
    struct lt_target t = target_2019();
    struct lt_target_status s;
    assert_int_equal(lt_target_evaluate(&t, days, lt_days_from_civil(2019, 1, 10), &rules, &s), 0);
    assert_int_equal(s.days_elapsed, 10);
    assert_int_equal(s.days_remaining, 355);
    /* PM2.5: the annual mean reports as 40 up to 40.5 (40 is even: 40.5 rounds half-even to 40),
     * so the remaining 355 days may average (40.5 * 365 - 500) / 355 = 40.232... -> 40.2. */
    const struct lt_target_item *pm = &s.item[LT_TGT_PM25];
    assert_int_equal(pm->state, LT_TGT_BEHIND);
    assert_true(pm->current == 50);
    assert_true(fabs(pm->budget - 40.2) < 1e-9);
    /* Good days: 243 of 365 report as 66.6 % >= 66.5 % (242 give 66.3 %); 10 so far. */
    const struct lt_target_item *g = &s.item[LT_TGT_GOOD_RATIO];
    assert_int_equal(g->state, LT_TGT_ON_TRACK);
    assert_int_equal(g->needed, 233);
    assert_true(g->budget == 355 - 233);
    assert_true(g->current == 100.0);
    /* Heavy days: 4 of 365 = 1.1 % <= 1.2 %, 5 = 1.4 %. */
    const struct lt_target_item *h = &s.item[LT_TGT_HEAVY_RATIO];
    assert_int_equal(h->state, LT_TGT_ON_TRACK);
    assert_true(h->budget == 4);
    assert_int_equal(s.item[LT_TGT_PM10].state, LT_TGT_UNSET);
}

/* Late in the year with a high mean the PM2.5 target cannot be met any more; heavy days already
 * above the allowance make that target unreachable too. */
static void test_unreachable(void **state)
{
    (void)state;
    int n = 364;
    struct lt_day *days = calloc((size_t)n, sizeof(*days));
    for (int i = 0; i < n; i++)
        day_with(&days[i], i < 6 ? 160 : 100); /* 160 -> IAQI 210 (heavy) under HJ 633-2012 */
    struct lt_target t = target_2019();
    struct lt_target_status s;
    assert_int_equal(lt_target_evaluate(&t, days, lt_days_from_civil(2019, 12, 30), &rules, &s), 0);
    assert_int_equal(s.days_remaining, 1);
    assert_int_equal(s.item[LT_TGT_PM25].state, LT_TGT_UNREACHABLE);
    assert_int_equal(s.ytd.heavy_days, 6);
    assert_int_equal(s.item[LT_TGT_HEAVY_RATIO].state, LT_TGT_UNREACHABLE);
    assert_int_equal(s.item[LT_TGT_GOOD_RATIO].state, LT_TGT_UNREACHABLE);
    /* The whole year: the state becomes met / missed. */
    struct lt_day *all = realloc(days, sizeof(*days) * 365);
    day_with(&all[364], 30);
    assert_int_equal(lt_target_evaluate(&t, all, lt_days_from_civil(2019, 12, 31), &rules, &s), 0);
    assert_int_equal(s.item[LT_TGT_PM25].state, LT_TGT_MISSED);
    free(all);
}

/* "<36" (低于36): the reported integer must be 35 or less, so the mean must stay below 35.5
 * (35 is odd: 35.5 rounds half-even to 36). "36": up to 36.5 inclusive. */
static void test_strict_and_even_odd(void **state)
{
    (void)state;
    struct lt_day days[1];
    day_with(&days[0], 35.5);
    struct lt_target t = target_2019();
    t.value[LT_TGT_PM25] = 36;
    t.strict[LT_TGT_PM25] = true;
    struct lt_target_status s;
    /* One day at 35.5 reports as 36: not below 36. */
    assert_int_equal(lt_target_evaluate(&t, days, lt_days_from_civil(2019, 1, 1), &rules, &s), 0);
    assert_true(s.item[LT_TGT_PM25].current == 36);
    assert_int_equal(s.item[LT_TGT_PM25].state, LT_TGT_BEHIND);
    /* Budget: (35.5 * 365 - 35.5) / 364 = 35.5 exactly, exclusive -> 35.4. */
    assert_true(fabs(s.item[LT_TGT_PM25].budget - 35.4) < 1e-9);
    t.strict[LT_TGT_PM25] = false;
    day_with(&days[0], 36.5);
    assert_int_equal(lt_target_evaluate(&t, days, lt_days_from_civil(2019, 1, 1), &rules, &s), 0);
    assert_true(s.item[LT_TGT_PM25].current == 36);
    assert_int_equal(s.item[LT_TGT_PM25].state, LT_TGT_ON_TRACK);
    assert_true(fabs(s.item[LT_TGT_PM25].budget - 36.5) < 1e-9);
}

/* A target set under the 2012 rules counts good days under HJ 633-2012 even for 2026 data: PM2.5
 * 70 is good under 2012 (IAQI 94) but not under 2026 (IAQI 110). */
static void test_ruleset_of_target(void **state)
{
    (void)state;
    struct lt_day days[90];
    for (int i = 0; i < 90; i++)
        day_with(&days[i], 70);
    struct lt_target t = target_2019();
    t.year = 2026;
    t.value[LT_TGT_PM25] = NAN;
    int32_t as_of = lt_days_from_civil(2026, 3, 31);
    struct lt_target_status s;
    assert_int_equal(lt_target_evaluate(&t, days, as_of, &rules, &s), 0);
    assert_int_equal(s.ytd.good_days, 59); /* January and February only */
    snprintf(t.ruleset, sizeof(t.ruleset), "2012");
    assert_int_equal(lt_target_evaluate(&t, days, as_of, &rules, &s), 0);
    assert_int_equal(s.ytd.good_days, 90);
    snprintf(t.ruleset, sizeof(t.ruleset), "1996");
    assert_int_equal(lt_target_evaluate(&t, days, as_of, &rules, &s), LT_ENOTFOUND);
    assert_int_equal(lt_target_evaluate(&t, days, lt_days_from_civil(2027, 1, 1), &rules, &s),
                     LT_ERANGE);
}

static void test_targets_parse(void **state)
{
    (void)state;
    const char *ini = "[驻马店市 2025]\narea = 驻马店\nyear = 2025\nruleset = 2012\npm25 = <36\n"
                      "good_ratio = 82.5%\nheavy_ratio = 0.3\ngood_days = 230\n";
    struct lt_target t[4];
    struct lt_diag d;
    assert_int_equal(lt_targets_parse(ini, strlen(ini), t, 4, &d), 1);
    assert_string_equal(t[0].area, "驻马店");
    assert_true(t[0].value[LT_TGT_PM25] == 36 && t[0].strict[LT_TGT_PM25]);
    assert_true(t[0].value[LT_TGT_GOOD_RATIO] == 82.5 && !t[0].strict[LT_TGT_GOOD_RATIO]);
    assert_true(t[0].value[LT_TGT_GOOD_DAYS] == 230);
    assert_true(isnan(t[0].value[LT_TGT_INDEX]));
    const char *bad = "[x]\narea = a\nyear = 2025\ngood_ratio = 120\n";
    assert_true(lt_targets_parse(bad, strlen(bad), t, 4, &d) < 0);
    assert_int_equal(d.offset, 4);
    const char *noarea = "[x]\nyear = 2025\n";
    assert_true(lt_targets_parse(noarea, strlen(noarea), t, 4, &d) < 0);
    const char *unknown = "[x]\narea = a\nyear = 2025\nspeed = 3\n";
    assert_true(lt_targets_parse(unknown, strlen(unknown), t, 4, &d) < 0);
    assert_non_null(strstr(d.msg, "unknown key"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_early_year),   cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_strict_and_even_odd), cmocka_unit_test(test_ruleset_of_target),
        cmocka_unit_test(test_targets_parse),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

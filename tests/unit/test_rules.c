/* Unit tests of rule sets (config/rules.ini): chosen by the data's date, errors name the line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lantian/rules.h"
#include "lantian/util.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static int32_t D(int y, int m, int d)
{
    return lt_days_from_civil(y, m, d);
}

/* The switch of editions: HJ 633-2012 / GB 3095-2012 up to 2026-02-28, HJ 633-2026 with the
 * GB 3095-2026 transition limits from 2026-03-01, the final limits from 2031-01-01. */
static void test_default_rules_by_date(void **state)
{
    (void)state;
    size_t len;
    char *text = slurp(LT_TEST_DATA "/../../config/rules.ini", &len);
    struct lt_rules r;
    struct lt_diag d = {0};
    assert_int_equal(lt_rules_parse(&r, text, len, &d), 0);
    free(text);
    const struct lt_ruleset *a = lt_rules_for_day(&r, D(2026, 2, 28));
    const struct lt_ruleset *b = lt_rules_for_day(&r, D(2026, 3, 1));
    const struct lt_ruleset *c = lt_rules_for_day(&r, D(2030, 12, 31));
    const struct lt_ruleset *e = lt_rules_for_day(&r, D(2031, 1, 1));
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->name, "2012");
    assert_int_equal(a->aqi, LT_ED_2012);
    assert_string_equal(b->name, "2026T");
    assert_int_equal(b->aqi, LT_ED_2026);
    assert_ptr_equal(b, c);
    assert_string_equal(e->name, "2026");
    /* GB 3095-2012 Table 1 vs GB 3095-2026 Table 1 (transition, final). */
    assert_true(a->limit_annual[LT_PM25] == 35 && a->limit_daily[LT_PM25] == 75);
    assert_true(b->limit_annual[LT_PM25] == 30 && b->limit_daily[LT_PM25] == 60);
    assert_true(e->limit_annual[LT_PM25] == 25 && e->limit_daily[LT_PM25] == 50);
    assert_true(b->limit_daily[LT_PM10] == 120 && e->limit_annual[LT_SO2] == 20);
    assert_true(isnan(a->limit_annual[LT_CO]) && isnan(a->limit_annual[LT_O3]));
    assert_true(a->pct[LT_CO] == 95 && a->pct[LT_O3] == 90 && a->pct[LT_SO2] == 98);
    assert_true(a->index_s[LT_PM25] == 35 && a->index_s[LT_O3] == 160 && a->index_s[LT_CO] == 4);
    assert_null(lt_rules_for_day(&r, D(2011, 12, 31)));
    assert_ptr_equal(lt_rules_by_name(&r, "2026T"), b);
    assert_null(lt_rules_by_name(&r, "1996"));
}

static const char *const good = "[a]\nfrom = 2000-01-01\nto = 2009-12-31\naqi = 2012\n"
                                "limit_daily = SO2:150 NO2:80 CO:4 O3:160 PM10:150 PM2.5:75\n"
                                "percentile = SO2:98 NO2:98 CO:95 O3:90 PM10:95 PM2.5:95\n"
                                "index_s = SO2:60 NO2:40 CO:4 O3:160 PM10:70 PM2.5:35\n"
                                "index_w = SO2:1 NO2:1 CO:1 O3:1 PM10:1 PM2.5:1\n";

static int parse(const char *text, struct lt_diag *d)
{
    struct lt_rules r;
    return lt_rules_parse(&r, text, strlen(text), d);
}

static void test_rules_errors(void **state)
{
    (void)state;
    struct lt_diag d;
    char buf[2048];
    assert_int_equal(parse(good, &d), 0);

    snprintf(buf, sizeof(buf), "%sspeed = 3\n", good);
    assert_int_equal(parse(buf, &d), LT_EPARSE);
    assert_int_equal(d.offset, 9);
    assert_non_null(strstr(d.msg, "unknown key 'speed'"));

    snprintf(buf, sizeof(buf), "%slimit_annual = SO2:60 XY:3\n", good);
    assert_int_equal(parse(buf, &d), LT_EPARSE);
    assert_non_null(strstr(d.msg, "line 9: unknown pollutant 'XY'"));

    snprintf(buf, sizeof(buf), "%slimit_annual = SO2:-1\n", good);
    assert_int_equal(parse(buf, &d), LT_EPARSE);

    snprintf(buf, sizeof(buf), "%s[b]\nfrom = 2009-06-01\nto = 2012-01-01\naqi = 2026\n%s", good,
             strchr(good, 'l'));
    assert_int_equal(parse(buf, &d), LT_EINVAL);
    assert_non_null(strstr(d.msg, "overlap"));

    /* A rule set must give every pollutant its daily limit, percentile, S and weight. */
    assert_int_equal(parse("[a]\nfrom = 2000-01-01\nto = 2001-01-01\naqi = 2012\n", &d), LT_EINVAL);
    snprintf(buf, sizeof(buf), "%s", good);
    memcpy(strstr(buf, "2012"), "2013", 4);
    assert_int_equal(parse(buf, &d), LT_EPARSE);
    snprintf(buf, sizeof(buf), "%s", good);
    memcpy(strstr(buf, "2009-12-31"), "2009-02-30", 10);
    assert_int_equal(parse(buf, &d), LT_EPARSE);
    assert_int_equal(d.offset, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_rules_by_date),
        cmocka_unit_test(test_rules_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

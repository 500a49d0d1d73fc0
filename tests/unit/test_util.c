/* Unit tests of src/util: GB/T 8170 rounding, checked parsing, Beijing-time calendar, CSV. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lantian/util.h"

static struct lt_str S(const char *c) {
    return lt_str_of(c);
}

/* GB/T 8170-2008 3.3: above 5 up, below 5 down, exactly 5 to even. */
static void
test_round_half_even(void **state)
{
    (void)state;
    assert_true(lt_round_half_even(74.5, 0) == 74.0);
    assert_true(lt_round_half_even(75.5, 0) == 76.0);
    assert_true(lt_round_half_even(74.5000001, 0) == 75.0);
    assert_true(lt_round_half_even(74.4999999, 0) == 74.0);
    assert_true(lt_round_half_even(0.5, 0) == 0.0);
    assert_true(lt_round_half_even(1.5, 0) == 2.0);
    /* Decimal ties carried in binary: 2.05 is 2.0499999999999998 as a double. */
    assert_true(lt_round_half_even(2.05, 1) == 2.0);
    assert_true(lt_round_half_even(2.15, 1) == 2.2);
    assert_true(lt_round_half_even(2.25, 1) == 2.2);
    assert_true(lt_round_half_even(2.35, 1) == 2.4);
    assert_true(lt_round_half_even(2.351, 1) == 2.4);
    assert_true(lt_round_half_even(2.349, 1) == 2.3);
    /* A mean computed from integers: 1.25 to 1 decimal is a tie, 66.666... to 0.1 is 66.7. */
    assert_true(lt_round_half_even(5.0 / 4.0, 1) == 1.2);
    assert_true(lt_round_half_even(200.0 / 3.0, 1) == 66.7);
    assert_true(lt_round_half_even(-2.5, 0) == -2.0);
    assert_true(lt_round_half_even(-0.4, 0) == 0.0 && !signbit(lt_round_half_even(-0.4, 0)));
    assert_true(lt_round_half_even(3.145, 2) == 3.14);
    assert_true(lt_round_half_even(3.155, 2) == 3.16);
    assert_true(isnan(lt_round_half_even(NAN, 0)));
}

static void test_parse_double(void **state)
{
    (void)state;
    double v;
    assert_int_equal(lt_parse_double(S("12"), &v), 0);
    assert_true(v == 12.0);
    assert_int_equal(lt_parse_double(S(" 0.7 "), &v), 0);
    assert_true(v == 0.7);
    assert_int_equal(lt_parse_double(S("-12.25"), &v), 0);
    assert_true(v == -12.25);
    assert_int_equal(lt_parse_double(S("1e3"), &v), 0);
    assert_true(v == 1000.0);
    assert_int_equal(lt_parse_double(S("0.00000000000000001"), &v), 0);
    assert_true(v == 1e-17);
    assert_int_equal(lt_parse_double(S("123456789012345678"), &v), 0);
    assert_true(v == 123456789012345678.0);
    assert_int_equal(lt_parse_double(S(""), &v), LT_EPARSE);
    assert_int_equal(lt_parse_double(S("abc"), &v), LT_EPARSE);
    assert_int_equal(lt_parse_double(S("12abc"), &v), LT_EPARSE);
    assert_int_equal(lt_parse_double(S("-"), &v), LT_EPARSE);
    assert_int_equal(lt_parse_double(S("."), &v), LT_EPARSE);
    assert_int_equal(lt_parse_double(S("nan"), &v), LT_EPARSE);
    assert_int_equal(lt_parse_double(S("inf"), &v), LT_EPARSE);
    assert_int_equal(lt_parse_double(S("0x10"), &v), LT_EPARSE);
    assert_int_equal(lt_parse_double(S("1e999"), &v), LT_ERANGE);
    /* NUL inside the slice is junk, not an end. */
    assert_int_equal(lt_parse_double((struct lt_str){"12\0"
                                                     "3",
                                                     4},
                                     &v),
                     LT_EPARSE);
}

static void test_parse_int(void **state)
{
    (void)state;
    long long v;
    assert_int_equal(lt_parse_int(S("2019"), 1900, 2199, &v), 0);
    assert_int_equal(v, 2019);
    assert_int_equal(lt_parse_int(S("2200"), 1900, 2199, &v), LT_ERANGE);
    assert_int_equal(lt_parse_int(S("20x"), 0, 100, &v), LT_EPARSE);
    assert_int_equal(lt_parse_int(S("-5"), -10, 10, &v), 0);
    assert_int_equal(v, -5);
    assert_int_equal(lt_parse_int(S("99999999999999999999999"), 0, 10, &v), LT_ERANGE);
}

static void test_calendar(void **state)
{
    (void)state;
    assert_int_equal(lt_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(lt_days_from_civil(2019, 1, 1), 17897);
    int y, m, d;
    for (int32_t z = lt_days_from_civil(1999, 12, 1); z < lt_days_from_civil(2032, 3, 1); z++) {
        lt_civil_from_days(z, &y, &m, &d);
        assert_int_equal(lt_days_from_civil(y, m, d), z);
    }
    assert_true(lt_is_leap(2020) && lt_is_leap(2000) && !lt_is_leap(2100) && !lt_is_leap(2019));
    assert_int_equal(lt_days_in_month(2020, 2), 29);
    assert_int_equal(lt_days_in_month(2019, 2), 28);
    int32_t day;
    assert_int_equal(lt_date_parse(S("2026-03-01"), &day), 0);
    assert_int_equal(day, lt_days_from_civil(2026, 3, 1));
    assert_int_equal(lt_date_parse(S("20260301"), &day), 0);
    assert_int_equal(lt_date_parse(S("2019-02-29"), &day), LT_ERANGE);
    assert_int_equal(lt_date_parse(S("2020-02-29"), &day), 0);
    assert_int_equal(lt_date_parse(S("2019-13-01"), &day), LT_ERANGE);
    assert_int_equal(lt_date_parse(S("2019-1-1"), &day), LT_EPARSE);
    char buf[16];
    lt_date_format(lt_days_from_civil(2024, 2, 29), buf, sizeof(buf));
    assert_string_equal(buf, "2024-02-29");
}

/* Hour-ending labels: the natural day is 01:00..24:00 Beijing time; hour 0 of D+1 is hour 24 of D.
 */
static void test_natural_day(void **state)
{
    (void)state;
    int32_t d = lt_days_from_civil(2019, 12, 31);
    int64_t t24 = lt_bj_to_utc(d + 1, 0); /* 2020-01-01 00:00 = 24:00 of 2019-12-31 */
    assert_int_equal(lt_natural_day(t24), d);
    assert_int_equal(lt_natural_hour(t24), 24);
    int64_t t1 = lt_bj_to_utc(d, 1);
    assert_int_equal(lt_natural_day(t1), d);
    assert_int_equal(lt_natural_hour(t1), 1);
    assert_int_equal(lt_natural_day(lt_bj_to_utc(d + 1, 1)), d + 1);
    assert_true(lt_hour_end_utc(d, 24) == t24);
    /* Beijing 08:00 is 00:00 UTC. */
    assert_true(lt_bj_to_utc(lt_days_from_civil(2019, 1, 1), 8) == (int64_t)17897 * 86400);
    char buf[20];
    lt_bj_format_hour(t24, buf, sizeof(buf));
    assert_string_equal(buf, "2020-01-01 00:00");
    char full[24];
    lt_bj_format_time(t24 + 59, full, sizeof(full));
    assert_string_equal(full, "2020-01-01 00:00:59");
    int64_t ts;
    assert_int_equal(lt_bj_parse_hour(S("2020-01-01 00:00"), &ts), 0);
    assert_true(ts == t24);
    assert_int_equal(lt_bj_parse_hour(S("2019-12-31 24:00"), &ts), 0);
    assert_true(ts == t24);
    assert_int_equal(lt_bj_parse_hour(S("2026-03-01T0800"), &ts), 0);
    assert_true(ts == lt_bj_to_utc(lt_days_from_civil(2026, 3, 1), 8));
    assert_int_equal(lt_bj_parse_hour(S("2019-12-31 25:00"), &ts), LT_ERANGE);
    assert_int_equal(lt_bj_parse_hour(S("2019-12-31 10:30"), &ts), LT_ERANGE);
    assert_int_equal(lt_bj_parse_hour(S("2019123110"), &ts), 0);
    assert_true(ts == lt_bj_to_utc(d, 10));
}

static void test_csv(void **state)
{
    (void)state;
    struct lt_str f[8];
    struct lt_diag dg;
    assert_int_equal(lt_csv_split(S("a,b,,c\r\n"), f, 8, NULL), 4);
    assert_true(lt_str_eq(f[0], "a") && lt_str_eq(f[2], "") && lt_str_eq(f[3], "c"));
    assert_int_equal(lt_csv_split(S("\"x,y\",2"), f, 8, NULL), 2);
    assert_true(lt_str_eq(f[0], "x,y"));
    assert_int_equal(lt_csv_split(S("a,"), f, 8, NULL), 2);
    assert_true(lt_str_eq(f[1], ""));
    assert_int_equal(lt_csv_split(S("1,2,3,4,5"), f, 2, NULL), 5);
    assert_int_equal(lt_csv_split(S("a,\"bc"), f, 8, &dg), LT_EPARSE);
    assert_int_equal(dg.offset, 2);
    assert_int_equal(lt_csv_split(S(""), f, 8, NULL), 1);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_int_equal(lt_utf8_width("郑州", strlen("郑州")), 4);
    assert_int_equal(lt_utf8_width("PM2.5", 5), 5);
    assert_true(lt_utf8_valid("郑州市", strlen("郑州市")));
    assert_false(lt_utf8_valid("\xd6\xd0\xb9\xfa", 4)); /* GBK bytes of 中国 */
}

/* Registries write place names with or without their administrative suffix. */
static void test_place_names(void **state)
{
    (void)state;
    assert_true(lt_place_match("郑州", "郑州市"));
    assert_true(lt_place_match("郑州市", "郑州"));
    assert_true(lt_place_match("河南", "河南省"));
    assert_true(lt_place_match("广西", "广西壮族自治区"));
    assert_true(lt_place_match("阿勒泰地区", "阿勒泰"));
    assert_false(lt_place_match("郑州", "郑州县"));
    assert_false(lt_place_match("鹤山区", "鹤山县"));
    assert_false(lt_place_match("市", ""));
    assert_true(lt_place_match("市", "市"));
    assert_false(lt_place_match("新乡", "新乡县"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_half_even),
        cmocka_unit_test(test_parse_double),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_natural_day),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_place_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The factor-code lookup (bisection over generated indexes) agrees with a plain scan of the
 * HJ 212-2017 Appendix B table for every 2017 and 2005 code, including duplicate codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lantian/hj212.h"

/* The reference: the first entry in table order with the 2017 code, else with the 2005 code. */
static const struct lt_hj212_factor *scan(const char *code)
{
    size_t n = lt_hj212_factor_count();
    for (size_t i = 0; i < n; i++)
        if (!strcmp(lt_hj212_factor_at(i)->code2017, code))
            return lt_hj212_factor_at(i);
    for (size_t i = 0; i < n; i++)
        if (lt_hj212_factor_at(i)->code2005[0] && !strcmp(lt_hj212_factor_at(i)->code2005, code))
            return lt_hj212_factor_at(i);
    return NULL;
}

static void test_find_equals_scan(void **state)
{
    (void)state;
    size_t n = lt_hj212_factor_count();
    assert_true(n >= 185);
    for (size_t i = 0; i < n; i++) {
        const struct lt_hj212_factor *f = lt_hj212_factor_at(i);
        assert_ptr_equal(lt_hj212_factor_find(lt_str_of(f->code2017)), scan(f->code2017));
        if (f->code2005[0])
            assert_ptr_equal(lt_hj212_factor_find(lt_str_of(f->code2005)), scan(f->code2005));
    }
    /* Known pairs (HJ 212-2017 Table B.2 "原编码"): SO2 a21026 = 02, NOx a21002 = 03, O2 a19001 =
     * S01, smoke a34013 = 01; O3 a05024 is added from HJ 524. */
    assert_string_equal(lt_hj212_factor_find(lt_str_of("02"))->code2017, "a21026");
    assert_string_equal(lt_hj212_factor_find(lt_str_of("03"))->code2017, "a21002");
    assert_string_equal(lt_hj212_factor_find(lt_str_of("S01"))->code2017, "a19001");
    assert_string_equal(lt_hj212_factor_find(lt_str_of("a34013"))->code2005, "01");
    assert_non_null(lt_hj212_factor_find(lt_str_of("a05024")));
    const char *absent[] = {"", "a", "a3400", "a340044", "zzzzzz", "000", "B0", "B022"};
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
        assert_ptr_equal(lt_hj212_factor_find(lt_str_of(absent[i])), scan(absent[i]));
    /* A slice need not be NUL-terminated. */
    assert_string_equal(lt_hj212_factor_find((struct lt_str){"a21026-Rtd", 6})->code2005, "02");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_find_equals_scan)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* libFuzzer target: the small text parsers every input path goes through: numbers, dates, Beijing
 * time points, CSV records, UTF-8 width. */
#include <stdint.h>
#include <string.h>

#include "lantian/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lt_str s = {(const char *)data, size};
    double v;
    long long i;
    int32_t day;
    int64_t ts;
    struct lt_str f[32];
    struct lt_diag d = {0};
    if (lt_parse_double(s, &v) == 0 && v != v)
        __builtin_trap(); /* never NaN */
    (void)lt_parse_int(s, -1000000, 1000000, &i);
    if (lt_date_parse(s, &day) == 0) {
        int y, m, dd;
        lt_civil_from_days(day, &y, &m, &dd);
        if (lt_days_from_civil(y, m, dd) != day)
            __builtin_trap();
    }
    (void)lt_bj_parse_hour(s, &ts);
    int n = lt_csv_split(s, f, 32, &d);
    for (int k = 0; k < n && k < 32; k++)
        if (f[k].p < s.p || f[k].p + f[k].len > s.p + s.len)
            __builtin_trap(); /* every field lies inside the record */
    (void)lt_utf8_width(s.p, s.len);
    (void)lt_utf8_valid(s.p, s.len);
    (void)lt_place_base(s);
    return 0;
}

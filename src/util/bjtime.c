/* lantian — Beijing-time calendar arithmetic. Beijing time is UTC+8 all year; nothing here reads
 * the clock, the TZ variable or localtime(). */
#include <stdio.h>

#include "lantian/util.h"

/* Days from civil: the proleptic Gregorian algorithm of H. Hinnant (public domain description),
 * exact for every year of interest. */
int32_t lt_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void lt_civil_from_days(int32_t z, int *y, int *m, int *d)
{
    int64_t zz = (int64_t)z + 719468;
    const int64_t era = (zz >= 0 ? zz : zz - 146096) / 146097;
    const unsigned doe = (unsigned)(zz - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    const unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

bool lt_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int lt_days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && lt_is_leap(y) ? 29 : dm[m - 1];
}

static int lt__digits(const char *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return LT_EPARSE;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

static int lt__ymd_check(int y, int m, int d)
{
    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 || d > lt_days_in_month(y, m))
        return LT_ERANGE;
    return 0;
}

int lt_date_parse(struct lt_str s, int32_t *day)
{
    int y, m, d;
    s = lt_str_trim(s);
    if (s.len == 10 && s.p[4] == '-' && s.p[7] == '-') {
        if (lt__digits(s.p, 4, &y) || lt__digits(s.p + 5, 2, &m) || lt__digits(s.p + 8, 2, &d))
            return LT_EPARSE;
    } else if (s.len == 8) {
        if (lt__digits(s.p, 4, &y) || lt__digits(s.p + 4, 2, &m) || lt__digits(s.p + 6, 2, &d))
            return LT_EPARSE;
    } else {
        return LT_EPARSE;
    }
    if (lt__ymd_check(y, m, d))
        return LT_ERANGE;
    *day = lt_days_from_civil(y, m, d);
    return 0;
}

void lt_date_format(int32_t day, char *buf, size_t cap)
{
    int y, m, d;
    lt_civil_from_days(day, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02d", y, m, d);
}

int64_t lt_bj_to_utc(int32_t day, int hour)
{
    return (int64_t)day * 86400 + (int64_t)hour * 3600 - LT_BJ_OFFSET_S;
}

/* The hour ending at Beijing 00:00 of D+1 is hour 24 of D: shift by one hour before taking the
 * date (HJ 663 natural day 01:00-24:00). */
int32_t lt_natural_day(int64_t ts_utc)
{
    int64_t bj = ts_utc + LT_BJ_OFFSET_S - 3600;
    int64_t q = bj / 86400;
    if (bj % 86400 < 0)
        q--;
    return (int32_t)q;
}

int lt_natural_hour(int64_t ts_utc)
{
    int64_t bj = ts_utc + LT_BJ_OFFSET_S - 3600;
    int64_t r = bj % 86400;
    if (r < 0)
        r += 86400;
    return (int)(r / 3600) + 1;
}

int64_t lt_hour_end_utc(int32_t day, int h)
{
    return lt_bj_to_utc(day, h);
}

/* Beijing civil day and seconds into that day of a UTC instant. */
static void lt__bj_split(int64_t ts_utc, int *y, int *m, int *d, int *secs)
{
    int64_t bj = ts_utc + LT_BJ_OFFSET_S;
    int64_t q = bj / 86400, r = bj % 86400;
    if (r < 0) {
        r += 86400;
        q--;
    }
    lt_civil_from_days((int32_t)q, y, m, d);
    *secs = (int)r;
}

void lt_bj_format_hour(int64_t ts_utc, char *buf, size_t cap)
{
    int y, m, d, r;
    lt__bj_split(ts_utc, &y, &m, &d, &r);
    snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d", y, m, d, r / 3600, r % 3600 / 60);
}

void lt_bj_format_time(int64_t ts_utc, char *buf, size_t cap)
{
    int y, m, d, r;
    lt__bj_split(ts_utc, &y, &m, &d, &r);
    snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, r / 3600, r % 3600 / 60, r % 60);
}

int lt_bj_parse_hour(struct lt_str s, int64_t *ts_utc)
{
    int32_t day;
    int h = 0, mi = 0;
    s = lt_str_trim(s);
    if (s.len >= 13 && s.p[4] == '-' && s.p[7] == '-' && (s.p[10] == ' ' || s.p[10] == 'T')) {
        if (lt_date_parse((struct lt_str){s.p, 10}, &day))
            return LT_EPARSE;
        const char *t = s.p + 11;
        size_t tl = s.len - 11;
        if (tl == 2) {
            if (lt__digits(t, 2, &h))
                return LT_EPARSE;
        } else if (tl == 4) {
            if (lt__digits(t, 2, &h) || lt__digits(t + 2, 2, &mi))
                return LT_EPARSE;
        } else if (tl == 5 && t[2] == ':') {
            if (lt__digits(t, 2, &h) || lt__digits(t + 3, 2, &mi))
                return LT_EPARSE;
        } else if (tl == 8 && t[2] == ':' && t[5] == ':') {
            int sec;
            if (lt__digits(t, 2, &h) || lt__digits(t + 3, 2, &mi) || lt__digits(t + 6, 2, &sec))
                return LT_EPARSE;
            if (sec != 0)
                return LT_ERANGE;
        } else {
            return LT_EPARSE;
        }
    } else if (s.len == 10) {
        if (lt_date_parse((struct lt_str){s.p, 8}, &day) || lt__digits(s.p + 8, 2, &h))
            return LT_EPARSE;
    } else {
        return LT_EPARSE;
    }
    /* Hourly values are whole hours; 24:00 is accepted as the end of the day. */
    if (h > 24 || mi != 0 || (h == 24 && mi != 0))
        return LT_ERANGE;
    *ts_utc = lt_bj_to_utc(day, h);
    return 0;
}

/* lantian — helpers shared by the HJ 212 codec's source files (not part of the public API). */
#ifndef LANTIAN_HJ212_INTERNAL_H
#define LANTIAN_HJ212_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Index of the first "##" in p[from, to), or -1. */
static inline long lt__hj212_find_hh(const uint8_t *p, size_t from, size_t to)
{
    while (from + 1 < to) {
        const uint8_t *h = memchr(p + from, '#', to - 1 - from);
        if (!h)
            return -1;
        size_t k = (size_t)(h - p);
        if (p[k + 1] == '#')
            return (long)k;
        from = k + 2; /* p[k + 1] is not '#', so no "##" starts there */
    }
    return -1;
}

/* Value of one hex digit, or -1. */
static inline int lt__hj212_hex(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parse a Beijing-time stamp of 14 ("YYYYMMDDhhmmss") or 17 (plus milliseconds) digits into UTC
 * seconds; rejects impossible dates and times. */
int lt__hj212_time(const char *p, size_t n, int64_t *utc);

#endif

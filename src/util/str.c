/* lantian — string slices, checked number parsing, CSV field splitting, UTF-8 width. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lantian/util.h"

struct lt_str lt_str_of(const char *cstr)
{
    return (struct lt_str){cstr ? cstr : "", cstr ? strlen(cstr) : 0};
}

static bool lt__blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct lt_str lt_str_trim(struct lt_str s)
{
    while (s.len && lt__blank(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && lt__blank(s.p[s.len - 1]))
        s.len--;
    return s;
}

bool lt_str_eq(struct lt_str s, const char *cstr)
{
    size_t n = strlen(cstr);
    return n == s.len && !memcmp(s.p, cstr, n);
}

bool lt_str_ieq(struct lt_str s, const char *cstr)
{
    size_t n = strlen(cstr);
    if (n != s.len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char a = s.p[i], b = cstr[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

size_t lt_str_copy(char *dst, size_t cap, struct lt_str s)
{
    if (!cap)
        return 0;
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
    return n;
}

/* Fast path for the common plain decimals ("123", "0.7", "-12.25"): exact for up to 15 significant
 * digits because both the digit integer and the power of ten are exact doubles and the result is
 * one correctly rounded division. Anything else goes to strtod on a bounded, NUL-terminated copy.
 */
int lt_parse_double(struct lt_str s, double *out)
{
    s = lt_str_trim(s);
    if (!s.len)
        return LT_EPARSE;
    size_t i = 0;
    bool neg = false;
    if (s.p[0] == '-' || s.p[0] == '+') {
        neg = s.p[0] == '-';
        i = 1;
    }
    uint64_t mant = 0;
    int ndig = 0, frac = 0;
    bool dot = false, simple = true, digit = false;
    for (; i < s.len; i++) {
        char c = s.p[i];
        if (c >= '0' && c <= '9') {
            digit = true;
            if (ndig < 15 && frac < 15) {
                mant = mant * 10 + (uint64_t)(c - '0');
                if (mant)
                    ndig++;
                if (dot)
                    frac++;
            } else {
                simple = false;
                break;
            }
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            simple = false;
            break;
        }
    }
    if (simple) {
        /* Must have at least one digit: reject "-", ".", "-." */
        if (!digit)
            return LT_EPARSE;
        static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        double v = (double)mant;
        if (frac)
            v /= p10[frac];
        *out = neg ? -v : v;
        if (*out == 0.0)
            *out = 0.0;
        return 0;
    }
    char buf[64];
    if (s.len >= sizeof(buf))
        return LT_EPARSE;
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    /* strtod would accept "inf", "nan" and hex floats; a measurement is none of these. */
    for (size_t j = 0; j < s.len; j++) {
        char c = buf[j];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return LT_EPARSE;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + s.len)
        return LT_EPARSE;
    if (errno == ERANGE || !isfinite(v))
        return LT_ERANGE;
    *out = v;
    return 0;
}

int lt_parse_int(struct lt_str s, long long min, long long max, long long *out)
{
    s = lt_str_trim(s);
    if (!s.len)
        return LT_EPARSE;
    size_t i = 0;
    bool neg = false;
    if (s.p[0] == '-' || s.p[0] == '+') {
        neg = s.p[0] == '-';
        i = 1;
    }
    if (i == s.len)
        return LT_EPARSE;
    unsigned long long v = 0;
    for (; i < s.len; i++) {
        char c = s.p[i];
        if (c < '0' || c > '9')
            return LT_EPARSE;
        if (v > ULLONG_MAX / 10)
            return LT_ERANGE;
        v = v * 10 + (unsigned long long)(c - '0');
        if (v > (unsigned long long)LLONG_MAX + 1ULL)
            return LT_ERANGE;
    }
    long long r;
    if (neg)
        r = v == (unsigned long long)LLONG_MAX + 1ULL ? LLONG_MIN : -(long long)v;
    else if (v > (unsigned long long)LLONG_MAX)
        return LT_ERANGE;
    else
        r = (long long)v;
    if (r < min || r > max)
        return LT_ERANGE;
    *out = r;
    return 0;
}

int lt_csv_split(struct lt_str line, struct lt_str *fields, int max, struct lt_diag *d)
{
    const char *p = line.p, *end = line.p + line.len;
    /* A trailing CR/LF is not part of the last field. */
    while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    int n = 0;
    for (;;) {
        const char *fs, *fe;
        if (p < end && *p == '"') {
            const char *q = p + 1;
            for (;;) {
                const char *c = memchr(q, '"', (size_t)(end - q));
                if (!c)
                    return lt_diag_set(d, LT_EPARSE, (size_t)(p - line.p),
                                       "unterminated quoted field at byte %zu",
                                       (size_t)(p - line.p));
                if (c + 1 < end && c[1] == '"') {
                    q = c + 2;
                    continue;
                }
                fs = p + 1;
                fe = c;
                p = c + 1;
                break;
            }
            if (p < end && *p != ',')
                return lt_diag_set(d, LT_EPARSE, (size_t)(p - line.p),
                                   "unexpected character after quoted field at byte %zu",
                                   (size_t)(p - line.p));
        } else {
            const char *c = memchr(p, ',', (size_t)(end - p));
            fs = p;
            fe = c ? c : end;
            p = fe;
        }
        if (n < max)
            fields[n] = (struct lt_str){fs, (size_t)(fe - fs)};
        n++;
        if (p >= end)
            break;
        p++; /* skip the comma */
        if (p == end) {
            /* A line ending in a comma has one more, empty field. */
            if (n < max)
                fields[n] = (struct lt_str){end, 0};
            n++;
            break;
        }
    }
    return n;
}

/* Decode one UTF-8 sequence; returns its length (0 when invalid) and the code point. */
static size_t lt__utf8_dec(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (!len)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

static bool lt__wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

int lt_utf8_width(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    int w = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = lt__utf8_dec(u + i, len - i, &cp);
        if (!n) {
            w++;
            i++;
            continue;
        }
        w += lt__wide(cp) ? 2 : 1;
        i += n;
    }
    return w;
}

bool lt_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = lt__utf8_dec(u + i, len - i, &cp);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

/* Longest first, so that "广西壮族自治区" loses "壮族自治区" rather than "区"-like tails. County
 * suffixes (县, 区) are not dropped: "鹤山区" and "鹤山县" are different places. */
static const char *const lt__place_suffixes[] = {
    "维吾尔自治区", "特别行政区", "壮族自治区", "回族自治区", "自治区",
    "自治州",       "地区",       "省",         "市",         "盟"};

struct lt_str lt_place_base(struct lt_str s)
{
    s = lt_str_trim(s);
    for (size_t i = 0; i < sizeof lt__place_suffixes / sizeof *lt__place_suffixes; i++) {
        size_t n = strlen(lt__place_suffixes[i]);
        if (s.len > n && !memcmp(s.p + s.len - n, lt__place_suffixes[i], n)) {
            s.len -= n;
            break;
        }
    }
    return s;
}

bool lt_place_match(const char *a, const char *b)
{
    struct lt_str x = lt_place_base(lt_str_of(a)), y = lt_place_base(lt_str_of(b));
    return x.len == y.len && !memcmp(x.p, y.p, x.len);
}

/* lantian — error texts, diagnostics, pollutant and edition names. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lantian/common.h"

const char *lt_strerror(int err)
{
    switch (err) {
    case LT_OK:
        return "success";
    case LT_EINVAL:
        return "invalid argument or value";
    case LT_ENOMEM:
        return "out of memory";
    case LT_ERANGE:
        return "value out of range";
    case LT_EPARSE:
        return "malformed input";
    case LT_EIO:
        return "input/output error";
    case LT_ENOTFOUND:
        return "not found";
    case LT_EEXIST:
        return "already exists";
    case LT_ESTORE:
        return "storage error";
    case LT_ETRUNC:
        return "input truncated";
    case LT_ECONFLICT:
        return "a different value is already stored";
    default:
        return "unknown error";
    }
}

int lt_diag_set(struct lt_diag *d, int code, size_t offset, const char *fmt, ...)
{
    if (d) {
        va_list ap;
        d->code = code;
        d->offset = offset;
        va_start(ap, fmt);
        vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

static const char *const lt__poll_names[LT_POLL_N] = {"SO2", "NO2", "CO", "O3", "PM10", "PM2.5"};
static const char *const lt__poll_names_zh[LT_POLL_N] = {
    "二氧化硫", "二氧化氮", "一氧化碳", "臭氧", "颗粒物(PM10)", "细颗粒物(PM2.5)"};

const char *lt_pollutant_name(enum lt_pollutant p)
{
    return (unsigned)p < LT_POLL_N ? lt__poll_names[p] : "?";
}

const char *lt_pollutant_name_zh(enum lt_pollutant p)
{
    return (unsigned)p < LT_POLL_N ? lt__poll_names_zh[p] : "?";
}

/* Lower-case ASCII letters and drop '.', '_' and blanks so "PM2.5", "pm25", "PM2_5" compare equal.
 */
static size_t lt__poll_key(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.' || c == '_' || c == ' ' || c == '-')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (n + 1 >= cap)
            return 0;
        out[n++] = c;
    }
    out[n] = '\0';
    return n;
}

int lt_pollutant_parse(const char *s, size_t len)
{
    static const char *const keys[LT_POLL_N] = {"so2", "no2", "co", "o3", "pm10", "pm25"};
    char k[16];
    if (!s || !lt__poll_key(s, len, k, sizeof(k)))
        return LT_EINVAL;
    for (int p = 0; p < LT_POLL_N; p++)
        if (!strcmp(k, keys[p]))
            return p;
    return LT_EINVAL;
}

const char *lt_edition_name(enum lt_edition e)
{
    switch (e) {
    case LT_ED_2012:
        return "HJ 633-2012";
    case LT_ED_2026:
        return "HJ 633-2026";
    default:
        return "?";
    }
}

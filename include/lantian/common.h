/* lantian — common definitions of liblantian: error codes, diagnostics, pollutants, editions.
 *
 * Every function of liblantian returns 0 (LT_OK) or a negative LT_E* code unless its comment says
 * otherwise. liblantian does no I/O, keeps no globals and reads no clock: it is safe to call from
 * any thread as long as each thread uses its own objects.
 */
#ifndef LANTIAN_COMMON_H
#define LANTIAN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LT_OK 0
enum lt_err {
    LT_EINVAL = -1,    /* invalid argument or value */
    LT_ENOMEM = -2,    /* allocation failed */
    LT_ERANGE = -3,    /* value out of the allowed range */
    LT_EPARSE = -4,    /* malformed input */
    LT_EIO = -5,       /* input/output error (only outside the pure library) */
    LT_ENOTFOUND = -6, /* no such object */
    LT_EEXIST = -7,    /* object exists already */
    LT_ESTORE = -8,    /* storage backend error */
    LT_ETRUNC = -9,    /* input truncated */
    LT_ECONFLICT = -10 /* a stored raw value differs from the value offered again */
};

/* Text of an error code; never NULL. */
const char *lt_strerror(int err);

/* Where and why an input was rejected. Filled by parsers when the caller passes one. */
struct lt_diag {
    int code;      /* LT_E* */
    size_t offset; /* byte offset (or column/field number, as the function documents) */
    char msg[160]; /* human-readable reason, UTF-8 */
};

/* Set a diagnostic (no-op when d is NULL). Returns code, so `return lt_diag_set(...)` works. */
int lt_diag_set(struct lt_diag *d, int code, size_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The six pollutants of GB 3095 Table 1 that enter the AQI. CO is in mg/m3, the others in µg/m3. */
enum lt_pollutant { LT_SO2 = 0, LT_NO2, LT_CO, LT_O3, LT_PM10, LT_PM25, LT_POLL_N };

/* "SO2", "NO2", "CO", "O3", "PM10", "PM2.5". */
const char *lt_pollutant_name(enum lt_pollutant p);
/* Chinese name as CNEMC publishes it, e.g. "细颗粒物(PM2.5)". */
const char *lt_pollutant_name_zh(enum lt_pollutant p);
/* Parse a pollutant name (case-insensitive; accepts "PM2.5", "PM25", "PM2_5"). Returns the
 * pollutant (>= 0) or LT_EINVAL. */
int lt_pollutant_parse(const char *s, size_t len);

/* HJ 633 editions (AQI technical rules). */
enum lt_edition { LT_ED_2012 = 0, LT_ED_2026 = 1, LT_ED_N };

/* "HJ 633-2012" / "HJ 633-2026". */
const char *lt_edition_name(enum lt_edition e);

#ifdef __cplusplus
}
#endif
#endif

/* lantian — small pure helpers: string slices, checked number parsing, GB/T 8170 rounding,
 * Beijing-time calendar arithmetic, CSV field splitting, UTF-8 display width.
 *
 * All functions are pure (no I/O, no clock, no globals) and thread-safe.
 */
#ifndef LANTIAN_UTIL_H
#define LANTIAN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lantian/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- string slices ------------------------------------------------------------------------- */

/* A length-carrying view of bytes; not NUL-terminated; may contain NUL. */
struct lt_str {
    const char *p;
    size_t len;
};

#define LT_STR_LIT(s) ((struct lt_str){(s), sizeof(s) - 1})

struct lt_str lt_str_of(const char *cstr);          /* view of a C string (NULL -> empty) */
struct lt_str lt_str_trim(struct lt_str s);         /* strip ASCII blanks, CR and LF */
bool lt_str_eq(struct lt_str s, const char *cstr);  /* exact byte equality */
bool lt_str_ieq(struct lt_str s, const char *cstr); /* ASCII case-insensitive equality */
/* Copy s into dst (capacity cap, cap >= 1) with NUL; truncates; returns bytes copied. */
size_t lt_str_copy(char *dst, size_t cap, struct lt_str s);

/* Place names: registries write "郑州" or "郑州市", "河南" or "河南省". The base of a name drops
 * one administrative suffix (省, 市, 自治区, 自治州, 地区, 盟, 特别行政区, ...) when something is
 * left. Two names match when their bases are equal. */
struct lt_str lt_place_base(struct lt_str name);
bool lt_place_match(const char *a, const char *b);

/* ---- checked number parsing (never atoi/atof/sscanf) ----------------------------------------- */

/* Parse the whole slice as a finite decimal number ("12", "-0.5", "1e3"; blanks around allowed).
 * Returns 0, LT_EPARSE (not a number, trailing junk, empty) or LT_ERANGE (overflow, inf, nan). */
int lt_parse_double(struct lt_str s, double *out);
/* Parse the whole slice as a base-10 integer within [min, max]. LT_EPARSE or LT_ERANGE on error. */
int lt_parse_int(struct lt_str s, long long min, long long max, long long *out);

/* ---- rounding ------------------------------------------------------------------------------ */

/* GB/T 8170-2008 3.3 rule of rounding ("四舍六入五成双", round half to even) of x to `decimals`
 * decimal places (0..6). A value whose decimal expansion ends exactly in 5 at the first dropped
 * digit is a tie; since inputs are decimal numbers carried in binary doubles, a tie is recognised
 * within a relative 1e-9 of the exact half. NaN stays NaN. */
double lt_round_half_even(double x, int decimals);

/* ---- Beijing-time calendar ----------------------------------------------------------------- */

/* Chinese monitoring time is Beijing time, UTC+8 all year (no daylight saving). */
#define LT_BJ_OFFSET_S 28800

/* Day numbers: days since 1970-01-01 of the proleptic Gregorian calendar (civil date in Beijing).
 */
int32_t lt_days_from_civil(int y, int m, int d);
void lt_civil_from_days(int32_t day, int *y, int *m, int *d);
bool lt_is_leap(int y);
int lt_days_in_month(int y, int m);
/* Parse "YYYY-MM-DD" or "YYYYMMDD" with validation (month 1..12, day within the month). */
int lt_date_parse(struct lt_str s, int32_t *day);
/* Write "YYYY-MM-DD" (buf of at least 11 bytes). */
void lt_date_format(int32_t day, char *buf, size_t cap);

/* Hourly values are labelled by the hour they END (the "16:00" value covers 15:00-16:00). A
 * natural day runs from the hour ending 01:00 to the hour ending 24:00 Beijing time; the hour
 * ending 24:00 of day D is written as hour 0 of D+1 in CNEMC files. */

/* UTC seconds of Beijing civil time `day` + `hour` hours (hour may be 0..24). */
int64_t lt_bj_to_utc(int32_t day, int hour);
/* Natural day (Beijing) an hour-ending timestamp belongs to. */
int32_t lt_natural_day(int64_t ts_utc);
/* Hour of the natural day (1..24) of an hour-ending timestamp. */
int lt_natural_hour(int64_t ts_utc);
/* Hour-ending timestamp of natural day `day`, hour h (1..24). */
int64_t lt_hour_end_utc(int32_t day, int h);
/* Write Beijing time "YYYY-MM-DD HH:00" (buf >= 17 bytes); hour 24 is written as 00 of next day. */
void lt_bj_format_hour(int64_t ts_utc, char *buf, size_t cap);
/* Write Beijing time "YYYY-MM-DD HH:MM:SS" (buf >= 20 bytes). */
void lt_bj_format_time(int64_t ts_utc, char *buf, size_t cap);
/* Parse a Beijing time "YYYY-MM-DD HH[:MM]" / "YYYY-MM-DDTHHMM" / "YYYYMMDDHH" into UTC seconds. */
int lt_bj_parse_hour(struct lt_str s, int64_t *ts_utc);

/* ---- CSV ----------------------------------------------------------------------------------- */

/* Split one CSV record (RFC 4180 quoting; no embedded newlines) into at most `max` fields.
 * Quoted fields are returned without the surrounding quotes; doubled quotes inside stay doubled
 * (callers here never need them unescaped). Returns the number of fields (may exceed max: fields
 * past max are counted but not stored) or LT_EPARSE for an unterminated quote (d->offset = byte).
 */
int lt_csv_split(struct lt_str line, struct lt_str *fields, int max, struct lt_diag *d);

/* ---- UTF-8 --------------------------------------------------------------------------------- */

/* Terminal display width of UTF-8 text: East Asian wide characters count 2, others 1. */
int lt_utf8_width(const char *s, size_t len);
/* True if s is valid UTF-8. */
bool lt_utf8_valid(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif

/* lantian — data validity and statistics per GB 3095 Table 4 and HJ 663 (2013 and 2026 editions).
 *
 * Pure and thread-safe. The chain is: hourly values of a site -> site-days (validity counts
 * applied)
 * -> area-days (mean of the evaluation sites' valid values) -> period statistics (means,
 * percentiles, daily AQI per day with each day's rule set, good/heavy-days ratios, exceedances,
 * attainment, comprehensive index). Nothing is rounded until it is reported; every reported value
 * is rounded once, per GB/T 8170.
 */
#ifndef LANTIAN_STATS_H
#define LANTIAN_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "lantian/aqi.h"
#include "lantian/common.h"
#include "lantian/rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Minimum counts (GB 3095-2012 / GB 3095-2026 Table 4; HJ 663 6.1). */
#define LT_MIN_HOURS_DAY    20  /* daily mean: >= 20 hourly values */
#define LT_MIN_HOURS_O3_8H  6   /* O3 8-h mean: >= 6 hourly values in the window */
#define LT_MIN_WINDOWS_MDA8 14  /* O3 daily max 8-h: >= 14 valid windows ending 08..24 */
#define LT_MIN_DAYS_YEAR    324 /* annual mean: >= 324 daily values */
#define LT_MIN_DAYS_MONTH   27  /* and >= 27 per month */
#define LT_MIN_DAYS_FEB     25  /* February: >= 25 */

enum { LT_DAY_F_DUST = 1u << 0 /* area-day affected by dust (环办监测〔2016〕120号) */ };

/* One site-day or area-day. */
struct lt_day {
    double c[LT_POLL_N];        /* daily means; c[LT_O3] = O3 daily max 8-h; NaN when not valid */
    double o3_1h_max;           /* O3 daily max 1-h (HJ 633-2012 daily AQI); NaN when not valid */
    unsigned char n[LT_POLL_N]; /* site: valid hours (O3: valid 8-h windows, 0..17);
                                   area: sites that contributed a valid value */
    unsigned char o3_1h_n;      /* site: valid O3 hours; area: sites contributing */
    unsigned flags;             /* LT_DAY_F_* */
};

/* Initialise a day with every value missing. */
void lt_day_init(struct lt_day *d);

/* One site-day from its hourly values: hours[p][h - 1] is the value of the hour ending h (1..24)
 * of the natural day, NaN when missing. o3_8h_limit is the O3 daily max 8-h limit that keeps a
 * day with fewer than 14 valid windows valid when exceeded (GB 3095 Table 4 note; HJ 663 6.1). */
void lt_day_from_hours(const double *const hours[LT_POLL_N], double o3_8h_limit,
                       struct lt_day *out);

/* The O3 8-h moving mean of the window ending at hour `end_h` (8..24) of a day: NaN with fewer
 * than 6 valid hours. hours[h - 1] as above. */
double lt_o3_8h_window(const double *hours24, int end_h);

/* Area-day: arithmetic mean of the valid values of the given site-days (evaluation sites only; the
 * caller leaves control sites out). n[] counts contributing sites. */
void lt_day_area(const struct lt_day *sites, int nsites, struct lt_day *out);

/* Daily AQI of a day under an edition (HJ 633 daily mode; concentrations rounded per GB/T 8170). */
int lt_day_aqi(const struct lt_day *d, enum lt_edition ed, struct lt_aqi *out);

/* HJ 663 percentile: sort ascending; k = 1 + (n - 1) p / 100; s = floor(k);
 * value = X(s) + (X(s+1) - X(s)) (k - s). NaN when n == 0. `v` is sorted in place. */
double lt_percentile(double *v, int n, double p);

/* Statistics of one pollutant over a period. */
struct lt_pstat {
    double mean;     /* mean of valid daily values (O3: of daily max 8-h); NaN if none */
    double mean_r;   /* reported value: GB/T 8170 to an integer (CO: 0.1) */
    int ndays;       /* valid daily values in the period */
    bool valid;      /* day counts meet GB 3095 Table 4 (see lt_period_compute) */
    double pct_p;    /* percentile assessed (from the rule set) */
    double pct;      /* HJ 663 percentile of the valid daily values; NaN if none */
    double pct_r;    /* reported percentile (GB/T 8170) */
    int exceed_days; /* days whose daily value exceeds the rule set's daily limit */
    int attain;      /* 1 attained, 0 not, -1 not judged (period not valid) */
};

/* Statistics of an area (or site) over a period of whole days. */
struct lt_period {
    int32_t from, to;  /* Beijing day numbers, inclusive */
    int ndays;         /* calendar days in the period */
    unsigned editions; /* bit mask (1u << lt_edition) of AQI editions the days used */
    char ruleset[32];  /* rule set of the period's last day: limits, percentiles, index */
    struct lt_pstat p[LT_POLL_N];
    int aqi_days;      /* days with a valid (published) daily AQI */
    int level_days[7]; /* valid days per level 1..6 (index 0 unused) */
    int good_days;     /* AQI <= 100 */
    int heavy_days;    /* AQI > 200 */
    double good_ratio; /* percent of aqi_days, GB/T 8170 to 0.1; NaN when aqi_days == 0 */
    double heavy_ratio;
    int dust_days;
    int aqi_max;  /* highest daily AQI, LT_IAQI_NA if none */
    double index; /* comprehensive index, 2 decimals; NaN when a component is missing */
    double index_i[LT_POLL_N]; /* single indices w_i * C_i / S_i (unrounded) */
    int attain;                /* all six attained: 1 / 0 / -1 (not judged) */
};

/* Compute the statistics of days[0 .. ndays-1], the area-days of day0 .. day0+ndays-1. Each day's
 * AQI uses the edition of the rule set in force on that day. Dust-flagged days lose PM10/PM2.5 in
 * the means, percentiles and the index (and in the ratios when the rule set says so). A mean is
 * valid when each calendar month in the period has its minimum of valid days (27; February 25;
 * a month only partly inside the period may miss as many days as a whole month may) and a whole
 * calendar year also has >= 324. Returns LT_EINVAL when a day has no rule set. */
int lt_period_compute(const struct lt_day *days, int32_t day0, int ndays,
                      const struct lt_rules *rules, struct lt_period *out);

/* Competition ranking, ascending ("1224": equal values share the best rank); NaN values get rank 0
 * (not ranked). Values should already be rounded as reported, so equal reported values tie. */
void lt_rank_competition(const double *v, int n, int *rank);

#ifdef __cplusplus
}
#endif
#endif

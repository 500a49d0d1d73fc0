/* lantian — rule sets: the effective-dated, versioned numbers that governments revise.
 *
 * A rule set names the AQI edition (HJ 633), the GB 3095 grade-II limits used for exceedance and
 * attainment, the assessment percentiles (HJ 663), and the comprehensive-index S values and weights
 * (城市环境空气质量排名技术规定). Rule sets are read from INI text (config/rules.ini, embedded
 * into the binary at build time) and chosen by the date of the data.
 */
#ifndef LANTIAN_RULES_H
#define LANTIAN_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "lantian/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LT_RULESET_MAX 8

struct lt_ruleset {
    char name[32];       /* e.g. "2012", "2026T", "2026" */
    char title[160];     /* the documents it stands for */
    int32_t from_day;    /* first Beijing day in force (day number) */
    int32_t to_day;      /* last Beijing day in force (inclusive) */
    enum lt_edition aqi; /* HJ 633 edition */
    /* GB 3095 grade-II limits; NaN where the standard sets none. CO mg/m3, others µg/m3. */
    double limit_annual[LT_POLL_N];
    double limit_daily[LT_POLL_N]; /* 24-h mean; for O3 the daily max 8-h limit */
    double limit_1h[LT_POLL_N];
    /* HJ 663 percentile of daily values assessed per pollutant (SO2/NO2 98, CO 95, O3 90, PM 95).
     */
    double pct[LT_POLL_N];
    /* Comprehensive index I = sum w_i * C_i / S_i. */
    double index_s[LT_POLL_N];
    double index_w[LT_POLL_N];
    /* Dust days (环办监测〔2016〕120号): PM of flagged days leave concentration means, the index
     * and rankings; when this is true they also leave the good-days and heavy-days ratios. */
    bool dust_exclude_ratios;
};

struct lt_rules {
    int n;
    struct lt_ruleset set[LT_RULESET_MAX];
};

/* Parse rule sets from INI text (see config/rules.ini for the keys). Checks that every key is
 * known, every number is valid and rule sets do not overlap. On error fills d (offset = line
 * number). */
int lt_rules_parse(struct lt_rules *r, const char *text, size_t len, struct lt_diag *d);

/* The rule set in force on Beijing day `day`, or NULL if none covers it. */
const struct lt_ruleset *lt_rules_for_day(const struct lt_rules *r, int32_t day);

/* Look a rule set up by name; NULL if unknown. */
const struct lt_ruleset *lt_rules_by_name(const struct lt_rules *r, const char *name);

#ifdef __cplusplus
}
#endif
#endif

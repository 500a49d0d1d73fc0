/* lantian — plan targets and the remaining-days budget.
 *
 * A target is set per area and year (e.g. 郑州市 2025: PM2.5 40 µg/m3, 优良天数比例 66.5%,
 * 重度及以上 污染天数比例 1.2%) under a rule set. As of any date lantian tells where the area
 * stands and what the rest of the year may still carry while meeting each target, or that it can no
 * longer be met. Pure and thread-safe.
 */
#ifndef LANTIAN_TARGET_H
#define LANTIAN_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "lantian/rules.h"
#include "lantian/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

enum lt_target_kind {
    LT_TGT_PM25 = 0,    /* annual mean PM2.5 at most (or below) X µg/m3 */
    LT_TGT_PM10,        /* annual mean PM10 */
    LT_TGT_GOOD_RATIO,  /* 优良天数比例 at least X % */
    LT_TGT_GOOD_DAYS,   /* 优良天数 at least N days */
    LT_TGT_HEAVY_RATIO, /* 重度及以上污染天数比例 at most X % */
    LT_TGT_INDEX,       /* comprehensive index at most X */
    LT_TGT_N
};

/* "PM2.5", "PM10", "good_ratio", "good_days", "heavy_ratio", "index". */
const char *lt_target_kind_name(enum lt_target_kind k);

struct lt_target {
    char name[96]; /* section name, e.g. "郑州 2019" */
    char area[96]; /* city or county */
    int year;
    char ruleset[32];       /* rule set the target was set under; "" = each day's own */
    double value[LT_TGT_N]; /* NaN = not set */
    bool strict[LT_TGT_N];  /* "<36": strictly below (ceilings) / strictly above (floors) */
    char source[160];       /* where the target comes from (plan, article) */
};

/* Parse targets from INI text: one [section] per target with keys area (or city / county), year,
 * ruleset, pm25, pm10, good_ratio, good_days, heavy_ratio, index, source. A value may start with
 * "<" (strictly below) or "<=" (at most; the default for ceilings). Returns the number parsed
 * (>= 0) or a negative LT_E* with d->offset = line. */
int lt_targets_parse(const char *text, size_t len, struct lt_target *out, int max,
                     struct lt_diag *d);

enum lt_target_state {
    LT_TGT_UNSET = 0,
    LT_TGT_ON_TRACK,    /* the standing so far meets the target */
    LT_TGT_BEHIND,      /* not met so far, but the remaining days can still make it */
    LT_TGT_UNREACHABLE, /* cannot be met any more, whatever the remaining days bring */
    LT_TGT_MET,         /* the year is over and the target was met */
    LT_TGT_MISSED,      /* the year is over and the target was missed */
    LT_TGT_NO_DATA      /* no valid data yet */
};

const char *lt_target_state_name(enum lt_target_state s); /* "on track", ... */
const char *lt_target_state_zh(enum lt_target_state s);   /* "达标进度内", ... */

struct lt_target_item {
    enum lt_target_state state;
    double target;
    double current; /* standing so far, rounded as reported */
    /* PM2.5/PM10: the highest mean the remaining days may average (µg/m3, 0.1, rounded down).
     * Ratios and good days: days still allowed (non-good days / heavy days). Index: NaN. */
    double budget;
    int needed; /* good ratio / good days: good days still needed; else 0 */
};

struct lt_target_status {
    int32_t as_of;
    int days_elapsed;   /* 1 January .. as_of */
    int days_remaining; /* as_of+1 .. 31 December */
    struct lt_period ytd;
    struct lt_target_item item[LT_TGT_N];
};

/* Evaluate a target as of `as_of` (inside the target's year) from the area-days of 1 January ..
 * as_of (days_elapsed entries). The remaining days are assumed to be valid days. Good and heavy
 * days are counted under the target's rule set when it names one (so the target is judged by the
 * rules it was set under), else under each day's own. */
int lt_target_evaluate(const struct lt_target *t, const struct lt_day *days, int32_t as_of,
                       const struct lt_rules *rules, struct lt_target_status *out);

#ifdef __cplusplus
}
#endif
#endif

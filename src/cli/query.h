/* lantian — the answers the CLI and the HTTP API share: store loading without printing, AQI
 * series, the ranking, and the target report. One implementation, so that `lantian aqi --db`,
 * `lantian rank` and `lantian target` answer exactly what /api/aqi/..., /api/rank and /api/targets
 * answer.
 *
 * Functions return 0 or a negative LT_E*; they print nothing. Thread-safe as long as each thread
 * uses its own store handle and datasets (rules are only read).
 */
#ifndef LANTIAN_CLI_QUERY_H
#define LANTIAN_CLI_QUERY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/assess.h"
#include "cli/table.h"
#include "lantian/aqi.h"
#include "lantian/rules.h"
#include "lantian/target.h"
#include "store/store.h"

/* Site-days from the store of the sites an area query needs (level + name, NULL name = every
 * area; limited to a province when given), days day0 .. day0+ndays-1. LT_ENOTFOUND when no site
 * matches (an unknown site code, or no evaluation site of the area); other codes from
 * lt_dataset_from_store (LT_ESTORE: see lt_store_errmsg). */
int lt_query_load(struct lt_store *st, enum lt_area_level level, const char *name,
                  const char *province, int32_t day0, int ndays, const struct lt_rules *rules,
                  bool keep_hours, struct lt_dataset *ds);

/* The real-time (hourly) AQI of an area at hour k of a dataset loaded with keep_hours, under the
 * rule set in force that day: the mean concentrations of the area's sites (never a mean of AQIs),
 * with the SO2 24-h mean of hours k-23 .. k for the 2012 rule (HJ 633-2012 Table 1 note 2). For a
 * single site (site_level) its not-monitored pollutants are passed on. LT_EINVAL when no rule set
 * covers the day. */
int lt_query_hour_aqi(const struct lt_dataset *ds, const struct lt_area *a, bool site_level, int k,
                      const struct lt_rules *rules, struct lt_aqi *r, enum lt_edition *ed);

/* Number of columns lt_query_aqi_cells writes, and their headers (from column 0). */
#define LT_QUERY_AQI_NCOLS 20
extern const char *const lt_query_aqi_headers[LT_QUERY_AQI_NCOLS];

/* Write an AQI result into the current row of t from column col0: aqi, level, category, primary,
 * the seven IAQIs, the seven concentrations used, edition, note. */
void lt_query_aqi_cells(struct lt_table *t, int col0, const struct lt_aqi *r, enum lt_edition ed);

/* The AQI series of `lantian aqi --db`: one row per hour (daily false; the dataset must keep hours)
 * or per day of [from, to] for area a (label names it in the rows). st (may be NULL) gives dust
 * flags of area-days. *out is a new table (lt_table_free). LT_EINVAL when a day has no rule set. */
int lt_query_aqi_series(const struct lt_dataset *ds, const struct lt_area *a,
                        enum lt_area_level level, const char *label, int32_t from, int32_t to,
                        bool daily, const struct lt_rules *rules, struct lt_store *st,
                        struct lt_table **out);

enum lt_rank_by { LT_RANK_BY_INDEX = 0, LT_RANK_BY_PM25, LT_RANK_BY_CHANGE };

/* Parse "index" / "pm25" / "change"; -1 when unknown. */
int lt_rank_by_parse(const char *s);

struct lt_rank_info {
    char ruleset[32]; /* rule set of the first row's period (for the table heading) */
    int nprev;        /* areas with a comparable previous-year value (by change) */
};

/* The ranking of `lantian rank`: areas of the dataset (loaded from pfrom when by change, see
 * lt_period_prev_year) over [from, to], ranked by `by`; equal reported values share a rank. *out is
 * a new table (16 columns by change, else 14). LT_EINVAL when a day has no rule set. */
int lt_query_rank(const struct lt_dataset *ds, const struct lt_area *areas, int nareas,
                  int32_t from, int32_t to, enum lt_rank_by by, const struct lt_rules *rules,
                  struct lt_store *st, struct lt_table **out, struct lt_rank_info *info);

/* Set target value k of t from text as a targets file writes it ("36", "<36"). LT_EINVAL when it is
 * not a valid value. */
int lt_query_target_value(struct lt_target *t, enum lt_target_kind k, const char *v);

/* The items table of `lantian target` (target, goal, current, state, budget, 状态, 说明). */
int lt_query_target_table(const struct lt_target *tg, const struct lt_target_status *s,
                          struct lt_table **out);

/* The JSON object of `lantian target --format json` (no trailing newline). origin says where the
 * target came from: "store", "file" or "values". */
void lt_query_target_json(FILE *f, const struct lt_target *tg, const char *origin, const char *area,
                          int nsites, const struct lt_target_status *s,
                          const struct lt_table *items, const struct lt_rules *rules);

#endif

/* lantian — answers shared by the CLI and the HTTP API (see query.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/query.h"
#include "cli/report.h"
#include "lantian/util.h"

int lt_query_load(struct lt_store *st, enum lt_area_level level, const char *name,
                  const char *province, int32_t day0, int ndays, const struct lt_rules *rules,
                  bool keep_hours, struct lt_dataset *ds)
{
    struct lt_site *sites = NULL;
    int n = 0, rc;
    memset(ds, 0, sizeof(*ds));
    if (level == LT_AREA_SITE && name) {
        sites = malloc(sizeof(*sites));
        if (!sites)
            return LT_ENOMEM;
        rc = lt_store_site_get(st, name, sites);
        if (rc) {
            free(sites);
            return rc;
        }
        n = 1;
    } else {
        struct lt_site_filter f = {.province = province, .eval_only = level != LT_AREA_SITE};
        if (name && level == LT_AREA_CITY)
            f.city = name;
        if (name && level == LT_AREA_COUNTY)
            f.county = name;
        rc = lt_store_sites(st, &f, &sites, &n);
        if (rc)
            return rc;
        if (!n) {
            free(sites);
            return LT_ENOTFOUND;
        }
    }
    rc = lt_dataset_from_store(st, sites, n, day0, ndays, rules, keep_hours, ds);
    free(sites);
    return rc;
}

/* SO2 24-h moving mean ending at hour k (hours k-23..k), needed by the 2012 rule for SO2 1-h above
 * 800 (HJ 633-2012 Table 1 note 2); valid with >= 20 hourly values (GB 3095-2012 Table 4). */
static double lt__so2_24h(const double *c_so2_hours, int k)
{
    double sum = 0;
    int n = 0;
    for (int i = k - 23; i <= k; i++) {
        if (i < 0)
            continue;
        if (!isnan(c_so2_hours[i])) {
            sum += c_so2_hours[i];
            n++;
        }
    }
    return n >= 20 ? sum / n : NAN;
}

/* The hourly AQI of area a at hour k, given the area's SO2 24-h mean ending at that hour. */
static int lt__hour_aqi(const struct lt_dataset *ds, const struct lt_area *a, bool site_level,
                        int k, double so2_24h, const struct lt_rules *rules, struct lt_aqi *r,
                        enum lt_edition *ed)
{
    const struct lt_ruleset *rs = lt_rules_for_day(rules, ds->day0 + k / 24);
    struct lt_aqi_input in;
    if (!rs)
        return LT_EINVAL;
    lt_aqi_input_init(&in);
    lt_area_hour(ds, a, k, in.c);
    in.so2_24h = so2_24h;
    if (site_level)
        in.not_monitored = ds->not_monitored[a->sites[0]];
    *ed = rs->aqi;
    return lt_aqi_compute(rs->aqi, LT_AQI_HOURLY, &in, r);
}

int lt_query_hour_aqi(const struct lt_dataset *ds, const struct lt_area *a, bool site_level, int k,
                      const struct lt_rules *rules, struct lt_aqi *r, enum lt_edition *ed)
{
    double so2[24]; /* the area's SO2 of hours k0 .. k */
    int k0 = k >= 23 ? k - 23 : 0;
    for (int i = k0; i <= k; i++) {
        double c[LT_POLL_N];
        lt_area_hour(ds, a, i, c);
        so2[i - k0] = c[LT_SO2];
    }
    return lt__hour_aqi(ds, a, site_level, k, lt__so2_24h(so2, k - k0), rules, r, ed);
}

const char *const lt_query_aqi_headers[LT_QUERY_AQI_NCOLS] = {
    "aqi",     "level",     "category",   "primary",    "iaqi_SO2", "iaqi_NO2", "iaqi_CO",
    "iaqi_O3", "iaqi_PM10", "iaqi_PM2.5", "iaqi_O3_1h", "SO2",      "NO2",      "CO",
    "O3",      "PM10",      "PM2.5",      "O3_1h",      "edition",  "note"};

void lt_query_aqi_cells(struct lt_table *t, int col0, const struct lt_aqi *r, enum lt_edition ed)
{
    char prim[64];
    lt_aqi_primary_format(r, ",", prim, sizeof(prim));
    if (r->aqi != LT_IAQI_NA) {
        lt_table_int(t, col0, r->aqi);
        lt_table_str(t, col0 + 1, lt_aqi_level_name(r->level));
        lt_table_str(t, col0 + 2, lt_aqi_category(r->level));
    }
    /* HJ 633-2012 5.2 / HJ 633-2026: a primary pollutant only when the AQI is above 50. */
    lt_table_str(t, col0 + 3, r->aqi != LT_IAQI_NA && r->aqi > 50 ? prim : NULL);
    for (int i = 0; i < LT_ITEM_N; i++) {
        if (r->iaqi[i] != LT_IAQI_NA)
            lt_table_int(t, col0 + 4 + i, r->iaqi[i]);
        lt_table_num(t, col0 + 11 + i, r->conc[i], i == LT_CO ? 1 : 0);
    }
    lt_table_str(t, col0 + 18, lt_edition_name(ed));
    const char *note = r->flags & LT_AQI_F_EMPTY      ? "no data"
                       : r->flags & LT_AQI_F_WITHHELD ? "partial, AQI withheld (HJ 633-2026 5.3.1)"
                       : r->flags & LT_AQI_F_PARTIAL  ? "partial"
                       : r->flags & LT_AQI_F_CAPPED   ? "IAQI capped at 500"
                                                      : NULL;
    lt_table_str(t, col0 + 19, note);
}

int lt_query_aqi_series(const struct lt_dataset *ds, const struct lt_area *a,
                        enum lt_area_level level, const char *label, int32_t from, int32_t to,
                        bool daily, const struct lt_rules *rules, struct lt_store *st,
                        struct lt_table **out)
{
    const char *hdr[2 + LT_QUERY_AQI_NCOLS] = {"time", "area"};
    struct lt_day *days = NULL;
    double *so2 = NULL;
    struct lt_table *t = NULL;
    int rc = LT_ENOMEM;
    for (int i = 0; i < LT_QUERY_AQI_NCOLS; i++)
        hdr[2 + i] = lt_query_aqi_headers[i];
    *out = NULL;
    t = lt_table_new(2 + LT_QUERY_AQI_NCOLS, hdr);
    if (!t)
        goto out;
    int nrows = daily ? to - from + 1 : (to - from + 1) * 24;
    int k0 = daily ? 0 : (from - ds->day0) * 24;
    if (daily) {
        rc = lt_area_days(ds, a, from, to, st, &days);
        if (rc)
            goto out;
    } else {
        /* The area's hourly SO2 first (from the dataset's first hour), for the 2012 24-h rule. */
        so2 = malloc(sizeof(double) * (size_t)(k0 + nrows));
        if (!so2)
            goto out;
        for (int k = 0; k < k0 + nrows; k++) {
            double c[LT_POLL_N];
            lt_area_hour(ds, a, k, c);
            so2[k] = c[LT_SO2];
        }
    }
    for (int k = 0; k < nrows; k++) {
        struct lt_aqi r;
        enum lt_edition ed;
        char when[24];
        if (daily) {
            const struct lt_ruleset *rs = lt_rules_for_day(rules, from + k);
            if (!rs) {
                rc = LT_EINVAL;
                goto out;
            }
            ed = rs->aqi;
            lt_day_aqi(&days[k], rs->aqi, &r);
            lt_date_format(from + k, when, sizeof(when));
        } else {
            int kk = k0 + k;
            rc = lt__hour_aqi(ds, a, level == LT_AREA_SITE, kk, lt__so2_24h(so2, kk), rules, &r,
                              &ed);
            if (rc)
                goto out;
            lt_bj_format_hour(lt_hour_end_utc(ds->day0 + kk / 24, kk % 24 + 1), when, sizeof(when));
        }
        if (lt_table_row(t)) {
            rc = LT_ENOMEM;
            goto out;
        }
        lt_table_str(t, 0, when);
        lt_table_str(t, 1, label);
        lt_query_aqi_cells(t, 2, &r, ed);
    }
    *out = t;
    t = NULL;
    rc = 0;
out:
    lt_table_free(t);
    free(so2);
    free(days);
    return rc;
}

/* ---- ranking ------------------------------------------------------------------------------- */

int lt_rank_by_parse(const char *s)
{
    if (!strcmp(s, "index"))
        return LT_RANK_BY_INDEX;
    if (!strcmp(s, "pm25"))
        return LT_RANK_BY_PM25;
    if (!strcmp(s, "change"))
        return LT_RANK_BY_CHANGE;
    return -1;
}

struct lt__rank_row {
    const struct lt_area *area;
    struct lt_period now, prev;
    bool has_prev;
    double key; /* the ranked value as reported; NaN = not ranked */
    int rank;
};

static int lt__row_cmp(const void *a, const void *b)
{
    const struct lt__rank_row *x = a, *y = b;
    if (x->rank != y->rank) {
        if (!x->rank)
            return 1;
        if (!y->rank)
            return -1;
        return x->rank < y->rank ? -1 : 1;
    }
    return strcmp(x->area->name, y->area->name);
}

int lt_query_rank(const struct lt_dataset *ds, const struct lt_area *areas, int nareas,
                  int32_t from, int32_t to, enum lt_rank_by by, const struct lt_rules *rules,
                  struct lt_store *st, struct lt_table **out, struct lt_rank_info *info)
{
    static const char *const hdr[] = {"rank",     "area",  "province",   "index",
                                      "PM2.5",    "PM10",  "O3_8h_p90",  "CO_p95",
                                      "SO2",      "NO2",   "good_ratio", "heavy_ratio",
                                      "aqi_days", "sites", "index_prev", "change_pct"};
    struct lt__rank_row *rows = calloc((size_t)(nareas ? nareas : 1), sizeof(*rows));
    double *keys = calloc((size_t)(nareas ? nareas : 1), sizeof(double));
    int *ranks = calloc((size_t)(nareas ? nareas : 1), sizeof(int));
    struct lt_table *t = NULL;
    int rc = LT_ENOMEM;
    int32_t pfrom = 0, pto = 0;
    *out = NULL;
    memset(info, 0, sizeof(*info));
    if (!rows || !keys || !ranks)
        goto out;
    if (by == LT_RANK_BY_CHANGE)
        lt_period_prev_year(from, to, &pfrom, &pto);
    for (int i = 0; i < nareas; i++) {
        struct lt__rank_row *r = &rows[i];
        struct lt_day *days = NULL;
        r->area = &areas[i];
        rc = lt_area_days(ds, &areas[i], from, to, st, &days);
        if (!rc)
            rc = lt_period_compute(days, from, to - from + 1, rules, &r->now);
        free(days);
        if (rc)
            goto out;
        if (by == LT_RANK_BY_CHANGE) {
            days = NULL;
            if (lt_area_days(ds, &areas[i], pfrom, pto, st, &days) == 0 &&
                lt_period_compute(days, pfrom, pto - pfrom + 1, rules, &r->prev) == 0 &&
                !isnan(r->prev.index) && r->prev.index > 0)
                r->has_prev = true;
            free(days);
            info->nprev += r->has_prev;
        }
        /* Rank on values as reported: index to 2 decimals, PM2.5 integer, change to 0.1 %. */
        if (by == LT_RANK_BY_INDEX)
            r->key = r->now.index;
        else if (by == LT_RANK_BY_PM25)
            r->key = r->now.p[LT_PM25].ndays ? r->now.p[LT_PM25].mean_r : NAN;
        else
            r->key =
                r->has_prev && !isnan(r->now.index)
                    ? lt_round_half_even(100.0 * (r->now.index - r->prev.index) / r->prev.index, 1)
                    : NAN;
        keys[i] = r->key;
    }
    lt_rank_competition(keys, nareas, ranks);
    for (int i = 0; i < nareas; i++)
        rows[i].rank = ranks[i];
    qsort(rows, (size_t)nareas, sizeof(*rows), lt__row_cmp);
    if (nareas)
        snprintf(info->ruleset, sizeof(info->ruleset), "%s", rows[0].now.ruleset);
    rc = LT_ENOMEM;
    t = lt_table_new(by == LT_RANK_BY_CHANGE ? 16 : 14, hdr);
    if (!t)
        goto out;
    for (int i = 0; i < nareas; i++) {
        const struct lt__rank_row *r = &rows[i];
        const struct lt_period *ps = &r->now;
        if (lt_table_row(t))
            goto out;
        if (r->rank)
            lt_table_int(t, 0, r->rank);
        lt_table_str(t, 1, r->area->name);
        lt_table_str(t, 2, r->area->province);
        lt_table_num(t, 3, ps->index, 2);
        lt_table_num(t, 4, ps->p[LT_PM25].ndays ? ps->p[LT_PM25].mean_r : NAN, 0);
        lt_table_num(t, 5, ps->p[LT_PM10].ndays ? ps->p[LT_PM10].mean_r : NAN, 0);
        lt_table_num(t, 6, ps->p[LT_O3].pct_r, 0);
        lt_table_num(t, 7, ps->p[LT_CO].pct_r, 1);
        lt_table_num(t, 8, ps->p[LT_SO2].ndays ? ps->p[LT_SO2].mean_r : NAN, 0);
        lt_table_num(t, 9, ps->p[LT_NO2].ndays ? ps->p[LT_NO2].mean_r : NAN, 0);
        lt_table_num(t, 10, ps->good_ratio, 1);
        lt_table_num(t, 11, ps->heavy_ratio, 1);
        lt_table_int(t, 12, ps->aqi_days);
        lt_table_int(t, 13, lt_area_sites_with_data(ds, r->area, from, to));
        if (by == LT_RANK_BY_CHANGE) {
            lt_table_num(t, 14, r->has_prev ? r->prev.index : NAN, 2);
            lt_table_num(t, 15, r->key, 1);
        }
    }
    *out = t;
    t = NULL;
    rc = 0;
out:
    lt_table_free(t);
    free(rows);
    free(keys);
    free(ranks);
    return rc;
}

/* ---- targets ------------------------------------------------------------------------------- */

/* One sentence a leader can read. */
static void lt__sentence(char *buf, size_t cap, enum lt_target_kind k,
                         const struct lt_target_item *it, const struct lt_target_status *s)
{
    int R = s->days_remaining;
    buf[0] = '\0';
    if (it->state == LT_TGT_MET || it->state == LT_TGT_MISSED) {
        snprintf(buf, cap, "全年%s", it->state == LT_TGT_MET ? "已完成目标" : "未完成目标");
        return;
    }
    if (it->state == LT_TGT_NO_DATA) {
        snprintf(buf, cap, "暂无有效数据");
        return;
    }
    switch (k) {
    case LT_TGT_PM25:
    case LT_TGT_PM10:
        if (it->state == LT_TGT_UNREACHABLE)
            snprintf(buf, cap, "已无法完成：剩余 %d 天即使浓度为 0 也无法使年均值达标", R);
        else
            snprintf(buf, cap, "剩余 %d 天 %s 均值需不高于 %.1f µg/m³", R,
                     k == LT_TGT_PM25 ? "PM2.5" : "PM10", it->budget);
        break;
    case LT_TGT_GOOD_RATIO:
    case LT_TGT_GOOD_DAYS:
        if (it->state == LT_TGT_UNREACHABLE)
            snprintf(buf, cap, "已无法完成：还需 %d 个优良天，但只剩 %d 天", it->needed, R);
        else
            snprintf(buf, cap, "剩余 %d 天中至少需 %d 个优良天，最多允许 %.0f 个非优良天", R,
                     it->needed, it->budget);
        break;
    case LT_TGT_HEAVY_RATIO:
        if (it->state == LT_TGT_UNREACHABLE)
            snprintf(buf, cap, "已无法完成：重度及以上污染天数已超出全年允许值");
        else
            snprintf(buf, cap, "剩余 %d 天最多允许 %.0f 个重度及以上污染天", R, it->budget);
        break;
    case LT_TGT_INDEX:
        snprintf(buf, cap, "综合指数当前 %.2f，目标 %s %.2f", it->current, "≤", it->target);
        break;
    default:
        break;
    }
}

static int lt__budget_decimals(enum lt_target_kind k)
{
    return k == LT_TGT_PM25 || k == LT_TGT_PM10 ? 1 : 0;
}

static int lt__current_decimals(enum lt_target_kind k)
{
    return k == LT_TGT_GOOD_RATIO || k == LT_TGT_HEAVY_RATIO ? 1 : k == LT_TGT_INDEX ? 2 : 0;
}

int lt_query_target_table(const struct lt_target *tg, const struct lt_target_status *s,
                          struct lt_table **out)
{
    static const char *const hdr[] = {"target", "goal", "current", "state",
                                      "budget", "状态", "说明"};
    struct lt_table *t = lt_table_new(7, hdr);
    *out = NULL;
    if (!t)
        return LT_ENOMEM;
    for (int k = 0; k < LT_TGT_N; k++) {
        const struct lt_target_item *it = &s->item[k];
        if (it->state == LT_TGT_UNSET)
            continue;
        char goal[32], sent[256];
        bool floor_kind = k == LT_TGT_GOOD_RATIO || k == LT_TGT_GOOD_DAYS;
        snprintf(goal, sizeof(goal), "%s%g%s",
                 floor_kind ? (tg->strict[k] ? ">" : ">=") : (tg->strict[k] ? "<" : "<="),
                 it->target, k == LT_TGT_GOOD_RATIO || k == LT_TGT_HEAVY_RATIO ? "%" : "");
        lt__sentence(sent, sizeof(sent), (enum lt_target_kind)k, it, s);
        if (lt_table_row(t)) {
            lt_table_free(t);
            return LT_ENOMEM;
        }
        lt_table_str(t, 0, lt_target_kind_name((enum lt_target_kind)k));
        lt_table_str(t, 1, goal);
        lt_table_num(t, 2, it->current, lt__current_decimals((enum lt_target_kind)k));
        lt_table_str(t, 3, lt_target_state_name(it->state));
        lt_table_num(t, 4, it->budget, lt__budget_decimals((enum lt_target_kind)k));
        lt_table_str(t, 5, lt_target_state_zh(it->state));
        lt_table_str(t, 6, sent);
    }
    *out = t;
    return 0;
}

void lt_query_target_json(FILE *f, const struct lt_target *tg, const char *origin, const char *area,
                          int nsites, const struct lt_target_status *s,
                          const struct lt_table *items, const struct lt_rules *rules)
{
    char asof[16];
    lt_date_format(s->as_of, asof, sizeof(asof));
    fputs("{\"target\": ", f);
    lt_json_str(f, tg->name);
    fputs(", \"origin\": ", f);
    lt_json_str(f, origin);
    fputs(", \"area\": ", f);
    lt_json_str(f, area);
    fprintf(f, ", \"year\": %d, \"as_of\": \"%s\", \"ruleset\": ", tg->year, asof);
    lt_json_str(f, tg->ruleset[0] ? tg->ruleset : "by date");
    fprintf(f, ", \"days_elapsed\": %d, \"days_remaining\": %d, \"items\": ", s->days_elapsed,
            s->days_remaining);
    lt_table_print(items, f, LT_FMT_JSON);
    fputs(", \"year_to_date\": ", f);
    lt_report_period_json(f, area, nsites, &s->ytd, rules);
    fputs("}", f);
}

int lt_query_target_value(struct lt_target *t, enum lt_target_kind k, const char *v)
{
    /* The value is parsed by the targets-file parser itself, so that "<36" and "36" mean exactly
     * what they mean in a file. */
    char buf[160];
    if (strchr(v, '\n') || strchr(v, '\r') || strchr(v, ';') || strchr(v, '#'))
        return LT_EINVAL;
    int n = snprintf(buf, sizeof(buf), "[x]\narea = x\nyear = 2000\n%s = %s\n",
                     k == LT_TGT_PM25          ? "pm25"
                     : k == LT_TGT_PM10        ? "pm10"
                     : k == LT_TGT_GOOD_RATIO  ? "good_ratio"
                     : k == LT_TGT_GOOD_DAYS   ? "good_days"
                     : k == LT_TGT_HEAVY_RATIO ? "heavy_ratio"
                                               : "index",
                     v);
    struct lt_target one;
    struct lt_diag d = {0};
    if (n <= 0 || (size_t)n >= sizeof(buf) || lt_targets_parse(buf, (size_t)n, &one, 1, &d) != 1 ||
        isnan(one.value[k]))
        return LT_EINVAL;
    t->value[k] = one.value[k];
    t->strict[k] = one.strict[k];
    return 0;
}

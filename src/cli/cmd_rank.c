/* lantian rank — comprehensive-index ranking of cities or counties (城市环境空气质量排名技术规定,
 * 环办监测〔2018〕19号): by the index, by PM2.5, or by the change against the same period of the
 * previous year. Equal reported values share a rank. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "cli/table.h"
#include "lantian/util.h"

enum lt__rank_by { LT_BY_INDEX = 0, LT_BY_PM25, LT_BY_CHANGE };

struct lt__rank_row {
    const struct lt_area *area;
    struct lt_period now, prev;
    bool has_prev;
    double key; /* the ranked value as reported; NaN = not ranked */
    int rank;
};

static void lt__rank_usage(FILE *f)
{
    fputs("usage: lantian rank (--db PATH | --stations CSV --input FILE...)\n"
          "                    --level city|county [--province NAME]\n"
          "                    --period YYYY|YYYY-MM|YYYY-Qn|YYYY-MM-DD:YYYY-MM-DD\n"
          "                    [--by index|pm25|change] [--format table|csv|json] [--rules FILE]\n"
          "Ranks areas by the comprehensive index (smaller is better), by PM2.5, or by the change\n"
          "of the index against the same period of the previous year (more negative is better).\n"
          "Equal reported values share a rank.\n",
          f);
}

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

int lt_cmd_rank(int argc, char **argv)
{
    static const struct option opts[] = {{"level", required_argument, NULL, 'l'},
                                         {"province", required_argument, NULL, 'P'},
                                         {"period", required_argument, NULL, 'p'},
                                         {"by", required_argument, NULL, 'b'},
                                         {"format", required_argument, NULL, 'f'},

                                         {"help", no_argument, NULL, 'h'},
                                         LT_CLI_SOURCE_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct lt_cli_source src;
    const char *period = NULL, *province = NULL, *level_s = NULL;
    enum lt__rank_by by = LT_BY_INDEX;
    int fmt = LT_FMT_TABLE, opt, rc = LT_EXIT_USAGE;
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
    struct lt__rank_row *rows = NULL;
    struct lt_table *t = NULL;
    if (lt_cli_source_init(&src, argc))
        return LT_EXIT_USAGE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'l':
            level_s = optarg;
            break;
        case 'P':
            province = optarg;
            break;
        case 'p':
            period = optarg;
            break;
        case 'b':
            if (!strcmp(optarg, "index"))
                by = LT_BY_INDEX;
            else if (!strcmp(optarg, "pm25"))
                by = LT_BY_PM25;
            else if (!strcmp(optarg, "change"))
                by = LT_BY_CHANGE;
            else {
                lt_cli_err("rank", "--by must be index, pm25 or change, not '%s'", optarg);
                goto out;
            }
            break;
        case 'f':
            fmt = lt_fmt_parse(optarg, 7u);
            if (fmt < 0) {
                lt_cli_err("rank", "--format must be table, csv or json, not '%s'", optarg);
                goto out;
            }
            break;
        case 'h':
            lt__rank_usage(stdout);
            rc = LT_EXIT_OK;
            goto out;
        default:
            if (lt_cli_source_option(&src, opt, optarg))
                break;
            lt__rank_usage(stderr);
            goto out;
        }
    }
    lt_cli_source_rest(&src, argc, argv);
    enum lt_area_level level;
    if (!level_s || !period) {
        lt_cli_err("rank", "--level and --period are required");
        lt__rank_usage(stderr);
        goto out;
    }
    if (!strcmp(level_s, "city"))
        level = LT_AREA_CITY;
    else if (!strcmp(level_s, "county"))
        level = LT_AREA_COUNTY;
    else {
        lt_cli_err("rank", "--level must be city or county, not '%s'", level_s);
        goto out;
    }
    int32_t from, to, pfrom = 0, pto = 0;
    if (lt_period_parse(period, &from, &to)) {
        lt_cli_err("rank", "--period '%s' is not YYYY, YYYY-MM, YYYY-Qn or YYYY-MM-DD:YYYY-MM-DD",
                   period);
        goto out;
    }
    int32_t load0 = from;
    if (by == LT_BY_CHANGE) {
        lt_period_prev_year(from, to, &pfrom, &pto);
        load0 = pfrom;
    }
    struct lt_rules rules;
    if (lt_cli_load_rules("rank", src.rules, &rules) || lt_cli_source_open("rank", &src))
        goto out;
    if (lt_cli_load("rank", &src, level, NULL, province, load0, to - load0 + 1, &rules, false, &ds))
        goto out;
    if (lt_areas_build(&ds, level, NULL, &areas, &nareas))
        goto out;
    if (!nareas) {
        lt_cli_err("rank", "no %s with evaluation sites%s%s", level_s, province ? " in " : "",
                   province ? province : "");
        goto out;
    }
    rows = calloc((size_t)nareas, sizeof(*rows));
    double *keys = calloc((size_t)nareas, sizeof(double));
    int *ranks = calloc((size_t)nareas, sizeof(int));
    if (!rows || !keys || !ranks) {
        free(keys);
        free(ranks);
        goto out;
    }
    int nprev = 0;
    for (int i = 0; i < nareas; i++) {
        struct lt__rank_row *r = &rows[i];
        struct lt_day *days = NULL;
        r->area = &areas[i];
        if (lt_area_days(&ds, &areas[i], from, to, src.st, &days) ||
            lt_period_compute(days, from, to - from + 1, &rules, &r->now)) {
            free(days);
            lt_cli_err("rank", "cannot compute %s (is every day covered by a rule set?)",
                       areas[i].name);
            free(keys);
            free(ranks);
            goto out;
        }
        free(days);
        if (by == LT_BY_CHANGE) {
            if (lt_area_days(&ds, &areas[i], pfrom, pto, src.st, &days) == 0 &&
                lt_period_compute(days, pfrom, pto - pfrom + 1, &rules, &r->prev) == 0 &&
                !isnan(r->prev.index) && r->prev.index > 0)
                r->has_prev = true;
            free(days);
            nprev += r->has_prev;
        }
        /* Rank on values as reported: index to 2 decimals, PM2.5 integer, change to 0.1 %. */
        if (by == LT_BY_INDEX)
            r->key = r->now.index;
        else if (by == LT_BY_PM25)
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
    free(keys);
    free(ranks);
    qsort(rows, (size_t)nareas, sizeof(*rows), lt__row_cmp);
    if (by == LT_BY_CHANGE && !nprev)
        lt_cli_err("rank",
                   "no data for the same period of the previous year (%d days before); "
                   "nothing to rank by change",
                   (int)(from - pfrom));

    static const char *const hdr[] = {"rank",     "area",  "province",   "index",
                                      "PM2.5",    "PM10",  "O3_8h_p90",  "CO_p95",
                                      "SO2",      "NO2",   "good_ratio", "heavy_ratio",
                                      "aqi_days", "sites", "index_prev", "change_pct"};
    int ncols = by == LT_BY_CHANGE ? 16 : 14;
    t = lt_table_new(ncols, hdr);
    if (!t)
        goto out;
    for (int i = 0; i < nareas; i++) {
        const struct lt__rank_row *r = &rows[i];
        const struct lt_period *ps = &r->now;
        lt_table_row(t);
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
        lt_table_int(t, 13, lt_area_sites_with_data(&ds, r->area, from, to));
        if (by == LT_BY_CHANGE) {
            lt_table_num(t, 14, r->has_prev ? r->prev.index : NAN, 2);
            lt_table_num(t, 15, r->key, 1);
        }
    }
    if (fmt == LT_FMT_TABLE) {
        char a[16], b[16];
        lt_date_format(from, a, sizeof(a));
        lt_date_format(to, b, sizeof(b));
        printf("%s ranking by %s, %s … %s, rules %s\n", level_s,
               by == LT_BY_INDEX  ? "comprehensive index"
               : by == LT_BY_PM25 ? "PM2.5"
                                  : "index change",
               a, b, rows[0].now.ruleset);
    }
    lt_table_print(t, stdout, (enum lt_fmt)fmt);
    rc = LT_EXIT_OK;
out:
    lt_table_free(t);
    free(rows);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    lt_cli_source_close(&src);
    return rc;
}

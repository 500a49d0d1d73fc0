/* lantian rank — comprehensive-index ranking of cities or counties (城市环境空气质量排名技术规定,
 * 环办监测〔2018〕19号): by the index, by PM2.5, or by the change against the same period of the
 * previous year. Equal reported values share a rank. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/query.h"
#include "cli/table.h"
#include "cli/xlsx.h"
#include "lantian/util.h"

static void lt__rank_usage(FILE *f)
{
    fputs("usage: lantian rank (--db PATH | --stations CSV --input FILE...)\n"
          "                    --level city|county [--province NAME]\n"
          "                    --period YYYY|YYYY-MM|YYYY-Qn|YYYY-MM-DD:YYYY-MM-DD\n"
          "                    [--by index|pm25|change] [--format table|csv|json] [--rules FILE]\n"
          "                    [--format xlsx --output FILE]\n"
          "Ranks areas by the comprehensive index (smaller is better), by PM2.5, or by the change\n"
          "of the index against the same period of the previous year (more negative is better).\n"
          "Equal reported values share a rank. --format xlsx writes the CSV's table as an Excel\n"
          "workbook to FILE (numbers as numbers with the CSV's decimals).\n",
          f);
}

int lt_cmd_rank(int argc, char **argv)
{
    static const struct option opts[] = {{"level", required_argument, NULL, 'l'},
                                         {"province", required_argument, NULL, 'P'},
                                         {"period", required_argument, NULL, 'p'},
                                         {"by", required_argument, NULL, 'b'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},

                                         {"help", no_argument, NULL, 'h'},
                                         LT_CLI_SOURCE_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct lt_cli_source src;
    const char *period = NULL, *province = NULL, *level_s = NULL, *output = NULL;
    int by = LT_RANK_BY_INDEX;
    int fmt = LT_FMT_TABLE, opt, rc = LT_EXIT_USAGE;
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
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
            by = lt_rank_by_parse(optarg);
            if (by < 0) {
                lt_cli_err("rank", "--by must be index, pm25 or change, not '%s'", optarg);
                goto out;
            }
            break;
        case 'f':
            fmt = lt_fmt_parse(optarg, 15u);
            if (fmt < 0) {
                lt_cli_err("rank", "--format must be table, csv, json or xlsx, not '%s'", optarg);
                goto out;
            }
            break;
        case 'o':
            output = optarg;
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
    if (fmt == LT_FMT_XLSX && !output) {
        lt_cli_err("rank", "--format xlsx writes a file: give --output FILE");
        goto out;
    }
    if (output && fmt != LT_FMT_XLSX) {
        lt_cli_err("rank",
                   "--output FILE goes with --format xlsx (the other formats go to stdout)");
        goto out;
    }
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
    if (by == LT_RANK_BY_CHANGE) {
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
    struct lt_rank_info info;
    int e =
        lt_query_rank(&ds, areas, nareas, from, to, (enum lt_rank_by)by, &rules, src.st, &t, &info);
    if (e) {
        lt_cli_err("rank", "cannot rank: %s (is every day covered by a rule set?)", lt_strerror(e));
        goto out;
    }
    if (by == LT_RANK_BY_CHANGE && !info.nprev)
        lt_cli_err("rank",
                   "no data for the same period of the previous year (%d days before); "
                   "nothing to rank by change",
                   (int)(from - pfrom));
    if (fmt == LT_FMT_TABLE) {
        char a[16], b[16];
        lt_date_format(from, a, sizeof(a));
        lt_date_format(to, b, sizeof(b));
        printf("%s ranking by %s, %s … %s, rules %s\n", level_s,
               by == LT_RANK_BY_INDEX  ? "comprehensive index"
               : by == LT_RANK_BY_PM25 ? "PM2.5"
                                       : "index change",
               a, b, info.ruleset);
    }
    if (fmt == LT_FMT_XLSX) {
        char title[160], a[16], b[16];
        lt_date_format(from, a, sizeof(a));
        lt_date_format(to, b, sizeof(b));
        snprintf(title, sizeof title, "%s%s排名 %s 至 %s", province ? province : "",
                 level == LT_AREA_CITY ? "城市" : "区县", a, b);
        if (lt_xlsx_cli_save("rank", t, output, "排名", title, argc, argv))
            goto out;
    } else
        lt_table_print(t, stdout, (enum lt_fmt)fmt);
    rc = LT_EXIT_OK;
out:
    lt_table_free(t);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    lt_cli_source_close(&src);
    return rc;
}

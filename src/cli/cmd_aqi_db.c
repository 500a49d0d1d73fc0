/* lantian aqi --db — hourly (real-time) or daily AQI of a site or city from the store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/query.h"
#include "cli/table.h"
#include "cli/xlsx.h"
#include "lantian/aqi.h"
#include "lantian/util.h"

static void lt__aqi_db_usage(FILE *f)
{
    fputs(
        "usage: lantian aqi (--db PATH | --stations CSV --input FILE...)\n"
        "                   (--site CODE | --city NAME | --county NAME)\n"
        "                   --from YYYY-MM-DD --to YYYY-MM-DD [--daily]\n"
        "                   [--format table|csv|json] [--rules FILE]\n"
        "                   [--format xlsx --output FILE]\n"
        "One row per hour (real-time AQI) or per day (--daily): Beijing time, area, AQI, level,\n"
        "category, primary pollutant(s), each IAQI and the concentration it used, and the HJ 633\n"
        "edition (chosen by the data's date: HJ 633-2026 from 2026-03-01). A city's value is\n"
        "computed from the mean concentrations of its evaluation sites, never by averaging AQIs.\n"
        "--format xlsx writes the CSV's table as an Excel workbook to FILE.\n"
        "Other forms: 'lantian aqi calc' and 'lantian aqi verify' (see their --help).\n",
        f);
}

int lt_cmd_aqi_db(int argc, char **argv)
{
    static const struct option opts[] = {{"site", required_argument, NULL, 's'},
                                         {"city", required_argument, NULL, 'c'},
                                         {"county", required_argument, NULL, 'C'},
                                         {"from", required_argument, NULL, 'F'},
                                         {"to", required_argument, NULL, 'T'},
                                         {"daily", no_argument, NULL, 'D'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},

                                         {"help", no_argument, NULL, 'h'},
                                         LT_CLI_SOURCE_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct lt_cli_source src;
    const char *name = NULL, *from_s = NULL, *to_s = NULL, *output = NULL;
    enum lt_area_level level = LT_AREA_CITY;
    bool daily = false;
    int fmt = LT_FMT_TABLE, opt, rc = LT_EXIT_USAGE, nsel = 0;
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
    struct lt_table *t = NULL;
    if (lt_cli_source_init(&src, argc))
        return LT_EXIT_USAGE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
        case 'c':
        case 'C':
            name = optarg;
            level = opt == 's' ? LT_AREA_SITE : opt == 'c' ? LT_AREA_CITY : LT_AREA_COUNTY;
            nsel++;
            break;
        case 'F':
            from_s = optarg;
            break;
        case 'T':
            to_s = optarg;
            break;
        case 'D':
            daily = true;
            break;
        case 'f':
            fmt = lt_fmt_parse(optarg, 15u);
            if (fmt < 0) {
                lt_cli_err("aqi", "--format must be table, csv, json or xlsx, not '%s'", optarg);
                goto out;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            lt__aqi_db_usage(stdout);
            rc = LT_EXIT_OK;
            goto out;
        default:
            if (lt_cli_source_option(&src, opt, optarg))
                break;
            lt__aqi_db_usage(stderr);
            goto out;
        }
    }
    lt_cli_source_rest(&src, argc, argv);
    if (fmt == LT_FMT_XLSX && !output) {
        lt_cli_err("aqi", "--format xlsx writes a file: give --output FILE");
        goto out;
    }
    if (output && fmt != LT_FMT_XLSX) {
        lt_cli_err("aqi", "--output FILE goes with --format xlsx (the other formats go to stdout)");
        goto out;
    }
    int32_t from, to;
    if (nsel != 1 || !from_s || !to_s) {
        lt_cli_err("aqi", "give exactly one of --site, --city, --county, and --from and --to");
        lt__aqi_db_usage(stderr);
        goto out;
    }
    if (lt_date_parse(lt_str_of(from_s), &from) || lt_date_parse(lt_str_of(to_s), &to) ||
        to < from) {
        lt_cli_err("aqi", "--from/--to must be real YYYY-MM-DD dates with from <= to");
        goto out;
    }
    if (to - from > 3660) {
        lt_cli_err("aqi", "at most 10 years at a time");
        goto out;
    }
    struct lt_rules rules;
    if (lt_cli_load_rules("aqi", src.rules, &rules) || lt_cli_source_open("aqi", &src))
        goto out;
    if (lt_cli_load("aqi", &src, level, name, NULL, from, to - from + 1, &rules, !daily, &ds))
        goto out;
    if (lt_areas_build(&ds, level, name, &areas, &nareas) || !nareas) {
        lt_cli_err("aqi", "no evaluation site found for '%s'", name);
        goto out;
    }
    const struct lt_area *a = &areas[0];
    char label[200];
    if (level == LT_AREA_SITE)
        snprintf(label, sizeof(label), "%s %s", ds.sites[a->sites[0]].code,
                 ds.sites[a->sites[0]].name);
    else
        snprintf(label, sizeof(label), "%s", a->name);

    int e = lt_query_aqi_series(&ds, a, level, label, from, to, daily, &rules, src.st, &t);
    if (e) {
        lt_cli_err("aqi", "%s",
                   e == LT_EINVAL ? "no rule set covers the data's date; see --rules"
                                  : lt_strerror(e));
        goto out;
    }
    if (fmt == LT_FMT_XLSX) {
        char title[300];
        snprintf(title, sizeof title, "%s %s %s 至 %s", daily ? "日AQI" : "小时AQI", label, from_s,
                 to_s);
        if (lt_xlsx_cli_save("aqi", t, output, daily ? "日AQI" : "小时AQI", title, argc, argv))
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

/* lantian stats — every statistic of GB 3095 / HJ 663 for a site, city or county over a period. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "cli/table.h"
#include "lantian/util.h"

static void lt__stats_usage(FILE *f)
{
    fputs("usage: lantian stats (--db PATH | --stations CSV --input FILE...)\n"
          "                     (--site CODE | --city NAME | --county NAME)\n"
          "                     --period YYYY|YYYY-MM|YYYY-Qn|YYYY-MM-DD:YYYY-MM-DD\n"
          "                     [--format table|json] [--rules FILE]\n"
          "Statistics per GB 3095 Table 4 and HJ 663: period means with their valid-day counts,\n"
          "percentiles, exceedance days, daily-AQI day counts and ratios, attainment and the\n"
          "comprehensive index. A city or county is the mean of its evaluation sites.\n",
          f);
}

int lt_cmd_stats(int argc, char **argv)
{
    static const struct option opts[] = {{"site", required_argument, NULL, 's'},
                                         {"city", required_argument, NULL, 'c'},
                                         {"county", required_argument, NULL, 'C'},
                                         {"period", required_argument, NULL, 'p'},
                                         {"format", required_argument, NULL, 'f'},

                                         {"help", no_argument, NULL, 'h'},
                                         LT_CLI_SOURCE_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct lt_cli_source src;
    const char *name = NULL, *period = NULL;
    enum lt_area_level level = LT_AREA_CITY;
    int nsel = 0, fmt = LT_FMT_TABLE, opt, rc = LT_EXIT_USAGE;
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
    struct lt_day *days = NULL;
    if (lt_cli_source_init(&src, argc))
        return LT_EXIT_USAGE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            name = optarg;
            level = LT_AREA_SITE;
            nsel++;
            break;
        case 'c':
            name = optarg;
            level = LT_AREA_CITY;
            nsel++;
            break;
        case 'C':
            name = optarg;
            level = LT_AREA_COUNTY;
            nsel++;
            break;
        case 'p':
            period = optarg;
            break;
        case 'f':
            fmt = lt_fmt_parse(optarg, (1u << LT_FMT_TABLE) | (1u << LT_FMT_JSON));
            if (fmt < 0) {
                lt_cli_err("stats", "--format must be table or json, not '%s'", optarg);
                goto out;
            }
            break;
        case 'h':
            lt__stats_usage(stdout);
            rc = LT_EXIT_OK;
            goto out;
        default:
            if (lt_cli_source_option(&src, opt, optarg))
                break;
            lt__stats_usage(stderr);
            goto out;
        }
    }
    lt_cli_source_rest(&src, argc, argv);
    if (nsel != 1 || !period) {
        lt_cli_err("stats", "give exactly one of --site, --city, --county, and --period");
        lt__stats_usage(stderr);
        goto out;
    }
    int32_t from, to;
    if (lt_period_parse(period, &from, &to)) {
        lt_cli_err("stats",
                   "--period '%s' is not YYYY, YYYY-MM, YYYY-Qn or YYYY-MM-DD:YYYY-MM-DD "
                   "(a real date, start not after end)",
                   period);
        goto out;
    }
    struct lt_rules rules;
    if (lt_cli_load_rules("stats", src.rules, &rules) || lt_cli_source_open("stats", &src))
        goto out;
    if (lt_cli_load("stats", &src, level, name, NULL, from, to - from + 1, &rules, false, &ds))
        goto out;
    if (lt_areas_build(&ds, level, name, &areas, &nareas) || !nareas) {
        lt_cli_err("stats", "no evaluation site found for '%s'", name);
        goto out;
    }
    if (nareas > 1)
        lt_cli_err("stats", "'%s' matches %d areas (in different provinces); showing %s, %s", name,
                   nareas, areas[0].name, areas[0].province);
    if (lt_area_days(&ds, &areas[0], from, to, src.st, &days)) {
        lt_cli_err("stats", "out of memory");
        goto out;
    }
    struct lt_period ps;
    int e = lt_period_compute(days, from, to - from + 1, &rules, &ps);
    if (e) {
        lt_cli_err("stats", "cannot compute: %s (is every day covered by a rule set?)",
                   lt_strerror(e));
        goto out;
    }
    int nwith = lt_area_sites_with_data(&ds, &areas[0], from, to);
    char label[200];
    if (level == LT_AREA_SITE)
        snprintf(label, sizeof(label), "%s %s (%s)", ds.sites[areas[0].sites[0]].code,
                 ds.sites[areas[0].sites[0]].name, ds.sites[areas[0].sites[0]].city);
    else
        snprintf(label, sizeof(label), "%s", areas[0].name);
    if (fmt == LT_FMT_JSON) {
        lt_report_period_json(stdout, label, nwith, &ps, &rules);
        fputc('\n', stdout);
    } else {
        lt_report_period_table(stdout, label, nwith, &ps, &rules);
    }
    rc = LT_EXIT_OK;
out:
    free(days);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    lt_cli_source_close(&src);
    return rc;
}

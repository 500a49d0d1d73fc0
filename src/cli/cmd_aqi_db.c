/* lantian aqi --db — hourly (real-time) or daily AQI of a site or city from the store. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "cli/table.h"
#include "lantian/aqi.h"
#include "lantian/util.h"

static void lt__aqi_db_usage(FILE *f)
{
    fputs(
        "usage: lantian aqi (--db PATH | --stations CSV --input FILE...)\n"
        "                   (--site CODE | --city NAME | --county NAME)\n"
        "                   --from YYYY-MM-DD --to YYYY-MM-DD [--daily]\n"
        "                   [--format table|csv|json] [--rules FILE]\n"
        "One row per hour (real-time AQI) or per day (--daily): Beijing time, area, AQI, level,\n"
        "category, primary pollutant(s), each IAQI and the concentration it used, and the HJ 633\n"
        "edition (chosen by the data's date: HJ 633-2026 from 2026-03-01). A city's value is\n"
        "computed from the mean concentrations of its evaluation sites, never by averaging AQIs.\n"
        "Other forms: 'lantian aqi calc' and 'lantian aqi verify' (see their --help).\n",
        f);
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

int lt_cmd_aqi_db(int argc, char **argv)
{
    static const struct option opts[] = {{"site", required_argument, NULL, 's'},
                                         {"city", required_argument, NULL, 'c'},
                                         {"county", required_argument, NULL, 'C'},
                                         {"from", required_argument, NULL, 'F'},
                                         {"to", required_argument, NULL, 'T'},
                                         {"daily", no_argument, NULL, 'D'},
                                         {"format", required_argument, NULL, 'f'},

                                         {"help", no_argument, NULL, 'h'},
                                         LT_CLI_SOURCE_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct lt_cli_source src;
    const char *name = NULL, *from_s = NULL, *to_s = NULL;
    enum lt_area_level level = LT_AREA_CITY;
    bool daily = false;
    int fmt = LT_FMT_TABLE, opt, rc = LT_EXIT_USAGE, nsel = 0;
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
    struct lt_day *days = NULL;
    double *so2 = NULL;
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
            fmt = lt_fmt_parse(optarg, 7u);
            if (fmt < 0) {
                lt_cli_err("aqi", "--format must be table, csv or json, not '%s'", optarg);
                goto out;
            }
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

    static const char *const hdr[] = {
        "time",       "area",     "aqi",     "level",   "category",  "primary",
        "iaqi_SO2",   "iaqi_NO2", "iaqi_CO", "iaqi_O3", "iaqi_PM10", "iaqi_PM2.5",
        "iaqi_O3_1h", "SO2",      "NO2",     "CO",      "O3",        "PM10",
        "PM2.5",      "O3_1h",    "edition", "note"};
    t = lt_table_new(22, hdr);
    if (!t)
        goto out;
    int nrows = daily ? to - from + 1 : (to - from + 1) * 24;
    if (daily) {
        if (lt_area_days(&ds, a, from, to, src.st, &days))
            goto out;
    } else {
        so2 = malloc(sizeof(double) * (size_t)nrows);
        if (!so2)
            goto out;
    }
    /* In hourly mode the area's hourly SO2 is computed first, for the 2012 24-h substitution. */
    if (!daily)
        for (int k = 0; k < nrows; k++) {
            double c[LT_POLL_N];
            lt_area_hour(&ds, a, k, c);
            so2[k] = c[LT_SO2];
        }
    for (int k = 0; k < nrows; k++) {
        struct lt_aqi_input in;
        struct lt_aqi r;
        char when[24], prim[64];
        int32_t day = daily ? from + k : ds.day0 + k / 24;
        const struct lt_ruleset *rs = lt_rules_for_day(&rules, day);
        if (!rs) {
            lt_cli_err("aqi", "no rule set covers the data's date; see --rules");
            goto out;
        }
        if (daily) {
            lt_day_aqi(&days[k], rs->aqi, &r);
            lt_date_format(day, when, sizeof(when));
        } else {
            lt_aqi_input_init(&in);
            lt_area_hour(&ds, a, k, in.c);
            in.so2_24h = lt__so2_24h(so2, k);
            if (level == LT_AREA_SITE)
                in.not_monitored = ds.not_monitored[a->sites[0]];
            lt_aqi_compute(rs->aqi, LT_AQI_HOURLY, &in, &r);
            lt_bj_format_hour(lt_hour_end_utc(day, k % 24 + 1), when, sizeof(when));
        }
        lt_aqi_primary_format(&r, ",", prim, sizeof(prim));
        lt_table_row(t);
        lt_table_str(t, 0, when);
        lt_table_str(t, 1, label);
        if (r.aqi != LT_IAQI_NA) {
            lt_table_int(t, 2, r.aqi);
            lt_table_str(t, 3, lt_aqi_level_name(r.level));
            lt_table_str(t, 4, lt_aqi_category(r.level));
        }
        lt_table_str(t, 5, r.aqi != LT_IAQI_NA && r.aqi > 50 ? prim : NULL);
        for (int i = 0; i < LT_ITEM_N; i++) {
            if (r.iaqi[i] != LT_IAQI_NA)
                lt_table_int(t, 6 + i, r.iaqi[i]);
            lt_table_num(t, 13 + i, r.conc[i], i == LT_CO ? 1 : 0);
        }
        lt_table_str(t, 20, lt_edition_name(rs->aqi));
        const char *note = r.flags & LT_AQI_F_EMPTY ? "no data"
                           : r.flags & LT_AQI_F_WITHHELD
                               ? "partial, AQI withheld (HJ 633-2026 5.3.1)"
                           : r.flags & LT_AQI_F_PARTIAL ? "partial"
                           : r.flags & LT_AQI_F_CAPPED  ? "IAQI capped at 500"
                                                        : NULL;
        lt_table_str(t, 21, note);
    }
    lt_table_print(t, stdout, (enum lt_fmt)fmt);
    rc = LT_EXIT_OK;
out:
    lt_table_free(t);
    free(so2);
    free(days);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    lt_cli_source_close(&src);
    return rc;
}

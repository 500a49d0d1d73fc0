/* lantian target — where an area stands against its plan targets, and the remaining-days budget. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/query.h"
#include "cli/report.h"
#include "cli/table.h"
#include "lantian/target.h"
#include "lantian/util.h"

#define LT_TARGETS_MAX 256

static void lt__target_usage(FILE *f)
{
    fputs(
        "usage: lantian target (--db PATH | --stations CSV --input FILE...)\n"
        "                      (--city NAME | --county NAME) --year YYYY --as-of YYYY-MM-DD\n"
        "                      (--config FILE | [--pm25 X] [--pm10 X] [--good-ratio PCT]\n"
        "                       [--good-days N] [--heavy-ratio PCT] [--index X] [--ruleset NAME])\n"
        "                      [--format table|json] [--rules FILE]\n"
        "Where the area stands on each target from 1 January to --as-of, and what the rest of\n"
        "the year may still carry: the highest mean PM2.5/PM10 the remaining days may average,\n"
        "the non-good and heavy days still allowed, or that a target can no longer be met.\n"
        "Values may be written \"<36\" (strictly below) or \"36\" (at most). With --config the\n"
        "file's [target] for the area and year is used (see config/targets-demo.ini).\n",
        f);
}

static int lt__set_value(struct lt_target *t, enum lt_target_kind k, const char *v, const char *opt)
{
    if (lt_query_target_value(t, k, v)) {
        lt_cli_err("target", "%s '%s' is not a valid target value", opt, v);
        return -1;
    }
    return 0;
}

int lt_cmd_target(int argc, char **argv)
{
    static const struct option opts[] = {{"city", required_argument, NULL, 'c'},
                                         {"county", required_argument, NULL, 'C'},
                                         {"year", required_argument, NULL, 'y'},
                                         {"as-of", required_argument, NULL, 'a'},
                                         {"config", required_argument, NULL, 'g'},
                                         {"pm25", required_argument, NULL, '1'},
                                         {"pm10", required_argument, NULL, '2'},
                                         {"good-ratio", required_argument, NULL, '3'},
                                         {"good-days", required_argument, NULL, '4'},
                                         {"heavy-ratio", required_argument, NULL, '5'},
                                         {"index", required_argument, NULL, '6'},
                                         {"ruleset", required_argument, NULL, 'R'},
                                         {"format", required_argument, NULL, 'f'},

                                         {"help", no_argument, NULL, 'h'},
                                         LT_CLI_SOURCE_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct lt_cli_source src;
    const char *area = NULL, *as_of_s = NULL, *config = NULL, *ruleset = NULL;
    enum lt_area_level level = LT_AREA_CITY;
    long long year = 0;
    int fmt = LT_FMT_TABLE, opt, rc = LT_EXIT_USAGE, nsel = 0, nvalues = 0;
    struct lt_target *targets = calloc(LT_TARGETS_MAX, sizeof(struct lt_target));
    struct lt_target cli;
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
    struct lt_day *days = NULL;
    char *text = NULL;
    struct lt_table *t = NULL;
    memset(&cli, 0, sizeof(cli));
    for (int k = 0; k < LT_TGT_N; k++)
        cli.value[k] = NAN;
    if (lt_cli_source_init(&src, argc) || !targets)
        goto out;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
        case 'C':
            area = optarg;
            level = opt == 'c' ? LT_AREA_CITY : LT_AREA_COUNTY;
            nsel++;
            break;
        case 'y':
            if (lt_parse_int(lt_str_of(optarg), 1900, 2199, &year)) {
                lt_cli_err("target", "--year '%s' is not a year", optarg);
                goto out;
            }
            break;
        case 'a':
            as_of_s = optarg;
            break;
        case 'g':
            config = optarg;
            break;
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
            if (lt__set_value(&cli, (enum lt_target_kind)(opt - '1'), optarg,
                              lt_target_kind_name((enum lt_target_kind)(opt - '1'))))
                goto out;
            nvalues++;
            break;
        case 'R':
            ruleset = optarg;
            break;
        case 'f':
            fmt = lt_fmt_parse(optarg, (1u << LT_FMT_TABLE) | (1u << LT_FMT_JSON));
            if (fmt < 0) {
                lt_cli_err("target", "--format must be table or json, not '%s'", optarg);
                goto out;
            }
            break;
        case 'h':
            lt__target_usage(stdout);
            rc = LT_EXIT_OK;
            goto out;
        default:
            if (lt_cli_source_option(&src, opt, optarg))
                break;
            lt__target_usage(stderr);
            goto out;
        }
    }
    lt_cli_source_rest(&src, argc, argv);
    if (nsel != 1 || !year || !as_of_s || (!config && !nvalues) || (config && nvalues)) {
        lt_cli_err("target", "give --city or --county, --year, --as-of, and either --config FILE "
                             "or target values (--pm25, --good-ratio, ...)");
        lt__target_usage(stderr);
        goto out;
    }
    int32_t as_of;
    if (lt_date_parse(lt_str_of(as_of_s), &as_of)) {
        lt_cli_err("target", "--as-of '%s' is not a YYYY-MM-DD date", as_of_s);
        goto out;
    }
    int32_t jan1 = lt_days_from_civil((int)year, 1, 1);
    if (as_of < jan1 || as_of > lt_days_from_civil((int)year, 12, 31)) {
        lt_cli_err("target", "--as-of %s is not in %lld", as_of_s, year);
        goto out;
    }
    struct lt_target *tg = &cli;
    if (config) {
        size_t len;
        struct lt_diag d = {0};
        if (lt_cli_read_file(config, &text, &len)) {
            lt_cli_err("target", "cannot read %s", config);
            goto out;
        }
        int n = lt_targets_parse(text, len, targets, LT_TARGETS_MAX, &d);
        if (n < 0) {
            lt_cli_err("target", "%s: %s", config, d.msg);
            goto out;
        }
        tg = NULL;
        for (int i = 0; i < n; i++)
            if (targets[i].year == year && lt_place_match(area, targets[i].area))
                tg = &targets[i];
        if (!tg) {
            lt_cli_err("target", "%s has no target for %s in %lld", config, area, year);
            goto out;
        }
    } else {
        snprintf(cli.name, sizeof(cli.name), "%s %lld", area, year);
        snprintf(cli.area, sizeof(cli.area), "%s", area);
        cli.year = (int)year;
        if (ruleset)
            snprintf(cli.ruleset, sizeof(cli.ruleset), "%s", ruleset);
    }
    struct lt_rules rules;
    if (lt_cli_load_rules("target", src.rules, &rules) || lt_cli_source_open("target", &src))
        goto out;
    if (tg->ruleset[0] && !lt_rules_by_name(&rules, tg->ruleset)) {
        lt_cli_err("target", "the target's rule set '%s' is not defined in the rules", tg->ruleset);
        goto out;
    }
    if (lt_cli_load("target", &src, level, area, NULL, jan1, as_of - jan1 + 1, &rules, false, &ds))
        goto out;
    if (lt_areas_build(&ds, level, area, &areas, &nareas) || !nareas) {
        lt_cli_err("target", "no evaluation site found for '%s'", area);
        goto out;
    }
    if (lt_area_days(&ds, &areas[0], jan1, as_of, src.st, &days))
        goto out;
    struct lt_target_status s;
    int e = lt_target_evaluate(tg, days, as_of, &rules, &s);
    if (e) {
        lt_cli_err("target", "cannot evaluate: %s", lt_strerror(e));
        goto out;
    }
    char asof[16];
    lt_date_format(as_of, asof, sizeof(asof));
    if (lt_query_target_table(tg, &s, &t)) {
        lt_cli_err("target", "out of memory");
        goto out;
    }
    if (fmt == LT_FMT_JSON) {
        lt_query_target_json(stdout, tg, areas[0].name,
                             lt_area_sites_with_data(&ds, &areas[0], jan1, as_of), &s, t, &rules);
        putchar('\n');
    } else {
        printf("%s — targets %s (%s), as of %s: %d days gone, %d days remaining\n", areas[0].name,
               tg->name, tg->ruleset[0] ? tg->ruleset : "rules by date", asof, s.days_elapsed,
               s.days_remaining);
        if (tg->source[0])
            printf("source: %s\n", tg->source);
        putchar('\n');
        lt_table_print(t, stdout, LT_FMT_TABLE);
        printf("\nYear to date:\n");
        lt_report_period_table(stdout, areas[0].name,
                               lt_area_sites_with_data(&ds, &areas[0], jan1, as_of), &s.ytd,
                               &rules);
    }
    rc = LT_EXIT_OK;
out:
    lt_table_free(t);
    free(text);
    free(days);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    lt_cli_source_close(&src);
    free(targets);
    return rc;
}

/* lantian target — where an area stands against its plan targets, and the remaining-days budget. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
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

static int lt__set_value(struct lt_target *t, enum lt_target_kind k, const char *v, const char *opt)
{
    char buf[160];
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
    if (n <= 0 || (size_t)n >= sizeof(buf) || lt_targets_parse(buf, (size_t)n, &one, 1, &d) != 1) {
        lt_cli_err("target", "%s '%s' is not a valid target value", opt, v);
        return -1;
    }
    t->value[k] = one.value[k];
    t->strict[k] = one.strict[k];
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
    static const char *const hdr[] = {"target", "goal", "current", "state",
                                      "budget", "状态", "说明"};
    t = lt_table_new(7, hdr);
    if (!t)
        goto out;
    for (int k = 0; k < LT_TGT_N; k++) {
        const struct lt_target_item *it = &s.item[k];
        if (it->state == LT_TGT_UNSET)
            continue;
        char goal[32], sent[256];
        bool floor_kind = k == LT_TGT_GOOD_RATIO || k == LT_TGT_GOOD_DAYS;
        snprintf(goal, sizeof(goal), "%s%g%s",
                 floor_kind ? (tg->strict[k] ? ">" : ">=") : (tg->strict[k] ? "<" : "<="),
                 it->target, k == LT_TGT_GOOD_RATIO || k == LT_TGT_HEAVY_RATIO ? "%" : "");
        lt__sentence(sent, sizeof(sent), (enum lt_target_kind)k, it, &s);
        lt_table_row(t);
        lt_table_str(t, 0, lt_target_kind_name((enum lt_target_kind)k));
        lt_table_str(t, 1, goal);
        lt_table_num(t, 2, it->current, lt__current_decimals((enum lt_target_kind)k));
        lt_table_str(t, 3, lt_target_state_name(it->state));
        lt_table_num(t, 4, it->budget, lt__budget_decimals((enum lt_target_kind)k));
        lt_table_str(t, 5, lt_target_state_zh(it->state));
        lt_table_str(t, 6, sent);
    }
    if (fmt == LT_FMT_JSON) {
        printf("{\"target\": ");
        lt_json_str(stdout, tg->name);
        printf(", \"area\": ");
        lt_json_str(stdout, areas[0].name);
        printf(", \"year\": %d, \"as_of\": \"%s\", \"ruleset\": ", tg->year, asof);
        lt_json_str(stdout, tg->ruleset[0] ? tg->ruleset : "by date");
        printf(", \"days_elapsed\": %d, \"days_remaining\": %d, \"items\": ", s.days_elapsed,
               s.days_remaining);
        lt_table_print(t, stdout, LT_FMT_JSON);
        printf(", \"year_to_date\": ");
        lt_report_period_json(stdout, areas[0].name,
                              lt_area_sites_with_data(&ds, &areas[0], jan1, as_of), &s.ytd, &rules);
        printf("}\n");
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

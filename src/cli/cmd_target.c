/* lantian target — where an area stands against its plan targets, and the remaining-days budget. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "cli/query.h"
#include "cli/rows.h"
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
        "                      [--config FILE | [--pm25 X] [--pm10 X] [--good-ratio PCT]\n"
        "                       [--good-days N] [--heavy-ratio PCT] [--index X] [--ruleset NAME]]\n"
        "                      [--format table|json] [--rules FILE]\n"
        "       lantian target import --db PATH --config FILE [--rules FILE]\n"
        "       lantian target list --db PATH [--year YYYY] [--format table|csv|json]\n"
        "Where the area stands on each target from 1 January to --as-of, and what the rest of\n"
        "the year may still carry: the highest mean PM2.5/PM10 the remaining days may average,\n"
        "the non-good and heavy days still allowed, or that a target can no longer be met.\n"
        "Values may be written \"<36\" (strictly below) or \"36\" (at most). The target is,\n"
        "in this order: the values given; the [target] of --config FILE for the area and year\n"
        "(see config/targets-demo.ini); the target stored in --db (lantian target import).\n"
        "import stores every [target] of FILE in the store (each one replaces the stored target\n"
        "of its area and year; audited); list shows the stored values with who set them, when.\n",
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

/* lantian target import --db PATH --config FILE [--rules FILE]: every [target] of the file into
 * the store, in one transaction with one audit row per target that changed. */
static int lt__target_import(int argc, char **argv)
{
    const char *db = NULL, *config = NULL, *rules_path = NULL;
    struct lt_target *v = calloc(LT_TARGETS_MAX, sizeof *v);
    struct lt_store *st = NULL;
    struct lt_diag d = {0};
    char *text = NULL, user[64];
    size_t len = 0;
    int rc = LT_EXIT_USAGE, n, added = 0, changed = 0, same = 0;
    bool in_tx = false;

    if (!v) {
        lt_cli_err("target", "out of memory");
        return LT_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            lt__target_usage(stdout);
            rc = LT_EXIT_OK;
            goto out;
        }
        if ((r = lt_cli_opt("target", argc, argv, &i, "--db", &db)) ||
            (r = lt_cli_opt("target", argc, argv, &i, "--config", &config)) ||
            (r = lt_cli_opt("target", argc, argv, &i, "--rules", &rules_path))) {
            if (r < 0)
                goto out;
            continue;
        }
        lt_cli_err("target", "import: unknown argument '%s'", argv[i]);
        goto out;
    }
    if (!db || !config) {
        lt_cli_err("target", "import needs --db PATH and --config FILE");
        goto out;
    }
    if (lt_cli_read_file(config, &text, &len)) {
        lt_cli_err("target", "cannot read %s", config);
        goto out;
    }
    n = lt_targets_parse(text, len, v, LT_TARGETS_MAX, &d);
    if (n < 0) {
        lt_cli_err("target", "%s: %s", config, d.msg);
        goto out;
    }
    /* Check every target before writing any: the import is all or nothing. */
    struct lt_rules rules;
    if (lt_cli_load_rules("target", rules_path, &rules))
        goto out;
    for (int i = 0; i < n; i++) {
        const char *why = !v[i].area[0] ? "no area (area = NAME)"
                          : !v[i].year  ? "no year (year = YYYY)"
                          : v[i].ruleset[0] && !lt_rules_by_name(&rules, v[i].ruleset)
                              ? "its ruleset is not defined in the rules"
                              : NULL;
        if (why) {
            lt_cli_err("target", "%s: [%s]: %s; nothing imported", config, v[i].name, why);
            goto out;
        }
    }
    if (lt_store_open(&st, db, &d)) {
        lt_cli_err("target", "cannot open database: %s", d.msg);
        goto out;
    }
    lt_audit_cli_user(user, sizeof user);
    int64_t now_ms = lt_audit_now_ms();
    if (lt_store_begin(st))
        goto store_err;
    in_tx = true;
    for (int i = 0; i < n; i++) {
        struct lt_store_target cur, now;
        struct lt_audit_row r;
        bool ch = false;
        int e = lt_store_target_get(st, v[i].area, v[i].year, &cur);
        if (e && e != LT_ENOTFOUND)
            goto store_err;
        bool existed = e == 0;
        if (lt_store_target_put(st, &v[i], user, now_ms / 1000, &ch))
            goto store_err;
        if (!ch) {
            same++;
            continue;
        }
        if (existed)
            changed++;
        else
            added++;
        /* After: the target as stored (its area keeps the name it was first stored under). */
        if (lt_store_target_get(st, v[i].area, v[i].year, &now) || lt_audit_row_open(&r))
            goto store_err;
        if (existed)
            lt_audit_target_json(r.b, &cur.t);
        lt_audit_target_json(r.a, &now.t);
        char obj[128];
        snprintf(obj, sizeof obj, "target/%s/%d", now.t.area, now.t.year);
        e = lt_audit_row_append(&r, st, now_ms, user, "target_import", obj);
        lt_audit_row_free(&r);
        if (e)
            goto store_err;
    }
    if (lt_store_commit(st))
        goto store_err;
    in_tx = false;
    printf("%s: %d target%s: %d new, %d changed, %d unchanged\n", config, n, n == 1 ? "" : "s",
           added, changed, same);
    rc = LT_EXIT_OK;
    goto out;
store_err:
    lt_cli_err("target", "%s: %s", db, lt_store_errmsg(st));
    rc = LT_EXIT_USAGE;
out:
    if (in_tx)
        lt_store_rollback(st);
    lt_store_close(st);
    free(text);
    free(v);
    return rc;
}

/* lantian target list --db PATH [--year YYYY] [--format table|csv|json]: the stored values. */
static int lt__target_list(int argc, char **argv)
{
    const char *db = NULL, *year_s = NULL, *format = NULL;
    struct lt_store *st = NULL;
    struct lt_store_target *v = NULL;
    struct lt_table *t = NULL;
    struct lt_diag d = {0};
    long long year = 0;
    int n = 0, rc = LT_EXIT_USAGE;
    for (int i = 2; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            lt__target_usage(stdout);
            return LT_EXIT_OK;
        }
        if ((r = lt_cli_opt("target", argc, argv, &i, "--db", &db)) ||
            (r = lt_cli_opt("target", argc, argv, &i, "--year", &year_s)) ||
            (r = lt_cli_opt("target", argc, argv, &i, "--format", &format))) {
            if (r < 0)
                return LT_EXIT_USAGE;
            continue;
        }
        lt_cli_err("target", "list: unknown argument '%s'", argv[i]);
        return LT_EXIT_USAGE;
    }
    int fmt = lt_fmt_parse(format ? format : "table",
                           1u << LT_FMT_TABLE | 1u << LT_FMT_CSV | 1u << LT_FMT_JSON);
    if (!db || fmt < 0 || (year_s && lt_parse_int(lt_str_of(year_s), 1900, 2199, &year))) {
        lt_cli_err("target", "list needs --db PATH; --year YYYY and --format table|csv|json are "
                             "optional");
        return LT_EXIT_USAGE;
    }
    if (lt_store_open(&st, db, &d)) {
        lt_cli_err("target", "cannot open database: %s", d.msg);
        return LT_EXIT_USAGE;
    }
    if (lt_store_targets(st, (int)year, &v, &n)) {
        lt_cli_err("target", "%s", lt_store_errmsg(st));
        goto out;
    }
    t = lt_rows_new(LT_ROWS_TARGET);
    for (int i = 0; t && i < n; i++)
        if (lt_rows_target(t, &v[i])) {
            lt_table_free(t);
            t = NULL;
        }
    if (!t) {
        lt_cli_err("target", "out of memory");
        goto out;
    }
    lt_table_print(t, stdout, (enum lt_fmt)fmt);
    rc = LT_EXIT_OK;
out:
    lt_table_free(t);
    free(v);
    lt_store_close(st);
    return rc;
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
    struct lt_store_target stored;
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
    struct lt_day *days = NULL;
    char *text = NULL;
    struct lt_table *t = NULL;
    memset(&cli, 0, sizeof(cli));
    for (int k = 0; k < LT_TGT_N; k++)
        cli.value[k] = NAN;
    if (argc >= 2 && !strcmp(argv[1], "import")) {
        free(targets);
        return lt__target_import(argc, argv);
    }
    if (argc >= 2 && !strcmp(argv[1], "list")) {
        free(targets);
        return lt__target_list(argc, argv);
    }
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
    if (nsel != 1 || !year || !as_of_s || (config && nvalues) || (!config && !nvalues && !src.db)) {
        lt_cli_err("target", "give --city or --county, --year, --as-of, and either --config FILE, "
                             "target values (--pm25, --good-ratio, ...) or --db with stored "
                             "targets");
        lt__target_usage(stderr);
        goto out;
    }
    if (ruleset && !nvalues) {
        lt_cli_err("target", "--ruleset goes with target values (a stored or file target names "
                             "its own)");
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
    } else if (nvalues) {
        snprintf(cli.name, sizeof(cli.name), "%s %lld", area, year);
        snprintf(cli.area, sizeof(cli.area), "%s", area);
        cli.year = (int)year;
        if (ruleset)
            snprintf(cli.ruleset, sizeof(cli.ruleset), "%s", ruleset);
    }
    struct lt_rules rules;
    if (lt_cli_load_rules("target", src.rules, &rules) || lt_cli_source_open("target", &src))
        goto out;
    if (!config && !nvalues) {
        /* Neither a file nor values: the store's target of the area and year. */
        int e = lt_store_target_get(src.st, area, (int)year, &stored);
        if (e == LT_ENOTFOUND || e == LT_EINVAL) {
            lt_cli_err("target",
                       "the store has no target for %s in %lld (lantian target import --db %s "
                       "--config FILE, or give --config FILE or target values)",
                       area, year, src.db);
            rc = LT_EXIT_REJECTED;
            goto out;
        }
        if (e) {
            lt_cli_err("target", "cannot read targets: %s", lt_store_errmsg(src.st));
            goto out;
        }
        tg = &stored.t;
    }
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
        lt_query_target_json(stdout, tg,
                             nvalues  ? "values"
                             : config ? "file"
                                      : "store",
                             areas[0].name, lt_area_sites_with_data(&ds, &areas[0], jan1, as_of),
                             &s, t, &rules);
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

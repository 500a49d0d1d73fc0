/* lantian correct — record a correction (数据审核) of an hourly value, or list the audit trail.
 *
 *   lantian correct --db PATH --site CODE --pollutant P --time "YYYY-MM-DD HH:00"
 *                   (--value X | --invalidate) --who NAME --why TEXT
 *   lantian correct --db PATH --list [--site CODE] [--format table|csv|json]
 *
 * A correction never changes the raw value: it is a new record naming who, when, why, the value
 * before and the value after (DESIGN.md). Readers see the latest correction of each value.
 * Each correction also appends its audit row (user "cli:<login>") in the same transaction.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "cli/rows.h"
#include "cli/table.h"
#include "lantian/util.h"
#include "store/store.h"

#define CMD "correct"

static void lt__usage(FILE *f)
{
    fprintf(
        f,
        "usage: lantian correct --db PATH --site CODE --pollutant P --time \"YYYY-MM-DD HH:00\"\n"
        "                       (--value X | --invalidate) --who NAME --why TEXT\n"
        "       lantian correct --db PATH --list [--site CODE] [--format table|csv|json]\n"
        "\n"
        "Records a correction of the 1-h value of pollutant P (SO2, NO2, CO, O3, PM10, PM2.5)\n"
        "at station CODE for the hour ending at --time (Beijing time; \"24:00\" may be given as\n"
        "00:00 of the next day). --value gives the corrected value (CO in mg/m3, others in\n"
        "ug/m3); --invalidate marks the value invalid. The raw value is kept; every correction\n"
        "is listed with --list, oldest first.\n"
        "\n"
        "exit status: 0 done, 1 no value stored for that hour, 2 bad command line or database.\n");
}

/* Fewest decimals (0..6) that write v back exactly, so the listing shows values as stored. */
static int lt__list(struct lt_store *st, const char *site, enum lt_fmt fmt)
{
    struct lt_correction *c = NULL;
    struct lt_table *t = NULL;
    int n = 0, rc = LT_EXIT_OK;

    int err = lt_store_corrections(st, site, &c, &n);
    if (err == LT_ENOTFOUND) {
        lt_cli_err(CMD, "unknown station %s", site);
        return LT_EXIT_REJECTED;
    }
    if (err) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    t = lt_rows_new(LT_ROWS_CORRECTION);
    if (!t) {
        lt_cli_err(CMD, "out of memory");
        rc = LT_EXIT_USAGE;
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (lt_rows_correction(t, &c[i])) {
            lt_cli_err(CMD, "out of memory");
            rc = LT_EXIT_USAGE;
            goto out;
        }
    lt_table_print(t, stdout, fmt);
out:
    lt_table_free(t);
    free(c);
    return rc;
}

int lt_cmd_correct(int argc, char **argv)
{
    const char *db = NULL, *site = NULL, *poll = NULL, *when = NULL, *value = NULL, *who = NULL,
               *why = NULL, *format = NULL;
    bool list = false, invalidate = false;
    struct lt_store *st = NULL;
    struct lt_diag d = {0};
    int status = LT_EXIT_USAGE;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            lt__usage(stdout);
            return LT_EXIT_OK;
        }
        if (!strcmp(a, "--list")) {
            list = true;
            continue;
        }
        if (!strcmp(a, "--invalidate")) {
            invalidate = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--db", &db)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--site", &site)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--pollutant", &poll)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--time", &when)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--value", &value)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--who", &who)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--why", &why)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--format", &format))) {
            if (r < 0)
                return LT_EXIT_USAGE;
            continue;
        }
        lt_cli_err(CMD, "unknown argument '%s'", a);
        lt__usage(stderr);
        return LT_EXIT_USAGE;
    }
    if (!db) {
        lt_cli_err(CMD, "--db PATH is required");
        return LT_EXIT_USAGE;
    }

    if (list) {
        int fmt = lt_fmt_parse(format ? format : "table",
                               1u << LT_FMT_TABLE | 1u << LT_FMT_CSV | 1u << LT_FMT_JSON);
        if (fmt < 0) {
            lt_cli_err(CMD, "unknown --format '%s' (want table, csv or json)", format);
            return LT_EXIT_USAGE;
        }
        if (poll || when || value || invalidate || who || why) {
            lt_cli_err(CMD, "--list takes only --site and --format");
            return LT_EXIT_USAGE;
        }
        if (lt_store_open(&st, db, &d)) {
            lt_cli_err(CMD, "cannot open database: %s", d.msg);
            return LT_EXIT_USAGE;
        }
        status = lt__list(st, site, (enum lt_fmt)fmt);
        goto out;
    }

    if (!site || !poll || !when || !who || !why || (!value == !invalidate)) {
        lt_cli_err(CMD, "need --site, --pollutant, --time, one of --value/--invalidate, --who "
                        "and --why (or --list)");
        return LT_EXIT_USAGE;
    }
    if (format) {
        lt_cli_err(CMD, "--format goes with --list");
        return LT_EXIT_USAGE;
    }
    int p = lt_pollutant_parse(poll, strlen(poll));
    if (p < 0) {
        lt_cli_err(CMD, "unknown pollutant '%s' (want SO2, NO2, CO, O3, PM10 or PM2.5)", poll);
        return LT_EXIT_USAGE;
    }
    int64_t ts;
    if (lt_bj_parse_hour(lt_str_of(when), &ts) || ts % 3600 != 0) {
        lt_cli_err(CMD, "--time '%s' is not a whole hour \"YYYY-MM-DD HH:00\"", when);
        return LT_EXIT_USAGE;
    }
    double v = NAN;
    if (value && (lt_parse_double(lt_str_of(value), &v) || v < 0)) {
        lt_cli_err(CMD, "--value '%s' is not a non-negative number", value);
        return LT_EXIT_USAGE;
    }
    if (!lt_str_trim(lt_str_of(who)).len || !lt_str_trim(lt_str_of(why)).len) {
        lt_cli_err(CMD, "--who and --why must not be empty");
        return LT_EXIT_USAGE;
    }
    if (strlen(who) >= sizeof(((struct lt_correction *)0)->who) ||
        strlen(why) >= sizeof(((struct lt_correction *)0)->why)) {
        lt_cli_err(CMD, "--who (63 bytes) or --why (255 bytes) is too long");
        return LT_EXIT_USAGE;
    }
    if (lt_store_open(&st, db, &d)) {
        lt_cli_err(CMD, "cannot open database: %s", d.msg);
        return LT_EXIT_USAGE;
    }
    struct lt_site known;
    if (lt_store_site_get(st, site, &known)) {
        lt_cli_err(CMD, "unknown station %s", site);
        status = LT_EXIT_REJECTED;
        goto out;
    }
    int64_t id;
    char tb[32], ob[64], user[64], *before = NULL, *after = NULL;
    lt_bj_format_hour(ts, tb, sizeof tb);
    /* The correction and its audit row (by the operator's login; --who names the person on the
     * record) in one transaction. */
    lt_audit_cli_user(user, sizeof user);
    int rc = lt_store_begin(st);
    if (!rc)
        rc = lt_audit_correct(st, site, p, ts, v, who, why, user, lt_audit_now_ms(), &id, &before,
                              &after);
    if (!rc)
        rc = lt_store_commit(st);
    free(before);
    free(after);
    if (rc)
        lt_store_rollback(st);
    if (rc == LT_ENOTFOUND) {
        lt_cli_err(CMD, "no %s value stored for station %s at %s", lt_pollutant_name(p), site, tb);
        status = LT_EXIT_REJECTED;
        goto out;
    }
    if (rc) {
        lt_cli_err(CMD, "%s", rc == LT_ESTORE ? lt_store_errmsg(st) : lt_strerror(rc));
        status = LT_EXIT_USAGE;
        goto out;
    }
    struct lt_correction *c = NULL;
    int n = 0;
    double old = NAN;
    if (!lt_store_corrections(st, site, &c, &n))
        for (int i = 0; i < n; i++)
            if (c[i].id == id)
                old = c[i].old_value;
    free(c);
    if (isnan(old))
        snprintf(ob, sizeof ob, "none");
    else
        snprintf(ob, sizeof ob, "%.*f", lt_rows_decimals(old), old);
    if (isnan(v))
        printf("correction %lld: %s %s %s: %s -> invalid\n", (long long)id, site,
               lt_pollutant_name(p), tb, ob);
    else
        printf("correction %lld: %s %s %s: %s -> %.*f\n", (long long)id, site, lt_pollutant_name(p),
               tb, ob, lt_rows_decimals(v), v);
    status = LT_EXIT_OK;
out:
    lt_store_close(st);
    return status;
}

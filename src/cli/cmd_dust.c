/* lantian dust — flag or unflag dust-affected area-days (环办监测〔2016〕120号), or list them.
 *
 *   lantian dust --db PATH --area NAME --date YYYY-MM-DD[:YYYY-MM-DD] [--clear]
 *   lantian dust --db PATH --list [--area NAME] [--format table|csv|json]
 *
 * PM10 and PM2.5 of a flagged day are excluded from the assessment of that area (STANDARDS.md);
 * the flag is stored per area name exactly as given (a city or a county). Each run appends its
 * audit row (user "cli:<login>") in the same transaction as the flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "lantian/util.h"
#include "store/store.h"

#define CMD "dust"
/* A range longer than this is almost certainly a typo in a year. */
#define LT__MAX_DAYS 366

static void lt__usage(FILE *f)
{
    fprintf(
        f,
        "usage: lantian dust --db PATH --area NAME --date YYYY-MM-DD[:YYYY-MM-DD] [--clear]\n"
        "       lantian dust --db PATH --list [--area NAME] [--format table|csv|json]\n"
        "\n"
        "Flags the natural days (Beijing time) of an area (city or county, as named in the\n"
        "site registry) as affected by dust or sand (环办监测〔2016〕120号): their PM10 and\n"
        "PM2.5 are excluded from assessments. --clear removes the flags. A range covers at most\n"
        "366 days.\n");
}

/* "YYYY-MM-DD" or "YYYY-MM-DD:YYYY-MM-DD" into an inclusive day range. */
static int lt__range(const char *s, int32_t *d0, int32_t *d1)
{
    struct lt_str all = lt_str_trim(lt_str_of(s));
    const char *colon = memchr(all.p, ':', all.len);
    struct lt_str a = all, b = all;
    if (colon) {
        a = (struct lt_str){all.p, (size_t)(colon - all.p)};
        b = (struct lt_str){colon + 1, all.len - (size_t)(colon - all.p) - 1};
    }
    a = lt_str_trim(a);
    b = lt_str_trim(b);
    if (a.len != 10 || b.len != 10 || lt_date_parse(a, d0) || lt_date_parse(b, d1))
        return LT_EPARSE;
    if (*d1 < *d0 || *d1 - *d0 >= LT__MAX_DAYS)
        return LT_ERANGE;
    return 0;
}

static int lt__list(struct lt_store *st, const char *area, enum lt_fmt fmt)
{
    static const char *const hdr[] = {"area", "date"};
    struct lt_dust_day *v = NULL;
    struct lt_table *t = NULL;
    int n = 0, rc = LT_EXIT_OK;

    if (lt_store_dust_list(st, area, &v, &n)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    t = lt_table_new(2, hdr);
    if (!t) {
        lt_cli_err(CMD, "out of memory");
        rc = LT_EXIT_USAGE;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        char db[16];
        if (lt_table_row(t)) {
            lt_cli_err(CMD, "out of memory");
            rc = LT_EXIT_USAGE;
            goto out;
        }
        lt_date_format(v[i].day, db, sizeof db);
        lt_table_str(t, 0, v[i].area);
        lt_table_str(t, 1, db);
    }
    lt_table_print(t, stdout, fmt);
out:
    lt_table_free(t);
    free(v);
    return rc;
}

int lt_cmd_dust(int argc, char **argv)
{
    const char *db = NULL, *area = NULL, *date = NULL, *format = NULL;
    bool list = false, clear = false;
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
        if (!strcmp(a, "--clear")) {
            clear = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--db", &db)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--area", &area)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--date", &date)) ||
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
        if (date || clear) {
            lt_cli_err(CMD, "--list takes only --area and --format");
            return LT_EXIT_USAGE;
        }
        if (lt_store_open(&st, db, &d)) {
            lt_cli_err(CMD, "cannot open database: %s", d.msg);
            return LT_EXIT_USAGE;
        }
        status = lt__list(st, area, (enum lt_fmt)fmt);
        goto out;
    }
    if (!area || !date || format) {
        lt_cli_err(CMD, "need --area and --date (or --list)");
        return LT_EXIT_USAGE;
    }
    struct lt_str an = lt_str_trim(lt_str_of(area));
    char aname[64];
    if (!an.len || an.len >= sizeof aname) {
        lt_cli_err(CMD, "--area must be 1 to 63 bytes");
        return LT_EXIT_USAGE;
    }
    lt_str_copy(aname, sizeof aname, an);
    int32_t d0, d1;
    int rc = lt__range(date, &d0, &d1);
    if (rc) {
        lt_cli_err(CMD,
                   rc == LT_ERANGE ? "--date range '%s' is reversed or longer than 366 days"
                                   : "--date '%s' is not YYYY-MM-DD[:YYYY-MM-DD]",
                   date);
        return LT_EXIT_USAGE;
    }
    if (lt_store_open(&st, db, &d)) {
        lt_cli_err(CMD, "cannot open database: %s", d.msg);
        return LT_EXIT_USAGE;
    }
    /* The flags and their audit row (user "cli:<login>") in one transaction. */
    char user[64], *before = NULL, *after = NULL;
    lt_audit_cli_user(user, sizeof user);
    if (lt_store_begin(st))
        goto store_err;
    rc = lt_audit_dust(st, aname, d0, d1, clear, user, lt_audit_now_ms(), &before, &after);
    free(before);
    free(after);
    if (rc) {
        lt_store_rollback(st);
        goto store_err;
    }
    if (lt_store_commit(st)) {
        lt_store_rollback(st);
        goto store_err;
    }
    char b0[16], b1[16];
    lt_date_format(d0, b0, sizeof b0);
    lt_date_format(d1, b1, sizeof b1);
    printf("%s: %d day%s %s (%s .. %s)\n", aname, d1 - d0 + 1, d1 > d0 ? "s" : "",
           clear ? "unflagged" : "flagged as dust days", b0, b1);
    status = LT_EXIT_OK;
    goto out;
store_err:
    lt_cli_err(CMD, "%s", lt_store_errmsg(st));
    status = LT_EXIT_USAGE;
out:
    lt_store_close(st);
    return status;
}

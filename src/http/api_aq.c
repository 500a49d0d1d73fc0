/* lantian — HTTP API: real-time AQI, AQI series, statistics, rankings and targets. Each answer is
 * computed by the same code as the CLI command it mirrors (cli/query.c, cli/report.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/query.h"
#include "cli/report.h"
#include "http/http_internal.h"
#include "lantian/util.h"

static const char *const lt__level_word[] = {"site", "city", "county"};

/* Load the dataset of an area query and build its areas; maps "nothing matches" to 404. */
static int lt__load_areas(struct lt__req *q, enum lt_area_level level, const char *name,
                          const char *province, int32_t day0, int ndays, bool keep_hours,
                          struct lt_dataset *ds, struct lt_area **areas, int *nareas)
{
    *areas = NULL;
    *nareas = 0;
    int rc = lt_query_load(q->st, level, name, province, day0, ndays, lt__http_rules(q->srv),
                           keep_hours, ds);
    if (!rc)
        rc = lt_areas_build(ds, level, name, areas, nareas);
    if (!rc && !*nareas)
        rc = LT_ENOTFOUND;
    if (rc == LT_ENOTFOUND) {
        if (level == LT_AREA_SITE)
            return lt__fail(q, 404, "not_found", "no site with code '%s'", name);
        if (name)
            return lt__fail(q, 404, "not_found", "no %s '%s' with evaluation sites%s%s",
                            lt__level_word[level], name, province ? " in " : "",
                            province ? province : "");
        return lt__fail(q, 404, "not_found", "no %s with evaluation sites%s%s",
                        lt__level_word[level], province ? " in " : "", province ? province : "");
    }
    if (rc)
        return lt__fail_store(q, rc, "load data");
    return 0;
}

/* The label the CLI gives an area in its rows. */
static void lt__label(const struct lt_dataset *ds, const struct lt_area *a,
                      enum lt_area_level level, bool with_city, char *buf, size_t cap)
{
    const struct lt_site *s = &ds->sites[a->sites[0]];
    if (level != LT_AREA_SITE)
        snprintf(buf, cap, "%s", a->name);
    else if (with_city)
        snprintf(buf, cap, "%s %s (%s)", s->code, s->name, s->city);
    else
        snprintf(buf, cap, "%s %s", s->code, s->name);
}

/* ---- real time ----------------------------------------------------------------------------- */

static const char *const lt__rgb_hdr = "rgb";

static void lt__colour_cells(struct lt_table *t, int col, const struct lt_aqi *r)
{
    if (r->aqi == LT_IAQI_NA)
        return;
    unsigned char rgb[3];
    char hex[8];
    /* HJ 633-2012 Appendix A, Table A.1 (the same colours in HJ 633-2026). */
    lt_aqi_colour_rgb(r->level, rgb);
    snprintf(hex, sizeof hex, "#%02X%02X%02X", rgb[0], rgb[1], rgb[2]);
    lt_table_str(t, col, lt_aqi_colour_name(r->level));
    lt_table_str(t, col + 1, hex);
}

int lt__api_aqi_latest(struct lt__req *q)
{
    const char *city = lt__param(q, "city"), *province = lt__param(q, "province");
    const char *level_s = lt__param(q, "level");
    int limit, offset, rc = lt__param_page(q, &limit, &offset);
    if (rc)
        return rc;
    bool by_city = false;
    if (level_s && !strcmp(level_s, "city"))
        by_city = true;
    else if (level_s && strcmp(level_s, "site") != 0)
        return lt__fail(q, 400, "bad_parameter", "level: '%s' is not site or city", level_s);
    if (city && province)
        return lt__fail(q, 400, "bad_parameter", "give city or province, not both");
    int64_t at = lt__this_hour();
    const char *at_s = lt__param(q, "at");
    if (at_s && lt_bj_parse_hour(lt_str_of(at_s), &at))
        return lt__fail(q, 400, "bad_parameter",
                        "at: '%s' is not a Beijing hour (YYYY-MM-DD HH:00 or YYYY-MM-DDTHH00)",
                        at_s);
    if (!at_s) {
        /* "Latest" is the latest data: a store whose newest hour is older than now (an archive,
         * a feed that stopped) answers with that hour rather than with nothing. */
        int64_t last;
        rc = lt_store_last_hour(q->st, &last);
        if (rc == 0 && last < at)
            at = last;
        else if (rc && rc != LT_ENOTFOUND)
            return lt__fail_store(q, rc, "find the last hour");
    }
    /* The dataset: the LT__HTTP_LATEST_DAYS days before the natural day of `at`, and that day. */
    int32_t at_day = lt_natural_day(at);
    int at_h = lt_natural_hour(at);
    int32_t day0 = at_day - LT__HTTP_LATEST_DAYS;
    struct lt_dataset ds = {0};
    struct lt_site *sites = NULL;
    struct lt_area *areas = NULL;
    int nsites = 0, nareas = 0;
    struct lt_table *t = NULL;
    struct lt_site_filter f = {.city = city, .province = province};
    rc = lt_store_sites(q->st, &f, &sites, &nsites);
    if (rc)
        return lt__fail_store(q, rc, "list sites");
    if (!nsites) {
        free(sites);
        return lt__fail(q, 404, "not_found", "no site in %s '%s'", city ? "city" : "province",
                        city ? city : province);
    }
    rc = lt_dataset_from_store(q->st, sites, nsites, day0, LT__HTTP_LATEST_DAYS + 1,
                               lt__http_rules(q->srv), true, &ds);
    free(sites);
    if (rc) {
        lt_dataset_free(&ds);
        return lt__fail_store(q, rc, "load the latest hours");
    }
    /* The latest hour at or before `at` at which any site has any pollutant. */
    int klatest = -1;
    for (int k = LT__HTTP_LATEST_DAYS * 24 + at_h - 1; k >= 0 && klatest < 0; k--)
        for (int i = 0; i < ds.nsites && klatest < 0; i++) {
            struct lt_area one = {.nsites = 1, .sites = &i};
            double c[LT_POLL_N];
            lt_area_hour(&ds, &one, k, c);
            for (int p = 0; p < LT_POLL_N; p++)
                if (!isnan(c[p]))
                    klatest = k;
        }
    if (by_city) {
        rc = lt_areas_build(&ds, LT_AREA_CITY, NULL, &areas, &nareas);
        if (rc) {
            lt_dataset_free(&ds);
            return lt__fail_store(q, rc, "group cities");
        }
    }
    /* Room for the longest fixed part (the site columns) + the AQI columns + colour, rgb. */
    const char *hdr[7 + LT_QUERY_AQI_NCOLS + 2];
    int nfix = by_city ? 3 : 7;
    static const char *const site_fix[] = {"code",    "name", "city", "province",
                                           "is_eval", "lon",  "lat"};
    _Static_assert(sizeof(site_fix) / sizeof(site_fix[0]) == 7, "hdr[] holds 7 fixed columns");
    static const char *const city_fix[] = {"city", "province", "sites"};
    for (int i = 0; i < nfix; i++)
        hdr[i] = by_city ? city_fix[i] : site_fix[i];
    for (int i = 0; i < LT_QUERY_AQI_NCOLS; i++)
        hdr[nfix + i] = lt_query_aqi_headers[i];
    hdr[nfix + LT_QUERY_AQI_NCOLS] = "colour";
    hdr[nfix + LT_QUERY_AQI_NCOLS + 1] = lt__rgb_hdr;
    t = lt_table_new(nfix + LT_QUERY_AQI_NCOLS + 2, hdr);
    if (!t) {
        rc = LT_ENOMEM;
        goto fail;
    }
    int nrows = klatest < 0 ? 0 : by_city ? nareas : ds.nsites;
    for (int i = 0; i < nrows; i++) {
        int idx = i;
        struct lt_area one = {.nsites = 1, .sites = &idx};
        const struct lt_area *a = by_city ? &areas[i] : &one;
        struct lt_aqi r;
        enum lt_edition ed;
        rc = lt_query_hour_aqi(&ds, a, !by_city, klatest, lt__http_rules(q->srv), &r, &ed);
        if (rc == LT_EINVAL) {
            lt_table_free(t);
            lt_areas_free(areas, nareas);
            lt_dataset_free(&ds);
            return lt__fail(q, 400, "no_rules", "no rule set covers the date asked for");
        }
        if (rc || lt_table_row(t)) {
            rc = rc ? rc : LT_ENOMEM;
            goto fail;
        }
        if (by_city) {
            int with = 0;
            for (int j = 0; j < a->nsites; j++) {
                struct lt_area s1 = {.nsites = 1, .sites = &a->sites[j]};
                double c[LT_POLL_N];
                lt_area_hour(&ds, &s1, klatest, c);
                for (int p = 0; p < LT_POLL_N; p++)
                    if (!isnan(c[p])) {
                        with++;
                        break;
                    }
            }
            lt_table_str(t, 0, a->name);
            lt_table_str(t, 1, a->province);
            lt_table_int(t, 2, with);
        } else {
            const struct lt_site *s = &ds.sites[i];
            lt_table_str(t, 0, s->code);
            lt_table_str(t, 1, s->name);
            lt_table_str(t, 2, s->city);
            lt_table_str(t, 3, s->province);
            lt_table_bool(t, 4, s->is_eval);
            lt_table_num(t, 5, s->lon, 4);
            lt_table_num(t, 6, s->lat, 4);
        }
        lt_query_aqi_cells(t, nfix, &r, ed);
        lt__colour_cells(t, nfix + LT_QUERY_AQI_NCOLS, &r);
    }
    if (q->fmt == LT_FMT_JSON) {
        fputs("{\"at\": ", q->out);
        lt__jhour(q->out, at);
        fputs(", \"hour\": ", q->out);
        if (klatest < 0)
            fputs("null", q->out);
        else
            lt__jhour(q->out, lt_hour_end_utc(ds.day0 + klatest / 24, klatest % 24 + 1));
        fprintf(q->out, ", \"level\": \"%s\", \"lookback_days\": %d, ", by_city ? "city" : "site",
                LT__HTTP_LATEST_DAYS);
    }
    rc = lt__page_out(q, t, limit, offset);
    lt_table_free(t);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    return rc;
fail:
    lt_table_free(t);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    return lt__fail_store(q, rc, "real-time AQI");
}

static int lt__aqi_series(struct lt__req *q, bool daily)
{
    int level = 0, limit, offset;
    const char *name = NULL;
    int32_t from, to;
    int rc = lt__param_page(q, &limit, &offset);
    if (!rc)
        rc = lt__param_area(q, &level, &name);
    if (!rc)
        rc = lt__scope_area(q, level, name);
    if (!rc)
        rc = lt__param_range(q, daily ? LT__HTTP_DAILY_DAYS : LT__HTTP_HOURLY_DAYS, -1, 0, &from,
                             &to);
    if (rc)
        return rc;
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
    rc = lt__load_areas(q, (enum lt_area_level)level, name, NULL, from, to - from + 1, !daily, &ds,
                        &areas, &nareas);
    if (rc) {
        lt_dataset_free(&ds);
        return rc;
    }
    char label[200];
    struct lt_table *t = NULL;
    lt__label(&ds, &areas[0], (enum lt_area_level)level, false, label, sizeof label);
    rc = lt_query_aqi_series(&ds, &areas[0], (enum lt_area_level)level, label, from, to, daily,
                             lt__http_rules(q->srv), q->st, &t);
    if (rc == LT_EINVAL)
        rc = lt__fail(q, 400, "no_rules", "a day of from .. to has no rule set");
    else if (rc)
        rc = lt__fail_store(q, rc, "AQI series");
    else {
        if (q->fmt == LT_FMT_JSON) {
            char a[16], b[16];
            lt_date_format(from, a, sizeof a);
            lt_date_format(to, b, sizeof b);
            fputs("{\"area\": ", q->out);
            lt_json_str(q->out, label);
            fprintf(q->out,
                    ", \"level\": \"%s\", \"from\": \"%s\", \"to\": \"%s\", \"mode\": \"%s\", ",
                    lt__level_word[level], a, b, daily ? "daily" : "hourly");
        }
        rc = lt__page_out(q, t, limit, offset);
    }
    lt_table_free(t);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    return rc;
}

int lt__api_aqi_hourly(struct lt__req *q)
{
    return lt__aqi_series(q, false);
}

int lt__api_aqi_daily(struct lt__req *q)
{
    return lt__aqi_series(q, true);
}

/* ---- statistics and rankings --------------------------------------------------------------- */

static int lt__param_period(struct lt__req *q, int32_t *from, int32_t *to)
{
    const char *p = lt__param(q, "period");
    if (!p)
        return lt__fail(q, 400, "missing_parameter",
                        "period is required (YYYY, YYYY-MM, YYYY-Qn or YYYY-MM-DD:YYYY-MM-DD)");
    if (lt_period_parse(p, from, to))
        return lt__fail(q, 400, "bad_parameter",
                        "period: '%s' is not YYYY, YYYY-MM, YYYY-Qn or YYYY-MM-DD:YYYY-MM-DD (real "
                        "dates, start not after end)",
                        p);
    if (*to - *from + 1 > LT__HTTP_DAILY_DAYS)
        return lt__fail(q, 400, "range_too_long",
                        "period: '%s' spans %d days; at most %d days per request", p,
                        (int)(*to - *from + 1), LT__HTTP_DAILY_DAYS);
    return 0;
}

int lt__api_stats(struct lt__req *q)
{
    int level = 0;
    const char *name = NULL;
    int32_t from, to;
    int rc = lt__param_area(q, &level, &name);
    if (!rc)
        rc = lt__scope_area(q, level, name);
    if (!rc)
        rc = lt__param_period(q, &from, &to);
    if (rc)
        return rc;
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
    struct lt_day *days = NULL;
    rc = lt__load_areas(q, (enum lt_area_level)level, name, NULL, from, to - from + 1, false, &ds,
                        &areas, &nareas);
    if (rc)
        goto out;
    rc = lt_area_days(&ds, &areas[0], from, to, q->st, &days);
    if (rc) {
        rc = lt__fail_store(q, rc, "area days");
        goto out;
    }
    struct lt_period ps;
    if (lt_period_compute(days, from, to - from + 1, lt__http_rules(q->srv), &ps)) {
        rc = lt__fail(q, 400, "no_rules", "a day of the period has no rule set");
        goto out;
    }
    char label[200];
    lt__label(&ds, &areas[0], (enum lt_area_level)level, true, label, sizeof label);
    lt_report_period_json(q->out, label, lt_area_sites_with_data(&ds, &areas[0], from, to), &ps,
                          lt__http_rules(q->srv));
    fputc('\n', q->out);
    rc = 200;
out:
    free(days);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    return rc;
}

int lt__api_rank(struct lt__req *q)
{
    const char *level_s = lt__param(q, "level"), *province = lt__param(q, "province");
    const char *by_s = lt__param(q, "by");
    int32_t from, to, pfrom = 0, pto = 0;
    int limit, offset, rc = lt__param_page(q, &limit, &offset);
    if (rc)
        return rc;
    enum lt_area_level level;
    if (!level_s)
        return lt__fail(q, 400, "missing_parameter", "level is required (city or county)");
    if (!strcmp(level_s, "city"))
        level = LT_AREA_CITY;
    else if (!strcmp(level_s, "county"))
        level = LT_AREA_COUNTY;
    else
        return lt__fail(q, 400, "bad_parameter", "level: '%s' is not city or county", level_s);
    int by = by_s ? lt_rank_by_parse(by_s) : LT_RANK_BY_INDEX;
    if (by < 0)
        return lt__fail(q, 400, "bad_parameter", "by: '%s' is not index, pm25 or change", by_s);
    rc = lt__param_period(q, &from, &to);
    if (rc)
        return rc;
    int32_t load0 = from;
    if (by == LT_RANK_BY_CHANGE) {
        lt_period_prev_year(from, to, &pfrom, &pto);
        load0 = pfrom;
    }
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
    struct lt_table *t = NULL;
    struct lt_rank_info info;
    rc = lt__load_areas(q, level, NULL, province, load0, to - load0 + 1, false, &ds, &areas,
                        &nareas);
    if (rc)
        goto out;
    rc = lt_query_rank(&ds, areas, nareas, from, to, (enum lt_rank_by)by, lt__http_rules(q->srv),
                       q->st, &t, &info);
    if (rc == LT_EINVAL) {
        rc = lt__fail(q, 400, "no_rules", "a day of the period has no rule set");
        goto out;
    }
    if (rc) {
        rc = lt__fail_store(q, rc, "rank");
        goto out;
    }
    if (q->fmt == LT_FMT_JSON) {
        char a[16], b[16];
        lt_date_format(from, a, sizeof a);
        lt_date_format(to, b, sizeof b);
        fprintf(q->out, "{\"level\": \"%s\", \"by\": \"%s\", \"province\": ", level_s,
                by_s ? by_s : "index");
        lt__jstr(q->out, province);
        fprintf(q->out, ", \"from\": \"%s\", \"to\": \"%s\", \"ruleset\": ", a, b);
        lt_json_str(q->out, info.ruleset);
        if (by == LT_RANK_BY_CHANGE)
            fprintf(q->out, ", \"areas_with_previous_year\": %d", info.nprev);
        fputs(", ", q->out);
    }
    rc = lt__page_out(q, t, limit, offset);
out:
    lt_table_free(t);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    return rc;
}

/* ---- targets ------------------------------------------------------------------------------- */

int lt__api_targets(struct lt__req *q)
{
    static const char *const keys[LT_TGT_N] = {"pm25",      "pm10",        "good_ratio",
                                               "good_days", "heavy_ratio", "index"};
    const struct lt_rules *rules = lt__http_rules(q->srv);
    int level = 0;
    const char *area = NULL, *config = lt__param(q, "config"), *ruleset = lt__param(q, "ruleset");
    long long year = 0;
    int32_t as_of = 0;
    int nvalues = 0;
    struct lt_target cli;
    const struct lt_target *tg = &cli;
    memset(&cli, 0, sizeof cli);
    for (int k = 0; k < LT_TGT_N; k++)
        cli.value[k] = NAN;
    int rc = lt__param_area(q, &level, &area);
    if (!rc)
        rc = lt__scope_area(q, level, area);
    if (!rc && !lt__param(q, "year"))
        rc = lt__fail(q, 400, "missing_parameter", "year is required");
    if (!rc)
        rc = lt__param_int(q, "year", 1900, 2199, &year);
    if (!rc)
        rc = lt__param_date(q, "as_of", true, &as_of);
    if (rc)
        return rc;
    int32_t jan1 = lt_days_from_civil((int)year, 1, 1);
    if (as_of < jan1 || as_of > lt_days_from_civil((int)year, 12, 31))
        return lt__fail(q, 400, "bad_parameter", "as_of: %s is not in %lld", lt__param(q, "as_of"),
                        year);
    if (level == LT_AREA_SITE)
        return lt__fail(q, 400, "bad_parameter", "targets are set for a city or a county");
    for (int k = 0; k < LT_TGT_N; k++) {
        const char *v = lt__param(q, keys[k]);
        if (!v)
            continue;
        if (lt_query_target_value(&cli, (enum lt_target_kind)k, v))
            return lt__fail(q, 400, "bad_parameter",
                            "%s: '%s' is not a target value (a number; \"<36\" means strictly "
                            "below)",
                            keys[k], v);
        nvalues++;
    }
    if (config && nvalues)
        return lt__fail(q, 400, "bad_parameter",
                        "give either config=NAME or target values (pm25, pm10, good_ratio, "
                        "good_days, heavy_ratio, index), not both");
    /* Where the target comes from (docs/API.md): values given > config=NAME (the server's
     * targets file) > the store > the server's targets file when the store has none. */
    const char *origin = nvalues ? "values" : "file";
    struct lt_store_target stored;
    if (!config && !nvalues) {
        if (ruleset)
            return lt__fail(q, 400, "bad_parameter",
                            "ruleset goes with target values; a stored target names its own");
        int src = lt_store_target_get(q->st, area, (int)year, &stored);
        if (src && src != LT_ENOTFOUND && src != LT_EINVAL)
            return lt__fail_store(q, src, "get target");
        if (!src) {
            tg = &stored.t;
            origin = "store";
        } else if (lt__http_targets_name(q->srv)) {
            config = lt__http_targets_name(q->srv); /* the fallback: the file, as config=NAME */
        } else {
            return lt__fail(q, 404, "not_found",
                            "no target for %s in %lld in the store (POST /api/targets, lantian "
                            "target import) and this server has no --targets file",
                            area, year);
        }
    }
    if (config) {
        int n;
        const struct lt_target *all = lt__http_targets(q->srv, config, &n);
        if (ruleset)
            return lt__fail(q, 400, "bad_parameter",
                            "ruleset goes with target values; a config names its own");
        if (!all) {
            const char *have = lt__http_targets_name(q->srv);
            return lt__fail(q, 404, "not_found", "no targets named '%s'%s%s%s", config,
                            have ? " (this server has '"
                                 : " (this server was started without "
                                   "--targets",
                            have ? have : "", have ? "')" : ")");
        }
        tg = NULL;
        for (int i = 0; i < n; i++)
            if (all[i].year == year && lt_place_match(area, all[i].area))
                tg = &all[i];
        if (!tg)
            return lt__fail(q, 404, "not_found", "targets '%s' have none for %s in %lld", config,
                            area, year);
    } else if (nvalues) {
        snprintf(cli.name, sizeof cli.name, "%s %lld", area, year);
        snprintf(cli.area, sizeof cli.area, "%s", area);
        cli.year = (int)year;
        if (ruleset)
            snprintf(cli.ruleset, sizeof cli.ruleset, "%s", ruleset);
    }
    if (tg->ruleset[0] && !lt_rules_by_name(rules, tg->ruleset))
        return lt__fail(q, 400, "bad_parameter", "ruleset: '%s' is not defined in the rules",
                        tg->ruleset);
    if (level == LT_AREA_SITE)
        return lt__fail(q, 400, "bad_parameter", "targets are set for a city or a county");
    struct lt_dataset ds = {0};
    struct lt_area *areas = NULL;
    int nareas = 0;
    struct lt_day *days = NULL;
    struct lt_table *t = NULL;
    rc = lt__load_areas(q, (enum lt_area_level)level, area, NULL, jan1, as_of - jan1 + 1, false,
                        &ds, &areas, &nareas);
    if (rc)
        goto out;
    rc = lt_area_days(&ds, &areas[0], jan1, as_of, q->st, &days);
    if (rc) {
        rc = lt__fail_store(q, rc, "area days");
        goto out;
    }
    struct lt_target_status s;
    if (lt_target_evaluate(tg, days, as_of, rules, &s)) {
        rc = lt__fail(q, 400, "no_rules", "a day of the year has no rule set");
        goto out;
    }
    rc = lt_query_target_table(tg, &s, &t);
    if (rc) {
        rc = lt__fail_store(q, rc, "targets");
        goto out;
    }
    if (q->fmt != LT_FMT_JSON) /* CSV and Excel: the items table */
        rc = lt__page_out(q, t, -1, 0);
    else {
        lt_query_target_json(q->out, tg, origin, areas[0].name,
                             lt_area_sites_with_data(&ds, &areas[0], jan1, as_of), &s, t, rules);
        fputc('\n', q->out);
        rc = 200;
    }
out:
    lt_table_free(t);
    free(days);
    lt_areas_free(areas, nareas);
    lt_dataset_free(&ds);
    return rc;
}

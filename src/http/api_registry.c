/* lantian — HTTP API: health, the site registry (with each site's last hour), devices, device
 * health, quarantine, CEMS exceedances and corrections (the audit trail of 数据审核). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/query.h"
#include "cli/rows.h"
#include "http/http_internal.h"
#include "lantian/hj212.h"
#include "lantian/util.h"

/* A number of the store's metadata: 0, LT_ENOTFOUND, or another error. */
static int lt__meta_ll(struct lt_store *st, const char *key, long long *v)
{
    char b[LT_META_VALUE_MAX];
    int rc = lt_store_meta_get(st, key, b, sizeof b);
    if (rc)
        return rc;
    return lt_parse_int(lt_str_of(b), INT64_MIN / 2, INT64_MAX / 2, v) ? LT_EPARSE : 0;
}

/* The year of an hour's Beijing label ("2019-01-01 00:00" is 2019, as the label reads). */
static int lt__label_year(long long ts)
{
    char b[24];
    lt_bj_format_hour((int64_t)ts, b, sizeof b);
    return (b[0] - '0') * 1000 + (b[1] - '0') * 100 + (b[2] - '0') * 10 + (b[3] - '0');
}

/* "demo": what `lantian import --shift-days` recorded (store.h, shift.*), so that every page can
 * say that the data are real data moved in time; null for a store of real data. */
static int lt__health_demo(struct lt__req *q)
{
    long long days, until = 0, first = 0, last = 0;
    int rc = lt__meta_ll(q->st, "shift.days", &days);
    if (rc == LT_ENOTFOUND) {
        fputs("null", q->out);
        return 0;
    }
    if (rc || (rc = lt__meta_ll(q->st, "shift.until", &until)) != 0)
        return rc;
    /* The input's range is recorded once its first file is stored. */
    int r1 = lt__meta_ll(q->st, "shift.src_first", &first);
    int r2 = lt__meta_ll(q->st, "shift.src_last", &last);
    if ((r1 && r1 != LT_ENOTFOUND) || (r2 && r2 != LT_ENOTFOUND))
        return r1 && r1 != LT_ENOTFOUND ? r1 : r2;
    char years[32] = ""; /* two years and a dash, whatever the ints */
    if (!r1 && !r2) {
        int y0 = lt__label_year(first), y1 = lt__label_year(last);
        if (y0 == y1)
            snprintf(years, sizeof years, "%d", y0);
        else
            snprintf(years, sizeof years, "%d–%d", y0, y1);
    }
    char note[128];
    snprintf(note, sizeof note, "演示数据：%s%s真实数据平移 %lld 天", years, years[0] ? " 年" : "",
             days);
    fprintf(q->out, "{\"shift_days\": %lld, \"source_years\": ", days);
    lt__jstr(q->out, years[0] ? years : NULL);
    fputs(", \"until\": ", q->out);
    lt__jhour(q->out, (int64_t)until);
    fputs(", \"note\": ", q->out);
    lt_json_str(q->out, note);
    fputs("}", q->out);
    return 0;
}

int lt__api_health(struct lt__req *q)
{
    fputs("{\"status\": \"ok\", \"version\": ", q->out);
    lt_json_str(q->out, LT_HTTP_VERSION);
    fputs(", \"targets\": ", q->out);
    lt__jstr(q->out, lt__http_targets_name(q->srv));
    fputs(", \"demo\": ", q->out);
    int rc = lt__health_demo(q);
    if (rc)
        return lt__fail_store(q, rc, "store metadata");
    fputs("}\n", q->out);
    return 200;
}

/* ---- sites --------------------------------------------------------------------------------- */

static void lt__day_cell(struct lt_table *t, int col, int32_t day, int32_t open)
{
    char b[16];
    if (day == open)
        return;
    lt_date_format(day, b, sizeof(b));
    lt_table_str(t, col, b);
}

static const char *const lt__site_hdr[] = {"code",       "name",     "city",    "county",
                                           "province",   "lon",      "lat",     "is_eval",
                                           "valid_from", "valid_to", "township"};

static int lt__site_row(struct lt_table *t, const struct lt_site *s)
{
    if (lt_table_row(t))
        return LT_ENOMEM;
    lt_table_str(t, 0, s->code);
    lt_table_str(t, 1, s->name);
    lt_table_str(t, 2, s->city);
    if (s->county[0])
        lt_table_str(t, 3, s->county);
    lt_table_str(t, 4, s->province);
    /* Coordinates as stored (6 decimals is 0.1 m); NaN stays null. */
    lt_table_num(t, 5, s->lon, 6);
    lt_table_num(t, 6, s->lat, 6);
    lt_table_bool(t, 7, s->is_eval);
    lt__day_cell(t, 8, s->valid_from, LT_DAY_OPEN_FROM);
    lt__day_cell(t, 9, s->valid_to, LT_DAY_OPEN_TO);
    /* The township (schema version 7) comes last, so that the older columns keep their places. */
    if (s->township[0])
        lt_table_str(t, 10, s->township);
    return 0;
}

int lt__api_sites(struct lt__req *q)
{
    int limit, offset, rc = lt__param_page(q, &limit, &offset);
    if (rc)
        return rc;
    struct lt_site_filter f = {.city = lt__param(q, "city"),
                               .county = lt__param(q, "county"),
                               .township = lt__param(q, "township"),
                               .province = lt__param(q, "province")};
    /* Scope: asking for an area outside it is refused; the list holds only sites inside it. */
    if (f.county)
        rc = lt__scope_area(q, LT_AREA_COUNTY, f.county);
    else if (f.city)
        rc = lt__scope_area(q, LT_AREA_CITY, f.city);
    else if (f.province)
        rc = lt__scope_province(q, f.province);
    if (rc)
        return rc;
    struct lt_site *v = NULL;
    int n = 0;
    rc = lt_store_sites(q->st, &f, &v, &n);
    if (rc)
        return lt__fail_store(q, rc, "list sites");
    struct lt_table *t = lt_table_new(11, lt__site_hdr);
    for (int i = 0; t && i < n; i++)
        if (lt__scope_has_site(q, &v[i]) && lt__site_row(t, &v[i])) {
            lt_table_free(t);
            t = NULL;
        }
    free(v);
    if (!t)
        return lt__fail_store(q, LT_ENOMEM, "list sites");
    lt__obj_begin(q);
    rc = lt__page_out(q, t, limit, offset);
    lt_table_free(t);
    return rc;
}

/* A one-row table as a JSON object (the row's cells under the headers). */
static void lt__row_object(FILE *f, const struct lt_table *t)
{
    /* lt_table_print_rows writes "[\n {...}\n]\n"; strip the brackets by writing to a buffer. */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        fputs("null", f);
        return;
    }
    lt_table_print_rows(t, m, LT_FMT_JSON, 0, 1);
    fclose(m);
    char *a = buf ? strchr(buf, '{') : NULL, *b = buf ? strrchr(buf, '}') : NULL;
    if (a && b && b > a)
        fwrite(a, 1, (size_t)(b - a + 1), f);
    else
        fputs("null", f);
    free(buf);
}

/* The last hour (hour-ending, UTC) with any stored pollutant value of a site within the last
 * LT__HTTP_LAST_YEARS years, searching back from today a month at a time; 0 when none. */
static int lt__last_hour(struct lt_store *st, const char *code, int64_t *ts)
{
    enum { W = 31 };
    double buf[LT_POLL_N][W * 24];
    double *v[LT_POLL_N];
    int32_t end = lt__today();
    *ts = 0;
    for (int p = 0; p < LT_POLL_N; p++)
        v[p] = buf[p];
    for (int w = 0; w < LT__HTTP_LAST_YEARS * 366 / W; w++, end -= W) {
        for (int p = 0; p < LT_POLL_N; p++)
            for (int k = 0; k < W * 24; k++)
                buf[p][k] = NAN;
        int rc = lt_store_load_hourly(st, code, end - W + 1, W, v, NULL);
        if (rc)
            return rc;
        for (int k = W * 24 - 1; k >= 0; k--)
            for (int p = 0; p < LT_POLL_N; p++)
                if (!isnan(buf[p][k])) {
                    *ts = lt_hour_end_utc(end - W + 1 + k / 24, k % 24 + 1);
                    return 0;
                }
    }
    return 0;
}

int lt__api_site(struct lt__req *q)
{
    struct lt_site s;
    int rc = lt_store_site_get(q->st, q->pp[0], &s);
    if (rc == LT_ENOTFOUND)
        return lt__fail(q, 404, "not_found", "no site with code '%s'", q->pp[0]);
    if (rc)
        return lt__fail_store(q, rc, "get site");
    rc = lt__scope_site(q, &s);
    if (rc)
        return rc;
    int64_t last;
    rc = lt__last_hour(q->st, s.code, &last);
    if (rc)
        return lt__fail_store(q, rc, "find the last hour");
    struct lt_table *t = lt_table_new(11, lt__site_hdr);
    if (!t || lt__site_row(t, &s)) {
        lt_table_free(t);
        return lt__fail_store(q, LT_ENOMEM, "site");
    }
    fputs("{\"site\": ", q->out);
    lt__row_object(q->out, t);
    lt_table_free(t);
    fputs(", \"last_hour\": ", q->out);
    if (!last) {
        fprintf(q->out,
                "null, \"aqi\": null, \"completeness\": null, \"note\": \"no data in the "
                "last %d years\"}\n",
                LT__HTTP_LAST_YEARS);
        return 200;
    }
    lt__jhour(q->out, last);
    /* The AQI of that hour: the site's data of that natural day and the one before (for the SO2
     * 24-h mean of the 2012 rule). */
    int32_t day = lt_natural_day(last);
    int h = lt_natural_hour(last);
    struct lt_dataset ds;
    rc = lt_query_load(q->st, LT_AREA_SITE, s.code, NULL, day - 1, 2, lt__http_rules(q->srv), true,
                       &ds);
    if (rc) {
        lt_dataset_free(&ds);
        return lt__fail_store(q, rc, "load the last hours");
    }
    int zero = 0;
    struct lt_area a = {.nsites = 1, .sites = &zero};
    struct lt_aqi r;
    enum lt_edition ed;
    struct lt_table *at = lt_table_new(LT_QUERY_AQI_NCOLS, lt_query_aqi_headers);
    rc = at ? lt_query_hour_aqi(&ds, &a, true, 24 + h - 1, lt__http_rules(q->srv), &r, &ed)
            : LT_ENOMEM;
    if (!rc && lt_table_row(at))
        rc = LT_ENOMEM;
    if (rc) {
        lt_table_free(at);
        lt_dataset_free(&ds);
        if (rc == LT_EINVAL)
            return lt__fail(q, 404, "no_rules", "no rule set covers the last hour's date");
        return lt__fail_store(q, rc, "AQI of the last hour");
    }
    lt_query_aqi_cells(at, 0, &r, ed);
    fputs(", \"aqi\": ", q->out);
    lt__row_object(q->out, at);
    lt_table_free(at);
    /* Completeness of that natural day so far: hours with a value per pollutant. */
    char db[16];
    lt_date_format(day, db, sizeof(db));
    fprintf(q->out, ", \"completeness\": {\"day\": \"%s\", \"hours_elapsed\": %d, \"hours\": {", db,
            h);
    for (int p = 0; p < LT_POLL_N; p++) {
        int n = 0;
        for (int k = 24; k < 24 + h; k++) {
            double c[LT_POLL_N];
            lt_area_hour(&ds, &a, k, c);
            n += !isnan(c[p]);
        }
        fprintf(q->out, "%s\"%s\": %d", p ? ", " : "", lt_pollutant_name((enum lt_pollutant)p), n);
    }
    fputs("}}}\n", q->out);
    lt_dataset_free(&ds);
    return 200;
}

/* ---- devices ------------------------------------------------------------------------------- */

int lt__api_devices(struct lt__req *q)
{
    int limit, offset, rc = lt__param_page(q, &limit, &offset);
    if (rc)
        return rc;
    struct lt_device *v = NULL;
    int n = 0;
    rc = lt_store_devices(q->st, &v, &n);
    if (rc)
        return lt__fail_store(q, rc, "list devices");
    struct lt_table *t = lt_rows_new(LT_ROWS_DEVICE);
    for (int i = 0; t && i < n; i++) {
        int hidden = lt__scope_device_hidden(q, &v[i]); /* outside the user's scope */
        if (hidden < 0) {
            free(v);
            lt_table_free(t);
            return lt__fail_store(q, hidden, "list devices");
        }
        if (hidden)
            continue;
        if (lt_rows_device(t, &v[i])) {
            lt_table_free(t);
            t = NULL;
        }
    }
    free(v);
    if (!t)
        return lt__fail_store(q, LT_ENOMEM, "list devices");
    lt__obj_begin(q);
    rc = lt__page_out(q, t, limit, offset);
    lt_table_free(t);
    return rc;
}

/* The device of MN mn, when the user may see it: 0, or the failed answer's status (404 for an
 * unknown MN, 403 for one outside the user's scope). */
static int lt__device_scoped(struct lt__req *q, const char *mn, struct lt_device *dev)
{
    int rc = lt_store_device_get(q->st, mn, dev);
    if (rc == LT_ENOTFOUND || rc == LT_EINVAL)
        return lt__fail(q, 404, "not_found", "no device with MN '%s'", mn);
    if (rc)
        return lt__fail_store(q, rc, "get device");
    rc = lt__scope_device_hidden(q, dev);
    if (rc < 0)
        return lt__fail_store(q, rc, "get device");
    if (rc)
        return lt__fail(q, 403, "out_of_scope", "device %s lies outside your scope", dev->mn);
    return 0;
}

/* Error buckets of lt_health_row.errors (store.h): 0 the server's reasons, then lt_hj212_reject. */
static const char *const lt__bucket[8] = {"server",  "garbage",    "length", "too_long",
                                          "trailer", "crc_format", "crc",    "syntax"};

int lt__api_device_health(struct lt__req *q)
{
    static const char *const hdr[] = {"mn",     "hour_start", "frames",   "values",
                                      "errors", "reasons",    "last_peer"};
    struct lt_device dev;
    int32_t d0, d1;
    int limit, offset, rc = lt__param_page(q, &limit, &offset);
    if (!rc)
        rc = lt__param_range(q, LT__HTTP_HOURLY_DAYS, lt__today(), 7, &d0, &d1);
    if (rc)
        return rc;
    rc = lt__device_scoped(q, q->pp[0], &dev);
    if (rc)
        return rc;
    /* HJ 212 hours are labelled by their start (DataTime, HJ 212-2017 Table 4): the hours of the
     * Beijing days d0 .. d1 start at 00:00 of d0 and at 23:00 of d1 last. */
    int64_t h0 = lt_bj_to_utc(d0, 0), h1 = lt_bj_to_utc(d1, 24) - 3600;
    struct lt_health_row *v = NULL;
    int n = 0;
    rc = lt_store_health(q->st, dev.mn, h0, h1, &v, &n);
    if (rc)
        return lt__fail_store(q, rc, "device health");
    struct lt_table *t = lt_table_new(7, hdr);
    int64_t with = 0, frames = 0, errs = 0, last_ms = 0;
    char last_peer[64] = "";
    for (int i = 0; t && i < n; i++) {
        char b[24], reasons[160];
        int64_t err = 0;
        size_t len = 0;
        reasons[0] = '\0';
        for (int k = 0; k < 8; k++) {
            err += v[i].errors[k];
            if (v[i].errors[k] && len < sizeof reasons) {
                int w = snprintf(reasons + len, sizeof reasons - len, "%s%s:%lld", len ? " " : "",
                                 lt__bucket[k], (long long)v[i].errors[k]);
                len = w < 0 ? sizeof reasons : len + (size_t)w;
            }
        }
        with += v[i].frames > 0;
        frames += v[i].frames;
        errs += err;
        if (v[i].last_ms > last_ms) {
            last_ms = v[i].last_ms;
            snprintf(last_peer, sizeof last_peer, "%s", v[i].last_peer);
        }
        if (lt_table_row(t)) {
            lt_table_free(t);
            t = NULL;
            break;
        }
        lt_table_str(t, 0, v[i].mn);
        lt_bj_format_time(v[i].hour, b, sizeof b);
        lt_table_str(t, 1, b);
        lt_table_int(t, 2, v[i].frames);
        lt_table_int(t, 3, v[i].values);
        lt_table_int(t, 4, err);
        if (reasons[0])
            lt_table_str(t, 5, reasons);
        if (v[i].last_peer[0])
            lt_table_str(t, 6, v[i].last_peer);
    }
    free(v);
    if (!t)
        return lt__fail_store(q, LT_ENOMEM, "device health");
    if (q->fmt == LT_FMT_JSON) {
        char a[16], b[16], ls[24];
        int64_t hours = (int64_t)(d1 - d0 + 1) * 24;
        lt_date_format(d0, a, sizeof a);
        lt_date_format(d1, b, sizeof b);
        fputs("{\"mn\": ", q->out);
        lt_json_str(q->out, dev.mn);
        fprintf(q->out,
                ", \"from\": \"%s\", \"to\": \"%s\", \"summary\": {\"hours_with_data\": "
                "%lld, \"hours_in_range\": %lld, \"completeness_pct\": ",
                a, b, (long long)with, (long long)hours);
        /* A percentage to one decimal, rounded here (half to even), not by printf. */
        lt__jnum(q->out, lt_round_half_even(100.0 * (double)with / (double)hours, 1), 1);
        fprintf(q->out, ", \"frames\": %lld, \"errors\": %lld, \"last_seen\": ", (long long)frames,
                (long long)errs);
        if (last_ms > 0) {
            lt_bj_format_time(last_ms / 1000, ls, sizeof ls);
            lt_json_str(q->out, ls);
        } else {
            fputs("null", q->out);
        }
        fputs(", \"last_peer\": ", q->out);
        lt__jstr(q->out, last_peer[0] ? last_peer : NULL);
        fputs("}, ", q->out);
    }
    rc = lt__page_out(q, t, limit, offset);
    lt_table_free(t);
    return rc;
}

/* GET /api/devices/{mn}/values: what the device sent, as stored (lantian device values): each
 * value as sent and after the factor's scale, its flag and raw archive row; at most
 * LT__HTTP_VALUES_DAYS Beijing days (DataTime, HJ 212-2017 Table 4), default today. */
#define LT__HTTP_VALUES_DAYS 7

int lt__api_device_values(struct lt__req *q)
{
    struct lt_device dev;
    int32_t d0, d1;
    long long cn = 0;
    int limit, offset, rc = lt__param_page(q, &limit, &offset);
    if (!rc)
        rc = lt__param_range(q, LT__HTTP_VALUES_DAYS, lt__today(), 1, &d0, &d1);
    if (rc)
        return rc;
    const char *c = lt__param(q, "cn");
    if (c && (lt_parse_int(lt_str_of(c), 0, 9999, &cn) ||
              (cn != 2011 && cn != 2051 && cn != 2061 && cn != 2031)))
        return lt__fail(q, 400, "bad_parameter",
                        "cn: one of 2011 (real-time), 2051 (minute), 2061 (hourly), 2031 (daily); "
                        "'%.20s' is not",
                        c);
    rc = lt__device_scoped(q, q->pp[0], &dev);
    if (rc)
        return rc;
    struct lt_table *t = lt_rows_new(LT_ROWS_DEV_VALUE);
    if (!t)
        return lt__fail_store(q, LT_ENOMEM, "device values");
    rc = lt_store_dev_value_list(q->st, dev.mn, (int)cn, lt_bj_to_utc(d0, 0),
                                 lt_bj_to_utc(d1, 24) - 1, lt_rows_dev_value, t);
    if (rc) {
        lt_table_free(t);
        return lt__fail_store(q, rc, "device values");
    }
    if (q->fmt == LT_FMT_JSON) {
        char a[16], b[16];
        lt_date_format(d0, a, sizeof a);
        lt_date_format(d1, b, sizeof b);
        fputs("{\"mn\": ", q->out);
        lt_json_str(q->out, dev.mn);
        fprintf(q->out, ", \"from\": \"%s\", \"to\": \"%s\", ", a, b);
    }
    rc = lt__page_out(q, t, limit, offset);
    lt_table_free(t);
    return rc;
}

int lt__api_quarantine(struct lt__req *q)
{
    int limit, offset, rc = lt__param_page(q, &limit, &offset);
    if (!rc) /* unknown MNs have no place yet: only those who may adopt or chase them */
        rc = lt__need_role(q, " admin enforcement ");
    if (rc)
        return rc;
    struct lt_quarantine *v = NULL;
    int n = 0;
    rc = lt_store_quarantine_list(q->st, &v, &n);
    if (rc)
        return lt__fail_store(q, rc, "list quarantine");
    struct lt_table *t = lt_rows_new(LT_ROWS_QUARANTINE);
    for (int i = 0; t && i < n; i++)
        if (lt_rows_quarantine(t, &v[i])) {
            lt_table_free(t);
            t = NULL;
        }
    free(v);
    if (!t)
        return lt__fail_store(q, LT_ENOMEM, "list quarantine");
    lt__obj_begin(q);
    rc = lt__page_out(q, t, limit, offset);
    lt_table_free(t);
    return rc;
}

int lt__api_exceedances(struct lt__req *q)
{
    int limit, offset, rc = lt__param_page(q, &limit, &offset);
    if (rc)
        return rc;
    const char *mn = lt__param(q, "mn");
    if (mn) {
        struct lt_device dev;
        rc = lt__device_scoped(q, mn, &dev);
        if (rc)
            return rc;
    }
    struct lt_exceedance *v = NULL;
    int n = 0;
    rc = lt_store_exceedances(q->st, mn, &v, &n);
    if (rc)
        return lt__fail_store(q, rc, "list exceedances");
    struct lt_table *t = lt_rows_new(LT_ROWS_EXCEEDANCE);
    for (int i = 0; t && i < n; i++) {
        struct lt_device dv;
        int hidden = lt__scoped(q) ? lt_store_device_get(q->st, v[i].mn, &dv) : 0;
        if (!hidden && lt__scoped(q))
            hidden = lt__scope_device_hidden(q, &dv);
        if (hidden < 0 && hidden != LT_ENOTFOUND) {
            free(v);
            lt_table_free(t);
            return lt__fail_store(q, hidden, "list exceedances");
        }
        if (hidden == LT_ENOTFOUND)
            hidden = lt__scope_sees_outlets(q) ? 0 : 1;
        if (hidden)
            continue;
        if (lt_rows_exceedance(t, &v[i])) {
            lt_table_free(t);
            t = NULL;
        }
    }
    free(v);
    if (!t)
        return lt__fail_store(q, LT_ENOMEM, "list exceedances");
    lt__obj_begin(q);
    rc = lt__page_out(q, t, limit, offset);
    lt_table_free(t);
    return rc;
}

/* Fewest decimals (0..6) that write v back exactly, so the listing shows values as stored. */
int lt__api_corrections(struct lt__req *q)
{
    int limit, offset, rc = lt__param_page(q, &limit, &offset);
    if (rc)
        return rc;
    const char *site = lt__param(q, "site");
    if (site)
        rc = lt__scope_site_code(q, site);
    if (rc)
        return rc;
    struct lt_correction *c = NULL;
    int n = 0;
    rc = lt_store_corrections(q->st, site, &c, &n);
    if (rc == LT_ENOTFOUND || (rc == LT_EINVAL && site))
        return lt__fail(q, 404, "not_found", "no site with code '%s'", site ? site : "");
    if (rc)
        return lt__fail_store(q, rc, "list corrections");
    struct lt_table *t = lt_rows_new(LT_ROWS_CORRECTION);
    struct lt_site cs = {0};
    bool cs_in = true;
    for (int i = 0; t && i < n; i++) {
        if (lt__scoped(q) && strcmp(cs.code, c[i].site) != 0) {
            /* Corrections come by site: look each site up once per run of its rows. */
            int grc = lt_store_site_get(q->st, c[i].site, &cs);
            if (grc) {
                free(c);
                lt_table_free(t);
                return lt__fail_store(q, grc, "list corrections");
            }
            cs_in = lt__scope_has_site(q, &cs);
        }
        if (!cs_in)
            continue;
        if (lt_rows_correction(t, &c[i])) {
            lt_table_free(t);
            t = NULL;
        }
    }
    free(c);
    if (!t)
        return lt__fail_store(q, LT_ENOMEM, "list corrections");
    lt__obj_begin(q);
    rc = lt__page_out(q, t, limit, offset);
    lt_table_free(t);
    return rc;
}

/* lantian — assembling site-days and area-days for the statistics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/assess.h"
#include "io/cnemc.h"
#include "lantian/util.h"

void lt_dataset_free(struct lt_dataset *ds)
{
    if (!ds)
        return;
    free(ds->sites);
    free(ds->sday);
    free(ds->hours);
    free(ds->not_monitored);
    memset(ds, 0, sizeof(*ds));
}

/* The hourly grid is laid out day by day, then pollutant, then site, then the 24 hours of the
 * natural day: a CNEMC row (one hour, one pollutant, every site) is written with a small stride,
 * and a site-day reads its 24 hours contiguously. */
static double *lt__day_hours(const struct lt_dataset *ds, double *grid, int site, int p, int day)
{
    return grid + (((size_t)day * LT_POLL_N + (size_t)p) * (size_t)ds->nsites + (size_t)site) * 24;
}

/* Compute every site-day of the dataset from an hourly grid laid out like ds->hours. */
static int lt__site_days(struct lt_dataset *ds, double *grid, const struct lt_rules *rules)
{
    for (int i = 0; i < ds->nsites; i++) {
        for (int j = 0; j < ds->ndays; j++) {
            const struct lt_ruleset *rs = lt_rules_for_day(rules, ds->day0 + j);
            double lim = rs ? rs->limit_daily[LT_O3] : NAN;
            const double *h[LT_POLL_N];
            for (int p = 0; p < LT_POLL_N; p++)
                h[p] = lt__day_hours(ds, grid, i, p, j);
            lt_day_from_hours(h, lim, &ds->sday[(size_t)i * (size_t)ds->ndays + (size_t)j]);
        }
    }
    return 0;
}

static int lt__alloc(struct lt_dataset *ds, int nsites, int32_t day0, int ndays, double **grid)
{
    ds->day0 = day0;
    ds->ndays = ndays;
    ds->nsites = nsites;
    size_t nh = (size_t)nsites * LT_POLL_N * (size_t)ndays * 24;
    ds->sday = malloc(sizeof(struct lt_day) * (size_t)(nsites ? nsites : 1) * (size_t)ndays);
    ds->not_monitored = calloc((size_t)(nsites ? nsites : 1), sizeof(unsigned));
    *grid = malloc(sizeof(double) * (nh ? nh : 1));
    if (!ds->sday || !ds->not_monitored || !*grid)
        return LT_ENOMEM;
    for (size_t k = 0; k < nh; k++)
        (*grid)[k] = NAN;
    return 0;
}

int lt_dataset_from_store(struct lt_store *st, const struct lt_site *sites, int nsites,
                          int32_t day0, int ndays, const struct lt_rules *rules, bool keep_hours,
                          struct lt_dataset *out)
{
    double *grid = NULL, *site_hours = NULL;
    int rc;
    memset(out, 0, sizeof(*out));
    out->sites = malloc(sizeof(struct lt_site) * (size_t)(nsites ? nsites : 1));
    if (!out->sites)
        return LT_ENOMEM;
    memcpy(out->sites, sites, sizeof(struct lt_site) * (size_t)nsites);
    rc = lt__alloc(out, nsites, day0, ndays, &grid);
    if (rc)
        goto out;
    size_t nh = (size_t)ndays * 24;
    site_hours = malloc(sizeof(double) * nh * LT_POLL_N);
    if (!site_hours) {
        rc = LT_ENOMEM;
        goto out;
    }
    for (int i = 0; i < nsites; i++) {
        double *v[LT_POLL_N];
        for (int p = 0; p < LT_POLL_N; p++) {
            v[p] = site_hours + (size_t)p * nh;
            for (size_t k = 0; k < nh; k++)
                v[p][k] = NAN;
        }
        rc = lt_store_load_hourly(st, sites[i].code, day0, ndays, v, &out->not_monitored[i]);
        if (rc)
            goto out;
        for (int p = 0; p < LT_POLL_N; p++)
            for (int j = 0; j < ndays; j++)
                memcpy(lt__day_hours(out, grid, i, p, j), v[p] + (size_t)j * 24,
                       24 * sizeof(double));
    }
    rc = lt__site_days(out, grid, rules);
out:
    free(site_hours);
    if (rc || !keep_hours)
        free(grid);
    else
        out->hours = grid;
    if (rc)
        lt_dataset_free(out);
    return rc;
}

/* ---- straight from CNEMC files ------------------------------------------------------------- */

/* Open-addressing map from station code to site index. */
struct lt__codemap {
    size_t cap; /* power of two */
    int *slot;  /* -1 empty, else site index */
    const struct lt_site *sites;
};

static uint32_t lt__hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static int lt__codemap_put(struct lt__codemap *m, int idx)
{
    const char *c = m->sites[idx].code;
    size_t k = lt__hash(c, strlen(c)) & (m->cap - 1);
    while (m->slot[k] >= 0) {
        if (!strcmp(m->sites[m->slot[k]].code, c))
            return LT_EEXIST;
        k = (k + 1) & (m->cap - 1);
    }
    m->slot[k] = idx;
    return 0;
}

static int lt__codemap_get(const struct lt__codemap *m, struct lt_str code)
{
    size_t k = lt__hash(code.p, code.len) & (m->cap - 1);
    while (m->slot[k] >= 0) {
        const char *c = m->sites[m->slot[k]].code;
        if (strlen(c) == code.len && !memcmp(c, code.p, code.len))
            return m->slot[k];
        k = (k + 1) & (m->cap - 1);
    }
    return -1;
}

struct lt__files_ctx {
    struct lt_dataset *ds;
    double *grid;
    struct lt__codemap map;
    const char *province;
    int cap;
    long rejected;
    int64_t ts0, ts1; /* hour-ending timestamps held: (ts0, ts1] */
    int err;
    /* Wide files: site index of each station column (-2 = not looked up yet, -1 = not selected),
     * reset for every file, so the code is looked up once per column, not once per cell. */
    int *colmap;
    int ncolmap;
};

static int lt__station_cb(void *vctx, const struct lt_cnemc_station *s)
{
    struct lt__files_ctx *c = vctx;
    struct lt_dataset *ds = c->ds;
    char prov[64];
    lt_str_copy(prov, sizeof(prov), s->province);
    if (c->province && !lt_place_match(c->province, prov))
        return 0;
    if (ds->nsites == c->cap) {
        int ncap = c->cap ? c->cap * 2 : 256;
        struct lt_site *ns = realloc(ds->sites, sizeof(*ns) * (size_t)ncap);
        if (!ns)
            return LT_ENOMEM;
        ds->sites = ns;
        c->cap = ncap;
    }
    struct lt_site *x = &ds->sites[ds->nsites++];
    memset(x, 0, sizeof(*x));
    lt_str_copy(x->code, sizeof(x->code), s->code);
    lt_str_copy(x->name, sizeof(x->name), s->name);
    lt_str_copy(x->city, sizeof(x->city), s->city);
    lt_str_copy(x->province, sizeof(x->province), s->province);
    x->lon = s->lon;
    x->lat = s->lat;
    x->is_eval = !s->is_control;
    x->valid_from = LT_DAY_OPEN_FROM;
    x->valid_to = LT_DAY_OPEN_TO;
    return 0;
}

static int lt__cell_cb(void *vctx, const struct lt_cnemc_cell *cell)
{
    struct lt__files_ctx *c = vctx;
    int p = lt_cnemc_field_pollutant(cell->field);
    if (p < 0 || cell->ts <= c->ts0 || cell->ts > c->ts1)
        return 0;
    int i;
    if (cell->col >= 0) {
        if (cell->col >= c->ncolmap) {
            int n = c->ncolmap ? c->ncolmap : 1024;
            while (n <= cell->col)
                n *= 2;
            int *m = realloc(c->colmap, sizeof(int) * (size_t)n);
            if (!m)
                return LT_ENOMEM;
            for (int k = c->ncolmap; k < n; k++)
                m[k] = -2;
            c->colmap = m;
            c->ncolmap = n;
        }
        i = c->colmap[cell->col];
        if (i == -2)
            i = c->colmap[cell->col] = lt__codemap_get(&c->map, cell->site);
    } else {
        i = lt__codemap_get(&c->map, cell->site);
    }
    if (i < 0)
        return 0; /* a station outside the selection (or not in the list): not part of this run */
    int k = (int)((cell->ts - c->ts0) / 3600 - 1);
    if (cell->state == LT_CELL_VALUE)
        lt__day_hours(c->ds, c->grid, i, p, k / 24)[k % 24] = cell->value;
    else if (cell->state == LT_CELL_NM)
        c->ds->not_monitored[i] |= 1u << p;
    return 0;
}

static void lt__reject_cb(void *vctx, const char *file, long line, const char *reason)
{
    struct lt__files_ctx *c = vctx;
    c->rejected++;
    if (c->rejected <= 20)
        fprintf(stderr, "%s:%ld: %s\n", file, line, reason);
    else if (c->rejected == 21)
        fprintf(stderr, "(further rejected lines are counted, not shown)\n");
}

static int lt__site_cmp(const void *a, const void *b)
{
    return strcmp(((const struct lt_site *)a)->code, ((const struct lt_site *)b)->code);
}

int lt_dataset_from_files(const char *stations_csv, char *const *files, int nfiles,
                          const char *province, int32_t day0, int ndays,
                          const struct lt_rules *rules, bool keep_hours, long *rejected,
                          struct lt_dataset *out)
{
    struct lt__files_ctx c = {.ds = out, .province = province};
    struct lt_cnemc_handler h = {
        .ctx = &c, .station = lt__station_cb, .cell = lt__cell_cb, .reject = lt__reject_cb};
    struct lt_cnemc_stats stats;
    struct lt_diag d = {0};
    double *grid = NULL;
    int rc;
    memset(out, 0, sizeof(*out));
    rc = lt_cnemc_read(stations_csv, &h, &stats, &d);
    if (rc) {
        fprintf(stderr, "%s: %s\n", stations_csv, d.msg[0] ? d.msg : lt_strerror(rc));
        goto out;
    }
    if (stats.layout != LT_CNEMC_STATIONS) {
        fprintf(stderr, "%s: not a CNEMC station list\n", stations_csv);
        rc = LT_EPARSE;
        goto out;
    }
    qsort(out->sites, (size_t)out->nsites, sizeof(struct lt_site), lt__site_cmp);
    int nsites = out->nsites;
    rc = lt__alloc(out, nsites, day0, ndays, &grid);
    if (rc)
        goto out;
    c.grid = grid;
    c.map.cap = 1;
    while (c.map.cap < (size_t)nsites * 2 + 2)
        c.map.cap <<= 1;
    c.map.slot = malloc(sizeof(int) * c.map.cap);
    c.map.sites = out->sites;
    if (!c.map.slot) {
        rc = LT_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < c.map.cap; k++)
        c.map.slot[k] = -1;
    for (int i = 0; i < nsites; i++)
        if (lt__codemap_put(&c.map, i))
            fprintf(stderr, "%s: station %s listed twice; the first entry is used\n", stations_csv,
                    out->sites[i].code);
    c.ts0 = lt_hour_end_utc(day0, 0);
    c.ts1 = lt_hour_end_utc(day0 + ndays - 1, 24);
    h.station = NULL;
    /* Only the six 1-h values are used: the reader skips the AQI and the derived rows unparsed. */
    h.fields = 1u << LT_CF_SO2 | 1u << LT_CF_NO2 | 1u << LT_CF_CO | 1u << LT_CF_O3 |
               1u << LT_CF_PM10 | 1u << LT_CF_PM25;
    for (int f = 0; f < nfiles; f++) {
        memset(&d, 0, sizeof(d));
        for (int k = 0; k < c.ncolmap; k++)
            c.colmap[k] = -2;
        rc = lt_cnemc_read(files[f], &h, &stats, &d);
        if (rc == LT_ETRUNC) {
            fprintf(stderr, "%s: %s (values before the damage are used)\n", files[f], d.msg);
            c.rejected++;
            rc = 0;
        } else if (rc) {
            fprintf(stderr, "%s: %s\n", files[f], d.msg[0] ? d.msg : lt_strerror(rc));
            goto out;
        }
    }
    rc = lt__site_days(out, grid, rules);
out:
    free(c.map.slot);
    free(c.colmap);
    if (rejected)
        *rejected = c.rejected;
    if (rc || !keep_hours)
        free(grid);
    else
        out->hours = grid;
    if (rc)
        lt_dataset_free(out);
    return rc;
}

/* ---- areas --------------------------------------------------------------------------------- */

void lt_areas_free(struct lt_area *a, int n)
{
    if (!a)
        return;
    for (int i = 0; i < n; i++)
        free(a[i].sites);
    free(a);
}

int lt_areas_build(const struct lt_dataset *ds, enum lt_area_level level, const char *name,
                   struct lt_area **out, int *n)
{
    struct lt_area *a = NULL;
    int na = 0, cap = 0, rc = 0;
    for (int i = 0; i < ds->nsites; i++) {
        const struct lt_site *s = &ds->sites[i];
        const char *key = level == LT_AREA_SITE   ? s->code
                          : level == LT_AREA_CITY ? s->city
                                                  : s->county;
        if (level != LT_AREA_SITE && (!s->is_eval || !key[0]))
            continue;
        if (name && !(lt_place_match(name, key) ||
                      (level == LT_AREA_SITE && lt_place_match(name, s->name))))
            continue;
        int k;
        for (k = 0; k < na; k++)
            if (level != LT_AREA_SITE && lt_place_match(a[k].name, key) &&
                !strcmp(a[k].province, s->province))
                break;
        if (k == na) {
            if (na == cap) {
                int ncap = cap ? cap * 2 : 32;
                struct lt_area *nb = realloc(a, sizeof(*nb) * (size_t)ncap);
                if (!nb) {
                    rc = LT_ENOMEM;
                    goto out;
                }
                a = nb;
                cap = ncap;
            }
            memset(&a[na], 0, sizeof(a[na]));
            snprintf(a[na].name, sizeof(a[na].name), "%s", key);
            snprintf(a[na].province, sizeof(a[na].province), "%s", s->province);
            a[na].sites = malloc(sizeof(int) * (size_t)ds->nsites);
            if (!a[na].sites) {
                rc = LT_ENOMEM;
                goto out;
            }
            na++;
        }
        a[k].sites[a[k].nsites++] = i;
    }
out:
    if (rc) {
        lt_areas_free(a, na);
        return rc;
    }
    *out = a;
    *n = na;
    return 0;
}

int lt_area_days(const struct lt_dataset *ds, const struct lt_area *a, int32_t from, int32_t to,
                 struct lt_store *st, struct lt_day **out)
{
    int nd = to - from + 1;
    if (from < ds->day0 || to >= ds->day0 + ds->ndays || nd <= 0)
        return LT_ERANGE;
    struct lt_day *days = malloc(sizeof(*days) * (size_t)nd);
    struct lt_day *tmp = malloc(sizeof(*tmp) * (size_t)(a->nsites ? a->nsites : 1));
    if (!days || !tmp) {
        free(days);
        free(tmp);
        return LT_ENOMEM;
    }
    for (int j = 0; j < nd; j++) {
        int32_t day = from + j;
        int m = 0;
        for (int k = 0; k < a->nsites; k++) {
            const struct lt_site *s = &ds->sites[a->sites[k]];
            if (day < s->valid_from || day > s->valid_to)
                continue;
            tmp[m++] = ds->sday[(size_t)a->sites[k] * (size_t)ds->ndays + (size_t)(day - ds->day0)];
        }
        lt_day_area(tmp, m, &days[j]);
        if (st) {
            bool on = false;
            if (lt_store_dust_get(st, a->name, day, &on) == 0 && on)
                days[j].flags |= LT_DAY_F_DUST;
        }
    }
    free(tmp);
    *out = days;
    return 0;
}

void lt_area_hour(const struct lt_dataset *ds, const struct lt_area *a, int k, double *c)
{
    int32_t day = ds->day0 + k / 24;
    for (int p = 0; p < LT_POLL_N; p++) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < a->nsites; i++) {
            const struct lt_site *s = &ds->sites[a->sites[i]];
            if (day < s->valid_from || day > s->valid_to)
                continue;
            double v = lt__day_hours(ds, ds->hours, a->sites[i], p, k / 24)[k % 24];
            if (!isnan(v)) {
                sum += v;
                n++;
            }
        }
        c[p] = n ? sum / n : NAN;
    }
}

int lt_period_parse(const char *s, int32_t *from, int32_t *to)
{
    struct lt_str x = lt_str_of(s);
    long long y, m;
    const char *colon = strchr(s, ':');
    if (colon) {
        if (lt_date_parse((struct lt_str){s, (size_t)(colon - s)}, from) ||
            lt_date_parse(lt_str_of(colon + 1), to) || *to < *from)
            return LT_EPARSE;
        return 0;
    }
    if (x.len == 4) {
        if (lt_parse_int(x, 1900, 2199, &y))
            return LT_EPARSE;
        *from = lt_days_from_civil((int)y, 1, 1);
        *to = lt_days_from_civil((int)y, 12, 31);
        return 0;
    }
    if (x.len == 7 && s[4] == '-' && (s[5] == 'Q' || s[5] == 'q')) {
        if (lt_parse_int((struct lt_str){s, 4}, 1900, 2199, &y) ||
            lt_parse_int((struct lt_str){s + 6, 1}, 1, 4, &m))
            return LT_EPARSE;
        int m0 = (int)(m - 1) * 3 + 1;
        *from = lt_days_from_civil((int)y, m0, 1);
        *to = lt_days_from_civil((int)y, m0 + 2, lt_days_in_month((int)y, m0 + 2));
        return 0;
    }
    if (x.len == 7 && s[4] == '-') {
        if (lt_parse_int((struct lt_str){s, 4}, 1900, 2199, &y) ||
            lt_parse_int((struct lt_str){s + 5, 2}, 1, 12, &m))
            return LT_EPARSE;
        *from = lt_days_from_civil((int)y, (int)m, 1);
        *to = lt_days_from_civil((int)y, (int)m, lt_days_in_month((int)y, (int)m));
        return 0;
    }
    if (lt_date_parse(x, from) == 0) {
        *to = *from;
        return 0;
    }
    return LT_EPARSE;
}

static int32_t lt__minus_year(int32_t day)
{
    int y, m, d;
    lt_civil_from_days(day, &y, &m, &d);
    if (m == 2 && d == 29)
        d = 28;
    return lt_days_from_civil(y - 1, m, d);
}

void lt_period_prev_year(int32_t from, int32_t to, int32_t *pfrom, int32_t *pto)
{
    *pfrom = lt__minus_year(from);
    *pto = lt__minus_year(to);
}

int lt_area_sites_with_data(const struct lt_dataset *ds, const struct lt_area *a, int32_t from,
                            int32_t to)
{
    int n = 0;
    for (int k = 0; k < a->nsites; k++) {
        const struct lt_day *d = &ds->sday[(size_t)a->sites[k] * (size_t)ds->ndays];
        bool any = false;
        for (int32_t day = from; day <= to && !any; day++)
            for (int p = 0; p < LT_POLL_N && !any; p++)
                any = !isnan(d[day - ds->day0].c[p]);
        n += any;
    }
    return n;
}

/* lantian simulate --db: the simulated fleet of the device registry (sim_fleet.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/sim_fleet.h"
#include "lantian/hj212.h"
#include "lantian/util.h"

#define LT__HIST_DAYS 8 /* days of a site's history that set its levels */

/* HJ 212 factor codes of the six pollutants as air stations send them (lt_pollutant order) and
 * the typical levels of a site without history (µg/m3; CO mg/m3). */
static const char *const lt__air_code[LT_POLL_N] = {"a21026", "a21004", "a21005",
                                                    "a05024", "a34002", "a34004"};
static const double lt__air_typical[LT_POLL_N] = {10, 35, 0.8, 60, 80, 45};
/* Floor and cap of a simulated value, and of a stored one taken as a level. */
static const double lt__air_floor[LT_POLL_N] = {1, 1, 0.1, 1, 1, 1};
static const double lt__air_cap[LT_POLL_N] = {800, 500, 20, 600, 1500, 1000};

static const char *const lt__cems_code[LT_SIM_CEMS_N] = {"a21026", "a21002", "a34013"};
/* mg/m3 at the reference O2, for factors without a limit. */
static const double lt__cems_typical[LT_SIM_CEMS_N] = {20, 60, 8};

/* ---- deterministic noise ------------------------------------------------------------------- */

static uint64_t lt__mix(uint64_t x)
{
    /* splitmix64's finaliser */
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t lt__seed(const char *mn, int64_t t, int k)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a of the MN */
    for (const char *p = mn; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ull;
    }
    return lt__mix(h ^ lt__mix((uint64_t)t * 0x9E3779B97F4A7C15ull + (uint64_t)k));
}

/* Uniform in (0, 1). */
static double lt__unif(const char *mn, int64_t t, int k)
{
    return ((double)(lt__seed(mn, t, k) >> 11) + 0.5) / 9007199254740992.0;
}

/* Standard normal (Box-Muller). */
static double lt__gauss(const char *mn, int64_t t, int k)
{
    double u1 = lt__unif(mn, t, 2 * k), u2 = lt__unif(mn, t, 2 * k + 1);
    return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

static double lt__clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* As sent: integers of µg/m3, CO to 0.01 mg/m3. */
static double lt__air_round(int p, double v)
{
    return p == LT_CO ? floor(v * 100 + 0.5) / 100 : floor(v + 0.5);
}

void lt_sim_bj14(int64_t utc, char *out, size_t cap)
{
    int64_t t = utc + LT_BJ_OFFSET_S;
    int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t sec = t - day * 86400;
    int y, m, d;
    lt_civil_from_days((int32_t)day, &y, &m, &d);
    snprintf(out, cap, "%04d%02d%02d%02d%02d%02d", y, m, d, (int)(sec / 3600), (int)(sec / 60 % 60),
             (int)(sec % 60));
}

static int32_t lt__bj_today(int64_t now)
{
    int64_t t = now + LT_BJ_OFFSET_S;
    return (int32_t)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
}

/* ---- registration -------------------------------------------------------------------------- */

/* Does the site have any pollutant value in natural days day0 .. day0 + ndays - 1? */
static int lt__site_recent(struct lt_store *st, const char *code, int32_t day0, int ndays,
                           bool *any)
{
    double buf[LT_POLL_N][2 * 24];
    double *v[LT_POLL_N];
    *any = false;
    for (int p = 0; p < LT_POLL_N; p++) {
        v[p] = buf[p];
        for (int k = 0; k < ndays * 24; k++)
            buf[p][k] = NAN;
    }
    int rc = lt_store_load_hourly(st, code, day0, ndays, v, NULL);
    for (int p = 0; !rc && p < LT_POLL_N && !*any; p++)
        for (int k = 0; k < ndays * 24; k++)
            if (!isnan(buf[p][k])) {
                *any = true;
                break;
            }
    return rc;
}

/* Add the device unless its MN is registered already. */
static int lt__put_new(struct lt_store *st, const struct lt_device *d, int *added, int *kept)
{
    struct lt_device old;
    int rc = lt_store_device_get(st, d->mn, &old);
    if (rc == 0) {
        (*kept)++;
        return 0;
    }
    if (rc != LT_ENOTFOUND)
        return rc;
    rc = lt_store_device_put(st, d);
    if (!rc)
        (*added)++;
    return rc;
}

static struct lt_device lt__device(const char *mn, const char *kind, int64_t now)
{
    struct lt_device d;
    memset(&d, 0, sizeof d);
    snprintf(d.mn, sizeof d.mn, "%s", mn);
    snprintf(d.kind, sizeof d.kind, "%s", kind);
    /* The password most loggers leave at its factory setting; checked by the server. */
    snprintf(d.pw, sizeof d.pw, "123456");
    d.crc_mask = LT_CRC_MASK_STD;
    d.enabled = true;
    d.created_at = now;
    return d;
}

static int lt__register_air(struct lt_store *st, const char *prefix, const char *province,
                            int per_city, int64_t now, int *added, int *kept)
{
    struct lt_site_filter f = {.province = province, .eval_only = true};
    struct lt_site *s = NULL;
    int n = 0, rc = lt_store_sites(st, &f, &s, &n);
    if (rc)
        return rc;
    int32_t today = lt__bj_today(now);
    bool *recent = calloc((size_t)n + 1, sizeof *recent);
    bool *taken = calloc((size_t)n + 1, sizeof *taken);
    if (!recent || !taken) {
        rc = LT_ENOMEM;
        goto out;
    }
    int usable = 0;
    for (int i = 0; i < n; i++) {
        if (s[i].valid_from > today || s[i].valid_to < today || strlen(s[i].code) > 15) {
            taken[i] = true; /* not usable */
            continue;
        }
        usable++;
        rc = lt__site_recent(st, s[i].code, today - 1, 2, &recent[i]);
        if (rc)
            goto out;
    }
    if (!usable) {
        rc = LT_ENOTFOUND;
        goto out;
    }
    /* Cities in the order of their first site's code; in each, sites with recent values first. */
    for (int i = 0; i < n; i++) {
        if (taken[i])
            continue;
        int got = 0;
        for (int pass = 0; pass < 2 && got < per_city; pass++)
            for (int j = i; j < n && got < per_city; j++) {
                if (taken[j] || !lt_place_match(s[j].city, s[i].city) || (pass == 0 && !recent[j]))
                    continue;
                taken[j] = true;
                got++;
                char mn[32];
                snprintf(mn, sizeof mn, "%sA%15s", prefix, s[j].code);
                for (char *p = mn + strlen(prefix) + 1; *p == ' '; p++)
                    *p = '0';
                struct lt_device d = lt__device(mn, "air", now);
                snprintf(d.site, sizeof d.site, "%s", s[j].code);
                rc = lt__put_new(st, &d, added, kept);
                if (rc)
                    goto out;
            }
        /* The city's other sites are not taken. */
        for (int j = i; j < n; j++)
            if (lt_place_match(s[j].city, s[i].city))
                taken[j] = true;
    }
out:
    free(recent);
    free(taken);
    free(s);
    return rc;
}

int lt_sim_fleet_register(struct lt_store *st, const char *prefix, const char *province,
                          int per_city, int ncems, const struct lt_limits *lim, int64_t now,
                          int *added, int *kept)
{
    int a = 0, k = 0, rc = 0;
    if (province)
        rc = lt__register_air(st, prefix, province, per_city, now, &a, &k);
    /* Source types whose limits correct to a reference O2, in the order the limits list them. */
    const char *types[16];
    int nt = 0;
    for (int i = 0; lim && i < lim->n && nt < 16; i++) {
        const struct lt_limit *x = &lim->v[i];
        bool seen = false;
        for (int j = 0; j < nt; j++)
            seen |= !strcmp(types[j], x->type);
        if (x->type[0] && x->o2_mode == LT_O2_CORRECT && !seen)
            types[nt++] = x->type;
    }
    for (int i = 0; !rc && i < ncems; i++) {
        char mn[32];
        snprintf(mn, sizeof mn, "%sC%015d", prefix, i + 1);
        struct lt_device d = lt__device(mn, "cems", now);
        snprintf(d.outlet, sizeof d.outlet, "SIM-E%02d-DA001", i + 1);
        if (nt)
            snprintf(d.source_type, sizeof d.source_type, "%s", types[i % nt]);
        rc = lt__put_new(st, &d, &a, &k);
    }
    if (added)
        *added = a;
    if (kept)
        *kept = k;
    return rc;
}

/* ---- the fleet and its history ------------------------------------------------------------- */

/* Levels and state of an air station from its site's last LT__HIST_DAYS days. */
static int lt__air_history(struct lt_store *st, struct lt_sim_unit *u, int64_t now)
{
    enum { NH = LT__HIST_DAYS * 24 };
    double(*buf)[NH] = malloc(sizeof(double[LT_POLL_N][NH]));
    double *v[LT_POLL_N];
    if (!buf)
        return LT_ENOMEM;
    int32_t day0 = lt__bj_today(now) - (LT__HIST_DAYS - 1);
    for (int p = 0; p < LT_POLL_N; p++) {
        v[p] = buf[p];
        for (int k = 0; k < NH; k++)
            buf[p][k] = NAN;
    }
    int rc = lt_store_load_hourly(st, u->site, day0, LT__HIST_DAYS, v, NULL);
    if (rc)
        goto out;
    /* The last stored hour not after now. */
    int last = -1;
    for (int k = NH - 1; k >= 0 && last < 0; k--) {
        if (lt_hour_end_utc(day0 + k / 24, k % 24 + 1) > now)
            continue;
        for (int p = 0; p < LT_POLL_N; p++)
            if (!isnan(buf[p][k])) {
                last = k;
                break;
            }
    }
    u->last_stored = last >= 0 ? lt_hour_end_utc(day0 + last / 24, last % 24 + 1) : 0;
    for (int p = 0; p < LT_POLL_N; p++) {
        double sum[24] = {0}, all = 0;
        int cnt[24] = {0}, nall = 0;
        for (int k = 0; k <= last; k++)
            if (!isnan(buf[p][k])) {
                double lv = log(lt__clamp(buf[p][k], lt__air_floor[p], lt__air_cap[p]));
                sum[k % 24] += lv;
                cnt[k % 24]++;
                all += lv;
                nall++;
            }
        /* A site with history measures what it has values of; one without gets all six. */
        u->has[p] = last < 0 || nall > 0;
        double mean = nall ? all / nall : log(lt__air_typical[p]);
        for (int h = 0; h < 24; h++)
            u->level[p][h] = cnt[h] >= 2 ? sum[h] / cnt[h] : mean;
        /* The walk starts from the last value stored, else from the level of that hour. */
        int hd = last >= 0 ? last % 24 : 0;
        u->x[p] = u->level[p][hd];
        for (int k = last; k >= 0; k--)
            if (!isnan(buf[p][k])) {
                u->x[p] = log(lt__clamp(buf[p][k], lt__air_floor[p], lt__air_cap[p]));
                break;
            }
        u->v[p] = NAN;
    }
out:
    free(buf);
    return rc;
}

static bool lt__has_prefix(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

int lt_sim_fleet_load(struct lt_store *st, const char *prefix, int64_t now,
                      struct lt_sim_unit **out, int *n)
{
    struct lt_device *d = NULL;
    int nd = 0, m = 0, rc = lt_store_devices(st, &d, &nd);
    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    struct lt_sim_unit *u = calloc((size_t)nd + 1, sizeof *u);
    if (!u) {
        free(d);
        return LT_ENOMEM;
    }
    for (int i = 0; i < nd; i++) {
        bool air = !strcmp(d[i].kind, "air") && d[i].site[0];
        bool cems = !strcmp(d[i].kind, "cems") && d[i].outlet[0];
        if (!d[i].enabled || !lt__has_prefix(d[i].mn, prefix) || (!air && !cems))
            continue;
        struct lt_sim_unit *x = &u[m++];
        snprintf(x->mn, sizeof x->mn, "%s", d[i].mn);
        /* An empty password is not checked by the server; loggers still send one. */
        snprintf(x->pw, sizeof x->pw, "%s", d[i].pw[0] ? d[i].pw : "123456");
        x->cems = cems;
        snprintf(x->site, sizeof x->site, "%s", d[i].site);
        snprintf(x->outlet, sizeof x->outlet, "%s", d[i].outlet);
        snprintf(x->type, sizeof x->type, "%s", d[i].source_type);
        if (air && (rc = lt__air_history(st, x, now)) != 0)
            break;
    }
    free(d);
    if (rc) {
        free(u);
        return rc;
    }
    *out = u;
    *n = m;
    return 0;
}

/* ---- values ---------------------------------------------------------------------------------- */

static void lt__air_hour(struct lt_sim_unit *u, int64_t hour)
{
    /* The hour ending at hour + 3600 is hour h of the natural day: level index h - 1. */
    int hd = lt_natural_hour(hour + 3600) - 1, prev = (hd + 23) % 24;
    for (int p = 0; p < LT_POLL_N; p++) {
        if (!u->has[p]) {
            u->v[p] = NAN;
            continue;
        }
        /* Log-normal AR(1) around the site's diurnal level: hourly values persist (0.92 from
         * one hour to the next, steps of about 7 %), and wander about 0.18 in log (a factor of
         * 1.2) around the level, like a quiet stretch of real hourly data. */
        u->x[p] = u->level[p][hd] + 0.92 * (u->x[p] - u->level[p][prev]) +
                  0.07 * lt__gauss(u->mn, hour, p);
        double lo = log(lt__air_floor[p]), hi = log(lt__air_cap[p]);
        u->x[p] = lt__clamp(u->x[p], lo, hi);
        u->v[p] = lt__air_round(p, exp(u->x[p]));
    }
}

static void lt__cems_hour(struct lt_sim_unit *u, const struct lt_limits *lim, int64_t hour)
{
    int32_t day = lt__bj_today(hour);
    double o2_ref = NAN;
    double limit[LT_SIM_CEMS_N];
    for (int f = 0; f < LT_SIM_CEMS_N; f++) {
        const struct lt_limit *l =
            lim ? lt_limits_find(lim, u->outlet, u->type, lt__cems_code[f], day) : NULL;
        limit[f] = l ? l->limit : NAN;
        if (l && l->o2_mode == LT_O2_CORRECT)
            o2_ref = l->o2_ref;
    }
    /* O2 a little above the reference (a kiln near 12 %, a boiler near 5.5 %). */
    double base = isnan(o2_ref) ? 9 : o2_ref + 2;
    u->o2 = floor(lt__clamp(base + 0.8 * lt__gauss(u->mn, hour, 10), 1, 19.5) * 10 + 0.5) / 10;
    /* One hour in twelve, one factor with a limit goes over it by 10-50 %. */
    bool event = lt__seed(u->mn, hour, 20) % 12 == 0;
    int which = (int)(lt__seed(u->mn, hour, 21) % LT_SIM_CEMS_N);
    for (int f = 0; f < LT_SIM_CEMS_N; f++) {
        double r = 0.35 + 0.45 * lt__unif(u->mn, hour, 30 + f);
        double zs = isnan(limit[f]) ? lt__cems_typical[f] * (r + 0.4)
                                    : limit[f] * (event && f == which ? 1.1 + 0.4 * r : r);
        /* Measured from corrected: C = C_ref (21 - O2) / (21 - O2_ref) (HJ 212-2017 D.2.3). */
        double meas = isnan(o2_ref) ? zs : zs * (21 - u->o2) / (21 - o2_ref);
        u->meas[f] = floor(meas * 100 + 0.5) / 100;
        u->zs[f] = floor(zs * 100 + 0.5) / 100;
    }
}

void lt_sim_unit_hour(struct lt_sim_unit *u, const struct lt_limits *lim, int64_t hour)
{
    if (u->cems)
        lt__cems_hour(u, lim, hour);
    else
        lt__air_hour(u, hour);
    u->hour = hour;
}

/* Append printf output to seg at *o; false when it does not fit. */
static bool lt__cat(char *seg, size_t cap, size_t *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static bool lt__cat(char *seg, size_t cap, size_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = *o < cap ? vsnprintf(seg + *o, cap - *o, fmt, ap) : -1;
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *o)
        return false;
    *o += (size_t)n;
    return true;
}

size_t lt_sim_unit_segment(const struct lt_sim_unit *u, bool hourly, int64_t data_time,
                           const char *qn, char *seg, size_t cap)
{
    char dt[20];
    size_t o = 0;
    const char *vk = hourly ? "Avg" : "Rtd";
    int64_t t = hourly ? u->hour : data_time;
    lt_sim_bj14(t, dt, sizeof dt);
    if (!lt__cat(seg, cap, &o, "QN=%s;ST=%s;CN=%s;PW=%s;MN=%s;Flag=5;CP=&&DataTime=%s", qn,
                 u->cems ? "31" : "22", hourly ? "2061" : "2011", u->pw, u->mn, dt))
        return 0;
    /* Real-time values scatter a few per cent around the hour's (instrument noise). */
    if (!u->cems) {
        for (int p = 0; p < LT_POLL_N; p++) {
            if (isnan(u->v[p]))
                continue;
            double v =
                hourly ? u->v[p] : lt__air_round(p, u->v[p] * exp(0.05 * lt__gauss(u->mn, t, p)));
            if (!lt__cat(seg, cap, &o, ";%s-%s=%.*f,%s-Flag=N", lt__air_code[p], vk,
                         p == LT_CO ? 2 : 0, v, lt__air_code[p]))
                return 0;
        }
    } else {
        double k = hourly ? 1 : exp(0.05 * lt__gauss(u->mn, t, 9));
        if (!lt__cat(seg, cap, &o, ";a19001-%s=%.1f,a19001-Flag=N", vk, u->o2))
            return 0;
        for (int f = 0; f < LT_SIM_CEMS_N; f++)
            if (!lt__cat(seg, cap, &o, ";%s-%s=%.2f,%s-Zs%s=%.2f,%s-Flag=N", lt__cems_code[f], vk,
                         u->meas[f] * k, lt__cems_code[f], vk, u->zs[f] * k, lt__cems_code[f]))
                return 0;
    }
    if (!lt__cat(seg, cap, &o, "&&"))
        return 0;
    return o;
}

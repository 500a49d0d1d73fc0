/* lantian — data validity and statistics per GB 3095 Table 4 and HJ 663 (2013 and 2026 editions).
 *
 * The chain is hourly values -> site-day -> area-day -> period. Nothing is rounded on the way; a
 * value is rounded once, per GB/T 8170, where it is reported or compared with a limit. See
 * docs/STANDARDS-stats.md for the clause -> function -> test map.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lantian/stats.h"
#include "lantian/util.h"

/* Period lengths up to a leap year keep the percentile scratch on the stack. */
#define LT__STACK_DAYS 366

static inline bool lt__valid(double v)
{
    return isfinite(v);
}

/* Decimal places of a reported concentration: CO 0.1 mg/m3, the others whole µg/m3
 * (GB/T 8170; HJ 633-2026 4.2.2; HJ 663 reporting). */
static inline int lt__decimals(int p)
{
    return p == LT_CO ? 1 : 0;
}

/* The reported value of a concentration: rounded once per GB/T 8170 (half to even). */
static inline double lt__report(int p, double v)
{
    return lt_round_half_even(v, lt__decimals(p));
}

/* True when a concentration, rounded as reported, exceeds a limit. A value at most one reporting
 * step above the limit can round down onto it, so only those values pay for the rounding. */
static bool lt__exceeds(int p, double v, double limit)
{
    double step = p == LT_CO ? 0.1 : 1.0;
    if (!(v > limit - step))
        return false;
    return lt__report(p, v) > limit;
}

void lt_day_init(struct lt_day *d)
{
    if (!d)
        return;
    for (int p = 0; p < LT_POLL_N; p++) {
        d->c[p] = NAN;
        d->n[p] = 0;
    }
    d->o3_1h_max = NAN;
    d->o3_1h_n = 0;
    d->flags = 0;
}

/* Mean of the window of eight hours ending at index `end` (0-based: hours end-7 .. end), or NaN
 * with fewer than 6 valid hours (GB 3095-2012 / GB 3095-2026 Table 4: "每 8 小时至少有 6 个小时平均
 * 浓度值"). Summed in hour order so every caller gets the same bits. */
static inline double lt__o3_window(const double *h, int end)
{
    double sum = 0.0;
    int n = 0;
    for (int i = end - 7; i <= end; i++) {
        double v = h[i];
        if (lt__valid(v)) {
            sum += v;
            n++;
        }
    }
    return n >= LT_MIN_HOURS_O3_8H ? sum / n : NAN; /* GB 3095-2012 Table 4 */
}

double lt_o3_8h_window(const double *hours24, int end_h)
{
    if (!hours24 || end_h < 8 || end_h > 24)
        return NAN;
    /* The window ending at hour h of the natural day covers the hours ending h-7 .. h, all of the
     * same day: the window ending 08:00 is hours 01..08 (HJ 663-2013 6.1.2). */
    return lt__o3_window(hours24, end_h - 1);
}

/* O3 of one site-day: the daily max 1-h and the daily max 8-h (MDA8). One pass marks the valid
 * hours (missing ones contribute 0.0 to a sum, which leaves its bits unchanged, so a window sums to
 * exactly what lt__o3_window gives) and counts them in prefix counts. */
static void lt__o3_day(const double *h, double o3_8h_limit, struct lt_day *out)
{
    double x[24];
    int pre[25];
    double max1 = -INFINITY;
    pre[0] = 0;
    for (int i = 0; i < 24; i++) {
        double v = h[i];
        int ok = lt__valid(v);
        x[i] = ok ? v : 0.0;
        pre[i + 1] = pre[i] + ok;
        if (ok && v > max1)
            max1 = v;
    }

    /* O3 daily max 1-h, used by the HJ 633-2012 daily AQI. Neither GB 3095 Table 4 nor the notes
     * we have state its validity; like a daily value it needs >= 20 valid hours (GB 3095-2012
     * Table 4, daily row, applied by analogy; see docs/STANDARDS-stats.md). */
    out->o3_1h_n = (unsigned char)pre[24];
    out->o3_1h_max = pre[24] >= LT_MIN_HOURS_DAY ? max1 : NAN;

    /* HJ 663-2013 6.1.2 / HJ 663-2026 6.1.2: the 17 windows ending 08:00 ... 24:00; each needs
     * >= 6 valid hours (GB 3095-2012 / 2026 Table 4). */
    double max = -INFINITY;
    int nwin = 0;
    for (int end = 7; end < 24; end++) {
        int n = pre[end + 1] - pre[end - 7];
        if (n < LT_MIN_HOURS_O3_8H)
            continue;
        double sum = 0.0;
        for (int i = end - 7; i <= end; i++)
            sum += x[i];
        double w = sum / n;
        nwin++;
        if (w > max)
            max = w;
    }
    out->n[LT_O3] = (unsigned char)nwin;
    if (nwin >= LT_MIN_WINDOWS_MDA8) {
        /* HJ 663-2013 6.1.2: at least 14 valid 8-h means between 08:00 and 24:00. */
        out->c[LT_O3] = max;
    } else if (nwin > 0 && isfinite(o3_8h_limit) && lt_round_half_even(max, 0) > o3_8h_limit) {
        /* HJ 663-2013 6.1.2: with fewer than 14, the value stays valid when it exceeds the limit
         * (GB 3095-2012 Table 4 note). The comparison uses the reported (GB/T 8170) value, as
         * every comparison with a limit does. */
        out->c[LT_O3] = max;
    } else {
        out->c[LT_O3] = NAN;
    }
}

void lt_day_from_hours(const double *const hours[LT_POLL_N], double o3_8h_limit, struct lt_day *out)
{
    if (!out)
        return;
    lt_day_init(out);
    if (!hours)
        return;
    for (int p = 0; p < LT_POLL_N; p++) {
        const double *h = hours[p];
        if (!h)
            continue;
        if (p == LT_O3) {
            lt__o3_day(h, o3_8h_limit, out);
            continue;
        }
        double sum = 0.0;
        int n = 0;
        for (int i = 0; i < 24; i++) {
            double v = h[i];
            if (lt__valid(v)) {
                sum += v;
                n++;
            }
        }
        out->n[p] = (unsigned char)n;
        /* GB 3095-2012 / GB 3095-2026 Table 4: a daily mean needs >= 20 hourly values. */
        out->c[p] = n >= LT_MIN_HOURS_DAY ? sum / n : NAN;
    }
}

void lt_day_area(const struct lt_day *sites, int nsites, struct lt_day *out)
{
    if (!out)
        return;
    lt_day_init(out);
    if (!sites || nsites <= 0)
        return;
    /* HJ 663-2013 (city assessment; clause number not verified, see docs/STANDARDS-stats.md):
     * the city value is the arithmetic mean of the valid values of its evaluation sites for the
     * same period. Flags are the caller's: dust is an area decision. */
    double sum[LT_POLL_N] = {0};
    int cnt[LT_POLL_N] = {0};
    double sum1 = 0.0;
    int cnt1 = 0;
    for (int s = 0; s < nsites; s++) {
        const struct lt_day *d = &sites[s];
        for (int p = 0; p < LT_POLL_N; p++) {
            if (lt__valid(d->c[p])) {
                sum[p] += d->c[p];
                cnt[p]++;
            }
        }
        if (lt__valid(d->o3_1h_max)) {
            sum1 += d->o3_1h_max;
            cnt1++;
        }
    }
    for (int p = 0; p < LT_POLL_N; p++) {
        out->c[p] = cnt[p] > 0 ? sum[p] / cnt[p] : NAN;
        out->n[p] = (unsigned char)(cnt[p] > 255 ? 255 : cnt[p]);
    }
    out->o3_1h_max = cnt1 > 0 ? sum1 / cnt1 : NAN;
    out->o3_1h_n = (unsigned char)(cnt1 > 255 ? 255 : cnt1);
}

int lt_day_aqi(const struct lt_day *d, enum lt_edition ed, struct lt_aqi *out)
{
    if (!d || !out || (int)ed < 0 || ed >= LT_ED_N)
        return LT_EINVAL;
    struct lt_aqi_input in;
    lt_aqi_input_init(&in);
    /* HJ 633-2012 5.1.2 / HJ 633-2026 4.2.2: the daily AQI uses the 24-h means and the O3 daily max
     * 8-h; 2012 adds the O3 daily max 1-h, 2026 dropped it. */
    for (int p = 0; p < LT_POLL_N; p++)
        in.c[p] = d->c[p];
    if (ed == LT_ED_2012)
        in.o3_1h_max = d->o3_1h_max;
    return lt_aqi_compute(ed, LT_AQI_DAILY, &in, out);
}

/* Sorting and selection in place, without the C library's qsort (which may allocate) and without
 * a comparison callback. Inputs hold no NaN. */

static void lt__insertion_sort(double *v, int n)
{
    for (int i = 1; i < n; i++) {
        double x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void lt__sift_down(double *v, int root, int n)
{
    double x = v[root];
    for (;;) {
        int c = 2 * root + 1;
        if (c >= n)
            break;
        if (c + 1 < n && v[c + 1] > v[c])
            c++;
        if (!(v[c] > x))
            break;
        v[root] = v[c];
        root = c;
    }
    v[root] = x;
}

/* Heapsort: O(n log n) in every case, no recursion, no memory. */
static void lt__sort(double *v, int n)
{
    if (n <= 16) {
        lt__insertion_sort(v, n);
        return;
    }
    for (int i = n / 2 - 1; i >= 0; i--)
        lt__sift_down(v, i, n);
    for (int end = n - 1; end > 0; end--) {
        double t = v[0];
        v[0] = v[end];
        v[end] = t;
        lt__sift_down(v, 0, end);
    }
}

/* Rearrange v so that v[k] holds the value it would hold sorted, with v[0..k-1] <= v[k] <=
 * v[k+1..n-1] (quickselect, median-of-three; after too many rounds the rest is heapsorted, so
 * the worst case stays O(n log n)). */
static void lt__select(double *v, int n, int k)
{
    int lo = 0, hi = n - 1, rounds = 0;
    while (hi - lo > 16) {
        if (++rounds > 64) {
            lt__sort(v + lo, hi - lo + 1);
            return;
        }
        int mid = lo + (hi - lo) / 2;
        /* Median of three to v[mid]. */
        if (v[mid] < v[lo]) {
            double t = v[mid];
            v[mid] = v[lo];
            v[lo] = t;
        }
        if (v[hi] < v[lo]) {
            double t = v[hi];
            v[hi] = v[lo];
            v[lo] = t;
        }
        if (v[hi] < v[mid]) {
            double t = v[hi];
            v[hi] = v[mid];
            v[mid] = t;
        }
        double pivot = v[mid];
        /* Hoare partition: balanced even with many equal values. */
        int i = lo - 1, j = hi + 1;
        for (;;) {
            do
                i++;
            while (v[i] < pivot);
            do
                j--;
            while (v[j] > pivot);
            if (i >= j)
                break;
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
    lt__insertion_sort(v + lo, hi - lo + 1);
}

/* HJ 663-2013 Appendix A: k = 1 + (n - 1) p / 100, s = floor(k) (1-based); returns s and the
 * fraction k - s. (n - 1) * p is exact for the integer percentiles used, so k is exact whenever
 * it is an integer. */
static int lt__pct_rank(int n, double p, double *frac)
{
    double k = 1.0 + (double)(n - 1) * p / 100.0;
    int s = (int)floor(k);
    if (s < 1)
        s = 1;
    if (s >= n) {
        *frac = 0.0;
        return n; /* s == n: m_p = X(n) */
    }
    *frac = k - (double)s;
    return s;
}

/* m_p = X(s) + (X(s+1) - X(s)) (k - s), from the two order statistics. */
static inline double lt__pct_value(double xs, double xs1, double frac)
{
    return frac == 0.0 ? xs : xs + (xs1 - xs) * frac;
}

double lt_percentile(double *v, int n, double p)
{
    if (!v || n <= 0 || !(p >= 0.0 && p <= 100.0))
        return NAN;
    lt__sort(v, n);
    double frac;
    int s = lt__pct_rank(n, p, &frac); /* HJ 663-2013 Appendix A */
    return lt__pct_value(v[s - 1], s < n ? v[s] : v[s - 1], frac);
}

/* The same percentile without a full sort: select X(s), then X(s+1) is the least value above
 * it. Gives exactly lt_percentile's result; v is reordered, not sorted. */
static double lt__percentile_select(double *v, int n, double p)
{
    if (n <= 0 || !(p >= 0.0 && p <= 100.0))
        return NAN;
    double frac;
    int s = lt__pct_rank(n, p, &frac); /* HJ 663-2013 Appendix A */
    lt__select(v, n, s - 1);
    double xs = v[s - 1];
    double xs1 = xs;
    if (frac != 0.0 && s < n) {
        xs1 = v[s];
        for (int i = s + 1; i < n; i++)
            if (v[i] < xs1)
                xs1 = v[i];
    }
    return lt__pct_value(xs, xs1, frac);
}

/* The rule set of `day`, reusing the previous answer while it still covers the day. */
static const struct lt_ruleset *lt__rules_at(const struct lt_rules *r,
                                             const struct lt_ruleset *prev, int32_t day)
{
    if (prev && day >= prev->from_day && day <= prev->to_day)
        return prev;
    return lt_rules_for_day(r, day);
}

static bool lt__is_pm(int p)
{
    return p == LT_PM10 || p == LT_PM25;
}

/* The daily value of pollutant p on a day as the period statistics use it: NaN when not valid or
 * when a dust day removes it (PM10/PM2.5 of dust-flagged days; 环办监测〔2016〕120号). */
static inline double lt__day_value(const struct lt_day *d, int p)
{
    if ((d->flags & LT_DAY_F_DUST) && lt__is_pm(p))
        return NAN;
    return d->c[p];
}

static void lt__period_init(struct lt_period *out, int32_t day0, int ndays)
{
    memset(out, 0, sizeof *out);
    out->from = day0;
    out->to = day0 + ndays - 1;
    out->ndays = ndays;
    for (int p = 0; p < LT_POLL_N; p++) {
        struct lt_pstat *ps = &out->p[p];
        ps->mean = NAN;
        ps->mean_r = NAN;
        ps->pct_p = NAN;
        ps->pct = NAN;
        ps->pct_r = NAN;
        ps->valid = true;
        ps->attain = -1;
        out->index_i[p] = NAN;
    }
    out->good_ratio = NAN;
    out->heavy_ratio = NAN;
    out->aqi_max = LT_IAQI_NA;
    out->index = NAN;
    out->attain = -1;
}

/* Counts one day's AQI into the period's day statistics. */
static void lt__count_aqi(struct lt_period *out, const struct lt_aqi *a)
{
    if (a->aqi == LT_IAQI_NA)
        return; /* no valid daily AQI: out of the denominator (CNEMC practice; notes 2.4) */
    out->aqi_days++;
    if (a->level >= 1 && a->level <= 6)
        out->level_days[a->level]++;
    if (a->aqi <= 100)
        out->good_days++; /* 优良: AQI <= 100 (HJ 633-2012 Table 2, levels 1 and 2) */
    if (a->aqi > 200)
        out->heavy_days++; /* 重度及以上: AQI > 200 (HJ 633-2012 Table 2, levels 5 and 6) */
    if (out->aqi_max == LT_IAQI_NA || a->aqi > out->aqi_max)
        out->aqi_max = a->aqi;
}

/* Attainment of one pollutant over a whole, valid calendar year (HJ 663-2013 Table 1, annual
 * items; clause number not verified):
 * SO2, NO2, PM10, PM2.5 need the annual mean <= the annual limit and the percentile <= the daily
 * limit; CO and O3 are judged by their percentile only. Reported (rounded) values are compared. */
static int lt__attain(int p, const struct lt_pstat *ps, const struct lt_ruleset *rs)
{
    double ld = rs->limit_daily[p];
    if (!isfinite(ps->pct_r) || !isfinite(ld))
        return -1;
    int ok = ps->pct_r <= ld;
    if (p == LT_CO || p == LT_O3)
        return ok;
    double la = rs->limit_annual[p];
    if (!isfinite(ps->mean_r) || !isfinite(la))
        return -1;
    return ok && ps->mean_r <= la;
}

int lt_period_compute(const struct lt_day *days, int32_t day0, int ndays,
                      const struct lt_rules *rules, struct lt_period *out)
{
    double stackbuf[LT__STACK_DAYS];
    double *scratch = stackbuf;
    int rc = LT_OK;

    if (!days || ndays <= 0 || !rules || !out)
        return LT_EINVAL;
    lt__period_init(out, day0, ndays);

    double sum[LT_POLL_N] = {0};
    int cnt[LT_POLL_N] = {0};
    int exceed[LT_POLL_N] = {0};
    bool valid[LT_POLL_N];
    for (int p = 0; p < LT_POLL_N; p++)
        valid[p] = true;

    const struct lt_ruleset *rs = NULL;
    int y, m, dom;
    lt_civil_from_days(day0, &y, &m, &dom);
    const bool whole_year = m == 1 && dom == 1 && ndays == (lt_is_leap(y) ? 366 : 365);

    /* Walk the period month by month: GB 3095 Table 4 counts valid days per calendar month. */
    int i = 0;
    while (i < ndays) {
        const int dim = lt_days_in_month(y, m);
        int seg = dim - dom + 1;
        if (seg > ndays - i)
            seg = ndays - i;
        int mcnt[LT_POLL_N] = {0};

        for (int j = i; j < i + seg; j++) {
            const struct lt_day *d = &days[j];
            const int32_t day = day0 + j;
            rs = lt__rules_at(rules, rs, day);
            if (!rs) {
                rc = LT_EINVAL; /* no rule set covers the day */
                goto out;
            }
            out->editions |= 1u << rs->aqi;

            const bool dust = (d->flags & LT_DAY_F_DUST) != 0;
            if (dust)
                out->dust_days++;
            /* 环办监测〔2016〕120号 and CNEMC practice: dust days keep their PM in the
             * daily AQI and in the good/heavy-days ratios, unless the rule set takes them
             * out of the ratios. */
            if (!(dust && rs->dust_exclude_ratios)) {
                struct lt_aqi a;
                rc = lt_day_aqi(d, rs->aqi, &a); /* HJ 633 daily AQI, the day's own edition */
                if (rc < 0)
                    goto out;
                lt__count_aqi(out, &a);
            }

            for (int p = 0; p < LT_POLL_N; p++) {
                double v = lt__day_value(d, p);
                if (!lt__valid(v))
                    continue;
                sum[p] += v;
                cnt[p]++;
                mcnt[p]++;
                /* Exceedance of a day is judged with the limit in force that day, on the daily
                 * value as reported (GB/T 8170). O3 uses the MDA8 against its daily limit. */
                if (lt__exceeds(p, v, rs->limit_daily[p]))
                    exceed[p]++;
            }
        }

        /* GB 3095-2012 / 2026 Table 4: >= 27 valid days per month, February >= 25 (leap years
         * too). A month only partly inside the period may miss as many days as the whole month
         * could: required = max(0, days in range - (days in month - minimum)). */
        const int min = m == 2 ? LT_MIN_DAYS_FEB : LT_MIN_DAYS_MONTH;
        int required = seg - (dim - min);
        if (required < 0)
            required = 0;
        for (int p = 0; p < LT_POLL_N; p++)
            if (mcnt[p] < required)
                valid[p] = false;

        i += seg;
        dom = 1;
        if (++m > 12) {
            m = 1;
            y++;
        }
    }

    /* The period's limits, percentiles and index come from the rule set of its last day. */
    const struct lt_ruleset *last = rs;
    size_t namelen = strnlen(last->name, sizeof last->name - 1);
    memcpy(out->ruleset, last->name, namelen);
    out->ruleset[namelen] = '\0';

    if (ndays > LT__STACK_DAYS) {
        scratch = malloc((size_t)ndays * sizeof *scratch);
        if (!scratch) {
            rc = LT_ENOMEM;
            goto out;
        }
    }

    for (int p = 0; p < LT_POLL_N; p++) {
        struct lt_pstat *ps = &out->p[p];
        ps->ndays = cnt[p];
        ps->exceed_days = exceed[p];
        /* GB 3095 Table 4: a whole calendar year also needs >= 324 valid days. A statistic
         * without any valid day is never valid, even where the month rule asks for none. */
        ps->valid = valid[p] && cnt[p] > 0 && (!whole_year || cnt[p] >= LT_MIN_DAYS_YEAR);
        ps->pct_p = last->pct[p];
        if (cnt[p] > 0) {
            ps->mean = sum[p] / cnt[p];
            ps->mean_r = lt__report(p, ps->mean); /* GB/T 8170, rounded once */
            int n = 0;
            for (int j = 0; j < ndays; j++) {
                double v = lt__day_value(&days[j], p);
                if (lt__valid(v))
                    scratch[n++] = v;
            }
            ps->pct = lt__percentile_select(scratch, n, ps->pct_p); /* HJ 663-2013 App. A */
            ps->pct_r = lt__report(p, ps->pct);
        }
        if (whole_year && ps->valid)
            ps->attain = lt__attain(p, ps, last);
    }

    /* Overall attainment: all six attained (HJ 663-2013, multi-pollutant assessment). Any 0 -> 0,
     * otherwise -1. */
    {
        int all = 1;
        for (int p = 0; p < LT_POLL_N; p++) {
            if (out->p[p].attain == 0) {
                all = 0;
                break;
            }
            if (out->p[p].attain < 0)
                all = -1;
        }
        out->attain = all;
    }

    /* Comprehensive index (城市环境空气质量排名技术规定, 环办监测〔2018〕19号):
     * I = sum w_i C_i / S_i with C the reported period means of SO2, NO2, PM10, PM2.5 and the
     * reported percentiles of CO (95th) and O3 (90th of MDA8); I reported to 2 decimals. */
    {
        double total = 0.0;
        bool complete = true;
        for (int p = 0; p < LT_POLL_N; p++) {
            const struct lt_pstat *ps = &out->p[p];
            double c = (p == LT_CO || p == LT_O3) ? ps->pct_r : ps->mean_r;
            double s = last->index_s[p];
            double w = last->index_w[p];
            if (isfinite(c) && isfinite(s) && s > 0.0 && isfinite(w)) {
                out->index_i[p] = w * c / s;
                total += out->index_i[p];
            } else {
                complete = false;
            }
        }
        out->index = complete ? lt_round_half_even(total, 2) : NAN;
    }

    /* Good-days and heavy-days ratios in percent, reported to 0.1 (GB/T 8170). */
    if (out->aqi_days > 0) {
        out->good_ratio = lt_round_half_even(100.0 * out->good_days / out->aqi_days, 1);
        out->heavy_ratio = lt_round_half_even(100.0 * out->heavy_days / out->aqi_days, 1);
    }

out:
    if (scratch != stackbuf)
        free(scratch);
    return rc;
}

void lt_rank_competition(const double *v, int n, int *rank)
{
    if (!v || !rank || n <= 0)
        return;
    /* 城市环境空气质量排名技术规定: smaller is better; equal values share a rank ("1224"). The
     * quadratic count is fine for the few hundred areas ranked at a time. */
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) {
            rank[i] = 0;
            continue;
        }
        int r = 1;
        for (int j = 0; j < n; j++)
            if (!isnan(v[j]) && v[j] < v[i])
                r++;
        rank[i] = r;
    }
}

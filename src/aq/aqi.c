/* lantian — Ambient Air Quality Index per HJ 633-2012 and HJ 633-2026.
 *
 * Every IAQI is computed in exact integer arithmetic: the concentration is first rounded per
 * GB/T 8170 (HJ 633-2026 4.2.2/4.2.3) to an integer number of µg/m3, or of 0.1 mg/m3 for CO, and
 * the linear interpolation of HJ 633 eq. (1) is then a ratio of integers whose ceiling (HJ 633-2012
 * 6.2; HJ 633-2026 4.2.6: "全部（向上）进位取整数") is taken with integer division. No
 * floating-point quotient is ever rounded up, so a concentration exactly on a breakpoint gives
 * exactly that breakpoint's IAQI.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "lantian/aqi.h"
#include "lantian/util.h"

/* The IAQI column of HJ 633-2012 Table 1 / HJ 633-2026 Table 3. */
static const int lt__iaqi_bp[8] = {0, 50, 100, 150, 200, 300, 400, 500};

/* One indicator column: breakpoints in integer units (µg/m3, or 0.1 mg/m3 for CO) and how many of
 * the eight IAQI rows the column fills (SO2 1-h stops at IAQI 200, O3 8-h at IAQI 300). */
struct lt__column {
    int n;
    int32_t bp[8];
};

/* HJ 633-2012 Table 1. CO columns are scaled by 10 (0.1 mg/m3 units). */
static const struct lt__column lt__table_2012[LT_IND_N] = {
    [LT_IND_SO2_24H] = {8, {0, 50, 150, 475, 800, 1600, 2100, 2620}},
    /* HJ 633-2012 Table 1 note (2): no IAQI above 800 µg/m3. */
    [LT_IND_SO2_1H] = {5, {0, 150, 500, 650, 800, 0, 0, 0}},
    [LT_IND_NO2_24H] = {8, {0, 40, 80, 180, 280, 565, 750, 940}},
    [LT_IND_NO2_1H] = {8, {0, 100, 200, 700, 1200, 2340, 3090, 3840}},
    [LT_IND_CO_24H] = {8, {0, 20, 40, 140, 240, 360, 480, 600}},
    [LT_IND_CO_1H] = {8, {0, 50, 100, 350, 600, 900, 1200, 1500}},
    [LT_IND_O3_1H] = {8, {0, 160, 200, 300, 400, 800, 1000, 1200}},
    /* HJ 633-2012 Table 1 note (3): no IAQI above 800 µg/m3. */
    [LT_IND_O3_8H] = {6, {0, 100, 160, 215, 265, 800, 0, 0}},
    [LT_IND_PM10_24H] = {8, {0, 50, 150, 250, 350, 420, 500, 600}},
    [LT_IND_PM25_24H] = {8, {0, 35, 75, 115, 150, 250, 350, 500}},
};

/* HJ 633-2026 Table 3. Identical to 2012 except the IAQI-100 breakpoints of PM10 (150 -> 120) and
 * PM2.5 (75 -> 60). CO columns are scaled by 10 (0.1 mg/m3 units). */
static const struct lt__column lt__table_2026[LT_IND_N] = {
    [LT_IND_SO2_24H] = {8, {0, 50, 150, 475, 800, 1600, 2100, 2620}},
    /* HJ 633-2026 Table 3 note b: above 800 µg/m3 the IAQI counts as 200. */
    [LT_IND_SO2_1H] = {5, {0, 150, 500, 650, 800, 0, 0, 0}},
    [LT_IND_NO2_24H] = {8, {0, 40, 80, 180, 280, 565, 750, 940}},
    [LT_IND_NO2_1H] = {8, {0, 100, 200, 700, 1200, 2340, 3090, 3840}},
    [LT_IND_CO_24H] = {8, {0, 20, 40, 140, 240, 360, 480, 600}},
    [LT_IND_CO_1H] = {8, {0, 50, 100, 350, 600, 900, 1200, 1500}},
    [LT_IND_O3_1H] = {8, {0, 160, 200, 300, 400, 800, 1000, 1200}},
    /* HJ 633-2026 Table 3 note c: above 800 µg/m3 the IAQI counts as 300. */
    [LT_IND_O3_8H] = {6, {0, 100, 160, 215, 265, 800, 0, 0}},
    [LT_IND_PM10_24H] = {8, {0, 50, 120, 250, 350, 420, 500, 600}},
    [LT_IND_PM25_24H] = {8, {0, 35, 60, 115, 150, 250, 350, 500}},
};

static const char *const lt__ind_names[LT_IND_N] = {
    "SO2_24h", "SO2_1h", "NO2_24h", "NO2_1h",   "CO_24h",
    "CO_1h",   "O3_1h",  "O3_8h",   "PM10_24h", "PM2.5_24h",
};

const char *lt_aqi_ind_name(enum lt_aqi_ind ind)
{
    if ((int)ind < 0 || ind >= LT_IND_N)
        return "?";
    return lt__ind_names[ind];
}

static bool lt__ind_is_co(enum lt_aqi_ind ind)
{
    return ind == LT_IND_CO_24H || ind == LT_IND_CO_1H;
}

double lt_aqi_round_conc(enum lt_pollutant p, double conc)
{
    /* HJ 633-2026 4.2.2 and 4.2.3: GB/T 8170 to integers (µg/m3), CO to one decimal (mg/m3). */
    return lt_round_half_even(conc, p == LT_CO ? 1 : 0);
}

/* Concentrations above this (in table units) are far above every table's top; they are capped
 * without converting to an integer, so the conversion below can never overflow. */
#define LT__CONC_HUGE 1.0e9

int lt_iaqi(enum lt_edition ed, enum lt_aqi_ind ind, double conc, int *iaqi, unsigned *flags)
{
    if ((int)ed < 0 || ed >= LT_ED_N || (int)ind < 0 || ind >= LT_IND_N || !iaqi)
        return LT_EINVAL;
    if (!isfinite(conc) || conc < 0)
        return LT_EINVAL;
    unsigned fl = 0;
    const struct lt__column *col = ed == LT_ED_2012 ? &lt__table_2012[ind] : &lt__table_2026[ind];

    /* Round once per GB/T 8170, then work in integer table units (HJ 633-2026 4.2.2/4.2.3). */
    bool co = lt__ind_is_co(ind);
    double r = lt_round_half_even(conc, co ? 1 : 0);
    double units = co ? r * 10.0 : r;
    int64_t c = units > LT__CONC_HUGE ? INT64_MAX : (int64_t)llround(units);

    int32_t top = col->bp[col->n - 1];
    int v;
    if (c > top && ind == LT_IND_SO2_1H) {
        if (ed == LT_ED_2012) {
            /* HJ 633-2012 Table 1 note (2): above 800 no SO2 1-h IAQI is computed; the SO2 IAQI
             * is reported from the 24-h mean instead (the caller substitutes). */
            v = LT_IAQI_NA;
            fl |= LT_IAQI_F_SUBST;
        } else {
            /* HJ 633-2026 Table 3 note b: the IAQI counts as 200. */
            v = 200;
            fl |= LT_IAQI_F_SPECIAL;
        }
    } else if (c > top && ind == LT_IND_O3_8H) {
        if (ed == LT_ED_2012) {
            /* HJ 633-2012 Table 1 note (3): above 800 no O3 8-h IAQI is computed; the O3 IAQI is
             * reported from the 1-h value instead (the caller substitutes). */
            v = LT_IAQI_NA;
            fl |= LT_IAQI_F_SUBST;
        } else {
            /* HJ 633-2026 Table 3 note c: the IAQI counts as 300. */
            v = 300;
            fl |= LT_IAQI_F_SPECIAL;
        }
    } else if (c > top) {
        /* Above the top of the table: both editions are silent; cap at 500 and say so. */
        v = 500;
        fl |= LT_IAQI_F_CAPPED;
    } else if (c == 0) {
        v = 0;
    } else {
        /* HJ 633-2012 4.2 eq. (1); HJ 633-2026 4.2.4 eq. (1): BP_Lo < C <= BP_Hi. A value on a
         * breakpoint takes the lower segment, where the formula gives exactly IAQI_Hi. */
        int k = 1;
        while (c > col->bp[k])
            k++;
        int64_t lo = col->bp[k - 1], hi = col->bp[k];
        int64_t ilo = lt__iaqi_bp[k - 1], ihi = lt__iaqi_bp[k];
        int64_t num = (ihi - ilo) * (c - lo);
        int64_t den = hi - lo;
        /* HJ 633-2012 6.2; HJ 633-2026 4.2.6: round up. num >= 0 and den > 0, so this is ceil. */
        v = (int)(ilo + (num + den - 1) / den);
    }
    *iaqi = v;
    if (flags)
        *flags = fl;
    return 0;
}

void lt_aqi_input_init(struct lt_aqi_input *in)
{
    if (!in)
        return;
    for (int p = 0; p < LT_POLL_N; p++)
        in->c[p] = NAN;
    in->o3_1h_max = NAN;
    in->so2_24h = NAN;
    in->not_monitored = 0;
}

/* The table column that item `item` goes through in a mode. */
static enum lt_aqi_ind lt__item_ind(enum lt_aqi_mode mode, int item)
{
    /* HJ 633-2026 4.2.3/4.2.4 (CNEMC practice under 2012 as well): in the real-time report SO2,
     * NO2, CO and O3 use the 1-h columns and PM10/PM2.5 1-h values use the daily columns. */
    static const enum lt_aqi_ind hourly[LT_ITEM_N] = {
        LT_IND_SO2_1H,   LT_IND_NO2_1H,   LT_IND_CO_1H, LT_IND_O3_1H,
        LT_IND_PM10_24H, LT_IND_PM25_24H, LT_IND_O3_1H,
    };
    /* HJ 633-2012 5.1.2 and Table 1 note (1); HJ 633-2026 4.2.2 and Table 3 note a: the daily
     * report uses the 24-h columns, the O3 8-h column for the O3 daily max 8-h and (2012 only) the
     * O3 1-h column for the O3 daily max 1-h. */
    static const enum lt_aqi_ind daily[LT_ITEM_N] = {
        LT_IND_SO2_24H,  LT_IND_NO2_24H,  LT_IND_CO_24H, LT_IND_O3_8H,
        LT_IND_PM10_24H, LT_IND_PM25_24H, LT_IND_O3_1H,
    };
    return mode == LT_AQI_DAILY ? daily[item] : hourly[item];
}

static bool lt__bad(double x)
{
    return !isnan(x) && (isinf(x) || x < 0);
}

/* Round a concentration of an item the way its pollutant is rounded. */
static double lt__item_round(int item, double x)
{
    enum lt_pollutant p = item == LT_ITEM_O3_1H ? LT_O3 : (enum lt_pollutant)item;
    return lt_aqi_round_conc(p, x);
}

int lt_aqi_compute(enum lt_edition ed, enum lt_aqi_mode mode, const struct lt_aqi_input *in,
                   struct lt_aqi *out)
{
    if ((int)ed < 0 || ed >= LT_ED_N || (mode != LT_AQI_HOURLY && mode != LT_AQI_DAILY) || !in ||
        !out)
        return LT_EINVAL;
    bool daily_o3_1h = mode == LT_AQI_DAILY && ed == LT_ED_2012;
    bool so2_subst = mode == LT_AQI_HOURLY && ed == LT_ED_2012;
    for (int p = 0; p < LT_POLL_N; p++)
        if (lt__bad(in->c[p]))
            return LT_EINVAL;
    if (daily_o3_1h && lt__bad(in->o3_1h_max))
        return LT_EINVAL;
    if (so2_subst && lt__bad(in->so2_24h))
        return LT_EINVAL;

    out->aqi = LT_IAQI_NA;
    out->level = 0;
    out->primary = 0;
    out->flags = 0;
    out->edition = ed;
    out->mode = mode;
    for (int i = 0; i < LT_ITEM_N; i++) {
        out->iaqi[i] = LT_IAQI_NA;
        out->conc[i] = NAN;
    }

    /* Items of this edition and mode: the six pollutants, plus the O3 daily max 1-h in the 2012
     * daily report (HJ 633-2012 5.1.2: 7 indicators; HJ 633-2026 4.2.2 drops it: 6). */
    int n_items = daily_o3_1h ? LT_ITEM_N : LT_POLL_N;
    int missing = 0;
    for (int item = 0; item < n_items; item++) {
        double x = item == LT_ITEM_O3_1H ? in->o3_1h_max : in->c[item];
        enum lt_pollutant p = item == LT_ITEM_O3_1H ? LT_O3 : (enum lt_pollutant)item;
        if (isnan(x)) {
            /* HJ 633-2026 5.3.2: a pollutant outside the monitoring programme ("/") is not a
             * missing value; everything else absent is (HJ 633-2026 5.3.1). A value given for a
             * pollutant marked not monitored is used: the mark only explains an absence. */
            if (!(in->not_monitored & (1u << p)))
                missing++;
            continue;
        }
        enum lt_aqi_ind ind = lt__item_ind(mode, item);
        int v;
        unsigned fl;
        int rc = lt_iaqi(ed, ind, x, &v, &fl);
        if (rc)
            return rc;
        out->conc[item] = lt__item_round(item, x);
        if (fl & LT_IAQI_F_SUBST) {
            /* Only the 2012 edition substitutes. */
            double sx;
            enum lt_aqi_ind sind;
            unsigned sflag;
            if (ind == LT_IND_SO2_1H) {
                /* HJ 633-2012 Table 1 note (2): SO2 1-h > 800 -> the SO2 24-h IAQI. */
                sx = in->so2_24h;
                sind = LT_IND_SO2_24H;
                sflag = LT_AQI_F_SO2_SUBST;
            } else {
                /* HJ 633-2012 Table 1 note (3): O3 8-h > 800 -> the O3 1-h IAQI; in the daily
                 * report that is the O3 daily max 1-h. */
                sx = in->o3_1h_max;
                sind = LT_IND_O3_1H;
                sflag = LT_AQI_F_O3_SUBST;
            }
            if (isnan(sx)) {
                out->flags |= LT_AQI_F_SUBST_MISSING;
                continue;
            }
            unsigned sfl;
            rc = lt_iaqi(ed, sind, sx, &v, &sfl);
            if (rc)
                return rc;
            out->flags |= sflag;
            if (sfl & LT_IAQI_F_CAPPED)
                out->flags |= LT_AQI_F_CAPPED;
        }
        if (fl & LT_IAQI_F_SPECIAL)
            out->flags |= LT_AQI_F_SPECIAL;
        if (fl & LT_IAQI_F_CAPPED)
            out->flags |= LT_AQI_F_CAPPED;
        out->iaqi[item] = v;
    }

    /* HJ 633-2012 4.4.1 eq. (2); HJ 633-2026 4.2.4 eq. (2): AQI = max IAQI. */
    int aqi = LT_IAQI_NA;
    for (int item = 0; item < n_items; item++)
        if (out->iaqi[item] > aqi)
            aqi = out->iaqi[item];
    if (missing)
        out->flags |= LT_AQI_F_PARTIAL;
    if (aqi == LT_IAQI_NA) {
        out->flags |= LT_AQI_F_EMPTY;
        return 0;
    }
    /* HJ 633-2026 5.3.1: with a pollutant missing, the AQI over those present is published only
     * when it is above 100; otherwise only the concentrations and IAQIs are, the AQI is NA. The
     * 2012 edition has no such rule (Tables 3 and 4 notes mark only the missing item NA). */
    if (ed == LT_ED_2026 && missing && aqi <= 100) {
        out->flags |= LT_AQI_F_WITHHELD;
        return 0;
    }
    out->aqi = aqi;
    out->level = lt_aqi_level(aqi);
    /* HJ 633-2012 3.3, 4.4.2; HJ 633-2026 4.3.1: above 50 the item(s) with the largest IAQI are
     * the primary pollutant(s); ties are all listed. */
    if (aqi > 50)
        for (int item = 0; item < n_items; item++)
            if (out->iaqi[item] == aqi)
                out->primary |= 1u << item;
    return 0;
}

int lt_aqi_level(int aqi)
{
    /* HJ 633-2012 Table 2; HJ 633-2026 Table 1. */
    if (aqi < 0)
        return 0;
    if (aqi <= 50)
        return 1;
    if (aqi <= 100)
        return 2;
    if (aqi <= 150)
        return 3;
    if (aqi <= 200)
        return 4;
    if (aqi <= 300)
        return 5;
    return 6;
}

static const char *const lt__categories[7] = {
    "—", "优", "良", "轻度污染", "中度污染", "重度污染", "严重污染",
};
static const char *const lt__level_names[7] = {
    "—", "一级", "二级", "三级", "四级", "五级", "六级",
};
static const char *const lt__colour_names[7] = {
    "—", "绿色", "黄色", "橙色", "红色", "紫色", "褐红色",
};
/* HJ 633-2012 Appendix A Table A.1; HJ 633-2026 Appendix A Table A.1 (identical). */
static const unsigned char lt__rgb[7][3] = {
    {0, 0, 0}, {0, 228, 0}, {255, 255, 0}, {255, 126, 0}, {255, 0, 0}, {153, 0, 76}, {126, 0, 35},
};

static int lt__level_ok(int level)
{
    return level >= 1 && level <= 6 ? level : 0;
}

const char *lt_aqi_category(int level)
{
    return lt__categories[lt__level_ok(level)];
}

const char *lt_aqi_level_name(int level)
{
    return lt__level_names[lt__level_ok(level)];
}

const char *lt_aqi_colour_name(int level)
{
    return lt__colour_names[lt__level_ok(level)];
}

void lt_aqi_colour_rgb(int level, unsigned char rgb[3])
{
    int l = lt__level_ok(level);
    rgb[0] = lt__rgb[l][0];
    rgb[1] = lt__rgb[l][1];
    rgb[2] = lt__rgb[l][2];
}

const char *lt_aqi_item_label(enum lt_aqi_mode mode, int item)
{
    static const char *const hourly[LT_ITEM_N] = {"SO2",  "NO2",   "CO",   "O3",
                                                  "PM10", "PM2.5", "O3_1h"};
    static const char *const daily[LT_ITEM_N] = {"SO2",  "NO2",   "CO",   "O3_8h",
                                                 "PM10", "PM2.5", "O3_1h"};
    if (item < 0 || item >= LT_ITEM_N)
        return "?";
    return mode == LT_AQI_DAILY ? daily[item] : hourly[item];
}

size_t lt_aqi_primary_format(const struct lt_aqi *a, const char *sep, char *buf, size_t cap)
{
    if (!buf || !cap)
        return 0;
    buf[0] = '\0';
    if (!a)
        return 0;
    if (!sep)
        sep = ",";
    struct lt_str s = lt_str_of(sep);
    size_t n = 0;
    bool first = true;
    for (int item = 0; item < LT_ITEM_N; item++) {
        if (!(a->primary & (1u << item)))
            continue;
        if (!first && n < cap - 1)
            n += lt_str_copy(buf + n, cap - n, s);
        first = false;
        if (n < cap - 1)
            n += lt_str_copy(buf + n, cap - n, lt_str_of(lt_aqi_item_label(a->mode, item)));
    }
    return n;
}

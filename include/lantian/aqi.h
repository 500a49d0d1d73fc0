/* lantian — Ambient Air Quality Index per HJ 633-2012 and HJ 633-2026.
 *
 * Pure and thread-safe. Concentrations are in µg/m3, CO in mg/m3. Each input concentration is
 * first rounded per GB/T 8170 (integers; CO to 0.1 mg/m3) and the IAQI is then computed in exact
 * integer arithmetic and rounded UP to an integer (HJ 633-2012 6.2; HJ 633-2026 4.2.6).
 */
#ifndef LANTIAN_AQI_H
#define LANTIAN_AQI_H

#include <stdbool.h>

#include "lantian/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The indicator columns of HJ 633-2012 Table 1 / HJ 633-2026 Table 3. */
enum lt_aqi_ind {
    LT_IND_SO2_24H = 0,
    LT_IND_SO2_1H,
    LT_IND_NO2_24H,
    LT_IND_NO2_1H,
    LT_IND_CO_24H,
    LT_IND_CO_1H,
    LT_IND_O3_1H,
    LT_IND_O3_8H,
    LT_IND_PM10_24H,
    LT_IND_PM25_24H,
    LT_IND_N
};

/* "SO2_24h", "SO2_1h", ... "PM2.5_24h". */
const char *lt_aqi_ind_name(enum lt_aqi_ind ind);

#define LT_IAQI_NA (-1)

/* Flags of one IAQI. */
enum {
    LT_IAQI_F_CAPPED = 1u << 0,  /* above the table's top: capped at 500 (the standard is silent) */
    LT_IAQI_F_SPECIAL = 1u << 1, /* 2026 fixed value: SO2 1-h > 800 -> 200, O3 8-h > 800 -> 300 */
    LT_IAQI_F_SUBST = 1u << 2    /* 2012: not computed (SO2 1-h > 800 or O3 8-h > 800); the caller
                                    must report the IAQI of SO2 24-h / O3 1-h instead */
};

/* IAQI of one concentration for one table column. Rounds conc per GB/T 8170 first. *iaqi gets
 * 0..500, or LT_IAQI_NA with LT_IAQI_F_SUBST set (2012 special cases). Returns LT_EINVAL for a
 * negative or non-finite concentration. */
int lt_iaqi(enum lt_edition ed, enum lt_aqi_ind ind, double conc, int *iaqi, unsigned *flags);

/* The concentration as the AQI uses it: GB/T 8170 half-even to an integer (CO: 0.1 mg/m3). */
double lt_aqi_round_conc(enum lt_pollutant p, double conc);

enum lt_aqi_mode {
    LT_AQI_HOURLY = 0, /* real-time: six 1-h values; PM 1-h through the 24-h columns
                          (HJ 633-2026 4.2.3/4.2.4; CNEMC practice under 2012, see STANDARDS.md) */
    LT_AQI_DAILY = 1   /* daily: 24-h means, O3 daily max 8-h (2012 adds O3 daily max 1-h) */
};

/* Items that can carry an IAQI in a result: the six pollutants, plus the 2012 daily O3 1-h max. In
 * daily mode item LT_O3 is the O3 daily max 8-h; LT_ITEM_O3_1H the O3 daily max 1-h (2012 only). */
#define LT_ITEM_O3_1H LT_POLL_N
#define LT_ITEM_N     (LT_POLL_N + 1)

struct lt_aqi_input {
    /* Hourly: 1-h values. Daily: 24-h means; c[LT_O3] = O3 daily max 8-h. NaN = missing. */
    double c[LT_POLL_N];
    /* Daily, 2012 only: O3 daily max 1-h (NaN = missing). */
    double o3_1h_max;
    /* Hourly, 2012 only: SO2 24-h mean, needed when SO2 1-h > 800 (HJ 633-2012 Table 1 note 2). */
    double so2_24h;
    /* Bit mask (1u << pollutant) of pollutants not in the monitoring programme ("/"), as opposed to
     * missing (NA). HJ 633-2026 5.3.2. */
    unsigned not_monitored;
};

/* Initialise an input with every value missing. */
void lt_aqi_input_init(struct lt_aqi_input *in);

enum {
    LT_AQI_F_CAPPED = 1u << 0,       /* some IAQI was capped at 500 */
    LT_AQI_F_PARTIAL = 1u << 1,      /* some pollutant missing: AQI over those present */
    LT_AQI_F_WITHHELD = 1u << 2,     /* 2026 5.3.1: partial and AQI <= 100 -> AQI is NA */
    LT_AQI_F_SO2_SUBST = 1u << 3,    /* 2012: SO2 1-h > 800 reported with the SO2 24-h IAQI */
    LT_AQI_F_O3_SUBST = 1u << 4,     /* 2012: O3 8-h > 800 reported with the O3 1-h IAQI */
    LT_AQI_F_SPECIAL = 1u << 5,      /* 2026 fixed value used (SO2 1-h > 800, O3 8-h > 800) */
    LT_AQI_F_EMPTY = 1u << 6,        /* no pollutant present: AQI is NA */
    LT_AQI_F_SUBST_MISSING = 1u << 7 /* 2012 substitution needed but its value missing */
};

struct lt_aqi {
    int aqi;                /* 0..500, or LT_IAQI_NA when not published */
    int level;              /* 1..6 (一级..六级), 0 when aqi is NA */
    int iaqi[LT_ITEM_N];    /* LT_IAQI_NA for missing / not applicable */
    double conc[LT_ITEM_N]; /* concentration used (after GB/T 8170), NaN when absent */
    unsigned primary;       /* bit mask over items; empty when AQI <= 50 or NA */
    unsigned flags;         /* LT_AQI_F_* */
    enum lt_edition edition;
    enum lt_aqi_mode mode;
};

/* Compute the AQI of one hour or one day. Returns LT_EINVAL for a negative or non-finite input
 * value (out is then undefined); a missing value is not an error. */
int lt_aqi_compute(enum lt_edition ed, enum lt_aqi_mode mode, const struct lt_aqi_input *in,
                   struct lt_aqi *out);

/* Level 1..6 of an AQI (HJ 633-2012 Table 2; HJ 633-2026 Table 1); 0 for LT_IAQI_NA. */
int lt_aqi_level(int aqi);
/* "优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"; "—" for level 0. */
const char *lt_aqi_category(int level);
/* "一级" ... "六级"; "—" for level 0. */
const char *lt_aqi_level_name(int level);
/* "绿色", "黄色", "橙色", "红色", "紫色", "褐红色"; and RGB (HJ 633 Appendix A, Table A.1). */
const char *lt_aqi_colour_name(int level);
void lt_aqi_colour_rgb(int level, unsigned char rgb[3]);

/* Label of an item: hourly "SO2","NO2","CO","O3","PM10","PM2.5"; daily the same with "O3_8h" for
 * LT_O3 and "O3_1h" for LT_ITEM_O3_1H. */
const char *lt_aqi_item_label(enum lt_aqi_mode mode, int item);
/* Write the primary pollutant(s) joined by sep (e.g. "PM10,PM2.5"), or "" when none. Returns the
 * length written (truncated to cap-1). */
size_t lt_aqi_primary_format(const struct lt_aqi *a, const char *sep, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif

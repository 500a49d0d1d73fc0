/* lantian — streaming reader of CNEMC hourly station files and the CNEMC station list.
 *
 * Layouts (detected from the header line):
 *  - wide daily (quotsoft): date,hour,type,<station codes...>; one row per hour and type
 *    (AQI, PM2.5, PM2.5_24h, PM10, PM10_24h, SO2, SO2_24h, NO2, NO2_24h, O3, O3_24h, O3_8h,
 *    O3_8h_24h, CO, CO_24h). Hour 0 of date D is the hour ending 24:00 of D-1.
 *  - per-hour (current CNEMC): timepoint,stationcode,longitude,latitude,area,positionname,
 *    primarypollutant,aqi,pm10,pm10_24h,pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,
 *    so2,so2_24h,co,co_24h; "NA" missing, "/" not monitored.
 *  - station list: 监测点编码,监测点名称,城市,经度,纬度,对照点,省级行政区,地级行政区.
 * Files may be plain or gzip-compressed (.gz); a UTF-8 BOM is skipped.
 */
#ifndef LANTIAN_IO_CNEMC_H
#define LANTIAN_IO_CNEMC_H

#include <stdbool.h>
#include <stdint.h>

#include "lantian/common.h"
#include "lantian/util.h"

enum lt_cnemc_layout { LT_CNEMC_WIDE = 0, LT_CNEMC_PERHOUR = 1, LT_CNEMC_STATIONS = 2 };

/* Fields a cell can carry. */
enum lt_cnemc_field {
    LT_CF_AQI = 0,
    LT_CF_PM25,
    LT_CF_PM25_24H,
    LT_CF_PM10,
    LT_CF_PM10_24H,
    LT_CF_SO2,
    LT_CF_SO2_24H,
    LT_CF_NO2,
    LT_CF_NO2_24H,
    LT_CF_O3,
    LT_CF_O3_24H,
    LT_CF_O3_8H,
    LT_CF_O3_8H_24H,
    LT_CF_CO,
    LT_CF_CO_24H,
    LT_CF_PRIMARY, /* per-hour layout only: primarypollutant text in cell.text */
    LT_CF_N
};

/* The pollutant of a 1-h field (LT_CF_SO2 -> LT_SO2 ...), or -1 for other fields. */
int lt_cnemc_field_pollutant(enum lt_cnemc_field f);
const char *lt_cnemc_field_name(enum lt_cnemc_field f);

enum lt_cell_state {
    LT_CELL_VALUE = 0,
    LT_CELL_MISSING = 1 /* empty or NA */,
    LT_CELL_NM = 2 /* "/" */
};

struct lt_cnemc_cell {
    struct lt_str site; /* station code */
    int64_t ts;         /* hour-ending UTC seconds */
    enum lt_cnemc_field field;
    enum lt_cell_state state;
    double value;       /* valid when state == LT_CELL_VALUE (finite, >= 0) */
    struct lt_str text; /* LT_CF_PRIMARY: the text as published */
    long line;          /* line number in the file (1-based) */
    int col;            /* wide layout: station column (0 = first station); per-hour: -1 */
};

/* Station-list row. */
struct lt_cnemc_station {
    struct lt_str code, name, city, province, prefecture;
    double lon, lat; /* NaN when empty */
    bool is_control; /* 对照点 = Y */
    long line;
};

struct lt_cnemc_handler {
    void *ctx;
    /* One call per cell (every station x field of a row, including missing ones). Return 0 to go
     * on, non-zero to stop reading (that value is returned by lt_cnemc_read). */
    int (*cell)(void *ctx, const struct lt_cnemc_cell *cell);
    /* One call per station-list row. */
    int (*station)(void *ctx, const struct lt_cnemc_station *st);
    /* A rejected line or cell: file, 1-based line, and the reason. Reading goes on. */
    void (*reject)(void *ctx, const char *file, long line, const char *reason);
    /* Fields wanted: bit (1u << lt_cnemc_field); 0 = all. Lines of a wide file whose type is not
     * wanted are skipped unparsed (and so not checked); a per-hour line still delivers only the
     * wanted fields. Lets a reader of the 1-h values skip the derived rows cheaply. */
    unsigned fields;
};

/* Why a line or cell was rejected (counted per kind in lt_cnemc_stats). */
enum lt_cnemc_reject {
    LT_CREJ_NUMBER = 0, /* a cell is not a number */
    LT_CREJ_NEGATIVE,   /* a negative concentration or index */
    LT_CREJ_TIME,       /* impossible date, hour or time point */
    LT_CREJ_FIELDS,     /* wrong number of fields */
    LT_CREJ_TYPE,       /* unknown type (wide layout) */
    LT_CREJ_CSV,        /* malformed CSV (unterminated quote) */
    LT_CREJ_LONG,       /* line longer than LT_CNEMC_LINE_MAX */
    LT_CREJ_STATION,    /* bad station code, coordinates or control flag */
    LT_CREJ_N
};

/* Short English name of a reject kind ("not a number", ...); never NULL. */
const char *lt_cnemc_reject_name(enum lt_cnemc_reject k);

/* Longest line accepted, in bytes without the line end (a wide national line is about 10 KB). */
#define LT_CNEMC_LINE_MAX (1024 * 1024)

struct lt_cnemc_stats {
    enum lt_cnemc_layout layout;
    long lines;                  /* data lines read */
    long cells;                  /* cells delivered with a value */
    long rejected;               /* lines or cells rejected */
    long rejected_by[LT_CREJ_N]; /* the same, by kind */
};

/* Read one file, calling the handler. Returns 0 when the file was read to its end (even with
 * rejected lines: see stats->rejected), LT_EIO when it cannot be opened, LT_ETRUNC for a truncated
 * or corrupt gzip stream (cells before the damage were delivered), LT_EPARSE for an unknown header,
 * or the non-zero value a callback returned. d (optional) explains a non-zero return. */
int lt_cnemc_read(const char *path, const struct lt_cnemc_handler *h, struct lt_cnemc_stats *stats,
                  struct lt_diag *d);

#endif

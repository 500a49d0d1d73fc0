/* lantian — streaming reader of CNEMC hourly station files and the CNEMC station list.
 *
 * The reader pulls the file through zlib (gzread reads plain files transparently), cuts lines out
 * of one buffer of fixed size without copying them, splits each line into slices that point into
 * that buffer and hands cells to the caller. Nothing is allocated per line or per cell: a wide
 * national file has ~1,600 station columns x 360 rows per day.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io/cnemc.h"

/* Bytes requested from zlib per read; the buffer holds one maximal line plus one chunk. */
#define LT__CHUNK (256 * 1024)
/* Longest piece of a cell quoted back in a message, so one bad cell cannot flood the log. */
#define LT__QUOTE_MAX 40

static const char *const lt__field_names[LT_CF_N] = {
    "AQI",     "PM2.5", "PM2.5_24h", "PM10",  "PM10_24h",  "SO2", "SO2_24h", "NO2",
    "NO2_24h", "O3",    "O3_24h",    "O3_8h", "O3_8h_24h", "CO",  "CO_24h",  "primarypollutant",
};

/* Column names of the per-hour layout, in enum lt_cnemc_field order. */
static const char *const lt__perhour_names[LT_CF_N] = {
    "aqi",     "pm2_5", "pm2_5_24h", "pm10",  "pm10_24h",  "so2", "so2_24h", "no2",
    "no2_24h", "o3",    "o3_24h",    "o3_8h", "o3_8h_24h", "co",  "co_24h",  "primarypollutant",
};

static const char *const lt__reject_names[LT_CREJ_N] = {
    "not a number", "negative value", "impossible date or hour", "wrong number of fields",
    "unknown type", "malformed CSV",  "line too long",           "bad station row",
};

int lt_cnemc_field_pollutant(enum lt_cnemc_field f)
{
    switch (f) {
    case LT_CF_SO2:
        return LT_SO2;
    case LT_CF_NO2:
        return LT_NO2;
    case LT_CF_CO:
        return LT_CO;
    case LT_CF_O3:
        return LT_O3;
    case LT_CF_PM10:
        return LT_PM10;
    case LT_CF_PM25:
        return LT_PM25;
    default:
        return -1;
    }
}

const char *lt_cnemc_field_name(enum lt_cnemc_field f)
{
    if ((int)f < 0 || f >= LT_CF_N)
        return "?";
    return lt__field_names[f];
}

const char *lt_cnemc_reject_name(enum lt_cnemc_reject k)
{
    if ((int)k < 0 || k >= LT_CREJ_N)
        return "?";
    return lt__reject_names[k];
}

/* ---- line reader ----------------------------------------------------------------------------- */

struct lt__reader {
    gzFile gz;
    char *buf;
    size_t cap, start, end;
    bool eof;
    int err; /* LT_ETRUNC once the gzip stream turned out damaged */
    char errmsg[96];
    long lineno;
};

/* Check, at the end of the input, whether zlib stopped because the gzip stream was cut short. */
static void lt__check_gz_end(struct lt__reader *r)
{
    int zerr = Z_OK;
    const char *m = gzerror(r->gz, &zerr);
    if (zerr == Z_BUF_ERROR || zerr == Z_DATA_ERROR || zerr == Z_ERRNO || zerr == Z_MEM_ERROR) {
        r->err = LT_ETRUNC;
        snprintf(r->errmsg, sizeof r->errmsg, "%s", m && *m ? m : "damaged gzip stream");
    }
}

/* Next line (without CR LF) into *line. Returns 1 with a line, 0 at the end of the input. A line
 * longer than LT_CNEMC_LINE_MAX is skipped and returned empty with *too_long set. When the gzip
 * stream is damaged the partial line before the damage is dropped (its last number may be cut
 * short: "123" read as "12"), r->err is set and 0 returned. */
static int lt__next_line(struct lt__reader *r, struct lt_str *line, bool *too_long)
{
    bool skipping = false;
    size_t scan = r->start;

    *too_long = false;
    for (;;) {
        char *nl = memchr(r->buf + scan, '\n', r->end - scan);
        if (nl) {
            size_t a = r->start, e = (size_t)(nl - r->buf);
            r->start = e + 1;
            r->lineno++;
            if (skipping || e - a > LT_CNEMC_LINE_MAX) {
                *too_long = true;
                *line = (struct lt_str){r->buf + e, 0};
                return 1;
            }
            if (e > a && r->buf[e - 1] == '\r')
                e--;
            *line = (struct lt_str){r->buf + a, e - a};
            return 1;
        }
        if (r->eof) {
            if (r->err)
                return 0;
            if (r->start == r->end && !skipping)
                return 0;
            /* The last line has no line end. */
            size_t a = r->start, e = r->end;
            r->start = r->end;
            r->lineno++;
            if (skipping || e - a > LT_CNEMC_LINE_MAX) {
                *too_long = true;
                *line = (struct lt_str){r->buf + e, 0};
                return 1;
            }
            if (e > a && r->buf[e - 1] == '\r')
                e--;
            *line = (struct lt_str){r->buf + a, e - a};
            return 1;
        }
        /* Make room: drop a line already known to be too long, else move the partial line to the
         * front. The buffer holds LT_CNEMC_LINE_MAX + LT__CHUNK bytes, so after this there is
         * always at least one chunk free. */
        if (skipping || r->end - r->start > LT_CNEMC_LINE_MAX) {
            skipping = true;
            r->start = r->end = 0;
        } else if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        scan = r->end;
        size_t room = r->cap - r->end;
        if (room > LT__CHUNK)
            room = LT__CHUNK;
        int n = gzread(r->gz, r->buf + r->end, (unsigned)room);
        if (n < 0) {
            r->eof = true;
            lt__check_gz_end(r);
            if (!r->err) {
                r->err = LT_ETRUNC;
                snprintf(r->errmsg, sizeof r->errmsg, "read error");
            }
            return 0;
        }
        if (n == 0) {
            r->eof = true;
            lt__check_gz_end(r);
        }
        r->end += (size_t)n;
    }
}

/* ---- fields and cells ------------------------------------------------------------------------ */

/* Split a line into fields. Lines without a quote (nearly all of them) take a memchr loop; the
 * rest go through the RFC 4180 splitter. Returns the field count (may exceed max) or LT_EPARSE. */
static int lt__split(struct lt_str line, struct lt_str *f, int max)
{
    if (memchr(line.p, '"', line.len))
        return lt_csv_split(line, f, max, NULL);
    const char *p = line.p, *end = line.p + line.len;
    int n = 0;
    for (;;) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *fe = c ? c : end;
        if (n < max)
            f[n] = (struct lt_str){p, (size_t)(fe - p)};
        n++;
        if (!c)
            break;
        p = c + 1;
    }
    return n;
}

static bool lt__slice_eq(struct lt_str a, struct lt_str b)
{
    return a.len == b.len && !memcmp(a.p, b.p, a.len);
}

static int lt__quote_len(struct lt_str s)
{
    return (int)(s.len < LT__QUOTE_MAX ? s.len : LT__QUOTE_MAX);
}

/* Classify and parse one cell. Returns 0, or the reject kind + 1 when the cell is invalid. */
static int lt__cell_parse(struct lt_str s, enum lt_cell_state *st, double *v)
{
    /* Nearly every cell is a plain number: go straight to the number parser. */
    if (s.len && s.p[0] >= '0' && s.p[0] <= '9') {
        if (lt_parse_double(s, v))
            return LT_CREJ_NUMBER + 1;
        *st = LT_CELL_VALUE;
        return 0;
    }
    if (s.len == 0 || (s.len == 2 && s.p[0] == 'N' && s.p[1] == 'A')) {
        *st = LT_CELL_MISSING;
        return 0;
    }
    if (s.len == 1 && s.p[0] == '/') {
        *st = LT_CELL_NM;
        return 0;
    }
    struct lt_str t = lt_str_trim(s);
    if (t.len == 0 || lt_str_eq(t, "NA")) {
        *st = LT_CELL_MISSING;
        return 0;
    }
    if (lt_str_eq(t, "/")) {
        *st = LT_CELL_NM;
        return 0;
    }
    if (lt_parse_double(t, v))
        return LT_CREJ_NUMBER + 1;
    /* Concentrations and index values cannot be negative (a "-1" is a sentinel, not a value). */
    if (*v < 0)
        return LT_CREJ_NEGATIVE + 1;
    *st = LT_CELL_VALUE;
    return 0;
}

/* ---- the file reader ------------------------------------------------------------------------- */

struct lt__file {
    const char *path;
    const struct lt_cnemc_handler *h;
    struct lt_cnemc_stats *stats;
    struct lt__reader r;
    char *header;          /* owned copy of the header line; site slices point into it */
    struct lt_str *fields; /* split buffer, nfields_max entries */
    int nfields_max;
    int nexpect; /* fields per data line */
    /* wide layout */
    struct lt_str *sites; /* station codes of the columns 3.. */
    int nsites;
    struct lt_str last_date;
    char last_date_buf[16];
    int32_t last_day;
    /* per-hour and station layouts: column index of each field, -1 when absent */
    int col[LT_CF_N];
    int col_time, col_site;
    int scol[8]; /* station list: code,name,city,lon,lat,control,province,prefecture */
    /* per-hour: the time point of the previous line, which is nearly always the same */
    char last_tp[32];
    size_t last_tp_len;
    int64_t last_ts;
};

static void lt__reject(struct lt__file *f, enum lt_cnemc_reject k, long line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void lt__reject(struct lt__file *f, enum lt_cnemc_reject k, long line, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    f->stats->rejected++;
    f->stats->rejected_by[k]++;
    if (f->h->reject)
        f->h->reject(f->h->ctx, f->path, line, msg);
}

static int lt__wide_type(struct lt_str t)
{
    /* The type names of the wide layout are the field names (primarypollutant excepted). */
    for (int i = 0; i < LT_CF_PRIMARY; i++)
        if (lt_str_eq(t, lt__field_names[i]))
            return i;
    return -1;
}

static int lt__deliver(struct lt__file *f, struct lt_cnemc_cell *c)
{
    if (c->state == LT_CELL_VALUE)
        f->stats->cells++;
    if (!f->h->cell)
        return 0;
    return f->h->cell(f->h->ctx, c);
}

/* The type (third field) of a wide line without splitting the whole line; -1 if not found. */
static int lt__wide_peek_type(struct lt_str line)
{
    const char *p = line.p, *end = line.p + line.len;
    for (int k = 0; k < 2; k++) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        if (!c)
            return -1;
        p = c + 1;
    }
    const char *c = memchr(p, ',', (size_t)(end - p));
    return lt__wide_type(lt_str_trim((struct lt_str){p, (size_t)((c ? c : end) - p)}));
}

static int lt__wide_line(struct lt__file *f, struct lt_str line, long ln)
{
    struct lt_str *fl = f->fields;
    if (f->h->fields && !memchr(line.p, '"', line.len)) {
        int t = lt__wide_peek_type(line);
        if (t >= 0 && !(f->h->fields & (1u << t)))
            return 0;
    }
    int n = lt__split(line, fl, f->nfields_max);
    if (n < 0) {
        lt__reject(f, LT_CREJ_CSV, ln, "malformed CSV (unterminated quote)");
        return 0;
    }
    if (n != f->nexpect) {
        lt__reject(f, LT_CREJ_FIELDS, ln,
                   "expected %d fields (date,hour,type and %d stations), "
                   "found %d",
                   f->nexpect, f->nsites, n);
        return 0;
    }
    /* The date repeats on every line of a daily file: parse it once. */
    int32_t day;
    if (f->last_date.len && lt__slice_eq(fl[0], f->last_date)) {
        day = f->last_day;
    } else {
        struct lt_str ds = lt_str_trim(fl[0]);
        if (ds.len != 8 || lt_date_parse(ds, &day)) {
            lt__reject(f, LT_CREJ_TIME, ln, "impossible date '%.*s' (want YYYYMMDD)",
                       lt__quote_len(fl[0]), fl[0].p);
            return 0;
        }
        if (fl[0].len <= sizeof f->last_date_buf) {
            memcpy(f->last_date_buf, fl[0].p, fl[0].len);
            f->last_date = (struct lt_str){f->last_date_buf, fl[0].len};
            f->last_day = day;
        }
    }
    long long hour;
    if (lt_parse_int(fl[1], 0, 23, &hour)) {
        lt__reject(f, LT_CREJ_TIME, ln, "impossible hour '%.*s' (want 0..23)", lt__quote_len(fl[1]),
                   fl[1].p);
        return 0;
    }
    int type = lt__wide_type(lt_str_trim(fl[2]));
    if (type < 0) {
        lt__reject(f, LT_CREJ_TYPE, ln, "unknown type '%.*s'", lt__quote_len(fl[2]), fl[2].p);
        return 0;
    }
    /* Hour 0 of D is the hour ending 24:00 of D-1: lt_bj_to_utc(D, 0) is exactly that instant. */
    struct lt_cnemc_cell c = {.ts = lt_bj_to_utc(day, (int)hour), .field = type, .line = ln};
    for (int i = 0; i < f->nsites; i++) {
        struct lt_str cell = fl[3 + i];
        c.value = NAN;
        int bad = lt__cell_parse(cell, &c.state, &c.value);
        if (bad) {
            lt__reject(f, bad - 1, ln, "column %.*s: '%.*s' is %s", (int)f->sites[i].len,
                       f->sites[i].p, lt__quote_len(cell), cell.p,
                       bad - 1 == LT_CREJ_NUMBER ? "not a number" : "negative");
            continue;
        }
        c.site = f->sites[i];
        c.col = i;
        int rc = lt__deliver(f, &c);
        if (rc)
            return rc;
    }
    return 0;
}

/* Parse a CNEMC time point: "YYYY-MM-DDTHHMM", "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH".
 * Minutes and seconds must be zero; the hour is 0..23 (hour 0 ends 24:00 of the previous day). */
static int lt__timepoint(struct lt_str s, int64_t *ts)
{
    int32_t day;
    s = lt_str_trim(s);
    if (s.len < 13 || (s.p[10] != 'T' && s.p[10] != ' '))
        return LT_EPARSE;
    if (lt_date_parse((struct lt_str){s.p, 10}, &day))
        return LT_EPARSE;
    const char *t = s.p + 11;
    size_t tl = s.len - 11;
    if (t[0] < '0' || t[0] > '9' || t[1] < '0' || t[1] > '9')
        return LT_EPARSE;
    int hour = (t[0] - '0') * 10 + (t[1] - '0');
    if (hour > 23)
        return LT_ERANGE;
    if (tl == 2) {
        /* "THH" */
    } else if (tl == 4) {
        if (t[2] != '0' || t[3] != '0')
            return LT_EPARSE;
    } else if (tl == 5 || tl == 8) {
        if (memcmp(t + 2, ":00:00", tl - 2))
            return LT_EPARSE;
    } else {
        return LT_EPARSE;
    }
    *ts = lt_bj_to_utc(day, hour);
    return 0;
}

static int lt__perhour_line(struct lt__file *f, struct lt_str line, long ln)
{
    struct lt_str *fl = f->fields;
    int n = lt__split(line, fl, f->nfields_max);
    if (n < 0) {
        lt__reject(f, LT_CREJ_CSV, ln, "malformed CSV (unterminated quote)");
        return 0;
    }
    if (n != f->nexpect) {
        lt__reject(f, LT_CREJ_FIELDS, ln, "expected %d fields, found %d", f->nexpect, n);
        return 0;
    }
    struct lt_str tp = fl[f->col_time];
    int64_t ts;
    if (f->last_tp_len && tp.len == f->last_tp_len && !memcmp(tp.p, f->last_tp, tp.len)) {
        ts = f->last_ts;
    } else {
        if (lt__timepoint(tp, &ts)) {
            lt__reject(f, LT_CREJ_TIME, ln,
                       "impossible time point '%.*s' "
                       "(want YYYY-MM-DDTHH00)",
                       lt__quote_len(tp), tp.p);
            return 0;
        }
        if (tp.len < sizeof f->last_tp) {
            memcpy(f->last_tp, tp.p, tp.len);
            f->last_tp_len = tp.len;
            f->last_ts = ts;
        }
    }
    struct lt_str site = lt_str_trim(fl[f->col_site]);
    if (site.len == 0 || site.len > 15) {
        lt__reject(f, LT_CREJ_STATION, ln, "bad station code '%.*s'", lt__quote_len(site), site.p);
        return 0;
    }
    struct lt_cnemc_cell c = {.site = site, .ts = ts, .line = ln, .col = -1};
    for (int k = 0; k < LT_CF_N; k++) {
        if (f->col[k] < 0 || (f->h->fields && !(f->h->fields & (1u << k))))
            continue;
        struct lt_str cell = fl[f->col[k]];
        c.field = k;
        c.value = NAN;
        c.text = (struct lt_str){cell.p, 0};
        if (k == LT_CF_PRIMARY) {
            struct lt_str t = lt_str_trim(cell);
            c.state = t.len == 0 || lt_str_eq(t, "NA") ? LT_CELL_MISSING : LT_CELL_VALUE;
            c.text = t;
            /* The primary pollutant is text: it is passed on but not counted as a value. */
            if (f->h->cell) {
                int rc = f->h->cell(f->h->ctx, &c);
                if (rc)
                    return rc;
            }
            continue;
        }
        int bad = lt__cell_parse(cell, &c.state, &c.value);
        if (bad) {
            lt__reject(f, bad - 1, ln, "station %.*s column %s: '%.*s' is %s", (int)site.len,
                       site.p, lt__perhour_names[k], lt__quote_len(cell), cell.p,
                       bad - 1 == LT_CREJ_NUMBER ? "not a number" : "negative");
            continue;
        }
        int rc = lt__deliver(f, &c);
        if (rc)
            return rc;
    }
    return 0;
}

/* Station list columns, in the order of f->scol. */
static const char *const lt__station_cols[8] = {
    "监测点编码", "监测点名称", "城市", "经度", "纬度", "对照点", "省级行政区", "地级行政区",
};

static int lt__coord(struct lt_str s, double *v)
{
    s = lt_str_trim(s);
    if (!s.len) {
        *v = NAN;
        return 0;
    }
    return lt_parse_double(s, v);
}

static int lt__station_line(struct lt__file *f, struct lt_str line, long ln)
{
    struct lt_str *fl = f->fields;
    int n = lt__split(line, fl, f->nfields_max);
    if (n < 0) {
        lt__reject(f, LT_CREJ_CSV, ln, "malformed CSV (unterminated quote)");
        return 0;
    }
    if (n != f->nexpect) {
        lt__reject(f, LT_CREJ_FIELDS, ln, "expected %d fields, found %d", f->nexpect, n);
        return 0;
    }
    struct lt_str v[8];
    for (int i = 0; i < 8; i++)
        v[i] = f->scol[i] >= 0 ? lt_str_trim(fl[f->scol[i]]) : (struct lt_str){"", 0};
    struct lt_cnemc_station st = {
        .code = v[0], .name = v[1], .city = v[2], .province = v[6], .prefecture = v[7], .line = ln};
    if (v[0].len == 0 || v[0].len > 15) {
        lt__reject(f, LT_CREJ_STATION, ln, "bad station code '%.*s'", lt__quote_len(v[0]), v[0].p);
        return 0;
    }
    if (lt__coord(v[3], &st.lon) || lt__coord(v[4], &st.lat) ||
        (!isnan(st.lon) && (st.lon < -180 || st.lon > 180)) ||
        (!isnan(st.lat) && (st.lat < -90 || st.lat > 90))) {
        lt__reject(f, LT_CREJ_STATION, ln, "station %.*s: bad coordinates '%.*s','%.*s'",
                   (int)v[0].len, v[0].p, lt__quote_len(v[3]), v[3].p, lt__quote_len(v[4]), v[4].p);
        return 0;
    }
    if (lt_str_eq(v[5], "Y")) {
        st.is_control = true;
    } else if (v[5].len && !lt_str_eq(v[5], "N")) {
        lt__reject(f, LT_CREJ_STATION, ln, "station %.*s: control flag '%.*s' is not Y or N",
                   (int)v[0].len, v[0].p, lt__quote_len(v[5]), v[5].p);
        return 0;
    }
    return f->h->station ? f->h->station(f->h->ctx, &st) : 0;
}

static int lt__alloc_fields(struct lt__file *f, int n, struct lt_diag *d)
{
    /* One spare slot makes a line with an extra field count as n + 1 without storing it. */
    f->nfields_max = n + 1;
    f->fields = malloc(sizeof *f->fields * (size_t)f->nfields_max);
    if (!f->fields)
        return lt_diag_set(d, LT_ENOMEM, 0, "%s: out of memory", f->path);
    return 0;
}

/* Recognise the layout from the header and set up the column maps. */
static int lt__header(struct lt__file *f, struct lt_str line, struct lt_diag *d)
{
    f->header = malloc(line.len + 1);
    if (!f->header)
        return lt_diag_set(d, LT_ENOMEM, 0, "%s: out of memory", f->path);
    memcpy(f->header, line.p, line.len);
    f->header[line.len] = '\0';
    struct lt_str hl = {f->header, line.len};

    /* Commas + 1 bounds the field count (quoted commas only lower it). */
    int bound = 1;
    for (size_t i = 0; i < hl.len; i++)
        bound += hl.p[i] == ',';
    int rc = lt__alloc_fields(f, bound, d);
    if (rc)
        return rc;
    struct lt_str *fl = f->fields;
    int n = lt__split(hl, fl, f->nfields_max);
    if (n < 0)
        return lt_diag_set(d, LT_EPARSE, 1, "%s: line 1: malformed CSV header", f->path);
    f->nfields_max = n + 1;
    for (int i = 0; i < n; i++)
        fl[i] = lt_str_trim(fl[i]);
    f->nexpect = n;

    if (n >= 4 && lt_str_eq(fl[0], "date") && lt_str_eq(fl[1], "hour") &&
        lt_str_eq(fl[2], "type")) {
        f->stats->layout = LT_CNEMC_WIDE;
        f->nsites = n - 3;
        f->sites = malloc(sizeof *f->sites * (size_t)f->nsites);
        if (!f->sites)
            return lt_diag_set(d, LT_ENOMEM, 0, "%s: out of memory", f->path);
        for (int i = 0; i < f->nsites; i++) {
            f->sites[i] = fl[3 + i];
            if (f->sites[i].len == 0 || f->sites[i].len > 15)
                return lt_diag_set(d, LT_EPARSE, 1,
                                   "%s: line 1: bad station code '%.*s' in "
                                   "column %d of the header",
                                   f->path, lt__quote_len(f->sites[i]), f->sites[i].p, 4 + i);
        }
        return 0;
    }
    if (n >= 2 && lt_str_eq(fl[0], "timepoint")) {
        f->stats->layout = LT_CNEMC_PERHOUR;
        f->col_time = 0;
        f->col_site = -1;
        for (int k = 0; k < LT_CF_N; k++)
            f->col[k] = -1;
        for (int i = 1; i < n; i++) {
            if (lt_str_ieq(fl[i], "stationcode")) {
                f->col_site = i;
                continue;
            }
            for (int k = 0; k < LT_CF_N; k++)
                if (lt_str_ieq(fl[i], lt__perhour_names[k]))
                    f->col[k] = i;
        }
        if (f->col_site < 0)
            return lt_diag_set(d, LT_EPARSE, 1,
                               "%s: line 1: per-hour header without a "
                               "stationcode column",
                               f->path);
        return 0;
    }
    if (n >= 3 && lt_str_eq(fl[0], lt__station_cols[0])) {
        f->stats->layout = LT_CNEMC_STATIONS;
        for (int k = 0; k < 8; k++) {
            f->scol[k] = -1;
            for (int i = 0; i < n; i++)
                if (lt_str_eq(fl[i], lt__station_cols[k]))
                    f->scol[k] = i;
        }
        if (f->scol[1] < 0 || f->scol[2] < 0)
            return lt_diag_set(d, LT_EPARSE, 1,
                               "%s: line 1: station list without the %s and "
                               "%s columns",
                               f->path, lt__station_cols[1], lt__station_cols[2]);
        return 0;
    }
    return lt_diag_set(d, LT_EPARSE, 1,
                       "%s: line 1: unknown header (want date,hour,type,... or "
                       "timepoint,stationcode,... or %s,...)",
                       f->path, lt__station_cols[0]);
}

int lt_cnemc_read(const char *path, const struct lt_cnemc_handler *h, struct lt_cnemc_stats *stats,
                  struct lt_diag *d)
{
    struct lt_cnemc_stats local;
    struct lt__file f;
    int rc = 0;

    if (!path || !h)
        return lt_diag_set(d, LT_EINVAL, 0, "no file or handler");
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    memset(&f, 0, sizeof f);
    f.path = path;
    f.h = h;
    f.stats = stats;

    errno = 0;
    f.r.gz = gzopen(path, "rb");
    if (!f.r.gz) {
        rc = lt_diag_set(d, LT_EIO, 0, "%s: cannot open: %s", path,
                         errno ? strerror(errno) : "out of memory");
        goto out;
    }
    gzbuffer(f.r.gz, 128 * 1024);
    f.r.cap = (size_t)LT_CNEMC_LINE_MAX + LT__CHUNK;
    f.r.buf = malloc(f.r.cap);
    if (!f.r.buf) {
        rc = lt_diag_set(d, LT_ENOMEM, 0, "%s: out of memory", path);
        goto out;
    }

    struct lt_str line;
    bool too_long;
    int got;
    /* The header: the first line that is not blank. */
    do {
        got = lt__next_line(&f.r, &line, &too_long);
    } while (got == 1 && !too_long && lt_str_trim(line).len == 0);
    if (got != 1) {
        if (f.r.err)
            rc = lt_diag_set(d, LT_ETRUNC, 0, "%s: truncated or corrupt gzip file (%s)", path,
                             f.r.errmsg);
        else
            rc = lt_diag_set(d, LT_EPARSE, 0, "%s: empty file", path);
        goto out;
    }
    if (too_long) {
        rc = lt_diag_set(d, LT_EPARSE, (size_t)f.r.lineno,
                         "%s: line %ld: header longer than "
                         "%d bytes",
                         path, f.r.lineno, LT_CNEMC_LINE_MAX);
        goto out;
    }
    if (line.len >= 3 && !memcmp(line.p, "\xEF\xBB\xBF", 3)) {
        line.p += 3;
        line.len -= 3;
    }
    rc = lt__header(&f, line, d);
    if (rc)
        goto out;

    while ((got = lt__next_line(&f.r, &line, &too_long)) == 1) {
        long ln = f.r.lineno;
        if (!too_long && lt_str_trim(line).len == 0)
            continue;
        stats->lines++;
        if (too_long) {
            lt__reject(&f, LT_CREJ_LONG, ln, "line longer than %d bytes", LT_CNEMC_LINE_MAX);
            continue;
        }
        switch (stats->layout) {
        case LT_CNEMC_WIDE:
            rc = lt__wide_line(&f, line, ln);
            break;
        case LT_CNEMC_PERHOUR:
            rc = lt__perhour_line(&f, line, ln);
            break;
        case LT_CNEMC_STATIONS:
            rc = lt__station_line(&f, line, ln);
            break;
        }
        if (rc) {
            lt_diag_set(d, rc, (size_t)ln, "%s: line %ld: reading stopped by the caller (%d)", path,
                        ln, rc);
            goto out;
        }
    }
    if (f.r.err)
        rc = lt_diag_set(d, LT_ETRUNC, (size_t)f.r.lineno,
                         "%s: truncated or corrupt gzip file "
                         "after line %ld (%s)",
                         path, f.r.lineno, f.r.errmsg);
out:
    if (f.r.gz) {
        int zrc = gzclose(f.r.gz);
        /* gzclose reports a stream cut inside a gzip member that gzread let pass. */
        if (!rc && zrc == Z_BUF_ERROR)
            rc = lt_diag_set(d, LT_ETRUNC, (size_t)f.r.lineno, "%s: truncated gzip file", path);
    }
    free(f.r.buf);
    free(f.header);
    free(f.fields);
    free(f.sites);
    return rc;
}

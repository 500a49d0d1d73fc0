/* Tests of the CNEMC file reader (src/io/cnemc.c): both hourly layouts, the station list, BOM,
 * CR LF, NA and "/", rejected cells and lines, gzip (whole, truncated, corrupt) and long lines. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "io/cnemc.h"
#include "lantian/util.h"

#define MAXC 4096

struct got_cell {
    char site[16];
    int64_t ts;
    int field;
    int state;
    double value;
    char text[64];
    long line;
    int col;
};

struct got_reject {
    long line;
    char reason[256];
    char file[256];
};

struct got {
    struct got_cell c[MAXC];
    int nc;
    struct got_reject r[64];
    int nr;
    struct lt_cnemc_station st[8];
    char st_code[8][16], st_city[8][32];
    int nst;
    int stop_after; /* stop (return 77) after this many cells; 0 = never */
};

static char tmpdir[512];

static int on_cell(void *ctx, const struct lt_cnemc_cell *c)
{
    struct got *g = ctx;
    if (g->nc < MAXC) {
        struct got_cell *o = &g->c[g->nc];
        lt_str_copy(o->site, sizeof o->site, c->site);
        o->ts = c->ts;
        o->field = c->field;
        o->state = c->state;
        o->value = c->value;
        lt_str_copy(o->text, sizeof o->text, c->text);
        o->line = c->line;
        o->col = c->col;
    }
    g->nc++;
    if (g->stop_after && g->nc >= g->stop_after)
        return 77;
    return 0;
}

static int on_station(void *ctx, const struct lt_cnemc_station *s)
{
    struct got *g = ctx;
    if (g->nst < 8) {
        g->st[g->nst] = *s;
        lt_str_copy(g->st_code[g->nst], 16, s->code);
        lt_str_copy(g->st_city[g->nst], 32, s->city);
    }
    g->nst++;
    return 0;
}

static void on_reject(void *ctx, const char *file, long line, const char *reason)
{
    struct got *g = ctx;
    if (g->nr < 64) {
        g->r[g->nr].line = line;
        snprintf(g->r[g->nr].reason, sizeof g->r[g->nr].reason, "%s", reason);
        snprintf(g->r[g->nr].file, sizeof g->r[g->nr].file, "%s", file);
    }
    g->nr++;
}

static const char *path_of(const char *name)
{
    static char p[4][768];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static void write_file(const char *name, const char *data, size_t len)
{
    FILE *f = fopen(path_of(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_gz(const char *name, const char *data, size_t len)
{
    gzFile z = gzopen(path_of(name), "wb");
    assert_non_null(z);
    assert_int_equal(gzwrite(z, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(z), Z_OK);
}

static int read_file(const char *name, struct got *g, struct lt_cnemc_stats *st, struct lt_diag *d)
{
    struct lt_cnemc_handler h = {
        .ctx = g, .cell = on_cell, .station = on_station, .reject = on_reject};
    memset(d, 0, sizeof *d);
    return lt_cnemc_read(path_of(name), &h, st, d);
}

static struct got *new_got(void)
{
    struct got *g = calloc(1, sizeof *g);
    assert_non_null(g);
    return g;
}

static const struct got_cell *find(const struct got *g, const char *site, int field, int64_t ts)
{
    for (int i = 0; i < g->nc && i < MAXC; i++)
        if (!strcmp(g->c[i].site, site) && g->c[i].field == field && g->c[i].ts == ts)
            return &g->c[i];
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("LT_TMP");
    snprintf(tmpdir, sizeof tmpdir, "%s/lt_cnemc_XXXXXX", base && *base ? base : "/tmp");
    if (base && *base) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", base);
        if (system(cmd) != 0)
            return -1;
    }
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- wide layout ----------------------------------------------------------------------------- */

static const char wide_ok[] = "\xEF\xBB\xBF"
                              "date,hour,type,1316A,1317A,1318A\r\n"
                              "20190112,0,AQI,277,,NA\r\n"
                              "20190112,0,PM2.5,227.5,/,0\r\n"
                              "20190112,0,PM2.5_24h,150,151,152\r\n"
                              "20190112,23,CO,1.25,2,3\r\n";

static void test_wide_basic(void **state)
{
    (void)state;
    struct got *g = new_got();
    struct lt_cnemc_stats st;
    struct lt_diag d;
    write_file("wide.csv", wide_ok, sizeof wide_ok - 1);
    assert_int_equal(read_file("wide.csv", g, &st, &d), 0);
    assert_int_equal(st.layout, LT_CNEMC_WIDE);
    assert_int_equal(st.lines, 4);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(g->nr, 0);
    /* Every station x row, missing ones included. */
    assert_int_equal(g->nc, 12);
    /* Values: 277, 227.5, 0, 150, 151, 152, 1.25, 2, 3. */
    assert_int_equal(st.cells, 9);

    int32_t day = lt_days_from_civil(2019, 1, 12);
    int64_t h0 = lt_bj_to_utc(day, 0);
    /* Hour 0 of 2019-01-12 is the hour ending 24:00 of 2019-01-11. */
    assert_int_equal(lt_natural_day(h0), day - 1);
    assert_int_equal(lt_natural_hour(h0), 24);
    assert_int_equal(h0, (int64_t)day * 86400 - 8 * 3600);

    const struct got_cell *c = find(g, "1316A", LT_CF_AQI, h0);
    assert_non_null(c);
    assert_int_equal(c->state, LT_CELL_VALUE);
    assert_true(c->value == 277.0);
    assert_int_equal(c->line, 2);
    c = find(g, "1317A", LT_CF_AQI, h0);
    assert_non_null(c);
    assert_int_equal(c->state, LT_CELL_MISSING);
    c = find(g, "1318A", LT_CF_AQI, h0);
    assert_non_null(c);
    assert_int_equal(c->state, LT_CELL_MISSING);
    c = find(g, "1316A", LT_CF_PM25, h0);
    assert_non_null(c);
    assert_true(c->value == 227.5);
    c = find(g, "1317A", LT_CF_PM25, h0);
    assert_non_null(c);
    assert_int_equal(c->state, LT_CELL_NM);
    c = find(g, "1318A", LT_CF_PM25, h0);
    assert_non_null(c);
    assert_int_equal(c->state, LT_CELL_VALUE);
    assert_true(c->value == 0.0);
    c = find(g, "1317A", LT_CF_PM25_24H, h0);
    assert_non_null(c);
    assert_true(c->value == 151.0);
    c = find(g, "1316A", LT_CF_CO, lt_bj_to_utc(day, 23));
    assert_non_null(c);
    assert_true(c->value == 1.25);
    assert_int_equal(c->line, 5);
    assert_int_equal(lt_natural_hour(c->ts), 23);
    free(g);
}

/* A reader that wants only some fields gets only those; wide rows of other types are skipped
 * (their cells are neither delivered nor checked), and each cell names its station column. */
static void test_fields_filter(void **state)
{
    (void)state;
    struct got *g = new_got();
    struct lt_cnemc_stats st;
    struct lt_diag d = {0};
    write_file("wide_f.csv", wide_ok, sizeof wide_ok - 1);
    struct lt_cnemc_handler h = {.ctx = g,
                                 .cell = on_cell,
                                 .reject = on_reject,
                                 .fields = 1u << LT_CF_PM25 | 1u << LT_CF_CO};
    assert_int_equal(lt_cnemc_read(path_of("wide_f.csv"), &h, &st, &d), 0);
    for (int i = 0; i < g->nc; i++)
        assert_true(g->c[i].field == LT_CF_PM25 || g->c[i].field == LT_CF_CO);
    int32_t day = lt_days_from_civil(2019, 1, 12);
    const struct got_cell *c = find(g, "1318A", LT_CF_PM25, lt_bj_to_utc(day, 0));
    assert_non_null(c);
    assert_int_equal(c->col, 2);
    assert_null(find(g, "1316A", LT_CF_AQI, lt_bj_to_utc(day, 0)));
    assert_null(find(g, "1317A", LT_CF_PM25_24H, lt_bj_to_utc(day, 0)));
    assert_non_null(find(g, "1316A", LT_CF_CO, lt_bj_to_utc(day, 23)));
    free(g);
}

static void test_wide_gzip_same_as_plain(void **state)
{
    (void)state;
    struct got *a = new_got(), *b = new_got();
    struct lt_cnemc_stats sa, sb;
    struct lt_diag d;
    write_file("w.csv", wide_ok, sizeof wide_ok - 1);
    write_gz("w.csv.gz", wide_ok, sizeof wide_ok - 1);
    assert_int_equal(read_file("w.csv", a, &sa, &d), 0);
    assert_int_equal(read_file("w.csv.gz", b, &sb, &d), 0);
    assert_int_equal(a->nc, b->nc);
    assert_int_equal(sa.cells, sb.cells);
    assert_memory_equal(a->c, b->c, sizeof a->c[0] * (size_t)a->nc);
    free(a);
    free(b);
}

static void test_wide_bad_cells(void **state)
{
    (void)state;
    static const char txt[] = "date,hour,type,1316A,1317A,1318A\n"
                              "20190112,5,PM10,abc,-3,12\n"
                              "20190112,5,SO2,1e400,4x,7\n";
    struct got *g = new_got();
    struct lt_cnemc_stats st;
    struct lt_diag d;
    write_file("bad.csv", txt, sizeof txt - 1);
    assert_int_equal(read_file("bad.csv", g, &st, &d), 0);
    assert_int_equal(st.rejected, 4);
    assert_int_equal(st.rejected_by[LT_CREJ_NUMBER], 3);
    assert_int_equal(st.rejected_by[LT_CREJ_NEGATIVE], 1);
    assert_int_equal(g->nr, 4);
    assert_int_equal(g->r[0].line, 2);
    assert_string_equal(g->r[0].reason, "column 1316A: 'abc' is not a number");
    assert_non_null(strstr(g->r[0].file, "bad.csv"));
    assert_non_null(strstr(g->r[1].reason, "1317A"));
    assert_non_null(strstr(g->r[1].reason, "'-3'"));
    assert_int_equal(g->r[2].line, 3);
    /* The valid cells of the same lines are delivered. */
    assert_int_equal(g->nc, 2);
    assert_int_equal(st.cells, 2);
    assert_string_equal(g->c[0].site, "1318A");
    assert_true(g->c[0].value == 12.0);
    assert_true(g->c[1].value == 7.0);
    free(g);
}

static void test_wide_bad_lines(void **state)
{
    (void)state;
    static const char txt[] = "date,hour,type,1316A,1317A\n"
                              "20190231,1,AQI,1,2\n"  /* no 31 February */
                              "20190112,25,AQI,1,2\n" /* no hour 25 */
                              "20190112,24,AQI,1,2\n" /* CNEMC writes 24:00 as hour 0 */
                              "20190112,x,AQI,1,2\n"
                              "2019-1-12,1,AQI,1,2\n"
                              "20190112,1,PM1,1,2\n"   /* unknown type */
                              "20190112,1,AQI,1\n"     /* too few fields */
                              "20190112,1,AQI,1,2,3\n" /* too many */
                              "20190112,1,AQI,\"1,2\n" /* unterminated quote */
                              "\n"
                              "20190112,1,AQI,5,6"; /* the last line has no line end */
    struct got *g = new_got();
    struct lt_cnemc_stats st;
    struct lt_diag d;
    write_file("lines.csv", txt, sizeof txt - 1);
    assert_int_equal(read_file("lines.csv", g, &st, &d), 0);
    assert_int_equal(st.rejected, 9);
    assert_int_equal(st.rejected_by[LT_CREJ_TIME], 5);
    assert_int_equal(st.rejected_by[LT_CREJ_TYPE], 1);
    assert_int_equal(st.rejected_by[LT_CREJ_FIELDS], 2);
    assert_int_equal(st.rejected_by[LT_CREJ_CSV], 1);
    assert_int_equal(st.lines, 10);
    for (int i = 0; i < 9; i++)
        assert_int_equal(g->r[i].line, i + 2);
    assert_non_null(strstr(g->r[0].reason, "20190231"));
    assert_non_null(strstr(g->r[1].reason, "25"));
    assert_non_null(strstr(g->r[5].reason, "PM1"));
    assert_non_null(strstr(g->r[6].reason, "expected 5 fields"));
    assert_non_null(strstr(g->r[6].reason, "found 4"));
    assert_int_equal(g->nc, 2);
    assert_int_equal(g->c[0].line, 12);
    assert_true(g->c[1].value == 6.0);
    free(g);
}

static void test_callback_stops(void **state)
{
    (void)state;
    struct got *g = new_got();
    struct lt_cnemc_stats st;
    struct lt_diag d;
    g->stop_after = 2;
    write_file("stop.csv", wide_ok, sizeof wide_ok - 1);
    assert_int_equal(read_file("stop.csv", g, &st, &d), 77);
    assert_int_equal(g->nc, 2);
    assert_int_equal(d.code, 77);
    free(g);
}

/* ---- per-hour layout and the station list ---------------------------------------------------- */

static void test_perhour(void **state)
{
    (void)state;
    static const char txt[] =
        "timepoint,stationcode,longitude,latitude,area,positionname,primarypollutant,aqi,pm10,"
        "pm10_24h,pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,so2_24h,co,co_24h\n"
        "2026-03-01T0800,1270A,117.1957,31.7845,合肥市,明珠广场,\"颗粒物(PM10),细颗粒物(PM2.5)\","
        "58,61,53,39,37,45,45,48,48,13,18,5,6,0.8,0.9\n"
        "2026-03-01T0800,4263A,105.3688,27.3598,毕节市,工业大道,NA,26,NA,39,18,30,37,37,29,29,8,"
        "8,10,10,/,/\n"
        "2026-03-01T0000,4264A,105.3688,27.3598,毕节市,x,NA,26,1,39,18,30,37,37,29,29,8,8,10,10,"
        "1,1\n"
        "2026-02-30T0800,4265A,1,1,a,b,NA,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1\n"
        "2026-03-01T2500,4266A,1,1,a,b,NA,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1\n"
        "2026-03-01T0830,4267A,1,1,a,b,NA,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1\n"
        "2026-03-01T0800,4268A,1,1,a,b,NA,1,1,1,1,1,1,1,1,1,1,1,1,1,1\n"
        "2026-03-01T0800,4269A,1,1,a,b,NA,1,zz,1,1,1,1,1,1,1,1,1,1,1,1,1\n";
    struct got *g = new_got();
    struct lt_cnemc_stats st;
    struct lt_diag d;
    write_file("2026-03-01T08.csv", txt, sizeof txt - 1);
    assert_int_equal(read_file("2026-03-01T08.csv", g, &st, &d), 0);
    assert_int_equal(st.layout, LT_CNEMC_PERHOUR);
    assert_int_equal(st.rejected, 5);
    assert_int_equal(st.rejected_by[LT_CREJ_TIME], 3);
    assert_int_equal(st.rejected_by[LT_CREJ_FIELDS], 1);
    assert_int_equal(st.rejected_by[LT_CREJ_NUMBER], 1);
    assert_non_null(strstr(g->r[4].reason, "4269A"));
    assert_non_null(strstr(g->r[4].reason, "pm10"));
    assert_non_null(strstr(g->r[4].reason, "'zz'"));

    int32_t day = lt_days_from_civil(2026, 3, 1);
    int64_t t8 = lt_bj_to_utc(day, 8);
    const struct got_cell *c = find(g, "1270A", LT_CF_PM25, t8);
    assert_non_null(c);
    assert_true(c->value == 39.0);
    c = find(g, "1270A", LT_CF_CO, t8);
    assert_non_null(c);
    assert_true(c->value == 0.8);
    c = find(g, "1270A", LT_CF_AQI, t8);
    assert_non_null(c);
    assert_true(c->value == 58.0);
    c = find(g, "1270A", LT_CF_PRIMARY, t8);
    assert_non_null(c);
    assert_string_equal(c->text, "颗粒物(PM10),细颗粒物(PM2.5)");
    c = find(g, "4263A", LT_CF_PM10, t8);
    assert_non_null(c);
    assert_int_equal(c->state, LT_CELL_MISSING);
    c = find(g, "4263A", LT_CF_CO, t8);
    assert_non_null(c);
    assert_int_equal(c->state, LT_CELL_NM);
    c = find(g, "4263A", LT_CF_PRIMARY, t8);
    assert_non_null(c);
    assert_int_equal(c->state, LT_CELL_MISSING);
    /* T0000 is the hour ending 24:00 of the previous day. */
    c = find(g, "4264A", LT_CF_SO2, lt_bj_to_utc(day, 0));
    assert_non_null(c);
    assert_int_equal(lt_natural_day(c->ts), day - 1);
    assert_int_equal(lt_natural_hour(c->ts), 24);
    /* The valid cells of the row with one bad cell are delivered; rejected rows deliver none. */
    assert_non_null(find(g, "4269A", LT_CF_PM25, t8));
    assert_null(find(g, "4269A", LT_CF_PM10, t8));
    assert_null(find(g, "4268A", LT_CF_PM25, t8));
    free(g);
}

static void test_stations(void **state)
{
    (void)state;
    static const char txt[] = "监测点编码,监测点名称,城市,经度,纬度,对照点,省级行政区,地级行政区\n"
                              "1001A,万寿西宫,北京,116.3621,39.8784,N,北京市,北京市\n"
                              "1002A,定陵(对照点),北京,116.2202,40.2915,Y,北京市,北京市\n"
                              "1003A,无坐标,郑州,,,N,河南省,郑州市\n"
                              "1004A,坏坐标,郑州,abc,34,N,河南省,郑州市\n"
                              "1005A,坏标志,郑州,113,34,X,河南省,郑州市\n";
    struct got *g = new_got();
    struct lt_cnemc_stats st;
    struct lt_diag d;
    write_file("stations.csv", txt, sizeof txt - 1);
    assert_int_equal(read_file("stations.csv", g, &st, &d), 0);
    assert_int_equal(st.layout, LT_CNEMC_STATIONS);
    assert_int_equal(g->nst, 3);
    assert_int_equal(st.rejected_by[LT_CREJ_STATION], 2);
    assert_string_equal(g->st_code[0], "1001A");
    assert_string_equal(g->st_city[0], "北京");
    assert_false(g->st[0].is_control);
    assert_true(g->st[0].lon == 116.3621);
    assert_true(g->st[1].is_control);
    assert_true(isnan(g->st[2].lon) && isnan(g->st[2].lat));
    assert_int_equal(g->r[0].line, 5);
    assert_int_equal(g->r[1].line, 6);
    free(g);
}

/* ---- failures of the whole file -------------------------------------------------------------- */

static void test_open_and_header_errors(void **state)
{
    (void)state;
    struct got *g = new_got();
    struct lt_cnemc_stats st;
    struct lt_diag d;
    assert_int_equal(read_file("does-not-exist.csv", g, &st, &d), LT_EIO);
    assert_non_null(strstr(d.msg, "does-not-exist.csv"));
    write_file("hdr.csv", "a,b,c\n1,2,3\n", 12);
    assert_int_equal(read_file("hdr.csv", g, &st, &d), LT_EPARSE);
    assert_non_null(strstr(d.msg, "hdr.csv"));
    assert_non_null(strstr(d.msg, "unknown header"));
    write_file("empty.csv", "", 0);
    assert_int_equal(read_file("empty.csv", g, &st, &d), LT_EPARSE);
    assert_int_equal(g->nc, 0);
    free(g);
}

/* A day of a wide file big enough that half of its gzip holds many complete lines. */
static char *big_wide(size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    n += (size_t)snprintf(b + n, cap - n, "date,hour,type");
    for (int s = 0; s < 100; s++)
        n += (size_t)snprintf(b + n, cap - n, ",%04dA", 1000 + s);
    n += (size_t)snprintf(b + n, cap - n, "\n");
    unsigned x = 12345;
    for (int h = 0; h < 24; h++)
        for (int t = 0; t < 15; t++) {
            n += (size_t)snprintf(b + n, cap - n, "20190112,%d,%s", h, lt_cnemc_field_name(t));
            for (int s = 0; s < 100; s++) {
                x = x * 1103515245u + 12345u;
                n += (size_t)snprintf(b + n, cap - n, ",%u", (x >> 16) % 500);
            }
            n += (size_t)snprintf(b + n, cap - n, "\n");
        }
    *len = n;
    return b;
}

static void test_gzip_truncated(void **state)
{
    (void)state;
    size_t len;
    char *txt = big_wide(&len);
    struct got *g = new_got();
    struct lt_cnemc_stats st;
    struct lt_diag d;
    write_gz("full.csv.gz", txt, len);
    assert_int_equal(read_file("full.csv.gz", g, &st, &d), 0);
    assert_int_equal(st.cells, 24 * 15 * 100);
    assert_int_equal(st.rejected, 0);

    /* Keep the first half of the compressed bytes. */
    char *gz;
    size_t gzlen;
    {
        FILE *f = fopen(path_of("full.csv.gz"), "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        gzlen = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        gz = malloc(gzlen);
        assert_non_null(gz);
        assert_int_equal(fread(gz, 1, gzlen, f), gzlen);
        fclose(f);
    }
    write_file("half.csv.gz", gz, gzlen / 2);
    memset(g, 0, sizeof *g);
    assert_int_equal(read_file("half.csv.gz", g, &st, &d), LT_ETRUNC);
    assert_int_equal(d.code, LT_ETRUNC);
    assert_non_null(strstr(d.msg, "half.csv.gz"));
    assert_non_null(strstr(d.msg, "truncated"));
    /* Cells before the damage were delivered, whole lines only: no cut number slipped through. */
    assert_true(st.cells > 0 && st.cells < 24 * 15 * 100);
    assert_int_equal(st.cells % 100, 0);
    assert_int_equal(st.rejected, 0);

    /* Damage the middle of the stream: inflate or the CRC check must notice. */
    for (size_t i = gzlen / 2; i < gzlen / 2 + 64; i++)
        gz[i] ^= 0x5a;
    write_file("corrupt.csv.gz", gz, gzlen);
    memset(g, 0, sizeof *g);
    assert_int_equal(read_file("corrupt.csv.gz", g, &st, &d), LT_ETRUNC);
    assert_non_null(strstr(d.msg, "corrupt.csv.gz"));
    free(gz);
    free(txt);
    free(g);
}

static void test_long_line(void **state)
{
    (void)state;
    size_t big = LT_CNEMC_LINE_MAX + 1000, n = 0;
    char *b = malloc(big + 256);
    assert_non_null(b);
    n += (size_t)snprintf(b, 256, "date,hour,type,1316A\n20190112,1,AQI,1\n20190112,2,AQI,");
    memset(b + n, '7', big);
    n += big;
    n += (size_t)snprintf(b + n, 256, "\n20190112,3,AQI,3\n");
    struct got *g = new_got();
    struct lt_cnemc_stats st;
    struct lt_diag d;
    write_file("long.csv", b, n);
    assert_int_equal(read_file("long.csv", g, &st, &d), 0);
    assert_int_equal(st.rejected_by[LT_CREJ_LONG], 1);
    assert_int_equal(g->r[0].line, 3);
    assert_non_null(strstr(g->r[0].reason, "longer than"));
    /* The lines around it are read. */
    assert_int_equal(g->nc, 2);
    assert_true(g->c[0].value == 1.0);
    assert_true(g->c[1].value == 3.0);
    assert_int_equal(g->c[1].line, 4);
    free(b);
    free(g);
}

static void test_field_maps(void **state)
{
    (void)state;
    assert_int_equal(lt_cnemc_field_pollutant(LT_CF_PM25), LT_PM25);
    assert_int_equal(lt_cnemc_field_pollutant(LT_CF_CO), LT_CO);
    assert_int_equal(lt_cnemc_field_pollutant(LT_CF_SO2), LT_SO2);
    assert_int_equal(lt_cnemc_field_pollutant(LT_CF_PM25_24H), -1);
    assert_int_equal(lt_cnemc_field_pollutant(LT_CF_AQI), -1);
    assert_string_equal(lt_cnemc_field_name(LT_CF_O3_8H_24H), "O3_8h_24h");
    assert_string_equal(lt_cnemc_reject_name(LT_CREJ_NUMBER), "not a number");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wide_basic),     cmocka_unit_test(test_wide_gzip_same_as_plain),
        cmocka_unit_test(test_wide_bad_cells), cmocka_unit_test(test_wide_bad_lines),
        cmocka_unit_test(test_callback_stops), cmocka_unit_test(test_perhour),
        cmocka_unit_test(test_stations),       cmocka_unit_test(test_open_and_header_errors),
        cmocka_unit_test(test_gzip_truncated), cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_field_maps),     cmocka_unit_test(test_fields_filter),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* lantian aqi — compute the AQI of CSV rows (calc), check lantian's hourly AQI against the AQI
 * CNEMC published (verify), or hand over to the store listing (lt_cmd_aqi_db).
 *
 * The numbers come from liblantian (src/aq/aqi.c, HJ 633-2012 / HJ 633-2026); this file only reads,
 * classifies and writes.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/cnemc.h"
#include "lantian/aqi.h"
#include "lantian/util.h"

static const char *const lt__cmd = "aqi";

static void lt__usage(FILE *f)
{
    fprintf(f,
            "usage: lantian aqi calc --edition 2012|2026 --mode hourly|daily [--format csv|json]\n"
            "       lantian aqi verify [--edition 2012|2026|auto] [--list-mismatches] FILE...\n"
            "       lantian aqi --db ...            (list AQI from the store)\n"
            "\n"
            "calc reads CSV on stdin. Recognised columns (case-insensitive): SO2, NO2, CO, O3,\n"
            "PM10, PM2.5 (CO in mg/m3, the others in ug/m3); hourly mode: 1-h values, and with\n"
            "--edition 2012 also SO2_24h (used when SO2 1-h > 800, HJ 633-2012 Table 1 note 2);\n"
            "daily mode: 24-h means, O3_8h (O3 daily max 8-h; a column named O3 is not used) and\n"
            "with --edition 2012 O3_1h_max (O3 daily max 1-h). Empty or NA = missing, \"/\" = not\n"
            "monitored (HJ 633-2026 5.3.2). Other columns pass through unchanged. Added columns:\n"
            "IAQI_<item>, AQI (NA when withheld per HJ 633-2026 5.3.1), level, category, primary,\n"
            "flags. A bad row is reported on stderr and written with empty results; the exit\n"
            "status is then 1.\n"
            "\n"
            "verify reads CNEMC hourly files (wide daily or per-hour layout, .gz or plain),\n"
            "computes lantian's hourly AQI of every station-hour from the published 1-h values\n"
            "(edition auto: HJ 633-2012 for natural days before 2026-03-01, HJ 633-2026 from it)\n"
            "and compares it with the published AQI. It prints one 'key count' line per class.\n");
}

/* ---- small output helpers ---------------------------------------------------------------- */

/* JSON string of a CSV slice: quotes doubled inside a quoted CSV field are undoubled. */
static void lt__json_slice(FILE *f, struct lt_str s)
{
    fputc('"', f);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '"') {
            if (i + 1 < s.len && s.p[i + 1] == '"')
                i++;
            fputs("\\\"", f);
        } else if (c == '\\') {
            fputs("\\\\", f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\r') {
            fputs("\\r", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
    }
    fputc('"', f);
}

static const char *const lt__aqi_flag_names[8] = {
    "CAPPED", "PARTIAL", "WITHHELD", "SO2_SUBST", "O3_SUBST", "SPECIAL", "EMPTY", "SUBST_MISSING",
};

/* Write the result flags joined by sep. */
static void lt__flags_write(FILE *f, unsigned flags, const char *sep, bool json)
{
    bool first = true;
    for (int i = 0; i < 8; i++) {
        if (!(flags & (1u << i)))
            continue;
        if (!first)
            fputs(sep, f);
        first = false;
        if (json)
            fprintf(f, "\"%s\"", lt__aqi_flag_names[i]);
        else
            fputs(lt__aqi_flag_names[i], f);
    }
}

/* ---- calc -------------------------------------------------------------------------------- */

enum { LT__CALC_SO2_24H = LT_ITEM_N, LT__CALC_NCOL };

struct lt__calc {
    enum lt_edition ed;
    enum lt_aqi_mode mode;
    bool json;
    int n_items;            /* items written: 6, or 7 in the 2012 daily report */
    int col[LT__CALC_NCOL]; /* input column of each item (and SO2 24-h), -1 when absent */
    int nhdr;               /* fields in the header */
    struct lt_str *hdr;     /* header names (point into hdr_line) */
    char *hdr_line;
    struct lt_str *fld; /* fields of the current row */
    int fld_cap;
    long rows_out;
};

static bool lt__ieq(struct lt_str s, const char *name)
{
    return lt_str_ieq(lt_str_trim(s), name);
}

/* Map the header columns onto the items of the mode. Returns 0 or prints and returns -1. */
static int lt__calc_header(struct lt__calc *c)
{
    for (int i = 0; i < LT__CALC_NCOL; i++)
        c->col[i] = -1;
    int found = 0;
    for (int k = 0; k < c->nhdr; k++) {
        struct lt_str h = lt_str_trim(c->hdr[k]);
        int item = -1;
        if (lt__ieq(h, "O3_8h")) {
            item = c->mode == LT_AQI_DAILY ? LT_O3 : -1;
        } else if (lt__ieq(h, "O3_1h_max")) {
            item = c->mode == LT_AQI_DAILY && c->ed == LT_ED_2012 ? LT_ITEM_O3_1H : -1;
        } else if (lt__ieq(h, "SO2_24h")) {
            item = c->mode == LT_AQI_HOURLY && c->ed == LT_ED_2012 ? LT__CALC_SO2_24H : -1;
        } else {
            int p = lt_pollutant_parse(h.p, h.len);
            if (p >= 0 && p == LT_O3 && c->mode == LT_AQI_DAILY) {
                lt_cli_err(lt__cmd, "column O3 is not used in daily mode: name the O3 daily "
                                    "max 8-h column O3_8h (HJ 633-2026 4.2.2)");
                p = -1;
            }
            item = p;
        }
        if (item < 0)
            continue;
        if (c->col[item] >= 0) {
            lt_cli_err(lt__cmd, "columns %d and %d both give %s", c->col[item] + 1, k + 1,
                       item == LT__CALC_SO2_24H ? "SO2_24h" : lt_aqi_item_label(c->mode, item));
            return -1;
        }
        c->col[item] = k;
        found++;
    }
    if (!found) {
        lt_cli_err(lt__cmd, "the header names none of SO2, NO2, CO, %s, PM10, PM2.5",
                   c->mode == LT_AQI_DAILY ? "O3_8h" : "O3");
        return -1;
    }
    return 0;
}

static const char *lt__item_col_name(const struct lt__calc *c, int item)
{
    if (item == LT__CALC_SO2_24H)
        return "SO2_24h";
    if (c->col[item] >= 0) {
        static char buf[64];
        lt_str_copy(buf, sizeof buf, lt_str_trim(c->hdr[c->col[item]]));
        return buf;
    }
    return lt_aqi_item_label(c->mode, item);
}

/* Read the value of one item from the row. Returns 0 or -1 with msg filled. */
static int lt__calc_value(const struct lt__calc *c, int nf, int item, double *out, bool *nm,
                          char *msg, size_t cap)
{
    *out = NAN;
    *nm = false;
    int k = c->col[item];
    if (k < 0 || k >= nf)
        return 0;
    struct lt_str s = lt_str_trim(c->fld[k]);
    if (s.len == 0 || lt_str_ieq(s, "NA"))
        return 0;
    if (lt_str_eq(s, "/")) {
        *nm = true;
        return 0;
    }
    double v;
    if (lt_parse_double(s, &v)) {
        snprintf(msg, cap, "column %s: '%.*s' is not a number", lt__item_col_name(c, item),
                 (int)(s.len > 40 ? 40 : s.len), s.p);
        return -1;
    }
    if (v < 0) {
        snprintf(msg, cap, "column %s: '%.*s' is negative", lt__item_col_name(c, item),
                 (int)(s.len > 40 ? 40 : s.len), s.p);
        return -1;
    }
    *out = v;
    return 0;
}

static void lt__calc_out_header(const struct lt__calc *c, struct lt_str line)
{
    if (c->json)
        return;
    fwrite(line.p, 1, line.len, stdout);
    for (int i = 0; i < c->n_items; i++)
        printf(",IAQI_%s", lt_aqi_item_label(c->mode, i));
    fputs(",AQI,level,category,primary,flags\n", stdout);
}

/* Write one output row. a == NULL for a bad row (error text in err). */
static void lt__calc_out_row(struct lt__calc *c, struct lt_str line, int nf, long lineno,
                             const struct lt_aqi *a, const char *err)
{
    char prim[64] = "";
    if (a)
        lt_aqi_primary_format(a, ",", prim, sizeof prim);
    if (!c->json) {
        fwrite(line.p, 1, line.len, stdout);
        for (int i = 0; i < c->n_items; i++) {
            if (a && a->iaqi[i] != LT_IAQI_NA)
                printf(",%d", a->iaqi[i]);
            else
                fputs(",", stdout);
        }
        if (!a) {
            fputs(",,,,,\n", stdout);
            return;
        }
        if (a->aqi == LT_IAQI_NA)
            fputs(",NA,,,", stdout);
        else
            printf(",%d,%d,%s,", a->aqi, a->level, lt_aqi_category(a->level));
        /* Ties are joined with a comma, so the field is quoted (RFC 4180). */
        if (strchr(prim, ','))
            printf("\"%s\"", prim);
        else
            fputs(prim, stdout);
        fputs(",", stdout);
        lt__flags_write(stdout, a->flags, "|", false);
        fputs("\n", stdout);
        return;
    }
    fputs(c->rows_out ? ",\n  {" : "\n  {", stdout);
    c->rows_out++;
    printf("\"line\": %ld", lineno);
    for (int k = 0; k < c->nhdr; k++) {
        fputs(", ", stdout);
        lt__json_slice(stdout, lt_str_trim(c->hdr[k]));
        fputs(": ", stdout);
        if (k < nf)
            lt__json_slice(stdout, c->fld[k]);
        else
            fputs("null", stdout);
    }
    for (int i = 0; i < c->n_items; i++) {
        printf(", \"IAQI_%s\": ", lt_aqi_item_label(c->mode, i));
        if (a && a->iaqi[i] != LT_IAQI_NA)
            printf("%d", a->iaqi[i]);
        else
            fputs("null", stdout);
    }
    if (!a) {
        fputs(", \"AQI\": null, \"level\": null, \"category\": null, \"primary\": [], "
              "\"flags\": [], \"error\": ",
              stdout);
        lt__json_slice(stdout, lt_str_of(err));
        fputs("}", stdout);
        return;
    }
    if (a->aqi == LT_IAQI_NA)
        fputs(", \"AQI\": null, \"level\": null, \"category\": null", stdout);
    else
        printf(", \"AQI\": %d, \"level\": %d, \"category\": \"%s\"", a->aqi, a->level,
               lt_aqi_category(a->level));
    fputs(", \"primary\": [", stdout);
    bool first = true;
    for (int i = 0; i < LT_ITEM_N; i++) {
        if (!(a->primary & (1u << i)))
            continue;
        printf("%s\"%s\"", first ? "" : ", ", lt_aqi_item_label(c->mode, i));
        first = false;
    }
    fputs("], \"flags\": [", stdout);
    lt__flags_write(stdout, a->flags, ", ", true);
    fputs("]}", stdout);
}

/* Split a line into c->fld, growing it as needed. Returns the field count or LT_EPARSE. */
static int lt__calc_split(struct lt__calc *c, struct lt_str line, struct lt_diag *d)
{
    int n = lt_csv_split(line, c->fld, c->fld_cap, d);
    if (n > c->fld_cap) {
        struct lt_str *nf = realloc(c->fld, (size_t)n * sizeof *nf);
        if (!nf)
            return LT_ENOMEM;
        c->fld = nf;
        c->fld_cap = n;
        n = lt_csv_split(line, c->fld, c->fld_cap, d);
    }
    return n;
}

static struct lt_str lt__chomp(const char *p, size_t n)
{
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    return (struct lt_str){p, n};
}

static int lt__parse_edition(const char *s, bool allow_auto, int *ed)
{
    if (!strcmp(s, "2012"))
        *ed = LT_ED_2012;
    else if (!strcmp(s, "2026"))
        *ed = LT_ED_2026;
    else if (allow_auto && !strcmp(s, "auto"))
        *ed = -1;
    else
        return -1;
    return 0;
}

static int lt__calc(int argc, char **argv)
{
    struct lt__calc c;
    memset(&c, 0, sizeof c);
    int ed = -2, mode = -1, rc = LT_EXIT_OK;
    char *line = NULL;
    size_t cap = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            lt__usage(stdout);
            return LT_EXIT_OK;
        } else if (!strcmp(a, "--edition") && v) {
            if (lt__parse_edition(v, false, &ed)) {
                lt_cli_err(lt__cmd, "--edition must be 2012 or 2026, not '%s'", v);
                return LT_EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--mode") && v) {
            if (!strcmp(v, "hourly"))
                mode = LT_AQI_HOURLY;
            else if (!strcmp(v, "daily"))
                mode = LT_AQI_DAILY;
            else {
                lt_cli_err(lt__cmd, "--mode must be hourly or daily, not '%s'", v);
                return LT_EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--format") && v) {
            if (!strcmp(v, "json"))
                c.json = true;
            else if (strcmp(v, "csv")) {
                lt_cli_err(lt__cmd, "--format must be csv or json, not '%s'", v);
                return LT_EXIT_USAGE;
            }
            i++;
        } else {
            lt_cli_err(lt__cmd, "calc: unknown or incomplete option '%s'", a);
            lt__usage(stderr);
            return LT_EXIT_USAGE;
        }
    }
    if (ed < 0 || mode < 0) {
        lt_cli_err(lt__cmd, "calc needs --edition 2012|2026 and --mode hourly|daily (the rules "
                            "differ; there is no default)");
        return LT_EXIT_USAGE;
    }
    c.ed = (enum lt_edition)ed;
    c.mode = (enum lt_aqi_mode)mode;
    /* HJ 633-2012 5.1.2: the daily report has the O3 daily max 1-h as a 7th indicator. */
    c.n_items = c.mode == LT_AQI_DAILY && c.ed == LT_ED_2012 ? LT_ITEM_N : LT_POLL_N;

    ssize_t n = getline(&line, &cap, stdin);
    if (n <= 0) {
        lt_cli_err(lt__cmd, "calc: no header line on stdin");
        rc = LT_EXIT_USAGE;
        goto out;
    }
    struct lt_str hl = lt__chomp(line, (size_t)n);
    if (hl.len >= 3 && !memcmp(hl.p, "\xEF\xBB\xBF", 3)) {
        hl.p += 3;
        hl.len -= 3;
    }
    c.hdr_line = malloc(hl.len + 1);
    if (!c.hdr_line) {
        rc = LT_EXIT_USAGE;
        goto out;
    }
    memcpy(c.hdr_line, hl.p, hl.len);
    c.hdr_line[hl.len] = '\0';
    hl.p = c.hdr_line;
    struct lt_diag d = {0};
    c.nhdr = lt__calc_split(&c, hl, &d);
    if (c.nhdr < 0) {
        lt_cli_err(lt__cmd, "calc: line 1 (header): %s", d.code ? d.msg : lt_strerror(c.nhdr));
        rc = LT_EXIT_USAGE;
        goto out;
    }
    c.hdr = malloc((size_t)c.nhdr * sizeof *c.hdr);
    if (!c.hdr) {
        rc = LT_EXIT_USAGE;
        goto out;
    }
    memcpy(c.hdr, c.fld, (size_t)c.nhdr * sizeof *c.hdr);
    if (lt__calc_header(&c)) {
        rc = LT_EXIT_USAGE;
        goto out;
    }
    lt__calc_out_header(&c, hl);
    if (c.json)
        fputs("[", stdout);

    long lineno = 1;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        lineno++;
        struct lt_str row = lt__chomp(line, (size_t)n);
        if (lt_str_trim(row).len == 0)
            continue;
        char msg[200] = "";
        struct lt_aqi a;
        bool ok = true;
        int nf = lt__calc_split(&c, row, &d);
        if (nf < 0) {
            snprintf(msg, sizeof msg, "%s", nf == LT_EPARSE ? d.msg : lt_strerror(nf));
            ok = false;
            nf = 0;
        }
        struct lt_aqi_input in;
        lt_aqi_input_init(&in);
        for (int item = 0; ok && item < LT__CALC_NCOL; item++) {
            double v;
            bool nm;
            if (lt__calc_value(&c, nf, item, &v, &nm, msg, sizeof msg)) {
                ok = false;
                break;
            }
            if (item == LT__CALC_SO2_24H)
                in.so2_24h = v;
            else if (item == LT_ITEM_O3_1H)
                in.o3_1h_max = v;
            else
                in.c[item] = v;
            if (nm)
                in.not_monitored |= 1u << (item == LT_ITEM_O3_1H ? LT_O3 : item);
        }
        if (ok && lt_aqi_compute(c.ed, c.mode, &in, &a)) {
            snprintf(msg, sizeof msg, "invalid concentration");
            ok = false;
        }
        if (!ok) {
            lt_cli_err(lt__cmd, "line %ld: %s", lineno, msg);
            rc = LT_EXIT_REJECTED;
        }
        lt__calc_out_row(&c, row, nf, lineno, ok ? &a : NULL, msg);
    }
    if (c.json)
        fputs(c.rows_out ? "\n]\n" : "]\n", stdout);
    if (ferror(stdin)) {
        lt_cli_err(lt__cmd, "calc: error reading stdin");
        rc = LT_EXIT_REJECTED;
    }
out:
    free(line);
    free(c.hdr_line);
    free(c.hdr);
    free(c.fld);
    if (fflush(stdout)) {
        lt_cli_err(lt__cmd, "calc: error writing stdout");
        rc = LT_EXIT_REJECTED;
    }
    return rc;
}

/* ---- verify ------------------------------------------------------------------------------ */

/* The HJ 633-2026 edition governs data from 2026-03-01 (HJ 633-2026 foreword: 实施 2026-03-01);
 * the natural day of the hour decides (STANDARDS.md "Rule editions are chosen by the date"). */

/* Fields of a station-hour the check needs. */
enum { LT__F_UNSEEN = 0xff };

struct lt__sh {
    int64_t ts;
    long line; /* line of the AQI cell */
    double v[LT_CF_N];
    unsigned char st[LT_CF_N]; /* enum lt_cell_state, or LT__F_UNSEEN */
    unsigned char site_len;    /* 0: slot free */
    char site[16];
};

/* Counters, per edition. */
enum lt__ctr {
    C_HOURS,
    C_ABSENT,
    C_ABSENT_PUB,
    C_EMPTY,
    C_EMPTY_PUB,
    C_FULL_CMP,
    C_FULL_EXACT,
    C_FULL_SO2,
    C_FULL_M1,
    C_FULL_P1,
    C_FULL_OTHER,
    C_FULL_NA,
    C_NM_CMP,
    C_NM_EXACT,
    C_NM_SO2,
    C_NM_M1,
    C_NM_P1,
    C_NM_OTHER,
    C_NM_NA,
    /* Some pollutant missing (NA): [PM10 only | other] x [over present > 100 | <= 100] x
     * [CNEMC published | published and equal to the AQI over those present | NA]. */
    C_MIS_BASE,
    C_MIS_END = C_MIS_BASE + 12,
    C_MIS_WITH_NM = C_MIS_END, /* of which some other pollutant is "/" */
    C_AGREE,                   /* hours with a pollutant: lantian agrees with CNEMC */
    C_PRESENT,                 /* hours with a pollutant */
    C_N
};

struct lt__verify {
    int force_ed; /* -1 auto */
    bool list;
    struct lt_rules rules; /* edition auto: the rule set in force on the hour's natural day */
    const char *path;
    struct lt__sh *tab;
    size_t cap, used;
    long ctr[LT_ED_N][C_N];
    long rejected;
    long reject_shown;
    bool oom;
};

static uint64_t lt__hash(const char *s, size_t n, int64_t ts)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    h ^= (uint64_t)ts;
    h *= 1099511628211ULL;
    return h ^ (h >> 29);
}

static struct lt__sh *lt__slot(struct lt__sh *tab, size_t cap, const char *s, size_t n, int64_t ts)
{
    size_t i = (size_t)lt__hash(s, n, ts) & (cap - 1);
    for (;;) {
        struct lt__sh *e = &tab[i];
        if (!e->site_len || (e->ts == ts && e->site_len == n && !memcmp(e->site, s, n)))
            return e;
        i = (i + 1) & (cap - 1);
    }
}

static int lt__grow(struct lt__verify *v)
{
    size_t ncap = v->cap ? v->cap * 2 : 65536;
    struct lt__sh *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return LT_ENOMEM;
    for (size_t i = 0; i < v->cap; i++) {
        struct lt__sh *e = &v->tab[i];
        if (!e->site_len)
            continue;
        *lt__slot(nt, ncap, e->site, e->site_len, e->ts) = *e;
    }
    free(v->tab);
    v->tab = nt;
    v->cap = ncap;
    return 0;
}

static int lt__verify_cell(void *ctx, const struct lt_cnemc_cell *cell)
{
    struct lt__verify *v = ctx;
    if (cell->field == LT_CF_PRIMARY)
        return 0;
    struct lt_str site = lt_str_trim(cell->site);
    if (site.len == 0 || site.len >= sizeof(((struct lt__sh *)0)->site))
        return 0;
    if ((v->used + 1) * 2 > v->cap && lt__grow(v)) {
        v->oom = true;
        return LT_ENOMEM;
    }
    struct lt__sh *e = lt__slot(v->tab, v->cap, site.p, site.len, cell->ts);
    if (!e->site_len) {
        memset(e, 0, sizeof *e);
        memcpy(e->site, site.p, site.len);
        e->site_len = (unsigned char)site.len;
        e->ts = cell->ts;
        memset(e->st, LT__F_UNSEEN, sizeof e->st);
        v->used++;
    }
    e->st[cell->field] = (unsigned char)cell->state;
    e->v[cell->field] = cell->value;
    if (cell->field == LT_CF_AQI)
        e->line = cell->line;
    return 0;
}

static void lt__verify_reject(void *ctx, const char *file, long line, const char *reason)
{
    struct lt__verify *v = ctx;
    v->rejected++;
    /* A damaged file could produce a line per cell: show the first few, count the rest. */
    if (v->reject_shown++ < 20)
        lt_cli_err(lt__cmd, "%s:%ld: rejected: %s", file, line, reason);
}

static const enum lt_cnemc_field lt__poll_field[LT_POLL_N] = {
    [LT_SO2] = LT_CF_SO2, [LT_NO2] = LT_CF_NO2,   [LT_CO] = LT_CF_CO,
    [LT_O3] = LT_CF_O3,   [LT_PM10] = LT_CF_PM10, [LT_PM25] = LT_CF_PM25,
};

static void lt__list(const struct lt__verify *v, const struct lt__sh *e, enum lt_edition ed,
                     const char *cls, const char *pub, int lantian, int over_present)
{
    char when[24];
    lt_bj_format_hour(e->ts, when, sizeof when);
    printf("MISMATCH %-28s %s:%ld %.*s %s %s published=%s lantian=", cls, v->path, e->line,
           (int)e->site_len, e->site, when, ed == LT_ED_2012 ? "2012" : "2026", pub);
    if (lantian == LT_IAQI_NA)
        printf("NA(over-present=%d)", over_present);
    else
        printf("%d", lantian);
    for (int p = 0; p < LT_POLL_N; p++) {
        enum lt_cnemc_field f = lt__poll_field[p];
        printf(" %s=", lt_pollutant_name((enum lt_pollutant)p));
        if (e->st[f] == LT_CELL_VALUE)
            printf("%g", e->v[f]);
        else
            fputs(e->st[f] == LT_CELL_NM ? "/" : "NA", stdout);
    }
    fputs("\n", stdout);
}

/* Classify one station-hour. */
static void lt__verify_one(struct lt__verify *v, const struct lt__sh *e)
{
    enum lt_edition ed;
    if (v->force_ed >= 0)
        ed = (enum lt_edition)v->force_ed;
    else {
        const struct lt_ruleset *rs = lt_rules_for_day(&v->rules, lt_natural_day(e->ts));
        if (!rs) {
            /* No rule set covers the date: nothing to compare with. */
            v->rejected++;
            return;
        }
        ed = rs->aqi;
    }
    long *ctr = v->ctr[ed];
    ctr[C_HOURS]++;

    bool published = e->st[LT_CF_AQI] == LT_CELL_VALUE;
    double pubv = published ? e->v[LT_CF_AQI] : NAN;
    char pub[24];
    if (published)
        snprintf(pub, sizeof pub, "%g", pubv);
    else
        snprintf(pub, sizeof pub, "NA");

    /* A wide file whose row of some type is absent for this hour (a scraping gap, e.g.
     * 2019-04-24 23:00 where only the AQI and PM2.5 rows survived): not comparable. */
    bool absent = e->st[LT_CF_AQI] == LT__F_UNSEEN;
    for (int p = 0; p < LT_POLL_N; p++)
        absent = absent || e->st[lt__poll_field[p]] == LT__F_UNSEEN;
    if (absent) {
        ctr[C_ABSENT]++;
        if (published)
            ctr[C_ABSENT_PUB]++;
        return;
    }

    struct lt_aqi_input in;
    lt_aqi_input_init(&in);
    int present = 0, missing = 0, nm = 0;
    unsigned missing_mask = 0;
    for (int p = 0; p < LT_POLL_N; p++) {
        enum lt_cnemc_field f = lt__poll_field[p];
        if (e->st[f] == LT_CELL_VALUE) {
            in.c[p] = e->v[f];
            present++;
        } else if (e->st[f] == LT_CELL_NM) {
            in.not_monitored |= 1u << p;
            nm++;
        } else {
            missing++;
            missing_mask |= 1u << p;
        }
    }
    if (e->st[LT_CF_SO2_24H] == LT_CELL_VALUE)
        in.so2_24h = e->v[LT_CF_SO2_24H];

    if (!present) {
        ctr[C_EMPTY]++;
        if (published) {
            ctr[C_EMPTY_PUB]++;
            if (v->list)
                lt__list(v, e, ed, "empty.published", pub, LT_IAQI_NA, LT_IAQI_NA);
        }
        return;
    }
    ctr[C_PRESENT]++;
    struct lt_aqi a;
    if (lt_aqi_compute(ed, LT_AQI_HOURLY, &in, &a))
        return;            /* cannot happen: the reader delivers finite, non-negative values only */
    int over = LT_IAQI_NA; /* the AQI over the pollutants present, published or not */
    for (int p = 0; p < LT_POLL_N; p++)
        if (a.iaqi[p] > over)
            over = a.iaqi[p];

    if (!missing) {
        /* Complete: every pollutant present or not monitored ("/", HJ 633-2026 5.3.2). */
        int base = nm ? C_NM_CMP : C_FULL_CMP;
        const char *grp = nm ? "nm" : "full";
        char cls[40];
        if (!published) {
            ctr[base + (C_FULL_NA - C_FULL_CMP)]++;
            snprintf(cls, sizeof cls, "%s.unpublished", grp);
            if (v->list)
                lt__list(v, e, ed, cls, pub, a.aqi, over);
            return;
        }
        ctr[base]++;
        if (pubv == a.aqi) {
            ctr[base + (C_FULL_EXACT - C_FULL_CMP)]++;
            ctr[C_AGREE]++;
            return;
        }
        int k;
        const char *what;
        if (in.c[LT_SO2] >= 0 && lt_aqi_round_conc(LT_SO2, in.c[LT_SO2]) > 800) {
            k = C_FULL_SO2;
            what = "so2_gt_800";
        } else if (pubv == a.aqi - 1) {
            k = C_FULL_M1;
            what = "minus1";
        } else if (pubv == a.aqi + 1) {
            k = C_FULL_P1;
            what = "plus1";
        } else {
            k = C_FULL_OTHER;
            what = "other";
        }
        ctr[base + (k - C_FULL_CMP)]++;
        snprintf(cls, sizeof cls, "%s.mismatch.%s", grp, what);
        if (v->list)
            lt__list(v, e, ed, cls, pub, a.aqi, over);
        return;
    }

    /* Some pollutant missing (NA). HJ 633-2012: lantian publishes the AQI over those present
     * (PARTIAL); HJ 633-2026 5.3.1: only when it is above 100. */
    int g = missing_mask == (1u << LT_PM10) ? 0 : 1;
    int gt = over > 100 ? 0 : 1;
    int base = C_MIS_BASE + (g * 2 + gt) * 3;
    if (nm)
        ctr[C_MIS_WITH_NM]++;
    bool lt_pub = a.aqi != LT_IAQI_NA;
    bool agree;
    if (published) {
        ctr[base]++;
        if (pubv == over)
            ctr[base + 1]++;
        agree = lt_pub && pubv == a.aqi;
    } else {
        ctr[base + 2]++;
        agree = !lt_pub;
    }
    if (agree) {
        ctr[C_AGREE]++;
        return;
    }
    if (v->list) {
        char cls[48];
        snprintf(cls, sizeof cls, "%s.%s.%s", g ? "missing" : "pm10only", gt ? "le100" : "gt100",
                 published ? (lt_pub ? "value_differs" : "cnemc_published") : "cnemc_na");
        lt__list(v, e, ed, cls, pub, a.aqi, over);
    }
}

static void lt__verify_flush(struct lt__verify *v)
{
    for (size_t i = 0; i < v->cap; i++) {
        struct lt__sh *e = &v->tab[i];
        if (!e->site_len)
            continue;
        lt__verify_one(v, e);
        e->site_len = 0;
    }
    v->used = 0;
}

static double lt__pct(long a, long b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void lt__line(const char *ed, const char *key, long n, const char *what)
{
    char k[64];
    snprintf(k, sizeof k, "%s.%s", ed, key);
    printf("%-34s %10ld  %s\n", k, n, what);
}

static void lt__verify_report(const struct lt__verify *v, int nfiles)
{
    printf("# lantian aqi verify: %d file(s), edition %s; lantian's hourly AQI (HJ 633-2026 "
           "4.2.3/4.2.4 columns) vs the published AQI\n",
           nfiles,
           v->force_ed < 0 ? "auto (by config/rules.ini: 2026 from 2026-03-01)"
                           : (v->force_ed == LT_ED_2012 ? "2012" : "2026"));
    for (int ed = 0; ed < LT_ED_N; ed++) {
        const long *c = v->ctr[ed];
        if (!c[C_HOURS])
            continue;
        const char *e = ed == LT_ED_2012 ? "2012" : "2026";
        char buf[160];
        printf("# %s\n", lt_edition_name((enum lt_edition)ed));
        lt__line(e, "hours", c[C_HOURS], "station-hours read");
        lt__line(e, "absent", c[C_ABSENT], "wide file without the AQI or a 1-h row that hour");
        lt__line(e, "absent.published", c[C_ABSENT_PUB], "  of which with an AQI published");
        lt__line(e, "empty", c[C_EMPTY], "no pollutant present");
        lt__line(e, "empty.published", c[C_EMPTY_PUB], "no pollutant present, AQI published");
        lt__line(e, "full.compared", c[C_FULL_CMP], "all six present, AQI published");
        snprintf(buf, sizeof buf, "lantian = published (%.4f%%)",
                 lt__pct(c[C_FULL_EXACT], c[C_FULL_CMP]));
        lt__line(e, "full.exact", c[C_FULL_EXACT], buf);
        lt__line(e, "full.mismatch.so2_gt_800", c[C_FULL_SO2],
                 ed == LT_ED_2012 ? "SO2 1-h > 800: 2012 text = SO2 24-h IAQI"
                                  : "SO2 1-h > 800 (2026: 200)");
        lt__line(e, "full.mismatch.minus1", c[C_FULL_M1], "published = lantian - 1");
        lt__line(e, "full.mismatch.plus1", c[C_FULL_P1], "published = lantian + 1");
        lt__line(e, "full.mismatch.other", c[C_FULL_OTHER], "any other difference");
        lt__line(e, "full.unpublished", c[C_FULL_NA], "all six present, AQI NA");
        lt__line(e, "nm.compared", c[C_NM_CMP], "some \"/\" (not monitored), none NA, published");
        lt__line(e, "nm.exact", c[C_NM_EXACT], "lantian = published");
        lt__line(e, "nm.mismatch.so2_gt_800", c[C_NM_SO2], "");
        lt__line(e, "nm.mismatch.minus1", c[C_NM_M1], "");
        lt__line(e, "nm.mismatch.plus1", c[C_NM_P1], "");
        lt__line(e, "nm.mismatch.other", c[C_NM_OTHER], "");
        lt__line(e, "nm.unpublished", c[C_NM_NA], "some \"/\", none NA, AQI NA");
        static const char *const grp[2] = {"pm10only", "missing"};
        static const char *const gtn[2] = {"gt100", "le100"};
        for (int g = 0; g < 2; g++)
            for (int gt = 0; gt < 2; gt++) {
                int base = C_MIS_BASE + (g * 2 + gt) * 3;
                char key[48];
                const char *desc = g ? "other NA pattern" : "only PM10 NA";
                snprintf(key, sizeof key, "%s.%s.published", grp[g], gtn[gt]);
                snprintf(buf, sizeof buf, "%s, AQI over present %s 100: published", desc,
                         gt ? "<=" : ">");
                lt__line(e, key, c[base], buf);
                snprintf(key, sizeof key, "%s.%s.published_equal", grp[g], gtn[gt]);
                lt__line(e, key, c[base + 1], "  of which = AQI over present");
                snprintf(key, sizeof key, "%s.%s.na", grp[g], gtn[gt]);
                snprintf(buf, sizeof buf, "%s, AQI over present %s 100: AQI NA", desc,
                         gt ? "<=" : ">");
                lt__line(e, key, c[base + 2], buf);
            }
        lt__line(e, "missing.with_nm", c[C_MIS_WITH_NM], "NA hours that also have a \"/\"");
        snprintf(buf, sizeof buf,
                 "hours with a pollutant where lantian = CNEMC (value or NA): "
                 "%.4f%%",
                 lt__pct(c[C_AGREE], c[C_PRESENT]));
        lt__line(e, "agree", c[C_AGREE], buf);
        lt__line(e, "present", c[C_PRESENT], "hours with at least one pollutant");
    }
    printf("%-34s %10ld  %s\n", "rejected", v->rejected, "lines or cells the reader rejected");
}

static int lt__verify(int argc, char **argv)
{
    struct lt__verify v;
    memset(&v, 0, sizeof v);
    v.force_ed = -1;
    if (lt_cli_load_rules(lt__cmd, NULL, &v.rules))
        return LT_EXIT_USAGE;
    int first_file = argc, rc = LT_EXIT_OK, nfiles = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            lt__usage(stdout);
            return LT_EXIT_OK;
        } else if (!strcmp(a, "--edition") && i + 1 < argc) {
            if (lt__parse_edition(argv[i + 1], true, &v.force_ed)) {
                lt_cli_err(lt__cmd, "--edition must be 2012, 2026 or auto, not '%s'", argv[i + 1]);
                return LT_EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--list-mismatches")) {
            v.list = true;
        } else if (!strcmp(a, "--")) {
            first_file = i + 1;
            break;
        } else if (a[0] == '-' && a[1]) {
            lt_cli_err(lt__cmd, "verify: unknown or incomplete option '%s'", a);
            return LT_EXIT_USAGE;
        } else {
            first_file = i;
            break;
        }
    }
    if (first_file >= argc) {
        lt_cli_err(lt__cmd, "verify: no CNEMC file given");
        lt__usage(stderr);
        return LT_EXIT_USAGE;
    }
    struct lt_cnemc_handler h = {
        .ctx = &v, .cell = lt__verify_cell, .station = NULL, .reject = lt__verify_reject};
    for (int i = first_file; i < argc; i++) {
        struct lt_cnemc_stats st;
        struct lt_diag d = {0};
        v.path = argv[i];
        int r = lt_cnemc_read(argv[i], &h, &st, &d);
        if (r == 0 && st.layout == LT_CNEMC_STATIONS) {
            lt_cli_err(lt__cmd, "%s: a station list, not hourly data", argv[i]);
            rc = LT_EXIT_REJECTED;
        } else if (r) {
            lt_cli_err(lt__cmd, "%s", d.code ? d.msg : lt_strerror(r));
            rc = LT_EXIT_REJECTED;
            if (v.oom) {
                free(v.tab);
                return LT_EXIT_USAGE;
            }
        }
        /* Cells read before an error are checked too; a station-hour never spans files. */
        lt__verify_flush(&v);
        nfiles++;
    }
    if (v.rejected) {
        if (v.reject_shown > 20)
            lt_cli_err(lt__cmd, "%ld more rejections not shown", v.reject_shown - 20);
        rc = LT_EXIT_REJECTED;
    }
    lt__verify_report(&v, nfiles);
    free(v.tab);
    if (fflush(stdout))
        rc = LT_EXIT_REJECTED;
    return rc;
}

/* ---- entry ------------------------------------------------------------------------------- */

int lt_cmd_aqi(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "calc"))
        return lt__calc(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "verify"))
        return lt__verify(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        lt__usage(stdout);
        /* The store listing documents its own options. */
        return lt_cmd_aqi_db(argc, argv);
    }
    return lt_cmd_aqi_db(argc, argv);
}

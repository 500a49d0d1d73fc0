/* lantian import — CNEMC hourly files, CNEMC station lists and site registries into the store.
 *
 *   lantian import cnemc --db PATH [--stations CSV] [--shift-days N] [--until HOUR] FILE...
 *   lantian import sites --db PATH FILE
 *   lantian import shift-info --db PATH
 *
 * Raw values are never overwritten: a value already stored for the same site, factor and hour is
 * kept, and the offer is counted as "already present" (same value, a re-import) or as a conflict.
 * Each file is one transaction, so an interrupted import leaves whole files behind.
 *
 * The audit log (user "cli:<login>"): every site added or changed (a registry row, or a station of
 * a CNEMC station list) appends a "site_add" / "site_edit" row with the site before and after; a
 * CNEMC file that stored new values appends one "import_cnemc" row summarizing it (measurements
 * arrive, they are not edited: the row says which file and how many values). Each row is written
 * in the transaction of its file.
 * --shift-days N is a demonstration and training facility: every hour is moved by N whole days
 * (real data made to look current: scripts/demo.sh), and no hour after the cut (--until, default
 * the last full Beijing hour now) is stored, so nothing lies in the future. The shift is recorded
 * in the store's metadata (store.h: shift.*), printed, and shown by the API (/api/health). A store
 * holds one shift only: a different shift would move every hour onto a different stored hour, so
 * it is refused, and so is mixing shifted and unshifted data in one store.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "io/cnemc.h"
#include "lantian/util.h"
#include "store/store.h"

#define CMD "import"
/* Rejections printed per file; the rest are counted in the summary. A damaged national file could
 * otherwise print half a million lines. */
#define LT__PRINT_MAX 50

/* Summary reasons beyond the reader's own kinds. */
enum {
    LT__REJ_UNKNOWN_SITE = LT_CREJ_N, /* cells of a station not in the registry */
    LT__REJ_FILE,                     /* unreadable, truncated or unrecognised file */
    LT__REJ_SITEROW,                  /* invalid row of a site registry */
    LT__REJ_N
};

static const char *lt__rej_name(int k)
{
    switch (k) {
    case LT__REJ_UNKNOWN_SITE:
        return "station not in the registry (cells)";
    case LT__REJ_FILE:
        return "unreadable, truncated or unrecognised file";
    case LT__REJ_SITEROW:
        return "invalid site registry row";
    default:
        return lt_cnemc_reject_name((enum lt_cnemc_reject)k);
    }
}

struct lt__unknown {
    char code[16];
    long cells;
    long first_line;
};

struct lt__totals {
    long files, files_failed, rows, inserted, same, conflicts;
    long rejected[LT__REJ_N];
    long sites_new, sites_updated, sites_same;
    char user[64];  /* who the audit rows name: "cli:<login>" */
    int64_t now_ms; /* when (the import's start) */
    long after_cut; /* values later than the cut, not stored */
    /* Hours (hour-ending UTC, before any shift) of the first and last value stored or already
     * present; src_first > src_last when none. */
    int64_t src_first, src_last;
};

/* Moving the input in time (--shift-days, --until). */
struct lt__shift {
    bool on;        /* --shift-days given */
    long long days; /* whole days added to every hour */
    bool cut;       /* an --until cut applies (given, or the default of a shift) */
    int64_t until;  /* hour-ending UTC seconds: no later hour is stored */
};

/* The audit row of a site added (before NULL) or changed, in the caller's transaction. */
static int lt__site_audit(struct lt_store *st, const struct lt__totals *tot,
                          const struct lt_site *before, const struct lt_site *after)
{
    struct lt_audit_row r;
    char obj[64];
    int rc = lt_audit_row_open(&r);
    if (rc)
        return rc;
    if (before)
        lt_audit_site_json(r.b, before);
    lt_audit_site_json(r.a, after);
    snprintf(obj, sizeof obj, "site/%s", after->code);
    rc =
        lt_audit_row_append(&r, st, tot->now_ms, tot->user, before ? "site_edit" : "site_add", obj);
    lt_audit_row_free(&r);
    return rc;
}

/* State of the file being imported. */
struct lt__imp {
    struct lt_store *st;
    const char *path;
    int store_err; /* a store error stops the import */
    long inserted, same, conflicts, rejected, printed;
    struct lt__unknown *unk; /* station codes not in the registry, sorted by code */
    int nunk, capunk;
    long first_conflict_line;
    char conflict_site[16];
    struct lt__totals *tot;
    const struct lt__shift *shift;
};

static void lt__usage(FILE *f)
{
    fprintf(
        f,
        "usage: lantian import cnemc --db PATH [--stations CSV] [--shift-days N] [--until HOUR]\n"
        "                            FILE...\n"
        "       lantian import sites --db PATH FILE\n"
        "       lantian import shift-info --db PATH\n"
        "\n"
        "cnemc   CNEMC hourly station files, plain or .gz: the daily wide layout\n"
        "        (date,hour,type,<stations>) or the per-hour layout (timepoint,stationcode,...).\n"
        "        Stores the 1-h values of SO2, NO2, CO, O3, PM10, PM2.5 and the published AQI;\n"
        "        \"/\" (not monitored) is stored as NM. --stations first loads a CNEMC station\n"
        "        list (监测点编码,监测点名称,城市,...); cells of stations not in the registry are\n"
        "        rejected.\n"
        "sites   a site registry CSV with the header\n"
        "        code,name,city,county,province,lon,lat,eval,valid_from,valid_to[,township]\n"
        "        (eval Y/N; dates YYYY-MM-DD or empty for open; township 乡镇/街道, optional).\n"
        "\n"
        "--shift-days N  DEMO/TRAINING ONLY: move every hour by N whole days (e.g. real 2019\n"
        "        data made to reach today) and store no hour after the cut. The shift is recorded\n"
        "        in the store and shown by the API; a store holds one shift, and shifted and\n"
        "        unshifted data are never mixed in one store.\n"
        "--until HOUR  the cut: the last hour stored, Beijing time, labelled by the hour it ends\n"
        "        (\"2026-11-26 03:00\"); default with --shift-days: the last full hour now.\n"
        "shift-info  print the shift recorded in the store as key=value lines: shift_days\n"
        "        (none when its data are not shifted), until (the cut), source_first and\n"
        "        source_last (the input's hours, empty until an import finished), stored_last\n"
        "        (where source_last landed).\n"
        "\n"
        "Values already stored are never overwritten: re-importing a file changes nothing, and\n"
        "a different value offered for a stored hour is reported as a conflict and not stored.\n"
        "Every site added or changed, and every CNEMC file that stored new values, appends a row\n"
        "to the audit log (user cli:<login>) in the same transaction.\n"
        "\n"
        "exit status: 0 all stored, 1 some input rejected or in conflict (valid rows stored),\n"
        "             2 bad command line or the database cannot be opened.\n");
}

/* "1234567" -> "1,234,567". */
static const char *lt__num(long n, char *buf, size_t cap)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%ld", n < 0 ? -n : n);
    size_t o = 0;
    if (n < 0 && o + 1 < cap)
        buf[o++] = '-';
    for (int i = 0; i < len && o + 1 < cap; i++) {
        buf[o++] = tmp[i];
        if ((len - i - 1) % 3 == 0 && i != len - 1 && o + 1 < cap)
            buf[o++] = ',';
    }
    buf[o] = '\0';
    return buf;
}

static const char *lt__base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i past the value. */
static void lt__print_reject(struct lt__imp *m, const char *file, long line, const char *reason)
{
    m->rejected++;
    if (m->printed++ < LT__PRINT_MAX)
        fprintf(stderr, "lantian import: %s:%ld: %s\n", file, line, reason);
}

static void lt__on_reject(void *ctx, const char *file, long line, const char *reason)
{
    lt__print_reject(ctx, file, line, reason);
}

/* Count a cell of an unknown station (reported once per code at the end of the file). */
static int lt__unknown(struct lt__imp *m, struct lt_str code, long line)
{
    char c[16];
    lt_str_copy(c, sizeof c, code);
    int lo = 0, hi = m->nunk;
    while (lo < hi) {
        int mid = (lo + hi) / 2, r = strcmp(m->unk[mid].code, c);
        if (!r) {
            m->unk[mid].cells++;
            return 0;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (m->nunk == m->capunk) {
        int ncap = m->capunk ? m->capunk * 2 : 16;
        struct lt__unknown *nu = realloc(m->unk, sizeof *nu * (size_t)ncap);
        if (!nu)
            return LT_ENOMEM;
        m->unk = nu;
        m->capunk = ncap;
    }
    memmove(m->unk + lo + 1, m->unk + lo, sizeof *m->unk * (size_t)(m->nunk - lo));
    memcpy(m->unk[lo].code, c, sizeof c);
    m->unk[lo].cells = 1;
    m->unk[lo].first_line = line;
    m->nunk++;
    return 0;
}

static int lt__on_cell(void *ctx, const struct lt_cnemc_cell *c)
{
    struct lt__imp *m = ctx;
    const struct lt__shift *sh = m->shift;
    int factor;

    /* The derived fields (_24h, _8h) are recomputed by lantian from the 1-h values. */
    if (c->field == LT_CF_AQI)
        factor = LT_FACTOR_AQI_PUB;
    else if ((factor = lt_cnemc_field_pollutant(c->field)) < 0)
        return 0;
    if (c->state == LT_CELL_MISSING)
        return 0;

    /* Whole days keep every hour's place in the day (Beijing has no daylight saving). */
    int64_t ts = sh->on ? c->ts + (int64_t)sh->days * 86400 : c->ts;
    if (sh->cut && ts > sh->until) {
        m->tot->after_cut++;
        return 0;
    }
    char site[16];
    enum lt_put_result res;
    if (c->site.len >= sizeof site)
        return lt__unknown(m, c->site, c->line) ? LT_ENOMEM : 0;
    lt_str_copy(site, sizeof site, c->site);
    bool nm = c->state == LT_CELL_NM;
    int rc =
        lt_store_put_hourly(m->st, site, factor, ts, nm ? NAN : c->value, nm ? "NM" : NULL, &res);
    if (rc == LT_ENOTFOUND)
        return lt__unknown(m, c->site, c->line) ? LT_ENOMEM : 0;
    if (rc) {
        m->store_err = rc;
        return rc;
    }
    if (res != LT_PUT_CONFLICT) {
        if (c->ts < m->tot->src_first)
            m->tot->src_first = c->ts;
        if (c->ts > m->tot->src_last)
            m->tot->src_last = c->ts;
    }
    if (res == LT_PUT_INSERTED) {
        m->inserted++;
    } else if (res == LT_PUT_SAME) {
        m->same++;
    } else {
        if (!m->conflicts++) {
            m->first_conflict_line = c->line;
            lt_str_copy(m->conflict_site, sizeof m->conflict_site, c->site);
        }
    }
    return 0;
}

/* A station-list row: add the site or update what CNEMC publishes, keeping the county and validity
 * that only a site registry gives. */
static int lt__on_station(void *ctx, const struct lt_cnemc_station *cs)
{
    struct lt__imp *m = ctx;
    struct lt_site site;
    char code[16];
    bool changed;

    lt_str_copy(code, sizeof code, cs->code);
    int rc = lt_store_site_get(m->st, code, &site);
    if (rc == LT_ENOTFOUND) {
        memset(&site, 0, sizeof site);
        memcpy(site.code, code, sizeof code);
        site.valid_from = LT_DAY_OPEN_FROM;
        site.valid_to = LT_DAY_OPEN_TO;
    } else if (rc) {
        m->store_err = rc;
        return rc;
    }
    struct lt_site was = site;
    lt_str_copy(site.name, sizeof site.name, cs->name);
    lt_str_copy(site.city, sizeof site.city, cs->city);
    lt_str_copy(site.province, sizeof site.province, cs->province);
    site.lon = cs->lon;
    site.lat = cs->lat;
    site.is_eval = !cs->is_control;
    int existed = rc == 0;
    rc = lt_store_site_put(m->st, &site, &changed);
    if (!rc && changed)
        rc = lt__site_audit(m->st, m->tot, existed ? &was : NULL, &site);
    if (rc) {
        m->store_err = rc;
        return rc;
    }
    if (!existed)
        m->tot->sites_new++;
    else if (changed)
        m->tot->sites_updated++;
    else
        m->tot->sites_same++;
    return 0;
}

/* Import one file in one transaction. Returns 0, or a store error (fatal). */
static int lt__import_file(struct lt_store *st, const char *path, int idx, int nfiles,
                           struct lt__totals *tot, const struct lt__shift *shift)
{
    struct lt__imp m = {.st = st, .path = path, .tot = tot, .shift = shift};
    struct lt_cnemc_handler h = {
        .ctx = &m, .cell = lt__on_cell, .station = lt__on_station, .reject = lt__on_reject};
    struct lt_cnemc_stats cs;
    struct lt_diag d = {0};
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    long sites0 = tot->sites_new + tot->sites_updated + tot->sites_same;
    long new0 = tot->sites_new, upd0 = tot->sites_updated;
    int rc = lt_store_begin(st);
    if (rc) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return rc;
    }
    tot->files++;
    int rrc = lt_cnemc_read(path, &h, &cs, &d);
    if (m.store_err) {
        lt_cli_err(CMD, "%s: %s", path, lt_store_errmsg(st));
        lt_store_rollback(st);
        rc = m.store_err;
        goto out;
    }
    if (rrc == LT_ENOMEM) {
        lt_cli_err(CMD, "%s: out of memory", path);
        lt_store_rollback(st);
        rc = rrc;
        goto out;
    }
    /* A truncated gzip file keeps the rows before the damage; other failures stored nothing. */
    if (rrc) {
        lt_cli_err(CMD, "%s", d.msg);
        tot->files_failed++;
        tot->rejected[LT__REJ_FILE]++;
    }
    for (int k = 0; k < LT_CREJ_N; k++)
        tot->rejected[k] += cs.rejected_by[k];
    long unk = 0;
    for (int i = 0; i < m.nunk; i++) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "station %s is not in the registry: %s cells rejected "
                 "(import its station list or site registry first)",
                 m.unk[i].code, lt__num(m.unk[i].cells, b1, sizeof b1));
        lt__print_reject(&m, path, m.unk[i].first_line, msg);
        unk += m.unk[i].cells;
    }
    tot->rejected[LT__REJ_UNKNOWN_SITE] += unk;
    if (m.printed > LT__PRINT_MAX)
        fprintf(stderr, "lantian import: %s: %ld more rejections not shown\n", path,
                m.printed - LT__PRINT_MAX);
    if (m.conflicts) {
        fprintf(stderr,
                "lantian import: %s:%ld: %s values differ from those already stored "
                "(first: station %s); the stored values are kept\n",
                path, m.first_conflict_line, lt__num(m.conflicts, b1, sizeof b1), m.conflict_site);
    }
    long snew = tot->sites_new - new0, supd = tot->sites_updated - upd0;
    if (m.inserted || snew || supd) {
        /* One row per file that changed the store, in the file's transaction. */
        struct lt_audit_row r;
        char obj[128];
        static const char *const layouts[] = {"wide", "per-hour", "stations"};
        rc = lt_audit_row_open(&r);
        if (!rc) {
            /* The path as given, its last 1000 bytes when longer (an audit object holds at most
             * LT_AUDIT_JSON_MAX bytes), cut where a UTF-8 character starts. */
            const char *pp = path;
            size_t plen = strlen(path);
            if (plen > 1000) {
                pp = path + plen - 1000;
                while (((unsigned char)*pp & 0xC0) == 0x80)
                    pp++;
            }
            fputs("{\"file\": ", r.a);
            lt_json_str(r.a, pp);
            fprintf(r.a,
                    ", \"layout\": \"%s\", \"rows\": %ld, \"values_new\": %ld, "
                    "\"values_present\": %ld, \"conflicts\": %ld, \"rejected\": %ld, "
                    "\"sites_new\": %ld, \"sites_updated\": %ld, \"truncated\": %s}",
                    (unsigned)cs.layout < 3 ? layouts[cs.layout] : "?", cs.lines, m.inserted,
                    m.same, m.conflicts, cs.rejected + unk, snew, supd,
                    rrc == LT_ETRUNC ? "true" : "false");
            snprintf(obj, sizeof obj, "import/cnemc/%.100s", lt__base(path));
            rc = lt_audit_row_append(&r, st, tot->now_ms, tot->user, "import_cnemc", obj);
            lt_audit_row_free(&r);
        }
        if (rc) {
            lt_cli_err(CMD, "%s: audit log: %s", path,
                       rc == LT_ENOMEM ? "out of memory" : lt_store_errmsg(st));
            lt_store_rollback(st);
            goto out;
        }
    }
    rc = lt_store_commit(st);
    if (rc) {
        lt_cli_err(CMD, "%s: %s", path, lt_store_errmsg(st));
        lt_store_rollback(st);
        goto out;
    }
    tot->rows += cs.lines;
    tot->inserted += m.inserted;
    tot->same += m.same;
    tot->conflicts += m.conflicts;
    if (rrc && rrc != LT_ETRUNC) {
        fprintf(stderr, "[%d/%d] %s: not imported\n", idx, nfiles, lt__base(path));
    } else if (cs.layout == LT_CNEMC_STATIONS) {
        long ns = tot->sites_new + tot->sites_updated + tot->sites_same - sites0;
        fprintf(stderr, "[%d/%d] %s: %s stations, %s rejected\n", idx, nfiles, lt__base(path),
                lt__num(ns, b1, sizeof b1), lt__num(cs.rejected, b2, sizeof b2));
    } else {
        fprintf(stderr,
                "[%d/%d] %s: %s values (%s new, %s already present, %s conflicts), "
                "%s rejected%s\n",
                idx, nfiles, lt__base(path),
                lt__num(m.inserted + m.same + m.conflicts, b1, sizeof b1),
                lt__num(m.inserted, b2, sizeof b2), lt__num(m.same, b3, sizeof b3),
                lt__num(m.conflicts, b4, sizeof b4), lt__num(cs.rejected + unk, b5, sizeof b5),
                rrc ? " (file truncated)" : "");
    }
    rc = 0;
out:
    free(m.unk);
    return rc;
}

static void lt__summary(const struct lt__totals *t, const struct lt__shift *sh)
{
    char b[32];
    long rej = 0;
    for (int k = 0; k < LT__REJ_N; k++)
        rej += t->rejected[k];
    fprintf(stderr, "files:           %s", lt__num(t->files, b, sizeof b));
    fprintf(stderr, " (%s failed)\n", lt__num(t->files_failed, b, sizeof b));
    if (t->sites_new || t->sites_updated || t->sites_same) {
        fprintf(stderr, "sites:           %s new,", lt__num(t->sites_new, b, sizeof b));
        fprintf(stderr, " %s updated,", lt__num(t->sites_updated, b, sizeof b));
        fprintf(stderr, " %s unchanged\n", lt__num(t->sites_same, b, sizeof b));
    }
    fprintf(stderr, "rows read:       %s\n", lt__num(t->rows, b, sizeof b));
    fprintf(stderr, "values stored:   %s\n", lt__num(t->inserted, b, sizeof b));
    fprintf(stderr, "already present: %s\n", lt__num(t->same, b, sizeof b));
    fprintf(stderr, "conflicts:       %s (a different value is already stored; kept)\n",
            lt__num(t->conflicts, b, sizeof b));
    if (sh->cut) {
        char h[20];
        lt_bj_format_hour(sh->until, h, sizeof h);
        fprintf(stderr, "after the cut:   %s (later than %s Beijing time; not stored)\n",
                lt__num(t->after_cut, b, sizeof b), h);
    }
    if (sh->on && t->src_first <= t->src_last) {
        char f0[20], f1[20], s0[20], s1[20];
        int64_t d = (int64_t)sh->days * 86400;
        lt_bj_format_hour(t->src_first, f0, sizeof f0);
        lt_bj_format_hour(t->src_last, f1, sizeof f1);
        lt_bj_format_hour(t->src_first + d, s0, sizeof s0);
        lt_bj_format_hour(t->src_last + d, s1, sizeof s1);
        fprintf(stderr,
                "shifted:         %+lld days: the input's %s .. %s stored as %s .. %s "
                "(DEMO DATA, recorded in the store)\n",
                sh->days, f0, f1, s0, s1);
    }
    fprintf(stderr, "rejected:        %s\n", lt__num(rej, b, sizeof b));
    for (int k = 0; k < LT__REJ_N; k++)
        if (t->rejected[k])
            fprintf(stderr, "  %-40s %s\n", lt__rej_name(k), lt__num(t->rejected[k], b, sizeof b));
}

static int lt__exit_status(const struct lt__totals *t)
{
    for (int k = 0; k < LT__REJ_N; k++)
        if (t->rejected[k])
            return LT_EXIT_REJECTED;
    return t->conflicts || t->files_failed ? LT_EXIT_REJECTED : LT_EXIT_OK;
}

/* ---- site registry --------------------------------------------------------------------------- */

enum {
    RC_CODE,
    RC_NAME,
    RC_CITY,
    RC_COUNTY,
    RC_PROVINCE,
    RC_LON,
    RC_LAT,
    RC_EVAL,
    RC_FROM,
    RC_TO,
    RC_TOWNSHIP,
    RC_N
};
static const char *const lt__reg_cols[RC_N] = {
    "code", "name", "city",       "county",   "province", "lon",
    "lat",  "eval", "valid_from", "valid_to", "township",
};

static int lt__reg_double(struct lt_str s, double *v, double lim)
{
    s = lt_str_trim(s);
    if (!s.len) {
        *v = NAN;
        return 0;
    }
    if (lt_parse_double(s, v) || *v < -lim || *v > lim)
        return LT_EPARSE;
    return 0;
}

static int lt__reg_day(struct lt_str s, int32_t open, int32_t *day)
{
    s = lt_str_trim(s);
    if (!s.len) {
        *day = open;
        return 0;
    }
    if (s.len != 10)
        return LT_EPARSE;
    return lt_date_parse(s, day);
}

/* One registry row into the store. Returns 0, 1 when rejected (printed), or a store error. */
static int lt__reg_row(struct lt_store *st, const char *path, long ln, const int *col,
                       const struct lt_str *fl, struct lt__totals *tot)
{
    struct lt_str v[RC_N];
    struct lt_site site;
    const char *why = NULL;
    bool changed;

    for (int k = 0; k < RC_N; k++)
        v[k] = col[k] >= 0 ? lt_str_trim(fl[col[k]]) : (struct lt_str){"", 0};
    if (v[RC_CODE].len == 0 || v[RC_CODE].len > 15) {
        why = "code is empty or longer than 15 bytes";
        goto reject;
    }
    char code[16];
    lt_str_copy(code, sizeof code, v[RC_CODE]);
    int rc = lt_store_site_get(st, code, &site);
    if (rc == LT_ENOTFOUND) {
        memset(&site, 0, sizeof site);
        memcpy(site.code, code, sizeof code);
        site.lon = site.lat = NAN;
        site.is_eval = true;
        site.valid_from = LT_DAY_OPEN_FROM;
        site.valid_to = LT_DAY_OPEN_TO;
    } else if (rc) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return rc;
    }
    bool existed = rc == 0;
    struct lt_site was = site;
    /* Columns absent from the header keep what the store has; present ones are taken as given. */
    if (col[RC_NAME] >= 0)
        lt_str_copy(site.name, sizeof site.name, v[RC_NAME]);
    if (col[RC_CITY] >= 0)
        lt_str_copy(site.city, sizeof site.city, v[RC_CITY]);
    if (col[RC_COUNTY] >= 0)
        lt_str_copy(site.county, sizeof site.county, v[RC_COUNTY]);
    if (col[RC_PROVINCE] >= 0)
        lt_str_copy(site.province, sizeof site.province, v[RC_PROVINCE]);
    if (col[RC_TOWNSHIP] >= 0)
        lt_str_copy(site.township, sizeof site.township, v[RC_TOWNSHIP]);
    if (site.township[0] && !site.county[0]) {
        why = "a township needs a county (the region tree is province > city > county > township)";
        goto reject;
    }
    if ((col[RC_LON] >= 0 && lt__reg_double(v[RC_LON], &site.lon, 180)) ||
        (col[RC_LAT] >= 0 && lt__reg_double(v[RC_LAT], &site.lat, 90))) {
        why = "lon/lat is not a number of degrees";
        goto reject;
    }
    if (col[RC_EVAL] >= 0) {
        if (lt_str_ieq(v[RC_EVAL], "Y"))
            site.is_eval = true;
        else if (lt_str_ieq(v[RC_EVAL], "N"))
            site.is_eval = false;
        else if (v[RC_EVAL].len) {
            why = "eval is not Y or N";
            goto reject;
        }
    }
    if ((col[RC_FROM] >= 0 && lt__reg_day(v[RC_FROM], LT_DAY_OPEN_FROM, &site.valid_from)) ||
        (col[RC_TO] >= 0 && lt__reg_day(v[RC_TO], LT_DAY_OPEN_TO, &site.valid_to))) {
        why = "valid_from/valid_to is not a date YYYY-MM-DD";
        goto reject;
    }
    if (site.valid_from > site.valid_to) {
        why = "valid_from is after valid_to";
        goto reject;
    }
    rc = lt_store_site_put(st, &site, &changed);
    if (!rc && changed)
        rc = lt__site_audit(st, tot, existed ? &was : NULL, &site);
    if (rc) {
        lt_cli_err(CMD, "%s: %s", path, rc == LT_ENOMEM ? "out of memory" : lt_store_errmsg(st));
        return rc;
    }
    if (!existed)
        tot->sites_new++;
    else if (changed)
        tot->sites_updated++;
    else
        tot->sites_same++;
    return 0;
reject:
    fprintf(stderr, "lantian import: %s:%ld: %s\n", path, ln, why);
    tot->rejected[LT__REJ_SITEROW]++;
    return 1;
}

static int lt__import_sites(struct lt_store *st, const char *path, struct lt__totals *tot)
{
    char *text = NULL;
    size_t len = 0;
    struct lt_str *fl = NULL;
    int col[RC_N], nf = 0, rc = 0;
    long ln = 0;

    if (lt_cli_read_file(path, &text, &len)) {
        lt_cli_err(CMD, "%s: cannot read", path);
        tot->files_failed++;
        tot->rejected[LT__REJ_FILE]++;
        return 0;
    }
    tot->files++;
    rc = lt_store_begin(st);
    if (rc) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        goto out;
    }
    const char *p = text, *end = text + len;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    bool header = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        struct lt_str line = {p, (size_t)((nl ? nl : end) - p)};
        p = nl ? nl + 1 : end;
        ln++;
        line = lt_str_trim(line);
        if (!line.len)
            continue;
        if (header) {
            int bound = 1;
            for (size_t i = 0; i < line.len; i++)
                bound += line.p[i] == ',';
            nf = bound;
            fl = malloc(sizeof *fl * (size_t)(nf + 1));
            if (!fl) {
                rc = LT_ENOMEM;
                lt_cli_err(CMD, "out of memory");
                goto rollback;
            }
            int n = lt_csv_split(line, fl, nf + 1, NULL);
            if (n < 0) {
                lt_cli_err(CMD, "%s:%ld: malformed CSV header", path, ln);
                goto bad_file;
            }
            nf = n;
            for (int k = 0; k < RC_N; k++) {
                col[k] = -1;
                for (int i = 0; i < n; i++)
                    if (lt_str_ieq(lt_str_trim(fl[i]), lt__reg_cols[k]))
                        col[k] = i;
            }
            if (col[RC_CODE] < 0) {
                lt_cli_err(CMD,
                           "%s:%ld: not a site registry (want a header with code,name,city,"
                           "county,province,lon,lat,eval,valid_from,valid_to)",
                           path, ln);
                goto bad_file;
            }
            header = false;
            continue;
        }
        tot->rows++;
        int n = lt_csv_split(line, fl, nf + 1, NULL);
        if (n != nf) {
            if (n < 0)
                fprintf(stderr, "lantian import: %s:%ld: malformed CSV (unterminated quote)\n",
                        path, ln);
            else
                fprintf(stderr, "lantian import: %s:%ld: expected %d fields, found %d\n", path, ln,
                        nf, n);
            tot->rejected[n < 0 ? LT_CREJ_CSV : LT_CREJ_FIELDS]++;
            continue;
        }
        rc = lt__reg_row(st, path, ln, col, fl, tot);
        if (rc < 0)
            goto rollback;
        rc = 0;
    }
    if (header) {
        lt_cli_err(CMD, "%s: empty file", path);
        goto bad_file;
    }
    rc = lt_store_commit(st);
    if (rc) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        goto rollback;
    }
    goto out;
bad_file:
    tot->files_failed++;
    tot->rejected[LT__REJ_FILE]++;
    rc = 0;
rollback:
    lt_store_rollback(st);
out:
    free(fl);
    free(text);
    return rc;
}

/* ---- shifted imports (demo and training) ---------------------------------------------------- */

/* A recorded integer (shift.*) of the store: 0 and *v, LT_ENOTFOUND, or another error (printed). */
static int lt__meta_int(struct lt_store *st, const char *key, long long *v)
{
    char b[LT_META_VALUE_MAX];
    int rc = lt_store_meta_get(st, key, b, sizeof b);
    if (rc == LT_ENOTFOUND)
        return rc;
    if (rc) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return rc;
    }
    if (lt_parse_int(lt_str_of(b), INT64_MIN / 2, INT64_MAX / 2, v)) {
        lt_cli_err(CMD, "the store's metadata %s = '%s' is not a number", key, b);
        return LT_EPARSE;
    }
    return 0;
}

static int lt__meta_set_int(struct lt_store *st, const char *key, long long v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", v);
    int rc = lt_store_meta_put(st, key, b);
    if (rc)
        lt_cli_err(CMD, "cannot record %s: %s", key, lt_store_errmsg(st));
    return rc;
}

/* Before any file: refuse what would mix shifted and unshifted data, or two shifts, in one store;
 * record the shift and its cut (so that an interrupted import still says what its data are).
 * 0, or -1 after printing why. */
static int lt__shift_begin(struct lt_store *st, const char *db, const struct lt__shift *sh,
                           bool data_files)
{
    long long rec = 0, until = 0;
    int rc = lt__meta_int(st, "shift.days", &rec);
    if (rc && rc != LT_ENOTFOUND)
        return -1;
    bool recorded = rc == 0;
    if (!sh->on) {
        if (recorded && data_files) {
            lt_cli_err(CMD,
                       "%s is a demonstration store: its data are real data moved by %lld days; "
                       "unshifted data would mix with them (import them into another store, or "
                       "give --shift-days %lld)",
                       db, rec, rec);
            return -1;
        }
        return 0;
    }
    if (recorded && rec != sh->days) {
        lt_cli_err(CMD,
                   "%s holds data shifted by %lld days; a shift of %lld days would put every "
                   "hour on another stored hour (conflicts): import into a new store "
                   "(scripts/demo.sh rebuilds its store when the day changes)",
                   db, rec, sh->days);
        return -1;
    }
    if (!recorded) {
        int64_t last;
        rc = lt_store_last_hour(st, &last);
        if (rc == 0) {
            char h[20];
            lt_bj_format_hour(last, h, sizeof h);
            lt_cli_err(CMD,
                       "%s holds hourly values that were not shifted (up to %s); shifted "
                       "demonstration data would mix with them: import into a new store",
                       db, h);
            return -1;
        }
        if (rc != LT_ENOTFOUND) {
            lt_cli_err(CMD, "%s", lt_store_errmsg(st));
            return -1;
        }
    }
    rc = lt__meta_int(st, "shift.until", &until);
    if (rc && rc != LT_ENOTFOUND)
        return -1;
    if (rc == LT_ENOTFOUND || until < sh->until)
        until = sh->until;
    if (lt_store_begin(st)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return -1;
    }
    if (lt__meta_set_int(st, "shift.days", sh->days) ||
        lt__meta_set_int(st, "shift.until", until) || lt_store_commit(st)) {
        lt_cli_err(CMD, "%s: cannot record the shift: %s", db, lt_store_errmsg(st));
        lt_store_rollback(st);
        return -1;
    }
    char h[20];
    lt_bj_format_hour(sh->until, h, sizeof h);
    fprintf(stderr,
            "lantian import: DEMO DATA: every hour is moved by %+lld days, and nothing after %s "
            "(Beijing time) is stored; the shift is recorded in %s\n",
            sh->days, h, db);
    return 0;
}

/* After the files: widen the recorded range of input hours. 0 or -1 (printed). */
static int lt__shift_end(struct lt_store *st, const struct lt__totals *t)
{
    long long first = 0, last = 0;
    if (t->src_first > t->src_last)
        return 0;
    int r1 = lt__meta_int(st, "shift.src_first", &first);
    int r2 = lt__meta_int(st, "shift.src_last", &last);
    if ((r1 && r1 != LT_ENOTFOUND) || (r2 && r2 != LT_ENOTFOUND))
        return -1;
    if (r1 || t->src_first < first)
        first = t->src_first;
    if (r2 || t->src_last > last)
        last = t->src_last;
    if (lt_store_begin(st)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return -1;
    }
    if (lt__meta_set_int(st, "shift.src_first", first) ||
        lt__meta_set_int(st, "shift.src_last", last) || lt_store_commit(st)) {
        lt_store_rollback(st);
        return -1;
    }
    return 0;
}

/* lantian import shift-info --db PATH */
static int lt__shift_info(int argc, char **argv)
{
    const char *db = NULL;
    struct lt_store *st = NULL;
    struct lt_diag d = {0};
    int status = LT_EXIT_USAGE;
    for (int i = 2; i < argc; i++) {
        int r = lt_cli_opt(CMD, argc, argv, &i, "--db", &db);
        if (r < 0)
            return LT_EXIT_USAGE;
        if (r == 0) {
            lt_cli_err(CMD, "shift-info: unknown argument '%s'", argv[i]);
            return LT_EXIT_USAGE;
        }
    }
    if (!db) {
        lt_cli_err(CMD, "--db PATH is required");
        return LT_EXIT_USAGE;
    }
    if (lt_store_open(&st, db, &d)) {
        lt_cli_err(CMD, "cannot open database: %s", d.msg);
        return LT_EXIT_USAGE;
    }
    long long days, v;
    int rc = lt__meta_int(st, "shift.days", &days);
    if (rc == LT_ENOTFOUND) {
        printf("shift_days=none\n");
        status = LT_EXIT_OK;
        goto out;
    }
    if (rc)
        goto out;
    printf("shift_days=%lld\n", days);
    static const char *const keys[][2] = {{"shift.until", "until"},
                                          {"shift.src_first", "source_first"},
                                          {"shift.src_last", "source_last"}};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        char h[20] = "";
        rc = lt__meta_int(st, keys[k][0], &v);
        if (rc && rc != LT_ENOTFOUND)
            goto out;
        if (!rc)
            lt_bj_format_hour((int64_t)v, h, sizeof h);
        printf("%s=%s\n", keys[k][1], h);
        /* Where the input's last hour landed: the last hour the import stored. */
        if (k == 2) {
            if (!rc)
                lt_bj_format_hour((int64_t)v + (int64_t)days * 86400, h, sizeof h);
            printf("stored_last=%s\n", h);
        }
    }
    status = LT_EXIT_OK;
out:
    lt_store_close(st);
    return status;
}

/* --until HOUR, or the last full Beijing hour now (the clock is read here, at the edge). */
static int lt__parse_until(const char *v, int64_t *until)
{
    if (!v) {
        int64_t now = (int64_t)time(NULL);
        *until = now - now % 3600;
        return 0;
    }
    if (lt_bj_parse_hour(lt_str_of(v), until)) {
        lt_cli_err(CMD, "--until '%s': want a Beijing hour \"YYYY-MM-DD HH:00\"", v);
        return -1;
    }
    return 0;
}

/* ---- entry point ----------------------------------------------------------------------------- */

int lt_cmd_import(int argc, char **argv)
{
    const char *db = NULL, *stations = NULL, *shift_days = NULL, *until = NULL;
    struct lt__shift shift = {0};
    const char **files = NULL;
    int nfiles = 0, status = LT_EXIT_USAGE;
    struct lt_store *st = NULL;
    struct lt__totals tot;
    struct lt_diag d = {0};

    memset(&tot, 0, sizeof tot);
    tot.src_first = INT64_MAX;
    tot.src_last = INT64_MIN;
    if (argc < 2) {
        lt__usage(stderr);
        return LT_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        lt__usage(stdout);
        return LT_EXIT_OK;
    }
    if (!strcmp(argv[1], "shift-info"))
        return lt__shift_info(argc, argv);
    bool sites = !strcmp(argv[1], "sites");
    if (!sites && strcmp(argv[1], "cnemc")) {
        lt_cli_err(CMD, "unknown source '%s' (want cnemc, sites or shift-info)", argv[1]);
        lt__usage(stderr);
        return LT_EXIT_USAGE;
    }
    files = calloc((size_t)argc, sizeof *files);
    if (!files) {
        lt_cli_err(CMD, "out of memory");
        return LT_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            lt__usage(stdout);
            status = LT_EXIT_OK;
            goto out;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--db", &db)) != 0) {
            if (r < 0)
                goto out;
            continue;
        }
        if (!sites && (r = lt_cli_opt(CMD, argc, argv, &i, "--stations", &stations)) != 0) {
            if (r < 0)
                goto out;
            continue;
        }
        if (!sites && (r = lt_cli_opt(CMD, argc, argv, &i, "--shift-days", &shift_days)) != 0) {
            if (r < 0)
                goto out;
            continue;
        }
        if (!sites && (r = lt_cli_opt(CMD, argc, argv, &i, "--until", &until)) != 0) {
            if (r < 0)
                goto out;
            continue;
        }
        if (a[0] == '-' && a[1]) {
            lt_cli_err(CMD, "unknown option '%s'", a);
            goto out;
        }
        files[nfiles++] = a;
    }
    if (!db) {
        lt_cli_err(CMD, "--db PATH is required");
        goto out;
    }
    if (sites ? nfiles != 1 : nfiles == 0 && !stations) {
        lt_cli_err(CMD, sites ? "give exactly one registry file" : "no files to import");
        goto out;
    }
    if (shift_days) {
        /* A century either way is more than any demonstration needs. */
        if (lt_parse_int(lt_str_of(shift_days), -36525, 36525, &shift.days) || !shift.days) {
            lt_cli_err(CMD,
                       "--shift-days '%s': want a whole number of days, not 0, within "
                       "+-36525",
                       shift_days);
            goto out;
        }
        shift.on = true;
    }
    if (shift_days || until) {
        if (lt__parse_until(until, &shift.until))
            goto out;
        shift.cut = true;
    }
    if (lt_store_open(&st, db, &d)) {
        lt_cli_err(CMD, "cannot open database: %s", d.msg);
        goto out;
    }
    lt_audit_cli_user(tot.user, sizeof tot.user);
    tot.now_ms = lt_audit_now_ms();
    if (!sites && lt__shift_begin(st, db, &shift, nfiles > 0))
        goto out;

    if (sites) {
        if (lt__import_sites(st, files[0], &tot))
            goto fatal;
    } else {
        int total = nfiles + (stations ? 1 : 0), idx = 0;
        if (stations && lt__import_file(st, stations, ++idx, total, &tot, &shift))
            goto fatal;
        for (int i = 0; i < nfiles; i++)
            if (lt__import_file(st, files[i], ++idx, total, &tot, &shift))
                goto fatal;
        if (shift.on && lt__shift_end(st, &tot))
            goto fatal;
    }
    lt__summary(&tot, &shift);
    status = lt__exit_status(&tot);
    goto out;
fatal:
    lt__summary(&tot, &shift);
    /* The store failed under us (disk full, locked, ...): what was committed stays. */
    status = LT_EXIT_REJECTED;
out:
    lt_store_close(st);
    free(files);
    return status;
}

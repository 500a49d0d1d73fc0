/* lantian device — HJ 212 devices (数采仪): register, map factors, quarantine and adopt, health,
 * exceedances.
 *
 *   lantian device add --db PATH --mn MN --kind KIND (--site CODE | --outlet ID) [--pw PW]
 *                      [--crc std|modbus|modbus-le|any[,...]] [--source-type TYPE
 *                      [--limits-file FILE]]
 *   lantian device list --db PATH [--format table|csv|json]
 *   lantian device map --db PATH --mn MN [--code CODE [--pollutant P] [--unit U] [--scale X]]
 *   lantian device quarantine --db PATH [--format ...]
 *   lantian device adopt --db PATH --mn MN --kind KIND (--site CODE | --outlet ID) [--pw PW]
 * [--crc] lantian device health --db PATH [--mn MN] [--from YYYY-MM-DD --to YYYY-MM-DD] [--summary]
 *   lantian device exceedances --db PATH [--mn MN] [--format ...]
 *   lantian device values --db PATH --mn MN --from YYYY-MM-DD --to YYYY-MM-DD [--cn CN]
 *                         [--format ...]
 *
 * add, adopt and map change the registry: each appends its audit row (user "cli:<login>") in the
 * same transaction as the change.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "cli/rows.h"
#include "cli/table.h"
#include "lantian/hj212.h"
#include "lantian/util.h"
#include "store/store.h"

#define CMD "device"

static void lt__usage(FILE *f)
{
    fprintf(
        f,
        "usage: lantian device add --db PATH --mn MN --kind air|cems|dust|voc|power\n"
        "                          (--site CODE | --outlet ID) [--pw PW]\n"
        "                          [--crc std|modbus|modbus-le|any[,...]]\n"
        "                          [--source-type TYPE [--limits-file FILE]]\n"
        "       lantian device list --db PATH [--format table|csv|json]\n"
        "       lantian device map --db PATH --mn MN [--code CODE [--pollutant P]\n"
        "                          [--unit UNIT] [--scale X]] [--format ...]\n"
        "       lantian device quarantine --db PATH [--format ...]\n"
        "       lantian device adopt --db PATH --mn MN --kind KIND (--site CODE | --outlet ID)\n"
        "                          [--pw PW] [--crc ...] [--source-type TYPE ...]\n"
        "       lantian device health --db PATH [--mn MN] [--from YYYY-MM-DD --to YYYY-MM-DD]\n"
        "                          [--summary] [--format ...]\n"
        "       lantian device exceedances --db PATH [--mn MN] [--format ...]\n"
        "       lantian device values --db PATH --mn MN --from YYYY-MM-DD --to YYYY-MM-DD\n"
        "                          [--cn 2011|2051|2061|2031] [--format table|csv|json]\n"
        "\n"
        "Air-station devices (kind air) belong to a monitoring site of the registry; CEMS, dust,\n"
        "VOC and electricity devices to an enterprise outlet. --crc lists the CRC variants\n"
        "tolerated besides the standard one (HJ 212-2017 App. A): modbus (CRC-16/MODBUS, high\n"
        "byte first), modbus-le (low byte first), any (all); default std only.\n"
        "--source-type names the source type of a CEMS (or other) outlet, e.g. cement_kiln: the\n"
        "default emission limits of that type apply to its hourly values (an outlet's own limits\n"
        "win). It must be a type of the emission limits: the built-in config/emission_limits.ini,\n"
        "or --limits-file FILE (give the server the same file).\n"
        "Frames of unknown MNs are held in quarantine by the server; adopt registers such an MN.\n"
        "map without --code lists the device's mappings; value_stored = value_sent x scale.\n"
        "health shows frames and errors per hour (hour start, Beijing time) and, per device,\n"
        "completeness = hours with data / hours in range (the range given, else first .. last).\n");
}

struct lt__opts {
    const char *db, *mn, *kind, *site, *outlet, *pw, *crc, *format, *code, *pollutant, *unit,
        *scale, *from, *to, *source_type, *limits_file, *cn;
    bool summary;
};

/* Parse every option of every form; each form then checks it got only its own. */
static int lt__parse(int argc, char **argv, struct lt__opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int r = 0;
        if (!strcmp(a, "--summary")) {
            o->summary = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--db", &o->db)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--mn", &o->mn)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--kind", &o->kind)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--site", &o->site)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--outlet", &o->outlet)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--pw", &o->pw)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--crc", &o->crc)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--format", &o->format)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--code", &o->code)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--pollutant", &o->pollutant)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--unit", &o->unit)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--scale", &o->scale)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--from", &o->from)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--to", &o->to)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--source-type", &o->source_type)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--limits-file", &o->limits_file)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--cn", &o->cn))) {
            if (r < 0)
                return -1;
            continue;
        }
        lt_cli_err(CMD, "unknown argument '%s'", a);
        return -1;
    }
    if (!o->db) {
        lt_cli_err(CMD, "--db PATH is required");
        return -1;
    }
    return 0;
}

/* Options a form does not take, named for the message; NULL when all given ones are allowed. */
static const char *lt__extra(const struct lt__opts *o, const char *allowed)
{
    static const char *const names[] = {
        "mn",   "kind",      "site", "outlet", "pw",     "crc",         "code",        "scale",
        "unit", "pollutant", "from", "to",     "format", "source-type", "limits-file", "cn"};
    const char *vals[] = {o->mn,     o->kind,        o->site,        o->outlet,    o->pw,   o->crc,
                          o->code,   o->scale,       o->unit,        o->pollutant, o->from, o->to,
                          o->format, o->source_type, o->limits_file, o->cn};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!vals[i])
            continue;
        /* allowed is a list like " mn kind site ": match the name as a whole word. */
        char word[32];
        snprintf(word, sizeof word, " %s ", names[i]);
        if (!strstr(allowed, word))
            return names[i];
    }
    if (o->summary && !strstr(allowed, " summary "))
        return "summary";
    return NULL;
}

static int lt__format(const struct lt__opts *o)
{
    int fmt = lt_fmt_parse(o->format ? o->format : "table",
                           1u << LT_FMT_TABLE | 1u << LT_FMT_CSV | 1u << LT_FMT_JSON);
    if (fmt < 0)
        lt_cli_err(CMD, "unknown --format '%s' (want table, csv or json)", o->format);
    return fmt;
}

static bool lt__copy(char *dst, size_t cap, const char *src, const char *what)
{
    struct lt_str v = lt_str_trim(lt_str_of(src));
    if (v.len >= cap) {
        lt_cli_err(CMD, "--%s must be at most %zu bytes", what, cap - 1);
        return false;
    }
    lt_str_copy(dst, cap, v);
    return true;
}

/* The device described by the options of add and adopt. */
static int lt__device_of(const struct lt__opts *o, struct lt_device *d)
{
    static const char *const kinds[] = {"air", "cems", "dust", "voc", "power"};
    memset(d, 0, sizeof *d);
    if (!o->mn || !o->kind) {
        lt_cli_err(CMD, "need --mn MN and --kind air|cems|dust|voc|power");
        return -1;
    }
    bool known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        known = known || !strcmp(o->kind, kinds[i]);
    if (!known) {
        lt_cli_err(CMD, "unknown --kind '%s' (want air, cems, dust, voc or power)", o->kind);
        return -1;
    }
    if (!o->site == !o->outlet) {
        lt_cli_err(CMD, "give one of --site CODE (air stations) or --outlet ID (other kinds)");
        return -1;
    }
    if (!strcmp(o->kind, "air") ? !o->site : !o->outlet) {
        lt_cli_err(CMD, "a %s device needs %s", o->kind,
                   strcmp(o->kind, "air") ? "--outlet ID (an enterprise outlet)"
                                          : "--site CODE (a monitoring site)");
        return -1;
    }
    if (!lt__copy(d->mn, sizeof d->mn, o->mn, "mn") || !d->mn[0] ||
        !lt__copy(d->kind, sizeof d->kind, o->kind, "kind") ||
        (o->site && !lt__copy(d->site, sizeof d->site, o->site, "site")) ||
        (o->outlet && !lt__copy(d->outlet, sizeof d->outlet, o->outlet, "outlet")) ||
        (o->pw && !lt__copy(d->pw, sizeof d->pw, o->pw, "pw"))) {
        if (!d->mn[0])
            lt_cli_err(CMD, "--mn must not be empty");
        return -1;
    }
    if (o->source_type) {
        if (!strcmp(o->kind, "air")) {
            lt_cli_err(CMD, "an air-station device has no --source-type (it is for outlets)");
            return -1;
        }
        if (!lt__copy(d->source_type, sizeof d->source_type, o->source_type, "source-type"))
            return -1;
        if (!d->source_type[0]) {
            lt_cli_err(CMD, "--source-type must not be empty");
            return -1;
        }
    }
    if (o->limits_file && !o->source_type) {
        lt_cli_err(CMD, "--limits-file is only used to check --source-type");
        return -1;
    }
    if (lt_rows_crc_parse(o->crc, &d->crc_mask)) {
        lt_cli_err(CMD, "--crc '%s' is not a list of std, modbus, modbus-le, any", o->crc);
        return -1;
    }
    d->enabled = true;
    d->created_at = (int64_t)time(NULL);
    return 0;
}

/* A source type must be one the emission limits know (a type default of some section): a typo
 * would otherwise silently leave the outlet without limits. */
static int lt__check_source_type(const struct lt__opts *o, const char *type)
{
    struct lt_limits l;
    char origin[300];
    lt_limits_init(&l);
    if (lt_cli_load_limits(CMD, o->limits_file, &l, origin, sizeof origin))
        return -1;
    bool known = false;
    for (int i = 0; i < l.n && !known; i++)
        known = !strcmp(l.v[i].type, type);
    if (!known) {
        char list[512];
        size_t len = 0;
        list[0] = '\0';
        for (int i = 0; i < l.n; i++) {
            if (!l.v[i].type[0])
                continue;
            bool seen = false;
            for (int j = 0; j < i && !seen; j++)
                seen = !strcmp(l.v[j].type, l.v[i].type);
            if (seen)
                continue;
            int w = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", l.v[i].type);
            if (w < 0 || (size_t)w >= sizeof list - len)
                break;
            len += (size_t)w;
        }
        lt_cli_err(CMD, "unknown --source-type '%s': the emission limits (%s) know %s", type,
                   origin, list[0] ? list : "no source type");
    }
    lt_limits_release(&l);
    return known ? 0 : -1;
}

static void lt__describe(const struct lt_device *d, const char *what)
{
    char crc[48];
    lt_rows_crc_names(d->crc_mask, crc, sizeof crc);
    printf("device %s %s: %s, %s %s%s%s, CRC %s%s\n", d->mn, what, d->kind,
           d->site[0] ? "site" : "outlet", d->site[0] ? d->site : d->outlet,
           d->source_type[0] ? ", source type " : "", d->source_type, crc,
           d->pw[0] ? ", password checked" : "");
}

/* Register (or adopt) the device and append its audit row in one transaction: "device_add"
 * (before null, after the device) or, for an MN held in quarantine, "quarantine_adopt" (before
 * the quarantine entry). */
static int lt__add(struct lt_store *st, const struct lt__opts *o, bool adopt)
{
    struct lt_device d, cur;
    struct lt_quarantine qe;
    char user[64];
    const char *extra = lt__extra(o, " mn kind site outlet pw crc source-type limits-file ");
    if (extra) {
        lt_cli_err(CMD, "%s does not take --%s", adopt ? "adopt" : "add", extra);
        return LT_EXIT_USAGE;
    }
    if (lt__device_of(o, &d))
        return LT_EXIT_USAGE;
    if (d.source_type[0] && lt__check_source_type(o, d.source_type))
        return LT_EXIT_USAGE;
    lt_audit_cli_user(user, sizeof user);
    int64_t now_ms = lt_audit_now_ms();
    if (lt_store_begin(st)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    int rc = lt_store_device_get(st, d.mn, &cur);
    if (rc == 0) {
        lt_store_rollback(st);
        lt_cli_err(CMD, "device %s is registered already (%s)", d.mn, cur.kind);
        return LT_EXIT_USAGE;
    }
    if (rc == LT_ENOTFOUND)
        rc = lt_store_quarantine_get(st, d.mn, &qe);
    bool quarantined = rc == 0;
    if (rc && rc != LT_ENOTFOUND) {
        lt_store_rollback(st);
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    if (adopt && !quarantined) {
        lt_store_rollback(st);
        lt_cli_err(CMD,
                   "cannot adopt %s: it is not in quarantine (lantian device quarantine "
                   "lists the MNs held there)",
                   d.mn);
        return LT_EXIT_USAGE;
    }
    /* An MN the server has already seen is adopted, so its quarantine entry goes with it. */
    if (quarantined) {
        rc = lt_audit_adopt(st, &d, user, now_ms, NULL, NULL);
    } else {
        struct lt_audit_row r;
        char obj[64];
        rc = lt_store_device_put(st, &d);
        if (!rc)
            rc = lt_audit_row_open(&r);
        if (!rc) {
            lt_audit_device_json(r.a, &d, false);
            snprintf(obj, sizeof obj, "device/%s", d.mn);
            rc = lt_audit_row_append(&r, st, now_ms, user, "device_add", obj);
            lt_audit_row_free(&r);
        }
    }
    if (!rc)
        rc = lt_store_commit(st);
    if (rc) {
        lt_cli_err(CMD, "cannot %s %s: %s", adopt ? "adopt" : "add", d.mn,
                   rc == LT_ENOMEM ? "out of memory" : lt_store_errmsg(st));
        lt_store_rollback(st);
        return LT_EXIT_USAGE;
    }
    lt__describe(&d, adopt         ? "adopted from quarantine"
                     : quarantined ? "added (was in quarantine)"
                                   : "added");
    return LT_EXIT_OK;
}

static int lt__print(struct lt_table *t, int fmt)
{
    lt_table_print(t, stdout, (enum lt_fmt)fmt);
    lt_table_free(t);
    return LT_EXIT_OK;
}

static int lt__list(struct lt_store *st, const struct lt__opts *o)
{
    const char *extra = lt__extra(o, " format ");
    int fmt = lt__format(o);
    if (extra || fmt < 0) {
        if (extra)
            lt_cli_err(CMD, "list does not take --%s", extra);
        return LT_EXIT_USAGE;
    }
    struct lt_device *v = NULL;
    int n = 0;
    if (lt_store_devices(st, &v, &n)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    struct lt_table *t = lt_rows_new(LT_ROWS_DEVICE);
    for (int i = 0; t && i < n; i++)
        if (lt_rows_device(t, &v[i])) {
            lt_table_free(t);
            t = NULL;
        }
    free(v);
    if (!t) {
        lt_cli_err(CMD, "out of memory");
        return LT_EXIT_USAGE;
    }
    return lt__print(t, fmt);
}

static int lt__map(struct lt_store *st, const struct lt__opts *o)
{
    static const char *const hdr[] = {"mn", "code", "pollutant", "unit", "scale"};
    const char *extra = lt__extra(o, " mn code pollutant unit scale format ");
    int fmt = lt__format(o);
    if (extra || fmt < 0 || !o->mn) {
        if (extra)
            lt_cli_err(CMD, "map does not take --%s", extra);
        else if (!o->mn)
            lt_cli_err(CMD, "map needs --mn MN");
        return LT_EXIT_USAGE;
    }
    if (o->code) {
        struct lt_device_factor f;
        memset(&f, 0, sizeof f);
        f.pollutant = -1;
        f.scale = 1;
        if (!lt__copy(f.mn, sizeof f.mn, o->mn, "mn") ||
            !lt__copy(f.code, sizeof f.code, o->code, "code") ||
            (o->unit && !lt__copy(f.unit, sizeof f.unit, o->unit, "unit")))
            return LT_EXIT_USAGE;
        if (o->pollutant) {
            f.pollutant = lt_pollutant_parse(o->pollutant, strlen(o->pollutant));
            if (f.pollutant < 0) {
                lt_cli_err(CMD, "unknown --pollutant '%s' (SO2, NO2, CO, O3, PM10, PM2.5)",
                           o->pollutant);
                return LT_EXIT_USAGE;
            }
        }
        if (o->scale && (lt_parse_double(lt_str_of(o->scale), &f.scale) || !isfinite(f.scale) ||
                         f.scale <= 0)) {
            lt_cli_err(CMD, "--scale '%s' is not a positive number", o->scale);
            return LT_EXIT_USAGE;
        }
        /* The mapping and its audit row ("device_factor": before the mapping it replaces)
         * in one transaction. */
        struct lt_device_factor *old = NULL;
        int nold = 0, rc = lt_store_begin(st);
        char user[64], obj[128];
        struct lt_audit_row r;
        lt_audit_cli_user(user, sizeof user);
        if (!rc)
            rc = lt_store_device_factors(st, f.mn, &old, &nold);
        if (!rc)
            rc = lt_store_device_factor_put(st, &f);
        if (!rc)
            rc = lt_audit_row_open(&r);
        if (!rc) {
            bool same = false;
            for (int i = 0; i < nold; i++)
                if (!strcmp(old[i].code, f.code)) {
                    lt_audit_factor_json(r.b, &old[i]);
                    same = old[i].pollutant == f.pollutant && !strcmp(old[i].unit, f.unit) &&
                           old[i].scale == f.scale;
                }
            lt_audit_factor_json(r.a, &f);
            snprintf(obj, sizeof obj, "device/%s/factor/%s", f.mn, f.code);
            /* Mapping a factor again as it was is not a change: no row. */
            if (!same)
                rc = lt_audit_row_append(&r, st, lt_audit_now_ms(), user, "device_factor", obj);
            lt_audit_row_free(&r);
        }
        free(old);
        if (!rc)
            rc = lt_store_commit(st);
        if (rc) {
            lt_cli_err(CMD, "cannot map %s of %s: %s", f.code, f.mn,
                       rc == LT_ENOMEM ? "out of memory" : lt_store_errmsg(st));
            lt_store_rollback(st);
            return LT_EXIT_USAGE;
        }
        printf("device %s: %s -> %s, x %g%s%s\n", f.mn, f.code,
               f.pollutant >= 0 ? lt_pollutant_name((enum lt_pollutant)f.pollutant)
                                : "(no pollutant)",
               f.scale, f.unit[0] ? ", sent in " : "", f.unit);
        return LT_EXIT_OK;
    }
    if (o->pollutant || o->unit || o->scale) {
        lt_cli_err(CMD, "--pollutant, --unit and --scale need --code");
        return LT_EXIT_USAGE;
    }
    struct lt_device dev;
    if (lt_store_device_get(st, o->mn, &dev)) {
        lt_cli_err(CMD, "no device with MN %s", o->mn);
        return LT_EXIT_USAGE;
    }
    struct lt_device_factor *v = NULL;
    int n = 0;
    if (lt_store_device_factors(st, o->mn, &v, &n)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    struct lt_table *t = lt_table_new(5, hdr);
    for (int i = 0; t && i < n; i++) {
        if (lt_table_row(t)) {
            lt_table_free(t);
            t = NULL;
            break;
        }
        lt_table_str(t, 0, v[i].mn);
        lt_table_str(t, 1, v[i].code);
        if (v[i].pollutant >= 0)
            lt_table_str(t, 2, lt_pollutant_name((enum lt_pollutant)v[i].pollutant));
        if (v[i].unit[0])
            lt_table_str(t, 3, v[i].unit);
        /* The scale is configuration, printed as entered (6 decimals cover 1e-6). */
        lt_table_num(t, 4, lt_round_half_even(v[i].scale, 6), 6);
    }
    free(v);
    if (!t) {
        lt_cli_err(CMD, "out of memory");
        return LT_EXIT_USAGE;
    }
    return lt__print(t, fmt);
}

static int lt__quarantine(struct lt_store *st, const struct lt__opts *o)
{
    const char *extra = lt__extra(o, " format ");
    int fmt = lt__format(o);
    if (extra || fmt < 0) {
        if (extra)
            lt_cli_err(CMD, "quarantine does not take --%s", extra);
        return LT_EXIT_USAGE;
    }
    struct lt_quarantine *v = NULL;
    int n = 0;
    if (lt_store_quarantine_list(st, &v, &n)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    struct lt_table *t = lt_rows_new(LT_ROWS_QUARANTINE);
    for (int i = 0; t && i < n; i++)
        if (lt_rows_quarantine(t, &v[i])) {
            lt_table_free(t);
            t = NULL;
        }
    free(v);
    if (!t) {
        lt_cli_err(CMD, "out of memory");
        return LT_EXIT_USAGE;
    }
    return lt__print(t, fmt);
}

/* Error buckets of lt_health_row.errors (store.h): 0 the server's reasons, then lt_hj212_reject. */
static const char *const lt__bucket[8] = {"server",  "garbage",    "length", "too_long",
                                          "trailer", "crc_format", "crc",    "syntax"};

/* --from and --to as Beijing days d0 <= d1; -1 (said why) otherwise. */
static int lt__days(const struct lt__opts *o, int32_t *d0, int32_t *d1)
{
    if (!o->from || !o->to || lt_date_parse(lt_str_of(o->from), d0) ||
        lt_date_parse(lt_str_of(o->to), d1) || *d1 < *d0) {
        lt_cli_err(CMD, "--from and --to must both be YYYY-MM-DD dates, from <= to");
        return -1;
    }
    return 0;
}

static int lt__health(struct lt_store *st, const struct lt__opts *o)
{
    static const char *const hdr[] = {"mn",     "hour_start", "frames",   "values",
                                      "errors", "reasons",    "last_peer"};
    static const char *const shdr[] = {
        "mn",     "hours_with_data", "hours_in_range", "completeness_pct", "frames",
        "errors", "last_seen",       "last_peer",      "frames_today"};
    const char *extra = lt__extra(o, " mn from to summary format ");
    int fmt = lt__format(o);
    if (extra || fmt < 0) {
        if (extra)
            lt_cli_err(CMD, "health does not take --%s", extra);
        return LT_EXIT_USAGE;
    }
    int64_t h0 = INT64_MIN, h1 = INT64_MAX;
    int32_t d0 = 0, d1 = 0;
    bool ranged = o->from || o->to;
    if (ranged) {
        if (lt__days(o, &d0, &d1))
            return LT_EXIT_USAGE;
        /* HJ 212 hours are labelled by their start (DataTime, HJ 212-2017 Table 4): the hours of
         * the Beijing days d0 .. d1 start at 00:00 of d0 and at 23:00 of d1 last. */
        h0 = lt_bj_to_utc(d0, 0);
        h1 = lt_bj_to_utc(d1, 24) - 3600;
    }
    struct lt_health_row *v = NULL;
    int n = 0;
    if (lt_store_health(st, o->mn, h0, h1, &v, &n)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    struct lt_table *t = lt_table_new(7, hdr), *s = lt_table_new(9, shdr);
    /* "Today" is the Beijing day of the clock now (health hours are receive hours). */
    int64_t now = (int64_t)time(NULL);
    int32_t today = (int32_t)((now + LT_BJ_OFFSET_S) / 86400);
    int64_t today0 = lt_bj_to_utc(today, 0), today1 = lt_bj_to_utc(today, 24);
    bool oom = !t || !s;
    for (int i = 0; !oom && i < n; i++) {
        char b[24], reasons[160];
        int64_t err = 0;
        size_t len = 0;
        reasons[0] = '\0';
        for (int k = 0; k < 8; k++) {
            err += v[i].errors[k];
            if (v[i].errors[k] && len < sizeof reasons) {
                int w = snprintf(reasons + len, sizeof reasons - len, "%s%s:%lld", len ? " " : "",
                                 lt__bucket[k], (long long)v[i].errors[k]);
                len = w < 0 ? sizeof reasons : len + (size_t)w;
            }
        }
        if (lt_table_row(t)) {
            oom = true;
            break;
        }
        lt_table_str(t, 0, v[i].mn);
        lt_bj_format_time(v[i].hour, b, sizeof b);
        lt_table_str(t, 1, b);
        lt_table_int(t, 2, v[i].frames);
        lt_table_int(t, 3, v[i].values);
        lt_table_int(t, 4, err);
        if (reasons[0])
            lt_table_str(t, 5, reasons);
        if (v[i].last_peer[0])
            lt_table_str(t, 6, v[i].last_peer);
    }
    /* Completeness per device (rows come ordered by MN, then hour). */
    for (int i = 0; !oom && i < n;) {
        int j = i;
        int64_t with = 0, frames = 0, errs = 0, last_ms = 0, ftoday = 0;
        const char *last_peer = "";
        for (; j < n && !strcmp(v[j].mn, v[i].mn); j++) {
            with += v[j].frames > 0;
            frames += v[j].frames;
            if (v[j].hour >= today0 && v[j].hour < today1)
                ftoday += v[j].frames;
            if (v[j].last_ms > last_ms) {
                last_ms = v[j].last_ms;
                last_peer = v[j].last_peer;
            }
            for (int k = 0; k < 8; k++)
                errs += v[j].errors[k];
        }
        int64_t hours =
            ranged ? (int64_t)(d1 - d0 + 1) * 24 : (v[j - 1].hour - v[i].hour) / 3600 + 1;
        if (lt_table_row(s)) {
            oom = true;
            break;
        }
        lt_table_str(s, 0, v[i].mn);
        lt_table_int(s, 1, with);
        lt_table_int(s, 2, hours);
        /* A percentage to one decimal, rounded here (half to even), not by printf. */
        lt_table_num(s, 3, lt_round_half_even(100.0 * (double)with / (double)hours, 1), 1);
        lt_table_int(s, 4, frames);
        lt_table_int(s, 5, errs);
        if (last_ms > 0) {
            char b[24];
            lt_bj_format_time(last_ms / 1000, b, sizeof b);
            lt_table_str(s, 6, b);
        }
        if (last_peer[0])
            lt_table_str(s, 7, last_peer);
        lt_table_int(s, 8, ftoday);
        i = j;
    }
    free(v);
    if (oom) {
        lt_table_free(t);
        lt_table_free(s);
        lt_cli_err(CMD, "out of memory");
        return LT_EXIT_USAGE;
    }
    if (!o->summary) {
        lt_table_print(t, stdout, (enum lt_fmt)fmt);
        if (fmt == LT_FMT_TABLE)
            fputc('\n', stdout);
    }
    if (o->summary || fmt == LT_FMT_TABLE)
        lt_table_print(s, stdout, (enum lt_fmt)fmt);
    lt_table_free(t);
    lt_table_free(s);
    return LT_EXIT_OK;
}

static int lt__exceedances(struct lt_store *st, const struct lt__opts *o)
{
    const char *extra = lt__extra(o, " mn format ");
    int fmt = lt__format(o);
    if (extra || fmt < 0) {
        if (extra)
            lt_cli_err(CMD, "exceedances does not take --%s", extra);
        return LT_EXIT_USAGE;
    }
    struct lt_exceedance *v = NULL;
    int n = 0;
    if (lt_store_exceedances(st, o->mn, &v, &n)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    struct lt_table *t = lt_rows_new(LT_ROWS_EXCEEDANCE);
    for (int i = 0; t && i < n; i++)
        if (lt_rows_exceedance(t, &v[i])) {
            lt_table_free(t);
            t = NULL;
        }
    free(v);
    if (!t) {
        lt_cli_err(CMD, "out of memory");
        return LT_EXIT_USAGE;
    }
    return lt__print(t, fmt);
}

/* The values a device sent (CN 2011 real-time, 2051 minute, 2061 hourly, 2031 daily), as stored:
 * each value as sent and after the factor's scale, with its flag and the raw archive row. */
#define LT__VALUES_MAX_DAYS 31

static int lt__values(struct lt_store *st, const struct lt__opts *o)
{
    const char *extra = lt__extra(o, " mn from to cn format ");
    int fmt = lt__format(o);
    if (extra || fmt < 0) {
        if (extra)
            lt_cli_err(CMD, "values does not take --%s", extra);
        return LT_EXIT_USAGE;
    }
    int32_t d0 = 0, d1 = 0;
    long long cn = 0;
    if (!o->mn) {
        lt_cli_err(CMD, "values needs --mn MN");
        return LT_EXIT_USAGE;
    }
    if (lt__days(o, &d0, &d1))
        return LT_EXIT_USAGE;
    if (d1 - d0 + 1 > LT__VALUES_MAX_DAYS) {
        lt_cli_err(CMD, "--from .. --to: at most %d days at a time", LT__VALUES_MAX_DAYS);
        return LT_EXIT_USAGE;
    }
    if (o->cn && (lt_parse_int(lt_str_of(o->cn), 0, 9999, &cn) ||
                  (cn != 2011 && cn != 2051 && cn != 2061 && cn != 2031))) {
        lt_cli_err(CMD,
                   "--cn: one of 2011 (real-time), 2051 (minute), 2061 (hourly), 2031 "
                   "(daily); '%s' is not",
                   o->cn);
        return LT_EXIT_USAGE;
    }
    /* DataTime is Beijing time in the frame (HJ 212-2017 Table 4): the Beijing days d0 .. d1. */
    struct lt_table *t = lt_rows_new(LT_ROWS_DEV_VALUE);
    if (!t) {
        lt_cli_err(CMD, "out of memory");
        return LT_EXIT_USAGE;
    }
    int rc = lt_store_dev_value_list(st, o->mn, (int)cn, lt_bj_to_utc(d0, 0),
                                     lt_bj_to_utc(d1, 24) - 1, lt_rows_dev_value, t);
    if (rc) {
        lt_table_free(t);
        lt_cli_err(CMD, "%s", rc == LT_ENOMEM ? "out of memory" : lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    return lt__print(t, fmt);
}

int lt_cmd_device(int argc, char **argv)
{
    struct lt__opts o;
    struct lt_store *st = NULL;
    struct lt_diag d = {0};
    int status;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        lt__usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? LT_EXIT_USAGE : LT_EXIT_OK;
    }
    const char *sub = argv[1];
    static const char *const subs[] = {"add",   "list",   "map",    "quarantine",
                                       "adopt", "health", "values", "exceedances"};
    bool known = false;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        known = known || !strcmp(sub, subs[i]);
    if (!known) {
        lt_cli_err(CMD, "unknown subcommand '%s'", sub);
        lt__usage(stderr);
        return LT_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            lt__usage(stdout);
            return LT_EXIT_OK;
        }
    if (lt__parse(argc, argv, &o))
        return LT_EXIT_USAGE;
    if (lt_store_open(&st, o.db, &d)) {
        lt_cli_err(CMD, "cannot open database: %s", d.msg);
        return LT_EXIT_USAGE;
    }
    if (!strcmp(sub, "add"))
        status = lt__add(st, &o, false);
    else if (!strcmp(sub, "adopt"))
        status = lt__add(st, &o, true);
    else if (!strcmp(sub, "list"))
        status = lt__list(st, &o);
    else if (!strcmp(sub, "map"))
        status = lt__map(st, &o);
    else if (!strcmp(sub, "quarantine"))
        status = lt__quarantine(st, &o);
    else if (!strcmp(sub, "health"))
        status = lt__health(st, &o);
    else if (!strcmp(sub, "values"))
        status = lt__values(st, &o);
    else
        status = lt__exceedances(st, &o);
    lt_store_close(st);
    return status;
}

/* lantian — rows of the audit log, built the same way by the CLI and the HTTP API (audit.h). */
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/audit.h"
#include "cli/table.h"
#include "lantian/util.h"

void lt_audit_cli_user(char *buf, size_t cap)
{
    /* The effective user's entry first: the environment can be set to anything, the uid cannot.
     * Containers without a passwd entry fall back to the login the shell reports. */
    const struct passwd *pw = getpwuid(geteuid());
    const char *name = pw && pw->pw_name && pw->pw_name[0] ? pw->pw_name : NULL;
    if (!name) {
        const char *e = getenv("LOGNAME");
        name = e && e[0] ? e : NULL;
    }
    if (!name) {
        const char *e = getenv("USER");
        name = e && e[0] ? e : NULL;
    }
    if (cap > 64)
        cap = 64; /* the log's user column holds 63 bytes */
    if (name)
        snprintf(buf, cap, "cli:%s", name);
    else
        snprintf(buf, cap, "cli:uid%lu", (unsigned long)geteuid());
}

int64_t lt_audit_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A number as stored (17 significant digits give the double back); NaN is null. */
static void lt__num(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.17g", v);
}

static void lt__str_or_null(FILE *f, const char *s)
{
    if (s && s[0])
        lt_json_str(f, s);
    else
        fputs("null", f);
}

static void lt__day(FILE *f, int32_t day, int32_t open)
{
    char b[16];
    if (day == open) {
        fputs("null", f);
        return;
    }
    lt_date_format(day, b, sizeof b);
    lt_json_str(f, b);
}

void lt_audit_site_json(FILE *f, const struct lt_site *s)
{
    fputs("{\"code\": ", f);
    lt_json_str(f, s->code);
    fputs(", \"name\": ", f);
    lt_json_str(f, s->name);
    fputs(", \"province\": ", f);
    lt_json_str(f, s->province);
    fputs(", \"city\": ", f);
    lt_json_str(f, s->city);
    fputs(", \"county\": ", f);
    lt_json_str(f, s->county);
    fputs(", \"township\": ", f);
    lt_json_str(f, s->township);
    fputs(", \"lon\": ", f);
    lt__num(f, s->lon);
    fputs(", \"lat\": ", f);
    lt__num(f, s->lat);
    fprintf(f, ", \"is_eval\": %s, \"valid_from\": ", s->is_eval ? "true" : "false");
    lt__day(f, s->valid_from, LT_DAY_OPEN_FROM);
    fputs(", \"valid_to\": ", f);
    lt__day(f, s->valid_to, LT_DAY_OPEN_TO);
    fputc('}', f);
}

void lt_audit_device_json(FILE *f, const struct lt_device *d, bool password_changed)
{
    char cb[32];
    fputs("{\"mn\": ", f);
    lt_json_str(f, d->mn);
    fputs(", \"kind\": ", f);
    lt_json_str(f, d->kind);
    fputs(", \"site\": ", f);
    lt__str_or_null(f, d->site);
    fputs(", \"outlet\": ", f);
    lt__str_or_null(f, d->outlet);
    fputs(", \"source_type\": ", f);
    lt__str_or_null(f, d->source_type);
    lt_bj_format_time(d->created_at, cb, sizeof cb);
    fprintf(f, ", \"crc_mask\": %u, \"enabled\": %s, \"password_set\": %s, \"created_at\": ",
            d->crc_mask, d->enabled ? "true" : "false", d->pw[0] ? "true" : "false");
    lt_json_str(f, cb);
    /* A new password is a change the log must show, without showing the password. */
    if (password_changed)
        fputs(", \"password_changed\": true", f);
    fputc('}', f);
}

void lt_audit_quarantine_json(FILE *f, const struct lt_quarantine *e)
{
    char fb[32], lb[32];
    lt_bj_format_time(e->first_ms / 1000, fb, sizeof fb);
    lt_bj_format_time(e->last_ms / 1000, lb, sizeof lb);
    fputs("{\"mn\": ", f);
    lt_json_str(f, e->mn);
    fputs(", \"first_seen\": ", f);
    lt_json_str(f, fb);
    fputs(", \"last_seen\": ", f);
    lt_json_str(f, lb);
    fprintf(f, ", \"frames\": %lld, \"last_peer\": ", (long long)e->frames);
    lt_json_str(f, e->last_peer);
    fprintf(f, ", \"last_raw_id\": %lld}", (long long)e->last_raw_id);
}

void lt_audit_factor_json(FILE *f, const struct lt_device_factor *x)
{
    fputs("{\"mn\": ", f);
    lt_json_str(f, x->mn);
    fputs(", \"code\": ", f);
    lt_json_str(f, x->code);
    fputs(", \"pollutant\": ", f);
    lt__str_or_null(f,
                    x->pollutant >= 0 ? lt_pollutant_name((enum lt_pollutant)x->pollutant) : NULL);
    fputs(", \"unit\": ", f);
    lt__str_or_null(f, x->unit);
    fputs(", \"scale\": ", f);
    lt__num(f, x->scale);
    fputc('}', f);
}

void lt_audit_user_json(FILE *f, const struct lt_user *u)
{
    char cb[32];
    lt_bj_format_time(u->created_at, cb, sizeof cb);
    fputs("{\"name\": ", f);
    lt_json_str(f, u->name);
    fputs(", \"role\": ", f);
    lt_json_str(f, u->role);
    fputs(", \"province\": ", f);
    lt_json_str(f, u->province);
    fputs(", \"city\": ", f);
    lt_json_str(f, u->city);
    fputs(", \"county\": ", f);
    lt_json_str(f, u->county);
    fputs(", \"township\": ", f);
    lt_json_str(f, u->township);
    fprintf(f, ", \"disabled\": %s, \"created_at\": ", u->disabled ? "true" : "false");
    lt_json_str(f, cb);
    fputc('}', f);
}

void lt_audit_target_value(char *buf, size_t cap, int kind, double v, bool strict)
{
    /* Floors (good days, their ratio) are "at least"; strictly above is written ">". */
    bool floor_kind = kind == LT_TGT_GOOD_RATIO || kind == LT_TGT_GOOD_DAYS;
    if (isnan(v))
        snprintf(buf, cap, "%s", "");
    else
        snprintf(buf, cap, "%s%.15g", strict ? (floor_kind ? ">" : "<") : "", v);
}

void lt_audit_target_json(FILE *f, const struct lt_target *t)
{
    static const char *const keys[LT_TGT_N] = {"pm25",      "pm10",        "good_ratio",
                                               "good_days", "heavy_ratio", "index"};
    fputs("{\"area\": ", f);
    lt_json_str(f, t->area);
    fprintf(f, ", \"year\": %d, \"name\": ", t->year);
    lt_json_str(f, t->name);
    fputs(", \"ruleset\": ", f);
    lt__str_or_null(f, t->ruleset);
    fputs(", \"source\": ", f);
    lt__str_or_null(f, t->source);
    for (int k = 0; k < LT_TGT_N; k++) {
        char v[40];
        lt_audit_target_value(v, sizeof v, k, t->value[k], t->strict[k]);
        fprintf(f, ", \"%s\": ", keys[k]);
        lt__str_or_null(f, v);
    }
    fputc('}', f);
}

void lt_audit_correction_before(FILE *f, const char *site, int factor, int64_t ts, double old)
{
    char tb[24];
    lt_bj_format_hour(ts, tb, sizeof tb);
    fputs("{\"site\": ", f);
    lt_json_str(f, site);
    fprintf(f, ", \"pollutant\": \"%s\", \"time\": \"%s\", \"value\": ",
            lt_pollutant_name((enum lt_pollutant)factor), tb);
    lt__num(f, old);
    fputc('}', f);
}

void lt_audit_correction_after(FILE *f, int64_t id, const char *site, int factor, int64_t ts,
                               double value, const char *who, const char *why)
{
    char tb[24];
    lt_bj_format_hour(ts, tb, sizeof tb);
    fprintf(f, "{\"correction_id\": %lld, \"site\": ", (long long)id);
    lt_json_str(f, site);
    fprintf(f, ", \"pollutant\": \"%s\", \"time\": \"%s\", \"value\": ",
            lt_pollutant_name((enum lt_pollutant)factor), tb);
    lt__num(f, value);
    fputs(", \"who\": ", f);
    lt_json_str(f, who);
    fputs(", \"why\": ", f);
    lt_json_str(f, why);
    fputc('}', f);
}

int lt_audit_dust_json(struct lt_store *st, const char *area, int32_t d0, int32_t d1, char **out)
{
    enum { MAXDAYS = 366 };
    size_t len = 0;
    char b0[16], b1[16], bits[MAXDAYS + 1];
    int flagged = 0;
    *out = NULL;
    if (d1 < d0 || d1 - d0 >= MAXDAYS)
        return LT_EINVAL;
    for (int32_t day = d0; day <= d1; day++) {
        bool on = false;
        int rc = lt_store_dust_get(st, area, day, &on);
        if (rc)
            return rc;
        bits[day - d0] = on ? '1' : '0';
        flagged += on;
    }
    bits[d1 - d0 + 1] = '\0';
    FILE *f = open_memstream(out, &len);
    if (!f)
        return LT_ENOMEM;
    lt_date_format(d0, b0, sizeof b0);
    lt_date_format(d1, b1, sizeof b1);
    fputs("{\"area\": ", f);
    lt_json_str(f, area);
    fprintf(f, ", \"from\": \"%s\", \"to\": \"%s\", \"flagged\": %d, \"flags\": \"%s\"}", b0, b1,
            flagged, bits);
    if (fclose(f)) {
        free(*out);
        *out = NULL;
        return LT_ENOMEM;
    }
    return 0;
}

int lt_audit_row_open(struct lt_audit_row *r)
{
    memset(r, 0, sizeof *r);
    r->b = open_memstream(&r->before, &r->blen);
    r->a = open_memstream(&r->after, &r->alen);
    if (!r->b || !r->a) {
        lt_audit_row_free(r);
        return LT_ENOMEM;
    }
    return 0;
}

int lt_audit_row_close(struct lt_audit_row *r)
{
    int bad = 0;
    if (r->b && fclose(r->b))
        bad = 1;
    if (r->a && fclose(r->a))
        bad = 1;
    r->b = r->a = NULL;
    return bad ? LT_ENOMEM : 0;
}

int lt_audit_row_append(struct lt_audit_row *r, struct lt_store *st, int64_t at_ms,
                        const char *user, const char *action, const char *object)
{
    if (lt_audit_row_close(r))
        return LT_ENOMEM;
    return lt_store_audit_append(st, at_ms, user, action, object, r->blen ? r->before : NULL,
                                 r->alen ? r->after : NULL, NULL);
}

void lt_audit_row_free(struct lt_audit_row *r)
{
    if (r->b)
        fclose(r->b);
    if (r->a)
        fclose(r->a);
    free(r->before);
    free(r->after);
    memset(r, 0, sizeof *r);
}

int lt_audit_correct(struct lt_store *st, const char *site, int factor, int64_t ts, double value,
                     const char *who, const char *why, const char *user, int64_t at_ms, int64_t *id,
                     char **before, char **after)
{
    struct lt_audit_row r;
    struct lt_correction *cs = NULL;
    int nc = 0;
    char tb[24], obj[128];
    *before = *after = NULL;
    int rc = lt_store_correct(st, site, factor, ts, value, who, at_ms / 1000, why, id);
    if (rc)
        return rc;
    /* The value it replaced, as the store recorded it (raw or the previous correction). */
    rc = lt_store_corrections(st, site, &cs, &nc);
    if (rc)
        return rc;
    const struct lt_correction *c = NULL;
    for (int i = 0; i < nc; i++)
        if (cs[i].id == *id)
            c = &cs[i];
    rc = c ? lt_audit_row_open(&r) : LT_ESTORE;
    if (rc) {
        free(cs);
        return rc;
    }
    lt_audit_correction_before(r.b, site, factor, ts, c->old_value);
    lt_audit_correction_after(r.a, *id, site, factor, ts, value, who, why);
    free(cs);
    lt_bj_format_hour(ts, tb, sizeof tb);
    snprintf(obj, sizeof obj, "hourly/%s/%s/%s", site, lt_pollutant_name((enum lt_pollutant)factor),
             tb);
    rc = lt_audit_row_append(&r, st, at_ms, user, "correction", obj);
    if (!rc) {
        *before = r.before;
        *after = r.after;
        r.before = r.after = NULL;
    }
    lt_audit_row_free(&r);
    return rc;
}

int lt_audit_dust(struct lt_store *st, const char *area, int32_t d0, int32_t d1, bool clear,
                  const char *user, int64_t at_ms, char **before, char **after)
{
    char obj[128], b0[16], b1[16];
    *before = *after = NULL;
    int rc = lt_audit_dust_json(st, area, d0, d1, before);
    for (int32_t day = d0; !rc && day <= d1; day++)
        rc = lt_store_dust_set(st, area, day, !clear);
    if (!rc)
        rc = lt_audit_dust_json(st, area, d0, d1, after);
    if (!rc) {
        lt_date_format(d0, b0, sizeof b0);
        lt_date_format(d1, b1, sizeof b1);
        snprintf(obj, sizeof obj, "dust/%s/%s:%s", area, b0, b1);
        rc = lt_store_audit_append(st, at_ms, user, clear ? "dust_clear" : "dust_set", obj, *before,
                                   *after, NULL);
    }
    if (rc) {
        free(*before);
        free(*after);
        *before = *after = NULL;
    }
    return rc;
}

/* Hand a finished row's objects to the caller (when it wants them) and free the row. */
static int lt__row_finish(struct lt_audit_row *r, int rc, char **before, char **after)
{
    if (!rc && before) {
        *before = r->before;
        r->before = NULL;
    }
    if (!rc && after) {
        *after = r->after;
        r->after = NULL;
    }
    lt_audit_row_free(r);
    return rc;
}

int lt_audit_adopt(struct lt_store *st, const struct lt_device *d, const char *user, int64_t at_ms,
                   char **before, char **after)
{
    struct lt_quarantine e;
    struct lt_audit_row r;
    char obj[64];
    if (before)
        *before = NULL;
    if (after)
        *after = NULL;
    int rc = lt_store_quarantine_get(st, d->mn, &e);
    if (!rc)
        rc = lt_store_quarantine_adopt(st, d);
    if (!rc)
        rc = lt_audit_row_open(&r);
    if (rc)
        return rc;
    lt_audit_quarantine_json(r.b, &e);
    lt_audit_device_json(r.a, d, false);
    snprintf(obj, sizeof obj, "device/%s", d->mn);
    rc = lt_audit_row_append(&r, st, at_ms, user, "quarantine_adopt", obj);
    return lt__row_finish(&r, rc, before, after);
}

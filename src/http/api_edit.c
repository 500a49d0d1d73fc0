/* lantian — HTTP API: edits of the registry (sites, devices) and of plan targets, and the list
 * of stored targets. Every edit checks the user's role and scope (the object before and after the
 * change must both lie inside it), reads and writes inside one transaction, and appends its audit
 * row in that transaction (cli/audit.c builds the rows the CLI writes too). docs/API.md
 * "Registry and target edits" is the contract. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/audit.h"
#include "cli/query.h"
#include "cli/rows.h"
#include "http/http_internal.h"
#include "lantian/hj212.h"
#include "lantian/util.h"

#define LT__EDIT_ROLES " admin analyst county "

/* ---- body members ---------------------------------------------------------------------------- */

/* An optional text member into dst: a string of at most cap - 1 bytes after trimming blanks, ""
 * allowed only when may_clear (it clears the field; null means the same). 0 or the 400. */
static int lt__jtext(struct lt__req *q, const struct lt__jobj *o, const char *key, char *dst,
                     size_t cap, bool may_clear, bool *given)
{
    const struct lt__jmember *m = lt__jget(o, key);
    *given = m != NULL;
    if (!m)
        return 0;
    if (m->type == LT__JNULL && may_clear) {
        dst[0] = '\0';
        return 0;
    }
    if (m->type != LT__JSTR)
        return lt__fail(q, 400, "bad_field", "%s must be a string%s", key,
                        may_clear ? " (\"\" or null clears it)" : "");
    struct lt_str v = lt_str_trim(lt_str_of(m->str));
    if (!v.len && !may_clear)
        return lt__fail(q, 400, "bad_field", "%s must not be empty", key);
    if (v.len >= cap)
        return lt__fail(q, 400, "bad_field", "%s must be at most %zu bytes", key, cap - 1);
    lt_str_copy(dst, cap, v);
    return 0;
}

static int lt__jbool(struct lt__req *q, const struct lt__jobj *o, const char *key, bool *dst,
                     bool *given)
{
    const struct lt__jmember *m = lt__jget(o, key);
    *given = m != NULL;
    if (!m)
        return 0;
    if (m->type != LT__JBOOL)
        return lt__fail(q, 400, "bad_field", "%s must be true or false", key);
    *dst = m->b;
    return 0;
}

/* A number in [lo, hi], or null (NaN) when may_null. */
static int lt__jnumber(struct lt__req *q, const struct lt__jobj *o, const char *key, double lo,
                       double hi, bool may_null, double *dst, bool *given)
{
    const struct lt__jmember *m = lt__jget(o, key);
    *given = m != NULL;
    if (!m)
        return 0;
    if (m->type == LT__JNULL && may_null) {
        *dst = NAN;
        return 0;
    }
    if (m->type != LT__JNUM || m->num < lo || m->num > hi)
        return lt__fail(q, 400, "bad_field", "%s must be a number from %g to %g%s", key, lo, hi,
                        may_null ? " (or null)" : "");
    *dst = m->num;
    return 0;
}

/* A date YYYY-MM-DD or null (the open end `open`). */
static int lt__jday(struct lt__req *q, const struct lt__jobj *o, const char *key, int32_t open,
                    int32_t *dst, bool *given)
{
    const struct lt__jmember *m = lt__jget(o, key);
    *given = m != NULL;
    if (!m)
        return 0;
    if (m->type == LT__JNULL) {
        *dst = open;
        return 0;
    }
    int32_t d;
    if (m->type != LT__JSTR || strlen(m->str) != 10 || lt_date_parse(lt_str_of(m->str), &d))
        return lt__fail(q, 400, "bad_field", "%s must be a date YYYY-MM-DD or null (open)", key);
    *dst = d;
    return 0;
}

/* Begin the edit's transaction: the object is read and written under the write lock, so that
 * the row's "before" is what the change replaced. */
static int lt__begin(struct lt__req *q)
{
    int rc = lt_store_begin(q->st);
    return rc ? lt__fail_store(q, rc, "begin") : 0;
}

/* Commit, or roll back on failure; 0 or the 500. */
static int lt__commit(struct lt__req *q)
{
    int rc = lt_store_commit(q->st);
    if (!rc)
        return 0;
    lt_store_rollback(q->st);
    return lt__fail_store(q, rc, "commit");
}

/* ---- POST /api/sites/{code} ---------------------------------------------------------------- */

#define LT__SITE_FIELDS " name county township is_eval lon lat valid_from valid_to "

/* Apply the body's members to s; 0 or the 400. */
static int lt__site_apply(struct lt__req *q, const struct lt__jobj *o, struct lt_site *s)
{
    bool g;
    int rc = lt__jtext(q, o, "name", s->name, sizeof s->name, false, &g);
    if (!rc)
        rc = lt__jtext(q, o, "county", s->county, sizeof s->county, true, &g);
    if (!rc)
        rc = lt__jtext(q, o, "township", s->township, sizeof s->township, true, &g);
    if (!rc)
        rc = lt__jbool(q, o, "is_eval", &s->is_eval, &g);
    if (!rc)
        rc = lt__jnumber(q, o, "lon", -180, 180, true, &s->lon, &g);
    if (!rc)
        rc = lt__jnumber(q, o, "lat", -90, 90, true, &s->lat, &g);
    if (!rc)
        rc = lt__jday(q, o, "valid_from", LT_DAY_OPEN_FROM, &s->valid_from, &g);
    if (!rc)
        rc = lt__jday(q, o, "valid_to", LT_DAY_OPEN_TO, &s->valid_to, &g);
    if (rc)
        return rc;
    /* A township is a part of a county: the region tree has no township without one. */
    if (s->township[0] && !s->county[0])
        return lt__fail(q, 400, "bad_field", "township: a site with a township needs a county");
    if (s->valid_from > s->valid_to)
        return lt__fail(q, 400, "bad_field", "valid_from is after valid_to");
    return 0;
}

/* The start of a registry edit: the role may edit, the body is an object of the fields given (at
 * least one), and the transaction is open (the read, the write and the audit row in one). */
static int lt__edit_begin(struct lt__req *q, const char *fields, struct lt__jobj *o)
{
    int rc = lt__need_role(q, LT__EDIT_ROLES);
    if (!rc)
        rc = lt__body_object(q, fields, o);
    if (!rc && o->n == 0)
        rc = lt__fail(q, 400, "missing_field", "give at least one of:%s", fields);
    if (!rc)
        rc = lt__begin(q);
    return rc;
}

int lt__api_site_edit(struct lt__req *q)
{
    struct lt__jobj *o = malloc(sizeof *o);
    struct lt_site cur, nw;
    struct lt_audit_row r = {0};
    bool in_tx = false;
    int rc;
    if (!o)
        return lt__fail(q, 503, "out_of_memory", "the server is out of memory; try again later");
    rc = lt__edit_begin(q, LT__SITE_FIELDS, o);
    if (rc)
        goto out;
    in_tx = true;
    int src = lt_store_site_get(q->st, q->pp[0], &cur);
    if (src == LT_ENOTFOUND || src == LT_EINVAL) {
        rc = lt__fail(q, 404, "not_found", "no site with code '%.40s'", q->pp[0]);
        goto out;
    }
    if (src) {
        rc = lt__fail_store(q, src, "get site");
        goto out;
    }
    rc = lt__scope_site(q, &cur);
    if (!rc) {
        nw = cur;
        rc = lt__site_apply(q, o, &nw);
    }
    if (!rc && !lt__scope_has_site(q, &nw))
        rc = lt__fail(q, 403, "out_of_scope",
                      "site %s would move to %s%s%s, outside your scope: only a user whose scope "
                      "holds both places can move it",
                      cur.code, nw.county[0] ? nw.county : "(no county)", nw.township[0] ? " " : "",
                      nw.township);
    if (rc)
        goto out;
    bool changed = false;
    int64_t now_ms = lt_audit_now_ms();
    char obj[64];
    snprintf(obj, sizeof obj, "site/%s", cur.code);
    src = lt_store_site_put(q->st, &nw, &changed);
    if (!src)
        src = lt_audit_row_open(&r);
    if (!src) {
        lt_audit_site_json(r.b, &cur);
        lt_audit_site_json(r.a, &nw);
        /* An edit that changes nothing is not a change: no row. */
        src = changed ? lt_audit_row_append(&r, q->st, now_ms, q->user.name, "site_edit", obj)
                      : lt_audit_row_close(&r);
    }
    if (src) {
        rc = lt__fail_store(q, src, "edit site");
        goto out;
    }
    in_tx = false;
    rc = lt__commit(q);
    if (rc)
        goto out;
    fprintf(q->out, "{\"changed\": %s, \"before\": %s, \"after\": %s}\n",
            changed ? "true" : "false", r.before, r.after);
    rc = 200;
out:
    if (in_tx)
        lt_store_rollback(q->st);
    lt_audit_row_free(&r);
    free(o);
    return rc;
}

/* ---- POST /api/devices/{mn} ---------------------------------------------------------------- */

#define LT__DEVICE_FIELDS                                                                          \
    " site outlet source_type enabled pw crc factor_code factor_pollutant factor_unit "            \
    "factor_scale "

/* Apply the body's device members to d; 0 or the 400. */
static int lt__device_apply(struct lt__req *q, const struct lt__jobj *o, struct lt_device *d)
{
    bool air = !strcmp(d->kind, "air"), g_site, g_outlet, g_type, g;
    int rc = lt__jtext(q, o, "site", d->site, sizeof d->site, false, &g_site);
    if (!rc)
        rc = lt__jtext(q, o, "outlet", d->outlet, sizeof d->outlet, false, &g_outlet);
    if (!rc)
        rc = lt__jtext(q, o, "source_type", d->source_type, sizeof d->source_type, true, &g_type);
    if (!rc)
        rc = lt__jbool(q, o, "enabled", &d->enabled, &g);
    if (!rc)
        rc = lt__jtext(q, o, "pw", d->pw, sizeof d->pw, true, &g);
    if (rc)
        return rc;
    if (g_site && !air)
        return lt__fail(q, 400, "bad_field",
                        "site: a %s device belongs to an outlet (change outlet instead)", d->kind);
    if (g_outlet && air)
        return lt__fail(q, 400, "bad_field",
                        "outlet: an air-station device belongs to a site (change site instead)");
    if (g_type && air && d->source_type[0])
        return lt__fail(q, 400, "bad_field",
                        "source_type: an air-station device has none (it is for outlets)");
    if (g_type && d->source_type[0]) {
        int k = lt__source_type_known(d->source_type);
        if (k < 0)
            return lt__fail(q, 500, "internal", "the built-in emission limits could not be read");
        if (!k)
            return lt__fail(q, 400, "bad_field",
                            "source_type '%.40s' is not a type of the emission limits "
                            "(config/emission_limits.ini)",
                            d->source_type);
    }
    const struct lt__jmember *crc = lt__jget(o, "crc");
    if (crc) {
        unsigned mask;
        if (crc->type != LT__JSTR || lt_rows_crc_parse(crc->str, &mask))
            return lt__fail(q, 400, "bad_field",
                            "crc must be a list of std, modbus, modbus-le, any (e.g. "
                            "\"std,modbus\")");
        d->crc_mask = mask;
    }
    return 0;
}

/* The factor mapping the body asks for (factor_code and the others), on top of the stored one
 * (*has: whether one was asked for, *had: whether one was stored, in *old). 0 or the 400. */
static int lt__factor_apply(struct lt__req *q, const struct lt__jobj *o, const struct lt_device *d,
                            struct lt_device_factor *f, struct lt_device_factor *old, bool *has,
                            bool *had)
{
    bool g;
    char code[16] = "";
    *has = *had = false;
    int rc = lt__jtext(q, o, "factor_code", code, sizeof code, false, has);
    if (rc)
        return rc;
    if (!*has) {
        if (lt__jget(o, "factor_pollutant") || lt__jget(o, "factor_unit") ||
            lt__jget(o, "factor_scale"))
            return lt__fail(q, 400, "missing_field",
                            "factor_code is required with factor_pollutant, factor_unit or "
                            "factor_scale");
        return 0;
    }
    memset(f, 0, sizeof *f);
    snprintf(f->mn, sizeof f->mn, "%s", d->mn);
    snprintf(f->code, sizeof f->code, "%s", code);
    f->pollutant = -1;
    f->scale = 1.0;
    struct lt_device_factor *v = NULL;
    int n = 0;
    rc = lt_store_device_factors(q->st, d->mn, &v, &n);
    if (rc)
        return lt__fail_store(q, rc, "device factors");
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].code, code)) {
            *old = *f = v[i];
            *had = true;
        }
    free(v);
    const struct lt__jmember *p = lt__jget(o, "factor_pollutant");
    if (p && p->type == LT__JNULL)
        f->pollutant = -1;
    else if (p) {
        int k = p->type == LT__JSTR ? lt_pollutant_parse(p->str, strlen(p->str)) : -1;
        if (k < 0)
            return lt__fail(q, 400, "bad_field",
                            "factor_pollutant must be one of SO2, NO2, CO, O3, PM10, PM2.5 or "
                            "null");
        if (strcmp(d->kind, "air") != 0)
            return lt__fail(q, 400, "bad_field",
                            "factor_pollutant: only an air-station device maps factors to "
                            "pollutants");
        f->pollutant = k;
    }
    rc = lt__jtext(q, o, "factor_unit", f->unit, sizeof f->unit, true, &g);
    if (!rc)
        rc = lt__jnumber(q, o, "factor_scale", 1e-9, 1e9, false, &f->scale, &g);
    return rc;
}

int lt__api_device_edit(struct lt__req *q)
{
    struct lt__jobj *o = malloc(sizeof *o);
    struct lt_device cur, nw;
    struct lt_device_factor f, fold;
    struct lt_audit_row r = {0}, rf = {0};
    bool in_tx = false, has_f = false, had_f = false;
    int rc;
    if (!o)
        return lt__fail(q, 503, "out_of_memory", "the server is out of memory; try again later");
    rc = lt__edit_begin(q, LT__DEVICE_FIELDS, o);
    if (rc)
        goto out;
    in_tx = true;
    int src = lt_store_device_get(q->st, q->pp[0], &cur);
    if (src == LT_ENOTFOUND || src == LT_EINVAL) {
        rc = lt__fail(q, 404, "not_found", "no device with MN '%.40s'", q->pp[0]);
        goto out;
    }
    if (src) {
        rc = lt__fail_store(q, src, "get device");
        goto out;
    }
    int hidden = lt__scope_device_hidden(q, &cur);
    if (hidden < 0) {
        rc = lt__fail_store(q, hidden, "get device");
        goto out;
    }
    if (hidden) {
        rc = lt__fail(q, 403, "out_of_scope", "device %s lies outside your scope", cur.mn);
        goto out;
    }
    nw = cur;
    rc = lt__device_apply(q, o, &nw);
    if (!rc)
        rc = lt__factor_apply(q, o, &nw, &f, &fold, &has_f, &had_f);
    if (rc)
        goto out;
    if (strcmp(nw.site, cur.site) != 0) {
        struct lt_site s;
        src = lt_store_site_get(q->st, nw.site, &s);
        if (src == LT_ENOTFOUND || src == LT_EINVAL) {
            rc = lt__fail(q, 400, "bad_field", "site: no site with code '%.40s'", nw.site);
            goto out;
        }
        if (src) {
            rc = lt__fail_store(q, src, "get site");
            goto out;
        }
        if (!lt__scope_has_site(q, &s)) {
            rc = lt__fail(q, 403, "out_of_scope",
                          "site %s lies outside your scope: the device cannot move there", s.code);
            goto out;
        }
    }
    bool pw_changed = strcmp(nw.pw, cur.pw) != 0;
    bool changed = pw_changed || strcmp(nw.site, cur.site) || strcmp(nw.outlet, cur.outlet) ||
                   strcmp(nw.source_type, cur.source_type) || nw.enabled != cur.enabled ||
                   nw.crc_mask != cur.crc_mask;
    bool f_changed = has_f && (!had_f || fold.pollutant != f.pollutant ||
                               strcmp(fold.unit, f.unit) || fold.scale != f.scale);
    int64_t now_ms = lt_audit_now_ms();
    char obj[128];
    src = lt_audit_row_open(&r);
    if (!src)
        src = lt_audit_row_open(&rf);
    if (!src && changed)
        src = lt_store_device_put(q->st, &nw);
    if (!src) {
        lt_audit_device_json(r.b, &cur, false);
        lt_audit_device_json(r.a, &nw, pw_changed);
        snprintf(obj, sizeof obj, "device/%s", cur.mn);
        src =
            changed ? lt_audit_row_append(&r, q->st, now_ms, q->user.name, "device_edit", obj) : 0;
    }
    if (!src && f_changed)
        src = lt_store_device_factor_put(q->st, &f);
    if (!src && has_f) {
        if (had_f)
            lt_audit_factor_json(rf.b, &fold);
        lt_audit_factor_json(rf.a, &f);
        snprintf(obj, sizeof obj, "device/%s/factor/%s", cur.mn, f.code);
        src = f_changed
                  ? lt_audit_row_append(&rf, q->st, now_ms, q->user.name, "device_factor", obj)
                  : 0;
    }
    if (src) {
        rc = src == LT_EINVAL ? lt__fail(q, 400, "bad_field",
                                         "the device is not valid as changed (kind, site, outlet)")
                              : lt__fail_store(q, src, "edit device");
        goto out;
    }
    /* The rows' objects for the answer (their streams are still open when no row was
     * appended). */
    if (lt_audit_row_close(&r) || lt_audit_row_close(&rf)) {
        rc = lt__fail_store(q, LT_ENOMEM, "edit device");
        goto out;
    }
    in_tx = false;
    rc = lt__commit(q);
    if (rc)
        goto out;
    fprintf(q->out, "{\"changed\": %s, \"before\": %s, \"after\": %s", changed ? "true" : "false",
            r.before, r.after);
    if (has_f)
        fprintf(q->out, ", \"factor\": {\"changed\": %s, \"before\": %s, \"after\": %s}",
                f_changed ? "true" : "false", had_f ? rf.before : "null", rf.after);
    fputs("}\n", q->out);
    rc = 200;
out:
    if (in_tx)
        lt_store_rollback(q->st);
    lt_audit_row_free(&r);
    lt_audit_row_free(&rf);
    free(o);
    return rc;
}

/* ---- POST /api/targets --------------------------------------------------------------------- */

static const char *const lt__tkeys[LT_TGT_N] = {"pm25",      "pm10",        "good_ratio",
                                                "good_days", "heavy_ratio", "index"};

int lt__api_target_set(struct lt__req *q)
{
    struct lt__jobj *o = malloc(sizeof *o);
    struct lt_store_target cur;
    struct lt_target nw;
    struct lt_audit_row r = {0};
    bool in_tx = false, exists = false, g;
    char area[96];
    int rc, level = 0, kind = -1;
    if (!o)
        return lt__fail(q, 503, "out_of_memory", "the server is out of memory; try again later");
    rc = lt__need_role(q, LT__EDIT_ROLES);
    if (!rc)
        rc = lt__body_object(q, " city county year target value ruleset source name ", o);
    if (rc)
        goto out;
    const struct lt__jmember *c = lt__jget(o, "city"), *k = lt__jget(o, "county");
    if (!c == !k) {
        rc = lt__fail(q, 400, c ? "bad_field" : "missing_field",
                      "give exactly one of city or county (the area of the target)");
        goto out;
    }
    level = c ? 1 : 2;
    rc = lt__jtext(q, o, c ? "city" : "county", area, sizeof area, false, &g);
    if (rc)
        goto out;
    const struct lt__jmember *y = lt__jget(o, "year"), *t = lt__jget(o, "target"),
                             *v = lt__jget(o, "value");
    if (!y || !t || !v) {
        rc = lt__fail(q, 400, "missing_field", "%s is required",
                      !y   ? "year"
                      : !t ? "target"
                           : "value (a number, \"<36\", or null to remove)");
        goto out;
    }
    if (y->type != LT__JNUM || y->num != floor(y->num) || y->num < 1900 || y->num > 2199) {
        rc = lt__fail(q, 400, "bad_field", "year must be an integer from 1900 to 2199");
        goto out;
    }
    for (int i = 0; t->type == LT__JSTR && i < LT_TGT_N; i++)
        if (!strcmp(t->str, lt__tkeys[i]))
            kind = i;
    if (kind < 0) {
        rc = lt__fail(q, 400, "bad_field",
                      "target must be one of pm25, pm10, good_ratio, good_days, heavy_ratio, "
                      "index");
        goto out;
    }
    struct lt_target val;
    memset(&val, 0, sizeof val);
    val.value[kind] = NAN;
    if (v->type == LT__JNUM || v->type == LT__JSTR) {
        /* Parsed by the targets-file parser, so that "<36" means here what it means in a file. */
        char text[64];
        if (v->type == LT__JNUM)
            snprintf(text, sizeof text, "%.17g", v->num);
        else
            snprintf(text, sizeof text, "%.60s", v->str);
        if (lt_query_target_value(&val, (enum lt_target_kind)kind, text)) {
            rc = lt__fail(q, 400, "bad_field",
                          "value '%.40s' is not a target value for %s (a number >= 0, ratios at "
                          "most 100; \"<36\" strictly below, \">80\" strictly above)",
                          text, lt__tkeys[kind]);
            goto out;
        }
    } else if (v->type != LT__JNULL) {
        rc = lt__fail(q, 400, "bad_field",
                      "value must be a number, a string such as \"<36\", or "
                      "null (remove the value)");
        goto out;
    }
    rc = lt__scope_area(q, level, area);
    if (!rc)
        rc = lt__begin(q);
    if (rc)
        goto out;
    in_tx = true;
    int src = lt_store_target_get(q->st, area, (int)y->num, &cur);
    if (src && src != LT_ENOTFOUND) {
        rc = lt__fail_store(q, src, "get target");
        goto out;
    }
    exists = src == 0;
    if (exists) {
        nw = cur.t;
    } else {
        memset(&nw, 0, sizeof nw);
        for (int i = 0; i < LT_TGT_N; i++)
            nw.value[i] = NAN;
        snprintf(nw.area, sizeof nw.area, "%s", area);
        snprintf(nw.name, sizeof nw.name, "%.80s %d", area, (int)y->num);
        nw.year = (int)y->num;
    }
    nw.value[kind] = val.value[kind];
    nw.strict[kind] = !isnan(val.value[kind]) && val.strict[kind];
    rc = lt__jtext(q, o, "name", nw.name, sizeof nw.name, false, &g);
    if (!rc)
        rc = lt__jtext(q, o, "ruleset", nw.ruleset, sizeof nw.ruleset, true, &g);
    if (!rc)
        rc = lt__jtext(q, o, "source", nw.source, sizeof nw.source, true, &g);
    if (!rc && nw.ruleset[0] && !lt_rules_by_name(lt__http_rules(q->srv), nw.ruleset))
        rc = lt__fail(q, 400, "bad_field", "ruleset '%.31s' is not defined in the rules",
                      nw.ruleset);
    if (rc)
        goto out;
    bool changed = false;
    src = lt_audit_row_open(&r);
    if (!src)
        src = lt_store_target_put(q->st, &nw, q->user.name, lt_audit_now_ms() / 1000, &changed);
    if (!src) {
        if (exists)
            lt_audit_target_json(r.b, &cur.t);
        lt_audit_target_json(r.a, &nw);
        char obj[128];
        snprintf(obj, sizeof obj, "target/%s/%d", nw.area, nw.year);
        src = changed ? lt_audit_row_append(&r, q->st, lt_audit_now_ms(), q->user.name,
                                            "target_set", obj)
                      : 0;
    }
    if (src) {
        rc = lt__fail_store(q, src, "set target");
        goto out;
    }
    if (lt_audit_row_close(&r)) {
        rc = lt__fail_store(q, LT_ENOMEM, "set target");
        goto out;
    }
    in_tx = false;
    rc = lt__commit(q);
    if (rc)
        goto out;
    fprintf(q->out, "{\"changed\": %s, \"before\": %s, \"after\": %s}\n",
            changed ? "true" : "false", exists ? r.before : "null", r.after);
    rc = 200;
out:
    if (in_tx)
        lt_store_rollback(q->st);
    lt_audit_row_free(&r);
    free(o);
    return rc;
}

/* ---- GET /api/target-values ---------------------------------------------------------------- */

int lt__api_target_values(struct lt__req *q)
{
    int limit, offset, rc = lt__param_page(q, &limit, &offset);
    long long year = 0;
    if (!rc)
        rc = lt__param_int(q, "year", 1900, 2199, &year);
    const char *city = lt__param(q, "city"), *county = lt__param(q, "county");
    if (!rc && city && county)
        rc = lt__fail(q, 400, "bad_parameter", "give city or county, not both");
    if (!rc && (city || county))
        rc = lt__scope_area(q, city ? 1 : 2, city ? city : county);
    if (rc)
        return rc;
    struct lt_store_target *v = NULL;
    int n = 0;
    rc = lt_store_targets(q->st, (int)year, &v, &n);
    if (rc)
        return lt__fail_store(q, rc, "list targets");
    struct lt_table *t = lt_rows_new(LT_ROWS_TARGET);
    for (int i = 0; t && i < n; i++) {
        const char *want = city ? city : county;
        if (want && !lt_place_match(want, v[i].t.area))
            continue;
        if (lt__scoped(q)) {
            /* A target is listed when its area lies inside the scope (the name is a county
             * when some site has that county, else a city). */
            struct lt_site_filter f = {.county = v[i].t.area};
            struct lt_site *sv = NULL;
            int ns = 0, in;
            rc = lt_store_sites(q->st, &f, &sv, &ns);
            free(sv);
            in = rc ? rc : lt__scope_area_inside(q, ns > 0 ? 2 : 1, v[i].t.area);
            if (in < 0) {
                free(v);
                lt_table_free(t);
                return lt__fail_store(q, in, "list targets");
            }
            if (!in)
                continue;
        }
        if (lt_rows_target(t, &v[i])) {
            lt_table_free(t);
            t = NULL;
        }
    }
    free(v);
    if (!t)
        return lt__fail_store(q, LT_ENOMEM, "list targets");
    lt__obj_begin(q);
    rc = lt__page_out(q, t, limit, offset);
    lt_table_free(t);
    return rc;
}

/* lantian — table rows of stored records, shared by the CLI and the HTTP API. */
#include <stdio.h>

#include <math.h>
#include <string.h>

#include "cli/audit.h"
#include "cli/rows.h"
#include "lantian/hj212.h"
#include "lantian/util.h"

static const char *const lt__device_hdr[] = {"mn",  "kind",     "site",    "outlet", "source_type",
                                             "crc", "pw_check", "enabled", "created"};
static const char *const lt__quarantine_hdr[] = {"mn",     "first_seen", "last_seen",
                                                 "frames", "last_peer",  "last_raw_id"};
static const char *const lt__exceedance_hdr[] = {
    "id",     "mn",        "outlet", "factor", "hour_start", "measured", "o2",
    "o2_ref", "corrected", "limit",  "flag",   "rule",       "detected"};
static const char *const lt__correction_hdr[] = {"id",  "site", "pollutant", "time", "old",
                                                 "new", "who",  "at",        "why"};
static const char *const lt__dev_value_hdr[] = {"data_time", "cn",         "factor", "kind",
                                                "value",     "value_conv", "flag",   "raw_id"};
static const char *const lt__target_hdr[] = {"area",  "year",   "name",   "ruleset", "target",
                                             "value", "set_by", "set_at", "source"};

struct lt_table *lt_rows_new(enum lt_rows_kind kind)
{
    switch (kind) {
    case LT_ROWS_DEVICE:
        return lt_table_new(9, lt__device_hdr);
    case LT_ROWS_QUARANTINE:
        return lt_table_new(6, lt__quarantine_hdr);
    case LT_ROWS_EXCEEDANCE:
        return lt_table_new(13, lt__exceedance_hdr);
    case LT_ROWS_CORRECTION:
        return lt_table_new(9, lt__correction_hdr);
    case LT_ROWS_DEV_VALUE:
        return lt_table_new(8, lt__dev_value_hdr);
    case LT_ROWS_TARGET:
        return lt_table_new(9, lt__target_hdr);
    }
    return NULL;
}

void lt_rows_crc_names(unsigned mask, char *buf, size_t cap)
{
    static const char *const n[LT_CRC_KIND_N] = {"std", "modbus", "modbus-le"};
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < LT_CRC_KIND_N; k++)
        if (mask & (1u << k)) {
            int w = snprintf(buf + len, cap - len, "%s%s", len ? "," : "", n[k]);
            if (w < 0 || (size_t)w >= cap - len)
                return;
            len += (size_t)w;
        }
}

int lt_rows_crc_parse(const char *s, unsigned *mask)
{
    *mask = LT_CRC_MASK_STD;
    if (!s)
        return 0;
    struct lt_str rest = lt_str_of(s);
    while (rest.len) {
        const char *comma = memchr(rest.p, ',', rest.len);
        struct lt_str w = {rest.p, comma ? (size_t)(comma - rest.p) : rest.len};
        rest = comma ? (struct lt_str){comma + 1, rest.len - w.len - 1} : (struct lt_str){"", 0};
        w = lt_str_trim(w);
        if (lt_str_eq(w, "std"))
            continue;
        if (lt_str_eq(w, "modbus"))
            *mask |= 1u << LT_CRC_MODBUS;
        else if (lt_str_eq(w, "modbus-le"))
            *mask |= 1u << LT_CRC_MODBUS_LE;
        else if (lt_str_eq(w, "any"))
            *mask |= (1u << LT_CRC_KIND_N) - 1;
        else
            return LT_EPARSE;
    }
    return 0;
}

int lt_rows_target(struct lt_table *t, const struct lt_store_target *x)
{
    static const char *const keys[LT_TGT_N] = {"pm25",      "pm10",        "good_ratio",
                                               "good_days", "heavy_ratio", "index"};
    for (int k = 0; k < LT_TGT_N; k++) {
        char v[40], at[24];
        if (isnan(x->t.value[k]))
            continue;
        if (lt_table_row(t))
            return LT_ENOMEM;
        lt_audit_target_value(v, sizeof v, k, x->t.value[k], x->t.strict[k]);
        lt_table_str(t, 0, x->t.area);
        lt_table_int(t, 1, x->t.year);
        lt_table_str(t, 2, x->t.name);
        if (x->t.ruleset[0])
            lt_table_str(t, 3, x->t.ruleset);
        lt_table_str(t, 4, keys[k]);
        lt_table_str(t, 5, v);
        lt_table_str(t, 6, x->set_by[k]);
        lt_bj_format_time(x->set_at[k], at, sizeof at);
        lt_table_str(t, 7, at);
        if (x->t.source[0])
            lt_table_str(t, 8, x->t.source);
    }
    return 0;
}

/* Beijing time of a UTC millisecond instant; nothing for 0 (unknown). */
static void lt__time_ms(struct lt_table *t, int col, int64_t ms)
{
    char b[24];
    if (ms <= 0)
        return;
    lt_bj_format_time(ms / 1000, b, sizeof b);
    lt_table_str(t, col, b);
}

int lt_rows_decimals(double v)
{
    char buf[64];
    for (int dec = 0; dec < 6; dec++) {
        double back;
        snprintf(buf, sizeof buf, "%.*f", dec, v);
        if (!lt_parse_double(lt_str_of(buf), &back) && back == v)
            return dec;
    }
    return 6;
}

int lt_rows_device(struct lt_table *t, const struct lt_device *d)
{
    char crc[48], b[24];
    if (lt_table_row(t))
        return LT_ENOMEM;
    lt_rows_crc_names(d->crc_mask, crc, sizeof crc);
    lt_table_str(t, 0, d->mn);
    lt_table_str(t, 1, d->kind);
    if (d->site[0])
        lt_table_str(t, 2, d->site);
    if (d->outlet[0])
        lt_table_str(t, 3, d->outlet);
    if (d->source_type[0])
        lt_table_str(t, 4, d->source_type);
    lt_table_str(t, 5, crc);
    /* Whether a password is checked; never the password. */
    lt_table_bool(t, 6, d->pw[0] != '\0');
    lt_table_bool(t, 7, d->enabled);
    lt_bj_format_time(d->created_at, b, sizeof b);
    lt_table_str(t, 8, b);
    return 0;
}

int lt_rows_quarantine(struct lt_table *t, const struct lt_quarantine *q)
{
    if (lt_table_row(t))
        return LT_ENOMEM;
    lt_table_str(t, 0, q->mn);
    lt__time_ms(t, 1, q->first_ms);
    lt__time_ms(t, 2, q->last_ms);
    lt_table_int(t, 3, q->frames);
    lt_table_str(t, 4, q->last_peer);
    if (q->last_raw_id > 0)
        lt_table_int(t, 5, q->last_raw_id);
    return 0;
}

int lt_rows_exceedance(struct lt_table *t, const struct lt_exceedance *e)
{
    char b[24];
    if (lt_table_row(t))
        return LT_ENOMEM;
    lt_table_int(t, 0, e->id);
    lt_table_str(t, 1, e->mn);
    lt_table_str(t, 2, e->outlet);
    lt_table_str(t, 3, e->factor);
    lt_bj_format_time(e->data_time, b, sizeof b);
    lt_table_str(t, 4, b);
    /* Evidence is shown to 3 decimals, rounded here; the stored values are unrounded. */
    lt_table_num(t, 5, lt_round_half_even(e->measured, 3), 3);
    lt_table_num(t, 6, lt_round_half_even(e->o2, 3), 3);
    lt_table_num(t, 7, lt_round_half_even(e->o2_ref, 3), 3);
    lt_table_num(t, 8, lt_round_half_even(e->corrected, 3), 3);
    lt_table_num(t, 9, lt_round_half_even(e->limit, 3), 3);
    lt_table_str(t, 10, e->flag);
    lt_table_str(t, 11, e->rule);
    lt__time_ms(t, 12, e->detected_ms);
    return 0;
}

int lt_rows_correction(struct lt_table *t, const struct lt_correction *c)
{
    char tb[32], ab[32];
    if (lt_table_row(t))
        return LT_ENOMEM;
    lt_bj_format_hour(c->ts, tb, sizeof tb);
    lt_bj_format_time(c->at, ab, sizeof ab);
    lt_table_int(t, 0, c->id);
    lt_table_str(t, 1, c->site);
    lt_table_str(t, 2,
                 c->factor == LT_FACTOR_AQI_PUB ? "AQI"
                                                : lt_pollutant_name((enum lt_pollutant)c->factor));
    lt_table_str(t, 3, tb);
    /* NaN (no value / invalidated) stays a null cell. */
    lt_table_num(t, 4, c->old_value, lt_rows_decimals(c->old_value));
    lt_table_num(t, 5, c->new_value, lt_rows_decimals(c->new_value));
    lt_table_str(t, 6, c->who);
    lt_table_str(t, 7, ab);
    lt_table_str(t, 8, c->why);
    return 0;
}

/* DataTime in Beijing time as the frame sent it (HJ 212-2017 Table 4); each value with the fewest
 * decimals that print it back exactly (a value as sent, not rounded here). */
int lt_rows_dev_value(void *table, const struct lt_dev_value_row *v)
{
    struct lt_table *t = table;
    if (lt_table_row(t))
        return LT_ENOMEM;
    char b[24];
    lt_bj_format_time(v->data_time, b, sizeof b);
    lt_table_str(t, 0, b);
    lt_table_int(t, 1, v->cn);
    lt_table_str(t, 2, v->factor);
    lt_table_str(t, 3, lt_hj212_vk_name((enum lt_hj212_vk)v->vk));
    lt_table_num(t, 4, v->value, lt_rows_decimals(v->value));
    lt_table_num(t, 5, v->value_conv, lt_rows_decimals(v->value_conv));
    if (v->flag[0])
        lt_table_str(t, 6, v->flag);
    if (v->raw_id > 0)
        lt_table_int(t, 7, v->raw_id);
    return 0;
}

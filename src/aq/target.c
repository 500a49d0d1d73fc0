/* lantian — plan targets and the remaining-days budget. */
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lantian/target.h"
#include "lantian/util.h"
#include "util/ini_text.h"

static const char *const lt__kind_names[LT_TGT_N] = {"PM2.5",     "PM10",        "good_ratio",
                                                     "good_days", "heavy_ratio", "index"};
static const char *const lt__kind_keys[LT_TGT_N] = {"pm25",      "pm10",        "good_ratio",
                                                    "good_days", "heavy_ratio", "index"};

const char *lt_target_kind_name(enum lt_target_kind k)
{
    return (unsigned)k < LT_TGT_N ? lt__kind_names[k] : "?";
}

const char *lt_target_state_name(enum lt_target_state s)
{
    static const char *const n[] = {"unset", "on track", "behind", "unreachable",
                                    "met",   "missed",   "no data"};
    return (unsigned)s <= LT_TGT_NO_DATA ? n[s] : "?";
}

const char *lt_target_state_zh(enum lt_target_state s)
{
    static const char *const n[] = {"未设定", "进度达标", "进度落后", "已无法完成",
                                    "已完成", "未完成",   "暂无数据"};
    return (unsigned)s <= LT_TGT_NO_DATA ? n[s] : "?";
}

/* ---- parsing ------------------------------------------------------------------------------- */

struct lt__tgt_ctx {
    struct lt_target *out;
    int max, n, err;
    struct lt_diag *d;
    struct lt__ini_text in;
    char cur[96];
};

static void lt__target_init(struct lt_target *t, const char *name)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    for (int k = 0; k < LT_TGT_N; k++)
        t->value[k] = NAN;
}

static int lt__tgt_handler(void *user, const char *section, const char *name, const char *value)
{
    struct lt__tgt_ctx *c = user;
    int line = c->in.line;
    if (c->err)
        return 1;
    if (!section[0]) {
        c->err = lt_diag_set(c->d, LT_EPARSE, (size_t)line, "line %d: '%s' outside a [target]",
                             line, name);
        return 1;
    }
    if (strcmp(section, c->cur) != 0) {
        if (c->n == c->max) {
            c->err = lt_diag_set(c->d, LT_ERANGE, (size_t)line, "line %d: more than %d targets",
                                 line, c->max);
            return 1;
        }
        lt__target_init(&c->out[c->n++], section);
        snprintf(c->cur, sizeof(c->cur), "%s", section);
    }
    struct lt_target *t = &c->out[c->n - 1];
    struct lt_str v = lt_str_trim(lt_str_of(value));
    if (!strcmp(name, "area") || !strcmp(name, "city") || !strcmp(name, "county")) {
        lt_str_copy(t->area, sizeof(t->area), v);
        return 1;
    }
    if (!strcmp(name, "ruleset")) {
        lt_str_copy(t->ruleset, sizeof(t->ruleset), v);
        return 1;
    }
    if (!strcmp(name, "source")) {
        lt_str_copy(t->source, sizeof(t->source), v);
        return 1;
    }
    if (!strcmp(name, "year")) {
        long long y;
        if (lt_parse_int(v, 1900, 2199, &y))
            c->err = lt_diag_set(c->d, LT_EPARSE, (size_t)line, "line %d: year '%s' is not valid",
                                 line, value);
        else
            t->year = (int)y;
        return 1;
    }
    for (int k = 0; k < LT_TGT_N; k++) {
        if (strcmp(name, lt__kind_keys[k]) != 0)
            continue;
        bool strict = false;
        if (v.len >= 2 && v.p[0] == '<' && v.p[1] == '=') {
            v.p += 2;
            v.len -= 2;
        } else if (v.len >= 2 && v.p[0] == '>' && v.p[1] == '=') {
            v.p += 2;
            v.len -= 2;
        } else if (v.len && (v.p[0] == '<' || v.p[0] == '>')) {
            strict = true;
            v.p++;
            v.len--;
        }
        if (v.len && v.p[v.len - 1] == '%')
            v.len--;
        double x;
        if (lt_parse_double(v, &x) || x < 0 ||
            ((k == LT_TGT_GOOD_RATIO || k == LT_TGT_HEAVY_RATIO) && x > 100))
            c->err =
                lt_diag_set(c->d, LT_EPARSE, (size_t)line,
                            "line %d: %s = '%s' is not a valid target value", line, name, value);
        t->value[k] = x;
        t->strict[k] = strict;
        return 1;
    }
    c->err = lt_diag_set(c->d, LT_EPARSE, (size_t)line, "line %d: unknown key '%s' in [%s]", line,
                         name, section);
    return 1;
}

int lt_targets_parse(const char *text, size_t len, struct lt_target *out, int max,
                     struct lt_diag *d)
{
    struct lt__tgt_ctx c = {.out = out, .max = max, .d = d, .in = {.text = text, .len = len}};
    int rc = ini_parse_stream(lt__ini_text_reader, &c.in, lt__tgt_handler, &c);
    if (c.err)
        return c.err;
    if (rc > 0)
        return lt_diag_set(d, LT_EPARSE, (size_t)rc, "line %d: not a valid INI line", rc);
    if (rc < 0)
        return lt_diag_set(d, LT_ENOMEM, 0, "cannot parse the targets");
    for (int i = 0; i < c.n; i++) {
        if (!out[i].area[0] || !out[i].year)
            return lt_diag_set(d, LT_EINVAL, 0, "[%s]: needs area (or city/county) and year",
                               out[i].name);
    }
    return c.n;
}

/* ---- evaluation ---------------------------------------------------------------------------- */

/* Does a reported value meet a ceiling (at most / strictly below)? */
static bool lt__le(double v, double lim, bool strict)
{
    return strict ? v < lim : v <= lim;
}

/* Ratio as reported: percent to 0.1 per GB/T 8170. */
static double lt__ratio(int k, int n)
{
    return n ? lt_round_half_even(100.0 * k / n, 1) : NAN;
}

/* Mean concentration budget. The annual mean is reported as an integer (GB/T 8170) and compared
 * with the target T: with the half-even rule a mean of exactly T + 0.5 reports as T when T is even,
 * so the highest admissible mean is T + 0.5 (inclusive for even T, exclusive for odd T; a strict
 * target "<T" is T - 1 + 0.5 on the same rule). The remaining R days may then average at most
 * X = (M (n + R) - S) / R. */
static void lt__pm_item(struct lt_target_item *it, const struct lt_target *t, int k,
                        const struct lt_pstat *ps, int remaining, bool year_over)
{
    double T = t->value[k];
    bool strict = t->strict[k];
    double Tle = strict ? T - 1 : T; /* the largest reported integer that meets the target */
    it->target = T;
    it->current = ps->ndays ? ps->mean_r : NAN;
    if (!ps->ndays) {
        it->state = LT_TGT_NO_DATA;
        it->budget = NAN;
        return;
    }
    bool meets = lt__le(ps->mean_r, T, strict);
    if (year_over) {
        it->state = meets ? LT_TGT_MET : LT_TGT_MISSED;
        it->budget = NAN;
        return;
    }
    double M = Tle + 0.5;
    bool m_inclusive = fmod(Tle, 2.0) == 0.0;
    double S = ps->mean * ps->ndays;
    double X = (M * (ps->ndays + remaining) - S) / remaining;
    /* Report the budget to 0.1 µg/m3, rounded down so that averaging it keeps the target. */
    double b = floor(X * 10.0 + 1e-9) / 10.0;
    if (!m_inclusive && fabs(b - X) < 1e-9)
        b -= 0.1;
    it->budget = b;
    if (X < 0 || (!m_inclusive && X <= 0)) {
        it->state = LT_TGT_UNREACHABLE;
        it->budget = NAN; /* no mean of the remaining days, not even 0, keeps the target */
    } else
        it->state = meets ? LT_TGT_ON_TRACK : LT_TGT_BEHIND;
}

int lt_target_evaluate(const struct lt_target *t, const struct lt_day *days, int32_t as_of,
                       const struct lt_rules *rules, struct lt_target_status *out)
{
    int32_t jan1 = lt_days_from_civil(t->year, 1, 1);
    int32_t dec31 = lt_days_from_civil(t->year, 12, 31);
    if (as_of < jan1 || as_of > dec31)
        return LT_ERANGE;
    memset(out, 0, sizeof(*out));
    out->as_of = as_of;
    out->days_elapsed = as_of - jan1 + 1;
    out->days_remaining = dec31 - as_of;
    bool year_over = out->days_remaining == 0;

    /* Judge the target under the rules it was set under, when it names them. */
    struct lt_rules one;
    const struct lt_rules *use = rules;
    if (t->ruleset[0]) {
        const struct lt_ruleset *rs = lt_rules_by_name(rules, t->ruleset);
        if (!rs)
            return LT_ENOTFOUND;
        memset(&one, 0, sizeof(one));
        one.n = 1;
        one.set[0] = *rs;
        one.set[0].from_day = jan1;
        one.set[0].to_day = dec31;
        use = &one;
    }
    int rc = lt_period_compute(days, jan1, out->days_elapsed, use, &out->ytd);
    if (rc)
        return rc;
    const struct lt_period *y = &out->ytd;
    int R = out->days_remaining;

    for (int k = 0; k < LT_TGT_N; k++) {
        struct lt_target_item *it = &out->item[k];
        it->target = t->value[k];
        it->budget = NAN;
        it->current = NAN;
        if (isnan(t->value[k])) {
            it->state = LT_TGT_UNSET;
            continue;
        }
        switch (k) {
        case LT_TGT_PM25:
            lt__pm_item(it, t, k, &y->p[LT_PM25], R, year_over);
            break;
        case LT_TGT_PM10:
            lt__pm_item(it, t, k, &y->p[LT_PM10], R, year_over);
            break;
        case LT_TGT_GOOD_RATIO: {
            /* The fewest good days G out of N = valid days so far + R with a reported ratio that
             * meets the target. */
            int N = y->aqi_days + R;
            int gmin = -1;
            for (int g = 0; g <= N; g++) {
                double r = lt__ratio(g, N);
                if (t->strict[k] ? r > t->value[k] : r >= t->value[k]) {
                    gmin = g;
                    break;
                }
            }
            it->current = lt__ratio(y->good_days, y->aqi_days);
            if (!y->aqi_days && !R) {
                it->state = LT_TGT_NO_DATA;
                break;
            }
            int need = gmin < 0 ? R + 1 : gmin - y->good_days;
            if (need < 0)
                need = 0;
            it->needed = need;
            it->budget = need <= R ? R - need : NAN;
            bool meets = y->aqi_days &&
                         (t->strict[k] ? it->current > t->value[k] : it->current >= t->value[k]);
            if (year_over)
                it->state = meets ? LT_TGT_MET : LT_TGT_MISSED;
            else if (need > R)
                it->state = LT_TGT_UNREACHABLE;
            else if (!y->aqi_days)
                it->state = LT_TGT_NO_DATA;
            else
                it->state = meets ? LT_TGT_ON_TRACK : LT_TGT_BEHIND;
            break;
        }
        case LT_TGT_GOOD_DAYS: {
            int target = (int)ceil(t->value[k] - 1e-9) + (t->strict[k] ? 1 : 0);
            int need = target - y->good_days;
            if (need < 0)
                need = 0;
            it->current = y->good_days;
            it->needed = need;
            it->budget = need <= R ? R - need : NAN;
            if (year_over)
                it->state = need == 0 ? LT_TGT_MET : LT_TGT_MISSED;
            else if (need > R)
                it->state = LT_TGT_UNREACHABLE;
            else {
                /* On track when the good days so far keep pace with the share of the year gone. */
                double pace = (double)target * out->days_elapsed / (out->days_elapsed + R);
                it->state = y->good_days >= pace ? LT_TGT_ON_TRACK : LT_TGT_BEHIND;
            }
            break;
        }
        case LT_TGT_HEAVY_RATIO: {
            int N = y->aqi_days + R;
            int hmax = -1;
            for (int h = N; h >= 0; h--) {
                if (lt__le(lt__ratio(h, N), t->value[k], t->strict[k]) || N == 0) {
                    hmax = h;
                    break;
                }
            }
            it->current = lt__ratio(y->heavy_days, y->aqi_days);
            int allowed = hmax - y->heavy_days;
            it->budget = allowed >= 0 ? allowed : NAN;
            bool meets = y->aqi_days && lt__le(it->current, t->value[k], t->strict[k]);
            if (year_over)
                it->state = meets ? LT_TGT_MET : LT_TGT_MISSED;
            else if (allowed < 0)
                it->state = LT_TGT_UNREACHABLE;
            else if (!y->aqi_days)
                it->state = LT_TGT_NO_DATA;
            else
                it->state = meets ? LT_TGT_ON_TRACK : LT_TGT_BEHIND;
            break;
        }
        case LT_TGT_INDEX:
            it->current = y->index;
            if (isnan(y->index))
                it->state = LT_TGT_NO_DATA;
            else if (year_over)
                it->state =
                    lt__le(y->index, t->value[k], t->strict[k]) ? LT_TGT_MET : LT_TGT_MISSED;
            else
                it->state =
                    lt__le(y->index, t->value[k], t->strict[k]) ? LT_TGT_ON_TRACK : LT_TGT_BEHIND;
            break;
        }
    }
    return 0;
}

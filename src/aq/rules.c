/* lantian — rule sets from INI text (config/rules.ini). */
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lantian/rules.h"
#include "lantian/util.h"
#include "util/ini_text.h"

struct lt__rules_ctx {
    struct lt_rules *r;
    struct lt_diag *d;
    int err;
    char cur[32];
    struct lt__ini_text in;
};

static void lt__ruleset_init(struct lt_ruleset *s, const char *name)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->from_day = INT32_MIN;
    s->to_day = INT32_MIN;
    for (int p = 0; p < LT_POLL_N; p++) {
        s->limit_annual[p] = NAN;
        s->limit_daily[p] = NAN;
        s->limit_1h[p] = NAN;
        s->pct[p] = NAN;
        s->index_s[p] = NAN;
        s->index_w[p] = NAN;
    }
    s->aqi = LT_ED_N;
}

/* "SO2:60 NO2:40 PM2.5:35" -> vals[pollutant]. */
static int lt__parse_pairs(const char *v, double *vals, struct lt_diag *d, int line)
{
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *tok = p;
        while (*p && *p != ' ' && *p != '\t' && *p != ',')
            p++;
        const char *colon = memchr(tok, ':', (size_t)(p - tok));
        if (!colon)
            return lt_diag_set(d, LT_EPARSE, (size_t)line, "line %d: '%.*s' is not POLLUTANT:VALUE",
                               line, (int)(p - tok), tok);
        int pol = lt_pollutant_parse(tok, (size_t)(colon - tok));
        if (pol < 0)
            return lt_diag_set(d, LT_EPARSE, (size_t)line, "line %d: unknown pollutant '%.*s'",
                               line, (int)(colon - tok), tok);
        double x;
        if (lt_parse_double((struct lt_str){colon + 1, (size_t)(p - colon - 1)}, &x) || x <= 0)
            return lt_diag_set(d, LT_EPARSE, (size_t)line,
                               "line %d: '%.*s' is not a positive number", line,
                               (int)(p - colon - 1), colon + 1);
        vals[pol] = x;
    }
    return 0;
}

/* inih handler: returns 1 always (0 would make inih stop with its own error); errors are kept in
 * the context with their line. */
static int lt__rules_handler(void *user, const char *section, const char *name, const char *value)
{
    struct lt__rules_ctx *c = user;
    int line = c->in.line;
    struct lt_rules *r = c->r;
    if (c->err)
        return 1;
    if (!section[0]) {
        c->err = lt_diag_set(c->d, LT_EPARSE, (size_t)line,
                             "line %d: key '%s' outside a [rule set]", line, name);
        return 1;
    }
    if (strcmp(c->cur, section) != 0) {
        for (int i = 0; i < r->n; i++)
            if (!strcmp(r->set[i].name, section)) {
                c->err = lt_diag_set(c->d, LT_EEXIST, (size_t)line,
                                     "line %d: rule set [%s] defined twice", line, section);
                return 1;
            }
        if (r->n == LT_RULESET_MAX || strlen(section) >= sizeof(r->set[0].name)) {
            c->err = lt_diag_set(c->d, LT_ERANGE, (size_t)line,
                                 "line %d: too many rule sets or name too long", line);
            return 1;
        }
        lt__ruleset_init(&r->set[r->n++], section);
        snprintf(c->cur, sizeof(c->cur), "%s", section);
    }
    struct lt_ruleset *s = &r->set[r->n - 1];
    struct lt_str v = lt_str_of(value);
    int rc = 0;
    if (!strcmp(name, "title")) {
        snprintf(s->title, sizeof(s->title), "%s", value);
    } else if (!strcmp(name, "source")) {
        /* Free text for people; kept only in the file. */
    } else if (!strcmp(name, "from") || !strcmp(name, "to")) {
        int32_t day;
        if (lt_date_parse(v, &day))
            rc = lt_diag_set(c->d, LT_EPARSE, (size_t)line,
                             "line %d: '%s' is not a YYYY-MM-DD date", line, value);
        else if (name[0] == 'f')
            s->from_day = day;
        else
            s->to_day = day;
    } else if (!strcmp(name, "aqi")) {
        if (!strcmp(value, "2012"))
            s->aqi = LT_ED_2012;
        else if (!strcmp(value, "2026"))
            s->aqi = LT_ED_2026;
        else
            rc = lt_diag_set(c->d, LT_EPARSE, (size_t)line,
                             "line %d: aqi must be 2012 or 2026, not '%s'", line, value);
    } else if (!strcmp(name, "limit_annual")) {
        rc = lt__parse_pairs(value, s->limit_annual, c->d, line);
    } else if (!strcmp(name, "limit_daily")) {
        rc = lt__parse_pairs(value, s->limit_daily, c->d, line);
    } else if (!strcmp(name, "limit_1h")) {
        rc = lt__parse_pairs(value, s->limit_1h, c->d, line);
    } else if (!strcmp(name, "percentile")) {
        rc = lt__parse_pairs(value, s->pct, c->d, line);
    } else if (!strcmp(name, "index_s")) {
        rc = lt__parse_pairs(value, s->index_s, c->d, line);
    } else if (!strcmp(name, "index_w")) {
        rc = lt__parse_pairs(value, s->index_w, c->d, line);
    } else if (!strcmp(name, "dust_exclude_ratios")) {
        if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
            s->dust_exclude_ratios = true;
        else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
            s->dust_exclude_ratios = false;
        else
            rc = lt_diag_set(c->d, LT_EPARSE, (size_t)line,
                             "line %d: dust_exclude_ratios must be true or false", line);
    } else {
        rc = lt_diag_set(c->d, LT_EPARSE, (size_t)line, "line %d: unknown key '%s' in [%s]", line,
                         name, section);
    }
    c->err = rc;
    return 1;
}

static int lt__ruleset_check(const struct lt_ruleset *s, struct lt_diag *d)
{
    if (s->from_day == INT32_MIN || s->to_day == INT32_MIN || s->from_day > s->to_day)
        return lt_diag_set(d, LT_EINVAL, 0, "[%s]: needs from <= to", s->name);
    if (s->aqi == LT_ED_N)
        return lt_diag_set(d, LT_EINVAL, 0, "[%s]: needs aqi = 2012 or 2026", s->name);
    for (int p = 0; p < LT_POLL_N; p++) {
        if (isnan(s->limit_daily[p]) || isnan(s->pct[p]) || isnan(s->index_s[p]) ||
            isnan(s->index_w[p]))
            return lt_diag_set(d, LT_EINVAL, 0,
                               "[%s]: limit_daily, percentile, index_s and index_w need all six "
                               "pollutants (%s missing)",
                               s->name, lt_pollutant_name((enum lt_pollutant)p));
        if (s->pct[p] > 100)
            return lt_diag_set(d, LT_ERANGE, 0, "[%s]: percentile of %s above 100", s->name,
                               lt_pollutant_name((enum lt_pollutant)p));
    }
    return 0;
}

int lt_rules_parse(struct lt_rules *r, const char *text, size_t len, struct lt_diag *d)
{
    memset(r, 0, sizeof(*r));
    struct lt__rules_ctx c = {.r = r, .d = d, .in = {.text = text, .len = len}};
    int rc = ini_parse_stream(lt__ini_text_reader, &c.in, lt__rules_handler, &c);
    if (c.err)
        return c.err;
    if (rc > 0)
        return lt_diag_set(d, LT_EPARSE, (size_t)rc, "line %d: not a valid INI line", rc);
    if (rc < 0)
        return lt_diag_set(d, LT_ENOMEM, 0, "cannot parse the rules");
    if (!r->n)
        return lt_diag_set(d, LT_EINVAL, 0, "no rule set defined");
    for (int i = 0; i < r->n; i++) {
        int e = lt__ruleset_check(&r->set[i], d);
        if (e)
            return e;
        for (int j = 0; j < i; j++)
            if (r->set[i].from_day <= r->set[j].to_day && r->set[j].from_day <= r->set[i].to_day)
                return lt_diag_set(d, LT_EINVAL, 0, "rule sets [%s] and [%s] overlap in time",
                                   r->set[j].name, r->set[i].name);
    }
    return 0;
}

const struct lt_ruleset *lt_rules_for_day(const struct lt_rules *r, int32_t day)
{
    for (int i = 0; i < r->n; i++)
        if (day >= r->set[i].from_day && day <= r->set[i].to_day)
            return &r->set[i];
    return NULL;
}

const struct lt_ruleset *lt_rules_by_name(const struct lt_rules *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->set[i].name, name))
            return &r->set[i];
    return NULL;
}

/* lantian — emission limits from INI text (config/emission_limits.ini describes the format). */
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lantian/source.h"
#include "lantian/util.h"
#include "util/ini_text.h"

/* Limits one section may set (PM, SO2, NOx and a few more). */
#define LT__SEC_FACTORS 16

/* Names accepted for the factors most limits are about, mapped to their HJ 212-2017 codes (HJ
 * 212-2017 App. B.2, hj212-notes.md §4). Any other factor is written as its code. */
static const struct {
    const char *name, *code;
} lt__factor_alias[] = {
    {"PM", "a34013"},  {"SO2", "a21026"}, {"NOx", "a21002"},  {"CO", "a21005"},
    {"HCl", "a21024"}, {"NH3", "a21001"}, {"NMHC", "a24088"},
};

/* The section being read: its limits are appended when it ends, after its checks. */
struct lt__sec {
    char name[48];
    int line; /* line of its first key */
    char type[32], outlet[64];
    bool has_from, has_to, has_o2, has_source;
    int32_t from_day, to_day;
    enum lt_o2_mode o2_mode;
    double o2_ref;
    bool o2_low_measured, verified;
    char source[384];
    int nf;
    char factor[LT__SEC_FACTORS][8];
    double limit[LT__SEC_FACTORS];
};

struct lt__limits_ctx {
    struct lt_limits *l;
    struct lt_diag *d;
    int err;
    bool open; /* a section is being read */
    struct lt__sec sec;
    struct lt__ini_text in;
};

void lt_limits_init(struct lt_limits *l)
{
    if (l)
        memset(l, 0, sizeof *l);
}

void lt_limits_release(struct lt_limits *l)
{
    if (!l)
        return;
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* A factor key: an alias, or a code of one lowercase letter and five digits ("a21026"). */
static const char *lt__factor_code(const char *key)
{
    for (size_t i = 0; i < sizeof lt__factor_alias / sizeof lt__factor_alias[0]; i++)
        if (!strcmp(key, lt__factor_alias[i].name) || !strcmp(key, lt__factor_alias[i].code))
            return lt__factor_alias[i].code;
    if (strlen(key) != 6 || key[0] < 'a' || key[0] > 'z')
        return NULL;
    for (int i = 1; i < 6; i++)
        if (key[i] < '0' || key[i] > '9')
            return NULL;
    return key;
}

static int lt__append(struct lt_limits *l, const struct lt_limit *x)
{
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 32;
        struct lt_limit *nv = realloc(l->v, sizeof *nv * (size_t)ncap);
        if (!nv)
            return LT_ENOMEM;
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = *x;
    return 0;
}

/* Check the finished section and append one limit per factor. */
static int lt__sec_end(struct lt__limits_ctx *c)
{
    const struct lt__sec *s = &c->sec;
    struct lt_diag *d = c->d;
    size_t at = (size_t)s->line;

    c->open = false;
    if (!s->type[0] == !s->outlet[0])
        return lt_diag_set(d, LT_EINVAL, at,
                           "[%s] (line %d): give either type = SOURCE_TYPE or an outlet "
                           "([outlet:ID] or outlet = ID), not both or neither",
                           s->name, s->line);
    if (!s->has_o2)
        return lt_diag_set(d, LT_EINVAL, at,
                           "[%s] (line %d): o2_ref is required (a percentage, none or unknown)",
                           s->name, s->line);
    if (!s->has_source)
        return lt_diag_set(d, LT_EINVAL, at, "[%s] (line %d): source is required", s->name,
                           s->line);
    if (!s->nf)
        return lt_diag_set(d, LT_EINVAL, at, "[%s] (line %d): no limit (e.g. PM = 10)", s->name,
                           s->line);
    int32_t from = s->has_from ? s->from_day : LT_LIMIT_OPEN_FROM;
    int32_t to = s->has_to ? s->to_day : LT_LIMIT_OPEN_TO;
    if (from > to)
        return lt_diag_set(d, LT_EINVAL, at, "[%s] (line %d): from is after to", s->name, s->line);
    for (int i = 0; i < s->nf; i++) {
        struct lt_limit x;
        memset(&x, 0, sizeof x);
        snprintf(x.rule, sizeof x.rule, "%s", s->name);
        snprintf(x.type, sizeof x.type, "%s", s->type);
        snprintf(x.outlet, sizeof x.outlet, "%s", s->outlet);
        snprintf(x.factor, sizeof x.factor, "%s", s->factor[i]);
        x.limit = s->limit[i];
        x.o2_mode = s->o2_mode;
        x.o2_ref = s->o2_mode == LT_O2_CORRECT ? s->o2_ref : NAN;
        x.o2_low_measured = s->o2_low_measured;
        x.from_day = from;
        x.to_day = to;
        x.verified = s->verified;
        snprintf(x.source, sizeof x.source, "%s", s->source);
        if (lt__append(c->l, &x))
            return lt_diag_set(d, LT_ENOMEM, at, "out of memory");
    }
    return 0;
}

static int lt__sec_begin(struct lt__limits_ctx *c, const char *section, int line)
{
    struct lt__sec *s = &c->sec;
    if (strlen(section) >= sizeof s->name)
        return lt_diag_set(c->d, LT_ERANGE, (size_t)line,
                           "line %d: section name [%s] longer than %zu bytes", line, section,
                           sizeof s->name - 1);
    for (int i = 0; i < c->l->n; i++)
        if (!strcmp(c->l->v[i].rule, section))
            return lt_diag_set(c->d, LT_EEXIST, (size_t)line, "line %d: section [%s] given twice",
                               line, section);
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", section);
    s->line = line;
    s->o2_ref = NAN;
    c->open = true;
    if (!strncmp(section, "outlet:", 7)) {
        if (!section[7] || strlen(section + 7) >= sizeof s->outlet)
            return lt_diag_set(c->d, LT_EINVAL, (size_t)line,
                               "line %d: [outlet:ID] needs an ID of 1 to %zu bytes", line,
                               sizeof s->outlet - 1);
        snprintf(s->outlet, sizeof s->outlet, "%s", section + 7);
    }
    return 0;
}

static int lt__text_key(struct lt__limits_ctx *c, int line, const char *name, const char *value,
                        char *dst, size_t cap)
{
    if (!value[0] || strlen(value) >= cap)
        return lt_diag_set(c->d, LT_EINVAL, (size_t)line, "line %d: %s must be 1 to %zu bytes",
                           line, name, cap - 1);
    snprintf(dst, cap, "%s", value);
    return 0;
}

static int lt__key(struct lt__limits_ctx *c, int line, const char *name, const char *value)
{
    struct lt__sec *s = &c->sec;
    struct lt_diag *d = c->d;
    struct lt_str v = lt_str_trim(lt_str_of(value));

    if (!strcmp(name, "type")) {
        if (s->type[0])
            return lt_diag_set(d, LT_EINVAL, (size_t)line, "line %d: type given twice", line);
        return lt__text_key(c, line, name, value, s->type, sizeof s->type);
    }
    if (!strcmp(name, "outlet")) {
        if (s->outlet[0])
            return lt_diag_set(d, LT_EINVAL, (size_t)line, "line %d: outlet given twice", line);
        return lt__text_key(c, line, name, value, s->outlet, sizeof s->outlet);
    }
    if (!strcmp(name, "source")) {
        /* inih hands an indented continuation line over as the same key again: a long source
         * text continues on such lines and is joined with a space. */
        if (!s->has_source) {
            s->has_source = true;
            return lt__text_key(c, line, name, value, s->source, sizeof s->source);
        }
        size_t have = strlen(s->source), add = strlen(value);
        if (have + 1 + add >= sizeof s->source)
            return lt_diag_set(d, LT_ERANGE, (size_t)line, "line %d: source longer than %zu bytes",
                               line, sizeof s->source - 1);
        s->source[have] = ' ';
        memcpy(s->source + have + 1, value, add + 1);
        return 0;
    }
    if (!strcmp(name, "from") || !strcmp(name, "to")) {
        int32_t day;
        if (lt_date_parse(v, &day))
            return lt_diag_set(d, LT_EPARSE, (size_t)line,
                               "line %d: %s '%s' is not a YYYY-MM-DD date", line, name, value);
        if (name[0] == 'f') {
            s->from_day = day;
            s->has_from = true;
        } else {
            s->to_day = day;
            s->has_to = true;
        }
        return 0;
    }
    if (!strcmp(name, "o2_ref")) {
        s->has_o2 = true;
        if (lt_str_eq(v, "none")) {
            s->o2_mode = LT_O2_NONE;
            return 0;
        }
        if (lt_str_eq(v, "unknown")) {
            s->o2_mode = LT_O2_UNKNOWN;
            return 0;
        }
        double x;
        if (lt_parse_double(v, &x) || !(x >= 0 && x < 21))
            return lt_diag_set(d, LT_EPARSE, (size_t)line,
                               "line %d: o2_ref '%s' is not a percentage in [0, 21), none or "
                               "unknown",
                               line, value);
        s->o2_mode = LT_O2_CORRECT;
        s->o2_ref = x;
        return 0;
    }
    if (!strcmp(name, "o2_below_ref")) {
        if (lt_str_eq(v, "correct"))
            s->o2_low_measured = false;
        else if (lt_str_eq(v, "measured"))
            s->o2_low_measured = true;
        else
            return lt_diag_set(d, LT_EPARSE, (size_t)line,
                               "line %d: o2_below_ref must be correct or measured", line);
        return 0;
    }
    if (!strcmp(name, "status")) {
        if (lt_str_eq(v, "verified"))
            s->verified = true;
        else if (lt_str_eq(v, "unverified"))
            s->verified = false;
        else
            return lt_diag_set(d, LT_EPARSE, (size_t)line,
                               "line %d: status must be verified or unverified", line);
        return 0;
    }
    const char *code = lt__factor_code(name);
    if (!code)
        return lt_diag_set(d, LT_EPARSE, (size_t)line,
                           "line %d: unknown key '%s' in [%s] (a factor is PM, SO2, NOx, CO, HCl, "
                           "NH3, NMHC or an HJ 212-2017 code such as a21026)",
                           line, name, s->name);
    double x;
    if (lt_parse_double(v, &x) || !(x > 0) || !isfinite(x))
        return lt_diag_set(d, LT_EPARSE, (size_t)line,
                           "line %d: limit of %s '%s' is not a positive number (mg/m3)", line, name,
                           value);
    for (int i = 0; i < s->nf; i++)
        if (!strcmp(s->factor[i], code))
            return lt_diag_set(d, LT_EEXIST, (size_t)line, "line %d: limit of %s given twice", line,
                               code);
    if (s->nf == LT__SEC_FACTORS)
        return lt_diag_set(d, LT_ERANGE, (size_t)line, "line %d: more than %d limits in [%s]", line,
                           LT__SEC_FACTORS, s->name);
    snprintf(s->factor[s->nf], sizeof s->factor[0], "%s", code);
    s->limit[s->nf++] = x;
    return 0;
}

/* inih handler: always returns 1 (0 would make inih stop with its own error); the first error is
 * kept in the context with its line. */
static int lt__limits_handler(void *user, const char *section, const char *name, const char *value)
{
    struct lt__limits_ctx *c = user;
    int line = c->in.line;
    if (c->err)
        return 1;
    if (!section[0]) {
        c->err = lt_diag_set(c->d, LT_EPARSE, (size_t)line, "line %d: key '%s' outside a [section]",
                             line, name);
        return 1;
    }
    if (!c->open || strcmp(c->sec.name, section) != 0) {
        if (c->open && (c->err = lt__sec_end(c)) != 0)
            return 1;
        if ((c->err = lt__sec_begin(c, section, line)) != 0)
            return 1;
    }
    c->err = lt__key(c, line, name, value);
    return 1;
}

static bool lt__same_scope(const struct lt_limit *a, const struct lt_limit *b)
{
    return !strcmp(a->type, b->type) && !strcmp(a->outlet, b->outlet) &&
           !strcmp(a->factor, b->factor);
}

int lt_limits_parse(struct lt_limits *l, const char *text, size_t len, struct lt_diag *d)
{
    if (!l || (!text && len))
        return lt_diag_set(d, LT_EINVAL, 0, "no limits text");
    int first = l->n;
    struct lt__limits_ctx c = {.l = l, .d = d, .in = {.text = text ? text : "", .len = len}};
    int rc = ini_parse_stream(lt__ini_text_reader, &c.in, lt__limits_handler, &c);
    if (c.err)
        return c.err;
    if (rc > 0)
        return lt_diag_set(d, LT_EPARSE, (size_t)rc, "line %d: not a valid INI line", rc);
    if (rc < 0)
        return lt_diag_set(d, LT_ENOMEM, 0, "cannot parse the limits");
    if (c.open && (rc = lt__sec_end(&c)) != 0)
        return rc;
    if (l->n == first)
        return lt_diag_set(d, LT_EINVAL, 0, "no limit defined");
    /* A lookup must have one answer: limits of the same scope and factor may not overlap. */
    for (int i = first; i < l->n; i++)
        for (int j = 0; j < i; j++) {
            const struct lt_limit *a = &l->v[j], *b = &l->v[i];
            if (lt__same_scope(a, b) && a->from_day <= b->to_day && b->from_day <= a->to_day)
                return lt_diag_set(d, LT_EEXIST, 0,
                                   "[%s] and [%s] both set %s for %s %s on overlapping dates",
                                   a->rule, b->rule, a->factor, a->outlet[0] ? "outlet" : "type",
                                   a->outlet[0] ? a->outlet : a->type);
        }
    return 0;
}

const struct lt_limit *lt_limits_find(const struct lt_limits *l, const char *outlet,
                                      const char *type, const char *factor, int32_t day)
{
    if (!l || !factor)
        return NULL;
    /* An outlet's override wins over the default of its type (henan-rules.md §8: limits per
     * outlet, effective-dated). A linear scan: a city has hundreds of limits, not millions. */
    if (outlet && *outlet)
        for (int i = 0; i < l->n; i++) {
            const struct lt_limit *x = &l->v[i];
            if (x->outlet[0] && !strcmp(x->outlet, outlet) && !strcmp(x->factor, factor) &&
                day >= x->from_day && day <= x->to_day)
                return x;
        }
    if (type && *type)
        for (int i = 0; i < l->n; i++) {
            const struct lt_limit *x = &l->v[i];
            if (x->type[0] && !strcmp(x->type, type) && !strcmp(x->factor, factor) &&
                day >= x->from_day && day <= x->to_day)
                return x;
        }
    return NULL;
}

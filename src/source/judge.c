/* lantian — oxygen correction and the exceedance judgement of one CEMS hourly value. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lantian/source.h"
#include "lantian/util.h"

double lt_o2_correct(double c, double o2, double o2_ref)
{
    /* HJ 212-2017 App. D.2.3, HJ 75-2017: C_ref = C × (21 − O2_ref) / (21 − O2), O2 dry, in %.
     * The product is formed first so that a value that corrects exactly onto a limit stays exact
     * when the operands are exact (50 × 12 / 6 = 100). */
    if (!isfinite(c) || !(o2 >= 0 && o2 < 21) || !(o2_ref >= 0 && o2_ref < 21))
        return NAN;
    return c * (21.0 - o2_ref) / (21.0 - o2);
}

const char *lt_judge_state_name(enum lt_judge_state s)
{
    switch (s) {
    case LT_JUDGE_WITHIN:
        return "within";
    case LT_JUDGE_EXCEEDED:
        return "exceeded";
    case LT_JUDGE_NOT_JUDGED:
        return "not judged";
    case LT_JUDGE_NO_LIMIT:
        return "no limit";
    }
    return "?";
}

/* Meaning of a data flag: HJ 212-2017 6.6.4 Table 8, and P of HJ/T 212-2005 (hj212-notes.md §3).
 * NULL for a flag neither defines. */
static const char *lt__flag_meaning(const char *f)
{
    static const struct {
        const char *flag, *meaning;
    } t[] = {
        {"N", "normal"},
        {"F", "instrument stopped"},
        {"M", "maintenance"},
        {"S", "manually entered value"},
        {"D", "instrument fault"},
        {"C", "calibrating"},
        {"T", "above the measuring upper limit"},
        {"B", "logger-instrument communication abnormal"},
        {"P", "power fault (HJ/T 212-2005)"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(f, t[i].flag))
            return t[i].meaning;
    return NULL;
}

/* Valid for judgement: N, T (the true value is at least the one sent) and no flag at all. The
 * standard calls only N normal (HJ 212-2017 Table 8); T is taken as valid by the policy of
 * hj212-notes.md §3, because an exceedance above the range is still an exceedance. */
static bool lt__flag_valid(const char *f)
{
    return !f[0] || !strcmp(f, "N") || !strcmp(f, "T");
}

/* Beijing date of a UTC time (the day whose limits apply to an hour that starts then). */
static int32_t lt__bj_day(int64_t t)
{
    int64_t b = t + LT_BJ_OFFSET_S;
    int64_t q = b / 86400;
    if (b % 86400 < 0)
        q--;
    return (int32_t)q;
}

int lt_source_judge(const struct lt_limits *l, const struct lt_hour_obs *obs,
                    struct lt_judgement *out)
{
    if (!l || !obs || !out || !obs->factor || isnan(obs->measured))
        return LT_EINVAL;
    const char *flag = obs->flag ? obs->flag : "";
    const char *o2_flag = obs->o2_flag ? obs->o2_flag : "";

    memset(out, 0, sizeof *out);
    out->state = LT_JUDGE_NOT_JUDGED;
    out->measured = obs->measured;
    out->o2 = out->o2_ref = out->corrected = out->limit = NAN;
    snprintf(out->flag, sizeof out->flag, "%s", flag);

    const struct lt_limit *lim =
        lt_limits_find(l, obs->outlet, obs->type, obs->factor, lt__bj_day(obs->data_time));
    if (lim) {
        out->limit = lim->limit;
        out->o2_ref = lim->o2_ref;
        out->verified = lim->verified;
        snprintf(out->rule, sizeof out->rule, "%s", lim->rule);
        snprintf(out->source, sizeof out->source, "%s", lim->source);
    }

    /* Only valid data are judged (HJ 212-2017 Table 8; HJ 75-2017 counts valid data only). */
    if (!lt__flag_valid(flag)) {
        const char *m = lt__flag_meaning(flag);
        snprintf(out->why, sizeof out->why, "not judged: flag %.8s (%s)", flag,
                 m ? m : "not a flag of HJ 212");
        return 0;
    }
    if (!lim) {
        out->state = LT_JUDGE_NO_LIMIT;
        snprintf(out->why, sizeof out->why, "no limit for %.16s at %.64s on that day", obs->factor,
                 obs->outlet && *obs->outlet ? obs->outlet : (obs->type ? obs->type : "?"));
        return 0;
    }

    double cmp = obs->measured;
    switch (lim->o2_mode) {
    case LT_O2_UNKNOWN:
        snprintf(out->why, sizeof out->why,
                 "not judged: the reference O2 of [%.48s] is not configured", lim->rule);
        return 0;
    case LT_O2_NONE:
        break;
    case LT_O2_CORRECT:
        if (isnan(obs->o2)) {
            snprintf(out->why, sizeof out->why,
                     "not judged: no O2 value for the hour, and the limit is at %g%% O2",
                     lim->o2_ref);
            return 0;
        }
        if (!(o2_flag[0] == '\0' || !strcmp(o2_flag, "N"))) {
            snprintf(out->why, sizeof out->why,
                     "not judged: the O2 value is flagged %.8s, and the limit is at %g%% O2",
                     o2_flag, lim->o2_ref);
            return 0;
        }
        if (!(obs->o2 >= 0 && obs->o2 < 21)) {
            out->o2 = obs->o2;
            snprintf(out->why, sizeof out->why,
                     "not judged: O2 %g%% is outside [0, 21), correction undefined", obs->o2);
            return 0;
        }
        out->o2 = obs->o2;
        /* Some standards compare the measured value when O2 is below the reference
         * (henan-rules.md §8.2): the limit says so with o2_below_ref = measured. */
        if (!(lim->o2_low_measured && obs->o2 < lim->o2_ref))
            cmp = lt_o2_correct(obs->measured, obs->o2, lim->o2_ref);
        break;
    }
    out->corrected = cmp;
    /* A value equal to the limit complies: only a value above it exceeds. */
    out->state = cmp > lim->limit ? LT_JUDGE_EXCEEDED : LT_JUDGE_WITHIN;
    if (lim->o2_mode == LT_O2_CORRECT)
        snprintf(out->why, sizeof out->why, "%s: %g mg/m3 at %g%% O2 is %g at %g%% %s limit %g",
                 lt_judge_state_name(out->state), obs->measured, obs->o2, cmp, lim->o2_ref,
                 out->state == LT_JUDGE_EXCEEDED ? ">" : "<=", lim->limit);
    else
        snprintf(out->why, sizeof out->why, "%s: %g mg/m3 %s limit %g (no O2 correction)",
                 lt_judge_state_name(out->state), cmp,
                 out->state == LT_JUDGE_EXCEEDED ? ">" : "<=", lim->limit);
    return 0;
}

/* lantian — pollution-source monitoring (CEMS): emission limits, oxygen correction and the
 * exceedance judgement of one hourly value.
 *
 * Pure: no I/O, no clock, no globals; reentrant. Limits are configuration (config/
 * emission_limits.ini, format described at the top of that file): effective-dated, per source type
 * as a default or per outlet as an override, each with its reference O2 and its source text.
 * Concentrations are mg/m3 at standard state (273.15 K, 101.325 kPa), dry gas; NOx as NO2.
 */
#ifndef LANTIAN_SOURCE_H
#define LANTIAN_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lantian/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- oxygen correction ----------------------------------------------------------------------- */

/* C_ref = C × (21 − O2_ref) / (21 − O2): the concentration converted to the reference oxygen
 * content (HJ 212-2017 App. D.2.3; HJ 75-2017; henan-rules.md §8.2). o2 and o2_ref in % by volume,
 * dry. Returns NaN when c is not finite, or when o2 or o2_ref is NaN, negative or >= 21 (the
 * formula is undefined at 21 % and meaningless beyond it). A negative c (zero drift) is converted
 * like any other value. */
double lt_o2_correct(double c, double o2, double o2_ref);

/* ---- limits ---------------------------------------------------------------------------------- */

/* How a limit treats oxygen. */
enum lt_o2_mode {
    LT_O2_CORRECT = 0, /* convert to o2_ref before comparing */
    LT_O2_NONE,        /* compare the measured value (e.g. process outlets under GB 16297) */
    LT_O2_UNKNOWN      /* the standard needs a reference O2 the configuration does not give */
};

#define LT_LIMIT_OPEN_FROM INT32_MIN
#define LT_LIMIT_OPEN_TO   INT32_MAX

/* One limit of one factor, from one section of the configuration. */
struct lt_limit {
    char rule[48];   /* the section name, e.g. "henan-cement-kiln-ultra-low" */
    char type[32];   /* source type ("cement_kiln") of a default, "" for an outlet override */
    char outlet[64]; /* outlet id of an override ("ENT001-DA001"), "" for a default */
    char factor[8];  /* HJ 212-2017 code: a34013 particulates, a21026 SO2, a21002 NOx ... */
    double limit;    /* hourly limit, mg/m3 */
    enum lt_o2_mode o2_mode;
    double o2_ref;        /* reference O2 %, NaN unless o2_mode is LT_O2_CORRECT */
    bool o2_low_measured; /* when O2 < o2_ref compare the measured value (some standards) */
    int32_t from_day;     /* first Beijing day in force, LT_LIMIT_OPEN_FROM when not given */
    int32_t to_day;       /* last Beijing day in force (inclusive), LT_LIMIT_OPEN_TO when open */
    bool verified;        /* status = verified: checked against the official text */
    char source[384];     /* where the number comes from */
};

/* A set of limits; owns its array. Initialise with lt_limits_init (or zero it), release with
 * lt_limits_release. Not thread-safe to modify; lookups on a parsed set may run concurrently. */
struct lt_limits {
    struct lt_limit *v;
    int n, cap;
};

void lt_limits_init(struct lt_limits *l);
/* Free the array; l is empty afterwards. NULL is fine. */
void lt_limits_release(struct lt_limits *l);

/* Parse INI text and append its limits to l. Every key must be known, every number valid, every
 * section a type default or an outlet override, and two limits of the same scope (type or outlet)
 * and factor must not overlap in time. Errors: LT_EPARSE / LT_EINVAL / LT_EEXIST with d filled
 * (d->offset = line number when there is one); LT_ENOMEM. On error l holds what was appended
 * before it: release it. */
int lt_limits_parse(struct lt_limits *l, const char *text, size_t len, struct lt_diag *d);

/* The limit of `factor` (2017 code) in force on Beijing day `day` for an outlet: the outlet's own
 * override when one covers the day, else the default of its source type. outlet or type may be
 * NULL. Effective dates are inclusive at both ends. NULL when none applies. The pointer is into l
 * and valid until l changes. */
const struct lt_limit *lt_limits_find(const struct lt_limits *l, const char *outlet,
                                      const char *type, const char *factor, int32_t day);

/* ---- exceedance judgement -------------------------------------------------------------------- */

/* One hourly value of one factor at one outlet, as received. */
struct lt_hour_obs {
    const char *outlet;  /* outlet id (device binding) */
    const char *type;    /* source type of the outlet, NULL when unknown */
    const char *factor;  /* HJ 212-2017 code */
    int64_t data_time;   /* interval start, UTC seconds; its Beijing date picks the limit */
    double measured;     /* mg/m3, dry, as measured */
    const char *flag;    /* the value's data flag ("N", "T", ...), NULL or "" when none sent */
    double o2;           /* measured O2 % of the same hour, NaN when none */
    const char *o2_flag; /* the O2 value's flag, NULL or "" when none */
};

enum lt_judge_state {
    LT_JUDGE_WITHIN = 0,   /* judged: at or below the limit */
    LT_JUDGE_EXCEEDED = 1, /* judged: above the limit */
    LT_JUDGE_NOT_JUDGED,   /* flagged data, no usable O2, unknown reference O2 (see why) */
    LT_JUDGE_NO_LIMIT      /* no limit configured for this outlet/type, factor and day */
};

/* The verdict with its evidence. */
struct lt_judgement {
    enum lt_judge_state state;
    double measured;  /* as received */
    double o2;        /* measured O2 used, NaN when none was needed or usable */
    double o2_ref;    /* reference O2, NaN when no correction applies */
    double corrected; /* the value compared with the limit (NaN when not judged) */
    double limit;     /* NaN when no limit */
    char flag[8];     /* the value's flag as received */
    char rule[48];    /* the limit's section name */
    char source[384]; /* the limit's source text */
    bool verified;    /* the limit's status */
    char why[160];    /* one sentence: the reason of the verdict */
};

/* Judge one hourly value against the limit in force (HJ 75-2017; HJ 212-2017 6.6.4 Table 8 for
 * the flags). Only valid data are judged: flags N (normal) and T (above the measuring upper limit:
 * the true value is at least the one sent) and a value sent without a flag; F, M, S, D, C, B, the
 * 2005 P and any other flag give LT_JUDGE_NOT_JUDGED ("not judged: flag X"). When the limit needs
 * oxygen correction, a missing, flagged or out-of-range O2 also gives NOT_JUDGED. The compared
 * value is not rounded; a value equal to the limit is within it. Returns 0, or LT_EINVAL when an
 * argument is missing or measured is NaN. */
int lt_source_judge(const struct lt_limits *l, const struct lt_hour_obs *obs,
                    struct lt_judgement *out);

/* "within", "exceeded", "not judged", "no limit". */
const char *lt_judge_state_name(enum lt_judge_state s);

#ifdef __cplusplus
}
#endif
#endif

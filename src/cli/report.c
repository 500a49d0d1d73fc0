/* lantian — printing period statistics. */
#include <math.h>
#include <string.h>

#include "cli/report.h"
#include "cli/table.h"
#include "lantian/aqi.h"
#include "lantian/util.h"

int lt_report_decimals(int pollutant)
{
    return pollutant == LT_CO ? 1 : 0;
}

static void lt__num(FILE *f, double v, int dec)
{
    if (isnan(v))
        fputs("null", f);
    else
        fprintf(f, "%.*f", dec, v);
}

static const char *lt__attain(int a)
{
    return a > 0 ? "达标" : a == 0 ? "超标" : "—";
}

void lt_report_period_table(FILE *f, const char *area, int nsites, const struct lt_period *ps,
                            const struct lt_rules *rules)
{
    char a[16], b[16];
    lt_date_format(ps->from, a, sizeof(a));
    lt_date_format(ps->to, b, sizeof(b));
    const struct lt_ruleset *rs = lt_rules_by_name(rules, ps->ruleset);
    fprintf(f, "%s  %s … %s (%d days, %d site%s with data)\n", area, a, b, ps->ndays, nsites,
            nsites == 1 ? "" : "s");
    fprintf(f, "rules: %s", ps->ruleset);
    if (rs)
        fprintf(f, " — %s", rs->title);
    fprintf(f, "\nAQI editions used: %s%s%s\n\n", (ps->editions & 1u) ? "HJ 633-2012" : "",
            (ps->editions & 3u) == 3u ? " + " : "", (ps->editions & 2u) ? "HJ 633-2026" : "");

    static const char *const hdr[] = {"pollutant",  "mean",  "valid days",  "valid",
                                      "percentile", "value", "exceed days", "attainment"};
    struct lt_table *t = lt_table_new(8, hdr);
    if (!t)
        return;
    for (int p = 0; p < LT_POLL_N; p++) {
        const struct lt_pstat *x = &ps->p[p];
        char name[32], pct[16];
        snprintf(name, sizeof(name), "%s%s%s", lt_pollutant_name((enum lt_pollutant)p),
                 p == LT_O3 ? "_8h" : "", p == LT_CO ? " mg/m3" : "");
        lt_table_row(t);
        lt_table_str(t, 0, name);
        lt_table_num(t, 1, x->ndays ? x->mean_r : NAN, lt_report_decimals(p));
        lt_table_int(t, 2, x->ndays);
        lt_table_str(t, 3, x->valid ? "yes" : "no");
        snprintf(pct, sizeof(pct), "P%g", x->pct_p);
        lt_table_str(t, 4, pct);
        lt_table_num(t, 5, x->pct_r, lt_report_decimals(p));
        lt_table_int(t, 6, x->exceed_days);
        lt_table_str(t, 7, lt__attain(x->attain));
    }
    lt_table_print(t, f, LT_FMT_TABLE);
    lt_table_free(t);
    for (int p = 0; p < LT_POLL_N; p++)
        if (!ps->p[p].valid) {
            fputs("valid = no: a month has fewer valid days than GB 3095 Table 4 requires "
                  "(27; February 25),\n  or a whole year fewer than 324; look at the months "
                  "with --period YYYY-MM.\n",
                  f);
            break;
        }

    fprintf(f, "\ndays with a valid daily AQI: %d of %d", ps->aqi_days, ps->ndays);
    if (ps->dust_days)
        fprintf(f, " (dust days: %d)", ps->dust_days);
    fputc('\n', f);
    fprintf(f, "good days (AQI <= 100): %d", ps->good_days);
    if (!isnan(ps->good_ratio))
        fprintf(f, " = %.1f%%", ps->good_ratio);
    fprintf(f, "\nheavy and above (AQI > 200): %d", ps->heavy_days);
    if (!isnan(ps->heavy_ratio))
        fprintf(f, " = %.1f%%", ps->heavy_ratio);
    fputs("\nlevels:", f);
    for (int l = 1; l <= 6; l++)
        fprintf(f, " %s %d", lt_aqi_category(l), ps->level_days[l]);
    if (ps->aqi_max != LT_IAQI_NA)
        fprintf(f, "\nhighest daily AQI: %d", ps->aqi_max);
    fputs("\ncomprehensive index: ", f);
    if (isnan(ps->index))
        fputs("— (a component is missing)", f);
    else {
        fprintf(f, "%.2f  (", ps->index);
        for (int p = 0; p < LT_POLL_N; p++)
            fprintf(f, "%s%s %.3f", p ? ", " : "", lt_pollutant_name((enum lt_pollutant)p),
                    ps->index_i[p]);
        fputc(')', f);
    }
    fprintf(f, "\nattainment (GB 3095 grade II, whole year): %s%s\n", lt__attain(ps->attain),
            ps->attain < 0 ? " (judged only for a whole calendar year with valid annual values)"
                           : "");
}

void lt_report_period_json(FILE *f, const char *area, int nsites, const struct lt_period *ps,
                           const struct lt_rules *rules)
{
    (void)rules;
    char a[16], b[16];
    lt_date_format(ps->from, a, sizeof(a));
    lt_date_format(ps->to, b, sizeof(b));
    fputs("{\"area\": ", f);
    lt_json_str(f, area);
    fprintf(f, ", \"sites\": %d, \"from\": \"%s\", \"to\": \"%s\", \"days\": %d, \"ruleset\": ",
            nsites, a, b, ps->ndays);
    lt_json_str(f, ps->ruleset);
    fputs(", \"aqi_editions\": [", f);
    int first = 1;
    for (int e = 0; e < LT_ED_N; e++)
        if (ps->editions & (1u << e)) {
            fprintf(f, "%s\"%s\"", first ? "" : ", ", lt_edition_name((enum lt_edition)e));
            first = 0;
        }
    fputs("], \"pollutants\": {", f);
    for (int p = 0; p < LT_POLL_N; p++) {
        const struct lt_pstat *x = &ps->p[p];
        int dec = lt_report_decimals(p);
        fprintf(f, "%s\"%s\": {\"mean\": ", p ? ", " : "", lt_pollutant_name((enum lt_pollutant)p));
        lt__num(f, x->ndays ? x->mean_r : NAN, dec);
        fprintf(f,
                ", \"valid_days\": %d, \"valid\": %s, \"percentile\": %g, \"percentile_value\": ",
                x->ndays, x->valid ? "true" : "false", x->pct_p);
        lt__num(f, x->pct_r, dec);
        fprintf(f, ", \"exceed_days\": %d, \"attained\": %s}", x->exceed_days,
                x->attain > 0    ? "true"
                : x->attain == 0 ? "false"
                                 : "null");
    }
    fprintf(f, "}, \"aqi_days\": %d, \"good_days\": %d, \"good_ratio\": ", ps->aqi_days,
            ps->good_days);
    lt__num(f, ps->good_ratio, 1);
    fprintf(f, ", \"heavy_days\": %d, \"heavy_ratio\": ", ps->heavy_days);
    lt__num(f, ps->heavy_ratio, 1);
    fputs(", \"level_days\": {", f);
    for (int l = 1; l <= 6; l++)
        fprintf(f, "%s\"%s\": %d", l > 1 ? ", " : "", lt_aqi_category(l), ps->level_days[l]);
    fprintf(f, "}, \"dust_days\": %d, \"aqi_max\": ", ps->dust_days);
    if (ps->aqi_max == LT_IAQI_NA)
        fputs("null", f);
    else
        fprintf(f, "%d", ps->aqi_max);
    fputs(", \"index\": ", f);
    lt__num(f, ps->index, 2);
    fputs(", \"index_parts\": {", f);
    for (int p = 0; p < LT_POLL_N; p++) {
        fprintf(f, "%s\"%s\": ", p ? ", " : "", lt_pollutant_name((enum lt_pollutant)p));
        lt__num(f, ps->index_i[p], 4);
    }
    fprintf(f, "}, \"attained\": %s}",
            ps->attain > 0    ? "true"
            : ps->attain == 0 ? "false"
                              : "null");
}

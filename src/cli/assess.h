/* lantian — assembling the data the pure statistics need: site-days from the store or straight
 * from CNEMC files, grouped into areas (cities, counties, single sites). */
#ifndef LANTIAN_CLI_ASSESS_H
#define LANTIAN_CLI_ASSESS_H

#include <stdbool.h>
#include <stdint.h>

#include "lantian/rules.h"
#include "lantian/stats.h"
#include "store/store.h"

struct lt_dataset {
    int32_t day0; /* first natural day held */
    int ndays;
    int nsites;
    struct lt_site *sites;   /* nsites */
    struct lt_day *sday;     /* nsites * ndays site-days: sday[i * ndays + j] */
    double *hours;           /* optional hourly grid, by day, pollutant, site, hour (assess.c) */
    unsigned *not_monitored; /* per site: pollutants flagged not monitored */
};

void lt_dataset_free(struct lt_dataset *ds);

/* Site-days of the given sites for days day0 .. day0+ndays-1 from the store (corrections applied).
 * keep_hours keeps the hourly grid (for hourly AQI). */
int lt_dataset_from_store(struct lt_store *st, const struct lt_site *sites, int nsites,
                          int32_t day0, int ndays, const struct lt_rules *rules, bool keep_hours,
                          struct lt_dataset *out);

/* Site-days straight from CNEMC files (no database): stations from the CNEMC station list,
 * restricted to `province` when not NULL. Rejected input is reported on stderr and counted in
 * *rejected. */
int lt_dataset_from_files(const char *stations_csv, char *const *files, int nfiles,
                          const char *province, int32_t day0, int ndays,
                          const struct lt_rules *rules, bool keep_hours, long *rejected,
                          struct lt_dataset *out);

enum lt_area_level { LT_AREA_SITE = 0, LT_AREA_CITY, LT_AREA_COUNTY };

struct lt_area {
    char name[96];
    char province[64];
    int nsites; /* sites that enter the area's value (evaluation sites; or the one site) */
    int *sites; /* indexes into the dataset */
};

/* Group the dataset's sites into areas of a level. Evaluation sites only (a LT_AREA_SITE area is
 * any one site). When name is not NULL only that area is built ("郑州" matches "郑州市").
 * *out is malloc'd; free with lt_areas_free. */
int lt_areas_build(const struct lt_dataset *ds, enum lt_area_level level, const char *name,
                   struct lt_area **out, int *n);
void lt_areas_free(struct lt_area *a, int n);

/* Area-days of one area over days [from, to] (inside the dataset). Sites count only within their
 * registry dates. When st is not NULL, dust flags of the area are read from it. *out is malloc'd
 * (to - from + 1 days). */
int lt_area_days(const struct lt_dataset *ds, const struct lt_area *a, int32_t from, int32_t to,
                 struct lt_store *st, struct lt_day **out);

/* Hourly area concentrations (mean of the sites' 1-h values present) for hour k of the dataset
 * into c[LT_POLL_N] (NaN when no site has one). Needs keep_hours. */
void lt_area_hour(const struct lt_dataset *ds, const struct lt_area *a, int k, double *c);

/* Parse a period: "YYYY", "YYYY-MM", "YYYY-Qn", "YYYY-MM-DD" or "YYYY-MM-DD:YYYY-MM-DD". */
int lt_period_parse(const char *s, int32_t *from, int32_t *to);

/* The same period one year earlier (29 February maps to 28 February). */
void lt_period_prev_year(int32_t from, int32_t to, int32_t *pfrom, int32_t *pto);

/* Sites of the area that have at least one valid daily value in [from, to] (for reporting how
 * many sites a value rests on; registries list sites added later, which have no data yet). */
int lt_area_sites_with_data(const struct lt_dataset *ds, const struct lt_area *a, int32_t from,
                            int32_t to);
#endif

/* lantian — printing period statistics for people (table) and programs (JSON). */
#ifndef LANTIAN_CLI_REPORT_H
#define LANTIAN_CLI_REPORT_H

#include <stdio.h>

#include "lantian/rules.h"
#include "lantian/stats.h"

/* Decimals a pollutant's concentration is reported with (HJ 633-2026 4.2.2: integers, CO 0.1). */
int lt_report_decimals(int pollutant);

void lt_report_period_table(FILE *f, const char *area, int nsites, const struct lt_period *ps,
                            const struct lt_rules *rules);
/* One JSON object (no trailing newline). */
void lt_report_period_json(FILE *f, const char *area, int nsites, const struct lt_period *ps,
                           const struct lt_rules *rules);

#endif

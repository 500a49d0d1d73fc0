/* lantian — table rows of stored records (devices, quarantine, exceedances, corrections), shared
 * by the CLI and the HTTP API so that both show the same columns, formatted the same way. */
#ifndef LANTIAN_CLI_ROWS_H
#define LANTIAN_CLI_ROWS_H

#include "cli/table.h"
#include "store/store.h"

enum lt_rows_kind {
    LT_ROWS_DEVICE = 0,
    LT_ROWS_QUARANTINE,
    LT_ROWS_EXCEEDANCE,
    LT_ROWS_CORRECTION,
    LT_ROWS_DEV_VALUE, /* values a device sent: data_time, cn, factor, kind, value, value_conv,
                        * flag, raw_id */
    LT_ROWS_TARGET     /* stored target values: area, year, name, ruleset, target, value, set_by,
                          set_at, source */
};

/* An empty table with the kind's columns; NULL when out of memory. */
struct lt_table *lt_rows_new(enum lt_rows_kind kind);

/* Append one record as a row. 0, or LT_ENOMEM. */
int lt_rows_device(struct lt_table *t, const struct lt_device *d);
int lt_rows_quarantine(struct lt_table *t, const struct lt_quarantine *q);
int lt_rows_exceedance(struct lt_table *t, const struct lt_exceedance *e);
int lt_rows_correction(struct lt_table *t, const struct lt_correction *c);
/* One row per value the target sets (none for a target without values). */
int lt_rows_target(struct lt_table *t, const struct lt_store_target *x);
/* A device value as stored; 0 or LT_ENOMEM. Usable as the callback of lt_store_dev_value_list
 * with the table as its argument. */
int lt_rows_dev_value(void *table, const struct lt_dev_value_row *v);

/* The fewest decimals (0..6) that print v back exactly: a correction shows what was typed. */
int lt_rows_decimals(double v);

/* The CRC variants a device tolerates from "std", "modbus", "modbus-le", "any", comma-separated
 * (the standard CRC, HJ 212-2017 App. A, is always accepted; s NULL = std only). LT_EPARSE for
 * another word. */
int lt_rows_crc_parse(const char *s, unsigned *mask);

/* "std,modbus" for a CRC variant mask (lt_hj212_crc_kind bits). */
void lt_rows_crc_names(unsigned mask, char *buf, size_t cap);

#endif

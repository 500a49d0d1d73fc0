/* lantian — table-shaped output as an aligned text table, CSV (RFC 4180) or JSON; cli/xlsx.h
 * writes the same tables as Excel workbooks. */
#ifndef LANTIAN_CLI_TABLE_H
#define LANTIAN_CLI_TABLE_H

#include <stdio.h>

/* LT_FMT_XLSX is written by cli/xlsx.h (a file, not a stream): lt_table_print ignores it. */
enum lt_fmt { LT_FMT_TABLE = 0, LT_FMT_CSV, LT_FMT_JSON, LT_FMT_XLSX };

/* Parse "table" / "csv" / "json" / "xlsx"; -1 when unknown or not in `allowed`, a mask of
 * (1 << lt_fmt). */
int lt_fmt_parse(const char *s, unsigned allowed);

struct lt_table;

/* A table with `ncols` columns named by headers (copied). NULL on allocation failure. */
struct lt_table *lt_table_new(int ncols, const char *const *headers);
void lt_table_free(struct lt_table *t);
/* Start a new row; cells default to null (printed "—" in tables, empty in CSV, null in JSON). */
int lt_table_row(struct lt_table *t);
/* Set a text cell of the current row (copied). */
void lt_table_str(struct lt_table *t, int col, const char *text);
/* Set a number cell written with `decimals` digits (the value must already be rounded as the
 * standard requires: this only formats). NaN leaves the cell null. */
void lt_table_num(struct lt_table *t, int col, double v, int decimals);
void lt_table_int(struct lt_table *t, int col, long long v);
void lt_table_bool(struct lt_table *t, int col, int v); /* 1 true, 0 false, -1 null */
int lt_table_rows(const struct lt_table *t);

/* Reading a table back (for writers in other files, such as cli/xlsx.c). */
enum lt_cell_kind { LT_CELL_NULL = 0, LT_CELL_TEXT, LT_CELL_NUM, LT_CELL_BOOL };
int lt_table_cols(const struct lt_table *t);
const char *lt_table_header(const struct lt_table *t, int col);
/* The kind of cell (row, col) and, unless it is null, its text exactly as CSV writes it (a number
 * with its decimals, "true"/"false"); *text is NULL for a null cell or a cell outside the table.
 * The text lives as long as the table. */
enum lt_cell_kind lt_table_cell(const struct lt_table *t, int row, int col, const char **text);
/* Write the table. */
void lt_table_print(const struct lt_table *t, FILE *f, enum lt_fmt fmt);

/* Write rows first .. first+count-1 only (clamped to the table; count < 0: to the end) as CSV (with
 * the header row) or JSON (an array); for pages of an answer. */
void lt_table_print_rows(const struct lt_table *t, FILE *f, enum lt_fmt fmt, int first, int count);

/* JSON string escaping of s to f, with the quotes. */
void lt_json_str(FILE *f, const char *s);

#endif

/* lantian — a table (cli/table.h) as an Excel workbook (.xlsx, Office Open XML), for the tables
 * analysts send upward. Written with libxlsxwriter: one worksheet, a bold and frozen header row
 * with the CSV's column names, numbers as numbers shown with the decimals the CSV shows, text as
 * text (codes such as "1001A" and times stay exactly as in the CSV), null cells empty.
 *
 * Thread-safety: the functions may be called from several threads at once. libxlsxwriter itself is
 * not reentrant (see xlsx.c), so workbooks are made one at a time behind a mutex; each workbook's
 * temporary files go into the directory given (lt_xlsx_build makes a private one per call). */
#ifndef LANTIAN_CLI_XLSX_H
#define LANTIAN_CLI_XLSX_H

#include <stddef.h>

#include "cli/table.h"

struct lt_xlsx_meta {
    const char *sheet;    /* worksheet name: 1 .. 31 characters, none of [ ] : * ? / \ */
    const char *title;    /* document title (File > Properties), or NULL */
    const char *comments; /* where the numbers come from (document comments), or NULL */
};

/* Write rows first .. first+count-1 of t (clamped to the table; count < 0: to the end) as a
 * workbook at `path` (created or replaced). libxlsxwriter's own temporary files go into tmpdir
 * (NULL: $TMPDIR or /tmp); it removes them itself. Returns 0, LT_ENOMEM, LT_ERANGE (more rows
 * than a worksheet holds, a text longer than a cell holds, a bad sheet name) or LT_EIO (the file
 * or a temporary file could not be written); err (may be NULL) says which and why. */
int lt_xlsx_save(const struct lt_table *t, int first, int count, const struct lt_xlsx_meta *m,
                 const char *path, const char *tmpdir, char *err, size_t errcap);

/* The same workbook in memory: *buf (malloc'd, the caller frees it) and *len. The file is built in
 * a private directory made for this call (mkdtemp, mode 0700, under $TMPDIR or /tmp), read back,
 * and the file and directory are removed on every path, success or failure. A page whose cells
 * take more than `max` bytes as CSV, or a workbook larger than `max`, is LT_ERANGE (nothing is
 * built in the first case). Other errors as lt_xlsx_save. */
int lt_xlsx_build(const struct lt_table *t, int first, int count, const struct lt_xlsx_meta *m,
                  size_t max, char **buf, size_t *len, char *err, size_t errcap);

/* The CLI's `--format xlsx --output FILE`: the whole table to path, the document's comments
 * naming the command line (argv) it came from. Prints "lantian <cmd>: N rows written to FILE", or
 * the error, to stderr; returns 0 or -1. */
int lt_xlsx_cli_save(const char *cmd, const struct lt_table *t, const char *path, const char *sheet,
                     const char *title, int argc, char **argv);

#endif

/* lantian — tables as Excel workbooks (libxlsxwriter). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "cli/xlsx.h"
#include "lantian/util.h"

/* Excel's limits (Excel specifications and limits): rows per worksheet, characters in a cell. */
#define LT__XLSX_ROWS_MAX  1048576
#define LT__XLSX_CELL_MAX  32767
#define LT__XLSX_DEC_MAX   10 /* number formats "0" .. "0.0000000000" */
#define LT__XLSX_WIDTH_MIN 6
#define LT__XLSX_WIDTH_MAX 60

static int lt__err(char *err, size_t errcap, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int lt__err(char *err, size_t errcap, int rc, const char *fmt, ...)
{
    if (err && errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errcap, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int lt__lxw_rc(lxw_error e)
{
    switch (e) {
    case LXW_NO_ERROR:
        return 0;
    case LXW_ERROR_MEMORY_MALLOC_FAILED:
        return LT_ENOMEM;
    case LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED:
    case LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE:
        return LT_ERANGE;
    default:
        return LT_EIO;
    }
}

/* The page [*first, *first + *count) clamped to the table. */
static void lt__clamp(const struct lt_table *t, int *first, int *count)
{
    int n = lt_table_rows(t);
    if (*first < 0)
        *first = 0;
    if (*first > n)
        *first = n;
    if (*count < 0 || *count > n - *first)
        *count = n - *first;
}

/* Decimals of a number as the CSV writes it ("2.6" -> 1, "82" -> 0). */
static int lt__decimals(const char *s)
{
    const char *dot = strchr(s, '.');
    if (!dot)
        return 0;
    size_t n = strspn(dot + 1, "0123456789");
    return n > LT__XLSX_DEC_MAX ? LT__XLSX_DEC_MAX : (int)n;
}

/* libxlsxwriter 1.1.4 is not safe in several threads at once: it formats the document's date with
 * gmtime() (one static buffer per process) and draws its temporary files' names from an
 * unsynchronised static seed. One workbook is made at a time; the HTTP workers that wait here
 * are the ones answering Excel requests, the others go on. */
static pthread_mutex_t lt__lxw_mu = PTHREAD_MUTEX_INITIALIZER;

static int lt__save(const struct lt_table *t, int first, int count, const struct lt_xlsx_meta *m,
                    const char *path, const char *tmpdir, char *err, size_t errcap)
{
    int rc = 0;
    lxw_error e = LXW_NO_ERROR;
    double *width = NULL;
    lt__clamp(t, &first, &count);
    int ncols = lt_table_cols(t);
    if (count + 1 > LT__XLSX_ROWS_MAX)
        return lt__err(err, errcap, LT_ERANGE,
                       "%d rows do not fit in one worksheet (at most %d); ask for fewer", count,
                       LT__XLSX_ROWS_MAX - 1);
    /* The file is made here first: libxlsxwriter 1.1.4 opens it only in workbook_close, and when
     * it cannot, leaks the worksheet's temporary file. A file that cannot be made is an error on
     * our own path, which closes everything; the file is removed again on every error. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return lt__err(err, errcap, LT_EIO, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    /* constant_memory: each row goes to a temporary file as it is finished, so a large page
     * costs little memory; the rows are written in order, as that mode needs. */
    lxw_workbook_options o = {
        .constant_memory = LXW_TRUE, .tmpdir = (char *)tmpdir, .use_zip64 = LXW_FALSE};
    lxw_worksheet *ws = NULL;
    lxw_workbook *wb = workbook_new_opt(path, &o);
    if (!wb) {
        unlink(path);
        return lt__err(err, errcap, LT_ENOMEM, "out of memory starting a workbook");
    }
    lxw_doc_properties props = {.title = (char *)m->title, .comments = (char *)m->comments};
    props.author = (char *)"lantian";
    workbook_set_properties(wb, &props);
    if (workbook_validate_sheet_name(wb, m->sheet) != LXW_NO_ERROR) {
        rc = lt__err(err, errcap, LT_ERANGE, "'%s' is not a valid worksheet name", m->sheet);
        goto fail;
    }
    ws = workbook_add_worksheet(wb, m->sheet);
    if (!ws) {
        /* In constant_memory mode the worksheet opens its temporary file now. */
        rc = lt__err(err, errcap, LT_EIO,
                     "cannot start the worksheet: no temporary file in %s (errno: %s)",
                     tmpdir ? tmpdir : "the temporary directory", strerror(errno));
        goto fail;
    }
    lxw_format *head = workbook_add_format(wb);
    lxw_format *num[LT__XLSX_DEC_MAX + 1] = {0};
    if (!head) {
        rc = lt__err(err, errcap, LT_ENOMEM, "out of memory adding a format");
        goto fail;
    }
    format_set_bold(head);
    format_set_bottom(head, LXW_BORDER_THIN);
    format_set_bg_color(head, 0xE7EEF7);

    /* Column widths (in characters of the default font; a CJK character counts two) from the
     * header and the page: set before the rows, as constant_memory mode writes them in order. */
    width = calloc((size_t)(ncols ? ncols : 1), sizeof(*width));
    if (!width) {
        rc = lt__err(err, errcap, LT_ENOMEM, "out of memory sizing columns");
        goto fail;
    }
    for (int c = 0; c < ncols; c++) {
        const char *h = lt_table_header(t, c);
        width[c] = lt_utf8_width(h, strlen(h)) + 1; /* bold is a little wider */
        for (int r = first; r < first + count; r++) {
            const char *s;
            if (lt_table_cell(t, r, c, &s) == LT_CELL_NULL)
                continue;
            int w = lt_utf8_width(s, strlen(s));
            if (w > width[c])
                width[c] = w;
        }
        width[c] += 2;
        if (width[c] < LT__XLSX_WIDTH_MIN)
            width[c] = LT__XLSX_WIDTH_MIN;
        if (width[c] > LT__XLSX_WIDTH_MAX)
            width[c] = LT__XLSX_WIDTH_MAX;
        e = worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, width[c], NULL);
        if (e)
            goto lxw_fail;
    }
    worksheet_freeze_panes(ws, 1, 0);
    if (ncols) {
        e = worksheet_autofilter(ws, 0, 0, (lxw_row_t)count, (lxw_col_t)(ncols - 1));
        if (e)
            goto lxw_fail;
    }
    for (int c = 0; c < ncols && !e; c++)
        e = worksheet_write_string(ws, 0, (lxw_col_t)c, lt_table_header(t, c), head);
    for (int r = 0; r < count && !e; r++) {
        lxw_row_t row = (lxw_row_t)r + 1;
        for (int c = 0; c < ncols && !e; c++) {
            const char *s;
            double v;
            switch (lt_table_cell(t, first + r, c, &s)) {
            case LT_CELL_NULL: /* an empty cell, as CSV writes an empty field */
                break;
            case LT_CELL_BOOL:
                e = worksheet_write_boolean(ws, row, (lxw_col_t)c, !strcmp(s, "true"), NULL);
                break;
            case LT_CELL_NUM: {
                /* The value the CSV shows, as a number: parsed back from the very text the CSV
                 * writes, displayed with as many decimals (CO 0.1 mg/m3 stays "2.6", a ratio
                 * "29.0"). The value is rounded already (table.h); this only shows it. */
                if (lt_parse_double(lt_str_of(s), &v)) {
                    e = worksheet_write_string(ws, row, (lxw_col_t)c, s, NULL);
                    break;
                }
                int d = lt__decimals(s);
                if (!num[d]) {
                    char f[LT__XLSX_DEC_MAX + 3] = "0";
                    if (d) {
                        f[1] = '.';
                        memset(f + 2, '0', (size_t)d);
                        f[d + 2] = '\0';
                    }
                    num[d] = workbook_add_format(wb);
                    if (!num[d]) {
                        rc = lt__err(err, errcap, LT_ENOMEM, "out of memory adding a format");
                        goto fail;
                    }
                    format_set_num_format(num[d], f);
                }
                e = worksheet_write_number(ws, row, (lxw_col_t)c, v, num[d]);
                break;
            }
            case LT_CELL_TEXT:
                if (strlen(s) > LT__XLSX_CELL_MAX) {
                    rc = lt__err(err, errcap, LT_ERANGE,
                                 "row %d, column %s: the text is longer than a cell holds (%d)",
                                 first + r + 1, lt_table_header(t, c), LT__XLSX_CELL_MAX);
                    goto fail;
                }
                e = worksheet_write_string(ws, row, (lxw_col_t)c, s, NULL);
                break;
            }
        }
    }
    if (e)
        goto lxw_fail;
    free(width);
    /* workbook_close writes the file and frees the workbook, also when it fails. */
    e = workbook_close(wb);
    if (e) {
        unlink(path);
        return lt__err(err, errcap, lt__lxw_rc(e), "cannot write %s: %s", path, lxw_strerror(e));
    }
    return 0;
lxw_fail:
    rc = lt__err(err, errcap, lt__lxw_rc(e), "cannot build the worksheet: %s", lxw_strerror(e));
fail:
    free(width);
    /* lxw_workbook_free frees without writing the file but, in libxlsxwriter 1.1.4,
     * does not close the worksheet's constant_memory temporary file: close it here. */
    if (ws && ws->optimize_tmpfile) {
        fclose(ws->optimize_tmpfile);
        ws->optimize_tmpfile = NULL;
        ws->file = NULL;
    }
    lxw_workbook_free(wb);
    unlink(path);
    return rc;
}

int lt_xlsx_save(const struct lt_table *t, int first, int count, const struct lt_xlsx_meta *m,
                 const char *path, const char *tmpdir, char *err, size_t errcap)
{
    pthread_mutex_lock(&lt__lxw_mu);
    int rc = lt__save(t, first, count, m, path, tmpdir, err, errcap);
    pthread_mutex_unlock(&lt__lxw_mu);
    return rc;
}

int lt_xlsx_cli_save(const char *cmd, const struct lt_table *t, const char *path, const char *sheet,
                     const char *title, int argc, char **argv)
{
    char line[1024] = "lantian", err[512] = "";
    size_t len = strlen(line);
    for (int i = 0; i < argc && len + 1 < sizeof line; i++) {
        int w = snprintf(line + len, sizeof line - len, " %s", argv[i]);
        len = w < 0 ? sizeof line : len + (size_t)w;
    }
    struct lt_xlsx_meta m = {.sheet = sheet, .title = title, .comments = line};
    if (lt_xlsx_save(t, 0, -1, &m, path, NULL, err, sizeof err)) {
        fprintf(stderr, "lantian %s: %s\n", cmd, err);
        return -1;
    }
    fprintf(stderr, "lantian %s: %d rows written to %s\n", cmd, lt_table_rows(t), path);
    return 0;
}

/* The CSV size of the page: its cells' text, separators and line ends. */
static size_t lt__page_bytes(const struct lt_table *t, int first, int count)
{
    int ncols = lt_table_cols(t);
    size_t n = 0;
    for (int c = 0; c < ncols; c++)
        n += strlen(lt_table_header(t, c)) + 1;
    for (int r = first; r < first + count; r++)
        for (int c = 0; c < ncols; c++) {
            const char *s;
            n += 1;
            if (lt_table_cell(t, r, c, &s) != LT_CELL_NULL)
                n += strlen(s);
        }
    return n;
}

/* Read the file at path (at most max bytes) into a malloc'd buffer. */
static int lt__slurp(const char *path, size_t max, char **buf, size_t *len, char *err,
                     size_t errcap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lt__err(err, errcap, LT_EIO, "cannot open the workbook built at %s: %s", path,
                       strerror(errno));
    int rc = 0;
    char *b = NULL;
    struct stat sb;
    if (fstat(fd, &sb)) {
        rc = lt__err(err, errcap, LT_EIO, "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    if ((unsigned long long)sb.st_size > max) {
        rc = lt__err(err, errcap, LT_ERANGE, "the workbook would be %lld bytes, over %zu",
                     (long long)sb.st_size, max);
        goto out;
    }
    size_t n = (size_t)sb.st_size, got = 0;
    b = malloc(n ? n : 1);
    if (!b) {
        rc = lt__err(err, errcap, LT_ENOMEM, "out of memory reading the workbook");
        goto out;
    }
    while (got < n) {
        ssize_t k = read(fd, b + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            rc = lt__err(err, errcap, LT_EIO, "cannot read %s: %s", path,
                         k ? strerror(errno) : "the file is shorter than its size");
            goto out;
        }
        got += (size_t)k;
    }
    *buf = b;
    *len = n;
    b = NULL;
out:
    free(b);
    close(fd);
    return rc;
}

int lt_xlsx_build(const struct lt_table *t, int first, int count, const struct lt_xlsx_meta *m,
                  size_t max, char **buf, size_t *len, char *err, size_t errcap)
{
    *buf = NULL;
    *len = 0;
    lt__clamp(t, &first, &count);
    size_t csv = lt__page_bytes(t, first, count);
    if (csv > max)
        return lt__err(err, errcap, LT_ERANGE, "the page's cells take %zu bytes, over %zu", csv,
                       max);
    /* A directory of our own for this workbook: concurrent requests never share a name (the
     * temporary names libxlsxwriter draws are not thread-safe), and nothing is left behind. */
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    char dir[512], path[544];
    int w = snprintf(dir, sizeof dir, "%s/lantian-xlsx-XXXXXX", base);
    if (w < 0 || (size_t)w >= sizeof dir)
        return lt__err(err, errcap, LT_EIO, "the temporary directory name %s is too long", base);
    if (!mkdtemp(dir))
        return lt__err(err, errcap, LT_EIO, "cannot make a temporary directory in %s: %s", base,
                       strerror(errno));
    snprintf(path, sizeof path, "%s/answer.xlsx", dir);
    int rc = lt_xlsx_save(t, first, count, m, path, dir, err, errcap);
    if (!rc)
        rc = lt__slurp(path, max, buf, len, err, errcap);
    if (unlink(path) && errno != ENOENT && !rc)
        rc = lt__err(err, errcap, LT_EIO, "cannot remove %s: %s", path, strerror(errno));
    if (rmdir(dir) && !rc)
        rc = lt__err(err, errcap, LT_EIO, "cannot remove %s: %s", dir, strerror(errno));
    if (rc) {
        free(*buf);
        *buf = NULL;
        *len = 0;
    }
    return rc;
}

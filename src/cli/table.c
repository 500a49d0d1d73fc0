/* lantian — table-shaped output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/table.h"
#include "lantian/util.h"

struct lt__cell {
    enum lt_cell_kind kind;
    char *text; /* formatted value */
};

struct lt_table {
    int ncols, nrows, cap;
    char **headers;
    struct lt__cell *cells; /* nrows * ncols */
};

int lt_fmt_parse(const char *s, unsigned allowed)
{
    int f = -1;
    if (!strcmp(s, "table"))
        f = LT_FMT_TABLE;
    else if (!strcmp(s, "csv"))
        f = LT_FMT_CSV;
    else if (!strcmp(s, "json"))
        f = LT_FMT_JSON;
    else if (!strcmp(s, "xlsx"))
        f = LT_FMT_XLSX;
    if (f < 0 || !(allowed & (1u << f)))
        return -1;
    return f;
}

static char *lt__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

struct lt_table *lt_table_new(int ncols, const char *const *headers)
{
    struct lt_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->headers = calloc((size_t)ncols, sizeof(char *));
    if (!t->headers) {
        free(t);
        return NULL;
    }
    for (int i = 0; i < ncols; i++) {
        t->headers[i] = lt__strdup(headers[i]);
        if (!t->headers[i]) {
            lt_table_free(t);
            return NULL;
        }
    }
    return t;
}

void lt_table_free(struct lt_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i].text);
    free(t->cells);
    for (int i = 0; i < t->ncols; i++)
        free(t->headers[i]);
    free(t->headers);
    free(t);
}

int lt_table_row(struct lt_table *t)
{
    if (t->nrows == t->cap) {
        int ncap = t->cap ? t->cap * 2 : 64;
        struct lt__cell *nc = realloc(t->cells, sizeof(*nc) * (size_t)ncap * (size_t)t->ncols);
        if (!nc)
            return -1;
        t->cells = nc;
        t->cap = ncap;
    }
    memset(&t->cells[(size_t)t->nrows * (size_t)t->ncols], 0,
           sizeof(struct lt__cell) * (size_t)t->ncols);
    t->nrows++;
    return 0;
}

static void lt__set(struct lt_table *t, int col, enum lt_cell_kind kind, const char *text)
{
    if (!t->nrows || col < 0 || col >= t->ncols)
        return;
    struct lt__cell *c = &t->cells[(size_t)(t->nrows - 1) * (size_t)t->ncols + (size_t)col];
    free(c->text);
    c->text = lt__strdup(text);
    c->kind = c->text ? kind : LT_CELL_NULL;
}

void lt_table_str(struct lt_table *t, int col, const char *text)
{
    if (text)
        lt__set(t, col, LT_CELL_TEXT, text);
}

void lt_table_num(struct lt_table *t, int col, double v, int decimals)
{
    if (isnan(v))
        return;
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    lt__set(t, col, LT_CELL_NUM, buf);
}

void lt_table_int(struct lt_table *t, int col, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    lt__set(t, col, LT_CELL_NUM, buf);
}

void lt_table_bool(struct lt_table *t, int col, int v)
{
    if (v >= 0)
        lt__set(t, col, LT_CELL_BOOL, v ? "true" : "false");
}

int lt_table_rows(const struct lt_table *t)
{
    return t->nrows;
}

int lt_table_cols(const struct lt_table *t)
{
    return t->ncols;
}

const char *lt_table_header(const struct lt_table *t, int col)
{
    return col >= 0 && col < t->ncols ? t->headers[col] : NULL;
}

enum lt_cell_kind lt_table_cell(const struct lt_table *t, int row, int col, const char **text)
{
    *text = NULL;
    if (row < 0 || row >= t->nrows || col < 0 || col >= t->ncols)
        return LT_CELL_NULL;
    const struct lt__cell *c = &t->cells[(size_t)row * (size_t)t->ncols + (size_t)col];
    if (c->kind != LT_CELL_NULL)
        *text = c->text;
    return c->kind;
}

void lt_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void lt__csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void lt__print_text(const struct lt_table *t, FILE *f);

static void lt__pad(FILE *f, int n)
{
    for (int i = 0; i < n; i++)
        fputc(' ', f);
}

void lt_table_print(const struct lt_table *t, FILE *f, enum lt_fmt fmt)
{
    if (fmt == LT_FMT_TABLE)
        lt__print_text(t, f);
    else
        lt_table_print_rows(t, f, fmt, 0, t->nrows);
}

void lt_table_print_rows(const struct lt_table *t, FILE *f, enum lt_fmt fmt, int first, int count)
{
    const struct lt__cell *cells = t->cells;
    if (first < 0)
        first = 0;
    if (first > t->nrows)
        first = t->nrows;
    if (count < 0 || count > t->nrows - first)
        count = t->nrows - first;
    int end = first + count;
    if (fmt == LT_FMT_CSV) {
        for (int c = 0; c < t->ncols; c++) {
            if (c)
                fputc(',', f);
            lt__csv_field(f, t->headers[c]);
        }
        fputc('\n', f);
        for (int r = first; r < end; r++) {
            for (int c = 0; c < t->ncols; c++) {
                const struct lt__cell *x = &cells[(size_t)r * (size_t)t->ncols + (size_t)c];
                if (c)
                    fputc(',', f);
                if (x->kind != LT_CELL_NULL)
                    lt__csv_field(f, x->text);
            }
            fputc('\n', f);
        }
        return;
    }
    if (fmt == LT_FMT_JSON) {
        fputs("[", f);
        for (int r = first; r < end; r++) {
            fputs(r > first ? ",\n {" : "\n {", f);
            for (int c = 0; c < t->ncols; c++) {
                const struct lt__cell *x = &cells[(size_t)r * (size_t)t->ncols + (size_t)c];
                if (c)
                    fputs(", ", f);
                lt_json_str(f, t->headers[c]);
                fputs(": ", f);
                if (x->kind == LT_CELL_NULL)
                    fputs("null", f);
                else if (x->kind == LT_CELL_TEXT)
                    lt_json_str(f, x->text);
                else
                    fputs(x->text, f);
            }
            fputs("}", f);
        }
        fputs(count ? "\n]\n" : "]\n", f);
    }
}

static void lt__print_text(const struct lt_table *t, FILE *f)
{
    const struct lt__cell *cells = t->cells;
    /* Aligned text: numbers right-aligned, text left-aligned, widths in display columns. */
    int *w = calloc((size_t)t->ncols, sizeof(int));
    if (!w)
        return;
    for (int c = 0; c < t->ncols; c++)
        w[c] = lt_utf8_width(t->headers[c], strlen(t->headers[c]));
    for (int r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            const struct lt__cell *x = &cells[(size_t)r * (size_t)t->ncols + (size_t)c];
            const char *s = x->kind == LT_CELL_NULL ? "—" : x->text;
            int cw = lt_utf8_width(s, strlen(s));
            if (cw > w[c])
                w[c] = cw;
        }
    for (int c = 0; c < t->ncols; c++) {
        if (c)
            fputs("  ", f);
        fputs(t->headers[c], f);
        if (c + 1 < t->ncols)
            lt__pad(f, w[c] - lt_utf8_width(t->headers[c], strlen(t->headers[c])));
    }
    fputc('\n', f);
    for (int r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const struct lt__cell *x = &cells[(size_t)r * (size_t)t->ncols + (size_t)c];
            const char *s = x->kind == LT_CELL_NULL ? "—" : x->text;
            int pad = w[c] - lt_utf8_width(s, strlen(s));
            if (c)
                fputs("  ", f);
            if (x->kind == LT_CELL_NUM) {
                lt__pad(f, pad);
                fputs(s, f);
            } else {
                fputs(s, f);
                if (c + 1 < t->ncols)
                    lt__pad(f, pad);
            }
        }
        fputc('\n', f);
    }
    free(w);
}

/* lantian — HTTP API: table answers as files. The Excel (.xlsx) workbook of a page (cli/xlsx.c
 * builds it) and the file name a CSV or Excel download gets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/xlsx.h"
#include "http/http_internal.h"
#include "lantian/util.h"

#define LT__NAME_MAX 160 /* bytes of a file name's stem */

struct lt__name {
    char s[LT__NAME_MAX + 1];
    size_t len;
    bool utf8; /* keep non-ASCII characters (the RFC 5987 name) or drop them (the ASCII name) */
};

static void lt__name_byte(struct lt__name *n, char c)
{
    if (n->len < LT__NAME_MAX)
        n->s[n->len++] = c;
    n->s[n->len] = '\0';
}

/* Append one part of a name after a '-': ASCII letters, digits, '.', '_' and '-' are kept, other
 * ASCII bytes become '_' (never two in a row, none at either end), characters beyond ASCII are kept
 * whole (utf8) or dropped. An empty part adds nothing; a part that does not fit is cut at a
 * character boundary. */
static void lt__name_part(struct lt__name *n, const char *s)
{
    size_t start = n->len;
    bool pending = false; /* an '_' to write before the next kept character */
    if (start && start < LT__NAME_MAX)
        lt__name_byte(n, '-');
    size_t body = n->len;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t k = 1;
        if (*p >= 0x80) {
            while ((p[k] & 0xC0) == 0x80)
                k++;
            if (!n->utf8) {
                p += k;
                continue;
            }
        } else if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= 'a' && *p <= 'z') || *p == '.' || *p == '_' || *p == '-')) {
            pending = n->len > body;
            p++;
            continue;
        }
        if (n->len + (pending ? 1 : 0) + k > LT__NAME_MAX)
            break;
        if (pending)
            lt__name_byte(n, '_');
        pending = false;
        for (size_t i = 0; i < k; i++)
            lt__name_byte(n, (char)p[i]);
        p += k;
    }
    if (n->len == body) { /* nothing kept: drop the '-' too */
        n->len = start;
        n->s[start] = '\0';
    }
}

/* The stem: the endpoint (ASCII: its path after /api/, segments as parts; UTF-8: the table's
 * Chinese name, then the path parameters) and the values of the parameters given, in the order
 * the route lists them; a page that is not the whole table adds "rowsA-B" (its rows, from 1) or,
 * past the end, "offsetN". */
static void lt__stem(struct lt__req *q, struct lt__name *n)
{
    char seg[LT__HTTP_PATH_PARAM];
    const char *p = q->pattern;
    int np = 0;
    if (!strncmp(p, "/api/", 5))
        p += 5;
    if (n->utf8 && q->table)
        lt__name_part(n, q->table);
    while (*p) {
        size_t k = strcspn(p, "/");
        if (k == 2 && !memcmp(p, "{}", 2) && np < 2) {
            lt__name_part(n, q->pp[np++]); /* a path parameter: the MN of devices/{}/health */
        } else if (!n->utf8 || !q->table) {
            /* In the UTF-8 name the table's name stands for the fixed segments. */
            if (k >= sizeof seg)
                k = sizeof seg - 1;
            memcpy(seg, p, k);
            seg[k] = '\0';
            lt__name_part(n, seg);
        }
        p += strcspn(p, "/");
        if (*p == '/')
            p++;
    }
    const char *a = q->allowed;
    while (a && *a) {
        char key[32];
        a += strspn(a, " ");
        size_t k = strcspn(a, " ");
        if (!k)
            break;
        if (k < sizeof key) {
            memcpy(key, a, k);
            key[k] = '\0';
            const char *v = lt__param(q, key);
            if (v && strcmp(key, "limit") != 0 && strcmp(key, "offset") != 0)
                lt__name_part(n, v);
        }
        a += k;
    }
    if (q->rows_total >= 0 && (lt__param(q, "limit") || lt__param(q, "offset"))) {
        long long limit = LT__HTTP_LIMIT_DEFAULT, offset = 0, total = q->rows_total;
        char rows[64];
        /* Both were checked by the handler (lt__param_page) before the answer was made. */
        const char *l = lt__param(q, "limit"), *o = lt__param(q, "offset");
        if (l)
            lt_parse_int(lt_str_of(l), 1, LT__HTTP_LIMIT_MAX, &limit);
        if (o)
            lt_parse_int(lt_str_of(o), 0, 100000000, &offset);
        long long last = offset + limit < total ? offset + limit : total;
        rows[0] = '\0';
        if (offset >= total && offset > 0)
            snprintf(rows, sizeof rows, "offset%lld", offset);
        else if (offset > 0 || last < total)
            snprintf(rows, sizeof rows, "rows%lld-%lld", offset + 1, last);
        lt__name_part(n, rows);
    }
    if (!n->len)
        lt__name_part(n, "lantian");
}

void lt__export_disposition(struct lt__req *q, const char *ext, char *buf, size_t cap)
{
    struct lt__name a = {.utf8 = false}, u = {.utf8 = true};
    lt__stem(q, &a);
    lt__stem(q, &u);
    int w = snprintf(buf, cap, "attachment; filename=\"%s.%s\"; filename*=UTF-8''", a.s, ext);
    size_t len = w < 0 ? cap : (size_t)w;
    /* RFC 5987 3.2.1: attr-char as is, every other byte percent-encoded. */
    static const char attr[] = "!#$&+-.^_`|~";
    for (const unsigned char *p = (const unsigned char *)u.s; *p && len + 4 < cap; p++) {
        bool plain = (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= 'a' && *p <= 'z') || strchr(attr, *p);
        if (plain)
            buf[len++] = (char)*p;
        else
            len += (size_t)snprintf(buf + len, cap - len, "%%%02X", *p);
    }
    if (len + strlen(ext) + 2 < cap)
        len += (size_t)snprintf(buf + len, cap - len, ".%s", ext);
    if (len < cap)
        buf[len] = '\0';
}

int lt__export_xlsx(struct lt__req *q, const struct lt_table *t, int first, int count)
{
    /* The document says where the numbers come from: title = the file name's stem, comments =
     * the request (an analyst's copy can be traced back to it). */
    struct lt__name title = {.utf8 = true};
    char comments[LT__HTTP_URI_MAX + 64];
    size_t len =
        (size_t)snprintf(comments, sizeof comments, "lantian %s: GET %s", LT_HTTP_VERSION, q->url);
    lt__stem(q, &title);
    const char *a = q->allowed;
    char sep = '?';
    while (a && *a && len < sizeof comments) {
        char key[32];
        a += strspn(a, " ");
        size_t k = strcspn(a, " ");
        if (!k)
            break;
        if (k < sizeof key) {
            memcpy(key, a, k);
            key[k] = '\0';
            const char *v = lt__param(q, key);
            if (v) {
                int w = snprintf(comments + len, sizeof comments - len, "%c%s=%s", sep, key, v);
                len = w < 0 ? sizeof comments : len + (size_t)w;
                sep = '&';
            }
        }
        a += k;
    }
    struct lt_xlsx_meta m = {.sheet = q->table, .title = title.s, .comments = comments};
    char *buf = NULL, err[256] = "";
    size_t n = 0;
    int rc = lt_xlsx_build(t, first, count, &m, LT__HTTP_BODY_MAX, &buf, &n, err, sizeof err);
    if (rc == LT_ERANGE)
        return lt__fail(q, 400, "too_large",
                        "the Excel answer cannot be made: %s; ask for a shorter range or a "
                        "smaller page (limit)",
                        err);
    if (rc == LT_ENOMEM)
        return lt__fail(q, 503, "out_of_memory", "the server is out of memory; try again later");
    if (rc) {
        /* The detail (paths, errno) is for the operator's log, not for the client. */
        fprintf(stderr, "lantian http: Excel answer of %s: %s\n", q->url, err);
        return lt__fail(q, 500, "export_error",
                        "the Excel file could not be built; the server log has the details");
    }
    fwrite(buf, 1, n, q->out); /* over the body's cap: too_large, as any answer */
    free(buf);
    return 200;
}

/* lantian — the HTTP API server: libmicrohttpd daemon, router, per-request capped body, store
 * handles per thread, parameter checks and the uniform error answer. Endpoints live in api_*.c. */
#define _GNU_SOURCE /* fopencookie: a FILE whose writes go into a capped buffer */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <microhttpd.h>

#include "http/cache.h"
#include "http/http_internal.h"
#include "lantian/util.h"

struct lt_http {
    struct MHD_Daemon *d;
    char *db;
    struct lt_rules rules;
    struct lt_target *targets;
    int ntargets;
    char targets_name[64];
    struct sockaddr_storage addr;
    /* Store handles: one per worker thread, opened on its first request and kept by the thread
     * (thread-specific under key: no lock per request); all of them listed in stores (under mu)
     * for lt_http_stop. claimed[i]: stores[i] belongs to a thread (the handle opened at start
     * goes to the first thread that needs one). */
    pthread_key_t key;
    bool key_made;
    pthread_mutex_t mu;
    int nstores, capstores;
    struct lt_store **stores;
    bool *claimed;
    atomic_ullong n_requests, n_ok, n_client_errors, n_server_errors;
    char *web;               /* the dashboard's files (static.c), or NULL */
    struct lt__cache *cache; /* the answer cache (cache.h), or NULL when disabled */
};

/* ---- the capped body ----------------------------------------------------------------------- */

struct lt__body {
    char *buf;
    size_t len, cap, max;
    bool over; /* a write would have passed max */
};

static ssize_t lt__body_write(void *cookie, const char *p, size_t n)
{
    struct lt__body *b = cookie;
    if (b->over || n > b->max - b->len) {
        b->over = true;
        return -1;
    }
    if (b->len + n > b->cap) {
        size_t ncap = b->cap ? b->cap : 16384;
        while (ncap < b->len + n)
            ncap *= 2;
        if (ncap > b->max)
            ncap = b->max;
        char *nb = realloc(b->buf, ncap);
        if (!nb) {
            b->over = true;
            return -1;
        }
        b->buf = nb;
        b->cap = ncap;
    }
    memcpy(b->buf + b->len, p, n);
    b->len += n;
    return (ssize_t)n;
}

static FILE *lt__body_open(struct lt__body *b, size_t max)
{
    cookie_io_functions_t io = {.write = lt__body_write};
    memset(b, 0, sizeof(*b));
    b->max = max;
    return fopencookie(b, "w", io);
}

/* ---- small shared helpers ------------------------------------------------------------------ */

const struct lt_rules *lt__http_rules(const struct lt_http *h)
{
    return &h->rules;
}

const struct lt_target *lt__http_targets(const struct lt_http *h, const char *name, int *n)
{
    *n = 0;
    if (!h->ntargets || strcmp(name, h->targets_name) != 0)
        return NULL;
    *n = h->ntargets;
    return h->targets;
}

const char *lt__http_targets_name(const struct lt_http *h)
{
    return h->ntargets ? h->targets_name : NULL;
}

int lt__fail(struct lt__req *q, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    q->status = status;
    snprintf(q->code, sizeof(q->code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(q->msg, sizeof(q->msg), fmt, ap);
    va_end(ap);
    return status;
}

int lt__fail_store(struct lt__req *q, int rc, const char *what)
{
    /* The detail (SQLite's message) is for the operator's log, not for the client. */
    fprintf(stderr, "lantian http: %s: %s (%s)\n", what, lt_strerror(rc),
            q->st ? lt_store_errmsg(q->st) : "no store");
    if (rc == LT_ENOMEM)
        return lt__fail(q, 503, "out_of_memory", "the server is out of memory; try again later");
    return lt__fail(q, 500, "store_error",
                    "the data store could not answer this request; the server log has the details");
}

void lt__jstr(FILE *f, const char *s)
{
    if (!s)
        fputs("null", f);
    else
        lt_json_str(f, s);
}

void lt__jnum(FILE *f, double v, int decimals)
{
    if (v != v || v > 1e300 || v < -1e300) /* NaN and infinities are null in JSON */
        fputs("null", f);
    else
        fprintf(f, "%.*f", decimals, v);
}

void lt__jhour(FILE *f, int64_t ts)
{
    char b[24];
    lt_bj_format_hour(ts, b, sizeof(b));
    lt_json_str(f, b);
}

int32_t lt__today(void)
{
    int64_t now = (int64_t)time(NULL);
    return (int32_t)((now + LT_BJ_OFFSET_S) / 86400);
}

int64_t lt__this_hour(void)
{
    int64_t now = (int64_t)time(NULL);
    return now - now % 3600;
}

/* ---- parameters ---------------------------------------------------------------------------- */

const char *lt__param(struct lt__req *q, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)q->conn, MHD_GET_ARGUMENT_KIND,
                                       name);
}

int lt__param_date(struct lt__req *q, const char *name, bool required, int32_t *day)
{
    const char *v = lt__param(q, name);
    if (!v) {
        if (required)
            return lt__fail(q, 400, "missing_parameter", "%s is required (YYYY-MM-DD)", name);
        return 0;
    }
    if (lt_date_parse(lt_str_of(v), day))
        return lt__fail(q, 400, "bad_parameter", "%s: '%s' is not a date (YYYY-MM-DD)", name, v);
    return 0;
}

int lt__param_int(struct lt__req *q, const char *name, long long min, long long max, long long *out)
{
    const char *v = lt__param(q, name);
    if (!v)
        return 0;
    int rc = lt_parse_int(lt_str_of(v), min, max, out);
    if (rc == LT_ERANGE)
        return lt__fail(q, 400, "bad_parameter", "%s: %s is out of range (%lld .. %lld)", name, v,
                        min, max);
    if (rc)
        return lt__fail(q, 400, "bad_parameter", "%s: '%s' is not an integer", name, v);
    return 0;
}

int lt__param_page(struct lt__req *q, int *limit, int *offset)
{
    long long l = LT__HTTP_LIMIT_DEFAULT, o = 0;
    int rc = lt__param_int(q, "limit", 1, LT__HTTP_LIMIT_MAX, &l);
    if (!rc)
        rc = lt__param_int(q, "offset", 0, 100000000, &o);
    *limit = (int)l;
    *offset = (int)o;
    return rc;
}

int lt__param_range(struct lt__req *q, int max_days, int32_t def_to, int def_days, int32_t *from,
                    int32_t *to)
{
    bool dflt = def_to >= 0;
    int rc = lt__param_date(q, "from", !dflt, from);
    if (!rc)
        rc = lt__param_date(q, "to", !dflt, to);
    if (rc)
        return rc;
    bool has_from = lt__param(q, "from") != NULL, has_to = lt__param(q, "to") != NULL;
    if (dflt && has_from != has_to)
        return lt__fail(q, 400, "missing_parameter", "give both from and to, or neither");
    if (dflt && !has_from) {
        *to = def_to;
        *from = def_to - def_days + 1;
    }
    if (*to < *from) {
        char a[16], b[16];
        lt_date_format(*from, a, sizeof(a));
        lt_date_format(*to, b, sizeof(b));
        return lt__fail(q, 400, "bad_parameter", "from (%s) is after to (%s)", a, b);
    }
    if (*to - *from + 1 > max_days)
        return lt__fail(q, 400, "range_too_long",
                        "from .. to spans %d days; this endpoint answers at most %d days per "
                        "request (ask for the rest in further requests)",
                        (int)(*to - *from + 1), max_days);
    return 0;
}

int lt__param_area(struct lt__req *q, int *level, const char **name)
{
    static const char *const keys[] = {"site", "city", "county"};
    int n = 0;
    char allowed[64] = "";
    size_t len = 0;
    for (int i = 0; i < 3; i++) {
        char k[16];
        snprintf(k, sizeof(k), " %s ", keys[i]);
        if (!strstr(q->allowed, k))
            continue;
        int w = snprintf(allowed + len, sizeof(allowed) - len, "%s%s", len ? ", " : "", keys[i]);
        if (w > 0 && (size_t)w < sizeof(allowed) - len)
            len += (size_t)w;
        const char *v = lt__param(q, keys[i]);
        if (v) {
            *level = i; /* LT_AREA_SITE, LT_AREA_CITY, LT_AREA_COUNTY */
            *name = v;
            n++;
        }
    }
    if (n != 1)
        return lt__fail(q, 400, n ? "bad_parameter" : "missing_parameter", "give exactly one of %s",
                        allowed);
    if (!**name)
        return lt__fail(q, 400, "bad_parameter", "the area name is empty");
    return 0;
}

int lt__json_only(struct lt__req *q)
{
    if (q->fmt != LT_FMT_JSON)
        return lt__fail(q, 400, "bad_parameter",
                        "format: this answer is a JSON object, not a table; csv and xlsx are not "
                        "offered here");
    return 0;
}

void lt__obj_begin(struct lt__req *q)
{
    if (q->fmt == LT_FMT_JSON)
        fputc('{', q->out);
}

int lt__page_out(struct lt__req *q, const struct lt_table *t, int limit, int offset)
{
    q->rows_total = lt_table_rows(t);
    if (q->fmt == LT_FMT_CSV) {
        lt_table_print_rows(t, q->out, LT_FMT_CSV, offset, limit);
        return 200;
    }
    if (q->fmt == LT_FMT_XLSX)
        return lt__export_xlsx(q, t, offset, limit);
    fprintf(q->out, "\"total\": %d, \"offset\": %d, \"limit\": %d, \"items\": ", lt_table_rows(t),
            offset, limit);
    lt_table_print_rows(t, q->out, LT_FMT_JSON, offset, limit);
    fputs("}\n", q->out);
    return 200;
}

/* ---- the router ---------------------------------------------------------------------------- */

/* Which answers the cache keeps (cache.h): those that depend only on the request, the user's
 * scope and the store's data (LT__C_DATA), and those that also read the clock hour (LT__C_HOUR:
 * the hour is part of their key). Devices, quarantine, exceedances, corrections, the audit log and
 * the session's own answers are always computed. */
enum { LT__C_NO = 0, LT__C_DATA, LT__C_HOUR };

struct lt__route {
    const char *pattern; /* "/api/sites/{}": {} is one path segment, a parameter */
    int (*fn)(struct lt__req *q);
    bool store;          /* needs a store handle */
    const char *allowed; /* query parameters besides format */
    /* A table-shaped answer (format=csv and format=xlsx offered): its name in Chinese, for the
     * Excel worksheet and the download's file name. NULL: JSON only. */
    const char *table;
    int cache; /* LT__C_* */
};

static const struct lt__route lt__routes[] = {
    {"/api/health", lt__api_health, true, " ", NULL, LT__C_NO},
    {"/api/sites", lt__api_sites, true, " city province county township limit offset ", "站点",
     LT__C_DATA},
    {"/api/sites/{}", lt__api_site, true, " ", NULL, LT__C_HOUR},
    {"/api/aqi/latest", lt__api_aqi_latest, true, " city province level at limit offset ",
     "实时AQI", LT__C_HOUR},
    {"/api/aqi/hourly", lt__api_aqi_hourly, true, " site city county from to limit offset ",
     "小时AQI", LT__C_DATA},
    {"/api/aqi/daily", lt__api_aqi_daily, true, " site city county from to limit offset ", "日AQI",
     LT__C_DATA},
    {"/api/stats", lt__api_stats, true, " site city county period ", NULL, LT__C_DATA},
    {"/api/rank", lt__api_rank, true, " level province period by limit offset ", "排名",
     LT__C_DATA},
    {"/api/targets", lt__api_targets, true,
     " city county year as_of config pm25 pm10 good_ratio good_days heavy_ratio index ruleset ",
     "目标进度", LT__C_DATA},
    {"/api/devices", lt__api_devices, true, " limit offset ", "设备", LT__C_NO},
    {"/api/devices/{}/health", lt__api_device_health, true, " from to limit offset ", "设备运行",
     LT__C_NO},
    {"/api/devices/{}/values", lt__api_device_values, true, " from to cn limit offset ", "设备数据",
     LT__C_NO},
    {"/api/quarantine", lt__api_quarantine, true, " limit offset ", "隔离区", LT__C_NO},
    {"/api/exceedances", lt__api_exceedances, true, " mn limit offset ", "超标记录", LT__C_NO},
    {"/api/corrections", lt__api_corrections, true, " site limit offset ", "数据审核", LT__C_NO},
    {"/api/me", lt__api_me, true, " ", NULL, LT__C_NO},
    {"/api/audit", lt__api_audit, true, " action user object limit offset ", "审计日志", LT__C_NO},
    {"/api/target-values", lt__api_target_values, true, " city county year limit offset ", "目标值",
     LT__C_NO},
};

/* Routes answered to POST (api_auth.c): JSON bodies, no query parameters. */
static const struct lt__route lt__post_routes[] = {
    {"/api/login", lt__api_login, true, " ", NULL, LT__C_NO},
    {"/api/logout", lt__api_logout, true, " ", NULL, LT__C_NO},
    {"/api/corrections", lt__api_correct, true, " ", NULL, LT__C_NO},
    {"/api/quarantine/{}/adopt", lt__api_adopt, true, " ", NULL, LT__C_NO},
    {"/api/dust", lt__api_dust, true, " ", NULL, LT__C_NO},
    {"/api/sites/{}", lt__api_site_edit, true, " ", NULL, LT__C_NO},
    {"/api/devices/{}", lt__api_device_edit, true, " ", NULL, LT__C_NO},
    {"/api/targets", lt__api_target_set, true, " ", NULL, LT__C_NO},
};

/* Match path against a pattern, capturing {} segments into pp. */
static bool lt__match(const char *pat, const char *path, char pp[2][LT__HTTP_PATH_PARAM])
{
    int np = 0;
    while (*pat && *path) {
        if (pat[0] == '{' && pat[1] == '}') {
            size_t n = strcspn(path, "/");
            if (!n || n >= LT__HTTP_PATH_PARAM || np >= 2)
                return false;
            memcpy(pp[np], path, n);
            pp[np][n] = '\0';
            np++;
            path += n;
            pat += 2;
            continue;
        }
        if (*pat != *path)
            return false;
        pat++;
        path++;
    }
    return !*pat && !*path;
}

/* ---- store handles, one per worker thread -------------------------------------------------- */

/* Add st to the list of handles, claimed or not. */
static int lt__store_list(struct lt_http *h, struct lt_store *st, bool claimed)
{
    if (h->nstores == h->capstores) {
        int ncap = h->capstores ? h->capstores * 2 : 8;
        struct lt_store **ns = realloc(h->stores, sizeof(*ns) * (size_t)ncap);
        if (ns)
            h->stores = ns;
        bool *nc = ns ? realloc(h->claimed, sizeof(*nc) * (size_t)ncap) : NULL;
        if (!nc)
            return LT_ENOMEM;
        h->claimed = nc;
        h->capstores = ncap;
    }
    h->stores[h->nstores] = st;
    h->claimed[h->nstores++] = claimed;
    return 0;
}

/* The calling thread's store handle: its own, kept from its first request on (libmicrohttpd
 * answers a request on one of its pool threads, one request at a time per thread). */
static int lt__store_take(struct lt_http *h, struct lt_store **st)
{
    *st = pthread_getspecific(h->key);
    if (!*st) {
        pthread_mutex_lock(&h->mu);
        for (int i = 0; i < h->nstores && !*st; i++)
            if (!h->claimed[i]) {
                h->claimed[i] = true;
                *st = h->stores[i];
            }
        pthread_mutex_unlock(&h->mu);
        if (!*st) {
            struct lt_diag d = {0};
            int rc = lt_store_open(st, h->db, &d);
            if (rc) {
                fprintf(stderr, "lantian http: cannot open %s: %s\n", h->db, d.msg);
                *st = NULL;
                return rc;
            }
            pthread_mutex_lock(&h->mu);
            rc = lt__store_list(h, *st, true);
            pthread_mutex_unlock(&h->mu);
            if (rc) {
                lt_store_close(*st);
                *st = NULL;
                return rc;
            }
        }
        pthread_setspecific(h->key, *st);
    }
    lt_store_end_reads(*st); /* every request reads the data as committed now */
    return 0;
}

/* ---- answering ----------------------------------------------------------------------------- */

struct lt__argcheck {
    struct lt__req *q;
    int n;
    const char *seen[32];
    int status;
};

static enum MHD_Result lt__arg_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                    size_t key_size, const char *value, size_t value_size)
{
    struct lt__argcheck *a = cls;
    struct lt__req *q = a->q;
    (void)kind;
    char k[40];
    if (key_size >= sizeof(k) - 2 || strlen(key) != key_size || !lt_utf8_valid(key, key_size)) {
        a->status = lt__fail(q, 400, "bad_parameter", "a query parameter name is not valid");
        return MHD_NO;
    }
    snprintf(k, sizeof(k), " %s ", key);
    if (strcmp(key, "format") != 0 && !strstr(q->allowed, k)) {
        a->status =
            lt__fail(q, 400, "unknown_parameter",
                     "unknown parameter '%s'; this endpoint takes:%sformat", key, q->allowed);
        return MHD_NO;
    }
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->seen[i], key)) {
            a->status = lt__fail(q, 400, "bad_parameter", "%s is given twice", key);
            return MHD_NO;
        }
    if (a->n == (int)(sizeof(a->seen) / sizeof(a->seen[0]))) {
        a->status = lt__fail(q, 400, "bad_parameter", "too many query parameters");
        return MHD_NO;
    }
    a->seen[a->n++] = key;
    if (!value) {
        a->status = lt__fail(q, 400, "bad_parameter", "%s has no value (write %s=...)", key, key);
        return MHD_NO;
    }
    if (strlen(value) != value_size || !lt_utf8_valid(value, value_size)) {
        a->status = lt__fail(q, 400, "bad_parameter", "%s: the value is not valid UTF-8 text", key);
        return MHD_NO;
    }
    return MHD_YES;
}

static enum MHD_Result lt__send(struct MHD_Connection *c, int status, char *buf, size_t len,
                                const char *ctype, bool allow, const char *disposition)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, buf ? buf : (char *)"", buf ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (disposition)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The uniform error answer: {"error": {"code": ..., "message": ...}}. */
static enum MHD_Result lt__send_error(struct MHD_Connection *c, const struct lt__req *q)
{
    struct lt__body b;
    FILE *f = lt__body_open(&b, 4096);
    if (!f)
        return MHD_NO;
    fputs("{\"error\": {\"code\": ", f);
    lt_json_str(f, q->code);
    fputs(", \"message\": ", f);
    lt_json_str(f, q->msg);
    fputs("}}\n", f);
    fclose(f);
    if (b.over) {
        free(b.buf);
        return MHD_NO;
    }
    if (q->retry_after[0] || q->www_auth[0]) {
        /* 429 and 401 carry a header telling the client what to do next. */
        struct MHD_Response *r =
            MHD_create_response_from_buffer(b.len, b.buf, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            free(b.buf);
            return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        if (q->retry_after[0] && q->status == 429)
            MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, q->retry_after);
        if (q->www_auth[0] && q->status == 401)
            MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, q->www_auth);
        enum MHD_Result ret = MHD_queue_response(c, (unsigned)q->status, r);
        MHD_destroy_response(r);
        return ret;
    }
    return lt__send(c, q->status, b.buf, b.len, "application/json; charset=utf-8", q->status == 405,
                    NULL);
}

/* ---- the answer cache ---------------------------------------------------------------------- */

static void lt__answer_release(void *cls)
{
    lt__answer_unref(cls);
}

/* Send a finished answer (its body shared, not copied); the caller's reference goes with it. */
static enum MHD_Result lt__send_answer(struct MHD_Connection *c, struct lt__answer *a, bool hit)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
        a->len, a->len ? a->body : NULL, lt__answer_release, a);
    if (!r) {
        lt__answer_unref(a);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            a->csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Lantian-Cache", hit ? "hit" : "miss");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* The store's data generation now (lt_store_data_gen), read with the request's own handle
 * before its answer is computed; false when it cannot be read (the request is then answered
 * without the cache). */
static bool lt__data_gen(struct lt__req *q, int64_t *gen)
{
    int rc = q->st ? lt_store_data_gen(q->st, gen) : LT_EINVAL;
    if (rc)
        fprintf(stderr, "lantian http: %s (answering without the cache)\n", lt_store_errmsg(q->st));
    return rc == 0;
}

struct lt__kv {
    const char *k, *v;
    size_t kn, vn;
};
struct lt__kvs {
    int n;
    struct lt__kv kv[32]; /* lt__arg_iter allows at most 32 parameters */
};

static enum MHD_Result lt__kv_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    struct lt__kvs *a = cls;
    (void)kind;
    if (a->n == (int)(sizeof(a->kv) / sizeof(a->kv[0])))
        return MHD_NO;
    a->kv[a->n++] = (struct lt__kv){key, value ? value : "", key_size, value ? value_size : 0};
    return MHD_YES;
}

static int lt__kv_cmp(const void *x, const void *y)
{
    const struct lt__kv *a = x, *b = y;
    size_t n = a->kn < b->kn ? a->kn : b->kn;
    int c = memcmp(a->k, b->k, n);
    return c ? c : (a->kn > b->kn) - (a->kn < b->kn);
}

static bool lt__key_add(char *buf, size_t cap, size_t *len, const char *p, size_t n)
{
    if (n + 1 > cap - *len)
        return false;
    memcpy(buf + *len, p, n);
    buf[*len + n] = '\0'; /* NUL separates the fields (they hold no NUL: lt__arg_iter) */
    *len += n + 1;
    return true;
}

/* The cache key of a request: the path, every query parameter (decoded, sorted by name: their
 * order does not change the answer), the user's role and scope when the request is
 * authenticated (public answers are the same for everyone), and the clock hour for routes that
 * read the clock. 0 when it does not fit (then the request is not cached). */
static size_t lt__cache_key(struct lt__req *q, const struct lt__route *rt, const char *url,
                            char *buf, size_t cap)
{
    struct lt__kvs a = {0};
    size_t len = 0;
    bool ok = true;
    if (MHD_get_connection_values_n((struct MHD_Connection *)q->conn, MHD_GET_ARGUMENT_KIND,
                                    lt__kv_iter, &a) < 0)
        return 0;
    qsort(a.kv, (size_t)a.n, sizeof(a.kv[0]), lt__kv_cmp);
    ok = lt__key_add(buf, cap, &len, url, strlen(url));
    for (int i = 0; ok && i < a.n; i++)
        ok = lt__key_add(buf, cap, &len, a.kv[i].k, a.kv[i].kn) &&
             lt__key_add(buf, cap, &len, a.kv[i].v, a.kv[i].vn);
    if (q->authed) {
        const struct lt_user *u = &q->user;
        ok = ok && lt__key_add(buf, cap, &len, "\x01user", 5) &&
             lt__key_add(buf, cap, &len, u->role, strlen(u->role)) &&
             lt__key_add(buf, cap, &len, u->province, strlen(u->province)) &&
             lt__key_add(buf, cap, &len, u->city, strlen(u->city)) &&
             lt__key_add(buf, cap, &len, u->county, strlen(u->county)) &&
             lt__key_add(buf, cap, &len, u->township, strlen(u->township));
    }
    if (rt->cache == LT__C_HOUR) {
        char hb[32];
        int n = snprintf(hb, sizeof hb, "\x02hour %lld", (long long)lt__this_hour());
        ok = ok && lt__key_add(buf, cap, &len, hb, (size_t)n);
    }
    return ok ? len : 0;
}

static void lt__count(struct lt_http *h, int status)
{
    atomic_fetch_add_explicit(&h->n_requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(status < 400   ? &h->n_ok
                              : status < 500 ? &h->n_client_errors
                                             : &h->n_server_errors,
                              1, memory_order_relaxed);
}

#define LT__DONE ((void *)(uintptr_t)UINTPTR_MAX)
/* Added to the request target's length + 1 once the headers of a request without a body to
 * collect (GET, HEAD, ...) have been seen: it is answered on the next call. */
#define LT__SEEN 8192u

/* The body of a POST being received. *con_cls holds either the request target's length + 1
 * (lt__uri_log: at most LT__HTTP_URI_MAX + 2), that plus LT__SEEN, LT__DONE, or a pointer to
 * this (always above these ranges: malloc never returns the first pages). Freed by
 * lt__completed. */
struct lt__post {
    size_t uri_len;
    bool done, over;
    size_t len;
    char buf[LT__HTTP_REQ_BODY_MAX + 1];
};

/* The request announces a body (Content-Length other than 0, or Transfer-Encoding). */
static bool lt__has_body(struct MHD_Connection *c)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return (cl && strcmp(cl, "0") != 0) ||
           MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

static bool lt__is_post(void *p)
{
    return p != LT__DONE && (uintptr_t)p > LT__SEEN + LT__HTTP_URI_MAX + 2;
}

static void lt__completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    if (con_cls && lt__is_post(*con_cls))
        free(*con_cls);
    if (con_cls)
        *con_cls = NULL;
}

static enum MHD_Result lt__handle(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct lt_http *h = cls;
    (void)version;
    (void)upload;
    if (*con_cls == LT__DONE) { /* a body after the answer was queued: drop it */
        *upload_size = 0;
        return MHD_YES;
    }
    struct lt__post *pb = lt__is_post(*con_cls) ? *con_cls : NULL;
    if (pb && pb->done) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (!pb && strcmp(method, MHD_HTTP_METHOD_POST) != 0 &&
        (uintptr_t)*con_cls <= LT__HTTP_URI_MAX + 2 && !lt__has_body(c)) {
        /* First call of a request without a body: only its headers are in. Answered now, the
         * connection would be closed after the answer (libmicrohttpd has not seen the end of the
         * request yet); answered on the next call, it is kept alive for the next request. A GET
         * that comes with a body is answered at once (its body is not read, the connection is
         * closed). */
        *con_cls = (void *)((uintptr_t)*con_cls + LT__SEEN);
        return MHD_YES;
    }
    if (!pb && !strcmp(method, MHD_HTTP_METHOD_POST)) {
        /* First call of a POST: collect the body (up to the cap) before answering. */
        pb = malloc(sizeof(*pb));
        if (!pb)
            return MHD_NO;
        size_t ul = (size_t)(uintptr_t)*con_cls;
        pb->uri_len = ul ? ul - 1 : 0;
        pb->done = pb->over = false;
        pb->len = 0;
        *con_cls = pb;
        return MHD_YES;
    }
    if (pb && *upload_size) {
        if (pb->over || *upload_size > LT__HTTP_REQ_BODY_MAX - pb->len)
            pb->over = true;
        else {
            memcpy(pb->buf + pb->len, upload, *upload_size);
            pb->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    size_t uri_len = pb ? pb->uri_len + 1 : (size_t)(uintptr_t)*con_cls;
    if (!pb && uri_len > LT__SEEN)
        uri_len -= LT__SEEN;
    uri_len = uri_len ? uri_len - 1 : 0;
    if (pb) {
        pb->done = true;
        pb->buf[pb->len] = '\0';
    } else
        *con_cls = LT__DONE;

    struct lt__req q;
    struct lt__body b = {0};
    memset(&q, 0, sizeof(q));
    q.srv = h;
    q.conn = c;
    q.url = url;
    q.rows_total = -1;
    q.fmt = LT_FMT_JSON;
    q.status = 200;
    const struct lt__route *rt = NULL;
    enum MHD_Result ret;

    if (uri_len > LT__HTTP_URI_MAX) {
        lt__fail(&q, 414, "uri_too_long",
                 "the request target (path and query) is longer than %d bytes; ask for less",
                 LT__HTTP_URI_MAX);
        goto error;
    }
    for (size_t i = 0; i < sizeof(lt__routes) / sizeof(lt__routes[0]); i++)
        if (lt__match(lt__routes[i].pattern, url, q.pp)) {
            rt = &lt__routes[i];
            break;
        }
    bool post = false;
    if (!strcmp(method, MHD_HTTP_METHOD_POST))
        for (size_t i = 0; i < sizeof(lt__post_routes) / sizeof(lt__post_routes[0]); i++)
            if (lt__match(lt__post_routes[i].pattern, url, q.pp)) {
                rt = &lt__post_routes[i];
                post = true;
                break;
            }
    if (!rt && h->web && strncmp(url, "/api/", 5) != 0 && strcmp(url, "/api") != 0) {
        int sst = lt__static(&q, h->web, url, method);
        if (sst < 0)
            return MHD_NO;
        if (sst < 400) {
            lt__count(h, sst);
            return MHD_YES;
        }
        goto error;
    }
    if (!rt) {
        lt__fail(&q, 404, "not_found", "no such endpoint: %.200s (see docs/API.md)", url);
        goto error;
    }
    if (!post && strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        lt__fail(&q, 405, "method_not_allowed",
                 "%.20s is not allowed here: this endpoint answers GET and HEAD (the write "
                 "endpoints take POST; see docs/API.md)",
                 method);
        goto error;
    }
    q.allowed = rt->allowed;
    q.table = rt->table;
    q.pattern = rt->pattern;
    struct lt__argcheck ac = {.q = &q};
    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, lt__arg_iter, &ac);
    if (ac.status)
        goto error;
    const char *fmt = lt__param(&q, "format");
    if (fmt && !strcmp(fmt, "csv"))
        q.fmt = LT_FMT_CSV;
    else if (fmt && !strcmp(fmt, "xlsx"))
        q.fmt = LT_FMT_XLSX;
    else if (fmt && strcmp(fmt, "json") != 0) {
        lt__fail(&q, 400, "bad_parameter", "format: '%.60s' is not json, csv or xlsx", fmt);
        goto error;
    }
    if (rt->store) {
        int rc = lt__store_take(h, &q.st);
        if (rc) {
            q.st = NULL;
            lt__fail_store(&q, rc, "open the store");
            goto error;
        }
    }
    int status = 0;
    if (post) {
        q.body = pb->buf;
        q.body_len = pb->len;
        if (pb->over)
            status = lt__fail(&q, 413, "body_too_large", "the request body is larger than %u KiB",
                              LT__HTTP_REQ_BODY_MAX >> 10);
    }
    if (!status)
        status = lt__auth_gate(&q, rt->pattern, post);
    if (!status && !rt->table) /* not a table: JSON only, whatever the handler writes */
        status = lt__json_only(&q);
    /* The cache: after the gate (every request is authenticated, whatever is cached), keyed by
     * the request and the user's scope, valid for the data generation read before computing.
     * JSON answers only: exports (CSV, Excel) are made on demand. */
    char key[LT__HTTP_URI_MAX + 1024];
    size_t klen = 0;
    int64_t ver = 0;
    if (!status && !post && q.fmt == LT_FMT_JSON && h->cache && rt->cache != LT__C_NO &&
        (klen = lt__cache_key(&q, rt, url, key, sizeof key)) > 0 && lt__data_gen(&q, &ver)) {
        struct lt__answer *hit = lt__cache_get(h->cache, key, klen, (uint64_t)ver);
        if (hit) {
            lt__count(h, 200);
            return lt__send_answer(c, hit, true);
        }
    } else {
        klen = 0;
    }
    if (!status) {
        q.out = lt__body_open(&b, LT__HTTP_BODY_MAX);
        status = q.out ? rt->fn(&q)
                       : lt__fail(&q, 503, "out_of_memory",
                                  "the server is out of memory; try again later");
    }
    q.st = NULL;
    if (q.out)
        fclose(q.out);
    q.out = NULL;
    if (status == 200 && b.over)
        status = lt__fail(&q, 400, "too_large",
                          "the answer would exceed %u MiB; ask for a shorter range or a smaller "
                          "page (limit)",
                          LT__HTTP_BODY_MAX >> 20);
    if (status != 200) {
        q.status = status;
        goto error;
    }
    lt__count(h, 200);
    if (klen && q.status == 200) {
        struct lt__answer *a = lt__answer_new(b.buf, b.len, false);
        if (a) {
            lt__cache_put(h->cache, key, klen, (uint64_t)ver, a);
            return lt__send_answer(c, a, false);
        }
    }
    const char *ctype = "application/json; charset=utf-8";
    char disp[1024]; /* at most ~700: two stems of 160 bytes, the UTF-8 one percent-encoded */
    if (q.fmt == LT_FMT_CSV) {
        ctype = "text/csv; charset=utf-8";
        lt__export_disposition(&q, "csv", disp, sizeof disp);
    } else if (q.fmt == LT_FMT_XLSX) {
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        lt__export_disposition(&q, "xlsx", disp, sizeof disp);
    }
    ret = lt__send(c, q.status == 201 ? 201 : 200, b.buf, b.len, ctype, false,
                   q.fmt == LT_FMT_JSON ? NULL : disp);
    return ret;
error:
    if (q.out)
        fclose(q.out);
    free(b.buf);
    lt__count(h, q.status);
    return lt__send_error(c, &q);
}

/* Called before the request is parsed: remember the request target's length (as *con_cls). */
static void *lt__uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    size_t n = strlen(uri);
    if (n > LT__HTTP_URI_MAX + 1)
        n = LT__HTTP_URI_MAX + 1;
    return (void *)(uintptr_t)(n + 1);
}

/* ---- start and stop ------------------------------------------------------------------------ */

void lt_http_opts_defaults(struct lt_http_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = "127.0.0.1:8080";
    o->threads = 4;
    o->max_connections = 256;
    o->timeout_s = 30;
    o->cache_mb = 64;
}

/* "HOST:PORT" or "[V6]:PORT" with a numeric host. */
static int lt__parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6, char *err,
                            size_t errcap)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    long long port;
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host) ||
        lt_parse_int(lt_str_of(colon + 1), 0, 65535, &port)) {
        snprintf(err, errcap, "--http '%s' is not ADDR:PORT (e.g. 127.0.0.1:8080)", s);
        return LT_EINVAL;
    }
    size_t hl = (size_t)(colon - s);
    const char *hp = s;
    if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
        hp = s + 1;
        hl -= 2;
    }
    memcpy(host, hp, hl);
    host[hl] = '\0';
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) || !res) {
        snprintf(err, errcap, "--http '%s': '%s' is not a numeric IPv4 or IPv6 address", s, host);
        return LT_EINVAL;
    }
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    if (*v6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    return 0;
}

static void lt__free(struct lt_http *h)
{
    if (!h)
        return;
    for (int i = 0; i < h->nstores; i++)
        lt_store_close(h->stores[i]);
    free(h->stores);
    free(h->claimed);
    if (h->key_made)
        pthread_key_delete(h->key);
    free(h->targets);
    free(h->db);
    free(h->web);
    lt__cache_free(h->cache);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

int lt_http_start(struct lt_http **out, const struct lt_http_opts *o, int *port, char *err,
                  size_t errcap)
{
    bool v6 = false;
    *out = NULL;
    if (!o->db || !o->rules || o->threads < 1 || o->threads > 64 || o->max_connections < 1 ||
        o->timeout_s < 1 || o->cache_mb < 0 || o->cache_mb > 65536) {
        snprintf(err, errcap,
                 "HTTP options out of range (threads 1..64, connections >= 1, cache 0..65536 MiB)");
        return LT_EINVAL;
    }
    struct lt_http *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errcap, "out of memory");
        return LT_ENOMEM;
    }
    pthread_mutex_init(&h->mu, NULL);
    atomic_init(&h->n_requests, 0);
    atomic_init(&h->n_ok, 0);
    atomic_init(&h->n_client_errors, 0);
    atomic_init(&h->n_server_errors, 0);
    int rc = lt__parse_listen(o->listen, &h->addr, &v6, err, errcap);
    if (rc)
        goto fail;
    rc = LT_ENOMEM;
    h->db = malloc(strlen(o->db) + 1);
    if (!h->db) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    if (pthread_key_create(&h->key, NULL) != 0) {
        snprintf(err, errcap, "cannot create a thread key");
        goto fail;
    }
    h->key_made = true;
    memcpy(h->db, o->db, strlen(o->db) + 1);
    if (o->web && !(h->web = strdup(o->web))) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    h->rules = *o->rules;
    if (o->ntargets > 0) {
        h->targets = malloc(sizeof(*h->targets) * (size_t)o->ntargets);
        if (!h->targets) {
            snprintf(err, errcap, "out of memory");
            goto fail;
        }
        memcpy(h->targets, o->targets, sizeof(*h->targets) * (size_t)o->ntargets);
        h->ntargets = o->ntargets;
        snprintf(h->targets_name, sizeof(h->targets_name), "%s",
                 o->targets_name ? o->targets_name : "");
    }
    /* One handle now, so that a store that cannot be opened stops the start, not a request (the
     * first worker thread that needs a handle takes it). */
    struct lt_diag d = {0};
    struct lt_store *first = NULL;
    rc = lt_store_open(&first, h->db, &d);
    if (rc) {
        snprintf(err, errcap, "cannot open the store %s: %s", h->db, d.msg);
        goto fail;
    }
    rc = lt__store_list(h, first, false);
    if (rc) {
        lt_store_close(first);
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    if (o->cache_mb > 0 && (rc = lt__cache_new(&h->cache, (size_t)o->cache_mb << 20)) != 0) {
        snprintf(err, errcap, "cannot set up the answer cache: out of memory");
        goto fail;
    }
    /* The daemon's threads inherit the signal mask: block everything while they are created, so
     * that SIGINT/SIGTERM go to the command's own thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, lt__handle, h, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&h->addr, MHD_OPTION_THREAD_POOL_SIZE,
                            (unsigned)o->threads, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)o->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)o->timeout_s, MHD_OPTION_URI_LOG_CALLBACK, lt__uri_log, NULL,
                            MHD_OPTION_NOTIFY_COMPLETED, lt__completed, NULL, MHD_OPTION_END);
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!h->d) {
        snprintf(err, errcap, "cannot listen on %s: %s", o->listen,
                 e ? strerror(e) : "libmicrohttpd refused to start");
        rc = LT_EIO;
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? (int)di->port : 0;
    *out = h;
    return 0;
fail:
    lt__free(h);
    return rc;
}

void lt_http_stop(struct lt_http *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    h->d = NULL;
    lt__free(h);
}

void lt_http_get_counters(struct lt_http *h, struct lt_http_counters *c)
{
    memset(c, 0, sizeof(*c));
    c->requests = atomic_load(&h->n_requests);
    c->ok = atomic_load(&h->n_ok);
    c->client_errors = atomic_load(&h->n_client_errors);
    c->server_errors = atomic_load(&h->n_server_errors);
    if (h->cache) {
        struct lt__cache_stats cs;
        lt__cache_stats(h->cache, &cs);
        c->cache_hits = cs.hits;
        c->cache_misses = cs.misses;
        c->cache_stale = cs.stale;
        c->cache_bytes = cs.bytes;
    }
}

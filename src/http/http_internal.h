/* lantian — internals of the HTTP API shared by server.c (daemon, router, request plumbing) and
 * the endpoint files (api_*.c). */
#ifndef LANTIAN_HTTP_INTERNAL_H
#define LANTIAN_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/table.h"
#include "http/http.h"
#include "store/store.h"

/* Limits of every request (docs/API.md). */
#define LT__HTTP_URI_MAX       4096        /* longer request targets: 414 */
#define LT__HTTP_BODY_MAX      (16u << 20) /* an answer larger than this: 400 too_large */
#define LT__HTTP_LIMIT_DEFAULT 1000        /* rows per page by default */
#define LT__HTTP_LIMIT_MAX     5000        /* and at most */
#define LT__HTTP_HOURLY_DAYS   31          /* hourly series: days per request */
#define LT__HTTP_DAILY_DAYS    366         /* daily series, statistics, rankings */
#define LT__HTTP_LATEST_DAYS   7           /* real time: look back this many days */
#define LT__HTTP_LAST_YEARS    10          /* a site's last hour: look back this far */
#define LT__HTTP_PATH_PARAM    128         /* a path parameter's bytes */
#define LT__HTTP_REQ_BODY_MAX  (16u << 10) /* a request body larger than this: 413 */

struct lt__srv; /* struct lt_http */

/* One request being answered. */
struct lt__req {
    struct lt_http *srv;
    void *conn;                      /* struct MHD_Connection */
    struct lt_store *st;             /* the thread's handle, for routes that need the store */
    const char *allowed;             /* " name name ... " of the query parameters the route takes */
    char pp[2][LT__HTTP_PATH_PARAM]; /* path parameters, in pattern order */
    FILE *out;                       /* the body, capped at LT__HTTP_BODY_MAX */
    enum lt_fmt fmt;                 /* LT_FMT_JSON, LT_FMT_CSV or LT_FMT_XLSX */
    const char *url;                 /* the request's path (decoded) */
    const char *pattern;             /* the route's pattern ("/api/devices/{}/health") */
    const char *table;               /* the table's name in Chinese ("排名"); NULL: not a table */
    int rows_total;                  /* rows of the table answered (lt__page_out), or -1 */
    int status;
    char code[32]; /* error code ("bad_parameter", ...) when status >= 400 */
    char msg[400]; /* error message for people */
    /* Accounts (api_auth.c): the request body of a POST (capped at LT__HTTP_REQ_BODY_MAX), the
     * session's user once the gate let it in, and headers for the error answer. */
    const char *body;
    size_t body_len;
    bool authed;
    struct lt_user user;
    char token_hash[65];
    char retry_after[24]; /* 429: Retry-After seconds */
    char www_auth[48];    /* 401: WWW-Authenticate */
};

/* The server's shared, read-only state, for handlers. */
const struct lt_rules *lt__http_rules(const struct lt_http *h);
/* The targets loaded under `name`, or NULL (with *n = 0) when none has that name. */
const struct lt_target *lt__http_targets(const struct lt_http *h, const char *name, int *n);
const char *lt__http_targets_name(const struct lt_http *h);

/* Set the error answer; returns status so that `return lt__fail(...)` reads well. */
int lt__fail(struct lt__req *q, int status, const char *code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* A store failure: 500 with no internals (the detail goes to the log). */
int lt__fail_store(struct lt__req *q, int rc, const char *what);

/* A query parameter (validated by the dispatcher: allowed, given once, UTF-8, no NUL), or NULL. */
const char *lt__param(struct lt__req *q, const char *name);
/* Checked parameters: 0 when absent (value untouched) or valid, else the 400 status (lt__fail). */
int lt__param_date(struct lt__req *q, const char *name, bool required, int32_t *day);
int lt__param_int(struct lt__req *q, const char *name, long long min, long long max,
                  long long *out);
/* limit (1 .. LT__HTTP_LIMIT_MAX, default LT__HTTP_LIMIT_DEFAULT) and offset (>= 0). */
int lt__param_page(struct lt__req *q, int *limit, int *offset);
/* A date range from/to (both required unless def_to >= 0: then defaults to the def_days days
 * ending def_to), from <= to, at most max_days days. */
int lt__param_range(struct lt__req *q, int max_days, int32_t def_to, int def_days, int32_t *from,
                    int32_t *to);
/* Exactly one of site/city/county (those the route allows); 400 otherwise. */
int lt__param_area(struct lt__req *q, int *level, const char **name);

/* Refuse format=csv and format=xlsx on an answer that is not table-shaped (the router does so for
 * every route without a table name, after the login gate). */
int lt__json_only(struct lt__req *q);
/* The page [offset, offset+limit) of a table (limit < 0: to the end): JSON ends the object the
 * handler began with "{" and its own fields (each followed by ", "): "total", "offset", "limit",
 * "items"; CSV writes the header row and the page's rows, Excel a workbook of them (export.c; the
 * handler writes nothing before either). Returns 200 or the error status. */
int lt__page_out(struct lt__req *q, const struct lt_table *t, int limit, int offset);
/* Begin a JSON answer object ("{") unless the answer is CSV. */
void lt__obj_begin(struct lt__req *q);

/* JSON helpers: a string (escaped; NULL -> null), a number with decimals (NaN -> null). */
void lt__jstr(FILE *f, const char *s);
void lt__jnum(FILE *f, double v, int decimals);
/* Beijing hour label "YYYY-MM-DD HH:00" of an hour-ending timestamp, as a JSON string. */
void lt__jhour(FILE *f, int64_t ts);
/* The current Beijing day (the clock is read here, at the edge). */
int32_t lt__today(void);
/* The hour-ending label of the last full hour now (UTC seconds). */
int64_t lt__this_hour(void);

/* Endpoint handlers (api_*.c): return 200 or the error status. */
int lt__api_health(struct lt__req *q);
int lt__api_sites(struct lt__req *q);
int lt__api_site(struct lt__req *q);
int lt__api_aqi_latest(struct lt__req *q);
int lt__api_aqi_hourly(struct lt__req *q);
int lt__api_aqi_daily(struct lt__req *q);
int lt__api_stats(struct lt__req *q);
int lt__api_rank(struct lt__req *q);
int lt__api_targets(struct lt__req *q);
int lt__api_devices(struct lt__req *q);
int lt__api_device_health(struct lt__req *q);
int lt__api_device_values(struct lt__req *q);
int lt__api_quarantine(struct lt__req *q);
int lt__api_exceedances(struct lt__req *q);
int lt__api_corrections(struct lt__req *q);

/* Table answers as files (export.c). The Excel workbook of rows first .. first+count-1 (count < 0:
 * to the end) into q->out: 200, or the error status (400 too_large, 503, 500 export_error). */
int lt__export_xlsx(struct lt__req *q, const struct lt_table *t, int first, int count);
/* The Content-Disposition of a CSV or Excel answer ("csv" / "xlsx"): attachment, an ASCII file
 * name made of the endpoint and the parameters given, and (RFC 5987) the same name in UTF-8 with
 * the table's Chinese name: rank-city-2019-01-pm25.xlsx / 排名-city-河南-2019-01-pm25.xlsx. */
void lt__export_disposition(struct lt__req *q, const char *ext, char *buf, size_t cap);

/* Accounts and reach (api_auth.c). lt__auth_gate lets a request through (0) when its route is
 * public or it carries a valid session (then q->user is set), else sets 401. */
int lt__auth_init(void);
int lt__auth_gate(struct lt__req *q, const char *pattern, bool post);
int lt__need_role(struct lt__req *q, const char *roles); /* roles: " admin analyst " */
/* Scope checks: 0 when inside the session user's scope (or the user has none), else 403/404. */
bool lt__scoped(const struct lt__req *q);
bool lt__scope_has_site(const struct lt__req *q, const struct lt_site *s);
int lt__scope_site(struct lt__req *q, const struct lt_site *s);
int lt__scope_province(struct lt__req *q, const char *name);
int lt__scope_site_code(struct lt__req *q, const char *code);
int lt__scope_area(struct lt__req *q, int level, const char *name);
bool lt__scope_sees_outlets(const struct lt__req *q);
int lt__scope_device_hidden(struct lt__req *q, const struct lt_device *d);
/* The scope a dust flag or a target of a named area needs: the name is a county when some site
 * has that county, else a city (every site of it inside the scope; 403 otherwise). */
int lt__scope_dust_area(struct lt__req *q, const char *area);
/* Is every site of the area (level 1 city, 2 county) inside the scope? 1 yes, 0 no (also for an
 * area without sites when the user has a scope), negative LT_E* from the store. */
int lt__scope_area_inside(struct lt__req *q, int level, const char *name);

/* Request bodies (api_auth.c): one flat JSON object whose members are strings, numbers, true,
 * false or null (RFC 8259; no nesting, no duplicate names, at most LT__JMEMBERS members, strings
 * under LT__JTEXT bytes). */
enum { LT__JNULL = 1, LT__JBOOL, LT__JNUM, LT__JSTR };
#define LT__JMEMBERS 16
#define LT__JTEXT    512
struct lt__jmember {
    char key[32];
    int type;
    bool b;
    double num;
    char str[LT__JTEXT];
};
struct lt__jobj {
    struct lt__jmember m[LT__JMEMBERS];
    int n;
};
/* Parse q's body with only the members in allowed (" a b c "): 400 malformed_json with the byte
 * position, 400 unknown_field for a member not allowed. */
int lt__body_object(struct lt__req *q, const char *allowed, struct lt__jobj *o);
/* The member named key, or NULL. */
const struct lt__jmember *lt__jget(const struct lt__jobj *o, const char *key);
/* A required non-empty string (400 missing_field / bad_field). */
int lt__jreq_str(struct lt__req *q, const struct lt__jobj *o, const char *key, const char **out);
/* An optional non-empty string of at most cap - 1 bytes copied into dst (400 bad_field). */
int lt__jopt_str(struct lt__req *q, const struct lt__jobj *o, const char *key, char *dst,
                 size_t cap, bool *given);
/* A required date YYYY-MM-DD (400 missing_field / bad_field). */
int lt__jreq_date(struct lt__req *q, const struct lt__jobj *o, const char *key, int32_t *day);
/* Is type a source type of the built-in emission limits? 1 yes, 0 no, negative LT_E*. */
int lt__source_type_known(const char *type);

int lt__api_login(struct lt__req *q);
int lt__api_logout(struct lt__req *q);
int lt__api_me(struct lt__req *q);
int lt__api_correct(struct lt__req *q);
int lt__api_adopt(struct lt__req *q);
int lt__api_dust(struct lt__req *q);
int lt__api_audit(struct lt__req *q);
/* Registry and target edits (api_edit.c). */
int lt__api_site_edit(struct lt__req *q);
int lt__api_device_edit(struct lt__req *q);
int lt__api_target_set(struct lt__req *q);
int lt__api_target_values(struct lt__req *q);

/* The dashboard's files under dir (static.c), for paths outside /api: the status queued (200 or
 * 304), -1 when libmicrohttpd could not queue the answer, or an error status (>= 400) set with
 * lt__fail for the caller's JSON error answer. */
int lt__static(struct lt__req *q, const char *dir, const char *url, const char *method);

#endif

/* lantian ingest — the options table (after Redis's config table: one row per option drives the
 * INI file, the command line, the help text and docs/INGEST.md), logging and log rate limiting. */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/ingest.h"
#include "lantian/common.h"
#include "lantian/util.h"

enum lt__opt_type { LT__OPT_LONG, LT__OPT_BOOL, LT__OPT_ADDR, LT__OPT_PATH };

struct lt__opt {
    const char *name;
    enum lt__opt_type type;
    size_t off;
    long def, min, max; /* LONG / BOOL */
    const char *sdef;   /* ADDR */
    const char *unit;
    const char *help;
};

#define LT__OFF(f) offsetof(struct lt_ingest_opts, f)

static const struct lt__opt lt__opts[] = {
    {"listen", LT__OPT_ADDR, LT__OFF(listen), 0, 0, 0, "127.0.0.1:8212", "",
     "address and port to listen on (IPv4 or [IPv6]:port); port 0 picks a free one"},
    {"max_connections", LT__OPT_LONG, LT__OFF(max_connections), 10000, 1, 1000000, "",
     "connections",
     "connections open at once; one more is accepted and closed at once with a logged reason"},
    {"buffer_cap", LT__OPT_LONG, LT__OFF(buffer_cap), 10240, 64, 1048576, "", "bytes",
     "per-connection framing buffer, fixed when created; a frame that cannot fit is rejected as "
     "too_long (HJ 212 frames reach 9999+12 bytes)"},
    {"idle_timeout_s", LT__OPT_LONG, LT__OFF(idle_timeout_s), 600, 0, 86400, "", "s",
     "close a connection that sent nothing for this long (0 = never)"},
    {"queue_max", LT__OPT_LONG, LT__OFF(queue_max), 20000, 16, 10000000, "", "frames",
     "frames in flight (queued, being committed, replies pending): a hard bound"},
    {"queue_high", LT__OPT_LONG, LT__OFF(queue_high), 16000, 8, 10000000, "", "frames",
     "stop reading from every socket when this many frames are in flight"},
    {"queue_low", LT__OPT_LONG, LT__OFF(queue_low), 8000, 0, 10000000, "", "frames",
     "resume reading when frames in flight fall to this many"},
    {"queue_max_bytes", LT__OPT_LONG, LT__OFF(queue_max_bytes), 64L << 20, 65536, 1L << 34, "",
     "bytes", "bytes of frames in flight; reading stops above it as above queue_high"},
    {"batch_max", LT__OPT_LONG, LT__OFF(batch_max), 2000, 1, 100000, "", "frames",
     "frames committed in one transaction at most"},
    {"batch_ms", LT__OPT_LONG, LT__OFF(batch_ms), 20, 0, 10000, "", "ms",
     "longest wait for a batch to fill after its first frame"},
    {"health_flush_ms", LT__OPT_LONG, LT__OFF(health_flush_ms), 1000, 0, 60000, "", "ms",
     "device health counters (frames, values, errors per device and hour, last seen) are "
     "written with the frames at most this often, and this long after the last frame when "
     "traffic stops; a kill loses at most this long of counts, never a frame"},
    {"out_max", LT__OPT_LONG, LT__OFF(out_max), 262144, 1024, 1L << 30, "", "bytes",
     "replies a device may leave unread; above it the connection is closed with a reason"},
    {"log_per_mn", LT__OPT_LONG, LT__OFF(log_per_mn), 10, 0, 100000, "", "lines/min",
     "log lines per MN (or peer address before an MN is known) and minute; more are counted and "
     "reported as suppressed"},
    {"registry_refresh_s", LT__OPT_LONG, LT__OFF(registry_refresh_s), 30, 0, 86400, "", "s",
     "how long a device looked up in the registry is trusted before it is read again (adoptions "
     "and password changes take effect within this)"},
    {"keepalive_s", LT__OPT_LONG, LT__OFF(keepalive_s), 60, 0, 7200, "", "s",
     "TCP keepalive delay (0 = off); finds dead peers behind NAT"},
    {"backlog", LT__OPT_LONG, LT__OFF(backlog), 4096, 1, 65535, "", "", "listen() backlog"},
    {"store_rtd", LT__OPT_BOOL, LT__OFF(store_rtd), 1, 0, 1, "", "",
     "store real-time (CN 2011) values as well as minute/hour/day values"},
    {"limits_file", LT__OPT_PATH, LT__OFF(limits_file), 0, 0, 0, "", "",
     "emission limits (INI, format in config/emission_limits.ini) used to judge hourly values of "
     "CEMS outlets on arrival; empty = the built-in copy of config/emission_limits.ini, none = no "
     "judgement; the limit sets loaded are logged at start, a parse error stops the start"},
    {"verbose", LT__OPT_BOOL, LT__OFF(verbose), 0, 0, 1, "", "",
     "log every connection opened and closed"},
};

#define LT__NOPTS (sizeof lt__opts / sizeof lt__opts[0])

void lt_ingest_opts_defaults(struct lt_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < LT__NOPTS; i++) {
        const struct lt__opt *t = &lt__opts[i];
        char *base = (char *)o + t->off;
        if (t->type == LT__OPT_LONG)
            *(long *)base = t->def;
        else if (t->type == LT__OPT_BOOL)
            *(bool *)base = t->def != 0;
        else if (t->type == LT__OPT_ADDR)
            snprintf(base, sizeof o->listen, "%s", t->sdef);
        else
            snprintf(base, sizeof o->limits_file, "%s", t->sdef);
    }
}

static bool lt__name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

int lt_ingest_opts_set(struct lt_ingest_opts *o, const char *name, const char *value, char *err,
                       size_t errcap)
{
    for (size_t i = 0; i < LT__NOPTS; i++) {
        const struct lt__opt *t = &lt__opts[i];
        if (!lt__name_eq(t->name, name))
            continue;
        char *base = (char *)o + t->off;
        struct lt_str v = lt_str_trim(lt_str_of(value));
        if (t->type == LT__OPT_LONG) {
            long long x;
            int rc = lt_parse_int(v, t->min, t->max, &x);
            if (rc) {
                snprintf(err, errcap, "option %s: '%s' is not an integer in [%ld, %ld]", t->name,
                         value, t->min, t->max);
                return rc;
            }
            *(long *)base = (long)x;
        } else if (t->type == LT__OPT_BOOL) {
            if (lt_str_ieq(v, "1") || lt_str_ieq(v, "true") || lt_str_ieq(v, "yes") ||
                lt_str_ieq(v, "on"))
                *(bool *)base = true;
            else if (lt_str_ieq(v, "0") || lt_str_ieq(v, "false") || lt_str_ieq(v, "no") ||
                     lt_str_ieq(v, "off"))
                *(bool *)base = false;
            else {
                snprintf(err, errcap, "option %s: '%s' is not a boolean (true/false)", t->name,
                         value);
                return LT_EINVAL;
            }
        } else if (t->type == LT__OPT_ADDR) {
            if (v.len == 0 || v.len >= sizeof o->listen) {
                snprintf(err, errcap, "option %s: '%s' is not an address:port", t->name, value);
                return LT_EINVAL;
            }
            lt_str_copy(base, sizeof o->listen, v);
        } else {
            if (v.len >= sizeof o->limits_file) {
                snprintf(err, errcap, "option %s: path longer than %zu bytes", t->name,
                         sizeof o->limits_file - 1);
                return LT_EINVAL;
            }
            lt_str_copy(base, sizeof o->limits_file, v);
        }
        return 0;
    }
    snprintf(err, errcap, "unknown option '%s'", name);
    return LT_ENOTFOUND;
}

struct lt__ini_ctx {
    struct lt_ingest_opts *o;
    char *err;
    size_t errcap;
    int rc;
};

static int lt__ini_handler(void *user, const char *section, const char *name, const char *value)
{
    struct lt__ini_ctx *c = user;
    if (c->rc)
        return 0;
    if (strcmp(section, "ingest") != 0)
        return 1; /* other components' sections live in the same file */
    c->rc = lt_ingest_opts_set(c->o, name, value, c->err, c->errcap);
    if (c->rc == LT_ENOTFOUND)
        c->rc = LT_EINVAL;
    return c->rc ? 0 : 1;
}

int lt_ingest_opts_load(struct lt_ingest_opts *o, const char *path, char *err, size_t errcap)
{
    struct lt__ini_ctx c = {o, err, errcap, 0};
    int rc = ini_parse(path, lt__ini_handler, &c);
    if (rc < 0) {
        snprintf(err, errcap, "cannot read %s", path);
        return LT_EIO;
    }
    if (c.rc) {
        size_t n = strlen(err);
        snprintf(err + n, errcap - n, " (in %s, line %d)", path, rc);
        return c.rc;
    }
    if (rc > 0) {
        snprintf(err, errcap, "%s: syntax error on line %d", path, rc);
        return LT_EPARSE;
    }
    return 0;
}

int lt_ingest_opts_check(const struct lt_ingest_opts *o, char *err, size_t errcap)
{
    if (!(o->queue_low < o->queue_high && o->queue_high <= o->queue_max)) {
        snprintf(err, errcap, "need queue_low (%ld) < queue_high (%ld) <= queue_max (%ld)",
                 o->queue_low, o->queue_high, o->queue_max);
        return LT_ERANGE;
    }
    if (o->batch_max > o->queue_max) {
        snprintf(err, errcap, "batch_max (%ld) must not exceed queue_max (%ld)", o->batch_max,
                 o->queue_max);
        return LT_ERANGE;
    }
    if (o->queue_max_bytes < 2 * o->buffer_cap) {
        snprintf(err, errcap, "queue_max_bytes (%ld) must be at least twice buffer_cap (%ld)",
                 o->queue_max_bytes, o->buffer_cap);
        return LT_ERANGE;
    }
    return 0;
}

static void lt__opt_default(const struct lt__opt *t, char *buf, size_t cap)
{
    if (t->type == LT__OPT_ADDR || t->type == LT__OPT_PATH)
        snprintf(buf, cap, "%s", t->sdef);
    else if (t->type == LT__OPT_BOOL)
        snprintf(buf, cap, "%s", t->def ? "true" : "false");
    else
        snprintf(buf, cap, "%ld", t->def);
}

void lt_ingest_opts_help(FILE *f, bool markdown)
{
    if (markdown)
        fprintf(f, "| option | type | default | range | unit | what it does |\n"
                   "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < LT__NOPTS; i++) {
        const struct lt__opt *t = &lt__opts[i];
        char def[64], range[64] = "";
        lt__opt_default(t, def, sizeof def);
        if (t->type == LT__OPT_LONG)
            snprintf(range, sizeof range, "%ld..%ld", t->min, t->max);
        const char *type = t->type == LT__OPT_LONG   ? "integer"
                           : t->type == LT__OPT_BOOL ? "boolean"
                           : t->type == LT__OPT_ADDR ? "address"
                                                     : "path";
        if (markdown)
            fprintf(f, "| `%s` | %s | %s | %s | %s | %s |\n", t->name, type, def, range, t->unit,
                    t->help);
        else
            fprintf(f, "  --%-20s %s\n  %22s [%s; default %s%s%s%s%s]\n", t->name, t->help, "",
                    type, def, *range ? "; " : "", range, *t->unit ? " " : "", t->unit);
    }
}

void lt_ingest_opts_print(FILE *f, const struct lt_ingest_opts *o)
{
    for (size_t i = 0; i < LT__NOPTS; i++) {
        const struct lt__opt *t = &lt__opts[i];
        const char *base = (const char *)o + t->off;
        if (t->type == LT__OPT_LONG)
            fprintf(f, "%s = %ld\n", t->name, *(const long *)base);
        else if (t->type == LT__OPT_BOOL)
            fprintf(f, "%s = %s\n", t->name, *(const bool *)base ? "true" : "false");
        else
            fprintf(f, "%s = %s\n", t->name, base);
    }
}

/* ---- logging --------------------------------------------------------------------------------- */

int64_t lt__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void lt__vlog(const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 0)))
#endif
    ;

static void lt__vlog(const char *fmt, va_list ap)
{
    char line[1024];
    int64_t now = lt__now_ms();
    char when[24];
    /* Log times are Beijing time, like every time a Chinese operator reads. */
    lt_bj_format_time(now / 1000, when, sizeof when);
    int n = snprintf(line, sizeof line, "%s.%03d ingest: ", when, (int)(now % 1000));
    if (n < 0)
        return;
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    /* One write per line so lines of two threads never interleave. */
    size_t len = strlen(line);
    if (len + 1 < sizeof line) {
        line[len++] = '\n';
    } else {
        line[sizeof line - 2] = '\n';
        len = sizeof line - 1;
    }
    fwrite(line, 1, len, stderr);
}

void lt__log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lt__vlog(fmt, ap);
    va_end(ap);
}

/* A fixed table: a key hashes to one slot; a different key taking the slot first reports what the
 * old one suppressed. Bounded whatever the number of MNs a hostile peer invents. */
#define LT__RL_SLOTS 4096

struct lt__rl_slot {
    char key[48];
    int64_t minute;
    long count, suppressed;
};

struct lt__ratelog {
    long per_min;
    struct lt__rl_slot slot[LT__RL_SLOTS];
};

struct lt__ratelog *lt__ratelog_new(long per_min)
{
    struct lt__ratelog *r = calloc(1, sizeof *r);
    if (r)
        r->per_min = per_min;
    return r;
}

void lt__ratelog_free(struct lt__ratelog *r)
{
    free(r);
}

static uint32_t lt__hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

void lt__ratelog(struct lt__ratelog *r, const char *key, int64_t now_ms, const char *fmt, ...)
{
    va_list ap;
    if (!key)
        key = "";
    struct lt__rl_slot *s = &r->slot[lt__hash(key) & (LT__RL_SLOTS - 1)];
    int64_t minute = now_ms / 60000;
    if (strcmp(s->key, key) != 0 || s->minute != minute) {
        if (s->suppressed)
            lt__log("%s: %ld more log lines suppressed (log_per_mn = %ld)", s->key, s->suppressed,
                    r->per_min);
        snprintf(s->key, sizeof s->key, "%s", key);
        s->minute = minute;
        s->count = 0;
        s->suppressed = 0;
    }
    if (s->count >= r->per_min) {
        s->suppressed++;
        return;
    }
    s->count++;
    va_start(ap, fmt);
    lt__vlog(fmt, ap);
    va_end(ap);
}

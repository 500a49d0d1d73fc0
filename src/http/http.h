/* lantian — the read-only HTTP API (libmicrohttpd): JSON by default, CSV for every table-shaped
 * answer, served by `lantian api` alone or inside `lantian serve` next to the ingest server.
 *
 * Threads: libmicrohttpd runs its own polling threads (a thread pool); each request is answered
 * on the thread that read it. Store handles are not thread-safe, so each worker thread keeps a
 * handle of its own (opened on its first request). Rules and targets are loaded once, before
 * start, and only read.
 * lt_http_start and lt_http_stop are called from one thread (the command's main thread).
 *
 * Answers of the data endpoints are kept in an in-memory cache (cache.h) keyed by the request and
 * the user's scope, and served again only while the store's data generation (lt_store_data_gen)
 * is the one they were computed from: any committed change of sites, hourly values, corrections
 * or dust days, by this process or another, retires them.
 */
#ifndef LANTIAN_HTTP_H
#define LANTIAN_HTTP_H

#include <stddef.h>

#include "lantian/rules.h"
#include "lantian/target.h"

/* Reported by GET /api/health; kept in step with project(... VERSION) in CMakeLists.txt. */
#define LT_HTTP_VERSION "0.1.0"

struct lt_http_opts {
    const char *listen;           /* "127.0.0.1:8080", "[::1]:8080"; port 0 = any free port */
    const char *db;               /* the store (must exist) */
    const struct lt_rules *rules; /* copied */
    /* Targets for /api/targets?config=NAME (copied; may be NULL / 0): the file's name is
     * targets_name (e.g. "demo" for config/targets-demo.ini). */
    const struct lt_target *targets;
    int ntargets;
    const char *targets_name;
    int threads;         /* worker threads, each with its own store handle (1 .. 64) */
    int max_connections; /* open connections at once; more are refused */
    int timeout_s;       /* an idle connection is closed after this many seconds */
    const char *web; /* the dashboard's built files (web/dist), served outside /api; NULL: none */
    int cache_mb;    /* the answer cache's size in MiB (0 .. 65536; 0 = no cache) */
};

/* 4 threads, 256 connections, 30 s, a 64 MiB cache; listen "127.0.0.1:8080"; the rest zero. */
void lt_http_opts_defaults(struct lt_http_opts *o);

struct lt_http;

/* Check the options, open one store handle (so that a bad store is found at start), bind and
 * start serving. *port gets the port bound. err gets a sentence on failure. Returns 0 or a
 * negative LT_E*. Signals are blocked in the server's threads: the caller's threads get them. */
int lt_http_start(struct lt_http **out, const struct lt_http_opts *o, int *port, char *err,
                  size_t errcap);

/* Stop accepting, finish the requests being answered, close the store handles and free. NULL is
 * fine. */
void lt_http_stop(struct lt_http *h);

/* Requests answered so far, by class (for the log line at stop). */
struct lt_http_counters {
    unsigned long long requests, ok, client_errors, server_errors;
    /* The answer cache: answers served from it, computed, dropped because the data changed; and
     * the bytes it holds. All 0 without a cache. */
    unsigned long long cache_hits, cache_misses, cache_stale;
    size_t cache_bytes;
};
void lt_http_get_counters(struct lt_http *h, struct lt_http_counters *c);

#endif

/* lantian — the HTTP API's answer cache: finished answers (body bytes and their format) kept in
 * memory, keyed by the whole request as it matters to the answer (route, path, every query
 * parameter, the user's role and scope, the clock hour for answers that read the clock) and
 * tagged with the version of the store's data they were computed from.
 *
 * Correctness rule: an answer is served from the cache only when its tag equals the store's data
 * generation read for the request being answered (lt_store_data_gen: it grows in the same
 * transaction as every change of sites, hourly values, corrections or dust days, whoever commits
 * it: API writes, `lantian serve`'s ingest writer, imports, the CLI); the tag stored with an
 * answer is the generation read BEFORE the answer was computed. An answer computed while a change
 * landed is therefore tagged with the older generation and never served once the change is
 * visible.
 *
 * Memory: at most max_bytes of bodies, keys and bookkeeping; the least recently used answers go
 * first. An answer is reference counted: one reference for the cache, one for each response
 * being sent, so an answer evicted while it is being sent stays alive until the send ends.
 * Thread-safe (one mutex).
 */
#ifndef LANTIAN_HTTP_CACHE_H
#define LANTIAN_HTTP_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A finished answer. body/len/csv are read-only once made. */
struct lt__answer {
    char *body;
    size_t len;
    bool csv;        /* text/csv, else JSON */
    atomic_int refs; /* the cache's and each response's */
};

/* A new answer owning body (malloc'd; freed with the answer), with one reference for the caller.
 * NULL when out of memory (body is then still the caller's). */
struct lt__answer *lt__answer_new(char *body, size_t len, bool csv);
void lt__answer_ref(struct lt__answer *a);
/* Drop one reference; the last one frees the answer. NULL is fine. */
void lt__answer_unref(struct lt__answer *a);

struct lt__cache;

/* A cache of at most max_bytes (> 0). Returns 0 or LT_ENOMEM. */
int lt__cache_new(struct lt__cache **out, size_t max_bytes);
void lt__cache_free(struct lt__cache *c);

/* The answer stored under key for data generation ver, with a reference for the caller, or NULL.
 * An entry of another generation is dropped on the way. */
struct lt__answer *lt__cache_get(struct lt__cache *c, const char *key, size_t klen, uint64_t ver);

/* Keep a (the cache takes its own reference) under key for data generation ver, replacing what
 * was there unless that is of a newer generation. Answers larger than an eighth of the cache are
 * not kept. Returns true when kept. */
bool lt__cache_put(struct lt__cache *c, const char *key, size_t klen, uint64_t ver,
                   struct lt__answer *a);

struct lt__cache_stats {
    unsigned long long hits, misses, stored, evicted, stale;
    size_t bytes, entries;
};
void lt__cache_stats(struct lt__cache *c, struct lt__cache_stats *s);

#endif

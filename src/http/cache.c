/* lantian — the HTTP API's answer cache (see cache.h): a chained hash table of answers with a
 * least-recently-used list, under one mutex. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/cache.h"
#include "lantian/util.h"

#define LT__CACHE_BUCKETS 4096 /* power of two */
#define LT__CACHE_ENTRY   128  /* bytes of bookkeeping counted per entry besides key and body */

struct lt__entry {
    struct lt__entry *hnext;       /* bucket chain */
    struct lt__entry *prev, *next; /* LRU list: head = most recently used */
    uint64_t hash, ver;
    struct lt__answer *a;
    size_t klen;
    char key[]; /* klen bytes (not NUL-terminated: keys hold NUL separators) */
};

struct lt__cache {
    pthread_mutex_t mu;
    struct lt__entry *bucket[LT__CACHE_BUCKETS];
    struct lt__entry *head, *tail;
    size_t bytes, max_bytes, entries;
    struct lt__cache_stats st;
};

/* ---- answers ------------------------------------------------------------------------------- */

struct lt__answer *lt__answer_new(char *body, size_t len, bool csv)
{
    struct lt__answer *a = malloc(sizeof *a);
    if (!a)
        return NULL;
    a->body = body;
    a->len = len;
    a->csv = csv;
    atomic_init(&a->refs, 1);
    return a;
}

void lt__answer_ref(struct lt__answer *a)
{
    atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
}

void lt__answer_unref(struct lt__answer *a)
{
    if (a && atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) == 1) {
        free(a->body);
        free(a);
    }
}

/* ---- the table ----------------------------------------------------------------------------- */

static uint64_t lt__hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a 64 */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static size_t lt__cost(const struct lt__entry *e)
{
    return LT__CACHE_ENTRY + e->klen + e->a->len;
}

static void lt__lru_unlink(struct lt__cache *c, struct lt__entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lt__lru_front(struct lt__cache *c, struct lt__entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

/* Unlink e from its bucket (prevp points at the link to it) and the LRU list, and free it. */
static void lt__drop(struct lt__cache *c, struct lt__entry **prevp, struct lt__entry *e)
{
    *prevp = e->hnext;
    lt__lru_unlink(c, e);
    c->bytes -= lt__cost(e);
    c->entries--;
    lt__answer_unref(e->a);
    free(e);
}

/* The link pointing at the entry with this key, or at the chain's end (NULL). */
static struct lt__entry **lt__find(struct lt__cache *c, uint64_t h, const char *key, size_t klen)
{
    struct lt__entry **pp = &c->bucket[h & (LT__CACHE_BUCKETS - 1)];
    while (*pp && !((*pp)->hash == h && (*pp)->klen == klen && !memcmp((*pp)->key, key, klen)))
        pp = &(*pp)->hnext;
    return pp;
}

int lt__cache_new(struct lt__cache **out, size_t max_bytes)
{
    struct lt__cache *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !max_bytes) {
        free(c);
        return c ? LT_EINVAL : LT_ENOMEM;
    }
    if (pthread_mutex_init(&c->mu, NULL)) {
        free(c);
        return LT_ENOMEM;
    }
    c->max_bytes = max_bytes;
    *out = c;
    return 0;
}

void lt__cache_free(struct lt__cache *c)
{
    if (!c)
        return;
    for (size_t b = 0; b < LT__CACHE_BUCKETS; b++)
        while (c->bucket[b])
            lt__drop(c, &c->bucket[b], c->bucket[b]);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

struct lt__answer *lt__cache_get(struct lt__cache *c, const char *key, size_t klen, uint64_t ver)
{
    uint64_t h = lt__hash(key, klen);
    struct lt__answer *a = NULL;
    pthread_mutex_lock(&c->mu);
    struct lt__entry **pp = lt__find(c, h, key, klen), *e = *pp;
    if (e && e->ver != ver) {
        /* Computed from other data than the store holds now: never served again. */
        lt__drop(c, pp, e);
        c->st.stale++;
        e = NULL;
    }
    if (e) {
        lt__lru_unlink(c, e);
        lt__lru_front(c, e);
        a = e->a;
        lt__answer_ref(a);
        c->st.hits++;
    } else {
        c->st.misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return a;
}

bool lt__cache_put(struct lt__cache *c, const char *key, size_t klen, uint64_t ver,
                   struct lt__answer *a)
{
    size_t cost = LT__CACHE_ENTRY + klen + a->len;
    if (cost > c->max_bytes / 8)
        return false;
    struct lt__entry *e = malloc(sizeof *e + klen);
    if (!e)
        return false;
    memcpy(e->key, key, klen);
    e->klen = klen;
    e->hash = lt__hash(key, klen);
    e->ver = ver;
    e->a = a;
    e->prev = e->next = NULL;
    lt__answer_ref(a);
    pthread_mutex_lock(&c->mu);
    struct lt__entry **pp = lt__find(c, e->hash, key, klen);
    if (*pp && (*pp)->ver > ver) {
        /* Another thread answered the same request from newer data meanwhile: keep that one
         * (generations only grow). */
        pthread_mutex_unlock(&c->mu);
        lt__answer_unref(a);
        free(e);
        return false;
    }
    if (*pp)
        lt__drop(c, pp, *pp); /* the same answer again, or one of older data */
    while (c->tail && c->bytes + cost > c->max_bytes) {
        struct lt__entry *old = c->tail;
        lt__drop(c, lt__find(c, old->hash, old->key, old->klen), old);
        c->st.evicted++;
    }
    pp = lt__find(c, e->hash, key, klen);
    e->hnext = NULL;
    *pp = e;
    lt__lru_front(c, e);
    c->bytes += cost;
    c->entries++;
    c->st.stored++;
    pthread_mutex_unlock(&c->mu);
    return true;
}

void lt__cache_stats(struct lt__cache *c, struct lt__cache_stats *s)
{
    pthread_mutex_lock(&c->mu);
    *s = c->st;
    s->bytes = c->bytes;
    s->entries = c->entries;
    pthread_mutex_unlock(&c->mu);
}

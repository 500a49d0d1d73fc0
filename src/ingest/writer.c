/* lantian ingest — the writer thread: the one user of the store. It takes the frames the loop
 * queued, and for each batch, in ONE transaction: appends every chunk byte-exact to the raw
 * archive, checks the device (registry, password, CRC variant), holds unknown MNs in quarantine,
 * stores values idempotently (plus the hourly table of air stations and the CEMS judgement), and
 * at most once per health_flush_ms the device health counters gathered since; then commits, and
 * only then hands the jobs with their replies back to the loop (uv_async). An acknowledgement
 * therefore always follows a commit (issue: "9014 only after the frame is durably stored").
 *
 * Batching is group commit: the writer never waits for a batch to fill. It takes what is queued
 * (at most batch_max frames, for at most batch_ms), commits, and takes what arrived meanwhile;
 * under load batches grow by themselves, at low load an ack waits for one small commit only.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "ingest/ingest.h"
#include "lantian/common.h"
#include "lantian/hj212.h"
#include "lantian/source.h"
#include "lantian/util.h"
#include "store/store.h"

/* Server reasons in the raw archive's status (store.h). */
#define LT__ST_UNKNOWN_MN 100
#define LT__ST_BAD_PW     101
#define LT__ST_DISABLED   102

/* ---- device cache: the registry as the writer last read it ----------------------------------- */

struct lt__dev {
    bool used, found;
    int64_t loaded_ms;
    struct lt_device d;
    struct lt_device_factor *f;
    int nf;
};

#define LT__DEV_MAX (1u << 16) /* entries; when full the cache is dropped and refilled */

struct lt__health {
    bool used;
    char mn[32];
    int64_t hour, frames, values, errors[8], last_ms;
    char last_peer[48];
};

/* Health counters by (MN, hour), open addressing; `used` lists the slots in use in order of first
 * use, so that clearing and writing visit those only. Grows at half full. */
struct lt__htab {
    struct lt__health *e;
    uint32_t *used;
    uint32_t cap, n;
};

struct lt__writer {
    pthread_t th;
    bool th_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct lt__job *qhead, *qtail;
    struct lt__job *dhead, *dtail;
    bool stop;
    bool idle; /* the writer waits for a first frame: a push must wake it */
    uv_async_t *async;
    struct lt_ingest_opts o;
    struct lt_store *st;
    struct lt__writer_stats stats, shared; /* shared: a copy under mu for other threads */

    struct lt__dev *dev;
    uint32_t dcap, dn;

    /* Device health: the counters of the batch being stored (hb), and those of the batches
     * committed since health was last written (hp). hp is written in the transaction of a batch
     * at most once per health_flush_ms (and at stop): writing after every commit put one
     * device_health page per frame into the WAL when commits are small and the devices many
     * (10,000 devices paced: every frame's MN on another page of the (hour, mn) table). A kill
     * loses at most that long of health counts, never a frame or a value. */
    struct lt__htab hb, hp;
    int64_t health_last_ms;
    /* The device-first copy of closed hours' values (lt_store_dev_copy_step): a transaction of
     * its own at most once per LT__COPY_EVERY_MS, after a batch or while idle; copy_more: rows
     * of closed hours remain. */
    int64_t copy_last_ms;
    bool copy_more;

    /* The checkpointer: a thread with a store handle of its own that copies the WAL into the
     * database (and fsyncs it) while the writer goes on committing. A checkpoint on the writer's
     * thread stalls every ack waiting for the next commit: with SQLite's default of one every
     * 1,000 pages, p99 at 20,000 frames/s was 220 ms; with one every 16,384 pages, 50-80 ms
     * already at 5,000 frames/s. */
    pthread_t ck_th;
    bool ck_started, ck_due, ck_stop;
    pthread_mutex_t ck_mu;
    pthread_cond_t ck_cv;
    struct lt_store *ck_st;
    uint64_t ck_runs;
    int ck_last; /* writer: log pages when the checkpointer was last woken */

    struct lt_hj212_msg *msg;
    /* The record of the frame being stored (lt__store_values). */
    struct lt_dev_item items[LT_HJ212_ITEMS_MAX * LT_VK_N];
    enum lt_put_result item_res[LT_HJ212_ITEMS_MAX * LT_VK_N];
    char item_txt[LT_HJ212_ITEMS_MAX][2][16];
    const struct lt_limits *limits; /* NULL: no judgement; owned by the server, read only */
    struct lt__ratelog *rl;
};

static uint32_t lt__hash_str(const char *s, uint32_t h)
{
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void lt__dev_clear(struct lt__writer *w)
{
    for (uint32_t i = 0; i < w->dcap; i++)
        free(w->dev[i].f);
    memset(w->dev, 0, w->dcap * sizeof *w->dev);
    w->dn = 0;
}

static int lt__dev_grow(struct lt__writer *w)
{
    uint32_t ncap = w->dcap ? w->dcap * 2 : 1024;
    struct lt__dev *nd = calloc(ncap, sizeof *nd);
    if (!nd)
        return LT_ENOMEM;
    for (uint32_t i = 0; i < w->dcap; i++) {
        if (!w->dev[i].used)
            continue;
        uint32_t h = lt__hash_str(w->dev[i].d.mn, 2166136261u) & (ncap - 1);
        while (nd[h].used)
            h = (h + 1) & (ncap - 1);
        nd[h] = w->dev[i];
    }
    free(w->dev);
    w->dev = nd;
    w->dcap = ncap;
    return 0;
}

/* The device of an MN, read from the store when not cached or cached too long ago. Returns the
 * entry (found or not), or NULL on a store error (then the batch fails). */
static struct lt__dev *lt__dev_get(struct lt__writer *w, const char *mn, int64_t now)
{
    if (w->dn * 2 >= w->dcap) {
        if (w->dcap >= LT__DEV_MAX)
            lt__dev_clear(w);
        else if (lt__dev_grow(w))
            return NULL;
    }
    uint32_t h = lt__hash_str(mn, 2166136261u) & (w->dcap - 1);
    while (w->dev[h].used && strcmp(w->dev[h].d.mn, mn) != 0)
        h = (h + 1) & (w->dcap - 1);
    struct lt__dev *e = &w->dev[h];
    if (e->used && now - e->loaded_ms < w->o.registry_refresh_s * 1000)
        return e;
    if (!e->used)
        w->dn++;
    free(e->f);
    memset(e, 0, sizeof *e);
    e->used = true;
    snprintf(e->d.mn, sizeof e->d.mn, "%s", mn);
    e->loaded_ms = now;
    struct lt_device d;
    int rc = lt_store_device_get(w->st, mn, &d);
    if (rc == LT_ENOTFOUND)
        return e;
    if (rc)
        return NULL;
    e->d = d;
    e->found = true;
    rc = lt_store_device_factors(w->st, mn, &e->f, &e->nf);
    if (rc) {
        e->f = NULL;
        e->nf = 0;
        return NULL;
    }
    return e;
}

static const struct lt_device_factor *lt__dev_factor(const struct lt__dev *e, struct lt_str code)
{
    for (int i = 0; i < e->nf; i++)
        if (lt_str_eq(code, e->f[i].code))
            return &e->f[i];
    return NULL;
}

/* Default pollutant of an air-station factor code (2017 code, or the 2005 code it replaced). */
static int lt__default_pollutant(struct lt_str code)
{
    const struct lt_hj212_factor *f = lt_hj212_factor_find(code);
    const char *c = f ? f->code2017 : NULL;
    if (!c)
        return -1;
    if (!strcmp(c, "a21026"))
        return LT_SO2;
    if (!strcmp(c, "a21004"))
        return LT_NO2;
    if (!strcmp(c, "a21005"))
        return LT_CO;
    if (!strcmp(c, "a05024"))
        return LT_O3;
    if (!strcmp(c, "a34002"))
        return LT_PM10;
    if (!strcmp(c, "a34004"))
        return LT_PM25;
    return -1;
}

/* ---- health counters of one batch ------------------------------------------------------------ */

static int lt__htab_init(struct lt__htab *t, uint32_t cap)
{
    t->e = calloc(cap, sizeof *t->e);
    t->used = calloc(cap, sizeof *t->used);
    t->cap = cap;
    t->n = 0;
    return t->e && t->used ? 0 : LT_ENOMEM;
}

static void lt__htab_free(struct lt__htab *t)
{
    free(t->e);
    free(t->used);
}

static void lt__htab_clear(struct lt__htab *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        memset(&t->e[t->used[i]], 0, sizeof t->e[0]);
    t->n = 0;
}

static struct lt__health *lt__htab_slot(struct lt__htab *t, const char *mn, int64_t hour)
{
    uint32_t h = lt__hash_str(mn, 2166136261u ^ (uint32_t)hour) & (t->cap - 1);
    while (t->e[h].used && !(t->e[h].hour == hour && !strcmp(t->e[h].mn, mn)))
        h = (h + 1) & (t->cap - 1);
    struct lt__health *e = &t->e[h];
    if (!e->used) {
        e->used = true;
        lt_str_copy(e->mn, sizeof e->mn, lt_str_of(mn));
        e->hour = hour;
        t->used[t->n++] = h;
    }
    return e;
}

/* The entry of (mn, hour), made when new; NULL only when out of memory (the counts of that frame
 * are then lost, not the frame). */
static struct lt__health *lt__htab_at(struct lt__htab *t, const char *mn, int64_t hour)
{
    if (t->n * 2 + 2 > t->cap) {
        struct lt__htab g;
        if (lt__htab_init(&g, t->cap * 2)) {
            lt__htab_free(&g);
            return NULL;
        }
        for (uint32_t i = 0; i < t->n; i++) {
            const struct lt__health *o = &t->e[t->used[i]];
            *lt__htab_slot(&g, o->mn, o->hour) = *o;
        }
        lt__htab_free(t);
        *t = g;
    }
    return lt__htab_slot(t, mn, hour);
}

static struct lt__health *lt__health_at(struct lt__writer *w, const char *mn, int64_t recv_ms)
{
    if (!mn || !*mn)
        return NULL;
    int64_t hour = recv_ms / 1000 - (recv_ms / 1000) % 3600;
    return lt__htab_at(&w->hb, mn, hour);
}

static void lt__health_touch(struct lt__health *e, const struct lt__job *j)
{
    if (j->recv_ms >= e->last_ms) {
        e->last_ms = j->recv_ms;
        memcpy(e->last_peer, j->peer, sizeof e->last_peer);
    }
}

/* Adds the counters of src into dst. */
static int lt__htab_merge(struct lt__htab *dst, const struct lt__htab *src)
{
    for (uint32_t i = 0; i < src->n; i++) {
        const struct lt__health *s = &src->e[src->used[i]];
        struct lt__health *d = lt__htab_at(dst, s->mn, s->hour);
        if (!d)
            return LT_ENOMEM;
        d->frames += s->frames;
        d->values += s->values;
        for (int k = 0; k < 8; k++)
            d->errors[k] += s->errors[k];
        if (s->last_ms >= d->last_ms && s->last_ms > 0) {
            d->last_ms = s->last_ms;
            memcpy(d->last_peer, s->last_peer, sizeof d->last_peer);
        }
    }
    return 0;
}

static int lt__health_cmp(const void *a, const void *b)
{
    const struct lt__health *x = *(const struct lt__health *const *)a;
    const struct lt__health *y = *(const struct lt__health *const *)b;
    if (x->hour != y->hour)
        return x->hour < y->hour ? -1 : 1;
    return strcmp(x->mn, y->mn);
}

/* Writes the counters of t into the open transaction, in the table's key order (hour, mn): the
 * pages of device_health are visited once each, in order. */
static int lt__htab_write(struct lt__writer *w, const struct lt__htab *t)
{
    const struct lt__health **v = malloc((t->n ? t->n : 1) * sizeof *v);
    if (!v)
        return LT_ENOMEM;
    for (uint32_t i = 0; i < t->n; i++)
        v[i] = &t->e[t->used[i]];
    qsort(v, t->n, sizeof *v, lt__health_cmp);
    int rc = 0;
    for (uint32_t i = 0; i < t->n && !rc; i++) {
        const struct lt__health *e = v[i];
        struct lt_health_delta d = {.mn = e->mn,
                                    .hour = e->hour,
                                    .frames = e->frames,
                                    .values = e->values,
                                    .last_ms = e->last_ms,
                                    .last_peer = e->last_peer};
        memcpy(d.errors, e->errors, sizeof d.errors);
        rc = lt_store_health_add(w->st, &d);
    }
    free(v);
    return rc;
}

/* At the end of a batch's transaction (rc: how the batch went so far). When health is due (or
 * `force`), the counters of the earlier batches and of this one are written in it. */
static int lt__health_flush(struct lt__writer *w, int rc, int64_t now_ms, bool force, bool *wrote)
{
    *wrote = false;
    if (rc)
        return rc;
    if (!force && now_ms - w->health_last_ms < w->o.health_flush_ms &&
        w->hp.n + w->hb.n < (1u << 16))
        return 0;
    rc = lt__htab_write(w, &w->hp);
    if (!rc)
        rc = lt__htab_write(w, &w->hb); /* a key in both is added twice: an upsert adds */
    *wrote = rc == 0;
    return rc;
}

/* After the batch's COMMIT (ok) or ROLLBACK (!ok: its frames are retried and counted again;
 * the pending counts were not written). */
static void lt__health_done(struct lt__writer *w, bool ok, bool wrote, int64_t now_ms)
{
    if (ok && wrote) {
        lt__htab_clear(&w->hp);
        w->health_last_ms = now_ms;
    } else if (ok && lt__htab_merge(&w->hp, &w->hb)) {
        lt__log("out of memory: device health counts of a batch lost");
    }
    lt__htab_clear(&w->hb);
}

/* ---- one frame ------------------------------------------------------------------------------- */

static int lt__raw(struct lt__writer *w, const struct lt__job *j, int status, const char *mn,
                   int64_t *id)
{
    struct lt_raw_frame r = {.recv_ms = j->recv_ms,
                             .peer = j->peer,
                             .bytes = j->bytes,
                             .len = j->len,
                             .status = status,
                             .mn = mn && *mn ? mn : NULL};
    return lt_store_raw_append(w->st, &r, id);
}

static bool lt__flag_valid_for_hourly(const char *flag)
{
    /* HJ 212-2017 6.6.4 Table 8: only N is normal. The official hourly table takes no flagged
     * value; the device value keeps its flag in any case. */
    return flag[0] == '\0' || !strcmp(flag, "N");
}

/* CEMS judgement of the hourly values of one frame (HJ 75-2017 through lt_source_judge). */
static int lt__judge_cems(struct lt__writer *w, const struct lt__dev *e,
                          const struct lt_hj212_msg *m, int64_t now_ms)
{
    if (!w->limits || !e->d.outlet[0])
        return 0;
    /* The hour's O2 (a19001, 2005 code S01). */
    double o2 = NAN;
    char o2_flag[8] = "";
    for (int i = 0; i < m->nitems; i++) {
        const struct lt_hj212_item *it = &m->item[i];
        const struct lt_hj212_factor *f = lt_hj212_factor_find(it->code);
        if (f && !strcmp(f->code2017, "a19001") && (it->has >> LT_VK_AVG) & 1) {
            o2 = it->v[LT_VK_AVG];
            lt_str_copy(o2_flag, sizeof o2_flag, it->flag);
        }
    }
    for (int i = 0; i < m->nitems; i++) {
        const struct lt_hj212_item *it = &m->item[i];
        if (!((it->has >> LT_VK_AVG) & 1))
            continue;
        const struct lt_hj212_factor *f = lt_hj212_factor_find(it->code);
        if (!f || !strcmp(f->code2017, "a19001"))
            continue;
        char flag[8];
        lt_str_copy(flag, sizeof flag, it->flag);
        /* The outlet's own limits win over the defaults of its source type (lt_limits_find). */
        struct lt_hour_obs obs = {.outlet = e->d.outlet,
                                  .type = e->d.source_type[0] ? e->d.source_type : NULL,
                                  .factor = f->code2017,
                                  .data_time = m->data_time,
                                  .measured = it->v[LT_VK_AVG],
                                  .flag = flag,
                                  .o2 = o2,
                                  .o2_flag = o2_flag};
        struct lt_judgement jd;
        if (lt_source_judge(w->limits, &obs, &jd))
            continue;
        if (jd.state == LT_JUDGE_NO_LIMIT) {
            w->stats.no_limit++;
            continue;
        }
        if (jd.state == LT_JUDGE_NOT_JUDGED) {
            /* Flagged data (HJ 212-2017 6.6.4) and values without a usable O2 are not judged:
             * counted, and logged with the reason so that a person can see why no event came. */
            char when[24];
            lt_bj_format_time(m->data_time, when, sizeof when);
            w->stats.not_judged++;
            lt__ratelog(w->rl, e->d.mn, now_ms, "MN=%s outlet %s: %s hourly value of %s %s",
                        e->d.mn, e->d.outlet, f->code2017, when, jd.why);
            continue;
        }
        if (jd.state != LT_JUDGE_EXCEEDED)
            continue;
        struct lt_exceedance x;
        memset(&x, 0, sizeof x);
        snprintf(x.mn, sizeof x.mn, "%s", e->d.mn);
        snprintf(x.outlet, sizeof x.outlet, "%s", e->d.outlet);
        snprintf(x.factor, sizeof x.factor, "%s", f->code2017);
        x.data_time = m->data_time;
        x.measured = jd.measured;
        x.o2 = jd.o2;
        x.o2_ref = jd.o2_ref;
        x.corrected = jd.corrected;
        x.limit = jd.limit;
        snprintf(x.flag, sizeof x.flag, "%s", jd.flag);
        /* The section name, then as much of its source as fits. */
        size_t rl = strlen(jd.rule);
        if (rl >= sizeof x.rule)
            rl = sizeof x.rule - 1;
        memcpy(x.rule, jd.rule, rl);
        if (rl + 4 < sizeof x.rule) {
            size_t sl = strlen(jd.source), room = sizeof x.rule - rl - 4;
            if (sl > room)
                sl = room;
            memcpy(x.rule + rl, " (", 2);
            memcpy(x.rule + rl + 2, jd.source, sl);
            x.rule[rl + 2 + sl] = ')';
            rl += 3 + sl;
        }
        x.rule[rl] = '\0';
        x.detected_ms = now_ms;
        bool added = false;
        int rc = lt_store_exceedance_add(w->st, &x, &added);
        if (rc)
            return rc;
        if (added) {
            w->stats.exceedances++;
            lt__ratelog(w->rl, e->d.mn, now_ms, "MN=%s outlet %s: exceedance: %s hourly %s (%s)",
                        e->d.mn, e->d.outlet, f->code2017, jd.why, jd.rule);
        }
    }
    return 0;
}

static int lt__store_values(struct lt__writer *w, const struct lt__dev *e,
                            const struct lt_hj212_msg *m, int64_t raw_id, struct lt__health *h,
                            int64_t now_ms)
{
    int cn = m->cn_num;
    if (cn != 2011 && cn != 2051 && cn != 2061 && cn != 2031)
        return 0;
    if (cn == 2011 && !w->o.store_rtd)
        return 0;
    if (!m->has_data_time)
        return 0; /* archived raw; values without a time cannot be keyed */
    bool air_hourly = cn == 2061 && !strcmp(e->d.kind, "air") && e->d.site[0];
    /* All values of the frame go to the store as one record (one packed row, schema v6). */
    struct lt_dev_item *items = w->items;
    char(*txt)[2][16] = w->item_txt;
    int n = 0;
    for (int i = 0; i < m->nitems; i++) {
        const struct lt_hj212_item *it = &m->item[i];
        if (!it->has || it->code.len >= sizeof txt[0][0] || it->flag.len >= sizeof txt[0][1])
            continue; /* not a factor code (the parser keeps what it cannot name): raw only */
        lt_str_copy(txt[i][0], sizeof txt[i][0], it->code);
        lt_str_copy(txt[i][1], sizeof txt[i][1], it->flag);
        const struct lt_device_factor *map = lt__dev_factor(e, it->code);
        double scale = map ? map->scale : lt_hj212_factor_find(it->code) ? 1.0 : NAN;
        for (int k = 0; k < LT_VK_N; k++) {
            /* An infinite value (a number too large for a double) is kept in the raw archive
             * only, as before; the frame's other values are stored. */
            if (!((it->has >> k) & 1) || isinf(it->v[k]) || isinf(it->v[k] * scale))
                continue;
            items[n++] = (struct lt_dev_item){.factor = txt[i][0],
                                              .vk = k,
                                              .value = it->v[k],
                                              .value_conv = it->v[k] * scale,
                                              .flag = txt[i][1]};
        }
        if (air_hourly && ((it->has >> LT_VK_AVG) & 1) && lt__flag_valid_for_hourly(txt[i][1])) {
            int pol = map ? map->pollutant : lt__default_pollutant(it->code);
            double val = it->v[LT_VK_AVG] * (map ? map->scale : 1.0);
            if (pol >= 0 && pol < LT_POLL_N && val >= 0 && m->data_time % 3600 == 0) {
                enum lt_put_result res;
                int rc = lt_store_put_hourly(w->st, e->d.site, pol, m->data_time + 3600, val, NULL,
                                             &res);
                if (rc == LT_ESTORE)
                    return rc;
                if (rc == 0)
                    w->stats.hourly_puts++;
                else if (rc == LT_ENOTFOUND)
                    lt__ratelog(w->rl, e->d.mn, now_ms,
                                "MN=%s: site %s unknown to the store: hourly value kept as a "
                                "device value only",
                                e->d.mn, e->d.site);
            }
        }
    }
    if (n > 0) {
        struct lt_dev_record r = {.mn = e->d.mn,
                                  .cn = cn,
                                  .data_time = m->data_time,
                                  .raw_id = raw_id,
                                  .n = n,
                                  .items = items};
        enum lt_put_result *res = w->item_res;
        int rc = lt_store_dev_record_put(w->st, &r, res);
        if (rc == LT_EINVAL) {
            lt__ratelog(w->rl, e->d.mn, now_ms,
                        "MN=%s: values of CN %d at %lld not storable; kept in the raw archive",
                        e->d.mn, cn, (long long)m->data_time);
        } else if (rc) {
            return rc;
        } else {
            for (int i = 0; i < n; i++) {
                if (res[i] == LT_PUT_INSERTED)
                    w->stats.values++;
                else if (res[i] == LT_PUT_SAME)
                    w->stats.dup_values++;
                else
                    w->stats.conflicts++;
            }
            if (h)
                h->values += n;
        }
    }
    if (cn == 2061 && !strcmp(e->d.kind, "cems"))
        return lt__judge_cems(w, e, m, now_ms);
    return 0;
}

static int lt__health_bucket_err(struct lt__writer *w, const char *mn, const struct lt__job *j,
                                 int bucket)
{
    struct lt__health *h = lt__health_at(w, mn, j->recv_ms);
    if (h) {
        h->errors[bucket]++;
        lt__health_touch(h, j);
    }
    return 0;
}

/* Process one job inside the open transaction. A negative return is a store failure. */
static int lt__process(struct lt__writer *w, struct lt__job *j, int64_t now)
{
    int64_t raw_id = 0;
    int rc;
    struct lt_hj212_msg *m = w->msg;

    j->accepted = false;
    j->reply_len = 0;
    j->mn[0] = '\0';
    j->status = j->fr_status; /* a retried job starts afresh */
    if (j->status != 0) {
        /* A chunk the framer rejected: archived, counted against the connection's device. */
        rc = lt__raw(w, j, j->status, j->conn_mn, NULL);
        if (!rc && j->status > 0 && j->status < 8)
            lt__health_bucket_err(w, j->conn_mn, j, j->status);
        return rc;
    }
    struct lt_diag d = {0};
    if (lt_hj212_parse(j->bytes + j->seg_off, j->seg_len, m, &d) || m->mn.len == 0 ||
        m->mn.len >= sizeof j->mn) {
        w->stats.syntax++;
        j->status = LT_HJ212_R_SYNTAX;
        rc = lt__raw(w, j, j->status, j->conn_mn, NULL);
        if (!rc)
            lt__health_bucket_err(w, j->conn_mn, j, LT_HJ212_R_SYNTAX);
        lt__ratelog(w->rl, j->conn_mn[0] ? j->conn_mn : j->peer, now,
                    "%s: data segment rejected (syntax): %s", j->conn_mn[0] ? j->conn_mn : j->peer,
                    m->mn.len ? d.msg : "no MN in the frame");
        return rc;
    }
    lt_str_copy(j->mn, sizeof j->mn, m->mn);
    struct lt__dev *e = lt__dev_get(w, j->mn, now);
    if (!e)
        return LT_ESTORE;
    if (!e->found) {
        w->stats.unknown_mn++;
        j->status = LT__ST_UNKNOWN_MN;
        rc = lt__raw(w, j, j->status, j->mn, &raw_id);
        if (!rc)
            rc = lt_store_quarantine_note(w->st, j->mn, j->peer, j->recv_ms, raw_id);
        lt__ratelog(w->rl, j->mn, now, "%s MN=%s: unknown device; frame held in quarantine",
                    j->peer, j->mn);
        return rc;
    }
    if (!e->d.enabled) {
        w->stats.disabled++;
        j->status = LT__ST_DISABLED;
        rc = lt__raw(w, j, j->status, j->mn, NULL);
        if (!rc)
            lt__health_bucket_err(w, j->mn, j, 0);
        lt__ratelog(w->rl, j->mn, now, "%s MN=%s: device disabled; frame archived only", j->peer,
                    j->mn);
        return rc;
    }
    if (e->d.pw[0] && !lt_str_eq(m->pw, e->d.pw)) {
        w->stats.bad_pw++;
        j->status = LT__ST_BAD_PW;
        rc = lt__raw(w, j, j->status, j->mn, NULL);
        if (!rc)
            lt__health_bucket_err(w, j->mn, j, 0);
        lt__ratelog(w->rl, j->mn, now, "%s MN=%s: wrong password (PW); frame archived only",
                    j->peer, j->mn);
        return rc;
    }
    unsigned mask = e->d.crc_mask ? e->d.crc_mask : LT_CRC_MASK_STD;
    if (!((mask >> j->crc_kind) & 1)) {
        w->stats.crc_variant++;
        j->status = LT_HJ212_R_CRC;
        rc = lt__raw(w, j, j->status, j->mn, NULL);
        if (!rc)
            lt__health_bucket_err(w, j->mn, j, LT_HJ212_R_CRC);
        lt__ratelog(w->rl, j->mn, now,
                    "%s MN=%s: CRC variant %d not allowed for this device (crc_mask %u)", j->peer,
                    j->mn, j->crc_kind, mask);
        return rc;
    }

    rc = lt__raw(w, j, 0, j->mn, &raw_id);
    if (rc)
        return rc;
    j->accepted = true;
    struct lt__health *h = lt__health_at(w, j->mn, j->recv_ms);
    if (h) {
        h->frames++;
        lt__health_touch(h, j);
    }
    enum lt_hj212_class cls = lt_hj212_classify(m);
    if (cls == LT_HJ212_C_DATA) {
        rc = lt__store_values(w, e, m, raw_id, h, now);
        if (rc)
            return rc;
    }
    /* Replies (HJ 212-2017 6.5, App. C): only when Flag.A asks. Uploads get 9014, notifications
     * and heartbeats 9013; the field's own replies (9011-9014) get none. Heartbeats are archived
     * raw and never stored as data. */
    if (m->ack_requested) {
        size_t n = 0;
        if (cls == LT_HJ212_C_DATA || cls == LT_HJ212_C_OTHER)
            n = lt_hj212_reply_data_ack(m, j->reply, sizeof j->reply);
        else if (cls == LT_HJ212_C_NOTIFY || cls == LT_HJ212_C_HEARTBEAT)
            n = lt_hj212_reply_notify_ack(m, j->reply, sizeof j->reply);
        j->reply_len = (uint16_t)n;
    }
    return 0;
}

/* Rows per copy step and how often: a fleet of 10,000 loggers with 1-min data stores 167 rows/s;
 * a step of 20,000 rows takes tens of ms (it orders at most about 80,000 rows by device). */
#define LT__COPY_MAX      20000
#define LT__COPY_EVERY_MS 1000
#define LT__COPY_AFTER_S  3600 /* an hour is copied once it ended this long ago */

static void lt__copy_step(struct lt__writer *w)
{
    int64_t now = lt__now_ms();
    w->copy_last_ms = now;
    int copied = 0;
    bool more = false;
    int rc = lt_store_begin(w->st);
    if (!rc)
        rc = lt_store_dev_copy_step(w->st, now / 1000 - LT__COPY_AFTER_S, LT__COPY_MAX, &copied,
                                    &more);
    if (!rc)
        rc = lt_store_commit(w->st);
    if (rc) {
        lt__ratelog(w->rl, "(device-first copy)", now,
                    "device values not copied into device-first order: %s (%s); tried again "
                    "in a second, reads stay complete",
                    lt_strerror(rc), lt_store_errmsg(w->st));
        lt_store_rollback(w->st);
        more = true;
    }
    w->copy_more = more;
    w->stats.dev_copied += (uint64_t)copied;
}

/* A transaction of the pending health counters only (traffic stopped, or the writer stops). */
static void lt__health_only(struct lt__writer *w)
{
    int64_t now = lt__now_ms();
    bool wrote;
    int rc = lt_store_begin(w->st);
    rc = lt__health_flush(w, rc, now, true, &wrote);
    if (!rc)
        rc = lt_store_commit(w->st);
    lt__health_done(w, rc == 0, wrote, now);
    if (rc) {
        lt__log("device health not written: %s (%s)", lt_strerror(rc), lt_store_errmsg(w->st));
        lt_store_rollback(w->st);
        w->health_last_ms = now; /* try again after health_flush_ms, not at once */
    }
}

/* One transaction over jobs[0..n). Returns 0 when committed. */
static int lt__batch(struct lt__writer *w, struct lt__job **jobs, int n)
{
    int64_t now = lt__now_ms();
    bool wrote;
    int rc = lt_store_begin(w->st);
    for (int i = 0; !rc && i < n; i++)
        rc = lt__process(w, jobs[i], now);
    rc = lt__health_flush(w, rc, now, false, &wrote);
    if (!rc)
        rc = lt_store_commit(w->st);
    lt__health_done(w, rc == 0, wrote, now);
    if (rc) {
        lt__log("batch of %d frames not stored: %s (%s)", n, lt_strerror(rc),
                lt_store_errmsg(w->st));
        lt_store_rollback(w->st);
        return rc;
    }
    for (int i = 0; i < n; i++)
        jobs[i]->committed = true;
    return 0;
}

static void *lt__writer_main(void *arg)
{
    struct lt__writer *w = arg;
    prctl(PR_SET_NAME,
          "lt-writer"); /* visible in top -H, perf and /proc: operators see who works */
    struct lt__job **batch = malloc((size_t)w->o.batch_max * sizeof *batch);
    if (!batch) {
        lt__log("writer: out of memory");
        return NULL;
    }
    lt__copy_step(w); /* what a store made before this start has to copy */
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->qhead && !w->stop) {
            w->idle = true;
            if (!w->hp.n && !w->copy_more) {
                pthread_cond_wait(&w->cv, &w->mu);
                continue;
            }
            /* No frames, but health counts pending (written health_flush_ms after the last) or
             * closed hours to copy (a step a second). */
            int64_t hdue = w->hp.n ? w->health_last_ms + w->o.health_flush_ms : INT64_MAX;
            int64_t cdue = w->copy_more ? w->copy_last_ms + LT__COPY_EVERY_MS : INT64_MAX;
            int64_t due = hdue < cdue ? hdue : cdue;
            struct timespec ts = {.tv_sec = (time_t)(due / 1000),
                                  .tv_nsec = (long)(due % 1000) * 1000000};
            if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT && !w->qhead) {
                w->idle = false;
                pthread_mutex_unlock(&w->mu);
                int64_t now = lt__now_ms();
                if (w->hp.n && now >= hdue)
                    lt__health_only(w);
                if (w->copy_more && now >= cdue)
                    lt__copy_step(w);
                pthread_mutex_lock(&w->mu);
            }
        }
        w->idle = false;
        if (!w->qhead && w->stop)
            break;
        int n = 0;
        int64_t t0 = lt__now_ms();
        while (w->qhead && n < w->o.batch_max) {
            struct lt__job *j = w->qhead;
            w->qhead = j->next;
            if (!w->qhead)
                w->qtail = NULL;
            j->next = NULL;
            batch[n++] = j;
            /* Frames arriving while this batch fills join it, for at most batch_ms. */
            if (!w->qhead && n < w->o.batch_max && lt__now_ms() - t0 < w->o.batch_ms) {
                pthread_mutex_unlock(&w->mu);
                sched_yield();
                pthread_mutex_lock(&w->mu);
            }
        }
        pthread_mutex_unlock(&w->mu);

        w->stats.batches++;
        w->stats.frames += (uint64_t)n;
        if (lt__batch(w, batch, n) != 0) {
            w->stats.commit_errs++;
            /* One bad frame must not sink its neighbours: retry each alone. */
            if (n > 1)
                for (int i = 0; i < n; i++)
                    if (lt__batch(w, &batch[i], 1) != 0)
                        w->stats.commit_errs++;
        }
        for (int i = 0; i < n; i++)
            if (batch[i]->committed)
                w->stats.committed++;

        pthread_mutex_lock(&w->mu);
        for (int i = 0; i < n; i++) {
            if (w->dtail)
                w->dtail->next = batch[i];
            else
                w->dhead = batch[i];
            w->dtail = batch[i];
        }
        w->shared = w->stats;
        pthread_mutex_unlock(&w->mu);
        uv_async_send(w->async);
        if (lt__now_ms() - w->copy_last_ms >= LT__COPY_EVERY_MS)
            lt__copy_step(w); /* after the acks are on their way */
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    if (w->hp.n)
        lt__health_only(w);
    free(batch);
    return NULL;
}

/* WAL pages after a commit at which the checkpointer is woken, and at which the writer checkpoints
 * itself (the checkpointer cannot keep up, or a reader pins the log).
 * Small checkpoints, often: each ends with an fsync of the database file, and while the kernel
 * writes what it flushes the writer's WAL writes wait (ext4 journal). Measured at 50 k frames/s
 * paced (docs/INGEST.md): with checkpoints every 4,096 pages p99 65-99 ms, 1,024: 40-48 ms, 256:
 * 23 ms, none at all: 19 ms; saturated throughput unchanged (124 k frames/s with 256). */
#define LT__CK_SOFT_PAGES 256
#define LT__CK_HARD_PAGES 65536

/* Writer thread, after each commit (lt_store_wal_notify). */
static void lt__ck_notify(void *arg, int pages)
{
    struct lt__writer *w = arg;
    /* Once per LT__CK_SOFT_PAGES pages appended: a log that does not restart (the writer never
     * pauses) would otherwise wake the checkpointer after every commit, copying the same hot
     * pages again and again. */
    if (pages < w->ck_last)
        w->ck_last = 0; /* the log restarted */
    if (pages - w->ck_last < LT__CK_SOFT_PAGES)
        return;
    w->ck_last = pages;
    pthread_mutex_lock(&w->ck_mu);
    if (!w->ck_due) {
        w->ck_due = true;
        pthread_cond_signal(&w->ck_cv);
    }
    pthread_mutex_unlock(&w->ck_mu);
}

static void *lt__ck_main(void *arg)
{
    struct lt__writer *w = arg;
    prctl(PR_SET_NAME, "lt-checkpoint");
    pthread_mutex_lock(&w->ck_mu);
    for (;;) {
        while (!w->ck_due && !w->ck_stop)
            pthread_cond_wait(&w->ck_cv, &w->ck_mu);
        if (w->ck_stop)
            break;
        w->ck_due = false;
        pthread_mutex_unlock(&w->ck_mu);
        /* PASSIVE: copies what is committed without blocking the writer; the log restarts from
         * its beginning at a later commit once everything in it was copied. */
        if (lt_store_checkpoint(w->ck_st))
            lt__log("checkpoint: %s", lt_store_errmsg(w->ck_st));
        pthread_mutex_lock(&w->ck_mu);
        w->ck_runs++;
    }
    pthread_mutex_unlock(&w->ck_mu);
    return NULL;
}

/* Say at start which limit sets hourly CEMS values are judged against (one line per section). */
static void lt__log_limits(const struct lt_limits *l, const char *origin)
{
    if (!l) {
        lt__log("emission limits: none (limits_file = none): hourly values of CEMS outlets are "
                "stored but not judged");
        return;
    }
    int sets = 0;
    for (int i = 0; i < l->n; i++)
        sets += i == 0 || strcmp(l->v[i].rule, l->v[i - 1].rule) != 0;
    lt__log("emission limits: %d limit sets (%d limits) from %s", sets, l->n,
            origin && *origin ? origin : "?");
    for (int i = 0; i < l->n;) {
        const struct lt_limit *x = &l->v[i];
        char line[512], o2[48], from[16] = "open", to[16] = "open";
        size_t len = 0;
        if (x->o2_mode == LT_O2_CORRECT)
            snprintf(o2, sizeof o2, "O2 ref %g %%%s", x->o2_ref,
                     x->o2_low_measured ? " (measured below it)" : "");
        else
            snprintf(o2, sizeof o2, "%s",
                     x->o2_mode == LT_O2_NONE ? "no O2 correction"
                                              : "O2 ref unknown: values not judged");
        if (x->from_day != LT_LIMIT_OPEN_FROM)
            lt_date_format(x->from_day, from, sizeof from);
        if (x->to_day != LT_LIMIT_OPEN_TO)
            lt_date_format(x->to_day, to, sizeof to);
        int j = i;
        line[0] = '\0';
        for (; j < l->n && !strcmp(l->v[j].rule, x->rule); j++) {
            int k = snprintf(line + len, sizeof line - len, "%s%s %g", len ? ", " : "",
                             l->v[j].factor, l->v[j].limit);
            if (k > 0 && (size_t)k < sizeof line - len)
                len += (size_t)k;
        }
        lt__log("  [%s] %s %s, %s, %s .. %s: %s mg/m3, %s", x->rule,
                x->outlet[0] ? "outlet" : "type", x->outlet[0] ? x->outlet : x->type, o2, from, to,
                line, x->verified ? "verified" : "unverified");
        i = j;
    }
}

int lt__writer_new(struct lt__writer **out, const struct lt_ingest_opts *o, const char *db_path,
                   const struct lt_limits *limits, const char *limits_origin, uv_async_t *async,
                   char *err, size_t errcap)
{
    *out = NULL;
    struct lt__writer *w = calloc(1, sizeof *w);
    if (!w)
        return LT_ENOMEM;
    w->o = *o;
    w->async = async;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    pthread_mutex_init(&w->ck_mu, NULL);
    pthread_cond_init(&w->ck_cv, NULL);
    w->msg = malloc(sizeof *w->msg);
    w->rl = lt__ratelog_new(o->log_per_mn);
    int rc = LT_ENOMEM;
    if (!w->msg || !w->rl || lt__htab_init(&w->hb, 1024) || lt__htab_init(&w->hp, 1024) ||
        lt__dev_grow(w)) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    struct lt_diag d = {0};
    rc = lt_store_open(&w->st, db_path, &d);
    if (rc) {
        snprintf(err, errcap, "cannot open the store %s: %s", db_path, d.msg);
        goto fail;
    }
    rc = lt_store_open(&w->ck_st, db_path, &d);
    if (rc) {
        snprintf(err, errcap, "cannot open the store %s: %s", db_path, d.msg);
        goto fail;
    }
    lt_store_wal_notify(w->st, LT__CK_HARD_PAGES, lt__ck_notify, w);
    if (pthread_create(&w->ck_th, NULL, lt__ck_main, w) != 0) {
        snprintf(err, errcap, "cannot start the checkpoint thread");
        rc = LT_ENOMEM;
        goto fail;
    }
    w->ck_started = true;
    w->limits = limits;
    lt__log_limits(limits, limits_origin);
    if (pthread_create(&w->th, NULL, lt__writer_main, w) != 0) {
        snprintf(err, errcap, "cannot start the writer thread");
        rc = LT_ENOMEM;
        goto fail;
    }
    w->th_started = true;
    *out = w;
    return 0;
fail:
    lt__writer_free(w);
    return rc;
}

void lt__writer_push(struct lt__writer *w, struct lt__job *head, struct lt__job *tail, int n)
{
    (void)n;
    pthread_mutex_lock(&w->mu);
    if (w->qtail)
        w->qtail->next = head;
    else
        w->qhead = head;
    w->qtail = tail;
    if (w->idle)
        pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

struct lt__job *lt__writer_take_done(struct lt__writer *w)
{
    pthread_mutex_lock(&w->mu);
    struct lt__job *j = w->dhead;
    w->dhead = w->dtail = NULL;
    pthread_mutex_unlock(&w->mu);
    return j;
}

void lt__writer_stop(struct lt__writer *w)
{
    if (w->th_started) {
        pthread_mutex_lock(&w->mu);
        w->stop = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
        w->th_started = false;
    }
    if (w->ck_started) {
        pthread_mutex_lock(&w->ck_mu);
        w->ck_stop = true;
        pthread_cond_signal(&w->ck_cv);
        pthread_mutex_unlock(&w->ck_mu);
        pthread_join(w->ck_th, NULL);
        w->ck_started = false;
    }
}

void lt__writer_free(struct lt__writer *w)
{
    if (!w)
        return;
    lt__writer_stop(w);
    for (struct lt__job *j = w->qhead, *n; j; j = n) {
        n = j->next;
        free(j);
    }
    for (struct lt__job *j = w->dhead, *n; j; j = n) {
        n = j->next;
        free(j);
    }
    if (w->dev)
        lt__dev_clear(w);
    free(w->dev);
    lt__htab_free(&w->hb);
    lt__htab_free(&w->hp);
    free(w->msg);
    lt__ratelog_free(w->rl);
    lt_store_close(w->st);
    lt_store_close(w->ck_st);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->ck_mu);
    pthread_cond_destroy(&w->ck_cv);
    free(w);
}

void lt__writer_get_stats(struct lt__writer *w, struct lt__writer_stats *s)
{
    pthread_mutex_lock(&w->mu);
    *s = w->shared;
    pthread_mutex_unlock(&w->mu);
}

/* lantian ingest — the libuv side: listener, connections, framing, back-pressure, replies.
 *
 * Memory is bounded by construction (DESIGN.md, STYLE.md): each connection owns one framing buffer
 * whose cap is fixed when it is created (it exists only while a partial frame is held, so an idle
 * connection costs a few hundred bytes); frames in flight between the loop and the writer are
 * counted and capped (queue_max, queue_max_bytes) — above queue_high every socket stops being read
 * and resumes below queue_low; unread replies per connection are capped (out_max). Every libuv
 * handle's memory is released only in its close callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ingest/ingest.h"
#include "lantian/common.h"
#include "lantian/hj212.h"

struct lt__conn {
    uv_tcp_t tcp; /* tcp.data = this */
    struct lt_ingest *g;
    struct lt__conn *prev, *next;
    uint32_t slot, gen;
    uint64_t id;
    struct lt_hj212_framer fr;
    bool fr_live;        /* fr holds a buffer */
    uint64_t stream_off; /* bytes of the stream before fr's current buffer */
    int64_t last_rx_ms;
    bool reading, stalled, eof, closing;
    long pending; /* jobs of this connection in flight: it closes after EOF only when 0 */
    char peer[48];
    char mn[32];
    struct lt__job *ack_head, *ack_tail; /* replies of one async round, written together */
    bool ack_queued;                     /* in the round's list of connections to write to */
};

struct lt__wreq {
    uv_write_t req;
    uv_buf_t buf;
    char data[];
};

struct lt__mn_slot {
    char mn[32]; /* "" = empty */
    uint64_t conn_id;
};

struct lt_ingest {
    uv_loop_t *loop;
    struct lt_ingest_opts o;
    char *db_path;
    uv_tcp_t listener;
    uv_async_t async;
    uv_timer_t sweep;
    bool listener_open, async_open, sweep_open, started;
    struct lt__writer *w;

    /* Connection ids are slot | generation << 32, so an ack for a closed connection (whose slot
     * may already serve another) is recognised and dropped. */
    struct lt__conn **slots;
    uint32_t *gens, *free_slots;
    uint32_t nfree;
    struct lt__conn *conns; /* open connections, a doubly linked list */
    long nconns;
    long closing; /* handles whose close callback is pending */

    long inflight; /* jobs handed to the writer and not yet back */
    long inflight_bytes;
    bool paused, stopping, teardown, stopped;
    void (*done)(void *);
    void *done_arg;

    struct lt__ratelog *rl;
    struct lt_ingest_counters c;

    /* The connection each MN was last bound to (open addressing; an entry whose connection is
     * gone is stale and simply overwritten): a logger that reconnects replaces its old one. */
    struct lt__mn_slot *mnt;
    uint32_t mncap, mnn;

    /* Connections with replies due in the current async round (lt__async_cb). */
    struct lt__conn **ackc;
    size_t nackc, ackc_cap;

    struct lt_limits limits; /* a copy; read by the writer thread */
    bool have_limits;
    char limits_origin[300];
    uint8_t rbuf[65536]; /* one read buffer for the loop: reads are consumed synchronously */
};

static void lt__conn_close(struct lt__conn *c, const char *why);
static void lt__maybe_finish_stop(struct lt_ingest *g);

/* ---- connection table ---------------------------------------------------------------------- */

static struct lt__conn *lt__conn_lookup(struct lt_ingest *g, uint64_t id)
{
    uint32_t slot = (uint32_t)(id & 0xffffffffu), gen = (uint32_t)(id >> 32);
    if (slot >= (uint32_t)g->o.max_connections || g->gens[slot] != gen)
        return NULL;
    return g->slots[slot];
}

static void lt__handle_free_cb(uv_handle_t *h)
{
    free(h);
}

/* ---- writing replies ------------------------------------------------------------------------- */

static void lt__write_cb(uv_write_t *req, int status)
{
    (void)status; /* a failed or cancelled reply: the device asks again */
    free(req->data);
}

/* Write the replies of c's jobs (chained by ack_next) in as few syscalls as possible: one
 * uv_try_write (writev) of up to LT__ACK_IOV replies; what the socket does not take at once is
 * copied into one queued write request. Returns the number of replies handed to the socket. */
#define LT__ACK_IOV 64

static void lt__send_many(struct lt__conn *c, uv_buf_t *b, unsigned nb, size_t total)
{
    struct lt_ingest *g = c->g;
    int w = uv_try_write((uv_stream_t *)&c->tcp, b, nb);
    if (w == (int)total) {
        g->c.acks_sent += nb;
        return;
    }
    if (w < 0 && w != UV_EAGAIN) {
        lt__conn_close(c, uv_strerror(w));
        return;
    }
    size_t done = w > 0 ? (size_t)w : 0, left = total - done;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) + left > (size_t)g->o.out_max) {
        g->c.conns_out_closed++;
        lt__conn_close(c, "the device does not read its replies (out_max reached)");
        return;
    }
    struct lt__wreq *r = malloc(sizeof *r + left);
    if (!r) {
        lt__conn_close(c, "out of memory for a reply");
        return;
    }
    size_t off = 0, skip = done;
    for (unsigned i = 0; i < nb; i++) {
        size_t len = b[i].len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        memcpy(r->data + off, b[i].base + skip, len - skip);
        off += len - skip;
        skip = 0;
    }
    r->buf = uv_buf_init(r->data, (unsigned)left);
    r->req.data = r;
    int rc = uv_write(&r->req, (uv_stream_t *)&c->tcp, &r->buf, 1, lt__write_cb);
    if (rc) {
        free(r);
        lt__conn_close(c, uv_strerror(rc));
        return;
    }
    g->c.acks_sent += nb;
}

/* The replies gathered for c in this round, in order, then the chain is cleared. The jobs stay
 * owned by the caller (freed after the round). */
static void lt__send_acks(struct lt__conn *c)
{
    uv_buf_t b[LT__ACK_IOV];
    struct lt__job *j = c->ack_head;
    c->ack_head = c->ack_tail = NULL;
    c->ack_queued = false;
    while (j) {
        unsigned nb = 0;
        size_t total = 0;
        for (; j && nb < LT__ACK_IOV; j = j->ack_next) {
            b[nb++] = uv_buf_init(j->reply, j->reply_len);
            total += j->reply_len;
        }
        if (c->closing) {
            c->g->c.acks_lost += nb;
            continue;
        }
        lt__send_many(c, b, nb, total);
    }
}

/* ---- reading and framing ------------------------------------------------------------------- */

static void lt__alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct lt__conn *c = h->data;
    struct lt_ingest *g = c->g;
    (void)suggested;
    if (!c->fr_live) {
        /* The buffer is created when bytes come and dropped when it holds no partial frame: its
         * cap is fixed at creation, and idle connections hold none. */
        if (lt_hj212_framer_init(&c->fr, (size_t)g->o.buffer_cap,
                                 (1u << LT_CRC_HJ212) | (1u << LT_CRC_MODBUS) |
                                     (1u << LT_CRC_MODBUS_LE))) {
            *buf = uv_buf_init(NULL, 0);
            return;
        }
        c->fr.offset = c->stream_off;
        c->fr_live = true;
    }
    size_t room = lt_hj212_framer_room(&c->fr);
    if (room > sizeof g->rbuf)
        room = sizeof g->rbuf;
    *buf = uv_buf_init(room ? (char *)g->rbuf : NULL, (unsigned)room);
}

static struct lt__job *lt__job_new(struct lt__conn *c, const struct lt_hj212_event *ev,
                                   int64_t now_ms)
{
    struct lt__job *j = malloc(sizeof *j + ev->raw_len);
    if (!j)
        return NULL;
    memset(j, 0, sizeof *j);
    j->conn_id = c->id;
    j->recv_ms = now_ms;
    j->fr_status = ev->kind == LT_HJ212_EV_FRAME ? 0 : (int)ev->reason;
    j->crc_kind = ev->kind == LT_HJ212_EV_FRAME ? (int)ev->crc_kind : 0;
    memcpy(j->peer, c->peer, sizeof j->peer);
    memcpy(j->conn_mn, c->mn, sizeof j->conn_mn);
    j->len = (uint32_t)ev->raw_len;
    if (ev->kind == LT_HJ212_EV_FRAME) {
        j->seg_off = (uint32_t)(ev->seg - ev->raw);
        j->seg_len = (uint32_t)ev->seg_len;
    }
    memcpy(j->bytes, ev->raw, ev->raw_len);
    return j;
}

static bool lt__queue_full(const struct lt_ingest *g)
{
    return g->inflight >= g->o.queue_max || g->inflight_bytes >= g->o.queue_max_bytes;
}

static void lt__pause_all(struct lt_ingest *g)
{
    if (g->paused)
        return;
    g->paused = true;
    g->c.pauses++;
    for (struct lt__conn *c = g->conns; c; c = c->next)
        if (c->reading) {
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->reading = false;
        }
}

static void lt__note_reject(struct lt__conn *c, const struct lt_hj212_event *ev, int64_t now)
{
    const char *key = c->mn[0] ? c->mn : c->peer;
    lt__ratelog(c->g->rl, key, now, "%s%s%s: rejected %zu bytes at offset %llu (%s): %s", c->peer,
                c->mn[0] ? " MN=" : "", c->mn, ev->raw_len, (unsigned long long)ev->offset,
                lt_hj212_reject_name(ev->reason), ev->msg);
}

/* Hand the framer's events to the writer while the queue has room. Returns false when stalled
 * (bytes stay in the framer until the queue drains). */
static bool lt__conn_drain(struct lt__conn *c, bool finish)
{
    struct lt_ingest *g = c->g;
    struct lt__job *head = NULL, *tail = NULL;
    int n = 0;
    bool ok = true, finishing = false;
    int64_t now = lt__now_ms();

    while (c->fr_live) {
        struct lt_hj212_event ev;
        if (lt__queue_full(g)) {
            ok = false;
            break;
        }
        int rc = finishing ? 0 : lt_hj212_framer_next(&c->fr, &ev);
        if (rc <= 0) {
            if (!finish)
                break;
            /* End of stream: the rest may be several chunks (garbage, then a cut frame). */
            finishing = true;
            rc = lt_hj212_framer_finish(&c->fr, &ev);
            if (rc <= 0)
                break;
        }
        if (ev.kind == LT_HJ212_EV_REJECT) {
            g->c.rejects++;
            lt__note_reject(c, &ev, now);
        } else {
            g->c.frames++;
        }
        struct lt__job *j = lt__job_new(c, &ev, now);
        if (!j) {
            lt__log("out of memory for a frame of %s; closing it", c->peer);
            ok = false;
            break;
        }
        g->inflight++;
        g->inflight_bytes += (long)j->len;
        c->pending++;
        if (tail)
            tail->next = j;
        else
            head = j;
        tail = j;
        n++;
    }
    if (head)
        lt__writer_push(g->w, head, tail, n);
    c->stalled = !ok;
    if (ok && c->fr_live && c->fr.len == 0) {
        c->stream_off = c->fr.offset;
        lt_hj212_framer_release(&c->fr);
        c->fr_live = false;
    }
    if (!ok)
        lt__pause_all(g);
    else if (g->inflight >= g->o.queue_high)
        lt__pause_all(g);
    return ok;
}

static void lt__read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct lt__conn *c = s->data;
    struct lt_ingest *g = c->g;

    if (nread > 0) {
        c->last_rx_ms = lt__now_ms();
        size_t took = lt_hj212_framer_feed(&c->fr, (const uint8_t *)buf->base, (size_t)nread);
        if (took != (size_t)nread) {
            /* alloc_cb never offers more than the framer's room: a broken invariant. */
            lt__log("%s: framer took %zu of %zd bytes; closing", c->peer, took, nread);
            lt__conn_close(c, "internal framing error");
            return;
        }
        lt__conn_drain(c, false);
        return;
    }
    if (nread == 0)
        return;
    if (nread == UV_ENOBUFS) {
        /* The framer is full of bytes not yet handed on (the queue is full): wait. */
        if (c->reading) {
            uv_read_stop(s);
            c->reading = false;
        }
        c->stalled = true;
        lt__pause_all(g);
        return;
    }
    /* EOF or an error: what the framer holds is handed on (an incomplete frame becomes a counted
     * reject), then the connection closes. */
    if (c->reading) {
        uv_read_stop(s);
        c->reading = false;
    }
    c->eof = true;
    if (nread != UV_EOF && g->o.verbose)
        lt__log("%s: read error: %s", c->peer, uv_strerror((int)nread));
    /* A device that half-closes still gets the acks of what it sent: close when they are out. */
    if (lt__conn_drain(c, true) && (c->pending == 0 || nread != UV_EOF))
        lt__conn_close(c, nread == UV_EOF ? NULL : uv_strerror((int)nread));
}

static void lt__conn_read_start(struct lt__conn *c)
{
    if (c->reading || c->closing || c->eof)
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, lt__alloc_cb, lt__read_cb) == 0)
        c->reading = true;
}

static void lt__resume_all(struct lt_ingest *g)
{
    struct lt__conn *next;
    if (g->stopping) {
        /* Stopping: what connections hold is handed on as if their streams ended (a partial
         * frame becomes a counted reject), as fast as the queue takes it. */
        for (struct lt__conn *c = g->conns; c; c = next) {
            next = c->next;
            if (!c->fr_live && !c->stalled)
                continue;
            c->eof = true;
            if (!lt__conn_drain(c, true))
                return;
        }
        return;
    }
    if (!g->paused)
        return;
    if (g->inflight > g->o.queue_low || g->inflight_bytes > g->o.queue_max_bytes / 2)
        return;
    g->paused = false;
    int64_t now = lt__now_ms();
    for (struct lt__conn *c = g->conns; c; c = next) {
        next = c->next;
        c->last_rx_ms = now; /* time spent paused by us is not the device's idleness */
        if (c->stalled || c->eof) {
            if (!lt__conn_drain(c, c->eof))
                return; /* paused again; the rest wait for the next resume */
            if (c->eof) {
                if (c->pending == 0)
                    lt__conn_close(c, NULL);
                continue;
            }
        }
        lt__conn_read_start(c);
        if (g->paused)
            return;
    }
}

/* ---- connection lifecycle -------------------------------------------------------------------- */

static void lt__conn_close_cb(uv_handle_t *h)
{
    struct lt__conn *c = h->data;
    struct lt_ingest *g = c->g;
    if (c->fr_live)
        lt_hj212_framer_release(&c->fr);
    free(c);
    g->closing--;
    lt__maybe_finish_stop(g);
}

static void lt__conn_close(struct lt__conn *c, const char *why)
{
    struct lt_ingest *g = c->g;
    if (c->closing)
        return;
    c->closing = true;
    if (why)
        lt__ratelog(g->rl, c->mn[0] ? c->mn : c->peer, lt__now_ms(), "%s%s%s: closed: %s", c->peer,
                    c->mn[0] ? " MN=" : "", c->mn, why);
    else if (g->o.verbose)
        lt__log("%s%s%s: closed by the device", c->peer, c->mn[0] ? " MN=" : "", c->mn);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    g->nconns--;
    g->c.conns_open = (uint64_t)g->nconns;
    g->slots[c->slot] = NULL;
    g->gens[c->slot]++;
    g->free_slots[g->nfree++] = c->slot;
    g->closing++;
    uv_close((uv_handle_t *)&c->tcp, lt__conn_close_cb);
}

static void lt__peer_name(uv_tcp_t *t, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char ip[64] = "?";
    int port = 0;
    if (uv_tcp_getpeername(t, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            uv_ip4_name(a, ip, sizeof ip);
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, ip, sizeof ip);
            port = ntohs(a->sin6_port);
        }
    }
    snprintf(out, cap, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
}

static void lt__connection_cb(uv_stream_t *server, int status)
{
    struct lt_ingest *g = server->data;
    if (status < 0) {
        lt__ratelog(g->rl, "accept", lt__now_ms(), "accept failed: %s", uv_strerror(status));
        return;
    }
    if (g->nconns >= g->o.max_connections || g->nfree == 0 || g->stopping) {
        /* Accept and close at once: leaving it in the backlog would make it wait, not refuse. */
        uv_tcp_t *t = malloc(sizeof *t);
        if (!t)
            return;
        uv_tcp_init(g->loop, t);
        if (uv_accept(server, (uv_stream_t *)t) == 0) {
            char peer[48];
            lt__peer_name(t, peer, sizeof peer);
            g->c.conns_refused++;
            lt__ratelog(g->rl, "refused", lt__now_ms(),
                        "%s: refused: max_connections (%ld) reached%s", peer, g->o.max_connections,
                        g->stopping ? " (stopping)" : "");
        }
        uv_close((uv_handle_t *)t, lt__handle_free_cb);
        return;
    }
    struct lt__conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->g = g;
    uv_tcp_init(g->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, lt__handle_free_cb); /* c is the handle's address */
        return;
    }
    c->slot = g->free_slots[--g->nfree];
    c->gen = g->gens[c->slot];
    c->id = (uint64_t)c->slot | ((uint64_t)c->gen << 32);
    g->slots[c->slot] = c;
    c->next = g->conns;
    if (g->conns)
        g->conns->prev = c;
    g->conns = c;
    g->nconns++;
    g->c.conns_accepted++;
    g->c.conns_open = (uint64_t)g->nconns;
    lt__peer_name(&c->tcp, c->peer, sizeof c->peer);
    c->last_rx_ms = lt__now_ms();
    uv_tcp_nodelay(&c->tcp, 1);
    if (g->o.keepalive_s > 0)
        uv_tcp_keepalive(&c->tcp, 1, (unsigned)g->o.keepalive_s);
    if (g->o.verbose)
        lt__log("%s: connected (%ld open)", c->peer, g->nconns);
    if (!g->paused)
        lt__conn_read_start(c);
}

/* ---- one connection per MN ------------------------------------------------------------------- */

static uint32_t lt__mn_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static int lt__mn_grow(struct lt_ingest *g)
{
    uint32_t ncap = g->mncap ? g->mncap * 2 : 1024;
    struct lt__mn_slot *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return LT_ENOMEM;
    g->mnn = 0;
    for (uint32_t i = 0; i < g->mncap; i++) {
        /* Entries of closed connections are dropped on the way. */
        if (!g->mnt[i].mn[0] || !lt__conn_lookup(g, g->mnt[i].conn_id))
            continue;
        uint32_t h = lt__mn_hash(g->mnt[i].mn) & (ncap - 1);
        while (nt[h].mn[0])
            h = (h + 1) & (ncap - 1);
        nt[h] = g->mnt[i];
        g->mnn++;
    }
    free(g->mnt);
    g->mnt = nt;
    g->mncap = ncap;
    return 0;
}

/* Connection c was just bound to its MN (its first stored frame). A logger that lost its link
 * reconnects (often from a new address behind NAT/4G) while the server still holds the old
 * socket, which would otherwise linger until idle_timeout_s: the older connection of the same MN
 * is closed, with both peers in the log. */
static void lt__mn_bind(struct lt_ingest *g, struct lt__conn *c)
{
    if ((g->mnn + 1) * 2 > g->mncap && lt__mn_grow(g))
        return; /* out of memory: no replacement, the idle timeout still applies */
    uint32_t h = lt__mn_hash(c->mn) & (g->mncap - 1);
    while (g->mnt[h].mn[0] && strcmp(g->mnt[h].mn, c->mn) != 0)
        h = (h + 1) & (g->mncap - 1);
    struct lt__mn_slot *e = &g->mnt[h];
    if (!e->mn[0]) {
        memcpy(e->mn, c->mn, sizeof e->mn);
        g->mnn++;
    } else if (e->conn_id != c->id) {
        struct lt__conn *old = lt__conn_lookup(g, e->conn_id);
        if (old && !old->closing && !strcmp(old->mn, c->mn)) {
            char why[128];
            snprintf(why, sizeof why, "replaced by a new connection of the same MN from %s",
                     c->peer);
            g->c.conns_replaced++;
            lt__conn_close(old, why);
        }
    }
    e->conn_id = c->id;
}

/* ---- acks back from the writer --------------------------------------------------------------- */

/* Note c as having replies due in this round. False when out of memory (its replies are then
 * counted as lost: the device resends). */
static bool lt__ackc_add(struct lt_ingest *g, struct lt__conn *c)
{
    if (g->nackc == g->ackc_cap) {
        size_t ncap = g->ackc_cap ? g->ackc_cap * 2 : 256;
        struct lt__conn **n = realloc(g->ackc, ncap * sizeof *n);
        if (!n)
            return false;
        g->ackc = n;
        g->ackc_cap = ncap;
    }
    g->ackc[g->nackc++] = c;
    c->ack_queued = true;
    return true;
}

static void lt__async_cb(uv_async_t *a)
{
    struct lt_ingest *g = a->data;
    struct lt__job *all = lt__writer_take_done(g->w), *j, *next;
    /* First the bookkeeping of every job, gathering the replies per connection; then one write
     * per connection (a device with several frames in one commit gets its acks together); then
     * the jobs are freed (the replies point into them). */
    g->nackc = 0;
    for (j = all; j; j = j->next) {
        g->inflight--;
        g->inflight_bytes -= (long)j->len;
        if (j->committed)
            g->c.stored++;
        struct lt__conn *c = lt__conn_lookup(g, j->conn_id);
        if (c && !c->closing && j->accepted && !c->mn[0]) {
            memcpy(c->mn, j->mn, sizeof c->mn); /* the connection is bound to its device */
            lt__mn_bind(g, c);
        }
        if (j->reply_len && j->committed) {
            if (c && !c->closing && (c->ack_queued || lt__ackc_add(g, c))) {
                j->ack_next = NULL;
                if (c->ack_tail)
                    c->ack_tail->ack_next = j;
                else
                    c->ack_head = j;
                c->ack_tail = j;
            } else {
                g->c.acks_lost++; /* the connection closed before its frame was stored */
            }
        }
        if (c)
            c->pending--;
    }
    for (size_t i = 0; i < g->nackc; i++)
        lt__send_acks(g->ackc[i]);
    g->nackc = 0;
    for (j = all; j; j = next) {
        next = j->next;
        /* A half-closed device is closed once the acks of all it sent are out. */
        struct lt__conn *c = lt__conn_lookup(g, j->conn_id);
        if (c && c->eof && !c->stalled && !c->closing && c->pending == 0 && !g->stopping)
            lt__conn_close(c, NULL);
        free(j);
    }
    lt__resume_all(g);
    lt__maybe_finish_stop(g);
}

/* ---- idle reaping ---------------------------------------------------------------------------- */

static void lt__sweep_cb(uv_timer_t *t)
{
    struct lt_ingest *g = t->data;
    if (g->o.idle_timeout_s <= 0 || g->paused)
        return;
    int64_t now = lt__now_ms(), limit = (int64_t)g->o.idle_timeout_s * 1000;
    struct lt__conn *next;
    for (struct lt__conn *c = g->conns; c; c = next) {
        next = c->next;
        if (!c->stalled && now - c->last_rx_ms > limit) {
            g->c.conns_idle_closed++;
            char why[96];
            snprintf(why, sizeof why, "idle for more than idle_timeout_s = %ld s",
                     g->o.idle_timeout_s);
            lt__conn_close(c, why);
        }
    }
}

/* ---- setup and teardown ---------------------------------------------------------------------- */

int lt_ingest_new(struct lt_ingest **out, uv_loop_t *loop, const struct lt_ingest_opts *o,
                  const char *db_path, char *err, size_t errcap)
{
    *out = NULL;
    if (lt_ingest_opts_check(o, err, errcap))
        return LT_EINVAL;
    struct lt_ingest *g = calloc(1, sizeof *g);
    if (!g)
        return LT_ENOMEM;
    g->loop = loop;
    g->o = *o;
    size_t n = (size_t)o->max_connections;
    g->db_path = strdup(db_path);
    g->slots = calloc(n, sizeof *g->slots);
    g->gens = calloc(n, sizeof *g->gens);
    g->free_slots = malloc(n * sizeof *g->free_slots);
    g->rl = lt__ratelog_new(o->log_per_mn);
    if (!g->db_path || !g->slots || !g->gens || !g->free_slots || !g->rl) {
        lt_ingest_free(g);
        snprintf(err, errcap, "out of memory");
        return LT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        g->free_slots[i] = (uint32_t)(n - 1 - i);
    g->nfree = (uint32_t)n;
    *out = g;
    return 0;
}

static int lt__parse_listen(const char *s, struct sockaddr_storage *ss, char *err, size_t errcap)
{
    char host[64];
    const char *colon;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            goto bad;
        snprintf(host, sizeof host, "%.*s", (int)(end - s - 1), s + 1);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            goto bad;
        snprintf(host, sizeof host, "%.*s", (int)(colon - s), s);
    }
    long long port;
    if (lt_parse_int(lt_str_of(colon + 1), 0, 65535, &port))
        goto bad;
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
bad:
    snprintf(err, errcap, "listen address '%s' is not IP:port", s);
    return LT_EINVAL;
}

/* Each connection is a descriptor: raise the soft limit toward the hard one as needed. */
static void lt__raise_nofile(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t need = (rlim_t)want + 64;
    if (rl.rlim_cur >= need)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
        lt__log("warning: RLIMIT_NOFILE is %llu, below max_connections + 64 = %llu",
                (unsigned long long)rl.rlim_cur, (unsigned long long)need);
}

int lt_ingest_start(struct lt_ingest *g, int *port, char *err, size_t errcap)
{
    struct sockaddr_storage ss;
    int rc;
    if (lt__parse_listen(g->o.listen, &ss, err, errcap))
        return LT_EINVAL;
    lt__raise_nofile(g->o.max_connections);

    uv_tcp_init(g->loop, &g->listener);
    g->listener.data = g;
    g->listener_open = true;
    uv_async_init(g->loop, &g->async, lt__async_cb);
    g->async.data = g;
    g->async_open = true;
    uv_timer_init(g->loop, &g->sweep);
    g->sweep.data = g;
    g->sweep_open = true;

    rc = uv_tcp_bind(&g->listener, (const struct sockaddr *)&ss, 0);
    if (!rc)
        rc = uv_listen((uv_stream_t *)&g->listener, (int)g->o.backlog, lt__connection_cb);
    if (rc) {
        snprintf(err, errcap, "cannot listen on %s: %s", g->o.listen, uv_strerror(rc));
        return LT_EIO;
    }
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    *port = 0;
    if (uv_tcp_getsockname(&g->listener, (struct sockaddr *)&bound, &blen) == 0)
        *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);

    rc = lt__writer_new(&g->w, &g->o, g->db_path, g->have_limits ? &g->limits : NULL,
                        g->limits_origin, &g->async, err, errcap);
    if (rc)
        return rc;
    uv_timer_start(&g->sweep, lt__sweep_cb, 1000, 1000);
    g->started = true;
    return 0;
}

static void lt__g_handle_closed(uv_handle_t *h)
{
    struct lt_ingest *g = h->data;
    g->closing--;
    lt__maybe_finish_stop(g);
}

static void lt__maybe_finish_stop(struct lt_ingest *g)
{
    if (!g->stopping || g->stopped)
        return;
    if (!g->teardown) {
        if (g->inflight > 0)
            return; /* acks of committed frames still to come */
        for (struct lt__conn *c = g->conns; c; c = c->next)
            if (c->stalled)
                return; /* bytes received and not yet queued */
        /* Everything queued is committed and acknowledged: close what is left. */
        g->teardown = true;
        struct lt__conn *next;
        for (struct lt__conn *c = g->conns; c; c = next) {
            next = c->next;
            lt__conn_close(c, NULL);
        }
        if (g->w) {
            lt__writer_stop(g->w);
            struct lt__job *j = lt__writer_take_done(g->w), *jn;
            for (; j; j = jn) {
                jn = j->next;
                free(j);
            }
        }
        uv_handle_t *hs[3] = {g->async_open ? (uv_handle_t *)&g->async : NULL,
                              g->sweep_open ? (uv_handle_t *)&g->sweep : NULL,
                              g->listener_open ? (uv_handle_t *)&g->listener : NULL};
        g->async_open = g->sweep_open = g->listener_open = false;
        for (int i = 0; i < 3; i++)
            if (hs[i]) {
                g->closing++;
                uv_close(hs[i], lt__g_handle_closed);
            }
    }
    if (g->closing > 0)
        return;
    g->stopped = true;
    if (g->done)
        g->done(g->done_arg);
}

void lt_ingest_stop(struct lt_ingest *g, void (*done)(void *arg), void *arg)
{
    if (g->stopping)
        return;
    g->stopping = true;
    g->done = done;
    g->done_arg = arg;
    lt__log("stopping: no new connections; committing %ld frames in flight", g->inflight);
    if (g->listener_open) {
        g->listener_open = false;
        g->closing++;
        uv_close((uv_handle_t *)&g->listener, lt__g_handle_closed);
    }
    for (struct lt__conn *c = g->conns; c; c = c->next)
        if (c->reading) {
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->reading = false;
        }
    lt__resume_all(g); /* hands on what connections hold */
    lt__maybe_finish_stop(g);
}

void lt_ingest_free(struct lt_ingest *g)
{
    if (!g)
        return;
    if (g->w)
        lt__writer_free(g->w);
    lt__ratelog_free(g->rl);
    free(g->slots);
    free(g->gens);
    free(g->free_slots);
    free(g->db_path);
    free(g->mnt);
    free(g->ackc);
    lt_limits_release(&g->limits);
    free(g);
}

int lt_ingest_set_limits(struct lt_ingest *g, const struct lt_limits *l, const char *origin)
{
    if (!g || g->started)
        return LT_EINVAL;
    lt_limits_release(&g->limits);
    g->have_limits = false;
    if (!l)
        return 0;
    if (l->n > 0) {
        g->limits.v = malloc(sizeof *l->v * (size_t)l->n);
        if (!g->limits.v)
            return LT_ENOMEM;
        memcpy(g->limits.v, l->v, sizeof *l->v * (size_t)l->n);
        g->limits.n = g->limits.cap = l->n;
    }
    snprintf(g->limits_origin, sizeof g->limits_origin, "%s", origin ? origin : "");
    g->have_limits = true;
    return 0;
}

void lt_ingest_get_counters(const struct lt_ingest *g, struct lt_ingest_counters *c)
{
    *c = g->c;
    if (g->w) {
        struct lt__writer_stats ws;
        lt__writer_get_stats(g->w, &ws);
        c->store_errs = ws.commit_errs;
        c->exceedances = ws.exceedances;
        c->not_judged = ws.not_judged;
    }
}

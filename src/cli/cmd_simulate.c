/* lantian simulate — a loopback HJ 212 device fleet for load and fault tests.
 *
 *   lantian simulate --target 127.0.0.1:8212 --devices N --rate R --duration S [--faults]
 *                    [--window W] [--hourly-every K] [--register DB] [--ack-log FILE]
 *                    [--mn-prefix HEX8] [--idle] [--warmup S]
 *   lantian simulate --target 127.0.0.1:8212 --replay FILE... [--register DB] [--duration S]
 *   lantian simulate --target 127.0.0.1:8212 --frames FILE [--hold S]
 *   lantian simulate --target 127.0.0.1:8212 --db PATH [--province NAME [--per-city K]]
 *                    [--cems N] [--interval S] [--backfill H] [--duration S] [--register-only]
 *
 * Fleet: N devices, one TCP connection each; 4 in 5 are air stations (ST=22: a34004, a34002,
 * a21026, a21004, a21005, a05024), 1 in 5 CEMS outlets (ST=31: a19001 O2, a21026, a21002, a34013
 * with -ZsAvg/-ZsRtd). Every frame is HJ 212-2017 with Flag=5 (acknowledgement requested); every
 * K-th is an hourly (2061) upload (--hourly-every K, default 4: hourly-heavy; a real logger sends
 * one hourly upload per 60-120 real-time ones), the others real-time (2011). Each frame has its own
 * QN and DataTime, so the store keeps each exactly once. R is frames per second per device (0: as
 * fast as the window allows); at most W frames per device wait for their 9014. --faults makes one
 * device in ten misbehave: corrupted CRCs, frames split over several writes, oversized junk,
 * byte-at-a-time senders, garbage between frames. --idle opens the connections and sends nothing.
 * --warmup S leaves the first S seconds out of the rate and the latencies printed (frames sent
 * then are still counted in sent/acked): with 10,000 devices the first second is the connection
 * storm and the server's first look-up of every MN, not the steady state.
 *
 * Replay: the lines of the capture files (gzip or plain), one TCP connection per MN; a line
 * without an MN (a fragment of a broken frame) goes on the connection of the line before it.
 *
 * Prepared frames (--frames): deterministic, for tests. Each line of FILE is a data segment
 * ("QN=...;ST=31;CN=2061;...;CP=&&...&&"); it is framed (length, CRC of HJ 212-2017 App. A) and
 * sent on one connection, one at a time: a frame whose Flag asks for an acknowledgement waits for
 * its 9014 (same QN) before the next is sent. --hold S keeps the connection open afterwards and
 * reports whether the server closed it within S seconds.
 *
 * Registry fleet (--db, the demo's live devices): the enabled devices of the store whose MN starts
 * with the prefix (--province and --cems first register such devices: sim_fleet.h), each with the
 * MN, password and site or outlet of the registry. Every --interval seconds a CN 2011 real-time
 * upload; at each hour boundary (a few seconds after it) a CN 2061 hourly upload whose DataTime is
 * the hour's start, resent until acknowledged. Air stations continue from their site's last
 * stored hour (values from sim_fleet.c's walk), sending the hours missed since then first (at
 * most --backfill), so that their hourly values land in the hourly table hour after hour.
 *
 * Loopback only: any other target is refused. Bounded: devices <= 20000, duration <= 3600 s
 * (registry fleet: 7 days); SIGINT/SIGTERM stop a run early and still print its totals, also
 * when one comes while the run is already ending (by --duration or an earlier signal).
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zlib.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "cli/sim_fleet.h"
#include "lantian/hj212.h"
#include "lantian/util.h"
#include "store/store.h"

#define CMD "simulate"

#define LT__SIM_MAX_DEVICES 20000
#define LT__SIM_MAX_WINDOW  1024
#define LT__HIST_US         100            /* latency histogram bucket */
#define LT__HIST_N          600000         /* 60 s */
#define LT__LIVE_MAX_S      604800         /* a registry fleet runs at most a week */
#define LT__LIVE_ACK_NS     10000000000ull /* a frame not acknowledged in 10 s is lost */

enum lt__fault {
    LT__F_NONE = 0,
    LT__F_CORRUPT,
    LT__F_SPLIT,
    LT__F_OVERSIZE,
    LT__F_SLOW,
    LT__F_GARBAGE
};

struct lt__sim;

struct lt__pend {
    int64_t k;      /* frame number */
    uint64_t t0_ns; /* sent at */
};

struct lt__dev {
    uv_tcp_t tcp;
    uv_connect_t creq;
    struct lt__sim *sim;
    int idx;
    char mn[32];
    bool cems;
    enum lt__fault fault;
    bool connected, connecting, closed_for_good;
    int64_t k;        /* next frame number */
    int64_t due_base; /* frames owed at the last rate tick */
    struct lt__pend *win;
    int whead, wlen; /* FIFO of frames waiting for their ack */
    struct lt_hj212_framer fr;
    bool fr_live;
    /* slow senders and split writes: bytes still to send of the current frame */
    char *tail;
    size_t tail_len, tail_off;
    /* replay */
    const char *rp;
    size_t rlen, roff;
    int64_t rlines;
    bool shut;
    uint64_t next_connect_ns;
    /* registry fleet (--db): the simulated device, its hourly frame in flight (-1: none), the
     * next real-time frame, and how many seconds after an hour boundary it sends that hour */
    struct lt_sim_unit *u;
    int64_t hour_k;
    uint64_t hour_t0_ns, next_rt_ns;
    int64_t last_rt_s;
    int lag_s;
};

struct lt__wreq {
    uv_write_t req;
    uv_buf_t buf;
    char data[];
};

struct lt__sim {
    uv_loop_t *loop;
    struct sockaddr_storage addr;
    int ndev;
    struct lt__dev *dev;
    double rate;
    int window;
    int hourly_every; /* frame k is an hourly (2061) upload when k % hourly_every == last */
    double duration;
    bool faults, idle, replay;
    int64_t start_ms;
    uint64_t start_ns, end_ns;
    uint64_t warm_ns; /* frames sent from here on are measured (--warmup) */
    uint64_t measured_acked;
    uv_timer_t tick;
    FILE *ack_log;
    struct lt_hj212_msg *msg;
    uint64_t sent, acked, bad_sent, other_replies, conn_errors, connects, unacked_dropped,
        write_bytes, replay_lines, replay_bytes;
    uint32_t *hist;
    bool stopping;
    int open_handles;
    /* Frames of one well-behaved device gathered in one tick, sent in one write (a logger with
     * several frames due sends them back to back; one syscall instead of one per frame keeps the
     * simulator's share of the CPUs it shares with the server small). */
    char stage[LT__SIM_MAX_WINDOW > 16 ? 16 * 2048 : 2048];
    size_t stage_len;
    uv_signal_t sigint, sigterm;
    bool signals;
    /* registry fleet */
    bool live;
    uint64_t interval_ns;
    struct lt_limits lim;
    uint64_t hourly_sent, hourly_acked, backfill_hours;
};

/* ---- helpers ------------------------------------------------------------------------------- */

static bool lt__loopback(const char *host)
{
    return !strncmp(host, "127.", 4) || !strcmp(host, "::1") || !strcmp(host, "localhost");
}

static int lt__parse_target(const char *s, struct sockaddr_storage *ss)
{
    char host[64];
    const char *colon;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            return -1;
        snprintf(host, sizeof host, "%.*s", (int)(end - s - 1), s + 1);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        snprintf(host, sizeof host, "%.*s", (int)(colon - s), s);
    }
    long long port;
    if (lt_parse_int(lt_str_of(colon + 1), 1, 65535, &port))
        return -1;
    if (!lt__loopback(host))
        return -2;
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    return -1;
}

static void lt__raise_nofile(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t need = (rlim_t)want + 64;
    if (rl.rlim_cur >= need)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

/* A small deterministic generator (xorshift), so runs repeat. */
static uint32_t lt__rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return (uint32_t)(x >> 16);
}

/* ---- frame building ------------------------------------------------------------------------ */

/* Appending text without printf: the simulator formats a frame per send, and glibc's printf of
 * doubles was a quarter of its CPU time, taken from the server it measures. */
struct lt__app {
    char *p, *end;
    bool full;
};

static void lt__app_s(struct lt__app *a, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(a->end - a->p) <= n) {
        a->full = true;
        return;
    }
    memcpy(a->p, s, n);
    a->p += n;
}

static void lt__app_u(struct lt__app *a, unsigned long long v, int width)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        d[n++] = '0';
    if (a->end - a->p <= n) {
        a->full = true;
        return;
    }
    while (n)
        *a->p++ = d[--n];
}

/* v >= 0 with dec (1..3) decimals, rounded half away from zero (test data, not official). */
static void lt__app_fixed(struct lt__app *a, double v, int dec)
{
    unsigned long long m = dec == 1 ? 10 : dec == 2 ? 100 : 1000;
    unsigned long long x = (unsigned long long)llround(v * (double)m);
    lt__app_u(a, x / m, 1);
    lt__app_s(a, ".");
    lt__app_u(a, x % m, dec);
}

/* "code-kind=value,code-Flag=N;" */
static void lt__app_item(struct lt__app *a, const char *code, const char *vk, double v, int dec,
                         const char *zs, double zv)
{
    lt__app_s(a, code);
    lt__app_s(a, "-");
    lt__app_s(a, vk);
    lt__app_s(a, "=");
    lt__app_fixed(a, v, dec);
    if (zs) {
        lt__app_s(a, ",");
        lt__app_s(a, code);
        lt__app_s(a, "-");
        lt__app_s(a, zs);
        lt__app_s(a, "=");
        lt__app_fixed(a, zv, dec);
    }
    lt__app_s(a, ",");
    lt__app_s(a, code);
    lt__app_s(a, "-Flag=N;");
}

/* Frame k of device d into out (cap bytes); returns its length. */
static size_t lt__build(const struct lt__sim *s, const struct lt__dev *d, int64_t k, char *out,
                        size_t cap)
{
    char seg[1024], qn[24], dt[20];
    uint64_t r = (uint64_t)(d->idx + 1) * 0x9E3779B97F4A7C15ull + (uint64_t)k;
    lt__rand(&r);
    lt_hj212_qn(s->start_ms + k, qn, sizeof qn);
    bool hourly = k % s->hourly_every == s->hourly_every - 1;
    /* DataTime: hourly frames walk forward an hour each, real-time frames a second each, from
     * the start of the run (unique per device, CN and frame). */
    int64_t base = s->start_ms / 1000;
    int64_t t = hourly ? (base - base % 3600) + (k / s->hourly_every) * 3600 : base + k;
    lt_sim_bj14(t, dt, sizeof dt);
    const char *vk = hourly ? "Avg" : "Rtd";
    double v1 = 10 + lt__rand(&r) % 2000 / 10.0, v2 = 5 + lt__rand(&r) % 1500 / 10.0;
    struct lt__app a = {seg, seg + sizeof seg, false};
    lt__app_s(&a, "QN=");
    lt__app_s(&a, qn);
    lt__app_s(&a, d->cems ? ";ST=31;CN=" : ";ST=22;CN=");
    lt__app_s(&a, hourly ? "2061" : "2011");
    lt__app_s(&a, ";PW=123456;MN=");
    lt__app_s(&a, d->mn);
    lt__app_s(&a, ";Flag=5;CP=&&DataTime=");
    lt__app_s(&a, dt);
    lt__app_s(&a, ";");
    if (!d->cems) {
        lt__app_item(&a, "a34004", vk, v1 / 3, 1, NULL, 0);
        lt__app_item(&a, "a34002", vk, v1 / 2, 1, NULL, 0);
        lt__app_item(&a, "a21026", vk, v2 / 10, 1, NULL, 0);
        lt__app_item(&a, "a21004", vk, v2 / 3, 1, NULL, 0);
        lt__app_item(&a, "a21005", vk, v2 / 200, 3, NULL, 0);
        lt__app_item(&a, "a05024", vk, v1 / 2, 1, NULL, 0);
    } else {
        double o2 = 6 + lt__rand(&r) % 80 / 10.0;
        double f = (21 - 6.0) / (21 - o2);
        double so2 = v1 / 4, nox = v2 / 2, pm = v2 / 30;
        const char *zs = hourly ? "ZsAvg" : "ZsRtd";
        lt__app_item(&a, "a19001", vk, o2, 1, NULL, 0);
        lt__app_item(&a, "a21026", vk, so2, 2, zs, so2 * f);
        lt__app_item(&a, "a21002", vk, nox, 2, zs, nox * f);
        lt__app_item(&a, "a34013", vk, pm, 2, zs, pm * f);
    }
    /* The last item's ';' closes the CP instead: "...-Flag=N&&". */
    a.p--;
    lt__app_s(&a, "&&");
    if (a.full)
        return 0;
    return lt_hj212_frame(seg, (size_t)(a.p - seg), out, cap);
}

/* ---- sending ----------------------------------------------------------------------------------
 */

static void lt__write_cb(uv_write_t *req, int status)
{
    (void)status;
    free(req->data);
}

static void lt__dev_write(struct lt__dev *d, const char *p, size_t n)
{
    struct lt__wreq *w = malloc(sizeof *w + n);
    if (!w)
        return;
    memcpy(w->data, p, n);
    w->buf = uv_buf_init(w->data, (unsigned)n);
    w->req.data = w;
    if (uv_write(&w->req, (uv_stream_t *)&d->tcp, &w->buf, 1, lt__write_cb) != 0)
        free(w);
    else
        d->sim->write_bytes += n;
}

static void lt__dev_send_frame(struct lt__dev *d, uint64_t now_ns)
{
    struct lt__sim *s = d->sim;
    char buf[2048];
    size_t n = lt__build(s, d, d->k, buf, sizeof buf);
    if (!n)
        return;
    uint64_t r = (uint64_t)d->idx * 7919 + (uint64_t)d->k * 104729 + 1;
    bool bad = false;
    switch (d->fault) {
    case LT__F_CORRUPT:
        if (d->k % 3 == 1) {
            /* Flip one digit of the CRC: the frame must be rejected and not acknowledged. */
            char *c = &buf[n - 3];
            *c = *c == '0' ? '1' : '0';
            bad = true;
        }
        break;
    case LT__F_OVERSIZE:
        if (d->k % 5 == 2) {
            /* A "frame" longer than any buffer cap: junk after a plausible header. */
            size_t jl = 12000;
            char *junk = malloc(jl);
            if (junk) {
                memcpy(junk, "##9999", 6);
                memset(junk + 6, 'x', jl - 6);
                lt__dev_write(d, junk, jl);
                free(junk);
                s->bad_sent++;
            }
        }
        break;
    case LT__F_GARBAGE:
        if (d->k % 2 == 0) {
            char g[64];
            size_t gl = 8 + lt__rand(&r) % 48;
            for (size_t i = 0; i < gl; i++)
                g[i] = (char)(lt__rand(&r) & 0xff);
            g[0] = '#';
            g[1] = '#';
            g[5] = '\0';
            lt__dev_write(d, g, gl);
            s->bad_sent++;
        }
        break;
    default:
        break;
    }
    if (bad) {
        lt__dev_write(d, buf, n);
        s->bad_sent++;
        d->k++;
        return;
    }
    if (d->fault == LT__F_SLOW || d->fault == LT__F_SPLIT) {
        d->tail = malloc(n);
        if (!d->tail)
            return;
        memcpy(d->tail, buf, n);
        d->tail_len = n;
        d->tail_off = 0;
    } else if (d->fault == LT__F_NONE && s->stage_len + n <= sizeof s->stage) {
        memcpy(s->stage + s->stage_len, buf, n);
        s->stage_len += n;
    } else {
        lt__dev_write(d, buf, n);
    }
    struct lt__pend *p = &d->win[(d->whead + d->wlen) % s->window];
    p->k = d->k;
    p->t0_ns = now_ns;
    d->wlen++;
    d->k++;
    s->sent++;
}

/* Slow and split senders: the next piece of the current frame. */
static void lt__dev_send_tail(struct lt__dev *d)
{
    size_t left = d->tail_len - d->tail_off;
    size_t piece =
        d->fault == LT__F_SLOW ? 1 : (left > d->tail_len / 3 + 1 ? d->tail_len / 3 + 1 : left);
    lt__dev_write(d, d->tail + d->tail_off, piece);
    d->tail_off += piece;
    if (d->tail_off >= d->tail_len) {
        free(d->tail);
        d->tail = NULL;
    }
}

/* ---- receiving acks -------------------------------------------------------------------------- */

static void lt__on_reply(struct lt__dev *d, const uint8_t *seg, size_t len, uint64_t now_ns)
{
    struct lt__sim *s = d->sim;
    struct lt_diag dg = {0};
    if (lt_hj212_parse(seg, len, s->msg, &dg) || s->msg->cn_num != 9014) {
        s->other_replies++;
        return;
    }
    char qn[24];
    lt_str_copy(qn, sizeof qn, s->msg->qn);
    /* Acks come in order; frames the server rejected (none among good frames) are skipped. */
    for (int i = 0; i < d->wlen; i++) {
        struct lt__pend *p = &d->win[(d->whead + i) % s->window];
        char want[24];
        lt_hj212_qn(s->start_ms + p->k, want, sizeof want);
        if (strcmp(want, qn) != 0)
            continue;
        if (p->t0_ns >= s->warm_ns) {
            uint64_t us = (now_ns - p->t0_ns) / 1000;
            uint64_t b = us / LT__HIST_US;
            s->hist[b < LT__HIST_N ? b : LT__HIST_N - 1]++;
            s->measured_acked++;
        }
        s->acked++;
        s->unacked_dropped += (uint64_t)i;
        if (s->ack_log)
            fprintf(s->ack_log, "%s %s\n", d->mn, qn);
        if (d->u && p->k == d->hour_k) {
            /* The hour is committed: on to the next one. */
            d->hour_k = -1;
            s->hourly_acked++;
            lt_sim_unit_hour(d->u, &s->lim, d->u->hour + 3600);
        }
        d->whead = (d->whead + i + 1) % s->window;
        d->wlen -= i + 1;
        return;
    }
    s->other_replies++;
}

static void lt__alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct lt__dev *d = h->data;
    static char scratch[65536];
    (void)suggested;
    if (d->sim->replay) {
        *buf = uv_buf_init(scratch, sizeof scratch);
        return;
    }
    if (!d->fr_live) {
        if (lt_hj212_framer_init(&d->fr, 8192, 0)) {
            *buf = uv_buf_init(NULL, 0);
            return;
        }
        d->fr_live = true;
    }
    size_t room = lt_hj212_framer_room(&d->fr);
    *buf = uv_buf_init(room ? scratch : NULL,
                       (unsigned)(room < sizeof scratch ? room : sizeof scratch));
}

static void lt__dev_close(struct lt__dev *d);

static void lt__read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct lt__dev *d = st->data;
    if (nread < 0) {
        if (nread != UV_EOF)
            d->sim->conn_errors++;
        lt__dev_close(d);
        return;
    }
    if (d->sim->replay) {
        d->sim->other_replies += 0;
        return;
    }
    if (nread == 0)
        return;
    uint64_t now = uv_hrtime();
    lt_hj212_framer_feed(&d->fr, (const uint8_t *)buf->base, (size_t)nread);
    struct lt_hj212_event ev;
    while (lt_hj212_framer_next(&d->fr, &ev) > 0)
        if (ev.kind == LT_HJ212_EV_FRAME)
            lt__on_reply(d, ev.seg, ev.seg_len, now);
}

/* ---- connections ----------------------------------------------------------------------------- */

static void lt__dev_closed_cb(uv_handle_t *h)
{
    struct lt__dev *d = h->data;
    d->sim->open_handles--;
    d->connected = d->connecting = false;
    if (d->fr_live) {
        lt_hj212_framer_release(&d->fr);
        d->fr_live = false;
    }
    /* Frames waiting for an ack on a dead connection will never get one. */
    d->sim->unacked_dropped += (uint64_t)d->wlen;
    d->wlen = 0;
    d->hour_k = -1; /* the hour goes again on the next connection */
    free(d->tail);
    d->tail = NULL;
    d->next_connect_ns = uv_hrtime() + 200000000ull;
}

static void lt__dev_close(struct lt__dev *d)
{
    if (!d->connected && !d->connecting)
        return;
    if (uv_is_closing((uv_handle_t *)&d->tcp))
        return;
    uv_close((uv_handle_t *)&d->tcp, lt__dev_closed_cb);
}

static void lt__shutdown_cb(uv_shutdown_t *req, int status)
{
    (void)status;
    free(req);
}

static void lt__replay_pump(struct lt__dev *d)
{
    /* Hand the whole group to libuv in slices (the group buffer lives to the end of the run). */
    while (d->roff < d->rlen) {
        size_t n = d->rlen - d->roff;
        if (n > 65536)
            n = 65536;
        uv_write_t *w = malloc(sizeof *w);
        if (!w)
            return;
        uv_buf_t b = uv_buf_init((char *)d->rp + d->roff, (unsigned)n);
        w->data = w;
        if (uv_write(w, (uv_stream_t *)&d->tcp, &b, 1, lt__write_cb) != 0) {
            free(w);
            return;
        }
        d->roff += n;
        d->sim->write_bytes += n;
    }
    if (!d->shut) {
        d->shut = true;
        uv_shutdown_t *sr = malloc(sizeof *sr);
        if (sr && uv_shutdown(sr, (uv_stream_t *)&d->tcp, lt__shutdown_cb) != 0)
            free(sr);
    }
}

static void lt__connect_cb(uv_connect_t *req, int status)
{
    struct lt__dev *d = req->data;
    struct lt__sim *s = d->sim;
    d->connecting = false;
    if (status < 0) {
        s->conn_errors++;
        d->connected = true; /* so that close runs */
        lt__dev_close(d);
        return;
    }
    d->connected = true;
    s->connects++;
    uv_read_start((uv_stream_t *)&d->tcp, lt__alloc_cb, lt__read_cb);
    if (s->replay)
        lt__replay_pump(d);
}

static void lt__dev_connect(struct lt__dev *d)
{
    struct lt__sim *s = d->sim;
    if (d->connected || d->connecting || d->closed_for_good)
        return;
    uv_tcp_init(s->loop, &d->tcp);
    d->tcp.data = d;
    d->creq.data = d;
    s->open_handles++;
    d->connecting = true;
    uv_tcp_nodelay(&d->tcp, 1);
    if (uv_tcp_connect(&d->creq, &d->tcp, (const struct sockaddr *)&s->addr, lt__connect_cb)) {
        s->conn_errors++;
        uv_close((uv_handle_t *)&d->tcp, lt__dev_closed_cb);
    }
}

/* ---- the clock ------------------------------------------------------------------------------- */

static void lt__stop(struct lt__sim *s)
{
    if (s->stopping)
        return;
    s->stopping = true;
    uv_timer_stop(&s->tick);
    uv_close((uv_handle_t *)&s->tick, NULL);
    if (s->signals) {
        /* The watchers stay until the totals are written (lt__close_signals): closed here, they
         * would give SIGINT and SIGTERM back their default action while the run winds down, and
         * a stop asked for then (a second Ctrl-C, or the SIGTERM of a script whose timer ran out
         * with --duration) would end the process without its totals. Unreferenced, they do not
         * keep the loop running. */
        uv_unref((uv_handle_t *)&s->sigint);
        uv_unref((uv_handle_t *)&s->sigterm);
    }
    for (int i = 0; i < s->ndev; i++) {
        s->dev[i].closed_for_good = true;
        if (s->dev[i].connected || s->dev[i].connecting)
            lt__dev_close(&s->dev[i]);
    }
}

static void lt__on_signal(uv_signal_t *h, int signum)
{
    struct lt__sim *s = h->data;
    if (!s->stopping)
        fprintf(stderr, "lantian simulate: %s received, stopping\n",
                signum == SIGINT ? "SIGINT" : "SIGTERM");
    lt__stop(s);
}

/* After the totals are written: the run is over, so a SIGINT or SIGTERM from here on has nothing
 * left to stop and is ignored rather than fatal. Blocked while the watchers close (libuv gives the
 * signals their default action back when the last one goes), then ignored, which also drops one
 * that came in between. */
static void lt__close_signals(struct lt__sim *s)
{
    sigset_t stop_sigs, old;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGINT);
    sigaddset(&stop_sigs, SIGTERM);
    bool masked = pthread_sigmask(SIG_BLOCK, &stop_sigs, &old) == 0;
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_run(s->loop, UV_RUN_DEFAULT);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    if (masked)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    s->signals = false;
}

/* ---- the registry fleet (--db) ------------------------------------------------------------- */

/* Send device d's hourly upload (the hour of d->u) or a real-time upload at wall second `wall`. */
static void lt__live_send(struct lt__dev *d, bool hourly, int64_t wall, uint64_t now_ns)
{
    struct lt__sim *s = d->sim;
    char seg[1024], qn[24], buf[1200];
    lt_hj212_qn(s->start_ms + d->k, qn, sizeof qn);
    size_t n = lt_sim_unit_segment(d->u, hourly, wall, qn, seg, sizeof seg);
    size_t fl = n ? lt_hj212_frame(seg, n, buf, sizeof buf) : 0;
    if (!fl)
        return;
    lt__dev_write(d, buf, fl);
    struct lt__pend *p = &d->win[(d->whead + d->wlen) % s->window];
    p->k = d->k;
    p->t0_ns = now_ns;
    d->wlen++;
    if (hourly) {
        d->hour_k = d->k;
        d->hour_t0_ns = now_ns;
        s->hourly_sent++;
    } else {
        d->last_rt_s = wall;
    }
    d->k++;
    s->sent++;
}

static void lt__live_tick(struct lt__dev *d, uint64_t now_ns, int64_t wall)
{
    struct lt__sim *s = d->sim;
    /* Frames the server did not acknowledge within 10 s were rejected or lost; a logger goes on
     * sending (the hourly one is sent again below). */
    while (d->wlen && now_ns - d->win[d->whead].t0_ns > LT__LIVE_ACK_NS) {
        d->whead = (d->whead + 1) % s->window;
        d->wlen--;
        s->unacked_dropped++;
    }
    if (d->hour_k >= 0 && now_ns - d->hour_t0_ns > LT__LIVE_ACK_NS)
        d->hour_k = -1;
    /* An hour is sent once it is over (HJ 212-2017: DataTime is the start of the interval). */
    if (d->hour_k < 0 && wall >= d->u->hour + 3600 + d->lag_s && d->wlen < s->window)
        lt__live_send(d, true, wall, now_ns);
    if (now_ns >= d->next_rt_ns && d->wlen < s->window && wall != d->last_rt_s) {
        lt__live_send(d, false, wall, now_ns);
        d->next_rt_ns += s->interval_ns;
        if (d->next_rt_ns <= now_ns)
            d->next_rt_ns = now_ns + s->interval_ns;
    }
}

static void lt__tick_cb(uv_timer_t *t)
{
    struct lt__sim *s = t->data;
    uint64_t now = uv_hrtime();
    int64_t wall = 0;
    if (s->live) {
        uv_timeval64_t tv;
        uv_gettimeofday(&tv);
        wall = tv.tv_sec;
    }
    if (now >= s->end_ns) {
        lt__stop(s);
        return;
    }
    double elapsed = (double)(now - s->start_ns) / 1e9;
    bool all_done = s->replay;
    for (int i = 0; i < s->ndev; i++) {
        struct lt__dev *d = &s->dev[i];
        if (!d->connected && !d->connecting) {
            if (s->replay && d->shut)
                continue; /* this group is sent and closed */
            all_done = false;
            if (now >= d->next_connect_ns)
                lt__dev_connect(d);
            continue;
        }
        all_done = false;
        if (!d->connected || s->idle || s->replay)
            continue;
        if (d->u) {
            lt__live_tick(d, now, wall);
            continue;
        }
        if (d->tail) {
            lt__dev_send_tail(d);
            continue;
        }
        int64_t owe;
        if (s->rate > 0)
            /* Each device has its own phase: real loggers are not synchronised, and a fleet
             * that sends in lockstep measures its own bursts. */
            owe = (int64_t)(elapsed * s->rate + (double)d->idx / s->ndev) - d->due_base;
        else
            owe = s->window;
        s->stage_len = 0;
        while (owe-- > 0 && d->wlen < s->window && !d->tail) {
            if (s->stage_len + 2048 > sizeof s->stage && s->stage_len) {
                lt__dev_write(d, s->stage, s->stage_len);
                s->stage_len = 0;
            }
            lt__dev_send_frame(d, now);
            d->due_base++;
        }
        if (s->stage_len)
            lt__dev_write(d, s->stage, s->stage_len);
        s->stage_len = 0;
        if (s->rate > 0 && owe > 0)
            d->due_base += owe + 1; /* a full window: those frames are not owed later */
    }
    if (all_done)
        lt__stop(s);
}

/* ---- replay input ------------------------------------------------------------------------------
 */

struct lt__group {
    char mn[32];
    char pw[16];
    char st[8];
    char *buf;
    size_t len, cap;
    int64_t lines;
};

static struct lt__group *lt__group_of(struct lt__group **gs, int *ng, int *cap, const char *mn)
{
    for (int i = *ng - 1; i >= 0; i--)
        if (!strcmp((*gs)[i].mn, mn))
            return &(*gs)[i];
    if (*ng == *cap) {
        int nc = *cap ? *cap * 2 : 256;
        struct lt__group *n = realloc(*gs, (size_t)nc * sizeof *n);
        if (!n)
            return NULL;
        *gs = n;
        *cap = nc;
    }
    struct lt__group *g = &(*gs)[(*ng)++];
    memset(g, 0, sizeof *g);
    snprintf(g->mn, sizeof g->mn, "%s", mn);
    return g;
}

static bool lt__field(const char *line, size_t len, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl <= len; i++) {
        if (memcmp(line + i, key, kl) != 0 || (i > 0 && line[i - 1] != ';' && line[i - 1] != '#' &&
                                               !(line[i - 1] >= '0' && line[i - 1] <= '9')))
            continue;
        size_t j = i + kl, k = j;
        while (k < len && line[k] != ';' && line[k] != '&' && line[k] != '\r' && line[k] != '\n')
            k++;
        if (k == j || k - j >= cap)
            return false;
        memcpy(out, line + j, k - j);
        out[k - j] = '\0';
        return true;
    }
    return false;
}

/* Append one capture line (bytes up to and including its LF) to the group of its MN. */
static int lt__replay_line(struct lt__group **gs, int *ng, int *cap, struct lt__group **cur,
                           const char *line, size_t len)
{
    char mn[32];
    if (lt__field(line, len, "MN=", mn, sizeof mn))
        *cur = lt__group_of(gs, ng, cap, mn);
    if (!*cur)
        *cur = lt__group_of(gs, ng, cap, "(no MN)");
    struct lt__group *g = *cur;
    if (!g)
        return -1;
    if (!g->pw[0])
        lt__field(line, len, "PW=", g->pw, sizeof g->pw);
    if (!g->st[0])
        lt__field(line, len, "ST=", g->st, sizeof g->st);
    if (g->len + len > g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 65536;
        while (nc < g->len + len)
            nc *= 2;
        char *nb = realloc(g->buf, nc);
        if (!nb)
            return -1;
        g->buf = nb;
        g->cap = nc;
    }
    memcpy(g->buf + g->len, line, len);
    g->len += len;
    g->lines++;
    return 0;
}

static int lt__load_replay(char **files, int nfiles, struct lt__group **out, int *nout)
{
    struct lt__group *gs = NULL, *cur = NULL;
    int ng = 0, cap = 0, rc = -1;
    size_t bcap = 1 << 20, blen = 0;
    char *buf = malloc(bcap);
    if (!buf)
        return -1;
    for (int f = 0; f < nfiles; f++) {
        gzFile z = gzopen(files[f], "rb");
        if (!z) {
            lt_cli_err(CMD, "cannot open %s", files[f]);
            goto out;
        }
        /* Bytes, not strings: frames may hold NUL. Lines end at LF (the CR before it is part of
         * the frame's trailer); a last line without LF is sent as it is. */
        for (;;) {
            if (blen == bcap) {
                char *nb = realloc(buf, bcap * 2);
                if (!nb) {
                    gzclose(z);
                    goto out;
                }
                buf = nb;
                bcap *= 2;
            }
            int r = gzread(z, buf + blen, (unsigned)(bcap - blen));
            if (r <= 0)
                break;
            blen += (size_t)r;
            size_t start = 0;
            for (size_t i = 0; i < blen; i++)
                if (buf[i] == '\n') {
                    if (lt__replay_line(&gs, &ng, &cap, &cur, buf + start, i + 1 - start)) {
                        gzclose(z);
                        goto out;
                    }
                    start = i + 1;
                }
            memmove(buf, buf + start, blen - start);
            blen -= start;
        }
        gzclose(z);
        if (blen) {
            if (lt__replay_line(&gs, &ng, &cap, &cur, buf, blen))
                goto out;
            blen = 0;
        }
    }
    rc = 0;
    *out = gs;
    *nout = ng;
    gs = NULL;
    ng = 0;
out:
    free(buf);
    for (int i = 0; i < ng; i++)
        free(gs[i].buf);
    free(gs);
    return rc;
}

/* ---- registration ---------------------------------------------------------------------------- */

static int lt__register(const char *db, struct lt__sim *s, struct lt__group *gs)
{
    struct lt_store *st = NULL;
    struct lt_diag d = {0};
    if (lt_store_open(&st, db, &d)) {
        lt_cli_err(CMD, "cannot open %s: %s", db, d.msg);
        return -1;
    }
    int rc = lt_store_begin(st);
    for (int i = 0; !rc && i < s->ndev; i++) {
        struct lt__dev *dv = &s->dev[i];
        struct lt_device dev;
        memset(&dev, 0, sizeof dev);
        snprintf(dev.mn, sizeof dev.mn, "%s", dv->mn);
        dev.crc_mask = LT_CRC_MASK_STD;
        dev.enabled = true;
        dev.created_at = s->start_ms / 1000;
        if (gs) {
            /* Real loggers: pollution sources (ST 31 flue gas, 32 wastewater). */
            snprintf(dev.kind, sizeof dev.kind, "cems");
            snprintf(dev.outlet, sizeof dev.outlet, "%s", dv->mn);
            snprintf(dev.pw, sizeof dev.pw, "%s", gs[i].pw);
        } else if (dv->cems) {
            snprintf(dev.kind, sizeof dev.kind, "cems");
            snprintf(dev.outlet, sizeof dev.outlet, "SIM-OUT-%s", dv->mn + 16);
            snprintf(dev.pw, sizeof dev.pw, "123456");
        } else {
            struct lt_site site;
            memset(&site, 0, sizeof site);
            snprintf(site.code, sizeof site.code, "SIM%s", dv->mn + 16);
            snprintf(site.name, sizeof site.name, "simulated station %d", dv->idx);
            snprintf(site.city, sizeof site.city, "模拟市");
            site.lon = site.lat = NAN;
            site.is_eval = false;
            site.valid_from = LT_DAY_OPEN_FROM;
            site.valid_to = LT_DAY_OPEN_TO;
            rc = lt_store_site_put(st, &site, NULL);
            if (rc)
                break;
            snprintf(dev.kind, sizeof dev.kind, "air");
            snprintf(dev.site, sizeof dev.site, "%s", site.code);
            snprintf(dev.pw, sizeof dev.pw, "123456");
        }
        rc = lt_store_device_put(st, &dev);
    }
    if (!rc && s->ndev > 0) {
        /* A simulated fleet changes the registry too: one audit row says so (which MNs, how
         * many sites), in the same transaction. */
        struct lt_audit_row r;
        char user[64];
        lt_audit_cli_user(user, sizeof user);
        rc = lt_audit_row_open(&r);
        if (!rc) {
            fprintf(r.a, "{\"devices\": %d, \"first_mn\": ", s->ndev);
            lt_json_str(r.a, s->dev[0].mn);
            fputs(", \"last_mn\": ", r.a);
            lt_json_str(r.a, s->dev[s->ndev - 1].mn);
            fprintf(r.a, ", \"kind\": \"%s\"}",
                    gs ? "replayed loggers (cems)" : "simulated air stations and cems");
            rc = lt_audit_row_append(&r, st, lt_audit_now_ms(), user, "simulate_register",
                                     "simulate/register");
            lt_audit_row_free(&r);
        }
    }
    if (!rc)
        rc = lt_store_commit(st);
    if (rc) {
        lt_cli_err(CMD, "cannot register devices in %s: %s (%s)", db, lt_strerror(rc),
                   lt_store_errmsg(st));
        lt_store_rollback(st);
    }
    lt_store_close(st);
    return rc ? -1 : 0;
}

/* ---- prepared frames (--frames) -------------------------------------------------------------- */

static int64_t lt__mono_ms(void)
{
    return (int64_t)(uv_hrtime() / 1000000u);
}

/* Wait until the reply frame with QN qn arrives (true), the connection closes or timeout_ms pass
 * (false). Replies of other QNs are skipped. */
static bool lt__frames_wait_ack(int fd, struct lt_hj212_framer *fr, struct lt_hj212_msg *m,
                                const char *qn, int64_t timeout_ms, bool *closed)
{
    int64_t end = lt__mono_ms() + timeout_ms;
    for (;;) {
        struct lt_hj212_event ev;
        while (lt_hj212_framer_next(fr, &ev) > 0) {
            struct lt_diag dg = {0};
            if (ev.kind == LT_HJ212_EV_FRAME && !lt_hj212_parse(ev.seg, ev.seg_len, m, &dg) &&
                (m->cn_num == 9014 || m->cn_num == 9013) && lt_str_eq(m->qn, qn))
                return true;
        }
        int64_t left = end - lt__mono_ms();
        if (left <= 0 || *closed)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return false;
        uint8_t buf[4096];
        size_t room = lt_hj212_framer_room(fr);
        ssize_t n = recv(fd, buf, room < sizeof buf ? room : sizeof buf, 0);
        if (n <= 0) {
            *closed = true;
            return false;
        }
        lt_hj212_framer_feed(fr, buf, (size_t)n);
    }
}

static int lt__send_frames(const struct sockaddr_storage *addr, const char *path, double hold_s)
{
    char *text = NULL;
    size_t len = 0;
    if (lt_cli_read_file(path, &text, &len)) {
        lt_cli_err(CMD, "cannot read %s", path);
        return LT_EXIT_USAGE;
    }
    struct lt_hj212_msg *m = malloc(sizeof *m);
    struct lt_hj212_framer fr;
    bool fr_live = false, closed = false;
    int rc = LT_EXIT_USAGE, fd = -1;
    long sent = 0, acked = 0, not_acked = 0;
    if (!m || lt_hj212_framer_init(&fr, 65536, 1u << LT_CRC_HJ212)) {
        lt_cli_err(CMD, "out of memory");
        goto out;
    }
    fr_live = true;
    fd = socket(addr->ss_family, SOCK_STREAM, 0);
    socklen_t alen = addr->ss_family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
                                                 : (socklen_t)sizeof(struct sockaddr_in);
    if (fd < 0 || connect(fd, (const struct sockaddr *)addr, alen) != 0) {
        lt_cli_err(CMD, "cannot connect: %s", strerror(errno));
        goto out;
    }
    struct sockaddr_storage me;
    socklen_t mlen = sizeof me;
    int my_port = 0;
    if (getsockname(fd, (struct sockaddr *)&me, &mlen) == 0)
        my_port = ntohs(me.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&me)->sin6_port
                                                 : ((struct sockaddr_in *)&me)->sin_port);
    printf("local_port=%d\n", my_port);
    fflush(stdout);
    int lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + (nl ? 1 : 0);
        lineno++;
        while (ll && (line[ll - 1] == '\r' || line[ll - 1] == ' '))
            ll--;
        if (!ll || line[0] == '#')
            continue;
        char frame[10240];
        size_t fl = lt_hj212_frame(line, ll, frame, sizeof frame);
        struct lt_diag dg = {0};
        if (!fl || lt_hj212_parse((const uint8_t *)line, ll, m, &dg)) {
            lt_cli_err(CMD, "%s:%d: not a data segment: %s", path, lineno,
                       fl ? dg.msg : "too long for a frame");
            goto out;
        }
        char qn[32], mn[32];
        lt_str_copy(qn, sizeof qn, m->qn);
        lt_str_copy(mn, sizeof mn, m->mn);
        bool want_ack = m->ack_requested;
        for (size_t off = 0; off < fl;) {
            ssize_t w = send(fd, frame + off, fl - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                lt_cli_err(CMD, "send: %s", strerror(errno));
                goto out;
            }
            off += (size_t)w;
        }
        sent++;
        if (!want_ack) {
            printf("frame %d MN=%s QN=%s sent\n", lineno, mn, qn);
            continue;
        }
        bool ok = lt__frames_wait_ack(fd, &fr, m, qn, 5000, &closed);
        acked += ok;
        not_acked += !ok;
        printf("frame %d MN=%s QN=%s %s\n", lineno, mn, qn, ok ? "acked" : "not_acked");
        fflush(stdout);
    }
    printf("sent=%ld\nacked=%ld\nnot_acked=%ld\n", sent, acked, not_acked);
    fflush(stdout);
    if (hold_s > 0) {
        /* Keep the connection and watch for the server closing it. */
        int64_t t0 = lt__mono_ms(), end = t0 + (int64_t)(hold_s * 1000);
        while (!closed && lt__mono_ms() < end) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int pr = poll(&p, 1, (int)(end - lt__mono_ms()));
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr <= 0)
                break;
            uint8_t buf[4096];
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0)
                closed = true;
        }
        printf("closed_by_server=%d\nheld_ms=%lld\n", closed ? 1 : 0,
               (long long)(lt__mono_ms() - t0));
    }
    rc = LT_EXIT_OK;
out:
    if (fd >= 0)
        close(fd);
    if (fr_live)
        lt_hj212_framer_release(&fr);
    free(m);
    free(text);
    return rc;
}

/* ---- the registry fleet: setup --------------------------------------------------------------- */

/* --db: register what --province and --cems ask for, then load the fleet. 0 to run, 1 when
 * --register-only is done, -1 on an error (printed). */
static int lt__live_prepare(const char *db, const char *prefix, const char *province, int per_city,
                            int ncems, bool register_only, int64_t now, const struct lt_limits *lim,
                            struct lt_sim_unit **units, int *n)
{
    struct lt_store *st = NULL;
    struct lt_diag d = {0};
    int rc, ret = -1;
    if (lt_store_open(&st, db, &d)) {
        lt_cli_err(CMD, "cannot open %s: %s", db, d.msg);
        return -1;
    }
    if (province || ncems) {
        int added = 0, kept = 0;
        rc = lt_store_begin(st);
        if (!rc)
            rc = lt_sim_fleet_register(st, prefix, province, per_city, ncems, lim, now, &added,
                                       &kept);
        if (!rc)
            rc = lt_store_commit(st);
        if (rc) {
            if (rc == LT_ENOTFOUND)
                lt_cli_err(CMD,
                           "%s: no evaluation site of province '%s' is valid today (import its "
                           "station list first)",
                           db, province);
            else
                lt_cli_err(CMD, "cannot register the fleet in %s: %s (%s)", db, lt_strerror(rc),
                           lt_store_errmsg(st));
            lt_store_rollback(st);
            goto out;
        }
        fprintf(stderr, "lantian simulate: %d devices registered in %s (%d registered already)\n",
                added, db, kept);
    }
    if (register_only) {
        ret = 1;
        goto out;
    }
    rc = lt_sim_fleet_load(st, prefix, now, units, n);
    if (rc) {
        lt_cli_err(CMD, "cannot read the fleet from %s: %s (%s)", db, lt_strerror(rc),
                   lt_store_errmsg(st));
        goto out;
    }
    if (!*n) {
        lt_cli_err(CMD,
                   "%s: no enabled air station or CEMS device with MN prefix %s (register some "
                   "with --province or --cems, or with lantian device add)",
                   db, prefix);
        goto out;
    }
    ret = 0;
out:
    lt_store_close(st);
    return ret;
}

/* ---- main ------------------------------------------------------------------------------------ */

static void lt__usage(FILE *f)
{
    fprintf(
        f,
        "usage: lantian simulate --target 127.0.0.1:PORT --devices N --rate R --duration S\n"
        "                        [--faults] [--window W] [--hourly-every K] [--register DB]\n"
        "                        [--ack-log FILE] [--mn-prefix HEX8] [--idle] [--warmup S]\n"
        "       lantian simulate --target 127.0.0.1:PORT --replay FILE... [--register DB]\n"
        "                        [--duration S]\n"
        "       lantian simulate --target 127.0.0.1:PORT --frames FILE [--hold S]\n"
        "       lantian simulate --target 127.0.0.1:PORT --db PATH [--province NAME\n"
        "                        [--per-city K]] [--cems N] [--interval S] [--backfill H]\n"
        "                        [--duration S] [--register-only] [--mn-prefix HEX8]\n"
        "\n"
        "A loopback HJ 212 device fleet (targets other than 127.0.0.0/8 and ::1 are refused).\n"
        "  --devices N      devices, one connection each (1..%d); 4 in 5 air stations, 1 in 5\n"
        "                   CEMS outlets\n"
        "  --rate R         frames per second per device; 0 = as fast as the window allows\n"
        "  --window W       frames per device waiting for their 9014 at most (default 8)\n"
        "  --hourly-every K every K-th frame is an hourly (2061) upload, the others real-time\n"
        "                   (2011); default 4. Real loggers: about 60 (1-min real-time data)\n"
        "  --duration S     seconds to run (default 10, at most 3600); replay: time limit\n"
        "  --faults         one device in ten misbehaves (corrupt CRC, split writes, oversized\n"
        "                   junk, byte-at-a-time, garbage between frames)\n"
        "  --idle           open the connections and send nothing\n"
        "  --warmup S       leave the first S seconds (connecting, the server's first look-up\n"
        "                   of each device) out of acked_per_s and the latencies (default 0)\n"
        "  --register DB    first write the devices (and air stations' sites) into DB\n"
        "  --register-only  with --register: register the devices, then exit without connecting\n"
        "  --ack-log FILE   write \"MN QN\" for every acknowledged frame\n"
        "  --mn-prefix HEX8 first 8 hex digits of the MNs (default 5A3D0000)\n"
        "  --replay FILE... send capture lines, one connection per MN\n"
        "  --frames FILE    send prepared data segments (one a line; '#' comments), framed with\n"
        "                   length and CRC, on one connection, each waiting for its 9014\n"
        "  --hold S         with --frames: keep the connection S seconds afterwards and print\n"
        "                   closed_by_server=1 when the server closed it\n"
        "\n"
        "Registry fleet (--db PATH): the enabled air stations and CEMS outlets of the store's\n"
        "device registry whose MN starts with the prefix, with their passwords and sites or\n"
        "outlets. A CN 2011 real-time upload every --interval seconds (default 10), and at each\n"
        "hour boundary a CN 2061 hourly upload (DataTime = the hour's start), resent until\n"
        "acknowledged. Air stations continue from their site's last stored hour (its levels of\n"
        "the last 8 days by hour of the day), first sending the hours since then (at most\n"
        "--backfill, default 24); CEMS outlets emit around their emission limits (the built-in\n"
        "config/emission_limits.ini), above them about one hour in twelve.\n"
        "  --province NAME  first register an air station at one evaluation site per city of\n"
        "                   the province (--per-city K: K of them), MN = prefix + A + site code\n"
        "  --cems N         first register N CEMS outlets (source types of the limits)\n"
        "  --interval S     seconds between real-time uploads of a device (1..3600)\n"
        "  --backfill H     hours back an air station catches up at most (0..168)\n"
        "  --register-only  register, then exit (no --target needed)\n"
        "  --duration S     seconds to run (default 10, at most %d)\n"
        "\n"
        "Prints key=value lines: sent, acked, rejected (bad frames sent), latency p50/p99\n"
        "(registry fleet: also hourly_sent, hourly_acked, backfill_hours).\n",
        LT__SIM_MAX_DEVICES, LT__LIVE_MAX_S);
}

static double lt__pct(const uint32_t *h, uint64_t total, double q)
{
    if (!total)
        return NAN;
    uint64_t want = (uint64_t)ceil(q * (double)total), acc = 0;
    for (int i = 0; i < LT__HIST_N; i++) {
        acc += h[i];
        if (acc >= want)
            return (i + 0.5) * LT__HIST_US / 1000.0;
    }
    return NAN;
}

int lt_cmd_simulate(int argc, char **argv)
{
    const char *target = NULL, *db = NULL, *ack_log = NULL, *prefix = "5A3D0000", *frames = NULL;
    const char *live_db = NULL, *province = NULL;
    double hold = 0, interval = 10;
    long long ndev = 10, window = 8, hourly_every = 4, tmp, per_city = 1, ncems = 0, backfill = 24;
    double rate = 1, duration = 10, warmup = 0;
    bool faults = false, idle = false, duration_set = false, register_only = false;
    bool load_opts = false, live_opts = false; /* options of the generated fleet, of --db */
    sigset_t stop_sigs, startup_mask;
    bool held = false; /* SIGINT and SIGTERM blocked until the loop watches them */
    struct lt_sim_unit *units = NULL;
    int nunits = 0;
    char **replay = NULL;
    int nreplay = 0, rc = LT_EXIT_USAGE;
    struct lt__group *gs = NULL;
    int ng = 0;

    replay = calloc((size_t)argc, sizeof *replay);
    if (!replay)
        return LT_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            lt__usage(stdout);
            free(replay);
            return LT_EXIT_OK;
        }
        if (!strcmp(argv[i], "--faults")) {
            faults = true;
            load_opts = true;
            continue;
        }
        if (!strcmp(argv[i], "--register-only")) {
            register_only = true;
            continue;
        }
        if (!strcmp(argv[i], "--idle")) {
            idle = true;
            load_opts = true;
            continue;
        }
        if (!strcmp(argv[i], "--replay")) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
                replay[nreplay++] = argv[++i];
            continue;
        }
#define LT__OPT(name, var)                                                                         \
    if ((r = lt_cli_opt(CMD, argc, argv, &i, name, &v)) != 0) {                                    \
        if (r < 0)                                                                                 \
            goto out;                                                                              \
        var = v;                                                                                   \
        continue;                                                                                  \
    }
        LT__OPT("--target", target);
        LT__OPT("--register", db);
        LT__OPT("--ack-log", ack_log);
        LT__OPT("--mn-prefix", prefix);
        LT__OPT("--frames", frames);
        LT__OPT("--db", live_db);
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--province", &v)) != 0) {
            if (r < 0)
                goto out;
            province = v;
            live_opts = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--per-city", &v)) != 0) {
            if (r < 0 || lt_parse_int(lt_str_of(v), 1, 100, &per_city)) {
                lt_cli_err(CMD, "--per-city: an integer in [1, 100]");
                goto out;
            }
            live_opts = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--cems", &v)) != 0) {
            if (r < 0 || lt_parse_int(lt_str_of(v), 0, 100, &ncems)) {
                lt_cli_err(CMD, "--cems: an integer in [0, 100]");
                goto out;
            }
            live_opts = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--backfill", &v)) != 0) {
            if (r < 0 || lt_parse_int(lt_str_of(v), 0, 168, &backfill)) {
                lt_cli_err(CMD, "--backfill: hours in [0, 168]");
                goto out;
            }
            live_opts = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--interval", &v)) != 0) {
            if (r < 0 || lt_parse_double(lt_str_of(v), &interval) || !(interval >= 1) ||
                interval > 3600) {
                lt_cli_err(CMD, "--interval: seconds in [1, 3600]");
                goto out;
            }
            live_opts = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--hold", &v)) != 0) {
            if (r < 0 || lt_parse_double(lt_str_of(v), &hold) || hold < 0 || hold > 3600) {
                lt_cli_err(CMD, "--hold: seconds in [0, 3600]");
                goto out;
            }
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--devices", &v)) != 0) {
            if (r < 0 || lt_parse_int(lt_str_of(v), 1, LT__SIM_MAX_DEVICES, &ndev)) {
                lt_cli_err(CMD, "--devices: an integer in [1, %d]", LT__SIM_MAX_DEVICES);
                goto out;
            }
            load_opts = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--window", &v)) != 0) {
            if (r < 0 || lt_parse_int(lt_str_of(v), 1, LT__SIM_MAX_WINDOW, &window)) {
                lt_cli_err(CMD, "--window: an integer in [1, %d]", LT__SIM_MAX_WINDOW);
                goto out;
            }
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--hourly-every", &v)) != 0) {
            if (r < 0 || lt_parse_int(lt_str_of(v), 1, 3600, &hourly_every)) {
                lt_cli_err(CMD, "--hourly-every: an integer in [1, 3600]");
                goto out;
            }
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--warmup", &v)) != 0) {
            if (r < 0 || lt_parse_double(lt_str_of(v), &warmup) || !(warmup >= 0) ||
                warmup > 3600) {
                lt_cli_err(CMD, "--warmup: seconds in [0, 3600]");
                goto out;
            }
            load_opts = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--rate", &v)) != 0) {
            if (r < 0 || lt_parse_double(lt_str_of(v), &rate) || rate < 0 || rate > 100000) {
                lt_cli_err(CMD, "--rate: frames per second per device in [0, 100000]");
                goto out;
            }
            load_opts = true;
            continue;
        }
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--duration", &v)) != 0) {
            /* The registry fleet's longer bound is checked once --db is known. */
            if (r < 0 || lt_parse_double(lt_str_of(v), &duration) || !(duration > 0) ||
                duration > LT__LIVE_MAX_S) {
                lt_cli_err(CMD, "--duration: seconds in (0, 3600] (--db: (0, %d])", LT__LIVE_MAX_S);
                goto out;
            }
            duration_set = true;
            continue;
        }
        lt_cli_err(CMD, "unknown argument '%s' (see --help)", argv[i]);
        goto out;
    }
    (void)tmp;
    if (live_db && (load_opts || nreplay || frames || db)) {
        lt_cli_err(
            CMD, "--db takes the fleet from the store's registry: it does not go with "
                 "--devices, --rate, --warmup, --faults, --idle, --replay, --frames or --register");
        goto out;
    }
    if (!live_db && live_opts) {
        lt_cli_err(CMD, "--province, --per-city, --cems, --interval and --backfill need --db");
        goto out;
    }
    if (warmup > 0 && warmup >= duration) {
        lt_cli_err(CMD, "--warmup %g must be shorter than --duration %g: nothing would be measured",
                   warmup, duration);
        goto out;
    }
    if (!live_db && duration > 3600) {
        lt_cli_err(CMD, "--duration: seconds in (0, 3600]");
        goto out;
    }
    if (!target && !(live_db && register_only)) {
        lt_cli_err(CMD, "--target 127.0.0.1:PORT is required");
        goto out;
    }
    if (strlen(prefix) != 8 || strspn(prefix, "0123456789ABCDEF") != 8) {
        lt_cli_err(CMD, "--mn-prefix: 8 upper-case hex digits");
        goto out;
    }

    if (frames) {
        struct sockaddr_storage fa;
        int fpr = lt__parse_target(target, &fa);
        if (fpr) {
            lt_cli_err(CMD,
                       fpr == -2 ? "refusing non-loopback target %s: the simulator only talks to "
                                   "127.0.0.0/8 or ::1"
                                 : "--target %s is not HOST:PORT",
                       target);
            goto out;
        }
        if (nreplay || db) {
            lt_cli_err(CMD, "--frames does not go with --replay or --register");
            goto out;
        }
        rc = lt__send_frames(&fa, frames, hold);
        goto out;
    }

    /* A stop asked for while the run is set up (the registry and its history read, capture files
     * loaded, connections prepared) waits until the loop watches SIGINT and SIGTERM, then ends the
     * run at once, with its totals, rather than the process without them. */
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGINT);
    sigaddset(&stop_sigs, SIGTERM);
    held = !register_only && pthread_sigmask(SIG_BLOCK, &stop_sigs, &startup_mask) == 0;

    int64_t now_s = (int64_t)time(NULL);
    struct lt_limits lim;
    lt_limits_init(&lim);
    if (live_db) {
        /* The built-in limits: outlets emit around them (the server judges with its own). */
        if (lt_cli_load_limits(CMD, NULL, &lim, NULL, 0))
            goto out;
        int lr = lt__live_prepare(live_db, prefix, province, (int)per_city, (int)ncems,
                                  register_only, now_s, &lim, &units, &nunits);
        if (lr) {
            lt_limits_release(&lim);
            rc = lr > 0 ? LT_EXIT_OK : LT_EXIT_USAGE;
            goto out;
        }
        ndev = nunits;
    }
    struct lt__sim *s = calloc(1, sizeof *s);
    if (!s) {
        lt_limits_release(&lim);
        goto out;
    }
    s->lim = lim; /* owned by s from here */
    s->live = live_db != NULL;
    s->interval_ns = (uint64_t)(interval * 1e9);
    int pr = lt__parse_target(target, &s->addr);
    if (pr) {
        lt_cli_err(CMD,
                   pr == -2 ? "refusing non-loopback target %s: the simulator only talks to "
                              "127.0.0.0/8 or ::1"
                            : "--target %s is not HOST:PORT",
                   target);
        lt_limits_release(&s->lim);
        free(s);
        goto out;
    }
    if (nreplay) {
        if (lt__load_replay(replay, nreplay, &gs, &ng)) {
            lt_limits_release(&s->lim);
            free(s);
            goto out;
        }
        ndev = ng;
        s->replay = true;
        if (!duration_set)
            duration = 600;
    }
    s->ndev = (int)ndev;
    s->rate = rate;
    s->window = (int)window;
    s->hourly_every = (int)hourly_every;
    s->duration = duration;
    s->faults = faults;
    s->idle = idle;
    s->start_ms = (int64_t)uv_hrtime() / 1000000; /* replaced just below by the wall clock */
    {
        uv_timeval64_t tv;
        uv_gettimeofday(&tv);
        s->start_ms = tv.tv_sec * 1000 + tv.tv_usec / 1000;
    }
    s->dev = calloc((size_t)ndev, sizeof *s->dev);
    s->msg = malloc(sizeof *s->msg);
    s->hist = calloc(LT__HIST_N, sizeof *s->hist);
    if (!s->dev || !s->msg || !s->hist)
        goto free_sim;
    for (int i = 0; i < s->ndev; i++) {
        struct lt__dev *d = &s->dev[i];
        d->sim = s;
        d->idx = i;
        if (s->replay) {
            snprintf(d->mn, sizeof d->mn, "%s", gs[i].mn);
            d->rp = gs[i].buf;
            d->rlen = gs[i].len;
            d->rlines = gs[i].lines;
            s->replay_lines += (uint64_t)gs[i].lines;
            s->replay_bytes += gs[i].len;
        } else if (s->live) {
            snprintf(d->mn, sizeof d->mn, "%s", units[i].mn);
            d->u = &units[i];
            d->cems = units[i].cems;
            d->win = calloc((size_t)window, sizeof *d->win);
            if (!d->win)
                goto free_sim;
        } else {
            snprintf(d->mn, sizeof d->mn, "%s%016X", prefix, (unsigned)i);
            d->cems = i % 5 == 4;
            if (faults && i % 10 == 7)
                d->fault = (enum lt__fault)(1 + (i / 10) % 5);
            d->win = calloc((size_t)window, sizeof *d->win);
            if (!d->win)
                goto free_sim;
        }
    }
    if (db) {
        /* Replay: the "(no MN)" group, if any, is not a device. */
        int keep = s->ndev;
        if (s->replay)
            for (int i = 0; i < s->ndev; i++)
                if (!strcmp(s->dev[i].mn, "(no MN)")) {
                    struct lt__dev t = s->dev[i];
                    struct lt__group tg = gs[i];
                    s->dev[i] = s->dev[s->ndev - 1];
                    gs[i] = gs[s->ndev - 1];
                    s->dev[s->ndev - 1] = t;
                    gs[s->ndev - 1] = tg;
                    keep = s->ndev - 1;
                }
        int full = s->ndev;
        s->ndev = keep;
        int rr = lt__register(db, s, gs);
        s->ndev = full;
        for (int i = 0; i < s->ndev; i++)
            s->dev[i].idx = i;
        if (rr)
            goto free_sim;
        fprintf(stderr, "lantian simulate: registered %d devices in %s\n", keep, db);
        if (register_only) {
            rc = LT_EXIT_OK;
            goto free_sim;
        }
    }
    if (ack_log) {
        s->ack_log = fopen(ack_log, "w");
        if (!s->ack_log) {
            lt_cli_err(CMD, "cannot write %s", ack_log);
            goto free_sim;
        }
    }
    lt__raise_nofile(ndev);
    signal(SIGPIPE, SIG_IGN);

    uv_loop_t loop;
    uv_loop_init(&loop);
    s->loop = &loop;
    s->start_ns = uv_hrtime();
    s->end_ns = s->start_ns + (uint64_t)(duration * 1e9);
    s->warm_ns = s->start_ns + (uint64_t)(warmup * 1e9);
    if (s->live) {
        /* Each device starts at its site's last stored hour (CEMS: the last full hour), at most
         * --backfill hours back, sends the hours since then, then one each hour; its real-time
         * frames have their own phase within the interval. */
        int64_t wall = s->start_ms / 1000, now_h = wall - wall % 3600;
        int64_t oldest = now_h - backfill * 3600;
        int nair = 0;
        for (int i = 0; i < s->ndev; i++) {
            struct lt__dev *d = &s->dev[i];
            struct lt_sim_unit *u = d->u;
            int64_t first = u->cems ? now_h - 3600 : u->last_stored ? u->last_stored : oldest;
            if (first < oldest)
                first = oldest;
            lt_sim_unit_hour(u, &s->lim, first);
            if (first < now_h)
                s->backfill_hours += (uint64_t)((now_h - first) / 3600);
            nair += !u->cems;
            d->hour_k = -1;
            d->last_rt_s = -1;
            d->lag_s = 2 + i % 8;
            d->next_rt_ns = s->start_ns + (uint64_t)((double)s->interval_ns * i / s->ndev);
        }
        fprintf(stderr,
                "lantian simulate: %d air stations and %d CEMS outlets of %s (MN prefix %s): "
                "real-time frames every %g s, hourly frames at each hour boundary; %llu hours "
                "to catch up first\n",
                nair, s->ndev - nair, live_db, prefix, interval,
                (unsigned long long)s->backfill_hours);
    }
    uv_timer_init(&loop, &s->tick);
    s->tick.data = s;
    uv_timer_start(&s->tick, lt__tick_cb, 0, s->live ? 100 : s->rate > 0 && s->rate < 50 ? 10 : 2);
    uv_signal_init(&loop, &s->sigint);
    uv_signal_init(&loop, &s->sigterm);
    s->sigint.data = s->sigterm.data = s;
    uv_signal_start(&s->sigint, lt__on_signal, SIGINT);
    uv_signal_start(&s->sigterm, lt__on_signal, SIGTERM);
    s->signals = true;
    if (held) {
        pthread_sigmask(SIG_SETMASK, &startup_mask, NULL);
        held = false;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t end_ns = uv_hrtime();
    double secs = (double)(end_ns - s->start_ns) / 1e9;
    double msecs = end_ns > s->warm_ns ? (double)(end_ns - s->warm_ns) / 1e9 : 0;

    if (s->replay) {
        printf("replay_connections=%d\nreplay_lines=%llu\nreplay_bytes=%llu\nconn_errors=%llu\n"
               "elapsed_s=%.2f\n",
               s->ndev, (unsigned long long)s->replay_lines, (unsigned long long)s->replay_bytes,
               (unsigned long long)s->conn_errors, secs);
    } else {
        printf("devices=%d\nconnects=%llu\nsent=%llu\nacked=%llu\nunacked=%llu\n"
               "rejected_expected=%llu\nother_replies=%llu\nconn_errors=%llu\nelapsed_s=%.2f\n"
               "warmup_s=%.2f\nmeasured_acked=%llu\nacked_per_s=%.0f\nlatency_p50_ms=%.2f\n"
               "latency_p99_ms=%.2f\n",
               s->ndev, (unsigned long long)s->connects, (unsigned long long)s->sent,
               (unsigned long long)s->acked, (unsigned long long)(s->sent - s->acked),
               (unsigned long long)s->bad_sent, (unsigned long long)s->other_replies,
               (unsigned long long)s->conn_errors, secs, secs - msecs,
               (unsigned long long)s->measured_acked,
               msecs > 0 ? (double)s->measured_acked / msecs : 0.0,
               lt__pct(s->hist, s->measured_acked, 0.50),
               lt__pct(s->hist, s->measured_acked, 0.99));
        if (s->live)
            printf("hourly_sent=%llu\nhourly_acked=%llu\nbackfill_hours=%llu\n",
                   (unsigned long long)s->hourly_sent, (unsigned long long)s->hourly_acked,
                   (unsigned long long)s->backfill_hours);
    }
    fflush(stdout);
    rc = LT_EXIT_OK;
    if (s->ack_log && fclose(s->ack_log) != 0) {
        lt_cli_err(CMD, "cannot write %s", ack_log);
        rc = LT_EXIT_USAGE;
    }
    s->ack_log = NULL;
    lt__close_signals(s);
    uv_loop_close(&loop);
free_sim:
    if (s->ack_log)
        fclose(s->ack_log);
    if (s->dev)
        for (int i = 0; i < s->ndev; i++)
            free(s->dev[i].win);
    free(s->dev);
    free(s->msg);
    free(s->hist);
    lt_limits_release(&s->lim);
    free(s);
out:
    if (held)
        pthread_sigmask(SIG_SETMASK, &startup_mask, NULL);
    free(units);
    for (int i = 0; i < ng; i++)
        free(gs[i].buf);
    free(gs);
    free(replay);
    return rc;
}

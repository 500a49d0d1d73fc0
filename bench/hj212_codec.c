/* HJ 212 codec benchmark: the real 2016 captures (190,463 frames) in memory, then in one run
 * (a) lantian's framer + CRC + parse of every frame, fed as one byte stream, and
 * (b) a plain loop that only finds CR LFs and computes the HJ 212 CRC of each line with its own
 *     byte-at-a-time table-driven CRC,
 * each repeated and the fastest kept. Prints frames/s of both, the ratio codec/loop, and the
 * accounting of the captures (accepted, rejected by reason).
 *
 * Usage: hj212_codec FILE [REPEAT]     (FILE: the concatenated, uncompressed captures) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lantian/hj212.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint16_t tab[256];

static void tab_init(void)
{
    for (unsigned i = 0; i < 256; i++) {
        unsigned r = i;
        for (int k = 0; k < 8; k++)
            r = (r & 1) ? (r >> 1) ^ 0xA001 : r >> 1;
        tab[i] = (uint16_t)r;
    }
}

static int hexv(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* (b): lines and HJ 212 CRCs (HJ 212-2017 Appendix A, R = T[(R >> 8) ^ b]); returns the number of
 * lines whose written CRC matches, so that nothing can be optimised away. */
static size_t loop(const uint8_t *p, size_t n, size_t *lines)
{
    size_t ok = 0, nl = 0, i = 0;
    while (i < n) {
        const uint8_t *e = memchr(p + i, '\n', n - i);
        size_t end = e ? (size_t)(e - p) : n;
        size_t len = end - i;
        if (len && p[end - 1] == '\r')
            len--;
        nl++;
        if (len >= 10) {
            unsigned r = 0xFFFF;
            for (size_t k = i + 6; k < i + len - 4; k++)
                r = tab[(r >> 8) ^ p[k]];
            int v = 0;
            for (size_t k = i + len - 4; k < i + len; k++)
                v = v * 16 + hexv(p[k]);
            ok += (unsigned)v == r;
        }
        i = end + 1;
    }
    *lines = nl;
    return ok;
}

struct acct {
    size_t frames, syntax, rejects[LT_HJ212_R_N], cls[8], values;
};

/* (a): the codec on the stream. */
static void codec(const uint8_t *p, size_t n, struct lt_hj212_msg *m, struct acct *a)
{
    struct lt_hj212_framer f;
    struct lt_hj212_event ev;
    memset(a, 0, sizeof(*a));
    if (lt_hj212_framer_init(&f, LT_HJ212_FRAME_MAX, 0) < 0)
        exit(2);
    size_t i = 0;
    for (;;) {
        if (i < n)
            i += lt_hj212_framer_feed(&f, p + i, n - i);
        int got = 0;
        while (i < n ? lt_hj212_framer_next(&f, &ev) : lt_hj212_framer_finish(&f, &ev)) {
            got = 1;
            if (ev.kind == LT_HJ212_EV_REJECT) {
                a->rejects[ev.reason]++;
                continue;
            }
            if (lt_hj212_parse(ev.seg, ev.seg_len, m, NULL) < 0) {
                a->syntax++;
                continue;
            }
            a->frames++;
            a->cls[lt_hj212_classify(m)]++;
            a->values += (size_t)m->nitems;
        }
        if (i >= n && !got)
            break;
    }
    lt_hj212_framer_release(&f);
}

/* The 1-minute load average (/proc/loadavg), or -1 where there is none: on a shared machine the
 * numbers mean little without it. */
static double loadavg(void)
{
    double l = -1;
    FILE *fp = fopen("/proc/loadavg", "r");
    if (fp) {
        char line[128];
        if (fgets(line, sizeof(line), fp))
            l = strtod(line, NULL);
        fclose(fp);
    }
    return l;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hj212_codec FILE [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
    FILE *fp = fopen(argv[1], "rb");
    if (!fp)
        return 2;
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)sz);
    if (!buf || fread(buf, 1, (size_t)sz, fp) != (size_t)sz)
        return 2;
    fclose(fp);
    tab_init();
    struct lt_hj212_msg *m = malloc(sizeof(*m));
    struct acct a;
    size_t lines = 0, ok = 0;
    double load0 = loadavg();
    double best_codec = 1e30, best_loop = 1e30;
    for (int r = 0; r < repeat; r++) {
        double t0 = now();
        ok = loop(buf, (size_t)sz, &lines);
        double t1 = now();
        codec(buf, (size_t)sz, m, &a);
        double t2 = now();
        if (t1 - t0 < best_loop)
            best_loop = t1 - t0;
        if (t2 - t1 < best_codec)
            best_codec = t2 - t1;
    }
    printf("load average (1 min): %.2f before, %.2f after; %d repetitions, fastest kept\n", load0,
           loadavg(), repeat);
    printf("input: %ld bytes, %zu lines (%zu with a matching HJ 212 CRC by the plain loop)\n", sz,
           lines, ok);
    printf("codec: %zu frames accepted, %zu syntax rejects", a.frames, a.syntax);
    for (int r = 1; r < LT_HJ212_R_N; r++)
        if (a.rejects[r])
            printf(", %s %zu", lt_hj212_reject_name((enum lt_hj212_reject)r), a.rejects[r]);
    printf("\nclasses: data %zu, heartbeat %zu, notify %zu, reply %zu, other %zu; items %zu\n",
           a.cls[LT_HJ212_C_DATA], a.cls[LT_HJ212_C_HEARTBEAT], a.cls[LT_HJ212_C_NOTIFY],
           a.cls[LT_HJ212_C_REPLY], a.cls[LT_HJ212_C_OTHER], a.values);
    /* Both rates count the same frames, the input's lines (the codec frames and rejects the few
     * broken ones too). */
    double frames = (double)lines;
    double codec_fps = frames / best_codec, loop_fps = frames / best_loop;
    printf("codec (framer + CRC + parse): %.3f s, %.2f M frames/s, %.0f MB/s\n", best_codec,
           codec_fps / 1e6, (double)sz / best_codec / 1e6);
    printf("loop  (CR LF + CRC only):     %.3f s, %.2f M frames/s, %.0f MB/s\n", best_loop,
           loop_fps / 1e6, (double)sz / best_loop / 1e6);
    printf("ratio codec_time / loop_time: %.2f (goal <= 2): %s; codec %.2f M frames/s (goal >= "
           "2): %s\n",
           best_codec / best_loop, best_codec / best_loop <= 2.0 ? "met" : "NOT met",
           codec_fps / 1e6, codec_fps >= 2e6 ? "met" : "NOT met");
    free(m);
    free(buf);
    return 0;
}

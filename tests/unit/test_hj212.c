/* Tests of the HJ 212 codec: CRC (HJ 212-2017 Appendix A and the Modbus variants), the stream
 * framer, the data-segment parser, classification, replies, host commands, the factor table, and
 * all 91 shared test vectors against expectations written by inspection
 * (tests/data/hj212_vectors_expected.jsonl). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lantian/hj212.h"

#define V0                                                                                         \
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&"  \
    "RtdInterval=30&&1C80\r\n"
#define V0_SEG                                                                                     \
    "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&"        \
    "RtdInterval=30&&"
#define V52                                                                                        \
    "##0087QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&"  \
    "&&3240\r\n"
#define V30                                                                                        \
    "##0139ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817000;B01-Rtd=36."  \
    "91;"                                                                                          \
    "011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&4980\r\n"

/* ---- helpers ------------------------------------------------------------------------------- */

/* Appendix A exactly as the standard words it, bit by bit: the reference for the table forms. */
static uint16_t crc_ref(const uint8_t *p, size_t n)
{
    unsigned r = 0xFFFF;
    for (size_t i = 0; i < n; i++) {
        r = (r >> 8) ^ p[i];
        for (int k = 0; k < 8; k++) {
            unsigned lsb = r & 1;
            r >>= 1;
            if (lsb)
                r ^= 0xA001;
        }
    }
    return (uint16_t)r;
}

static uint16_t modbus_ref(const uint8_t *p, size_t n)
{
    unsigned r = 0xFFFF;
    for (size_t i = 0; i < n; i++) {
        r ^= p[i];
        for (int k = 0; k < 8; k++) {
            unsigned lsb = r & 1;
            r >>= 1;
            if (lsb)
                r ^= 0xA001;
        }
    }
    return (uint16_t)r;
}

struct evs {
    int n;
    int kind[64];
    int reason[64];
    uint64_t off[64];
    size_t len[64];
    char seg[64][1200];
    size_t seg_len[64];
    enum lt_hj212_crc_kind crc[64];
    bool lower[64], fallback[64];
};

static void take(struct evs *e, const struct lt_hj212_event *ev)
{
    assert_true(e->n < 64);
    int i = e->n++;
    e->kind[i] = ev->kind;
    e->reason[i] = ev->kind == LT_HJ212_EV_REJECT ? (int)ev->reason : 0;
    e->off[i] = ev->offset;
    e->len[i] = ev->raw_len;
    e->seg_len[i] = 0;
    if (ev->kind == LT_HJ212_EV_FRAME) {
        size_t k = ev->seg_len < sizeof(e->seg[i]) ? ev->seg_len : sizeof(e->seg[i]);
        memcpy(e->seg[i], ev->seg, k);
        e->seg_len[i] = ev->seg_len;
        e->crc[i] = ev->crc_kind;
        e->lower[i] = ev->crc_lower;
        e->fallback[i] = ev->len_fallback;
    } else {
        assert_true(ev->msg[0] != '\0'); /* every reject says why */
    }
}

/* Feed bytes in pieces of `step` (0: all at once), draining events, then finish. */
static void run(struct lt_hj212_framer *f, const void *data, size_t n, size_t step, struct evs *e)
{
    const uint8_t *p = data;
    struct lt_hj212_event ev;
    memset(e, 0, sizeof(*e));
    size_t i = 0;
    while (i < n) {
        size_t k = step ? step : n - i;
        if (k > n - i)
            k = n - i;
        size_t took = lt_hj212_framer_feed(f, p + i, k);
        i += took;
        while (lt_hj212_framer_next(f, &ev))
            take(e, &ev);
    }
    while (lt_hj212_framer_finish(f, &ev))
        take(e, &ev);
}

static void run_new(const void *data, size_t n, size_t cap, unsigned mask, struct evs *e)
{
    struct lt_hj212_framer f;
    assert_int_equal(lt_hj212_framer_init(&f, cap, mask), 0);
    run(&f, data, n, 0, e);
    lt_hj212_framer_release(&f);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    size_t k;
    while (b && (k = fread(b + n, 1, cap - n, fp)) > 0) {
        n += k;
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
        }
    }
    fclose(fp);
    if (b)
        b[n] = '\0';
    *len = n;
    return b;
}

/* Minimal JSON reading for the two JSONL files: the value of "key" in a flat object. Strings are
 * unescaped (\" \\ \/ \r \n \t \uXXXX below U+0800); other values are copied as written. Returns
 * the length, or -1 when the key is absent. */
static long jget(const char *line, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (!p)
        return -1;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    size_t n = 0;
    if (*p != '"') {
        int depth = 0;
        while (*p && (depth > 0 || (*p != ',' && *p != '}'))) {
            if (*p == '[')
                depth++;
            if (*p == ']')
                depth--;
            if (n + 1 < cap)
                out[n++] = *p;
            p++;
        }
        out[n] = '\0';
        return (long)n;
    }
    p++;
    while (*p && *p != '"') {
        char c = *p++;
        if (c == '\\') {
            c = *p++;
            if (c == 'n')
                c = '\n';
            else if (c == 'r')
                c = '\r';
            else if (c == 't')
                c = '\t';
            else if (c == 'u') {
                char h[5] = {p[0], p[1], p[2], p[3], 0};
                unsigned u = (unsigned)strtoul(h, NULL, 16);
                p += 4;
                if (u >= 0x80) {
                    if (n + 2 < cap) {
                        out[n++] = (char)(0xC0 | (u >> 6));
                        out[n++] = (char)(0x80 | (u & 0x3F));
                    }
                    continue;
                }
                c = (char)u;
            }
        }
        if (n + 1 < cap)
            out[n++] = c;
    }
    out[n] = '\0';
    return (long)n;
}

static long jint(const char *line, const char *key)
{
    char b[32];
    assert_true(jget(line, key, b, sizeof(b)) > 0);
    return strtol(b, NULL, 10);
}

/* Split a JSON array of strings/numbers ["a","b",1.5] into its elements (unquoted). */
static int jarr(const char *arr, char el[4][128])
{
    int n = 0;
    const char *p = arr;
    if (*p == '[')
        p++;
    while (*p && *p != ']' && n < 4) {
        size_t k = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"' && k + 1 < 128)
                el[n][k++] = *p++;
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',' && *p != ']' && k + 1 < 128)
                el[n][k++] = *p++;
        }
        el[n][k] = '\0';
        n++;
        if (*p == ',')
            p++;
    }
    return n;
}

static const char *class_name(enum lt_hj212_class c)
{
    switch (c) {
    case LT_HJ212_C_DATA:
        return "data";
    case LT_HJ212_C_HEARTBEAT:
        return "heartbeat";
    case LT_HJ212_C_NOTIFY:
        return "notify";
    case LT_HJ212_C_REPLY:
        return "reply";
    default:
        return "other";
    }
}

static const char *crc_name(enum lt_hj212_crc_kind k)
{
    return k == LT_CRC_HJ212 ? "hj212" : k == LT_CRC_MODBUS ? "modbus" : "modbus-le";
}

static struct lt_hj212_msg msg; /* large: keep it off the stack */

static int parse_str(const char *seg)
{
    struct lt_diag d = {0};
    return lt_hj212_parse((const uint8_t *)seg, strlen(seg), &msg, &d);
}

/* ---- CRC ----------------------------------------------------------------------------------- */

static void test_crc_golden(void **state)
{
    (void)state;
    /* HJ 212-2017 Appendix A worked example: 101 bytes, CRC 1C80 (the prose misprints 1C08). */
    const char *seg = V0_SEG;
    assert_int_equal(strlen(seg), 101);
    assert_int_equal(lt_hj212_crc((const uint8_t *)seg, 101), 0x1C80);
    assert_int_equal(crc_ref((const uint8_t *)seg, 101), 0x1C80);
    /* CRC-16/MODBUS check value of "123456789" is 0x4B37. */
    assert_int_equal(lt_hj212_crc_modbus((const uint8_t *)"123456789", 9), 0x4B37);
    /* The real device of vector 57 sends Modbus low byte first: A6EC where HJ 212 gives 0440. */
    assert_int_equal(lt_hj212_crc((const uint8_t *)"", 0), 0xFFFF);
    /* A UTF-8 log text (Table C.40): bytes >= 0x80 are taken unsigned (9481, not 9FC1). */
    const char *zh = "QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=010000A8900016F000169DC0;"
                     "Flag=5;CP=&&DataTime=20160801085857;PolId=w01018;i11001-Info=//清洗管路//&&";
    assert_int_equal(strlen(zh), 152);
    assert_int_equal(lt_hj212_crc((const uint8_t *)zh, 152), 0x9481);
}

static void test_crc_random(void **state)
{
    (void)state;
    uint8_t b[300];
    uint32_t x = 12345;
    for (int t = 0; t < 3000; t++) {
        size_t n = (size_t)t % 300;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            b[i] = (uint8_t)(x >> 16);
        }
        assert_int_equal(lt_hj212_crc(b, n), crc_ref(b, n));
        assert_int_equal(lt_hj212_crc_modbus(b, n), modbus_ref(b, n));
        /* The folded form reads 8 bytes at a time: any alignment, any tail length. */
        size_t o = (size_t)t % 16;
        if (o < n)
            assert_int_equal(lt_hj212_crc(b + o, n - o), crc_ref(b + o, n - o));
    }
}

static void test_crc_variants_in_framer(void **state)
{
    (void)state;
    const char *seg = V0_SEG;
    uint16_t m = lt_hj212_crc_modbus((const uint8_t *)seg, 101);
    char fr[200];
    struct evs e;
    /* Modbus high byte first. */
    int n = snprintf(fr, sizeof(fr), "##0101%s%04X\r\n", seg, m);
    run_new(fr, (size_t)n, 1024, 0, &e);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.reason[0], LT_HJ212_R_CRC);
    run_new(fr, (size_t)n, 1024, 1u << LT_CRC_MODBUS, &e);
    assert_int_equal(e.kind[0], LT_HJ212_EV_FRAME);
    assert_int_equal(e.crc[0], LT_CRC_MODBUS);
    /* Modbus low byte first, in lowercase. */
    n = snprintf(fr, sizeof(fr), "##0101%s%04x\r\n", seg, (unsigned)((m >> 8) | ((m & 255) << 8)));
    run_new(fr, (size_t)n, 1024, 1u << LT_CRC_MODBUS, &e);
    assert_int_equal(e.reason[0], LT_HJ212_R_CRC);
    run_new(fr, (size_t)n, 1024, 7, &e);
    assert_int_equal(e.kind[0], LT_HJ212_EV_FRAME);
    assert_int_equal(e.crc[0], LT_CRC_MODBUS_LE);
    assert_int_equal(e.lower[0], strpbrk(fr + n - 6, "abcdef") != NULL);
    /* The standard CRC in lowercase is accepted and reported as lowercase. */
    n = snprintf(fr, sizeof(fr), "##0101%s1c80\r\n", seg);
    run_new(fr, (size_t)n, 1024, 0, &e);
    assert_int_equal(e.kind[0], LT_HJ212_EV_FRAME);
    assert_true(e.lower[0]);
    run_new(V0, strlen(V0), 1024, 0, &e);
    assert_false(e.lower[0]);
}

/* ---- framer -------------------------------------------------------------------------------- */

static void test_split_every_byte(void **state)
{
    (void)state;
    const char *frames[] = {V0, V30, V52};
    for (int k = 0; k < 3; k++) {
        const char *fr = frames[k];
        size_t n = strlen(fr);
        for (size_t cut = 0; cut <= n; cut++) {
            struct lt_hj212_framer f;
            struct lt_hj212_event ev;
            assert_int_equal(lt_hj212_framer_init(&f, 1024, 0), 0);
            int got = 0;
            assert_int_equal(lt_hj212_framer_feed(&f, (const uint8_t *)fr, cut), cut);
            while (lt_hj212_framer_next(&f, &ev)) {
                assert_int_equal(ev.kind, LT_HJ212_EV_FRAME);
                got++;
            }
            assert_int_equal(got, cut == n ? 1 : 0); /* nothing before the last byte */
            lt_hj212_framer_feed(&f, (const uint8_t *)fr + cut, n - cut);
            while (lt_hj212_framer_next(&f, &ev)) {
                assert_int_equal(ev.kind, LT_HJ212_EV_FRAME);
                assert_int_equal(ev.offset, 0);
                assert_int_equal(ev.raw_len, n);
                assert_int_equal(ev.seg_len, n - 12);
                got++;
            }
            assert_int_equal(got, 1);
            assert_int_equal(lt_hj212_framer_finish(&f, &ev), 0);
            lt_hj212_framer_release(&f);
        }
    }
    /* One byte at a time, three frames. */
    char all[1024];
    int n = snprintf(all, sizeof(all), "%s%s%s", V0, V30, V52);
    struct lt_hj212_framer f;
    struct evs e;
    assert_int_equal(lt_hj212_framer_init(&f, 1024, 0), 0);
    run(&f, all, (size_t)n, 1, &e);
    assert_int_equal(e.n, 3);
    assert_int_equal(e.off[1], strlen(V0));
    assert_int_equal(e.off[2], strlen(V0) + strlen(V30));
    assert_int_equal(f.frames, 3);
    lt_hj212_framer_release(&f);
}

static void test_glued_and_resync(void **state)
{
    (void)state;
    struct evs e;
    char buf[2048];
    int n = snprintf(buf, sizeof(buf), "%s%s", V0, V52);
    run_new(buf, (size_t)n, 1024, 0, &e);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.off[1], 113);
    /* Garbage of every length 1..9 (odd offsets too) before a frame: rejects that cover exactly
     * those bytes, then the frame at the right offset, whatever the read sizes. */
    const char *junk[] = {"x",    "#",    "##",      "#x#",         "$\t?\0",
                          "##te", "###0", "ab#cd#e", "##test\0\r\n"};
    const int why[] = {LT_HJ212_R_GARBAGE, LT_HJ212_R_GARBAGE, LT_HJ212_R_GARBAGE,
                       LT_HJ212_R_GARBAGE, LT_HJ212_R_GARBAGE, LT_HJ212_R_LENGTH,
                       LT_HJ212_R_GARBAGE, LT_HJ212_R_GARBAGE, LT_HJ212_R_LENGTH};
    const size_t jl[] = {1, 1, 2, 3, 4, 4, 4, 7, 9};
    for (int k = 0; k < 9; k++) {
        memcpy(buf, junk[k], jl[k]);
        memcpy(buf + jl[k], V0, strlen(V0));
        for (size_t step = 0; step < 4; step++) {
            struct lt_hj212_framer f;
            assert_int_equal(lt_hj212_framer_init(&f, 1024, 0), 0);
            run(&f, buf, jl[k] + strlen(V0), step, &e);
            lt_hj212_framer_release(&f);
            assert_true(e.n >= 2);
            assert_int_equal(e.reason[0], why[k]);
            size_t covered = 0;
            for (int i = 0; i < e.n - 1; i++) {
                assert_int_equal(e.kind[i], LT_HJ212_EV_REJECT);
                assert_int_equal(e.off[i], covered);
                covered += e.len[i];
            }
            assert_int_equal(covered, jl[k]);
            assert_int_equal(e.kind[e.n - 1], LT_HJ212_EV_FRAME);
            assert_int_equal(e.off[e.n - 1], jl[k]);
        }
    }
    /* Reject chunks end where the next frame begins: exactly one reject for a DTU junk line. */
    memcpy(buf, "##test13912345678\0\r\n", 21);
    memcpy(buf + 21, V0, strlen(V0));
    run_new(buf, 21 + strlen(V0), 1024, 0, &e);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.reason[0], LT_HJ212_R_LENGTH);
    assert_int_equal(e.len[0], 21);
}

static void test_nul_bytes(void **state)
{
    (void)state;
    /* NUL bytes inside the segment with a valid CRC are a valid frame (vector 51). */
    char seg[] = "ST=\0\0;CN=2031;PW=1;MN=X;CP=&&DataTime=20160823000000000;S01-Min=14.00&&";
    size_t sl = sizeof(seg) - 1;
    char fr[256];
    size_t fl = lt_hj212_frame(seg, sl, fr, sizeof(fr));
    assert_int_equal(fl, sl + 12);
    struct evs e;
    run_new(fr, fl, 1024, 0, &e);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.kind[0], LT_HJ212_EV_FRAME);
    struct lt_diag d = {0};
    assert_int_equal(lt_hj212_parse((const uint8_t *)e.seg[0], e.seg_len[0], &msg, &d), 0);
    assert_int_equal(msg.st.len, 2);
    assert_int_equal(msg.st.p[0], 0);
    assert_true(lt_str_eq(msg.cn, "2031"));
    assert_int_equal(msg.nitems, 1);
}

static void test_long_segments(void **state)
{
    (void)state;
    /* A 9999-byte segment (the length field's limit) and a 1045-byte one (over the standard's
     * 1024, as real loggers send). */
    static char seg[LT_HJ212_SEG_MAX + 1];
    static char fr[LT_HJ212_FRAME_MAX + 256]; /* room for a frame after it */
    const char *head = "ST=31;CN=2011;PW=1;MN=X;CP=&&a01-Info=//";
    size_t hl = strlen(head);
    size_t sizes[] = {1045, LT_HJ212_SEG_MAX};
    for (int k = 0; k < 2; k++) {
        size_t n = sizes[k];
        memcpy(seg, head, hl);
        memset(seg + hl, 'x', n - hl - 4);
        memcpy(seg + n - 4, "//&&", 4);
        size_t fl = lt_hj212_frame(seg, n, fr, sizeof(fr));
        assert_int_equal(fl, n + 12);
        struct evs *e = malloc(sizeof(*e));
        assert_non_null(e);
        for (size_t step = 0; step <= 997; step += 997) {
            struct lt_hj212_framer f;
            assert_int_equal(lt_hj212_framer_init(&f, LT_HJ212_FRAME_MAX, 0), 0);
            run(&f, fr, fl, step, e);
            lt_hj212_framer_release(&f);
            assert_int_equal(e->n, 1);
            assert_int_equal(e->kind[0], LT_HJ212_EV_FRAME);
            assert_int_equal(e->seg_len[0], n);
        }
        /* Cap too small: TOO_LONG at the frame's offset, nothing accepted, and a frame after it
         * is still found. */
        memcpy(fr + fl, V0, strlen(V0));
        run_new(fr, fl + strlen(V0), 1024, 0, e);
        assert_true(e->n >= 2);
        assert_int_equal(e->kind[0], LT_HJ212_EV_REJECT);
        assert_int_equal(e->reason[0], LT_HJ212_R_TOO_LONG);
        assert_int_equal(e->off[0], 0);
        size_t covered = 0;
        for (int i = 0; i < e->n - 1; i++) {
            assert_int_equal(e->reason[i], LT_HJ212_R_TOO_LONG);
            assert_int_equal(e->off[i], covered);
            covered += e->len[i];
        }
        assert_int_equal(covered, fl);
        assert_int_equal(e->kind[e->n - 1], LT_HJ212_EV_FRAME);
        assert_int_equal(e->off[e->n - 1], fl);
        free(e);
    }
    /* The builder refuses more than 9999 bytes. */
    assert_int_equal(lt_hj212_frame(seg, LT_HJ212_SEG_MAX + 1, fr, sizeof(fr)), 0);
}

static void test_bad_frames_reason_offset(void **state)
{
    (void)state;
    char buf[2048];
    struct evs e;
    /* Bad CRC between two good frames. */
    const char *bad_crc = "##0101" V0_SEG "1C81\r\n";
    int n = snprintf(buf, sizeof(buf), "%s%s%s", V0, bad_crc, V52);
    run_new(buf, (size_t)n, 1024, 0, &e);
    assert_int_equal(e.n, 3);
    assert_int_equal(e.kind[0], LT_HJ212_EV_FRAME);
    assert_int_equal(e.reason[1], LT_HJ212_R_CRC);
    assert_int_equal(e.off[1], 113);
    assert_int_equal(e.len[1], 113);
    assert_int_equal(e.off[2], 226);
    /* CRC field not hex. */
    n = snprintf(buf, sizeof(buf), "%s##0101" V0_SEG "1G80\r\n%s", V52, V0);
    run_new(buf, (size_t)n, 1024, 0, &e);
    assert_int_equal(e.n, 3);
    assert_int_equal(e.reason[1], LT_HJ212_R_CRC_FORMAT);
    assert_int_equal(e.off[1], strlen(V52));
    /* Length one too long (vector 74) then a frame: TRAILER for exactly the bad line. */
    n = snprintf(buf, sizeof(buf), "x##0102" V0_SEG "1C80\r\n%s", V52);
    run_new(buf, (size_t)n, 1024, 0, &e);
    assert_int_equal(e.n, 3);
    assert_int_equal(e.reason[0], LT_HJ212_R_GARBAGE);
    assert_int_equal(e.reason[1], LT_HJ212_R_TRAILER);
    assert_int_equal(e.off[1], 1);
    assert_int_equal(e.len[1], 113);
    assert_int_equal(e.kind[2], LT_HJ212_EV_FRAME);
    assert_int_equal(e.off[2], 114);
    /* Length too short: the claimed end is inside the segment. */
    n = snprintf(buf, sizeof(buf), "##0090" V0_SEG "1C80\r\n%s", V52);
    run_new(buf, (size_t)n, 1024, 0, &e);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.reason[0], LT_HJ212_R_TRAILER);
    assert_int_equal(e.len[0], 113);
    assert_int_equal(e.off[1], 113);
    /* A huge length followed by frames: the "##" of the next frame ends the chunk at once. */
    n = snprintf(buf, sizeof(buf), "##9000QN=1;ST=3%s", V0);
    run_new(buf, (size_t)n, LT_HJ212_FRAME_MAX, 0, &e);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.reason[0], LT_HJ212_R_TRAILER);
    assert_int_equal(e.len[0], 15);
    assert_int_equal(e.off[1], 15);
    /* CR LF missing where the length says (trailer bytes wrong). */
    n = snprintf(buf, sizeof(buf), "##0101" V0_SEG "1C80\n\r%s", V0);
    run_new(buf, (size_t)n, 1024, 0, &e);
    assert_int_equal(e.reason[0], LT_HJ212_R_TRAILER);
    assert_int_equal(e.kind[e.n - 1], LT_HJ212_EV_FRAME);
    assert_int_equal(e.off[e.n - 1], 113);
    /* Truncated at end of stream: one TRAILER reject from finish. */
    run_new(V0, 60, 1024, 0, &e);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.reason[0], LT_HJ212_R_TRAILER);
    assert_int_equal(e.len[0], 60);
    /* The stream ends inside the length field. */
    run_new("##01", 4, 1024, 0, &e);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.reason[0], LT_HJ212_R_LENGTH);
    /* Counters. */
    struct lt_hj212_framer f;
    assert_int_equal(lt_hj212_framer_init(&f, 1024, 0), 0);
    n = snprintf(buf, sizeof(buf), "%s%s##zz", V0, bad_crc);
    run(&f, buf, (size_t)n, 7, &e);
    assert_int_equal(f.frames, 1);
    assert_int_equal(f.rejects[LT_HJ212_R_CRC], 1);
    assert_int_equal(f.rejects[LT_HJ212_R_LENGTH], 1);
    lt_hj212_framer_release(&f);
    assert_int_equal(lt_hj212_framer_init(&f, 8, 0), LT_EINVAL);
}

static void test_lenient_length(void **state)
{
    (void)state;
    /* Vector 79: the length counts characters (144), the segment has 152 UTF-8 bytes. */
    const char *v79 =
        "##0144QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=010000A8900016F000169DC0;"
        "Flag=5;CP=&&DataTime=20160801085857;PolId=w01018;i11001-Info=//清洗管路//&&"
        "9481\r\n";
    struct lt_hj212_framer f;
    struct evs e;
    assert_int_equal(lt_hj212_framer_init(&f, 1024, 0), 0);
    run(&f, v79, strlen(v79), 0, &e);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.reason[0], LT_HJ212_R_TRAILER);
    lt_hj212_framer_release(&f);
    assert_int_equal(lt_hj212_framer_init(&f, 1024, 0), 0);
    f.lenient_length = true;
    run(&f, v79, strlen(v79), 0, &e);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.kind[0], LT_HJ212_EV_FRAME);
    assert_true(e.fallback[0]);
    assert_int_equal(e.seg_len[0], 152);
    /* The guard: a length off by one over ASCII (vector 74) stays rejected. */
    const char *v74 = "##0102" V0_SEG "1C80\r\n";
    run(&f, v74, strlen(v74), 0, &e);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.reason[0], LT_HJ212_R_TRAILER);
    lt_hj212_framer_release(&f);
}

static void test_back_pressure(void **state)
{
    (void)state;
    /* feed takes no more than the room; the caller drains and feeds the rest. */
    struct lt_hj212_framer f;
    struct lt_hj212_event ev;
    assert_int_equal(lt_hj212_framer_init(&f, 150, 0), 0);
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s%s%s", V0, V0, V0);
    size_t i = 0;
    int frames = 0;
    while (i < (size_t)n) {
        size_t room = lt_hj212_framer_room(&f);
        size_t k = lt_hj212_framer_feed(&f, (const uint8_t *)buf + i, (size_t)n - i);
        assert_true(k <= room);
        i += k;
        while (lt_hj212_framer_next(&f, &ev)) {
            assert_int_equal(ev.kind, LT_HJ212_EV_FRAME);
            assert_int_equal(ev.offset, (uint64_t)frames * 113);
            frames++;
        }
    }
    assert_int_equal(frames, 3);
    lt_hj212_framer_release(&f);
}

/* ---- parser -------------------------------------------------------------------------------- */

static void test_parse_header(void **state)
{
    (void)state;
    assert_int_equal(parse_str(V0_SEG), 0);
    assert_int_equal(msg.version, LT_HJ212_V2017);
    assert_true(lt_str_eq(msg.qn, "20160801085857223"));
    assert_true(lt_str_eq(msg.pw, "100000"));
    assert_int_equal(msg.flag, 5);
    assert_true(msg.ack_requested);
    assert_int_equal(msg.cn_num, 1062);
    assert_true(lt_str_eq(msg.cp, "RtdInterval=30"));
    assert_true(lt_str_eq(lt_hj212_kv(&msg, "RtdInterval"), "30"));
    assert_null(lt_hj212_kv(&msg, "QnRtn").p);
    /* Fields by name in any order; FLAG in upper case; stray ",". */
    assert_int_equal(parse_str("MN=A;,FLAG=4;CN=2011;ST=22;CP=&&&&"), 0);
    assert_int_equal(msg.flag, 4);
    assert_int_equal(msg.version, LT_HJ212_V2017);
    assert_false(msg.ack_requested);
    assert_true(lt_str_eq(msg.mn, "A"));
    assert_true(lt_str_eq(msg.qn, ""));
    /* Version from the Flag bits (HJ 212-2017 Table 3). */
    assert_int_equal(parse_str("ST=22;CN=2011;CP=&&&&"), 0);
    assert_int_equal(msg.version, LT_HJ212_V2005);
    assert_int_equal(msg.flag, -1);
    assert_int_equal(parse_str("ST=22;CN=2011;Flag=1;CP=&&&&"), 0);
    assert_int_equal(msg.version, LT_HJ212_V2005);
    assert_int_equal(parse_str("ST=22;CN=2011;Flag=10;CP=&&&&"), 0);
    assert_int_equal(msg.version, LT_HJ212_V2025);
    assert_int_equal(parse_str("ST=22;CN=2011;Flag=12;CP=&&&&"), LT_EPARSE);
    assert_int_equal(parse_str("ST=22;CN=2011;Flag=256;CP=&&&&"), LT_EPARSE);
    assert_int_equal(parse_str("ST=22;CN=2011;Flag=x;CP=&&&&"), LT_EPARSE);
    /* Packets (Flag.D). */
    assert_int_equal(parse_str("ST=32;CN=2061;Flag=7;PNUM=2;PNO=1;CP=&&&&"), 0);
    assert_int_equal(msg.pnum, 2);
    assert_int_equal(msg.pno, 1);
    assert_int_equal(parse_str("ST=32;CN=2061;Flag=7;PNUM=x;PNO=1;CP=&&&&"), LT_EPARSE);
    /* CN not numeric: cn_num -1. */
    assert_int_equal(parse_str("ST=32;CN=20x1;CP=&&&&"), 0);
    assert_int_equal(msg.cn_num, -1);
    /* CP missing, not enclosed, or without its closing "&&" (vector 76). */
    struct lt_diag d = {0};
    const char *s = "ST=32;CN=2011";
    assert_int_equal(lt_hj212_parse((const uint8_t *)s, strlen(s), &msg, &d), LT_EPARSE);
    s = "ST=32;CN=1062;CP=&&RtdInterval=30";
    assert_int_equal(lt_hj212_parse((const uint8_t *)s, strlen(s), &msg, &d), LT_EPARSE);
    assert_int_equal(d.offset, 14);
    assert_int_equal(parse_str("ST=32;CP=&&&"), LT_EPARSE);
    assert_int_equal(parse_str("ST=32;CP=&&"), LT_EPARSE);
    assert_int_equal(parse_str("ST=32;CN;CP=&&&&"), LT_EPARSE);
}

static void test_parse_cp(void **state)
{
    (void)state;
    /* ';' everywhere, a standalone "01-ZsRtd" item, duplicate 01-Flag (2016 captures). */
    assert_int_equal(parse_str("ST=31;CN=2011;CP=&&DataTime=20160824003817000;B02-Rtd=264.40;"
                               "01-Rtd=3.56,01-Flag=N;01-ZsRtd=3.07,01-Flag=D;B02-Flag=N&&"),
                     0);
    assert_int_equal(msg.nitems, 2);
    assert_true(lt_str_eq(msg.item[0].code, "B02"));
    assert_true(msg.item[0].has == 1u << LT_VK_RTD);
    assert_true(lt_str_eq(msg.item[0].flag, "N"));
    assert_true(lt_str_eq(msg.item[1].code, "01"));
    assert_true(msg.item[1].v[LT_VK_ZSRTD] == 3.07);
    assert_true(lt_str_eq(msg.item[1].flag, "N")); /* the first flag wins */
    assert_true(msg.has_data_time);
    assert_int_equal(msg.data_time, 1471970297); /* 2016-08-24 00:38:17 Beijing */
    assert_int_equal(lt_hj212_classify(&msg), LT_HJ212_C_DATA);
    /* Every value suffix. */
    assert_int_equal(
        parse_str("CN=2051;CP=&&a-Rtd=1,a-Min=2,a-Avg=3,a-Max=4,a-Cou=5,a-ZsRtd=6,"
                  "a-ZsMin=7,a-ZsAvg=8,a-ZsMax=9,a-ZsCou=10,a-EFlag=A1,a-RS=1,a-RT=2.5,"
                  "a-Flag=T,a-SampleTime=20231008123340,a-Ala=16.00,a-SN=9&&"),
        0);
    assert_int_equal(msg.nitems, 1);
    assert_int_equal(msg.item[0].has, (1u << LT_VK_N) - 1);
    for (int k = 0; k < LT_VK_N; k++)
        assert_true(msg.item[0].v[k] == k + 1);
    assert_string_equal(lt_hj212_vk_name(LT_VK_ZSCOU), "ZsCou");
    assert_true(lt_str_eq(msg.item[0].eflag, "A1"));
    assert_true(lt_str_eq(msg.item[0].rs, "1"));
    assert_true(lt_str_eq(msg.item[0].rt, "2.5"));
    assert_true(lt_str_eq(msg.item[0].flag, "T"));
    assert_true(lt_str_eq(msg.item[0].other, "Ala=16.00"));
    assert_int_equal(msg.item[0].sample_time, 1696739620);
    /* Keys without values, spaces (Table C.3 "CP=&& PolId"), "-" placeholder, exponent, junk. */
    assert_int_equal(parse_str("CN=2011;CP=&& PolId=w01018; a01013-SampleTime=,a01013-Rtd=1.2E+3,"
                               "a21026-Rtd=-,a21026-Flag=D;a2-Rtd=3O ;i12003-Info =0&&"),
                     0);
    assert_int_equal(msg.nitems, 4);
    assert_true(msg.item[0].v[LT_VK_RTD] == 1200.0);
    assert_int_equal(msg.item[0].sample_time, 0);
    assert_int_equal(msg.item[1].has, 0);
    assert_int_equal(msg.nbad_values, 1);
    assert_true(lt_str_eq(msg.item[3].info, "0"));
    assert_true(lt_str_eq(msg.item[3].pol_id, "w01018"));
    assert_true(lt_str_eq(lt_hj212_kv(&msg, "PolId"), "w01018"));
    /* BeginTime,EndTime with a comma (Table C.23, 2005 style). */
    assert_int_equal(parse_str("CN=2051;Flag=3;CP=&&BeginTime=20170302000000,EndTime="
                               "20170303000000&&"),
                     0);
    assert_int_equal(msg.nkv, 2);
    assert_true(lt_str_eq(lt_hj212_kv(&msg, "EndTime"), "20170303000000"));
    assert_int_equal(lt_hj212_classify(&msg), LT_HJ212_C_OTHER);
    /* //...// is opaque: "&&", ';', ',' and '=' inside a log (vector 80). */
    assert_int_equal(parse_str("CN=3020;CP=&&PolId=w01018;i11001-Info=//A&&B;C=D,E//;x-Rtd=1&&"),
                     0);
    assert_int_equal(msg.nitems, 2);
    assert_true(lt_str_eq(msg.item[0].info, "//A&&B;C=D,E//"));
    assert_true(lt_str_eq(msg.item[1].code, "x"));
    /* Bare "Flag=N" after an item belongs to it (sCair log). */
    assert_int_equal(parse_str("CN=2011;CP=&&a34001-Rtd=92;Flag=N&&"), 0);
    assert_true(lt_str_eq(msg.item[0].flag, "N"));
    assert_int_equal(msg.nkv, 0);
    /* 2005 reply with the QN inside CP. */
    assert_int_equal(parse_str("ST=91;CN=9011;Flag=0;CP=&&QN=20160824000504006;QnRtn=1&&"), 0);
    assert_true(lt_str_eq(lt_hj212_kv(&msg, "QN"), "20160824000504006"));
    assert_int_equal(lt_hj212_classify(&msg), LT_HJ212_C_REPLY);
}

/* Factor values as the parser converts them (a fast path for plain decimals) must equal what
 * lt_parse_double gives for the same text, bit for bit, on many random decimal strings: signs,
 * leading zeros, up to 20 digits, a point anywhere, blanks, exponents, junk; short and long keys,
 * every separator and the CP's end. */
static void test_parse_numbers(void **state)
{
    (void)state;
    static const char *const keys[] = {"a", "B02", "a21026", "w01018abc"};
    static const char *const kinds[] = {"Rtd", "ZsAvg"};
    static const char *const tails[] = {";b-Flag=N&&", ",b-Flag=N&&", "&&"};
    uint32_t x = 987654321;
#define RND() (x = x * 1103515245u + 12345u, (x >> 8) & 0xFFFF)
    char num[64], seg[160];
    for (int t = 0; t < 200000; t++) {
        size_t n = 0;
        unsigned r = RND();
        if (r % 5 == 0)
            num[n++] = r % 2 ? '-' : '+';
        if (RND() % 40 == 0)
            num[n++] = ' ';
        unsigned nd = RND() % 21, dot = RND() % (nd + 3);
        for (unsigned i = 0; i < nd; i++) {
            if (i == dot)
                num[n++] = '.';
            unsigned q = RND() % 10;
            num[n++] = (char)('0' + (RND() % 4 == 0 ? 0 : q));
        }
        if (dot == nd || (nd == 0 && RND() % 2))
            num[n++] = '.';
        r = RND() % 60;
        if (r == 0)
            num[n++] = 'x';
        else if (r == 1) {
            num[n++] = 'e';
            num[n++] = (char)('0' + RND() % 10);
        } else if (r == 2)
            num[n++] = '.';
        else if (r == 3)
            num[n++] = ' ';
        num[n] = '\0';
        const char *key = keys[RND() % 4];
        const char *kind = kinds[RND() % 2];
        int len =
            snprintf(seg, sizeof(seg), "CN=2011;CP=&&%s-%s=%s%s", key, kind, num, tails[RND() % 3]);
        assert_true(len > 0 && (size_t)len < sizeof(seg));
        assert_int_equal(parse_str(seg), 0);
        struct lt_str text = lt_str_trim((struct lt_str){num, n});
        double want = 0.0;
        int rc = lt_parse_double(text, &want);
        enum lt_hj212_vk k = kind[0] == 'Z' ? LT_VK_ZSAVG : LT_VK_RTD;
        const struct lt_hj212_item *it = &msg.item[0];
        if (rc == 0) {
            if (!((it->has >> k) & 1) || memcmp(&it->v[k], &want, sizeof(want)) != 0)
                fail_msg("\"%s\": parser %.17g (has %u), lt_parse_double %.17g", num, it->v[k],
                         it->has, want);
        } else {
            assert_int_equal(it->has, 0);
        }
    }
#undef RND
}

static void test_parse_rejects(void **state)
{
    (void)state;
    /* Impossible dates and times (14 and 17 digits). */
    assert_int_equal(parse_str("CN=2011;CP=&&DataTime=20160230000000&&"), LT_EPARSE);
    assert_int_equal(parse_str("CN=2011;CP=&&DataTime=20160229000000&&"), 0);
    assert_int_equal(parse_str("CN=2011;CP=&&DataTime=20150229000000&&"), LT_EPARSE);
    assert_int_equal(parse_str("CN=2011;CP=&&DataTime=20161301000000&&"), LT_EPARSE);
    assert_int_equal(parse_str("CN=2011;CP=&&DataTime=20160101240000&&"), LT_EPARSE);
    assert_int_equal(parse_str("CN=2011;CP=&&DataTime=20160101006000000&&"), LT_EPARSE);
    assert_int_equal(parse_str("CN=2011;CP=&&DataTime=2016010100000&&"), LT_EPARSE);
    assert_int_equal(parse_str("CN=2011;CP=&&DataTime=201601010000000&&"), LT_EPARSE);
    assert_int_equal(parse_str("CN=2011;CP=&&DataTime=20160101000000999&&"), 0);
    assert_int_equal(msg.data_time, 1451577600); /* 2016-01-01 00:00 Beijing */
    assert_int_equal(parse_str("CN=1012;CP=&&SystemTime=2016010100000x&&"), LT_EPARSE);
    assert_int_equal(parse_str("CN=2011;CP=&&a-SampleTime=20160431000000&&"), LT_EPARSE);
    /* N-typed keys must be numbers (vector 77: "3O"). */
    struct lt_diag d = {0};
    const char *s = "CN=1062;CP=&&RtdInterval=3O&&";
    assert_int_equal(lt_hj212_parse((const uint8_t *)s, strlen(s), &msg, &d), LT_EPARSE);
    assert_int_equal(d.offset, 25);
    assert_non_null(strstr(d.msg, "3O"));
    assert_int_equal(parse_str("CN=9012;CP=&&ExeRtn=x&&"), LT_EPARSE);
    /* A piece without '='. */
    assert_int_equal(parse_str("CN=2011;CP=&&a-Rtd=1;junk&&"), LT_EPARSE);
    /* Over the item and key limits. */
    char big[8192];
    size_t n = (size_t)snprintf(big, sizeof(big), "CN=2011;CP=&&");
    for (int i = 0; i < LT_HJ212_ITEMS_MAX + 1; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "f%d-Rtd=1;", i);
    snprintf(big + n - 1, sizeof(big) - n + 1, "&&");
    assert_int_equal(parse_str(big), LT_EPARSE);
    n = (size_t)snprintf(big, sizeof(big), "CN=2011;CP=&&");
    for (int i = 0; i < LT_HJ212_KV_MAX + 1; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "K%d=1;", i);
    snprintf(big + n - 1, sizeof(big) - n + 1, "&&");
    assert_int_equal(parse_str(big), LT_EPARSE);
}

static void test_classify(void **state)
{
    (void)state;
    const struct {
        const char *seg;
        enum lt_hj212_class c;
    } t[] = {
        {"CN=9015;CP=&&&&", LT_HJ212_C_HEARTBEAT},
        {"CN=8013;CP=&&HeartbeatTime=120&&", LT_HJ212_C_HEARTBEAT},
        {"CN=9021;CP=&&&&", LT_HJ212_C_HEARTBEAT},
        {"CN=1013;CP=&&&&", LT_HJ212_C_NOTIFY},
        {"CN=9011;CP=&&QnRtn=1&&", LT_HJ212_C_REPLY},
        {"CN=9012;CP=&&ExeRtn=1&&", LT_HJ212_C_REPLY},
        {"CN=9013;CP=&&&&", LT_HJ212_C_REPLY},
        {"CN=9014;CP=&&&&", LT_HJ212_C_REPLY},
        {"CN=2011;CP=&&a-Rtd=1&&", LT_HJ212_C_DATA},
        {"CN=2061;CP=&&a-Avg=1&&", LT_HJ212_C_DATA},
        {"CN=2011;CP=&&&&", LT_HJ212_C_OTHER},
        {"CN=1062;CP=&&RtdInterval=30&&", LT_HJ212_C_OTHER},
        {"CN=3020;CP=&&i11001-Info=//x//&&", LT_HJ212_C_OTHER},
        {"CN=x;CP=&&&&", LT_HJ212_C_OTHER},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_int_equal(parse_str(t[i].seg), 0);
        assert_int_equal(lt_hj212_classify(&msg), t[i].c);
    }
}

/* ---- building: replies and commands -------------------------------------------------------- */

/* A built frame must come back out of the framer as one frame with the standard CRC. */
static void reframe(const char *fr, size_t n, const char *want_seg)
{
    struct evs e;
    run_new(fr, n, 1024, 0, &e);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.kind[0], LT_HJ212_EV_FRAME);
    assert_int_equal(e.crc[0], LT_CRC_HJ212);
    assert_int_equal(e.seg_len[0], strlen(want_seg));
    assert_memory_equal(e.seg[0], want_seg, strlen(want_seg));
}

static void test_replies(void **state)
{
    (void)state;
    char out[512];
    /* 9014 to vector 9 (2017, Flag=5) is vector 10 (in uppercase). */
    assert_int_equal(
        parse_str("QN=20201015123632010;ST=80;CN=2011;PW=123456;MN=410183160889201000212505;"
                  "Flag=5;CP=&&DataTime=20201015123000;100000-Ia=401.400&&"),
        0);
    size_t n = lt_hj212_reply_data_ack(&msg, out, sizeof(out));
    const char *v10 = "##0087QN=20201015123632010;ST=91;CN=9014;PW=123456;"
                      "MN=410183160889201000212505;Flag=4;CP=&&&&F001\r\n";
    assert_int_equal(n, strlen(v10));
    assert_memory_equal(out, v10, n);
    n = lt_hj212_reply_notify_ack(&msg, out, sizeof(out));
    reframe(out, n,
            "QN=20201015123632010;ST=91;CN=9013;PW=123456;MN=410183160889201000212505;Flag=4;"
            "CP=&&&&");
    n = lt_hj212_reply_qnrtn(&msg, 1, out, sizeof(out));
    reframe(out, n,
            "QN=20201015123632010;ST=91;CN=9011;PW=123456;MN=410183160889201000212505;Flag=4;"
            "CP=&&QnRtn=1&&");
    n = lt_hj212_reply_exertn(&msg, 100, out, sizeof(out));
    reframe(out, n,
            "QN=20201015123632010;ST=91;CN=9012;PW=123456;MN=410183160889201000212505;Flag=4;"
            "CP=&&ExeRtn=100&&");
    assert_int_equal(lt_hj212_reply_qnrtn(&msg, 10, out, sizeof(out)), 0);
    assert_int_equal(lt_hj212_reply_exertn(&msg, 7, out, sizeof(out)), 0);
    assert_int_equal(lt_hj212_reply_data_ack(&msg, out, 50), 0);
    /* 2025 sender (Flag=9): version bits kept, A cleared. */
    assert_int_equal(parse_str("QN=1;ST=31;CN=9015;PW=1;MN=M;Flag=9;CP=&&&&"), 0);
    n = lt_hj212_reply_notify_ack(&msg, out, sizeof(out));
    reframe(out, n, "QN=1;ST=91;CN=9013;PW=1;MN=M;Flag=8;CP=&&&&");
    /* 2005 sender with a QN (vector 46): the QN goes inside CP, Flag=0 (2016 captures). */
    assert_int_equal(parse_str("QN=20160823235559979;ST=32;CN=2072;PW=123456;MN=ZG130182201401;"
                               "Flag=1;CP=&&AlarmTime=20160823235559;B01-Ala=16.00,AlarmType=1&&"),
                     0);
    n = lt_hj212_reply_qnrtn(&msg, 1, out, sizeof(out));
    reframe(out, n,
            "ST=91;CN=9011;PW=123456;MN=ZG130182201401;Flag=0;CP=&&QN=20160823235559979;QnRtn=1&&");
    n = lt_hj212_reply_data_ack(&msg, out, sizeof(out));
    reframe(out, n, "ST=91;CN=9014;PW=123456;MN=ZG130182201401;Flag=0;CP=&&QN=20160823235559979&&");
    /* 2005 sender without QN. */
    assert_int_equal(parse_str("ST=32;CN=2011;PW=123456;MN=LD1;CP=&&a-Rtd=1&&"), 0);
    n = lt_hj212_reply_data_ack(&msg, out, sizeof(out));
    reframe(out, n, "ST=91;CN=9014;PW=123456;MN=LD1;Flag=0;CP=&&&&");
}

static void test_commands(void **state)
{
    (void)state;
    char out[512];
    struct lt_hj212_target t = {LT_HJ212_V2017, "32", "100000", "010000A8900016F000169DC0"};
    const int64_t qn_ms = 1470013137223; /* 2016-08-01 08:58:57.223 Beijing */
    char qn[24];
    lt_hj212_qn(qn_ms, qn, sizeof(qn));
    assert_string_equal(qn, "20160801085857223");
    lt_hj212_qn(-1, qn, sizeof(qn));
    assert_string_equal(qn, "19700101075959999");
    lt_hj212_qn(1798732799999, qn, sizeof(qn)); /* the last millisecond of 2026, Beijing */
    assert_string_equal(qn, "20261231235959999");
    lt_hj212_qn(qn_ms, qn, 9); /* a short buffer gets the start, terminated, like snprintf */
    assert_string_equal(qn, "20160801");
    /* The Appendix A example is a 1062 command: rebuilt byte for byte. */
    size_t n = lt_hj212_cmd_set_interval(&t, 1062, qn_ms, 30, out, sizeof(out));
    assert_int_equal(n, strlen(V0));
    assert_memory_equal(out, V0, n);
    assert_int_equal(lt_hj212_cmd_set_interval(&t, 1062, qn_ms, 29, out, sizeof(out)), 0);
    assert_int_equal(lt_hj212_cmd_set_interval(&t, 1062, qn_ms, 3601, out, sizeof(out)), 0);
    assert_true(lt_hj212_cmd_set_interval(&t, 1062, qn_ms, 3600, out, sizeof(out)) > 0);
    const int ok[] = {1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30};
    for (int v = -1; v <= 61; v++) {
        bool want = false;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
            want = want || ok[i] == v;
        n = lt_hj212_cmd_set_interval(&t, 1064, qn_ms, v, out, sizeof(out));
        assert_int_equal(n > 0, want);
    }
    n = lt_hj212_cmd_set_interval(&t, 1064, qn_ms, 10, out, sizeof(out));
    reframe(out, n,
            "QN=20160801085857223;ST=32;CN=1064;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
            "CP=&&MinInterval=10&&");
    assert_int_equal(lt_hj212_cmd_set_interval(&t, 1063, qn_ms, 10, out, sizeof(out)), 0);
    /* Table C.21 (vector 53) with PW 123456. */
    t.pw = "123456";
    int64_t h8 = 1470009600; /* 2016-08-01 08:00 Beijing */
    n = lt_hj212_cmd_history(&t, 2061, qn_ms, h8, h8, out, sizeof(out));
    const char *v53 =
        "##0134QN=20160801085857223;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;"
        "Flag=5;CP=&&BeginTime=20160801080000;EndTime=20160801080000&&7EC0\r\n";
    assert_int_equal(n, strlen(v53));
    assert_memory_equal(out, v53, n);
    assert_int_equal(lt_hj212_cmd_history(&t, 2061, qn_ms, h8 + 1, h8, out, sizeof(out)), 0);
    assert_int_equal(lt_hj212_cmd_history(&t, 2011, qn_ms, h8, h8, out, sizeof(out)), 0);
    assert_true(lt_hj212_cmd_history(&t, 2031, qn_ms, h8, h8, out, sizeof(out)) > 0);
    assert_true(lt_hj212_cmd_history(&t, 2051, qn_ms, h8, h8, out, sizeof(out)) > 0);
    /* 1012 set time, re-parsed. */
    t.version = LT_HJ212_V2005;
    n = lt_hj212_cmd_set_time(&t, qn_ms, 1471970297, out, sizeof(out));
    reframe(out, n,
            "QN=20160801085857223;ST=32;CN=1012;PW=123456;MN=010000A8900016F000169DC0;Flag=1;"
            "CP=&&SystemTime=20160824003817&&");
    struct lt_diag d = {0};
    assert_int_equal(lt_hj212_parse((const uint8_t *)out + 6, n - 12, &msg, &d), 0);
    assert_true(lt_str_eq(lt_hj212_kv(&msg, "SystemTime"), "20160824003817"));
    /* Values that would break the grammar are refused; so is a buffer too small. */
    t.mn = "A;B";
    assert_int_equal(lt_hj212_cmd_set_time(&t, qn_ms, 0, out, sizeof(out)), 0);
    t.mn = "M";
    assert_int_equal(lt_hj212_cmd_set_time(&t, qn_ms, 0, out, 20), 0);
    assert_int_equal(lt_hj212_cmd_set_time(NULL, qn_ms, 0, out, sizeof(out)), 0);
}

/* ---- factor table -------------------------------------------------------------------------- */

static void test_factor_table(void **state)
{
    (void)state;
    size_t len;
    char *csv = read_all(LT_SHARED_DIR "/data/hj212/factor_codes_2017.csv", &len);
    assert_non_null(csv);
    char *line = strchr(csv, '\n') + 1; /* header */
    size_t i = 0;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        if (ll && line[ll - 1] == '\r')
            ll--;
        struct lt_str f[8];
        struct lt_diag d = {0};
        int nf = lt_csv_split((struct lt_str){line, ll}, f, 8, &d);
        assert_int_equal(nf, 6);
        const struct lt_hj212_factor *x = lt_hj212_factor_at(i);
        assert_non_null(x);
        assert_true(lt_str_eq(f[0], x->code2017));
        assert_true(lt_str_eq(f[1], x->name_zh));
        assert_true(lt_str_eq(f[2], "--") ? x->code2005[0] == '\0' : lt_str_eq(f[2], x->code2005));
        assert_true(lt_str_eq(f[3], x->unit));
        i++;
        line = nl ? nl + 1 : NULL;
    }
    free(csv);
    assert_int_equal(i, 184);
    /* a05024 (O3, HJ 524) is the one addition. */
    assert_int_equal(lt_hj212_factor_count(), 185);
    assert_string_equal(lt_hj212_factor_at(184)->code2017, "a05024");
    assert_null(lt_hj212_factor_at(185));
    assert_string_equal(lt_hj212_factor_find(LT_STR_LIT("a21026"))->code2005, "02");
    assert_string_equal(lt_hj212_factor_find(LT_STR_LIT("B02"))->code2017, "a00000");
    assert_string_equal(lt_hj212_factor_find(LT_STR_LIT("011"))->code2017, "w01018");
    assert_non_null(lt_hj212_factor_find(LT_STR_LIT("a05024")));
    assert_null(lt_hj212_factor_find(LT_STR_LIT("a99999")));
    assert_null(lt_hj212_factor_find(LT_STR_LIT("")));
}

/* ---- all shared vectors -------------------------------------------------------------------- */

static void test_vectors(void **state)
{
    (void)state;
    size_t vl, xl;
    char *vec = read_all(LT_SHARED_DIR "/data/hj212/vectors.jsonl", &vl);
    char *exp = read_all(LT_TEST_DATA "/hj212_vectors_expected.jsonl", &xl);
    assert_non_null(vec);
    assert_non_null(exp);
    char *vline = vec, *xline = exp;
    static char raw[4096], buf[4096];
    struct evs *e = malloc(sizeof(*e));
    assert_non_null(e);
    int count = 0, accepted = 0, rejected = 0;
    while (vline && *vline && xline && *xline) {
        char *vn = strchr(vline, '\n'), *xn = strchr(xline, '\n');
        if (vn)
            *vn = '\0';
        if (xn)
            *xn = '\0';
        long rl = jget(vline, "raw", raw, sizeof(raw));
        assert_true(rl > 0);
        assert_int_equal(jint(xline, "i"), count);
        run_new(raw, (size_t)rl, LT_HJ212_FRAME_MAX, 0, e);
        char acc[8];
        jget(xline, "accept", acc, sizeof(acc));
        char reason[32] = "";
        jget(xline, "reason", reason, sizeof(reason));
        print_message("vector %d: %s %s\n", count, acc, reason);
        if (!strcmp(reason, "glued")) {
            /* Two frames in one read: the stream yields both. */
            assert_int_equal(e->n, (int)jint(xline, "frames"));
            for (int k = 0; k < e->n; k++)
                assert_int_equal(e->kind[k], LT_HJ212_EV_FRAME);
            rejected++;
        } else if (!strcmp(acc, "false") && strcmp(reason, "syntax") != 0) {
            /* Rejected by the framer: one chunk covering every byte, with the reason. */
            assert_int_equal(e->n, 1);
            assert_int_equal(e->kind[0], LT_HJ212_EV_REJECT);
            assert_string_equal(lt_hj212_reject_name((enum lt_hj212_reject)e->reason[0]), reason);
            assert_int_equal(e->off[0], 0);
            assert_int_equal(e->len[0], (size_t)rl);
            if (jget(xline, "crc_any", buf, sizeof(buf)) > 0) {
                struct evs *a = malloc(sizeof(*a));
                assert_non_null(a);
                run_new(raw, (size_t)rl, LT_HJ212_FRAME_MAX, 7, a);
                assert_int_equal(a->n, 1);
                if (!strcmp(buf, "none")) {
                    assert_int_equal(a->reason[0], LT_HJ212_R_CRC);
                } else {
                    assert_int_equal(a->kind[0], LT_HJ212_EV_FRAME);
                    assert_string_equal(crc_name(a->crc[0]), buf);
                }
                free(a);
            }
            rejected++;
        } else {
            assert_int_equal(e->n, 1);
            assert_int_equal(e->kind[0], LT_HJ212_EV_FRAME);
            assert_int_equal(e->len[0], (size_t)rl);
            struct lt_diag d = {0};
            int rc = lt_hj212_parse((const uint8_t *)e->seg[0], e->seg_len[0], &msg, &d);
            if (!strcmp(reason, "syntax")) {
                assert_int_equal(rc, LT_EPARSE);
                assert_true(d.msg[0] != '\0');
                rejected++;
            } else {
                assert_int_equal(rc, 0);
                accepted++;
                assert_int_equal(msg.version, jint(xline, "version"));
                jget(xline, "crc", buf, sizeof(buf));
                assert_string_equal(crc_name(e->crc[0]), buf);
                const char *names[] = {"qn", "st", "cn", "mn"};
                const struct lt_str *vals[] = {&msg.qn, &msg.st, &msg.cn, &msg.mn};
                for (int k = 0; k < 4; k++) {
                    long bl = jget(xline, names[k], buf, sizeof(buf));
                    assert_true(bl >= 0);
                    assert_int_equal(vals[k]->len, (size_t)bl);
                    assert_memory_equal(vals[k]->p, buf, (size_t)bl);
                }
                assert_int_equal(msg.flag, jint(xline, "flag"));
                assert_int_equal(msg.pnum, jint(xline, "pnum"));
                assert_int_equal(msg.pno, jint(xline, "pno"));
                assert_int_equal(msg.nitems, jint(xline, "nitems"));
                assert_int_equal(msg.nkv, jint(xline, "nkv"));
                jget(xline, "class", buf, sizeof(buf));
                assert_string_equal(class_name(lt_hj212_classify(&msg)), buf);
                char el[4][128];
                if (jget(xline, "sample", buf, sizeof(buf)) > 0) {
                    assert_int_equal(jarr(buf, el), 3);
                    int found = 0;
                    for (int k = 0; k < msg.nitems; k++) {
                        if (!lt_str_eq(msg.item[k].code, el[0]))
                            continue;
                        for (int vk = 0; vk < LT_VK_N; vk++)
                            if (!strcmp(lt_hj212_vk_name((enum lt_hj212_vk)vk), el[1])) {
                                assert_true(msg.item[k].has & (1u << vk));
                                assert_true(msg.item[k].v[vk] == strtod(el[2], NULL));
                                found = 1;
                            }
                    }
                    assert_true(found);
                }
                if (jget(xline, "item_flag", buf, sizeof(buf)) > 0) {
                    assert_int_equal(jarr(buf, el), 2);
                    int found = 0;
                    for (int k = 0; k < msg.nitems; k++)
                        if (lt_str_eq(msg.item[k].code, el[0])) {
                            assert_true(lt_str_eq(msg.item[k].flag, el[1]));
                            found = 1;
                        }
                    assert_true(found);
                }
                if (jget(xline, "info", buf, sizeof(buf)) > 0) {
                    assert_int_equal(jarr(buf, el), 2);
                    assert_true(lt_str_eq(msg.item[msg.nitems - 1].code, el[0]));
                    assert_true(lt_str_eq(msg.item[msg.nitems - 1].info, el[1]));
                }
                if (jget(xline, "bad_values", buf, sizeof(buf)) > 0)
                    assert_int_equal(msg.nbad_values, strtol(buf, NULL, 10));
            }
        }
        count++;
        vline = vn ? vn + 1 : NULL;
        xline = xn ? xn + 1 : NULL;
    }
    free(e);
    free(vec);
    free(exp);
    assert_int_equal(count, 91);
    assert_int_equal(accepted, 68);
    assert_int_equal(rejected, 23);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_golden),
        cmocka_unit_test(test_crc_random),
        cmocka_unit_test(test_crc_variants_in_framer),
        cmocka_unit_test(test_split_every_byte),
        cmocka_unit_test(test_glued_and_resync),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_long_segments),
        cmocka_unit_test(test_bad_frames_reason_offset),
        cmocka_unit_test(test_lenient_length),
        cmocka_unit_test(test_back_pressure),
        cmocka_unit_test(test_parse_header),
        cmocka_unit_test(test_parse_cp),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_factor_table),
        cmocka_unit_test(test_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

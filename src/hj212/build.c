/* lantian — building HJ 212 frames: the framing itself, QN, replies to devices and host commands.
 */
#include <stdio.h>
#include <string.h>

#include "lantian/hj212.h"

#include "hj212/hj212_internal.h"

/* HJ 212-2017 6.3.1, Table 2: "##" + 4-digit zero-padded segment length + segment + 4 uppercase
 * hex digits of the Appendix A CRC of the segment + CR LF. */
size_t lt_hj212_frame(const char *seg, size_t seg_len, char *out, size_t cap)
{
    if (seg_len > LT_HJ212_SEG_MAX || cap < seg_len + 12)
        return 0;
    static const char hex[] = "0123456789ABCDEF";
    uint16_t crc = lt_hj212_crc((const uint8_t *)seg, seg_len);
    memmove(out + 6, seg, seg_len); /* seg may already sit at out + 6 */
    out[0] = '#';
    out[1] = '#';
    size_t l = seg_len;
    for (int i = 5; i >= 2; i--) {
        out[i] = (char)('0' + l % 10);
        l /= 10;
    }
    char *c = out + 6 + seg_len;
    c[0] = hex[crc >> 12];
    c[1] = hex[(crc >> 8) & 15];
    c[2] = hex[(crc >> 4) & 15];
    c[3] = hex[crc & 15];
    c[4] = '\r';
    c[5] = '\n';
    return seg_len + 12;
}

/* v as exactly w decimal digits (0 <= v < 10^w) at p. Without printf: a QN is built for every
 * reply the server sends and every acknowledgement the simulator checks. */
static void digits(char *p, int w, long v)
{
    for (int i = w - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* HJ 212-2017 6.3.2, Table 3: QN = YYYYMMDDhhmmsszzz, Beijing time with milliseconds. */
void lt_hj212_qn(int64_t utc_ms, char *buf, size_t cap)
{
    int64_t bj = utc_ms + (int64_t)LT_BJ_OFFSET_S * 1000;
    int64_t day = bj / 86400000;
    int64_t ms = bj % 86400000;
    if (ms < 0) {
        ms += 86400000;
        day--;
    }
    int y, mo, d;
    lt_civil_from_days((int32_t)day, &y, &mo, &d);
    if (y < 0 || y > 9999) { /* not a QN any device sends; kept as printf would write it */
        snprintf(buf, cap, "%04d%02d%02d%02d%02d%02d%03d", y, mo, d, (int)(ms / 3600000),
                 (int)(ms / 60000 % 60), (int)(ms / 1000 % 60), (int)(ms % 1000));
        return;
    }
    char t[18];
    digits(t, 4, y);
    digits(t + 4, 2, mo);
    digits(t + 6, 2, d);
    digits(t + 8, 2, (long)(ms / 3600000));
    digits(t + 10, 2, (long)(ms / 60000 % 60));
    digits(t + 12, 2, (long)(ms / 1000 % 60));
    digits(t + 14, 3, (long)(ms % 1000));
    t[17] = '\0';
    if (cap) {
        size_t n = cap - 1 < 17 ? cap - 1 : 17; /* truncated like snprintf */
        memcpy(buf, t, n);
        buf[n] = '\0';
    }
}

/* Bounded segment writer: once anything does not fit, the whole build fails. */
struct seg {
    char b[1100];
    size_t n;
    bool bad;
};

static void put(struct seg *s, const char *p, size_t n)
{
    if (s->bad || s->n + n > sizeof(s->b) || n > LT_HJ212_SEG_MAX) {
        s->bad = true;
        return;
    }
    memcpy(s->b + s->n, p, n);
    s->n += n;
}

static void puts_(struct seg *s, const char *p)
{
    put(s, p, strlen(p));
}

static void putl(struct seg *s, struct lt_str v)
{
    put(s, v.p ? v.p : "", v.p ? v.len : 0);
}

static void puti(struct seg *s, long long v)
{
    char t[24];
    size_t k = sizeof t;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        t[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        t[--k] = '-';
    put(s, t + k, sizeof t - k);
}

static void put_time(struct seg *s, int64_t utc)
{
    char t[20];
    lt_hj212_qn(utc * 1000, t, sizeof(t));
    put(s, t, 14); /* YYYYMMDDhhmmss */
}

static size_t finish(struct seg *s, char *out, size_t cap)
{
    if (s->bad)
        return 0;
    return lt_hj212_frame(s->b, s->n, out, cap);
}

static int version_bits(enum lt_hj212_version v)
{
    /* HJ 212-2017 Table 3: Flag bits V5..V0 = 000000 (2005), 000001 (2017), 000010 (2025). */
    switch (v) {
    case LT_HJ212_V2017:
        return 1 << 2;
    case LT_HJ212_V2025:
        return 2 << 2;
    default:
        return 0;
    }
}

/* Replies (HJ 212-2017 6.5 and Appendix C, Tables C.1-C.14): ST=91, the message's QN, PW and MN,
 * Flag = the sender's version bits with A = 0 (an answer asks for no answer). HJ/T 212-2005
 * replies carry the request's QN inside CP (CP=&&QN=...;QnRtn=1&&, 2016 captures). */
static size_t reply(const struct lt_hj212_msg *m, const char *cn, const char *key, int val,
                    char *out, size_t cap)
{
    struct seg s = {.n = 0, .bad = false};
    bool qn_in_cp = m->version == LT_HJ212_V2005;
    if (!qn_in_cp && m->qn.len) {
        puts_(&s, "QN=");
        putl(&s, m->qn);
        puts_(&s, ";");
    }
    puts_(&s, "ST=91;CN=");
    puts_(&s, cn);
    puts_(&s, ";PW=");
    putl(&s, m->pw);
    puts_(&s, ";MN=");
    putl(&s, m->mn);
    puts_(&s, ";Flag=");
    puti(&s, version_bits(m->version));
    puts_(&s, ";CP=&&");
    bool sep = false;
    if (qn_in_cp && m->qn.len) {
        puts_(&s, "QN=");
        putl(&s, m->qn);
        sep = true;
    }
    if (key) {
        if (sep)
            puts_(&s, ";");
        puts_(&s, key);
        puts_(&s, "=");
        puti(&s, val);
    }
    puts_(&s, "&&");
    return finish(&s, out, cap);
}

size_t lt_hj212_reply_data_ack(const struct lt_hj212_msg *m, char *out, size_t cap)
{
    return reply(m, "9014", NULL, 0, out, cap);
}

size_t lt_hj212_reply_notify_ack(const struct lt_hj212_msg *m, char *out, size_t cap)
{
    return reply(m, "9013", NULL, 0, out, cap);
}

size_t lt_hj212_reply_qnrtn(const struct lt_hj212_msg *m, int qnrtn, char *out, size_t cap)
{
    /* HJ 212-2017 Table 7: QnRtn 1..9, 100. */
    if (!((qnrtn >= 1 && qnrtn <= 9) || qnrtn == 100))
        return 0;
    return reply(m, "9011", "QnRtn", qnrtn, out, cap);
}

size_t lt_hj212_reply_exertn(const struct lt_hj212_msg *m, int exertn, char *out, size_t cap)
{
    /* HJ 212-2017 Table 6: ExeRtn 1..6, 100. */
    if (!((exertn >= 1 && exertn <= 6) || exertn == 100))
        return 0;
    return reply(m, "9012", "ExeRtn", exertn, out, cap);
}

/* A header value must not break the field grammar (';', '=', '&', ',', CR, LF, NUL). */
static bool field_ok(const char *v, size_t max)
{
    if (!v)
        return false;
    size_t n = strlen(v);
    if (n > max)
        return false;
    return strcspn(v, ";=&,\r\n") == n;
}

/* Header of a host command: QN, ST, CN, PW, MN, Flag = version bits | A (HJ 212-2017 6.5: a host
 * request asks for a QnRtn answer, Table C.1 "Flag=5"). */
static bool cmd_head(struct seg *s, const struct lt_hj212_target *t, int cn, int64_t qn_ms)
{
    if (!t || !field_ok(t->st, 3) || !field_ok(t->pw, 64) || !field_ok(t->mn, 64) || !*t->st)
        return false;
    char qn[24];
    lt_hj212_qn(qn_ms, qn, sizeof(qn));
    puts_(s, "QN=");
    puts_(s, qn);
    puts_(s, ";ST=");
    puts_(s, t->st);
    puts_(s, ";CN=");
    puti(s, cn);
    puts_(s, ";PW=");
    puts_(s, t->pw);
    puts_(s, ";MN=");
    puts_(s, t->mn);
    puts_(s, ";Flag=");
    puti(s, version_bits(t->version) | 1);
    puts_(s, ";CP=&&");
    return true;
}

size_t lt_hj212_cmd_set_time(const struct lt_hj212_target *t, int64_t qn_ms, int64_t set_utc,
                             char *out, size_t cap)
{
    /* HJ 212-2017 Table C.3: CN=1012, CP=&&SystemTime=YYYYMMDDhhmmss&& (Beijing time). */
    struct seg s = {.n = 0, .bad = false};
    if (!cmd_head(&s, t, 1012, qn_ms))
        return 0;
    puts_(&s, "SystemTime=");
    put_time(&s, set_utc);
    puts_(&s, "&&");
    return finish(&s, out, cap);
}

size_t lt_hj212_cmd_history(const struct lt_hj212_target *t, int cn, int64_t qn_ms,
                            int64_t begin_utc, int64_t end_utc, char *out, size_t cap)
{
    /* HJ 212-2017 Tables C.21-C.23: 2031 daily, 2051 minute, 2061 hourly history with
     * CP=&&BeginTime=...;EndTime=...&& (Beijing time, N14); begin must not follow end. */
    if ((cn != 2031 && cn != 2051 && cn != 2061) || begin_utc > end_utc)
        return 0;
    struct seg s = {.n = 0, .bad = false};
    if (!cmd_head(&s, t, cn, qn_ms))
        return 0;
    puts_(&s, "BeginTime=");
    put_time(&s, begin_utc);
    puts_(&s, ";EndTime=");
    put_time(&s, end_utc);
    puts_(&s, "&&");
    return finish(&s, out, cap);
}

size_t lt_hj212_cmd_set_interval(const struct lt_hj212_target *t, int cn, int64_t qn_ms, int value,
                                 char *out, size_t cap)
{
    const char *key;
    if (cn == 1062) {
        /* HJ 212-2017 Table 4 and C.6: RtdInterval in seconds, 30 <= n <= 3600. */
        if (value < 30 || value > 3600)
            return 0;
        key = "RtdInterval=";
    } else if (cn == 1064) {
        /* HJ 212-2017 Table 4 and C.8: MinInterval in minutes, a divisor of 60 from 1 to 30. */
        if (value < 1 || value > 30 || 60 % value != 0)
            return 0;
        key = "MinInterval=";
    } else {
        return 0;
    }
    struct seg s = {.n = 0, .bad = false};
    if (!cmd_head(&s, t, cn, qn_ms))
        return 0;
    puts_(&s, key);
    puti(&s, value);
    puts_(&s, "&&");
    return finish(&s, out, cap);
}

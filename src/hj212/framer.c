/* lantian — HJ 212 stream framer: finds frames in a connection's byte stream, checks length,
 * CRC and trailer, and reports every rejected chunk with its reason and stream offset.
 *
 * Frame (HJ 212-2017 6.3.1, Table 2): "##" | 4-digit length of the data segment | data segment |
 * 4 hex digits of CRC over the data segment only | CR LF. The standard limits the segment to 1024
 * bytes; real devices send up to the 9999 the field allows, so the only limit here is the cap.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lantian/hj212.h"

#include "hj212/hj212_internal.h"

#define LT__HDR 6 /* "##" + LLLL */

const char *lt_hj212_reject_name(enum lt_hj212_reject r)
{
    switch (r) {
    case LT_HJ212_R_GARBAGE:
        return "garbage";
    case LT_HJ212_R_LENGTH:
        return "length";
    case LT_HJ212_R_TOO_LONG:
        return "too_long";
    case LT_HJ212_R_TRAILER:
        return "trailer";
    case LT_HJ212_R_CRC_FORMAT:
        return "crc_format";
    case LT_HJ212_R_CRC:
        return "crc";
    case LT_HJ212_R_SYNTAX:
        return "syntax";
    case LT_HJ212_R_N:
        break;
    }
    return "unknown";
}

int lt_hj212_framer_init(struct lt_hj212_framer *f, size_t cap, unsigned crc_mask)
{
    memset(f, 0, sizeof(*f));
    if (cap < 16)
        return LT_EINVAL;
    f->buf = malloc(cap);
    if (!f->buf)
        return LT_ENOMEM;
    f->cap = cap;
    f->crc_mask = crc_mask ? crc_mask : LT_CRC_MASK_STD;
    return 0;
}

void lt_hj212_framer_release(struct lt_hj212_framer *f)
{
    if (!f)
        return;
    free(f->buf);
    f->buf = NULL;
    f->cap = f->start = f->len = 0;
}

size_t lt_hj212_framer_room(const struct lt_hj212_framer *f)
{
    return f->cap - f->len;
}

size_t lt_hj212_framer_feed(struct lt_hj212_framer *f, const uint8_t *p, size_t n)
{
    size_t room = f->cap - f->len;
    if (n > room)
        n = room;
    if (n == 0)
        return 0;
    /* Compact only when the tail has no room: the bytes of the last event stay where they were
     * until here, which is what keeps ev->raw valid until the next feed. */
    if (f->start + f->len + n > f->cap) {
        memmove(f->buf, f->buf + f->start, f->len);
        f->start = 0;
    }
    memcpy(f->buf + f->start + f->len, p, n);
    f->len += n;
    return n;
}

/* Does the CRC field c[0..4) match the segment under one of the accepted variants? Returns 1 and
 * sets *kind on a match, 0 on a mismatch, -1 when the field is not 4 hex digits. */
static int check_crc(const struct lt_hj212_framer *f, const uint8_t *seg, size_t seg_len,
                     const uint8_t *c, enum lt_hj212_crc_kind *kind, bool *lower, uint16_t *sent,
                     uint16_t *calc)
{
    int v = 0;
    bool low = false;
    for (int i = 0; i < 4; i++) {
        int h = lt__hj212_hex(c[i]);
        if (h < 0)
            return -1;
        if (c[i] >= 'a')
            low = true;
        v = v * 16 + h;
    }
    *sent = (uint16_t)v;
    *lower = low;
    uint16_t hj = 0;
    bool have_hj = false;
    if (f->crc_mask & (1u << LT_CRC_HJ212)) {
        hj = lt_hj212_crc(seg, seg_len);
        have_hj = true;
        if (hj == v) {
            *kind = LT_CRC_HJ212;
            *calc = hj;
            return 1;
        }
    }
    if (f->crc_mask & ((1u << LT_CRC_MODBUS) | (1u << LT_CRC_MODBUS_LE))) {
        uint16_t m = lt_hj212_crc_modbus(seg, seg_len);
        if ((f->crc_mask & (1u << LT_CRC_MODBUS)) && m == v) {
            *kind = LT_CRC_MODBUS;
            *calc = m;
            return 1;
        }
        uint16_t le = (uint16_t)((m >> 8) | (m << 8));
        if ((f->crc_mask & (1u << LT_CRC_MODBUS_LE)) && le == v) {
            *kind = LT_CRC_MODBUS_LE;
            *calc = le;
            return 1;
        }
        if (!have_hj)
            hj = m;
    }
    *calc = hj;
    return 0;
}

/* Fill ev with a chunk of k bytes at the buffer's start and consume it. */
static int emit(struct lt_hj212_framer *f, struct lt_hj212_event *ev, enum lt_hj212_event_kind kind,
                size_t k)
{
    ev->kind = kind;
    ev->raw = f->buf + f->start;
    ev->raw_len = k;
    ev->offset = f->offset;
    f->start += k;
    f->len -= k;
    f->offset += k;
    if (f->len == 0)
        f->start = 0; /* the bytes stay in place until the next feed */
    return 1;
}

static int reject(struct lt_hj212_framer *f, struct lt_hj212_event *ev, enum lt_hj212_reject r,
                  size_t k, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static int reject(struct lt_hj212_framer *f, struct lt_hj212_event *ev, enum lt_hj212_reject r,
                  size_t k, const char *fmt, ...)
{
    /* Bytes after a frame header too long for the cap are the rest of that frame, not garbage. */
    if (r == LT_HJ212_R_GARBAGE && f->offset < f->toolong_end)
        r = LT_HJ212_R_TOO_LONG;
    ev->reason = r;
    ev->seg = NULL;
    ev->seg_len = 0;
    ev->len_fallback = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->msg, sizeof(ev->msg), fmt, ap);
    va_end(ap);
    f->rejects[r]++;
    return emit(f, ev, LT_HJ212_EV_REJECT, k);
}

/* The length field does not lead to "CRC CR LF": find where the chunk really ends. A CR LF before
 * the next "##" ends it (HJ 212-2017 6.3.1 puts CR LF only at a frame's end); with
 * lenient_length a chunk whose last four bytes before CR LF are a matching CRC of a segment that
 * ends in "&&" and has as many UTF-8 characters as the length field says is accepted (senders
 * that count characters instead of UTF-8 bytes, notes §6.2). Anything else is a TRAILER reject. */
static int fallback(struct lt_hj212_framer *f, struct lt_hj212_event *ev, size_t seg_field, long hh,
                    bool final)
{
    const uint8_t *p = f->buf + f->start;
    size_t n = f->len;
    size_t end = hh >= 0 ? (size_t)hh : n;
    size_t bound = LT__HDR + LT_HJ212_SEG_MAX + 6;
    if (end > bound)
        end = bound;
    const uint8_t *cr = NULL;
    for (size_t i = LT__HDR; i + 1 < end; i++) {
        const uint8_t *q = memchr(p + i, '\r', end - 1 - i);
        if (!q)
            break;
        if (q[1] == '\n') {
            cr = q;
            break;
        }
        i = (size_t)(q - p);
    }
    if (cr) {
        size_t c = (size_t)(cr - p);
        size_t chunk = c + 2;
        if (c >= LT__HDR + 4) {
            size_t seg_len = c - 4 - LT__HDR;
            enum lt_hj212_crc_kind kind = LT_CRC_HJ212;
            bool lower = false;
            uint16_t sent = 0, calc = 0;
            int ok = check_crc(f, p + LT__HDR, seg_len, p + c - 4, &kind, &lower, &sent, &calc);
            bool amp = seg_len >= 2 && p[c - 6] == '&' && p[c - 5] == '&';
            /* The guard: the length field must equal the segment's count of UTF-8 characters,
             * which is exactly what a sender using String.length() writes. */
            size_t chars = 0;
            for (size_t j = 0; j < seg_len; j++)
                chars += (p[LT__HDR + j] & 0xC0) != 0x80;
            if (ok == 1 && amp && f->lenient_length && chars == seg_field) {
                ev->seg = p + LT__HDR;
                ev->seg_len = seg_len;
                ev->crc_kind = kind;
                ev->crc_lower = lower;
                ev->len_fallback = true;
                snprintf(ev->msg, sizeof(ev->msg),
                         "length field says %zu bytes but CR LF ends a %zu-byte segment whose CRC "
                         "matches; accepted",
                         seg_field, seg_len);
                f->frames++;
                return emit(f, ev, LT_HJ212_EV_FRAME, chunk);
            }
            return reject(f, ev, LT_HJ212_R_TRAILER, chunk,
                          "length field says %zu bytes but the first CR LF ends a %zu-byte "
                          "segment%s",
                          seg_field, seg_len,
                          ok == 1 ? (amp ? " (its CRC matches: length counted wrongly)"
                                         : " (its CRC matches but CP lacks the closing &&)")
                                  : " and its CRC does not match either");
        }
        return reject(f, ev, LT_HJ212_R_TRAILER, chunk,
                      "length field says %zu bytes but CR LF follows after %zu bytes", seg_field,
                      c - LT__HDR);
    }
    if (hh >= 0)
        return reject(f, ev, LT_HJ212_R_TRAILER, (size_t)hh,
                      "length field says %zu bytes but a new \"##\" starts after %zu bytes, with "
                      "no CR LF before it",
                      seg_field, (size_t)hh);
    if (final || f->len == f->cap || n >= bound)
        return reject(f, ev, LT_HJ212_R_TRAILER, n,
                      "length field says %zu bytes (frame of %zu) but the %s after %zu bytes "
                      "without CR LF",
                      seg_field, seg_field + 12, final ? "stream ended" : "buffer filled", n);
    return 0;
}

static int next(struct lt_hj212_framer *f, struct lt_hj212_event *ev, bool final)
{
    const uint8_t *p = f->buf + f->start;
    size_t n = f->len;
    if (n == 0)
        return 0;
    bool full = f->len == f->cap;
    /* Byte-by-byte resynchronisation: a frame can start at any offset, even or odd. */
    if (!(p[0] == '#' && (n < 2 || p[1] == '#'))) {
        long k = lt__hj212_find_hh(p, 1, n);
        if (k > 0)
            return reject(f, ev, LT_HJ212_R_GARBAGE, (size_t)k,
                          "%zu bytes that are not a frame before the next \"##\"", (size_t)k);
        /* A lone '#' at the end may begin the next header: keep it unless nothing more comes. */
        size_t g = (!final && p[n - 1] == '#') ? n - 1 : n;
        if ((final || full) && g > 0)
            return reject(f, ev, LT_HJ212_R_GARBAGE, g, "%zu bytes that are not a frame", g);
        return 0;
    }
    if (n < 2)
        return final ? reject(f, ev, LT_HJ212_R_GARBAGE, n, "a lone '#' at the end of stream") : 0;
    /* HJ 212-2017 6.3.1, Table 2: the length is 4 decimal digits, zero-padded. */
    size_t seg_field = 0;
    size_t have = n < LT__HDR ? n : LT__HDR;
    for (size_t i = 2; i < have; i++) {
        if (p[i] < '0' || p[i] > '9') {
            long k = lt__hj212_find_hh(p, 1, n);
            if (k < 0 && !final && !full)
                return 0; /* wait for the next "##" to know where this chunk ends */
            size_t chunk = k > 0 ? (size_t)k : n;
            if (chunk == 1) /* "###": the first '#' is garbage before a header */
                return reject(f, ev, LT_HJ212_R_GARBAGE, 1, "a stray '#' before \"##\"");
            return reject(f, ev, LT_HJ212_R_LENGTH, chunk,
                          "\"##\" is not followed by a 4-digit length (byte %zu is 0x%02X)", i,
                          p[i]);
        }
        seg_field = seg_field * 10 + (size_t)(p[i] - '0');
    }
    if (n < LT__HDR)
        return final
                   ? reject(f, ev, LT_HJ212_R_LENGTH, n, "the stream ended inside the length field")
                   : 0;
    size_t total = seg_field + 12;
    if (total > f->cap) {
        long k = lt__hj212_find_hh(p, 2, n);
        if (k < 0 && !final && !full)
            return 0;
        if (f->offset + total > f->toolong_end)
            f->toolong_end = f->offset + total;
        size_t chunk = k > 0 ? (size_t)k : n;
        return reject(f, ev, LT_HJ212_R_TOO_LONG, chunk,
                      "a frame of %zu bytes does not fit the %zu-byte buffer", total, f->cap);
    }
    size_t lim = n < total ? n : total;
    /* A data segment never contains "##" (notes §9.2): one inside the claimed extent shows that
     * the length is wrong, without waiting for bytes that may never come. */
    long hh = lt__hj212_find_hh(p, LT__HDR, lim);
    if (hh < 0 && n < total)
        return final ? fallback(f, ev, seg_field, -1, true) : 0;
    if (hh >= 0 || p[total - 2] != '\r' || p[total - 1] != '\n')
        return fallback(f, ev, seg_field, hh >= 0 ? hh : lt__hj212_find_hh(p, LT__HDR, n), final);
    enum lt_hj212_crc_kind kind = LT_CRC_HJ212;
    bool lower = false;
    uint16_t sent = 0, calc = 0;
    int ok =
        check_crc(f, p + LT__HDR, seg_field, p + LT__HDR + seg_field, &kind, &lower, &sent, &calc);
    if (ok < 0)
        return reject(f, ev, LT_HJ212_R_CRC_FORMAT, total,
                      "CRC field \"%c%c%c%c\" is not 4 hex digits", p[total - 6], p[total - 5],
                      p[total - 4], p[total - 3]);
    if (ok == 0)
        return reject(f, ev, LT_HJ212_R_CRC, total,
                      "CRC %04X sent, %04X computed over the %zu-byte data segment", sent, calc,
                      seg_field);
    ev->seg = p + LT__HDR;
    ev->seg_len = seg_field;
    ev->crc_kind = kind;
    ev->crc_lower = lower;
    ev->len_fallback = false;
    ev->msg[0] = '\0';
    f->frames++;
    return emit(f, ev, LT_HJ212_EV_FRAME, total);
}

int lt_hj212_framer_next(struct lt_hj212_framer *f, struct lt_hj212_event *ev)
{
    return next(f, ev, false);
}

int lt_hj212_framer_finish(struct lt_hj212_framer *f, struct lt_hj212_event *ev)
{
    return next(f, ev, true);
}

/* lantian — HJ 212 codec (HJ/T 212-2005, HJ 212-2017, HJ 212-2025): bytes in, frames out.
 *
 * Pure: no I/O, no clock, no globals. A framer belongs to one connection and is not thread-safe;
 * everything else is reentrant. Frames are byte strings: they may contain NUL bytes and are never
 * treated as C strings.
 *
 * Frame (HJ 212-2017 6.3.1, Table 2): "##" + 4-digit data-segment length + data segment + 4 hex
 * CRC of the data segment + CR LF. Real devices send segments longer than the standard's 1024
 * (up to the 9999 the length field allows), lowercase CRCs, Modbus CRCs and garbage between frames.
 */
#ifndef LANTIAN_HJ212_H
#define LANTIAN_HJ212_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lantian/common.h"
#include "lantian/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LT_HJ212_SEG_MAX   9999                    /* the 4-digit length field's limit */
#define LT_HJ212_FRAME_MAX (LT_HJ212_SEG_MAX + 12) /* "##" LLLL seg CRC4 CRLF */

/* ---- CRC ----------------------------------------------------------------------------------- */

/* HJ 212-2017 Appendix A (the same algorithm in 2005): R = 0xFFFF; per byte R = (R >> 8) ^ b, then
 * 8 times: lsb = R & 1, R >>= 1, if lsb R ^= 0xA001. Written high byte first. NOT CRC-16/MODBUS. */
uint16_t lt_hj212_crc(const uint8_t *p, size_t n);
/* CRC-16/MODBUS (R ^= b, then the 8 shifts), which some loggers send instead. */
uint16_t lt_hj212_crc_modbus(const uint8_t *p, size_t n);

enum lt_hj212_crc_kind {
    LT_CRC_HJ212 = 0,     /* the standard's */
    LT_CRC_MODBUS = 1,    /* CRC-16/MODBUS written high byte first */
    LT_CRC_MODBUS_LE = 2, /* CRC-16/MODBUS written low byte first (seen in the wild) */
    LT_CRC_KIND_N
};
#define LT_CRC_MASK_STD (1u << LT_CRC_HJ212)

/* ---- framing ------------------------------------------------------------------------------- */

enum lt_hj212_reject {
    LT_HJ212_R_GARBAGE = 1, /* bytes before a "##" that start no frame */
    LT_HJ212_R_LENGTH,      /* length field not 4 digits */
    LT_HJ212_R_TOO_LONG,    /* a frame that cannot fit the connection's buffer cap */
    LT_HJ212_R_TRAILER,     /* no CR LF where the length says the frame ends */
    LT_HJ212_R_CRC_FORMAT,  /* CRC field not 4 hex digits */
    LT_HJ212_R_CRC,         /* CRC mismatch (for every variant accepted) */
    LT_HJ212_R_SYNTAX,      /* frame ok, data segment unparseable (from lt_hj212_parse) */
    LT_HJ212_R_N
};
/* Stable short names ("garbage", "length", "too_long", "trailer", "crc_format", "crc", "syntax").
 */
const char *lt_hj212_reject_name(enum lt_hj212_reject r);

enum lt_hj212_event_kind { LT_HJ212_EV_FRAME = 1, LT_HJ212_EV_REJECT = 2 };

struct lt_hj212_event {
    enum lt_hj212_event_kind kind;
    const uint8_t *raw; /* the frame's (or rejected chunk's) bytes, inside the framer buffer */
    size_t raw_len;
    const uint8_t *seg; /* FRAME: the data segment */
    size_t seg_len;
    enum lt_hj212_crc_kind crc_kind; /* FRAME: which CRC variant matched */
    bool crc_lower;                  /* FRAME: the CRC was written in lowercase hex */
    enum lt_hj212_reject reason;     /* REJECT */
    uint64_t offset;                 /* byte offset of raw in the connection's stream */
    char msg[128];                   /* REJECT: a sentence a person understands */
    bool len_fallback; /* FRAME: accepted by the lenient_length fallback (length field off) */
};

/* Per-connection framer with a buffer capped at creation. */
struct lt_hj212_framer {
    uint8_t *buf;
    size_t cap, start, len; /* valid bytes are buf[start .. start+len) */
    unsigned crc_mask;      /* CRC variants accepted (bit per lt_hj212_crc_kind) */
    uint64_t offset;        /* stream offset of buf[start] */
    uint64_t frames, rejects[LT_HJ212_R_N];
    /* Off by default (strict framing). When set, a chunk whose length field is off but that ends
     * in "CRC CR LF" with a matching CRC over a segment ending in "&&", whose count of UTF-8
     * characters equals the length field, is accepted as a FRAME with len_fallback set (senders
     * that count characters, not UTF-8 bytes: notes §6.2). */
    bool lenient_length;
    uint64_t toolong_end; /* stream offset where the last frame too long for the cap ends */
};

/* cap is the buffer size (>= LT_HJ212_FRAME_MAX recommended; smaller caps reject longer frames
 * with LT_HJ212_R_TOO_LONG). crc_mask 0 means LT_CRC_MASK_STD. LT_ENOMEM on failure. */
int lt_hj212_framer_init(struct lt_hj212_framer *f, size_t cap, unsigned crc_mask);
void lt_hj212_framer_release(struct lt_hj212_framer *f);
/* Room for more bytes now (the caller reads at most this much: back-pressure). */
size_t lt_hj212_framer_room(const struct lt_hj212_framer *f);
/* Append bytes; returns how many were taken (less than n only when the buffer is full: call
 * lt_hj212_framer_next until it returns 0, then feed the rest). */
size_t lt_hj212_framer_feed(struct lt_hj212_framer *f, const uint8_t *p, size_t n);
/* The next event, or 0 when more bytes are needed. Pointers in ev stay valid until the next call
 * to feed or next. Resynchronises byte by byte after garbage or a bad frame. */
int lt_hj212_framer_next(struct lt_hj212_framer *f, struct lt_hj212_event *ev);
/* At end of stream: what is left (an incomplete frame) as a REJECT event; 0 when nothing. Call it
 * until it returns 0: the rest may hold several chunks (garbage, then a truncated frame). */
int lt_hj212_framer_finish(struct lt_hj212_framer *f, struct lt_hj212_event *ev);

/* ---- parsing ------------------------------------------------------------------------------- */

enum lt_hj212_version { LT_HJ212_V2005 = 2005, LT_HJ212_V2017 = 2017, LT_HJ212_V2025 = 2025 };

/* Per-factor value kinds (HJ 212-2017 Table 4 suffixes). */
enum lt_hj212_vk {
    LT_VK_RTD = 0,
    LT_VK_MIN,
    LT_VK_AVG,
    LT_VK_MAX,
    LT_VK_COU,
    LT_VK_ZSRTD,
    LT_VK_ZSMIN,
    LT_VK_ZSAVG,
    LT_VK_ZSMAX,
    LT_VK_ZSCOU,
    LT_VK_N
};
const char *lt_hj212_vk_name(enum lt_hj212_vk k); /* "Rtd", "Min", ... */

#define LT_HJ212_ITEMS_MAX 128
#define LT_HJ212_KV_MAX    32

struct lt_hj212_item {
    struct lt_str code; /* factor code as sent ("a34004", "01", "B02", "SB1") */
    double v[LT_VK_N];  /* values; valid where (has >> kind) & 1 */
    unsigned has;
    struct lt_str flag;   /* -Flag (data flag: N F M S D C T B; 2005: P ... 0-3), "" if none */
    struct lt_str eflag;  /* -EFlag */
    int64_t sample_time;  /* -SampleTime, UTC seconds; 0 when absent */
    struct lt_str rs, rt; /* -RS (run state), -RT (run time) for SBxxx items */
    struct lt_str info;   /* -Info text (opaque, may be //...//) */
    struct lt_str other;  /* first unrecognised "-Suffix=value" (kept, not an error) */
    struct lt_str pol_id; /* the CP's last PolId before this item (for i...-Info log items) */
};

struct lt_hj212_msg {
    enum lt_hj212_version version;
    struct lt_str qn, st, cn, pw, mn; /* as sent; "" when absent (2005 frames may lack QN/Flag) */
    int flag;                         /* -1 when absent */
    int pnum, pno;                    /* -1 when absent */
    int cn_num;                       /* CN as a number, -1 if not numeric */
    bool ack_requested;               /* Flag bit A */
    struct lt_str cp;                 /* the CP body between "&&" and "&&" */
    bool has_data_time;
    int64_t data_time; /* DataTime (Beijing time in the frame) as UTC seconds */
    int nitems;
    struct lt_hj212_item item[LT_HJ212_ITEMS_MAX];
    int nkv; /* CP keys that are not per-factor (QnRtn, ExeRtn, BeginTime, ...) */
    struct lt_str kv_key[LT_HJ212_KV_MAX], kv_val[LT_HJ212_KV_MAX];
    int nbad_values; /* factor values that were not numbers (kept out of v[]) */
};

/* Parse a data segment (from a FRAME event). Fields are found by name, in any order, case-
 * insensitively for the header names (FLAG=0 is seen); CP is taken up to the segment's end, so
 * "&&" inside a //...// log text is fine. Version from the Flag version bits (none: 2005).
 * Slices point into seg. LT_EPARSE with d->offset = byte offset in seg on malformed input. */
int lt_hj212_parse(const uint8_t *seg, size_t len, struct lt_hj212_msg *m, struct lt_diag *d);

/* Find a non-factor CP key (e.g. "QnRtn"); NULL slice .p when absent. */
struct lt_str lt_hj212_kv(const struct lt_hj212_msg *m, const char *key);

/* ---- what a message is, and the replies ------------------------------------------------------ */

enum lt_hj212_class {
    LT_HJ212_C_DATA = 1,  /* 2011/2051/2061/2031/2041/... uploads with values */
    LT_HJ212_C_HEARTBEAT, /* 9015 (2025; also vendor 9015 in 2005 traffic), 8013, 9021 */
    LT_HJ212_C_NOTIFY,    /* field notification (e.g. 1013 time-calibration request) */
    LT_HJ212_C_REPLY,     /* 9011/9012/9013/9014 from the field */
    LT_HJ212_C_OTHER      /* anything else (kept in the raw archive, not stored as data) */
};
enum lt_hj212_class lt_hj212_classify(const struct lt_hj212_msg *m);

/* Wrap a data segment into a frame: "##" LLLL seg CRC CRLF. Returns the frame length, or 0 when
 * cap is too small or seg is longer than LT_HJ212_SEG_MAX. */
size_t lt_hj212_frame(const char *seg, size_t seg_len, char *out, size_t cap);

/* Format a Beijing-time QN "YYYYMMDDhhmmsszzz" for UTC milliseconds (buf >= 18). */
void lt_hj212_qn(int64_t utc_ms, char *buf, size_t cap);

/* Replies to a received message (full frames into out; return the length, 0 if it does not fit).
 * They answer with ST=91, the message's QN (2005 senders without QN: QN inside CP), MN and PW,
 * and Flag = the sender's version bits with A = 0. */
size_t lt_hj212_reply_data_ack(const struct lt_hj212_msg *m, char *out, size_t cap);   /* 9014 */
size_t lt_hj212_reply_notify_ack(const struct lt_hj212_msg *m, char *out, size_t cap); /* 9013 */
size_t lt_hj212_reply_qnrtn(const struct lt_hj212_msg *m, int qnrtn, char *out,
                            size_t cap); /* 9011 */
size_t lt_hj212_reply_exertn(const struct lt_hj212_msg *m, int exertn, char *out,
                             size_t cap); /* 9012 */

/* Host commands to a device. version selects the Flag bits; qn_ms the QN (UTC ms). */
struct lt_hj212_target {
    enum lt_hj212_version version;
    const char *st, *pw, *mn;
};
/* 1012 set time (SystemTime = set_utc in Beijing time). */
size_t lt_hj212_cmd_set_time(const struct lt_hj212_target *t, int64_t qn_ms, int64_t set_utc,
                             char *out, size_t cap);
/* 2031 / 2051 / 2061 history request with BeginTime and EndTime (UTC seconds, sent as Beijing). */
size_t lt_hj212_cmd_history(const struct lt_hj212_target *t, int cn, int64_t qn_ms,
                            int64_t begin_utc, int64_t end_utc, char *out, size_t cap);
/* 1062 RtdInterval (s, 30..3600) / 1064 MinInterval (min, 1,2,3,4,5,6,10,12,15,20,30). */
size_t lt_hj212_cmd_set_interval(const struct lt_hj212_target *t, int cn, int64_t qn_ms, int value,
                                 char *out, size_t cap);

/* ---- factor codes ---------------------------------------------------------------------------- */

struct lt_hj212_factor {
    const char *code2017; /* "a21026" */
    const char *code2005; /* "02", "" when none */
    const char *name_zh;
    const char *unit; /* default concentration unit as the standard prints it */
};
/* Look a factor up by its 2017 or its 2005 code; NULL when unknown. */
const struct lt_hj212_factor *lt_hj212_factor_find(struct lt_str code);
/* The whole table (HJ 212-2017 Tables B.1 and B.2, plus a05024 O3): count and entry i (NULL when
 * out of range), in the order of factor_codes_2017.csv. */
size_t lt_hj212_factor_count(void);
const struct lt_hj212_factor *lt_hj212_factor_at(size_t i);

#ifdef __cplusplus
}
#endif
#endif

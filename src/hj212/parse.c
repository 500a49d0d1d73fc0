/* lantian — HJ 212 data-segment parser and message classification.
 *
 * Data segment (HJ 212-2017 6.3.2, Table 3): QN=...;ST=..;CN=....;PW=...;MN=...;Flag=..;
 * [PNUM=..;PNO=..;]CP=&&...&&. Fields are found by name, not position: HJ/T 212-2005 frames lack
 * QN and Flag, and real devices write FLAG=0 and stray commas. CP is always the last field, so it
 * runs to the segment's end (a "//...//" log text may contain "&&").
 */
#include <string.h>

#include "lantian/hj212.h"

#include "hj212/hj212_internal.h"

static const char *const vk_names[LT_VK_N] = {"Rtd",   "Min",   "Avg",   "Max",   "Cou",
                                              "ZsRtd", "ZsMin", "ZsAvg", "ZsMax", "ZsCou"};

const char *lt_hj212_vk_name(enum lt_hj212_vk k)
{
    return (unsigned)k < LT_VK_N ? vk_names[k] : "?";
}

/* Byte classes of the CP scanner: one table load per byte instead of a chain of comparisons. */
enum { C_EQ = 1, C_SEP = 2, C_DASH = 4, C_BLANK = 8 };
static const unsigned char cls[256] = {
    ['='] = C_EQ,    [';'] = C_SEP,    [','] = C_SEP,    ['-'] = C_DASH,
    [' '] = C_BLANK, ['\t'] = C_BLANK, ['\r'] = C_BLANK, ['\n'] = C_BLANK};

/* A number, as lt_parse_double reads it. Values of up to 15 digits with an optional sign and
 * point, by far the most common, are converted here the same way lt_parse_double's exact path
 * does (mantissa / 10^decimals, both exact, so the quotient is correctly rounded); anything else
 * goes to lt_parse_double itself. */
static int number(struct lt_str s, double *out)
{
    static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = 0;
    bool neg = false;
    if (s.len && (s.p[0] == '-' || s.p[0] == '+')) {
        neg = s.p[0] == '-';
        i = 1;
    }
    uint64_t mant = 0;
    int digits = 0, frac = 0;
    bool dot = false;
    for (; i < s.len; i++) {
        unsigned d = (unsigned)(unsigned char)s.p[i] - '0';
        if (d <= 9) {
            mant = mant * 10 + d;
            digits++;
            frac += dot;
        } else if (s.p[i] == '.' && !dot) {
            dot = true;
        } else {
            return lt_parse_double(s, out);
        }
    }
    if (digits == 0 || digits > 15)
        return lt_parse_double(s, out);
    double v = (double)mant;
    if (frac)
        v /= p10[frac];
    *out = neg ? -v : v;
    if (*out == 0.0)
        *out = 0.0;
    return 0;
}

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline struct lt_str trim(const char *p, size_t n)
{
    /* Nearly always nothing to trim: one class test per end. */
    if (n && !((cls[(unsigned char)p[0]] | cls[(unsigned char)p[n - 1]]) & C_BLANK))
        return (struct lt_str){p, n};
    while (n && is_blank(*p)) {
        p++;
        n--;
    }
    while (n && is_blank(p[n - 1]))
        n--;
    return (struct lt_str){p, n};
}

/* Exact comparison of a slice with a literal of known length. */
static inline bool eq(struct lt_str s, const char *lit, size_t n)
{
    return s.len == n && memcmp(s.p, lit, n) == 0;
}

static inline bool ieq(struct lt_str s, const char *lit, size_t n)
{
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((s.p[i] | 0x20) != (lit[i] | 0x20))
            return false;
    return true;
}

/* HJ 212-2017 6.3.3, Table 4: DataTime, SystemTime, ... are "YYYYMMDDhhmmss" (N14) in Beijing time;
 * real loggers add milliseconds (17 digits, 61% of the 2016 captures). */
int lt__hj212_time(const char *p, size_t n, int64_t *utc)
{
    if (n != 14 && n != 17)
        return LT_EPARSE;
    int v[7] = {0};
    static const unsigned char width[7] = {4, 2, 2, 2, 2, 2, 3};
    size_t k = 0;
    for (int f = 0; f < (n == 17 ? 7 : 6); f++) {
        for (int i = 0; i < width[f]; i++, k++) {
            unsigned d = (unsigned)(unsigned char)p[k] - '0';
            if (d > 9)
                return LT_EPARSE;
            v[f] = v[f] * 10 + (int)d;
        }
    }
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > lt_days_in_month(v[0], v[1]) || v[3] > 23 ||
        v[4] > 59 || v[5] > 59)
        return LT_EPARSE;
    *utc = lt_bj_to_utc(lt_days_from_civil(v[0], v[1], v[2]), v[3]) + v[4] * 60 + v[5];
    return 0;
}

/* Small non-negative integer of only digits (Flag, PNUM, PNO, CN). */
static int small_int(struct lt_str s, int max, int *out)
{
    if (s.len == 0 || s.len > 9)
        return LT_EPARSE;
    int v = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned d = (unsigned)(unsigned char)s.p[i] - '0';
        if (d > 9)
            return LT_EPARSE;
        v = v * 10 + (int)d;
    }
    if (v > max)
        return LT_ERANGE;
    *out = v;
    return 0;
}

/* The message is pre + "what" + post. */
static int perr(struct lt_diag *d, const uint8_t *seg, const char *at, const char *pre,
                struct lt_str what, const char *post)
{
    size_t off = (size_t)((const uint8_t *)at - seg);
    if (d) {
        char tmp[64];
        lt_str_copy(tmp, sizeof(tmp), what);
        return lt_diag_set(d, LT_EPARSE, off, "%s\"%s\"%s", pre, tmp, post);
    }
    return LT_EPARSE;
}

/* Header field of the data segment (HJ 212-2017 6.3.2, Table 3). */
static int header_field(struct lt_hj212_msg *m, struct lt_str name, struct lt_str val,
                        const uint8_t *seg, struct lt_diag *d)
{
    switch (name.len) {
    case 2:
        if (ieq(name, "QN", 2))
            m->qn = val;
        else if (ieq(name, "ST", 2))
            m->st = val;
        else if (ieq(name, "CN", 2)) {
            m->cn = val;
            if (small_int(val, 9999, &m->cn_num) < 0)
                m->cn_num = -1;
        } else if (ieq(name, "PW", 2))
            m->pw = val;
        else if (ieq(name, "MN", 2))
            m->mn = val;
        return 0;
    case 3:
        if (ieq(name, "PNO", 3) && small_int(val, 9999, &m->pno) < 0)
            return perr(d, seg, val.p, "PNO ", val, " is not a packet number");
        return 0;
    case 4:
        if (ieq(name, "Flag", 4) && small_int(val, 255, &m->flag) < 0)
            /* HJ 212-2017 Table 3: Flag is an integer 0..255 (bits V5..V0 D A). */
            return perr(d, seg, val.p, "Flag ", val, " is not an integer 0..255");
        if (ieq(name, "PNUM", 4) && small_int(val, 9999, &m->pnum) < 0)
            return perr(d, seg, val.p, "PNUM ", val, " is not a packet count");
        return 0;
    default:
        return 0; /* unknown header fields are kept out of the message, not an error */
    }
}

/* Keys of HJ 212-2017 Table 4 whose values are integers (N2..N4). */
static bool int_key(struct lt_str k)
{
    switch (k.len) {
    case 5:
        return eq(k, "QnRtn", 5);
    case 6:
        return eq(k, "ExeRtn", 6);
    case 7:
        return eq(k, "ReCount", 7);
    case 8:
        return eq(k, "OverTime", 8);
    case 11:
        return eq(k, "RtdInterval", 11) || eq(k, "MinInterval", 11);
    default:
        return false;
    }
}

/* Keys of HJ 212-2017 Table 4 that are N14 time stamps. */
static bool time_key(struct lt_str k)
{
    switch (k.len) {
    case 7:
        return eq(k, "EndTime", 7);
    case 9:
        return eq(k, "BeginTime", 9) || eq(k, "AlarmTime", 9);
    case 10:
        return eq(k, "SystemTime", 10);
    case 11:
        return eq(k, "RestartTime", 11);
    default:
        return false;
    }
}

static int plain_key(struct lt_hj212_msg *m, struct lt_str key, struct lt_str val,
                     struct lt_str *polid, const uint8_t *seg, struct lt_diag *d)
{
    if (key.len == 8 && memcmp(key.p, "DataTime", 8) == 0) {
        if (val.len) {
            if (lt__hj212_time(val.p, val.len, &m->data_time) < 0)
                return perr(d, seg, val.p, "DataTime ", val, " is not a valid Beijing time");
            m->has_data_time = true;
        }
    } else if (key.len == 4 && memcmp(key.p, "Flag", 4) == 0 && m->nitems > 0) {
        /* A bare "Flag=N" after an item (sCair log, notes §3) is that item's data flag. */
        struct lt_hj212_item *it = &m->item[m->nitems - 1];
        if (!it->flag.len)
            it->flag = val;
        return 0;
    } else if (val.len && time_key(key)) {
        int64_t t;
        if (lt__hj212_time(val.p, val.len, &t) < 0)
            return perr(d, seg, val.p, "time ", val, " is not a valid Beijing time");
    } else if (int_key(key)) {
        long long v;
        if (lt_parse_int(val, 0, 99999, &v) < 0)
            /* HJ 212-2017 6.3.3.2.2: N-typed fields hold digits only. */
            return perr(d, seg, val.p, "value ", val, " of a numeric key is not an integer");
    } else if (key.len == 5 && memcmp(key.p, "PolId", 5) == 0) {
        *polid = val;
    }
    if (m->nkv >= LT_HJ212_KV_MAX)
        return perr(d, seg, key.p, "more than 32 plain keys in CP (at ", key, ")");
    m->kv_key[m->nkv] = key;
    m->kv_val[m->nkv] = val;
    m->nkv++;
    return 0;
}

/* Equal bytes; codes are a few bytes long, where a libc memcmp call costs more than the loop. */
static inline bool same(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The item of a factor code: consecutive keys usually share it, so try the last one first. *seen
 * has a bit per hash of the CP's codes so far: a code whose bit is clear is new without a search
 * of the items (the first keys of a frame are mostly new codes). */
static inline struct lt_hj212_item *item_of(struct lt_hj212_msg *m, struct lt_str code,
                                            struct lt_str polid, uint64_t *seen)
{
    uint64_t bit = (uint64_t)1 << (((unsigned char)code.p[0] * 31u +
                                    (unsigned char)code.p[code.len - 1] + (unsigned)code.len * 7u) &
                                   63u);
    if (*seen & bit) {
        for (int i = m->nitems - 1; i >= 0; i--) {
            struct lt_hj212_item *it = &m->item[i];
            if (it->code.len == code.len && same(it->code.p, code.p, code.len))
                return it;
        }
    }
    if (m->nitems >= LT_HJ212_ITEMS_MAX)
        return NULL;
    /* Only the items used are initialised (no memset of the whole array per frame). */
    struct lt_hj212_item *it = &m->item[m->nitems++];
    static const struct lt_str empty = {"", 0};
    *seen |= bit;
    it->code = code;
    it->has = 0;
    it->flag = it->eflag = it->rs = it->rt = it->info = it->other = empty;
    it->pol_id = polid;
    it->sample_time = 0;
    return it;
}

/* Value kind of a suffix (HJ 212-2017 6.3.3, Table 4; -ZsCou is seen in the wild), or -1. */
static inline int value_kind(struct lt_str s)
{
    const char *p = s.p;
    switch (s.len) {
    case 3:
        if (p[0] == 'R' && p[1] == 't' && p[2] == 'd')
            return LT_VK_RTD;
        if (p[0] == 'M' && p[1] == 'i' && p[2] == 'n')
            return LT_VK_MIN;
        if (p[0] == 'A' && p[1] == 'v' && p[2] == 'g')
            return LT_VK_AVG;
        if (p[0] == 'M' && p[1] == 'a' && p[2] == 'x')
            return LT_VK_MAX;
        if (p[0] == 'C' && p[1] == 'o' && p[2] == 'u')
            return LT_VK_COU;
        return -1;
    case 5:
        if (p[0] != 'Z' || p[1] != 's')
            return -1;
        for (int k = LT_VK_RTD; k <= LT_VK_COU; k++)
            if (memcmp(p + 2, vk_names[k], 3) == 0)
                return k + LT_VK_ZSRTD;
        return -1;
    default:
        return -1;
    }
}

static int factor_key(struct lt_hj212_msg *m, struct lt_str key, size_t dash, struct lt_str val,
                      struct lt_str polid, uint64_t *seen, const uint8_t *seg, struct lt_diag *d)
{
    struct lt_str code = {key.p, dash};
    struct lt_str suf = {key.p + dash + 1, key.len - dash - 1};
    struct lt_hj212_item *it = item_of(m, code, polid, seen);
    if (!it)
        return perr(d, seg, key.p, "more than 128 factors in CP (at ", key, ")");
    int k = value_kind(suf);
    if (k >= 0) {
        /* "-" and "" are placeholders for a missing value (they come with flag D or none). */
        if (val.len == 0 || (val.len == 1 && val.p[0] == '-'))
            return 0;
        double v;
        if (number(val, &v) < 0) {
            m->nbad_values++;
            return 0;
        }
        it->v[k] = v;
        it->has |= 1u << k;
        return 0;
    }
    switch (suf.len) {
    case 2:
        if (suf.p[0] == 'R' && suf.p[1] == 'S') {
            it->rs = val;
            return 0;
        }
        if (suf.p[0] == 'R' && suf.p[1] == 'T') {
            it->rt = val;
            return 0;
        }
        break;
    case 4:
        if (memcmp(suf.p, "Flag", 4) == 0) {
            /* 2005 CEMS frames repeat "01-Flag" after 01-ZsRtd: the first one wins. */
            if (!it->flag.len)
                it->flag = val;
            return 0;
        }
        if (memcmp(suf.p, "Info", 4) == 0) {
            it->info = val;
            return 0;
        }
        break;
    case 5:
        if (memcmp(suf.p, "EFlag", 5) == 0) {
            it->eflag = val;
            return 0;
        }
        break;
    case 10:
        if (memcmp(suf.p, "SampleTime", 10) == 0) {
            if (val.len && lt__hj212_time(val.p, val.len, &it->sample_time) < 0)
                return perr(d, seg, val.p, "SampleTime ", val, " is not a valid Beijing time");
            return 0;
        }
        break;
    default:
        break;
    }
    if (!it->other.len)
        it->other = (struct lt_str){suf.p, (size_t)(val.p + val.len - suf.p)};
    return 0;
}

/* Word-at-a-time scanning (portable: the load is a memcpy, the byte order fixed up). */
static inline uint64_t load8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w; /* byte k of the text is bits 8k..8k+7 */
}
#define REP(c) (0x0101010101010101u * (uint64_t)(unsigned char)(c))
/* 0x80 in the bytes of w that are zero; exact up to and including the lowest zero byte (a borrow
 * can only mark bytes above it). */
static inline uint64_t zbytes(uint64_t w)
{
    return (w - REP(1)) & ~w & REP(0x80);
}

/* A factor value converted while it is scanned: an optional sign, 1 to 15 digits and at most one
 * point, up to a separator or the CP's end, nothing else (no blanks): by far the most common
 * form. Converted exactly as number() does. Returns the index of the byte that ends the value, or
 * 0 when the value is anything else (the caller then takes the general path; a value never ends
 * at index 0, which is inside the key). */
static size_t quick_value(const char *p, size_t i, size_t n, double *out)
{
    static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    bool neg = false;
    if (i < n && (p[i] == '-' || p[i] == '+')) {
        neg = p[i] == '-';
        i++;
    }
    size_t ds = i, dot = 0;
    uint64_t mant = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (__builtin_expect(d <= 9, 1)) {
            mant = mant * 10 + d;
        } else if (p[i] == '.' && !dot) {
            dot = i;
        } else {
            break;
        }
    }
    size_t digits = i - ds - (dot != 0);
    if (digits == 0 || digits > 15 || (i < n && !(cls[(unsigned char)p[i]] & C_SEP)))
        return 0;
    double v = (double)mant;
    if (dot && i - dot > 1)
        v /= p10[i - dot - 1];
    /* v is 0 exactly when mant is: "-0.00" gives +0, decided without waiting for the division. */
    *out = neg && mant ? -v : v;
    return i;
}

/* CP data area (HJ 212-2017 6.3.3): "key=value" pieces, sub-fields of one item joined with ',',
 * items with ';'. Real devices use ';' everywhere, so both separate pieces and items are grouped
 * by the factor code before the first '-' (notes §3, "Robust parse"). */
static int parse_cp(struct lt_hj212_msg *m, const char *p, size_t n, const uint8_t *seg,
                    struct lt_diag *d)
{
    struct lt_str polid = {"", 0};
    uint64_t seen = 0; /* see item_of */
    size_t i = 0;
    while (i < n) {
        size_t ks = i, eqp = (size_t)-1, dash = (size_t)-1;
        /* Eight bytes at a time while they are there: keys are about that long, so this finds the
         * key's end (and its first '-') mostly in one step, without a branch per byte. */
        while (i + 8 <= n) {
            uint64_t w = load8(p + i);
            uint64_t stop = zbytes(w ^ REP('=')) | zbytes(w ^ REP(';')) | zbytes(w ^ REP(','));
            uint64_t dm = zbytes(w ^ REP('-'));
            if (stop) {
                /* Both masks are exact at their lowest set byte, which is all that is used. */
                unsigned at = (unsigned)__builtin_ctzll(stop) >> 3;
                dm &= (stop & -stop) - 1;
                if (dm && dash == (size_t)-1)
                    dash = i + ((unsigned)__builtin_ctzll(dm) >> 3);
                i += at;
                break;
            }
            if (dm && dash == (size_t)-1)
                dash = i + ((unsigned)__builtin_ctzll(dm) >> 3);
            i += 8;
        }
        for (; i < n; i++) {
            unsigned c = cls[(unsigned char)p[i]];
            if (c & (C_EQ | C_SEP))
                break;
            if ((c & C_DASH) && dash == (size_t)-1)
                dash = i;
        }
        if (i == n || p[i] != '=') {
            struct lt_str junk = trim(p + ks, i - ks);
            if (junk.len)
                return perr(d, seg, p + ks, "CP piece ", junk, " has no '='");
            i++;
            continue;
        }
        eqp = i++;
        size_t vs = i;
        /* The common case: an untrimmed factor key "code-Kind" and a plain decimal value. */
        if (dash != (size_t)-1 && dash > ks && !(cls[(unsigned char)p[ks]] & C_BLANK)) {
            int k = value_kind((struct lt_str){p + dash + 1, eqp - dash - 1});
            double v;
            size_t e;
            if (k >= 0 && (e = quick_value(p, vs, n, &v)) != 0) {
                struct lt_hj212_item *it =
                    item_of(m, (struct lt_str){p + ks, dash - ks}, polid, &seen);
                if (!it)
                    return perr(d, seg, p + ks, "more than 128 factors in CP (at ",
                                (struct lt_str){p + ks, eqp - ks}, ")");
                it->v[k] = v;
                it->has |= 1u << k;
                i = e + 1;
                continue;
            }
            /* "code-Flag=N": a one-byte flag, what factor_key does for it, without the detour. */
            if (eqp - dash == 5 && memcmp(p + dash + 1, "Flag", 4) == 0 && vs < n &&
                !(cls[(unsigned char)p[vs]] & (C_SEP | C_BLANK | C_EQ)) && p[vs] != '/' &&
                (vs + 1 == n || (cls[(unsigned char)p[vs + 1]] & C_SEP))) {
                struct lt_hj212_item *it =
                    item_of(m, (struct lt_str){p + ks, dash - ks}, polid, &seen);
                if (!it)
                    return perr(d, seg, p + ks, "more than 128 factors in CP (at ",
                                (struct lt_str){p + ks, eqp - ks}, ")");
                if (!it->flag.len)
                    it->flag = (struct lt_str){p + vs, 1};
                i = vs + 2;
                continue;
            }
        }
        if (i + 1 < n && p[i] == '/' && p[i + 1] == '/') {
            /* HJ 212-2017 Table B.10: log text sits between "//" and may hold ';', ',', '=' and
             * "&&": opaque up to the closing "//". */
            const char *c = NULL;
            for (size_t j = i + 2; j + 1 < n; j++)
                if (p[j] == '/' && p[j + 1] == '/') {
                    c = p + j;
                    break;
                }
            i = c ? (size_t)(c - p) + 2 : n;
        }
        while (i < n && !(cls[(unsigned char)p[i]] & C_SEP))
            i++;
        struct lt_str key = trim(p + ks, eqp - ks);
        struct lt_str val = trim(p + vs, i - vs);
        i++;
        if (dash != (size_t)-1 && key.len && dash > (size_t)(key.p - p) &&
            dash < (size_t)(key.p - p) + key.len) {
            int rc = factor_key(m, key, dash - (size_t)(key.p - p), val, polid, &seen, seg, d);
            if (rc < 0)
                return rc;
        } else if (key.len) {
            int rc = plain_key(m, key, val, &polid, seg, d);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int lt_hj212_parse(const uint8_t *seg, size_t len, struct lt_hj212_msg *m, struct lt_diag *d)
{
    static const struct lt_str empty = {"", 0};
    const char *p = (const char *)seg;
    m->version = LT_HJ212_V2005;
    m->qn = m->st = m->cn = m->pw = m->mn = m->cp = empty;
    m->flag = m->pnum = m->pno = m->cn_num = -1;
    m->ack_requested = false;
    m->has_data_time = false;
    m->data_time = 0;
    m->nitems = m->nkv = m->nbad_values = 0;
    size_t i = 0;
    bool have_cp = false;
    while (i < len) {
        /* Stray separators and blanks between fields (";,MN=" is seen) are skipped. */
        while (i < len && (p[i] == ';' || p[i] == ',' || is_blank(p[i])))
            i++;
        if (i >= len)
            break;
        if (i + 3 <= len && (p[i] | 0x20) == 'c' && (p[i + 1] | 0x20) == 'p' && p[i + 2] == '=') {
            /* HJ 212-2017 6.3.2, Table 3: CP=&&...&& is the last field; its body ends two bytes
             * before the segment's end, whatever "&&" the body holds. */
            size_t bs = i + 5;
            if (bs > len - 2 || p[i + 3] != '&' || p[i + 4] != '&' || p[len - 2] != '&' ||
                p[len - 1] != '&')
                return perr(d, seg, p + i, "CP field ", (struct lt_str){p + i, len - i},
                            " is not enclosed in \"&&\"");
            m->cp = (struct lt_str){p + bs, len - 2 - bs};
            have_cp = true;
            break;
        }
        size_t fs = i;
        const char *semi = memchr(p + i, ';', len - i);
        size_t fe = semi ? (size_t)(semi - p) : len;
        const char *eqs = memchr(p + fs, '=', fe - fs);
        if (!eqs)
            return perr(d, seg, p + fs, "header field ", (struct lt_str){p + fs, fe - fs},
                        " has no '='");
        struct lt_str name = trim(p + fs, (size_t)(eqs - p) - fs);
        struct lt_str val = {eqs + 1, fe - (size_t)(eqs + 1 - p)};
        int rc = header_field(m, name, val, seg, d);
        if (rc < 0)
            return rc;
        i = fe + 1;
    }
    if (!have_cp)
        return lt_diag_set(d, LT_EPARSE, len, "the data segment has no CP=&&...&& field");
    if (m->flag >= 0) {
        /* HJ 212-2017 Table 3: Flag = V5..V0 D A; version 000000 is HJ/T 212-2005, 000001 is
         * HJ 212-2017, 000010 is HJ 212-2025 (caoyiliang/HJ212 Enum.cs). */
        int v = m->flag >> 2;
        if (v == 0)
            m->version = LT_HJ212_V2005;
        else if (v == 1)
            m->version = LT_HJ212_V2017;
        else if (v == 2)
            m->version = LT_HJ212_V2025;
        else
            return lt_diag_set(d, LT_EPARSE, 0,
                               "Flag=%d has version bits %d, which name no known edition", m->flag,
                               v);
        m->ack_requested = (m->flag & 1) != 0;
    }
    return parse_cp(m, m->cp.p, m->cp.len, seg, d);
}

struct lt_str lt_hj212_kv(const struct lt_hj212_msg *m, const char *key)
{
    size_t n = strlen(key);
    for (int i = 0; i < m->nkv; i++)
        if (m->kv_key[i].len == n && memcmp(m->kv_key[i].p, key, n) == 0)
            return m->kv_val[i];
    return (struct lt_str){NULL, 0};
}

enum lt_hj212_class lt_hj212_classify(const struct lt_hj212_msg *m)
{
    switch (m->cn_num) {
    case 9015: /* HJ 212-2025 heartbeat; the same CN as a vendor keep-alive in 2005 traffic */
    case 8013: /* vendor heartbeat (HeartbeatTime=120, 2016 captures) */
    case 9021: /* vendor heartbeat/login (HJ212Virtual logs) */
        return LT_HJ212_C_HEARTBEAT;
    case 1013: /* HJ 212-2017 Table 9: field time-calibration request, a notification */
        return LT_HJ212_C_NOTIFY;
    case 9011: /* HJ 212-2017 Table 9: request answer, execution result, notification and */
    case 9012: /* data answers */
    case 9013:
    case 9014:
        return LT_HJ212_C_REPLY;
    default:
        break;
    }
    /* HJ 212-2017 6.6.5, Table 9: 2000-2999 are data commands; an upload carries values. A host
     * history request (BeginTime/EndTime) or an empty CP under a data CN carries none. */
    if (m->cn_num >= 2000 && m->cn_num <= 2999 && m->nitems > 0)
        return LT_HJ212_C_DATA;
    return LT_HJ212_C_OTHER;
}

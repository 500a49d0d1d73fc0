/* lantian — HJ 212 CRC (HJ 212-2017 Appendix A) and the CRC-16/MODBUS variant some loggers send.
 */
#include <string.h>

#include "lantian/hj212.h"

#include "hj212/crc_tables.h"

/* HJ 212-2017 Appendix A (normative; unchanged from HJ/T 212-2005): R = 0xFFFF; for each data
 * segment byte b, taken unsigned, R = (R >> 8) ^ b, then eight times: lsb = R & 1, R >>= 1,
 * if lsb then R ^= 0xA001. Because R >> 8 has an empty high byte, the eight shifts of the
 * register are exactly the CRC-16/ARC table step: R = T[(R >> 8) ^ b].
 *
 * Only the high byte of R survives into the next step, and it evolves linearly over GF(2):
 * s' = H(s ^ b) with H(x) = T[x] >> 8. Folding sixteen bytes at once,
 *   s16 = H^16(s ^ b0) ^ H^15(b1) ^ ... ^ H^1(b15),
 * needs one table load on the dependency chain per sixteen bytes instead of sixteen, and the
 * other fifteen loads run in parallel (folding eight, the chain was still the bound). The bytes
 * are taken from two 8-byte loads. The last byte goes through T itself for the full 16-bit value.
 * tests/unit/test_hj212.c checks this against the bitwise form of Appendix A. */
_Static_assert(sizeof(lt__crc_p) / sizeof(lt__crc_p[0]) == 16,
               "crc_tables.h must hold H^1..H^16 (scripts/gen_hj212_crc.py, 16 folds)");

static inline uint64_t load8(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w; /* byte k is bits 8k..8k+7 */
}

#define B(w, k) (((w) >> (8 * (k))) & 0xFF)

uint16_t lt_hj212_crc(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0xFFFF;
    unsigned s = 0xFF; /* high byte of R = 0xFFFF */
    size_t i = 0, body = n - 1;
    for (; i + 16 <= body; i += 16) {
        uint64_t a = load8(p + i), b = load8(p + i + 8);
        s = (unsigned)lt__crc_p[15][(s ^ a) & 0xFF] ^ lt__crc_p[14][B(a, 1)] ^
            lt__crc_p[13][B(a, 2)] ^ lt__crc_p[12][B(a, 3)] ^ lt__crc_p[11][B(a, 4)] ^
            lt__crc_p[10][B(a, 5)] ^ lt__crc_p[9][B(a, 6)] ^ lt__crc_p[8][B(a, 7)] ^
            lt__crc_p[7][B(b, 0)] ^ lt__crc_p[6][B(b, 1)] ^ lt__crc_p[5][B(b, 2)] ^
            lt__crc_p[4][B(b, 3)] ^ lt__crc_p[3][B(b, 4)] ^ lt__crc_p[2][B(b, 5)] ^
            lt__crc_p[1][B(b, 6)] ^ lt__crc_p[0][B(b, 7)];
    }
    if (i + 8 <= body) {
        uint64_t a = load8(p + i);
        s = (unsigned)lt__crc_p[7][(s ^ a) & 0xFF] ^ lt__crc_p[6][B(a, 1)] ^ lt__crc_p[5][B(a, 2)] ^
            lt__crc_p[4][B(a, 3)] ^ lt__crc_p[3][B(a, 4)] ^ lt__crc_p[2][B(a, 5)] ^
            lt__crc_p[1][B(a, 6)] ^ lt__crc_p[0][B(a, 7)];
        i += 8;
    }
    for (; i < body; i++)
        s = lt__crc_p[0][s ^ p[i]];
    return lt__crc_t[s ^ p[body]];
}

/* CRC-16/MODBUS: R = 0xFFFF; R ^= b, then the same eight shifts (table form below). It is NOT
 * what HJ 212-2017 Appendix A specifies, but real loggers send it (notes §1.3). */
uint16_t lt_hj212_crc_modbus(const uint8_t *p, size_t n)
{
    uint16_t r = 0xFFFF;
    for (size_t i = 0; i < n; i++)
        r = (uint16_t)((r >> 8) ^ lt__crc_t[(r ^ p[i]) & 0xFF]);
    return r;
}

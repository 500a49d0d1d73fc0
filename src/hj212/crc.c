/* lantian — HJ 212 CRC (HJ 212-2017 Appendix A) and the CRC-16/MODBUS variant some loggers send.
 */
#include "lantian/hj212.h"

#include "hj212/crc_tables.h"

/* HJ 212-2017 Appendix A (normative; unchanged from HJ/T 212-2005): R = 0xFFFF; for each data
 * segment byte b, taken unsigned, R = (R >> 8) ^ b, then eight times: lsb = R & 1, R >>= 1,
 * if lsb then R ^= 0xA001. Because R >> 8 has an empty high byte, the eight shifts of the
 * register are exactly the CRC-16/ARC table step: R = T[(R >> 8) ^ b].
 *
 * Only the high byte of R survives into the next step, and it evolves linearly over GF(2):
 * s' = H(s ^ b) with H(x) = T[x] >> 8. Folding eight bytes at once,
 *   s8 = H^8(s ^ b0) ^ H^7(b1) ^ ... ^ H^1(b7),
 * needs one table load on the dependency chain per eight bytes instead of eight, and the other
 * seven loads run in parallel. The last byte goes through T itself for the full 16-bit value.
 * tests/unit/test_hj212.c checks this against the bitwise form of Appendix A. */
uint16_t lt_hj212_crc(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0xFFFF;
    unsigned s = 0xFF; /* high byte of R = 0xFFFF */
    size_t i = 0, body = n - 1;
    for (; i + 8 <= body; i += 8) {
        s = (unsigned)lt__crc_p[7][s ^ p[i]] ^ lt__crc_p[6][p[i + 1]] ^ lt__crc_p[5][p[i + 2]] ^
            lt__crc_p[4][p[i + 3]] ^ lt__crc_p[3][p[i + 4]] ^ lt__crc_p[2][p[i + 5]] ^
            lt__crc_p[1][p[i + 6]] ^ lt__crc_p[0][p[i + 7]];
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

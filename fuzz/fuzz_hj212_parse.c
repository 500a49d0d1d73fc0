/* libFuzzer target: the HJ 212 data-segment parser, classification and the replies built from
 * what it parsed (each reply must frame and parse again). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lantian/hj212.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct lt_hj212_msg m, r;
    struct lt_diag d = {0};
    if (lt_hj212_parse(data, size, &m, &d) < 0) {
        if (d.offset > size)
            __builtin_trap();
        return 0;
    }
    (void)lt_hj212_classify(&m);
    if (m.cp.p < (const char *)data || m.cp.p + m.cp.len > (const char *)data + size)
        __builtin_trap();
    for (int i = 0; i < m.nitems; i++)
        for (int k = 0; k < LT_VK_N; k++)
            if ((m.item[i].has >> k) & 1 && m.item[i].v[k] != m.item[i].v[k])
                __builtin_trap(); /* never NaN */
    (void)lt_hj212_factor_find(m.nitems ? m.item[0].code : m.st);
    static char out[LT_HJ212_FRAME_MAX];
    size_t n = lt_hj212_reply_qnrtn(&m, 1, out, sizeof(out));
    if (n) {
        /* A reply contains what the sender sent; it may not be parseable when those fields hold
         * separators, but when it parses its CN must be 9011. */
        if (n < 12 || out[0] != '#' || out[n - 1] != '\n')
            __builtin_trap();
        if (lt_hj212_parse((const uint8_t *)out + 6, n - 12, &r, NULL) == 0 && r.cn_num != 9011)
            __builtin_trap();
    }
    (void)lt_hj212_reply_data_ack(&m, out, sizeof(out));
    return 0;
}

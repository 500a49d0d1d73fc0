/* libFuzzer target: the HJ 212 stream framer, fed in chunk sizes taken from the input itself so
 * that every split of frames across reads is explored. Checks that events tile the stream (each
 * starts where the previous ended, inside the stream) and that every FRAME has a valid layout. */
#include <stdint.h>
#include <string.h>

#include "lantian/hj212.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t expect;

static void check(const struct lt_hj212_event *ev, uint64_t size)
{
    if (ev->offset != expect || ev->raw_len == 0 || ev->offset + ev->raw_len > size)
        __builtin_trap();
    expect += ev->raw_len;
    if (ev->kind == LT_HJ212_EV_FRAME) {
        if (!ev->len_fallback && ev->seg_len + 12 != ev->raw_len)
            __builtin_trap();
        if (ev->raw[0] != '#' || ev->raw[1] != '#' || ev->raw[ev->raw_len - 1] != '\n')
            __builtin_trap();
        static struct lt_hj212_msg msg;
        struct lt_hj212_msg *m = &msg;
        if (lt_hj212_parse(ev->seg, ev->seg_len, m, NULL) == 0) {
            for (int i = 0; i < m->nitems; i++)
                if (m->item[i].code.p < (const char *)ev->seg ||
                    m->item[i].code.p + m->item[i].code.len > (const char *)ev->seg + ev->seg_len)
                    __builtin_trap();
        }
    } else if (ev->kind != LT_HJ212_EV_REJECT || ev->reason < LT_HJ212_R_GARBAGE ||
               ev->reason >= LT_HJ212_R_N) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* First byte: cap choice and options; second: chunk-size seed. */
    static const size_t caps[4] = {16, 64, 1100, LT_HJ212_FRAME_MAX};
    struct lt_hj212_framer f;
    if (lt_hj212_framer_init(&f, caps[data[0] & 3], (data[0] >> 2) & 7) < 0)
        return 0;
    f.lenient_length = (data[0] >> 5) & 1;
    unsigned seed = data[1];
    data += 2;
    size -= 2;
    expect = 0;
    struct lt_hj212_event ev;
    size_t i = 0;
    while (i < size) {
        seed = seed * 1103515245u + 12345u;
        size_t k = 1 + (seed >> 16) % 97;
        if (k > size - i)
            k = size - i;
        i += lt_hj212_framer_feed(&f, data + i, k);
        while (lt_hj212_framer_next(&f, &ev))
            check(&ev, size);
    }
    while (lt_hj212_framer_finish(&f, &ev))
        check(&ev, size);
    if (expect != size) /* every byte is accounted for */
        __builtin_trap();
    lt_hj212_framer_release(&f);
    return 0;
}

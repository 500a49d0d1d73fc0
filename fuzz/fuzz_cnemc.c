/* libFuzzer target: the CNEMC file reader (all three layouts, plain and gzip) on arbitrary bytes.
 * The reader takes a path, so each input is written to a private temporary file first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/cnemc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_cell(void *ctx, const struct lt_cnemc_cell *c)
{
    long *n = ctx;
    /* Touch what a consumer reads, so a bad slice shows up under ASan. */
    if (c->site.len)
        *n += (unsigned char)c->site.p[c->site.len - 1];
    if (c->text.len)
        *n += (unsigned char)c->text.p[0];
    return 0;
}

static int on_station(void *ctx, const struct lt_cnemc_station *s)
{
    long *n = ctx;
    *n += (long)(s->code.len + s->name.len + s->city.len + s->province.len);
    return 0;
}

static void on_reject(void *ctx, const char *file, long line, const char *reason)
{
    long *n = ctx;
    *n += line + (long)strlen(file) + (long)strlen(reason);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/lt_fuzz_cnemc_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fd);
    long n = 0;
    struct lt_cnemc_handler h = {
        .ctx = &n, .cell = on_cell, .station = on_station, .reject = on_reject};
    struct lt_cnemc_stats st;
    struct lt_diag d = {0};
    (void)lt_cnemc_read(path, &h, &st, &d);
    /* Again with a field mask, which takes the skipping path for wide files. */
    h.fields = 1u << LT_CF_PM25 | 1u << LT_CF_O3;
    (void)lt_cnemc_read(path, &h, &st, &d);
    unlink(path);
    return 0;
}

/* lantian — helpers shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lantian/common.h"

extern const char *const lt_rules_default_ini;
extern const size_t lt_rules_default_ini_len;

void lt_cli_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lantian %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int lt_cli_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int rc = LT_EIO;
    if (!f)
        return LT_EIO;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                rc = LT_ENOMEM;
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) {
            if (ferror(f))
                goto out;
            break;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

int lt_cli_load_rules(const char *cmd, const char *path, struct lt_rules *out)
{
    struct lt_diag d = {0};
    if (!path) {
        if (lt_rules_parse(out, lt_rules_default_ini, lt_rules_default_ini_len, &d)) {
            lt_cli_err(cmd, "built-in rules: %s", d.msg);
            return -1;
        }
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    if (lt_cli_read_file(path, &text, &len)) {
        lt_cli_err(cmd, "cannot read rules file %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = lt_rules_parse(out, text, len, &d);
    free(text);
    if (rc) {
        lt_cli_err(cmd, "%s: %s", path, d.msg);
        return -1;
    }
    return 0;
}

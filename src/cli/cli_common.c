/* lantian — helpers shared by the subcommands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/query.h"
#include "lantian/common.h"
#include "store/store.h"

extern const char *const lt_rules_default_ini;
extern const size_t lt_rules_default_ini_len;
extern const char *const lt_limits_default_ini;
extern const size_t lt_limits_default_ini_len;

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

int lt_cli_load_limits(const char *cmd, const char *path, struct lt_limits *out, char *origin,
                       size_t cap)
{
    struct lt_diag d = {0};
    if (!path || !path[0]) {
        if (origin && cap)
            snprintf(origin, cap, "built-in config/emission_limits.ini");
        if (lt_limits_parse(out, lt_limits_default_ini, lt_limits_default_ini_len, &d)) {
            lt_limits_release(out);
            lt_cli_err(cmd, "built-in emission limits: %s", d.msg);
            return -1;
        }
        return 0;
    }
    if (origin && cap)
        snprintf(origin, cap, "%s", path);
    char *text = NULL;
    size_t len = 0;
    if (lt_cli_read_file(path, &text, &len)) {
        lt_cli_err(cmd, "cannot read emission limits %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = lt_limits_parse(out, text, len, &d);
    free(text);
    if (rc) {
        lt_limits_release(out);
        lt_cli_err(cmd, "emission limits %s: %s", path, d.msg);
        return -1;
    }
    return 0;
}

int lt_cli_source_open(const char *cmd, struct lt_cli_source *src)
{
    if (src->db && src->nfiles) {
        lt_cli_err(cmd, "give either --db or --input files, not both");
        return -1;
    }
    if (src->db) {
        struct lt_diag d = {0};
        if (lt_store_open(&src->st, src->db, &d)) {
            lt_cli_err(cmd, "cannot open database %s: %s", src->db, d.msg);
            return -1;
        }
        return 0;
    }
    if (src->nfiles) {
        if (!src->stations) {
            lt_cli_err(cmd, "--input needs --stations CSV (the CNEMC station list)");
            return -1;
        }
        return 0;
    }
    lt_cli_err(cmd,
               "no data: give --db PATH (see 'lantian import') or --stations CSV --input FILE...");
    return -1;
}

void lt_cli_source_close(struct lt_cli_source *src)
{
    lt_store_close(src->st);
    src->st = NULL;
    free(src->files);
    src->files = NULL;
    src->nfiles = 0;
}

int lt_cli_source_init(struct lt_cli_source *src, int argc)
{
    memset(src, 0, sizeof(*src));
    src->files = calloc((size_t)argc + 1, sizeof(char *));
    return src->files ? 0 : -1;
}

bool lt_cli_source_option(struct lt_cli_source *src, int opt, char *arg)
{
    switch (opt) {
    case 'd':
        src->db = arg;
        return true;
    case 'r':
        src->rules = arg;
        return true;
    case 'S':
        src->stations = arg;
        return true;
    case 'i':
        src->files[src->nfiles++] = arg;
        return true;
    default:
        return false;
    }
}

void lt_cli_source_rest(struct lt_cli_source *src, int argc, char **argv)
{
    for (int i = optind; i < argc; i++)
        src->files[src->nfiles++] = argv[i];
}

int lt_cli_load(const char *cmd, struct lt_cli_source *src, enum lt_area_level level,
                const char *name, const char *province, int32_t day0, int ndays,
                const struct lt_rules *rules, bool keep_hours, struct lt_dataset *ds)
{
    int rc;
    if (src->st) {
        rc = lt_query_load(src->st, level, name, province, day0, ndays, rules, keep_hours, ds);
        if (rc == LT_ENOTFOUND && level == LT_AREA_SITE && name)
            lt_cli_err(cmd, "unknown site '%s'", name);
        else if (rc == LT_ENOTFOUND)
            lt_cli_err(cmd, "no evaluation site matches %s%s%s", name ? name : "the query",
                       province ? " in " : "", province ? province : "");
        else if (rc)
            lt_cli_err(cmd, "cannot load data: %s (%s)", lt_strerror(rc), lt_store_errmsg(src->st));
        return rc ? -1 : 0;
    }
    long rejected = 0;
    rc = lt_dataset_from_files(src->stations, src->files, src->nfiles, province, day0, ndays, rules,
                               keep_hours, &rejected, ds);
    if (rc) {
        lt_cli_err(cmd, "cannot read the input files: %s", lt_strerror(rc));
        return -1;
    }
    if (rejected)
        lt_cli_err(cmd, "%ld input lines or values were rejected (see above); the rest is used",
                   rejected);
    return 0;
}

int lt_cli_opt(const char *cmd, int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n))
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n])
        return 0;
    if (*i + 1 >= argc) {
        lt_cli_err(cmd, "%s needs a value", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

/* lantian hj212 check: frames on stdin (a byte stream, not lines), one report per frame or
 * rejected chunk on stdout. Exit status 1 when anything was rejected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lantian/hj212.h"

static const char *const hj_usage =
    "usage: lantian hj212 check [--format text|json] [--crc std|modbus|modbus-le|any]\n"
    "                           [--lenient-length] < stream\n"
    "Reads HJ 212 frames from stdin as a byte stream and prints one line per frame or rejected\n"
    "chunk (offset, reason). --lenient-length accepts frames whose length field counts\n"
    "characters instead of UTF-8 bytes. Exit status 1 when anything was rejected.\n";

static const char *class_name(enum lt_hj212_class c)
{
    switch (c) {
    case LT_HJ212_C_DATA:
        return "data";
    case LT_HJ212_C_HEARTBEAT:
        return "heartbeat";
    case LT_HJ212_C_NOTIFY:
        return "notify";
    case LT_HJ212_C_REPLY:
        return "reply";
    default:
        return "other";
    }
}

static const char *crc_name(enum lt_hj212_crc_kind k)
{
    return k == LT_CRC_HJ212 ? "hj212" : k == LT_CRC_MODBUS ? "modbus" : "modbus-le";
}

/* A JSON string of arbitrary bytes: control bytes and bytes of invalid UTF-8 as \u00XX. */
static void jstr(FILE *o, const char *p, size_t n)
{
    bool utf8 = lt_utf8_valid(p, n);
    fputc('"', o);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\')
            fprintf(o, "\\%c", c);
        else if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8))
            fprintf(o, "\\u%04x", c);
        else
            fputc(c, o);
    }
    fputc('"', o);
}

static void jslice(FILE *o, struct lt_str s)
{
    jstr(o, s.p ? s.p : "", s.p ? s.len : 0);
}

/* Shortest text that reads back as the same double. */
static void jnum(FILE *o, double v)
{
    char b[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(b, sizeof(b), "%.*g", prec, v);
        if (strtod(b, NULL) == v)
            break;
    }
    fputs(b, o);
}

static void print_json(FILE *o, const struct lt_hj212_event *ev, const struct lt_hj212_msg *m)
{
    fprintf(o, "{\"valid\":true,\"offset\":%llu,\"length\":%zu,\"version\":%d,\"qn\":",
            (unsigned long long)ev->offset, ev->raw_len, (int)m->version);
    jslice(o, m->qn);
    fputs(",\"st\":", o);
    jslice(o, m->st);
    fputs(",\"cn\":", o);
    jslice(o, m->cn);
    fputs(",\"pw\":", o);
    jslice(o, m->pw);
    fputs(",\"mn\":", o);
    jslice(o, m->mn);
    if (m->flag >= 0)
        fprintf(o, ",\"flag\":%d", m->flag);
    else
        fputs(",\"flag\":null", o);
    if (m->pnum >= 0)
        fprintf(o, ",\"pnum\":%d", m->pnum);
    if (m->pno >= 0)
        fprintf(o, ",\"pno\":%d", m->pno);
    if (m->has_data_time) {
        char t[24];
        lt_bj_format_time(m->data_time, t, sizeof(t));
        fprintf(o, ",\"data_time\":\"%s\"", t);
    }
    fprintf(o, ",\"class\":\"%s\",\"crc\":\"%s\"", class_name(lt_hj212_classify(m)),
            crc_name(ev->crc_kind));
    if (ev->crc_lower)
        fputs(",\"crc_lower\":true", o);
    if (ev->len_fallback) {
        fputs(",\"length_fallback\":true,\"message\":", o);
        jstr(o, ev->msg, strlen(ev->msg));
    }
    if (m->nbad_values)
        fprintf(o, ",\"bad_values\":%d", m->nbad_values);
    fputs(",\"items\":{", o);
    for (int i = 0; i < m->nitems; i++) {
        const struct lt_hj212_item *it = &m->item[i];
        fputs(i ? "," : "", o);
        jslice(o, it->code);
        fputs(":{", o);
        bool first = true;
        for (int k = 0; k < LT_VK_N; k++) {
            if (!(it->has & (1u << k)))
                continue;
            fprintf(o, "%s\"%s\":", first ? "" : ",", lt_hj212_vk_name((enum lt_hj212_vk)k));
            jnum(o, it->v[k]);
            first = false;
        }
        const struct {
            const char *name;
            struct lt_str v;
        } s[] = {{"Flag", it->flag}, {"EFlag", it->eflag}, {"RS", it->rs},
                 {"RT", it->rt},     {"Info", it->info},   {"other", it->other}};
        for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++) {
            if (!s[k].v.len)
                continue;
            fprintf(o, "%s\"%s\":", first ? "" : ",", s[k].name);
            jslice(o, s[k].v);
            first = false;
        }
        if (it->sample_time) {
            char t[24];
            lt_bj_format_time(it->sample_time, t, sizeof(t));
            fprintf(o, "%s\"SampleTime\":\"%s\"", first ? "" : ",", t);
        }
        fputc('}', o);
    }
    fputs("},\"kv\":{", o);
    for (int i = 0; i < m->nkv; i++) {
        fputs(i ? "," : "", o);
        jslice(o, m->kv_key[i]);
        fputc(':', o);
        jslice(o, m->kv_val[i]);
    }
    fputs("}}\n", o);
}

static void print_text(FILE *o, const struct lt_hj212_event *ev, const struct lt_hj212_msg *m)
{
    char st[16], cn[16], mn[64], t[24] = "-";
    lt_str_copy(st, sizeof(st), m->st);
    lt_str_copy(cn, sizeof(cn), m->cn);
    lt_str_copy(mn, sizeof(mn), m->mn);
    if (m->has_data_time)
        lt_bj_format_time(m->data_time, t, sizeof(t));
    fprintf(o, "ok     @%llu %d ST=%s CN=%s MN=%s %s DataTime=%s items=%d%s\n",
            (unsigned long long)ev->offset, (int)m->version, st, cn, mn,
            class_name(lt_hj212_classify(m)), t, m->nitems,
            ev->crc_kind != LT_CRC_HJ212 ? " (Modbus CRC)" : "");
}

static void print_reject(FILE *o, bool json, uint64_t off, size_t len, const char *reason,
                         const char *msg)
{
    if (json) {
        fprintf(o, "{\"valid\":false,\"offset\":%llu,\"length\":%zu,\"reason\":\"%s\",\"message\":",
                (unsigned long long)off, len, reason);
        jstr(o, msg, strlen(msg));
        fputs("}\n", o);
    } else {
        fprintf(o, "REJECT @%llu %s (%zu bytes): %s\n", (unsigned long long)off, reason, len, msg);
    }
}

struct counts {
    unsigned long long frames, rejects[LT_HJ212_R_N];
};

static void handle(const struct lt_hj212_event *ev, bool json, struct lt_hj212_msg *m,
                   struct counts *c)
{
    if (ev->kind == LT_HJ212_EV_REJECT) {
        c->rejects[ev->reason]++;
        print_reject(stdout, json, ev->offset, ev->raw_len, lt_hj212_reject_name(ev->reason),
                     ev->msg);
        return;
    }
    struct lt_diag d = {0};
    if (lt_hj212_parse(ev->seg, ev->seg_len, m, &d) < 0) {
        c->rejects[LT_HJ212_R_SYNTAX]++;
        char msg[200];
        snprintf(msg, sizeof(msg), "data segment byte %zu: %s", d.offset, d.msg);
        print_reject(stdout, json, ev->offset, ev->raw_len, "syntax", msg);
        return;
    }
    c->frames++;
    if (json)
        print_json(stdout, ev, m);
    else
        print_text(stdout, ev, m);
}

int lt_cmd_hj212(int argc, char **argv)
{
    const char *cmd = "hj212";
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(hj_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? LT_EXIT_USAGE : LT_EXIT_OK;
    }
    if (strcmp(argv[1], "check") != 0) {
        lt_cli_err(cmd, "unknown form '%s' (only 'check')", argv[1]);
        return LT_EXIT_USAGE;
    }
    bool json = false, lenient = false;
    unsigned mask = LT_CRC_MASK_STD;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(hj_usage, stdout);
            return LT_EXIT_OK;
        } else if (!strcmp(argv[i], "--lenient-length")) {
            lenient = true;
        } else if ((r = lt_cli_opt(cmd, argc, argv, &i, "--format", &v)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            if (!strcmp(v, "json"))
                json = true;
            else if (!strcmp(v, "text"))
                json = false;
            else {
                lt_cli_err(cmd, "--format must be text or json, not '%s'", v);
                return LT_EXIT_USAGE;
            }
        } else if ((r = lt_cli_opt(cmd, argc, argv, &i, "--crc", &v)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            if (!strcmp(v, "std"))
                mask = 1u << LT_CRC_HJ212;
            else if (!strcmp(v, "modbus"))
                mask = 1u << LT_CRC_MODBUS;
            else if (!strcmp(v, "modbus-le"))
                mask = 1u << LT_CRC_MODBUS_LE;
            else if (!strcmp(v, "any"))
                mask = (1u << LT_CRC_KIND_N) - 1;
            else {
                lt_cli_err(cmd, "--crc must be std, modbus, modbus-le or any, not '%s'", v);
                return LT_EXIT_USAGE;
            }
        } else {
            lt_cli_err(cmd, "unknown argument '%s'", argv[i]);
            fputs(hj_usage, stderr);
            return LT_EXIT_USAGE;
        }
    }
    struct lt_hj212_framer f;
    struct lt_hj212_msg *m = malloc(sizeof(*m));
    if (!m || lt_hj212_framer_init(&f, LT_HJ212_FRAME_MAX, mask) < 0) {
        free(m);
        lt_cli_err(cmd, "out of memory");
        return LT_EXIT_USAGE;
    }
    f.lenient_length = lenient;
    struct counts c = {0};
    struct lt_hj212_event ev;
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
        size_t i = 0;
        while (i < n) {
            i += lt_hj212_framer_feed(&f, buf + i, n - i);
            while (lt_hj212_framer_next(&f, &ev))
                handle(&ev, json, m, &c);
        }
    }
    while (lt_hj212_framer_finish(&f, &ev))
        handle(&ev, json, m, &c);
    unsigned long long rej = 0;
    for (int r = 1; r < LT_HJ212_R_N; r++)
        rej += c.rejects[r];
    fprintf(stderr, "hj212: %llu frames accepted, %llu chunks rejected", c.frames, rej);
    for (int r = 1; r < LT_HJ212_R_N; r++)
        if (c.rejects[r])
            fprintf(stderr, ", %s %llu", lt_hj212_reject_name((enum lt_hj212_reject)r),
                    c.rejects[r]);
    fputc('\n', stderr);
    lt_hj212_framer_release(&f);
    free(m);
    if (ferror(stdin)) {
        lt_cli_err(cmd, "error reading stdin");
        return LT_EXIT_USAGE;
    }
    return rej ? LT_EXIT_REJECTED : LT_EXIT_OK;
}

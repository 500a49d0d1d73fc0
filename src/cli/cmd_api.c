/* lantian api — run only the HTTP API on a store; and the HTTP options `lantian serve`
 * shares with it.
 *
 *   lantian api --db PATH [--http 127.0.0.1:8080] [--port-file FILE] [--rules FILE]
 *               [--targets FILE] [--threads N] [--cache-mb N]
 *
 * SIGINT/SIGTERM: stop accepting, finish the requests being answered, exit 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "http/http.h"
#include "lantian/util.h"

#define LT__TARGETS_MAX 256

static void lt__api_usage(FILE *f)
{
    fputs(
        "usage: lantian api --db PATH [--http ADDR:PORT] [--port-file FILE] [--rules FILE]\n"
        "                   [--targets FILE] [--threads N] [--cache-mb N]\n"
        "Serves the HTTP API (docs/API.md) on the store: sites, real-time AQI, AQI series,\n"
        "statistics, rankings, targets, devices, quarantine, exceedances, corrections, and, for\n"
        "users with a session, the audited writes (corrections, dust days, site, device and\n"
        "target edits) and the audit log. JSON by default, CSV with ?format=csv on every\n"
        "table-shaped answer.\n"
        "\n"
        "  --db PATH         the store (must exist; see 'lantian import')\n"
        "  --http ADDR:PORT  where to listen (default 127.0.0.1:8080; port 0 = any free port)\n"
        "  --port-file FILE  write the port listened on (useful with port 0)\n"
        "  --rules FILE      rule sets (default: the built-in config/rules.ini)\n"
        "  --targets FILE    plan targets for /api/targets?config=NAME, NAME being the file's\n"
        "                    name without 'targets-' and '.ini' (config/targets-demo.ini: demo);\n"
        "                    also the fallback when the store has no target (lantian target\n"
        "                    import stores a file's targets)\n"
        "  --threads N       worker threads, each with its own store handle (default 4)\n"
        "  --cache-mb N      memory for answers kept until the store's data change\n"
        "                    (default 64; 0: compute every answer)\n"
        "  --web DIR         the dashboard's files, served at / (default ./web/dist, else the\n"
        "                    source tree's web/dist; 'none': API only; scripts/build-web.sh)\n"
        "SIGINT/SIGTERM stop the server; exit status 0, or 2 for a bad command line, store or\n"
        "address.\n",
        f);
}

int lt_cli_http_opt(const char *cmd, int argc, char **argv, int *i, struct lt_cli_http *h)
{
    static const char *const names[] = {"--http",    "--http-port-file", "--rules",
                                        "--targets", "--http-threads",   "--http-cache-mb"};
    const char *v;
    int wr = lt_cli_opt(cmd, argc, argv, i, "--web", &v);
    if (wr != 0) {
        if (wr > 0)
            h->web = v;
        return wr;
    }
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        int r = lt_cli_opt(cmd, argc, argv, i, names[k], &v);
        if (r <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        switch (k) {
        case 0:
            h->listen = v;
            break;
        case 1:
            h->port_file = v;
            break;
        case 2:
            h->rules = v;
            break;
        case 3:
            h->targets = v;
            break;
        case 5:
            if (lt_parse_int(lt_str_of(v), 0, 65536, &h->cache_mb)) {
                lt_cli_err(cmd, "%s '%s' is not a size in MiB (0 .. 65536)", names[k], v);
                return -1;
            }
            break;
        default:
            if (lt_parse_int(lt_str_of(v), 1, 64, &h->threads)) {
                lt_cli_err(cmd, "%s '%s' is not a number of threads (1 .. 64)", names[k], v);
                return -1;
            }
        }
        return 1;
    }
    return 0;
}

/* "targets-demo.ini" -> "demo"; "plan.ini" -> "plan". */
static void lt__targets_name(const char *path, char *buf, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    if (!strncmp(b, "targets-", 8) && b[8])
        b += 8;
    size_t n = strlen(b);
    if (n > 4 && !strcmp(b + n - 4, ".ini"))
        n -= 4;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, b, n);
    buf[n] = '\0';
}

int lt_cli_http_start(const char *cmd, struct lt_cli_http *h, const char *db, struct lt_http **out)
{
    struct lt_rules rules;
    struct lt_http_opts o;
    struct lt_target *targets = NULL;
    char *text = NULL, err[512], tname[64] = "";
    int ntargets = 0, port = 0, rc = -1;
    *out = NULL;
    if (lt_cli_load_rules(cmd, h->rules, &rules))
        return -1;
    if (h->targets) {
        size_t len;
        struct lt_diag d = {0};
        targets = calloc(LT__TARGETS_MAX, sizeof(*targets));
        if (!targets || lt_cli_read_file(h->targets, &text, &len)) {
            lt_cli_err(cmd, "cannot read targets %s: %s", h->targets,
                       targets ? strerror(errno) : "out of memory");
            goto out;
        }
        ntargets = lt_targets_parse(text, len, targets, LT__TARGETS_MAX, &d);
        if (ntargets < 0) {
            lt_cli_err(cmd, "%s: line %zu: %s", h->targets, d.offset, d.msg);
            goto out;
        }
        lt__targets_name(h->targets, tname, sizeof tname);
    }
    lt_http_opts_defaults(&o);
    if (h->listen)
        o.listen = h->listen;
    if (h->threads)
        o.threads = (int)h->threads;
    if (h->cache_mb >= 0)
        o.cache_mb = (int)h->cache_mb;
    o.db = db;
    o.rules = &rules;
    o.targets = targets;
    o.ntargets = ntargets;
    o.targets_name = tname;
    /* The dashboard: --web DIR, else ./web/dist, else the source tree's web/dist (when built). */
    struct stat wsb;
    if (h->web && strcmp(h->web, "none") != 0) {
        if (stat(h->web, &wsb) != 0 || !S_ISDIR(wsb.st_mode)) {
            lt_cli_err(cmd, "--web %s: not a directory (build it with scripts/build-web.sh)",
                       h->web);
            goto out;
        }
        o.web = h->web;
    } else if (!h->web && stat("web/dist/index.html", &wsb) == 0) {
        o.web = "web/dist";
    }
#ifdef LT_WEB_DIST
    else if (!h->web && stat(LT_WEB_DIST "/index.html", &wsb) == 0)
        o.web = LT_WEB_DIST;
#endif
    if (lt_http_start(out, &o, &port, err, sizeof err)) {
        lt_cli_err(cmd, "HTTP API: %s", err);
        goto out;
    }
    /* The URL a person can open: the host as given, the port as bound. */
    char host[80];
    const char *colon = strrchr(o.listen, ':');
    size_t hl = colon ? (size_t)(colon - o.listen) : 0;
    if (hl >= sizeof host)
        hl = sizeof host - 1;
    memcpy(host, o.listen, hl);
    host[hl] = '\0';
    fprintf(stderr, "lantian %s: HTTP API on http://%s:%d/api/ (store %s%s%s)\n", cmd, host, port,
            db, ntargets ? ", targets " : "", ntargets ? tname : "");
    if (o.web)
        fprintf(stderr, "lantian %s: dashboard on http://%s:%d/ (files %s)\n", cmd, host, port,
                o.web);
    if (h->port_file) {
        FILE *pf = fopen(h->port_file, "w");
        if (!pf || fprintf(pf, "%d\n", port) < 0 || fclose(pf) != 0) {
            lt_cli_err(cmd, "cannot write %s", h->port_file);
            lt_http_stop(*out);
            *out = NULL;
            goto out;
        }
    }
    rc = 0;
out:
    free(text);
    free(targets);
    return rc;
}

void lt_cli_http_report(const char *cmd, struct lt_http *h)
{
    struct lt_http_counters c;
    if (!h)
        return;
    lt_http_get_counters(h, &c);
    fprintf(stderr,
            "lantian %s: HTTP API stopped: %llu requests (%llu answered, %llu client errors, "
            "%llu server errors); answer cache: %llu hits, %llu computed, %llu retired by new "
            "data, %.1f MiB held\n",
            cmd, c.requests, c.ok, c.client_errors, c.server_errors, c.cache_hits, c.cache_misses,
            c.cache_stale, (double)c.cache_bytes / (1 << 20));
}

int lt_cmd_api(int argc, char **argv)
{
    const char *cmd = "api", *db = NULL;
    struct lt_cli_http h = {.cache_mb = -1};
    struct lt_http *srv = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            lt__api_usage(stdout);
            return LT_EXIT_OK;
        }
        if ((r = lt_cli_opt(cmd, argc, argv, &i, "--db", &v)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            db = v;
            continue;
        }
        if ((r = lt_cli_opt(cmd, argc, argv, &i, "--port-file", &v)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            h.port_file = v;
            continue;
        }
        if ((r = lt_cli_opt(cmd, argc, argv, &i, "--threads", &v)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            if (lt_parse_int(lt_str_of(v), 1, 64, &h.threads)) {
                lt_cli_err(cmd, "--threads '%s' is not a number of threads (1 .. 64)", v);
                return LT_EXIT_USAGE;
            }
            continue;
        }
        if ((r = lt_cli_opt(cmd, argc, argv, &i, "--cache-mb", &v)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            if (lt_parse_int(lt_str_of(v), 0, 65536, &h.cache_mb)) {
                lt_cli_err(cmd, "--cache-mb '%s' is not a size in MiB (0 .. 65536)", v);
                return LT_EXIT_USAGE;
            }
            continue;
        }
        if ((r = lt_cli_http_opt(cmd, argc, argv, &i, &h)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            continue;
        }
        lt_cli_err(cmd, "unexpected argument '%s' (see --help)", argv[i]);
        return LT_EXIT_USAGE;
    }
    if (!db) {
        lt_cli_err(cmd, "--db PATH is required (see --help)");
        return LT_EXIT_USAGE;
    }
    struct stat sb;
    if (stat(db, &sb) != 0) {
        /* Read-only: a store that does not exist is a mistake, not something to create. */
        lt_cli_err(cmd, "%s: %s", db, strerror(errno));
        return LT_EXIT_USAGE;
    }
    if (h.listen && !strcmp(h.listen, "none")) {
        lt_cli_err(cmd, "--http none leaves nothing to run");
        return LT_EXIT_USAGE;
    }
    /* SIGINT/SIGTERM are taken with sigwait on this thread: block them before any thread starts
     * (the server blocks every signal in its own threads). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (lt_cli_http_start(cmd, &h, db, &srv))
        return LT_EXIT_USAGE;
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    fprintf(stderr, "lantian %s: %s received, stopping\n", cmd,
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    lt_cli_http_report(cmd, srv);
    lt_http_stop(srv);
    return LT_EXIT_OK;
}

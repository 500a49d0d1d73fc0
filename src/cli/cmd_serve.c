/* lantian serve / lantian ingest — run the server.
 *
 *   lantian serve  --db PATH [--listen 127.0.0.1:8212] [--config FILE] [--OPTION VALUE ...]
 *   lantian ingest --db PATH [--listen 127.0.0.1:8212] [--config FILE] [--OPTION VALUE ...]
 *
 * `serve` runs every component of the server in one process (DESIGN.md: "lantian serve (ingest +
 * HTTP in one process)"): the HJ 212 ingest server on the event loop, and the read-only HTTP API
 * (src/http, libmicrohttpd's own threads; --http ADDR:PORT, default 127.0.0.1:8080, "none" to
 * leave it out). `ingest` runs the ingest server alone, so that several ingest nodes can share one
 * database; `lantian api` (cmd_api.c) runs the HTTP API alone. Options come from the table in
 * src/ingest/options.c: defaults, then [ingest] of the
 * --config file, then the command line. SIGINT/SIGTERM stop gracefully: no new connections,
 * everything received is committed and acknowledged, exit 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "http/http.h"
#include "ingest/ingest.h"

/* What one server process runs. */
struct lt__serve {
    const char *cmd;
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    struct lt_ingest *ingest;
    struct lt_http *http; /* NULL when not running */
    bool stopping;
    int components; /* components still running */
};

static void lt__usage(FILE *f, const char *cmd)
{
    fprintf(
        f,
        "usage: lantian %s --db PATH [--listen ADDR:PORT] [--config FILE] [--port-file FILE]\n"
        "                  [--print-config] [--OPTION VALUE ...]\n"
        "\n"
        "%s\n"
        "HJ 212 devices connect over TCP; every frame is archived byte-exact, values are\n"
        "stored, and a 9014 acknowledgement is sent only after the frame is committed.\n"
        "SIGINT/SIGTERM: stop accepting, commit what was received, exit 0.\n"
        "\n"
        "  --db PATH          the store (SQLite file; created when absent)\n"
        "  --config FILE      INI file; its [ingest] section sets the options below\n"
        "  --port-file FILE   write the port listened on (useful with --listen HOST:0)\n"
        "  --print-config     print the effective options and exit\n"
        "%s"
        "CEMS hourly values are judged against the built-in emission limits (a copy of\n"
        "config/emission_limits.ini) unless --limits-file FILE (or none) is given.\n"
        "\noptions (INI key = command-line option; '-' and '_' are the same):\n",
        cmd,
        strcmp(cmd, "serve") == 0
            ? "Runs the lantian server: the HJ 212 ingest server (default port 8212) and the\n"
              "read-only HTTP API (default 127.0.0.1:8080; docs/API.md)."
            : "Runs only the HJ 212 ingest server.",
        strcmp(cmd, "serve") == 0
            ? "  --http ADDR:PORT   the HTTP API's address (default 127.0.0.1:8080; none = off)\n"
              "  --http-port-file FILE  write the HTTP port (useful with --http HOST:0)\n"
              "  --http-threads N   HTTP worker threads, one store handle each (default 4)\n"
              "  --http-cache-mb N  memory for API answers kept until the store's data change\n"
              "                     (default 64; 0 = none)\n"
              "  --rules FILE       rule sets for the API (default: built-in config/rules.ini)\n"
              "  --targets FILE     plan targets for /api/targets?config=NAME\n"
              "  --web DIR          the dashboard's files, served at / (default ./web/dist, else\n"
              "                     the source tree's web/dist; none = API only)\n"
            : "");
    lt_ingest_opts_help(f, false);
    fprintf(f, "\nexit status: 0 stopped by a signal, 2 bad command line, store or address.\n");
}

static void lt__signal_closed(uv_handle_t *h)
{
    (void)h;
}

static void lt__component_done(void *arg)
{
    struct lt__serve *s = arg;
    if (--s->components > 0)
        return;
    /* Every component has stopped: the signal handles are all that keeps the loop running. */
    uv_close((uv_handle_t *)&s->sigint, lt__signal_closed);
    uv_close((uv_handle_t *)&s->sigterm, lt__signal_closed);
}

static void lt__on_signal(uv_signal_t *h, int signum)
{
    struct lt__serve *s = h->data;
    if (s->stopping)
        return;
    s->stopping = true;
    fprintf(stderr, "lantian %s: %s received, stopping\n", s->cmd,
            signum == SIGINT ? "SIGINT" : "SIGTERM");
    /* The HTTP API first: MHD_stop_daemon finishes the requests being answered and joins its
     * threads (short: answers are bounded), then the ingest server drains and commits. */
    if (s->http) {
        lt_cli_http_report(s->cmd, s->http);
        lt_http_stop(s->http);
        s->http = NULL;
    }
    if (s->ingest)
        lt_ingest_stop(s->ingest, lt__component_done, s);
}

static int lt__serve_main(int argc, char **argv, bool with_http)
{
    const char *cmd = argv[0];
    const char *db = NULL, *config = NULL, *port_file = NULL;
    bool print_config = false;
    struct lt_ingest_opts o;
    struct lt_cli_http http = {.cache_mb = -1};
    char err[512];

    lt_ingest_opts_defaults(&o);
    /* First pass: the config file, so that the command line overrides it whatever the order. */
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (lt_cli_opt(cmd, argc, argv, &i, "--config", &v) == 1)
            config = v;
    }
    if (config && lt_ingest_opts_load(&o, config, err, sizeof err)) {
        lt_cli_err(cmd, "%s", err);
        return LT_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            lt__usage(stdout, cmd);
            return LT_EXIT_OK;
        }
        if (!strcmp(a, "--options-markdown")) { /* the table of docs/INGEST.md */
            lt_ingest_opts_help(stdout, true);
            return LT_EXIT_OK;
        }
        if (!strcmp(a, "--print-config")) {
            print_config = true;
            continue;
        }
        if ((r = lt_cli_opt(cmd, argc, argv, &i, "--config", &v)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            continue;
        }
        if ((r = lt_cli_opt(cmd, argc, argv, &i, "--db", &v)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            db = v;
            continue;
        }
        if (with_http && (r = lt_cli_http_opt(cmd, argc, argv, &i, &http)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            continue;
        }
        if ((r = lt_cli_opt(cmd, argc, argv, &i, "--port-file", &v)) != 0) {
            if (r < 0)
                return LT_EXIT_USAGE;
            port_file = v;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || !a[2]) {
            lt_cli_err(cmd, "unexpected argument '%s' (see --help)", a);
            return LT_EXIT_USAGE;
        }
        /* Any option of the table: --name VALUE or --name=VALUE. */
        char name[64];
        const char *eq = strchr(a + 2, '=');
        size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (nl >= sizeof name) {
            lt_cli_err(cmd, "unknown option '%s' (see --help)", a);
            return LT_EXIT_USAGE;
        }
        memcpy(name, a + 2, nl);
        name[nl] = '\0';
        if (eq)
            v = eq + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else {
            lt_cli_err(cmd, "option --%s needs a value", name);
            return LT_EXIT_USAGE;
        }
        if (lt_ingest_opts_set(&o, name, v, err, sizeof err)) {
            lt_cli_err(cmd, "%s (see --help)", err);
            return LT_EXIT_USAGE;
        }
    }
    if (lt_ingest_opts_check(&o, err, sizeof err)) {
        lt_cli_err(cmd, "%s", err);
        return LT_EXIT_USAGE;
    }
    if (print_config) {
        lt_ingest_opts_print(stdout, &o);
        return LT_EXIT_OK;
    }
    if (!db) {
        lt_cli_err(cmd, "--db PATH is required (see --help)");
        return LT_EXIT_USAGE;
    }

    struct lt__serve *s = calloc(1, sizeof *s);
    if (!s)
        return LT_EXIT_USAGE;
    s->cmd = cmd;
    int rc = LT_EXIT_USAGE, port = 0;
    uv_loop_init(&s->loop);
    uv_signal_init(&s->loop, &s->sigint);
    uv_signal_init(&s->loop, &s->sigterm);
    s->sigint.data = s->sigterm.data = s;
    uv_signal_start(&s->sigint, lt__on_signal, SIGINT);
    uv_signal_start(&s->sigterm, lt__on_signal, SIGTERM);
    signal(SIGPIPE, SIG_IGN); /* a device that hangs up mid-reply is an error code, not a death */

    if (lt_ingest_new(&s->ingest, &s->loop, &o, db, err, sizeof err)) {
        lt_cli_err(cmd, "%s", err);
        goto out;
    }
    /* Emission limits for the CEMS judgement: the built-in config/emission_limits.ini unless
     * limits_file names another file (or none); an invalid file stops the start. */
    if (strcmp(o.limits_file, "none") != 0) {
        struct lt_limits lim;
        char origin[300];
        lt_limits_init(&lim);
        if (lt_cli_load_limits(cmd, o.limits_file, &lim, origin, sizeof origin))
            goto out;
        int lr = lt_ingest_set_limits(s->ingest, &lim, origin);
        lt_limits_release(&lim);
        if (lr) {
            lt_cli_err(cmd, "out of memory");
            goto out;
        }
    }
    s->components = 1;
    if (lt_ingest_start(s->ingest, &port, err, sizeof err)) {
        lt_cli_err(cmd, "%s", err);
        s->stopping = true;
        lt_ingest_stop(s->ingest, lt__component_done, s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        goto out;
    }
    fprintf(stderr, "lantian %s: HJ 212 ingest listening on %s (port %d), store %s\n", cmd,
            o.listen, port, db);
    if (with_http && !(http.listen && !strcmp(http.listen, "none")) &&
        lt_cli_http_start(cmd, &http, db, &s->http)) {
        s->stopping = true;
        lt_ingest_stop(s->ingest, lt__component_done, s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        goto out;
    }
    if (port_file) {
        FILE *pf = fopen(port_file, "w");
        if (!pf || fprintf(pf, "%d\n", port) < 0 || fclose(pf) != 0) {
            lt_cli_err(cmd, "cannot write %s", port_file);
            s->stopping = true;
            lt_http_stop(s->http);
            s->http = NULL;
            lt_ingest_stop(s->ingest, lt__component_done, s);
            uv_run(&s->loop, UV_RUN_DEFAULT);
            goto out;
        }
    }
    uv_run(&s->loop, UV_RUN_DEFAULT);
    struct lt_ingest_counters c;
    lt_ingest_get_counters(s->ingest, &c);
    fprintf(stderr,
            "lantian %s: stopped: %llu connections (%llu refused, %llu idle-closed, %llu "
            "replaced), %llu frames, %llu rejected chunks, %llu stored, %llu replies sent, %llu "
            "replies lost, %llu back-pressure pauses, %llu failed batches, %llu CEMS "
            "exceedances, %llu CEMS hourly values not judged\n",
            cmd, (unsigned long long)c.conns_accepted, (unsigned long long)c.conns_refused,
            (unsigned long long)c.conns_idle_closed, (unsigned long long)c.conns_replaced,
            (unsigned long long)c.frames, (unsigned long long)c.rejects,
            (unsigned long long)c.stored, (unsigned long long)c.acks_sent,
            (unsigned long long)c.acks_lost, (unsigned long long)c.pauses,
            (unsigned long long)c.store_errs, (unsigned long long)c.exceedances,
            (unsigned long long)c.not_judged);
    rc = LT_EXIT_OK;
out:
    if (!uv_is_closing((uv_handle_t *)&s->sigint)) {
        uv_close((uv_handle_t *)&s->sigint, lt__signal_closed);
        uv_close((uv_handle_t *)&s->sigterm, lt__signal_closed);
    }
    uv_run(&s->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&s->loop) != 0)
        lt_cli_err(cmd, "event loop closed with handles open");
    lt_http_stop(s->http);
    lt_ingest_free(s->ingest);
    free(s);
    return rc;
}

int lt_cmd_serve(int argc, char **argv)
{
    return lt__serve_main(argc, argv, true);
}

int lt_cmd_ingest(int argc, char **argv)
{
    return lt__serve_main(argc, argv, false);
}

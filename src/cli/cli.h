/* lantian — command-line front end: one binary, git-style subcommands (src/cli/cmd_*.c). */
#ifndef LANTIAN_CLI_H
#define LANTIAN_CLI_H

#include <stdio.h>

#include "lantian/rules.h"
#include "lantian/source.h"

/* Exit statuses of every subcommand. */
#define LT_EXIT_OK       0 /* success */
#define LT_EXIT_REJECTED 1 /* ran to the end, but some input was rejected (reported on stderr) */
#define LT_EXIT_USAGE    2 /* bad command line, or a fatal error before any work */

/* Subcommands: argv[0] is the subcommand name. */
int lt_cmd_import(int argc, char **argv);
int lt_cmd_aqi(int argc, char **argv);
/* `lantian aqi` with a first argument other than calc/verify: the store listing (--db). */
int lt_cmd_aqi_db(int argc, char **argv);
int lt_cmd_stats(int argc, char **argv);
int lt_cmd_rank(int argc, char **argv);
int lt_cmd_target(int argc, char **argv);
int lt_cmd_correct(int argc, char **argv);
int lt_cmd_dust(int argc, char **argv);
int lt_cmd_hj212(int argc, char **argv);
int lt_cmd_device(int argc, char **argv);   /* src/cli/cmd_device.c */
int lt_cmd_serve(int argc, char **argv);    /* src/cli/cmd_serve.c */
int lt_cmd_ingest(int argc, char **argv);   /* src/cli/cmd_serve.c */
int lt_cmd_simulate(int argc, char **argv); /* src/cli/cmd_simulate.c */
int lt_cmd_api(int argc, char **argv);      /* src/cli/cmd_api.c */
int lt_cmd_user(int argc, char **argv);     /* src/cli/cmd_user.c */

/* ---- the HTTP API options `lantian api` and `lantian serve` share (src/cli/cmd_api.c) ------ */
struct lt_http;
struct lt_cli_http {
    const char *listen;    /* --http ADDR:PORT (NULL: 127.0.0.1:8080; "none": no HTTP) */
    const char *port_file; /* --http-port-file (serve) / --port-file (api) */
    const char *rules;     /* --rules FILE */
    const char *targets;   /* --targets FILE */
    long long threads;     /* --http-threads / --threads (0: default) */
    const char *web;       /* --web DIR: the dashboard's files (NULL: ./web/dist or the build's) */
    long long cache_mb;    /* --http-cache-mb / --cache-mb (-1: default) */
};
/* Take argv[*i] when it is one of --http, --http-port-file, --rules, --targets, --http-threads,
 * --http-cache-mb, --web: 1 taken, 0 not one of them, -1 bad value (printed). Set cache_mb to -1
 * before the first call. */
int lt_cli_http_opt(const char *cmd, int argc, char **argv, int *i, struct lt_cli_http *h);
/* Load the rules and targets, start the API on db, print its URL, write the port file. Prints
 * errors; returns 0 or -1. */
int lt_cli_http_start(const char *cmd, struct lt_cli_http *h, const char *db, struct lt_http **out);
/* Print the request counters of a running API (before stopping it). */
void lt_cli_http_report(const char *cmd, struct lt_http *h);

/* Print "lantian <cmd>: message" to stderr. */
void lt_cli_err(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The rule sets: from --rules FILE when given (path may be NULL), else the embedded default.
 * Prints the error and returns non-zero when the file is unreadable or invalid. */
int lt_cli_load_rules(const char *cmd, const char *path, struct lt_rules *out);

/* The emission limits of CEMS outlets: from `path` when it is given and not "", else the embedded
 * config/emission_limits.ini. *out must be initialised (lt_limits_init); on failure it is released
 * and the error printed ("FILE: line N: reason"). origin (optional, cap bytes) names where they
 * came from for logs. Returns 0 or -1. */
int lt_cli_load_limits(const char *cmd, const char *path, struct lt_limits *out, char *origin,
                       size_t cap);

/* Hand-rolled option matching for commands with sub-forms: argv[*i] is "--name VALUE" or
 * "--name=VALUE". Returns 1 and sets *val (advancing *i past a separate value), 0 when argv[*i] is
 * another option, -1 (after printing why) when the value is missing. */
int lt_cli_opt(const char *cmd, int argc, char **argv, int *i, const char *name, const char **val);

/* Read a whole file into a malloc'd NUL-terminated buffer. */
int lt_cli_read_file(const char *path, char **out, size_t *len);

#endif

/* ---- shared by stats, rank, target and aqi: where the data come from ----------------------- */
#include <stdbool.h>

#include "cli/assess.h"
#include "store/store.h"

struct lt_cli_source {
    const char *db;       /* --db PATH */
    const char *stations; /* --stations CSV (file mode) */
    char **files;         /* --input FILE... (file mode); owned */
    int nfiles;
    const char *rules;   /* --rules FILE */
    struct lt_store *st; /* opened store (db mode) */
};

/* The getopt_long entries of the source options, for a command's option table. */
#define LT_CLI_SOURCE_OPTIONS                                                                      \
    {"db", required_argument, NULL, 'd'}, {"rules", required_argument, NULL, 'r'},                 \
        {"stations", required_argument, NULL, 'S'},                                                \
    {                                                                                              \
        "input", required_argument, NULL, 'i'                                                      \
    }

/* Prepare a source for a command line of argc arguments. Non-zero when out of memory. */
int lt_cli_source_init(struct lt_cli_source *src, int argc);
/* Take a source option from getopt_long (opt is its value); false when opt is not one. */
bool lt_cli_source_option(struct lt_cli_source *src, int opt, char *arg);
/* After getopt_long: the remaining arguments are more input files. */
void lt_cli_source_rest(struct lt_cli_source *src, int argc, char **argv);

/* Open the store, or check the file mode's arguments. Prints errors; non-zero on failure. */
int lt_cli_source_open(const char *cmd, struct lt_cli_source *src);
/* Close the store and free what the source owns. */
/* Close the store and free what the source owns. */
void lt_cli_source_close(struct lt_cli_source *src);

/* Load site-days for days day0..day0+ndays-1 of the sites an area query needs: level + name (NULL
 * = all areas), limited to a province when given. Prints errors; non-zero on failure. */
int lt_cli_load(const char *cmd, struct lt_cli_source *src, enum lt_area_level level,
                const char *name, const char *province, int32_t day0, int ndays,
                const struct lt_rules *rules, bool keep_hours, struct lt_dataset *ds);

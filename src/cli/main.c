/* lantian — one binary, git-style subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct lt_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

/* Keep in the order `lantian help` shows them. */
static const struct lt_cmd lt_cmds[] = {
    /* LT_CMDS (one line per subcommand; each helper adds its own) */
    {"import", lt_cmd_import, "import CNEMC hourly files, station lists and site registries"},
    {"aqi", lt_cmd_aqi,
     "compute AQI (calc), check it against CNEMC files (verify), or list it from the store"},
    {"stats", lt_cmd_stats, "statistics of a site, city or county over a period (GB 3095, HJ 663)"},
    {"rank", lt_cmd_rank, "rank cities or counties by comprehensive index, PM2.5 or change"},
    {"target", lt_cmd_target, "where an area stands against its targets; remaining-days budget"},
    {"correct", lt_cmd_correct, "record a correction of an hourly value (数据审核), list them"},
    {"dust", lt_cmd_dust, "flag dust-affected days of an area, list them"},
    {"hj212", lt_cmd_hj212, "check HJ 212 frames (stdin) and print what they contain"},
    {"device", lt_cmd_device,
     "HJ 212 devices: register, map factors, quarantine and adopt, health, exceedances"},
    {"serve", lt_cmd_serve, "run the server: HJ 212 ingest (port 8212) and the HTTP API (8080)"},
    {"ingest", lt_cmd_ingest, "run only the HJ 212 ingest server"},
    {"api", lt_cmd_api, "run only the HTTP API"},
    {"user", lt_cmd_user, "accounts of the HTTP API: add (the first admin), list, disable"},
    {"simulate", lt_cmd_simulate, "a loopback HJ 212 device fleet for load and fault tests"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: lantian <command> [options]\n\ncommands:\n");
    for (const struct lt_cmd *c = lt_cmds; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->help);
    fprintf(f, "\nRun 'lantian <command> --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return LT_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return LT_EXIT_OK;
    }
    for (const struct lt_cmd *c = lt_cmds; c->name; c++)
        if (!strcmp(argv[1], c->name))
            return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "lantian: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return LT_EXIT_USAGE;
}

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

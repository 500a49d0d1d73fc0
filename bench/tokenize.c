/* lantian bench — the "bare read-and-tokenize" baseline.
 *
 * Reads CNEMC files the way any fair reader must (gzread for .gz, read(2) otherwise, 256 KiB
 * buffers), splits them into lines and comma-separated fields and counts fields, non-empty fields
 * and numeric-looking fields (first byte a digit, '-' or '.'). It converts nothing: no number
 * parsing, no station lookup, no statistics. It is the floor a file-based statistics run cannot go
 * below, so bench/run_stats_bench.sh reports lantian's time as a multiple of this one.
 *
 * Usage: tokenize [--list FILE|-] [FILE...]
 *   --list FILE   read the paths from FILE, one per line ("-" is standard input)
 * Prints one line of totals (so that the work cannot be optimised away). Exit status 0, or 1 when
 * a file cannot be opened or its gzip stream is corrupt (reading goes on with the next file).
 *
 * Built by the bench script with: cc -O2 -std=c11 tokenize.c -lz
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#define TOK_BUF_SIZE (256u * 1024u)

struct tok_counts {
    uint64_t files;
    uint64_t bytes;
    uint64_t lines;
    uint64_t fields;
    uint64_t nonempty;
    uint64_t numeric;
};

/* Tokenizer state that survives buffer boundaries: whether the next byte starts a field, and
 * whether the current line has any byte (so a final line without a newline still counts). */
struct tok_state {
    int at_field_start;
    int line_open;
};

static void tok_feed(struct tok_state *s, struct tok_counts *c, const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    int at_start = s->at_field_start;
    int open = s->line_open;
    uint64_t fields = 0, nonempty = 0, numeric = 0, lines = 0;

    while (p < end) {
        unsigned char ch = *p++;
        if (ch == ',') {
            fields++;
            at_start = 1;
            open = 1;
        } else if (ch == '\n') {
            fields++;
            lines++;
            at_start = 1;
            open = 0;
        } else if (ch == '\r') {
            /* CRLF: the '\r' ends nothing by itself; the '\n' ends the field and the line. */
        } else {
            if (at_start) {
                nonempty++;
                if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '.')
                    numeric++;
                at_start = 0;
            }
            open = 1;
        }
    }
    s->at_field_start = at_start;
    s->line_open = open;
    c->fields += fields;
    c->nonempty += nonempty;
    c->numeric += numeric;
    c->lines += lines;
    c->bytes += n;
}

static void tok_finish(struct tok_state *s, struct tok_counts *c)
{
    if (s->line_open) {
        c->fields++;
        c->lines++;
    }
    s->at_field_start = 1;
    s->line_open = 0;
}

static int has_gz_suffix(const char *path)
{
    size_t n = strlen(path);
    return n > 3 && memcmp(path + n - 3, ".gz", 3) == 0;
}

/* Returns 0, or -1 after printing the reason to stderr. */
static int tok_file(const char *path, unsigned char *buf, struct tok_counts *c)
{
    struct tok_state s = {1, 0};
    int rc = 0;

    if (has_gz_suffix(path)) {
        gzFile gz = gzopen(path, "rb");
        if (gz == NULL) {
            fprintf(stderr, "tokenize: %s: cannot open\n", path);
            return -1;
        }
        gzbuffer(gz, TOK_BUF_SIZE);
        for (;;) {
            int n = gzread(gz, buf, TOK_BUF_SIZE);
            if (n < 0) {
                int errnum = 0;
                const char *msg = gzerror(gz, &errnum);
                fprintf(stderr, "tokenize: %s: %s\n", path, msg);
                rc = -1;
                break;
            }
            if (n == 0)
                break;
            tok_feed(&s, c, buf, (size_t)n);
        }
        gzclose(gz);
    } else {
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "tokenize: %s: %s\n", path, strerror(errno));
            return -1;
        }
        for (;;) {
            ssize_t n = read(fd, buf, TOK_BUF_SIZE);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                fprintf(stderr, "tokenize: %s: %s\n", path, strerror(errno));
                rc = -1;
                break;
            }
            if (n == 0)
                break;
            tok_feed(&s, c, buf, (size_t)n);
        }
        close(fd);
    }
    tok_finish(&s, c);
    c->files++;
    return rc;
}

/* Paths from a list file, one per line; blank lines are skipped. */
static int tok_list(const char *list, unsigned char *buf, struct tok_counts *c)
{
    FILE *f = strcmp(list, "-") == 0 ? stdin : fopen(list, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;

    if (f == NULL) {
        fprintf(stderr, "tokenize: %s: %s\n", list, strerror(errno));
        return -1;
    }
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (tok_file(line, buf, c) != 0)
            rc = -1;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    struct tok_counts c = {0, 0, 0, 0, 0, 0};
    unsigned char *buf = malloc(TOK_BUF_SIZE);
    int status = 0;

    if (buf == NULL) {
        fputs("tokenize: out of memory\n", stderr);
        return 1;
    }
    if (argc < 2) {
        fputs("usage: tokenize [--list FILE|-] [FILE...]\n", stderr);
        free(buf);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            if (i + 1 >= argc) {
                fputs("tokenize: --list needs a file\n", stderr);
                status = 2;
                break;
            }
            if (tok_list(argv[++i], buf, &c) != 0)
                status = 1;
        } else if (tok_file(argv[i], buf, &c) != 0) {
            status = 1;
        }
    }
    printf("files=%llu bytes=%llu lines=%llu fields=%llu nonempty=%llu numeric=%llu\n",
           (unsigned long long)c.files, (unsigned long long)c.bytes, (unsigned long long)c.lines,
           (unsigned long long)c.fields, (unsigned long long)c.nonempty,
           (unsigned long long)c.numeric);
    free(buf);
    return status;
}

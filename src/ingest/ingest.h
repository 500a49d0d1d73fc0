/* lantian — the HJ 212 ingest server (libuv): listener, connections, per-connection framing with
 * a capped buffer, a bounded queue to one writer thread that commits batches into the store and
 * hands acknowledgements back to the loop.
 *
 * Threads: everything here runs on the thread of the uv loop given to lt_ingest_new, except the
 * writer, which is a thread of its own and the only user of its store handle. Not thread-safe.
 */
#ifndef LANTIAN_INGEST_H
#define LANTIAN_INGEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "lantian/source.h"

/* ---- options: one table (name, type, default, range, help) drives INI, command line, docs ---- */

struct lt_ingest_opts {
    char listen[64];         /* "127.0.0.1:8212" */
    long max_connections;    /* accepted connections at once; more are refused with a reason */
    long buffer_cap;         /* per-connection framing buffer, bytes (fixed when created) */
    long idle_timeout_s;     /* close a connection silent this long; 0 = never */
    long queue_max;          /* frames in flight (queued, being written, acks pending) */
    long queue_high;         /* stop reading from sockets at this many frames in flight */
    long queue_low;          /* resume reading at this many */
    long queue_max_bytes;    /* bytes of frames in flight */
    long batch_max;          /* frames per transaction */
    long batch_ms;           /* longest wait for a batch to fill, ms */
    long health_flush_ms;    /* device health counters are written at most this often, ms */
    long out_max;            /* bytes of replies a connection may leave unread before closing */
    long log_per_mn;         /* log lines per MN (or peer) and minute; the rest are counted */
    long registry_refresh_s; /* how long a looked-up device is trusted before reading it again */
    long keepalive_s;        /* TCP keepalive delay; 0 = off */
    long backlog;            /* listen() backlog */
    bool store_rtd;          /* store real-time (2011) values, not only 2051/2061/2031 */
    bool verbose;            /* log every connection open/close */
    char limits_file[256];   /* emission limits (INI) for CEMS judgement: "" = the built-in
                                config/emission_limits.ini, "none" = no judgement. Read by the
                                caller (cmd_serve.c), handed over with lt_ingest_set_limits. */
};

void lt_ingest_opts_defaults(struct lt_ingest_opts *o);
/* Set option `name` (INI spelling, e.g. "idle_timeout_s"; '-' is accepted for '_') from text.
 * Returns 0, LT_ENOTFOUND for an unknown name, or LT_EINVAL/LT_ERANGE with err filled. */
int lt_ingest_opts_set(struct lt_ingest_opts *o, const char *name, const char *value, char *err,
                       size_t errcap);
/* Read section [ingest] of an INI file. Unknown keys are errors (a typo must not go unnoticed). */
int lt_ingest_opts_load(struct lt_ingest_opts *o, const char *path, char *err, size_t errcap);
/* Cross-checks (queue_low < queue_high <= queue_max ...). */
int lt_ingest_opts_check(const struct lt_ingest_opts *o, char *err, size_t errcap);
/* The options table as help text ("--name VALUE  help [default, range]"), or as a Markdown table.
 */
void lt_ingest_opts_help(FILE *f, bool markdown);
/* Print the effective values, one "name = value" line each. */
void lt_ingest_opts_print(FILE *f, const struct lt_ingest_opts *o);

/* ---- the server ------------------------------------------------------------------------------ */

struct lt_ingest;

struct lt_ingest_counters {
    uint64_t conns_accepted, conns_refused, conns_open, conns_idle_closed, conns_out_closed;
    uint64_t conns_replaced;          /* old connections closed because their MN connected again */
    uint64_t frames;                  /* frames (valid CRC) handed to the writer */
    uint64_t rejects;                 /* chunks the framer rejected */
    uint64_t acks_sent;               /* replies written */
    uint64_t acks_lost;               /* replies whose connection was gone */
    uint64_t stored;                  /* frames committed (writer) */
    uint64_t pauses;                  /* times reading was stopped for back-pressure */
    uint64_t store_errs;              /* batches that failed to commit */
    uint64_t exceedances, not_judged; /* CEMS hourly values: events recorded; values not judged
                                         (flagged value or O2, unknown reference O2) */
};

/* Create the server on `loop` with the store at db_path (opened by the writer thread). err gets a
 * sentence on failure. Returns 0 or a negative LT_E*. */
int lt_ingest_new(struct lt_ingest **out, uv_loop_t *loop, const struct lt_ingest_opts *o,
                  const char *db_path, char *err, size_t errcap);
/* The emission limits hourly values of CEMS outlets are judged against (lt_source_judge), copied;
 * `origin` names them in the start-up log (a file, or "built-in ..."). Call before
 * lt_ingest_start; without it nothing is judged (logged at start). 0 or LT_ENOMEM. */
int lt_ingest_set_limits(struct lt_ingest *g, const struct lt_limits *l, const char *origin);
/* Start listening and the writer thread. The bound port is in *port (listen "host:0" picks one). */
int lt_ingest_start(struct lt_ingest *g, int *port, char *err, size_t errcap);
/* Graceful stop: stop accepting and reading, let the writer commit everything queued and the acks
 * go out, close every handle, join the writer. `done` runs on the loop when all is closed. */
void lt_ingest_stop(struct lt_ingest *g, void (*done)(void *arg), void *arg);
/* Free after `done` ran (or when lt_ingest_start failed). NULL is fine. */
void lt_ingest_free(struct lt_ingest *g);
void lt_ingest_get_counters(const struct lt_ingest *g, struct lt_ingest_counters *c);

/* ---- internal: the writer thread (writer.c) -------------------------------------------------- */

/* One received chunk: a frame with a valid CRC (status 0) or a chunk the framer rejected. Created
 * by the loop, owned by the queue, processed by the writer, handed back with its reply. */
struct lt__job {
    struct lt__job *next;
    struct lt__job *ack_next; /* loop: the next reply due to the same connection in one round */
    uint64_t conn_id;
    int64_t recv_ms;
    int fr_status;    /* 0 (a frame with a valid CRC) or the framer's lt_hj212_reject */
    int status;       /* writer: the archived status (fr_status, syntax, or a reason >= 100) */
    int crc_kind;     /* lt_hj212_crc_kind of a frame */
    char peer[48];    /* "ip:port" */
    char conn_mn[32]; /* the MN the connection is bound to ("" none): framing errors count there */
    char mn[32];      /* writer: the frame's MN when parsed */
    bool accepted;    /* writer: stored as a device's data */
    bool committed;   /* writer: its batch committed */
    uint32_t seg_off, seg_len; /* the data segment of a frame within bytes */
    uint16_t reply_len;
    char reply[320]; /* writer: the reply frame to send (9014/9013), reply_len 0 = none */
    uint32_t len;
    uint8_t bytes[]; /* the raw bytes */
};

struct lt__writer;

struct lt__writer_stats {
    uint64_t batches, frames, committed, values, dup_values, conflicts, unknown_mn, bad_pw,
        disabled, syntax, crc_variant, exceedances, hourly_puts, commit_errs;
    uint64_t not_judged; /* CEMS hourly values not judged (lt_judgement.why is logged) */
    uint64_t no_limit;   /* CEMS hourly values of a factor with no limit for the outlet/type */
    uint64_t dev_copied; /* device value rows copied into device-first order (store.h) */
};

/* Start the writer thread on db_path. `async` is signalled after each batch is done. limits (NULL:
 * no judgement) must outlive the writer; they are only read. */
int lt__writer_new(struct lt__writer **out, const struct lt_ingest_opts *o, const char *db_path,
                   const struct lt_limits *limits, const char *limits_origin, uv_async_t *async,
                   char *err, size_t errcap);
/* Queue a list of jobs (head..tail); never blocks (the loop bounds what it queues). */
void lt__writer_push(struct lt__writer *w, struct lt__job *head, struct lt__job *tail, int n);
/* Take the finished jobs (committed or failed), in order; NULL when none. */
struct lt__job *lt__writer_take_done(struct lt__writer *w);
/* Ask the writer to finish what is queued and exit; join it. */
void lt__writer_stop(struct lt__writer *w);
void lt__writer_free(struct lt__writer *w);
void lt__writer_get_stats(struct lt__writer *w, struct lt__writer_stats *s);

/* ---- internal: per-key log rate limiting (one instance per thread) --------------------------- */

struct lt__ratelog;
struct lt__ratelog *lt__ratelog_new(long per_min);
void lt__ratelog_free(struct lt__ratelog *r);
/* Log "fmt" under key (an MN or peer) unless the key used its quota this minute; when a new
 * minute starts, first say how many lines were suppressed. now_ms is the caller's clock. */
void lt__ratelog(struct lt__ratelog *r, const char *key, int64_t now_ms, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Unconditional log line with a timestamp and the component. */
void lt__log(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
int64_t lt__now_ms(void);

#endif

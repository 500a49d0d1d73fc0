/* lantian — rows of the audit log, built the same way by the CLI and the HTTP API.
 *
 * Every change to official data (corrections, dust days, the site registry, devices, targets,
 * accounts) appends one row — who, when, what, the object before and after as JSON — in the same
 * transaction as the change itself (docs/API.md "GET /api/audit"). The JSON objects are written
 * here once, so that a row made by `lantian correct` reads exactly like one made by
 * POST /api/corrections. Passwords never appear: devices show only `password_set`, users neither
 * their hash nor their password.
 *
 * Not thread-safe in the sense of sharing: each caller builds its own row.
 */
#ifndef LANTIAN_CLI_AUDIT_H
#define LANTIAN_CLI_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

/* Who runs the command line, as the audit log names it: "cli:" and the login name of the
 * effective user (getpwuid(geteuid())), else $LOGNAME, else $USER, else "cli:uid<N>". At most
 * 63 bytes. */
void lt_audit_cli_user(char *buf, size_t cap);
/* The clock now, UTC milliseconds (the CLI and the HTTP server are the edges that read it). */
int64_t lt_audit_now_ms(void);

/* The JSON objects of before/after (one object, no newline). */
void lt_audit_site_json(FILE *f, const struct lt_site *s);
/* A device with password_set, never the password; "password_changed": true when asked to. */
void lt_audit_device_json(FILE *f, const struct lt_device *d, bool password_changed);
void lt_audit_quarantine_json(FILE *f, const struct lt_quarantine *e);
void lt_audit_factor_json(FILE *f, const struct lt_device_factor *x);
void lt_audit_user_json(FILE *f, const struct lt_user *u); /* no hash */
/* A target as {"area", "year", "name", "ruleset", "source", "pm25": "<36" | "40" | null, ...}:
 * each value as a targets file writes it. */
void lt_audit_target_json(FILE *f, const struct lt_target *t);
/* Value kind k (lt_target_kind) as a targets file writes it: "<36" strictly below (a ceiling),
 * ">80" strictly above (a floor: good days, good ratio), "36" at most / at least; "" when NaN
 * (buf >= 32 bytes). */
void lt_audit_target_value(char *buf, size_t cap, int kind, double v, bool strict);
/* A correction: before {"site", "pollutant", "time", "value"} and after {"correction_id", "site",
 * "pollutant", "time", "value", "who", "why"} (value null = invalid). */
void lt_audit_correction_before(FILE *f, const char *site, int factor, int64_t ts, double old);
void lt_audit_correction_after(FILE *f, int64_t id, const char *site, int factor, int64_t ts,
                               double value, const char *who, const char *why);
/* The dust flags of an area's days d0 .. d1 (at most 366) as {"area", "from", "to", "flagged",
 * "flags"}: flags has one character per day, '1' flagged. *out malloc'd. 0 or LT_E*. */
int lt_audit_dust_json(struct lt_store *st, const char *area, int32_t d0, int32_t d1, char **out);

/* Record a correction (lt_store_correct: `who` is the person named on the record, at_ms / 1000
 * its time) and its audit row by `user` (action "correction", object
 * "hourly/{site}/{pollutant}/{hour}"). The caller holds the transaction. *before and *after
 * (malloc'd) get the row's objects. 0 or the store's LT_E* (LT_ENOTFOUND: no value stored). */
int lt_audit_correct(struct lt_store *st, const char *site, int factor, int64_t ts, double value,
                     const char *who, const char *why, const char *user, int64_t at_ms, int64_t *id,
                     char **before, char **after);
/* Flag (clear false) or unflag the days d0 .. d1 (at most 366) of an area as dust days and
 * append the audit row (action "dust_set" / "dust_clear", object "dust/{area}/{from}:{to}"). The
 * caller holds the transaction. *before / *after as lt_audit_dust_json. */
int lt_audit_dust(struct lt_store *st, const char *area, int32_t d0, int32_t d1, bool clear,
                  const char *user, int64_t at_ms, char **before, char **after);

/* Adopt a quarantined MN as device d (lt_store_quarantine_adopt) and append the audit row
 * (action "quarantine_adopt", object "device/{mn}", before the quarantine entry, after the
 * device). LT_ENOTFOUND when the MN is not in quarantine or d's site is unknown, LT_EEXIST when
 * it is a device already. before/after (optional) get the row's objects (malloc'd). */
int lt_audit_adopt(struct lt_store *st, const struct lt_device *d, const char *user, int64_t at_ms,
                   char **before, char **after);

/* A row being built: write the object before into r->b (nothing when there was none) and the
 * object after into r->a (nothing when it is gone), then append. */
struct lt_audit_row {
    FILE *b, *a;
    char *before, *after;
    size_t blen, alen;
};
/* Open both streams; LT_ENOMEM. */
int lt_audit_row_open(struct lt_audit_row *r);
/* Close the streams (idempotent): r->before / r->after then hold the objects (blen / alen bytes;
 * a stream left empty holds ""). 0 or LT_ENOMEM. */
int lt_audit_row_close(struct lt_audit_row *r);
/* Close the streams and append the row (a stream left empty is NULL in the log). 0, LT_ENOMEM,
 * LT_EINVAL (an object over LT_AUDIT_JSON_MAX - 1 bytes, empty user/action/object) or the
 * store's error. */
int lt_audit_row_append(struct lt_audit_row *r, struct lt_store *st, int64_t at_ms,
                        const char *user, const char *action, const char *object);
/* Free what the row holds (streams closed if still open); a zeroed row is fine. */
void lt_audit_row_free(struct lt_audit_row *r);

#endif

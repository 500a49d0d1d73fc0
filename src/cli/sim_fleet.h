/* lantian simulate --db: a simulated device fleet taken from the device registry (src/cli/
 * sim_fleet.c), for the demo and its tests.
 *
 * Each unit is a registered device whose MN starts with the simulator's prefix: an air station
 * bound to a monitoring site, or a CEMS outlet with a source type. Air stations continue from what
 * the store holds for their site (the last stored hour and, for each pollutant and Beijing hour of
 * the day, the mean level of the last 8 days: a log-normal AR(1) walk around that diurnal level);
 * CEMS outlets emit around a fraction of their emission limits, above them in about one hour in
 * twelve. Values depend only on the MN, the hour and the state carried from the hour before, so
 * sending an hour twice sends the same values. Not thread-safe; no I/O besides the store calls.
 */
#ifndef LANTIAN_CLI_SIM_FLEET_H
#define LANTIAN_CLI_SIM_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lantian/common.h"
#include "lantian/source.h"
#include "store/store.h"

/* The CEMS factors simulated: O2, then SO2, NOx, particulates (HJ 212-2017 codes). */
#define LT_SIM_CEMS_N 3

struct lt_sim_unit {
    char mn[32];
    char pw[16];
    bool cems;
    char site[16];   /* air: the monitoring site */
    char outlet[64]; /* CEMS: the outlet and its source type */
    char type[32];
    int64_t hour; /* interval start (UTC s) of the hour whose values are below; 0 = none yet */
    /* air: the hour's values of the six pollutants (µg/m3, CO mg/m3), rounded as sent */
    double v[LT_POLL_N];
    bool has[LT_POLL_N];         /* pollutants the site measures (any value in the last 8 days) */
    double x[LT_POLL_N];         /* log of the current level (the walk's state) */
    double level[LT_POLL_N][24]; /* log mean by Beijing hour of the day (hour ending h+1) */
    int64_t last_stored;         /* hour-ending UTC s of the site's last stored hour, 0 none */
    /* CEMS: O2 % and the measured and corrected (Zs) values of SO2, NOx, particulates (mg/m3) */
    double o2, meas[LT_SIM_CEMS_N], zs[LT_SIM_CEMS_N];
};

/* Register the simulated fleet in the store, keeping devices already registered as they are:
 * one air station per city of `province` (per_city of them; NULL province: none) at evaluation
 * sites valid today, preferring sites with a value in the last two days, with MN = prefix + "A" +
 * the site code left-padded with '0' to 15 characters; and ncems CEMS outlets (MN = prefix + "C" +
 * 15 digits, outlet SIM-Enn-DA001) whose source types cycle through the types of `lim` that
 * correct to a reference O2. *added (optional) counts the devices added, *kept those already
 * there. 0, LT_ENOTFOUND when the province has no evaluation site, or a store error. */
int lt_sim_fleet_register(struct lt_store *st, const char *prefix, const char *province,
                          int per_city, int ncems, const struct lt_limits *lim, int64_t now,
                          int *added, int *kept);

/* The fleet: enabled devices whose MN starts with prefix, air stations with a site and CEMS
 * outlets, ordered by MN; for each air station its site's last 8 days (Beijing days) up to `now`.
 * *out is malloc'd (free()). 0 or a store error (LT_ENOMEM). */
int lt_sim_fleet_load(struct lt_store *st, const char *prefix, int64_t now,
                      struct lt_sim_unit **out, int *n);

/* Move a unit to the hour starting at `hour` (UTC s, a whole hour): air stations take one step of
 * their walk from the hour before, CEMS outlets draw the hour's values against the limits in force
 * that Beijing day (lim may be NULL: typical values). */
void lt_sim_unit_hour(struct lt_sim_unit *u, const struct lt_limits *lim, int64_t hour);

/* The data segment of a frame (no length or CRC) into seg: the hour's values as a CN 2061 upload
 * (DataTime = the hour's start) when hourly, else a CN 2011 real-time upload at data_time (UTC s)
 * with values near the hour's. Flag=5 (acknowledgement requested). Its length, or 0 when it does
 * not fit. */
size_t lt_sim_unit_segment(const struct lt_sim_unit *u, bool hourly, int64_t data_time,
                           const char *qn, char *seg, size_t cap);

/* Beijing time YYYYMMDDhhmmss of UTC seconds (HJ 212 DataTime). */
void lt_sim_bj14(int64_t utc, char *out, size_t cap);

#endif

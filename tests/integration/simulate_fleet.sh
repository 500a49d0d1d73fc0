#!/usr/bin/env bash
# lantian simulate --db: the registry fleet of the demo. Registration (one air station per Henan
# city at an evaluation site with recent data, CEMS outlets with source types of the limits;
# idempotent); then, against `lantian ingest`, frames for every registered device, the hours since
# each site's last stored hour sent as CN 2061 and stored in the hourly table up to the current
# hour (continuing plausibly from the stored values), real-time CN 2011 values, CEMS hourly values
# consistent with their O2 correction; an MN the server does not know is quarantined and nothing
# of it reaches the hourly table. SIGTERM ends a run early with its totals, however many come;
# bad command lines.
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_TMP:?}"
command -v sqlite3 >/dev/null || { echo "simulate_fleet.sh: sqlite3 CLI required"; exit 1; }
T="$LT_TMP/simulate_fleet"
rm -rf "$T" && mkdir -p "$T"
DB="$T/f.db"
SPID=
fail() {
    echo "FAIL: $*" >&2
    for f in "$T/err" "$T/server.log" "$T/sim.out" "$T/sim.err"; do
        [ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }
    done
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    exit 1
}
status() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; set -e; cat "$T/rc"; }
q() { sqlite3 "$DB" "$1"; }
label() { date -u -d "@$(($1 + 28800))" "+%F %H:00"; } # Beijing label of an hour-ending time

# The test sends the hours up to the current one: keep clear of an hour boundary.
s=$(($(date +%s) % 3600))
[ "$s" -lt 3510 ] || sleep $((3600 - s + 5))
NOW_H=$(($(date +%s) / 3600 * 3600)) # hour-ending time of the last full hour
CUT=$((NOW_H - 3 * 3600))

# Two days of real data moved onto today, cut three hours ago (the hours since are the fleet's).
today=$(date -u -d "@$(($(date +%s) + 28800))" +%F)
src=2019-${today:5:5}
[ "${today:5:5}" = 02-29 ] && src=2019-02-28
N=$((($(date -u -d "$today" +%s) - $(date -u -d "$src" +%s)) / 86400))
prev=$(date -u -d "$src -1 day" +%Y%m%d)
H="$LT_SHARED/data/cnemc/henan-2019"
"$LANTIAN" import cnemc --db "$DB" --stations "$LT_SHARED/data/cnemc/stations.csv" \
    --shift-days "$N" --until "$(label $CUT)" "$H/china_sites_$prev.csv.gz" \
    "$H/china_sites_${src//-/}.csv.gz" 2>"$T/import.err" || fail "import"

# ---- registration -------------------------------------------------------------------------------
[ "$(status "$LANTIAN" simulate --db "$DB" --province 河南 --cems 2 --register-only)" = 0 ] ||
    fail "register exited $(cat "$T/rc")"
grep -q "19 devices registered in $DB (0 registered already)" "$T/err" || fail "register message"
[ "$(q "SELECT count(*) FROM devices WHERE mn LIKE '5A3D0000A%' AND kind = 'air'")" = 17 ] ||
    fail "17 air stations expected"
# MN = prefix + A + the site code padded with 0, bound to that site: one per city, each with data.
[ "$(q "SELECT count(*) FROM devices WHERE kind = 'air' AND mn <> '5A3D0000A' || substr('000000000000000' || site, -15)")" = 0 ] ||
    fail "MN does not name its site"
[ "$(q "SELECT count(DISTINCT s.city) FROM devices d JOIN sites s ON s.code = d.site WHERE s.province = '河南省' AND s.is_eval")" = 17 ] ||
    fail "not one evaluation site per city"
[ "$(q "SELECT count(*) FROM devices d WHERE kind = 'air' AND NOT EXISTS (SELECT 1 FROM hourly h JOIN sites s ON s.id = h.site_id WHERE s.code = d.site AND h.ts > $CUT - 86400)")" = 0 ] ||
    fail "a station without recent data was chosen"
q "SELECT outlet, source_type FROM devices WHERE kind = 'cems' ORDER BY mn" >"$T/cems"
diff "$T/cems" - <<'EOF' || fail "CEMS outlets: $(cat "$T/cems")"
SIM-E01-DA001|cement_kiln
SIM-E02-DA001|gas_boiler_zhengzhou
EOF
# Again: nothing new, nothing changed.
[ "$(status "$LANTIAN" simulate --db "$DB" --province 河南 --cems 2 --register-only)" = 0 ] ||
    fail "second registration"
grep -q "0 devices registered in $DB (19 registered already)" "$T/err" || fail "registration is not idempotent"

# The simulator's registry: the server's, plus one air station the server does not know.
cp "$DB" "$T/sim.db"
"$LANTIAN" device add --db "$T/sim.db" --mn 5A3D0000A00000000001317A --kind air --site 1317A \
    --pw 123456 >/dev/null || fail "device add"
[ "$(q "SELECT count(*) FROM devices WHERE site = '1317A'")" = 0 ] || fail "1317A must not be in the fleet"

# Each air station catches up from its site's last stored hour (a value, not an NM mark) to the
# current hour, at most 24 hours: usually the cut, earlier where the real data miss that hour.
catchup() { # STORE WHERE: the hours the air devices of STORE matching WHERE catch up
    sqlite3 "$1" "SELECT sum(min(($NOW_H - m) / 3600, 24)) FROM (SELECT (SELECT max(h.ts) FROM hourly h
        JOIN sites s ON s.id = h.site_id WHERE s.code = d.site AND h.factor < 6
        AND h.value IS NOT NULL AND h.ts <= $CUT) AS m FROM devices d WHERE $2)"
}
AIR_H=$(catchup "$DB" "d.kind = 'air'")
UNKNOWN_H=$(catchup "$T/sim.db" "d.site = '1317A'")
[ "$AIR_H" -ge 51 ] && [ "$UNKNOWN_H" -ge 3 ] || fail "catch-up hours: $AIR_H, $UNKNOWN_H"

# ---- a run ------------------------------------------------------------------------------------------
"$LANTIAN" ingest --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" 2>"$T/server.log" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "ingest did not start"
"$LANTIAN" simulate --target "127.0.0.1:$(cat "$T/port")" --db "$T/sim.db" --interval 1 \
    --duration 5 --ack-log "$T/acks" >"$T/sim.out" 2>"$T/sim.err" || fail "simulate exited $?"
kill -TERM "$SPID"
wait "$SPID" || fail "ingest exit status"
SPID=

grep -q "18 air stations and 2 CEMS outlets of $T/sim.db (MN prefix 5A3D0000): real-time frames every 1 s" \
    "$T/sim.err" || fail "fleet line"
val() { sed -n "s/^$1=//p" "$T/sim.out"; }
[ "$(val devices)" = 20 ] || fail "devices=$(val devices)"
# The air stations' hours since their last stored one, the last full hour for each CEMS outlet.
[ "$(val backfill_hours)" = $((AIR_H + UNKNOWN_H + 2)) ] || fail "backfill_hours=$(val backfill_hours)"
# Every hour acknowledged but those of the unknown MN (its first hour waits, unacknowledged).
[ "$(val hourly_acked)" = $((AIR_H + 2)) ] || fail "hourly_acked=$(val hourly_acked)"
[ "$(val hourly_sent)" = $((AIR_H + 2 + 1)) ] || fail "hourly_sent=$(val hourly_sent)"
# Every registered device got acknowledgements; the unknown one none.
for mn in $(q "SELECT mn FROM devices ORDER BY mn"); do
    grep -q "^$mn " "$T/acks" || fail "no frame of $mn acknowledged"
done
grep -q "^5A3D0000A00000000001317A " "$T/acks" && fail "the unknown MN was acknowledged"
[ "$(q "SELECT frames > 0 FROM quarantine WHERE mn = '5A3D0000A00000000001317A'")" = 1 ] ||
    fail "the unknown MN is not in quarantine"

# The hourly table: each fleet site has its values for the three hours up to the current hour,
# no other site has anything after the cut, and nothing for the unknown MN's site.
[ "$(q "SELECT count(DISTINCT s.code) FROM hourly h JOIN sites s ON s.id = h.site_id JOIN devices d ON d.site = s.code WHERE h.factor < 6 AND h.ts = $NOW_H")" = 17 ] ||
    fail "the current hour ($(label $NOW_H)) missing for fleet sites"
[ "$(q "SELECT count(*) FROM (SELECT s.code FROM hourly h JOIN sites s ON s.id = h.site_id WHERE h.ts > $CUT GROUP BY s.code, h.factor HAVING count(*) <> 3 OR min(h.ts) <> $CUT + 3600 OR max(h.ts) <> $NOW_H)")" = 0 ] ||
    fail "after the cut each fleet site and pollutant has exactly the three hours up to now"
[ "$(q "SELECT count(*) FROM hourly h JOIN sites s ON s.id = h.site_id WHERE h.ts > $CUT AND s.code NOT IN (SELECT site FROM devices WHERE kind = 'air')")" = 0 ] ||
    fail "values after the cut at a site without a fleet device"
[ "$(q "SELECT count(*) FROM hourly h JOIN sites s ON s.id = h.site_id WHERE s.code = '1317A' AND h.ts > $CUT")" = 0 ] ||
    fail "the unknown MN's site got hourly values"
# Plausible continuation: the first simulated PM10 hour is within a factor 4 of the last stored one.
bad=$(q "SELECT s.code || ' ' || a.value || ' -> ' || b.value FROM hourly a JOIN hourly b ON b.site_id = a.site_id AND b.factor = a.factor JOIN sites s ON s.id = a.site_id WHERE a.factor = 4 AND a.ts = $CUT AND b.ts = $CUT + 3600 AND (b.value > 4 * a.value OR b.value * 4 < a.value)")
[ -z "$bad" ] || fail "PM10 jumps at the cut: $bad"
# Real-time values of every fleet device (2011, DataTime within the run), hourly ones of the CEMS.
[ "$(q "SELECT count(DISTINCT mn) FROM dev_records WHERE cn = 2011 AND data_time >= $NOW_H")" = 19 ] ||
    fail "real-time values missing"
# CEMS: the converted (Zs) value is the measured one at the reference O2 (10 % for a cement kiln):
# Zs = C x (21 - 10) / (21 - O2), to the 0.01 mg/m3 the values are sent with.
# vk: 2 = Avg, 7 = ZsAvg (lt_hj212_vk).
# (Device values are packed per frame since schema v6: read them with `lantian device values`.)
"$LANTIAN" device values --db "$DB" --mn 5A3D0000C000000000000001 --cn 2061 \
    --from "$(date -u -d "@$((NOW_H + 8 * 3600 - 4 * 86400))" +%F)" \
    --to "$(date -u -d "@$((NOW_H + 8 * 3600))" +%F)" --format csv > "$T/cems_values.csv" \
    || fail "device values"
bad=$(python3 - "$T/cems_values.csv" <<'PY'
import csv, sys
by = {}
for r in csv.DictReader(open(sys.argv[1])):
    by.setdefault(r["data_time"], {})[(r["factor"], r["kind"])] = float(r["value"])
bad = []
for t, v in sorted(by.items()):
    o2 = v.get(("a19001", "Avg"))
    for (f, k), a in v.items():
        z = v.get((f, "ZsAvg"))
        if k != "Avg" or f == "a19001" or z is None or o2 is None:
            continue
        if abs(z - a * 11 / (21 - o2)) > 0.02 + 0.001 * z:
            bad.append(f"{t} {f} {a} {z} O2 {o2}")
if not by:
    bad.append("no hourly values")
print("; ".join(bad))
PY
)
[ -z "$bad" ] || fail "CEMS Zs values inconsistent with O2 correction: $bad"
[ "$(q "SELECT coalesce(sum(n), 0) FROM dev_records WHERE mn = '5A3D0000C000000000000001' AND cn = 2061 AND data_time = $NOW_H - 3600")" -ge 7 ] ||
    fail "CEMS hourly values of the last full hour"

# ---- SIGTERM ends a run early, with its totals ----------------------------------------------------
"$LANTIAN" simulate --target 127.0.0.1:9 --db "$DB" --duration 600 >"$T/term.out" 2>"$T/term.err" &
P=$!
sleep 1
kill -TERM "$P"
wait "$P" || fail "simulate after SIGTERM exited $?"
grep -q "SIGTERM received, stopping" "$T/term.err" || fail "SIGTERM not reported"
grep -q "^devices=19$" "$T/term.out" || fail "no totals after SIGTERM"
# ... and a stop asked for again while the run winds down (a second Ctrl-C; a script's SIGTERM as
# --duration ends the run) loses nothing: SIGTERM after SIGTERM, from its start line until it ends.
"$LANTIAN" simulate --target 127.0.0.1:9 --db "$DB" --duration 600 >"$T/term.out" 2>"$T/term.err" &
P=$!
deadline=$((SECONDS + 60))
until grep -q "hours to catch up first" "$T/term.err"; do
    if ! kill -0 "$P" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then fail "simulate did not start"; fi
    sleep 0.05
done
while kill -TERM "$P" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do :; done
wait "$P" || fail "simulate under repeated SIGTERMs exited $?"
[ "$(grep -c "SIGTERM received, stopping" "$T/term.err")" = 1 ] || fail "one stop reported"
grep -q "^devices=19$" "$T/term.out" || fail "no totals after repeated SIGTERMs"

# ---- bad command lines --------------------------------------------------------------------------------
for bad in "--db $DB --devices 5" "--db $DB --faults" "--db $DB --rate 3" "--province 河南" \
    "--db $DB --interval 0" "--db $DB --backfill 200" "--db $DB --cems 101" "--duration 4000"; do
    # shellcheck disable=SC2086
    [ "$(status "$LANTIAN" simulate --target 127.0.0.1:9 $bad)" = 2 ] || fail "'$bad' exited $(cat "$T/rc")"
done
[ "$(status "$LANTIAN" simulate --target 10.0.0.1:8212 --db "$DB")" = 2 ] || fail "non-loopback target"
grep -q "refusing non-loopback target" "$T/err" || fail "non-loopback message"
[ "$(status "$LANTIAN" simulate --target 127.0.0.1:9 --db "$T/empty.db")" = 2 ] || fail "empty registry"
grep -q "no enabled air station or CEMS device with MN prefix 5A3D0000" "$T/err" || fail "empty registry message"
[ "$(status "$LANTIAN" simulate --db "$T/empty.db" --province 河南 --register-only)" = 2 ] ||
    fail "a province without sites"
grep -q "no evaluation site of province '河南' is valid today" "$T/err" || fail "no sites message"
echo "simulate_fleet: OK"

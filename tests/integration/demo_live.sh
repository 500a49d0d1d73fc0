#!/usr/bin/env bash
# scripts/demo.sh end to end, on two days of data in a temporary store with free ports: the
# shifted import, this year's ranking, statistics and demo targets, the server and the simulated
# fleet, the URL and the demo login; over HTTP, /api/aqi/latest answers with the current Beijing
# hour for exactly the fleet's sites (the import is cut two hours earlier, so those hours can only
# come from the fleet's HJ 212 frames) and /api/health says the data are moved. The re-run rules:
# a store of another shift (last year's) is made anew; with the same shift only the real hours
# since the last imported one are imported (the fleet's own hours kept, reported as conflicts), and
# nothing when there are none; a store of real data is refused and left alone. SIGTERM stops the
# server and the fleet cleanly, the fleet with its totals; so does LT_DEMO_SECONDS, whose end the
# fleet's own --duration meets.
#
# The clock. The hour the fleet's values must be served for is the one current when the test looks
# (the fleet catches up to the hour it starts in, then sends each hour a few seconds after it
# ends), so an hour boundary passing during the run changes what is expected, not whether it
# holds. Two things need the clock to stand still: the dates (today's shift, year, ranking), kept
# clear of Beijing midnight for the whole run, and the re-run that expects nothing new to import
# after the extension before it, the two kept clear of an hour boundary (sleeping past one that is
# too close). Waits are on conditions, with deadlines far above what they take.
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_SRC:?}" "${LT_TMP:?}"
command -v sqlite3 >/dev/null || { echo "demo_live.sh: sqlite3 CLI required"; exit 1; }
T="$LT_TMP/demo_live"
rm -rf "$T" && mkdir -p "$T"
DB="$T/data/demo.db"
DPID=
fail() {
    echo "FAIL: $*" >&2
    for f in "$T/out" "$T/data/demo-run/serve.log" "$T/data/demo-run/simulate.log"; do
        [ -f "$f" ] && { echo "== $f" >&2; tail -25 "$f" >&2; }
    done
    [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null
    exit 1
}
q() { sqlite3 "$DB" "$1"; }
stored_last() { "$LANTIAN" import shift-info --db "$DB" | sed -n 's/^stored_last=//p'; }
label() { date -u -d "@$(($1 + 28800))" "+%F %H:00"; } # Beijing label of an hour-ending time
# scripts/demo.sh on two days, in the test's directory, with free ports: `demo VAR=VALUE...`, and
# `demo_bg VAR=VALUE...` in the background with DPID its own process (env execs it).
DEMO=(env LT_DEMO_BIN="$LANTIAN" LT_SHARED="$LT_SHARED" LT_DEMO_DB="$DB" LT_DEMO_DAYS=2
    LT_DEMO_HTTP=127.0.0.1:0 LT_DEMO_HJ212=127.0.0.1:0)
demo() { "${DEMO[@]}" "$@" "$LT_SRC/scripts/demo.sh"; }
trap '[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null; true' EXIT
wait_url() { # the dashboard URL the demo prints, once it serves (the import and reports first)
    local deadline=$((SECONDS + 180))
    while [ "$SECONDS" -lt "$deadline" ]; do
        URL=$(sed -n 's|^   dashboard: \(http://127.0.0.1:[0-9]*/\) .*|\1|p' "$T/out")
        [ -n "$URL" ] && grep -q "^   Ctrl-C stops.$" "$T/out" && return 0
        kill -0 "$DPID" 2>/dev/null || fail "demo.sh ended before serving"
        sleep 0.1
    done
    fail "no dashboard URL printed"
}
hour_now() { echo $(($(date +%s) / 3600 * 3600)); } # hour-ending time of the last full hour
# clear_of PERIOD SECONDS [OFFSET]: unless more than SECONDS remain before the next boundary of
# PERIOD (Beijing's hours are UTC's; its midnight is PERIOD 86400 with OFFSET 28800), wait until
# 5 s after it.
clear_of() {
    local left=$(($1 - ($(date +%s) + ${3:-0}) % $1))
    [ "$left" -gt "$2" ] || sleep $((left + 5))
}

# The dates stay the same for the whole run (about ten seconds; under load a few times that).
clear_of 86400 300 28800
NOW_H=$(hour_now)
TODAY=$(date -u -d "@$(($(date +%s) + 28800))" +%F)
YEAR=${TODAY:0:4}
shift_of() { # the demo's shift for a day: 2019's same date lands on it
    local md=${1:5:5}
    [ "$md" = 02-29 ] && md=02-28
    echo $((($(date -u -d "$1" +%s) - $(date -u -d "2019-$md" +%s)) / 86400))
}

# ---- last year's demo, without serving ------------------------------------------------------------
LAST_YEAR_DAY=$(date -u -d "$TODAY -1 year" +%F)
demo LT_DEMO_TODAY="$LAST_YEAR_DAY" LT_DEMO_NO_SERVE=1 >"$T/out" 2>&1 || fail "last year's demo exited $?"
"$LANTIAN" import shift-info --db "$DB" | grep -qx "shift_days=$(shift_of "$LAST_YEAR_DAY")" ||
    fail "last year's shift not recorded"
grep -q "^== ${LAST_YEAR_DAY:0:4} ranking of Henan's cities" "$T/out" || fail "ranking printed"
[ ! -e "$T/data/demo-run" ] || fail "LT_DEMO_NO_SERVE=1 started the server"

# ---- today: another shift, so the store is made anew (cut five hours ago) -------------------------
demo LT_DEMO_NO_SERVE=1 LT_DEMO_UNTIL="$(label $((NOW_H - 5 * 3600)))" >"$T/out" 2>&1 ||
    fail "today's demo exited $?"
grep -q "^== making $DB anew: it holds a demo moved by $(shift_of "$LAST_YEAR_DAY") days, today's is moved by $(shift_of "$TODAY")" \
    "$T/out" || fail "the store of last year's demo was not made anew"
last=$(q "SELECT max(ts) FROM hourly")
# (at the cut, unless the real data of that hour are missing everywhere)
[ "$last" -le $((NOW_H - 5 * 3600)) ] && [ "$last" -ge $((NOW_H - 8 * 3600)) ] || fail "cut five hours ago: $last"
[ "$(stored_last)" = "$(label "$last")" ] || fail "stored_last $(stored_last), the table's $(label "$last")"
SL=$(stored_last)
[ "$(q "SELECT count(*) FROM hourly WHERE ts < $NOW_H - 3 * 86400")" = 0 ] || fail "last year's data left"

# ---- the same day, served: the real hours since (up to two hours ago), then the fleet's --------
"${DEMO[@]}" LT_DEMO_UNTIL="$(label $((NOW_H - 2 * 3600)))" "$LT_SRC/scripts/demo.sh" >"$T/out" 2>&1 &
DPID=$!
wait_url
grep -q "^== $DB holds today's demo up to $SL: importing the real hours since" \
    "$T/out" || fail "the store was not extended"
grep -q "login: admin / lantian-demo" "$T/out" || fail "demo login not printed"
grep -q "fed by a simulated fleet (17 air stations," "$T/out" || fail "fleet not described"
# /api/aqi/latest (public): the hour current when it answers (the last full hour), from exactly
# the fleet's air stations; waited for while the fleet sends the hours since the cut (or, past an
# hour boundary, the new hour). The hour is read before and after each request: either is right.
fleet=$(q "SELECT site FROM devices WHERE kind = 'air' AND mn LIKE '5A3D0000A%' ORDER BY site" | tr '\n' ' ')
[ "$(wc -w <<<"$fleet")" = 17 ] || fail "fleet sites: $fleet"
SERVED_H= # the hour-ending time of the hour it served
deadline=$((SECONDS + 180))
while :; do
    h0=$(hour_now)
    if curl -sf "${URL}api/aqi/latest?limit=5000" >"$T/latest" 2>/dev/null; then
        h1=$(hour_now)
        SERVED_H=$(python3 - "$T/latest" "$fleet" "$h0" "$(label "$h0")" "$h1" "$(label "$h1")" <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1]))
sites = " ".join(sorted(r["code"] for r in d["items"] if r["aqi"] is not None)) + " "
for ts, hour in ((sys.argv[3], sys.argv[4]), (sys.argv[5], sys.argv[6])):
    if d["hour"] == hour and sites == sys.argv[2]:
        print(ts)
        break
PY
        )
        [ -n "$SERVED_H" ] && break
    fi
    kill -0 "$DPID" 2>/dev/null || fail "demo.sh ended before /api/aqi/latest served the fleet's hour"
    [ "$SECONDS" -lt "$deadline" ] ||
        fail "/api/aqi/latest: not the current hour ($(label "$(hour_now)")) of the fleet's sites: $(head -c 600 "$T/latest")"
    sleep 0.2
done
[ "$SERVED_H" -ge "$NOW_H" ] || fail "served $(label "$SERVED_H"), before $(label "$NOW_H")"
curl -sf "${URL}api/health" >"$T/health" || fail "/api/health"
python3 - "$T/health" "$(shift_of "$TODAY")" <<'PY' || fail "/api/health demo: $(cat "$T/health")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["targets"] == "demo", d
assert d["demo"]["note"] == f"演示数据：2019 年真实数据平移 {sys.argv[2]} 天", d
PY
# The demo login, the fleet on the devices endpoint, this year's demo targets.
TOK=$(curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"name": "admin", "password": "lantian-demo"}' "${URL}api/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') || fail "demo login"
curl -sf -H "Authorization: Bearer $TOK" "${URL}api/devices?limit=100" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["total"] == 20, d["total"]' ||
    fail "/api/devices: 20 simulated devices expected"
curl -sf -G -H "Authorization: Bearer $TOK" "${URL}api/targets" --data-urlencode city=郑州 \
    -d "year=$YEAR" -d "as_of=$TODAY" -d config=demo >"$T/targets" || fail "/api/targets"
grep -q "郑州市 $YEAR (演示)" "$T/targets" || fail "this year's demo targets: $(head -c 300 "$T/targets")"
# SIGTERM (as Ctrl-C) stops the fleet, which prints its totals, then the server.
kill -TERM "$DPID"
wait "$DPID" || fail "demo.sh exited $? after SIGTERM"
DPID=
for want in "^== $YEAR ranking of Henan's cities by the comprehensive index, 1 January to today ($TODAY)" \
    "^== 郑州 $YEAR statistics, 1 January to today" \
    "^郑州 — targets 郑州市 $YEAR (演示)" "^鹤壁 — targets 鹤壁市 $YEAR (演示)" \
    "^== stopping the fleet and the server" "^sent=[1-9][0-9]* acked=[1-9][0-9]* hourly_acked=[1-9]" \
    "^lantian serve: stopped: "; do
    grep -q "$want" "$T/out" || fail "demo output lacks: $want"
done
grep -q "lantian simulate: SIGTERM received" "$T/data/demo-run/simulate.log" ||
    fail "SIGTERM: the fleet was not stopped"
grep -q '^hourly_acked=[1-9]' "$T/data/demo-run/simulate.log" || fail "the fleet did not finish"
curl -s "${URL}api/health" >/dev/null && fail "the server still answers after SIGTERM"
hourly=$(q "SELECT count(*) FROM hourly")

# ---- the same day, later: the real hours since, the fleet's hours kept ------------------------------
# The fleet sites' values of the hour served (before: the only ones of that hour).
FLEET_NOW="SELECT group_concat(v) FROM (SELECT s.code || ':' || h.factor || ':' || h.value AS v
    FROM hourly h JOIN sites s ON s.id = h.site_id WHERE h.ts = $SERVED_H AND h.factor < 6
    AND s.code IN (SELECT site FROM devices WHERE kind = 'air') ORDER BY s.code, h.factor)"
fleet_now=$(q "$FLEET_NOW")
SL=$(stored_last)
[ "$(q "SELECT count(DISTINCT site_id) FROM hourly WHERE ts = $SERVED_H")" = 17 ] ||
    fail "before the extension only the fleet has the hour served"
# This re-run and the next cut at the last full hour when they run: the same one (they take a
# second or two).
clear_of 3600 90
CUT_H=$(hour_now)
demo LT_DEMO_NO_SERVE=1 >"$T/out" 2>&1 || fail "extending re-run exited $?"
grep -q "^== $DB holds today's demo up to $SL: importing the real hours since" \
    "$T/out" || fail "the store was not extended to now"
SL2=$(stored_last)
# (Where the real data of the hours since are there: real data have missing hours.)
if [ "$SL2" != "$SL" ]; then
    grep -q "^conflicts: *[1-9]" "$T/out" || fail "the fleet's hours were not reported as conflicts"
fi
[ "$(q "$FLEET_NOW")" = "$fleet_now" ] ||
    fail "the fleet's values of the hour served changed"
if [ "$SL2" = "$(label "$CUT_H")" ]; then
    [ "$(q "SELECT count(DISTINCT h.site_id) FROM hourly h WHERE h.ts = $CUT_H")" -gt 60 ] ||
        fail "the other sites did not get the hour of the cut"
fi
hourly=$(q "SELECT count(*) FROM hourly")

# ---- and again: nothing to import ------------------------------------------------------------------
demo LT_DEMO_NO_SERVE=1 >"$T/out" 2>&1 || fail "same-day re-run exited $?"
[ "$(hour_now)" = "$CUT_H" ] || fail "the two re-runs took more than 90 s: not the same cut"
if [ "$(stored_last)" = "$(label "$CUT_H")" ]; then
    grep -q "^== $DB already holds today's demo (2019 data moved by $(shift_of "$TODAY") days, real hours up to $(stored_last)): nothing to import" \
        "$T/out" || fail "same-day re-run imported again"
    grep -q "^== importing" "$T/out" && fail "same-day re-run imported"
else
    # The real data of this hour are missing everywhere: the file of the day is read again.
    grep -q "^values stored: *0$" "$T/out" || fail "same-day re-run stored values"
fi
[ "$(q "SELECT count(*) FROM hourly")" = "$hourly" ] || fail "same-day re-run changed the store"

# ---- LT_DEMO_SECONDS stops the fleet and the server ----------------------------------------------
# The fleet's own --duration ends about when the demo's SIGTERM comes: its totals are printed
# either way.
"${DEMO[@]}" LT_DEMO_SECONDS=2 "$LT_SRC/scripts/demo.sh" >"$T/out" 2>&1 &
DPID=$!
wait_url
wait "$DPID" || fail "demo.sh exited $? after LT_DEMO_SECONDS"
DPID=
for want in "^== stopping the fleet and the server" "^sent=[0-9]* acked=[0-9]* hourly_acked=[0-9]" \
    "^lantian serve: stopped: "; do
    grep -q "$want" "$T/out" || fail "LT_DEMO_SECONDS: demo output lacks: $want"
done
grep -q '^devices=20$' "$T/data/demo-run/simulate.log" || fail "LT_DEMO_SECONDS: no fleet totals"
curl -s "${URL}api/health" >/dev/null && fail "the server still answers after LT_DEMO_SECONDS"

# ---- a store of real data is not the demo's to make anew ---------------------------------------
REAL="$T/real.db"
"$LANTIAN" import cnemc --db "$REAL" --stations "$LT_SHARED/data/cnemc/stations.csv" \
    "$LT_SHARED/data/cnemc/henan-2019/china_sites_20190101.csv.gz" 2>/dev/null || fail "real import"
before=$(sqlite3 "$REAL" "SELECT count(*) FROM hourly")
set +e
env LT_DEMO_BIN="$LANTIAN" LT_SHARED="$LT_SHARED" LT_DEMO_DB="$REAL" LT_DEMO_DAYS=2 \
    LT_DEMO_NO_SERVE=1 "$LT_SRC/scripts/demo.sh" >"$T/out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "demo.sh on a store of real data exited $rc"
grep -q "holds data that were not shifted (real data?)" "$T/out" || fail "real store message"
[ "$(sqlite3 "$REAL" "SELECT count(*) FROM hourly")" = "$before" ] || fail "the real store was changed"
echo "demo_live: OK"

#!/usr/bin/env bash
# The main job on the embedded default, live: set up, build, import the real Henan 2019 CNEMC data
# moved in time so that today has data (a demonstration store, data/demo.db), print this year's
# statistics and ranking of Henan's 17 cities and where Zhengzhou and Hebi stand on their (demo)
# targets today, then serve the dashboard while a simulated HJ 212 device fleet feeds it live
# frames. Prints the URL and the demo login; Ctrl-C (or SIGTERM) stops the server and the fleet.
#
# The shift: 2019's date of today (2019-MM-DD, 2019-02-28 for a 29 February) is moved onto today,
# every hour by the same whole number of days (the same date, so the seasons are right), and
# nothing after the last full hour now is stored: the store ends now, with this year's 1 January
# onwards behind it. The shift is recorded in the store and every page of the dashboard says so
# (演示数据：2019 年真实数据平移 N 天). The edition switch of 2026-03-01 (HJ 633-2026, GB 3095-2026
# transition) applies by the data's (shifted) date, so a current year of 2026 shows both
# editions, as a real 2026 would.
#
# Re-running. The shift is the same all year (it changes with the year, and at a 29 February):
# while it is, the store is kept and only the hours since its last imported hour are imported
# (from the few files of the days since; none within the same hour). The simulated stations'
# own hours of a previous run stay: the import reports them as conflicts and keeps them. When
# the shift differs, every hour would land on another stored hour (the store is append-only), so
# the demo store is made anew, with its demo login. A store of real data given as LT_DEMO_DB is
# never touched.
#
# Environment (all optional):
#   LT_DEMO_DB=PATH          the demonstration store (default data/demo.db)
#   LT_DEMO_HTTP=ADDR:PORT   the dashboard and API (default 127.0.0.1:8080; port 0: a free one)
#   LT_DEMO_HJ212=ADDR:PORT  HJ 212 devices (default 127.0.0.1:8212; port 0: a free one)
#   LT_DEMO_PASSWORD=PW      the demo login's password (default lantian-demo)
#   LT_DEMO_NO_SERVE=1       stop after printing: no server, no fleet
#   LT_DEMO_SECONDS=N        serve N seconds, then stop both (scripted runs)
#   LT_DEMO_DAYS=N           import only the N days up to 2019's date of today (tests)
#   LT_DEMO_FILES="F ..."    import these CNEMC files of 2019 instead (tests)
#   LT_DEMO_TODAY=YYYY-MM-DD the day the data are moved onto (default today, Beijing time)
#   LT_DEMO_UNTIL=HOUR       the import's cut (default the last full hour now); an earlier cut
#                            leaves the hours since to the simulated fleet (tests)
#   LT_DEMO_BIN=PATH         use this lantian binary: no setup, no build (tests)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${LT_SHARED:-../shared}
DB=${LT_DEMO_DB:-data/demo.db}
HTTP=${LT_DEMO_HTTP:-127.0.0.1:8080}
HJ212=${LT_DEMO_HJ212:-127.0.0.1:8212}
DEMO_PW=${LT_DEMO_PASSWORD:-lantian-demo}
PREFIX=5A3D0000 # MNs of the simulated fleet (lantian simulate's default prefix)

if [ -n "${LT_DEMO_BIN:-}" ]; then
    LANTIAN=$LT_DEMO_BIN
else
    ./scripts/setup.sh
    ./scripts/build-web.sh # the dashboard: lantian serve serves it at /
    LT_TARGET=lantian_cli ./scripts/build.sh build
    LANTIAN=build/lantian
fi
DATA=$(dirname "$DB")
mkdir -p "$DATA"

# ---- the shift: 2019's date of today lands on today ------------------------------------------
TODAY=${LT_DEMO_TODAY:-$(date -u -d "@$(($(date +%s) + 28800))" +%F)} # Beijing, UTC+8
date -u -d "$TODAY" +%F >/dev/null 2>&1 || { echo "demo: LT_DEMO_TODAY=$TODAY is not a date" >&2; exit 2; }
YEAR=${TODAY:0:4}
MD=${TODAY:5:5}
[ "$MD" = 02-29 ] && MD=02-28 # 2019 has no 29 February
SRC_DAY=2019-$MD
SHIFT=$((($(date -u -d "$TODAY" +%s) - $(date -u -d "$SRC_DAY" +%s)) / 86400))

if [ -n "${LT_DEMO_FILES:-}" ]; then
    read -r -a FILES <<<"$LT_DEMO_FILES"
else
    # Days after 2019's date of today would land after today: they are not read at all.
    FILES=()
    for f in "$SHARED"/data/cnemc/henan-2019/china_sites_2019*.csv.gz; do
        d=${f##*_}
        d=${d%%.*}
        [[ "$d" > "${SRC_DAY//-/}" ]] || FILES+=("$f")
    done
    if [ -n "${LT_DEMO_DAYS:-}" ] && [ "${#FILES[@]}" -gt "$LT_DEMO_DAYS" ]; then
        FILES=("${FILES[@]: -$LT_DEMO_DAYS}")
    fi
fi
[ "${#FILES[@]}" -gt 0 ] || { echo "demo: no CNEMC files to import (is $SHARED there?)" >&2; exit 2; }

# ---- the store: kept while the shift is the same, else made anew --------------------------------
# The cut: the last full hour now (hour-ending label), or LT_DEMO_UNTIL.
CUT=${LT_DEMO_UNTIL:-$(date -u -d "@$(($(date +%s) / 3600 * 3600 + 28800))" "+%F %H:00")}
IMPORT=yes
if [ -e "$DB" ]; then
    info=$("$LANTIAN" import shift-info --db "$DB")
    rec=$(sed -n 's/^shift_days=//p' <<<"$info")
    src_last=$(sed -n 's/^source_last=//p' <<<"$info")
    stored_last=$(sed -n 's/^stored_last=//p' <<<"$info")
    if [ "$rec" = "$SHIFT" ] && [ -n "$src_last" ]; then
        if [[ ! "$stored_last" < "$CUT" ]]; then
            IMPORT=no
            echo "== $DB already holds today's demo (2019 data moved by $SHIFT days, real hours" \
                "up to $stored_last): nothing to import"
        else
            # Only the files from the day of the last hour imported on (its hour 24 is hour 0 of
            # the next day's file: that file is read too).
            from=${src_last:0:10}
            from=${from//-/}
            kept=()
            for f in "${FILES[@]}"; do
                d=${f##*_}
                d=${d%%.*}
                [[ "$d" < "$from" ]] || kept+=("$f")
            done
            FILES=("${kept[@]}")
            echo "== $DB holds today's demo up to $stored_last: importing the real hours since" \
                "(the simulated stations' own hours of earlier runs are kept: the import reports" \
                "them as conflicts)"
        fi
    elif [ "$rec" = none ] && [ "$DB" != data/demo.db ]; then
        echo "demo: $DB holds data that were not shifted (real data?): the demo makes anew only" \
            "its own stores; give another LT_DEMO_DB" >&2
        exit 2
    else
        why="it holds a demo moved by $rec days, today's is moved by $SHIFT (a new year, or a 29 February passed)"
        [ "$rec" = none ] && why="it holds unshifted data of an older demo"
        [ "$rec" = "$SHIFT" ] && why="its import did not finish"
        echo "== making $DB anew: $why"
        rm -f "$DB" "$DB-wal" "$DB-shm"
    fi
fi
if [ "$IMPORT" = yes ] && [ "${#FILES[@]}" -gt 0 ]; then
    echo "== importing the Henan 2019 hourly station data into $DB, moved by $SHIFT days" \
        "($SRC_DAY -> $TODAY; DEMO DATA)"
    "$LANTIAN" import cnemc --db "$DB" --stations "$SHARED/data/cnemc/stations.csv" \
        --shift-days "$SHIFT" --until "$CUT" "${FILES[@]}" || {
        rc=$?
        # Exit status 1 means some input was rejected and reported; everything valid was stored.
        [ "$rc" -eq 1 ] || exit "$rc"
    }
fi

# ---- this year's numbers ------------------------------------------------------------------------
# The demo targets of this year: the plans' targets (config/targets-demo.ini) applied to the moved
# data, clearly labelled as demonstration values, unless the file has that year already.
TARGETS=$DATA/targets-demo.ini
has_target() { # AREA YEAR: does config/targets-demo.ini have a section for them?
    awk -v a="$1" -v y="$2" '/^\[/{ar="";yr=""} /^area *=/{ar=$3} /^year *=/{yr=$3}
        ar==a && yr==y {f=1} END {exit !f}' config/targets-demo.ini
}
{
    cat config/targets-demo.ini
    echo
    echo "; ---- written by scripts/demo.sh for its demonstration store: DEMO VALUES for $YEAR, not"
    echo "; official targets (the plans' targets applied to real 2019 data moved onto $YEAR)."
    if ! has_target 郑州 "$YEAR"; then
        printf '%s\n' "[郑州市 $YEAR (演示)]" "area = 郑州" "year = $YEAR" "ruleset = 2012" \
            "pm25 = 40" "good_ratio = 66.5" "heavy_ratio = 1.2" \
            "source = 演示: 郑州市2025年目标套用于${YEAR}年演示数据 (2019年真实数据平移), not an official target"
    fi
    if ! has_target 鹤壁 "$YEAR"; then
        printf '%s\n' "[鹤壁市 $YEAR (演示)]" "area = 鹤壁" "year = $YEAR" "ruleset = 2012" \
            "pm25 = 55" "pm10 = 103" "good_days = 230" \
            "source = 演示: 鹤壁市2019年目标套用于${YEAR}年演示数据 (2019年真实数据平移), not an official target"
    fi
} >"$TARGETS"

PERIOD=$YEAR-01-01:$TODAY
echo
echo "== $YEAR ranking of Henan's cities by the comprehensive index, 1 January to today ($TODAY)"
echo "   (demo data: real 2019 hours moved by $SHIFT days)"
"$LANTIAN" rank --db "$DB" --level city --province 河南 --period "$PERIOD"

echo
echo "== 郑州 $YEAR statistics, 1 January to today"
"$LANTIAN" stats --db "$DB" --city 郑州 --period "$PERIOD"

for city in 郑州 鹤壁; do
    echo
    echo "== $city $YEAR targets (demo values) and remaining-days budget as of today ($TODAY)"
    "$LANTIAN" target --db "$DB" --city "$city" --year "$YEAR" --as-of "$TODAY" --config "$TARGETS"
done

# ---- serve, with the simulated fleet ------------------------------------------------------------
# LT_DEMO_NO_SERVE=1 stops here, for scripted runs.
[ -n "${LT_DEMO_NO_SERVE:-}" ] && exit 0
if ! "$LANTIAN" user list --db "$DB" 2>/dev/null | grep -q '^admin\b'; then
    printf '%s\n' "$DEMO_PW" | "$LANTIAN" user add --db "$DB" --name admin --role admin \
        --password-stdin >/dev/null
fi
# The fleet: an air station at one evaluation site of each Henan city, three CEMS outlets whose
# source types have emission limits (the server judges their hourly values), registered before the
# server starts so that their first frames are not quarantined.
"$LANTIAN" simulate --db "$DB" --province 河南 --per-city 1 --cems 3 --mn-prefix "$PREFIX" \
    --register-only

RUN=$DATA/demo-run
mkdir -p "$RUN"
rm -f "$RUN/http.port" "$RUN/hj212.port"
SERVE_PID= SIM_PID= SLEEP_PID=
# stop [STATUS]: stop the fleet, then the server (it commits what it received); exit with STATUS,
# else with the server's.
stop() {
    trap - INT TERM
    local rc=0
    echo
    echo "== stopping the fleet and the server"
    if [ -n "$SLEEP_PID" ]; then kill "$SLEEP_PID" 2>/dev/null || true; fi
    if [ -n "$SIM_PID" ]; then
        kill -TERM "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
        grep -E '^(sent|acked|hourly_acked)=' "$RUN/simulate.log" | tr '\n' ' ' || true
        echo
    fi
    if [ -n "$SERVE_PID" ]; then
        kill -TERM "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" || rc=$?
    fi
    tail -n 1 "$RUN/serve.log"
    exit "${1:-$rc}"
}
trap stop INT TERM

"$LANTIAN" serve --db "$DB" --http "$HTTP" --http-port-file "$RUN/http.port" --listen "$HJ212" \
    --port-file "$RUN/hj212.port" --targets "$TARGETS" 2>"$RUN/serve.log" &
SERVE_PID=$!
for _ in $(seq 1200); do # up to a minute (a loaded machine, a sanitizer build)
    [ -s "$RUN/http.port" ] && [ -s "$RUN/hj212.port" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
done
if ! [ -s "$RUN/http.port" ] || ! [ -s "$RUN/hj212.port" ]; then
    echo "demo: the server did not start:" >&2
    tail -n 20 "$RUN/serve.log" >&2
    stop 1
fi
HOST=${HTTP%:*}
HJHOST=${HJ212%:*}
URL="http://$HOST:$(cat "$RUN/http.port")/"
# The fleet runs as long as the demo (at most a week: the simulator's bound).
"$LANTIAN" simulate --target "$HJHOST:$(cat "$RUN/hj212.port")" --db "$DB" --mn-prefix "$PREFIX" \
    --interval 10 --duration "${LT_DEMO_SECONDS:-604800}" >"$RUN/simulate.log" 2>&1 &
SIM_PID=$!

echo
echo "== serving (loopback only)"
echo "   dashboard: $URL   login: admin / $DEMO_PW"
fleet=$("$LANTIAN" device list --db "$DB" --format csv)
nair=$(grep -c "^${PREFIX}A" <<<"$fleet" || true)
ncems=$(grep -c "^${PREFIX}C" <<<"$fleet" || true)
echo "   HJ 212 devices: $HJHOST:$(cat "$RUN/hj212.port"), fed by a simulated fleet ($nair air stations,"
echo "   one per city, and $ncems CEMS outlets): real-time frames every 10 s, hourly values at each"
echo "   hour boundary (devices page after login)."
echo "   演示数据：2019 年真实数据平移 $SHIFT 天 — real hours up to the import's cut, then the fleet's."
echo "   logs: $RUN/serve.log, $RUN/simulate.log"
echo "   Ctrl-C stops."
if [ -n "${LT_DEMO_SECONDS:-}" ]; then
    sleep "$LT_DEMO_SECONDS" &
    SLEEP_PID=$!
    wait "$SLEEP_PID" || true
    SLEEP_PID=
    stop
fi
rc=0
wait "$SERVE_PID" || rc=$?
SERVE_PID=
# The server exits 0 only when stopped by a signal: Ctrl-C reaches it as well as this script.
if [ "$rc" -ne 0 ]; then
    echo "demo: the server stopped (exit status $rc):" >&2
    tail -n 20 "$RUN/serve.log" >&2
fi
stop "$rc"

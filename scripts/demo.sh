#!/usr/bin/env bash
# The main job on the embedded default: set up, build, import the real Henan 2019 CNEMC data into
# a SQLite file, and print the 2019 statistics and ranking of Henan's 17 cities and Zhengzhou's
# targets and remaining-days budget.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${LT_SHARED:-../shared}
DB=${LT_DEMO_DB:-data/demo.db}

./scripts/setup.sh
./scripts/build-web.sh   # the dashboard: lantian api --db data/demo.db serves it at /
LT_TARGET=lantian_cli ./scripts/build.sh build
LANTIAN=build/lantian
mkdir -p "$(dirname "$DB")"

echo "== importing the Henan 2019 hourly station data into $DB"
# Re-running the demo re-imports: the store keeps what it has and reports it as already present.
"$LANTIAN" import cnemc --db "$DB" --stations "$SHARED/data/cnemc/stations.csv" \
    "$SHARED"/data/cnemc/henan-2019/china_sites_2019*.csv.gz || {
    rc=$?
    # Exit status 1 means some input was rejected and reported; everything valid was stored.
    [ "$rc" -eq 1 ] || exit "$rc"
}

echo
echo "== 2019 ranking of Henan's cities by the comprehensive index (with each city's statistics)"
"$LANTIAN" rank --db "$DB" --level city --province 河南 --period 2019

echo
echo "== 郑州 2019 statistics"
"$LANTIAN" stats --db "$DB" --city 郑州 --period 2019

echo
echo "== 郑州 targets and remaining-days budget as of 2019-09-30"
"$LANTIAN" target --db "$DB" --city 郑州 --year 2019 --as-of 2019-09-30 \
    --config config/targets-demo.ini

echo
echo "== 鹤壁 2019 targets (the real 2019 plan, seeds/001) as of 2019-09-30"
"$LANTIAN" target --db "$DB" --city 鹤壁 --year 2019 --as-of 2019-09-30 \
    --config config/targets-demo.ini

# Serve: the dashboard and API on 127.0.0.1:8080, HJ 212 devices on 127.0.0.1:8212 (loopback
# only). LT_DEMO_NO_SERVE=1 stops here, for scripted runs.
[ -n "${LT_DEMO_NO_SERVE:-}" ] && exit 0
DEMO_PW=${LT_DEMO_PASSWORD:-lantian-demo}
if ! "$LANTIAN" user list --db "$DB" 2>/dev/null | grep -q '^admin\b'; then
    printf '%s\n' "$DEMO_PW" | "$LANTIAN" user add --db "$DB" --name admin --role admin \
        --password-stdin >/dev/null
fi
echo
echo "== serving: dashboard http://127.0.0.1:8080/  (login: admin / $DEMO_PW)"
echo "   HJ 212 devices: 127.0.0.1:8212. The data are 2019: pages show the last hour stored."
echo "   Ctrl-C stops."
exec "$LANTIAN" serve --db "$DB" --http 127.0.0.1:8080 --listen 127.0.0.1:8212 \
    --targets config/targets-demo.ini

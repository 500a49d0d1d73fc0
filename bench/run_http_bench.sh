#!/usr/bin/env bash
# lantian HTTP API benchmark: the dashboard's main queries against a store holding a year of
# national-scale hourly data (~1,700 stations), each measured with wrk and compared, in the same
# run, with nginx serving a static file of exactly the same size (the same bytes) to the same wrk
# command line.
#
# Per query: the time to compute its answer (curl, median of 3 requests to a second lantian run
# with --cache-mb 0, idle during the wrk runs), then wrk --latency -t WRK_THREADS -c CONNECTIONS
# -d DURATION against lantian and against nginx. Printed per query: requests/s, p50 and p99 of
# both, the throughput ratio lantian/nginx, and PASS/MISS against the goals (issue): p99 < 20 ms
# and lantian/nginx >= 0.5.
#
# The store is made once and kept: BUILD/http-bench/store-<N>d.db (bench/gen_national_year.py's
# files imported with `lantian import cnemc`; the import's wall time is kept beside it and
# reported). Outputs (bodies, wrk reports, server logs) go to BUILD/http-bench/out/; nginx runs
# from a temporary directory that is removed at the end. Nothing else is written.
#
# Usage: bench/run_http_bench.sh [options]     (from anywhere; paths are relative to the repo)
#   --days N            a store with the first N days of the data only (quick run); default: all
#   --duration S        wrk duration per run in seconds (default 10)
#   --connections N     wrk connections (default 16)
#   --wrk-threads N     wrk threads (default 2)
#   --threads N         lantian's --threads and nginx's worker_processes (default: the number of
#                       cores, so that each server may use every core, and no more)
#   --only WORD         only the queries whose name contains WORD (repeatable)
#   --province NAME     the dashboard's province (default 河南, the dashboard's default)
#   --city NAME         the city page's and the targets page's city (default 郑州)
#   --no-cache          run lantian with --cache-mb 0 (every request computes its answer)
#   --data DIR          the generated data (default bench/data/national-2019)
#   --build-dir DIR     default build-bench
#   --no-build          do not run cmake (use the lantian binary already in the build dir)
#   --setup             run scripts/setup.sh --bench first (installs wrk and nginx, starts no
#                       service)
# Environment: LANTIAN (a lantian binary to use instead of BUILD/lantian; implies --no-build).
set -u -o pipefail

die() { echo "run_http_bench: $*" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || die "cannot cd to $ROOT"

DAYS=0
DUR=10
CONNS=16
WRK_T=2
THREADS=$(nproc)
ONLY=()
PROVINCE=河南
CITY=郑州
NO_CACHE=0
DATA=bench/data/national-2019
BUILD=build-bench
DO_BUILD=1
SETUP=0
PYTHON=/usr/bin/python3
TIME=/usr/bin/time
NGINX=/usr/sbin/nginx
P99_GOAL_MS=20
RATIO_GOAL=0.5

while [ $# -gt 0 ]; do
    case "$1" in
    --days) DAYS=${2:?}; shift 2 ;;
    --duration) DUR=${2:?}; shift 2 ;;
    --connections) CONNS=${2:?}; shift 2 ;;
    --wrk-threads) WRK_T=${2:?}; shift 2 ;;
    --threads) THREADS=${2:?}; shift 2 ;;
    --only) ONLY+=("${2:?}"); shift 2 ;;
    --province) PROVINCE=${2:?}; shift 2 ;;
    --city) CITY=${2:?}; shift 2 ;;
    --no-cache) NO_CACHE=1; shift ;;
    --data) DATA=${2:?}; shift 2 ;;
    --build-dir) BUILD=${2:?}; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --setup) SETUP=1; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
done
for n in "$DAYS" "$DUR" "$CONNS" "$WRK_T" "$THREADS"; do
    case "$n" in '' | *[!0-9]*) die "'$n' is not a whole number" ;; esac
done
[ "$DUR" -ge 1 ] && [ "$CONNS" -ge 1 ] && [ "$WRK_T" -ge 1 ] && [ "$CONNS" -ge "$WRK_T" ] ||
    die "--duration, --connections and --wrk-threads must be >= 1, connections >= wrk threads"
[ "$THREADS" -ge 1 ] && [ "$THREADS" -le 64 ] || die "--threads must be 1 .. 64"

# ---- tools -----------------------------------------------------------------------------------
if [ "$SETUP" = 1 ]; then
    ./scripts/setup.sh --bench || die "scripts/setup.sh --bench failed"
fi
missing=()
command -v wrk >/dev/null || missing+=("wrk (Debian package wrk)")
[ -x "$NGINX" ] || missing+=("$NGINX (Debian package nginx)")
command -v curl >/dev/null || missing+=("curl")
[ -x "$PYTHON" ] || missing+=("$PYTHON")
[ -x "$TIME" ] || missing+=("$TIME (Debian package time)")
if [ ${#missing[@]} -gt 0 ]; then
    die "missing: ${missing[*]}. wrk and nginx are benchmark-only tools, not installed by
    scripts/setup.sh by default: run 'scripts/setup.sh --bench' (installs them without starting
    nginx as a service), or this script with --setup."
fi

OUT="$BUILD/http-bench/out"
mkdir -p "$OUT" || die "cannot create $OUT"
rm -f "$OUT"/*.body "$OUT"/*.compute "$OUT"/*.wrk

# ---- (a) build lantian (Release) -------------------------------------------------------------
if [ -n "${LANTIAN:-}" ]; then
    DO_BUILD=0
else
    LANTIAN="$BUILD/lantian"
fi
if [ "$DO_BUILD" = 1 ]; then
    echo "== building lantian (Release) in $BUILD/"
    if { [ -f "$BUILD/CMakeCache.txt" ] ||
         cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log" 2>&1; } &&
       cmake --build "$BUILD" --target lantian_cli -j "$(nproc)" >>"$OUT/cmake.log" 2>&1; then
        :
    else
        tail -5 "$OUT/cmake.log" >&2
        die "build failed (see $OUT/cmake.log)"
    fi
fi
[ -x "$LANTIAN" ] || die "$LANTIAN not found (build it, or drop --no-build)"

# ---- (b) the data and the store --------------------------------------------------------------
if [ ! -f "$DATA/.complete" ]; then
    [ "$DATA" = bench/data/national-2019 ] || die "$DATA/.complete not found"
    echo "== generating $DATA (bench/gen_national_year.py)"
    "$PYTHON" bench/gen_national_year.py --out "$DATA" || die "generation failed"
fi
STATIONS="$DATA/stations.csv"
[ -f "$STATIONS" ] || die "$STATIONS not found"
mapfile -t ALL_FILES < <(find "$DATA" -maxdepth 1 -name 'china_sites_*.csv*' ! -name '*.tmp' | sort)
[ "${#ALL_FILES[@]}" -gt 0 ] || die "no china_sites_*.csv[.gz] in $DATA"
if [ "$DAYS" -gt 0 ] && [ "$DAYS" -lt "${#ALL_FILES[@]}" ]; then
    FILES=("${ALL_FILES[@]:0:$DAYS}")
else
    FILES=("${ALL_FILES[@]}")
fi
NDAYS=${#FILES[@]}
LAST_FILE=$(basename "${FILES[$((NDAYS - 1))]}")
LAST=$(echo "$LAST_FILE" | sed -E 's/^china_sites_([0-9]{4})([0-9]{2})([0-9]{2}).*/\1-\2-\3/')
[[ "$LAST" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || die "cannot read a date from $LAST_FILE"

DB="$BUILD/http-bench/store-${NDAYS}d.db"
MARK="$DB.complete" # the import's summary: wall seconds, values stored, peak RSS
BENCH_USER=bench
BENCH_PW=bench-password-1
if [ ! -f "$MARK" ]; then
    rm -f "$DB" "$DB-wal" "$DB-shm"
    echo "== importing $NDAYS days ($(du -sch "${FILES[@]}" | tail -1 | cut -f1) of .csv.gz) into $DB"
    "$TIME" -v -o "$OUT/import.time" "$LANTIAN" import cnemc --db "$DB" --stations "$STATIONS" \
        "${FILES[@]}" >"$OUT/import.log" 2>&1
    rc=$?
    # Exit 1 = finished with rejected cells (1777A and 1946A are not in stations.csv: see
    # bench/README.md); anything else is a failure.
    [ "$rc" -le 1 ] || { tail -5 "$OUT/import.log" >&2; die "import failed (exit $rc)"; }
    wall=$(awk '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); s = 0
                for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$OUT/import.time")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$OUT/import.time")
    vals=$(awk -F': *' '/^values stored:/ {gsub(",", "", $2); print $2}' "$OUT/import.log")
    echo "$BENCH_PW" | "$LANTIAN" user add --db "$DB" --name "$BENCH_USER" --role admin \
        --password-stdin >/dev/null || die "cannot add the benchmark user"
    printf 'import_wall_s=%s\nvalues=%s\npeak_rss_mib=%s\ndays=%s\n' "$wall" "${vals:-?}" \
        "$rss" "$NDAYS" >"$MARK"
    echo "   imported in $wall s (${vals:-?} values, peak RSS $rss MiB)"
else
    echo "== store $DB (made earlier; delete $MARK to import again)"
fi
echo "== warming the page cache ($DB)"
cat "$DB" >/dev/null
IMPORT_WALL=$(awk -F= '$1 == "import_wall_s" {print $2}' "$MARK")
IMPORT_VALS=$(awk -F= '$1 == "values" {print $2}' "$MARK")
DB_MB=$(du -m "$DB" | cut -f1)

# ---- (c) the servers ---------------------------------------------------------------------------
T=$(mktemp -d /tmp/lt-http-bench.XXXXXX) || die "mktemp failed"
LPID=
CPID=
NPID=
cleanup() {
    [ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
    [ -n "$CPID" ] && kill -TERM "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
    [ -n "$NPID" ] && kill -QUIT "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting lantian api (--threads $THREADS$([ "$NO_CACHE" = 1 ] && echo ", --cache-mb 0"))"
CACHE_OPT=()
[ "$NO_CACHE" = 1 ] && CACHE_OPT=(--cache-mb 0)
"$LANTIAN" api --db "$DB" --http 127.0.0.1:0 --port-file "$T/lantian.port" --threads "$THREADS" \
    --targets config/targets-demo.ini --web none "${CACHE_OPT[@]}" 2>"$OUT/lantian.log" &
LPID=$!
for _ in $(seq 200); do [ -s "$T/lantian.port" ] && break; sleep 0.05; done
[ -s "$T/lantian.port" ] || { cat "$OUT/lantian.log" >&2; die "lantian api did not start"; }
LB="http://127.0.0.1:$(cat "$T/lantian.port")"
# A second lantian without a cache, for the time it takes to compute each answer.
"$LANTIAN" api --db "$DB" --http 127.0.0.1:0 --port-file "$T/compute.port" --threads 1 \
    --targets config/targets-demo.ini --web none --cache-mb 0 2>"$OUT/lantian-compute.log" &
CPID=$!
for _ in $(seq 200); do [ -s "$T/compute.port" ] && break; sleep 0.05; done
[ -s "$T/compute.port" ] || { cat "$OUT/lantian-compute.log" >&2; die "lantian api (no cache) did not start"; }
CB="http://127.0.0.1:$(cat "$T/compute.port")"

# nginx: the Debian binary as a foreground process with its own prefix, config, pid, logs and
# temp paths in $T; worker_processes = --threads. It serves $T/www/<query>.json: a copy of
# lantian's answer to that query (same size, same bytes).
mkdir -p "$T/www" "$T/tmp" "$T/logs" || die "cannot prepare $T"
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start_nginx() {
    local try port user=""
    # As root, the master starts the workers as an unprivileged user; they only read $T/www.
    if [ "$(id -u)" = 0 ]; then
        user="user nobody nogroup;"
        chmod 755 "$T" "$T/www"
    fi
    for try in 1 2 3 4 5; do
        port=$(free_port)
        cat >"$T/nginx.conf" <<EOF
$user
worker_processes $THREADS;
pid $T/nginx.pid;
error_log $T/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $T/tmp/body;
    proxy_temp_path $T/tmp/proxy;
    fastcgi_temp_path $T/tmp/fastcgi;
    uwsgi_temp_path $T/tmp/uwsgi;
    scgi_temp_path $T/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    types { }
    default_type "application/json; charset=utf-8";
    server {
        listen 127.0.0.1:$port;
        root $T/www;
        add_header Cache-Control no-store;
        add_header X-Content-Type-Options nosniff;
    }
}
EOF
        "$NGINX" -p "$T" -e "$T/logs/error.log" -c "$T/nginx.conf" -g 'daemon off;' \
            2>"$T/logs/stderr.log" &
        NPID=$!
        for _ in $(seq 100); do
            curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
            kill -0 "$NPID" 2>/dev/null || break
            sleep 0.05
        done
        if kill -0 "$NPID" 2>/dev/null && curl -s -o /dev/null "http://127.0.0.1:$port/"; then
            NB="http://127.0.0.1:$port"
            return 0
        fi
        wait "$NPID" 2>/dev/null
        NPID=
    done
    cat "$T/logs/stderr.log" "$T/logs/error.log" >&2 2>/dev/null
    die "nginx did not start"
}
start_nginx
echo "== nginx $($NGINX -v 2>&1 | sed 's/.*\///') on $NB (worker_processes $THREADS)"

TOKEN=$(curl -sS -X POST -H 'Content-Type: application/json' \
    -d "{\"name\": \"$BENCH_USER\", \"password\": \"$BENCH_PW\"}" "$LB/api/login" |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["token"])') ||
    die "cannot log in as $BENCH_USER (see $OUT/lantian.log)"
AUTH="Authorization: Bearer $TOKEN"
CTOKEN=$(curl -sS -X POST -H 'Content-Type: application/json' \
    -d "{\"name\": \"$BENCH_USER\", \"password\": \"$BENCH_PW\"}" "$CB/api/login" |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["token"])') ||
    die "cannot log in to the second lantian (see $OUT/lantian-compute.log)"

# ---- (d) the queries -------------------------------------------------------------------------
# What web/src/app.js asks for, with the reference hour the last hour of the data (the
# dashboard's ?at=, so that every page shows the data's last day): DAY = that day.
DAY=$LAST
AT="${DAY}T2300"
YEAR=${DAY:0:4}
D30=$(date -u -d "$DAY -30 days" +%F)
# defaultMonth(): the day's month, or the month before in a month's first week.
if [ "$((10#${DAY:8:2}))" -gt 7 ]; then
    MONTH=${DAY:0:7}
else
    MONTH=$(date -u -d "${DAY:0:7}-01 -1 day" +%Y-%m)
fi
# path?query as the browser's URLSearchParams writes it (pairs in app.js's order).
url() {
    "$PYTHON" -c 'import sys, urllib.parse as u
p, kv = sys.argv[1], sys.argv[2:]
q = u.urlencode([tuple(a.split("=", 1)) for a in kv])
print(p + ("?" + q if q else ""))' "$@"
}
# NAME|PAGES|AUTH(0/1)|URL
QUERIES=(
    "ref_hour|every page|0|$(url /api/aqi/latest province="$PROVINCE" level=city limit=1)"
    "latest_sites|overview, public|0|$(url /api/aqi/latest province="$PROVINCE" at="$AT" limit=5000)"
    "latest_cities|overview, city, targets, public|0|$(url /api/aqi/latest province="$PROVINCE" level=city at="$AT" limit=5000)"
    "overview_trend|overview|1|"
    "city_hourly_31d|city|1|$(url /api/aqi/hourly city="$CITY" from="$D30" to="$DAY" limit=5000)"
    "city_daily_31d|city|1|$(url /api/aqi/daily city="$CITY" from="$D30" to="$DAY")"
    "city_daily_year|city|1|$(url /api/aqi/daily city="$CITY" from="$YEAR-01-01" to="$YEAR-12-31" limit=366)"
    "city_stats_month|city|1|$(url /api/stats city="$CITY" period="$MONTH")"
    "rank_province_month|city, public|0|$(url /api/rank level=city province="$PROVINCE" period="$MONTH" limit=5000)"
    "health|targets|0|/api/health"
    "targets_year|targets|1|$(url /api/targets city="$CITY" year="$YEAR" as_of="$DAY" config=demo)"
    "national_latest_cities|(national view)|0|$(url /api/aqi/latest level=city at="$AT" limit=5000)"
    "national_rank_month|(national view)|0|$(url /api/rank level=city period="$MONTH" limit=5000)"
)

selected() {
    local w
    [ ${#ONLY[@]} -eq 0 ] && return 0
    for w in "${ONLY[@]}"; do [[ "$1" == *"$w"* ]] && return 0; done
    return 1
}

# wrk's "50%  1.23ms" and "99%  12.00ms" lines and "Requests/sec:" -> "rps p50_ms p99_ms errors"
parse_wrk() {
    awk '
    function ms(v) {
        if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
        if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
        if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
        if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
        return -1
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { v = $i; sub(",", "", v); err += v } }
    END { printf "%s %s %s %d\n", (rps == "" ? 0 : rps), (p50 == "" ? -1 : p50), (p99 == "" ? -1 : p99), err }
    ' "$1"
}

# Wait (up to 60 s) until lantian answers /api/health within 20 ms: requests wrk left queued
# when it stopped (slow answers without the cache) must not fall into the next measurement.
settle() {
    local i t
    for i in $(seq 300); do
        t=$(curl -s -o /dev/null -w '%{time_total}' "$LB/api/health") || t=1
        awk -v t="$t" 'BEGIN { exit !(t < 0.020) }' && break
        sleep 0.2
    done
    sleep 1
}

run_wrk() { # NAME URL AUTH(0/1) -> the parsed line
    local name=$1 u=$2 auth=$3 hdr=()
    [ "$auth" = 1 ] && hdr=(-H "$AUTH")
    wrk --latency -t "$WRK_T" -c "$CONNS" -d "${DUR}s" "${hdr[@]}" "$u" >"$OUT/$name.wrk" 2>&1
    parse_wrk "$OUT/$name.wrk"
    settle
}

ROWS=()
NPASS=0
NMISS=0
printf -v LOAD_BEFORE '%s' "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $NDAYS days to $DAY; wrk --latency -t$WRK_T -c$CONNS -d${DUR}s; load average $LOAD_BEFORE"
for q in "${QUERIES[@]}"; do
    IFS='|' read -r name pages auth path <<<"$q"
    selected "$name" || continue
    if [ "$name" = overview_trend ]; then
        # The overview's trend is the hourly AQI of the first city of the city list, that day.
        first=$(curl -sS "$LB$(url /api/aqi/latest province="$PROVINCE" level=city at="$AT" limit=5000)" |
            "$PYTHON" -c 'import json, sys; it = json.load(sys.stdin)["items"]; print(it[0]["city"] if it else "")')
        [ -n "$first" ] || { echo "   $name: no city in $PROVINCE; skipped" >&2; continue; }
        path=$(url /api/aqi/hourly city="$first" from="$DAY" to="$DAY")
    fi
    hdr=()
    [ "$auth" = 1 ] && hdr=(-H "$AUTH")
    # The answer, from the cached server (its first request: computed and kept)...
    status=$(curl -sS -o "$OUT/$name.body" -w '%{http_code}' "${hdr[@]}" "$LB$path") ||
        die "$name: curl failed"
    # ... and the time to compute it: median of 3 requests to the server without a cache.
    chdr=()
    [ "$auth" = 1 ] && chdr=(-H "Authorization: Bearer $CTOKEN")
    cold_ms=$(for i in 1 2 3; do
        curl -sS -o "$OUT/$name.compute" -w '%{time_total}\n' "${chdr[@]}" "$CB$path"
    done | sort -n | awk 'NR == 2 { printf "%.1f", $1 * 1000 }')
    if [ "$status" = 200 ] && ! cmp -s "$OUT/$name.body" "$OUT/$name.compute"; then
        echo "   $name: the answers with and without the cache differ" >&2
        status="differs"
    fi
    if [ "$status" != 200 ]; then
        echo "   $name: status $status: $(head -c 300 "$OUT/$name.body")" >&2
        ROWS+=("$(printf '%-24s %9s %10s  %s' "$name" - "$cold_ms" "FAILED: status $status")")
        NMISS=$((NMISS + 1))
        continue
    fi
    bytes=$(stat -c %s "$OUT/$name.body")
    cp "$OUT/$name.body" "$T/www/$name.json" && chmod 644 "$T/www/$name.json"
    echo "   $name ($bytes bytes, computed in $cold_ms ms): $path"
    read -r lrps lp50 lp99 lerr <<<"$(run_wrk "lantian-$name" "$LB$path" "$auth")"
    read -r nrps np50 np99 nerr <<<"$(run_wrk "nginx-$name" "$NB/$name.json" "$auth")"
    ratio=$(awk -v a="$lrps" -v b="$nrps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    v99=$(awk -v p="$lp99" -v g="$P99_GOAL_MS" 'BEGIN { print (p >= 0 && p < g) ? "PASS" : "MISS" }')
    vr=$(awk -v r="$ratio" -v g="$RATIO_GOAL" 'BEGIN { print (r != "n/a" && r >= g) ? "PASS" : "MISS" }')
    note=""
    [ "$lerr" -gt 0 ] && { note="lantian: $lerr errors"; v99=MISS; vr=MISS; }
    [ "$nerr" -gt 0 ] && note="${note:+$note; }nginx: $nerr errors"
    for v in "$v99" "$vr"; do [ "$v" = PASS ] && NPASS=$((NPASS + 1)) || NMISS=$((NMISS + 1)); done
    ROWS+=("$(printf '%-24s %9s %10s %10.0f %7.2f %7.2f %10.0f %7.2f %7.2f %6s  %-4s  %-4s  %s' \
        "$name" "$bytes" "$cold_ms" "$lrps" "$lp50" "$lp99" "$nrps" "$np50" "$np99" "$ratio" \
        "$v99" "$vr" "${note:-$pages}")")
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
LRSS=$(awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$LPID/status" 2>/dev/null)

# ---- (e) report --------------------------------------------------------------------------------
echo
echo "lantian HTTP API benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores shared by wrk, nginx and lantian"
echo "store: $DB ($NDAYS days to $DAY, ${IMPORT_VALS:-?} values, $DB_MB MB; import took ${IMPORT_WALL:-?} s)"
echo "lantian: $LANTIAN api --threads $THREADS$([ "$NO_CACHE" = 1 ] && echo " --cache-mb 0"); nginx: worker_processes $THREADS, static file of the same bytes"
echo "wrk --latency -t$WRK_T -c$CONNS -d${DUR}s (keep-alive); load average before $LOAD_BEFORE, after $LOAD_AFTER; lantian RSS at the end ${LRSS:-?} MiB"
echo "compute_ms: time to compute the answer (curl, median of 3, a lantian with --cache-mb 0);"
if [ "$NO_CACHE" = 1 ]; then
    echo "then wrk against lantian (--cache-mb 0: every request computes its answer) and nginx"
else
    echo "then wrk against lantian (repeated requests: answered from its cache) and against nginx"
fi
echo
printf '%-24s %9s %10s %10s %7s %7s %10s %7s %7s %6s  %-4s  %-4s  %s\n' query bytes compute_ms \
    lt_req/s lt_p50 lt_p99 ngx_req/s ngx_p50 ngx_p99 ratio p99 ratio "pages"
printf '%-24s %9s %10s %10s %7s %7s %10s %7s %7s %6s  %-4s  %-4s\n' "" "" "" "" ms ms "" ms ms \
    "lt/ngx" "<${P99_GOAL_MS}ms" ">=$RATIO_GOAL"
printf '%s\n' "${ROWS[@]}"
echo
echo "goals: $NPASS PASS, $NMISS MISS (p99 < $P99_GOAL_MS ms and lantian/nginx requests/s >= $RATIO_GOAL per query)"
echo "outputs: $OUT/ (answers *.body, wrk reports *.wrk, lantian.log, lantian-compute.log)"
exit 0

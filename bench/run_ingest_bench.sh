#!/usr/bin/env bash
# HJ 212 ingest benchmark, one run, everything on this machine over loopback:
#   - end-to-end frames/s with acknowledgement after commit into SQLite (WAL, synchronous=NORMAL),
#     with 1,000 and with 10,000 connections (closed loop: each simulated device keeps W frames
#     waiting for their 9014; every ack is counted only after the server committed the frame)
#   - p50 / p99 acknowledgement latency (send of the frame -> receipt of its 9014)
#   - resident memory per idle connection: the server's VmRSS before and after N idle connections
# Goals (issue): >= 100k frames/s, p99 < 50 ms. The simulator runs on the same cores as the server.
#
# usage: bench/run_ingest_bench.sh [--duration S] [--window W]     (LANTIAN=path overrides binary)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=15
WIN=4
while [ $# -gt 0 ]; do
    case "$1" in
    --duration) DUR=$2; shift 2 ;;
    --window) WIN=$2; shift 2 ;;
    *) echo "usage: $0 [--duration S] [--window W]" >&2; exit 2 ;;
    esac
done
if [ -z "${LANTIAN:-}" ]; then
    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release > /dev/null
    cmake --build build-bench --target lantian_cli -j"$(nproc)" > /dev/null
    LANTIAN=build-bench/lantian
fi
ulimit -n 65536 2> /dev/null || ulimit -n "$(ulimit -Hn)"
T=$(mktemp -d /tmp/lt-ingest-bench.XXXXXX)
SPID=
cleanup() { [ -n "$SPID" ] && kill -9 "$SPID" 2> /dev/null; rm -rf "$T"; }
trap cleanup EXIT

start_server() { # $1 = db, $2 = max connections
    rm -f "$T/port"
    "$LANTIAN" ingest --db "$1" --listen 127.0.0.1:0 --port-file "$T/port" \
        --max-connections "$2" --idle-timeout-s 0 --log-per-mn 2 2> "$T/server.log" &
    SPID=$!
    for _ in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.05; done
    PORT=$(cat "$T/port")
}
stop_server() {
    kill -TERM "$SPID"
    wait "$SPID"
    SPID=
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
val() { grep "^$1=" "$2" | cut -d= -f2; }

printf "%-34s %12s %10s %10s %10s\n" "run" "frames/s" "p50 ms" "p99 ms" "acked"
for N in 1000 10000; do
    db="$T/bench-$N.db"
    "$LANTIAN" simulate --target 127.0.0.1:1 --devices "$N" --register "$db" --register-only \
        2> /dev/null
    start_server "$db" $((N + 100))
    "$LANTIAN" simulate --target "127.0.0.1:$PORT" --devices "$N" --rate 0 --window "$WIN" \
        --duration "$DUR" > "$T/sim-$N.out"
    stop_server
    stored=$(sqlite3 "$db" "SELECT count(*) FROM raw_frames WHERE status = 0")
    acked=$(val acked "$T/sim-$N.out")
    [ "$stored" -ge "$acked" ] || { echo "BUG: $acked acked but $stored stored" >&2; exit 1; }
    printf "%-34s %12s %10s %10s %10s\n" "e2e ack-after-commit, $N conns" \
        "$(val acked_per_s "$T/sim-$N.out")" "$(val latency_p50_ms "$T/sim-$N.out")" \
        "$(val latency_p99_ms "$T/sim-$N.out")" "$acked"
done

# Latency below saturation: 1,000 devices at R frames/s each (R x 1,000 frames/s offered).
for R in 5 20; do
    db="$T/bench-rate-$R.db"
    "$LANTIAN" simulate --target 127.0.0.1:1 --devices 1000 --register "$db" --register-only \
        2> /dev/null
    start_server "$db" 1100
    "$LANTIAN" simulate --target "127.0.0.1:$PORT" --devices 1000 --rate "$R" --window 8 \
        --duration "$DUR" > "$T/sim-rate.out"
    stop_server
    printf "%-34s %12s %10s %10s %10s\n" "1000 conns x $R frames/s offered" \
        "$(val acked_per_s "$T/sim-rate.out")" "$(val latency_p50_ms "$T/sim-rate.out")" \
        "$(val latency_p99_ms "$T/sim-rate.out")" "$(val acked "$T/sim-rate.out")"
done

N=10000
db="$T/idle.db"
start_server "$db" $((N + 100))
sleep 0.5
before=$(rss_kb "$SPID")
"$LANTIAN" simulate --target "127.0.0.1:$PORT" --devices "$N" --idle --duration 6 > "$T/idle.out" &
CPID=$!
sleep 4
open=$(ls "/proc/$SPID/fd" | wc -l)
after=$(rss_kb "$SPID")
wait "$CPID"
stop_server
echo
echo "idle connections: $N requested, server descriptors open during the measure: $open"
echo "server VmRSS before: ${before} kB, with $N idle connections: ${after} kB"
awk -v b="$before" -v a="$after" -v n="$N" \
    'BEGIN { printf "resident memory per idle connection: %.0f bytes\n", (a - b) * 1024 / n }'
echo "machine: $(nproc) CPUs, $(uname -sr); simulator and server share them"

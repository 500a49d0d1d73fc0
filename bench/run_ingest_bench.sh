#!/usr/bin/env bash
# HJ 212 ingest benchmark, one run, everything on this machine over loopback:
#   - end-to-end frames/s with acknowledgement after commit into SQLite (WAL, synchronous=NORMAL),
#     with 1,000 and with 10,000 connections (closed loop: each simulated device keeps W frames
#     waiting for their 9014; every ack is counted only after the server committed the frame)
#   - p50 / p99 acknowledgement latency (send of the frame -> receipt of its 9014)
#   - resident memory per idle connection: the server's VmRSS before and after N idle connections
# Goals (issue): >= 100k frames/s, p99 < 50 ms. The simulator runs on the same cores as the server.
#
# Traffic: each simulated logger sends real-time (CN 2011) uploads and, every K-th frame, an hourly
# (CN 2061) one. The headline runs use K = 60 (a logger with 1-minute real-time data sends one
# hourly upload per ~60 real-time ones; 30-s loggers send one per 120); one run repeats the
# hourly-heavy traffic of the tests (K = 4), where every hourly upload of an air station also
# writes the station's 6 hourly values. For each saturated run the CPU time the server's threads
# (loop, writer, checkpointer) and the simulator spent per acknowledged frame is printed too.
#
# Paced runs (open loop): N devices each sending R frames/s whatever the acks do, as a real
# fleet does; with 1,000 and with 10,000 connections.
#
# Every run measures the steady state: its first WARM seconds (connecting, the server's first
# registry look-up of every MN; about a second with 10,000 devices) are sent but left out of the
# rate and the latencies (simulate --warmup), then DUR seconds are measured.
#
# usage: bench/run_ingest_bench.sh [--duration S] [--window W] [--warmup S] [--only REGEX]
#        (LANTIAN=path overrides the binary; --only runs the runs whose label matches, the
#        idle-memory measure is labelled "idle memory")
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=15
WIN=4
WARM=3
ONLY=
while [ $# -gt 0 ]; do
    case "$1" in
    --duration) DUR=$2; shift 2 ;;
    --window) WIN=$2; shift 2 ;;
    --warmup) WARM=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "usage: $0 [--duration S] [--window W] [--warmup S] [--only REGEX]" >&2; exit 2 ;;
    esac
done
TOTAL=$(awk -v d="$DUR" -v w="$WARM" 'BEGIN { print d + w }')
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

# CPU seconds (user + system) of each thread of process $1, as "name seconds" lines.
thread_cpu() {
    local t
    for t in /proc/"$1"/task/*; do
        awk -v n="$(cat "$t/comm")" -v hz="$(getconf CLK_TCK)" '{print n, ($14 + $15) / hz}' "$t/stat"
    done 2> /dev/null | awk '{s[$1] += $2} END {for (k in s) print k, s[k]}' | sort
}

printf "%-40s %10s %9s %9s %9s  %s\n" "run" "frames/s" "p50 ms" "p99 ms" "measured" \
    "CPU us/frame: loop writer ckpt sim"
# load_run N K LABEL [W]: N devices sending (closed loop with W in flight, or RATE=R frames/s
# each), one hourly upload every K frames. IDLE=M first opens M more connections that send
# nothing and stay open through the run.
load_run() {
    local N=$1 K=$2 W=${4:-$WIN} db="$T/bench-$1-$2.db" ipid=
    [ -z "$ONLY" ] || [[ "$3" =~ $ONLY ]] || return 0
    "$LANTIAN" simulate --target 127.0.0.1:1 --devices "$N" --register "$db" --register-only \
        2> /dev/null
    start_server "$db" $((N + ${IDLE:-0} + 100))
    if [ "${IDLE:-0}" -gt 0 ]; then
        "$LANTIAN" simulate --target "127.0.0.1:$PORT" --devices "$IDLE" --idle \
            --mn-prefix 5A3E0000 --duration "$(awk -v t="$TOTAL" 'BEGIN { print t + 30 }')" \
            > "$T/idle-run.out" 2> /dev/null &
        ipid=$!
        for _ in $(seq 300); do
            [ "$(ls "/proc/$SPID/fd" | wc -l)" -ge "$IDLE" ] && break
            sleep 0.1
        done
    fi
    thread_cpu "$SPID" > "$T/cpu0"
    /usr/bin/time -f "%U %S" -o "$T/simtime" "$LANTIAN" simulate --target "127.0.0.1:$PORT" \
        --devices "$N" --rate "${RATE:-0}" --window "$W" --hourly-every "$K" \
        --duration "$TOTAL" --warmup "$WARM" > "$T/sim-$N.out"
    thread_cpu "$SPID" > "$T/cpu1"
    if [ -n "$ipid" ]; then
        open=$(ls "/proc/$SPID/fd" | wc -l) # the senders have gone: the idle ones stayed
        [ "$open" -ge "$IDLE" ] || { echo "idle connections closed during the run: $open open" >&2; exit 1; }
        kill -INT "$ipid"
        wait "$ipid" || true
    fi
    stop_server
    stored=$(sqlite3 "$db" "SELECT count(*) FROM raw_frames WHERE status = 0")
    acked=$(val acked "$T/sim-$N.out")
    [ "$stored" -ge "$acked" ] || { echo "BUG: $acked acked but $stored stored" >&2; exit 1; }
    # CPU over the whole run (warm-up included) per frame acknowledged in it.
    cpu=$(join "$T/cpu0" "$T/cpu1" | awk -v a="$acked" -v sim="$(awk '{print $1 + $2}' "$T/simtime")" '
        { d[$1] = $3 - $2 }
        END { printf "%.1f %.1f %.1f %.1f", d["lantian"] * 1e6 / a, d["lt-writer"] * 1e6 / a,
              d["lt-checkpoint"] * 1e6 / a, sim * 1e6 / a }')
    printf "%-40s %10s %9s %9s %9s  %s\n" "$3" "$(val acked_per_s "$T/sim-$N.out")" \
        "$(val latency_p50_ms "$T/sim-$N.out")" "$(val latency_p99_ms "$T/sim-$N.out")" \
        "$(val measured_acked "$T/sim-$N.out")" "$cpu"
    rm -f "$db" "$db"-wal "$db"-shm
}
load_run 1000 60 "saturated, 1000 conns, real-time traffic"
load_run 1000 60 "saturated, 1000 conns, 3 in flight" 3
IDLE=9000 load_run 1000 60 "10000 conns: 1000 x 3 in flight + 9000 idle" 3
load_run 10000 60 "saturated, 10000 conns, real-time traffic"
load_run 10000 60 "saturated, 10000 conns, 1 in flight" 1
load_run 1000 4 "saturated, 1000 conns, hourly-heavy"

# Latency below saturation: N devices at R frames/s each (N x R frames/s offered), window 8.
for NR in 1000:20 1000:50 1000:100 10000:2 10000:5 10000:8; do
    N=${NR%%:*} R=${NR##*:}
    RATE=$R load_run "$N" 60 "$N conns x $R frames/s offered" 8
done

if [ -n "$ONLY" ] && ! [[ "idle memory" =~ $ONLY ]]; then
    echo "machine: $(nproc) CPUs, $(uname -sr); simulator and server share them"
    exit 0
fi
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

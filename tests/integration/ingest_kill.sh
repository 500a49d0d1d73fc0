#!/usr/bin/env bash
# Crash safety: SIGKILL the ingest server in the middle of a simulated load, restart it, and check
# that every frame the server had acknowledged (9014) is in the store exactly once — in the raw
# archive and as values. Acks follow the commit, and a commit survives a process kill in WAL mode.
set -euo pipefail
: "${LANTIAN:?}" "${LT_TMP:?}"
T="$LT_TMP/ingest_kill"
rm -rf "$T" && mkdir -p "$T"
DB="$T/kill.db"
fail() { echo "FAIL: $*" >&2; for f in "$T"/server*.log; do tail -5 "$f" >&2; done; exit 1; }

start_server() { # $1 = log name
    rm -f "$T/port"
    "$LANTIAN" ingest --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" 2> "$T/$1.log" &
    SPID=$!
    for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
    [ -s "$T/port" ] || fail "server did not start"
    PORT=$(cat "$T/port")
}

"$LANTIAN" simulate --target 127.0.0.1:1 --devices 200 --register "$DB" --register-only 2>/dev/null
start_server server1
trap 'kill -9 $SPID 2>/dev/null || true' EXIT
# Closed loop (rate 0): as fast as the server acknowledges, 8 frames in flight per device.
"$LANTIAN" simulate --target "127.0.0.1:$PORT" --devices 200 --rate 0 --window 8 --duration 6 \
    --ack-log "$T/acks.txt" > "$T/sim1.out" &
CPID=$!
sleep 3
kill -9 $SPID
wait $SPID 2>/dev/null || true
wait $CPID || fail "simulator failed"
cat "$T/sim1.out"
acked=$(wc -l < "$T/acks.txt")
[ "$acked" -gt 1000 ] || fail "only $acked frames acknowledged before the kill"
inflight=$(sqlite3 "$DB" "SELECT count(*) FROM raw_frames")
echo "acknowledged before SIGKILL: $acked; raw rows in the store after it: $inflight"

# Restart on the same database: it must open (WAL recovery) and serve again.
start_server server2
"$LANTIAN" simulate --target "127.0.0.1:$PORT" --devices 20 --rate 20 --duration 1 \
    --mn-prefix 5A3D0000 > "$T/sim2.out"
grep -q '^acked=[1-9]' "$T/sim2.out" || fail "restarted server acknowledged nothing"
kill -TERM $SPID
wait $SPID || fail "restarted server exit status"
trap - EXIT

# Every acknowledged (MN, QN) is exactly once in the raw archive with status 0, and its values
# are stored (6 for an air station, 7 for a CEMS outlet: O2 + 3 factors x (value, converted)).
# Simulated frames start "##LLLLQN=" + 17 digits.
sqlite3 "$DB" <<SQL > "$T/check.out"
CREATE TEMP TABLE acked (mn TEXT, qn TEXT);
.separator " "
.import $T/acks.txt acked
CREATE TEMP TABLE raw AS
  SELECT id, mn, substr(CAST(bytes AS TEXT), 10, 17) AS qn, status FROM raw_frames
  WHERE substr(CAST(bytes AS TEXT), 7, 3) = 'QN=';
CREATE INDEX raw_k ON raw (mn, qn);
CREATE TEMP TABLE nv AS SELECT raw_id, sum(n) AS n FROM dev_records GROUP BY raw_id;
CREATE INDEX nv_k ON nv (raw_id);
SELECT 'acked', count(*) FROM acked;
SELECT 'acked_distinct', count(*) FROM (SELECT DISTINCT mn, qn FROM acked);
SELECT 'missing', count(*) FROM acked a WHERE NOT EXISTS
  (SELECT 1 FROM raw r WHERE r.mn = a.mn AND r.qn = a.qn AND r.status = 0);
SELECT 'not_once', count(*) FROM acked a WHERE
  (SELECT count(*) FROM raw r WHERE r.mn = a.mn AND r.qn = a.qn) <> 1;
SELECT 'values_short', count(*) FROM acked a JOIN raw r ON r.mn = a.mn AND r.qn = a.qn WHERE
  coalesce((SELECT n FROM nv WHERE nv.raw_id = r.id), 0) <
  (CASE WHEN a.mn IN (SELECT mn FROM devices WHERE kind = 'cems') THEN 7 ELSE 6 END);
SQL
cat "$T/check.out"
grep -qx "acked $acked" "$T/check.out" || fail "ack log not read"
grep -qx "acked_distinct $acked" "$T/check.out" || fail "an ack was received twice"
grep -qx "missing 0" "$T/check.out" || fail "acknowledged frames missing from the store"
grep -qx "not_once 0" "$T/check.out" || fail "acknowledged frames stored more than once"
grep -qx "values_short 0" "$T/check.out" || fail "acknowledged frames without their values"
echo "ok: $acked acknowledged frames, each exactly once in the raw archive with its values"

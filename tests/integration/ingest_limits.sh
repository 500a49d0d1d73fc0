#!/usr/bin/env bash
# Limits and isolation of the ingest server: misbehaving devices (corrupted CRCs, split writes,
# oversized junk, byte-at-a-time senders, garbage) next to well-behaved ones; a device with the
# wrong password; unknown MNs (quarantine); max_connections; idle timeout.
set -euo pipefail
: "${LANTIAN:?}" "${LT_TMP:?}"
T="$LT_TMP/ingest_limits"
rm -rf "$T" && mkdir -p "$T"
DB="$T/limits.db"
fail() { echo "FAIL: $*" >&2; tail -20 "$T/server.log" >&2; exit 1; }
q() { sqlite3 "$DB" "$1"; }

"$LANTIAN" simulate --target 127.0.0.1:1 --devices 50 --register "$DB" --register-only 2>/dev/null
# Device 3 is configured with another password than the one it sends.
BADPW=5A3D0000$(printf '%016X' 3)
q "UPDATE devices SET pw = '999999' WHERE mn = '$BADPW'"

"$LANTIAN" ingest --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" --max-connections 60 \
    --idle-timeout-s 2 --buffer-cap 4096 2> "$T/server.log" &
SPID=$!
trap 'kill -9 $SPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")

# 50 registered devices, one in ten faulty; 10 unknown devices: 60 connections = the maximum.
"$LANTIAN" simulate --target "127.0.0.1:$PORT" --devices 50 --rate 10 --duration 4 --faults \
    --ack-log "$T/acks.txt" > "$T/simA.out" &
APID=$!
"$LANTIAN" simulate --target "127.0.0.1:$PORT" --devices 10 --rate 5 --duration 4 \
    --mn-prefix 5A3E0000 > "$T/simB.out" &
BPID=$!
sleep 2
# The 61st connection is accepted and closed at once, with the reason in the log.
if exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
    timeout 3 cat <&3 > /dev/null || fail "61st connection was not closed"
    exec 3<&-
fi
wait $APID || fail "simulator A"
wait $BPID || fail "simulator B"
cat "$T/simA.out"
# --warmup 2 of 4 s (5 of the registered devices, none faulty): the rate and the latencies cover
# the frames sent in the last 2 s only, about half of them; sent and acked count all (unacked:
# the frames in flight when the run ended).
"$LANTIAN" simulate --target "127.0.0.1:$PORT" --devices 5 --rate 5 --duration 4 --warmup 2 \
    > "$T/simC.out" || fail "simulator C"
v() { sed -n "s/^$1=//p" "$T/simC.out"; }
[ "$(v measured_acked)" -gt 0 ] || fail "simulator C: $(cat "$T/simC.out")"
awk -v m="$(v measured_acked)" -v a="$(v acked)" -v w="$(v warmup_s)" -v r="$(v acked_per_s)" \
    -v e="$(v elapsed_s)" 'BEGIN { exit !(m >= 0.2 * a && m <= 0.8 * a && w > 1.9 && w < 2.1 &&
                                   r > 0.9 * m / (e - w) && r < 1.1 * m / (e - w)) }' ||
    fail "simulator C, --warmup 2: $(tr '\n' ' ' < "$T/simC.out")"
if "$LANTIAN" simulate --target "127.0.0.1:$PORT" --duration 2 --warmup 2 2> "$T/warm.err"; then
    fail "--warmup as long as --duration accepted"
fi
grep -q "must be shorter than --duration" "$T/warm.err" || fail "warm-up error: $(cat "$T/warm.err")"
grep -q "refused: max_connections (60) reached" "$T/server.log" || fail "no refusal logged"

# Idle timeout: a connection that sends nothing is closed after idle_timeout_s.
exec 4<>"/dev/tcp/127.0.0.1/$PORT"
start=$(date +%s)
timeout 10 cat <&4 > /dev/null || fail "idle connection not closed within 10 s"
exec 4<&-
waited=$(( $(date +%s) - start ))
[ "$waited" -ge 1 ] || fail "idle connection closed too early ($waited s)"
grep -q "closed: idle for more than idle_timeout_s = 2 s" "$T/server.log" || fail "no idle log"

kill -TERM $SPID
wait $SPID || fail "server exit status"
trap - EXIT

# A bad device does not affect a good one: every well-behaved device and every faulty one had
# frames stored and acknowledged.
for i in $(seq 0 49); do
    [ "$i" = 3 ] && continue
    mn=5A3D0000$(printf '%016X' "$i")
    n=$(grep -c "^$mn " "$T/acks.txt" || true)
    [ "$n" -gt 0 ] || fail "device $i ($mn) got no acknowledgement"
    [ "$(q "SELECT count(*) FROM raw_frames WHERE mn = '$mn' AND status = 0")" -ge "$n" ] \
        || fail "device $i: fewer frames stored than acknowledged"
done
# The faulty devices' bad chunks were rejected with their reasons, against their MN.
for dev in 7:6 27:3; do # corrupted CRC -> crc (6); oversized junk -> too_long (3)
    i=${dev%%:*} st=${dev##*:}
    mn=5A3D0000$(printf '%016X' "$i")
    [ "$(q "SELECT count(*) FROM raw_frames WHERE mn = '$mn' AND status = $st")" -gt 0 ] \
        || fail "device $i: no chunk rejected with status $st"
done
[ "$(q "SELECT count(*) FROM raw_frames WHERE status IN (1, 2)")" -gt 0 ] || fail "garbage"
grep -q "too_long" "$T/server.log" || fail "no too_long logged"
# Wrong password: archived with status 101, nothing stored, nothing acknowledged.
[ "$(q "SELECT count(*) FROM raw_frames WHERE mn = '$BADPW' AND status = 101")" -gt 0 ] \
    || fail "bad password not archived as 101"
[ "$(q "SELECT count(*) FROM dev_records WHERE mn = '$BADPW'")" = 0 ] || fail "bad PW values"
grep -q "^$BADPW " "$T/acks.txt" && fail "bad password acknowledged"
grep -q "MN=$BADPW: wrong password" "$T/server.log" || fail "bad password not logged"
# Unknown MNs: in quarantine, archived as 100, never stored as data nor acknowledged.
[ "$(q "SELECT count(*) FROM quarantine WHERE mn LIKE '5A3E0000%'")" = 10 ] || fail "quarantine"
[ "$(q "SELECT count(*) FROM dev_records WHERE mn LIKE '5A3E0000%'")" = 0 ] || fail "unknown stored"
grep -q '^acked=0$' "$T/simB.out" || fail "unknown devices acknowledged"
# Per-MN log rate limiting: at most log_per_mn (10) lines a minute for one MN.
# The limiter counts per clock minute, so a run that straddles a minute may log in two of them:
# check the busiest minute.
n=$(grep "MN=$BADPW: wrong password" "$T/server.log" | cut -c1-16 | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
[ -n "$n" ] && [ "$n" -le 10 ] || fail "${n:-0} log lines for one MN in one minute"
echo "ok: limits hold; faulty, wrong-password and unknown devices did not affect the others"

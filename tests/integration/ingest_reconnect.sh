#!/usr/bin/env bash
# A logger that reconnects (new address, same MN) replaces its old connection: the server closes
# the old socket at once, logging both peers, instead of letting it linger until idle_timeout_s.
# A connection of another MN is not touched.
set -euo pipefail
: "${LANTIAN:?}" "${LT_TMP:?}"
T="$LT_TMP/ingest_reconnect"
rm -rf "$T" && mkdir -p "$T"
DB="$T/r.db"
fail() { echo "FAIL: $*" >&2; tail -20 "$T/server.log" >&2; for f in "$T"/sim*.out; do echo "== $f" >&2; cat "$f" >&2; done; exit 1; }

"$LANTIAN" device add --db "$DB" --mn RECONN00000001 --kind cems --outlet ENT1-DA001 > /dev/null
"$LANTIAN" device add --db "$DB" --mn RECONN00000002 --kind cems --outlet ENT1-DA002 > /dev/null
seg() { # QN MN
    printf 'QN=%s;ST=31;CN=2011;PW=123456;MN=%s;Flag=5;CP=&&DataTime=%s;a21026-Rtd=10.0,a21026-Flag=N&&\n' \
        "$1" "$2" "${1:0:14}"
}
seg 20240301100000001 RECONN00000001 > "$T/a.txt"
seg 20240301100000002 RECONN00000002 > "$T/other.txt"
seg 20240301100100001 RECONN00000001 > "$T/b.txt"

# idle_timeout_s is long: only the replacement can close the old connection within the test.
"$LANTIAN" ingest --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" --idle-timeout-s 600 \
    2> "$T/server.log" &
SPID=$!
trap 'kill -9 $SPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
sim() { "$LANTIAN" simulate --target "127.0.0.1:$PORT" "$@"; }

# The old connection of MN 1, and one of MN 2, each hold their socket after their frame.
sim --frames "$T/a.txt" --hold 20 > "$T/simA.out" &
APID=$!
sim --frames "$T/other.txt" --hold 6 > "$T/simO.out" &
OPID=$!
for _ in $(seq 100); do grep -q acked "$T/simA.out" 2>/dev/null && grep -q acked "$T/simO.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^acked=1$' "$T/simA.out" || fail "first connection not acknowledged"
# MN 1 reconnects from a new address (port).
sim --frames "$T/b.txt" --hold 2 > "$T/simB.out"
grep -q '^acked=1$' "$T/simB.out" || fail "new connection not acknowledged"
grep -q '^closed_by_server=0$' "$T/simB.out" || fail "the new connection was closed"
wait $APID || fail "simulator A"
grep -q '^closed_by_server=1$' "$T/simA.out" || fail "old connection not closed"
held=$(sed -n 's/^held_ms=//p' "$T/simA.out")
[ "$held" -lt 10000 ] || fail "old connection closed only after $held ms"
wait $OPID || fail "simulator O"
grep -q '^closed_by_server=0$' "$T/simO.out" || fail "a connection of another MN was closed"

A_PORT=$(sed -n 's/^local_port=//p' "$T/simA.out")
B_PORT=$(sed -n 's/^local_port=//p' "$T/simB.out")
grep -q "127.0.0.1:$A_PORT MN=RECONN00000001: closed: replaced by a new connection of the same MN from 127.0.0.1:$B_PORT" \
    "$T/server.log" || fail "replacement not logged with both peers"
kill -TERM $SPID
wait $SPID || fail "server exit status"
trap - EXIT
grep -q "(0 refused, 0 idle-closed, 1 replaced)" "$T/server.log" || fail "replacement not counted"
echo "ok: a reconnecting logger replaces its old connection"

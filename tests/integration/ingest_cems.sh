#!/usr/bin/env bash
# CEMS judgement on arrival, end to end: a cement-kiln outlet registered with its source type
# sends hourly (CN 2061) frames through the ingest server, which judges them against the built-in
# emission limits (config/emission_limits.ini, embedded): type cement_kiln, O2 ref 10 %,
# PM 10, SO2 35, NOx 100 mg/m3.
#   10:00  all within after correction                                  -> no event
#   11:00  SO2 30 at O2 15 %: below 35 as measured, 55 corrected        -> event (proves correction)
#   12:00  SO2 80 flagged M                                             -> not judged
#   13:00  NOx 150 flagged T at O2 8 %: 126.9 corrected                 -> event, flag T
#   14:00  O2 flagged M (SO2 80, NOx 300)                               -> not judged (all three)
#   11:00  again, the identical frame                                   -> no second event
# A device without a source type (and no outlet limits) sending the 11:00 values gets no event.
# Then: an outlet override wins over its type for the factor it sets; a broken limits file stops
# the start with the file, line and reason.
set -euo pipefail
: "${LANTIAN:?}" "${LT_TMP:?}"
command -v sqlite3 >/dev/null || { echo "ingest_cems.sh: sqlite3 CLI required"; exit 1; }
T="$LT_TMP/ingest_cems"
rm -rf "$T" && mkdir -p "$T"
DB="$T/cems.db"
fail() { echo "FAIL: $*" >&2; [ -f "$T/server.log" ] && tail -30 "$T/server.log" >&2; exit 1; }
q() { sqlite3 "$DB" "$1"; }
SPID=
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null || true' EXIT

start_server() { # extra options...
    rm -f "$T/port"
    "$LANTIAN" ingest --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" "$@" 2> "$T/server.log" &
    SPID=$!
    for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
    [ -s "$T/port" ] || fail "server did not start"
    PORT=$(cat "$T/port")
}
stop_server() {
    kill -TERM "$SPID"
    wait "$SPID" || fail "server exit status"
    SPID=
}

"$LANTIAN" device add --db "$DB" --mn KILN0000000001 --kind cems --outlet ENT1-DA001 \
    --source-type cement_kiln --pw 123456 > /dev/null
"$LANTIAN" device add --db "$DB" --mn NOTYPE00000001 --kind cems --outlet ENT2-DA001 \
    --pw 123456 > /dev/null

# seg QN MN DATETIME O2 O2FLAG SO2 SO2FLAG NOX NOXFLAG PM PMFLAG
seg() {
    printf 'QN=%s;ST=31;CN=2061;PW=123456;MN=%s;Flag=5;CP=&&DataTime=%s;' "$1" "$2" "$3"
    printf 'a19001-Avg=%s,a19001-Flag=%s;a21026-Avg=%s,a21026-Flag=%s;' "$4" "$5" "$6" "$7"
    printf 'a21002-Avg=%s,a21002-Flag=%s;a34013-Avg=%s,a34013-Flag=%s&&\n' "$8" "$9" "${10}" "${11}"
}
K=KILN0000000001
{
    echo "# cement kiln, 2024-03-01, Beijing time"
    seg 20240301110501001 $K 20240301100000 12.0 N 20.0 N 50.0 N 5.0 N
    seg 20240301120501001 $K 20240301110000 15.0 N 30.0 N 40.0 N 4.0 N
    seg 20240301130501001 $K 20240301120000 10.0 N 80.0 M 60.0 N 5.0 N
    seg 20240301140501001 $K 20240301130000 8.0 N 20.0 N 150.0 T 5.0 N
    seg 20240301150501001 $K 20240301140000 9.0 M 80.0 N 300.0 N 30.0 N
    seg 20240301120501001 $K 20240301110000 15.0 N 30.0 N 40.0 N 4.0 N
    seg 20240301120501002 NOTYPE00000001 20240301110000 15.0 N 30.0 N 40.0 N 4.0 N
} > "$T/frames.txt"

start_server
grep -q "emission limits: 6 limit sets (14 limits) from built-in config/emission_limits.ini" \
    "$T/server.log" || fail "built-in limits not loaded (or not logged)"
grep -q "\[henan-cement-kiln-ultra-low\] type cement_kiln, O2 ref 10 %, open .. open: a34013 10, a21026 35, a21002 100 mg/m3, unverified" \
    "$T/server.log" || fail "limit set not logged"
"$LANTIAN" simulate --target "127.0.0.1:$PORT" --frames "$T/frames.txt" > "$T/sim.out"
grep -q '^acked=7$' "$T/sim.out" || { cat "$T/sim.out"; fail "not every frame acknowledged"; }
stop_server

# Exactly two events, both of the kiln.
[ "$(q "SELECT count(*) FROM exceedances")" = 2 ] || { q "SELECT * FROM exceedances"; fail "event count"; }
"$LANTIAN" device exceedances --db "$DB" --format json > "$T/x.json"
python3 - "$T/x.json" <<'EOF' || fail "exceedance evidence (json)"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 2, rows
so2, nox = rows
assert (so2["mn"], so2["outlet"], so2["factor"], so2["hour_start"]) == \
    ("KILN0000000001", "ENT1-DA001", "a21026", "2024-03-01 11:00:00"), so2
assert (so2["measured"], so2["o2"], so2["o2_ref"], so2["corrected"], so2["limit"], so2["flag"]) == \
    (30.0, 15.0, 10.0, 55.0, 35.0, "N"), so2
assert so2["measured"] < so2["limit"] < so2["corrected"], "must exceed only after correction"
assert (nox["factor"], nox["hour_start"], nox["measured"], nox["o2"], nox["o2_ref"], nox["limit"],
        nox["flag"]) == ("a21002", "2024-03-01 13:00:00", 150.0, 8.0, 10.0, 100.0, "T"), nox
assert nox["corrected"] == 126.923, nox
for r in rows:
    assert r["rule"].startswith("henan-cement-kiln-ultra-low ("), r
EOF
# The stored (unrounded) evidence obeys C x (21 - O2ref) / (21 - O2), checked independently.
q "SELECT factor, measured, o2, o2_ref, corrected, limit_value, flag, rule FROM exceedances ORDER BY data_time" \
    | awk -F'|' '
    { want = $2 * (21 - $4) / (21 - $3); d = want - $5; if (d < 0) d = -d
      if (d > 1e-9 * want) { print "corrected " $5 " != " want; bad = 1 }
      if (!($5 > $6)) { print "not above the limit: " $0; bad = 1 }
      if ($8 !~ /^henan-cement-kiln-ultra-low/) { print "rule: " $8; bad = 1 } }
    END { exit bad }' || fail "correction arithmetic"
[ "$(q "SELECT factor || ' ' || flag FROM exceedances ORDER BY data_time" | tr '\n' ';')" = "a21026 N;a21002 T;" ] \
    || fail "events and flags"
# Nothing for the flagged hours, nothing twice for the repeated one, nothing without a type.
[ "$(q "SELECT count(*) FROM exceedances WHERE data_time IN (strftime('%s', '2024-03-01 04:00:00'), strftime('%s', '2024-03-01 06:00:00'))")" = 0 ] \
    || fail "flagged data judged"
[ "$(q "SELECT count(*) FROM exceedances WHERE mn = 'NOTYPE00000001'")" = 0 ] || fail "device without a type judged"
# Flagged values were stored as device values all the same (with their flags).
# (DataTime 2024-03-01 12:00 Beijing = 04:00 UTC; read back with `lantian device values`.)
"$LANTIAN" device values --db "$DB" --mn "$K" --from 2024-03-01 --to 2024-03-01 --cn 2061 \
    --format csv > "$T/values.csv" || fail "device values"
[ "$(awk -F, '$1 == "2024-03-01 12:00:00" && $3 == "a21026" && $4 == "Avg" {print $7}' "$T/values.csv")" = M ] \
    || fail "flagged value not stored"
head -1 "$T/values.csv" | grep -qx "data_time,cn,factor,kind,value,value_conv,flag,raw_id" \
    || fail "values header"
# Why nothing was judged is visible: one log line per value not judged, with the reason, and
# the count in the stop summary.
grep -q "MN=$K outlet ENT1-DA001: a21026 hourly value of 2024-03-01 12:00:00 not judged: flag M (maintenance)" \
    "$T/server.log" || fail "flag M not logged"
for f in a21026 a21002 a34013; do
    grep -q "MN=$K outlet ENT1-DA001: $f hourly value of 2024-03-01 14:00:00 not judged: the O2 value is flagged M" \
        "$T/server.log" || fail "flagged O2 not logged for $f"
done
[ "$(grep -c 'hourly value of .* not judged' "$T/server.log")" = 4 ] || fail "not-judged lines"
grep -q "2 CEMS exceedances, 4 CEMS hourly values not judged" "$T/server.log" || fail "stop summary"
grep -q "MN=$K outlet ENT1-DA001: exceedance: a21026 hourly exceeded: 30 mg/m3 at 15% O2 is 55 at 10% > limit 35" \
    "$T/server.log" || fail "exceedance log"

# ---- an outlet's own limit wins over its type, factor by factor ------------------------------
cat > "$T/limits.ini" <<'EOF'
[kilns]
type = cement_kiln
o2_ref = 10
source = test: the built-in cement-kiln numbers
PM = 10
SO2 = 35
NOx = 100

[outlet:ENT3-DA001]
o2_ref = 10
source = test: a permit with a laxer SO2 limit
SO2 = 60
EOF
"$LANTIAN" device add --db "$DB" --mn KILN0000000003 --kind cems --outlet ENT3-DA001 \
    --source-type cement_kiln --limits-file "$T/limits.ini" --pw 123456 > /dev/null
# SO2 55 corrected (within the outlet's 60), NOx 110 corrected (above the type's 100).
seg 20240301120501003 KILN0000000003 20240301110000 15.0 N 30.0 N 60.0 N 4.0 N > "$T/frames3.txt"
start_server --limits-file "$T/limits.ini"
grep -q "emission limits: 2 limit sets (4 limits) from $T/limits.ini" "$T/server.log" || fail "file limits not logged"
grep -q "\[outlet:ENT3-DA001\] outlet ENT3-DA001, O2 ref 10 %" "$T/server.log" || fail "override not logged"
"$LANTIAN" simulate --target "127.0.0.1:$PORT" --frames "$T/frames3.txt" | grep -q '^acked=1$' || fail "frame 3"
stop_server
[ "$(q "SELECT factor || ' ' || round(corrected, 3) || ' ' || limit_value || ' ' || substr(rule, 1, 5) FROM exceedances WHERE mn = 'KILN0000000003'")" = "a21002 110.0 100.0 kilns" ] \
    || { q "SELECT * FROM exceedances WHERE mn = 'KILN0000000003'"; fail "override / type default"; }

# ---- a broken limits file stops the start: file, line, reason ----------------------------------
printf '[kilns]\ntype = cement_kiln\no2_ref = 25\nsource = x\nPM = 10\n' > "$T/bad.ini"
set +e
"$LANTIAN" ingest --db "$DB" --listen 127.0.0.1:0 --limits-file "$T/bad.ini" 2> "$T/bad.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "bad limits file: exit status $rc"
grep -q "emission limits $T/bad.ini: line 3: o2_ref '25' is not a percentage" "$T/bad.err" \
    || { cat "$T/bad.err"; fail "bad limits message"; }
# limits_file = none: nothing judged, and said so.
start_server --limits-file none
grep -q "emission limits: none" "$T/server.log" || fail "limits none not logged"
stop_server
echo "ok: CEMS hourly values judged with O2 correction; flagged data not judged; one event per hour"

#!/usr/bin/env bash
# lantian import cnemc --shift-days N [--until HOUR]: real hours moved by exactly N whole days
# (compared value by value with an unshifted import of the same files), nothing after the cut
# stored (a given cut, and the default: the last full hour now), the shift recorded in the store
# (import shift-info, the meta table, /api/health), and the rules that keep one store one kind of
# data: the same shift again adds nothing or only the hours of a later cut; a different shift,
# unshifted data into a shifted store and shifted data into a store of real data are refused.
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_TMP:?}"
command -v sqlite3 >/dev/null || { echo "import_shift.sh: sqlite3 CLI required"; exit 1; }
T="$LT_TMP/import_shift"
rm -rf "$T" && mkdir -p "$T"
ST="$LT_SHARED/data/cnemc/stations.csv"
H="$LT_SHARED/data/cnemc/henan-2019"
FILES=("$H/china_sites_20191125.csv.gz" "$H/china_sites_20191126.csv.gz" "$H/china_sites_20191127.csv.gz")
SPID=
fail() {
    echo "FAIL: $*" >&2
    for f in "$T/err" "$T/api.log"; do [ -f "$f" ] && tail -20 "$f" >&2; done
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    exit 1
}
status() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; set -e; cat "$T/rc"; }
q() { sqlite3 "$1" "$2"; }
# 1234567 -> 1,234,567 (as the import's summary writes counts).
commas() { printf '%s' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
# UTC seconds of a Beijing hour label "YYYY-MM-DD HH:00".
bj() { date -u -d "$1 +0800" +%s; }

N=2557
CUT="2026-11-26 05:00"
CUT_TS=$(bj "$CUT")
REAL="$T/real.db"
SH="$T/shift.db"

"$LANTIAN" import cnemc --db "$REAL" --stations "$ST" "${FILES[@]}" 2>"$T/real.err" ||
    fail "unshifted import"
[ "$(status "$LANTIAN" import cnemc --db "$SH" --stations "$ST" --shift-days $N --until "$CUT" \
    "${FILES[@]}")" = 0 ] || fail "shifted import exited $(cat "$T/rc")"
grep -q "DEMO DATA: every hour is moved by +$N days, and nothing after $CUT (Beijing time) is stored" \
    "$T/err" || fail "the shift is not announced"
grep -q "^shifted: *+$N days: the input's 2019-11-25 00:00 .. 2019-11-26 05:00 stored as 2026-11-25 00:00 .. $CUT (DEMO DATA" \
    "$T/err" || fail "summary: shifted range"
cp "$T/err" "$T/shift.err"

# ---- every hour moved by exactly N days; nothing after the cut --------------------------------
sqlite3 "$SH" >"$T/cmp" <<SQL || fail "compare"
ATTACH '$REAL' AS r;
-- values of the unshifted import that fall at or before the cut once moved
CREATE TEMP VIEW want AS SELECT s.code, h.factor, h.ts + $N * 86400 AS ts, h.value, h.flag
  FROM r.hourly h JOIN r.sites s ON s.id = h.site_id WHERE h.ts + $N * 86400 <= $CUT_TS;
CREATE TEMP VIEW got AS SELECT s.code, h.factor, h.ts, h.value, h.flag
  FROM main.hourly h JOIN main.sites s ON s.id = h.site_id;
SELECT (SELECT count(*) FROM want), (SELECT count(*) FROM got),
  (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got)),
  (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want)),
  (SELECT count(*) FROM r.hourly WHERE ts + $N * 86400 > $CUT_TS),
  (SELECT max(ts) FROM main.hourly);
SQL
IFS='|' read -r want got missing extra later maxts <"$T/cmp"
[ "$want" -gt 10000 ] || fail "too few values to compare: $want"
[ "$got" = "$want" ] || fail "shifted store has $got values, expected $want"
[ "$missing" = 0 ] && [ "$extra" = 0 ] || fail "$missing values missing, $extra unexpected"
[ "$maxts" = "$CUT_TS" ] || fail "last stored hour $maxts, expected the cut $CUT_TS"
grep -q "^after the cut: *$(commas "$later") (later than $CUT Beijing time; not stored)" \
    "$T/shift.err" || fail "summary: after the cut ($later)"
# The same site-hour, by label: 2019-11-26 05:00 (PM2.5 of 1316A) is stored as 2026-11-26 05:00.
v19=$(q "$REAL" "SELECT value FROM hourly WHERE factor = 5 AND ts = $(bj '2019-11-26 05:00') AND site_id = (SELECT id FROM sites WHERE code = '1316A')")
v26=$(q "$SH" "SELECT value FROM hourly WHERE factor = 5 AND ts = $CUT_TS AND site_id = (SELECT id FROM sites WHERE code = '1316A')")
[ -n "$v19" ] && [ "$v19" = "$v26" ] || fail "1316A PM2.5 at the cut: '$v26', expected '$v19'"

# ---- the record --------------------------------------------------------------------------------
"$LANTIAN" import shift-info --db "$SH" >"$T/info" || fail "shift-info"
diff "$T/info" - <<EOF || fail "shift-info output"
shift_days=$N
until=$CUT
source_first=2019-11-25 00:00
source_last=2019-11-26 05:00
stored_last=2026-11-26 05:00
EOF
[ "$(q "$SH" "SELECT value FROM meta WHERE key = 'shift.days'")" = "$N" ] || fail "meta shift.days"
[ "$("$LANTIAN" import shift-info --db "$REAL")" = "shift_days=none" ] || fail "shift-info of real data"

"$LANTIAN" api --db "$SH" --http 127.0.0.1:0 --port-file "$T/port" 2>"$T/api.log" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "api did not start"
curl -sS "http://127.0.0.1:$(cat "$T/port")/api/health" >"$T/health" || fail "GET /api/health"
kill "$SPID"
wait "$SPID" || fail "api did not stop cleanly"
SPID=
python3 - "$T/health" "$N" "$CUT" <<'PY' || fail "/api/health demo: $(cat "$T/health")"
import json, sys
d = json.load(open(sys.argv[1]))["demo"]
n, cut = int(sys.argv[2]), sys.argv[3]
assert d == {"shift_days": n, "source_years": "2019", "until": cut,
             "note": f"演示数据：2019 年真实数据平移 {n} 天"}, d
PY

# ---- re-running ---------------------------------------------------------------------------------
# The same shift and cut: nothing new.
[ "$(status "$LANTIAN" import cnemc --db "$SH" --shift-days $N --until "$CUT" "${FILES[@]}")" = 0 ] ||
    fail "same shift again exited $(cat "$T/rc")"
grep -q "^values stored: *0$" "$T/err" || fail "same shift again stored values"
grep -q "^already present: *$(commas "$want")$" "$T/err" || fail "same shift again: already present"
# The same shift with a later cut: only the hours up to the new cut are added, the cut recorded.
CUT2="2026-11-26 08:00"
[ "$(status "$LANTIAN" import cnemc --db "$SH" --shift-days $N --until "$CUT2" "${FILES[@]}")" = 0 ] ||
    fail "later cut exited $(cat "$T/rc")"
n3=$(q "$REAL" "SELECT count(*) FROM hourly WHERE ts + $N * 86400 > $CUT_TS AND ts + $N * 86400 <= $(bj "$CUT2")")
[ "$n3" -gt 0 ] || fail "no values between the cuts"
grep -q "^values stored: *$(commas "$n3")$" "$T/err" || fail "later cut: expected $n3 new values"
"$LANTIAN" import shift-info --db "$SH" | grep -qx "until=$CUT2" || fail "later cut not recorded"
# An earlier cut stores nothing new and keeps the recorded one.
"$LANTIAN" import cnemc --db "$SH" --shift-days $N --until "$CUT" "${FILES[@]}" 2>/dev/null ||
    fail "earlier cut"
"$LANTIAN" import shift-info --db "$SH" | grep -qx "until=$CUT2" || fail "earlier cut moved the record back"
count=$(q "$SH" "SELECT count(*) FROM hourly")

# A different shift (the demo a day later) is refused before anything is stored.
[ "$(status "$LANTIAN" import cnemc --db "$SH" --shift-days $((N + 1)) "${FILES[@]}")" = 2 ] ||
    fail "a different shift exited $(cat "$T/rc")"
grep -q "holds data shifted by $N days; a shift of $((N + 1)) days would put every hour on another stored hour" \
    "$T/err" || fail "different shift message"
# Unshifted data into the shifted store, and shifted data into a store of real data: refused.
[ "$(status "$LANTIAN" import cnemc --db "$SH" "${FILES[0]}")" = 2 ] || fail "unshifted into demo store"
grep -q "is a demonstration store: its data are real data moved by $N days" "$T/err" ||
    fail "unshifted into demo store: message"
[ "$(q "$SH" "SELECT count(*) FROM hourly")" = "$count" ] || fail "a refused import stored values"
[ "$(status "$LANTIAN" import cnemc --db "$REAL" --shift-days $N "${FILES[0]}")" = 2 ] ||
    fail "shifted into a store of real data"
grep -q "holds hourly values that were not shifted (up to 2019-11-27 23:00)" "$T/err" ||
    fail "shifted into real store: message"
[ "$("$LANTIAN" import shift-info --db "$REAL")" = "shift_days=none" ] || fail "refusal recorded a shift"
# A station list alone may go into either.
"$LANTIAN" import cnemc --db "$SH" --stations "$ST" 2>/dev/null || fail "station list into demo store"

# ---- bad command lines ----------------------------------------------------------------------------
for bad in "--shift-days 0" "--shift-days x" "--shift-days 99999" "--until 2026-13-01T0100" \
    "--until yesterday"; do
    # shellcheck disable=SC2086
    [ "$(status "$LANTIAN" import cnemc --db "$T/bad.db" $bad "${FILES[0]}")" = 2 ] ||
        fail "'$bad' exited $(cat "$T/rc")"
done
grep -q -- "--until 'yesterday': want a Beijing hour" "$T/err" || fail "--until message"
[ ! -e "$T/bad.db" ] || [ "$(q "$T/bad.db" "SELECT count(*) FROM hourly")" = 0 ] || fail "bad args stored"

# ---- the default cut: the last full Beijing hour now -------------------------------------------
# Move 2019-11-26 onto today (Beijing): its hours after now must not be stored.
today=$(date -u -d "@$(($(date +%s) + 28800))" +%F)
NOW_N=$((($(date -u -d "$today" +%s) - $(date -u -d 2019-11-26 +%s)) / 86400))
h0=$(($(date +%s) / 3600 * 3600))
"$LANTIAN" import cnemc --db "$T/now.db" --stations "$ST" --shift-days "$NOW_N" "${FILES[@]}" \
    2>"$T/now.err" || fail "shift onto today"
h1=$(($(date +%s) / 3600 * 3600))
last=$(q "$T/now.db" "SELECT max(ts) FROM hourly")
# The last hour stored is the last full hour (the clock may have passed an hour meanwhile).
[ "$last" = "$h0" ] || [ "$last" = "$h1" ] || fail "default cut: last hour $last, expected $h0"
u=$("$LANTIAN" import shift-info --db "$T/now.db" | sed -n 's/^until=//p')
[ "$(bj "$u")" = "$h0" ] || [ "$(bj "$u")" = "$h1" ] || fail "default cut recorded as $u"
grep -q "^after the cut: *[1-9]" "$T/now.err" || fail "default cut: nothing after the cut?"
echo "import_shift: OK ($want values moved by $N days, $later after the cut)"

#!/usr/bin/env bash
# lantian import: stations + a month of real CNEMC wide files + the per-hour 2026 files, counts
# checked against an independent awk count, re-import changes nothing, bad input is rejected with
# file, line and reason while its valid rows are stored, a truncated .gz is named.
set -euo pipefail

: "${LANTIAN:?path of the lantian binary}"
: "${LT_SHARED:?path of the shared data}"
: "${LT_TMP:?temp dir}"
command -v sqlite3 >/dev/null || { echo "import.sh: sqlite3 CLI required"; exit 1; }

W="$LT_TMP/import.$$"
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
DB="$W/t.db"
D="$LT_SHARED/data/cnemc"
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { sqlite3 "$DB" "$1"; }

# ---- usage -------------------------------------------------------------------------------------
"$LANTIAN" import --help | grep -q 'import cnemc --db PATH' || fail "--help"
set +e
"$LANTIAN" import cnemc "$D/stations.csv" 2>/dev/null; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "missing --db must exit 2, got $rc"
set +e
"$LANTIAN" import cnemc --db "$W/no/such/dir/x.db" "$D/stations.csv" 2>/dev/null; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unopenable db must exit 2, got $rc"

# ---- stations + January 2019 of Henan ----------------------------------------------------------
JAN=("$D"/henan-2019/china_sites_201901*.csv.gz)
[ "${#JAN[@]}" -eq 31 ] || fail "expected 31 January files, found ${#JAN[@]}"
"$LANTIAN" import cnemc --db "$DB" --stations "$D/stations.csv" "${JAN[@]}" 2>"$W/err1" ||
    { cat "$W/err1"; fail "first import must exit 0"; }
grep -q '^\[32/32\] china_sites_20190131.csv.gz: ' "$W/err1" || fail "progress line"

nst=$(($(wc -l <"$D/stations.csv") - 1))
[ "$(q 'SELECT count(*) FROM sites')" -eq "$nst" ] || fail "sites: want $nst"
[ "$(q "SELECT is_eval FROM sites WHERE code='1002A'")" = 0 ] || fail "1002A is a control site"
[ "$(q "SELECT is_eval||province||city FROM sites WHERE code='1316A'")" = "1河南省郑州" ] ||
    fail "1316A registry fields"

# Independent count: non-empty, non-NA cells of the 1-h types and the AQI, by factor.
# factor: SO2 0, NO2 1, CO 2, O3 3, PM10 4, PM2.5 5, AQI 100.
want=$(for f in "${JAN[@]}"; do zcat "$f"; done | awk -F, '
    $1 == "date" { next }
    { m = ""; }
    $3 == "SO2" { m = 0 } $3 == "NO2" { m = 1 } $3 == "CO" { m = 2 } $3 == "O3" { m = 3 }
    $3 == "PM10" { m = 4 } $3 == "PM2.5" { m = 5 } $3 == "AQI" { m = 100 }
    m != "" { for (i = 4; i <= NF; i++) { v = $i; sub(/\r$/, "", v); if (v != "" && v != "NA") n[m]++ } }
    END { for (k in n) print k "|" n[k] }' | sort -n)
got=$(q 'SELECT factor, count(*) FROM hourly GROUP BY factor ORDER BY factor')
[ "$want" = "$got" ] || fail "hourly counts differ: want [$want] got [$got]"
total=$(q 'SELECT count(*) FROM hourly')

# One real value, checked against the file: 1316A PM2.5 at 2019-01-12 hour 0 (24:00 of 01-11).
v=$(zcat "$D/henan-2019/china_sites_20190112.csv.gz" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "1316A") c = i }
    $2 == "0" && $3 == "PM2.5" { print $c }')
ts=$(( $(date -u -d '2019-01-12 00:00' +%s) - 8 * 3600 ))
[ -n "$v" ] || fail "test data: 1316A PM2.5 2019-01-12 hour 0 is empty"
[ "$(q "SELECT value = $v FROM hourly h JOIN sites s ON s.id = h.site_id WHERE s.code = '1316A'
        AND factor = 5 AND ts = $ts")" = 1 ] || fail "1316A PM2.5 2019-01-12 00 want $v"

# ---- re-import: nothing changes ----------------------------------------------------------------
sum1=$(q 'SELECT count(*), total(value), count(flag) FROM hourly')
"$LANTIAN" import cnemc --db "$DB" --stations "$D/stations.csv" "${JAN[@]}" 2>"$W/err2" ||
    { cat "$W/err2"; fail "re-import must exit 0"; }
grep -q '^values stored:   0$' "$W/err2" || fail "re-import stored values"
grep -q '^conflicts:       0 ' "$W/err2" || fail "re-import conflicts"
grep -q "^already present: $(echo "$total" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')\$" "$W/err2" ||
    fail "re-import: all $total values must be already present"
[ "$(q 'SELECT count(*), total(value), count(flag) FROM hourly')" = "$sum1" ] || fail "re-import"

# Raw values cannot be overwritten even with SQL.
if q "UPDATE hourly SET value = 1 WHERE site_id = (SELECT min(site_id) FROM hourly)" 2>/dev/null ||
   q "DELETE FROM hourly" 2>/dev/null; then
    fail "raw hourly rows must be protected"
fi

# ---- per-hour 2026 files: "/" stored as NM; stations missing from the list rejected --------------
H=("$D"/hourly-2026/*.csv)
set +e
"$LANTIAN" import cnemc --db "$DB" "${H[@]}" 2>"$W/err3"; rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$W/err3"; fail "2026 import has unknown stations: want exit 1, got $rc"; }
grep -q 'station [0-9A-Z]* is not in the registry: [0-9,]* cells rejected' "$W/err3" ||
    fail "unknown station message"
# Each unknown code is reported once per file, not once per cell.
f0="${H[0]}"
n_unknown_lines=$(grep -c "^lantian import: $f0:[0-9]*: station 3994A is not" "$W/err3" || true)
[ "$n_unknown_lines" -eq 1 ] || fail "3994A must be reported once for $f0, got $n_unknown_lines"
nm=$(q "SELECT count(*) FROM hourly WHERE flag = 'NM' AND value IS NULL AND factor < 6")
[ "$nm" -gt 0 ] || fail "no NM values stored from the 2026 files"
# Independent count of "/" among the six 1-h columns of known stations.
known=$(q 'SELECT code FROM sites' | sort)
want_nm=$(for f in "${H[@]}"; do tail -n +2 "$f"; done |
    awk -F, -v OFS=, '{ gsub(/"[^"]*"/, "Q") } { print }' |
    awk -F, 'NR == FNR { k[$1] = 1; next }
        ($2 in k) { for (i = 1; i <= NF; i++) if ((i == 9 || i == 11 || i == 13 || i == 17 || i == 19 || i == 21) && $i == "/") n++ }
        END { print n + 0 }' <(echo "$known") -)
[ "$nm" -eq "$want_nm" ] || fail "NM count: want $want_nm got $nm"
ts8=$(( $(date -u -d '2026-03-01 08:00' +%s) - 8 * 3600 ))
[ "$(q "SELECT value FROM hourly h JOIN sites s ON s.id = h.site_id WHERE s.code = '1270A'
        AND factor = 2 AND ts = $ts8")" = "0.8" ] || fail "1270A CO 2026-03-01 08:00"

# ---- bad input ---------------------------------------------------------------------------------
BAD="$W/china_sites_bad.csv"
cat >"$BAD" <<'EOF'
date,hour,type,1316A,1317A,9999A
20190301,1,PM2.5,11,12,13
20190301,2,PM2.5,abc,22,
20190301,3,PM2.5,-5,32,
20190231,4,PM2.5,41,42,
20190301,5,PM2.5,51,"52
20190301,6,PM2.5,61
20190301,7,PM2.5,71,72,73
EOF
before=$(q 'SELECT count(*) FROM hourly')
set +e
"$LANTIAN" import cnemc --db "$DB" "$BAD" 2>"$W/err4"; rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$W/err4"; fail "bad file: want exit 1, got $rc"; }
grep -q "$BAD:3: column 1316A: 'abc' is not a number" "$W/err4" || fail "non-numeric reason"
grep -q "$BAD:4: column 1316A: '-5' is negative" "$W/err4" || fail "negative reason"
grep -q "$BAD:5: impossible date '20190231'" "$W/err4" || fail "impossible date reason"
grep -q "$BAD:6: malformed CSV" "$W/err4" || fail "malformed CSV reason"
grep -q "$BAD:7: expected 6 fields" "$W/err4" || fail "field count reason"
grep -q "$BAD:2: station 9999A is not in the registry: 2 cells rejected" "$W/err4" ||
    fail "unknown station reason"
# Valid rows stored: 11,12 (line 2), 22 (3), 32 (4), 71,72 (8).
after=$(q 'SELECT count(*) FROM hourly')
[ $((after - before)) -eq 6 ] || fail "bad file: want 6 values stored, got $((after - before))"
grep -q '^  not a number  *1$' "$W/err4" || fail "summary by reason"

# ---- truncated gzip ----------------------------------------------------------------------------
src="$D/henan-2019/china_sites_20190201.csv.gz"
sz=$(stat -c %s "$src")
head -c $((sz / 2)) "$src" >"$W/china_sites_20190201.csv.gz"
set +e
"$LANTIAN" import cnemc --db "$DB" "$W/china_sites_20190201.csv.gz" 2>"$W/err5"; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "truncated gz: want exit 1, got $rc"
grep -q "$W/china_sites_20190201.csv.gz.*truncated" "$W/err5" || { cat "$W/err5"; fail "truncated message"; }
part=$(q "SELECT count(*) FROM hourly WHERE ts >= $(( $(date -u -d '2019-02-01 00:00' +%s) - 8 * 3600 ))
          AND ts < $(( $(date -u -d '2019-02-02 00:00' +%s) - 8 * 3600 )) AND factor IN (0,1,2,3,4,5,100)")
[ "$part" -gt 0 ] || fail "rows before the damage must be stored"
# The whole file afterwards completes the day without conflicts.
"$LANTIAN" import cnemc --db "$DB" "$src" 2>"$W/err6" || { cat "$W/err6"; fail "whole file after truncated"; }
grep -q '^conflicts:       0 ' "$W/err6" || fail "conflicts after a truncated import"

# ---- site registry -----------------------------------------------------------------------------
REG="$W/registry.csv"
cat >"$REG" <<'EOF'
code,name,city,county,province,lon,lat,eval,valid_from,valid_to
1316A,市监测站,郑州,金水区,河南省,113.6,34.75,Y,2015-01-01,
8001A,新站,郑州,中牟县,河南省,,,N,2020-01-01,2020-12-31
8002A,坏日期,郑州,,河南省,,,Y,2020-02-30,
8003A,坏标志,郑州,,河南省,,,X,,
EOF
set +e
"$LANTIAN" import sites --db "$DB" "$REG" 2>"$W/err7"; rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$W/err7"; fail "registry with bad rows: want exit 1, got $rc"; }
grep -q "$REG:4: valid_from/valid_to is not a date" "$W/err7" || fail "registry date reason"
grep -q "$REG:5: eval is not Y or N" "$W/err7" || fail "registry eval reason"
[ "$(q "SELECT county FROM sites WHERE code = '1316A'")" = "金水区" ] || fail "registry county"
[ "$(q "SELECT is_eval||county FROM sites WHERE code = '8001A'")" = "0中牟县" ] || fail "8001A"
[ "$(q "SELECT count(*) FROM sites WHERE code IN ('8002A', '8003A')")" -eq 0 ] || fail "bad rows"
# A station list re-import keeps the county only a registry gives.
"$LANTIAN" import cnemc --db "$DB" --stations "$D/stations.csv" 2>/dev/null
[ "$(q "SELECT county FROM sites WHERE code = '1316A'")" = "金水区" ] || fail "county kept"

echo "import.sh: all checks passed ($total values from January, $nm NM values)"

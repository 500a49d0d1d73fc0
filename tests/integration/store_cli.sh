#!/usr/bin/env bash
# lantian correct and lantian dust: corrections are recorded with old and new values and never
# touch the raw value; the audit trail lists in three formats; dust days are flagged and cleared.
set -euo pipefail

: "${LANTIAN:?path of the lantian binary}"
: "${LT_SHARED:?path of the shared data}"
: "${LT_TMP:?temp dir}"
command -v sqlite3 >/dev/null || { echo "store_cli.sh: sqlite3 CLI required"; exit 1; }

W="$LT_TMP/store_cli.$$"
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
DB="$W/t.db"
D="$LT_SHARED/data/cnemc"
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { sqlite3 "$DB" "$1"; }
status() { set +e; "$@" >"$W/out" 2>"$W/err"; echo $? >"$W/rc"; set -e; cat "$W/rc"; }

"$LANTIAN" import cnemc --db "$DB" --stations "$D/stations.csv" \
    "$D/henan-2019/china_sites_20190112.csv.gz" "$D/henan-2019/china_sites_20190113.csv.gz" 2>/dev/null

# The raw value as the file has it.
raw=$(zcat "$D/henan-2019/china_sites_20190112.csv.gz" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "1316A") c = i }
    $2 == "8" && $3 == "PM2.5" { print $c }')
[ -n "$raw" ] || fail "test data"
ts=$(( $(date -u -d '2019-01-12 08:00' +%s) - 8 * 3600 ))
rawq="SELECT value FROM hourly h JOIN sites s ON s.id = h.site_id WHERE s.code = '1316A' AND factor = 5 AND ts = $ts"
raw_db=$(q "$rawq")

# ---- correct -----------------------------------------------------------------------------------
"$LANTIAN" correct --help | grep -q -- '--invalidate' || fail "correct --help"
[ "$(status "$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2019-01-12 08:00" \
    --value 120.5 --who 王工 --why "仪器漂移, 已校准")" = 0 ] || { cat "$W/err"; fail "correct"; }
grep -q "correction 1: 1316A PM2.5 2019-01-12 08:00: $raw -> 120.5" "$W/out" || { cat "$W/out"; fail "correct output"; }
[ "$(status "$LANTIAN" correct --db "$DB" --site 1316A --pollutant pm25 --time "2019-01-12 08:00" \
    --invalidate --who 李工 --why 停电)" = 0 ] || fail "invalidate"
grep -q "120.5 -> invalid" "$W/out" || fail "invalidate output: old value is the previous correction"
[ "$(q "$rawq")" = "$raw_db" ] || fail "the raw value must be kept"
[ "$(q "SELECT count(*) FROM corrections")" = 2 ] || fail "two corrections"
[ "$(q "SELECT old_value, new_value IS NULL, who FROM corrections WHERE id = 2")" = "120.5|1|李工" ] ||
    fail "stored correction 2"

# Errors: no value for that hour -> 1; unknown station -> 1; bad arguments -> 2.
[ "$(status "$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2030-01-01 08:00" \
    --value 1 --who a --why b)" = 1 ] || fail "no value must exit 1"
grep -q "no PM2.5 value stored for station 1316A at 2030-01-01 08:00" "$W/err" || fail "no value message"
[ "$(status "$LANTIAN" correct --db "$DB" --site NOPE --pollutant PM2.5 --time "2019-01-12 08:00" \
    --value 1 --who a --why b)" = 1 ] || fail "unknown station must exit 1"
[ "$(status "$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM1 --time "2019-01-12 08:00" \
    --value 1 --who a --why b)" = 2 ] || fail "unknown pollutant must exit 2"
[ "$(status "$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2019-01-12 08:30" \
    --value 1 --who a --why b)" = 2 ] || fail "a time that is not a whole hour must exit 2"
[ "$(status "$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2019-01-12 08:00" \
    --value -1 --who a --why b)" = 2 ] || fail "negative value must exit 2"
[ "$(status "$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2019-01-12 08:00" \
    --value 1 --invalidate --who a --why b)" = 2 ] || fail "--value with --invalidate must exit 2"
[ "$(status "$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2019-01-12 08:00" \
    --value 1 --why b)" = 2 ] || fail "missing --who must exit 2"
[ "$(q "SELECT count(*) FROM corrections")" = 2 ] || fail "failed corrections must record nothing"

# The audit trail.
[ "$(status "$LANTIAN" correct --db "$DB" --list --format csv)" = 0 ] || fail "list csv"
[ "$(head -1 "$W/out")" = "id,site,pollutant,time,old,new,who,at,why" ] || fail "csv header"
grep -q "^1,1316A,PM2.5,2019-01-12 08:00,$raw,120.5,王工,[0-9: -]*,\"仪器漂移, 已校准\"\$" "$W/out" ||
    { cat "$W/out"; fail "csv row 1"; }
grep -q '^2,1316A,PM2.5,2019-01-12 08:00,120.5,,李工,' "$W/out" || fail "csv row 2"
[ "$(status "$LANTIAN" correct --db "$DB" --list --site 1316A --format json)" = 0 ] || fail "list json"
grep -q '"new": null' "$W/out" || fail "json null for an invalidated value"
[ "$(status "$LANTIAN" correct --db "$DB" --list --site 1317A)" = 0 ] || fail "list other site"
[ "$(wc -l <"$W/out")" -eq 1 ] || fail "1317A has no corrections"
[ "$(status "$LANTIAN" correct --db "$DB" --list --format xml)" = 2 ] || fail "bad format"

# ---- dust --------------------------------------------------------------------------------------
[ "$(status "$LANTIAN" dust --db "$DB" --area 郑州市 --date 2019-03-27:2019-03-29)" = 0 ] || fail "dust"
[ "$(status "$LANTIAN" dust --db "$DB" --area 开封 --date 2019-03-28)" = 0 ] || fail "dust one day"
[ "$(status "$LANTIAN" dust --db "$DB" --area 郑州 --date 2019-03-28 --clear)" = 0 ] || fail "clear"
[ "$(status "$LANTIAN" dust --db "$DB" --list --format csv)" = 0 ] || fail "dust list"
printf 'area,date\n开封,2019-03-28\n郑州,2019-03-27\n郑州,2019-03-29\n' | cmp -s - "$W/out" ||
    { cat "$W/out"; fail "dust list content"; }
[ "$(status "$LANTIAN" dust --db "$DB" --list --area 郑州市 --format csv)" = 0 ] || fail "dust list area"
[ "$(wc -l <"$W/out")" -eq 3 ] || fail "dust list of one area"
[ "$(status "$LANTIAN" dust --db "$DB" --area x --date 2019-03-29:2019-03-28)" = 2 ] || fail "reversed"
[ "$(status "$LANTIAN" dust --db "$DB" --area x --date 2019-02-30)" = 2 ] || fail "impossible date"
[ "$(status "$LANTIAN" dust --db "$DB" --area x --date 2019-01-01:2020-12-31)" = 2 ] || fail "too long"

echo "store_cli.sh: all checks passed"

#!/usr/bin/env bash
# End to end: import real CNEMC data, then stats / rank / target / aqi through the CLI, from the
# store and straight from the files; the answers must agree with each other and with CNEMC.
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_SRC:?}" "${LT_TMP:?}"
T="$LT_TMP/cli_assess"
rm -rf "$T" && mkdir -p "$T"
DB="$T/h.db"
ST="$LT_SHARED/data/cnemc/stations.csv"
JAN=("$LT_SHARED"/data/cnemc/henan-2019/china_sites_201901*.csv.gz "$LT_SHARED/data/cnemc/henan-2019/china_sites_20190201.csv.gz")
fail() { echo "FAIL: $*" >&2; exit 1; }

"$LANTIAN" import cnemc --db "$DB" --stations "$ST" "${JAN[@]}" 2>"$T/import.err" || fail "import"

# 1. The hourly AQI lantian computes for a site from the stored 1-h values equals the AQI CNEMC
#    published for every hour of January 2019 at 1316A (all of Henan matches; see
#    docs/AQI-REALDATA.md), through import -> store -> load -> HJ 633.
"$LANTIAN" aqi --db "$DB" --site 1316A --from 2019-01-01 --to 2019-01-31 --format csv > "$T/aqi.csv"
sqlite3 -csv "$DB" "SELECT strftime('%Y-%m-%d %H:00', h.ts + 28800, 'unixepoch'), CAST(h.value AS INTEGER)
    FROM hourly h JOIN sites s ON s.id = h.site_id
    WHERE s.code = '1316A' AND h.factor = 100 AND h.ts > strftime('%s','2019-01-01 00:00') - 28800
      AND h.ts <= strftime('%s','2019-02-01 00:00') - 28800 ORDER BY h.ts" > "$T/pub.csv"
n_pub=$(wc -l < "$T/pub.csv")
[ "$n_pub" -gt 700 ] || fail "expected > 700 published hours, got $n_pub"
python3 - "$T/aqi.csv" "$T/pub.csv" <<'PY' || fail "hourly AQI differs from the published AQI"
import csv, sys
ours = {r["time"]: r["aqi"] for r in csv.DictReader(open(sys.argv[1]))}
bad = 0
for t, aqi in csv.reader(open(sys.argv[2])):
    if ours.get(t) != aqi:
        bad += 1
        print("mismatch", t, "published", aqi, "lantian", ours.get(t))
print(f"{len(ours)} hours listed, published hours compared, {bad} mismatches")
sys.exit(1 if bad else 0)
PY

# 2. The same ranking from the store and straight from the files.
"$LANTIAN" rank --db "$DB" --level city --province 河南 --period 2019-01 --format csv > "$T/rank_db.csv"
"$LANTIAN" rank --stations "$ST" --input "${JAN[@]}" --level city --province 河南 --period 2019-01 \
    --format csv > "$T/rank_files.csv"
cmp "$T/rank_db.csv" "$T/rank_files.csv" || fail "ranking from the store differs from the files"
[ "$(wc -l < "$T/rank_db.csv")" -eq 18 ] || fail "expected 17 Henan cities plus a header"
# Ranks ascend with the index and ties share a rank.
python3 - "$T/rank_db.csv" <<'PY' || fail "ranking order"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for i, r in enumerate(rows):
    idx = float(r["index"])
    if i and idx < float(rows[i-1]["index"]): sys.exit("index not ascending")
    expect = 1 + sum(1 for x in rows if float(x["index"]) < idx)
    if int(r["rank"]) != expect: sys.exit(f"rank of {r['area']} is {r['rank']}, expected {expect}")
PY

# 3. stats JSON agrees with the ranking row of the same city and period.
"$LANTIAN" stats --db "$DB" --city 郑州 --period 2019-01 --format json > "$T/zz.json"
python3 - "$T/zz.json" "$T/rank_db.csv" <<'PY' || fail "stats vs rank"
import csv, json, sys
s = json.load(open(sys.argv[1]))
r = [x for x in csv.DictReader(open(sys.argv[2])) if x["area"] == "郑州"][0]
assert abs(s["index"] - float(r["index"])) < 1e-9, (s["index"], r["index"])
assert s["pollutants"]["PM2.5"]["mean"] == float(r["PM2.5"])
assert s["good_days"] + sum(s["level_days"][k] for k in ("轻度污染","中度污染","重度污染","严重污染")) == s["aqi_days"]
assert s["aqi_editions"] == ["HJ 633-2012"]
assert s["pollutants"]["PM2.5"]["valid"] is True and s["pollutants"]["PM2.5"]["valid_days"] == 31
PY

# 4. Daily AQI of a city for a day equals `aqi calc` on the city's daily concentrations.
"$LANTIAN" aqi --db "$DB" --city 郑州 --from 2019-01-10 --to 2019-01-10 --daily --format csv > "$T/day.csv"
python3 - "$T/day.csv" "$LANTIAN" <<'PY' || fail "daily AQI vs aqi calc"
import csv, subprocess, sys
r = list(csv.DictReader(open(sys.argv[1])))[0]
inp = "SO2,NO2,CO,O3_8h,PM10,PM2.5,O3_1h_max\n" + ",".join(r[k] for k in ("SO2","NO2","CO","O3","PM10","PM2.5","O3_1h")) + "\n"
out = subprocess.run([sys.argv[2], "aqi", "calc", "--edition", "2012", "--mode", "daily"], input=inp,
                     capture_output=True, text=True, check=True).stdout
c = list(csv.DictReader(out.splitlines()))[0]
assert c["AQI"] == r["aqi"], (c, r)
PY

# 5. Targets: the budget is consistent with the standing (JSON), and a target value on the command
#    line gives the same answer as the config file.
"$LANTIAN" target --db "$DB" --city 郑州 --year 2019 --as-of 2019-01-31 --pm25 40 --good-ratio 66.5 \
    --heavy-ratio 1.2 --ruleset 2012 --format json > "$T/t1.json"
python3 - "$T/t1.json" <<'PY' || fail "target budget"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["days_elapsed"] == 31 and t["days_remaining"] == 334
pm = [i for i in t["items"] if i["target"] == "PM2.5"][0]
ytd = t["year_to_date"]["pollutants"]["PM2.5"]
# (40.5 * (n + R) - mean * n) / R, rounded down to 0.1, must equal the budget (recomputed from
# the reported mean only approximately: allow the rounding of the mean).
n, R = ytd["valid_days"], 334
lo = (40.5 * (n + R) - (ytd["mean"] + 0.5) * n) / R
hi = (40.5 * (n + R) - (ytd["mean"] - 0.5) * n) / R
assert lo - 0.1 <= pm["budget"] <= hi, (lo, pm["budget"], hi)
assert pm["state"] == "behind"
PY

# 6. Dust days (环办监测〔2016〕120号): PM leaves the means, the days stay in the AQI day counts.
"$LANTIAN" dust --db "$DB" --area 郑州市 --date 2019-01-10:2019-01-12 >/dev/null || fail "dust"
"$LANTIAN" stats --db "$DB" --city 郑州 --period 2019-01 --format json > "$T/zz_dust.json"
python3 - "$T/zz.json" "$T/zz_dust.json" <<'PY' || fail "dust days"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert b["dust_days"] == 3, b["dust_days"]
assert b["pollutants"]["PM2.5"]["valid_days"] == 28 and b["pollutants"]["PM10"]["valid_days"] == 28
assert b["pollutants"]["SO2"]["valid_days"] == 31
assert b["aqi_days"] == a["aqi_days"] and b["good_days"] == a["good_days"]
assert b["index"] != a["index"]
PY
"$LANTIAN" dust --db "$DB" --area 郑州 --date 2019-01-10:2019-01-12 --clear >/dev/null || fail "dust clear"
"$LANTIAN" stats --db "$DB" --city 郑州 --period 2019-01 --format json | cmp - "$T/zz.json" || fail "dust clear restores"

# 7. A correction (数据审核) changes what every statistic uses; the raw value stays and the audit
#    trail names who, why, old and new.
raw=$(sqlite3 "$DB" "SELECT value FROM hourly h JOIN sites s ON s.id=h.site_id WHERE s.code='1316A'
      AND factor=5 AND ts=strftime('%s','2019-01-05 10:00') - 28800")
"$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2019-01-05 10:00" --value 400 \
    --who 张三 --why "仪器漂移复核" >/dev/null || fail "correct"
"$LANTIAN" aqi --db "$DB" --site 1316A --from 2019-01-05 --to 2019-01-05 --format csv > "$T/c.csv"
grep -q '^2019-01-05 10:00,1316A [^,]*,434,' "$T/c.csv" || fail "corrected hour's AQI (PM2.5 400 -> 434: 400 + 50*100/150 rounded up)"
"$LANTIAN" correct --db "$DB" --list --site 1316A --format csv > "$T/corr.csv"
grep -q '张三' "$T/corr.csv" && grep -q '仪器漂移复核' "$T/corr.csv" && grep -q ",400" "$T/corr.csv" \
    || fail "correction list"
raw2=$(sqlite3 "$DB" "SELECT value FROM hourly h JOIN sites s ON s.id=h.site_id WHERE s.code='1316A'
      AND factor=5 AND ts=strftime('%s','2019-01-05 10:00') - 28800")
[ "$raw" = "$raw2" ] || fail "raw value was overwritten"

# 8. Bad input: clear errors and exit status 2.
expect_usage() { local rc=0; "$@" >/dev/null 2>"$T/err" || rc=$?; [ $rc -eq 2 ] || fail "exit $rc for: $*"; }
expect_usage "$LANTIAN" stats --db "$DB" --city 郑州 --period 2019-13
grep -q "period '2019-13'" "$T/err" || fail "period error text"
expect_usage "$LANTIAN" stats --db "$DB" --city 不存在 --period 2019-01
grep -q "不存在" "$T/err" || fail "unknown city error text"
expect_usage "$LANTIAN" stats --db "$DB" --period 2019-01
expect_usage "$LANTIAN" rank --db "$DB" --level town --period 2019
expect_usage "$LANTIAN" rank --db "$DB" --level city --period 2019 --by speed
expect_usage "$LANTIAN" target --db "$DB" --city 郑州 --year 2019 --as-of 2020-01-01 --pm25 40
expect_usage "$LANTIAN" target --db "$DB" --city 郑州 --year 2019 --as-of 2019-05-01 --pm25 abc
expect_usage "$LANTIAN" aqi --db "$DB" --site 1316A --from 2019-02-30 --to 2019-03-01
expect_usage "$LANTIAN" stats --db "$DB" --city 郑州 --period 2019 --rules /nonexistent.ini
expect_usage "$LANTIAN" nosuchcommand
echo "cli_assess: all checks passed"

#!/usr/bin/env bash
# End to end: county-level statistics and ranking from a site registry, and the change ranking
# against the same period of the previous year.
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_TMP:?}"
T="$LT_TMP/cli_county_change"
rm -rf "$T" && mkdir -p "$T"
DB="$T/c.db"
ST="$LT_SHARED/data/cnemc/stations.csv"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Five days of January 2019, and a made-up January 2018: the same files dated a year earlier with
# PM2.5 raised by a tenth (so every city improved in 2019), and 鹤壁's stations left out of 2018.
files=()
for d in 01 02 03 04 05 06; do
    f="$LT_SHARED/data/cnemc/henan-2019/china_sites_201901$d.csv.gz"
    files+=("$f")
    python3 - "$f" "$T/china_sites_201801$d.csv" <<'PY'
import csv, gzip, sys
rows = list(csv.reader(gzip.open(sys.argv[1], "rt")))
head = rows[0]
hebi = {i for i, c in enumerate(head) if c in ("2385A", "2386A", "2387A")}
out = csv.writer(open(sys.argv[2], "w", newline=""))
out.writerow(head)
for r in rows[1:]:
    r[0] = "2018" + r[0][4:]
    for i in range(3, len(r)):
        if i in hebi:
            r[i] = ""
        elif r[2] == "PM2.5" and r[i]:
            r[i] = str(round(float(r[i]) * 1.1))
    out.writerow(r)
PY
done
"$LANTIAN" import cnemc --db "$DB" --stations "$ST" "${files[@]}" "$T"/china_sites_2018*.csv \
    2>/dev/null || fail "import"

# 1. Change ranking: (I_2019 - I_2018) / I_2018 in percent, to 0.1, ascending; 鹤壁 has no 2018
#    value and is listed unranked.
"$LANTIAN" rank --db "$DB" --level city --province 河南 --period 2019-01-02:2019-01-05 --by change \
    --format csv > "$T/change.csv"
python3 - "$T/change.csv" <<'PY' || fail "change ranking"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 17, len(rows)
hebi = [r for r in rows if r["area"] == "鹤壁"][0]
assert hebi["rank"] == "" and hebi["change_pct"] == "" and hebi["index_prev"] == "", hebi
ranked = [r for r in rows if r["rank"]]
assert len(ranked) == 16
prev = None
for r in ranked:
    now, before, ch = float(r["index"]), float(r["index_prev"]), float(r["change_pct"])
    assert before > now, r                      # PM2.5 was higher in 2018
    assert abs(100 * (now - before) / before - ch) <= 0.051 + 100 * 0.01 / before, r
    if prev is not None:
        assert ch >= prev
    prev = ch
assert ranked[0]["rank"] == "1"
PY

# 2. A site registry gives counties (the CNEMC list has none): county statistics and ranking.
cat > "$T/registry.csv" <<'CSV'
code,name,city,county,province,lon,lat,eval,valid_from,valid_to
1316A,烟厂,郑州,中原区,河南省,113.6,34.75,Y,,
1317A,郑纺机,郑州,中原区,河南省,113.6,34.76,Y,,
1318A,银行学校,郑州,金水区,河南省,113.68,34.78,Y,,
1319A,供水公司,郑州,金水区,河南省,113.64,34.80,Y,,
1324A,岗李水库,郑州,惠济区,河南省,113.6,34.9,N,,
CSV
"$LANTIAN" import sites --db "$DB" "$T/registry.csv" 2>/dev/null || fail "import sites"
"$LANTIAN" rank --db "$DB" --level county --province 河南 --period 2019-01-02:2019-01-05 \
    --format csv > "$T/county.csv"
python3 - "$T/county.csv" <<'PY' || fail "county ranking"
import csv, sys
rows = {r["area"]: r for r in csv.DictReader(open(sys.argv[1]))}
# 惠济区 has only a control site: no county value.
assert set(rows) == {"中原区", "金水区"}, rows.keys()
assert all(r["sites"] == "2" for r in rows.values())
PY
"$LANTIAN" stats --db "$DB" --county 金水区 --period 2019-01-02:2019-01-05 --format json > "$T/jinshui.json"
"$LANTIAN" stats --db "$DB" --site 1318A --period 2019-01-02:2019-01-05 --format json > "$T/s18.json"
"$LANTIAN" stats --db "$DB" --site 1319A --period 2019-01-02:2019-01-05 --format json > "$T/s19.json"
python3 - "$T/jinshui.json" "$T/s18.json" "$T/s19.json" <<'PY' || fail "county = mean of its sites"
import json, sys
c, a, b = (json.load(open(p)) for p in sys.argv[1:])
assert c["sites"] == 2
# Where every day is valid at both sites, the county mean of daily means equals the mean of the
# two site means (up to the reported rounding of each).
checked = 0
for p in ("SO2", "NO2", "PM10", "PM2.5"):
    if a["pollutants"][p]["valid_days"] == b["pollutants"][p]["valid_days"] == 4:
        assert abs(c["pollutants"][p]["mean"] - (a["pollutants"][p]["mean"] + b["pollutants"][p]["mean"]) / 2) <= 1, p
        checked += 1
assert checked >= 3, checked
# A county-day has a value when either site has one: PM10 at the two sites covers more days.
assert c["pollutants"]["PM10"]["valid_days"] >= max(a["pollutants"]["PM10"]["valid_days"], b["pollutants"]["PM10"]["valid_days"])
PY
# The control site is excluded from its city's value but has statistics of its own.
"$LANTIAN" stats --db "$DB" --site 1324A --period 2019-01-02:2019-01-05 --format json | \
    python3 -c "import json,sys; d=json.load(sys.stdin); assert d['sites']==1 and d['pollutants']['PM2.5']['valid_days']==4" \
    || fail "control site stats"
echo "cli_county_change: all checks passed"

#!/usr/bin/env bash
# Excel (.xlsx) answers of the HTTP API over real HTTP on loopback. A store from real data
# (Henan, January 2019; two counties from a registry; a cement kiln and an unknown MN that sent
# HJ 212 frames through `lantian ingest`; two corrections), then every endpoint that offers
# format=csv is asked for JSON, CSV and xlsx with the same parameters, and each workbook is read
# back with openpyxl and compared cell by cell: one worksheet with the table's Chinese name, the
# CSV's header row (bold, frozen, with an autofilter), every value equal to the CSV's text —
# numbers as numbers (where JSON has a number) equal to the CSV's value and shown with its
# decimals, booleans as booleans, text as text (codes such as 1316A, times exactly as in the CSV),
# null as an empty cell. Also: content type and file names, paging, HEAD, public and private
# endpoints, every error answered as JSON, concurrent requests with nothing left in the server's
# TMPDIR, and a server whose TMPDIR is unusable answering 500 export_error while serving on.
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_SRC:?}" "${LT_TMP:?}"
T="$LT_TMP/http_xlsx"
rm -rf "$T" && mkdir -p "$T/srvtmp"
DB="$T/x.db"
ST="$LT_SHARED/data/cnemc/stations.csv"
JAN=("$LT_SHARED"/data/cnemc/henan-2019/china_sites_201901*.csv.gz "$LT_SHARED/data/cnemc/henan-2019/china_sites_20190201.csv.gz")
SPID=
IPID=
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/api.log" ] && tail -20 "$T/api.log" >&2
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    [ -n "$IPID" ] && kill "$IPID" 2>/dev/null
    exit 1
}
# openpyxl reads the workbooks (Debian: python3-openpyxl, installed by scripts/setup.sh); the
# python3 first on PATH may be another installation without it.
PY=
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import openpyxl' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || fail "no python3 with openpyxl (Debian package python3-openpyxl; scripts/setup.sh)"

# ---- the store --------------------------------------------------------------------------------
"$LANTIAN" import cnemc --db "$DB" --stations "$ST" "${JAN[@]}" 2>"$T/import.err" || fail "import"
cat > "$T/registry.csv" <<'CSV'
code,name,city,county,province,lon,lat,eval,valid_from,valid_to
1316A,烟厂,郑州,中原区,河南省,113.6,34.75,Y,,
1317A,郑纺机,郑州,中原区,河南省,113.6,34.76,Y,,
1318A,银行学校,郑州,金水区,河南省,113.68,34.78,Y,,
1319A,供水公司,郑州,金水区,河南省,113.64,34.80,Y,,
CSV
"$LANTIAN" import sites --db "$DB" "$T/registry.csv" 2>/dev/null || fail "import sites"
"$LANTIAN" device add --db "$DB" --mn AIR00000000001 --kind air --site 1316A >/dev/null || fail "device add air"
"$LANTIAN" device add --db "$DB" --mn KILN0000000001 --kind cems --outlet ENT1-DA001 \
    --source-type cement_kiln --pw 123456 >/dev/null || fail "device add cems"
# A correction whose reason holds what CSV quotes and what a spreadsheet could take for a formula;
# an invalidation (new value null).
"$LANTIAN" correct --db "$DB" --site 1316A --pollutant CO --time "2019-01-12 08:00" --value 1.25 \
    --who 王工 --why $'仪器漂移, "已校准"\t<复核> & =SUM(A1)\n第二行' >/dev/null || fail "correct"
"$LANTIAN" correct --db "$DB" --site 1317A --pollutant PM2.5 --time "2019-01-13 09:00" \
    --invalidate --who 李工 --why 停电 >/dev/null || fail "invalidate"
echo 'admin-password-1' | "$LANTIAN" user add --db "$DB" --name admin --role admin \
    --password-stdin >/dev/null || fail "user add admin"

# HJ 212 frames through the ingest server: two CEMS exceedances (SO2 after O2 correction, NOx
# flagged T), device-hour health rows, and an unknown MN held in quarantine.
seg() { # QN MN DATETIME O2 O2FLAG SO2 SO2FLAG NOX NOXFLAG PM PMFLAG
    printf 'QN=%s;ST=31;CN=2061;PW=123456;MN=%s;Flag=5;CP=&&DataTime=%s;' "$1" "$2" "$3"
    printf 'a19001-Avg=%s,a19001-Flag=%s;a21026-Avg=%s,a21026-Flag=%s;' "$4" "$5" "$6" "$7"
    printf 'a21002-Avg=%s,a21002-Flag=%s;a34013-Avg=%s,a34013-Flag=%s&&\n' "$8" "$9" "${10}" "${11}"
}
K=KILN0000000001
{
    seg 20190101110501001 $K 20190101100000 12.0 N 20.0 N 50.0 N 5.0 N
    seg 20190101120501001 $K 20190101110000 15.0 N 30.0 N 40.0 N 4.0 N
    seg 20190101140501001 $K 20190101130000 8.0 N 20.0 N 150.0 T 5.0 N
    seg 20190101150501001 UNKNOWN0000001 20190101140000 8.0 N 20.0 N 150.0 T 5.0 N
} > "$T/frames.txt"
"$LANTIAN" ingest --db "$DB" --listen 127.0.0.1:0 --port-file "$T/iport" 2>"$T/ingest.log" &
IPID=$!
for _ in $(seq 100); do [ -s "$T/iport" ] && break; sleep 0.1; done
[ -s "$T/iport" ] || fail "ingest did not start"
"$LANTIAN" simulate --target "127.0.0.1:$(cat "$T/iport")" --frames "$T/frames.txt" >"$T/sim.out" || true
grep -q '^acked=3$' "$T/sim.out" || { cat "$T/sim.out"; fail "the kiln's frames were not acknowledged"; }
kill -TERM "$IPID"
wait "$IPID" || fail "ingest exit status"
IPID=

# compare(xlsx, csv, items, sheet, where, source): one workbook against the CSV text and the JSON
# items of the same table (JSON says which cells are numbers, booleans, text or null); returns the
# number of cells compared.
cat > "$T/xlsxcmp.py" <<'PY'
import csv, json, re
import openpyxl
from openpyxl.utils import get_column_letter

def decimals(text):
    return len(text.split(".", 1)[1]) if "." in text else 0

def compare(xlsx, csv_path, items, sheet, where, source):
    rows = list(csv.reader(open(csv_path, encoding="utf-8", newline="")))
    head, data = rows[0], rows[1:]
    assert len(data) == len(items), (where, len(data), len(items))
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == [sheet], (where, wb.sheetnames)
    assert sheet in (wb.properties.title or ""), (where, wb.properties.title)
    assert source in (wb.properties.description or ""), (where, wb.properties.description)
    ws = wb[sheet]
    assert ws.max_row == len(rows) and ws.max_column == len(head), (where, ws.max_row, ws.max_column, len(rows), len(head))
    assert ws.freeze_panes == "A2", (where, ws.freeze_panes)
    assert ws.auto_filter.ref == f"A1:{get_column_letter(len(head))}{len(rows)}", (where, ws.auto_filter.ref)
    for c, hname in enumerate(head, 1):
        cell = ws.cell(1, c)
        assert cell.value == hname and cell.data_type == "s" and cell.font.b, (where, c, cell.value, hname)
        width = ws.column_dimensions[get_column_letter(c)].width
        assert width and width >= len(hname) + 1, (where, hname, width)
    n = 0
    for r, (row, item) in enumerate(zip(data, items), 2):
        assert len(row) == len(head), (where, r)
        for c, (text, hname) in enumerate(zip(row, head), 1):
            cell = ws.cell(r, c)
            jv = item[hname]
            at = (where, r, hname, text, cell.value, cell.data_type, jv)
            if jv is None:
                assert text == "" and cell.value is None, at
            elif isinstance(jv, bool):
                assert cell.data_type == "b" and cell.value is jv and text == ("true" if jv else "false"), at
            elif isinstance(jv, (int, float)):
                # A number: the CSV's value exactly, shown with the CSV's decimals.
                assert re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text), at
                assert cell.data_type == "n" and not isinstance(cell.value, bool), at
                assert cell.value == float(text) == jv, at
                d = decimals(text)
                assert cell.number_format == ("0." + "0" * d if d else "0"), (at, cell.number_format)
            elif isinstance(jv, (dict, list)):
                # The audit log's before/after: JSON in the answer, its text in CSV and Excel.
                assert cell.data_type == "s" and cell.value == text and json.loads(text) == jv, at
            else:
                assert cell.data_type == "s" and cell.value == text == jv, at
            n += 1
    return n
PY

# ---- the server -------------------------------------------------------------------------------
# Its own TMPDIR: the workbooks are built there and nothing may be left behind.
TMPDIR="$T/srvtmp" "$LANTIAN" api --db "$DB" --http 127.0.0.1:0 --port-file "$T/port" \
    --targets "$LT_SRC/config/targets-demo.ini" 2>"$T/api.log" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "api did not start"
B="http://127.0.0.1:$(cat "$T/port")"
TOK=$(curl -sS -X POST -H 'Content-Type: application/json' \
    -d '{"name": "admin", "password": "admin-password-1"}' "$B/api/login" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])') || fail "login"
AUTH=(-H "Authorization: Bearer $TOK")
XLSX_TYPE='application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

# get FILE PATH [STATUS [CURL ARGS...]]: body to $T/FILE, headers to $T/FILE.h; checks the status.
get() {
    local f=$1 path=$2 want=${3:-200}
    shift 3 2>/dev/null || shift $#
    local st
    st=$(curl -sS -o "$T/$f" -D "$T/$f.h" -w '%{http_code}' "$@" "$B$path") || fail "curl $path"
    [ "$st" = "$want" ] || { head -c 300 "$T/$f" >&2; fail "$path: status $st, expected $want"; }
}
# err FILE PATH STATUS CODE [CURL ARGS...]: a JSON error with that code, whatever format asked.
err() {
    local f=$1 path=$2 st=$3 code=$4
    shift 4
    get "$f" "$path" "$st" "$@"
    grep -qi '^content-type: application/json; charset=utf-8' "$T/$f.h" || fail "$f: not a JSON error"
    grep -qi '^content-disposition' "$T/$f.h" && fail "$f: an error with a file name"
    "$PY" - "$T/$f" "$code" <<'PY' || fail "$f: error body"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == sys.argv[2], e
assert len(e["message"]) > 10, e
PY
}
u() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
HN=$(u 河南)
ZZ=$(u 郑州)

# fetch NAME SHEET ENDPOINT PATH: the JSON, CSV and xlsx answers of one request, listed for the
# comparison below (ENDPOINT: the ASCII name the download's file name starts with).
: > "$T/list"
fetch() {
    local name=$1 sheet=$2 ep=$3 path=$4 sep='?'
    [[ $path == *\?* ]] && sep='&'
    get "$name.json" "$path" 200 "${AUTH[@]}"
    get "$name.csv" "$path${sep}format=csv" 200 "${AUTH[@]}"
    get "$name.xlsx" "$path${sep}format=xlsx" 200 "${AUTH[@]}"
    printf '%s\t%s\t%s\n' "$name" "$sheet" "$ep" >> "$T/list"
}

# ---- every endpoint that offers CSV -------------------------------------------------------------
fetch sites 站点 sites "/api/sites?province=$HN"
fetch sites_page 站点 sites "/api/sites?province=$HN&limit=7&offset=3"
fetch sites_past 站点 sites "/api/sites?province=$HN&offset=100000"
fetch latest 实时AQI aqi-latest "/api/aqi/latest?province=$HN&at=2019-01-31T2400"
fetch latest_city 实时AQI aqi-latest "/api/aqi/latest?province=$HN&level=city&at=$(u '2019-01-31 24:00')"
fetch hourly 小时AQI aqi-hourly "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-31"
fetch hourly_county 小时AQI aqi-hourly "/api/aqi/hourly?county=$(u 中原区)&from=2019-01-10&to=2019-01-12&limit=30&offset=20"
fetch daily 日AQI aqi-daily "/api/aqi/daily?city=$ZZ&from=2019-01-01&to=2019-01-31&limit=10&offset=5"
fetch rank 排名 rank "/api/rank?level=city&province=$HN&period=2019-01"
fetch rank_pm25 排名 rank "/api/rank?level=city&province=$HN&period=2019-01&by=pm25"
fetch rank_change 排名 rank "/api/rank?level=city&province=$HN&period=2019-01&by=change"
fetch rank_county 排名 rank "/api/rank?level=county&province=$HN&period=2019-01-01:2019-01-20"
fetch targets 目标进度 targets "/api/targets?city=$ZZ&year=2019&as_of=2019-01-31&config=demo"
fetch targets_v 目标进度 targets "/api/targets?city=$ZZ&year=2019&as_of=2019-01-31&pm25=$(u '<40')&good_ratio=66.5"
fetch devices 设备 devices "/api/devices"
fetch health 设备运行 devices-KILN0000000001-health "/api/devices/KILN0000000001/health"
fetch values 设备数据 devices-KILN0000000001-values "/api/devices/KILN0000000001/values?from=2019-01-01&to=2019-01-01"
fetch quarantine 隔离区 quarantine "/api/quarantine"
fetch exceed 超标记录 exceedances "/api/exceedances"
fetch exceed_mn 超标记录 exceedances "/api/exceedances?mn=KILN0000000001"
fetch corr 数据审核 corrections "/api/corrections"
fetch corr_site 数据审核 corrections "/api/corrections?site=1316A"
fetch audit 审计日志 audit "/api/audit?limit=50"
fetch target_values 目标值 target-values "/api/target-values"
# A long name: the file name is cut at a character boundary (160 bytes of stem).
LONGCITY=$(printf '郑州%.0s' $(seq 40))
fetch sites_long 站点 sites "/api/sites?city=$(u "$LONGCITY")&county=$(u 'a b/c"d')"
# The public ranking needs no login, in Excel too.
get rank_public.xlsx "/api/rank?level=city&province=$HN&period=2019-01&format=xlsx"
grep -qi "^content-type: $XLSX_TYPE" "$T/rank_public.xlsx.h" || fail "public rank: not a workbook"
[ "$(head -c 4 "$T/rank_public.xlsx" | od -An -tx1 | tr -d ' \n')" = 504b0304 ] || fail "public rank: not a zip"

"$PY" - "$T" "$XLSX_TYPE" <<'PY' || fail "xlsx answers differ from the CSV/JSON answers"
import json, re, sys, urllib.parse
import openpyxl

T, XLSX_TYPE = sys.argv[1], sys.argv[2]
sys.path.insert(0, T)
from xlsxcmp import compare
RFC5987 = re.compile(r"^[A-Za-z0-9!#$&+\-.^_`|~%]+$")

def headers(path):
    h = {}
    for line in open(path, encoding="latin-1").read().splitlines()[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            h[k.strip().lower()] = v.strip()
    return h

def disposition(h, ext, ep, sheet, where):
    d = h.get("content-disposition", "")
    m = re.fullmatch(r'attachment; filename="([A-Za-z0-9._-]+)"; filename\*=UTF-8\'\'(\S+)', d)
    assert m, (where, d)
    ascii_name, ext_value = m.group(1), m.group(2)
    assert RFC5987.match(ext_value), (where, ext_value)
    utf8_name = urllib.parse.unquote(ext_value, encoding="utf-8", errors="strict")
    assert ascii_name.startswith(ep) and ascii_name.endswith("." + ext), (where, ascii_name, ep)
    assert utf8_name.startswith(sheet) and utf8_name.endswith("." + ext), (where, utf8_name)
    return ascii_name, utf8_name

checked = 0
names = {}
for line in open(f"{T}/list", encoding="utf-8"):
    name, sheet, ep = line.rstrip("\n").split("\t")
    where = name
    hj, hc, hx = (headers(f"{T}/{name}.{e}.h") for e in ("json", "csv", "xlsx"))
    assert hx["content-type"] == XLSX_TYPE, (where, hx["content-type"])
    assert hc["content-type"] == "text/csv; charset=utf-8", (where, hc["content-type"])
    assert "content-disposition" not in hj, where
    xa, xu = disposition(hx, "xlsx", ep, sheet, where)
    ca, cu = disposition(hc, "csv", ep, sheet, where)
    assert xa[:-5] == ca[:-4] and xu[:-5] == cu[:-4], (where, xa, ca)
    names[name] = (xa, xu)
    items = json.load(open(f"{T}/{name}.json", encoding="utf-8"))["items"]
    checked += compare(f"{T}/{name}.xlsx", f"{T}/{name}.csv", items, sheet, where, "GET /api/")

# Data the comparison must have seen (not only empty tables).
def xrows(name):
    return list(openpyxl.load_workbook(f"{T}/{name}.xlsx").active.iter_rows(values_only=True))
hourly = xrows("hourly")
assert len(hourly) == 745, len(hourly)
h = hourly[0]
co = [r[h.index("CO")] for r in hourly[1:] if r[h.index("CO")] is not None]
assert co and any(v != int(v) for v in co), "CO should carry one decimal"
assert all(r[h.index("time")] == f"2019-01-01 {i:02d}:00" for i, r in enumerate(hourly[1:24], 1))
assert len(xrows("sites_page")) == 8 and len(xrows("sites_past")) == 1
sp, sa = xrows("sites_page"), xrows("sites")
assert sp[1:] == sa[4:11], "limit/offset: not the same rows as the whole list"
daily = json.load(open(f"{T}/daily.json"))
assert daily["offset"] == 5 and daily["limit"] == 10 and len(xrows("daily")) == 11
codes = [r[0] for r in sa[1:]]
assert "1316A" in codes and all(isinstance(x, str) for x in codes)
latest = xrows("latest")
assert latest[0][4] == "is_eval" and all(isinstance(r[4], bool) for r in latest[1:])
change = xrows("rank_change")
assert change[0][0] == "rank" and all(r[0] is None for r in change[1:])
county = xrows("rank_county")
assert sorted(r[1] for r in county[1:]) == ["中原区", "金水区"], county
assert len(xrows("exceed")) == 3 and len(xrows("quarantine")) == 2 and len(xrows("health")) >= 2
q = xrows("quarantine")
assert q[1][0] == "UNKNOWN0000001" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?", q[1][1]), q
corr = xrows("corr")
why = corr[1][corr[0].index("why")]
assert why == '仪器漂移, "已校准"\t<复核> & =SUM(A1)\n第二行', repr(why)
assert corr[2][corr[0].index("new")] is None and corr[1][corr[0].index("new")] == 1.25
tg = xrows("targets")
assert tg[0][:2] == ("target", "goal") and all(isinstance(r[1], str) for r in tg[1:]), tg
assert names["rank_pm25"] == ("rank-city-2019-01-pm25.xlsx", "排名-city-河南-2019-01-pm25.xlsx"), names["rank_pm25"]
assert names["sites_page"][0] == "sites-rows4-10.xlsx", names["sites_page"]
assert names["sites_past"][0] == "sites-offset100000.xlsx", names["sites_past"]
assert names["hourly_county"][1] == "小时AQI-中原区-2019-01-10-2019-01-12-rows21-50.xlsx", names["hourly_county"]
assert names["health"][1].startswith("设备运行-KILN0000000001"), names["health"]
assert names["sites_long"][0] == "sites-a_b_c_d.xlsx", names["sites_long"]
long_utf8 = names["sites_long"][1][:-5]
assert 150 < len(long_utf8.encode()) <= 160 and long_utf8.startswith("站点-郑州郑州"), long_utf8
assert set(long_utf8[3:]) == {"郑", "州"}, long_utf8
assert checked > 20000, checked
print(f"http_xlsx: {checked} cells compared")
PY

# HEAD: the headers of the workbook, no body.
hd=$(curl -sS -I "${AUTH[@]}" "$B/api/devices?format=xlsx") || fail "HEAD"
grep -qi "^content-type: $XLSX_TYPE" <<<"$hd" || fail "HEAD content type: $hd"
grep -qi '^content-disposition: attachment; filename="devices.xlsx"' <<<"$hd" || fail "HEAD disposition: $hd"

# The device's values over the API are `lantian device values`, row for row (12 values: 3 frames
# x O2, SO2, NOx, PM; the unknown MN's frame is not stored).
"$LANTIAN" device values --db "$DB" --mn KILN0000000001 --from 2019-01-01 --to 2019-01-01 \
    --format csv > "$T/values_cli.csv" || fail "device values (CLI)"
tr -d '\r' < "$T/values.csv" | cmp - "$T/values_cli.csv" || fail "API and CLI device values differ"
[ "$(wc -l < "$T/values_cli.csv")" = 13 ] || fail "device values: $(wc -l < "$T/values_cli.csv") lines"
grep -q '^2019-01-01 13:00:00,2061,a21002,Avg,150,150,T,' "$T/values_cli.csv" || fail "flagged NOx value"
err e_vcn "/api/devices/KILN0000000001/values?cn=9014" 400 bad_parameter "${AUTH[@]}"
err e_vrange "/api/devices/KILN0000000001/values?from=2019-01-01&to=2019-01-31" 400 range_too_long "${AUTH[@]}"
err e_vmn "/api/devices/NOSUCHMN/values" 404 not_found "${AUTH[@]}"

# ---- errors stay JSON -----------------------------------------------------------------------------
err e_fmt "/api/sites?format=xls" 400 bad_parameter "${AUTH[@]}"
grep -q "is not json, csv or xlsx" "$T/e_fmt" || fail "format message"
err e_stats "/api/stats?city=$ZZ&period=2019-01&format=xlsx" 400 bad_parameter "${AUTH[@]}"
grep -q "csv and xlsx are not offered here" "$T/e_stats" || fail "object message"
err e_site "/api/sites/1316A?format=xlsx" 400 bad_parameter "${AUTH[@]}"
err e_health "/api/health?format=xlsx" 400 bad_parameter
err e_me "/api/me?format=xlsx" 400 bad_parameter "${AUTH[@]}"
err e_login "/api/login?format=xlsx" 400 bad_parameter -X POST -H 'Content-Type: application/json' \
    -d '{"name": "admin", "password": "admin-password-1"}'
err e_missing "/api/aqi/hourly?site=1316A&from=2019-01-01&format=xlsx" 400 missing_parameter "${AUTH[@]}"
err e_cap "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-02-01&format=xlsx" 400 range_too_long "${AUTH[@]}"
err e_limit "/api/sites?limit=5001&format=xlsx" 400 bad_parameter "${AUTH[@]}"
err e_404 "/api/corrections?site=NOPE&format=xlsx" 404 not_found "${AUTH[@]}"
err e_login_req "/api/devices?format=xlsx" 401 login_required
err e_rank_priv "/api/rank?level=county&period=2019-01&format=xlsx" 401 login_required

# ---- concurrent workbooks: each complete, nothing left behind -------------------------------------
for i in $(seq 1 12); do
    curl -s -o "$T/par$i.xlsx" "${AUTH[@]}" "$B/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-31&format=xlsx" &
    curl -s -o "$T/parj$i.json" "${AUTH[@]}" "$B/api/rank?level=city&province=$HN&period=2019-01" &
done
wait $(jobs -p | grep -v "^$SPID$") 2>/dev/null || true
"$PY" - "$T" <<'PY' || fail "concurrent answers"
import json, sys
import openpyxl
T = sys.argv[1]
ref = list(openpyxl.load_workbook(f"{T}/hourly.xlsx").active.iter_rows(values_only=True))
rank = json.load(open(f"{T}/rank.json"))
for i in range(1, 13):
    got = list(openpyxl.load_workbook(f"{T}/par{i}.xlsx").active.iter_rows(values_only=True))
    assert got == ref, f"workbook {i} differs"
    assert json.load(open(f"{T}/parj{i}.json")) == rank, f"ranking {i} differs"
PY
[ -z "$(ls -A "$T/srvtmp")" ] || { ls -la "$T/srvtmp" >&2; fail "temporary files left in the server's TMPDIR"; }

kill -TERM "$SPID"
set +e
wait "$SPID"; rc=$?
set -e
SPID=
[ "$rc" = 0 ] || fail "api exited $rc after SIGTERM"
grep -q " 0 server errors" "$T/api.log" || fail "server errors counted"

# ---- the CLI: --format xlsx --output FILE ---------------------------------------------------------
cli() { # NAME SHEET ARGS...: NAME.xlsx, NAME.csv and NAME.json of one CLI table
    local name=$1 sheet=$2
    shift 2
    "$LANTIAN" "$@" --format xlsx --output "$T/$name.xlsx" 2>"$T/$name.err" || { cat "$T/$name.err" >&2; fail "$*: xlsx"; }
    grep -q " rows written to $T/$name.xlsx" "$T/$name.err" || fail "$*: no 'written' line"
    "$LANTIAN" "$@" --format csv >"$T/$name.csv" || fail "$*: csv"
    "$LANTIAN" "$@" --format json >"$T/$name.json" || fail "$*: json"
    printf '%s\t%s\n' "$name" "$sheet" >> "$T/clilist"
}
: > "$T/clilist"
cli cli_rank 排名 rank --db "$DB" --level city --province 河南 --period 2019-01 --by pm25
cli cli_hourly 小时AQI aqi --db "$DB" --site 1316A --from 2019-01-01 --to 2019-01-31
cli cli_daily 日AQI aqi --db "$DB" --city 郑州 --from 2019-01-01 --to 2019-01-31 --daily
cmp "$T/cli_rank.csv" "$T/rank_pm25.csv" || fail "CLI and API rank CSV differ"
"$PY" - "$T" <<'PY' || fail "CLI workbooks differ from the CLI's CSV/JSON"
import json, sys
import openpyxl
T = sys.argv[1]
sys.path.insert(0, T)
from xlsxcmp import compare
n = 0
for line in open(f"{T}/clilist", encoding="utf-8"):
    name, sheet = line.rstrip("\n").split("\t")
    items = json.load(open(f"{T}/{name}.json", encoding="utf-8"))
    assert items, name
    n += compare(f"{T}/{name}.xlsx", f"{T}/{name}.csv", items, sheet, name, "lantian ")
api = list(openpyxl.load_workbook(f"{T}/rank_pm25.xlsx").active.iter_rows(values_only=True))
cli = list(openpyxl.load_workbook(f"{T}/cli_rank.xlsx").active.iter_rows(values_only=True))
assert api == cli, "CLI and API rank workbooks differ"
print(f"http_xlsx: {n} CLI cells compared")
PY
set +e
"$LANTIAN" rank --db "$DB" --level city --period 2019-01 --format xlsx 2>"$T/cli_e1"; rc1=$?
"$LANTIAN" rank --db "$DB" --level city --period 2019-01 --output "$T/cli_e2.xlsx" 2>"$T/cli_e2"; rc2=$?
"$LANTIAN" aqi --db "$DB" --site 1316A --from 2019-01-01 --to 2019-01-01 --format xlsx \
    --output "$T/no-such-dir/a.xlsx" 2>"$T/cli_e3"; rc3=$?
set -e
[ "$rc1 $rc2 $rc3" = "2 2 2" ] || fail "CLI xlsx refusals: $rc1 $rc2 $rc3"
grep -q "give --output FILE" "$T/cli_e1" || fail "CLI: xlsx without --output"
grep -q "goes with --format xlsx" "$T/cli_e2" && [ ! -e "$T/cli_e2.xlsx" ] || fail "CLI: --output without xlsx"
grep -q "cannot write $T/no-such-dir/a.xlsx: No such file or directory" "$T/cli_e3" || fail "CLI: unwritable --output"

# ---- a server that cannot build workbooks (TMPDIR missing) answers 500 and serves on ---------------
rm -f "$T/port"
TMPDIR="$T/no-such-dir" "$LANTIAN" api --db "$DB" --http 127.0.0.1:0 --port-file "$T/port" 2>"$T/api.log" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "api did not start (second)"
B="http://127.0.0.1:$(cat "$T/port")"
err e_tmp "/api/rank?level=city&province=$HN&period=2019-01&format=xlsx" 500 export_error
grep -q "server log has the details" "$T/e_tmp" || fail "export_error message"
grep -q "no-such-dir" "$T/e_tmp" && fail "a 500 shows a server path"
grep -q "Excel answer of /api/rank: cannot make a temporary directory in $T/no-such-dir" "$T/api.log" \
    || fail "the log does not say why"
get rank_after.csv "/api/rank?level=city&province=$HN&period=2019-01&format=csv"
cmp "$T/rank_after.csv" "$T/rank.csv" || fail "CSV changed after a failed workbook"
get health_after "/api/health"
kill -TERM "$SPID"
set +e
wait "$SPID"; rc=$?
set -e
SPID=
[ "$rc" = 0 ] || fail "second api exited $rc"
echo "http_xlsx: every CSV-capable endpoint's workbook equals its CSV; errors stay JSON"

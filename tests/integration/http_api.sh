#!/usr/bin/env bash
# The HTTP API over real HTTP on loopback: every endpoint answers with the right status, content
# type and values (the same numbers as the CLI), CSV variants parse, and every 4xx path answers a
# JSON error while the server keeps answering; SIGTERM stops it with exit 0.
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_SRC:?}" "${LT_TMP:?}"
T="$LT_TMP/http_api"
rm -rf "$T" && mkdir -p "$T"
DB="$T/h.db"
ST="$LT_SHARED/data/cnemc/stations.csv"
JAN=("$LT_SHARED"/data/cnemc/henan-2019/china_sites_201901*.csv.gz "$LT_SHARED/data/cnemc/henan-2019/china_sites_20190201.csv.gz")
SPID=
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/api.log" ] && tail -20 "$T/api.log" >&2
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    exit 1
}

"$LANTIAN" import cnemc --db "$DB" --stations "$ST" "${JAN[@]}" 2>"$T/import.err" || fail "import"
"$LANTIAN" device add --db "$DB" --mn AIR00000000001 --kind air --site 1316A >/dev/null || fail "device add air"
"$LANTIAN" device add --db "$DB" --mn KILN0000000001 --kind cems --outlet ENT1-DA001 \
    --source-type cement_kiln >/dev/null || fail "device add cems"
"$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2019-01-12 08:00" \
    --value 120.5 --who 王工 --why "仪器漂移, 已校准" >/dev/null || fail "correct"
# Endpoints other than the public ones need a session (tests/integration/http_auth.sh tests the
# accounts themselves): these requests are made as an administrator.
echo 'admin-password-1' | "$LANTIAN" user add --db "$DB" --name admin --role admin \
    --password-stdin >/dev/null || fail "user add admin"

# A missing store is refused (the API is read-only: it creates nothing).
set +e
"$LANTIAN" api --db "$T/none.db" --http 127.0.0.1:0 2>/dev/null; rc=$?
set -e
[ "$rc" = 2 ] || fail "api on a missing store exited $rc, expected 2"
[ ! -e "$T/none.db" ] || fail "api created a store"

"$LANTIAN" api --db "$DB" --http 127.0.0.1:0 --port-file "$T/port" \
    --targets "$LT_SRC/config/targets-demo.ini" 2>"$T/api.log" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "api did not start"
PORT=$(cat "$T/port")
B="http://127.0.0.1:$PORT"
grep -q "HTTP API on http://127.0.0.1:$PORT/api/" "$T/api.log" || fail "URL not printed"
TOK=$(curl -sS -X POST -H 'Content-Type: application/json' \
    -d '{"name": "admin", "password": "admin-password-1"}' "$B/api/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') || fail "login"
AUTH=(-H "Authorization: Bearer $TOK")

# get NAME PATH [EXPECTED_STATUS [CURL ARGS...]]: body to $T/NAME, checks status; prints the type.
get() {
    local name=$1 path=$2 want=${3:-200}
    shift 3 2>/dev/null || shift $#
    local out
    out=$(curl -sS -o "$T/$name" -w '%{http_code} %{content_type}' "${AUTH[@]}" "$@" "$B$path") || fail "curl $path"
    [ "${out%% *}" = "$want" ] || { cat "$T/$name" >&2; fail "$path: status ${out%% *}, expected $want"; }
    echo "${out#* }" > "$T/$name.type"
}
is_json() { grep -qx 'application/json; charset=utf-8' "$T/$1.type" || fail "$1: type $(cat "$T/$1.type")"
            python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/$1" || fail "$1: not JSON"; }
is_csv() { grep -qx 'text/csv; charset=utf-8' "$T/$1.type" || fail "$1: type $(cat "$T/$1.type")"
           python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1]))); assert r and all(len(x)==len(r[0]) for x in r), "ragged"' "$T/$1" || fail "$1: not CSV"; }
# err NAME PATH STATUS CODE [CURL ARGS...]: a JSON error with that code.
err() {
    local name=$1 path=$2 st=$3 code=$4
    shift 4
    get "$name" "$path" "$st" "$@"
    is_json "$name"
    python3 - "$T/$name" "$code" <<'PY' || fail "$name: error body"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == sys.argv[2], e
assert len(e["message"]) > 10 and "Traceback" not in e["message"], e
PY
}
u() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
ZZ=$(u 郑州)
HN=$(u 河南)

# ---- every endpoint --------------------------------------------------------------------------
get health /api/health && is_json health
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="ok" and d["version"] and d["targets"]=="demo" and d["demo"] is None, d' "$T/health" || fail "health"
get head /api/health 200 -I

get sites "/api/sites?city=$ZZ" && is_json sites
get sites_csv "/api/sites?province=$HN&format=csv&limit=5&offset=2" && is_csv sites_csv
get sites_all "/api/sites?limit=5000" && is_json sites_all
python3 - "$T/sites" "$T/sites_csv" "$T/sites_all" <<'PY' || fail "sites"
import csv, json, sys
d = json.load(open(sys.argv[1]))
assert d["total"] == len(d["items"]) == 12, d["total"]
s = [x for x in d["items"] if x["code"] == "1316A"][0]
assert s["name"] == "烟厂" and s["city"] == "郑州" and s["is_eval"] is True and abs(s["lon"] - 113.69031) < 1e-6, s
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == 5 and rows[0]["province"] == "河南省", rows
a = json.load(open(sys.argv[3]))
assert a["total"] > 1700 and len(a["items"]) == a["total"], a["total"]
PY

get site /api/sites/1316A && is_json site
python3 - "$T/site" <<'PY' || fail "site"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["site"]["code"] == "1316A" and d["last_hour"] == "2019-02-01 23:00", d
assert d["aqi"]["aqi"] == 109 and d["aqi"]["edition"] == "HJ 633-2012", d["aqi"]
assert d["completeness"]["day"] == "2019-02-01" and d["completeness"]["hours"]["SO2"] == 23, d
PY

# Real time at a given hour, per site and per city; the city value comes from mean concentrations.
get latest "/api/aqi/latest?province=$HN&at=2019-01-31T2400" && is_json latest
get latest_city "/api/aqi/latest?city=$ZZ&level=city&at=$(u '2019-01-31 24:00')" && is_json latest_city
get latest_csv "/api/aqi/latest?province=$HN&at=2019-01-31T2400&level=city&format=csv" && is_csv latest_csv
get latest_now "/api/aqi/latest?city=$ZZ" && is_json latest_now
"$LANTIAN" aqi --db "$DB" --city 郑州 --from 2019-01-31 --to 2019-01-31 --format json > "$T/cli_zz_hour.json"
"$LANTIAN" aqi --db "$DB" --site 1316A --from 2019-01-31 --to 2019-01-31 --format json > "$T/cli_site_hour.json"
LAST=$(sqlite3 "$DB" "SELECT strftime('%Y-%m-%d %H:%M', max(ts) + 28800, 'unixepoch') FROM hourly
      WHERE factor BETWEEN 0 AND 5")
python3 - "$T/latest" "$T/latest_city" "$T/latest_csv" "$T/cli_zz_hour.json" "$T/cli_site_hour.json" "$T/latest_now" "$LAST" <<'PY' || fail "aqi/latest"
import csv, json, sys
d = json.load(open(sys.argv[1]))
assert d["hour"] == "2019-02-01 00:00" and d["level"] == "site", d["hour"]
site = [x for x in d["items"] if x["code"] == "1316A"][0]
cli_site = json.load(open(sys.argv[5]))[-1]
for k in ("aqi", "level", "category", "primary", "PM2.5", "iaqi_PM2.5", "edition"):
    assert site[k] == cli_site[k], (k, site[k], cli_site[k])
assert site["colour"] and site["rgb"].startswith("#") and len(site["rgb"]) == 7, site
c = json.load(open(sys.argv[2]))
zz = c["items"][0]
cli = json.load(open(sys.argv[4]))[-1]  # 2019-02-01 00:00 = hour 24 of 2019-01-31
assert cli["time"] == "2019-02-01 00:00", cli["time"]
for k in ("aqi", "level", "category", "primary", "PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "edition"):
    assert zz[k] == cli[k], (k, zz[k], cli[k])
assert zz["city"] == "郑州" and zz["sites"] >= 1
rows = list(csv.DictReader(open(sys.argv[3])))
assert len(rows) == 17 and any(r["city"] == "郑州" and r["aqi"] == str(zz["aqi"]) for r in rows), len(rows)
n = json.load(open(sys.argv[6]))  # no `at`: the store's newest hour, not an empty answer
assert n["hour"] == sys.argv[7] and n["total"] > 0, (n["hour"], sys.argv[7])
assert all(isinstance(x["lon"], float) and isinstance(x["lat"], float) for x in n["items"])
PY

# Series: the same rows as `lantian aqi --db`.
get hourly "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-31" && is_json hourly
"$LANTIAN" aqi --db "$DB" --site 1316A --from 2019-01-01 --to 2019-01-31 --format json > "$T/cli_hourly.json"
get hourly_csv "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-31&format=csv" && is_csv hourly_csv
"$LANTIAN" aqi --db "$DB" --site 1316A --from 2019-01-01 --to 2019-01-31 --format csv > "$T/cli_hourly.csv"
cmp "$T/hourly_csv" "$T/cli_hourly.csv" || fail "hourly CSV differs from the CLI's"
get daily "/api/aqi/daily?city=$ZZ&from=2019-01-01&to=2019-01-31&limit=10&offset=5" && is_json daily
"$LANTIAN" aqi --db "$DB" --city 郑州 --from 2019-01-01 --to 2019-01-31 --daily --format json > "$T/cli_daily.json"
get daily_county "/api/aqi/daily?county=$(u 金水区)&from=2019-01-01&to=2019-01-02" 404
python3 - "$T/hourly" "$T/cli_hourly.json" "$T/daily" "$T/cli_daily.json" <<'PY' || fail "aqi series"
import json, sys
h = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
assert h["total"] == 744 and h["items"] == c, (h["total"], len(c))
d = json.load(open(sys.argv[3])); cd = json.load(open(sys.argv[4]))
assert d["total"] == 31 and d["offset"] == 5 and d["limit"] == 10 and d["items"] == cd[5:15]
PY

get stats "/api/stats?city=$ZZ&period=2019-01" && is_json stats
"$LANTIAN" stats --db "$DB" --city 郑州 --period 2019-01 --format json > "$T/cli_stats.json"
get stats_site "/api/stats?site=1316A&period=2019-01-01:2019-01-15" && is_json stats_site
"$LANTIAN" stats --db "$DB" --site 1316A --period 2019-01-01:2019-01-15 --format json > "$T/cli_stats_site.json"
python3 - "$T/stats" "$T/cli_stats.json" "$T/stats_site" "$T/cli_stats_site.json" <<'PY' || fail "stats"
import json, sys
for a, b in ((1, 2), (3, 4)):
    x, y = json.load(open(sys.argv[a])), json.load(open(sys.argv[b]))
    assert x == y, (x, y)
assert json.load(open(sys.argv[1]))["pollutants"]["PM2.5"]["valid_days"] == 31
PY

get rank "/api/rank?level=city&province=$HN&period=2019-01" && is_json rank
"$LANTIAN" rank --db "$DB" --level city --province 河南 --period 2019-01 --format json > "$T/cli_rank.json"
get rank_csv "/api/rank?level=city&province=$HN&period=2019-01&by=pm25&format=csv" && is_csv rank_csv
"$LANTIAN" rank --db "$DB" --level city --province 河南 --period 2019-01 --by pm25 --format csv > "$T/cli_rank.csv"
cmp "$T/rank_csv" "$T/cli_rank.csv" || fail "rank CSV differs from the CLI's"
get rank_change "/api/rank?level=city&province=$HN&period=2019-01&by=change&limit=3" && is_json rank_change
python3 - "$T/rank" "$T/cli_rank.json" "$T/rank_change" <<'PY' || fail "rank"
import json, sys
r = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
assert r["total"] == 17 and r["items"] == c and r["ruleset"] == "2012", r["total"]
ch = json.load(open(sys.argv[3]))
assert ch["by"] == "change" and ch["areas_with_previous_year"] == 0 and len(ch["items"]) == 3
assert all(x["rank"] is None and x["change_pct"] is None for x in ch["items"])
PY

get targets "/api/targets?city=$ZZ&year=2019&as_of=2019-01-31&config=demo" && is_json targets
"$LANTIAN" target --db "$DB" --city 郑州 --year 2019 --as-of 2019-01-31 \
    --config "$LT_SRC/config/targets-demo.ini" --format json > "$T/cli_targets.json"
get targets_v "/api/targets?city=$ZZ&year=2019&as_of=2019-01-31&pm25=$(u '<40')&good_ratio=66.5" && is_json targets_v
"$LANTIAN" target --db "$DB" --city 郑州 --year 2019 --as-of 2019-01-31 --pm25 '<40' \
    --good-ratio 66.5 --format json > "$T/cli_targets_v.json"
get targets_csv "/api/targets?city=$ZZ&year=2019&as_of=2019-01-31&config=demo&format=csv" && is_csv targets_csv
python3 - "$T/targets" "$T/cli_targets.json" "$T/targets_v" "$T/cli_targets_v.json" "$T/targets_csv" <<'PY' || fail "targets"
import csv, json, sys
for a, b in ((1, 2), (3, 4)):
    x, y = json.load(open(sys.argv[a])), json.load(open(sys.argv[b]))
    assert x == y, (x, y)
t = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[5])))
assert [r["target"] for r in rows] == [i["target"] for i in t["items"]] and t["days_remaining"] == 334
PY

get devices /api/devices && is_json devices
get devices_csv "/api/devices?format=csv" && is_csv devices_csv
"$LANTIAN" device list --db "$DB" --format json > "$T/cli_devices.json"
get dhealth "/api/devices/AIR00000000001/health?from=2019-01-01&to=2019-01-31" && is_json dhealth
get dhealth_default "/api/devices/AIR00000000001/health" && is_json dhealth_default
get quarantine /api/quarantine && is_json quarantine
get quarantine_csv "/api/quarantine?format=csv" && is_csv quarantine_csv
get exceed "/api/exceedances?mn=KILN0000000001" && is_json exceed
get exceed_all "/api/exceedances?format=csv" && is_csv exceed_all
get corr "/api/corrections?site=1316A" && is_json corr
get corr_csv "/api/corrections?format=csv" && is_csv corr_csv
"$LANTIAN" correct --db "$DB" --list --format json > "$T/cli_corr.json"
python3 - "$T/devices" "$T/cli_devices.json" "$T/dhealth" "$T/corr" "$T/cli_corr.json" "$T/quarantine" "$T/exceed" "$T/dhealth_default" <<'PY' || fail "lists"
import json, sys
d = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
assert d["total"] == 2 and d["items"] == c, (d, c)
assert all("pw" not in x for x in d["items"])
h = json.load(open(sys.argv[3]))
assert h["mn"] == "AIR00000000001" and h["summary"]["hours_in_range"] == 744 and h["total"] == 0, h
assert json.load(open(sys.argv[8]))["summary"]["hours_in_range"] == 168
r = json.load(open(sys.argv[4])); cc = json.load(open(sys.argv[5]))
assert r["total"] == 1 and r["items"] == cc and r["items"][0]["new"] == 120.5 and r["items"][0]["who"] == "王工"
assert json.load(open(sys.argv[6]))["total"] == 0 and json.load(open(sys.argv[7]))["total"] == 0
PY

# ---- every 4xx path: the server must answer each and keep answering ---------------------------
err e_route /api/nope 404 not_found
err e_root /nope.html 404 not_found   # "/" is the dashboard (tests/web); unknown files are JSON 404s
err e_slash /api/sites/ 404 not_found
err e_site /api/sites/NOPE1 404 not_found
err e_site_stats "/api/stats?site=NOPE1&period=2019-01" 404 not_found
err e_city "/api/aqi/hourly?city=$(u 火星)&from=2019-01-01&to=2019-01-02" 404 not_found
err e_city_rank "/api/rank?level=county&province=$(u 火星)&period=2019-01" 404 not_found
err e_latest "/api/aqi/latest?city=$(u 火星)" 404 not_found
err e_device /api/devices/NOPE/health 404 not_found
err e_exceed "/api/exceedances?mn=NOPE" 404 not_found
err e_corr "/api/corrections?site=NOPE" 404 not_found
err e_tconfig "/api/targets?city=$ZZ&year=2019&as_of=2019-01-31&config=other" 404 not_found
err e_tyear "/api/targets?city=$ZZ&year=2018&as_of=2018-01-31&config=demo" 404 not_found
err e_date "/api/aqi/hourly?site=1316A&from=2019-02-30&to=2019-03-01" 400 bad_parameter
grep -q "from: '2019-02-30' is not a date (YYYY-MM-DD)" "$T/e_date" || fail "date message"
err e_date2 "/api/aqi/daily?site=1316A&from=2019-01-01&to=20190" 400 bad_parameter
err e_order "/api/aqi/daily?site=1316A&from=2019-01-05&to=2019-01-01" 400 bad_parameter
err e_cap_h "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-02-01" 400 range_too_long
grep -q "at most 31 days" "$T/e_cap_h" || fail "cap message"
err e_cap_d "/api/aqi/daily?city=$ZZ&from=2018-01-01&to=2019-01-02" 400 range_too_long
err e_cap_p "/api/stats?city=$ZZ&period=2018-01-01:2019-01-31" 400 range_too_long
err e_cap_r "/api/rank?level=city&period=2018-01-01:2019-01-31" 400 range_too_long
err e_cap_dh "/api/devices/AIR00000000001/health?from=2019-01-01&to=2019-03-01" 400 range_too_long
err e_from_only "/api/devices/AIR00000000001/health?from=2019-01-01" 400 missing_parameter
err e_missing "/api/aqi/hourly?site=1316A&from=2019-01-01" 400 missing_parameter
err e_noarea "/api/stats?period=2019-01" 400 missing_parameter
err e_twoarea "/api/stats?site=1316A&city=$ZZ&period=2019-01" 400 bad_parameter
err e_period "/api/stats?city=$ZZ&period=2019-13" 400 bad_parameter
err e_noperiod "/api/stats?city=$ZZ" 400 missing_parameter
err e_level "/api/rank?level=province&period=2019-01" 400 bad_parameter
err e_by "/api/rank?level=city&period=2019-01&by=pm10" 400 bad_parameter
err e_llevel "/api/aqi/latest?level=county" 400 bad_parameter
err e_at "/api/aqi/latest?at=2019-01-32T01" 400 bad_parameter
err e_limit0 "/api/sites?limit=0" 400 bad_parameter
err e_limitbig "/api/sites?limit=5001" 400 bad_parameter
err e_limitx "/api/sites?limit=ten" 400 bad_parameter
err e_offneg "/api/sites?offset=-1" 400 bad_parameter
err e_offx "/api/sites?offset=1e3" 400 bad_parameter
err e_format "/api/sites?format=xml" 400 bad_parameter
err e_format_obj "/api/stats?city=$ZZ&period=2019-01&format=csv" 400 bad_parameter
err e_unknown "/api/sites?cty=$ZZ" 400 unknown_parameter
err e_twice "/api/sites?city=$ZZ&city=$ZZ" 400 bad_parameter
err e_novalue "/api/sites?city" 400 bad_parameter
err e_nul "/api/sites?city=a%00b" 400 bad_parameter
err e_utf8 "/api/sites?city=%ff%fe" 400 bad_parameter
err e_year "/api/targets?city=$ZZ&year=19&as_of=2019-01-31&config=demo" 400 bad_parameter
err e_asof "/api/targets?city=$ZZ&year=2019&as_of=2020-01-01&config=demo" 400 bad_parameter
err e_tval "/api/targets?city=$ZZ&year=2019&as_of=2019-01-31&pm25=abc" 400 bad_parameter
err e_tboth "/api/targets?city=$ZZ&year=2019&as_of=2019-01-31&pm25=40&config=demo" 400 bad_parameter
# Neither config nor values: the store's target, else the server's --targets file (this store has
# none, so the file answers, exactly as config=demo); a year neither has is 404.
get t_fallback "/api/targets?city=$ZZ&year=2019&as_of=2019-01-31" && is_json t_fallback
python3 -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); assert a == b and a["origin"] == "file", (a, b)' \
    "$T/t_fallback" "$T/targets" || fail "targets: the file as fallback"
err e_tnone "/api/targets?city=$ZZ&year=2018&as_of=2018-01-31" 404 not_found
err e_trules "/api/targets?city=$ZZ&year=2019&as_of=2019-01-31&pm25=40&ruleset=1999" 400 bad_parameter
err e_post /api/sites 405 method_not_allowed -X POST -d 'x=1'
grep -qi '^allow: GET, HEAD' <(curl -sS -D - -o /dev/null -X DELETE "$B/api/sites") || fail "405 without Allow"
err e_put /api/nope 404 not_found -X PUT
LONG=$(head -c 10240 /dev/zero | tr '\0' a)
err e_long "/api/sites?city=$LONG" 414 uri_too_long
# Far past libmicrohttpd's own buffer: its 414 (or a closed connection), never a crash.
HUGE=$(head -c 70000 /dev/zero | tr '\0' a)
curl -s -o /dev/null "$B/api/sites?city=$HUGE" || true
# Garbage on the socket.
python3 - "$PORT" <<'PY' || true
import socket, sys
for payload in (b"\x00\xff garbage\r\n\r\n", b"GET /api/health HTTP/9.9\r\n\r\n", b"GET " + b"/" * 5000):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.sendall(payload); s.shutdown(socket.SHUT_WR)
    try: s.recv(4096)
    except OSError: pass
    s.close()
PY

# Still answering, and the answers are unchanged.
get health2 /api/health && is_json health2
get stats2 "/api/stats?city=$ZZ&period=2019-01" && cmp "$T/stats" "$T/stats2" || fail "stats changed"
# Concurrent requests (the store handle pool).
for i in 1 2 3 4 5 6 7 8; do curl -s -o "$T/par$i" "${AUTH[@]}" "$B/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-31" & done
wait $(jobs -p | grep -v "^$SPID$") 2>/dev/null || true
for i in 1 2 3 4 5 6 7 8; do cmp "$T/par$i" "$T/hourly" || fail "concurrent answer $i differs"; done

kill -TERM "$SPID"
set +e
wait "$SPID"; rc=$?
set -e
SPID=
[ "$rc" = 0 ] || fail "api exited $rc after SIGTERM"
grep -q "SIGTERM received" "$T/api.log" || fail "no stop message"
grep -q " 0 server errors" "$T/api.log" || fail "server errors counted"

# `lantian serve` runs the ingest server and the API together and stops both on SIGTERM.
"$LANTIAN" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/iport" --http 127.0.0.1:0 \
    --http-port-file "$T/hport" 2>"$T/serve.log" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/hport" ] && [ -s "$T/iport" ] && break; sleep 0.1; done
[ -s "$T/hport" ] || fail "serve did not start the API"
curl -sf "http://127.0.0.1:$(cat "$T/hport")/api/health" | grep -q '"ok"' || fail "serve API health"
kill -TERM "$SPID"
set +e
wait "$SPID"; rc=$?
set -e
SPID=
[ "$rc" = 0 ] || { cat "$T/serve.log"; fail "serve exited $rc"; }
grep -q "HTTP API stopped" "$T/serve.log" || fail "serve did not stop the API"
echo "http_api: all endpoints and error paths passed"

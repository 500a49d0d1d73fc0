#!/usr/bin/env bash
# The HTTP API's answer cache (src/http/cache.h): a repeated request is answered from the cache
# (X-Lantian-Cache: hit) with the same bytes, whatever the order of its parameters; every change
# of the data the answers come from retires what was cached — an import by another process, a
# correction and a dust flag from the CLI, a correction through the API itself — so that the next
# answer is computed again and equals the CLI's on the new data; commits of other data (a device,
# a session) keep it. Also: answers differ per user scope, a logged-out token is refused even for
# a cached answer, a burst of requests during an import leaves no stale answer behind, in
# `lantian serve` an ingested real-time frame keeps the cache and an hourly frame retires it, and
# --cache-mb 0 answers the same bytes without a cache.
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_SRC:?}" "${LT_TMP:?}"
T="$LT_TMP/http_cache"
rm -rf "$T" && mkdir -p "$T"
DB="$T/c.db"
ST="$LT_SHARED/data/cnemc/stations.csv"
D="$LT_SHARED/data/cnemc/henan-2019"
SPID=
BPID=
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/api.log" ] && tail -20 "$T/api.log" >&2
    [ -n "$BPID" ] && kill "$BPID" 2>/dev/null
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    exit 1
}
days() { # FIRST LAST (day of January 2019) -> file names
    local i
    for ((i = $1; i <= $2; i++)); do printf '%s/china_sites_201901%02d.csv.gz\n' "$D" "$i"; done
}

mapfile -t F1 < <(days 1 5)
mapfile -t F2 < <(days 6 10)
mapfile -t F3 < <(days 11 20)
"$LANTIAN" import cnemc --db "$DB" --stations "$ST" "${F1[@]}" 2>"$T/import1.err" || fail "import 1"
cat >"$T/registry.csv" <<'CSV'
code,name,city,county,province,lon,lat,eval,valid_from,valid_to
1316A,烟厂,郑州,中原区,河南省,113.6,34.75,Y,,
1317A,郑纺机,郑州,中原区,河南省,113.6,34.76,Y,,
1318A,银行学校,郑州,金水区,河南省,113.68,34.78,Y,,
1319A,供水公司,郑州,金水区,河南省,113.64,34.80,Y,,
CSV
"$LANTIAN" import sites --db "$DB" "$T/registry.csv" 2>/dev/null || fail "import sites"
echo 'admin-password-1' | "$LANTIAN" user add --db "$DB" --name admin --role admin \
    --password-stdin >/dev/null || fail "user add admin"
echo 'zy-password-01' | "$LANTIAN" user add --db "$DB" --name zy --role county --province 河南省 \
    --city 郑州 --county 中原区 --password-stdin >/dev/null || fail "user add zy"

start() { # [api options...]
    rm -f "$T/port"
    "$LANTIAN" api --db "$DB" --http 127.0.0.1:0 --port-file "$T/port" --web none "$@" \
        2>"$T/api.log" &
    SPID=$!
    for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
    [ -s "$T/port" ] || fail "api did not start"
    B="http://127.0.0.1:$(cat "$T/port")"
}
stop() {
    kill -TERM "$SPID"
    wait "$SPID" || fail "api exited $?"
    SPID=
}
login() { # NAME PASSWORD -> token
    curl -sS -X POST -H 'Content-Type: application/json' \
        -d "{\"name\": \"$1\", \"password\": \"$2\"}" "$B/api/login" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
# get NAME PATH WANT_CACHE [TOKEN]: 200, body to $T/NAME, and the X-Lantian-Cache header checked:
# hit, miss, - (no header: no cache) or any.
get() {
    local name=$1 path=$2 want=$3 tok=${4:-$TOK} out
    out=$(curl -sS -D "$T/$name.hdr" -o "$T/$name" -w '%{http_code}' \
        -H "Authorization: Bearer $tok" "$B$path") || fail "curl $path"
    [ "$out" = 200 ] || { cat "$T/$name" >&2; fail "$path: status $out"; }
    local got
    got=$(tr -d '\r' <"$T/$name.hdr" | awk -F': ' 'tolower($1) == "x-lantian-cache" {print $2}')
    [ "$want" = any ] || [ "${got:--}" = "$want" ] || fail "$name ($path): X-Lantian-Cache '${got:-none}', expected $want"
}
u() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
ZZ=$(u 郑州)
HN=$(u 河南)
ZY=$(u 中原区)
# items of an API list == the CLI's JSON rows
same_items() { # API_BODY CLI_JSON WHAT
    python3 - "$1" "$2" <<'PY' || fail "$3: API and CLI differ"
import json, sys
a = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
assert a["items"] == c, (len(a["items"]), len(c))
PY
}

start
TOK=$(login admin admin-password-1) || fail "login admin"

# ---- hits: the same request, the same bytes; parameter order does not matter -----------------
P1="/api/aqi/daily?city=$ZZ&from=2019-01-01&to=2019-01-20"
P1b="/api/aqi/daily?to=2019-01-20&from=2019-01-01&city=$ZZ"
get d1 "$P1" miss
get d1_again "$P1" hit
get d1_order "$P1b" hit
cmp "$T/d1" "$T/d1_again" || fail "a cached answer differs from the computed one"
cmp "$T/d1" "$T/d1_order" || fail "parameters in another order gave another answer"
"$LANTIAN" aqi --db "$DB" --city 郑州 --from 2019-01-01 --to 2019-01-20 --daily --format json \
    >"$T/cli_d1.json"
same_items "$T/d1" "$T/cli_d1.json" "daily before the import"
# Another limit or offset is another answer; exports (CSV, Excel) are made on demand, not cached.
get d1_csv "$P1&format=csv" -
head -1 "$T/d1_csv" | grep -q '^time,area,aqi,' || fail "the CSV export is not the daily table"
get d1_page "$P1&limit=3" miss
cmp -s "$T/d1" "$T/d1_page" && fail "limit=3 answered the unpaged answer"
get latest "/api/aqi/latest?province=$HN&level=city&limit=1" miss
get latest_again "/api/aqi/latest?province=$HN&level=city&limit=1" hit
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["hour"] == "2019-01-05 23:00", d["hour"]' \
    "$T/latest" || fail "latest hour before the import"
get hourly "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-20" miss
get stats "/api/stats?city=$ZZ&period=2019-01" miss
get rank "/api/rank?level=city&province=$HN&period=2019-01" miss
get rank_again "/api/rank?level=city&province=$HN&period=2019-01" hit

# ---- commits that change none of the data the answers come from keep them --------------------
# (a device registered by another process, a new session: lantian serve's ingest writer commits
# raw frames and device health all the time, and must not empty the cache).
"$LANTIAN" device add --db "$DB" --mn AIR00000000009 --kind air --site 1316A >/dev/null ||
    fail "device add"
login admin admin-password-1 >/dev/null || fail "second login"
get d1_kept "$P1" hit
get rank_kept "/api/rank?level=city&province=$HN&period=2019-01" hit

# ---- an import by another process retires them -----------------------------------------------
"$LANTIAN" import cnemc --db "$DB" "${F2[@]}" 2>"$T/import2.err" || fail "import 2"
get d2 "$P1" miss
cmp -s "$T/d1" "$T/d2" && fail "the daily series did not change with 5 more days imported"
"$LANTIAN" aqi --db "$DB" --city 郑州 --from 2019-01-01 --to 2019-01-20 --daily --format json \
    >"$T/cli_d2.json"
same_items "$T/d2" "$T/cli_d2.json" "daily after the import"
get d2_again "$P1" hit
get latest2 "/api/aqi/latest?province=$HN&level=city&limit=1" miss
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["hour"] == "2019-01-10 23:00", d["hour"]' \
    "$T/latest2" || fail "latest hour after the import"
get rank2 "/api/rank?level=city&province=$HN&period=2019-01" miss
"$LANTIAN" rank --db "$DB" --level city --province 河南 --period 2019-01 --format json >"$T/cli_rank2.json"
same_items "$T/rank2" "$T/cli_rank2.json" "rank after the import"

# ---- a correction from the CLI (another process) ---------------------------------------------
get h2 "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-20" miss
get h2_again "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-20" hit
"$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2019-01-07 08:00" \
    --value 444 --who 测试 --why "缓存测试" >/dev/null || fail "correct"
get h3 "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-20" miss
"$LANTIAN" aqi --db "$DB" --site 1316A --from 2019-01-01 --to 2019-01-20 --format json >"$T/cli_h3.json"
same_items "$T/h3" "$T/cli_h3.json" "hourly after the CLI correction"
python3 - "$T/h3" <<'PY' || fail "the corrected value is not in the answer"
import json, sys
row = [r for r in json.load(open(sys.argv[1]))["items"] if r["time"] == "2019-01-07 08:00"][0]
assert row["PM2.5"] == 444, row
PY

# ---- a correction through the API (this process, another store handle) -----------------------
get h3_again "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-20" hit
code=$(curl -sS -o "$T/post" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" \
    -H 'Content-Type: application/json' \
    -d '{"site": "1316A", "pollutant": "PM2.5", "time": "2019-01-07 09:00", "value": 333, "why": "缓存测试"}' \
    "$B/api/corrections") || fail "POST correction"
[ "$code" = 201 ] || { cat "$T/post" >&2; fail "POST correction: $code"; }
get h4 "/api/aqi/hourly?site=1316A&from=2019-01-01&to=2019-01-20" miss
"$LANTIAN" aqi --db "$DB" --site 1316A --from 2019-01-01 --to 2019-01-20 --format json >"$T/cli_h4.json"
same_items "$T/h4" "$T/cli_h4.json" "hourly after the API correction"

# ---- a dust flag from the CLI (PM10 and PM2.5 of that day leave the statistics) ---------------
PS="/api/stats?city=$ZZ&period=2019-01-01:2019-01-10"
get dust0 "$PS" miss
get dust0b "$PS" hit
"$LANTIAN" dust --db "$DB" --area 郑州 --date 2019-01-08 >/dev/null || fail "dust"
get dust1 "$PS" miss
"$LANTIAN" stats --db "$DB" --city 郑州 --period 2019-01-01:2019-01-10 --format json >"$T/cli_dust.json"
python3 - "$T/dust1" "$T/cli_dust.json" "$T/dust0" <<'PY' || fail "stats after the dust flag"
import json, sys
a, c, b = (json.load(open(p)) for p in sys.argv[1:4])
assert a == c, "API and CLI differ"
assert a["pollutants"]["PM2.5"] != b["pollutants"]["PM2.5"], "the dust day is still counted"
PY

# ---- scopes: the same request, another user, another answer ----------------------------------
ZT=$(login zy zy-password-01) || fail "login zy"
get sites_admin "/api/sites?city=$ZZ" miss
get sites_admin2 "/api/sites?city=$ZZ" hit
get sites_zy "/api/sites?county=$ZY" miss "$ZT"
get sites_zy2 "/api/sites?county=$ZY" hit "$ZT"
get sites_admin_zy "/api/sites?county=$ZY" miss
python3 - "$T/sites_admin" "$T/sites_zy" <<'PY' || fail "scoped site lists"
import json, sys
a = json.load(open(sys.argv[1])); z = json.load(open(sys.argv[2]))
assert a["total"] > z["total"] == 2, (a["total"], z["total"])
PY
# A token that logged out is refused, even for an answer in the cache.
get zy_stats "/api/stats?county=$ZY&period=2019-01" miss "$ZT"
get zy_stats2 "/api/stats?county=$ZY&period=2019-01" hit "$ZT"
curl -sS -o /dev/null -X POST -H "Authorization: Bearer $ZT" -H 'Content-Type: application/json' \
    -d '{}' "$B/api/logout" || fail "logout"
code=$(curl -sS -o "$T/after_logout" -w '%{http_code}' -H "Authorization: Bearer $ZT" \
    "$B/api/stats?county=$ZY&period=2019-01")
[ "$code" = 401 ] || fail "a logged-out token got $code for a cached answer"

# ---- requests during an import: nothing stale is left once it has committed ------------------
PB="/api/aqi/daily?city=$ZZ&from=2019-01-01&to=2019-01-31"
(
    while :; do
        curl -s -o /dev/null -H "Authorization: Bearer $TOK" "$B$PB"
        curl -s -o /dev/null "$B/api/aqi/latest?province=$HN&level=city&limit=1"
    done
) &
BPID=$!
"$LANTIAN" import cnemc --db "$DB" "${F3[@]}" 2>"$T/import3.err" || fail "import 3"
sleep 0.3
kill "$BPID" 2>/dev/null
wait "$BPID" 2>/dev/null || true
BPID=
get burst "$PB" any
"$LANTIAN" aqi --db "$DB" --city 郑州 --from 2019-01-01 --to 2019-01-31 --daily --format json \
    >"$T/cli_burst.json"
same_items "$T/burst" "$T/cli_burst.json" "daily after an import under load"
get burst_latest "/api/aqi/latest?province=$HN&level=city&limit=1" any
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["hour"] == "2019-01-20 23:00", d["hour"]' \
    "$T/burst_latest" || fail "latest hour after an import under load"
stop
grep -q "answer cache: [0-9]* hits, [0-9]* computed, [0-9]* retired by new data" "$T/api.log" ||
    fail "the stop line does not report the cache"

# ---- lantian serve: the ingest writer's commits ----------------------------------------------
# A real-time frame (CN 2011: raw frame, device values, health) keeps the cache; an hourly frame
# (CN 2061) of an air station stores an hourly value and retires it.
seg() { # QN CN DATETIME PM25
    printf 'QN=%s;ST=22;CN=%s;PW=123456;MN=AIR00000000009;Flag=5;CP=&&DataTime=%s;' "$1" "$2" "$3"
    printf 'a34004-Avg=%s,a34004-Flag=N&&\n' "$4"
}
seg 20190125103001001 2011 20190125103000 61 >"$T/rt.txt"
seg 20190125110501001 2061 20190125100000 55 >"$T/hour.txt"
rm -f "$T/port" "$T/iport"
"$LANTIAN" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/iport" --http 127.0.0.1:0 \
    --http-port-file "$T/port" --web none 2>"$T/api.log" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && [ -s "$T/iport" ] && break; sleep 0.1; done
[ -s "$T/port" ] && [ -s "$T/iport" ] || fail "serve did not start"
B="http://127.0.0.1:$(cat "$T/port")"
TOK=$(login admin admin-password-1) || fail "login admin (serve)"
PI="/api/aqi/hourly?site=1316A&from=2019-01-25&to=2019-01-25"
get i1 "$PI" miss
get i2 "$PI" hit
"$LANTIAN" simulate --target "127.0.0.1:$(cat "$T/iport")" --frames "$T/rt.txt" >"$T/sim_rt.out"
grep -q '^acked=1$' "$T/sim_rt.out" || { cat "$T/sim_rt.out" >&2; fail "real-time frame not acked"; }
get i3 "$PI" hit
"$LANTIAN" simulate --target "127.0.0.1:$(cat "$T/iport")" --frames "$T/hour.txt" >"$T/sim_h.out"
grep -q '^acked=1$' "$T/sim_h.out" || { cat "$T/sim_h.out" >&2; fail "hourly frame not acked"; }
get i4 "$PI" miss
"$LANTIAN" aqi --db "$DB" --site 1316A --from 2019-01-25 --to 2019-01-25 --format json >"$T/cli_i4.json"
same_items "$T/i4" "$T/cli_i4.json" "hourly after an ingested hourly frame"
python3 - "$T/i4" <<'PY' || fail "the ingested value is not in the answer"
import json, sys
row = [r for r in json.load(open(sys.argv[1]))["items"] if r["time"] == "2019-01-25 11:00"][0]
assert row["PM2.5"] == 55, row
PY
stop

# ---- without a cache: the same bytes, no header ----------------------------------------------
start --cache-mb 0
TOK=$(login admin admin-password-1) || fail "login admin (no cache)"
get nc1 "$PB" -
get nc2 "$PB" -
cmp "$T/nc1" "$T/burst" || fail "--cache-mb 0 answered other bytes"
stop
echo "http_cache: OK"

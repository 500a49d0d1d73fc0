#!/usr/bin/env bash
# Every change to official data is audited, over the CLI and over real HTTP on loopback:
# - the CLI's writes (import sites with townships, import cnemc, device add/map/adopt, user
#   add/disable, correct, dust, target import) each append their row, named cli:<login>, with the
#   object before and after; a run that changes nothing appends nothing;
# - registry and target edits over the API (POST /api/sites/{code}, /api/devices/{mn},
#   /api/targets): success, every 4xx path, and a county user and a township user trying to change
#   another county's or township's site, device or target (403, nothing written, no audit row);
# - township scopes on the read side (/api/sites, a site, a county page refused);
# - targets as data: /api/targets and `lantian target --db` read the store's target, and an edit
#   shows in the next answer; GET /api/target-values;
# - GET /api/audit filters and CSV; the log refuses UPDATE and DELETE.
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_SRC:?}" "${LT_TMP:?}"
command -v sqlite3 >/dev/null || { echo "http_edit.sh: sqlite3 CLI required"; exit 1; }
T="$LT_TMP/http_edit"
rm -rf "$T" && mkdir -p "$T"
DB="$T/e.db"
ST="$LT_SHARED/data/cnemc/stations.csv"
D1="$LT_SHARED/data/cnemc/henan-2019/china_sites_20190101.csv.gz"
SPID=
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/api.log" ] && tail -20 "$T/api.log" >&2
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    exit 1
}
q() { sqlite3 "$DB" "$1"; }
# The operator as the audit log names the CLI's user (src/cli/audit.c).
ME="cli:$(id -un 2>/dev/null || echo "${LOGNAME:-${USER:-}}")"
# A digest of everything an edit could change, to show that a refused request wrote nothing.
snap() {
    python3 - "$DB" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
h = hashlib.sha256()
for t in ("sites", "devices", "device_factors", "targets", "target_values", "audit_log",
          "corrections", "dust_days", "users"):
    for r in db.execute(f"SELECT * FROM {t} ORDER BY 1, 2"):
        h.update(repr(r).encode())
print(h.hexdigest())
PY
}
# audit_rows ACTION: rows of the log with that action (newest first) as JSON lines.
audit_rows() {
    python3 - "$DB" "$1" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for r in db.execute("SELECT user, object, before_json, after_json FROM audit_log WHERE action = ? "
                    "ORDER BY id DESC", (sys.argv[2],)):
    print(json.dumps({"user": r[0], "object": r[1],
                      "before": json.loads(r[2]) if r[2] else None,
                      "after": json.loads(r[3]) if r[3] else None}, ensure_ascii=False))
PY
}
nrows() { q "SELECT count(*) FROM audit_log${1:+ WHERE action = '$1'}"; }

# ---- the CLI: imports ------------------------------------------------------------------------
"$LANTIAN" import cnemc --db "$DB" --stations "$ST" "$D1" 2>"$T/import.err" || fail "import"
[ "$(nrows site_add)" -gt 1000 ] || fail "station list: no site_add rows ($(nrows site_add))"
audit_rows site_add | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
r = [x for x in rows if x["object"] == "site/1316A"][0]
assert r["before"] is None and r["after"]["code"] == "1316A" and r["after"]["city"] and r["after"]["township"] == "", r
assert all(x["user"] == sys.argv[1] for x in rows), rows[0]
' "$ME" || fail "site_add rows of the station list"
# One import_cnemc row per file that stored values (the station list stored sites).
[ "$(nrows import_cnemc)" = 2 ] || fail "import_cnemc rows: $(nrows import_cnemc)"
audit_rows import_cnemc | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
d = [x for x in rows if x["object"] == "import/cnemc/china_sites_20190101.csv.gz"][0]
a = d["after"]
assert d["before"] is None and a["layout"] == "wide" and a["values_new"] > 10000 and a["sites_new"] == 0, d
s = [x for x in rows if x["object"] == "import/cnemc/stations.csv"][0]["after"]
assert s["layout"] == "stations" and s["sites_new"] > 1000 and s["values_new"] == 0, s
' || fail "import_cnemc rows"
# Importing the same again changes nothing and writes no row.
n0=$(nrows)
"$LANTIAN" import cnemc --db "$DB" --stations "$ST" "$D1" 2>/dev/null || fail "re-import"
[ "$(nrows)" = "$n0" ] || fail "a re-import wrote audit rows: $n0 -> $(nrows)"

# A registry with townships (the optional township column).
cat > "$T/registry.csv" <<'CSV'
code,name,city,county,province,lon,lat,eval,valid_from,valid_to,township
1316A,烟厂,郑州,中原区,河南省,113.6,34.75,Y,,,林山寨街道
1317A,郑纺机,郑州,中原区,河南省,113.6,34.76,Y,,,桐柏路街道
1318A,银行学校,郑州,金水区,河南省,113.68,34.78,Y,,,丰产路街道
1319A,供水公司,郑州,金水区,河南省,113.64,34.80,Y,,,
CSV
"$LANTIAN" import sites --db "$DB" "$T/registry.csv" 2>/dev/null || fail "import sites"
[ "$(q "SELECT township FROM sites WHERE code = '1316A'")" = 林山寨街道 ] || fail "township not stored"
[ "$(nrows site_edit)" = 4 ] || fail "site_edit rows: $(nrows site_edit)"
audit_rows site_edit | python3 -c '
import json, sys
rows = {json.loads(l)["object"]: json.loads(l) for l in sys.stdin}
r = rows["site/1316A"]
assert r["user"] == sys.argv[1] and r["before"]["county"] == "" and r["before"]["township"] == "", r
assert r["after"]["county"] == "中原区" and r["after"]["township"] == "林山寨街道" and r["after"]["code"] == "1316A", r
assert rows["site/1319A"]["after"]["township"] == "", rows["site/1319A"]
' "$ME" || fail "site_edit rows of the registry"
n0=$(nrows)
"$LANTIAN" import sites --db "$DB" "$T/registry.csv" 2>/dev/null || fail "import sites again"
[ "$(nrows)" = "$n0" ] || fail "an unchanged registry wrote rows"
printf 'code,name,city,county,province,township\n9001A,x,郑州,,河南省,某镇\n' > "$T/bad.csv"
set +e
"$LANTIAN" import sites --db "$DB" "$T/bad.csv" 2>"$T/bad.err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'township needs a county' "$T/bad.err" || fail "a township without a county: rc $rc $(cat "$T/bad.err")"
[ "$(q "SELECT count(*) FROM sites WHERE code = '9001A'")" = 0 ] || fail "the bad row was stored"

# ---- the CLI: devices, users, corrections, dust, targets -------------------------------------
"$LANTIAN" device add --db "$DB" --mn AIR00000000001 --kind air --site 1316A >/dev/null || fail "dev1"
"$LANTIAN" device add --db "$DB" --mn AIR00000000002 --kind air --site 1318A >/dev/null || fail "dev2"
"$LANTIAN" device add --db "$DB" --mn KILN0000000001 --kind cems --outlet ENT1-DA001 \
    --source-type cement_kiln --pw secret-pw-1 >/dev/null || fail "dev cems"
[ "$(nrows device_add)" = 3 ] || fail "device_add rows"
audit_rows device_add | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
assert r["object"] == "device/KILN0000000001" and r["before"] is None, r
a = r["after"]
assert a["kind"] == "cems" and a["outlet"] == "ENT1-DA001" and a["password_set"] is True and "pw" not in a, a
' || fail "device_add row"
! q "SELECT before_json || after_json FROM audit_log" | grep -q secret-pw || fail "a password in the log"
"$LANTIAN" device map --db "$DB" --mn AIR00000000001 --code a34004 --pollutant PM2.5 --unit ug/m3 >/dev/null || fail "map"
"$LANTIAN" device map --db "$DB" --mn AIR00000000001 --code a34004 --pollutant PM2.5 --unit ug/m3 >/dev/null || fail "map again"
"$LANTIAN" device map --db "$DB" --mn AIR00000000001 --code a34004 --pollutant PM2.5 --unit mg/m3 --scale 1000 >/dev/null || fail "remap"
[ "$(nrows device_factor)" = 2 ] || fail "device_factor rows: $(nrows device_factor) (a same mapping again is no change)"
audit_rows device_factor | python3 -c '
import json, sys
new, first = (json.loads(l) for l in sys.stdin)
assert first["before"] is None and first["after"]["pollutant"] == "PM2.5" and first["after"]["scale"] == 1, first
assert new["before"]["unit"] == "ug/m3" and new["after"]["unit"] == "mg/m3" and new["after"]["scale"] == 1000, new
assert new["object"] == "device/AIR00000000001/factor/a34004", new
' || fail "device_factor rows"
now_ms=$(($(date +%s) * 1000))
q "INSERT INTO quarantine VALUES ('UNK0000000001', $((now_ms - 60000)), $now_ms, 5, '10.1.2.3:40000', 3)"
"$LANTIAN" device adopt --db "$DB" --mn UNK0000000001 --kind air --site 1319A >/dev/null || fail "adopt"
audit_rows quarantine_adopt | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
assert r["user"] == sys.argv[1] and r["object"] == "device/UNK0000000001", r
assert r["before"]["frames"] == 5 and r["before"]["last_peer"] == "10.1.2.3:40000" and r["after"]["site"] == "1319A", r
' "$ME" || fail "CLI adopt row"
set +e
"$LANTIAN" device adopt --db "$DB" --mn UNK0000000009 --kind air --site 1319A >/dev/null 2>"$T/adopt.err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q 'not in quarantine' "$T/adopt.err" || fail "adopting an MN not in quarantine: $rc"

adduser() { # NAME ROLE PASSWORD [SCOPE OPTIONS...]
    local n=$1 r=$2 p=$3
    shift 3
    echo "$p" | "$LANTIAN" user add --db "$DB" --name "$n" --role "$r" "$@" --password-stdin >/dev/null
}
adduser admin admin admin-pass-1 || fail "add admin"
adduser ana analyst ana-pass-01 --province 河南省 --city 郑州 || fail "add analyst"
adduser zy county zy-pass-001 --province 河南省 --city 郑州 --county 中原区 || fail "add zy"
adduser lsz county lsz-pass-01 --province 河南省 --city 郑州 --county 中原区 --township 林山寨街道 || fail "add lsz"
adduser boss leader boss-pass-1 --province 河南省 || fail "add leader"
adduser enf enforcement enf-pass-01 --province 河南省 || fail "add enforcement"
adduser gone analyst gone-pass-1 || fail "add gone"
set +e
adduser x1 county password-1 --province 河南省 --city 郑州 --township 林山寨街道 2>/dev/null; rc=$?
set -e
[ "$rc" = 2 ] || fail "a township without a county: exit $rc"
"$LANTIAN" user disable --db "$DB" --name gone >/dev/null || fail "disable"
"$LANTIAN" user disable --db "$DB" --name gone >/dev/null || fail "disable again"
[ "$(nrows user_add)" = 7 ] && [ "$(nrows user_disable)" = 1 ] || fail "user rows: $(nrows user_add) $(nrows user_disable)"
audit_rows user_add | python3 -c '
import json, sys
rows = {json.loads(l)["object"]: json.loads(l) for l in sys.stdin}
l = rows["user/lsz"]["after"]
assert l["role"] == "county" and l["county"] == "中原区" and l["township"] == "林山寨街道", l
assert all("pw_hash" not in r["after"] and "argon2" not in json.dumps(r) for r in rows.values())
' || fail "user_add rows"
audit_rows user_disable | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
assert r["object"] == "user/gone" and r["before"]["disabled"] is False and r["after"]["disabled"] is True, r
' || fail "user_disable row"
"$LANTIAN" user list --db "$DB" | grep -q "^lsz	county	河南省	郑州	中原区	.*	林山寨街道$" || fail "user list township"

"$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2019-01-01 08:00" --value 99 \
    --who 王工 --why 仪器漂移 >/dev/null || fail "correct"
audit_rows correction | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
assert r["user"] == sys.argv[1] and r["object"] == "hourly/1316A/PM2.5/2019-01-01 08:00", r
assert r["before"]["value"] is not None and r["before"]["value"] != 99, r
assert r["after"]["value"] == 99 and r["after"]["who"] == "王工" and r["after"]["why"] == "仪器漂移", r
' "$ME" || fail "CLI correction row"
n0=$(nrows)
set +e
"$LANTIAN" correct --db "$DB" --site 1316A --pollutant PM2.5 --time "2030-01-01 08:00" --value 1 \
    --who x --why y >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 1 ] && [ "$(nrows)" = "$n0" ] || fail "a refused correction: rc $rc, rows $n0 -> $(nrows)"
"$LANTIAN" dust --db "$DB" --area 中原区 --date 2019-01-01:2019-01-02 >/dev/null || fail "dust"
audit_rows dust_set | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
assert r["user"] == sys.argv[1] and r["object"] == "dust/中原区/2019-01-01:2019-01-02", r
assert r["before"]["flags"] == "00" and r["after"]["flags"] == "11", r
' "$ME" || fail "CLI dust row"

"$LANTIAN" target import --db "$DB" --config "$LT_SRC/config/targets-demo.ini" > "$T/timport.out" || fail "target import"
grep -q '4 targets: 4 new, 0 changed, 0 unchanged' "$T/timport.out" || fail "target import: $(cat "$T/timport.out")"
[ "$(nrows target_import)" = 4 ] || fail "target_import rows"
audit_rows target_import | python3 -c '
import json, sys
rows = {json.loads(l)["object"]: json.loads(l) for l in sys.stdin}
r = rows["target/驻马店/2025"]
assert r["before"] is None and r["after"]["pm25"] == "<36" and r["after"]["good_ratio"] == "82.5" and r["after"]["ruleset"] == "2012", r
' || fail "target_import rows"
"$LANTIAN" target import --db "$DB" --config "$LT_SRC/config/targets-demo.ini" | grep -q '0 new, 0 changed, 4 unchanged' || fail "target import again"
[ "$(nrows target_import)" = 4 ] || fail "an unchanged import wrote rows"
printf '[x]\narea = 郑州\nyear = 2030\nruleset = 1999\npm25 = 30\n' > "$T/badt.ini"
set +e
"$LANTIAN" target import --db "$DB" --config "$T/badt.ini" 2>"$T/badt.err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q 'ruleset is not defined' "$T/badt.err" || fail "a target with an unknown ruleset: $rc"
"$LANTIAN" target list --db "$DB" --year 2025 --format csv > "$T/tlist.csv" || fail "target list"
python3 - "$T/tlist.csv" "$ME" <<'PY' || fail "target list content"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 6 and all(r["year"] == "2025" and r["set_by"] == sys.argv[2] for r in rows), rows
assert [r["value"] for r in rows if r["area"] == "驻马店" and r["target"] == "pm25"] == ["<36"], rows
PY
# Evaluation from the store: neither --config nor values.
"$LANTIAN" target --db "$DB" --city 郑州 --year 2019 --as-of 2019-01-01 --format json > "$T/tstore.json" || fail "target from the store"
"$LANTIAN" target --db "$DB" --city 郑州 --year 2019 --as-of 2019-01-01 --format json \
    --config "$LT_SRC/config/targets-demo.ini" > "$T/tfile.json" || fail "target from the file"
python3 - "$T/tstore.json" "$T/tfile.json" <<'PY' || fail "the stored target evaluates as the file's"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["origin"] == "store" and b["origin"] == "file", (a["origin"], b["origin"])
a.pop("origin"); b.pop("origin")
assert a == b, (a, b)
PY
set +e
"$LANTIAN" target --db "$DB" --city 郑州 --year 2018 --as-of 2018-01-01 >/dev/null 2>"$T/tnone.err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'store has no target' "$T/tnone.err" || fail "no stored target: $rc"

# ---- the API ---------------------------------------------------------------------------------
"$LANTIAN" api --db "$DB" --http 127.0.0.1:0 --port-file "$T/port" 2>"$T/api.log" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "api did not start"
B="http://127.0.0.1:$(cat "$T/port")"

req() { # NAME METHOD PATH STATUS [TOKEN [BODY]]: body to $T/NAME
    local name=$1 method=$2 path=$3 want=$4 tok=${5:-} body=${6:-}
    local args=(-sS -o "$T/$name" -w '%{http_code}' -X "$method")
    [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    local st
    st=$(curl "${args[@]}" "$B$path") || fail "curl $method $path"
    [ "$st" = "$want" ] || { cat "$T/$name" >&2; fail "$name: $method $path: status $st, expected $want"; }
}
err() { # NAME METHOD PATH STATUS CODE [TOKEN [BODY]]: a JSON error with that code
    local name=$1 method=$2 path=$3 st=$4 code=$5
    req "$name" "$method" "$path" "$st" "${6:-}" "${7:-}"
    python3 - "$T/$name" "$code" <<'PY' || fail "$name: error body"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == sys.argv[2], e
assert len(e["message"]) > 10, e
PY
}
jq_() { # NAME CODE [ARGS...]
    local f=$1 c=$2
    shift 2
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $c" "$T/$f" "$@" || fail "$f: $c"
}
login() {
    curl -sS -X POST -d "{\"name\": \"$1\", \"password\": \"$2\"}" "$B/api/login" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
u() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
ADM=$(login admin admin-pass-1) || fail "login admin"
ANA=$(login ana ana-pass-01) || fail "login ana"
ZYT=$(login zy zy-pass-001) || fail "login zy"
LSZ=$(login lsz lsz-pass-01) || fail "login lsz"
BOSS=$(login boss boss-pass-1) || fail "login boss"
ENF=$(login enf enf-pass-01) || fail "login enf"

# ---- townships on the read side ---------------------------------------------------------------
req lsz_me GET /api/me 200 "$LSZ"
jq_ lsz_me 'assert d["user"]["scope"]["township"] == "林山寨街道", d'
req lsz_sites GET /api/sites 200 "$LSZ"
jq_ lsz_sites 'assert [i["code"] for i in d["items"]] == ["1316A"] and d["items"][0]["township"] == "林山寨街道", d'
req zy_sites GET /api/sites 200 "$ZYT"
jq_ zy_sites 'assert sorted(i["code"] for i in d["items"]) == ["1316A", "1317A"], d'
req lsz_site GET /api/sites/1316A 200 "$LSZ"
err lsz_site_other GET /api/sites/1317A 403 out_of_scope "$LSZ"
grep -q 林山寨街道 "$T/lsz_site_other" || fail "the 403 does not name the township scope"
err lsz_county GET "/api/stats?county=$(u 中原区)&period=2019-01-01" 403 out_of_scope "$LSZ"
err lsz_city GET "/api/aqi/daily?city=$(u 郑州)&from=2019-01-01&to=2019-01-01" 403 out_of_scope "$LSZ"
req lsz_stats GET "/api/stats?site=1316A&period=2019-01-01" 200 "$LSZ"
req zy_county GET "/api/stats?county=$(u 中原区)&period=2019-01-01" 200 "$ZYT"
req adm_tsites GET "/api/sites?township=$(u 丰产路街道)&format=csv" 200 "$ADM"
python3 - "$T/adm_tsites" <<'PY' || fail "township filter and column"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["code"] for r in rows] == ["1318A"] and rows[0]["township"] == "丰产路街道", rows
PY
req lsz_devices GET /api/devices 200 "$LSZ"
jq_ lsz_devices 'assert [i["mn"] for i in d["items"]] == ["AIR00000000001"], d'

# ---- POST /api/sites/{code} -------------------------------------------------------------------
S0=$(snap)
err s_boss POST /api/sites/1316A 403 forbidden "$BOSS" '{"name": "x"}'
err s_enf POST /api/sites/1316A 403 forbidden "$ENF" '{"name": "x"}'
err s_nl POST /api/sites/1316A 401 login_required "" '{"name": "x"}'
err s_zy_other POST /api/sites/1318A 403 out_of_scope "$ZYT" '{"name": "x"}'
err s_zy_move POST /api/sites/1316A 403 out_of_scope "$ZYT" '{"county": "金水区", "township": ""}'
err s_zy_clear POST /api/sites/1316A 403 out_of_scope "$ZYT" '{"county": "", "township": ""}'
err s_lsz_other POST /api/sites/1317A 403 out_of_scope "$LSZ" '{"name": "x"}'
err s_lsz_move POST /api/sites/1316A 403 out_of_scope "$LSZ" '{"township": "桐柏路街道"}'
err s_lsz_clear POST /api/sites/1316A 403 out_of_scope "$LSZ" '{"township": null}'
err s_unknown POST /api/sites/9999Z 404 not_found "$ADM" '{"name": "x"}'
err s_empty POST /api/sites/1316A 400 missing_field "$ADM" '{}'
err s_field POST /api/sites/1316A 400 unknown_field "$ADM" '{"city": "洛阳"}'
err s_name POST /api/sites/1316A 400 bad_field "$ADM" '{"name": ""}'
err s_namenum POST /api/sites/1316A 400 bad_field "$ADM" '{"name": 5}'
err s_lon POST /api/sites/1316A 400 bad_field "$ADM" '{"lon": 200}'
err s_lat POST /api/sites/1316A 400 bad_field "$ADM" '{"lat": "34.7"}'
err s_eval POST /api/sites/1316A 400 bad_field "$ADM" '{"is_eval": "Y"}'
err s_from POST /api/sites/1316A 400 bad_field "$ADM" '{"valid_from": "2019-02-30"}'
err s_order POST /api/sites/1316A 400 bad_field "$ADM" '{"valid_from": "2020-01-01", "valid_to": "2019-01-01"}'
err s_town POST /api/sites/1319A 400 bad_field "$ADM" '{"county": "", "township": "某镇"}'
err s_long POST /api/sites/1316A 400 bad_field "$ADM" "{\"township\": \"$(printf 'x%.0s' $(seq 70))\"}"
err s_json POST /api/sites/1316A 400 malformed_json "$ADM" '{"name": }'
err s_query POST "/api/sites/1316A?x=1" 400 unknown_parameter "$ADM" '{"name": "x"}'
[ "$(snap)" = "$S0" ] || fail "a refused site edit wrote something"
n0=$(nrows site_edit)
req s_adm POST /api/sites/1319A 200 "$ADM" '{"name": "供水公司站", "township": "经八路街道", "lon": 113.65, "valid_from": "2015-01-01"}'
jq_ s_adm 'b, a = d["before"], d["after"]; assert d["changed"] is True and b["name"] == "供水公司" and a["name"] == "供水公司站" and a["township"] == "经八路街道" and a["lon"] == 113.65 and a["valid_from"] == "2015-01-01" and b["valid_from"] is None, d'
req s_adm_same POST /api/sites/1319A 200 "$ADM" '{"name": "供水公司站"}'
jq_ s_adm_same 'assert d["changed"] is False and d["before"] == d["after"], d'
[ "$(nrows site_edit)" = $((n0 + 1)) ] || fail "site edits: rows $n0 -> $(nrows site_edit) (an edit that changes nothing writes none)"
req s_zy POST /api/sites/1317A 200 "$ZYT" '{"is_eval": false, "valid_to": "2030-12-31"}'
req s_lsz POST /api/sites/1316A 200 "$LSZ" '{"name": "烟厂站", "lat": null}'
jq_ s_lsz 'assert d["after"]["lat"] is None and d["before"]["lat"] == 34.75 and d["after"]["township"] == "林山寨街道", d'
req s_ana POST /api/sites/1318A 200 "$ANA" '{"township": "花园路街道"}'
req s_get GET /api/sites/1319A 200 "$ADM"
jq_ s_get 's=d["site"]; assert s["name"] == "供水公司站" and s["township"] == "经八路街道" and s["valid_from"] == "2015-01-01", s'
audit_rows site_edit | python3 -c '
import json, sys
ana, lsz, zy, adm = [json.loads(l) for l in sys.stdin][:4]
assert adm["user"] == "admin" and adm["object"] == "site/1319A" and adm["before"]["township"] == "" and adm["after"]["township"] == "经八路街道", adm
assert zy["user"] == "zy" and zy["before"]["is_eval"] is True and zy["after"]["is_eval"] is False and zy["after"]["valid_to"] == "2030-12-31", zy
assert lsz["user"] == "lsz" and lsz["after"]["name"] == "烟厂站", lsz
assert ana["user"] == "ana" and ana["before"]["township"] == "丰产路街道" and ana["after"]["township"] == "花园路街道", ana
' || fail "site_edit rows of the API"
# The township changed: lsz's scope follows the registry.
req lsz_sites2 GET /api/sites 200 "$LSZ"
jq_ lsz_sites2 'assert [i["code"] for i in d["items"]] == ["1316A"], d'

# ---- POST /api/devices/{mn} -------------------------------------------------------------------
S0=$(snap)
err d_boss POST /api/devices/AIR00000000001 403 forbidden "$BOSS" '{"enabled": false}'
err d_zy_other POST /api/devices/AIR00000000002 403 out_of_scope "$ZYT" '{"enabled": false}'
err d_zy_move POST /api/devices/AIR00000000001 403 out_of_scope "$ZYT" '{"site": "1318A"}'
err d_zy_outlet POST /api/devices/KILN0000000001 403 out_of_scope "$ZYT" '{"enabled": false}'
err d_lsz_move POST /api/devices/AIR00000000001 403 out_of_scope "$LSZ" '{"site": "1317A"}'
err d_unknown POST /api/devices/NOSUCHMN 404 not_found "$ADM" '{"enabled": false}'
err d_empty POST /api/devices/AIR00000000001 400 missing_field "$ADM" '{}'
err d_field POST /api/devices/AIR00000000001 400 unknown_field "$ADM" '{"kind": "cems"}'
err d_sitecems POST /api/devices/KILN0000000001 400 bad_field "$ADM" '{"site": "1316A"}'
err d_outletair POST /api/devices/AIR00000000001 400 bad_field "$ADM" '{"outlet": "X"}'
err d_typeair POST /api/devices/AIR00000000001 400 bad_field "$ADM" '{"source_type": "cement_kiln"}'
err d_type POST /api/devices/KILN0000000001 400 bad_field "$ADM" '{"source_type": "no_such_type"}'
err d_crc POST /api/devices/AIR00000000001 400 bad_field "$ADM" '{"crc": "crc32"}'
err d_enabled POST /api/devices/AIR00000000001 400 bad_field "$ADM" '{"enabled": "no"}'
err d_pw POST /api/devices/AIR00000000001 400 bad_field "$ADM" '{"pw": "0123456789abcdefg"}'
err d_site POST /api/devices/AIR00000000001 400 bad_field "$ADM" '{"site": "9999Z"}'
err d_fscale POST /api/devices/AIR00000000001 400 missing_field "$ADM" '{"factor_scale": 2}'
err d_fpoll POST /api/devices/KILN0000000001 400 bad_field "$ADM" '{"factor_code": "a21026", "factor_pollutant": "SO2"}'
err d_fpoll2 POST /api/devices/AIR00000000001 400 bad_field "$ADM" '{"factor_code": "a21026", "factor_pollutant": "SO3"}'
err d_fzero POST /api/devices/AIR00000000001 400 bad_field "$ADM" '{"factor_code": "a21026", "factor_scale": 0}'
err d_json POST /api/devices/AIR00000000001 400 malformed_json "$ADM" '{"enabled": tru}'
[ "$(snap)" = "$S0" ] || fail "a refused device edit wrote something"
req d_adm POST /api/devices/KILN0000000001 200 "$ADM" '{"enabled": false, "pw": "new-pw-22", "crc": "std,modbus", "source_type": "gas_boiler"}'
jq_ d_adm 'b, a = d["before"], d["after"]; assert d["changed"] and b["enabled"] is True and a["enabled"] is False and a["crc_mask"] == 3 and a["source_type"] == "gas_boiler" and a["password_changed"] is True and "pw" not in a, d'
! grep -q new-pw "$T/d_adm" || fail "the answer shows the password"
[ "$(q "SELECT pw || ' ' || enabled FROM devices WHERE mn = 'KILN0000000001'")" = "new-pw-22 0" ] || fail "device not changed"
req d_zy POST /api/devices/AIR00000000001 200 "$ZYT" '{"site": "1317A", "factor_code": "a21026", "factor_pollutant": "SO2", "factor_scale": 2.5}'
jq_ d_zy 'assert d["before"]["site"] == "1316A" and d["after"]["site"] == "1317A" and d["factor"]["changed"] and d["factor"]["before"] is None and d["factor"]["after"]["pollutant"] == "SO2" and d["factor"]["after"]["scale"] == 2.5, d'
req d_zy_same POST /api/devices/AIR00000000001 200 "$ZYT" '{"site": "1317A"}'
jq_ d_zy_same 'assert d["changed"] is False, d'
# The device moved out of lsz's township: she no longer sees it.
err d_lsz_gone POST /api/devices/AIR00000000001 403 out_of_scope "$LSZ" '{"enabled": true}'
req d_rows GET "/api/audit?action=device_edit" 200 "$ADM"
jq_ d_rows '
it = d["items"]; assert d["total"] == 2, d
z, a = it
assert z["user"] == "zy" and z["object"] == "device/AIR00000000001" and z["before"]["site"] == "1316A" and z["after"]["site"] == "1317A", z
assert a["user"] == "admin" and a["object"] == "device/KILN0000000001" and a["after"]["password_changed"] is True and a["before"]["password_set"] is True, a'
! q "SELECT after_json FROM audit_log" | grep -q new-pw || fail "the password is in the log"
req f_rows GET "/api/audit?action=device_factor&user=zy" 200 "$ADM"
jq_ f_rows 'it = d["items"]; assert d["total"] == 1 and it[0]["object"] == "device/AIR00000000001/factor/a21026" and it[0]["before"] is None, d'

# ---- POST /api/targets ------------------------------------------------------------------------
S0=$(snap)
err t_boss POST /api/targets 403 forbidden "$BOSS" '{"city": "郑州", "year": 2019, "target": "pm25", "value": 35}'
err t_zy_other POST /api/targets 403 out_of_scope "$ZYT" '{"county": "金水区", "year": 2019, "target": "pm25", "value": 35}'
err t_zy_city POST /api/targets 403 out_of_scope "$ZYT" '{"city": "郑州", "year": 2019, "target": "pm25", "value": 35}'
err t_lsz POST /api/targets 403 out_of_scope "$LSZ" '{"county": "中原区", "year": 2019, "target": "pm25", "value": 35}'
err t_lsz_other POST /api/targets 403 out_of_scope "$LSZ" '{"county": "金水区", "year": 2019, "target": "pm25", "value": 35}'
err t_ana_other POST /api/targets 403 out_of_scope "$ANA" '{"city": "洛阳", "year": 2019, "target": "pm25", "value": 35}'
err t_both POST /api/targets 400 bad_field "$ADM" '{"city": "郑州", "county": "中原区", "year": 2019, "target": "pm25", "value": 35}'
err t_none POST /api/targets 400 missing_field "$ADM" '{"year": 2019, "target": "pm25", "value": 35}'
err t_noyear POST /api/targets 400 missing_field "$ADM" '{"city": "郑州", "target": "pm25", "value": 35}'
err t_novalue POST /api/targets 400 missing_field "$ADM" '{"city": "郑州", "year": 2019, "target": "pm25"}'
err t_year POST /api/targets 400 bad_field "$ADM" '{"city": "郑州", "year": "2019", "target": "pm25", "value": 35}'
err t_year2 POST /api/targets 400 bad_field "$ADM" '{"city": "郑州", "year": 1800, "target": "pm25", "value": 35}'
err t_year3 POST /api/targets 400 bad_field "$ADM" '{"city": "郑州", "year": 2019.5, "target": "pm25", "value": 35}'
err t_kind POST /api/targets 400 bad_field "$ADM" '{"city": "郑州", "year": 2019, "target": "so2", "value": 35}'
err t_val POST /api/targets 400 bad_field "$ADM" '{"city": "郑州", "year": 2019, "target": "pm25", "value": "abc"}'
err t_neg POST /api/targets 400 bad_field "$ADM" '{"city": "郑州", "year": 2019, "target": "pm25", "value": -1}'
err t_ratio POST /api/targets 400 bad_field "$ADM" '{"city": "郑州", "year": 2019, "target": "good_ratio", "value": 120}'
err t_bool POST /api/targets 400 bad_field "$ADM" '{"city": "郑州", "year": 2019, "target": "pm25", "value": true}'
err t_rules POST /api/targets 400 bad_field "$ADM" '{"city": "郑州", "year": 2019, "target": "pm25", "value": 35, "ruleset": "1999"}'
err t_field POST /api/targets 400 unknown_field "$ADM" '{"city": "郑州", "year": 2019, "target": "pm25", "value": 35, "who": "x"}'
err t_json POST /api/targets 400 malformed_json "$ADM" '{"city": "郑州", "year": 2019,'
[ "$(snap)" = "$S0" ] || fail "a refused target edit wrote something"
req tv_before GET "/api/targets?city=$(u 郑州)&year=2019&as_of=2019-01-01" 200 "$ANA"
jq_ tv_before 'assert d["origin"] == "store" and [i["goal"] for i in d["items"] if i["target"] == "PM2.5"] == ["<=40"], d'
req t_ana POST /api/targets 200 "$ANA" '{"city": "郑州", "year": 2019, "target": "pm25", "value": "<35"}'
jq_ t_ana 'b, a = d["before"], d["after"]; assert d["changed"] and b["pm25"] == "40" and a["pm25"] == "<35" and a["area"] == "郑州" and a["name"] == b["name"] == "郑州市 2019 (演示)", d'
req tv_after GET "/api/targets?city=$(u 郑州)&year=2019&as_of=2019-01-01" 200 "$ANA"
jq_ tv_after 'assert [i["goal"] for i in d["items"] if i["target"] == "PM2.5"] == ["<35"], d'
"$LANTIAN" target --db "$DB" --city 郑州 --year 2019 --as-of 2019-01-01 --format json > "$T/tcli.json" || fail "CLI target after the edit"
python3 -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); assert a == b, (a, b)' "$T/tv_after" "$T/tcli.json" || fail "API and CLI differ on the stored target"
req t_zy POST /api/targets 200 "$ZYT" '{"county": "中原区", "year": 2019, "target": "good_days", "value": ">200", "source": "区级方案"}'
jq_ t_zy 'assert d["before"] is None and d["after"]["good_days"] == ">200" and d["after"]["area"] == "中原区" and d["after"]["source"] == "区级方案", d'
req t_zy_same POST /api/targets 200 "$ZYT" '{"county": "中原区", "year": 2019, "target": "good_days", "value": ">200"}'
jq_ t_zy_same 'assert d["changed"] is False, d'
req t_rm POST /api/targets 200 "$ADM" '{"city": "郑州市", "year": 2019, "target": "heavy_ratio", "value": null}'
jq_ t_rm 'assert d["before"]["heavy_ratio"] == "1.2" and d["after"]["heavy_ratio"] is None and d["after"]["area"] == "郑州", d'
req t_rows GET "/api/audit?action=target_set" 200 "$ADM"
jq_ t_rows '
it = d["items"]; assert d["total"] == 3, d
assert [i["user"] for i in it] == ["admin", "zy", "ana"], it
assert [i["object"] for i in it] == ["target/郑州/2019", "target/中原区/2019", "target/郑州/2019"], it'
[ "$(q "SELECT set_by FROM target_values WHERE area_key = '郑州' AND year = 2019 AND kind = 'pm25'")" = ana ] || fail "set_by of the edited value"
[ "$(q "SELECT set_by FROM target_values WHERE area_key = '郑州' AND year = 2019 AND kind = 'good_ratio'")" = "$ME" ] || fail "set_by of an untouched value"
req tl_adm GET "/api/target-values?year=2019" 200 "$ADM"
jq_ tl_adm 'v = {(i["area"], i["target"]): i for i in d["items"]}; assert v[("郑州", "pm25")]["value"] == "<35" and v[("郑州", "pm25")]["set_by"] == "ana" and v[("中原区", "good_days")]["value"] == ">200" and ("郑州", "heavy_ratio") not in v, d'
req tl_zy GET /api/target-values 200 "$ZYT"
jq_ tl_zy 'assert [(i["area"], i["target"]) for i in d["items"]] == [("中原区", "good_days")], d'
err tl_zy_city GET "/api/target-values?city=$(u 郑州)" 403 out_of_scope "$ZYT"
req tl_csv GET "/api/target-values?county=$(u 中原区)&format=csv" 200 "$ADM"
head -1 "$T/tl_csv" | grep -q '^area,year,name,ruleset,target,value,set_by,set_at,source' || fail "target-values CSV header"

# ---- GET /api/audit: filters, CSV, admins only, append-only -----------------------------------
req a_all GET "/api/audit?limit=500" 200 "$ADM"
TOTAL=$(jq_ a_all 'print(d["total"])')
[ "$TOTAL" = "$(nrows)" ] || fail "audit total $TOTAL, rows $(nrows)"
req a_user GET "/api/audit?user=$(u "$ME")&action=site_edit" 200 "$ADM"
jq_ a_user 'assert d["total"] == 4 and all(i["user"].startswith("cli:") for i in d["items"]), d'
req a_obj GET "/api/audit?object=site/1316A" 200 "$ADM"
jq_ a_obj 'assert d["total"] >= 3 and all(i["object"] == "site/1316A" for i in d["items"]), d'
req a_csv GET "/api/audit?action=target_set&format=csv" 200 "$ADM"
python3 - "$T/a_csv" <<'PY' || fail "audit CSV"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["user"] for r in rows] == ["admin", "zy", "ana"], rows
assert list(rows[0].keys()) == ["id", "at", "at_ms", "user", "action", "object", "before", "after"], rows[0].keys()
assert json.loads(rows[2]["after"])["pm25"] == "<35" and rows[1]["before"] == "", rows
PY
err a_zy GET /api/audit 403 forbidden "$ZYT"
err a_ana GET /api/audit 403 forbidden "$ANA"
err a_long GET "/api/audit?user=$(printf 'x%.0s' $(seq 70))" 400 bad_parameter "$ADM"
python3 - "$DB" <<'PY' || fail "the audit log is not append-only"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for sql in ("UPDATE audit_log SET user = 'x' WHERE action = 'site_edit'", "DELETE FROM audit_log WHERE action = 'target_set'",
            "UPDATE audit_log SET after_json = NULL"):
    try:
        db.execute(sql)
        sys.exit(1)
    except sqlite3.DatabaseError as e:
        assert "append-only" in str(e), e
PY
[ "$(nrows)" = "$TOTAL" ] || fail "audit rows changed"

kill "$SPID" && wait "$SPID" || fail "api exit"
SPID=
echo "http_edit: ok ($TOTAL audit rows)"

#!/usr/bin/env bash
# Accounts and reach over real HTTP on loopback: users of every role made by the CLI (the first
# must be an admin); login success, failure and the rate limit (429 + Retry-After); missing,
# garbage, logged-out, disabled and expired tokens (401); public endpoints without login; a county
# user confined to its county (403 for another county's site, stats, series, corrections, devices,
# and no row written when it tries to correct another county's value); the write endpoint
# POST /api/corrections with every 4xx path; the audit log with before/after, admins only;
# POST /api/quarantine/{mn}/adopt and POST /api/dust with every 4xx path and their audit rows.
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_SRC:?}" "${LT_TMP:?}"
T="$LT_TMP/http_auth"
rm -rf "$T" && mkdir -p "$T"
DB="$T/a.db"
ST="$LT_SHARED/data/cnemc/stations.csv"
D="$LT_SHARED/data/cnemc/henan-2019"
SPID=
SPID2=
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/api.log" ] && tail -20 "$T/api.log" >&2
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    [ -n "$SPID2" ] && kill "$SPID2" 2>/dev/null
    exit 1
}

"$LANTIAN" import cnemc --db "$DB" --stations "$ST" "$D/china_sites_20190101.csv.gz" \
    "$D/china_sites_20190102.csv.gz" 2>"$T/import.err" || fail "import"
# Counties come from a site registry (the CNEMC list has none): two counties of 郑州.
cat > "$T/registry.csv" <<'CSV'
code,name,city,county,province,lon,lat,eval,valid_from,valid_to
1316A,烟厂,郑州,中原区,河南省,113.6,34.75,Y,,
1317A,郑纺机,郑州,中原区,河南省,113.6,34.76,Y,,
1318A,银行学校,郑州,金水区,河南省,113.68,34.78,Y,,
1319A,供水公司,郑州,金水区,河南省,113.64,34.80,Y,,
CSV
"$LANTIAN" import sites --db "$DB" "$T/registry.csv" 2>/dev/null || fail "import sites"
"$LANTIAN" device add --db "$DB" --mn AIR00000000001 --kind air --site 1316A >/dev/null || fail "dev1"
"$LANTIAN" device add --db "$DB" --mn AIR00000000002 --kind air --site 1318A >/dev/null || fail "dev2"
"$LANTIAN" device add --db "$DB" --mn KILN0000000001 --kind cems --outlet ENT1-DA001 \
    --source-type cement_kiln >/dev/null || fail "dev cems"

# ---- the CLI: bootstrap, roles, scopes -------------------------------------------------------
adduser() { # NAME ROLE PASSWORD [SCOPE OPTIONS...]
    local n=$1 r=$2 p=$3
    shift 3
    echo "$p" | "$LANTIAN" user add --db "$DB" --name "$n" --role "$r" "$@" --password-stdin
}
set +e
adduser early analyst password-1 >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 1 ] || fail "a non-admin first user: exit $rc, expected 1 (no admin yet)"
adduser admin admin admin-pass-1 >/dev/null || fail "add admin"
set +e
adduser admin admin admin-pass-1 >/dev/null 2>&1; rc1=$?
adduser x1 superuser password-1 >/dev/null 2>&1; rc2=$?
adduser x2 analyst short >/dev/null 2>&1; rc3=$?
adduser x3 county password-1 --province 河南省 --city 郑州 >/dev/null 2>&1; rc4=$?
adduser x4 admin password-1 --province 河南省 >/dev/null 2>&1; rc5=$?
set -e
[ "$rc1 $rc2 $rc3 $rc4 $rc5" = "1 2 2 2 2" ] || fail "user add refusals: $rc1 $rc2 $rc3 $rc4 $rc5"
adduser ana analyst ana-pass-01 --province 河南省 --city 郑州 >/dev/null || fail "add analyst"
adduser zy county zy-pass-001 --province 河南省 --city 郑州 --county 中原区 >/dev/null || fail "add zy"
adduser js county js-pass-001 --province 河南省 --city 郑州 --county 金水区 >/dev/null || fail "add js"
adduser enf enforcement enf-pass-01 --province 河南省 >/dev/null || fail "add enforcement"
adduser boss leader boss-pass-1 --province 河南省 >/dev/null || fail "add leader"
adduser gone analyst gone-pass-1 >/dev/null || fail "add gone"
"$LANTIAN" user list --db "$DB" > "$T/users.txt" || fail "user list"
[ "$(grep -c . "$T/users.txt")" = 8 ] || fail "user list: $(cat "$T/users.txt")"
grep -q "^zy	county	河南省	郑州	中原区	" "$T/users.txt" || fail "zy's scope in the list"
! grep -q 'argon2\|pass' "$T/users.txt" || fail "user list shows secrets"
python3 - "$DB" <<'PY' || fail "password hashes"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (h,) in db.execute("SELECT pw_hash FROM users"):
    assert h.startswith("$argon2id$"), h
PY

"$LANTIAN" api --db "$DB" --http 127.0.0.1:0 --port-file "$T/port" 2>"$T/api.log" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "api did not start"
B="http://127.0.0.1:$(cat "$T/port")"

# req NAME METHOD PATH STATUS [TOKEN [BODY]]: body to $T/NAME, headers to $T/NAME.h.
req() {
    local name=$1 method=$2 path=$3 want=$4 tok=${5:-} body=${6:-}
    local args=(-sS -o "$T/$name" -D "$T/$name.h" -w '%{http_code}' -X "$method")
    [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    local st
    st=$(curl "${args[@]}" "$B$path") || fail "curl $method $path"
    [ "$st" = "$want" ] || { cat "$T/$name" >&2; fail "$method $path: status $st, expected $want"; }
}
# err NAME METHOD PATH STATUS CODE [TOKEN [BODY]]: a JSON error with that code.
err() {
    local name=$1 method=$2 path=$3 st=$4 code=$5
    req "$name" "$method" "$path" "$st" "${6:-}" "${7:-}"
    python3 - "$T/$name" "$code" <<'PY' || fail "$name: error body"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == sys.argv[2], e
assert len(e["message"]) > 10, e
PY
}
jq_() { # NAME CODE [ARGS...]: run CODE with d = the JSON of $T/NAME (ARGS as sys.argv[2:])
    local f=$1 c=$2
    shift 2
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $c" "$T/$f" "$@" || fail "$f: $c"
}
login() { # NAME PASSWORD -> token on stdout
    curl -sS -X POST -H 'Content-Type: application/json' \
        -d "{\"name\": \"$1\", \"password\": \"$2\"}" "$B/api/login" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
u() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
ZY=$(u 中原区)
JS=$(u 金水区)
ZZ=$(u 郑州)
HN=$(u 河南)

# ---- public endpoints need no login; the rest do ---------------------------------------------
req pub_health GET /api/health 200
req pub_latest GET "/api/aqi/latest?city=$ZZ&at=2019-01-02T0800" 200
req pub_rank GET "/api/rank?level=city&province=$HN&period=2019-01" 200
req pub_rank_y GET "/api/rank?level=city&province=$HN&period=2019" 200
err nl_sites GET /api/sites 401 login_required
grep -qi '^www-authenticate: Bearer' "$T/nl_sites.h" || fail "401 without WWW-Authenticate"
err nl_rank_county GET "/api/rank?level=county&province=$HN&period=2019-01" 401 login_required
err nl_rank_days GET "/api/rank?level=city&province=$HN&period=2019-01-01:2019-01-02" 401 login_required
for p in /api/sites/1316A "/api/stats?site=1316A&period=2019-01" /api/devices /api/quarantine \
    /api/exceedances /api/corrections /api/me /api/audit \
    "/api/aqi/daily?site=1316A&from=2019-01-01&to=2019-01-02"; do
    err nl GET "$p" 401 login_required
done
err nl_post POST /api/corrections 401 login_required "" '{"site": "1316A"}'
err nl_logout POST /api/logout 401 login_required

# ---- login ------------------------------------------------------------------------------------
req login_ok POST /api/login 200 "" '{"name": "admin", "password": "admin-pass-1"}'
jq_ login_ok 'assert len(d["token"]) == 43 and d["expires_in"] == 43200 and d["user"]["role"] == "admin", d'
ADM=$(jq_ login_ok 'print(d["token"])')
python3 - "$DB" "$ADM" <<'PY' || fail "the token itself is stored"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = [r[0] for r in db.execute("SELECT token_hash FROM sessions")]
assert rows and sys.argv[2] not in rows and all(len(r) == 64 for r in rows), rows
PY
ANA=$(login ana ana-pass-01) || fail "login ana"
ZYT=$(login zy zy-pass-001) || fail "login zy"
JST=$(login js js-pass-001) || fail "login js"
ENF=$(login enf enf-pass-01) || fail "login enf"
BOSS=$(login boss boss-pass-1) || fail "login boss"
GONE=$(login gone gone-pass-1) || fail "login gone"
req me GET /api/me 200 "$ZYT"
jq_ me 'u=d["user"]; assert u["name"]=="zy" and u["role"]=="county" and u["scope"]["county"]=="中原区", d'

err l_wrong POST /api/login 401 bad_credentials "" '{"name": "zy", "password": "wrong-pass"}'
err l_unknown POST /api/login 401 bad_credentials "" '{"name": "nobody", "password": "x"}'
err l_missing POST /api/login 400 missing_field "" '{"name": "zy"}'
err l_type POST /api/login 400 bad_field "" '{"name": "zy", "password": 5}'
err l_extra POST /api/login 400 unknown_field "" '{"name": "zy", "password": "x", "role": "admin"}'
err l_malformed POST /api/login 400 malformed_json "" '{"name": "zy", "password": }'
grep -q 'at byte 27' "$T/l_malformed" || fail "malformed JSON without its position: $(cat "$T/l_malformed")"
err l_notobj POST /api/login 400 malformed_json "" '["zy"]'
err l_trailing POST /api/login 400 malformed_json "" '{"name": "zy", "password": "x"} x'
err l_dup POST /api/login 400 malformed_json "" '{"name": "zy", "name": "x", "password": "x"}'
err l_empty POST /api/login 400 malformed_json ""
python3 -c 'print("{\"name\": \"" + "a" * 17000 + "\"}")' > "$T/big.json"
err l_big POST /api/login 413 body_too_large "" "@$T/big.json"
err l_query POST "/api/login?x=1" 400 unknown_parameter "" '{"name": "zy", "password": "x"}'
err l_get_sites_post POST /api/sites 405 method_not_allowed "$ADM" '{}'

# Rate limit: after 5 failures of one name (1 above, and now 4 more) the 6th attempt is
# refused with 429 and Retry-After, even with the right password.
for i in 1 2 3 4; do err "rl$i" POST /api/login 401 bad_credentials "" '{"name": "zy", "password": "bad"}'; done
err rl_429 POST /api/login 429 too_many_attempts "" '{"name": "zy", "password": "zy-pass-001"}'
ra=$(grep -i '^retry-after:' "$T/rl_429.h" | tr -dc 0-9)
[ -n "$ra" ] && [ "$ra" -gt 0 ] && [ "$ra" -le 300 ] || fail "Retry-After '$ra'"
# Other names still log in; the session zy had keeps working.
login ana ana-pass-01 >/dev/null || fail "another user blocked by zy's limit"
req zy_still GET /api/me 200 "$ZYT"

# ---- tokens -----------------------------------------------------------------------------------
err t_none GET /api/me 401 login_required
curl -sS -o "$T/t_basic2" -w '%{http_code}' -H 'Authorization: Basic YWRtaW46eA==' "$B/api/me" |
    grep -qx 401 || fail "Basic auth accepted"
err t_garbage GET /api/me 401 bad_token "garbage-token-that-is-not-real"
err t_long GET /api/me 401 bad_token "$(printf 'x%.0s' $(seq 200))"
req logout POST /api/logout 200 "$GONE"
err t_loggedout GET /api/me 401 bad_token "$GONE"
DIS=$(login gone gone-pass-1) || fail "login gone again"
req dis_before GET /api/me 200 "$DIS"
"$LANTIAN" user disable --db "$DB" --name gone >/dev/null || fail "user disable"
err t_disabled GET /api/me 401 bad_token "$DIS"
err l_disabled POST /api/login 401 bad_credentials "" '{"name": "gone", "password": "gone-pass-1"}'

# Expiry: a server whose sessions last 3 s.
LANTIAN_SESSION_TTL_S=3 "$LANTIAN" api --db "$DB" --http 127.0.0.1:0 --port-file "$T/port2" \
    2>"$T/api2.log" &
SPID2=$!
for _ in $(seq 100); do [ -s "$T/port2" ] && break; sleep 0.1; done
[ -s "$T/port2" ] || fail "second api did not start"
B2="http://127.0.0.1:$(cat "$T/port2")"
SHORT=$(curl -sS -X POST -d '{"name": "ana", "password": "ana-pass-01"}' "$B2/api/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') || fail "short login"
curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SHORT" "$B2/api/me" |
    grep -qx 200 || fail "fresh short session refused"
sleep 4
curl -sS -o "$T/expired" -w '%{http_code}' -H "Authorization: Bearer $SHORT" "$B2/api/me" |
    grep -qx 401 || fail "expired session accepted"
grep -q bad_token "$T/expired" || fail "expired: $(cat "$T/expired")"
kill "$SPID2" && wait "$SPID2" || fail "second api exit"
SPID2=

# ---- scopes: a county user sees and changes only its county -----------------------------------
req zy_sites GET /api/sites "200" "$ZYT"
jq_ zy_sites 'c=sorted(i["code"] for i in d["items"]); assert c==["1316A","1317A"], c'
req ana_sites GET "/api/sites?city=$ZZ" 200 "$ANA"
jq_ ana_sites 'c=sorted(i["code"] for i in d["items"]); assert set(["1316A","1318A"]) <= set(c) and len(c) >= 9, c'
req adm_sites GET /api/sites 200 "$ADM"
jq_ adm_sites 'assert d["total"] > 1000, d["total"]'
req zy_site GET /api/sites/1316A 200 "$ZYT"
err zy_site_other GET /api/sites/1318A 403 out_of_scope "$ZYT"
grep -q '1318A' "$T/zy_site_other" || fail "403 message does not name the site"
err zy_sites_other GET "/api/sites?county=$JS" 403 out_of_scope "$ZYT"
err zy_sites_city GET "/api/sites?city=$ZZ" 403 out_of_scope "$ZYT"
req zy_stats GET "/api/stats?county=$ZY&period=2019-01-01:2019-01-02" 200 "$ZYT"
req zy_stats_site GET "/api/stats?site=1317A&period=2019-01-01:2019-01-02" 200 "$ZYT"
err zy_stats_other GET "/api/stats?site=1318A&period=2019-01-01:2019-01-02" 403 out_of_scope "$ZYT"
err zy_stats_county GET "/api/stats?county=$JS&period=2019-01-01:2019-01-02" 403 out_of_scope "$ZYT"
err zy_stats_city GET "/api/stats?city=$ZZ&period=2019-01-01:2019-01-02" 403 out_of_scope "$ZYT"
req js_stats GET "/api/stats?county=$JS&period=2019-01-01:2019-01-02" 200 "$JST"
req ana_stats GET "/api/stats?city=$ZZ&period=2019-01-01:2019-01-02" 200 "$ANA"
err zy_series GET "/api/aqi/hourly?site=1318A&from=2019-01-01&to=2019-01-02" 403 out_of_scope "$ZYT"
req zy_series_ok GET "/api/aqi/daily?site=1316A&from=2019-01-01&to=2019-01-02" 200 "$ZYT"
err zy_targets GET "/api/targets?city=$ZZ&year=2019&as_of=2019-01-02&pm25=50" 403 out_of_scope "$ZYT"
req zy_devices GET /api/devices 200 "$ZYT"
jq_ zy_devices 'c=[i["mn"] for i in d["items"]]; assert c==["AIR00000000001"], c'
req ana_devices GET /api/devices 200 "$ANA"
jq_ ana_devices 'c=[i["mn"] for i in d["items"]]; assert c==["AIR00000000001","AIR00000000002","KILN0000000001"], c'
req enf_devices GET /api/devices 200 "$ENF"
jq_ enf_devices 'assert "KILN0000000001" in [i["mn"] for i in d["items"]], d'
err zy_dev_other GET /api/devices/AIR00000000002/health 403 out_of_scope "$ZYT"
err zy_dev_outlet GET /api/devices/KILN0000000001/health 403 out_of_scope "$ZYT"
req zy_dev_own GET /api/devices/AIR00000000001/health 200 "$ZYT"
err zy_exc GET "/api/exceedances?mn=KILN0000000001" 403 out_of_scope "$ZYT"
req zy_exc_all GET /api/exceedances 200 "$ZYT"
err zy_quar GET /api/quarantine 403 forbidden "$ZYT"
req enf_quar GET /api/quarantine 200 "$ENF"

# ---- POST /api/corrections --------------------------------------------------------------------
C='"pollutant": "PM2.5", "time": "2019-01-01 08:00"'
req adm_corr POST /api/corrections 201 "$ADM" "{\"site\": \"1318A\", $C, \"value\": 99.5, \"why\": \"漂移\"}"
jq_ adm_corr 'assert d["after"]["value"]==99.5 and d["after"]["site"]=="1318A" and d["before"]["value"] is not None, d'
req js_corr POST /api/corrections 201 "$JST" "{\"site\": \"1319A\", $C, \"invalidate\": true, \"why\": \"停电\"}"
jq_ js_corr 'assert d["after"]["value"] is None, d'
nrows() { sqlite3 "$DB" "SELECT (SELECT count(*) FROM corrections) || ' ' || (SELECT count(*) FROM audit_log)"; }
before=$(nrows)
# zy may not correct 金水区's value: 403, and nothing is written.
err zy_corr_other POST /api/corrections 403 out_of_scope "$ZYT" "{\"site\": \"1318A\", $C, \"value\": 1, \"why\": \"x\"}"
[ "$(nrows)" = "$before" ] || fail "a refused correction wrote a row: $before -> $(nrows)"
err zy_list_other GET "/api/corrections?site=1318A" 403 out_of_scope "$ZYT"
req zy_list GET /api/corrections 200 "$ZYT"
jq_ zy_list 'assert all(i["site"] in ("1316A","1317A") for i in d["items"]), d'
err boss_corr POST /api/corrections 403 forbidden "$BOSS" "{\"site\": \"1316A\", $C, \"value\": 1, \"why\": \"x\"}"
err enf_corr POST /api/corrections 403 forbidden "$ENF" "{\"site\": \"1316A\", $C, \"value\": 1, \"why\": \"x\"}"
err c_nosite POST /api/corrections 400 missing_field "$ZYT" "{$C, \"value\": 1, \"why\": \"x\"}"
err c_nowhy POST /api/corrections 400 missing_field "$ZYT" "{\"site\": \"1316A\", $C, \"value\": 1}"
err c_both POST /api/corrections 400 bad_field "$ZYT" "{\"site\": \"1316A\", $C, \"value\": 1, \"invalidate\": true, \"why\": \"x\"}"
err c_none POST /api/corrections 400 bad_field "$ZYT" "{\"site\": \"1316A\", $C, \"why\": \"x\"}"
err c_neg POST /api/corrections 400 bad_field "$ZYT" "{\"site\": \"1316A\", $C, \"value\": -1, \"why\": \"x\"}"
err c_str POST /api/corrections 400 bad_field "$ZYT" "{\"site\": \"1316A\", $C, \"value\": \"1\", \"why\": \"x\"}"
err c_inv POST /api/corrections 400 bad_field "$ZYT" "{\"site\": \"1316A\", $C, \"invalidate\": 1, \"why\": \"x\"}"
err c_poll POST /api/corrections 400 bad_field "$ZYT" '{"site": "1316A", "pollutant": "PM1", "time": "2019-01-01 08:00", "value": 1, "why": "x"}'
err c_time POST /api/corrections 400 bad_field "$ZYT" '{"site": "1316A", "pollutant": "SO2", "time": "2019-01-01 08:30", "value": 1, "why": "x"}'
err c_site POST /api/corrections 404 not_found "$ZYT" "{\"site\": \"9999Z\", $C, \"value\": 1, \"why\": \"x\"}"
err c_novalue POST /api/corrections 404 not_found "$ZYT" '{"site": "1316A", "pollutant": "SO2", "time": "2030-01-01 08:00", "value": 1, "why": "x"}'
err c_field POST /api/corrections 400 unknown_field "$ZYT" "{\"site\": \"1316A\", $C, \"value\": 1, \"why\": \"x\", \"who\": \"admin\"}"
err c_json POST /api/corrections 400 malformed_json "$ZYT" '{"site": "1316A",'
err c_big POST /api/corrections 413 body_too_large "$ZYT" "@$T/big.json"
[ "$(nrows)" = "$before" ] || fail "a refused correction wrote a row: $before -> $(nrows)"
req zy_corr POST /api/corrections 201 "$ZYT" "{\"site\": \"1316A\", $C, \"value\": 77, \"why\": \"人工复核\"}"
req zy_list2 GET "/api/corrections?site=1316A" 200 "$ZYT"
jq_ zy_list2 'i=d["items"][-1]; assert i["who"]=="zy" and i["new"]==77, i'

# ---- the audit log ----------------------------------------------------------------------------
# The CLI wrote rows too (imports, devices, users: tests/integration/http_edit.sh checks them):
# the corrections are the 3 newest rows, and the only ones with that action.
req audit GET /api/audit 200 "$ADM"
jq_ audit 'assert d["total"] > 3 and all(i["action"] == "correction" for i in d["items"][:3]), d["total"]'
AUDIT0=$(jq_ audit 'print(d["total"])')
req audit GET "/api/audit?action=correction" 200 "$ADM"
jq_ audit '
it=d["items"]; assert d["total"]==3 and len(it)==3, d
a=it[0]; assert a["user"]=="zy" and a["action"]=="correction" and a["object"]=="hourly/1316A/PM2.5/2019-01-01 08:00", a
assert a["after"]["value"]==77 and a["after"]["why"]=="人工复核" and "value" in a["before"], a
assert it[1]["user"]=="js" and it[1]["after"]["value"] is None, it[1]
assert it[2]["user"]=="admin" and it[2]["after"]["value"]==99.5, it[2]'
req audit_page GET "/api/audit?action=correction&limit=1&offset=1" 200 "$ADM"
jq_ audit_page 'assert d["total"]==3 and [i["user"] for i in d["items"]]==["js"], d'
err audit_zy GET /api/audit 403 forbidden "$ZYT"
err audit_ana GET /api/audit 403 forbidden "$ANA"
err audit_boss GET /api/audit 403 forbidden "$BOSS"
err audit_lim GET "/api/audit?limit=0" 400 bad_parameter "$ADM"
err audit_action GET "/api/audit?action=" 400 bad_parameter "$ADM"
err audit_field GET "/api/audit?who=zy" 400 unknown_parameter "$ADM"
python3 - "$DB" <<'PY' || fail "the audit log is not append-only"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for sql in ("UPDATE audit_log SET user = 'x'", "DELETE FROM audit_log"):
    try:
        db.execute(sql)
        sys.exit(1)
    except sqlite3.DatabaseError:
        pass
PY

# ---- POST /api/quarantine/{mn}/adopt ----------------------------------------------------------
# The server notes unknown MNs; here the rows are written the way lt_store_quarantine_note does.
now_ms=$(($(date +%s) * 1000))
sqlite3 "$DB" "INSERT INTO quarantine VALUES ('UNK0000000001', $((now_ms - 60000)), $now_ms, 42, '10.1.2.3:40000', 7)"
sqlite3 "$DB" "INSERT INTO quarantine VALUES ('UNK0000000002', $now_ms, $now_ms, 1, '10.1.2.4:40001', 8)"
nwrites() { sqlite3 "$DB" "SELECT (SELECT count(*) FROM audit_log) || ' ' || (SELECT count(*) FROM devices) || ' ' || (SELECT count(*) FROM quarantine) || ' ' || (SELECT count(*) FROM dust_days)"; }
before=$(nwrites)
QA=/api/quarantine/UNK0000000001/adopt
A='{"kind": "air", "site": "1317A"}'
err ad_ana POST $QA 403 forbidden "$ANA" "$A"
err ad_zy POST $QA 403 forbidden "$ZYT" "$A"
err ad_enf POST $QA 403 forbidden "$ENF" "$A"
err ad_kind POST $QA 400 bad_field "$ADM" '{"kind": "bus", "site": "1317A"}'
grep -q kind "$T/ad_kind" || fail "ad_kind does not name the field"
err ad_nokind POST $QA 400 missing_field "$ADM" '{"site": "1317A"}'
grep -q kind "$T/ad_nokind" || fail "ad_nokind does not name the field"
err ad_kindnum POST $QA 400 bad_field "$ADM" '{"kind": 1, "site": "1317A"}'
err ad_airnosite POST $QA 400 missing_field "$ADM" '{"kind": "air", "outlet": "ENT9-DA001"}'
grep -q site "$T/ad_airnosite" || fail "ad_airnosite does not name the field"
err ad_neither POST $QA 400 missing_field "$ADM" '{"kind": "air"}'
err ad_both POST $QA 400 bad_field "$ADM" '{"kind": "air", "site": "1317A", "outlet": "X"}'
err ad_sitebad POST $QA 400 bad_field "$ADM" '{"kind": "air", "site": "9999Z"}'
grep -q 'site' "$T/ad_sitebad" || fail "ad_sitebad does not name the field"
err ad_cemssite POST $QA 400 bad_field "$ADM" '{"kind": "cems", "site": "1317A"}'
err ad_airtype POST $QA 400 bad_field "$ADM" '{"kind": "air", "site": "1317A", "source_type": "cement_kiln"}'
err ad_type POST $QA 400 bad_field "$ADM" '{"kind": "cems", "outlet": "X", "source_type": "no_such_type"}'
grep -q source_type "$T/ad_type" || fail "ad_type does not name the field"
err ad_pwnum POST $QA 400 bad_field "$ADM" '{"kind": "cems", "outlet": "X", "pw": 5}'
err ad_pwlong POST $QA 400 bad_field "$ADM" '{"kind": "cems", "outlet": "X", "pw": "0123456789abcdefg"}'
err ad_field POST $QA 400 unknown_field "$ADM" '{"kind": "air", "site": "1317A", "crc": "any"}'
err ad_json POST $QA 400 malformed_json "$ADM" '{"kind": '
err ad_empty POST $QA 400 malformed_json "$ADM"
err ad_big POST $QA 413 body_too_large "$ADM" "@$T/big.json"
err ad_query POST "$QA?x=1" 400 unknown_parameter "$ADM" "$A"
err ad_unknown POST /api/quarantine/NOSUCHMN/adopt 404 not_found "$ADM" "$A"
err ad_device POST /api/quarantine/AIR00000000001/adopt 404 not_found "$ADM" "$A"
err ad_get GET $QA 404 not_found "$ADM"
err ad_nl POST $QA 401 login_required "" "$A"
[ "$(nwrites)" = "$before" ] || fail "a refused adopt wrote: $before -> $(nwrites)"
req ad_ok POST $QA 201 "$ADM" '{"kind": "air", "site": "1317A", "pw": "secret-pw-12"}'
jq_ ad_ok 'x=d["device"]; assert x["mn"]=="UNK0000000001" and x["kind"]=="air" and x["site"]=="1317A" and x["outlet"] is None and x["password_set"] is True and x["enabled"] is True and "pw" not in x, d
assert d["was"]["frames"]==42 and d["was"]["last_peer"]=="10.1.2.3:40000", d'
! grep -q secret-pw "$T/ad_ok" || fail "the answer shows the password"
req ad_ok2 POST /api/quarantine/UNK0000000002/adopt 201 "$ADM" '{"kind": "cems", "outlet": "ENT2-DA001", "source_type": "cement_kiln"}'
jq_ ad_ok2 'x=d["device"]; assert x["outlet"]=="ENT2-DA001" and x["source_type"]=="cement_kiln" and x["password_set"] is False, d'
err ad_again POST $QA 404 not_found "$ADM" "$A"
"$LANTIAN" device list --db "$DB" --format csv > "$T/devs.csv" || fail "device list"
grep -q '^UNK0000000001,air,1317A,' "$T/devs.csv" || { cat "$T/devs.csv" >&2; fail "adopted air device not in device list"; }
grep -q '^UNK0000000002,cems,.*ENT2-DA001' "$T/devs.csv" || { cat "$T/devs.csv" >&2; fail "adopted cems device not in device list"; }
"$LANTIAN" device quarantine --db "$DB" --format csv > "$T/quar.csv" || fail "device quarantine"
! grep -q UNK000000000 "$T/quar.csv" || fail "adopted MNs still in quarantine"
[ "$(sqlite3 "$DB" "SELECT pw FROM devices WHERE mn = 'UNK0000000001'")" = secret-pw-12 ] || fail "pw not stored"

# ---- POST /api/dust ----------------------------------------------------------------------------
before=$(nwrites)
DZ='{"area": "中原区", "from": "2019-01-01", "to": "2019-01-03"}'
err du_boss POST /api/dust 403 forbidden "$BOSS" "$DZ"
err du_enf POST /api/dust 403 forbidden "$ENF" "$DZ"
err du_zy_other POST /api/dust 403 out_of_scope "$ZYT" '{"area": "金水区", "from": "2019-01-01", "to": "2019-01-03"}'
err du_zy_city POST /api/dust 403 out_of_scope "$ZYT" '{"area": "郑州", "from": "2019-01-01", "to": "2019-01-03"}'
err du_zy_unknown POST /api/dust 403 out_of_scope "$ZYT" '{"area": "无此区", "from": "2019-01-01", "to": "2019-01-03"}'
err du_noarea POST /api/dust 400 missing_field "$ZYT" '{"from": "2019-01-01", "to": "2019-01-03"}'
grep -q area "$T/du_noarea" || fail "du_noarea does not name the field"
err du_area_empty POST /api/dust 400 bad_field "$ZYT" '{"area": "", "from": "2019-01-01", "to": "2019-01-03"}'
err du_noto POST /api/dust 400 missing_field "$ZYT" '{"area": "中原区", "from": "2019-01-01"}'
err du_from POST /api/dust 400 bad_field "$ZYT" '{"area": "中原区", "from": "2019-13-01", "to": "2019-01-03"}'
grep -q from "$T/du_from" || fail "du_from does not name the field"
err du_fromnum POST /api/dust 400 bad_field "$ZYT" '{"area": "中原区", "from": 20190101, "to": "2019-01-03"}'
err du_rev POST /api/dust 400 bad_field "$ZYT" '{"area": "中原区", "from": "2019-01-05", "to": "2019-01-01"}'
err du_long POST /api/dust 400 bad_field "$ADM" '{"area": "中原区", "from": "2019-01-01", "to": "2020-01-02"}'
err du_clear POST /api/dust 400 bad_field "$ZYT" '{"area": "中原区", "from": "2019-01-01", "to": "2019-01-03", "clear": "yes"}'
err du_field POST /api/dust 400 unknown_field "$ZYT" '{"area": "中原区", "from": "2019-01-01", "to": "2019-01-03", "on": true}'
err du_json POST /api/dust 400 malformed_json "$ZYT" '{"area": "中原区",}'
err du_big POST /api/dust 413 body_too_large "$ZYT" "@$T/big.json"
err du_nl POST /api/dust 401 login_required "" "$DZ"
[ "$(nwrites)" = "$before" ] || fail "a refused dust request wrote: $before -> $(nwrites)"
req du_zy POST /api/dust 201 "$ZYT" "$DZ"
jq_ du_zy 'assert d["days"]==3 and d["before"]["flags"]=="000" and d["after"]["flags"]=="111" and d["after"]["flagged"]==3 and d["after"]["area"]=="中原区", d'
req du_ana POST /api/dust 201 "$ANA" '{"area": "郑州", "from": "2019-01-02", "to": "2019-01-02", "clear": false}'
req du_clr POST /api/dust 201 "$ADM" '{"area": "中原区", "from": "2019-01-03", "to": "2019-01-04", "clear": true}'
jq_ du_clr 'assert d["clear"] is True and d["before"]["flags"]=="10" and d["after"]["flags"]=="00", d'
req du_year POST /api/dust 201 "$ADM" '{"area": "金水区", "from": "2019-01-01", "to": "2020-01-01", "clear": true}'
jq_ du_year 'assert d["days"]==366 and len(d["after"]["flags"])==366, d'
"$LANTIAN" dust --db "$DB" --list --format csv > "$T/dust.csv" || fail "dust --list"
[ "$(grep -c . "$T/dust.csv")" = 4 ] || { cat "$T/dust.csv" >&2; fail "dust --list rows"; }
grep -q '^中原区,2019-01-01$' "$T/dust.csv" && grep -q '^中原区,2019-01-02$' "$T/dust.csv" &&
    grep -q '^郑州,2019-01-02$' "$T/dust.csv" || { cat "$T/dust.csv" >&2; fail "dust --list content"; }

# The audit rows of both endpoints.
req audit2 GET "/api/audit?limit=8" 200 "$ADM"
jq_ audit2 '
it=d["items"]; assert d["total"]==int(sys.argv[2])+6, (d["total"], sys.argv[2])
y=it[0]; assert y["action"]=="dust_clear" and y["user"]=="admin" and y["object"]=="dust/金水区/2019-01-01:2020-01-01", y
c=it[1]; assert c["action"]=="dust_clear" and c["before"]["flags"]=="10" and c["after"]["flags"]=="00", c
a=it[2]; assert a["user"]=="ana" and a["action"]=="dust_set" and a["after"]["area"]=="郑州" and a["after"]["flags"]=="1" and a["before"]["flags"]=="0", a
z=it[3]; assert z["user"]=="zy" and z["action"]=="dust_set" and z["object"]=="dust/中原区/2019-01-01:2019-01-03", z
assert z["before"]["flagged"]==0 and z["after"]["flags"]=="111" and z["after"]["from"]=="2019-01-01" and z["after"]["to"]=="2019-01-03", z
k=it[4]; assert k["action"]=="quarantine_adopt" and k["object"]=="device/UNK0000000002" and k["after"]["source_type"]=="cement_kiln", k
q=it[5]; assert q["user"]=="admin" and q["action"]=="quarantine_adopt" and q["object"]=="device/UNK0000000001", q
assert q["before"]["mn"]=="UNK0000000001" and q["before"]["frames"]==42 and q["before"]["last_raw_id"]==7, q
assert q["after"]["kind"]=="air" and q["after"]["site"]=="1317A" and q["after"]["password_set"] is True and "pw" not in q["after"], q
assert it[6]["action"]=="correction", it[6]' "$AUDIT0"
! grep -q secret-pw "$T/audit2" || fail "the audit log shows the password"

# ---- the IP limit: 20 failures from one address, whatever the names ---------------------------
n=0
for i in $(seq 30); do
    st=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d "{\"name\": \"u$i\", \"password\": \"x\"}" "$B/api/login")
    [ "$st" = 429 ] && break
    [ "$st" = 401 ] || fail "IP limit: status $st"
    n=$((n + 1))
done
[ "$st" = 429 ] || fail "no 429 after 30 failures from one address"
[ "$n" -le 20 ] || fail "IP limit after $n failures"

kill -TERM "$SPID"
wait "$SPID" || fail "api exit status $?"
SPID=
echo "http_auth: ok"

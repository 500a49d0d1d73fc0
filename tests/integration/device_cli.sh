#!/usr/bin/env bash
# lantian device: register air and CEMS devices, refuse bad kinds and unknown sites, map factors,
# list the quarantine and adopt from it (and refuse an MN not in it), device health with
# completeness, exceedances; every listing in three formats.
set -euo pipefail

: "${LANTIAN:?path of the lantian binary}"
: "${LT_TMP:?temp dir}"
command -v sqlite3 >/dev/null || { echo "device_cli.sh: sqlite3 CLI required"; exit 1; }

W="$LT_TMP/device_cli.$$"
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
DB="$W/t.db"
fail() { echo "FAIL: $*" >&2; [ -f "$W/out" ] && cat "$W/out" >&2; [ -f "$W/err" ] && cat "$W/err" >&2; exit 1; }
q() { sqlite3 "$DB" "$1"; }
status() { set +e; "$@" >"$W/out" 2>"$W/err"; echo $? >"$W/rc"; set -e; cat "$W/rc"; }
D() { "$LANTIAN" device "$@"; }

cat >"$W/sites.csv" <<'EOF'
code,name,city,county,province,lon,lat,eval,valid_from,valid_to
1316A,银行学校,郑州市,,河南省,113.6,34.7,Y,,
EOF
"$LANTIAN" import sites --db "$DB" "$W/sites.csv" >/dev/null

# ---- help and command-line errors -------------------------------------------------------------
"$LANTIAN" help | grep -q '^  device ' || fail "device not in lantian help"
"$LANTIAN" device --help | grep -q -- 'quarantine' || fail "device --help"
[ "$(status D)" = 2 ] || fail "no subcommand"
[ "$(status D frobnicate --db "$DB")" = 2 ] || fail "unknown subcommand"
grep -q "unknown subcommand 'frobnicate'" "$W/err" || fail "unknown subcommand message"
[ "$(status D list)" = 2 ] || fail "--db is required"
[ "$(status D list --db "$DB" --mn X)" = 2 ] || fail "list takes no --mn"

# ---- add ----------------------------------------------------------------------------------------
[ "$(status D add --db "$DB" --mn AIR0001 --kind air --site 9999A)" = 2 ] || fail "unknown site accepted"
grep -q "unknown site '9999A'" "$W/err" || fail "unknown site message"
[ "$(status D add --db "$DB" --mn AIR0001 --kind boiler --site 1316A)" = 2 ] || fail "bad kind accepted"
grep -q "unknown --kind 'boiler'" "$W/err" || fail "bad kind message"
[ "$(status D add --db "$DB" --mn AIR0001 --kind air --outlet ENT1-DA001)" = 2 ] || fail "air device with an outlet"
[ "$(status D add --db "$DB" --mn C1 --kind cems --site 1316A)" = 2 ] || fail "cems device with a site"
[ "$(status D add --db "$DB" --mn C1 --kind cems --outlet O --site 1316A)" = 2 ] || fail "both site and outlet"
[ "$(status D add --db "$DB" --mn C1 --kind cems --outlet O --crc bogus)" = 2 ] || fail "bad --crc"
[ "$(q 'SELECT count(*) FROM devices')" = 0 ] || fail "a refused device was stored"

[ "$(status D add --db "$DB" --mn AIR0001 --kind air --site 1316A --pw 123456)" = 0 ] || fail "add air"
grep -q "device AIR0001 added: air, site 1316A, CRC std, password checked" "$W/out" || fail "add output"
[ "$(status D add --db "$DB" --mn CEMS0001 --kind cems --outlet ENT1-DA001 --crc modbus,modbus-le)" = 0 ] || fail "add cems"
grep -q "CRC std,modbus,modbus-le" "$W/out" || fail "crc list"
[ "$(status D add --db "$DB" --mn CEMS0001 --kind cems --outlet ENT1-DA001)" = 2 ] || fail "duplicate add"
grep -q "registered already" "$W/err" || fail "duplicate message"

# ---- list ---------------------------------------------------------------------------------------
[ "$(status D list --db "$DB")" = 0 ] || fail "list"
grep -q "AIR0001" "$W/out" && grep -q "ENT1-DA001" "$W/out" || fail "list table"
grep -q "123456" "$W/out" && fail "the password must not be listed"
D list --db "$DB" --format csv >"$W/list.csv"
[ "$(head -1 "$W/list.csv")" = "mn,kind,site,outlet,source_type,crc,pw_check,enabled,created" ] || fail "csv header"
grep -q '^CEMS0001,cems,,ENT1-DA001,,"std,modbus,modbus-le",false,true,' "$W/list.csv" || fail "csv row"
D list --db "$DB" --format json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert [r["mn"] for r in rows] == ["AIR0001", "CEMS0001"], rows
assert rows[0]["site"] == "1316A" and rows[0]["pw_check"] is True, rows[0]
' || fail "json list"
[ "$(status D list --db "$DB" --format xml)" = 2 ] || fail "bad --format"

# ---- source types: checked against the emission limits (built-in, or --limits-file) ------------
[ "$(status D add --db "$DB" --mn KILN1 --kind cems --outlet ENT3-DA001 --source-type cement_klin)" = 2 ] \
    || fail "unknown source type accepted"
grep -q "unknown --source-type 'cement_klin'" "$W/err" && grep -q "cement_kiln" "$W/err" \
    || fail "unknown source type message (with the known types)"
[ "$(status D add --db "$DB" --mn AIR0002 --kind air --site 1316A --source-type cement_kiln)" = 2 ] \
    || fail "air device with a source type"
[ "$(status D add --db "$DB" --mn KILN1 --kind cems --outlet ENT3-DA001 --limits-file /dev/null)" = 2 ] \
    || fail "--limits-file without --source-type"
[ "$(q "SELECT count(*) FROM devices WHERE mn IN ('KILN1', 'AIR0002')")" = 0 ] || fail "a refused device was stored"
[ "$(status D add --db "$DB" --mn KILN1 --kind cems --outlet ENT3-DA001 --source-type cement_kiln)" = 0 ] \
    || fail "add with a source type"
grep -q "device KILN1 added: cems, outlet ENT3-DA001, source type cement_kiln" "$W/out" || fail "add output (type)"
printf '[my-kilns]\ntype = lime_kiln\no2_ref = 10\nsource = test\nPM = 20\n' >"$W/lim.ini"
[ "$(status D add --db "$DB" --mn KILN2 --kind cems --outlet ENT3-DA002 --source-type lime_kiln)" = 2 ] \
    || fail "lime_kiln is not a built-in type"
[ "$(status D add --db "$DB" --mn KILN2 --kind cems --outlet ENT3-DA002 --source-type lime_kiln --limits-file "$W/lim.ini")" = 0 ] \
    || fail "a type of --limits-file"
D list --db "$DB" --format csv >"$W/list.csv"
grep -q '^KILN1,cems,,ENT3-DA001,cement_kiln,std,false,true,' "$W/list.csv" || { cat "$W/list.csv"; fail "source type listed"; }
grep -q '^KILN2,cems,,ENT3-DA002,lime_kiln,std,false,true,' "$W/list.csv" || fail "source type of --limits-file listed"

# ---- map ----------------------------------------------------------------------------------------
[ "$(status D map --db "$DB" --mn AIR0001 --code a34004 --pollutant PM2.5)" = 0 ] || fail "map"
grep -q "a34004 -> PM2.5, x 1" "$W/out" || fail "map output"
[ "$(status D map --db "$DB" --mn AIR0001 --code a21005 --pollutant CO --unit ug/m3 --scale 0.001)" = 0 ] || fail "map scale"
[ "$(status D map --db "$DB" --mn AIR0001 --code a34004 --pollutant PM2.5 --unit mg/m3 --scale 1000)" = 0 ] || fail "remap"
[ "$(status D map --db "$DB" --mn NOPE --code a34004)" = 2 ] || fail "map of unknown device"
[ "$(status D map --db "$DB" --mn CEMS0001 --code a21026 --pollutant SO2)" = 2 ] || fail "pollutant on cems"
[ "$(status D map --db "$DB" --mn AIR0001 --code a34002 --pollutant PM9)" = 2 ] || fail "bad pollutant"
[ "$(status D map --db "$DB" --mn AIR0001 --code a34002 --scale 0)" = 2 ] || fail "scale 0"
[ "$(status D map --db "$DB" --mn CEMS0001 --code a21026)" = 0 ] || fail "cems map without pollutant"
D map --db "$DB" --mn AIR0001 --format csv >"$W/map.csv"
grep -q '^AIR0001,a34004,PM2.5,mg/m3,1000.000000$' "$W/map.csv" || { cat "$W/map.csv"; fail "map list"; }
grep -q '^AIR0001,a21005,CO,ug/m3,0.001000$' "$W/map.csv" || { cat "$W/map.csv"; fail "map list CO"; }
[ "$(q "SELECT scale FROM device_factors WHERE mn = 'AIR0001' AND code = 'a34004'")" = 1000.0 ] || fail "scale stored"

# ---- quarantine and adopt -----------------------------------------------------------------------
# The server notes unknown MNs; here the rows are written the way lt_store_quarantine_note does.
t1=$(( $(date -u -d '2024-03-01 00:10:00' +%s) * 1000 ))
t2=$(( $(date -u -d '2024-03-01 02:20:00' +%s) * 1000 ))
q "INSERT INTO quarantine VALUES ('UNK0001', $t1, $t2, 42, '10.1.2.3:40000', 7)"
q "INSERT INTO quarantine VALUES ('UNK0002', $t1, $t1, 1, '10.1.2.4:40001', 8)"
[ "$(status D quarantine --db "$DB")" = 0 ] || fail "quarantine"
grep -q "UNK0001" "$W/out" || fail "quarantine table"
D quarantine --db "$DB" --format csv >"$W/q.csv"
grep -q '^UNK0001,2024-03-01 08:10:00,2024-03-01 10:20:00,42,10.1.2.3:40000,7$' "$W/q.csv" \
    || { cat "$W/q.csv"; fail "quarantine csv (Beijing time)"; }
[ "$(status D adopt --db "$DB" --mn NOTSEEN --kind cems --outlet ENT2-DA001)" = 2 ] || fail "adopt of an MN not in quarantine"
grep -q "not in quarantine" "$W/err" || fail "adopt message"
[ "$(status D adopt --db "$DB" --mn UNK0001 --kind air --site 9999A)" = 2 ] || fail "adopt with unknown site"
[ "$(q "SELECT count(*) FROM quarantine WHERE mn = 'UNK0001'")" = 1 ] || fail "failed adopt dropped the entry"
[ "$(status D adopt --db "$DB" --mn UNK0001 --kind cems --outlet ENT2-DA001 --pw abc --source-type gas_boyler)" = 2 ] \
    || fail "adopt with an unknown source type"
[ "$(q "SELECT count(*) FROM quarantine WHERE mn = 'UNK0001'")" = 1 ] || fail "refused adopt dropped the entry"
[ "$(status D adopt --db "$DB" --mn UNK0001 --kind cems --outlet ENT2-DA001 --pw abc --source-type gas_boiler)" = 0 ] || fail "adopt"
grep -q "device UNK0001 adopted from quarantine: cems, outlet ENT2-DA001, source type gas_boiler" "$W/out" || fail "adopt output"
[ "$(q "SELECT source_type FROM devices WHERE mn = 'UNK0001'")" = "gas_boiler" ] || fail "adopted source type"
[ "$(q "SELECT count(*) FROM quarantine WHERE mn = 'UNK0001'")" = 0 ] || fail "entry kept after adopt"
[ "$(q "SELECT kind || ' ' || outlet FROM devices WHERE mn = 'UNK0001'")" = "cems ENT2-DA001" ] || fail "adopted device"
# add of a quarantined MN adopts it too.
[ "$(status D add --db "$DB" --mn UNK0002 --kind dust --outlet SITE9)" = 0 ] || fail "add quarantined"
grep -q "was in quarantine" "$W/out" || fail "add quarantined output"
[ "$(q 'SELECT count(*) FROM quarantine')" = 0 ] || fail "quarantine not emptied"

# ---- health -------------------------------------------------------------------------------------
# Hours start at 2024-03-01 00:00 and 01:00 Beijing (UTC 16:00 and 17:00 the day before).
h0=$(date -u -d '2024-02-29 16:00:00' +%s)
h1=$(( h0 + 3600 ))
q "INSERT INTO device_health (mn, hour, frames, vals, e6, e7, last_ms, last_peer) VALUES
   ('CEMS0001', $h0, 60, 240, 2, 1, $(( h0 * 1000 + 5000 )), '10.0.0.1:1'),
   ('CEMS0001', $h1, 58, 232, 0, 0, $(( h1 * 1000 + 5000 )), '10.0.0.1:1'),
   ('AIR0001', $h0, 12, 72, 0, 0, $(( h0 * 1000 )), '10.0.0.2:2')"
[ "$(status D health --db "$DB" --mn CEMS0001 --from 2024-03-01 --to 2024-03-01)" = 0 ] || fail "health"
grep -q "crc:2 syntax:1" "$W/out" || fail "health reasons"
D health --db "$DB" --mn CEMS0001 --from 2024-03-01 --to 2024-03-01 --summary --format csv >"$W/h.csv"
# 2 hours with data of 24: 8.3 %.
grep -q '^CEMS0001,2,24,8.3,118,3,2024-03-01 01:00:05,10.0.0.1:1,0$' "$W/h.csv" || { cat "$W/h.csv"; fail "completeness over the range"; }
D health --db "$DB" --summary --format csv >"$W/h2.csv"
grep -q '^CEMS0001,2,2,100.0,118,3,2024-03-01 01:00:05,10.0.0.1:1,0$' "$W/h2.csv" || { cat "$W/h2.csv"; fail "completeness first..last"; }
grep -q '^AIR0001,1,1,100.0,12,0,2024-03-01 00:00:00,10.0.0.2:2,0$' "$W/h2.csv" \
    || { cat "$W/h2.csv"; fail "all devices"; }
# Frames today: an hour of the current Beijing day counts, the 2024 hours do not.
now=$(date -u +%s)
hnow=$(( now - now % 3600 ))
q "INSERT INTO device_health (mn, hour, frames, vals, last_ms, last_peer) VALUES
   ('AIR0001', $hnow, 7, 42, $(( now * 1000 )), '10.0.0.2:3')"
D health --db "$DB" --mn AIR0001 --summary --format csv >"$W/h5.csv"
grep -q ',10.0.0.2:3,7$' "$W/h5.csv" || { cat "$W/h5.csv"; fail "frames today / last seen"; }
D health --db "$DB" --mn CEMS0001 --format csv >"$W/h3.csv"
grep -q '^CEMS0001,2024-03-01 00:00:00,60,240,3,crc:2 syntax:1,10.0.0.1:1$' "$W/h3.csv" \
    || { cat "$W/h3.csv"; fail "hourly csv"; }
D health --db "$DB" --mn CEMS0001 --from 2024-03-02 --to 2024-03-02 --summary --format csv >"$W/h4.csv"
[ "$(wc -l <"$W/h4.csv")" = 1 ] || fail "no hours in another range"
[ "$(status D health --db "$DB" --from 2024-03-02)" = 2 ] || fail "--from without --to"
[ "$(status D health --db "$DB" --from 2024-03-02 --to 2024-03-01)" = 2 ] || fail "reversed range"

# ---- exceedances --------------------------------------------------------------------------------
[ "$(status D exceedances --db "$DB")" = 0 ] || fail "empty exceedances"
q "INSERT INTO exceedances (mn, outlet, factor, data_time, measured, o2, o2_ref, corrected,
   limit_value, flag, rule, detected_ms) VALUES ('CEMS0001', 'ENT1-DA001', 'a21026', $h0, 40, 12, 9,
   53.3333333333333, 35, 'N', 'coal-boiler', $(( h0 * 1000 + 3600000 )))"
D exceedances --db "$DB" --mn CEMS0001 --format csv >"$W/x.csv"
grep -q '^1,CEMS0001,ENT1-DA001,a21026,2024-03-01 00:00:00,40.000,12.000,9.000,53.333,35.000,N,coal-boiler,2024-03-01 01:00:00$' "$W/x.csv" \
    || { cat "$W/x.csv"; fail "exceedance csv"; }
D exceedances --db "$DB" --mn AIR0001 --format json | python3 -c '
import json, sys
assert json.load(sys.stdin) == []
' || fail "exceedances of another device"
[ "$(status D exceedances --db "$DB" --kind air)" = 2 ] || fail "exceedances takes no --kind"

# ---- values: what a device sent, as stored ------------------------------------------------------
[ "$(status D values --db "$DB" --from 2024-03-01 --to 2024-03-01)" = 2 ] || fail "values without --mn"
grep -q "values needs --mn MN" "$W/err" || fail "values --mn message"
[ "$(status D values --db "$DB" --mn CEMS0001 --from 2024-01-01 --to 2024-03-01)" = 2 ] \
    || fail "values over 31 days"
grep -q "at most 31 days" "$W/err" || fail "values range message"
[ "$(status D values --db "$DB" --mn CEMS0001 --from 2024-03-01 --to 2024-03-01 --cn 9014)" = 2 ] \
    || fail "values --cn 9014"
grep -q "'9014' is not" "$W/err" || fail "values --cn message"
[ "$(status D values --db "$DB" --mn CEMS0001 --from 2024-03-01 --to 2024-03-01 --kind air)" = 2 ] \
    || fail "values takes no --kind"
D values --db "$DB" --mn CEMS0001 --from 2024-03-01 --to 2024-03-01 --format json >"$W/v.json"
python3 -c 'import json, sys; assert json.load(open(sys.argv[1])) == []' "$W/v.json" \
    || fail "values of a device that sent nothing"

echo "device_cli: ok"

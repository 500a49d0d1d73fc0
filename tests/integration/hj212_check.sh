#!/usr/bin/env bash
# lantian hj212 check: the 91 shared vectors and one real capture hour through the CLI as byte
# streams; the counts are checked against an independent reading of the same bytes (Python,
# HJ 212-2017 Appendix A CRC written out bit by bit).
set -euo pipefail
: "${LANTIAN:?}" "${LT_SHARED:?}" "${LT_TMP:=/tmp}"
mkdir -p "$LT_TMP"
t=$LT_TMP/hj212_check.$$
trap 'rm -f "$t".*' EXIT
fail() { echo "hj212_check: $*" >&2; exit 1; }

# 1. Vectors, concatenated into one stream (the glued pair and the junk resync included).
python3 - "$LT_SHARED/data/hj212/vectors.jsonl" > "$t.vec" <<'PY'
import json, sys
out = sys.stdout.buffer
for line in open(sys.argv[1], encoding="utf-8"):
    out.write(json.loads(line)["raw"].encode("utf-8"))
PY
set +e
"$LANTIAN" hj212 check --format json < "$t.vec" > "$t.json" 2> "$t.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "exit status $rc on the vectors, want 1 (some are invalid)"
python3 - "$t.json" <<'PY' || exit 1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ok = [r for r in rows if r["valid"]]
# Every byte is covered exactly once, in order.
pos = 0
for r in rows:
    assert r["offset"] == pos, (r, pos)
    pos += r["length"]
first = ok[0]
assert first["offset"] == 0 and first["cn"] == "1062" and first["version"] == 2017, first
assert first["kv"] == {"RtdInterval": "30"}, first
air = [r for r in ok if r["mn"] == "010000A8900016F000169DC0" and r["cn"] == "2011"
       and r["version"] == 2025 and r["st"] == "22"]
assert len(air) == 1, air
a = air[0]
assert a["items"]["a34004"] == {"Rtd": 35.2, "Flag": "N"}, a["items"]
assert a["data_time"] == "2026-03-01 08:00:00" and a["class"] == "data", a
assert a["flag"] == 9, a
# All 68 valid vectors are accepted in the stream, plus the two glued frames of vector 82.
assert len(ok) == 70, len(ok)
# Structured rejects with a reason and a message.
bad = [r for r in rows if not r["valid"]]
assert all(r["reason"] and r["message"] for r in bad), bad
print("vectors: %d frames, %d rejected chunks" % (len(ok), len(bad)))
PY

# 2. One real capture hour: frames and rejects against Python's reading of the CR LF lines.
zcat "$LT_SHARED/data/hj212/real-2016-08-24/2016-08-24_05.h212.gz" > "$t.h212"
set +e
"$LANTIAN" hj212 check --format json < "$t.h212" > "$t.real" 2> "$t.err"
rc=$?
set -e
[ $rc -le 1 ] || fail "exit status $rc on the capture"
python3 - "$t.h212" "$t.real" <<'PY' || exit 1
import json, re, sys
data = open(sys.argv[1], "rb").read()
def crc(b):
    r = 0xFFFF
    for x in b:
        r = (r >> 8) ^ x
        for _ in range(8):
            lsb = r & 1
            r >>= 1
            if lsb:
                r ^= 0xA001
    return r
want = 0
for ln in data.split(b"\r\n"):
    m = re.match(rb"##(\d{4})(.*)([0-9A-Fa-f]{4})$", ln, re.S)
    if m and int(m.group(1)) == len(m.group(2)) and int(m.group(3), 16) == crc(m.group(2)):
        want += 1
rows = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
ok = [r for r in rows if r["valid"]]
syntax = [r for r in rows if not r["valid"] and r["reason"] == "syntax"]
assert len(ok) + len(syntax) == want, (len(ok), len(syntax), want)
assert sum(r["length"] for r in rows) == len(data)
v = [r for r in ok if r["cn"] == "2011" and r["st"] == "31"]
assert v and all(r["version"] == 2005 for r in v)
print("capture 05h: %d frames (python: %d CRC-valid lines), %d rejected chunks"
      % (len(ok), want, len(rows) - len(ok)))
PY
# 3. Text format and --crc any on a Modbus-CRC vector.
printf '##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n' \
    | "$LANTIAN" hj212 check | grep -q '^ok     @0 2017 ST=32 CN=1062' || fail "text format"
python3 -c 'import json,sys; sys.stdout.buffer.write(json.loads(open(sys.argv[1]).readlines()[60])["raw"].encode())' \
    "$LT_SHARED/data/hj212/vectors.jsonl" > "$t.mb"
"$LANTIAN" hj212 check --crc std < "$t.mb" > /dev/null 2>&1 && fail "a Modbus CRC passed --crc std"
"$LANTIAN" hj212 check --crc any --format json < "$t.mb" 2>/dev/null | grep -q '"crc":"modbus"' \
    || fail "--crc any did not accept the Modbus CRC"
"$LANTIAN" hj212 check --crc bogus < /dev/null > /dev/null 2>&1 && fail "bad --crc accepted"
echo "hj212_check: ok"

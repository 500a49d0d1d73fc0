#!/usr/bin/env bash
# Real-data acceptance of `lantian aqi verify` (docs/AQI-REALDATA.md explains every count).
#
# Runs lantian's hourly AQI over the real CNEMC files in the shared data set and asserts every
# count of the summary exactly: the exact matches, each mismatch class, and how CNEMC published
# hours with missing ("NA") or not-monitored ("/") pollutants. Any change of a count -- a
# regression in src/aq/aqi.c, in the reader src/io/cnemc.c or in the classification of
# src/cli/cmd_aqi.c -- fails the test and shows the difference.
#
# Environment (set by tests/CMakeLists.txt): LANTIAN (the binary), LT_SHARED (the shared data),
# LT_TMP (scratch directory).
set -u
: "${LANTIAN:?LANTIAN must name the lantian binary}"
: "${LT_SHARED:?LT_SHARED must name the shared directory}"
TMP=${LT_TMP:-/tmp}/aqi_realdata.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
D=$LT_SHARED/data/cnemc
fail=0

# check NAME EXPECTED-STATUS -- lantian arguments...; expected "key count" lines on stdin.
check() {
    local name=$1 want_rc=$2
    shift 3
    cat > "$TMP/$name.want"
    "$LANTIAN" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err"
    local rc=$?
    awk '!/^#/ && !/^MISMATCH/ {print $1, $2}' "$TMP/$name.out" > "$TMP/$name.got"
    if [ "$rc" -ne "$want_rc" ]; then
        echo "FAIL $name: exit status $rc, want $want_rc"; cat "$TMP/$name.err"; fail=1
    fi
    if ! diff -u "$TMP/$name.want" "$TMP/$name.got"; then
        echo "FAIL $name: counts differ (- expected, + got)"; fail=1
    else
        echo "ok   $name"
    fi
}

shopt -s nullglob
henan=("$D"/henan-2019/china_sites_2019*.csv.gz)
national=("$D"/national-2019-01/china_sites_201901*.csv.gz)
h2026=("$D"/hourly-2026/*.csv)
h2026_post=("$D"/hourly-2026/2026-03-*.csv "$D"/hourly-2026/2026-04-*.csv "$D"/hourly-2026/2026-05-*.csv)
[ ${#henan[@]} -eq 364 ] || { echo "FAIL: want 364 Henan 2019 files, found ${#henan[@]}"; exit 1; }
[ ${#national[@]} -eq 31 ] || { echo "FAIL: want 31 national 2019-01 files, found ${#national[@]}"; exit 1; }
[ ${#h2026[@]} -eq 8 ] || { echo "FAIL: want 8 hourly-2026 files, found ${#h2026[@]}"; exit 1; }
[ ${#h2026_post[@]} -eq 6 ] || { echo "FAIL: want 6 post-2026-03-01 files, found ${#h2026_post[@]}"; exit 1; }

# Henan 2019 (HJ 633-2012): every station-hour with all six 1-h values is reproduced exactly.
check henan-2019 0 -- aqi verify "${henan[@]}" <<'END'
2012.hours 717425
2012.absent 166
2012.absent.published 93
2012.empty 100591
2012.empty.published 0
2012.full.compared 564762
2012.full.exact 564762
2012.full.mismatch.so2_gt_800 0
2012.full.mismatch.minus1 0
2012.full.mismatch.plus1 0
2012.full.mismatch.other 0
2012.full.unpublished 0
2012.nm.compared 0
2012.nm.exact 0
2012.nm.mismatch.so2_gt_800 0
2012.nm.mismatch.minus1 0
2012.nm.mismatch.plus1 0
2012.nm.mismatch.other 0
2012.nm.unpublished 0
2012.pm10only.gt100.published 11170
2012.pm10only.gt100.published_equal 11170
2012.pm10only.gt100.na 1265
2012.pm10only.le100.published 5198
2012.pm10only.le100.published_equal 5198
2012.pm10only.le100.na 2005
2012.missing.gt100.published 7731
2012.missing.gt100.published_equal 7731
2012.missing.gt100.na 294
2012.missing.le100.published 18037
2012.missing.le100.published_equal 18037
2012.missing.le100.na 6206
2012.missing.with_nm 0
2012.agree 606898
2012.present 616668
rejected 0
END

# National, January 2019: one mismatch, 2647A 2019-01-09 13:00 (SO2 915): CNEMC published 200,
# the HJ 633-2012 text reports the SO2 24-h IAQI (lantian 152).
check national-2019-01 0 -- aqi verify "${national[@]}" <<'END'
2012.hours 1194120
2012.absent 0
2012.absent.published 0
2012.empty 120351
2012.empty.published 0
2012.full.compared 922311
2012.full.exact 922310
2012.full.mismatch.so2_gt_800 1
2012.full.mismatch.minus1 0
2012.full.mismatch.plus1 0
2012.full.mismatch.other 0
2012.full.unpublished 0
2012.nm.compared 0
2012.nm.exact 0
2012.nm.mismatch.so2_gt_800 0
2012.nm.mismatch.minus1 0
2012.nm.mismatch.plus1 0
2012.nm.mismatch.other 0
2012.nm.unpublished 0
2012.pm10only.gt100.published 42437
2012.pm10only.gt100.published_equal 42437
2012.pm10only.gt100.na 3466
2012.pm10only.le100.published 57429
2012.pm10only.le100.published_equal 57429
2012.pm10only.le100.na 266
2012.missing.gt100.published 11791
2012.missing.gt100.published_equal 11791
2012.missing.gt100.na 546
2012.missing.le100.published 27498
2012.missing.le100.published_equal 27498
2012.missing.le100.na 8025
2012.missing.with_nm 0
2012.agree 1061465
2012.present 1073769
rejected 0
END

# The 2026 per-hour files, edition by date: 2 files before 2026-03-01 (HJ 633-2012), 6 after.
check hourly-2026-auto 0 -- aqi verify --edition auto "${h2026[@]}" <<'END'
2012.hours 3194
2012.absent 0
2012.absent.published 0
2012.empty 18
2012.empty.published 0
2012.full.compared 2724
2012.full.exact 2723
2012.full.mismatch.so2_gt_800 0
2012.full.mismatch.minus1 1
2012.full.mismatch.plus1 0
2012.full.mismatch.other 0
2012.full.unpublished 0
2012.nm.compared 170
2012.nm.exact 170
2012.nm.mismatch.so2_gt_800 0
2012.nm.mismatch.minus1 0
2012.nm.mismatch.plus1 0
2012.nm.mismatch.other 0
2012.nm.unpublished 0
2012.pm10only.gt100.published 16
2012.pm10only.gt100.published_equal 16
2012.pm10only.gt100.na 0
2012.pm10only.le100.published 230
2012.pm10only.le100.published_equal 230
2012.pm10only.le100.na 4
2012.missing.gt100.published 2
2012.missing.gt100.published_equal 2
2012.missing.gt100.na 0
2012.missing.le100.published 0
2012.missing.le100.published_equal 0
2012.missing.le100.na 30
2012.missing.with_nm 20
2012.agree 3141
2012.present 3176
2026.hours 9602
2026.absent 0
2026.absent.published 0
2026.empty 53
2026.empty.published 0
2026.full.compared 8077
2026.full.exact 8076
2026.full.mismatch.so2_gt_800 0
2026.full.mismatch.minus1 0
2026.full.mismatch.plus1 1
2026.full.mismatch.other 0
2026.full.unpublished 0
2026.nm.compared 516
2026.nm.exact 516
2026.nm.mismatch.so2_gt_800 0
2026.nm.mismatch.minus1 0
2026.nm.mismatch.plus1 0
2026.nm.mismatch.other 0
2026.nm.unpublished 0
2026.pm10only.gt100.published 69
2026.pm10only.gt100.published_equal 69
2026.pm10only.gt100.na 0
2026.pm10only.le100.published 476
2026.pm10only.le100.published_equal 476
2026.pm10only.le100.na 25
2026.missing.gt100.published 78
2026.missing.gt100.published_equal 78
2026.missing.gt100.na 4
2026.missing.le100.published 0
2026.missing.le100.published_equal 0
2026.missing.le100.na 304
2026.missing.with_nm 49
2026.agree 9068
2026.present 9549
rejected 0
END

# The files after 2026-03-01 forced through HJ 633-2012: the old PM breakpoints must NOT
# reproduce what CNEMC published under HJ 633-2026.
check hourly-2026-forced-2012 0 -- aqi verify --edition 2012 "${h2026_post[@]}" <<'END'
2012.hours 9602
2012.absent 0
2012.absent.published 0
2012.empty 53
2012.empty.published 0
2012.full.compared 8077
2012.full.exact 4111
2012.full.mismatch.so2_gt_800 0
2012.full.mismatch.minus1 0
2012.full.mismatch.plus1 291
2012.full.mismatch.other 3675
2012.full.unpublished 0
2012.nm.compared 516
2012.nm.exact 426
2012.nm.mismatch.so2_gt_800 0
2012.nm.mismatch.minus1 0
2012.nm.mismatch.plus1 9
2012.nm.mismatch.other 81
2012.nm.unpublished 0
2012.pm10only.gt100.published 34
2012.pm10only.gt100.published_equal 7
2012.pm10only.gt100.na 0
2012.pm10only.le100.published 511
2012.pm10only.le100.published_equal 344
2012.pm10only.le100.na 25
2012.missing.gt100.published 46
2012.missing.gt100.published_equal 4
2012.missing.gt100.na 2
2012.missing.le100.published 32
2012.missing.le100.published_equal 0
2012.missing.le100.na 306
2012.missing.with_nm 49
2012.agree 4892
2012.present 9549
rejected 0
END

# calc: bad rows are reported with their line and column, written with empty results, and make
# the exit status 1; the good rows around them are computed.
printf 'id,SO2,NO2,CO,O3,PM10,PM2.5\na,80,56,2,102,180,87\nb,x,1,1,1,1,1\nc,30,11,0.8,52,NA,11\n' \
    > "$TMP/calc.csv"
"$LANTIAN" aqi calc --edition 2026 --mode hourly < "$TMP/calc.csv" > "$TMP/calc.out" \
    2> "$TMP/calc.err"
rc=$?
cat > "$TMP/calc.want" <<'END'
id,SO2,NO2,CO,O3,PM10,PM2.5,IAQI_SO2,IAQI_NO2,IAQI_CO,IAQI_O3,IAQI_PM10,IAQI_PM2.5,AQI,level,category,primary,flags
a,80,56,2,102,180,87,27,28,20,32,124,125,125,3,轻度污染,PM2.5,
b,x,1,1,1,1,1,,,,,,,,,,,
c,30,11,0.8,52,NA,11,10,6,8,17,,16,NA,,,,PARTIAL|WITHHELD
END
if [ $rc -ne 1 ] || ! diff -u "$TMP/calc.want" "$TMP/calc.out" ||
    ! grep -q "line 3: column SO2: 'x' is not a number" "$TMP/calc.err"; then
    echo "FAIL calc (exit status $rc)"; cat "$TMP/calc.err"; fail=1
else
    echo "ok   calc"
fi

exit $fail

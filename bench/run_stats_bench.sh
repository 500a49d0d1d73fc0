#!/usr/bin/env bash
# lantian statistics benchmark: the whole statistics-and-ranking run on a year of national-scale
# CNEMC files, against (1) a bare C read-and-tokenize of the same files and (2) the pandas peer
# ../shared/bench/peers/pandas_assess.py on the same files, in the same run.
#
# Prints a table (wall time, peak RSS, exit status of each run) and two ratios:
#   peer_time / lantian_time      goal >= 30
#   lantian_time / tokenize_time  goal <= 2
# Nothing is written outside the build directory (outputs of the runs go to BUILD/bench-out/).
#
# Usage: bench/run_stats_bench.sh [options]     (from anywhere; paths are relative to the repo)
#   --days N            use only the first N days of the data (quick run); default: all
#   --skip-peer         do not run the pandas peer
#   --peer-days N       run the peer on the first N days only (lantian is then also timed on the
#                       same N days, for the ratio); default: the same days as lantian
#   --peer-mem-frac F   the peer is run only on as many days as fit in F x MemAvailable, from a
#                       linear model of its peak RSS (see PEER_* below); default 0.9
#   --plain             use the uncompressed copy of the data (bench/data/national-2019-plain)
#   --data DIR          use DIR (china_sites_*.csv[.gz] + stations.csv) instead
#   --repeat N          time tokenize and lantian N times and keep the fastest (default 1)
#   --build-dir DIR     default build-bench
#   --no-build          do not run cmake (use the lantian binary already in the build dir)
# Environment:
#   LANTIAN_CMD         the lantian command, before the file names, which are appended. Default:
#                       "BUILD/lantian rank --stations STATIONS --level city --period 2019
#                        --format csv --input"
set -u -o pipefail

die() { echo "run_stats_bench: $*" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || die "cannot cd to $ROOT"

DAYS=0
SKIP_PEER=0
PEER_DAYS=0
PEER_MEM_FRAC=0.9
PLAIN=0
DATA=""
REPEAT=1
BUILD=build-bench
DO_BUILD=1
PEER=../shared/bench/peers/pandas_assess.py
PYTHON=/usr/bin/python3
TIME=/usr/bin/time
GUARD_KIB=$((1536 * 1024))

# Peak RSS of the peer, measured on this data (bench/gen_national_year.py, seed 2019) with
# Debian's pandas 1.5.3 / numpy 1.24.2: 7, 31, 62, 92 and 182 days (12.4 .. 349 MB of CSV text)
# fit  peak_KiB = PEER_BASE_KIB + PEER_KIB_PER_MB x uncompressed_MB  within a few per cent.
PEER_BASE_KIB=183000
PEER_KIB_PER_MB=30230

while [ $# -gt 0 ]; do
    case "$1" in
    --days) DAYS=${2:?}; shift 2 ;;
    --skip-peer) SKIP_PEER=1; shift ;;
    --peer-days) PEER_DAYS=${2:?}; shift 2 ;;
    --peer-mem-frac) PEER_MEM_FRAC=${2:?}; shift 2 ;;
    --plain) PLAIN=1; shift ;;
    --data) DATA=${2:?}; shift 2 ;;
    --repeat) REPEAT=${2:?}; shift 2 ;;
    --build-dir) BUILD=${2:?}; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
done

[ -x "$TIME" ] || die "$TIME not found (Debian package 'time')"
OUT="$BUILD/bench-out"
mkdir -p "$OUT" "$BUILD/bench" || die "cannot create $OUT"

# ---- (a) build lantian (Release) and the tokenizer ------------------------------------------
LANTIAN_BIN="$BUILD/lantian"
LANTIAN_NOTE=""
if [ "$DO_BUILD" = 1 ]; then
    echo "== building lantian (Release) in $BUILD/"
    if { [ -f "$BUILD/CMakeCache.txt" ] ||
         cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log" 2>&1; } &&
       cmake --build "$BUILD" --target lantian_cli -j "$(nproc)" >>"$OUT/cmake.log" 2>&1; then
        :
    else
        LANTIAN_NOTE="build failed (see $OUT/cmake.log)"
        echo "   lantian: $LANTIAN_NOTE" >&2
        tail -5 "$OUT/cmake.log" >&2
    fi
fi
TOKENIZE="$BUILD/bench/tokenize"
if [ ! -x "$TOKENIZE" ] || [ bench/tokenize.c -nt "$TOKENIZE" ]; then
    cc -O2 -std=c11 -Wall -Wextra -o "$TOKENIZE" bench/tokenize.c -lz ||
        die "cannot build bench/tokenize.c (needs zlib1g-dev)"
fi

# ---- (b) the data ----------------------------------------------------------------------------
if [ -z "$DATA" ]; then
    if [ "$PLAIN" = 1 ]; then
        DATA=bench/data/national-2019-plain
        GEN_OPT=--plain
    else
        DATA=bench/data/national-2019
        GEN_OPT=""
    fi
    if [ ! -f "$DATA/.complete" ]; then
        echo "== generating $DATA (bench/gen_national_year.py $GEN_OPT)"
        # shellcheck disable=SC2086
        "$PYTHON" bench/gen_national_year.py --out "$DATA" $GEN_OPT || die "generation failed"
    fi
fi
STATIONS="$DATA/stations.csv"
[ -f "$STATIONS" ] || die "$STATIONS not found"
mapfile -t ALL_FILES < <(find "$DATA" -maxdepth 1 -name 'china_sites_*.csv*' ! -name '*.tmp' | sort)
[ "${#ALL_FILES[@]}" -gt 0 ] || die "no china_sites_*.csv[.gz] in $DATA"
if [ "$DAYS" -gt 0 ] && [ "$DAYS" -lt "${#ALL_FILES[@]}" ]; then
    FILES=("${ALL_FILES[@]:0:$DAYS}")
else
    FILES=("${ALL_FILES[@]}")
fi
NDAYS=${#FILES[@]}

if [ -n "${LANTIAN_CMD:-}" ]; then
    read -r -a LCMD <<<"$LANTIAN_CMD"
else
    LCMD=("$LANTIAN_BIN" rank --stations "$STATIONS" --level city --period 2019 --format csv
          --input)
fi

# ---- measuring -------------------------------------------------------------------------------
# run NAME OUTFILE CMD...: runs under /usr/bin/time -v; sets R_WALL (s), R_RSS (KiB), R_EXIT.
# A memory guard watches MemAvailable while the command runs and kills the measured process (the
# child of /usr/bin/time started here, by its pid) if it falls below GUARD_KIB: this machine has no
# swap, and the OOM killer could otherwise pick another process. R_GUARD=1 when it fired.
run() {
    local name=$1 outfile=$2 tpid child avail
    shift 2
    R_GUARD=0
    "$TIME" -v -o "$OUT/$name.time" "$@" >"$outfile" 2>"$OUT/$name.err" &
    tpid=$!
    while kill -0 "$tpid" 2>/dev/null; do
        avail=$GUARD_KIB
        while read -r key val _; do
            [ "$key" = MemAvailable: ] && { avail=$val; break; }
        done </proc/meminfo
        if [ "$avail" -lt "$GUARD_KIB" ]; then
            child=$(pgrep -P "$tpid" | head -1)
            [ -n "$child" ] && kill -KILL "$child" 2>/dev/null
            R_GUARD=1
            echo "   $name: killed by the memory guard (MemAvailable $(mib "$avail") MiB)" >&2
            break
        fi
        sleep 0.2
    done
    wait "$tpid"
    R_EXIT=$(awk -F': ' '/Exit status/ {print $2}' "$OUT/$name.time")
    [ -n "$R_EXIT" ] || R_EXIT=127
    R_RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/$name.time")
    R_WALL=$(awk '/Elapsed \(wall clock\)/ {
                 n = split($NF, p, ":"); s = 0
                 for (i = 1; i <= n; i++) s = s * 60 + p[i]
                 printf "%.2f", s }' "$OUT/$name.time")
    if [ "$R_EXIT" != 0 ]; then
        echo "   $name: exit status $R_EXIT; stderr:" >&2
        tail -5 "$OUT/$name.err" >&2
    fi
}

# best NAME OUTFILE CMD...: run() REPEAT times, keep the fastest successful run.
best() {
    local name=$1 outfile=$2 i bw="" br="" be=""
    shift 2
    for ((i = 0; i < REPEAT; i++)); do
        run "$name" "$outfile" "$@"
        if [ -z "$bw" ] || { [ "$R_EXIT" = 0 ] && awk -v a="$R_WALL" -v b="$bw" 'BEGIN{exit !(a < b)}'; }; then
            bw=$R_WALL br=$R_RSS be=$R_EXIT
        fi
        [ "$R_EXIT" = 0 ] || break
    done
    R_WALL=$bw R_RSS=$br R_EXIT=$be
}

mib() { awk -v k="$1" 'BEGIN { if (k == "") print "-"; else printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
rows_of() { [ -s "$1" ] && echo $(($(wc -l <"$1") - 1)) || echo 0; }

ROWS=()
row() { ROWS+=("$(printf '%-34s %6s %9s %12s %6s  %s' "$@")"); }

echo "== data: $DATA, $NDAYS files ($(du -sch "${FILES[@]}" | tail -1 | cut -f1) on disk)"
echo "== warming the page cache"
cat "${FILES[@]}" "$STATIONS" >/dev/null

# 1. the C tokenizer
echo "== tokenize (C): $TOKENIZE"
best tokenize "$OUT/tokenize.txt" "$TOKENIZE" "${FILES[@]}"
T_WALL=$R_WALL T_RSS=$R_RSS T_EXIT=$R_EXIT
RAW_BYTES=$(tr ' ' '\n' <"$OUT/tokenize.txt" | awk -F= '$1 == "bytes" {print $2}')
echo "   $(cat "$OUT/tokenize.txt")"
row tokenize "$NDAYS" "$T_WALL" "$(mib "$T_RSS")" "$T_EXIT" "bare read + split, ${RAW_BYTES:-?} bytes of CSV"

# 2. lantian
L_WALL=0 L_EXIT=-
if [ -n "$LANTIAN_NOTE" ] && [ -z "${LANTIAN_CMD:-}" ]; then
    row "lantian rank" "$NDAYS" - - - "not run: $LANTIAN_NOTE"
elif [ ! -x "${LCMD[0]}" ] && ! command -v "${LCMD[0]}" >/dev/null; then
    LANTIAN_NOTE="${LCMD[0]} not found"
    row "lantian rank" "$NDAYS" - - - "not run: $LANTIAN_NOTE"
else
    echo "== lantian: ${LCMD[*]} <$NDAYS files>"
    best lantian "$OUT/lantian.csv" "${LCMD[@]}" "${FILES[@]}"
    L_WALL=$R_WALL L_RSS=$R_RSS L_EXIT=$R_EXIT
    note="$(rows_of "$OUT/lantian.csv") output rows"
    [ "$L_EXIT" = 0 ] || { note="FAILED (see $OUT/lantian.err)"; L_WALL=0; }
    row "lantian rank" "$NDAYS" "${R_WALL}" "$(mib "$L_RSS")" "$L_EXIT" "$note"
fi

# 3. the pandas peer
P_WALL=0 P_DAYS=0 LP_WALL=0 PEER_NOTE=""
if [ "$SKIP_PEER" = 1 ]; then
    row "pandas peer" - - - - "skipped (--skip-peer)"
elif [ ! -f "$PEER" ]; then
    row "pandas peer" - - - - "not run: $PEER not found (clone beside shared/)"
else
    want=$NDAYS
    [ "$PEER_DAYS" -gt 0 ] && [ "$PEER_DAYS" -lt "$want" ] && want=$PEER_DAYS
    avail_kib=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
    # Largest number of days whose estimated peak RSS fits in PEER_MEM_FRAC x MemAvailable
    # (days assumed of equal size: RAW_BYTES / NDAYS each).
    fit=$(awk -v b="$PEER_BASE_KIB" -v k="$PEER_KIB_PER_MB" -v raw="${RAW_BYTES:-0}" \
              -v n="$NDAYS" -v avail="$avail_kib" -v f="$PEER_MEM_FRAC" \
              'BEGIN { per = raw / n / 1e6 * k; d = int((avail * f - b) / per); print (d < 0 ? 0 : d) }')
    est=$(awk -v b="$PEER_BASE_KIB" -v k="$PEER_KIB_PER_MB" -v raw="${RAW_BYTES:-0}" -v n="$NDAYS" \
              -v w="$want" 'BEGIN { printf "%.0f", b + raw * w / n / 1e6 * k }')
    if [ "$fit" -lt "$want" ]; then
        PEER_NOTE="peer limited to $fit of $want days: its estimated peak RSS for $want days is $(mib "$est") MiB, over ${PEER_MEM_FRAC} x MemAvailable ($(mib "$avail_kib") MiB)"
        echo "== NOTE: $PEER_NOTE" >&2
        want=$fit
    fi
    if [ "$want" -lt 1 ]; then
        row "pandas peer" - - - - "not run: not even one day fits in memory"
    else
        P_DAYS=$want
        PFILES=("${FILES[@]:0:$P_DAYS}")
        echo "== pandas peer: $PEER on $P_DAYS files (est. peak $(mib "$(awk -v b="$PEER_BASE_KIB" -v k="$PEER_KIB_PER_MB" -v raw="${RAW_BYTES:-0}" -v n="$NDAYS" -v w="$P_DAYS" 'BEGIN { printf "%.0f", b + raw * w / n / 1e6 * k }')") MiB)"
        run peer "$OUT/peer.csv" "$PYTHON" "$PEER" --stations "$STATIONS" "${PFILES[@]}"
        P_WALL=$R_WALL P_RSS=$R_RSS P_EXIT=$R_EXIT
        note="$(rows_of "$OUT/peer.csv") output rows"
        [ "$P_EXIT" = 0 ] || { note="FAILED (see $OUT/peer.err)"; P_WALL=0; }
        if [ "$R_GUARD" = 1 ]; then
            note="KILLED by the memory guard (MemAvailable < $(mib "$GUARD_KIB") MiB)"
            PEER_NOTE="${PEER_NOTE:+$PEER_NOTE; }the peer on $P_DAYS days was killed before it ran out of memory"
        fi
        row "pandas peer" "$P_DAYS" "$P_WALL" "$(mib "$P_RSS")" "$P_EXIT" "$note"
        LP_WALL=$L_WALL
        if [ "$P_DAYS" -lt "$NDAYS" ] && [ "$L_WALL" != 0 ]; then
            # The ratio must compare the same files: time lantian on the peer's subset too.
            echo "== lantian on the peer's $P_DAYS files"
            best lantian-peerdays "$OUT/lantian-peerdays.csv" "${LCMD[@]}" "${PFILES[@]}"
            LP_WALL=$R_WALL
            [ "$R_EXIT" = 0 ] || LP_WALL=0
            row "lantian rank (peer's days)" "$P_DAYS" "$R_WALL" "$(mib "$R_RSS")" "$R_EXIT" \
                "$(rows_of "$OUT/lantian-peerdays.csv") output rows"
        fi
    fi
fi

# ---- report ----------------------------------------------------------------------------------
verdict() { # value op goal
    awk -v v="$1" -v g="$3" -v op="$2" 'BEGIN {
        if (v == "n/a") { print "n/a"; exit }
        ok = (op == ">=") ? (v >= g) : (v <= g); print ok ? "PASS" : "FAIL" }'
}
echo
echo "lantian statistics benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(mib "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)") MiB RAM"
echo "data: $DATA ($NDAYS days, ${RAW_BYTES:-?} bytes of CSV), stations: $STATIONS"
echo "lantian: ${LCMD[*]} FILE..."
printf '%-34s %6s %9s %12s %6s  %s\n' run days wall_s peak_rss_MiB exit note
printf '%s\n' "${ROWS[@]}"
echo
if [ "$P_DAYS" -gt 0 ] && [ "$P_WALL" != 0 ] && [ "$LP_WALL" != 0 ]; then
    R1=$(ratio "$P_WALL" "$LP_WALL")
else
    R1=n/a
fi
if [ "$L_WALL" != 0 ]; then R2=$(ratio "$L_WALL" "$T_WALL"); else R2=n/a; fi
printf 'peer_time / lantian_time     = %-8s (goal >= 30)  %s%s\n' "$R1" "$(verdict "$R1" '>=' 30)" \
    "$([ "$P_DAYS" -gt 0 ] && [ "$P_DAYS" -lt "$NDAYS" ] && echo "   [on the first $P_DAYS days only]")"
printf 'lantian_time / tokenize_time = %-8s (goal <= 2)   %s\n' "$R2" "$(verdict "$R2" '<=' 2)"
printf 'peak RSS: tokenize %s MiB, lantian %s MiB, peer %s MiB\n' "$(mib "$T_RSS")" \
    "$(mib "${L_RSS:-}")" "$(mib "${P_RSS:-}")"
if [ -n "$PEER_NOTE" ]; then
    echo "NOTE: $PEER_NOTE."
    if [ "$P_WALL" != 0 ]; then
        echo "NOTE: linear extrapolation of the peer to $NDAYS days: ~$(awk -v t="$P_WALL" -v p="$P_DAYS" -v n="$NDAYS" 'BEGIN{printf "%.0f", t * n / p}') s, ~$(mib "$est") MiB peak RSS (not measured)."
    fi
fi
[ -n "$LANTIAN_NOTE" ] && echo "NOTE: lantian was not measured: $LANTIAN_NOTE."
echo "outputs: $OUT/"
exit 0

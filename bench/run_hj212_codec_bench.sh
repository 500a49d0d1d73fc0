#!/usr/bin/env bash
# HJ 212 codec benchmark (bench/hj212_codec.c): zcat the 21 hourly real captures of 2016-08-24
# (190,463 frames) into one file, build the benchmark with -O2 against the codec sources, and run
# it: frames/s of lantian's framer + CRC + parse and of a plain CR LF + CRC loop, and their ratio.
# Goals: >= 2 M frames/s per core, codec_time / loop_time <= 2.
#
# Usage: bench/run_hj212_codec_bench.sh [REPEAT]     (default 5; the fastest run is kept)
# Environment: CC (default cc), LT_SHARED (default ../shared next to the repo).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${LT_SHARED:-$here/../shared}
out=${TMPDIR:-/tmp}/lantian-hj212-bench.$$
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
zcat "$shared"/data/hj212/real-2016-08-24/*.h212.gz > "$out/all.h212"
${CC:-cc} -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I"$here/include" -I"$here/src" \
    "$here/bench/hj212_codec.c" "$here"/src/hj212/*.c "$here"/src/util/str.c \
    "$here"/src/util/bjtime.c "$here"/src/util/common.c -o "$out/hj212_codec" -lm
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
"$out/hj212_codec" "$out/all.h212" "${1:-5}"

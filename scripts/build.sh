#!/usr/bin/env bash
# Configure and build lantian into build/ (or $1). Further arguments go to cmake; LT_TARGET
# builds one target instead of all. The compiler's output goes to <dir>/build.log and is shown
# only when the build fails.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
mkdir -p "$dir"
log="$dir/build.log"
if ! { cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
       cmake --build "$dir" -j"$(nproc)" ${LT_TARGET:+--target "$LT_TARGET"}; } >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "build failed in $dir (full log: $log)" >&2
    exit 1
fi
echo "built $dir${LT_TARGET:+ ($LT_TARGET)}"

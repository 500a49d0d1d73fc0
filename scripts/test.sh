#!/usr/bin/env bash
# Every test: set up, build (warnings are errors), run the whole suite, then build again with
# AddressSanitizer + UndefinedBehaviorSanitizer and run the whole suite there too.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build-web.sh   # the dashboard (web/dist) for lantian to serve and tests/web to open
jobs=$(nproc)

echo "== build (-Werror)"
./scripts/build.sh build -DLT_WERROR=ON
echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== build with ASan + UBSan"
./scripts/build.sh build-asan -DLT_WERROR=ON -DLT_SANITIZE=ON -DCMAKE_C_COMPILER=clang
echo "== tests under ASan + UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs")

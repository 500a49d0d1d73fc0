#!/usr/bin/env bash
# Fail when a C file differs from what clang-format (.clang-format) would make of it.
# Fix with: clang-format -i $(git ls-files '*.c' '*.h')
set -uo pipefail
cd "$(dirname "$0")/.."
files=$(find src include tests bench fuzz -name '*.c' -o -name '*.h' 2>/dev/null | sort)
bad=0
for f in $files; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f"
        bad=1
    fi
done
[ $bad -eq 0 ] && echo "all $(echo "$files" | wc -w) C files formatted"
exit $bad

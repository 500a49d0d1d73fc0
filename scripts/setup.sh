#!/usr/bin/env bash
# Install every Debian package lantian needs, idempotently, on a fresh Debian 12 (bookworm).
# Run as root (or with sudo available). Safe to run again: packages already present are skipped.
#
#   scripts/setup.sh           the packages to build, test and run lantian
#   scripts/setup.sh --bench   also the benchmark-only tools (BENCH_PKGS: wrk, nginx), installed
#                              with a policy-rc.d guard so that no service (nginx) is started
set -euo pipefail

BENCH=0
for a in "$@"; do
  case "$a" in
  --bench) BENCH=1 ;;
  -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup: unknown option $a (see --help)" >&2; exit 2 ;;
  esac
done

PKGS=(
  build-essential cmake pkg-config git
  clang clang-format libclang-rt-14-dev   # sanitizer and libFuzzer runtimes
  libsqlite3-dev sqlite3                  # embedded store (WAL)
  zlib1g-dev                              # .csv.gz imports
  libcmocka-dev                           # unit tests
  libinih-dev                             # INI configuration (targets, rule editions)
  libuv1-dev                              # HJ 212 ingest server event loop
  libmicrohttpd-dev                       # HTTP API
  libsodium-dev                           # argon2id password hashes, random session tokens
  libxlsxwriter-dev                       # Excel (.xlsx) exports of tables (API and CLI)
  curl                                    # HTTP API tests over loopback
  python3-openpyxl                        # reads the .xlsx exports back in tests
  python3 python3-pandas python3-numpy    # benchmark peer (shared/bench/peers/pandas_assess.py)
  time                                    # /usr/bin/time for peak memory in bench/
  chromium                                # headless browser for the dashboard tests (tests/web)
  fonts-noto-cjk                          # Chinese glyphs in the dashboard's screenshots
)

# Benchmark-only tools (bench/run_http_bench.sh), never in PKGS: installing nginx on a CI machine
# would try to start a web server. Installed only with --bench, and then with no service started.
BENCH_PKGS=(
  wrk                                     # HTTP load generator (p50/p99, requests/s)
  nginx                                   # the static-file reference the API is compared with
)
if [ "$BENCH" = 1 ]; then
  PKGS+=("${BENCH_PKGS[@]}")
fi

# The dashboard (web/) is built with Node >= 20 and npm, which this image has (nodejs with its npm);
# Debian 12's own nodejs is 18, too old for playwright-core: say so rather than fail later.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: node and npm (Node >= 20) are required for the dashboard (web/); install Node.js 20" >&2
  exit 1
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup: Node >= 20 is required for the dashboard (web/), found $(node --version)" >&2
  exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# With --bench: a policy-rc.d that forbids every service action (exit 101, see
# /usr/share/doc/init-system-helpers/README.policy-rc.d) while installing, so that nginx's
# maintainer scripts do not start a server. An existing policy-rc.d is left as it is.
GUARD=""
if [ "$BENCH" = 1 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  GUARD=/usr/sbin/policy-rc.d
  trap '$SUDO rm -f "$GUARD"' EXIT
  printf '#!/bin/sh\n# scripts/setup.sh --bench: start no service while installing\nexit 101\n' |
    $SUDO tee "$GUARD" >/dev/null
  $SUDO chmod 755 "$GUARD"
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"

#!/usr/bin/env bash
# Build the dashboard into web/dist: npm ci (pinned by web/package-lock.json; skipped when
# node_modules already matches the lock) and web/build.mjs (copies the app and echarts.min.js).
# Idempotent. lantian serves web/dist at / (lantian api --web DIR to serve another directory).
set -euo pipefail
cd "$(dirname "$0")/../web"
command -v node >/dev/null && command -v npm >/dev/null || {
    echo "build-web: node and npm are required (Debian: apt-get install nodejs npm; Node >= 20)" >&2
    exit 1
}
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "build-web: Node >= 20 required, found $(node --version)" >&2; exit 1; }
# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
node build.mjs

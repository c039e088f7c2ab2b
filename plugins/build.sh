#!/usr/bin/env bash
# Rebuilds the screening plugins for wasm32-wasip2 and copies them to dist/:
# the built-ins to dist/, the hostile test fixtures to dist/fixtures/.
# Needs `rustup target add wasm32-wasip2`.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --target wasm32-wasip2 --locked 2>/dev/null || cargo build --release --target wasm32-wasip2
out=target/wasm32-wasip2/release
for name in banned-categories chain-exclusions antisocial-watchlist plan-eligibility; do
  cp "$out/${name//-/_}.wasm" "dist/$name.wasm"
done
for name in spin memory-hog huge-output trap sockets random-echo; do
  cp "$out/fixture_${name//-/_}.wasm" "dist/fixtures/$name.wasm"
done
ls -l dist dist/fixtures

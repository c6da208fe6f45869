#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, then runs every test.
# Network use: only the package registries: PyPI through pip for Mastodon.py, npm through
# `npm ci` for Fedify, masto.js and playwright-core, Debian's packages through apt for Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

# Mastodon.py, the real client the compatibility test drives, in a virtualenv of the checkout.
MASTODON_PY_VERSION="2.3.3"
if ! .venv/bin/python -c "import mastodon, sys; sys.exit(mastodon.__version__ != '$MASTODON_PY_VERSION')" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "Mastodon.py==$MASTODON_PY_VERSION"
fi
export MASTODON_PY_PYTHON="$PWD/.venv/bin/python"

# moto's server mode: a real S3-compatible server process that tests/media.rs starts on a
# loopback port for the cold media tier (no mock in memory), in the same virtualenv.
MOTO_VERSION="5.1.22"
if ! .venv/bin/python -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null \
  || [ ! -x .venv/bin/moto_server ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
export MOTO_SERVER="$PWD/.venv/bin/moto_server"
# npm packages of the compatibility tests, exactly as each package-lock.json pins them;
# reinstalled when the lock file changes (its hash is the stamp).
npm_ci() {
  local dir="$1"
  local stamp="$dir/node_modules/.skerry-lock-sha256"
  local lock_sha256
  lock_sha256="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sha256" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
    echo "$lock_sha256" > "$stamp"
  fi
}
# Fedify, the ActivityPub library tests/fedify.rs federates with.
npm_ci tests/compat/fedify
# playwright-core, which drives Chromium in tests/browser.rs.
npm_ci tests/compat/browser
# masto.js, the Mastodon client library tests/masto.rs drives (OAuth and WebSocket streaming).
npm_ci tests/compat/masto

# Debian's Chromium for tests/browser.rs, installed when missing (as root, or through sudo).
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# The media replay (tools/media-replay), small, so the tool keeps working: it exits 1 if the
# hot tier ends a view over its budget after eviction, or a view fails.
cargo run --quiet --bin skerry-media-replay -- --media 40 --refs 300 --hot-bytes 1048576 --cold

# Each criterion bench once, as a test, so the benches keep working; then the unit tests, the
# binaries' tests and the integration tests (no doc tests: there are none).
cargo test --bench codec --bench store --bench ingest "$@"
cargo test --lib --bins --tests "$@"
# The load tool (a workspace member with its own dependencies): its tests, which build it and
# run it briefly against a server.
cargo test -p skerry-load "$@"
# The simulation tool (a workspace member: SQLite stays out of the server): its tests, and one
# tiny simulated day through the real ingest path, so it keeps working.
cargo test -p skerry-simulate "$@"
cargo run -p skerry-simulate -- --days 1 --per-day 48 --runs off,on --no-planner --out target/simulate-smoke
# Three small days under a 2 MB disk budget (small enough that the pruner works from the
# second day): the budget bounds the database FILE, so the run exits 1 if the file ends any
# housekeeping round over it (`--fail-over-budget`).
cargo run -p skerry-simulate -- --days 3 --per-day 1200 --budget-bytes 2000000 --runs budget --no-planner --fail-over-budget --out target/simulate-smoke-budget

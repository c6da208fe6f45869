#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, then runs every test.
# Network use: only the package registries: PyPI through pip for Mastodon.py, npm through
# `npm ci` for Fedify.
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

# Fedify, the ActivityPub library tests/fedify.rs federates with, exactly as package-lock.json
# pins it; reinstalled when the lock file changes (its hash is the stamp).
FEDIFY_DIR="tests/compat/fedify"
FEDIFY_STAMP="$FEDIFY_DIR/node_modules/.skerry-lock-sha256"
FEDIFY_LOCK_SHA256="$(sha256sum "$FEDIFY_DIR/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$FEDIFY_STAMP" 2>/dev/null)" != "$FEDIFY_LOCK_SHA256" ]; then
  npm ci --prefix "$FEDIFY_DIR" --no-audit --no-fund --loglevel=error
  echo "$FEDIFY_LOCK_SHA256" > "$FEDIFY_STAMP"
fi

# The media replay (tools/media-replay), small, so the tool keeps working: it exits 1 if the
# hot tier ends a view over its budget after eviction, or a view fails.
cargo run --quiet --bin skerry-media-replay -- --media 40 --refs 300 --hot-bytes 1048576 --cold

# Each criterion bench once, as a test, so the benches keep working; then the unit tests, the
# binaries' tests and the integration tests (no doc tests: there are none).
cargo test --bench codec --bench store "$@"
cargo test --lib --bins --tests "$@"

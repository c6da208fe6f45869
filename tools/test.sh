#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, then runs every test.
# Network use: only the package registries: PyPI through pip for Mastodon.py, npm through
# `npm ci` for Fedify and masto.js.
set -euo pipefail
cd "$(dirname "$0")/.."

# Mastodon.py, the real client the compatibility test drives, in a virtualenv of the checkout.
MASTODON_PY_VERSION="2.3.3"
if ! .venv/bin/python -c "import mastodon, sys; sys.exit(mastodon.__version__ != '$MASTODON_PY_VERSION')" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "Mastodon.py==$MASTODON_PY_VERSION"
fi
export MASTODON_PY_PYTHON="$PWD/.venv/bin/python"

# Fedify, the ActivityPub library tests/fedify.rs federates with, exactly as package-lock.json
# pins it; reinstalled when the lock file changes (its hash is the stamp).
FEDIFY_DIR="tests/compat/fedify"
FEDIFY_STAMP="$FEDIFY_DIR/node_modules/.skerry-lock-sha256"
FEDIFY_LOCK_SHA256="$(sha256sum "$FEDIFY_DIR/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$FEDIFY_STAMP" 2>/dev/null)" != "$FEDIFY_LOCK_SHA256" ]; then
  npm ci --prefix "$FEDIFY_DIR" --no-audit --no-fund --loglevel=error
  echo "$FEDIFY_LOCK_SHA256" > "$FEDIFY_STAMP"
fi

# masto.js, the Mastodon client library tests/masto.rs drives (OAuth and WebSocket streaming),
# pinned by its package-lock.json in the same way.
MASTO_DIR="tests/compat/masto"
MASTO_STAMP="$MASTO_DIR/node_modules/.skerry-lock-sha256"
MASTO_LOCK_SHA256="$(sha256sum "$MASTO_DIR/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$MASTO_STAMP" 2>/dev/null)" != "$MASTO_LOCK_SHA256" ]; then
  npm ci --prefix "$MASTO_DIR" --no-audit --no-fund --loglevel=error
  echo "$MASTO_LOCK_SHA256" > "$MASTO_STAMP"
fi

# Each criterion bench once, as a test, so the benches keep working; then the unit tests, the
# binaries' tests and the integration tests (no doc tests: there are none).
cargo test --bench codec --bench store "$@"
cargo test --lib --bins --tests "$@"

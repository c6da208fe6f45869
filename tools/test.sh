#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, then runs every test.
# Network use: only the Python package registry, through pip, for Mastodon.py.
set -euo pipefail
cd "$(dirname "$0")/.."

# Mastodon.py, the real client the compatibility test drives, in a virtualenv of the checkout.
MASTODON_PY_VERSION="2.3.3"
if ! .venv/bin/python -c "import mastodon, sys; sys.exit(mastodon.__version__ != '$MASTODON_PY_VERSION')" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "Mastodon.py==$MASTODON_PY_VERSION"
fi
export MASTODON_PY_PYTHON="$PWD/.venv/bin/python"

# Each criterion bench once, as a test, so the benches keep working; then the unit tests, the
# binaries' tests and the integration tests (no doc tests: there are none).
cargo test --bench codec --bench store "$@"
cargo test --lib --bins --tests "$@"

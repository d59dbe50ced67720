#!/usr/bin/env bash
# The one command that runs every test of the repository (README: "Testing").
# It builds what the tests need itself (release profile, one target dir),
# sets up the Python venv for the language-server client tests and runs
# `npm ci` for the VS Code extension. Parts that cannot exist on this
# machine are skipped with a printed reason.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

section() { printf '\n=== %s ===\n' "$*"; }

section "chromium (for ruff-prof's flamegraph-in-a-browser test)"
# The test skips itself without chromium; install it when this is root with
# apt (CI machines are), and carry on whatever happens.
if [ -x /usr/bin/chromium ]; then
  echo "chromium present"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "could not install chromium; the browser test will be skipped"
else
  echo "not root or no apt-get: chromium not installed; the browser test will be skipped"
fi

section "cargo build --release --workspace"
cargo build --release --workspace --bins

section "cargo test --release --workspace"
cargo test --release --workspace

if [ -x ruff-lsp/tests/run_client_tests.sh ]; then
  section "language server: pytest-lsp and headless Neovim"
  RUFF_LSP_BIN="$ROOT/target/release/ruff-lsp" ruff-lsp/tests/run_client_tests.sh
fi

if [ -x editors/vscode/scripts/test.sh ]; then
  section "VS Code extension: npm ci, npm test, vsce package"
  editors/vscode/scripts/test.sh
fi

section "all test suites passed"

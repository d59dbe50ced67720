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

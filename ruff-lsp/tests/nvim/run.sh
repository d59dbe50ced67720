#!/usr/bin/env bash
# Headless Neovim test of ruff-lsp. Needs NVIM (the nvim binary) and
# RUFF_LSP_BIN. Prints `N passed, N failed`; exits non-zero on failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${NVIM:?set NVIM to the nvim binary}"
: "${RUFF_LSP_BIN:?set RUFF_LSP_BIN to the ruff-lsp binary}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/sample.ruff" "$work/sample.ruff"
export RUFF_TEST_FILE="$work/sample.ruff"
# --clean: no user config or plugins; XDG dirs inside the temp dir.
status=0
XDG_STATE_HOME="$work/state" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" \
  timeout 120 "$NVIM" --headless --clean -n -u NONE -c "luafile $here/test.lua" 2>&1 || status=$?
# nvim's last message has no trailing newline: end the summary line.
echo
exit "$status"

#!/usr/bin/env bash
# Installs the locked dependencies, runs the unit tests and builds the .vsix.
# Non-interactive; exits non-zero on the first failure. Called by the
# repository's top-level test command; needs Node >= 20 and the npm registry.
set -euo pipefail

cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund
npm test
npm run package

# The package must hold the bundle and the grammar, and no node_modules.
listing="$(unzip -l ruff-lang.vsix)"
for required in extension/dist/extension.js extension/syntaxes/ruff.tmLanguage.json \
  extension/language-configuration.json extension/package.json extension/readme.md extension/LICENSE.txt; do
  if ! grep -q " ${required}\$" <<<"${listing}"; then
    echo "ruff-lang.vsix lacks ${required}" >&2
    exit 1
  fi
done
if grep -q "node_modules/" <<<"${listing}"; then
  echo "ruff-lang.vsix unexpectedly contains node_modules" >&2
  exit 1
fi
echo "ruff-lang.vsix: $(wc -c <ruff-lang.vsix) bytes"

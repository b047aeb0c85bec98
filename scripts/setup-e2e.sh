#!/usr/bin/env bash
# Installs what the end-to-end test (test/e2e) needs to run the extension in a
# real VS Code without internet: code-server (VS Code's server and web
# workbench, from the npm registry) and playwright-core into tools/vscode
# (git-ignored), plus Debian's Chromium. Safe to re-run; CI calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=tools/vscode
CODE_SERVER_VERSION=4.100.3   # VS Code 1.100.3, the newest line that runs on Node 20
export DEBIAN_FRONTEND=noninteractive
pkgs=()
for p in chromium ripgrep libkrb5-dev; do dpkg -s "$p" >/dev/null 2>&1 || pkgs+=("$p"); done
if [ ${#pkgs[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
if [ -x "$DEST/node_modules/.bin/code-server" ] && [ -d "$DEST/node_modules/playwright-core" ]; then
  echo "e2e: code-server already in $DEST"
  exit 0
fi
# @vscode/ripgrep's install step downloads rg unless its cache already holds the
# archive it wants; Debian's rg stands in for it.
cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
mkdir -p "$cache"
work=$(mktemp -d)
cp "$(command -v rg)" "$work/rg"
tar czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$work" rg
rm -rf "$work"
mkdir -p "$DEST"
[ -f "$DEST/package.json" ] || echo '{"private":true}' > "$DEST/package.json"
# node-pty's install step runs npx (needs yes=true); code-server's refuses root without --unsafe-perm.
(cd "$DEST" && npm_config_yes=true npm install --no-save --no-audit --no-fund --unsafe-perm "code-server@$CODE_SERVER_VERSION" playwright-core@1 >/dev/null)
"$DEST/node_modules/.bin/code-server" --version | head -1

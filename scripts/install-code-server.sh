#!/usr/bin/env bash
# Installs what the extension-host tests (test/vscode/run.mjs) need, offline:
#   - Debian packages: chromium (headless browser), ripgrep, and the toolchain
#     to build code-server's native Node modules (libkrb5-dev for kerberos);
#   - code-server 4.96.4 (= VS Code 1.96, the last release that runs on
#     Node 20) into <repo>/.vscode-test/code-server.
#
# VS Code itself cannot be downloaded here (only the npm registry and Debian's
# apt repositories are reachable), and code-server's own postinstall downloads
# things too, so it is installed with --ignore-scripts and the postinstall
# steps are done by hand below.
#
# Idempotent: a stamp file marks a finished install, and a rerun exits at once.
# Must run as root (or with sudo available) when Debian packages are missing.
set -euo pipefail

CS_VERSION=4.96.4
PROXY_AGENT_VERSION=0.27.0

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$REPO/.vscode-test/code-server"
STAMP="$DEST/.install-complete-$CS_VERSION"

APT_PACKAGES=(chromium ripgrep libkrb5-dev build-essential python3 pkg-config fonts-dejavu-core)

log() { printf '[install-code-server] %s\n' "$*" >&2; }

missing_apt_packages() {
  local pkg status
  for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = installed ] || printf '%s\n' "$pkg"
  done
}

# ---- 1. Debian packages (skipped when all are present) ----------------------
mapfile -t MISSING < <(missing_apt_packages)
if [ "${#MISSING[@]}" -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
  log "installing Debian packages: ${MISSING[*]}"
  "${SUDO[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${MISSING[@]}"
fi

# ---- 2. Fast path: already installed -----------------------------------------
if [ -f "$STAMP" ]; then
  log "code-server $CS_VERSION already installed in $DEST"
  exit 0
fi

# ---- 3. code-server, built in a temp dir and moved into place at the end -----
# One install at a time (two CI jobs or terminals could start together).
mkdir -p "$(dirname "$DEST")"
exec 9>"$DEST.lock"
flock 9
if [ -f "$STAMP" ]; then
  log "code-server $CS_VERSION was installed by a concurrent run"
  exit 0
fi

# A failed or interrupted run leaves no half-installed $DEST behind.
WORK="$DEST.partial"
rm -rf "$WORK" "$DEST"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# Builds for native modules use the Node headers from Debian's nodejs
# (nodedir=/usr in ~/.npmrc on these machines); node-gyp would otherwise try
# to download them. Only set it here when the user has not chosen one.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ] \
    && [ "$(npm config get nodedir)" = "undefined" ]; then
  export npm_config_nodedir=/usr
fi

log "fetching code-server@$CS_VERSION from the npm registry"
TARBALL="$(cd "$WORK" && npm pack --silent "code-server@$CS_VERSION")"
tar -xzf "$WORK/$TARBALL" -C "$WORK" --strip-components=1 --no-same-owner
rm -f "$WORK/$TARBALL"

# code-server's own dependencies, pinned by its npm-shrinkwrap.json. Its
# postinstall (skipped) would install lib/vscode; we do that by hand below.
log "installing code-server's dependencies"
(cd "$WORK" && npm install --omit=dev --ignore-scripts --no-save)
# argon2 (password hashing) is loaded at start-up even with --auth none.
# node-pre-gyp tries to download a prebuilt binary, fails offline and builds it.
(cd "$WORK" && npm rebuild argon2)

# ---- 4. lib/vscode: VS Code's server-side node_modules -----------------------
VSCODE="$WORK/lib/vscode"
# Workaround: lib/vscode/npm-shrinkwrap.json resolves @vscode/proxy-agent to a
# git+ssh URL (unreachable here). Version 0.27.0 on the npm registry has the
# very same integrity hash, so point the entry at that tarball instead.
PROXY_AGENT_TARBALL="$(npm view "@vscode/proxy-agent@$PROXY_AGENT_VERSION" dist.tarball)"
PROXY_AGENT_INTEGRITY="$(npm view "@vscode/proxy-agent@$PROXY_AGENT_VERSION" dist.integrity)"
node - "$VSCODE/npm-shrinkwrap.json" "$PROXY_AGENT_TARBALL" "$PROXY_AGENT_INTEGRITY" <<'EOF'
const fs = require('fs');
const [file, tarball, integrity] = process.argv.slice(2);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const entry = lock.packages['node_modules/@vscode/proxy-agent'];
if (!entry) throw new Error('no @vscode/proxy-agent entry in ' + file);
if (entry.integrity !== integrity) {
  throw new Error(`@vscode/proxy-agent integrity differs from the registry's: ${entry.integrity} vs ${integrity}`);
}
entry.resolved = tarball;
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
EOF

log "installing VS Code's server dependencies (lib/vscode)"
(cd "$VSCODE" && npm install --omit=dev --ignore-scripts --no-save)
# Build the native modules from source (their install scripts would try to
# download prebuilt binaries first; building needs libkrb5-dev for kerberos).
log "building native modules"
(cd "$VSCODE" && npm rebuild @parcel/watcher @vscode/deviceid @vscode/spdlog kerberos native-watchdog node-pty)

# @vscode/ripgrep's postinstall downloads rg from GitHub; use Debian's instead.
mkdir -p "$VSCODE/node_modules/@vscode/ripgrep/bin"
ln -sfn "$(command -v rg)" "$VSCODE/node_modules/@vscode/ripgrep/bin/rg"

# The links code-server's postinstall.sh would make (Linux variants).
ln -sfn node_modules "$VSCODE/node_modules.asar"
ln -sfn code-linux.sh "$VSCODE/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$VSCODE/bin/helpers/browser.sh"

# Built-in extensions' shared dependencies (just typescript); its postinstall
# only trims the typescript package and works offline, so scripts stay on.
log "installing built-in extensions' dependencies"
(cd "$VSCODE/extensions" && npm install --omit=dev --no-save)

# Smoke check: the server entry point loads and reports its version. (It
# writes a default config file and logs: keep them out of the user's home.)
CHECK="$WORK/.check"
XDG_CONFIG_HOME="$CHECK" XDG_DATA_HOME="$CHECK" node "$WORK/out/node/entry.js" --version >/dev/null
rm -rf "$CHECK"

touch "$WORK/.install-complete-$CS_VERSION"
mv "$WORK" "$DEST"
trap - EXIT
log "installed code-server $CS_VERSION in $DEST ($(du -sh "$DEST" | cut -f1))"

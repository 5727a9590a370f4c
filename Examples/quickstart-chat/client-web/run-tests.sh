#!/bin/sh
# Runs the web client's browser test: the real starling server, serve.mjs, headless Chromium.
#
# STARLING_BIN: the server binary (default: the repository's debug build).
# CHROMIUM_BIN: the browser (default: chromium / chromium-browser / google-chrome on PATH).
# If no Chromium is found, tries `apt-get install -y chromium` (as root, or with passwordless
# sudo; STARLING_NO_BROWSER_INSTALL=1 disables that). If there is still none, the test is
# SKIPPED with exit status 0, so CI machines without a browser do not fail; the skip is loud.
set -eu
cd "$(dirname "$0")"
REPO=$(cd ../../.. && pwd)
export STARLING_BIN="${STARLING_BIN:-$REPO/.build/debug/starling}"
if [ ! -x "$STARLING_BIN" ]; then
  echo "run-tests.sh: no server binary at $STARLING_BIN (build it with 'swift build' or set STARLING_BIN)" >&2
  exit 1
fi

find_chromium() {
  if [ -n "${CHROMIUM_BIN:-}" ]; then
    [ -x "$CHROMIUM_BIN" ] && echo "$CHROMIUM_BIN"
    return 0
  fi
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
}

try_install() {
  [ "${STARLING_NO_BROWSER_INSTALL:-0}" = 1 ] && return 0
  command -v apt-get >/dev/null 2>&1 || return 0
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else return 0; fi
  echo "run-tests.sh: Chromium not found; installing it with apt-get (Debian package 'chromium')..." >&2
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium; } >/tmp/starling-web-chromium-install.log 2>&1 \
    || echo "run-tests.sh: apt-get install chromium failed; see /tmp/starling-web-chromium-install.log" >&2
}

CHROMIUM=$(find_chromium)
if [ -z "$CHROMIUM" ]; then
  try_install
  CHROMIUM=$(find_chromium)
fi
if [ -z "$CHROMIUM" ]; then
  cat >&2 <<'EOF'

########################################################################
##  SKIPPED: the web client's browser test did NOT run.               ##
##  No Chromium was found and it could not be installed.              ##
##  Install one (apt-get install chromium) or set CHROMIUM_BIN.       ##
########################################################################

EOF
  exit 0
fi
export CHROMIUM_BIN="$CHROMIUM"
echo "run-tests.sh: using $CHROMIUM_BIN and $STARLING_BIN" >&2
exec node --test test/web.test.js

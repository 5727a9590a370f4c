#!/bin/sh
# Runs the SDK's tests: codec and unit tests, then end-to-end tests against a real server.
# STARLING_BIN: the server binary (default: the repository's debug build).
# STARLING_FILTERED_SUBSCRIPTIONS=0 skips the overlapping WHERE-subscription test (for old servers).
set -eu
cd "$(dirname "$0")"
REPO=$(cd ../.. && pwd)
export STARLING_BIN="${STARLING_BIN:-$REPO/.build/debug/starling}"
if [ ! -x "$STARLING_BIN" ]; then
  echo "run-tests.sh: no server binary at $STARLING_BIN (build it with 'swift build' or set STARLING_BIN)" >&2
  exit 1
fi
exec node --test test/

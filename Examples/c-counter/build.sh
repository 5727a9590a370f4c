#!/bin/sh
# Builds counter.wasm with the Swift toolchain's clang (no wasi-sdk or libc needed).
set -eu
cd "$(dirname "$0")"
CLANG="${CLANG:-/opt/swift/usr/bin/clang}"
OUT="${1:-counter.wasm}"
"$CLANG" --target=wasm32 -nostdlib -O2 -Wl,--no-entry -Wl,--export-memory -o "$OUT" counter.c
echo "built $OUT"

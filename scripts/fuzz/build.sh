#!/usr/bin/env bash
# Builds the libFuzzer binary for the GoTrace reader: Sources/GoTrace/**/*.swift plus scripts/fuzz/FuzzEntry.swift
# and FuzzInputFile.swift, compiled as one module with -sanitize=fuzzer,address and -O. Output: $FUZZ_OUT (default .build-fuzz/gotrace-fuzz).
# Usage: scripts/fuzz/build.sh [--no-asan]   (--no-asan: fuzzer coverage only, ~2-3x faster execs, catches traps
# and hangs but not memory errors in unsafe code)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${FUZZ_OUT:-.build-fuzz/gotrace-fuzz}
sanitize=fuzzer,address
[ "${1:-}" = --no-asan ] && sanitize=fuzzer
swiftc=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
mkdir -p "$(dirname "$out")"
mapfile -t sources < <(find Sources/GoTrace -name '*.swift' | sort)
# -parse-as-library: no top-level code, the entry is LLVMFuzzerTestOneInput (libFuzzer provides main).
"$swiftc" -O -module-name GoTrace -parse-as-library -swift-version 6 \
  -sanitize="$sanitize" \
  "${sources[@]}" scripts/fuzz/FuzzEntry.swift scripts/fuzz/FuzzInputFile.swift -o "$out" 2>&1 | { grep -v "Cannot export local symbol" >&2 || true; }
echo "$out"

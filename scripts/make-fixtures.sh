#!/usr/bin/env bash
# Regenerates the fixture traces: Tests/Fixtures/traces/go1.NN/<scenario>.trace, one folder per Go toolchain,
# written by Tests/Fixtures/programs/workload built with that toolchain. Every trace is then read with the oracle
# (`go tool trace -d=parsed`, Go 1.27.3 by default) and the script fails if Go cannot read one. The size table in
# Tests/Fixtures/README.md is rewritten from the files on disk.
#
# Usage: scripts/make-fixtures.sh [-v "1.22.10 1.27.3"] [-s "mutex gc"] [-n]
#   -v  toolchain versions to (re)generate (default: all below)
#   -s  scenarios to (re)generate (default: all committed scenarios)
#   -n  don't regenerate: only check the existing traces with the oracle and rewrite the size table
# Env: TRACEWARE_GO  the oracle go binary (default /opt/go/1.27.3/go/bin/go)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
program="$root/Tests/Fixtures/programs/workload"
traces="$root/Tests/Fixtures/traces"
readme="$root/Tests/Fixtures/README.md"
oracle=${TRACEWARE_GO:-/opt/go/1.27.3/go/bin/go}

# version -> go binary. 1.19 and 1.21 write the legacy (v1) format, 1.22+ the current one.
declare -A gobin=(
  [1.19]=/usr/lib/go-1.19/bin/go
  [1.21.13]=/opt/go/1.21.13/go/bin/go
  [1.22.10]=/opt/go/1.22.10/go/bin/go
  [1.23.9]=/opt/go/1.23.9/go/bin/go
  [1.25.5]=/opt/go/1.25.5/go/bin/go
  [1.26.6]=/opt/go/1.26.6/go/bin/go
  [1.27.3]=/opt/go/1.27.3/go/bin/go
)
all_versions="1.19 1.21.13 1.22.10 1.23.9 1.25.5 1.26.6 1.27.3"
# "busy", "pool" and "service" (the benchmark loads, scripts/bench/lib.sh) are deliberately not fixtures.
all_scenarios="mutex rwmutex waitgroup cond chan select sleep tcp file gc many annotation chain cpuprofile restart gomaxprocs"

versions=$all_versions
scenarios=$all_scenarios
regenerate=1
while getopts "v:s:n" opt; do
  case $opt in
    v) versions=$OPTARG ;;
    s) scenarios=$OPTARG ;;
    n) regenerate=0 ;;
    *) sed -n '2,12p' "$0" >&2; exit 2 ;;
  esac
done

# Never touch the network or switch toolchains; keep Go's caches out of the checkout.
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=on
export GOPATH=${TMPDIR:-/tmp}/traceware-fixtures/gopath
export GOCACHE=${TMPDIR:-/tmp}/traceware-fixtures/gocache
work=$(mktemp -d "${TMPDIR:-/tmp}/traceware-fixtures.XXXXXX")
trap 'rm -rf "$work"' EXIT

folder() { # 1.22.10 -> go1.22
  local major_minor
  major_minor=$(echo "$1" | cut -d. -f1,2)
  echo "go$major_minor"
}

if [ "$regenerate" = 1 ]; then
  for v in $versions; do
    go=${gobin[$v]:-}
    [ -n "$go" ] && [ -x "$go" ] || { echo "no go binary for $v (${go:-unknown version})" >&2; exit 1; }
    out="$traces/$(folder "$v")"
    mkdir -p "$out"
    echo "== $($go version): building the workload" >&2
    (cd "$program" && "$go" build -o "$work/workload-$v" .)
    for s in $scenarios; do
      echo "   $s -> ${out#"$root"/}/$s.trace" >&2
      # Bounded: a runaway workload must not eat the machine (traces are buffered in memory when the writer
      # falls behind).
      (ulimit -v 4000000; cd "$work" && timeout 120 "$work/workload-$v" -scenario "$s" -o "$out/$s.trace")
    done
  done
fi

echo "== checking every trace with $("$oracle" version) go tool trace -d=parsed" >&2
failed=0
for f in "$traces"/go1.*/*.trace; do
  if ! "$oracle" tool trace -d=parsed "$f" >/dev/null 2>"$work/err"; then
    echo "FAIL: $f: $(tail -1 "$work/err")" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || { echo "some traces do not read with the oracle" >&2; exit 1; }

# Rewrite the size table between the markers in Tests/Fixtures/README.md.
table="$work/table.md"
{
  printf '| scenario |'
  for d in "$traces"/go1.*; do printf ' %s |' "$(basename "$d")"; done
  printf '\n|---|'
  for d in "$traces"/go1.*; do printf -- '---:|'; done
  printf '\n'
  # The workload's scenarios, then the other fixtures (payments*, std-*: scripts/make-payments-fixtures.sh,
  # scripts/make-stdlib-fixtures.sh).
  others=$(for f in "$traces"/go1.*/*.trace; do basename "$f" .trace; done | sort -u | grep -vxF -f <(tr ' ' '\n' <<<"$all_scenarios") || true)
  for s in $all_scenarios $others; do
    printf '| %s |' "$s"
    for d in "$traces"/go1.*; do
      if [ -f "$d/$s.trace" ]; then printf ' %s |' "$(( ($(stat -c %s "$d/$s.trace") + 512) / 1024 )) KB"; else printf ' – |'; fi
    done
    printf '\n'
  done
  printf '| **total** |'
  for d in "$traces"/go1.*; do printf ' %s |' "$(du -sk --apparent-size "$d" | cut -f1) KB"; done
  printf '\n\nAll traces: %s KB.\n' "$(du -sk --apparent-size "$traces" | cut -f1)"
} >"$table"
if [ -f "$readme" ] && grep -q '<!-- sizes:begin -->' "$readme"; then
  awk -v table="$table" '
    /<!-- sizes:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
    /<!-- sizes:end -->/ { skip = 0 }
    !skip { print }
  ' "$readme" >"$work/readme" && cat "$work/readme" >"$readme"
fi
cat "$table"

#!/usr/bin/env bash
# Regenerates the standard-library fixtures: Tests/Fixtures/traces/go1.NN/std-<package>.trace, written by
# `go test -trace` runs of a few short tests of standard-library packages (the largest body of real concurrent
# Go anyone can trace), built and run with each toolchain. Each trace is then read with the oracle
# (`go tool trace -d=parsed`) and must stay under 300 KB; the size table in Tests/Fixtures/README.md is
# rewritten (scripts/make-fixtures.sh -n).
#
# Usage: scripts/make-stdlib-fixtures.sh [-v "1.21.13 1.22.10 1.27.3"] [-p "sync context io"]
# Toolchains: /opt/go/<version>/go/bin/go (scripts/install-go.sh 1.21.13 1.22.10).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
traces="$root/Tests/Fixtures/traces"
versions="1.21.13 1.22.10 1.27.3"
packages="sync context io"
while getopts "v:p:" opt; do
  case $opt in
    v) versions=$OPTARG ;;
    p) packages=$OPTARG ;;
    *) sed -n '2,10p' "$0" >&2; exit 2 ;;
  esac
done

# The tests of each package: short ones, picked so a trace stays small (go test -run regexp; names missing
# from an older toolchain just don't match). sync: WaitGroup, Cond, Once, Pool under stress, RWMutex readers,
# Mutex fairness (starvation mode); context: cancellation, deadlines, timeouts, AfterFunc; io: Pipe.
declare -A tests=(
  [sync]='TestWaitGroup$|TestCondSignal$|TestCondSignalGenerations|TestOnce$|TestPoolStress|TestRWMutexConcurrentReaders|TestMutexFairness'
  [context]='TestWithCancel|TestWithDeadline|TestWithTimeout|TestCanceledTimeout|TestCancelRemoves|TestAfterFunc'
  [io]='TestPipe'
)

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=on
export GOPATH=${TMPDIR:-/tmp}/traceware-fixtures/gopath
export GOCACHE=${TMPDIR:-/tmp}/traceware-fixtures/gocache
work=$(mktemp -d "${TMPDIR:-/tmp}/traceware-stdlib.XXXXXX")
trap 'rm -rf "$work"' EXIT

for v in $versions; do
  go=/opt/go/$v/go/bin/go
  [ -x "$go" ] || { echo "no go binary for $v at $go (scripts/install-go.sh $v)" >&2; exit 1; }
  goroot=$("$go" env GOROOT)
  out="$traces/go$(echo "$v" | cut -d. -f1,2)"
  mkdir -p "$out"
  for p in $packages; do
    run=${tests[$p]:-}
    [ -n "$run" ] || { echo "no tests chosen for package $p" >&2; exit 1; }
    echo "== $("$go" version): go test -short -run '$run' -trace ${out#"$root"/}/std-$p.trace $p" >&2
    "$go" test -c -o "$work/$p-$v.test" "$p"
    # Run like go test does: in the package's directory, bounded (a runaway test must not eat the machine).
    # The size varies from run to run (scheduling, GC): up to 3 tries to stay under 300 KB.
    for try in 1 2 3; do
      (ulimit -v 4000000; cd "$goroot/src/$p" && timeout 120 "$work/$p-$v.test" -test.short -test.run "$run" \
        -test.trace "$out/std-$p.trace" >/dev/null)
      size=$(stat -c %s "$out/std-$p.trace")
      [ "$size" -gt 307200 ] || break
      echo "   std-$p.trace is $size bytes (> 300 KB), try $try" >&2
    done
    [ "$size" -le 307200 ] || { echo "std-$p.trace stays over 300 KB: pick fewer tests" >&2; exit 1; }
  done
done
"$root/scripts/make-fixtures.sh" -n >/dev/null

#!/usr/bin/env bash
# Regenerates the dotless-module fixtures: Tests/Fixtures/traces/go1.27/payments.trace and
# payments-trimpath.trace, written by Tests/Fixtures/programs/payments (`module payments`, no dot in its path)
# built with Go 1.27.3, without and with -trimpath. They check which frames count as user code
# (stacks.user_frame_id): by where the file lives (GOROOT or not), not by the dot in the package path.
# Then re-checks every fixture with the oracle and rewrites the size table (scripts/make-fixtures.sh -n).
#
# Usage: scripts/make-payments-fixtures.sh
# Env: PAYMENTS_GO  the go binary that builds the program (default /opt/go/1.27.3/go/bin/go)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
go=${PAYMENTS_GO:-/opt/go/1.27.3/go/bin/go}
out="$root/Tests/Fixtures/traces/go$("$go" env GOVERSION | sed 's/^go//' | cut -d. -f1,2)"

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=on
export GOPATH=${TMPDIR:-/tmp}/traceware-fixtures/gopath
export GOCACHE=${TMPDIR:-/tmp}/traceware-fixtures/gocache
work=$(mktemp -d "${TMPDIR:-/tmp}/traceware-payments.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Built from a copy, so the file paths in the trace (without -trimpath) name a neutral directory, not the
# checkout: /tmp/payments/... (GOROOT is the toolchain's).
src=${TMPDIR:-/tmp}/payments
rm -rf "$src" && cp -r "$root/Tests/Fixtures/programs/payments" "$src"
(cd "$src" && "$go" build -o "$work/payments" . && "$go" build -trimpath -o "$work/payments-trimpath" .)
rm -rf "$src"
mkdir -p "$out"
for variant in payments payments-trimpath; do
  echo "   $variant -> ${out#"$root"/}/$variant.trace" >&2
  (ulimit -v 4000000; cd "$work" && timeout 60 "$work/$variant" -o "$out/$variant.trace")
done
"$root/scripts/make-fixtures.sh" -n >/dev/null

#!/usr/bin/env bash
# Prints the path of a built Go oracle tool (scripts/gotools/NAME), building it first if needed.
#
# The tools import Go's internal/trace packages, which only code inside the toolchain's own source tree may
# import, so the tool's source is copied to $GOROOT/src/cmd/traceware_NAME/ and built there (through a build
# overlay instead when GOROOT is not writable, or with TRACEWARE_GOTOOL_OVERLAY=1). Binaries are cached
# per Go version under ${TMPDIR:-/tmp}/traceware-gotools/<goversion>/NAME-<hash of its source>.
#
# Usage: scripts/gotool.sh NAME        (NAME: txt2bin, readbench, summary)
#        "$(scripts/gotool.sh summary)" trace.trace
# Env:   TRACEWARE_GO  the go binary whose GOROOT is used (default /opt/go/1.27.3/go/bin/go)
set -euo pipefail

name=${1:?usage: scripts/gotool.sh NAME}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$root/scripts/gotools/$name"
[ -f "$src/main.go" ] || { echo "gotool: no tool $name (expected $src/main.go)" >&2; exit 2; }
go=${TRACEWARE_GO:-/opt/go/1.27.3/go/bin/go}
[ -x "$go" ] || { echo "gotool: go not found at $go (install it with scripts/install-go.sh or set TRACEWARE_GO)" >&2; exit 1; }

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=
goroot=$("$go" env GOROOT)
goversion=$("$go" env GOVERSION)
cache="${TMPDIR:-/tmp}/traceware-gotools/$goversion"
mkdir -p "$cache"
stamp=$(cat "$src"/*.go | sha256sum | cut -d' ' -f1)
# One binary per version of the tool's source: checkouts (worktrees) with different versions of a tool share
# this cache, and must not rebuild one another's binary under the same name in between a build and its use.
bin="$cache/$name-${stamp:0:16}"

# Concurrent test processes may ask for the same tool: build under a lock, check again inside it.
exec 9>"$cache/.lock"
flock 9
if [ -x "$bin" ] && [ "$(cat "$bin.sha256" 2>/dev/null)" = "$stamp" ]; then
  echo "$bin"
  exit 0
fi
dest="$goroot/src/cmd/traceware_$name"
if [ -w "$goroot/src/cmd" ] && [ "${TRACEWARE_GOTOOL_OVERLAY:-}" != 1 ]; then
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$src"/*.go "$dest/"
  echo "gotool: building $name with $goversion in $dest" >&2
  (cd "$dest" && "$go" build -o "$bin.tmp" .)
else
  # Read-only GOROOT: place the sources there virtually with a build overlay instead.
  overlay="$cache/$name.overlay.json"
  {
    printf '{"Replace": {'
    sep=
    for f in "$src"/*.go; do
      printf '%s"%s": "%s"' "$sep" "$dest/$(basename "$f")" "$f"
      sep=", "
    done
    printf '}}\n'
  } >"$overlay"
  echo "gotool: building $name with $goversion through an overlay at $dest" >&2
  (cd "$goroot/src/cmd" && "$go" build -overlay "$overlay" -o "$bin.tmp" "cmd/traceware_$name")
fi
mv "$bin.tmp" "$bin"
echo "$stamp" >"$bin.sha256"
echo "$bin"

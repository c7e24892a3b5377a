#!/usr/bin/env bash
# Reader benchmark: traceware's parser against Go's internal/trace reader on the same trace.
#
# Generates a busy program's trace of about 50 MB with Go 1.27.3 (in a temp dir, never committed), builds
# traceware in release mode, then times `traceware dump --parse-only FILE` and `readbench FILE` (Go's reader,
# scripts/gotools/readbench) alternately, several times each, and prints the median wall times, the ratio
# traceware / Go, and each one's peak RSS.
#
# Usage: scripts/bench/bench-reader.sh [-s MB] [-r REPS] [-t TRACE] [-k]
#   -s MB     approximate trace size to generate (default 50)
#   -r REPS   repetitions of each reader (default 5)
#   -t TRACE  benchmark this existing trace instead of generating one
#   -k        keep the temp dir (prints its path)
# Env: TRACEWARE_GO (default /opt/go/1.27.3/go/bin/go)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
size_mb=50
reps=5
trace=
keep=0
while getopts "s:r:t:k" opt; do
  case $opt in
    s) size_mb=$OPTARG ;;
    r) reps=$OPTARG ;;
    t) trace=$OPTARG ;;
    k) keep=1 ;;
    *) sed -n '2,15p' "$0" >&2; exit 2 ;;
  esac
done

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=
go=${TRACEWARE_GO:-/opt/go/1.27.3/go/bin/go}
[ -x "$go" ] || { echo "go not found at $go (scripts/install-go.sh, or set TRACEWARE_GO)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/traceware-bench.XXXXXX")
if [ "$keep" = 1 ]; then echo "temp dir: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
log() { echo "== $*" >&2; }

# --- the trace -------------------------------------------------------------------------------------------------
if [ -z "$trace" ]; then
  log "building the workload with $("$go" version)"
  (cd "$root/Tests/Fixtures/programs/workload" &&
    GOPATH="$work/gopath" GOCACHE="${TMPDIR:-/tmp}/traceware-bench-gocache" "$go" build -o "$work/workload" .)
  trace="$work/busy.trace"
  target=$((size_mb * 1024 * 1024))
  # The busy load runs a fixed number of rounds (-rounds), so the size follows the work done, not the machine's
  # speed: calibrate with a short run, then scale.
  rounds=50
  for attempt in 1 2 3 4; do
    log "generating a busy trace, $rounds rounds (attempt $attempt, target ${size_mb} MB)"
    (ulimit -v 8000000; timeout 600 "$work/workload" -scenario busy -rounds "$rounds" -o "$trace")
    got=$(stat -c %s "$trace")
    log "  $((got / 1024 / 1024)) MB"
    if [ "$attempt" -gt 1 ] && [ $((got * 10)) -ge $((target * 8)) ] && [ $((got * 10)) -le $((target * 12)) ]; then break; fi
    rounds=$((rounds * target / (got > 0 ? got : 1)))
    [ "$rounds" -le 20000 ] || rounds=20000
    [ "$rounds" -ge 1 ] || rounds=1
  done
fi
[ -f "$trace" ] || { echo "no trace at $trace" >&2; exit 1; }
trace_bytes=$(stat -c %s "$trace")

# --- the readers -----------------------------------------------------------------------------------------------
log "building readbench (Go's reader)"
readbench=$("$root/scripts/gotool.sh" readbench)

swift_ok=1
log "building traceware (release)"
if ! (cd "$root" && swift build -c release --scratch-path "$root/.build-bench" --product traceware >"$work/swift-build.log" 2>&1); then
  echo "traceware failed to build (log: $work/swift-build.log); timing Go only" >&2
  tail -20 "$work/swift-build.log" >&2
  swift_ok=0
fi
if [ "$swift_ok" = 1 ]; then
  traceware="$(cd "$root" && swift build -c release --scratch-path "$root/.build-bench" --show-bin-path)/traceware"
  if ! "$traceware" dump --help 2>&1 | grep -q -- '--parse-only'; then
    echo "traceware dump has no --parse-only yet; timing Go only" >&2
    swift_ok=0
  fi
fi

# measure NAME CMD...: one run; appends "seconds maxrss_kb" to $work/NAME.times, stdout to $work/NAME.out
if [ -x /usr/bin/time ]; then
  measure() {
    local name=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time.tmp" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
      { echo "$name failed: $(tail -3 "$work/$name.err")" >&2; return 1; }
    tail -1 "$work/time.tmp" >>"$work/$name.times"
  }
else # no GNU time: wall time from bash, peak RSS from the kernel's accounting of the finished child
  measure() {
    local name=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >"$work/$name.out" 2>"$work/$name.err" || { echo "$name failed: $(tail -3 "$work/$name.err")" >&2; return 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f 0\n", b - a }' >>"$work/$name.times"
  }
fi

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
max() { sort -n | tail -1; }

log "timing $reps alternating runs of each reader on $((trace_bytes / 1024 / 1024)) MB ($trace)"
# Warm the page cache first so neither reader pays for the disk.
cat "$trace" >/dev/null
for i in $(seq 1 "$reps"); do
  # Alternate which reader goes first: the machine is small and noisy.
  if [ $((i % 2)) = 1 ] || [ "$swift_ok" = 0 ]; then
    measure go "$readbench" "$trace"
    [ "$swift_ok" = 0 ] || measure traceware "$traceware" dump --parse-only "$trace"
  else
    measure traceware "$traceware" dump --parse-only "$trace"
    measure go "$readbench" "$trace"
  fi
  echo "   run $i: go $(tail -1 "$work/go.times" | cut -d' ' -f1)s$([ "$swift_ok" = 0 ] || echo ", traceware $(tail -1 "$work/traceware.times" | cut -d' ' -f1)s")" >&2
done

go_med=$(cut -d' ' -f1 "$work/go.times" | median)
go_rss=$(cut -d' ' -f2 "$work/go.times" | max)
echo
echo "trace:      $trace ($trace_bytes bytes)"
echo "go events:  $(head -1 "$work/go.out")"
printf '%-10s %10s %14s\n' reader "median s" "peak RSS MB"
printf '%-10s %10s %14s\n' go "$go_med" "$((go_rss / 1024))"
if [ "$swift_ok" = 1 ]; then
  tw_med=$(cut -d' ' -f1 "$work/traceware.times" | median)
  tw_rss=$(cut -d' ' -f2 "$work/traceware.times" | max)
  printf '%-10s %10s %14s\n' traceware "$tw_med" "$((tw_rss / 1024))"
  echo "ratio traceware / go: $(awk -v a="$tw_med" -v b="$go_med" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
  echo "traceware output: $(head -1 "$work/traceware.out")"
  tw_count=$(grep -o -m1 '[0-9][0-9]*' "$work/traceware.out" | head -1 || true)
  if [ "$tw_count" = "$(head -1 "$work/go.out")" ]; then echo "event counts agree"
  else echo "EVENT COUNTS DIFFER: traceware ${tw_count:-?}, go $(head -1 "$work/go.out")"; fi
fi

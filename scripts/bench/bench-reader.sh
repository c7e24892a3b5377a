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

work=$(mktemp -d "${TMPDIR:-/tmp}/traceware-bench.XXXXXX")
if [ "$keep" = 1 ]; then echo "temp dir: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
. "$root/scripts/bench/lib.sh"

# --- the trace -------------------------------------------------------------------------------------------------
if [ -z "$trace" ]; then
  trace="$work/busy.trace"
  make_busy_trace "$size_mb" "$trace"
fi
[ -f "$trace" ] || { echo "no trace at $trace" >&2; exit 1; }
trace_bytes=$(stat -c %s "$trace")

# --- the readers -----------------------------------------------------------------------------------------------
log "building readbench (Go's reader)"
readbench=$("$root/scripts/gotool.sh" readbench)

swift_ok=1
traceware=$(build_traceware "$root/.build-bench")
if [ -z "$traceware" ]; then
  echo "timing Go only" >&2
  swift_ok=0
elif ! "$traceware" dump --help 2>&1 | grep -q -- '--parse-only'; then
  echo "traceware dump has no --parse-only yet; timing Go only" >&2
  swift_ok=0
fi

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

go_med=$(column 1 "$work/go.times" | median)
go_rss=$(column 3 "$work/go.times" | max)
echo
echo "trace:      $trace ($trace_bytes bytes)"
echo "go events:  $(head -1 "$work/go.out")"
printf '%-10s %10s %14s\n' reader "median s" "peak RSS MB"
printf '%-10s %10s %14s\n' go "$go_med" "$((go_rss / 1024))"
if [ "$swift_ok" = 1 ]; then
  tw_med=$(column 1 "$work/traceware.times" | median)
  tw_rss=$(column 3 "$work/traceware.times" | max)
  printf '%-10s %10s %14s\n' traceware "$tw_med" "$((tw_rss / 1024))"
  echo "ratio traceware / go: $(ratio "$tw_med" "$go_med")"
  echo "traceware output: $(head -1 "$work/traceware.out")"
  tw_count=$(grep -o -m1 '[0-9][0-9]*' "$work/traceware.out" | head -1 || true)
  if [ "$tw_count" = "$(head -1 "$work/go.out")" ]; then echo "event counts agree"
  else echo "EVENT COUNTS DIFFER: traceware ${tw_count:-?}, go $(head -1 "$work/go.out")"; fi
fi

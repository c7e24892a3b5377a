#!/usr/bin/env bash
# Ingest benchmark: `traceware ingest` against Go's reader + goroutine Summarizer on the same traces.
#
# For each size, takes a busy program's trace (generated once with Go 1.27.3 and cached under
# ${TMPDIR:-/tmp}/traceware-bench-traces/), then runs, alternating, REPS times each:
#   go:        scripts/gotools/readbench -summarize FILE  (internal/trace reader + Summarizer + Finalize, as
#              cmd/trace's goroutine analysis does)
#   traceware: traceware ingest --db FRESH.db FILE  (release build, a new warehouse every run)
# and prints the median wall and CPU times, the ratios traceware / Go, each one's peak RSS, and the warehouse
# bytes per trace byte. Several sizes show whether memory stays flat as traces grow.
#
# Usage: scripts/bench/bench-ingest.sh [-s "MB MB ..."] [-r REPS] [-t TRACE] [-B SCRATCH] [-x BINARY] [-k]
#   -s SIZES    trace sizes in MB (default "12 25 45")
#   -r REPS     repetitions of each side per size (default 3)
#   -t TRACE    benchmark this existing trace instead (once, instead of the sizes)
#   -B SCRATCH  swift build scratch path (default .build-bench)
#   -x BINARY   use this traceware binary instead of building one
#   -k          keep the temp dir (prints its path)
# Env: TRACEWARE_GO (default /opt/go/1.27.3/go/bin/go)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
sizes="12 25 45"
reps=3
trace=
scratch="$root/.build-bench"
traceware=
keep=0
while getopts "s:r:t:B:x:k" opt; do
  case $opt in
    s) sizes=$OPTARG ;;
    r) reps=$OPTARG ;;
    t) trace=$OPTARG ;;
    B) scratch=$OPTARG ;;
    x) traceware=$OPTARG ;;
    k) keep=1 ;;
    *) sed -n '2,20p' "$0" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/traceware-bench.XXXXXX")
if [ "$keep" = 1 ]; then echo "temp dir: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
. "$root/scripts/bench/lib.sh"

traces=()
if [ -n "$trace" ]; then
  [ -f "$trace" ] || { echo "no trace at $trace" >&2; exit 1; }
  traces=("$trace")
else
  for mb in $sizes; do traces+=("$(cached_busy_trace "$mb")"); done
fi

log "building readbench (Go's reader + Summarizer with -summarize)"
gobench=$("$root/scripts/gotool.sh" readbench)
[ -n "$traceware" ] || traceware=$(build_traceware "$scratch")
[ -n "$traceware" ] && [ -x "$traceware" ] || { echo "no traceware binary" >&2; exit 1; }

ingest() { # ingest TRACE: into a fresh warehouse each run; its size goes to $work/db.bytes
  rm -f "$work/w.db" "$work/w.db-wal" "$work/w.db-shm"
  measure traceware "$traceware" ingest --db "$work/w.db" "$1"
  { stat -c %s "$work/w.db"; stat -c %s "$work/w.db-wal" 2>/dev/null || true; } | awk '{ n += $1 } END { print n }' >"$work/db.bytes"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(loadavg)
summary=()
for t in "${traces[@]}"; do
  bytes=$(stat -c %s "$t")
  rm -f "$work"/go.times "$work"/traceware.times
  log "$reps alternating runs on $((bytes / 1024 / 1024)) MB ($t)"
  cat "$t" >/dev/null # warm the page cache so neither side pays for the disk
  for i in $(seq 1 "$reps"); do
    # Alternate which side goes first: the machine is small and noisy.
    if [ $((i % 2)) = 1 ]; then
      measure go "$gobench" -summarize "$t"
      ingest "$t"
    else
      ingest "$t"
      measure go "$gobench" -summarize "$t"
    fi
    echo "   run $i: go $(tail -1 "$work/go.times" | cut -d' ' -f1-2)s, traceware $(tail -1 "$work/traceware.times" | cut -d' ' -f1-2)s (wall cpu)" >&2
  done
  read -r go_events go_goroutines <"$work/go.out"
  tw_line=$(head -1 "$work/traceware.out")
  tw_events=$(echo "$tw_line" | sed -n 's/.*, \([0-9]*\) events.*/\1/p')
  tw_goroutines=$(echo "$tw_line" | sed -n 's/.*events, \([0-9]*\) goroutines.*/\1/p')
  gw=$(column 1 "$work/go.times" | median); gc=$(column 2 "$work/go.times" | median)
  tw=$(column 1 "$work/traceware.times" | median); tc=$(column 2 "$work/traceware.times" | median)
  grss=$(column 3 "$work/go.times" | max); trss=$(column 3 "$work/traceware.times" | max)
  db=$(cat "$work/db.bytes")
  echo
  echo "trace: $t ($bytes bytes, $go_events events, $go_goroutines goroutines)"
  printf '  %-10s %8s %8s %12s\n' "" "wall s" "CPU s" "peak RSS MB"
  printf '  %-10s %8s %8s %12s\n' go "$gw" "$gc" "$((grss / 1024))"
  printf '  %-10s %8s %8s %12s\n' traceware "$tw" "$tc" "$((trss / 1024))"
  echo "  ratio traceware / go: wall $(ratio "$tw" "$gw"), CPU $(ratio "$tc" "$gc")"
  echo "  warehouse: $db bytes, $(ratio "$db" "$bytes") bytes per trace byte"
  if [ "$tw_events" = "$go_events" ] && [ "$tw_goroutines" = "$go_goroutines" ]; then
    echo "  event and goroutine counts agree"
  else
    echo "  COUNTS DIFFER: traceware ${tw_events:-?} events / ${tw_goroutines:-?} goroutines, go $go_events / $go_goroutines"
  fi
  summary+=("$(printf '%5s MB %10s events  wall %5s s / %5s s = %5s  CPU %5s s / %5s s = %5s  RSS %4s / %4s MB  %s B/B' \
    $((bytes / 1024 / 1024)) "$go_events" "$tw" "$gw" "$(ratio "$tw" "$gw")" "$tc" "$gc" "$(ratio "$tc" "$gc")" \
    $((trss / 1024)) $((grss / 1024)) "$(ratio "$db" "$bytes")")")
done
echo
echo "summary (traceware / go, median of $reps; RSS is the max; load average before $load_before, after $(loadavg)):"
for line in "${summary[@]}"; do echo "$line"; done

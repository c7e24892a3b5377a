#!/usr/bin/env bash
# Ingest benchmark: `traceware ingest` against Go's reader + goroutine Summarizer on the same traces.
#
# For each shape and size, takes a trace of that workload (generated once with Go 1.27.3 and cached under
# ${TMPDIR:-/tmp}/traceware-bench-traces/; shapes in lib.sh: busy = many short-lived goroutines, pool = a worker
# pool of long-lived ones, service = an RPC server with a task per request), then runs, alternating, REPS times each:
#   go:        scripts/gotools/readbench -summarize FILE  (internal/trace reader + Summarizer + Finalize, as
#              cmd/trace's goroutine analysis does)
#   traceware: traceware ingest --db NEW.db FILE  (release build, a new warehouse every run: the first run of
#              a warehouse is built privately and published, see WarehouseDraft)
#   existing:  traceware ingest --db OLD.db FILE  (into a warehouse that already holds a run: the WAL path,
#              as every later ingest takes)
# and prints the median wall and CPU times, the ratios to Go, the peak RSS, the warehouse bytes per trace
# byte, and where traceware's time went (`ingest --timings` of its median run), then the ratio of each shape
# and size and the worst. Several sizes show whether memory stays flat as traces grow; several shapes, whether
# the ratio holds when Go's Summarizer has less to do.
#
# Usage: scripts/bench/bench-ingest.sh [-w "SHAPE ..."] [-s "MB MB ..."] [-r REPS] [-t TRACE] [-B SCRATCH] [-x BINARY] [-k]
#   -w SHAPES   workload shapes (default every shape: "busy pool service")
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
shapes=
reps=3
trace=
scratch="$root/.build-bench"
traceware=
keep=0
while getopts "w:s:r:t:B:x:k" opt; do
  case $opt in
    w) shapes=$OPTARG ;;
    s) sizes=$OPTARG ;;
    r) reps=$OPTARG ;;
    t) trace=$OPTARG ;;
    B) scratch=$OPTARG ;;
    x) traceware=$OPTARG ;;
    k) keep=1 ;;
    *) sed -n '2,26p' "$0" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/traceware-bench.XXXXXX")
if [ "$keep" = 1 ]; then echo "temp dir: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
. "$root/scripts/bench/lib.sh"

[ -n "$shapes" ] || shapes=$bench_shapes
traces=() names=()
if [ -n "$trace" ]; then
  [ -f "$trace" ] || { echo "no trace at $trace" >&2; exit 1; }
  traces=("$trace") names=("given")
else
  for shape in $shapes; do
    for mb in $sizes; do traces+=("$(cached_trace "$shape" "$mb")") names+=("$shape"); done
  done
fi

log "building readbench (Go's reader + Summarizer with -summarize)"
gobench=$("$root/scripts/gotool.sh" readbench)
[ -n "$traceware" ] || traceware=$(build_traceware "$scratch")
[ -n "$traceware" ] && [ -x "$traceware" ] || { echo "no traceware binary" >&2; exit 1; }

# The small run that the "existing" warehouse holds before each measured ingest.
seed_trace="$root/Tests/Fixtures/traces/go1.27/mutex.trace"

ingest_into() { # ingest_into NAME DB TRACE: times `traceware ingest --timings` as NAME, keeps its phase line
  measure "$1" "$traceware" ingest --timings --db "$2" "$3"
  grep '^timings:' "$work/$1.err" | sed -E 's/ \([^()]*\)$//' >>"$work/$1.phases"
}

ingest() { # ingest TRACE: into a new warehouse; its size goes to $work/db.bytes
  rm -f "$work/w.db" "$work/w.db-wal" "$work/w.db-shm"
  ingest_into traceware "$work/w.db" "$1"
  { stat -c %s "$work/w.db"; stat -c %s "$work/w.db-wal" 2>/dev/null || true; } | awk '{ n += $1 } END { printf "%.0f\n", n }' >"$work/db.bytes"
}

ingest_existing() { # ingest_existing TRACE: into a warehouse that already holds a run
  rm -f "$work/old.db" "$work/old.db-wal" "$work/old.db-shm"
  "$traceware" ingest --db "$work/old.db" "$seed_trace" >/dev/null
  ingest_into existing "$work/old.db" "$1"
}

# median_phases TIMES PHASES: the --timings line of the run whose wall time is the median.
median_phases() {
  local m; m=$(column 1 "$1" | median)
  paste -d'|' <(column 1 "$1") "$2" | awk -F'|' -v m="$m" '{ d = $1 - m; if (d < 0) d = -d; if (best == "" || d < bd) { best = $2; bd = d } } END { sub(/^timings: /, "", best); print best }'
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(loadavg)
summary=()
worst= worst_line=
for k in "${!traces[@]}"; do
  t=${traces[$k]} shape=${names[$k]}
  bytes=$(stat -c %s "$t")
  rm -f "$work"/go.times "$work"/traceware.times "$work"/existing.times "$work"/*.phases
  log "$reps alternating runs on $shape, $((bytes / 1024 / 1024)) MB ($t)"
  cat "$t" >/dev/null # warm the page cache so neither side pays for the disk
  for i in $(seq 1 "$reps"); do
    # Alternate which side goes first: the machine is small and noisy.
    if [ $((i % 2)) = 1 ]; then
      measure go "$gobench" -summarize "$t"
      ingest "$t"
      ingest_existing "$t"
    else
      ingest_existing "$t"
      ingest "$t"
      measure go "$gobench" -summarize "$t"
    fi
    echo "   run $i: go $(tail -1 "$work/go.times" | cut -d' ' -f1-2)s, traceware $(tail -1 "$work/traceware.times" | cut -d' ' -f1-2)s, existing $(tail -1 "$work/existing.times" | cut -d' ' -f1-2)s (wall cpu)" >&2
  done
  read -r go_events go_goroutines <"$work/go.out"
  tw_line=$(head -1 "$work/traceware.out")
  tw_events=$(echo "$tw_line" | sed -n 's/.*, \([0-9]*\) events.*/\1/p')
  tw_goroutines=$(echo "$tw_line" | sed -n 's/.*events, \([0-9]*\) goroutines.*/\1/p')
  gw=$(column 1 "$work/go.times" | median); gc=$(column 2 "$work/go.times" | median)
  tw=$(column 1 "$work/traceware.times" | median); tc=$(column 2 "$work/traceware.times" | median)
  ew=$(column 1 "$work/existing.times" | median); ec=$(column 2 "$work/existing.times" | median)
  grss=$(column 3 "$work/go.times" | max); trss=$(column 3 "$work/traceware.times" | max)
  erss=$(column 3 "$work/existing.times" | max)
  db=$(cat "$work/db.bytes")
  echo
  echo "trace: $shape, $t ($bytes bytes, $go_events events, $go_goroutines goroutines)"
  printf '  %-10s %8s %8s %12s\n' "" "wall s" "CPU s" "peak RSS MB"
  printf '  %-10s %8s %8s %12s\n' go "$gw" "$gc" "$((grss / 1024))"
  printf '  %-10s %8s %8s %12s\n' traceware "$tw" "$tc" "$((trss / 1024))"
  printf '  %-10s %8s %8s %12s\n' existing "$ew" "$ec" "$((erss / 1024))"
  echo "  ratio traceware / go: wall $(ratio "$tw" "$gw"), CPU $(ratio "$tc" "$gc")  (new warehouse)"
  echo "  ratio existing / go:  wall $(ratio "$ew" "$gw"), CPU $(ratio "$ec" "$gc")  (into a warehouse with a run)"
  echo "  phases, median run: new: $(median_phases "$work/traceware.times" "$work/traceware.phases")"
  echo "                 existing: $(median_phases "$work/existing.times" "$work/existing.phases")"
  echo "  warehouse: $db bytes, $(ratio "$db" "$bytes") bytes per trace byte"
  if [ "$tw_events" = "$go_events" ] && [ "$tw_goroutines" = "$go_goroutines" ]; then
    echo "  event and goroutine counts agree"
  else
    echo "  COUNTS DIFFER: traceware ${tw_events:-?} events / ${tw_goroutines:-?} goroutines, go $go_events / $go_goroutines"
  fi
  summary+=("$(printf '%-7s %5s MB %10s events  wall %5s s / %5s s = %5s  CPU %5s s / %5s s = %5s  RSS %4s / %4s MB  %s B/B  existing: wall %5s  CPU %5s' \
    "$shape" $((bytes / 1024 / 1024)) "$go_events" "$tw" "$gw" "$(ratio "$tw" "$gw")" "$tc" "$gc" "$(ratio "$tc" "$gc")" \
    $((trss / 1024)) $((grss / 1024)) "$(ratio "$db" "$bytes")" "$(ratio "$ew" "$gw")" "$(ratio "$ec" "$gc")")")
  r=$(ratio "$tw" "$gw")
  if [ -z "$worst" ] || awk -v a="$r" -v b="$worst" 'BEGIN { exit !(a > b) }'; then
    worst=$r worst_line="$shape, $((bytes / 1024 / 1024)) MB"
  fi
done
echo
echo "summary (traceware into a new warehouse / go, median of $reps; RSS is the max; load average before $load_before, after $(loadavg)):"
for line in "${summary[@]}"; do echo "$line"; done
echo "worst wall ratio traceware / go (new warehouse): $worst ($worst_line)"

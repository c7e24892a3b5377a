#!/usr/bin/env bash
# Report benchmark: how long each canned report, `compare` and `compare --report NAME` take on big runs, in a
# warehouse that holds many of them, and how big the warehouse is.
#
# Builds (or reuses, with -d) a warehouse of N distinct runs of each shape (lib.sh: busy = many short-lived
# goroutines, pool = a worker pool of long-lived ones, service = an RPC server on loopback TCP with a task and
# regions per request), each a trace of about MB megabytes written once by the
# workload with Go 1.27.3 and cached under ${TMPDIR:-/tmp}/traceware-bench-traces/ (SHAPE-MBmb.trace,
# SHAPE-MBmb-2.trace, ...: runs are unique by sha256, so each run is its own trace). Then, for one run of each
# shape (its first), times with the release build:
#   report NAME --run ID          every canned report (`traceware reports`), default parameters
#   compare ID1 ID2               two runs of the shape, the metrics
#   compare ID1 ID2 --report NAME every canned report side by side
# each the median wall and CPU (user + system) time of REPS runs (one run only when the first takes over 10 s;
# a command still running after TIMEOUT seconds is stopped and shown as ">TIMEOUT"), with its peak RSS. Prints the load average before
# and after each shape, and the warehouse's bytes per trace byte (file + WAL over the runs' source_bytes).
#
# Usage: scripts/bench/bench-reports.sh [-w "SHAPE ..."] [-s MB] [-n N] [-r REPS] [-T TIMEOUT] [-R "REPORT ..."]
#                                       [-c "REPORT ..."] [-d DB] [-B SCRATCH] [-x BINARY] [-k]
#   -w SHAPES   workload shapes (default every shape: "busy pool service")
#   -s MB       trace size in MB (default 45, about 2 s of either load)
#   -n N        runs of each shape in the warehouse (default 10; -n 3 for a quick run)
#   -r REPS     repetitions of each timing (default 3)
#   -T TIMEOUT  seconds before a command is stopped (default 120)
#   -R REPORTS  the reports to time (default every canned report)
#   -c REPORTS  the reports to time under `compare --report` (default: those of -R; "" for none)
#   -d DB       build or reuse this warehouse (runs missing from it are ingested; default: a new one in the
#               temp dir). Reuse it only with the traceware that built it or a newer one.
#   -B SCRATCH  swift build scratch path (default .build-release)
#   -x BINARY   use this traceware binary instead of building one
#   -k          keep the temp dir (prints its path)
# Env: TRACEWARE_GO (default /opt/go/1.27.3/go/bin/go)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shapes=
size=45
runs=10
reps=3
timeout_s=120
compare_reports=all
only_reports=all
db=
scratch="$root/.build-release"
traceware=
keep=0
while getopts "w:s:n:r:T:R:c:d:B:x:k" opt; do
  case $opt in
    w) shapes=$OPTARG ;;
    s) size=$OPTARG ;;
    n) runs=$OPTARG ;;
    r) reps=$OPTARG ;;
    T) timeout_s=$OPTARG ;;
    R) only_reports=$OPTARG ;;
    c) compare_reports=$OPTARG ;;
    d) db=$OPTARG ;;
    B) scratch=$OPTARG ;;
    x) traceware=$OPTARG ;;
    k) keep=1 ;;
    *) sed -n '2,32p' "$0" >&2; exit 2 ;;
  esac
done
[ "$runs" -ge 2 ] || { echo "-n: at least 2 runs of each shape (compare needs two)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/traceware-bench-reports.XXXXXX")
if [ "$keep" = 1 ]; then echo "temp dir: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
. "$root/scripts/bench/lib.sh"
[ -n "$shapes" ] || shapes=$bench_shapes
[ -n "$db" ] || db="$work/warehouse.db"

[ -n "$traceware" ] || traceware=$(build_traceware "$scratch")
[ -n "$traceware" ] && [ -x "$traceware" ] || { echo "no traceware binary" >&2; exit 1; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# sql QUERY: one read-only query on the warehouse, CSV rows without the header.
sql() { "$traceware" query --db "$db" --format csv "$1" | tail -n +2; }

# The warehouse: N runs of each shape, labelled bench-SHAPE.
for shape in $shapes; do
  have=0
  [ -f "$db" ] && have=$(sql "SELECT count(*) FROM runs WHERE label = 'bench-$shape'")
  for k in $(seq $((have + 1)) "$runs"); do
    t=$(cached_trace "$shape" "$size" "$k")
    log "ingesting $shape run $k of $runs ($(($(stat -c %s "$t") / 1024 / 1024)) MB)"
    measure ingest "$traceware" ingest --db "$db" --label "bench-$shape" "$t" ||
      { echo "ingest failed (same trace twice? delete it and its cache)" >&2; exit 1; }
    echo "   $(tail -1 "$work/ingest.times" | cut -d' ' -f1) s wall" >&2
  done
done

# time_it NAME CMD...: REPS runs (one when the first takes over 10 s); prints "median_wall median_cpu peak_rss_mb".
time_it() {
  local name=$1 i wall; shift
  rm -f "$work/$name.times"
  for i in $(seq 1 "$reps"); do
    if ! measure "$name" timeout "$timeout_s" "$@" 2>/dev/null; then
      # timeout(1) exits with 124 when it stopped the command; GNU time notes the status in its output.
      if grep -q "status 124" "$work/time.tmp" 2>/dev/null; then echo ">$timeout_s - -"; else echo "failed - -"; fi
      return
    fi
    wall=$(tail -1 "$work/$name.times" | cut -d' ' -f1)
    awk -v w="$wall" 'BEGIN { exit !(w > 10) }' && break
  done
  echo "$(column 1 "$work/$name.times" | median) $(column 2 "$work/$name.times" | median) $(($(column 3 "$work/$name.times" | max) / 1024))"
}

reports=$("$traceware" reports --db "$db" --format csv | tail -n +2 | awk -F, '$2 == "canned" { print $1 }')
[ "$only_reports" = all ] || reports=$only_reports
[ "$compare_reports" != all ] || compare_reports=$reports
db_bytes=$({ stat -c %s "$db"; stat -c %s "$db-wal" 2>/dev/null || true; } | awk '{ n += $1 } END { printf "%.0f\n", n }')
trace_bytes=$(sql "SELECT sum(source_bytes) FROM runs")
run_count=$(sql "SELECT count(*) FROM runs")
summary=()
# note WHAT RESULT: prints one timing ("wall cpu rss") and keeps count of those over 1 s and of the slowest.
note() {
  local wall cpu rss
  read -r wall cpu rss <<<"$2"
  printf '  %-44s %9s %9s %12s\n' "$1" "$wall" "$cpu" "$rss"
  case $wall in ">"*|failed) over=$((over + 1)); worst_what="$1 ($wall)"; worst=999999; return ;; esac
  if awk -v w="$wall" 'BEGIN { exit !(w > 1) }'; then over=$((over + 1)); fi
  if awk -v w="$wall" -v m="$worst" 'BEGIN { exit !(w > m) }'; then worst=$wall worst_what="$1 ($wall s)"; fi
}
# report_params REPORT RUN: parameters a report needs to do its work. critical-path walks one task: the run's
# task at the 99th percentile of duration (a run without tasks gives none, and the report then walks nothing).
report_params() {
  local t
  case $1 in
    critical-path)
      t=$(sql "SELECT task_id FROM tasks WHERE run_id = $2 AND duration_ns IS NOT NULL ORDER BY duration_ns
               LIMIT 1 OFFSET (SELECT count(duration_ns) * 99 / 100 FROM tasks WHERE run_id = $2)")
      [ -z "$t" ] || echo "--param task_id=$t" ;;
  esac
}
# Warm the page cache as far as memory allows: a user's second question finds the warehouse warm.
cat "$db" >/dev/null 2>&1 || true
for shape in $shapes; do
  ids=($(sql "SELECT run_id FROM runs WHERE label = 'bench-$shape' ORDER BY run_id LIMIT 2"))
  a=${ids[0]} b=${ids[1]}
  info=$(sql "SELECT source_bytes, event_count, goroutine_count FROM runs WHERE run_id = $a")
  IFS=, read -r bytes events goroutines <<<"$info"
  echo
  echo "$shape: run $a ($((bytes / 1024 / 1024)) MB, $events events, $goroutines goroutines), compare with run $b; warehouse of $run_count runs; load before $(loadavg)"
  printf '  %-44s %9s %9s %12s\n' "" "wall s" "CPU s" "peak RSS MB"
  over=0 worst=0 worst_what=
  for r in $reports; do
    # shellcheck disable=SC2046  # report_params prints zero or two words
    note "report $r" "$(time_it "report-$r" "$traceware" report "$r" --db "$db" --run "$a" --format csv $(report_params "$r" "$a"))"
  done
  note "compare $a $b" "$(time_it compare "$traceware" compare "$a" "$b" --db "$db" --format csv)"
  for r in $compare_reports; do
    note "compare --report $r" "$(time_it "compare-$r" "$traceware" compare "$a" "$b" --report "$r" --db "$db" --format csv)"
  done
  echo "  load after $(loadavg)"
  summary+=("$(printf '%-7s %5s MB: %2s commands over 1 s; slowest: %s' "$shape" $((bytes / 1024 / 1024)) "$over" "$worst_what")")
done
echo
echo "warehouse: $db, $run_count runs, $db_bytes bytes for $trace_bytes trace bytes: $(ratio "$db_bytes" "$trace_bytes") bytes per trace byte"
echo "summary (median of up to $reps; traceware $traceware):"
for line in "${summary[@]}"; do echo "$line"; done

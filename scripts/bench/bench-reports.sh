#!/usr/bin/env bash
# Report benchmark: how long each canned report, `compare` and `compare --report NAME` take on big runs, in a
# warehouse that holds many of them, whether that time depends on how many runs the warehouse holds, and how big
# the warehouse is.
#
# Builds (or reuses, with -d) a warehouse of N runs of each shape (lib.sh: busy = many short-lived goroutines,
# pool = a worker pool of long-lived ones, service = an RPC server on loopback TCP with a task and regions per
# request), each from a trace of about MB megabytes written once by the workload with Go 1.27.3 and cached under
# ${TMPDIR:-/tmp}/traceware-bench-traces/ (SHAPE-MBmb.trace, SHAPE-MBmb-2.trace, ...). The first U runs of a shape
# are ingested from U distinct traces (U = 2 by default: compare pairs two real runs). The other N - U runs are
# copies of those, made in SQL with the sqlite3 shell: every row of every table with a run_id column, under a new
# run_id (rowid tables in rowid order, so a copy reads like the original), with a random source_sha256 and the
# tag bench_copy_of = the original's run_id. A run's rows are what ingesting the same file again would write,
# without the ingest time (a warehouse refuses one file twice: source_sha256 is unique).
# Then, for one run of each shape (its first), times with the release build:
#   report NAME --run ID          every canned report (`traceware reports`), default parameters
#   compare ID1 ID2               two runs of the shape, the metrics
#   compare ID1 ID2 --report NAME every canned report side by side
# each the median wall and CPU (user + system) time of REPS runs (one run only when the first takes over 10 s;
# a command still running after TIMEOUT seconds is stopped and shown as ">TIMEOUT"), with its peak RSS. With -m M,
# every timing is taken first with M runs of each shape in the warehouse, then again once it holds N, and the two
# wall times are printed side by side (a report that reads its run by key takes the same time in both). Prints the
# load average before and after each shape, and the warehouse's bytes per trace byte (file + WAL over the runs'
# source_bytes, copies included).
#
# Usage: scripts/bench/bench-reports.sh [-w "SHAPE ..."] [-s MB] [-n N] [-m M] [-u U] [-r REPS] [-T TIMEOUT]
#                                       [-R "REPORT ..."] [-c "REPORT ..."] [-d DB] [-B SCRATCH] [-x BINARY] [-k]
#   -w SHAPES   workload shapes (default every shape: "busy pool service")
#   -s MB       trace size in MB (default 45, about 2 s of either load)
#   -n N        runs of each shape in the warehouse (default 10; -n 3 for a quick run)
#   -m M        also time everything with M runs of each shape first (2 <= M < N; default: only at N)
#   -u U        distinct traces ingested per shape (default 2; the rest are copies, see above; U >= N: no copies;
#               -u 1: compare pairs a run with its copy, e.g. for big traces that take minutes to write and ingest)
#   -r REPS     repetitions of each timing (default 3)
#   -T TIMEOUT  seconds before a command is stopped (default 120)
#   -R REPORTS  the reports to time (default every canned report)
#   -c REPORTS  the reports to time under `compare --report` (default: those of -R; "" for none)
#   -d DB       build or reuse this warehouse (runs missing from it are ingested or copied; default: a new one in
#               the temp dir). Reuse it only with the traceware that built it or a newer one.
#   -B SCRATCH  swift build scratch path (default .build-release)
#   -x BINARY   use this traceware binary instead of building one
#   -k          keep the temp dir (prints its path)
# Env: TRACEWARE_GO (default /opt/go/1.27.3/go/bin/go)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shapes=
size=45
runs=10
first_runs=
distinct=2
reps=3
timeout_s=120
compare_reports=all
only_reports=all
db=
scratch="$root/.build-release"
traceware=
keep=0
while getopts "w:s:n:m:u:r:T:R:c:d:B:x:k" opt; do
  case $opt in
    w) shapes=$OPTARG ;;
    s) size=$OPTARG ;;
    n) runs=$OPTARG ;;
    m) first_runs=$OPTARG ;;
    u) distinct=$OPTARG ;;
    r) reps=$OPTARG ;;
    T) timeout_s=$OPTARG ;;
    R) only_reports=$OPTARG ;;
    c) compare_reports=$OPTARG ;;
    d) db=$OPTARG ;;
    B) scratch=$OPTARG ;;
    x) traceware=$OPTARG ;;
    k) keep=1 ;;
    *) sed -n '2,45p' "$0" >&2; exit 2 ;;
  esac
done
[ "$runs" -ge 2 ] || { echo "-n: at least 2 runs of each shape (compare needs two)" >&2; exit 2; }
[ -z "$first_runs" ] || { [ "$first_runs" -ge 2 ] && [ "$first_runs" -lt "$runs" ]; } ||
  { echo "-m: at least 2 and fewer than -n" >&2; exit 2; }
[ "$distinct" -ge 1 ] || { echo "-u: at least 1 distinct trace of each shape" >&2; exit 2; }

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

# copy_run RUN: a copy of run RUN (every row of every table keyed by run_id) under a new run_id, in one transaction
# of the sqlite3 shell. The INSERTs are generated from the schema as it is (pragma_table_xinfo: generated columns
# left out), so a table added by a later migration is copied too. Virtual tables are skipped (the shell has no
# traceware module to read them; goroutine_intervals' rows are those of goroutine_interval_chunks, copied).
copy_run() {
  local src=$1 inserts
  inserts=$(sqlite3 "$db" "
    SELECT 'INSERT INTO ' || m.name || ' (' || group_concat(c.name, ', ') || ') SELECT '
           || group_concat(CASE c.name WHEN 'run_id' THEN '(SELECT max(run_id) FROM runs)' ELSE c.name END, ', ')
           || ' FROM ' || m.name || ' WHERE run_id = $src'
           || CASE WHEN m.sql LIKE '%WITHOUT ROWID%' THEN '' ELSE ' ORDER BY rowid' END || ';'
    FROM (SELECT name, sql FROM sqlite_schema
          WHERE type = 'table' AND name NOT IN ('runs', 'run_tags') AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'
          ORDER BY name) m, pragma_table_xinfo(m.name) c
    WHERE c.hidden = 0 AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'run_id')
    GROUP BY m.name ORDER BY m.name")
  [ -n "$inserts" ] || { echo "copy_run: no tables to copy" >&2; return 1; }
  local cols
  cols=$(sqlite3 "$db" "SELECT group_concat(name, ', ') FROM pragma_table_xinfo('runs') WHERE hidden = 0 AND name <> 'run_id'")
  local path_expr="source_path || ' (bench copy of run $src)'" sha_expr="lower(hex(randomblob(32)))"
  local select=${cols//source_sha256/$sha_expr}
  select=${select//source_path/$path_expr}
  sqlite3 "$db" "PRAGMA busy_timeout = 60000;
    BEGIN;
    INSERT INTO runs ($cols) SELECT $select FROM runs WHERE run_id = $src;
    INSERT INTO run_tags (run_id, key, value) SELECT (SELECT max(run_id) FROM runs), key, value FROM run_tags
      WHERE run_id = $src AND key <> 'bench_copy_of';
    INSERT INTO run_tags (run_id, key, value) VALUES ((SELECT max(run_id) FROM runs), 'bench_copy_of', '$src');
    $inserts
    COMMIT;" >/dev/null
}

# fill N: the warehouse holds N runs of each shape, labelled bench-SHAPE: the first U ingested from distinct
# traces, the others copies of those in turn.
fill() {
  local want=$1 shape have k t ids src
  for shape in $shapes; do
    have=0
    [ -f "$db" ] && have=$(sql "SELECT count(*) FROM runs WHERE label = 'bench-$shape'")
    for k in $(seq $((have + 1)) "$want"); do
      if [ "$k" -le "$distinct" ]; then
        t=$(cached_trace "$shape" "$size" "$k")
        log "ingesting $shape run $k of $want ($(($(stat -c %s "$t") / 1024 / 1024)) MB)"
        measure ingest "$traceware" ingest --db "$db" --label "bench-$shape" "$t" ||
          { echo "ingest failed (same trace twice? delete it and its cache)" >&2; exit 1; }
        echo "   $(tail -1 "$work/ingest.times" | cut -d' ' -f1) s wall" >&2
      else
        command -v sqlite3 >/dev/null || { echo "runs beyond -u $distinct are copied with the sqlite3 shell: install it, or raise -u" >&2; exit 1; }
        ids=($(sql "SELECT run_id FROM runs WHERE label = 'bench-$shape' AND run_id NOT IN
                    (SELECT run_id FROM run_tags WHERE key = 'bench_copy_of') ORDER BY run_id LIMIT $distinct"))
        src=${ids[$(((k - 1) % ${#ids[@]}))]}
        log "copying $shape run $src: the shape's run $k of $want"
        t0=$(date +%s.%N)
        copy_run "$src" || { echo "copy failed" >&2; exit 1; }
        awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "   %.2f s wall\n", b - a }' >&2
      fi
    done
  done
}

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

# measure_all TAG: times every command on the first two runs of each shape; writes "shape<TAB>what<TAB>wall cpu
# rss" lines to $work/results.TAG and "shape<TAB>description" lines to $work/shapes.TAG.
measure_all() {
  local tag=$1 shape ids a b info bytes events goroutines r
  : >"$work/results.$tag"
  : >"$work/shapes.$tag"
  # Warm the page cache as far as memory allows: a user's second question finds the warehouse warm.
  cat "$db" >/dev/null 2>&1 || true
  local count
  count=$(sql "SELECT count(*) FROM runs")
  for shape in $shapes; do
    ids=($(sql "SELECT run_id FROM runs WHERE label = 'bench-$shape' ORDER BY run_id LIMIT 2"))
    a=${ids[0]} b=${ids[1]}
    info=$(sql "SELECT source_bytes, event_count, goroutine_count FROM runs WHERE run_id = $a")
    IFS=, read -r bytes events goroutines <<<"$info"
    log "timing $shape, $count runs in the warehouse"
    printf '%s\t%s\n' "$shape" "run $a ($((bytes / 1024 / 1024)) MB, $events events, $goroutines goroutines), compare with run $b; load before $(loadavg)" >>"$work/shapes.$tag"
    for r in $reports; do
      # shellcheck disable=SC2046  # report_params prints zero or two words
      printf '%s\t%s\t%s\n' "$shape" "report $r" "$(time_it "report-$r" "$traceware" report "$r" --db "$db" --run "$a" --format csv $(report_params "$r" "$a"))" >>"$work/results.$tag"
    done
    printf '%s\t%s\t%s\n' "$shape" "compare" "$(time_it compare "$traceware" compare "$a" "$b" --db "$db" --format csv)" >>"$work/results.$tag"
    for r in $compare_reports; do
      printf '%s\t%s\t%s\n' "$shape" "compare --report $r" "$(time_it "compare-$r" "$traceware" compare "$a" "$b" --report "$r" --db "$db" --format csv)" >>"$work/results.$tag"
    done
    printf '%s\t%s\n' "$shape" "load after $(loadavg)" >>"$work/shapes.$tag"
  done
}

# warehouse_size TAG: "runs db_bytes trace_bytes" now, into $work/size.TAG.
warehouse_size() {
  local db_bytes
  db_bytes=$({ stat -c %s "$db"; stat -c %s "$db-wal" 2>/dev/null || true; } | awk '{ n += $1 } END { printf "%.0f\n", n }')
  echo "$(sql "SELECT count(*) FROM runs") $db_bytes $(sql "SELECT sum(source_bytes) FROM runs") $2" >"$work/size.$1"
}

reports=
fill "${first_runs:-$runs}"
reports=$("$traceware" reports --db "$db" --format csv | tail -n +2 | awk -F, '$2 == "canned" { print $1 }')
[ "$only_reports" = all ] || reports=$only_reports
[ "$compare_reports" != all ] || compare_reports=$reports
tags=()
if [ -n "$first_runs" ]; then
  measure_all small
  warehouse_size small "$first_runs"
  tags+=(small)
  fill "$runs"
fi
measure_all full
warehouse_size full "$runs"
tags+=(full)

# The tables: one per shape, wall and CPU time per warehouse size (with -m: M runs of each shape, then N), peak
# RSS at the largest.
summary=()
for shape in $shapes; do
  echo
  echo "$shape: $(grep -P "^$shape\t" "$work/shapes.full" | head -1 | cut -f2)"
  header=""
  for tag in "${tags[@]}"; do
    header+=$(printf ' %16s %7s' "wall s, $(cut -d' ' -f4 "$work/size.$tag") each" "CPU s")
  done
  printf '  %-40s%s %12s\n' "(runs of each shape in the warehouse)" "$header" "peak RSS MB"
  over=0 worst=0 worst_what=
  while IFS=$'\t' read -r sh what result; do
    [ "$sh" = "$shape" ] || continue
    cells=""
    for tag in "${tags[@]}"; do
      cells+=$(awk -F'\t' -v s="$shape" -v w="$what" '$1 == s && $2 == w { split($3, f, " "); printf " %16s %7s", f[1], f[2] }' "$work/results.$tag")
    done
    read -r wall cpu rss <<<"$result"
    printf '  %-40s%s %12s\n' "$what" "$cells" "$rss"
    # Counted over the largest warehouse: commands over 1 s and the slowest.
    case $wall in
      ">"*|failed) over=$((over + 1)); worst_what="$what ($wall)"; worst=999999 ;;
      *)
        if awk -v w="$wall" 'BEGIN { exit !(w > 1) }'; then over=$((over + 1)); fi
        if awk -v w="$wall" -v m="$worst" 'BEGIN { exit !(w > m) }'; then worst=$wall worst_what="$what ($wall s)"; fi ;;
    esac
  done <"$work/results.full"
  echo "  $(grep -P "^$shape\t" "$work/shapes.full" | tail -1 | cut -f2)"
  bytes=$(sql "SELECT source_bytes FROM runs WHERE label = 'bench-$shape' ORDER BY run_id LIMIT 1")
  summary+=("$(printf '%-7s %5s MB: %2s commands over 1 s; slowest: %s' "$shape" $((bytes / 1024 / 1024)) "$over" "$worst_what")")
done
echo
for tag in "${tags[@]}"; do
  read -r n db_bytes trace_bytes _ <"$work/size.$tag"
  echo "warehouse of $n runs: $db_bytes bytes for $trace_bytes trace bytes: $(ratio "$db_bytes" "$trace_bytes") bytes per trace byte"
done
echo "warehouse: $db"
echo "summary (at $(cut -d' ' -f1 "$work/size.full") runs, median of up to $reps; traceware $traceware):"
for line in "${summary[@]}"; do echo "$line"; done

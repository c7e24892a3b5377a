#!/usr/bin/env bash
# Times `traceware export pprof` on a big run: ingests a busy trace of about 45 MB (cached, as bench-ingest.sh's)
# into a fresh warehouse once, then exports each kind's whole-run profile, and the sync profile of a 100 ms
# window, and the timeline of a 100 ms window (gzip'd), N times each, printing the median wall time. The issue's
# targets: a whole ~45 MB run's profile of every kind in at most 1 s, a timeline of a 100 ms window in at most 1 s.
#   scripts/bench/bench-export.sh [-t TRACE] [-x TRACEWARE] [-r N] [-k]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
trace="" exe="" reps=3 keep=0
while getopts "t:x:r:k" opt; do
  case $opt in t) trace=$OPTARG ;; x) exe=$OPTARG ;; r) reps=$OPTARG ;; k) keep=1 ;; *) exit 2 ;; esac
done
work=$(mktemp -d "${TMPDIR:-/tmp}/traceware-bench-export.XXXXXX")
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
. "$root/scripts/bench/lib.sh"
[ -n "$trace" ] || trace=$(cached_busy_trace 45)
if [ -z "$exe" ]; then
  log "building traceware (release)"
  (cd "$root" && swift build -c release --product traceware >&2)
  exe="$root/.build/release/traceware"
fi
log "ingesting $trace ($(($(stat -c %s "$trace") / 1024 / 1024)) MB)"
"$exe" ingest --db "$work/w.db" "$trace" >/dev/null
end=$("$exe" query --db "$work/w.db" --format csv "SELECT end_ns FROM runs" | tail -1)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
time_export() { # LABEL WHAT ARGS...: median wall and CPU seconds of N exports (WHAT: pprof or timeline)
  local label=$1 what=$2 t times=() cpus=()
  shift 2
  for _ in $(seq "$reps"); do
    rm -f "$work/out.pb.gz"
    t=$( { /usr/bin/time -f '%e %U %S' "$exe" export "$what" --db "$work/w.db" "$@" -o "$work/out.pb.gz" >/dev/null || true; } 2>&1 | tail -1)
    # An export that fails (a kind the run has no samples of) says so and the next one runs.
    [ -s "$work/out.pb.gz" ] || { printf '%-28s failed: %s\n' "$label" "$t"; return 0; }
    times+=("${t%% *}")
    cpus+=("$(echo "$t" | awk '{ printf "%.2f", $2 + $3 }')")
  done
  # The machine is shared: CPU time (user + sys) says what the export costs, wall time what the load made of it.
  printf '%-28s median %s s wall, %s s CPU (wall %s), %s bytes\n' "$label" \
    "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((reps + 1) / 2))p")" \
    "$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(((reps + 1) / 2))p")" \
    "${times[*]}" "$(stat -c %s "$work/out.pb.gz")"
}
for kind in sync net syscall sched cpu; do
  time_export "$kind (whole run)" pprof --kind "$kind"
done
mid=$((end / 2))
fn=$("$exe" query --db "$work/w.db" --format csv \
  "SELECT start_function FROM blocking_profile_functions WHERE kind = 'sync' GROUP BY 1 ORDER BY sum(total_ns) DESC LIMIT 1" | tail -1)
time_export "sync, --function (top)" pprof --kind sync --function "$fn"
for kind in sync sched; do
  time_export "$kind, 100 ms window" pprof --kind "$kind" --from "$mid" --to "$((mid + 100000000))"
done
time_export "timeline, 100 ms window" timeline --from "$mid" --to "$((mid + 100000000))"

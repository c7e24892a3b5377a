# Shared parts of the benchmark scripts (sourced, not run): Go setup, the benchmark traces, timing and medians.
# The caller sets `root` (the repository) and `work` (a temp dir) before using these.

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=
go=${TRACEWARE_GO:-/opt/go/1.27.3/go/bin/go}
[ -x "$go" ] || { echo "go not found at $go (scripts/install-go.sh, or set TRACEWARE_GO)" >&2; exit 1; }
log() { echo "== $*" >&2; }

# build_workload OUT: builds Tests/Fixtures/programs/workload with $go into OUT.
build_workload() {
  log "building the workload with $("$go" version)"
  (cd "$root/Tests/Fixtures/programs/workload" &&
    GOPATH="$work/gopath" GOCACHE="${TMPDIR:-/tmp}/traceware-bench-gocache" "$go" build -o "$1" .)
}

# The benchmark shapes: workload scenarios that load a reader and a warehouse differently.
#   busy  mixed mutex/channel/GC/TCP work with thousands of short-lived goroutines (Go's Summarizer is slow here)
#   pool  a worker pool: 32 long-lived goroutines, one channel, one mutex; almost every event a state transition
#         (Go's Summarizer is cheap here, so the ratio to Go is at its worst)
#   service  an RPC server on loopback TCP: a goroutine, a task and regions per request, network and syscalls
#         (fills the tasks, regions and logs tables)
bench_shapes="busy pool service"

# make_trace SHAPE MB OUT [ROUNDS]: writes a SHAPE program's trace of about MB megabytes to OUT. The load runs a
# fixed amount of work (-rounds), so the size follows the work done, not the machine's speed: calibrate with a
# short run, then scale (up to 4 attempts, accepting +-20%). ROUNDS, when known from an earlier trace, is tried
# first. The rounds used are left in OUT.rounds.
make_trace() {
  local shape=$1 size_mb=$2 out=$3 rounds=${4:-50} got attempt first=2
  local target=$((size_mb * 1024 * 1024))
  [ -z "${4:-}" ] || first=1
  [ -x "$work/workload" ] || build_workload "$work/workload"
  for attempt in 1 2 3 4; do
    log "generating a $shape trace, $rounds rounds (attempt $attempt, target ${size_mb} MB)"
    (ulimit -v 8000000; timeout 600 "$work/workload" -scenario "$shape" -rounds "$rounds" -o "$out.tmp")
    got=$(stat -c %s "$out.tmp")
    log "  $((got / 1024 / 1024)) MB"
    if [ "$attempt" -ge "$first" ] && [ $((got * 10)) -ge $((target * 8)) ] && [ $((got * 10)) -le $((target * 12)) ]; then break; fi
    rounds=$((rounds * target / (got > 0 ? got : 1)))
    [ "$rounds" -le 20000 ] || rounds=20000
    [ "$rounds" -ge 1 ] || rounds=1
  done
  mv "$out.tmp" "$out"
  echo "$rounds" >"$out.rounds"
}
make_busy_trace() { make_trace busy "$@"; }

# cached_trace SHAPE MB [K]: prints the path of a SHAPE trace of about MB megabytes, generating it once into
# ${TMPDIR:-/tmp}/traceware-bench-traces/<goversion>/SHAPE-MBmb.trace (traces are not reproducible, so a cached
# one is reused for comparable runs; delete the directory for fresh ones). K > 1 names another trace of the same
# load, SHAPE-MBmb-K.trace, written with the rounds that made the first one (a warehouse of several distinct runs).
cached_trace() {
  local dir="${TMPDIR:-/tmp}/traceware-bench-traces/$("$go" env GOVERSION)"
  mkdir -p "$dir"
  local first="$dir/$1-$2mb.trace" trace
  trace=$first
  [ "${3:-1}" -le 1 ] || trace="$dir/$1-$2mb-$3.trace"
  if [ ! -s "$trace" ]; then
    if [ "$trace" != "$first" ] && [ -s "$first.rounds" ]; then
      make_trace "$1" "$2" "$trace" "$(cat "$first.rounds")"
    else
      make_trace "$1" "$2" "$trace"
    fi
  fi
  echo "$trace"
}
cached_busy_trace() { cached_trace busy "$1"; }

# build_traceware SCRATCH: release build of traceware into SCRATCH; prints the binary path, or nothing on failure.
build_traceware() {
  log "building traceware (release, $1)"
  if ! (cd "$root" && swift build -c release --scratch-path "$1" --product traceware >"$work/swift-build.log" 2>&1); then
    echo "traceware failed to build (log: $work/swift-build.log)" >&2
    tail -20 "$work/swift-build.log" >&2
    return 0
  fi
  echo "$(cd "$root" && swift build -c release --scratch-path "$1" --show-bin-path)/traceware"
}

# measure NAME CMD...: one run; appends "wall_s cpu_s maxrss_kb" to $work/NAME.times, stdout to $work/NAME.out.
if [ -x /usr/bin/time ]; then
  measure() {
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/time.tmp" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
      { echo "$name failed: $(tail -3 "$work/$name.err")" >&2; return 1; }
    tail -1 "$work/time.tmp" | awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' >>"$work/$name.times"
  }
else # no GNU time: wall time from bash only
  measure() {
    local name=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >"$work/$name.out" 2>"$work/$name.err" || { echo "$name failed: $(tail -3 "$work/$name.err")" >&2; return 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f 0 0\n", b - a }' >>"$work/$name.times"
  }
fi

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
max() { sort -n | tail -1; }
# column N FILE: the Nth field of every line
column() { cut -d' ' -f"$1" "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

#!/usr/bin/env bash
# Runs the GoTrace libFuzzer binary (scripts/fuzz/build.sh) for a bounded time; exits non-zero if it finds a
# crash, a hang (> FUZZ_TIMEOUT s for one input) or an out-of-memory input (RSS over 1.5 GB, or one allocation
# over 512 MB: inputs are at most 64 KiB, so either means memory driven by a number in the input). Crashing inputs land in
# .build-fuzz/artifacts/ (crash-*, timeout-*, oom-*).
#
# Usage: scripts/fuzz/run.sh [SECONDS]   (default 60; 0 = no limit)
# Env:   FUZZ_BIN (default .build-fuzz/gotrace-fuzz, built if missing), FUZZ_DIR (default .build-fuzz),
#        FUZZ_JOBS (parallel fuzzing processes, default 1), FUZZ_TIMEOUT (default 10), FUZZ_MAX_LEN (default 65536),
#        TRACEWARE_GO (for Go's corpus; default /opt/go/1.27.3/go/bin/go). Extra arguments after SECONDS go to
#        libFuzzer as they are.
#
# Seeds (rebuilt on every run, never committed): our fixtures up to 64 KiB plus 4 KiB/16 KiB prefixes of the
# larger ones, Go's v1 `_good` test traces up to 64 KiB, Go's FuzzReader corpus read from GOROOT and converted
# from `go test fuzz v1` form, Go's reader test cases (testdata/tests, via txt2bin), and every regression input
# in Tests/Fixtures/fuzz/. The working corpus
# ($FUZZ_DIR/corpus) persists between runs, so longer runs build on earlier ones.
#
# Never a quiet pass: a txt2bin that does not build or convert a test case stops the seed preparation (exit 1)
# instead of fuzzing from fewer seeds; so does a missing Go toolchain in CI (CI set to anything but ""/0/false;
# locally it is a warning); and a run in which libFuzzer executed no input (stat::number_of_executed_units, or
# the progress lines' count under -fork) fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds=${1:-60}
shift || true
dir=${FUZZ_DIR:-.build-fuzz}
bin=${FUZZ_BIN:-$dir/gotrace-fuzz}
go=${TRACEWARE_GO:-/opt/go/1.27.3/go/bin/go}
export SWIFT_BACKTRACE=enable=no  # the Swift backtracer hangs libFuzzer after the first crash
case "${CI:-}" in "" | 0 | false | FALSE | False) in_ci= ;; *) in_ci=1 ;; esac

[ -x "$bin" ] || FUZZ_OUT=$bin scripts/fuzz/build.sh >/dev/null

seeds=$dir/seeds
rm -rf "$seeds" && mkdir -p "$seeds" "$dir/corpus" "$dir/artifacts"
while IFS= read -r f; do
  name=$(echo "${f#Tests/Fixtures/traces/}" | tr / _)
  size=$(stat -c %s "$f")
  if [ "$size" -le 65536 ]; then
    cp "$f" "$seeds/fx-$name"
  else
    head -c 4096 "$f" >"$seeds/fx-4k-$name"
    head -c 16384 "$f" >"$seeds/fx-16k-$name"
  fi
done < <(find Tests/Fixtures/traces -name '*.trace' | sort)
if goroot=$(GOTOOLCHAIN=local GOFLAGS= GOPROXY=off "$go" env GOROOT 2>/dev/null); then
  python3 scripts/fuzz/gocorpus.py "$goroot/src/internal/trace/testdata/fuzz/FuzzReader" "$seeds" >/dev/null
  for f in "$goroot"/src/internal/trace/internal/tracev1/testdata/*_good; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 65536 ] && cp "$f" "$seeds/gov1-$(basename "$f")"
  done
  # Go's reader test cases (testdata/tests/*.test: text traces of tricky and failing cases), made binary by
  # scripts/gotools/txt2bin.
  txt2bin=$(TRACEWARE_GO=$go scripts/gotool.sh txt2bin) || {
    echo "fuzz: could not build scripts/gotools/txt2bin (above): no seeds from Go's test cases, stopping" >&2
    exit 1
  }
  converted=0
  for t in "$goroot"/src/internal/trace/testdata/tests/*.test; do
    "$txt2bin" "$t" "$seeds/gotest-$(basename "$t" .test)" >/dev/null || {
      echo "fuzz: txt2bin failed on $t (above), stopping" >&2
      exit 1
    }
    converted=$((converted + 1))
  done
  [ "$converted" -gt 0 ] || { echo "fuzz: no Go test cases in $goroot/src/internal/trace/testdata/tests" >&2; exit 1; }
elif [ -n "$in_ci" ]; then
  echo "fuzz: no Go toolchain at $go: in CI the seeds must include Go's corpus and test cases" >&2
  exit 1
else
  echo "fuzz: no Go toolchain at $go: seeding without Go's corpus" >&2
fi
for f in Tests/Fixtures/fuzz/*; do
  case $f in *.md | */README*) continue ;; esac
  [ -f "$f" ] && cp "$f" "$seeds/reg-$(basename "$f")"
done
echo "fuzz: $(ls "$seeds" | wc -l) seeds, corpus $(ls "$dir/corpus" | wc -l) inputs, ${seconds}s, jobs ${FUZZ_JOBS:-1}"

args=(-max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=1536 -malloc_limit_mb=512 -max_len="${FUZZ_MAX_LEN:-65536}"
  -dict=scripts/fuzz/trace.dict -artifact_prefix="$dir/artifacts/" -print_final_stats=1)
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
  # -fork runs the jobs as child processes merging into one corpus; -ignore_crashes=0 stops at the first crash.
  args+=(-fork="$FUZZ_JOBS")
fi
# libFuzzer's own output passes through and is kept in $dir/last-run.log, to check that it ran anything.
log=$dir/last-run.log
status=0
"$bin" "${args[@]}" "$@" "$dir/corpus" "$seeds" 2>&1 | tee "$log" || status=$?
[ "$status" -eq 0 ] || exit "$status"
# -print_final_stats=1 prints stat::number_of_executed_units; under -fork only the parent's progress lines
# ("#N: cov: ...") count the executions.
executed=$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
[ -n "$executed" ] || executed=$(sed -n 's/^#\([0-9][0-9]*\)[:[:space:]].*/\1/p' "$log" | sort -n | tail -1)
if [ "${executed:-0}" -eq 0 ]; then
  echo "fuzz: libFuzzer executed no input (stat::number_of_executed_units ${executed:-missing}): not a fuzzing run" >&2
  exit 1
fi
echo "fuzz: libFuzzer executed $executed inputs"

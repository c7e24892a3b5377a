#!/usr/bin/env bash
# Replays fuzz inputs through the real `traceware ingest` (the reader plus the whole warehouse side, which the
# libFuzzer target does not build): every input must end in exit 0 (ingested, maybe as truncated) or 1 (a clean
# error), never a trap, a signal or a hang. Prints each abnormal exit; exits 1 if there was any.
#
# Usage: scripts/fuzz/replay-ingest.sh [FILE_OR_DIR...]   (default: .build-fuzz/corpus and Tests/Fixtures/fuzz)
# Env:   TRACEWARE (the binary; default: a debug build in $SWIFT_SCRATCH, default .build-fuzz/spm, built if
#        needed; debug builds also trap on integer overflow), REPLAY_TIMEOUT (seconds per input, default 20)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
tw=${TRACEWARE:-}
if [ -z "$tw" ]; then
  scratch=${SWIFT_SCRATCH:-.build-fuzz/spm}
  swift build --scratch-path "$scratch" --product traceware >/dev/null || exit 1
  tw="$(swift build --scratch-path "$scratch" --show-bin-path)/traceware"
fi
[ $# -gt 0 ] || set -- .build-fuzz/corpus Tests/Fixtures/fuzz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SWIFT_BACKTRACE=enable=no
n=0 bad=0 ok=0
while IFS= read -r -d '' f; do
  case $f in *.md) continue ;; esac
  n=$((n + 1))
  rm -f "$tmp"/w.db*
  timeout "${REPLAY_TIMEOUT:-20}" "$tw" ingest --db "$tmp/w.db" "$f" >/dev/null 2>"$tmp/err"
  rc=$?
  case $rc in
    0) ok=$((ok + 1)) ;;
    1) ;;
    *) bad=$((bad + 1)); echo "exit $rc: $f: $(head -c 400 "$tmp/err")" ;;
  esac
done < <(find "$@" -type f -print0 2>/dev/null)
echo "replayed $n inputs through traceware ingest: $ok ingested, $((n - ok - bad)) clean errors, $bad abnormal exits"
[ "$bad" -eq 0 ]

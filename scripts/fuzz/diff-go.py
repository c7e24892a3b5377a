#!/usr/bin/env python3
"""Differential check of fuzz inputs: `traceware dump FILE` against Go's `go tool trace -d=parsed FILE`.

Usage: scripts/fuzz/diff-go.py [-n N] FILE_OR_DIR...   (N: check a random sample of N inputs; seed DIFF_SEED, default 7)
Env:   TRACEWARE (default .build-fuzz/spm/debug/traceware), TRACEWARE_GO (default /opt/go/1.27.3/go/bin/go).

For each input the events printed must be the same (up to the order of the synthesized pre-trace GoStatus events,
which Go's v1 converter takes from a map), both must succeed or both fail, and our error message must be Go's.
Where Go panics (its v1 path has unchecked table lookups) only the events Go printed before the panic are compared.
Go's v1 reader is not deterministic on some damaged input, so a difference is retried against up to 8 Go runs.
Prints each difference and a summary; exits 1 if there was any."""
import argparse, collections, os, random, re, subprocess, sys

TW = os.environ.get("TRACEWARE", ".build-fuzz/spm/debug/traceware")
GO = os.environ.get("TRACEWARE_GO", "/opt/go/1.27.3/go/bin/go")
ENV = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="", GOPROXY="off")
PRE = re.compile(rb'^M=-1 P=-1 G=-1 StateTransition Time=(\d+) GoID=(\d+) Undetermined->Runnable Reason=""$')


def canon(out: bytes) -> list:
    """Sorts the goroutine IDs within each run of pre-trace GoStatus lines, keeping the times."""
    lines, res, i = out.split(b"\n"), [], 0
    while i < len(lines):
        j = i
        while j < len(lines) and PRE.match(lines[j]):
            j += 1
        if j > i:
            ms = [PRE.match(l) for l in lines[i:j]]
            for m, g in zip(ms, sorted(int(m.group(2)) for m in ms)):
                res.append(b"M=-1 P=-1 G=-1 StateTransition Time=%s GoID=%d Undetermined->Runnable Reason=\"\"" % (m.group(1), g))
            i = j
        else:
            res.append(lines[i])
            i += 1
    return res


def our_message(stderr: str, path: str) -> str:
    line = stderr.splitlines()[0] if stderr else ""
    line = line.split(path + ": ", 1)[-1]
    if line.startswith("offset "):
        line = line.split(": ", 1)[-1]
    return line.split(" | ")[0]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=0)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    files = []
    for p in a.paths:
        if os.path.isdir(p):
            files += [os.path.join(p, f) for f in sorted(os.listdir(p)) if not f.endswith(".md")]
        else:
            files.append(p)
    if a.n:
        random.Random(int(os.environ.get("DIFF_SEED", "7"))).shuffle(files)
        files = files[: a.n]
    stats = collections.Counter()
    def compare(f, o, oerr):
        g = subprocess.run([GO, "tool", "trace", "-d=parsed", f], capture_output=True, env=ENV, timeout=120)
        gerr = g.stderr.decode("utf-8", "replace")
        if "panic: " in gerr:
            gl = canon(g.stdout)[:-1]
            return "go panicked", ([] if canon(o.stdout)[: len(gl)] == gl else ["events before Go's panic"])
        problems = []
        if canon(g.stdout) != canon(o.stdout):
            problems.append("events")
        if (g.returncode == 0) != (o.returncode == 0):
            problems.append(f"status (go {g.returncode}, ours {o.returncode})")
        elif g.returncode != 0 and our_message(oerr, f)[:40] not in gerr:
            problems.append(f"message (go: {gerr.strip()[:100]!r}, ours: {our_message(oerr, f)[:100]!r})")
        return ("same, Go read it" if g.returncode == 0 else "same, both failed"), problems

    for f in files:
        o = subprocess.run([TW, "dump", f], capture_output=True, timeout=120)
        oerr = o.stderr.decode("utf-8", "replace")
        kind, problems = compare(f, o, oerr)
        # Go's v1 reader is not deterministic on some damaged input (it walks maps: e.g. which of several
        # Frequency events wins): a difference counts only if no run of Go out of 8 agrees with us.
        tries = 1
        while problems and tries < 8:
            kind2, problems2 = compare(f, o, oerr)
            tries += 1
            if not problems2:
                kind, problems = kind2 + " (Go varies)", []
        if problems:
            stats["differ"] += 1
            print(f"DIFF {f}: {', '.join(problems)}")
        else:
            stats[kind] += 1
    print(f"{len(files)} inputs: " + ", ".join(f"{v} {k}" for k, v in sorted(stats.items())))
    return 1 if stats["differ"] else 0


if __name__ == "__main__":
    sys.exit(main())

-- name: blocking-stacks
-- summary: Where goroutines waited, by kind and stack: the rows behind go tool trace -pprof=sync|net|syscall|sched.
-- param: kind = all : sync, net, syscall, sched, or all (any other value selects nothing)
-- param: top = 20 : rows per kind, largest first (0 = every stack)
-- doc: One row per run, kind, category and stack, read from blocking_profile (totalled at ingest). All
-- doc: goroutines count (system ones too), as in go tool trace. Kinds, as cmd/trace/pprof.go defines them:
-- doc:   sync: waiting whose reason contains 'chan', 'sync' or 'select' (channels, select, Mutex, RWMutex,
-- doc:         WaitGroup, Cond, semaphores); category tells which (goroutine_states.category);
-- doc:   net: waiting with reason 'network';
-- doc:   syscall: in a system call (syscall and syscall_blocked together), by the stack that entered it;
-- doc:   sched: runnable (waiting for a P), by the stack of the event that made the goroutine runnable, as Go
-- doc:          does: its own stack when it was preempted or yielded, the waker's stack when it was woken (also
-- doc:          a wake-up from outside any goroutine that carries a stack). category is the stop reason, or
-- doc:          'woken'.
-- doc: Go's rules kept: a goroutine's time counts only between its first run (goroutines.started_ns) and its
-- doc: end (or the end of the trace), clipped; an interval still open when the trace ends is not counted.
-- doc: Go quirk kept: Go keys stacks by their first 128 PCs padded with zeros, so a stack whose frames all
-- doc: have PC 0 (e.g. '@ 0x0 :0' on some 'preempted' transitions) is one row with the empty stack, shown as
-- doc: whichever of the two Go saw last.
-- doc: count: intervals; total_ns: their time; share: of the kind's total. stack: frames innermost first,
-- doc: 'function:line' separated by ' < ' (read: called from); user_frame: the innermost frame outside the
-- doc: standard library (stacks.user_frame_id: by the frame's file, outside GOROOT). Checked against go tool
-- doc: trace -pprof=KIND read with go tool pprof -raw, per stack.
WITH
ranked AS (
    SELECT b.kind, b.category, b.stack_id, b.count, b.total_ns,
        row_number() OVER (PARTITION BY b.kind ORDER BY b.total_ns DESC, b.category, b.stack_id) AS n,
        CAST(b.total_ns AS REAL) / sum(b.total_ns) OVER (PARTITION BY b.kind) AS share
    FROM blocking_profile b
    WHERE b.run_id = :run_id AND (:kind = 'all' OR b.kind = :kind)
),
kept AS (SELECT * FROM ranked WHERE :top <= 0 OR n <= :top),
stack_text AS (
    SELECT stack_id, text FROM (
        SELECT r.stack_id, r.depth,
            group_concat(f.function || ':' || f.line, ' < ')
                OVER (PARTITION BY r.stack_id ORDER BY r.depth
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS text
        FROM stack_frame_refs r JOIN frames f ON f.run_id = r.run_id AND f.frame_id = r.frame_id
        WHERE r.run_id = :run_id AND r.stack_id IN (SELECT stack_id FROM kept)
    ) WHERE depth = 0
)
SELECT
    (SELECT CASE WHEN label <> '' THEN label ELSE CAST(run_id AS TEXT) END FROM runs WHERE run_id = :run_id) AS run,
    k.kind, k.category, k.count, k.total_ns, k.share,
    coalesce(uf.function || ':' || uf.line, '') AS user_frame,
    coalesce(t.text, '') AS stack
FROM kept k
LEFT JOIN stack_text t ON t.stack_id = k.stack_id
LEFT JOIN stacks st ON st.run_id = :run_id AND st.stack_id = k.stack_id
LEFT JOIN frames uf ON uf.run_id = :run_id AND uf.frame_id = st.user_frame_id
ORDER BY CASE k.kind WHEN 'sync' THEN 1 WHEN 'net' THEN 2 WHEN 'syscall' THEN 3 ELSE 4 END, k.n;

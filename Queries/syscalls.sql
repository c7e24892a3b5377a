-- name: syscalls
-- summary: Time goroutines spent in system calls, by the stack that made the call.
-- param: top = 20 : how many stacks to list (the most syscall time first)
-- doc: One row per call stack (stack_id) that entered a syscall, the most time first, read from blocking_profile
-- doc: (kind 'syscall', totalled at ingest): syscalls = the number of syscalls made from it, total_ns = their
-- doc: time, syscall_ns = the part while the goroutine kept its P, blocked_ns = the part after the P was taken
-- doc: away ('syscall_blocked' in goroutine_states), share = total_ns / all syscall time of the run (0..1). frame
-- doc: is the innermost frame outside the standard library (function:line), else the innermost frame; stack lists
-- doc: every frame as function:line, innermost first, separated by ' < '. System goroutines are included.
-- doc: syscalls and total_ns per stack are exactly `go tool trace -pprof=syscall` (Go's rules: a syscall counts
-- doc: once it ends, so not one still in progress at the end of the trace; and only from the goroutine's first
-- doc: run). goroutine_states keeps every syscall interval, those included.
WITH per_stack AS (
    SELECT stack_id, sum(count) AS syscalls, sum(total_ns - blocked_ns) AS syscall_ns,
           sum(blocked_ns) AS blocked_ns, sum(total_ns) AS total_ns
    FROM blocking_profile
    WHERE run_id = :run_id AND kind = 'syscall'
    GROUP BY stack_id
),
top_stacks AS (
    SELECT * FROM per_stack ORDER BY total_ns DESC, stack_id LIMIT coalesce(:top, 20)
)
SELECT coalesce(nullif(r.label, ''), r.run_id) AS run, t.stack_id,
       coalesce((SELECT f.function || ':' || f.line FROM stacks s JOIN frames f
                 ON f.run_id = s.run_id AND f.frame_id = coalesce(s.user_frame_id, s.leaf_frame_id)
                 WHERE s.run_id = :run_id AND s.stack_id = t.stack_id), '') AS frame,
       t.syscalls, t.syscall_ns, t.blocked_ns, t.total_ns,
       CASE WHEN a.total > 0 THEN round(t.total_ns * 1.0 / a.total, 6) END AS share,
       coalesce((SELECT group_concat(function || ':' || line, ' < ')
                 FROM (SELECT function, line FROM stack_frames
                       WHERE run_id = :run_id AND stack_id = t.stack_id ORDER BY depth)), '') AS stack
FROM top_stacks t
JOIN runs r ON r.run_id = :run_id
JOIN (SELECT sum(total_ns) AS total FROM per_stack) a
ORDER BY t.total_ns DESC, t.stack_id;

-- name: syscalls
-- summary: Time goroutines spent in system calls, by the stack that made the call.
-- param: top = 20 : how many stacks to list (the most syscall time first)
-- doc: One row per call stack (stack_id) that entered a syscall, the most time first: syscalls = the number of
-- doc: syscalls made from it (goroutine_states rows in state 'syscall'), syscall_ns = time in the syscall while the
-- doc: goroutine kept its P, blocked_ns = time after the P was taken away ('syscall_blocked'), total_ns = the
-- doc: sum, share = total_ns / all syscall time of the run (0..1). frame is the innermost frame outside the
-- doc: standard library (function:line), else the innermost frame; stack lists every frame as function:line,
-- doc: innermost first, separated by ' < '. System goroutines are included.
-- doc: total_ns per stack is what `go tool trace -pprof=syscall` reports for that stack, except that the
-- doc: warehouse also counts a syscall still in progress at the end of the trace (to the last event) and one already
-- doc: in progress when tracing started (from the trace's sync), which Go's profile leaves out.
WITH per_stack AS (
    SELECT stack_id,
           sum(state = 'syscall') AS syscalls,
           coalesce(sum(CASE WHEN state = 'syscall' THEN duration_ns END), 0) AS syscall_ns,
           coalesce(sum(CASE WHEN state = 'syscall_blocked' THEN duration_ns END), 0) AS blocked_ns,
           sum(duration_ns) AS total_ns
    FROM goroutine_states
    WHERE run_id = :run_id AND state IN ('syscall', 'syscall_blocked')
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

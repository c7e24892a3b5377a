-- name: regions
-- summary: User region latency (runtime/trace.WithRegion / StartRegion) by region type, and the slowest regions.
-- param: top = 5 : how many of the slowest regions of each type to list
-- param: name : optional, only this region type ('' or unset = all)
-- doc: Rows of kind 'type' come first, one per region type (regions.name), the slowest type (p99) first:
-- doc: instances = regions of that type seen in the run (nested ones included), complete = those whose start and
-- doc: end are both in the trace; total_ns and the percentiles are over the complete ones. Then rows of kind
-- doc: 'slowest': the `top` longest complete regions of each type, with the goroutine (goid), its task (task_id,
-- doc: NULL for the background task), start_ns and duration_ns.
-- doc: Percentiles are nearest-rank (traceware's percentile() SQL function): the smallest duration v such that at
-- doc: least p% of the durations are <= v.
-- doc: Checked against Go's Summarizer (internal/trace summary.go, UserRegionSummary: regions begun by a
-- doc: RegionBegin and ended by a RegionEnd), through scripts/gotools/reportfacts.
WITH types AS (
    -- The duration is NULL unless the region is complete: count, sum, percentile and max skip the others. Read
    -- from the stored rows behind the regions view (region_names, then region_spans_by_type alone: run_id,
    -- name_id, duration_ns): grouped by type without a sort, durations ascending.
    SELECT n.name_id, n.name, count(*) AS instances, count(s.duration_ns) AS complete, sum(s.duration_ns) AS total_ns,
           percentile(s.duration_ns, 50) AS p50_ns, percentile(s.duration_ns, 90) AS p90_ns,
           percentile(s.duration_ns, 99) AS p99_ns, max(s.duration_ns) AS max_ns
    FROM region_names n CROSS JOIN region_spans s ON s.run_id = n.run_id AND s.name_id = n.name_id
    WHERE n.run_id = :run_id AND (coalesce(:name, '') = '' OR n.name = :name)
    GROUP BY n.name_id
),
slowest AS (
    -- Per type, only its `top` longest regions: the end of the type's range in region_spans_by_type, not a sort of
    -- all (the regions of one duration are sorted by start as they come: SQLite sorts only the right part of the
    -- ORDER BY), then each by its key. CROSS JOIN keeps the types first.
    SELECT k.goid, k.task_id, y.name, k.start_ns, k.duration_ns,
           row_number() OVER (PARTITION BY y.name ORDER BY k.duration_ns DESC, k.start_ns, k.goid) AS place
    FROM types y CROSS JOIN region_spans k ON k.run_id = :run_id AND (k.goid, k.region_id) IN (
        SELECT s.goid, s.region_id FROM region_spans s
        WHERE s.run_id = :run_id AND s.name_id = y.name_id AND s.duration_ns IS NOT NULL
        ORDER BY s.duration_ns DESC, s.start_ns, s.goid LIMIT max(coalesce(:top, 5), 0))
)
SELECT coalesce(nullif(r.label, ''), r.run_id) AS run, x.kind, x.name, x.instances, x.complete, x.total_ns,
       x.p50_ns, x.p90_ns, x.p99_ns, x.max_ns, x.goid, x.task_id, x.start_ns, x.duration_ns
FROM (
    SELECT 1 AS ord, 'type' AS kind, name, instances, complete, total_ns, p50_ns, p90_ns,
           p99_ns, max_ns, NULL AS goid, NULL AS task_id, NULL AS start_ns, NULL AS duration_ns, p99_ns AS sort_ns
    FROM types
    UNION ALL
    SELECT 2, 'slowest', name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, goid, task_id, start_ns, duration_ns,
           duration_ns
    FROM slowest WHERE place <= coalesce(:top, 5)
) x
JOIN runs r ON r.run_id = :run_id
ORDER BY x.ord, CASE WHEN x.ord = 1 THEN NULL ELSE x.name END, x.sort_ns IS NULL, x.sort_ns DESC, x.name;

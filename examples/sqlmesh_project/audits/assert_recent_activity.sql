-- Non-blocking: an interval without events is suspicious (tracking outage) but not wrong.
AUDIT (
  name assert_recent_activity,
  blocking false,
);
SELECT 1 AS no_rows
FROM (SELECT COUNT(*) AS n FROM @this_model) AS counts
WHERE counts.n < @min_rows

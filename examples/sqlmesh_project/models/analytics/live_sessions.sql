MODEL (
  name analytics.live_sessions,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column window_start
  ),
  -- Every 15 minutes, straight from the landing table: the on-call dashboard.
  cron '*/15 * * * *',
  start '6 hours ago',
  owner 'growth',
  description 'Active sessions per 15-minute window, for the live dashboard.',
  tags ['dagster:group_name:marketing', 'clickstream', 'realtime'],
  grain window_start,
  audits (
    not_null(columns := (window_start)),
    assert_recent_activity(min_rows := 1)
  )
);

SELECT
  TIME_BUCKET(INTERVAL 15 MINUTE, event_ts) AS window_start, -- Window start (UTC).
  COUNT(DISTINCT session_id) AS active_sessions, -- Sessions with at least one event.
  COUNT(DISTINCT customer_id) AS active_customers -- Logged-in customers.
FROM landing.web_events
WHERE event_ts BETWEEN @start_ts AND @end_ts
GROUP BY 1

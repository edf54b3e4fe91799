MODEL (
  name analytics.hourly_traffic,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column event_hour,
    batch_size 24
  ),
  cron '@hourly',
  start '1 day ago',
  owner 'growth',
  description 'Sessions and events per hour.',
  tags ['dagster:group_name:marketing', 'clickstream'],
  grain event_hour,
  audits (
    assert_positive(column := sessions)
  )
);

SELECT
  DATE_TRUNC('hour', event_ts) AS event_hour, -- Hour (UTC).
  COUNT(DISTINCT session_id) AS sessions, -- Distinct sessions.
  COUNT(*) AS events, -- All events.
  COUNT(*) FILTER (WHERE event_type = 'checkout') AS checkouts -- Checkout events.
FROM staging.web_events
WHERE event_ts BETWEEN @start_ts AND @end_ts
GROUP BY 1

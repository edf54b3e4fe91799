MODEL (
  name staging.web_events,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column event_ts,
    batch_size 12,
    lookback 1
  ),
  cron '@hourly',
  start '1 day ago',
  owner 'growth',
  description 'Website events, loaded hour by hour.',
  tags ['dagster:group_name:staging', 'clickstream'],
  grain event_id,
  audits (
    not_null(columns := (event_id, session_id, event_ts)),
    accepted_values(column := event_type, is_in := ('page_view', 'add_to_cart', 'checkout')),
    assert_recent_activity(min_rows := 1)
  )
);

SELECT
  event_id, -- Unique event identifier.
  session_id, -- Browser session.
  customer_id, -- Logged-in customer, NULL for anonymous visitors.
  event_type, -- page_view, add_to_cart or checkout.
  event_ts -- When the event happened (UTC).
FROM landing.web_events
WHERE event_ts BETWEEN @start_ts AND @end_ts

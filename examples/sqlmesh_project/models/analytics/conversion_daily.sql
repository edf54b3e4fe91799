MODEL (
  name analytics.conversion_daily,
  kind FULL,
  cron '@daily',
  owner 'growth',
  description 'Share of sessions that reached checkout, per day.',
  tags ['dagster:group_name:marketing', 'kpi'],
  grain event_date,
  column_descriptions (
    event_date = 'Day (UTC).',
    sessions = 'Distinct sessions.',
    converted_sessions = 'Sessions with a checkout event.',
    conversion_rate = 'converted_sessions / sessions.'
  ),
  audits (
    accepted_range(column := conversion_rate, min_v := 0, max_v := 1)
  )
);

SELECT
  event_ts::DATE AS event_date,
  COUNT(DISTINCT session_id) AS sessions,
  COUNT(DISTINCT session_id) FILTER (WHERE event_type = 'checkout') AS converted_sessions,
  converted_sessions / sessions AS conversion_rate
FROM staging.web_events
GROUP BY 1

MODEL (
  name analytics.daily_revenue,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column order_date
  ),
  cron '@daily',
  owner 'finance',
  description 'Revenue and order count per day: the number the finance team reports.',
  tags ['dagster:group_name:sales', 'kpi'],
  grain order_date,
  audits (
    assert_positive(column := revenue_cents),
    -- Unusually large days are worth a look, not worth stopping the pipeline for.
    accepted_range_non_blocking(column := revenue_cents, min_v := 0, max_v := 500000),
    number_of_rows(threshold := 1)
  )
);

SELECT
  order_date, -- Day (UTC).
  COUNT(DISTINCT order_id) AS order_count, -- Orders placed that day.
  SUM(line_total_cents) AS revenue_cents -- Revenue in EUR cents.
FROM analytics.fct_order_lines
WHERE order_date BETWEEN @start_ds AND @end_ds
GROUP BY order_date

MODEL (
  name staging.orders,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column order_ts,
    batch_size 1
  ),
  cron '@daily',
  owner 'sales-analytics',
  description 'Orders placed per day, cancelled orders excluded.',
  tags ['dagster:group_name:staging'],
  grain order_id,
  audits (
    not_null(columns := (order_id, customer_id, order_ts)),
    unique_values(columns := (order_id))
  )
);

SELECT
  order_id, -- Order identifier.
  customer_id, -- Customer who placed the order.
  order_ts, -- When the order was placed (UTC).
  status -- placed or shipped.
FROM landing.orders
WHERE
  order_ts BETWEEN @start_ts AND @end_ts
  AND status <> 'cancelled'

MODEL (
  name analytics.fct_order_lines,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column order_date,
    batch_size 2
  ),
  cron '@daily',
  owner 'sales-analytics',
  description 'One row per order line with its price at order time.',
  tags ['dagster:group_name:sales'],
  grains (order_id, line_number),
  audits (
    not_null(columns := (order_id, product_id, line_total_cents)),
    assert_positive(column := line_total_cents)
  )
);

SELECT
  o.order_id, -- Order identifier.
  i.line_number, -- Position of the line within its order.
  o.customer_id, -- Customer who placed the order.
  i.product_id, -- Product sold.
  o.order_ts::DATE AS order_date, -- Day the order was placed (UTC).
  i.quantity, -- Units sold.
  i.quantity * p.unit_price_cents AS line_total_cents -- Line revenue in EUR cents.
FROM staging.orders AS o
JOIN staging.order_items AS i
  ON i.order_id = o.order_id
JOIN staging.products AS p
  ON p.product_id = i.product_id
WHERE o.order_ts::DATE BETWEEN @start_ds AND @end_ds

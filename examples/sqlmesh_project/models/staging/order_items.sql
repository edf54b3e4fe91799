MODEL (
  name staging.order_items,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (order_id, line_number)
  ),
  cron '@daily',
  owner 'sales-analytics',
  description 'Order lines, upserted by (order_id, line_number) as the shop database edits them.',
  tags ['dagster:group_name:staging'],
  grains (order_id, line_number),
  audits (
    unique_combination_of_columns(columns := (order_id, line_number)),
    assert_positive(column := quantity)
  )
);

SELECT
  order_id, -- Order the line belongs to.
  line_number, -- Position of the line within its order.
  product_id, -- Product sold.
  quantity, -- Units sold.
  updated_at -- Last change of the line (UTC).
FROM landing.order_items
WHERE updated_at BETWEEN @start_ts AND @end_ts

MODEL (
  name analytics.dim_customers,
  kind FULL,
  cron '@daily',
  owner 'sales-analytics',
  description 'Customers with their lifetime orders and revenue.',
  tags ['dagster:group_name:sales', 'pii'],
  grain customer_id,
  audits (
    unique_values(columns := (customer_id)),
    not_null_non_blocking(columns := (email))
  )
);

SELECT
  c.customer_id, -- Customer identifier.
  c.full_name, -- Display name.
  c.email, -- Lower-cased contact e-mail.
  c.country, -- ISO country code.
  COUNT(DISTINCT f.order_id) AS lifetime_orders, -- Orders placed so far.
  COALESCE(SUM(f.line_total_cents), 0) AS lifetime_revenue_cents -- Revenue so far in EUR cents.
FROM staging.customers AS c
LEFT JOIN analytics.fct_order_lines AS f
  ON f.customer_id = c.customer_id
GROUP BY ALL

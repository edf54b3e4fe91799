MODEL (
  name analytics.top_products,
  kind VIEW,
  cron '@daily',
  owner 'merchandising',
  description 'Products ranked by revenue over the loaded period.',
  tags ['dagster:group_name:sales'],
  grain product_id
);

SELECT
  p.product_id, -- Product identifier.
  p.product_name, -- Name shown in the shop.
  p.category, -- Product category.
  SUM(f.quantity) AS units_sold, -- Units sold.
  SUM(f.line_total_cents) AS revenue_cents, -- Revenue in EUR cents.
  RANK() OVER (ORDER BY SUM(f.line_total_cents) DESC) AS revenue_rank -- 1 = best seller.
FROM staging.products AS p
JOIN analytics.fct_order_lines AS f
  ON f.product_id = p.product_id
GROUP BY ALL

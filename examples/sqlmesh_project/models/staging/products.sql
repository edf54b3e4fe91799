MODEL (
  name staging.products,
  kind VIEW,
  cron '@daily',
  owner 'merchandising',
  description 'Products with prices in cents, the unit every downstream model uses.',
  tags ['dagster:group_name:staging'],
  grain product_id
);

SELECT
  product_id, -- Product identifier.
  product_name, -- Name shown in the shop.
  category, -- Product category.
  CAST(unit_price * 100 AS INT) AS unit_price_cents -- List price in EUR cents.
FROM raw.products

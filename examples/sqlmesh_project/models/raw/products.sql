MODEL (
  name raw.products,
  kind SEED (
    path '../../seeds/products.csv'
  ),
  cron '@daily',
  owner 'merchandising',
  description 'Product catalogue with list prices.',
  tags ['dagster:group_name:raw'],
  grain product_id,
  columns (
    product_id INT,
    product_name TEXT,
    category TEXT,
    unit_price DECIMAL(10, 2)
  ),
  column_descriptions (
    product_id = 'Product identifier.',
    product_name = 'Name shown in the shop.',
    category = 'coffee, tea, equipment or accessories.',
    unit_price = 'List price in EUR.'
  ),
  audits (
    unique_values(columns := (product_id)),
    accepted_values_non_blocking(column := category, is_in := ('coffee', 'tea', 'equipment', 'accessories'))
  )
);

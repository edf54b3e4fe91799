MODEL (
  name raw.customers,
  kind SEED (
    path '../../seeds/customers.csv'
  ),
  cron '@daily',
  owner 'data-platform',
  description 'Customer master data, maintained by hand as a seed.',
  tags ['dagster:group_name:raw', 'pii'],
  grain customer_id,
  columns (
    customer_id INT,
    full_name TEXT,
    email TEXT,
    country TEXT,
    signup_date DATE
  ),
  column_descriptions (
    customer_id = 'Customer identifier.',
    full_name = 'Display name.',
    email = 'Contact e-mail address.',
    country = 'ISO 3166-1 alpha-2 country code.',
    signup_date = 'Day the account was created.'
  ),
  audits (
    not_null(columns := (customer_id, email)),
    unique_values(columns := (customer_id))
  )
);

MODEL (
  name staging.customers,
  kind VIEW,
  cron '@daily',
  owner 'data-platform',
  description 'Customers with normalised e-mail addresses.',
  tags ['dagster:group_name:staging'],
  grain customer_id,
  audits (
    not_null(columns := (customer_id, email))
  )
);

SELECT
  customer_id, -- Customer identifier.
  full_name, -- Display name.
  LOWER(TRIM(email)) AS email, -- Lower-cased contact e-mail.
  country, -- ISO 3166-1 alpha-2 country code.
  signup_date -- Day the account was created.
FROM raw.customers

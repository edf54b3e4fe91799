-- Landing tables of the demo shop (the external models in sqlmesh_project/external_models.yaml).
-- In production an ingestion tool fills them; scripts/prepare-example.mjs runs this file instead.
-- Rows are deterministic except for their timestamps, which end at the variable `now_utc` (set by
-- the script) so a fresh project always has data in its two-day backfill window.

CREATE SCHEMA IF NOT EXISTS landing;

-- 72 orders, one every hour over the last three days; every 11th is cancelled.
CREATE OR REPLACE TABLE landing.orders AS
SELECT
  i::INT AS order_id,
  (1 + (i * 5) % 12)::INT AS customer_id,
  getvariable('now_utc') - INTERVAL (i * 60 - 7) MINUTE AS order_ts,
  CASE
    WHEN i % 11 = 0 THEN 'cancelled'
    WHEN i > 24 THEN 'shipped'
    ELSE 'placed'
  END AS status
FROM range(1, 73) AS t(i);

-- One to three lines per order.
CREATE OR REPLACE TABLE landing.order_items AS
SELECT
  o.order_id,
  l.line::INT AS line_number,
  (1 + (o.order_id * 3 + l.line * 5) % 8)::INT AS product_id,
  (1 + (o.order_id + l.line) % 3)::INT AS quantity,
  o.order_ts + INTERVAL 5 MINUTE AS updated_at
FROM landing.orders AS o
CROSS JOIN range(1, 4) AS l(line)
WHERE l.line <= 1 + o.order_id % 3;

-- 320 sessions, one starting every 7 minutes (about 37 hours), each with 1 to 6 events;
-- a third are anonymous and every 7th ends in a checkout.
CREATE OR REPLACE TABLE landing.web_events AS
SELECT
  (s * 10 + k)::BIGINT AS event_id,
  'session-' || s AS session_id,
  CASE WHEN s % 3 = 0 THEN NULL ELSE (1 + s % 12)::INT END AS customer_id,
  CASE
    WHEN k = s % 6 AND s % 7 = 0 THEN 'checkout'
    WHEN k >= 2 THEN 'add_to_cart'
    ELSE 'page_view'
  END AS event_type,
  getvariable('now_utc') - INTERVAL (s * 7) MINUTE + INTERVAL (k) MINUTE AS event_ts
FROM range(1, 321) AS sessions(s)
CROSS JOIN range(0, 6) AS steps(k)
WHERE k <= s % 6;

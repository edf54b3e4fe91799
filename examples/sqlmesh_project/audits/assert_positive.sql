-- Blocking (the default for audits): a negative amount means a broken upstream join or feed.
AUDIT (
  name assert_positive,
);
SELECT *
FROM @this_model
WHERE @column < 0

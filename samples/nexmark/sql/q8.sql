-- Query 8: monitor new users (nexmark/nexmark queries/q8.sql): persons who created an auction in
-- the same 10 s tumbling window in which they registered.
WITH P AS (
  SELECT DISTINCT id, name, epoch_ms(dateTime) // 10000 * 10000 AS window_start FROM person
),
A AS (
  SELECT DISTINCT seller, epoch_ms(dateTime) // 10000 * 10000 AS window_start FROM auction
)
SELECT P.id, P.name, iso(epoch_ms(P.window_start)) AS starttime
FROM P JOIN A ON P.id = A.seller AND P.window_start = A.window_start

-- Query 5: hot items (nexmark/nexmark queries/q5.sql): per hopping window of 10 s sliding every
-- 2 s (every window that contains the bid, aligned to the epoch), the auctions with the most bids.
WITH hop AS (
  SELECT B.auction, epoch_ms(B.dateTime) // 2000 * 2000 - k * 2000 AS window_start
  FROM bid B, range(0, 5) AS r(k)
),
counts AS (
  SELECT auction, window_start, count(*) AS num FROM hop GROUP BY auction, window_start
)
SELECT c.auction, c.num
FROM counts c
JOIN (SELECT window_start, max(num) AS maxn FROM counts GROUP BY window_start) m
  ON c.window_start = m.window_start AND c.num >= m.maxn

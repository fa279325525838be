-- Query 7: highest bid (nexmark/nexmark queries/q7.sql): bids whose price is the maximum of a
-- 10 s tumbling window and whose dateTime lies in [window_end - 10 s, window_end] (both ends
-- included, as the reference's BETWEEN).
WITH w AS (
  SELECT max(price) AS maxprice, epoch_ms(dateTime) // 10000 * 10000 + 10000 AS window_end
  FROM bid GROUP BY epoch_ms(dateTime) // 10000
)
SELECT B.auction, B.bidder, B.price, iso(B.dateTime) AS dateTime, B.extra
FROM bid B JOIN w ON B.price = w.maxprice
WHERE epoch_ms(B.dateTime) BETWEEN w.window_end - 10000 AND w.window_end

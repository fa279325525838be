-- Query 11: user sessions (nexmark/nexmark queries/q11.sql): bids per bidder per session window
-- with a 10 s gap. As in Flink's session windows (TimeWindow.intersects includes the end), a bid
-- at most 10 s after the previous one of its bidder continues the session; a session ends 10 s
-- after its last bid.
WITH marked AS (
  SELECT bidder, dateTime,
    CASE WHEN epoch_ms(dateTime) - lag(epoch_ms(dateTime)) OVER (PARTITION BY bidder ORDER BY dateTime) <= 10000
      THEN 0 ELSE 1 END AS starts
  FROM bid
),
sessions AS (
  SELECT bidder, dateTime, sum(starts) OVER (PARTITION BY bidder ORDER BY dateTime ROWS UNBOUNDED PRECEDING) AS session
  FROM marked
)
SELECT bidder, count(*) AS bid_count, iso(min(dateTime)) AS starttime, iso(epoch_ms(max(epoch_ms(dateTime)) + 10000)) AS endtime
FROM sessions GROUP BY bidder, session

-- Query 11: user sessions (nexmark/nexmark queries/q11.sql), with the session window table
-- function (Flink 1.19+) in place of the reference's deprecated SESSION group window.
SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
FROM TABLE(SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
GROUP BY bidder, window_start, window_end

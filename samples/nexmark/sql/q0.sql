-- Query 0: pass through (nexmark/nexmark queries/q0.sql).
SELECT auction, bidder, price, iso(dateTime) AS dateTime, extra FROM bid

-- Query 0: pass through (nexmark/nexmark queries/q0.sql).
SELECT auction, bidder, price, `dateTime`, extra FROM bid

-- Query 2: selection (nexmark/nexmark queries/q2.sql).
SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0

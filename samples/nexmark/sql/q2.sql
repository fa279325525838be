-- Query 2: selection of every 123rd auction (nexmark/nexmark queries/q2.sql).
SELECT auction, price FROM bid WHERE auction % 123 = 0

-- Query 4: average winning price per category (nexmark/nexmark queries/q4.sql). The winning bid
-- of an auction is its highest bid with dateTime in [auction.dateTime, auction.expires].
SELECT Q.category, avg(Q.final) AS final
FROM (
  SELECT max(B.price) AS final, A.category
  FROM auction A, bid B
  WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
  GROUP BY A.id, A.category
) Q
GROUP BY Q.category

SELECT Symbol, `Security Name`, Date, Open, High, Low, Close, `Adj Close`, Volume, is_etf,
       CASE WHEN row_number() OVER days >= 30 THEN avg(Volume) OVER w END                 AS vol_moving_avg,
       CASE WHEN row_number() OVER days >= 30 THEN percentile(`Adj Close`, 0.5) OVER w END AS adj_close_rolling_med
FROM market.prices
WINDOW days AS (PARTITION BY Symbol ORDER BY Date),
       w AS (PARTITION BY Symbol ORDER BY Date ROWS BETWEEN 29 PRECEDING AND CURRENT ROW)

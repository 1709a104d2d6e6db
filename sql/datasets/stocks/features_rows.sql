-- One pass of market.features (the after-load step, src/stocks.rs): the prices of the touched symbols from
-- $1 to $2, in any order: the step walks each symbol's rows by Date (DuckDB's ORDER BY here sorted every
-- column, the security names too: 6.9 s of the step's 15 s over 28M rows). For each row the step adds
--   vol_moving_avg        = avg(Volume)        over the symbol's 30 rows ending at this one,
--   adj_close_rolling_med = median("Adj Close") over the same 30 rows,
-- both NULL until the symbol's 30th row: the same values as DuckDB's
--   CASE WHEN row_number() OVER days >= 30 THEN avg(Volume) OVER w END,
--   CASE WHEN row_number() OVER days >= 30 THEN median("Adj Close") OVER w END
--   WINDOW days AS (PARTITION BY Symbol ORDER BY Date),
--          w AS (PARTITION BY Symbol ORDER BY Date ROWS BETWEEN 29 PRECEDING AND CURRENT ROW)
-- (a test compares them bit for bit). DuckDB's windowed median took 14.6 s of the 19 s the SQL version of
-- this step took over 28M rows (BENCHMARKS.md, session 7).
SELECT Symbol, "Security Name", Date, Open, High, Low, Close, "Adj Close", Volume, is_etf
FROM market.prices
WHERE Symbol BETWEEN $1 AND $2 AND Symbol IN (SELECT Symbol FROM touched_symbols)

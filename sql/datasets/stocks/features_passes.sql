-- The symbols whose features a load recomputes (touched_symbols, left by load.sql: every symbol that
-- gained rows; empty when no file was new), with their row counts, in the order features_rows.sql reads
-- them: the after-load step groups neighbouring symbols into passes of about two million rows, so that
-- one pass is held in memory at a time.
SELECT Symbol, count(*) AS n_rows
FROM market.prices
WHERE Symbol IN (SELECT Symbol FROM touched_symbols)
GROUP BY Symbol
ORDER BY Symbol

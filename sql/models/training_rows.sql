-- The rows a volume model learns from and is tested on: each row's own features (lag 0), the target as
-- DOUBLE (exact: volumes are far below 2^53), the day as days since 1970-01-01 for the date split.
-- Rows whose features are NULL (a symbol's first 29 trading days) are left out. Ordered, so that a seed
-- draws the same bootstrap rows from any warehouse holding the same data.
SELECT (Date - DATE '1970-01-01')::INTEGER AS day,
       Volume::DOUBLE                        AS volume,
       vol_moving_avg,
       adj_close_rolling_med
FROM market.features
WHERE vol_moving_avg IS NOT NULL AND adj_close_rolling_med IS NOT NULL
ORDER BY Symbol, Date;

-- The calendar variant of market.features: windows over the 30 calendar days ending on the row's date
-- (fewer trading days when the window spans weekends, holidays or gaps). NULL until the symbol's history
-- covers 30 calendar days. Computed when queried.
CREATE OR REPLACE VIEW market.features_calendar_30d AS
SELECT Symbol, Date,
       CASE WHEN min(Date) OVER s <= Date - INTERVAL 29 DAYS THEN avg(Volume) OVER w END          AS vol_moving_avg,
       CASE WHEN min(Date) OVER s <= Date - INTERVAL 29 DAYS THEN median("Adj Close") OVER w END  AS adj_close_rolling_med,
       count(*) OVER w                                                                             AS trading_days_in_window
FROM market.prices
WINDOW w AS (PARTITION BY Symbol ORDER BY Date RANGE BETWEEN INTERVAL 29 DAYS PRECEDING AND CURRENT ROW),
       s AS (PARTITION BY Symbol);

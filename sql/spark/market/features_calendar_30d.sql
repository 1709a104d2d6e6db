SELECT Symbol, Date,
       CASE WHEN min(Date) OVER s <= date_sub(Date, 29) THEN avg(Volume) OVER w END                 AS vol_moving_avg,
       CASE WHEN min(Date) OVER s <= date_sub(Date, 29) THEN percentile(`Adj Close`, 0.5) OVER w END AS adj_close_rolling_med,
       count(*) OVER w                                                                              AS trading_days_in_window
FROM market.prices
WINDOW w AS (PARTITION BY Symbol ORDER BY Date RANGE BETWEEN INTERVAL 29 DAYS PRECEDING AND CURRENT ROW),
       s AS (PARTITION BY Symbol)

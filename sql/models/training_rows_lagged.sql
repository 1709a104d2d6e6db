-- As training_rows.sql, but each row's features are those of the symbol's trading day
-- getvariable('model_lag') rows earlier: what is known before the day whose volume is predicted
-- (vol_moving_avg includes the current day's volume).
SELECT day, volume, vol_moving_avg, adj_close_rolling_med
FROM (
    SELECT Symbol, Date,
           (Date - DATE '1970-01-01')::INTEGER                            AS day,
           Volume::DOUBLE                                                 AS volume,
           lag(vol_moving_avg, getvariable('model_lag')) OVER w           AS vol_moving_avg,
           lag(adj_close_rolling_med, getvariable('model_lag')) OVER w    AS adj_close_rolling_med
    FROM market.features
    WINDOW w AS (PARTITION BY Symbol ORDER BY Date)
)
WHERE vol_moving_avg IS NOT NULL AND adj_close_rolling_med IS NOT NULL
ORDER BY Symbol, Date;

-- `exercise models`: every training run, oldest first, with its test metrics beside the baseline's.
SELECT model_run_id                               AS id,
       strftime(trained_at, '%Y-%m-%d %H:%M:%S')  AS trained_at,
       model_version,
       lag_days                                   AS lag,
       trees, max_depth, max_samples,
       train_rows, test_rows, test_from,
       round(seconds, 1)                          AS seconds,
       round(test.mae)::BIGINT                    AS mae,
       round(test.r2, 4)                          AS r2,
       round(test.mdape, 2)                       AS mdape_pct,
       round(baseline_moving_avg.mae)::BIGINT     AS baseline_mae,
       round(random_split.mae)::BIGINT            AS random_split_mae,
       beats_baseline,
       model_path
FROM market.model_runs
ORDER BY model_run_id;

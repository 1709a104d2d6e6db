-- The model `exercise serve` answers with when no --model is given: the newest training run's file.
SELECT model_path FROM market.model_runs ORDER BY model_run_id DESC LIMIT 1;

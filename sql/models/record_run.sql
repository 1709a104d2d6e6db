-- One row of market.model_runs from the training run's description ($1, JSON with the columns' names).
INSERT INTO market.model_runs BY NAME
SELECT unnest(json_transform_strict($1::JSON, '{
    "model_run_id": "BIGINT", "trained_at": "TIMESTAMP", "model_version": "VARCHAR", "model_path": "VARCHAR",
    "model_bytes": "BIGINT", "model_hash": "VARCHAR", "target": "VARCHAR", "features": ["VARCHAR"],
    "lag_days": "INTEGER", "trees": "INTEGER", "max_depth": "INTEGER", "min_samples_leaf": "INTEGER",
    "max_samples": "BIGINT", "bootstrap": "BOOLEAN", "seed": "UBIGINT", "rows_available": "BIGINT",
    "train_rows": "BIGINT", "test_rows": "BIGINT", "test_from": "DATE", "node_count": "BIGINT",
    "seconds": "DOUBLE", "peak_memory_bytes": "BIGINT", "ledger_files": "BIGINT",
    "ledger_last_load_id": "BIGINT", "ledger_hash": "VARCHAR",
    "test": {"rows": "BIGINT", "mae": "DOUBLE", "rmse": "DOUBLE", "r2": "DOUBLE", "mae_log1p": "DOUBLE", "mdape": "DOUBLE"},
    "baseline_moving_avg": {"rows": "BIGINT", "mae": "DOUBLE", "rmse": "DOUBLE", "r2": "DOUBLE", "mae_log1p": "DOUBLE", "mdape": "DOUBLE"},
    "baseline_linear": {"rows": "BIGINT", "mae": "DOUBLE", "rmse": "DOUBLE", "r2": "DOUBLE", "mae_log1p": "DOUBLE", "mdape": "DOUBLE"},
    "random_split": {"rows": "BIGINT", "mae": "DOUBLE", "rmse": "DOUBLE", "r2": "DOUBLE", "mae_log1p": "DOUBLE", "mdape": "DOUBLE"},
    "beats_baseline": "BOOLEAN"
}'));

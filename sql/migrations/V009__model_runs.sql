-- One row per `exercise train`: what was trained on what, how, how long, where the model file is, and how
-- well it predicts held-out days against two baselines. Each evaluation is a struct of the same five
-- metrics (market.model_metrics); read them as `test.mae`, `baseline_moving_avg.r2`, ...
CREATE TYPE market.model_metrics AS STRUCT(
    rows      BIGINT,  -- test rows evaluated
    mae       DOUBLE,  -- mean absolute error, in shares
    rmse      DOUBLE,  -- root mean squared error, in shares
    r2        DOUBLE,  -- coefficient of determination on the test rows
    mae_log1p DOUBLE,  -- mean absolute error of ln(1 + volume): errors relative to the volume's size
    mdape     DOUBLE   -- median absolute percentage error, in percent (rows with volume 0 left out)
);

CREATE SEQUENCE market.model_run_ids START 1;

CREATE TABLE market.model_runs (
    model_run_id        BIGINT    PRIMARY KEY DEFAULT nextval('market.model_run_ids'),
    trained_at          TIMESTAMP NOT NULL,   -- UTC
    model_version       VARCHAR   NOT NULL,   -- the X-Model-Version the server answers with
    model_path          VARCHAR   NOT NULL,   -- absolute path of the model file
    model_bytes         BIGINT    NOT NULL,
    model_hash          VARCHAR   NOT NULL,   -- xxh3-128 of the model file, hex
    target              VARCHAR   NOT NULL,
    features            VARCHAR[] NOT NULL,
    lag_days            INTEGER   NOT NULL,   -- 0: the row's own features; 1: the previous trading day's
    trees               INTEGER   NOT NULL,
    max_depth           INTEGER   NOT NULL,
    min_samples_leaf    INTEGER   NOT NULL,
    max_samples         BIGINT    NOT NULL,
    bootstrap           BOOLEAN   NOT NULL,
    seed                UBIGINT   NOT NULL,
    rows_available      BIGINT    NOT NULL,   -- rows of market.features whose features are not NULL
    train_rows          BIGINT    NOT NULL,
    test_rows           BIGINT    NOT NULL,
    test_from           DATE      NOT NULL,   -- first day of the test period
    node_count          BIGINT    NOT NULL,
    seconds             DOUBLE    NOT NULL,   -- the whole command
    peak_memory_bytes   BIGINT,               -- the process's peak resident memory (NULL where unknown)
    ledger_files        BIGINT    NOT NULL,   -- stock files loaded when trained
    ledger_last_load_id BIGINT,               -- the newest of them in meta.file_loads
    ledger_hash         VARCHAR   NOT NULL,   -- xxh3-128 over their content hashes in load order
    test                market.model_metrics NOT NULL,  -- the model on the test days
    baseline_moving_avg market.model_metrics NOT NULL,  -- predicting vol_moving_avg itself
    baseline_linear     market.model_metrics NOT NULL,  -- a least-squares line on the features
    random_split        market.model_metrics,           -- a second model on a random 80/20 split (flattering)
    beats_baseline      BOOLEAN   NOT NULL    -- test MAE below the moving-average baseline's
);

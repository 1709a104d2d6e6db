-- Data tests (sql/tests/<schema>/<relation>.toml): one row per test per run, by `exercise check` or by
-- `exercise ingest-data` inside its load, so that `status` shows each test's last result and a user can see
-- when a test started failing.
CREATE TABLE meta.test_results (
    test          VARCHAR   NOT NULL,  -- schema.relation.name
    relation      VARCHAR   NOT NULL,  -- schema.relation
    dataset       VARCHAR   NOT NULL,
    kind          VARCHAR   NOT NULL,  -- unique, not_null, accepted_values, relationships, accepted_range,
                                       -- row_count, freshness, expression_is_true, sql (singular)
    severity      VARCHAR   NOT NULL,  -- error | warn
    status        VARCHAR   NOT NULL,  -- pass | warn | fail | error (the test itself could not run)
    failing_rows  BIGINT,              -- rows the test's query returned (NULL when it could not run)
    observed      BIGINT,              -- row_count: the relation's rows (the next run compares with it)
    message       VARCHAR,
    load_run_id   BIGINT,              -- the ingest-data run it guarded (meta.file_loads.run_id); NULL for check
    rolled_back   BOOLEAN   NOT NULL,  -- the load it guarded was rolled back because of the tests
    checked_at    TIMESTAMP NOT NULL,  -- UTC
    seconds       DOUBLE    NOT NULL
);

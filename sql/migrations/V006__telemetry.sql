-- Robot telemetry: long-format readings of two robot arms, one layer per stage.
--   readings_raw      what landed, every row, typed without loss, with provenance (append-only)
--   readings          (view) raw minus rejected minus duplicates, spikes flagged: each reading stored once
--   readings_rejected every invalid row with its reason
--   readings_duplicate, reading_spikes: the small sets the readings view takes out or flags
--   readings_wide     (view) one row per run and instant, a column per robot and field
--   run_features      every run on a regular grid, filled, with velocities, accelerations and norms
--   run_sensors       per run, robot and sensor: samples, spikes, gaps and grid coverage
--   runs              which runs are derived, on which grid, by which load
-- Everything after readings is recomputed per run (sql/datasets/telemetry/derive.sql) for the runs a
-- load touched; run_statistics (a view) sums it up.
CREATE SCHEMA telemetry;

CREATE TABLE telemetry.settings (
    grid_ms  INTEGER NOT NULL CHECK (grid_ms > 0)  -- the run_features time grid
);
INSERT INTO telemetry.settings VALUES (10);

CREATE TABLE telemetry.readings_raw (
    source_file_id  BIGINT    NOT NULL,
    row_number      BIGINT    NOT NULL,   -- 1-based: the Parquet row, or the CSV line
    time            TIMESTAMP,            -- UTC; NULL when missing or not a time (see unparsed)
    value           DOUBLE,               -- NaN and infinities kept as landed
    field           VARCHAR,
    robot_id        BIGINT,
    run_uuid        UBIGINT,              -- values above 2^63 occur: never signed, never floating
    sensor_type     VARCHAR,
    unparsed        VARCHAR               -- JSON of the landed texts that did not parse, e.g. {"time":"yesterday"}
);

-- Rows that repeat a reading already kept (same run, robot, field, time and value): not facts twice.
CREATE TABLE telemetry.readings_duplicate (
    source_file_id  BIGINT  NOT NULL,
    row_number      BIGINT  NOT NULL,
    run_uuid        UBIGINT NOT NULL,
    kept_file_id    BIGINT  NOT NULL,     -- the reading kept instead
    kept_row_number BIGINT  NOT NULL
);

-- Single-sample spikes (sql/views/telemetry/00_rules.sql says what one is), recomputed per run.
CREATE TABLE telemetry.reading_spikes (
    run_uuid        UBIGINT NOT NULL,
    source_file_id  BIGINT  NOT NULL,
    row_number      BIGINT  NOT NULL
);

CREATE TABLE telemetry.readings_rejected (
    source_file_id  BIGINT    NOT NULL,
    source_file     VARCHAR   NOT NULL,
    line_number     BIGINT    NOT NULL,  -- the Parquet row or CSV line, 1-based
    run_uuid        UBIGINT,             -- when it could be read, so rejects count against their run
    raw             VARCHAR   NOT NULL,  -- the row as kept in readings_raw, as JSON (texts that did not parse: in the reason)
    reason          VARCHAR   NOT NULL,
    rejected_at     TIMESTAMP NOT NULL
);

CREATE TABLE telemetry.run_features (
    run_uuid  UBIGINT   NOT NULL,
    time      TIMESTAMP NOT NULL,  -- the grid point (start of its bucket)
    fx_1 DOUBLE, fx_2 DOUBLE, fy_1 DOUBLE, fy_2 DOUBLE, fz_1 DOUBLE, fz_2 DOUBLE,
    x_1  DOUBLE, x_2  DOUBLE, y_1  DOUBLE, y_2  DOUBLE, z_1  DOUBLE, z_2  DOUBLE,
    vx_1 DOUBLE, vy_1 DOUBLE, vz_1 DOUBLE, vx_2 DOUBLE, vy_2 DOUBLE, vz_2 DOUBLE,  -- mm/s
    ax_1 DOUBLE, ay_1 DOUBLE, az_1 DOUBLE, ax_2 DOUBLE, ay_2 DOUBLE, az_2 DOUBLE,  -- mm/s^2
    v1 DOUBLE, v2 DOUBLE,          -- speed, mm/s
    a1 DOUBLE, a2 DOUBLE,          -- norm of acceleration, mm/s^2
    f1 DOUBLE, f2 DOUBLE,          -- norm of force, N
    d1 DOUBLE, d2 DOUBLE,          -- distance travelled since the previous grid point, mm
    tool_gap DOUBLE,               -- distance between the two tool tips, mm
    encoder_1_filled   BOOLEAN,    -- no sample of that sensor in this bucket: the values are carried
    encoder_2_filled   BOOLEAN,    -- forward (or back, at the start); NULL: sensor absent from the run
    load_cell_1_filled BOOLEAN,
    load_cell_2_filled BOOLEAN
);

CREATE TABLE telemetry.run_sensors (
    run_uuid         UBIGINT   NOT NULL,
    robot_id         UTINYINT  NOT NULL,
    sensor_type      VARCHAR   NOT NULL,
    samples          BIGINT    NOT NULL,  -- distinct instants reported
    readings         BIGINT    NOT NULL,
    spikes           BIGINT    NOT NULL,
    first_time       TIMESTAMP NOT NULL,
    last_time        TIMESTAMP NOT NULL,
    longest_gap_ms   DOUBLE    NOT NULL,  -- the longest silence between two samples (dropouts)
    observed_buckets BIGINT    NOT NULL,  -- grid buckets with a sample
    filled_buckets   BIGINT    NOT NULL   -- grid buckets filled from a neighbour
);

CREATE TABLE telemetry.runs (
    run_uuid         UBIGINT   NOT NULL,
    grid_ms          INTEGER   NOT NULL,
    derived_in_run   BIGINT    NOT NULL,  -- meta.file_loads.run_id of the ingestion run that last derived it
    derived_at       TIMESTAMP NOT NULL
);

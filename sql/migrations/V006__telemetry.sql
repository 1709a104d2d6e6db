-- Robot telemetry: long-format readings of two robot arms, one layer per stage.
--   readings_raw      what landed, every row, as text, with provenance (append-only)
--   readings          typed, valid, deduplicated; spikes flagged (is_spike), not deleted
--   readings_rejected every invalid row with its reason
--   readings_wide     one row per run and instant, a column per robot and field (NULL: not reported)
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
    source_file_id  BIGINT  NOT NULL,
    row_number      BIGINT  NOT NULL,   -- 1-based: the Parquet row, or the CSV line
    time            VARCHAR,
    value           VARCHAR,
    field           VARCHAR,
    robot_id        VARCHAR,
    run_uuid        VARCHAR,
    sensor_type     VARCHAR
);

CREATE TABLE telemetry.readings (
    run_uuid        UBIGINT   NOT NULL,  -- values above 2^63 occur: never signed, never floating
    robot_id        UTINYINT  NOT NULL,  -- 1 or 2
    sensor_type     VARCHAR   NOT NULL,  -- encoder (x, y, z in mm) or load_cell (fx, fy, fz in N)
    field           VARCHAR   NOT NULL,
    time            TIMESTAMP NOT NULL,  -- UTC
    value           DOUBLE    NOT NULL,  -- finite
    is_spike        BOOLEAN   NOT NULL,  -- a single-sample spike: kept here, left out of run_features
    source_file_id  BIGINT    NOT NULL,
    row_number      BIGINT    NOT NULL
);

CREATE TABLE telemetry.readings_rejected (
    source_file_id  BIGINT    NOT NULL,
    source_file     VARCHAR   NOT NULL,
    line_number     BIGINT    NOT NULL,  -- the Parquet row or CSV line, 1-based
    run_uuid        UBIGINT,             -- when it could be read, so rejects count against their run
    raw             VARCHAR   NOT NULL,  -- the row as landed, as JSON
    reason          VARCHAR   NOT NULL,
    rejected_at     TIMESTAMP NOT NULL
);

CREATE TABLE telemetry.readings_wide (
    run_uuid  UBIGINT   NOT NULL,
    time      TIMESTAMP NOT NULL,
    fx_1 DOUBLE, fx_2 DOUBLE, fy_1 DOUBLE, fy_2 DOUBLE, fz_1 DOUBLE, fz_2 DOUBLE,
    x_1  DOUBLE, x_2  DOUBLE, y_1  DOUBLE, y_2  DOUBLE, z_1  DOUBLE, z_2  DOUBLE
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

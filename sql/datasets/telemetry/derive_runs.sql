-- Telemetry, what depends on the readings is recomputed per run, in three steps:
--   derive_runs.sql (this file)  which runs: those in changed_runs (made by load.sql) and those derived on
--                                another grid; their derived rows are cleared
--   the sweep (src/telemetry/sweep.rs) reads the readings of those and of touched_runs (sweep_readings.sql)
--                                in one pass and sorts each series: it writes the repeats of the touched
--                                runs to the temp table repeated_readings, and for the changed runs
--                                reading_spikes, run_grid (stage 4, read through the view run_features)
--                                and the temp table swept_series
--   derive.sql                   records the repeats, run_sensors and runs from what the sweep left
-- Each run is independent of the others: the sweep computes them in parallel.
CREATE TEMP TABLE IF NOT EXISTS changed_runs (run_uuid UBIGINT);
CREATE TEMP TABLE IF NOT EXISTS touched_runs (run_uuid UBIGINT);

-- The grid (variable requested_grid_ms, from --grid-ms, changes the setting first): runs derived on
-- another grid are recomputed too.
UPDATE telemetry.settings SET grid_ms = getvariable('requested_grid_ms')
WHERE getvariable('requested_grid_ms') IS NOT NULL AND grid_ms <> getvariable('requested_grid_ms');
SET VARIABLE grid_us = (SELECT grid_ms * 1000 FROM telemetry.settings)::BIGINT;

CREATE OR REPLACE TEMP TABLE regridded_runs AS
SELECT run_uuid FROM telemetry.runs
WHERE grid_ms * 1000 <> getvariable('grid_us') AND run_uuid NOT IN (SELECT run_uuid FROM changed_runs);
INSERT INTO changed_runs SELECT run_uuid FROM regridded_runs;

-- When no run was derived before this load, the sweep reads every row without probing the run list
-- (sweep_readings.sql, sweep_excluded.sql): every run it finds is new.
SET VARIABLE sweep_every_run = (SELECT count(*) = 0 FROM telemetry.runs);

DELETE FROM telemetry.reading_spikes WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
DELETE FROM telemetry.run_grid WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);

-- Per run, robot and field (a series): its readings once repeats are set aside, spikes included.
CREATE OR REPLACE TEMP TABLE swept_series (
    run_uuid        UBIGINT,
    robot_id        UTINYINT,
    sensor_type     VARCHAR,
    field           VARCHAR,
    readings        BIGINT,
    spikes          BIGINT,
    first_us        BIGINT,
    last_us         BIGINT,
    longest_gap_us  BIGINT
);

-- A reading whose run, robot, field and time an earlier one (older load, then file, then row) already
-- has: derive.sql records it as a duplicate (same value) or rejects it (another value).
CREATE OR REPLACE TEMP TABLE repeated_readings (
    source_file_id  BIGINT,
    row_number      BIGINT,
    run_uuid        UBIGINT,
    robot_id        UTINYINT,
    field           VARCHAR,
    time_us         BIGINT,
    value           DOUBLE,
    kept_file_id    BIGINT,
    kept_row_number BIGINT,
    kept_value      DOUBLE
);

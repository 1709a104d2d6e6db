-- The sweep's input (src/telemetry/sweep.rs): the landed rows of the runs to derive or to check for
-- repeats, in any order. series numbers the 12 columns of readings_wide from 0: fx_1 = 0, fx_2 = 1,
-- fy_1 = 2, ..., z_2 = 11 (robot 1 even, robot 2 odd; encoder from 6). The rows in sweep_excluded.sql
-- (rejected, or known duplicates) are skipped by the sweep itself: a hash join against them here would
-- cost more than the rest of the read. Every other row is a valid reading (the sweep checks that it has
-- a series, a time and a value).
-- Every run, or the runs picked: two branches, one of them planned away (getvariable is a constant when
-- the statement is planned). `every OR run_uuid IN (...)` in one WHERE cost 0.2 s more of 20M rows.
WITH swept AS (
    SELECT r.run_uuid,
           -- the field's ENUM code is its place in fx, fy, fz, x, y, z (V015): no string is compared
           CASE WHEN r.robot_id BETWEEN 1 AND 2
                THEN CAST(r.robot_id - 1 + 2 * enum_code(r.field) AS UTINYINT)
           END AS series,
           epoch_us(r.time) AS time_us,
           r.value,
           r.source_file_id,
           r.row_number
    FROM telemetry.readings_raw r
    WHERE r.run_uuid IS NOT NULL
)
SELECT * FROM swept WHERE getvariable('sweep_every_run')
UNION ALL
SELECT * FROM swept
WHERE NOT getvariable('sweep_every_run')
  AND run_uuid IN (SELECT run_uuid FROM changed_runs UNION SELECT run_uuid FROM touched_runs)

-- Telemetry, what depends on the readings, recomputed for the runs in changed_runs (made by load.sql):
-- reading_spikes, run_features (stage 4) on the grid of telemetry.settings, run_sensors, runs. Runs derived on another grid are
-- recomputed too (variable requested_grid_ms, from --grid-ms, changes the setting first). Each run is
-- independent of the others: this is the part that could run per run in parallel.
CREATE TEMP TABLE IF NOT EXISTS changed_runs (run_uuid UBIGINT);

UPDATE telemetry.settings SET grid_ms = getvariable('requested_grid_ms')
WHERE getvariable('requested_grid_ms') IS NOT NULL AND grid_ms <> getvariable('requested_grid_ms');
SET VARIABLE grid_us = (SELECT grid_ms * 1000 FROM telemetry.settings)::BIGINT;

CREATE OR REPLACE TEMP TABLE regridded_runs AS
SELECT run_uuid FROM telemetry.runs
WHERE grid_ms * 1000 <> getvariable('grid_us') AND run_uuid NOT IN (SELECT run_uuid FROM changed_runs);
INSERT INTO changed_runs SELECT run_uuid FROM regridded_runs;

-- Spikes and per-series facts, in one ordered pass over each run's readings (by robot and field).
DELETE FROM telemetry.reading_spikes WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
CREATE OR REPLACE TEMP TABLE series AS
WITH ordered AS (
    SELECT run_uuid, robot_id, sensor_type, field, time, source_file_id, row_number,
           telemetry.is_spike(sensor_type, value, lag(value) OVER w, lead(value) OVER w) AS spike,
           epoch_us(time) - epoch_us(lag(time) OVER w) AS gap_us
    FROM telemetry.readings
    WHERE run_uuid IN (SELECT run_uuid FROM changed_runs)
    WINDOW w AS (PARTITION BY run_uuid, robot_id, field ORDER BY time)
)
SELECT run_uuid, robot_id, sensor_type, field,
       count(*)                           AS readings,
       min(time)                          AS first_time,
       max(time)                          AS last_time,
       coalesce(max(gap_us), 0) / 1e3     AS longest_gap_ms,
       list({'file_id': source_file_id, 'row_number': row_number}) FILTER (WHERE spike) AS spikes
FROM ordered
GROUP BY ALL;

INSERT INTO telemetry.reading_spikes
SELECT run_uuid, s.file_id, s.row_number
FROM (SELECT run_uuid, unnest(spikes) AS s FROM series);

-- Stage 4: every run on the grid. A bucket is observed for a sensor when all three of its fields have a
-- valid, non-spike reading in it: their averages are its values. Otherwise the sensor's last observed
-- values are carried forward (an as-of join), and the first rows are filled backward from its first
-- observation; a sensor absent from the whole run stays NULL. Derivatives: the change between
-- consecutive observed buckets divided by the real time between the samples behind them (mean encoder
-- sample times, t: microseconds into the bucket), not by the nominal grid step, carried forward like the values. So a grid point whose
-- encoder is carried has no new derivative, and the point after a dropout gets the mean rate over the
-- gap instead of a jump. Speeds and accelerations before the first one is known take the first known.
DELETE FROM telemetry.run_features WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
INSERT INTO telemetry.run_features
WITH keyed AS (
    -- k numbers the 12 columns in readings_wide order: fx_1 = 1, fx_2 = 2, ..., z_2 = 12 (encoder: 7..12).
    SELECT run_uuid, robot_id, value, epoch_us(time) // getvariable('grid_us') AS bucket,
           epoch_us(time) % getvariable('grid_us') AS offset_us,  -- exact: times stay small numbers
           robot_id + CASE field WHEN 'fx' THEN 0 WHEN 'fy' THEN 2 WHEN 'fz' THEN 4
                                 WHEN 'x' THEN 6 WHEN 'y' THEN 8 ELSE 10 END AS k
    FROM telemetry.readings
    WHERE run_uuid IN (SELECT run_uuid FROM changed_runs) AND NOT is_spike
),
bucketed AS (
    SELECT run_uuid, bucket,
           avg(value) FILTER (WHERE k = 1) AS fx_1,
           avg(value) FILTER (WHERE k = 2) AS fx_2,
           avg(value) FILTER (WHERE k = 3) AS fy_1,
           avg(value) FILTER (WHERE k = 4) AS fy_2,
           avg(value) FILTER (WHERE k = 5) AS fz_1,
           avg(value) FILTER (WHERE k = 6) AS fz_2,
           avg(value) FILTER (WHERE k = 7) AS x_1,
           avg(value) FILTER (WHERE k = 8) AS x_2,
           avg(value) FILTER (WHERE k = 9) AS y_1,
           avg(value) FILTER (WHERE k = 10) AS y_2,
           avg(value) FILTER (WHERE k = 11) AS z_1,
           avg(value) FILTER (WHERE k = 12) AS z_2,
           avg(offset_us) FILTER (WHERE k >= 7 AND robot_id = 1) AS t_1,
           avg(offset_us) FILTER (WHERE k >= 7 AND robot_id = 2) AS t_2
    FROM keyed
    GROUP BY run_uuid, bucket
),
encoder_observed AS (
    SELECT run_uuid, 1 AS robot, bucket, x_1 AS x, y_1 AS y, z_1 AS z, t_1 AS t FROM bucketed
    WHERE x_1 IS NOT NULL AND y_1 IS NOT NULL AND z_1 IS NOT NULL
    UNION ALL
    SELECT run_uuid, 2 AS robot, bucket, x_2 AS x, y_2 AS y, z_2 AS z, t_2 AS t FROM bucketed
    WHERE x_2 IS NOT NULL AND y_2 IS NOT NULL AND z_2 IS NOT NULL
),
encoder_rates AS (
    SELECT *,
           ((bucket - lag(bucket) OVER w) * getvariable('grid_us') + t - lag(t) OVER w) / 1e6 AS dt,
           (x - lag(x) OVER w) / dt AS vx,
           (y - lag(y) OVER w) / dt AS vy,
           (z - lag(z) OVER w) / dt AS vz,
           coalesce(sqrt((x - lag(x) OVER w) ^ 2 + (y - lag(y) OVER w) ^ 2 + (z - lag(z) OVER w) ^ 2), 0) AS d
    FROM encoder_observed
    WINDOW w AS (PARTITION BY run_uuid, robot ORDER BY bucket)
),
encoder AS (
    SELECT run_uuid, robot, bucket, x, y, z, vx, vy, vz, d,
           (vx - lag(vx) OVER w) / dt AS ax,
           (vy - lag(vy) OVER w) / dt AS ay,
           (vz - lag(vz) OVER w) / dt AS az
    FROM encoder_rates
    WINDOW w AS (PARTITION BY run_uuid, robot ORDER BY bucket)
),
load_cell AS (
    SELECT run_uuid, 1 AS robot, bucket, fx_1 AS fx, fy_1 AS fy, fz_1 AS fz FROM bucketed
    WHERE fx_1 IS NOT NULL AND fy_1 IS NOT NULL AND fz_1 IS NOT NULL
    UNION ALL
    SELECT run_uuid, 2 AS robot, bucket, fx_2 AS fx, fy_2 AS fy, fz_2 AS fz FROM bucketed
    WHERE fx_2 IS NOT NULL AND fy_2 IS NOT NULL AND fz_2 IS NOT NULL
),
encoder_first AS (
    SELECT run_uuid, robot,
           arg_min(x, bucket) FILTER (WHERE x IS NOT NULL) AS x, arg_min(y, bucket) FILTER (WHERE y IS NOT NULL) AS y, arg_min(z, bucket) FILTER (WHERE z IS NOT NULL) AS z,
           arg_min(vx, bucket) FILTER (WHERE vx IS NOT NULL) AS vx, arg_min(vy, bucket) FILTER (WHERE vy IS NOT NULL) AS vy, arg_min(vz, bucket) FILTER (WHERE vz IS NOT NULL) AS vz,
           arg_min(ax, bucket) FILTER (WHERE ax IS NOT NULL) AS ax, arg_min(ay, bucket) FILTER (WHERE ay IS NOT NULL) AS ay, arg_min(az, bucket) FILTER (WHERE az IS NOT NULL) AS az
    FROM encoder GROUP BY ALL
),
load_cell_first AS (
    SELECT run_uuid, robot, arg_min(fx, bucket) AS fx, arg_min(fy, bucket) AS fy, arg_min(fz, bucket) AS fz FROM load_cell GROUP BY ALL
),
grid AS (
    SELECT run_uuid, unnest(range(min(bucket), max(bucket) + 1)) AS bucket FROM bucketed GROUP BY run_uuid
),
columns AS (
    SELECT g.run_uuid, g.bucket,
           coalesce(l1.fx, lf1.fx) AS fx_1, coalesce(l2.fx, lf2.fx) AS fx_2, coalesce(l1.fy, lf1.fy) AS fy_1, coalesce(l2.fy, lf2.fy) AS fy_2,
           coalesce(l1.fz, lf1.fz) AS fz_1, coalesce(l2.fz, lf2.fz) AS fz_2, coalesce(e1.x, ef1.x) AS x_1, coalesce(e2.x, ef2.x) AS x_2,
           coalesce(e1.y, ef1.y) AS y_1, coalesce(e2.y, ef2.y) AS y_2, coalesce(e1.z, ef1.z) AS z_1, coalesce(e2.z, ef2.z) AS z_2,
           coalesce(e1.vx, ef1.vx) AS vx_1, coalesce(e1.vy, ef1.vy) AS vy_1, coalesce(e1.vz, ef1.vz) AS vz_1,
           coalesce(e2.vx, ef2.vx) AS vx_2, coalesce(e2.vy, ef2.vy) AS vy_2, coalesce(e2.vz, ef2.vz) AS vz_2,
           coalesce(e1.ax, ef1.ax) AS ax_1, coalesce(e1.ay, ef1.ay) AS ay_1, coalesce(e1.az, ef1.az) AS az_1,
           coalesce(e2.ax, ef2.ax) AS ax_2, coalesce(e2.ay, ef2.ay) AS ay_2, coalesce(e2.az, ef2.az) AS az_2,
           CASE WHEN ef1.run_uuid IS NOT NULL THEN CASE WHEN e1.bucket = g.bucket THEN e1.d ELSE 0 END END AS d1,
           CASE WHEN ef2.run_uuid IS NOT NULL THEN CASE WHEN e2.bucket = g.bucket THEN e2.d ELSE 0 END END AS d2,
           CASE WHEN ef1.run_uuid IS NOT NULL THEN e1.bucket IS DISTINCT FROM g.bucket END AS encoder_1_filled,
           CASE WHEN ef2.run_uuid IS NOT NULL THEN e2.bucket IS DISTINCT FROM g.bucket END AS encoder_2_filled,
           CASE WHEN lf1.run_uuid IS NOT NULL THEN l1.bucket IS DISTINCT FROM g.bucket END AS load_cell_1_filled,
           CASE WHEN lf2.run_uuid IS NOT NULL THEN l2.bucket IS DISTINCT FROM g.bucket END AS load_cell_2_filled
    FROM grid g
    -- narrowest first: every as-of join sorts the columns gathered so far
    ASOF LEFT JOIN load_cell l1 ON l1.run_uuid = g.run_uuid AND l1.robot = 1 AND g.bucket >= l1.bucket
    ASOF LEFT JOIN load_cell l2 ON l2.run_uuid = g.run_uuid AND l2.robot = 2 AND g.bucket >= l2.bucket
    ASOF LEFT JOIN encoder e1 ON e1.run_uuid = g.run_uuid AND e1.robot = 1 AND g.bucket >= e1.bucket
    ASOF LEFT JOIN encoder e2 ON e2.run_uuid = g.run_uuid AND e2.robot = 2 AND g.bucket >= e2.bucket
    LEFT JOIN encoder_first ef1 ON ef1.run_uuid = g.run_uuid AND ef1.robot = 1
    LEFT JOIN load_cell_first lf1 ON lf1.run_uuid = g.run_uuid AND lf1.robot = 1
    LEFT JOIN encoder_first ef2 ON ef2.run_uuid = g.run_uuid AND ef2.robot = 2
    LEFT JOIN load_cell_first lf2 ON lf2.run_uuid = g.run_uuid AND lf2.robot = 2
)
SELECT run_uuid, make_timestamp(bucket * getvariable('grid_us')) AS time,
       fx_1, fx_2, fy_1, fy_2, fz_1, fz_2, x_1, x_2, y_1, y_2, z_1, z_2,
       vx_1, vy_1, vz_1, vx_2, vy_2, vz_2,
       ax_1, ay_1, az_1, ax_2, ay_2, az_2,
       sqrt(vx_1 ^ 2 + vy_1 ^ 2 + vz_1 ^ 2) AS v1,
       sqrt(vx_2 ^ 2 + vy_2 ^ 2 + vz_2 ^ 2) AS v2,
       sqrt(ax_1 ^ 2 + ay_1 ^ 2 + az_1 ^ 2) AS a1,
       sqrt(ax_2 ^ 2 + ay_2 ^ 2 + az_2 ^ 2) AS a2,
       sqrt(fx_1 ^ 2 + fy_1 ^ 2 + fz_1 ^ 2) AS f1,
       sqrt(fx_2 ^ 2 + fy_2 ^ 2 + fz_2 ^ 2) AS f2,
       d1, d2,
       sqrt((x_1 - x_2) ^ 2 + (y_1 - y_2) ^ 2 + (z_1 - z_2) ^ 2) AS tool_gap,
       encoder_1_filled, encoder_2_filled, load_cell_1_filled, load_cell_2_filled
FROM columns;

-- Per run, robot and sensor: samples (the most readings of one of its fields), spikes, the longest
-- silence, and grid coverage.
DELETE FROM telemetry.run_sensors WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
INSERT INTO telemetry.run_sensors
WITH coverage AS (
    UNPIVOT (
        SELECT run_uuid,
               count(*) FILTER (WHERE NOT encoder_1_filled) AS observed_encoder_1, count(*) FILTER (WHERE encoder_1_filled) AS filled_encoder_1, count(*) FILTER (WHERE NOT encoder_2_filled) AS observed_encoder_2, count(*) FILTER (WHERE encoder_2_filled) AS filled_encoder_2, count(*) FILTER (WHERE NOT load_cell_1_filled) AS observed_load_cell_1, count(*) FILTER (WHERE load_cell_1_filled) AS filled_load_cell_1, count(*) FILTER (WHERE NOT load_cell_2_filled) AS observed_load_cell_2, count(*) FILTER (WHERE load_cell_2_filled) AS filled_load_cell_2
        FROM telemetry.run_features WHERE run_uuid IN (SELECT run_uuid FROM changed_runs)
        GROUP BY run_uuid
    )
    ON (observed_encoder_1, filled_encoder_1) AS 'encoder_1', (observed_encoder_2, filled_encoder_2) AS 'encoder_2', (observed_load_cell_1, filled_load_cell_1) AS 'load_cell_1', (observed_load_cell_2, filled_load_cell_2) AS 'load_cell_2'
    INTO NAME sensor VALUE observed_buckets, filled_buckets
)
SELECT s.run_uuid, s.robot_id, s.sensor_type, max(s.readings), sum(s.readings), sum(len(coalesce(s.spikes, []))),
       min(s.first_time), max(s.last_time), max(s.longest_gap_ms),
       any_value(c.observed_buckets), any_value(c.filled_buckets)
FROM series s
LEFT JOIN coverage c ON c.run_uuid = s.run_uuid AND c.sensor = s.sensor_type || '_' || s.robot_id
GROUP BY s.run_uuid, s.robot_id, s.sensor_type;

DELETE FROM telemetry.runs WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
INSERT INTO telemetry.runs
SELECT run_uuid, getvariable('grid_us') // 1000, getvariable('run_id'), now()::TIMESTAMP FROM changed_runs;

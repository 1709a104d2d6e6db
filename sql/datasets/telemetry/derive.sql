-- Telemetry, stages 3 and 4, recomputed for the runs in changed_runs (made by load.sql): readings_wide,
-- run_features on the grid of telemetry.settings, run_sensors, runs. Runs derived on another grid are
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

-- Stage 3: one row per run and instant; NULL where that robot's sensor did not report then.
DELETE FROM telemetry.readings_wide WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
INSERT INTO telemetry.readings_wide
SELECT run_uuid, time,
       max(value) FILTER (WHERE robot_id = 1 AND field = 'fx') AS fx_1,
       max(value) FILTER (WHERE robot_id = 2 AND field = 'fx') AS fx_2,
       max(value) FILTER (WHERE robot_id = 1 AND field = 'fy') AS fy_1,
       max(value) FILTER (WHERE robot_id = 2 AND field = 'fy') AS fy_2,
       max(value) FILTER (WHERE robot_id = 1 AND field = 'fz') AS fz_1,
       max(value) FILTER (WHERE robot_id = 2 AND field = 'fz') AS fz_2,
       max(value) FILTER (WHERE robot_id = 1 AND field = 'x') AS x_1,
       max(value) FILTER (WHERE robot_id = 2 AND field = 'x') AS x_2,
       max(value) FILTER (WHERE robot_id = 1 AND field = 'y') AS y_1,
       max(value) FILTER (WHERE robot_id = 2 AND field = 'y') AS y_2,
       max(value) FILTER (WHERE robot_id = 1 AND field = 'z') AS z_1,
       max(value) FILTER (WHERE robot_id = 2 AND field = 'z') AS z_2
FROM telemetry.readings
WHERE run_uuid IN (SELECT run_uuid FROM changed_runs)
GROUP BY run_uuid, time;

-- Stage 4: every run on the grid. Bucket averages (spikes left out), carried forward, the first rows
-- filled backward; a sensor absent from the whole run stays NULL. Derivatives: the change between
-- consecutive grid points divided by the real time between the samples behind them (t_x_1 ..: the mean
-- sample time of that field in the bucket, carried with the values), not by the nominal grid step. So a grid
-- point whose encoder value is carried has no new derivative (the last one is carried, like the values),
-- and the point after a dropout gets the mean rate over the gap instead of a jump.
DELETE FROM telemetry.run_features WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
INSERT INTO telemetry.run_features
WITH observed AS (
    SELECT run_uuid, epoch_us(time) // getvariable('grid_us') AS bucket,
           avg(value) FILTER (WHERE robot_id = 1 AND field = 'fx') AS fx_1,
           avg(value) FILTER (WHERE robot_id = 2 AND field = 'fx') AS fx_2,
           avg(value) FILTER (WHERE robot_id = 1 AND field = 'fy') AS fy_1,
           avg(value) FILTER (WHERE robot_id = 2 AND field = 'fy') AS fy_2,
           avg(value) FILTER (WHERE robot_id = 1 AND field = 'fz') AS fz_1,
           avg(value) FILTER (WHERE robot_id = 2 AND field = 'fz') AS fz_2,
           avg(value) FILTER (WHERE robot_id = 1 AND field = 'x') AS x_1,
           avg(value) FILTER (WHERE robot_id = 2 AND field = 'x') AS x_2,
           avg(value) FILTER (WHERE robot_id = 1 AND field = 'y') AS y_1,
           avg(value) FILTER (WHERE robot_id = 2 AND field = 'y') AS y_2,
           avg(value) FILTER (WHERE robot_id = 1 AND field = 'z') AS z_1,
           avg(value) FILTER (WHERE robot_id = 2 AND field = 'z') AS z_2,
           avg(epoch_us(time)) FILTER (WHERE robot_id = 1 AND field = 'x') / 1e6 AS t_x_1,
           avg(epoch_us(time)) FILTER (WHERE robot_id = 1 AND field = 'y') / 1e6 AS t_y_1,
           avg(epoch_us(time)) FILTER (WHERE robot_id = 1 AND field = 'z') / 1e6 AS t_z_1,
           avg(epoch_us(time)) FILTER (WHERE robot_id = 2 AND field = 'x') / 1e6 AS t_x_2,
           avg(epoch_us(time)) FILTER (WHERE robot_id = 2 AND field = 'y') / 1e6 AS t_y_2,
           avg(epoch_us(time)) FILTER (WHERE robot_id = 2 AND field = 'z') / 1e6 AS t_z_2,
           count(*) FILTER (WHERE robot_id = 1 AND sensor_type = 'encoder') > 0 AS seen_encoder_1,
           count(*) FILTER (WHERE robot_id = 2 AND sensor_type = 'encoder') > 0 AS seen_encoder_2,
           count(*) FILTER (WHERE robot_id = 1 AND sensor_type = 'load_cell') > 0 AS seen_load_cell_1,
           count(*) FILTER (WHERE robot_id = 2 AND sensor_type = 'load_cell') > 0 AS seen_load_cell_2
    FROM telemetry.readings
    WHERE run_uuid IN (SELECT run_uuid FROM changed_runs) AND NOT is_spike
    GROUP BY ALL
),
present AS (
    SELECT run_uuid, min(bucket) AS first_bucket, max(bucket) AS last_bucket, bool_or(seen_encoder_1) AS has_encoder_1, bool_or(seen_encoder_2) AS has_encoder_2, bool_or(seen_load_cell_1) AS has_load_cell_1, bool_or(seen_load_cell_2) AS has_load_cell_2
    FROM observed GROUP BY run_uuid
),
grid AS (
    SELECT p.*, unnest(range(p.first_bucket, p.last_bucket + 1)) AS bucket FROM present p
),
filled AS (
    SELECT g.run_uuid, g.bucket,
           coalesce(last_value(o.fx_1 IGNORE NULLS) OVER fwd, first_value(o.fx_1 IGNORE NULLS) OVER whole) AS fx_1,
           coalesce(last_value(o.fx_2 IGNORE NULLS) OVER fwd, first_value(o.fx_2 IGNORE NULLS) OVER whole) AS fx_2,
           coalesce(last_value(o.fy_1 IGNORE NULLS) OVER fwd, first_value(o.fy_1 IGNORE NULLS) OVER whole) AS fy_1,
           coalesce(last_value(o.fy_2 IGNORE NULLS) OVER fwd, first_value(o.fy_2 IGNORE NULLS) OVER whole) AS fy_2,
           coalesce(last_value(o.fz_1 IGNORE NULLS) OVER fwd, first_value(o.fz_1 IGNORE NULLS) OVER whole) AS fz_1,
           coalesce(last_value(o.fz_2 IGNORE NULLS) OVER fwd, first_value(o.fz_2 IGNORE NULLS) OVER whole) AS fz_2,
           coalesce(last_value(o.x_1 IGNORE NULLS) OVER fwd, first_value(o.x_1 IGNORE NULLS) OVER whole) AS x_1,
           coalesce(last_value(o.x_2 IGNORE NULLS) OVER fwd, first_value(o.x_2 IGNORE NULLS) OVER whole) AS x_2,
           coalesce(last_value(o.y_1 IGNORE NULLS) OVER fwd, first_value(o.y_1 IGNORE NULLS) OVER whole) AS y_1,
           coalesce(last_value(o.y_2 IGNORE NULLS) OVER fwd, first_value(o.y_2 IGNORE NULLS) OVER whole) AS y_2,
           coalesce(last_value(o.z_1 IGNORE NULLS) OVER fwd, first_value(o.z_1 IGNORE NULLS) OVER whole) AS z_1,
           coalesce(last_value(o.z_2 IGNORE NULLS) OVER fwd, first_value(o.z_2 IGNORE NULLS) OVER whole) AS z_2,
           coalesce(last_value(o.t_x_1 IGNORE NULLS) OVER fwd, first_value(o.t_x_1 IGNORE NULLS) OVER whole) AS t_x_1,
           coalesce(last_value(o.t_y_1 IGNORE NULLS) OVER fwd, first_value(o.t_y_1 IGNORE NULLS) OVER whole) AS t_y_1,
           coalesce(last_value(o.t_z_1 IGNORE NULLS) OVER fwd, first_value(o.t_z_1 IGNORE NULLS) OVER whole) AS t_z_1,
           coalesce(last_value(o.t_x_2 IGNORE NULLS) OVER fwd, first_value(o.t_x_2 IGNORE NULLS) OVER whole) AS t_x_2,
           coalesce(last_value(o.t_y_2 IGNORE NULLS) OVER fwd, first_value(o.t_y_2 IGNORE NULLS) OVER whole) AS t_y_2,
           coalesce(last_value(o.t_z_2 IGNORE NULLS) OVER fwd, first_value(o.t_z_2 IGNORE NULLS) OVER whole) AS t_z_2,
           CASE WHEN g.has_encoder_1 THEN NOT coalesce(o.seen_encoder_1, false) END AS encoder_1_filled,
           CASE WHEN g.has_encoder_2 THEN NOT coalesce(o.seen_encoder_2, false) END AS encoder_2_filled,
           CASE WHEN g.has_load_cell_1 THEN NOT coalesce(o.seen_load_cell_1, false) END AS load_cell_1_filled,
           CASE WHEN g.has_load_cell_2 THEN NOT coalesce(o.seen_load_cell_2, false) END AS load_cell_2_filled
    FROM grid g LEFT JOIN observed o USING (run_uuid, bucket)
    WINDOW fwd AS (PARTITION BY g.run_uuid ORDER BY g.bucket ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           whole AS (PARTITION BY g.run_uuid ORDER BY g.bucket ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
steps AS (
    SELECT *,
           t_x_1 - lag(t_x_1) OVER w AS dt_x_1,
           t_y_1 - lag(t_y_1) OVER w AS dt_y_1,
           t_z_1 - lag(t_z_1) OVER w AS dt_z_1,
           t_x_2 - lag(t_x_2) OVER w AS dt_x_2,
           t_y_2 - lag(t_y_2) OVER w AS dt_y_2,
           t_z_2 - lag(t_z_2) OVER w AS dt_z_2
    FROM filled
    WINDOW w AS (PARTITION BY run_uuid ORDER BY bucket)
),
new_velocity AS (
    SELECT *,
           CASE WHEN dt_x_1 > 0 THEN (x_1 - lag(x_1) OVER w) / dt_x_1 END AS vx_1_new,
           CASE WHEN dt_y_1 > 0 THEN (y_1 - lag(y_1) OVER w) / dt_y_1 END AS vy_1_new,
           CASE WHEN dt_z_1 > 0 THEN (z_1 - lag(z_1) OVER w) / dt_z_1 END AS vz_1_new,
           CASE WHEN dt_x_2 > 0 THEN (x_2 - lag(x_2) OVER w) / dt_x_2 END AS vx_2_new,
           CASE WHEN dt_y_2 > 0 THEN (y_2 - lag(y_2) OVER w) / dt_y_2 END AS vy_2_new,
           CASE WHEN dt_z_2 > 0 THEN (z_2 - lag(z_2) OVER w) / dt_z_2 END AS vz_2_new
    FROM steps
    WINDOW w AS (PARTITION BY run_uuid ORDER BY bucket)
),
velocity AS (
    SELECT *,
           last_value(vx_1_new IGNORE NULLS) OVER fwd AS vx_1_fwd,
           coalesce(last_value(vx_1_new IGNORE NULLS) OVER fwd, first_value(vx_1_new IGNORE NULLS) OVER whole) AS vx_1,
           last_value(vy_1_new IGNORE NULLS) OVER fwd AS vy_1_fwd,
           coalesce(last_value(vy_1_new IGNORE NULLS) OVER fwd, first_value(vy_1_new IGNORE NULLS) OVER whole) AS vy_1,
           last_value(vz_1_new IGNORE NULLS) OVER fwd AS vz_1_fwd,
           coalesce(last_value(vz_1_new IGNORE NULLS) OVER fwd, first_value(vz_1_new IGNORE NULLS) OVER whole) AS vz_1,
           last_value(vx_2_new IGNORE NULLS) OVER fwd AS vx_2_fwd,
           coalesce(last_value(vx_2_new IGNORE NULLS) OVER fwd, first_value(vx_2_new IGNORE NULLS) OVER whole) AS vx_2,
           last_value(vy_2_new IGNORE NULLS) OVER fwd AS vy_2_fwd,
           coalesce(last_value(vy_2_new IGNORE NULLS) OVER fwd, first_value(vy_2_new IGNORE NULLS) OVER whole) AS vy_2,
           last_value(vz_2_new IGNORE NULLS) OVER fwd AS vz_2_fwd,
           coalesce(last_value(vz_2_new IGNORE NULLS) OVER fwd, first_value(vz_2_new IGNORE NULLS) OVER whole) AS vz_2
    FROM new_velocity
    WINDOW w AS (PARTITION BY run_uuid ORDER BY bucket),
           fwd AS (PARTITION BY run_uuid ORDER BY bucket ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           whole AS (PARTITION BY run_uuid ORDER BY bucket ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
new_acceleration AS (
    SELECT *,
           CASE WHEN dt_x_1 > 0 THEN (vx_1 - lag(vx_1_fwd) OVER w) / dt_x_1 END AS ax_1_new,
           CASE WHEN dt_y_1 > 0 THEN (vy_1 - lag(vy_1_fwd) OVER w) / dt_y_1 END AS ay_1_new,
           CASE WHEN dt_z_1 > 0 THEN (vz_1 - lag(vz_1_fwd) OVER w) / dt_z_1 END AS az_1_new,
           CASE WHEN dt_x_2 > 0 THEN (vx_2 - lag(vx_2_fwd) OVER w) / dt_x_2 END AS ax_2_new,
           CASE WHEN dt_y_2 > 0 THEN (vy_2 - lag(vy_2_fwd) OVER w) / dt_y_2 END AS ay_2_new,
           CASE WHEN dt_z_2 > 0 THEN (vz_2 - lag(vz_2_fwd) OVER w) / dt_z_2 END AS az_2_new
    FROM velocity
    WINDOW w AS (PARTITION BY run_uuid ORDER BY bucket)
),
acceleration AS (
    SELECT *,
           coalesce(last_value(ax_1_new IGNORE NULLS) OVER fwd, first_value(ax_1_new IGNORE NULLS) OVER whole) AS ax_1,
           coalesce(last_value(ay_1_new IGNORE NULLS) OVER fwd, first_value(ay_1_new IGNORE NULLS) OVER whole) AS ay_1,
           coalesce(last_value(az_1_new IGNORE NULLS) OVER fwd, first_value(az_1_new IGNORE NULLS) OVER whole) AS az_1,
           coalesce(last_value(ax_2_new IGNORE NULLS) OVER fwd, first_value(ax_2_new IGNORE NULLS) OVER whole) AS ax_2,
           coalesce(last_value(ay_2_new IGNORE NULLS) OVER fwd, first_value(ay_2_new IGNORE NULLS) OVER whole) AS ay_2,
           coalesce(last_value(az_2_new IGNORE NULLS) OVER fwd, first_value(az_2_new IGNORE NULLS) OVER whole) AS az_2
    FROM new_acceleration
    WINDOW w AS (PARTITION BY run_uuid ORDER BY bucket),
           fwd AS (PARTITION BY run_uuid ORDER BY bucket ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           whole AS (PARTITION BY run_uuid ORDER BY bucket ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
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
       sqrt((x_1 - lag(x_1) OVER w) ^ 2 + (y_1 - lag(y_1) OVER w) ^ 2 + (z_1 - lag(z_1) OVER w) ^ 2) AS d1,
       sqrt((x_2 - lag(x_2) OVER w) ^ 2 + (y_2 - lag(y_2) OVER w) ^ 2 + (z_2 - lag(z_2) OVER w) ^ 2) AS d2,
       sqrt((x_1 - x_2) ^ 2 + (y_1 - y_2) ^ 2 + (z_1 - z_2) ^ 2) AS tool_gap,
       encoder_1_filled, encoder_2_filled, load_cell_1_filled, load_cell_2_filled
FROM acceleration
WINDOW w AS (PARTITION BY run_uuid ORDER BY bucket);

-- Per run, robot and sensor: samples, spikes, the longest silence, and grid coverage.
DELETE FROM telemetry.run_sensors WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
INSERT INTO telemetry.run_sensors
WITH instants AS (
    SELECT run_uuid, robot_id, sensor_type, time, count(*) AS readings, count(*) FILTER (WHERE is_spike) AS spikes
    FROM telemetry.readings
    WHERE run_uuid IN (SELECT run_uuid FROM changed_runs)
    GROUP BY ALL
),
gaps AS (
    SELECT *, (epoch_us(time) - epoch_us(lag(time) OVER (PARTITION BY run_uuid, robot_id, sensor_type ORDER BY time))) / 1e3 AS gap_ms
    FROM instants
),
coverage AS (
    UNPIVOT (
        SELECT run_uuid,
               count(*) FILTER (WHERE NOT encoder_1_filled) AS observed_encoder_1, count(*) FILTER (WHERE encoder_1_filled) AS filled_encoder_1, count(*) FILTER (WHERE NOT encoder_2_filled) AS observed_encoder_2, count(*) FILTER (WHERE encoder_2_filled) AS filled_encoder_2, count(*) FILTER (WHERE NOT load_cell_1_filled) AS observed_load_cell_1, count(*) FILTER (WHERE load_cell_1_filled) AS filled_load_cell_1, count(*) FILTER (WHERE NOT load_cell_2_filled) AS observed_load_cell_2, count(*) FILTER (WHERE load_cell_2_filled) AS filled_load_cell_2
        FROM telemetry.run_features WHERE run_uuid IN (SELECT run_uuid FROM changed_runs)
        GROUP BY run_uuid
    )
    ON (observed_encoder_1, filled_encoder_1) AS 'encoder_1', (observed_encoder_2, filled_encoder_2) AS 'encoder_2', (observed_load_cell_1, filled_load_cell_1) AS 'load_cell_1', (observed_load_cell_2, filled_load_cell_2) AS 'load_cell_2'
    INTO NAME sensor VALUE observed_buckets, filled_buckets
)
SELECT g.run_uuid, g.robot_id, g.sensor_type, count(*), sum(g.readings), sum(g.spikes), min(g.time), max(g.time),
       coalesce(max(g.gap_ms), 0), any_value(c.observed_buckets), any_value(c.filled_buckets)
FROM gaps g
LEFT JOIN coverage c ON c.run_uuid = g.run_uuid AND c.sensor = g.sensor_type || '_' || g.robot_id
GROUP BY g.run_uuid, g.robot_id, g.sensor_type;

DELETE FROM telemetry.runs WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
INSERT INTO telemetry.runs
SELECT run_uuid, getvariable('grid_us') // 1000, getvariable('run_id'), now()::TIMESTAMP FROM changed_runs;

WITH features AS (
    SELECT run_uuid,
           count(*)  AS grid_points,
           sum(d1)   AS distance_1_mm,
           sum(d2)   AS distance_2_mm,
           avg(v1)   AS mean_speed_1,
           max(v1)   AS max_speed_1,
           avg(v2)   AS mean_speed_2,
           max(v2)   AS max_speed_2,
           max(f1)   AS max_force_1,
           max(f2)   AS max_force_2
    FROM telemetry.run_features GROUP BY run_uuid
),
sensors AS (
    SELECT s.run_uuid,
           min(s.first_time) AS start_time,
           max(s.last_time) AS stop_time,
           sum(s.spikes) AS spikes,
           sum(s.filled_buckets) AS filled_grid_points,
           max(s.longest_gap_ms) AS longest_gap_ms,
           sum(samples) FILTER (WHERE robot_id = 1 AND sensor_type = 'encoder') AS samples_encoder_1,
           sum(observed_buckets) FILTER (WHERE robot_id = 1 AND sensor_type = 'encoder') / any_value(f.grid_points) AS coverage_encoder_1,
           sum(samples) FILTER (WHERE robot_id = 2 AND sensor_type = 'encoder') AS samples_encoder_2,
           sum(observed_buckets) FILTER (WHERE robot_id = 2 AND sensor_type = 'encoder') / any_value(f.grid_points) AS coverage_encoder_2,
           sum(samples) FILTER (WHERE robot_id = 1 AND sensor_type = 'load_cell') AS samples_load_cell_1,
           sum(observed_buckets) FILTER (WHERE robot_id = 1 AND sensor_type = 'load_cell') / any_value(f.grid_points) AS coverage_load_cell_1,
           sum(samples) FILTER (WHERE robot_id = 2 AND sensor_type = 'load_cell') AS samples_load_cell_2,
           sum(observed_buckets) FILTER (WHERE robot_id = 2 AND sensor_type = 'load_cell') / any_value(f.grid_points) AS coverage_load_cell_2
    FROM telemetry.run_sensors s JOIN features f ON f.run_uuid = s.run_uuid
    GROUP BY s.run_uuid
),
rejects AS (
    SELECT run_uuid, count(*) AS rejected_rows FROM telemetry.readings_rejected
    WHERE run_uuid IS NOT NULL GROUP BY run_uuid
)
SELECT r.run_uuid,
       s.start_time,
       s.stop_time,
       unix_micros(CAST(s.stop_time AS TIMESTAMP)) - unix_micros(CAST(s.start_time AS TIMESTAMP)) AS total_runtime_us,
       (unix_micros(CAST(s.stop_time AS TIMESTAMP)) - unix_micros(CAST(s.start_time AS TIMESTAMP))) / 1e6 AS runtime_s,
       r.grid_ms,
       f.grid_points,
       f.distance_1_mm, f.distance_2_mm,
       f.mean_speed_1, f.max_speed_1, f.mean_speed_2, f.max_speed_2,
       f.max_force_1, f.max_force_2,
       s.samples_encoder_1, round(s.coverage_encoder_1, 4) AS coverage_encoder_1,
       s.samples_encoder_2, round(s.coverage_encoder_2, 4) AS coverage_encoder_2,
       s.samples_load_cell_1, round(s.coverage_load_cell_1, 4) AS coverage_load_cell_1,
       s.samples_load_cell_2, round(s.coverage_load_cell_2, 4) AS coverage_load_cell_2,
       nullif(concat_ws(', ',
           CASE WHEN s.samples_encoder_1 IS NULL THEN 'encoder_1' END,
           CASE WHEN s.samples_encoder_2 IS NULL THEN 'encoder_2' END,
           CASE WHEN s.samples_load_cell_1 IS NULL THEN 'load_cell_1' END,
           CASE WHEN s.samples_load_cell_2 IS NULL THEN 'load_cell_2' END), '') AS missing_sensors,
       coalesce(j.rejected_rows, 0) AS rejected_rows,
       s.spikes,
       s.filled_grid_points,
       s.longest_gap_ms
FROM telemetry.runs r
JOIN features f ON f.run_uuid = r.run_uuid
JOIN sensors s ON s.run_uuid = r.run_uuid
LEFT JOIN rejects j ON j.run_uuid = r.run_uuid

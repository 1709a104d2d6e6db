-- Stage 3: per run and instant, one column per robot and field, NULL where that robot's sensor did not
-- report at that instant (spikes included: this is what the sensors said). Query it by run_uuid.
CREATE OR REPLACE VIEW telemetry.readings_wide AS
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
GROUP BY run_uuid, time;

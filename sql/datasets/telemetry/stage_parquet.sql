-- One telemetry Parquet file (variables parquet_file, parquet_file_id) into staged_readings, by column
-- name, whatever the file's types (time as TIMESTAMP or ISO text, run_uuid as UBIGINT or text).
INSERT INTO staged_readings
SELECT getvariable('parquet_file_id'), file_row_number + 1, NULL,
       CAST(time AS VARCHAR), CAST(value AS VARCHAR), CAST(field AS VARCHAR),
       CAST(robot_id AS VARCHAR), CAST(run_uuid AS VARCHAR), CAST(sensor_type AS VARCHAR)
FROM read_parquet(getvariable('parquet_file'), file_row_number = true);

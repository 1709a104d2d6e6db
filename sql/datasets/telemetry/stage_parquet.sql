-- The load's telemetry Parquet files (variable parquet_files: their paths in file_index order) into
-- readings_raw in one parallel read, by column name, whatever the files' types (time as TIMESTAMP or ISO
-- text, run_uuid as UBIGINT or text).
INSERT INTO telemetry.readings_raw
SELECT f.file_id, p.file_row_number + 1,
       telemetry.parse_time(p.time), TRY_CAST(p.value AS DOUBLE), CAST(p.field AS VARCHAR),
       TRY_CAST(p.robot_id AS BIGINT), TRY_CAST(p.run_uuid AS UBIGINT), CAST(p.sensor_type AS VARCHAR),
       telemetry.unparsed(p.time, p.value, p.robot_id, p.run_uuid)
FROM read_parquet(getvariable('parquet_files'), file_row_number = true) p
JOIN (SELECT file_id, list_position(getvariable('parquet_files'), path) - 1 AS file_index FROM staged_files) f
    ON f.file_index = p.file_index;

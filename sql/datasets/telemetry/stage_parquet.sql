-- The load's telemetry Parquet files (variable parquet_paths: their paths in file_index order) into
-- readings_raw in one parallel read, by column name, whatever the files' types (time as TIMESTAMP or ISO
-- text, run_uuid as UBIGINT or text). Each row's file id is looked up in a list by its file_index (a
-- join with staged_files would probe a hash table for every row).
SET VARIABLE parquet_file_ids = (
    SELECT list(file_id ORDER BY list_position(getvariable('parquet_paths'), path)) FROM staged_files
    WHERE list_contains(getvariable('parquet_paths'), path));
SET VARIABLE parquet_files = list_transform(getvariable('parquet_paths'), lambda p: meta.file_pattern(p));
INSERT INTO telemetry.readings_raw
SELECT getvariable('parquet_file_ids')[p.file_index::BIGINT + 1], p.file_row_number + 1,
       meta.timestamp_of(p.time), meta.double_of(p.value), telemetry.known_field(p.field),
       meta.integer_of(p.robot_id), meta.uinteger_of(p.run_uuid), telemetry.known_sensor_type(p.sensor_type),
       telemetry.unparsed(p.time, p.value, p.field, p.robot_id, p.run_uuid, p.sensor_type)
FROM read_parquet(getvariable('parquet_files'), file_row_number = true) p;

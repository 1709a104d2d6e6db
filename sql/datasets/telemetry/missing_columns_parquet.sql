-- The telemetry columns one Parquet file (variable candidate_file) lacks, as text; '' when it has them all.
WITH present AS (SELECT list(name) AS names FROM parquet_schema(getvariable('candidate_file')))
SELECT array_to_string(
    list_filter(['time', 'value', 'field', 'robot_id', 'run_uuid', 'sensor_type'], lambda c: NOT list_contains(names, c)),
    ', ')
FROM present

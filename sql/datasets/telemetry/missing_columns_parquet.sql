-- The telemetry columns each Parquet file (variable candidate_files, a list of paths) lacks, as text; ''
-- when it has them all. One row per file: (path, missing).
WITH present AS (
    SELECT file_name, list(name) AS names
    FROM parquet_schema(getvariable('candidate_files'))
    GROUP BY file_name
)
SELECT file_name, array_to_string(
    list_filter(['time', 'value', 'field', 'robot_id', 'run_uuid', 'sensor_type'], lambda c: NOT list_contains(names, c)),
    ', ')
FROM present

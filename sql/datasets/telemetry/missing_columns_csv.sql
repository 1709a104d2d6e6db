-- The telemetry columns one CSV file (variable candidate_file) lacks in its header, as text; '' when it has
-- them all. Used to recognise telemetry files when --dataset is not given.
WITH present AS (
    SELECT list(column_name) AS names
    FROM (DESCRIBE SELECT * FROM read_csv(getvariable('candidate_file'), header = true, all_varchar = true))
)
SELECT array_to_string(
    list_filter(['time', 'value', 'field', 'robot_id', 'run_uuid', 'sensor_type'], lambda c: NOT list_contains(names, c)),
    ', ')
FROM present

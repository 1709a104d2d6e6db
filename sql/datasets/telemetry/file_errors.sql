-- Files that abort the load, naming themselves: a CSV whose header lacks one of the six columns is not
-- telemetry; a file with no readings at all (a header alone, a Parquet file of 0 rows) is almost always a
-- failed export upstream, as an empty file is.
SELECT path, message FROM (
    SELECT f.file_index, f.path,
           'the header lacks column(s) '
               || array_to_string(list_filter(['time', 'value', 'field', 'robot_id', 'run_uuid', 'sensor_type'],
                                              lambda c: NOT list_contains(h.names, c)), ', ')
               || ': ' || left(array_to_string(h.names, ','), 80) AS message
    FROM csv_headers h JOIN staged_files f USING (file_id)
    WHERE NOT list_has_all(h.names, ['time', 'value', 'field', 'robot_id', 'run_uuid', 'sensor_type'])
    UNION ALL
    SELECT f.file_index, f.path, 'file has no readings (nothing after the header, or 0 rows)'
    FROM staged_files f
    WHERE f.file_id NOT IN (SELECT DISTINCT source_file_id FROM telemetry.readings_raw
                            WHERE source_file_id IN (SELECT file_id FROM staged_files))
)
ORDER BY file_index;

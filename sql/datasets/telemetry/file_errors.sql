-- A CSV file whose header lacks one of the six columns is not telemetry: abort naming it.
SELECT f.path,
       'the header lacks column(s) '
           || array_to_string(list_filter(['time', 'value', 'field', 'robot_id', 'run_uuid', 'sensor_type'],
                                          lambda c: NOT list_contains(h.names, c)), ', ')
           || ': ' || left(array_to_string(h.names, ','), 80)
FROM csv_headers h JOIN staged_files f USING (file_id)
WHERE NOT list_has_all(h.names, ['time', 'value', 'field', 'robot_id', 'run_uuid', 'sensor_type'])
ORDER BY f.file_index;

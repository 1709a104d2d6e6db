-- Telemetry, after the sweep (see derive_runs.sql): the repeats it found become duplicates or conflicts,
-- and run_sensors and runs are rewritten for the runs it derived.

-- A repeat with the kept reading's value is a duplicate; with another value it is rejected as a conflict.
-- Only this load's rows are judged (what is already in the warehouse was judged when it came).
INSERT INTO telemetry.readings_duplicate
SELECT source_file_id, row_number, run_uuid, kept_file_id, kept_row_number
FROM repeated_readings
WHERE value = kept_value AND source_file_id IN (SELECT file_id FROM staged_files);

INSERT INTO telemetry.readings_rejected
SELECT d.source_file_id, f.path, d.row_number, d.run_uuid,
       json_object('time', make_timestamp(d.time_us), 'value', d.value, 'field', d.field,
                   'robot_id', d.robot_id, 'run_uuid', d.run_uuid::VARCHAR)::VARCHAR,
       'another value (' || d.kept_value || ') was reported first for this run, robot, field and time, at row '
           || d.kept_row_number || ' of ' || coalesce(ks.path, k.path, 'file #' || d.kept_file_id),
       now()::TIMESTAMP
FROM repeated_readings d
JOIN staged_files f ON f.file_id = d.source_file_id
LEFT JOIN meta.file_loads k ON k.file_load_id = d.kept_file_id
LEFT JOIN staged_files ks ON ks.file_id = d.kept_file_id
WHERE d.value <> d.kept_value;

-- Per run, robot and sensor: samples (the most readings of one of its fields), spikes, the longest
-- silence, and grid coverage.
DELETE FROM telemetry.run_sensors WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
INSERT INTO telemetry.run_sensors
WITH coverage AS (
    UNPIVOT (
        SELECT run_uuid,
               count(*) FILTER (WHERE NOT encoder_1_filled) AS observed_encoder_1, count(*) FILTER (WHERE encoder_1_filled) AS filled_encoder_1, count(*) FILTER (WHERE NOT encoder_2_filled) AS observed_encoder_2, count(*) FILTER (WHERE encoder_2_filled) AS filled_encoder_2, count(*) FILTER (WHERE NOT load_cell_1_filled) AS observed_load_cell_1, count(*) FILTER (WHERE load_cell_1_filled) AS filled_load_cell_1, count(*) FILTER (WHERE NOT load_cell_2_filled) AS observed_load_cell_2, count(*) FILTER (WHERE load_cell_2_filled) AS filled_load_cell_2
        FROM telemetry.run_grid WHERE run_uuid IN (SELECT run_uuid FROM changed_runs)
        GROUP BY run_uuid
    )
    ON (observed_encoder_1, filled_encoder_1) AS 'encoder_1', (observed_encoder_2, filled_encoder_2) AS 'encoder_2', (observed_load_cell_1, filled_load_cell_1) AS 'load_cell_1', (observed_load_cell_2, filled_load_cell_2) AS 'load_cell_2'
    INTO NAME sensor VALUE observed_buckets, filled_buckets
)
SELECT s.run_uuid, s.robot_id, s.sensor_type, max(s.readings), sum(s.readings), sum(s.spikes),
       make_timestamp(min(s.first_us)), make_timestamp(max(s.last_us)), max(s.longest_gap_us) / 1e3,
       any_value(c.observed_buckets), any_value(c.filled_buckets)
FROM swept_series s
LEFT JOIN coverage c ON c.run_uuid = s.run_uuid AND c.sensor = s.sensor_type || '_' || s.robot_id
GROUP BY s.run_uuid, s.robot_id, s.sensor_type;

-- A new run none of whose rows is a valid reading was not derived: it is no run.
DELETE FROM changed_runs WHERE run_uuid NOT IN (SELECT run_uuid FROM swept_series);
DELETE FROM telemetry.runs WHERE run_uuid IN (SELECT run_uuid FROM changed_runs);
INSERT INTO telemetry.runs
SELECT run_uuid, getvariable('grid_us') // 1000, getvariable('run_id'), now()::TIMESTAMP FROM changed_runs;

-- Telemetry: staged_readings (Parquet) and staged_lines (CSV) -> telemetry.readings_raw (everything, as
-- landed) -> telemetry.readings (typed, valid, deduplicated, spikes flagged) + readings_rejected.
-- Leaves changed_runs: the runs that gained readings (derive.sql recomputes them).

-- CSV files: the header names the columns (any order); the fields are split on commas.
CREATE OR REPLACE TEMP TABLE csv_headers AS
SELECT file_id, min(line_no) AS header_line,
       list_transform(string_split(arg_min(raw, line_no), ','), lambda h: trim(trim(h), '"')) AS names
FROM staged_lines
GROUP BY file_id;

INSERT INTO staged_readings
SELECT l.file_id, l.line_no,
       coalesce(l.defect, CASE WHEN len(l.parts) <> len(h.names)
                               THEN 'expected ' || len(h.names) || ' fields, found ' || len(l.parts) END),
       nullif(trim(l.parts[list_position(h.names, 'time')], '"'), ''),
       nullif(trim(l.parts[list_position(h.names, 'value')], '"'), ''),
       nullif(trim(l.parts[list_position(h.names, 'field')], '"'), ''),
       nullif(trim(l.parts[list_position(h.names, 'robot_id')], '"'), ''),
       nullif(trim(l.parts[list_position(h.names, 'run_uuid')], '"'), ''),
       nullif(trim(l.parts[list_position(h.names, 'sensor_type')], '"'), '')
FROM (SELECT file_id, line_no, defect, string_split(raw, ',') AS parts FROM staged_lines) l
JOIN csv_headers h ON h.file_id = l.file_id AND l.line_no > h.header_line;

-- Stage 1: what landed, every row.
INSERT INTO telemetry.readings_raw
SELECT file_id, row_number, time, value, field, robot_id, run_uuid, sensor_type FROM staged_readings;

-- Invalid rows: quarantined with their reason.
INSERT INTO telemetry.readings_rejected
SELECT s.file_id, f.path, s.row_number, TRY_CAST(s.run_uuid AS UBIGINT),
       json_object('time', s.time, 'value', s.value, 'field', s.field, 'robot_id', s.robot_id,
                   'run_uuid', s.run_uuid, 'sensor_type', s.sensor_type)::VARCHAR,
       coalesce(s.defect, telemetry.reading_defect(s.time, s.value, s.field, s.robot_id, s.run_uuid, s.sensor_type)),
       now()::TIMESTAMP
FROM staged_readings s JOIN staged_files f USING (file_id)
WHERE s.defect IS NOT NULL
   OR telemetry.reading_defect(s.time, s.value, s.field, s.robot_id, s.run_uuid, s.sensor_type) IS NOT NULL;

-- Valid rows, typed.
CREATE OR REPLACE TEMP TABLE valid_readings AS
SELECT CAST(run_uuid AS UBIGINT)                        AS run_uuid,
       CAST(CAST(robot_id AS DOUBLE) AS UTINYINT)       AS robot_id,
       sensor_type, field,
       CAST(CAST(time AS TIMESTAMPTZ) AS TIMESTAMP)     AS time,
       CAST(value AS DOUBLE)                            AS value,
       file_id                                          AS source_file_id,
       row_number
FROM staged_readings
WHERE defect IS NULL
  AND telemetry.reading_defect(time, value, field, robot_id, run_uuid, sensor_type) IS NULL;

-- A (run, robot, field, instant) reported more than once, in this load or already in the warehouse. The
-- first report (earlier load, then file, then row) is kept; a repeat with the same value is a duplicate,
-- one with another value is rejected as a conflict.
CREATE OR REPLACE TEMP TABLE loaded_runs AS
SELECT DISTINCT run_uuid FROM telemetry.readings
WHERE run_uuid IN (SELECT DISTINCT run_uuid FROM valid_readings);

CREATE OR REPLACE TEMP TABLE repeated_readings AS
WITH repeated_keys AS (
    SELECT run_uuid, robot_id, field, time FROM valid_readings GROUP BY ALL HAVING count(*) > 1
    UNION
    SELECT r.run_uuid, r.robot_id, r.field, r.time
    FROM telemetry.readings r JOIN valid_readings v USING (run_uuid, robot_id, field, time)
    WHERE r.run_uuid IN (SELECT run_uuid FROM loaded_runs)
),
candidates AS (
    SELECT 0 AS new, r.run_uuid, r.robot_id, r.field, r.time, r.value, r.source_file_id, r.row_number
    FROM telemetry.readings r SEMI JOIN repeated_keys k USING (run_uuid, robot_id, field, time)
    WHERE r.run_uuid IN (SELECT run_uuid FROM loaded_runs)
    UNION ALL
    SELECT 1, v.run_uuid, v.robot_id, v.field, v.time, v.value, v.source_file_id, v.row_number
    FROM valid_readings v SEMI JOIN repeated_keys k USING (run_uuid, robot_id, field, time)
)
SELECT *,
       first_value(value) OVER w AS kept_value,
       first_value((source_file_id, row_number)) OVER w AS kept_row,
       row_number() OVER w AS nth
FROM candidates
WINDOW w AS (PARTITION BY run_uuid, robot_id, field, time ORDER BY new, source_file_id, row_number);

INSERT INTO telemetry.readings_rejected
SELECT d.source_file_id, f.path, d.row_number, d.run_uuid, r.raw_json,
       'another value (' || d.kept_value || ') was already reported for this run, robot, field and time, at row '
           || d.kept_row[2] || ' of file ' || d.kept_row[1],
       now()::TIMESTAMP
FROM repeated_readings d
JOIN staged_files f ON f.file_id = d.source_file_id
JOIN (SELECT file_id, row_number,
             json_object('time', time, 'value', value, 'field', field, 'robot_id', robot_id,
                         'run_uuid', run_uuid, 'sensor_type', sensor_type)::VARCHAR AS raw_json
      FROM staged_readings) r ON r.file_id = d.source_file_id AND r.row_number = d.row_number
WHERE d.new = 1 AND d.nth > 1 AND d.value <> d.kept_value;

-- Runs that already had readings are re-flagged as a whole (a new neighbour can make or unmake a
-- spike): their rows are taken out and inserted again with the new ones.
CREATE OR REPLACE TEMP TABLE earlier_readings AS
SELECT run_uuid, robot_id, sensor_type, field, time, value, source_file_id, row_number
FROM telemetry.readings WHERE run_uuid IN (SELECT run_uuid FROM loaded_runs);
DELETE FROM telemetry.readings WHERE run_uuid IN (SELECT run_uuid FROM loaded_runs);

INSERT INTO telemetry.readings
SELECT run_uuid, robot_id, sensor_type, field, time, value,
       telemetry.is_spike(sensor_type, value,
                          lag(value) OVER (PARTITION BY run_uuid, robot_id, field ORDER BY time),
                          lead(value) OVER (PARTITION BY run_uuid, robot_id, field ORDER BY time)),
       source_file_id, row_number
FROM (
    SELECT * FROM valid_readings
    ANTI JOIN (SELECT source_file_id, row_number FROM repeated_readings WHERE new = 1 AND nth > 1)
        USING (source_file_id, row_number)
    UNION ALL
    SELECT * FROM earlier_readings
);

CREATE OR REPLACE TEMP TABLE changed_runs AS
SELECT DISTINCT run_uuid FROM telemetry.readings
WHERE source_file_id IN (SELECT file_id FROM staged_files);

-- Telemetry, stages 1 and 2: CSV lines (staged_lines) into readings_raw next to the Parquet rows already
-- there (stage_parquet.sql); then the invalid rows into readings_rejected and the repeats into
-- readings_duplicate or, with another value, readings_rejected. What remains is telemetry.readings
-- (a view). Leaves changed_runs: the runs that gained readings (derive.sql recomputes them).

-- CSV files: the header names the columns (any order); the fields are split on commas.
CREATE OR REPLACE TEMP TABLE csv_headers AS
SELECT file_id, min(line_no) AS header_line,
       list_transform(string_split(arg_min(raw, line_no), ','), lambda h: trim(trim(h), '"')) AS names
FROM staged_lines
GROUP BY file_id;

INSERT INTO telemetry.readings_raw
SELECT file_id, line_no,
       telemetry.parse_time(time), TRY_CAST(value AS DOUBLE), field,
       TRY_CAST(robot_id AS BIGINT), TRY_CAST(run_uuid AS UBIGINT), sensor_type,
       coalesce(defect, telemetry.unparsed(time, value, robot_id, run_uuid))
FROM (
    SELECT l.file_id, l.line_no,
           coalesce(l.defect, CASE WHEN len(l.parts) <> len(h.names)
                                   THEN 'expected ' || len(h.names) || ' fields, found ' || len(l.parts) END) AS defect,
           nullif(trim(l.parts[list_position(h.names, 'time')], '"'), '')        AS time,
           nullif(trim(l.parts[list_position(h.names, 'value')], '"'), '')       AS value,
           nullif(trim(l.parts[list_position(h.names, 'field')], '"'), '')       AS field,
           nullif(trim(l.parts[list_position(h.names, 'robot_id')], '"'), '')    AS robot_id,
           nullif(trim(l.parts[list_position(h.names, 'run_uuid')], '"'), '')    AS run_uuid,
           nullif(trim(l.parts[list_position(h.names, 'sensor_type')], '"'), '') AS sensor_type
    FROM (SELECT file_id, line_no, defect, string_split(raw, ',') AS parts FROM staged_lines) l
    JOIN csv_headers h ON h.file_id = l.file_id AND l.line_no > h.header_line
);

-- Invalid rows: quarantined with their reason.
INSERT INTO telemetry.readings_rejected
SELECT r.source_file_id, f.path, r.row_number, r.run_uuid,
       json_object('time', r.time, 'value', r.value, 'field', r.field, 'robot_id', r.robot_id,
                   'run_uuid', r.run_uuid::VARCHAR, 'sensor_type', r.sensor_type)::VARCHAR,
       telemetry.reading_defect(r.time, r.value, r.field, r.robot_id, r.run_uuid, r.sensor_type, r.unparsed),
       now()::TIMESTAMP
FROM telemetry.readings_raw r JOIN staged_files f ON f.file_id = r.source_file_id
WHERE telemetry.reading_defect(r.time, r.value, r.field, r.robot_id, r.run_uuid, r.sensor_type, r.unparsed) IS NOT NULL;

-- The valid rows of this load.
CREATE OR REPLACE TEMP VIEW new_readings AS
SELECT r.run_uuid, CAST(r.robot_id AS UTINYINT) AS robot_id, r.field, r.time, r.value, r.source_file_id, r.row_number
FROM telemetry.readings_raw r
ANTI JOIN telemetry.readings_rejected j ON j.source_file_id = r.source_file_id AND j.line_number = r.row_number
WHERE r.source_file_id IN (SELECT file_id FROM staged_files);

-- A (run, robot, field, time) reported more than once, in this load or already in the warehouse. The
-- first report (earlier load, then file, then row) is kept; a repeat with the same value is a duplicate,
-- one with another value is rejected as a conflict. Repeats are rare: keys are found by hash first, and
-- only those rows are ranked.
CREATE OR REPLACE TEMP TABLE loaded_runs AS
SELECT run_uuid FROM telemetry.runs WHERE run_uuid IN (SELECT DISTINCT run_uuid FROM new_readings);

CREATE OR REPLACE TEMP TABLE repeated_keys AS
SELECT hash(run_uuid, robot_id, field, time) AS key_hash FROM new_readings GROUP BY 1 HAVING count(*) > 1;

-- (getvariable is a constant when the statement is planned: without earlier runs, no join is planned.)
SET VARIABLE extends_runs = (SELECT count(*) > 0 FROM loaded_runs);
INSERT INTO repeated_keys
SELECT DISTINCT hash(n.run_uuid, n.robot_id, n.field, n.time)
FROM new_readings n JOIN telemetry.readings r USING (run_uuid, robot_id, field, time)
WHERE getvariable('extends_runs')
  AND n.run_uuid IN (SELECT run_uuid FROM loaded_runs) AND r.run_uuid IN (SELECT run_uuid FROM loaded_runs)
  AND r.source_file_id NOT IN (SELECT file_id FROM staged_files);

CREATE OR REPLACE TEMP TABLE repeated_readings AS
WITH candidates AS (
    SELECT 0 AS new, run_uuid, robot_id, field, time, value, source_file_id, row_number
    FROM telemetry.readings
    WHERE getvariable('extends_runs') AND run_uuid IN (SELECT run_uuid FROM loaded_runs)
      AND source_file_id NOT IN (SELECT file_id FROM staged_files)
      AND hash(run_uuid, robot_id, field, time) IN (SELECT key_hash FROM repeated_keys)
    UNION ALL
    SELECT 1, run_uuid, robot_id, field, time, value, source_file_id, row_number
    FROM new_readings
    WHERE hash(run_uuid, robot_id, field, time) IN (SELECT key_hash FROM repeated_keys)
)
SELECT *,
       first_value(value) OVER w           AS kept_value,
       first_value(source_file_id) OVER w  AS kept_file_id,
       first_value(row_number) OVER w      AS kept_row_number,
       row_number() OVER w                 AS nth
FROM candidates
WINDOW w AS (PARTITION BY run_uuid, robot_id, field, time ORDER BY new, source_file_id, row_number);

INSERT INTO telemetry.readings_duplicate
SELECT source_file_id, row_number, run_uuid, kept_file_id, kept_row_number
FROM repeated_readings WHERE new = 1 AND nth > 1 AND value = kept_value;

INSERT INTO telemetry.readings_rejected
SELECT d.source_file_id, f.path, d.row_number, d.run_uuid,
       json_object('time', d.time, 'value', d.value, 'field', d.field, 'robot_id', d.robot_id,
                   'run_uuid', d.run_uuid::VARCHAR)::VARCHAR,
       'another value (' || d.kept_value || ') was reported first for this run, robot, field and time, at row '
           || d.kept_row_number || ' of ' || coalesce(ks.path, k.path, 'file #' || d.kept_file_id),
       now()::TIMESTAMP
FROM repeated_readings d
JOIN staged_files f ON f.file_id = d.source_file_id
LEFT JOIN meta.file_loads k ON k.file_load_id = d.kept_file_id
LEFT JOIN staged_files ks ON ks.file_id = d.kept_file_id
WHERE d.new = 1 AND d.nth > 1 AND d.value <> d.kept_value;

CREATE OR REPLACE TEMP TABLE changed_runs AS
SELECT DISTINCT run_uuid FROM telemetry.readings WHERE source_file_id IN (SELECT file_id FROM staged_files);

-- Telemetry, stages 1 and 2: CSV lines (staged_lines) into readings_raw next to the Parquet rows already
-- there (stage_parquet.sql); then the invalid rows into readings_rejected. Repeated readings are found
-- by the sweep, which sorts each run's readings anyway (derive.sql records them). What remains is
-- telemetry.readings (a view). Leaves changed_runs: the runs that gained readings.

-- CSV files: the header names the columns (any order); the fields are split on commas.
CREATE OR REPLACE TEMP TABLE csv_headers AS
SELECT file_id, min(line_no) AS header_line,
       list_transform(string_split(arg_min(raw, line_no), ','), lambda h: trim(trim(h), '"')) AS names
FROM staged_lines
GROUP BY file_id;

INSERT INTO telemetry.readings_raw
SELECT file_id, line_no,
       meta.timestamp_of(time), meta.double_of(value), telemetry.known_field(field),
       meta.integer_of(robot_id), meta.uinteger_of(run_uuid), telemetry.known_sensor_type(sensor_type),
       coalesce(defect, telemetry.unparsed(time, value, field, robot_id, run_uuid, sensor_type))
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
WHERE NOT telemetry.is_valid_reading(r.time, r.value, r.field, r.robot_id, r.run_uuid, r.sensor_type, r.unparsed)
  AND telemetry.reading_defect(r.time, r.value, r.field, r.robot_id, r.run_uuid, r.sensor_type, r.unparsed) IS NOT NULL;

-- touched_runs: the runs with rows in this load; the sweep (src/telemetry/sweep.rs) reads them to find
-- the repeated readings. changed_runs: those that may have gained readings, which derive_runs.sql
-- recomputes: a new run (derive.sql drops it again if none of its rows is valid), or a run already in
-- the warehouse that gained a valid reading at an instant it had no reading for (a copy of a loaded
-- file changes nothing).
CREATE OR REPLACE TEMP TABLE touched_runs AS
SELECT DISTINCT run_uuid FROM telemetry.readings_raw
WHERE source_file_id IN (SELECT file_id FROM staged_files) AND run_uuid IS NOT NULL;

CREATE OR REPLACE TEMP TABLE changed_runs AS
SELECT run_uuid FROM touched_runs WHERE run_uuid NOT IN (SELECT run_uuid FROM telemetry.runs);

-- (getvariable is a constant when the statement is planned: without earlier runs, no join is planned.)
SET VARIABLE extends_runs = (SELECT count(*) > 0 FROM touched_runs WHERE run_uuid IN (SELECT run_uuid FROM telemetry.runs));
CREATE OR REPLACE TEMP VIEW new_valid_readings AS
SELECT r.run_uuid, r.robot_id, r.field, r.time
FROM telemetry.readings_raw r
ANTI JOIN telemetry.readings_rejected j ON j.source_file_id = r.source_file_id AND j.line_number = r.row_number
WHERE r.source_file_id IN (SELECT file_id FROM staged_files);
INSERT INTO changed_runs
SELECT DISTINCT n.run_uuid
FROM new_valid_readings n
ANTI JOIN telemetry.readings k
    ON k.run_uuid = n.run_uuid AND k.robot_id = n.robot_id AND k.field = n.field AND k.time = n.time
   AND k.source_file_id NOT IN (SELECT file_id FROM staged_files)
WHERE getvariable('extends_runs') AND n.run_uuid IN (SELECT run_uuid FROM telemetry.runs);

-- The telemetry cleaning rules, as macros used by sql/datasets/telemetry/*.sql.

-- The sensor that reports a field.
CREATE OR REPLACE MACRO telemetry.sensor_of(field) AS
    CASE WHEN field IN ('x', 'y', 'z') THEN 'encoder' WHEN field IN ('fx', 'fy', 'fz') THEN 'load_cell' END;

-- A landed time (TIMESTAMP, TIMESTAMPTZ or ISO-8601 text) is read by meta.timestamp_of (typing.sql), as
-- every dataset's: a trailing Z or offset is honoured, a bare time is taken as UTC. (It replaced
-- telemetry.parse_time, whose TRY_CAST took 'epoch' as 1970 and cut a seventh digit of a second.)
DROP MACRO IF EXISTS telemetry.parse_time;

-- The known values of field and sensor_type, as readings_raw's ENUMs (V015); NULL for any other text.
CREATE OR REPLACE MACRO telemetry.known_field(f) AS TRY_CAST(f AS ENUM('fx', 'fy', 'fz', 'x', 'y', 'z'));
CREATE OR REPLACE MACRO telemetry.known_sensor_type(s) AS TRY_CAST(s AS ENUM('encoder', 'load_cell'));

-- The landed texts that did not parse into readings_raw's types, as 'column: text; ...'; NULL when all did.
-- (A field or sensor_type that is not a known value is stored as NULL with its text here.)
CREATE OR REPLACE MACRO telemetry.unparsed(time, value, field, robot_id, run_uuid, sensor_type) AS
    CASE WHEN typeof(time) = 'TIMESTAMP' AND typeof(value) = 'DOUBLE' AND typeof(robot_id) = 'BIGINT'
              AND typeof(run_uuid) = 'UBIGINT'
              AND (field IS NULL OR telemetry.known_field(field) IS NOT NULL)
              AND (sensor_type IS NULL OR telemetry.known_sensor_type(sensor_type) IS NOT NULL)
         THEN NULL  -- columns of the very types of readings_raw, and known texts: nothing failed to parse
         ELSE nullif(concat_ws('; ',
        CASE WHEN time IS NOT NULL AND meta.timestamp_of(time) IS NULL
             THEN 'time ' || meta.timestamp_problem(time) || ': ' || time END,
        CASE WHEN value IS NOT NULL AND meta.double_of(value) IS NULL
             THEN 'value is not a number: ' || value END,
        CASE WHEN field IS NOT NULL AND telemetry.known_field(field) IS NULL
             THEN 'unknown field: ' || field END,
        CASE WHEN robot_id IS NOT NULL AND meta.integer_of(robot_id) IS NULL
             THEN 'robot_id is not an integer: ' || robot_id END,
        CASE WHEN run_uuid IS NOT NULL AND meta.uinteger_of(run_uuid) IS NULL
             THEN 'run_uuid is not an unsigned 64-bit integer: ' || run_uuid END,
        CASE WHEN sensor_type IS NOT NULL AND telemetry.known_sensor_type(sensor_type) IS NULL
             THEN 'unknown sensor_type: ' || sensor_type END), '') END::VARCHAR;

-- Why a row of readings_raw cannot be a reading; NULL when it can.
CREATE OR REPLACE MACRO telemetry.reading_defect(time, value, field, robot_id, run_uuid, sensor_type, unparsed) AS
    CASE
        WHEN unparsed IS NOT NULL                              THEN unparsed
        WHEN run_uuid IS NULL                                  THEN 'run_uuid is missing'
        WHEN time IS NULL                                      THEN 'time is missing'
        WHEN NOT meta.plausible_year(time)                     THEN 'time is outside the years ' || meta.plausible_years() || ': ' || time
        WHEN value IS NULL                                     THEN 'value is missing'
        WHEN isnan(value)                                      THEN 'value is NaN'
        WHEN isinf(value)                                      THEN 'value is infinite'
        WHEN robot_id IS NULL                                  THEN 'robot_id is missing'
        WHEN robot_id NOT IN (1, 2)                            THEN 'robot_id is not 1 or 2: ' || robot_id
        WHEN field IS NULL                                     THEN 'field is missing'
        WHEN sensor_type::VARCHAR IS DISTINCT FROM telemetry.sensor_of(field::VARCHAR)
            THEN 'field ' || field::VARCHAR || ' is not reported by sensor_type ' || coalesce(sensor_type::VARCHAR, 'NULL')
    END;

-- True exactly when reading_defect is NULL, and cheap: most rows are valid, and only the others need
-- their reason worked out.
CREATE OR REPLACE MACRO telemetry.is_valid_reading(time, value, field, robot_id, run_uuid, sensor_type, unparsed) AS
    coalesce(unparsed IS NULL AND run_uuid IS NOT NULL AND time IS NOT NULL AND meta.plausible_year(time)
             AND isfinite(value)
             AND robot_id BETWEEN 1 AND 2  -- readings_raw.robot_id is a BIGINT: 1 or 2 (IN (1, 2), an OR, cost 0.05 s of 20M rows)
             AND CASE sensor_type WHEN 'encoder' THEN field IN ('x', 'y', 'z')
                                  WHEN 'load_cell' THEN field IN ('fx', 'fy', 'fz')
                                  ELSE false END,
             false);

-- Single-sample spikes are judged by the sweep (is_spike in src/telemetry/grid.rs), which has each
-- series in time order: a value that leaves the midpoint of its two neighbours by more than the sensor's
-- threshold (encoder 25 mm, load cell 500 N) and more than ten times the neighbours' own difference.

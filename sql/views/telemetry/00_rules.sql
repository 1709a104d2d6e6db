-- The telemetry cleaning rules, as macros used by sql/datasets/telemetry/*.sql.

-- The sensor that reports a field.
CREATE OR REPLACE MACRO telemetry.sensor_of(field) AS
    CASE WHEN field IN ('x', 'y', 'z') THEN 'encoder' WHEN field IN ('fx', 'fy', 'fz') THEN 'load_cell' END;

-- Why a landed reading (text columns, as in telemetry.readings_raw) cannot enter telemetry.readings; NULL
-- when it can. Times are UTC: a trailing Z or offset is honoured, a bare time is taken as UTC.
CREATE OR REPLACE MACRO telemetry.reading_defect(time, value, field, robot_id, run_uuid, sensor_type) AS
    CASE
        WHEN run_uuid IS NULL                                  THEN 'run_uuid is missing'
        WHEN TRY_CAST(run_uuid AS UBIGINT) IS NULL             THEN 'run_uuid is not an unsigned 64-bit integer: ' || run_uuid
        WHEN time IS NULL                                      THEN 'time is missing'
        WHEN TRY_CAST(time AS TIMESTAMPTZ) IS NULL             THEN 'time is not a timestamp: ' || time
        WHEN value IS NULL                                     THEN 'value is missing'
        WHEN TRY_CAST(value AS DOUBLE) IS NULL                 THEN 'value is not a number: ' || value
        WHEN isnan(TRY_CAST(value AS DOUBLE))                  THEN 'value is NaN'
        WHEN isinf(TRY_CAST(value AS DOUBLE))                  THEN 'value is infinite'
        WHEN robot_id IS NULL                                  THEN 'robot_id is missing'
        WHEN coalesce(TRY_CAST(robot_id AS DOUBLE) NOT IN (1, 2), true)
                                                               THEN 'robot_id is not 1 or 2: ' || robot_id
        WHEN field IS NULL                                     THEN 'field is missing'
        WHEN field NOT IN ('x', 'y', 'z', 'fx', 'fy', 'fz')    THEN 'unknown field: ' || field
        WHEN sensor_type IS DISTINCT FROM telemetry.sensor_of(field)
            THEN 'field ' || field || ' is not reported by sensor_type ' || coalesce(sensor_type, 'NULL')
    END;

-- A single-sample spike: the value leaves the midpoint of its two neighbours (same run, robot and field)
-- by more than the sensor's threshold and more than ten times the neighbours' own difference, so a
-- fast but real movement (the neighbours move too) is not a spike. Thresholds: an encoder position
-- cannot jump 25 mm and back within two samples (~24 ms, over 1 m/s); a load cell 500 N likewise.
CREATE OR REPLACE MACRO telemetry.is_spike(sensor_type, value, previous, next) AS
    coalesce(
        abs(value - (previous + next) / 2)
            > greatest(CASE sensor_type WHEN 'encoder' THEN 25.0 ELSE 500.0 END, 10 * abs(next - previous)),
        false);

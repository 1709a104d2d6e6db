-- telemetry.readings_raw keeps field and sensor_type as ENUMs of their known values instead of text: one
-- byte per reading each instead of a string. Writing 20M readings took 0.5 s less (2.45 -> 1.95 s in a
-- plain client, BENCHMARKS.md session 17), and the checks and the sweep compare codes, not strings.
-- A text that is not a known value was always rejected (its reason and the rejects table's raw JSON keep
-- it); from now on it lands in unparsed, as a time or number that does not parse does
-- (telemetry.unparsed), with the same reason. Rows loaded before keep their text there too.
UPDATE telemetry.readings_raw
SET unparsed = nullif(concat_ws('; ', unparsed,
        CASE WHEN field IS NOT NULL AND TRY_CAST(field AS ENUM('fx', 'fy', 'fz', 'x', 'y', 'z')) IS NULL
             THEN 'unknown field: ' || field END,
        CASE WHEN sensor_type IS NOT NULL AND TRY_CAST(sensor_type AS ENUM('encoder', 'load_cell')) IS NULL
             THEN 'unknown sensor_type: ' || sensor_type END), '')
WHERE (field IS NOT NULL AND TRY_CAST(field AS ENUM('fx', 'fy', 'fz', 'x', 'y', 'z')) IS NULL)
   OR (sensor_type IS NOT NULL AND TRY_CAST(sensor_type AS ENUM('encoder', 'load_cell')) IS NULL);

ALTER TABLE telemetry.readings_raw ALTER field TYPE ENUM('fx', 'fy', 'fz', 'x', 'y', 'z')
    USING TRY_CAST(field AS ENUM('fx', 'fy', 'fz', 'x', 'y', 'z'));
ALTER TABLE telemetry.readings_raw ALTER sensor_type TYPE ENUM('encoder', 'load_cell')
    USING TRY_CAST(sensor_type AS ENUM('encoder', 'load_cell'));

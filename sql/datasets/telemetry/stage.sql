-- Telemetry staging: every landed row as text with its file and row (Parquet row or CSV line, 1-based).
-- defect: set when the row could not even be split into the six columns.
CREATE OR REPLACE TEMP TABLE staged_readings (
    file_id     BIGINT NOT NULL,
    row_number  BIGINT NOT NULL,
    defect      VARCHAR,
    time        VARCHAR,
    value       VARCHAR,
    field       VARCHAR,
    robot_id    VARCHAR,
    run_uuid    VARCHAR,
    sensor_type VARCHAR
);

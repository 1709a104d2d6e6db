-- Sensor logs: one Parquet file per minute, one row per sensor slot. Rows are not unique on any key
-- (sensors are drawn with replacement), so every row is kept; only exact file re-deliveries are skipped.
CREATE SCHEMA dwh;

CREATE TABLE dwh.data_sample (
    department_name VARCHAR   NOT NULL CHECK (length(department_name) <= 32),
    sensor_serial   VARCHAR   NOT NULL CHECK (length(sensor_serial) <= 64),
    create_at       TIMESTAMP NOT NULL,
    product_name    VARCHAR   NOT NULL CHECK (length(product_name) <= 16),
    product_expire  TIMESTAMP NOT NULL,
    source_file_id  BIGINT    NOT NULL   -- meta.file_loads.file_load_id: the file the row came from
);

CREATE TABLE dwh.data_sample_rejected (
    source_file_id  BIGINT    NOT NULL,
    source_file     VARCHAR   NOT NULL,
    line_number     BIGINT    NOT NULL,  -- row number within the Parquet file, from 1
    raw             VARCHAR,             -- the row as JSON
    reason          VARCHAR   NOT NULL,
    rejected_at     TIMESTAMP NOT NULL
);

-- Sensor logs: the batch's Parquet files (getvariable('batch_files'): their meta.file_pattern, in file_index
-- order) into dwh.data_sample.
INSERT INTO dwh.data_sample
SELECT p.department_name, p.sensor_serial, meta.timestamp_of(p.create_at), p.product_name,
       meta.timestamp_of(p.product_expire), f.file_id
FROM read_parquet(getvariable('batch_files')) p
JOIN staged_files f ON f.file_index = p.file_index
WHERE dwh.sensor_log_defect(p.department_name, p.sensor_serial, p.create_at, p.product_name, p.product_expire) IS NULL;

-- Rows per file as the Parquet footers state them (footer_rows, src/ingest/bulk.rs), rows inserted per
-- file, rows of earlier versions replaced (meta.file_accounting_of); rejects.sql adds the rejected rows
-- when a file came up short.
CREATE OR REPLACE TEMP VIEW file_counts AS
SELECT file_id, num_rows AS rows_read, NULL::BIGINT AS rows_duplicate, NULL::BIGINT AS rows_rejected,
       NULL::VARCHAR AS message
FROM footer_rows
UNION ALL BY NAME
SELECT source_file_id AS file_id, count(*) AS rows_inserted
FROM dwh.data_sample WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
UNION ALL BY NAME
SELECT file_id, rows_replaced FROM replaced_rows;

CREATE OR REPLACE TEMP TABLE file_accounting AS FROM file_accounting_of('file_counts');

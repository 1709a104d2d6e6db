-- Sensor logs: the batch's Parquet files (getvariable('batch_files'): their meta.file_pattern, in file_index
-- order) into dwh.data_sample.
INSERT INTO dwh.data_sample
SELECT p.department_name, p.sensor_serial, p.create_at, p.product_name, p.product_expire, f.file_id
FROM read_parquet(getvariable('batch_files')) p
JOIN staged_files f ON f.file_index = p.file_index
WHERE dwh.sensor_log_defect(p.department_name, p.sensor_serial, p.create_at, p.product_name, p.product_expire) IS NULL;

-- Rows per file as the Parquet footers state them, and rows inserted per file.
CREATE OR REPLACE TEMP TABLE file_accounting AS
WITH footer AS (
    SELECT f.file_id, m.num_rows AS rows_read
    FROM parquet_file_metadata(getvariable('batch_files')) m
    JOIN staged_files f ON f.path = m.file_name
),
inserted AS (
    SELECT source_file_id AS file_id, count(*) AS rows_inserted
    FROM dwh.data_sample
    WHERE source_file_id IN (SELECT file_id FROM staged_files)
    GROUP BY ALL
)
SELECT f.file_id,
       coalesce(footer.rows_read, 0)               AS rows_read,
       coalesce(inserted.rows_inserted, 0)         AS rows_inserted,
       0::BIGINT                                   AS rows_duplicate,
       0::BIGINT                                   AS rows_rejected,
       coalesce(r.rows_replaced, 0)                AS rows_replaced,
       NULL::VARCHAR                               AS message
FROM staged_files f
LEFT JOIN footer USING (file_id)
LEFT JOIN inserted USING (file_id)
LEFT JOIN replaced_rows r USING (file_id);

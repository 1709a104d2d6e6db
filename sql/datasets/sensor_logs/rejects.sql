-- Run only when some file of the batch came up short (inserted < rows in its footer): read just those
-- files again and quarantine each rejected row with its row number and reason.
SET VARIABLE short_files = (
    SELECT list(meta.file_pattern(f.path) ORDER BY f.file_index)
    FROM file_accounting a JOIN staged_files f USING (file_id)
    WHERE a.rows_inserted < a.rows_read);

INSERT INTO dwh.data_sample_rejected
SELECT f.file_id, f.path, p.file_row_number + 1,
       json_object('department_name', p.department_name, 'sensor_serial', p.sensor_serial,
                   'create_at', p.create_at, 'product_name', p.product_name,
                   'product_expire', p.product_expire)::VARCHAR,
       dwh.sensor_log_defect(p.department_name, p.sensor_serial, p.create_at, p.product_name, p.product_expire),
       now()::TIMESTAMP
FROM read_parquet(getvariable('short_files'), file_row_number = true) p
JOIN staged_files f ON f.path = p.filename
WHERE dwh.sensor_log_defect(p.department_name, p.sensor_serial, p.create_at, p.product_name, p.product_expire) IS NOT NULL;

UPDATE file_accounting a SET rows_rejected = r.n
FROM (SELECT source_file_id, count(*) AS n FROM dwh.data_sample_rejected
      WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL) r
WHERE a.file_id = r.source_file_id;

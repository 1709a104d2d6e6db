-- Per-file accounting: read = inserted + duplicates + rejected. 
CREATE OR REPLACE TEMP TABLE file_accounting AS
WITH staged AS (
    SELECT file_id, count(*) AS rows_read, count(reject_reason) AS rows_rejected
    FROM stedi_typed GROUP BY file_id
),
inserted AS (
    SELECT file_id, count(*) AS rows_inserted FROM (
        SELECT source_file_id AS file_id FROM stedi_landing.customer
        WHERE source_file_id IN (SELECT file_id FROM staged_files)
        UNION ALL
        SELECT source_file_id FROM stedi_landing.accelerometer
        WHERE source_file_id IN (SELECT file_id FROM staged_files)
        UNION ALL
        SELECT source_file_id FROM stedi_landing.step_trainer
        WHERE source_file_id IN (SELECT file_id FROM staged_files))
    GROUP BY file_id
),
kept AS (
    SELECT file_id, count(*) AS rows_kept FROM (
        SELECT file_id FROM stedi_customer_new UNION ALL
        SELECT file_id FROM stedi_accelerometer_new UNION ALL
        SELECT file_id FROM stedi_step_trainer_new)
    GROUP BY file_id
)
SELECT f.file_id,
       coalesce(s.rows_read, 0)                                              AS rows_read,
       coalesce(i.rows_inserted, 0)                                          AS rows_inserted,
       coalesce(s.rows_read, 0) - coalesce(s.rows_rejected, 0) - coalesce(k.rows_kept, 0) AS rows_duplicate,
       coalesce(s.rows_rejected, 0)                                          AS rows_rejected,
       0::BIGINT                                                             AS rows_replaced,
       NULL::VARCHAR                                                         AS message
FROM staged_files f
LEFT JOIN staged s USING (file_id)
LEFT JOIN inserted i USING (file_id)
LEFT JOIN kept k USING (file_id);

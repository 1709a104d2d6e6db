-- Per-file accounting: read = inserted + duplicates + rejected (meta.file_accounting_of). A row that is
-- neither rejected nor inserted repeats a record landed before or earlier in the run (every row kept as
-- new is inserted: the *_judged.sql files and load.sql insert the first occurrences and delete the later
-- ones, so what is left in the landing tables is what the run kept).
CREATE OR REPLACE TEMP VIEW file_counts AS
WITH staged AS (
    SELECT file_id, count(*) AS rows_read, count(reject_reason) AS rows_rejected
    FROM stedi_typed GROUP BY file_id
),
-- a file read straight (judged_files) was read whole then: stedi_typed holds only the lines it left
read AS (
    SELECT f.file_id, coalesce(j.rows_read, s.rows_read, 0) AS rows_read, coalesce(s.rows_rejected, 0) AS rows_rejected
    FROM staged_files f LEFT JOIN judged_files j USING (file_id) LEFT JOIN staged s USING (file_id)
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
)
SELECT r.file_id, r.rows_read, r.rows_rejected, coalesce(i.rows_inserted, 0) AS rows_inserted,
       r.rows_read - r.rows_rejected - coalesce(i.rows_inserted, 0) AS rows_duplicate,
       NULL::BIGINT AS rows_replaced, NULL::VARCHAR AS message
FROM read r LEFT JOIN inserted i USING (file_id);

CREATE OR REPLACE TEMP TABLE file_accounting AS FROM file_accounting_of('file_counts');

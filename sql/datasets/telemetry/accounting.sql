-- Per-file accounting of this load: read = inserted + duplicates + rejected, each counted where it landed
-- (inserted: the file's rows in the telemetry.readings view, which tests/telemetry.rs checks against it).
CREATE OR REPLACE TEMP TABLE file_accounting AS
WITH landed AS (
    SELECT source_file_id AS file_id, count(*) AS rows_read
    FROM telemetry.readings_raw WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
),
inserted AS (
    -- The telemetry.readings view's rows, counted without its spike flag (a LEFT JOIN that adds no row).
    SELECT r.source_file_id AS file_id, count(*) AS rows_inserted
    FROM telemetry.readings_raw r
    ANTI JOIN telemetry.readings_rejected j ON j.source_file_id = r.source_file_id AND j.line_number = r.row_number
    ANTI JOIN telemetry.readings_duplicate d ON d.source_file_id = r.source_file_id AND d.row_number = r.row_number
    WHERE r.source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
),
rejected AS (
    SELECT source_file_id AS file_id, count(*) AS rows_rejected
    FROM telemetry.readings_rejected WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
),
duplicates AS (
    SELECT source_file_id AS file_id, count(*) AS rows_duplicate
    FROM telemetry.readings_duplicate WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
)
SELECT f.file_id,
       coalesce(l.rows_read, 0)      AS rows_read,
       coalesce(i.rows_inserted, 0)  AS rows_inserted,
       coalesce(d.rows_duplicate, 0) AS rows_duplicate,
       coalesce(r.rows_rejected, 0)  AS rows_rejected,
       0::BIGINT                     AS rows_replaced,
       NULL::VARCHAR                 AS message
FROM staged_files f
LEFT JOIN landed l USING (file_id)
LEFT JOIN inserted i USING (file_id)
LEFT JOIN rejected r USING (file_id)
LEFT JOIN duplicates d USING (file_id)
ORDER BY f.file_id;

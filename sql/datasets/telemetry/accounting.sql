-- Per-file accounting of this load: read = inserted + duplicates + rejected (meta.file_accounting_of),
-- each counted where it landed (inserted: the file's rows in the telemetry.readings view, which
-- tests/telemetry.rs checks against it).
CREATE OR REPLACE TEMP VIEW file_counts AS
SELECT source_file_id AS file_id, count(*) AS rows_read, NULL::BIGINT AS rows_replaced, NULL::VARCHAR AS message
FROM telemetry.readings_raw WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
UNION ALL BY NAME
-- The telemetry.readings view's rows, counted without its spike flag (a LEFT JOIN that adds no row).
SELECT r.source_file_id AS file_id, count(*) AS rows_inserted
FROM telemetry.readings_raw r
ANTI JOIN telemetry.readings_rejected j ON j.source_file_id = r.source_file_id AND j.line_number = r.row_number
ANTI JOIN telemetry.readings_duplicate d ON d.source_file_id = r.source_file_id AND d.row_number = r.row_number
WHERE r.source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
UNION ALL BY NAME
SELECT source_file_id AS file_id, count(*) AS rows_rejected
FROM telemetry.readings_rejected WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
UNION ALL BY NAME
SELECT source_file_id AS file_id, count(*) AS rows_duplicate
FROM telemetry.readings_duplicate WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE file_accounting AS FROM file_accounting_of('file_counts');

-- Per-file accounting of this run: read = inserted + duplicates + rejected (meta.file_accounting_of); the
-- lines read and rejected and the unknown fields per file were counted by load.sql (typed_vote_files).
-- rows_inserted is counted from the target table, independently of the staging flags.
CREATE OR REPLACE TEMP VIEW file_counts AS
SELECT file_id, rows_read, rows_rejected,
       CASE WHEN len(unknown_fields) > 0 THEN 'unknown fields: ' || array_to_string(unknown_fields, ', ') END AS message,
       NULL::BIGINT AS rows_replaced
FROM typed_vote_files
UNION ALL BY NAME
SELECT file_id, count(*) AS rows_duplicate FROM duplicate_votes GROUP BY file_id
UNION ALL BY NAME
SELECT source_file_id AS file_id, count(*) AS rows_inserted
FROM blog_analysis.votes WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE file_accounting AS FROM file_accounting_of('file_counts');

-- Per-file accounting of this run: read = inserted + duplicates + rejected (meta.file_accounting_of); the
-- lines read and rejected and the unknown fields per file were counted by load.sql (typed_vote_files).
-- A file read straight (judged_files: votes_judged.sql) was read whole then, and typed_vote_files holds
-- only the lines it left. Duplicates are counted line by line (duplicate_votes: load.sql; the reader left
-- the later lines of an Id to it); rows_inserted is counted from the target table, independently.
CREATE OR REPLACE TEMP VIEW file_counts AS
SELECT t.file_id, CASE WHEN j.file_id IS NULL THEN t.rows_read ELSE 0 END AS rows_read, t.rows_rejected,
       CASE WHEN len(t.unknown_fields) > 0 THEN 'unknown fields: ' || array_to_string(t.unknown_fields, ', ') END AS message,
       NULL::BIGINT AS rows_replaced
FROM typed_vote_files t LEFT JOIN judged_files j USING (file_id)
UNION ALL BY NAME
SELECT file_id, rows_read FROM judged_files
UNION ALL BY NAME
SELECT file_id, count(*) AS rows_duplicate FROM duplicate_votes GROUP BY file_id
UNION ALL BY NAME
SELECT source_file_id AS file_id, count(*) AS rows_inserted
FROM blog_analysis.votes WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE file_accounting AS FROM file_accounting_of('file_counts');

-- Per-file accounting of this run: read = inserted + duplicates + rejected (meta.file_accounting_of).
-- rows_inserted is counted from the target table, independently of the staging flags.
CREATE OR REPLACE TEMP VIEW file_counts AS
SELECT file_id, count(*) AS rows_read, count(reject_reason) AS rows_rejected
FROM typed_votes GROUP BY file_id
UNION ALL BY NAME
SELECT file_id, count(*) AS rows_duplicate FROM duplicate_votes GROUP BY file_id
UNION ALL BY NAME
SELECT source_file_id AS file_id, count(*) AS rows_inserted
FROM blog_analysis.votes WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
UNION ALL BY NAME
SELECT file_id, 'unknown fields: ' || string_agg(DISTINCT k, ', ' ORDER BY k) AS message,
       NULL::BIGINT AS rows_replaced
FROM (SELECT file_id, unnest(unknown_keys) AS k FROM typed_votes)
GROUP BY file_id;

CREATE OR REPLACE TEMP TABLE file_accounting AS FROM file_accounting_of('file_counts');

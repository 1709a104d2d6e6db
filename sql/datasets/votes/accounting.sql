-- Per-file accounting of this run: read = inserted + duplicates + rejected.
CREATE OR REPLACE TEMP TABLE file_accounting AS
-- rows_inserted is counted from the target table, independently of the staging flags.
WITH staged AS (
    SELECT file_id,
           count(*)                    AS rows_read,
           count(reject_reason)        AS rows_rejected
    FROM typed_votes GROUP BY file_id
),
duplicates AS (
    SELECT file_id, count(*) AS rows_duplicate FROM duplicate_votes GROUP BY file_id
),
inserted AS (
    SELECT source_file_id AS file_id, count(*) AS rows_inserted
    FROM blog_analysis.votes
    WHERE source_file_id IN (SELECT file_id FROM staged_files)
    GROUP BY ALL
),
unknown AS (
    SELECT file_id, string_agg(DISTINCT k, ', ' ORDER BY k) AS unknown_fields
    FROM (SELECT file_id, unnest(unknown_keys) AS k FROM typed_votes)
    GROUP BY file_id
)
SELECT f.file_id,
       coalesce(s.rows_read, 0)      AS rows_read,
       coalesce(i.rows_inserted, 0)  AS rows_inserted,
       coalesce(d.rows_duplicate, 0) AS rows_duplicate,
       coalesce(s.rows_rejected, 0)  AS rows_rejected,
       0::BIGINT                     AS rows_replaced,
       CASE WHEN u.unknown_fields IS NOT NULL THEN 'unknown fields: ' || u.unknown_fields END AS message
FROM staged_files f
LEFT JOIN staged s USING (file_id)
LEFT JOIN duplicates d USING (file_id)
LEFT JOIN inserted i USING (file_id)
LEFT JOIN unknown u USING (file_id)
ORDER BY f.file_id;

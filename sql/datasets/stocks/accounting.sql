-- Per-file accounting: read = inserted + duplicates + rejected. The header line is not a row.
-- A repeated (Symbol, Date) with the same values is a duplicate; with other values, a reject.
CREATE OR REPLACE TEMP TABLE file_accounting AS
WITH staged AS (
    SELECT j.file_id,
           count(*)                                                        AS rows_read,
           count(*) FILTER (j.reject_reason IS NULL AND r.file_id IS NOT NULL
                            AND r.reject_reason IS NULL)                   AS rows_duplicate,
           count(coalesce(j.reject_reason, r.reject_reason))               AS rows_rejected
    FROM judged_prices j
    LEFT JOIN repeated_prices r USING (file_id, line_no)
    WHERE NOT j.is_header
    GROUP BY j.file_id
),
inserted AS (
    SELECT source_file_id AS file_id, count(*) AS rows_inserted
    FROM market.prices WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
    UNION ALL
    SELECT source_file_id, count(*) FROM market.symbols
    WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
),
reference AS (
    SELECT getvariable('reference_file_id') AS file_id, count(*) AS rows_read
    FROM market.symbols WHERE source_file_id = getvariable('reference_file_id')
),
without_meta AS (
    SELECT f.file_id FROM price_files f WHERE f.Symbol NOT IN (SELECT Symbol FROM market.symbols)
)
SELECT f.file_id,
       coalesce(s.rows_read, r.rows_read, 0) AS rows_read,
       coalesce(i.rows_inserted, 0)          AS rows_inserted,
       coalesce(s.rows_duplicate, 0)         AS rows_duplicate,
       coalesce(s.rows_rejected, 0)          AS rows_rejected,
       0::BIGINT                             AS rows_replaced,
       CASE WHEN f.file_id IN (SELECT file_id FROM without_meta) THEN 'no row in symbols_valid_meta.csv' END AS message
FROM staged_files f
LEFT JOIN staged s USING (file_id)
LEFT JOIN inserted i USING (file_id)
LEFT JOIN reference r USING (file_id);

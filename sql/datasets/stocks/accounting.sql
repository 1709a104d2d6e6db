-- Per-file accounting: read = inserted + duplicates + rejected (meta.file_accounting_of). The header line
-- is not a row. A repeated (Symbol, Date) with the same values is a duplicate; with other values, a reject.
CREATE OR REPLACE TEMP VIEW file_counts AS
SELECT j.file_id,
       count(*)                                                        AS rows_read,
       count(*) FILTER (j.reject_reason IS NULL AND r.file_id IS NOT NULL
                        AND r.reject_reason IS NULL)                   AS rows_duplicate,
       count(coalesce(j.reject_reason, r.reject_reason))               AS rows_rejected,
       NULL::BIGINT                                                    AS rows_replaced,
       NULL::VARCHAR                                                   AS message
FROM judged_prices j
LEFT JOIN repeated_prices r USING (file_id, line_no)
WHERE NOT j.is_header
GROUP BY j.file_id
UNION ALL BY NAME
SELECT source_file_id AS file_id, count(*) AS rows_inserted
FROM market.prices WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
UNION ALL BY NAME
-- The reference file (symbols_valid_meta.csv): its rows are read and inserted into market.symbols.
SELECT source_file_id AS file_id, count(*) AS rows_read, count(*) AS rows_inserted
FROM market.symbols WHERE source_file_id IN (SELECT file_id FROM staged_files) GROUP BY ALL
UNION ALL BY NAME
SELECT f.file_id, 'no row in symbols_valid_meta.csv' AS message
FROM price_files f WHERE f.Symbol NOT IN (SELECT Symbol FROM market.symbols);

CREATE OR REPLACE TEMP TABLE file_accounting AS FROM file_accounting_of('file_counts');

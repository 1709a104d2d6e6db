-- Per-file accounting: read = inserted + duplicates + rejected (meta.file_accounting_of). The header line
-- is not a row. A repeated (Symbol, Date) with the same values is a duplicate; with other values, a reject.
-- (price_file_counts: counted by load.sql before it dropped the typed lines.)
CREATE OR REPLACE TEMP VIEW file_counts AS
SELECT file_id, rows_read, rows_duplicate, rows_rejected,
       NULL::BIGINT AS rows_replaced, NULL::VARCHAR AS message
FROM price_file_counts
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

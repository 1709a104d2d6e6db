-- The row counts of the batch's Parquet files whose footer the reader could not read
-- (src/ingest/parquet_footer.rs), asked of DuckDB (variable unread_footers: their file patterns).
INSERT INTO footer_rows
SELECT f.file_id, m.num_rows
FROM parquet_file_metadata(getvariable('unread_footers')) m
JOIN staged_files f ON f.path = m.file_name;

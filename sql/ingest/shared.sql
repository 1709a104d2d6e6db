-- What every dataset's load SQL shares, as temporary macros of the load's connection (created after
-- staging.sql, since they read its temp table staged_files): the rejected rows as a rejects table holds
-- them, and the per-file accounting (read = inserted + duplicates + rejected) from the counts a dataset
-- supplies.

-- The rejected rows of a typed staging relation (named by `typed`; columns file_id, line_no, raw,
-- reject_reason): source file id and path, line, raw text, reason, time. Insert them into the dataset's
-- rejects table: INSERT INTO x_rejected SELECT * FROM rejected_rows('typed_x').
CREATE OR REPLACE TEMP MACRO rejected_rows(typed) AS TABLE
SELECT t.file_id          AS source_file_id,
       f.path             AS source_file,
       t.line_no          AS line_number,
       t.raw              AS raw,
       t.reject_reason    AS reason,
       now()::TIMESTAMP   AS rejected_at
FROM query_table(typed) t
JOIN staged_files f USING (file_id)
WHERE t.reject_reason IS NOT NULL;

-- The contents of temp table file_accounting: one row per staged file with the seven columns Rust reads
-- (ingest::ACCOUNTING_COLUMNS), from a relation of counts (named by `counts`) with the same columns, any
-- number of rows per file and NULL where a row does not count that measure (build it with
-- UNION ALL BY NAME). A file with no counts reads 0 everywhere.
CREATE OR REPLACE TEMP MACRO file_accounting_of(counts) AS TABLE
SELECT f.file_id,
       coalesce(sum(c.rows_read), 0)::BIGINT       AS rows_read,
       coalesce(sum(c.rows_inserted), 0)::BIGINT   AS rows_inserted,
       coalesce(sum(c.rows_duplicate), 0)::BIGINT  AS rows_duplicate,
       coalesce(sum(c.rows_rejected), 0)::BIGINT   AS rows_rejected,
       coalesce(sum(c.rows_replaced), 0)::BIGINT   AS rows_replaced,
       string_agg(c.message, '; ')                 AS message
FROM staged_files f
LEFT JOIN query_table(counts) c USING (file_id)
GROUP BY f.file_id
ORDER BY f.file_id;

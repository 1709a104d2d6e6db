-- Records the staged files in the load ledger with their accounting (temp table file_accounting,
-- made by the dataset's SQL). Variables: run_id, dataset, started_us.
INSERT INTO meta.file_loads
SELECT f.file_id, getvariable('run_id'), getvariable('dataset'), f.path, f.size_bytes,
       make_timestamp(f.modified_us), f.content_hash, 'loaded',
       a.rows_read, a.rows_inserted, a.rows_duplicate, a.rows_rejected, a.rows_replaced,
       make_timestamp(getvariable('started_us')), now()::TIMESTAMP, a.message
FROM staged_files f JOIN file_accounting a USING (file_id)
ORDER BY f.file_id;

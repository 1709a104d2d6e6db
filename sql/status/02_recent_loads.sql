-- The ten most recent files read, newest first.
SELECT file_load_id, dataset, regexp_extract(path, '[^/]*$') AS file, status,
       rows_read, rows_inserted, rows_duplicate, rows_rejected, rows_replaced,
       finished_at, message
FROM meta.file_loads
ORDER BY file_load_id DESC
LIMIT 10

-- The stock loads a model is trained on: how many files, the newest load, and their content hashes in
-- load order (hashed once more by the caller into one fingerprint).
SELECT count(*)                                                  AS files,
       max(file_load_id)                                         AS last_load_id,
       coalesce(string_agg(content_hash, ',' ORDER BY file_load_id), '') AS hashes
FROM meta.file_loads
WHERE dataset = 'stocks' AND status = 'loaded';

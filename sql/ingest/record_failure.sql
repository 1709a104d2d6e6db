-- A file that could not be loaded: recorded as failed with the reason; the next run tries it again.
-- Parameters: path, size_bytes, modified_us, content_hash, message. The id is a new one: the failed
-- attempt's registration was rolled back with it.
INSERT INTO meta.file_loads (file_load_id, run_id, dataset, path, size_bytes, modified_at, content_hash, status,
                             started_at, finished_at, message)
VALUES (nextval('meta.file_load_id_seq'), getvariable('run_id'), getvariable('dataset'), ?, ?, make_timestamp(?::BIGINT), ?, 'failed',
        make_timestamp(getvariable('started_us')), now()::TIMESTAMP, ?)

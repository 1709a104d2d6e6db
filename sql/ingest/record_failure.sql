-- A file that could not be loaded: recorded as failed with the reason; the next run tries it again.
-- Parameters: file_load_id, path, size_bytes, modified_us, content_hash, message.
INSERT INTO meta.file_loads (file_load_id, run_id, dataset, path, size_bytes, modified_at, content_hash, status,
                             started_at, finished_at, message)
VALUES (?, getvariable('run_id'), getvariable('dataset'), ?, ?, make_timestamp(?::BIGINT), ?, 'failed',
        make_timestamp(getvariable('started_us')), now()::TIMESTAMP, ?)

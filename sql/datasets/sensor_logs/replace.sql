-- A re-delivered file with changed content replaces that file's rows: remove the rows of its earlier
-- load(s), count them, and mark those ledger rows superseded.
CREATE OR REPLACE TEMP TABLE replaced_rows AS
SELECT f.file_id, count(d.source_file_id) AS rows_replaced
FROM staged_files f
JOIN meta.file_loads l ON l.path = f.path AND l.dataset = getvariable('dataset') AND l.status = 'loaded'
LEFT JOIN dwh.data_sample d ON d.source_file_id = l.file_load_id
GROUP BY f.file_id;

DELETE FROM dwh.data_sample
WHERE source_file_id IN (
    SELECT l.file_load_id FROM meta.file_loads l JOIN staged_files f ON l.path = f.path
    WHERE l.dataset = getvariable('dataset') AND l.status = 'loaded');

UPDATE meta.file_loads SET status = 'superseded'
WHERE dataset = getvariable('dataset') AND status = 'loaded' AND path IN (SELECT path FROM staged_files);

-- The rejects of those earlier loads go with their rows: the file's rejects are its current version's.
DELETE FROM dwh.data_sample_rejected
WHERE source_file_id IN (
    SELECT file_load_id FROM meta.file_loads
    WHERE dataset = getvariable('dataset') AND status = 'superseded' AND path IN (SELECT path FROM staged_files));

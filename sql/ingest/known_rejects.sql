-- Run after a dataset's accounting.sql (ingest::Load::set_known_rejects_aside), with {rejects} the
-- dataset's rejects table. A rejected line of this load that an earlier load of the same file already
-- quarantined (same file name, same line number, same text: a file read again with --force, or one
-- that grew) is not kept a second time: it counts as a duplicate of the reject already there, so that
-- the rejects table holds each bad line once and the ledger still balances.
CREATE OR REPLACE TEMP TABLE known_rejects AS
SELECT n.source_file_id AS file_id, n.line_number
FROM {rejects} n
SEMI JOIN (SELECT * FROM {rejects}
           WHERE source_file_id < (SELECT min(file_id) FROM staged_files)
             AND source_file IN (SELECT path FROM staged_files)) o
    ON o.source_file = n.source_file AND o.line_number = n.line_number AND o.raw IS NOT DISTINCT FROM n.raw
WHERE n.source_file_id IN (SELECT file_id FROM staged_files);

-- (A load rejects a line at most once: the line identifies the reject within this load.)

DELETE FROM {rejects} r USING known_rejects k
WHERE r.source_file_id = k.file_id AND r.line_number = k.line_number;

UPDATE file_accounting a
SET rows_rejected = a.rows_rejected - k.n, rows_duplicate = a.rows_duplicate + k.n
FROM (SELECT file_id, count(*) AS n FROM known_rejects GROUP BY ALL) k
WHERE a.file_id = k.file_id;

-- Files that are not newline-delimited JSON at all: no line of them parses (typed_vote_files: load.sql;
-- a file read straight of which the reader judged a line parses). Each row aborts the run with `message`,
-- naming the file.
SELECT f.path, 'is not newline-delimited JSON: none of its ' || t.rows_read || ' lines parses (line '
       || t.first_line || ': ' || coalesce(t.first_reason, '') || ')' AS message
FROM typed_vote_files t JOIN staged_files f USING (file_id)
WHERE t.none_parses
  AND t.file_id NOT IN (SELECT file_id FROM judged_files WHERE rows_judged > 0)

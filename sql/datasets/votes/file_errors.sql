-- Files that are not newline-delimited JSON at all: no line of them parses.
-- Each row aborts the run with `message`, naming the file.
SELECT f.path, 'is not newline-delimited JSON: none of its ' || count(*) || ' lines parses (line 1: '
       || coalesce(arg_min(t.reject_reason, t.line_no), '') || ')' AS message
FROM typed_votes t JOIN staged_files f USING (file_id)
GROUP BY f.path
HAVING bool_and(coalesce(t.reject_reason IN ('malformed JSON', 'line is not valid UTF-8'), false))

-- A file outside the three source folders, or one no line of which parses as JSON, aborts the run.
SELECT path, 'is not in a customer/, accelerometer/ or step_trainer/ folder, so its source is unknown'
FROM stedi_files WHERE source IS NULL
UNION ALL
SELECT f.path, 'is not newline-delimited JSON: none of its ' || count(*) || ' lines parses'
FROM stedi_typed t JOIN staged_files f USING (file_id)
-- (a file of which the reader judged a line whole parses)
WHERE t.file_id NOT IN (SELECT file_id FROM judged_files WHERE rows_judged > 0)
GROUP BY f.path
HAVING bool_and(coalesce(t.reject_reason IN ('malformed JSON', 'line is not valid UTF-8'), false))
UNION ALL
-- The reader sent a file's judged lines to the table of the source its folder names, as it reads the
-- path (ReadingTyper::file_kind); SQL must read the same source from it (stedi_files).
SELECT f.path, 'internal error: the reader took it for another source than SQL does (' || coalesce(f.source::VARCHAR, 'none') || ')'
FROM judged_files j JOIN stedi_files f USING (file_id)
WHERE f.typed_code IS DISTINCT FROM j.kind

-- A file outside the three source folders, or one no line of which parses as JSON, aborts the run.
SELECT path, 'is not in a customer/, accelerometer/ or step_trainer/ folder, so its source is unknown'
FROM stedi_files WHERE source IS NULL
UNION ALL
SELECT f.path, 'is not newline-delimited JSON: none of its ' || count(*) || ' lines parses'
FROM stedi_typed t JOIN staged_files f USING (file_id)
GROUP BY f.path
HAVING bool_and(coalesce(t.reject_reason IN ('malformed JSON', 'line is not valid UTF-8'), false))

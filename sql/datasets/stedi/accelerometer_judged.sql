-- Accelerometer readings the reader judged whole (ReadingTyper, src/datasets/stedi.rs: a flat object with
-- exactly user, timestamp, x, y and z, of their types and ranges, in an accelerometer/ folder), straight
-- from the stream (judged_lines) into the landing table, before load.sql types the other lines. A record
-- that landed in an earlier load is left out. The reader gathered each judged line's key (a hash of the
-- record): judged_repeats lists the lines whose key it saw more than once, and of each record among them
-- only the first occurrence (file, then line) stays. load.sql then weighs the readings SQL typed itself
-- against these.

-- A judged line's values are in SQL's ranges (the reader checked them); should one not be after all, the
-- load fails rather than keep a value SQL would have rejected.
INSERT INTO stedi_landing.accelerometer
SELECT t.* FROM (
    SELECT t_text AS "user",
           CASE WHEN meta.epoch_ms_of(t_ms) IS NULL
                THEN error('STEDI: the reader judged a reading whose timestamp SQL rejects (file ' || file_id || ', line ' || line_no || ')')
                ELSE epoch_ms(t_ms) END AS "timestamp",
           t_x AS x, t_y AS y, t_z AS z, file_id, line_no
    FROM judged_lines WHERE judged) t
ANTI JOIN stedi_landing.accelerometer a
    ON a."user" = t."user" AND a."timestamp" = t."timestamp" AND a.x = t.x AND a.y = t.y AND a.z = t.z;

DELETE FROM stedi_landing.accelerometer AS a
USING (
    SELECT file_id, line_no FROM (
        SELECT r.source_file_id AS file_id, r.line_number AS line_no,
               row_number() OVER (PARTITION BY r."user", r."timestamp", r.x, r.y, r.z
                                  ORDER BY r.source_file_id, r.line_number) AS nth
        FROM stedi_landing.accelerometer r
        SEMI JOIN judged_repeats j ON r.source_file_id = j.file_id AND r.line_number = j.line_no)
    WHERE nth > 1) AS later
WHERE a.source_file_id = later.file_id AND a.line_number = later.line_no;

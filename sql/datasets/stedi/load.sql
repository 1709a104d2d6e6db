-- STEDI landing: incoming JSON lines -> typed landing tables (+ rejects); exact duplicate records are
-- dropped (within the run and against what landed before). The source is the folder a file is in.
-- Most lines are not here: those the reader judged whole went straight into their landing tables first
-- (accelerometer_judged.sql, step_trainer_judged.sql, customer_judged.sql). incoming_lines holds the
-- files of no known source and the lines of the others that the reader left (as it kept them, or read
-- again by number). It is read once, as the files are read: a line's raw text is kept only when it is
-- rejected.

CREATE OR REPLACE TEMP TABLE stedi_files AS
-- The source is the nearest folder named after one (the greedy .* finds the last in the path), so a
-- project that happens to live under a folder called customer/ is not misread ('s': a newline in a folder
-- name is a character like any other, as for the reader's LineTyper::file_kind). It is an ENUM (one byte
-- a line in stedi_typed, not the name's text); typed_code is the reader's code for the source's plain
-- readings (typed_as: src/datasets/stedi.rs).
SELECT file_id, path, source,
       CASE source WHEN 'accelerometer' THEN 1 WHEN 'step_trainer' THEN 2 WHEN 'customer' THEN 3 END::TINYINT AS typed_code
FROM (
    SELECT file_id, path,
           CASE regexp_extract(path, '.*[/\\](customers?|accelerometer|step_trainer)[/\\]', 1, 's')
                WHEN 'customer' THEN 'customer' WHEN 'customers' THEN 'customer'
                WHEN 'accelerometer' THEN 'accelerometer'
                WHEN 'step_trainer' THEN 'step_trainer'
           END::ENUM('customer', 'accelerometer', 'step_trainer') AS source
    FROM staged_files);

-- epoch milliseconds (a JSON number or string, whole) to TIMESTAMP; NULL when it is not one
CREATE OR REPLACE TEMP MACRO stedi_ms(t) AS meta.epoch_ms_timestamp(t);

CREATE OR REPLACE TEMP TABLE stedi_typed AS
WITH stedi_parsed AS (
    -- A reading the reader typed (lines::LineTyper, src/datasets/stedi.rs) would be taken from its t_
    -- columns when it is of its folder's source; such readings go straight in (Straight), so none comes
    -- here today, and every line here is parsed.
    SELECT l.file_id, l.line_no, f.source, l.defect, l.raw, coalesce(l.typed_as = f.typed_code, false) AS typed,
           l.t_text, l.t_ms, l.t_x, l.t_y, l.t_z, l.t_int, l.t_key,
           -- (a CASE, not AND: DuckDB evaluates every operand of an AND in a select list, so json_valid
           -- would parse every typed line too)
           CASE WHEN typed OR l.defect IS NOT NULL THEN false ELSE json_valid(l.raw) END AS is_json,
           -- valid JSON whose first character (after JSON's whitespace) is '{' is an object: no
           -- third parse of the line (json_type) to say so
           CASE WHEN is_json THEN CASE WHEN starts_with(ltrim(l.raw, e' \t\n\r'), '{') THEN 'OBJECT' ELSE 'OTHER' END END AS kind,
           CASE WHEN kind = 'OBJECT' AND f.source = 'customer' THEN
               json_extract_string(l.raw, ['$.customerName', '$.email', '$.phone', '$.birthDay', '$.serialNumber',
                   '$.registrationDate', '$.lastUpdateDate', '$.shareWithResearchAsOfDate',
                   '$.shareWithPublicAsOfDate', '$.shareWithFriendsAsOfDate'])
                WHEN kind = 'OBJECT' AND f.source = 'accelerometer' THEN
               json_extract_string(l.raw, ['$.user', '$.timestamp', '$.x', '$.y', '$.z'])
                WHEN kind = 'OBJECT' AND f.source = 'step_trainer' THEN
               json_extract_string(l.raw, ['$.sensorReadingTime', '$.serialNumber', '$.distanceFromObject'])
           END AS v,
           -- only a line with more keys (counted by the reader) than known fields present can repeat one
           CASE WHEN kind = 'OBJECT' AND coalesce(l.top_level_keys, 99) > len(list_filter(v, lambda x: x IS NOT NULL))
                THEN json_keys(l.raw) END AS keys,
           CASE WHEN keys IS NOT NULL AND len(keys) > len(list_distinct(keys))
                THEN list_filter(keys, lambda k, i: list_position(keys, k) < i)[1] END AS repeated_key
    FROM incoming_lines l JOIN stedi_files f USING (file_id)
),
judged AS (
SELECT file_id, line_no, source, raw, typed, t_text, t_ms, t_x, t_y, t_z, t_int, t_key,
       CASE
           -- a typed reading has every field, of its kind: only the ranges are left to judge
           WHEN typed AND source = 'accelerometer' THEN CASE
               WHEN meta.epoch_ms_of(t_ms) IS NULL THEN 'timestamp is not whole epoch milliseconds of the years ' || meta.plausible_years() || ': ' || t_ms
           END
           WHEN typed AND source = 'step_trainer' THEN CASE
               WHEN meta.epoch_ms_of(t_ms) IS NULL THEN 'sensorReadingTime is not whole epoch milliseconds of the years ' || meta.plausible_years() || ': ' || t_ms
               WHEN TRY_CAST(t_int AS INTEGER) IS NULL THEN 'distanceFromObject is not an integer: ' || t_int
           END
           WHEN defect IS NOT NULL     THEN defect
           WHEN NOT is_json            THEN 'malformed JSON'
           WHEN kind <> 'OBJECT'       THEN 'not a JSON object'
           WHEN repeated_key IS NOT NULL THEN 'duplicated key ' || repeated_key
           WHEN source = 'customer' THEN CASE
               WHEN v[2] IS NULL                                  THEN 'missing email'
               WHEN v[7] IS NULL                                  THEN 'missing lastUpdateDate'
               WHEN stedi_ms(v[7]) IS NULL                        THEN 'lastUpdateDate is not whole epoch milliseconds of the years ' || meta.plausible_years() || ': ' || v[7]
               WHEN v[6] IS NOT NULL AND stedi_ms(v[6]) IS NULL   THEN 'registrationDate is not whole epoch milliseconds of the years ' || meta.plausible_years() || ': ' || v[6]
               WHEN v[4] IS NOT NULL AND meta.exact_date(v[4]) IS NULL THEN 'birthDay is not a date (YYYY-MM-DD): ' || v[4]
               WHEN v[8] IS NOT NULL AND stedi_ms(v[8]) IS NULL   THEN 'shareWithResearchAsOfDate is not whole epoch milliseconds of the years ' || meta.plausible_years() || ': ' || v[8]
               WHEN v[9] IS NOT NULL AND stedi_ms(v[9]) IS NULL   THEN 'shareWithPublicAsOfDate is not whole epoch milliseconds of the years ' || meta.plausible_years() || ': ' || v[9]
               WHEN v[10] IS NOT NULL AND stedi_ms(v[10]) IS NULL THEN 'shareWithFriendsAsOfDate is not whole epoch milliseconds of the years ' || meta.plausible_years() || ': ' || v[10]
           END
           WHEN source = 'accelerometer' THEN CASE
               WHEN v[1] IS NULL                                  THEN 'missing user'
               WHEN stedi_ms(v[2]) IS NULL                        THEN 'timestamp is not whole epoch milliseconds of the years ' || meta.plausible_years() || ': ' || coalesce(v[2], 'missing')
               WHEN NOT coalesce(isfinite(meta.exact_double(v[3])) AND isfinite(meta.exact_double(v[4]))
                                 AND isfinite(meta.exact_double(v[5])), false)
                                                                  THEN 'x, y and z must be finite numbers'
           END
           WHEN source = 'step_trainer' THEN CASE
               WHEN stedi_ms(v[1]) IS NULL                        THEN 'sensorReadingTime is not whole epoch milliseconds of the years ' || meta.plausible_years() || ': ' || coalesce(v[1], 'missing')
               WHEN v[2] IS NULL                                  THEN 'missing serialNumber'
               WHEN TRY_CAST(meta.exact_bigint(v[3]) AS INTEGER) IS NULL THEN 'distanceFromObject is not an integer: ' || coalesce(v[3], 'missing')
           END
       END AS reject_reason,
       v
FROM stedi_parsed
)
-- A typed line's text is not sent (the reader judged its ranges as this does: ReadingTyper); should
-- one be rejected after all, the load fails rather than keep a reject without its text.
SELECT file_id, line_no, source, reject_reason, v,
       CASE WHEN reject_reason IS NULL THEN NULL
            WHEN raw IS NOT NULL THEN raw
            ELSE error('STEDI: the reader typed a line that SQL rejects (file ' || file_id || ', line ' || line_no || '): ' || reject_reason)
       END AS raw,
       typed, t_text, t_ms, t_x, t_y, t_z, t_int, t_key
FROM judged;

INSERT INTO stedi_landing.rejected SELECT * FROM rejected_rows('stedi_typed');

-- Each source: typed rows, first occurrence of each distinct record kept, and only if not landed before.
-- The customers: most went straight into their landing table before this file ran (customer_judged.sql:
-- those the reader judged whole, the first line of each record in a file). Here are the others, weighed
-- as the readings are below: a record that landed in an earlier load is left out; of the rest, each
-- record's first occurrence (file, then line) in this run is kept, whether it is one of these or one that
-- went straight in (which is then removed).
CREATE OR REPLACE TEMP TABLE stedi_customer_weighed AS
WITH typed_here AS (
    SELECT v[1] AS customerName, v[2] AS email, v[3] AS phone, meta.exact_date(v[4]) AS birthDay,
           v[5] AS serialNumber, stedi_ms(v[6]) AS registrationDate, stedi_ms(v[7]) AS lastUpdateDate,
           stedi_ms(v[8]) AS shareWithResearchAsOfDate, stedi_ms(v[9]) AS shareWithPublicAsOfDate,
           stedi_ms(v[10]) AS shareWithFriendsAsOfDate, file_id, line_no
    FROM stedi_typed WHERE source = 'customer' AND reject_reason IS NULL
),
-- the landed rows with the record of one of these: the table is scanned against these few
landed AS (
    SELECT c.* EXCLUDE (source_file_id, line_number), c.source_file_id AS file_id, c.line_number AS line_no,
           c.source_file_id IN (SELECT file_id FROM staged_files) AS this_run
    FROM stedi_landing.customer c
    SEMI JOIN typed_here t
        ON c.email = t.email AND c.lastUpdateDate = t.lastUpdateDate
       AND (c.customerName, c.phone, c.birthDay, c.serialNumber, c.registrationDate, c.shareWithResearchAsOfDate,
            c.shareWithPublicAsOfDate, c.shareWithFriendsAsOfDate)
           IS NOT DISTINCT FROM
           (t.customerName, t.phone, t.birthDay, t.serialNumber, t.registrationDate, t.shareWithResearchAsOfDate,
            t.shareWithPublicAsOfDate, t.shareWithFriendsAsOfDate)
),
fresh AS (
    SELECT * FROM typed_here t
    ANTI JOIN (SELECT * FROM landed WHERE NOT this_run) e
        ON e.email = t.email AND e.lastUpdateDate = t.lastUpdateDate
       AND (e.customerName, e.phone, e.birthDay, e.serialNumber, e.registrationDate, e.shareWithResearchAsOfDate,
            e.shareWithPublicAsOfDate, e.shareWithFriendsAsOfDate)
           IS NOT DISTINCT FROM
           (t.customerName, t.phone, t.birthDay, t.serialNumber, t.registrationDate, t.shareWithResearchAsOfDate,
            t.shareWithPublicAsOfDate, t.shareWithFriendsAsOfDate)
)
SELECT *, row_number() OVER (PARTITION BY customerName, email, phone, birthDay, serialNumber, registrationDate,
    lastUpdateDate, shareWithResearchAsOfDate, shareWithPublicAsOfDate, shareWithFriendsAsOfDate
    ORDER BY file_id, line_no) = 1 AS first
FROM (SELECT *, true AS from_sql FROM fresh
      UNION ALL
      SELECT * EXCLUDE (this_run), false FROM landed WHERE this_run);

INSERT INTO stedi_landing.customer
SELECT * EXCLUDE (from_sql, first) FROM stedi_customer_weighed WHERE from_sql AND first;

DELETE FROM stedi_landing.customer AS c
USING (SELECT file_id, line_no FROM stedi_customer_weighed WHERE NOT from_sql AND NOT first) AS later
WHERE c.source_file_id = later.file_id AND c.line_number = later.line_no;

-- The readings: most went straight into their landing tables before this file ran
-- (accelerometer_judged.sql, step_trainer_judged.sql: the readings the reader judged whole, their first
-- occurrences). Here are the others, typed above: a record that landed in an earlier load is left out;
-- of the rest, each record's first occurrence (file, then line) in this run is kept, whether it is one
-- of these or one that went straight in (which is then removed). stedi_<source>_weighed holds these
-- readings and this run's landed rows of the same records, each marked first or not.
CREATE OR REPLACE TEMP TABLE stedi_accelerometer_weighed AS
WITH typed_here AS (
    SELECT t_text AS "user", epoch_ms(t_ms) AS "timestamp", t_x AS x, t_y AS y, t_z AS z, file_id, line_no
    FROM stedi_typed WHERE source = 'accelerometer' AND reject_reason IS NULL AND typed
    UNION ALL
    SELECT v[1] AS "user", stedi_ms(v[2]) AS "timestamp", meta.exact_double(v[3]) AS x, meta.exact_double(v[4]) AS y,
           meta.exact_double(v[5]) AS z, file_id, line_no
    FROM stedi_typed WHERE source = 'accelerometer' AND reject_reason IS NULL AND NOT typed
),
-- the landed rows with the record of one of these: the table is scanned against these few
landed AS (
    SELECT a."user", a."timestamp", a.x, a.y, a.z, a.source_file_id AS file_id, a.line_number AS line_no,
           a.source_file_id IN (SELECT file_id FROM staged_files) AS this_run
    FROM stedi_landing.accelerometer a
    SEMI JOIN typed_here t ON a."user" = t."user" AND a."timestamp" = t."timestamp" AND a.x = t.x AND a.y = t.y AND a.z = t.z
),
fresh AS (
    SELECT * FROM typed_here t
    ANTI JOIN (SELECT * FROM landed WHERE NOT this_run) e
        ON e."user" = t."user" AND e."timestamp" = t."timestamp" AND e.x = t.x AND e.y = t.y AND e.z = t.z
)
SELECT *, row_number() OVER (PARTITION BY "user", "timestamp", x, y, z ORDER BY file_id, line_no) = 1 AS first
FROM (SELECT *, true AS from_sql FROM fresh
      UNION ALL
      SELECT * EXCLUDE (this_run), false FROM landed WHERE this_run);

INSERT INTO stedi_landing.accelerometer
SELECT "user", "timestamp", x, y, z, file_id, line_no FROM stedi_accelerometer_weighed WHERE from_sql AND first;

DELETE FROM stedi_landing.accelerometer AS a
USING (SELECT file_id, line_no FROM stedi_accelerometer_weighed WHERE NOT from_sql AND NOT first) AS later
WHERE a.source_file_id = later.file_id AND a.line_number = later.line_no;

-- (as the accelerometer's)
CREATE OR REPLACE TEMP TABLE stedi_step_trainer_weighed AS
WITH typed_here AS (
    SELECT epoch_ms(t_ms) AS sensorReadingTime, t_text AS serialNumber, CAST(t_int AS INTEGER) AS distanceFromObject,
           file_id, line_no
    FROM stedi_typed WHERE source = 'step_trainer' AND reject_reason IS NULL AND typed
    UNION ALL
    SELECT stedi_ms(v[1]) AS sensorReadingTime, v[2] AS serialNumber, CAST(meta.exact_bigint(v[3]) AS INTEGER) AS distanceFromObject,
           file_id, line_no
    FROM stedi_typed WHERE source = 'step_trainer' AND reject_reason IS NULL AND NOT typed
),
landed AS (
    SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, s.source_file_id AS file_id,
           s.line_number AS line_no, s.source_file_id IN (SELECT file_id FROM staged_files) AS this_run
    FROM stedi_landing.step_trainer s
    SEMI JOIN typed_here t ON s.sensorReadingTime = t.sensorReadingTime AND s.serialNumber = t.serialNumber
                      AND s.distanceFromObject = t.distanceFromObject
),
fresh AS (
    SELECT * FROM typed_here t
    ANTI JOIN (SELECT * FROM landed WHERE NOT this_run) e
        ON e.sensorReadingTime = t.sensorReadingTime AND e.serialNumber = t.serialNumber
       AND e.distanceFromObject = t.distanceFromObject
)
SELECT *, row_number() OVER (PARTITION BY sensorReadingTime, serialNumber, distanceFromObject ORDER BY file_id, line_no) = 1 AS first
FROM (SELECT *, true AS from_sql FROM fresh
      UNION ALL
      SELECT * EXCLUDE (this_run), false FROM landed WHERE this_run);

INSERT INTO stedi_landing.step_trainer
SELECT sensorReadingTime, serialNumber, distanceFromObject, file_id, line_no
FROM stedi_step_trainer_weighed WHERE from_sql AND first;

DELETE FROM stedi_landing.step_trainer AS s
USING (SELECT file_id, line_no FROM stedi_step_trainer_weighed WHERE NOT from_sql AND NOT first) AS later
WHERE s.source_file_id = later.file_id AND s.line_number = later.line_no;

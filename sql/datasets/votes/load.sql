-- Votes: incoming_lines -> typed rows -> blog_analysis.votes_rejected / blog_analysis.votes.
-- Every value arrives as a JSON string; all typing happens here. incoming_lines is read once, as the
-- files are read: a line's raw text is kept only when the line is rejected. In a first load most lines are
-- not here: those the reader judged whole went straight into blog_analysis.votes first (votes_judged.sql);
-- incoming_lines then holds the lines it left (as it kept them, or read again by number) and the Parquet
-- rows.

-- The lines arrive in no particular order (several threads read them), so there is no order for DuckDB to
-- preserve: without it the typed lines are written by every thread at once (the typing pass over 10M
-- lines: 3.05 s to 2.35 s). Not for stocks, whose rolling features read market.prices back in order
-- (they took 4 s longer) nor STEDI (no gain). Reset at the end of this file.
SET preserve_insertion_order = false;

CREATE OR REPLACE TEMP TABLE typed_votes AS
WITH parsed AS (
    SELECT
        file_id,
        line_no,
        raw,
        defect,
        top_level_keys,
        -- A plain line arrives typed (plain, t_*: lines::LineTyper, src/datasets/votes.rs); only the other
        -- lines are parsed here.
        coalesce(plain, false) AS typed,
        t_Id, t_PostId, t_VoteTypeId, t_CreationDate, t_UserId, t_BountyAmount,
        -- (a CASE, not AND: DuckDB evaluates every operand of an AND in a select list, so json_valid
        -- would parse every typed line too)
        CASE WHEN typed OR defect IS NOT NULL THEN false ELSE json_valid(raw) END AS is_json,
        CASE WHEN is_json THEN
            -- every field as its JSON text, NULL when absent (into a struct: one pass, cheaper than a list of paths; BENCHMARKS.md, votes)
            json_transform(raw, '{"Id": "VARCHAR", "PostId": "VARCHAR", "VoteTypeId": "VARCHAR",
                                  "CreationDate": "VARCHAR", "UserId": "VARCHAR", "BountyAmount": "VARCHAR"}')
        END AS f,
        -- only a line without an Id needs to know whether it is an object at all
        CASE WHEN is_json AND f['Id'] IS NULL THEN json_type(raw) ELSE 'OBJECT' END AS json_kind,
        -- A line can only have unknown or repeated keys when it has more keys than known fields present:
        -- the reader counted its keys (top_level_keys; NULL for Parquet rows), so most lines skip parsing
        -- the key list.
        CASE WHEN is_json AND coalesce(top_level_keys, 7) >
                  (f['Id'] IS NOT NULL)::INT + (f['PostId'] IS NOT NULL)::INT + (f['VoteTypeId'] IS NOT NULL)::INT
                  + (f['CreationDate'] IS NOT NULL)::INT + (f['UserId'] IS NOT NULL)::INT
                  + (f['BountyAmount'] IS NOT NULL)::INT
        THEN json_keys(raw) END AS keys,
        CASE WHEN keys IS NOT NULL THEN
            list_filter(keys, lambda k: k NOT IN ('Id', 'PostId', 'VoteTypeId', 'CreationDate', 'UserId', 'BountyAmount'))
        END AS unknown_keys,
        -- the first key that occurs again (JSON parsers disagree on which value of a repeated key wins)
        CASE WHEN keys IS NOT NULL AND len(keys) > len(list_distinct(keys))
             THEN list_filter(keys, lambda k, i: list_position(keys, k) < i)[1] END AS repeated_key
    FROM incoming_lines
),
typed AS (
    SELECT
        *,
        -- integers exactly as sent (sign and digits), timestamps with an offset converted to UTC
        CASE WHEN typed THEN t_Id ELSE meta.exact_bigint(f['Id']) END                         AS Id,
        CASE WHEN typed THEN t_PostId ELSE meta.exact_bigint(f['PostId']) END                 AS PostId,
        TRY_CAST(CASE WHEN typed THEN t_VoteTypeId ELSE meta.exact_bigint(f['VoteTypeId']) END AS SMALLINT) AS VoteTypeId,
        CASE WHEN typed THEN t_CreationDate ELSE meta.utc_timestamp(f['CreationDate']) END    AS CreationDate,
        CASE WHEN typed THEN t_UserId ELSE meta.exact_bigint(f['UserId']) END                 AS UserId,
        TRY_CAST(CASE WHEN typed THEN t_BountyAmount ELSE meta.exact_bigint(f['BountyAmount']) END AS INTEGER) AS BountyAmount
    FROM parsed
),
judged AS (
    SELECT
        *,
        CASE
            -- a typed line has every required field, of its type: only the ranges are left to judge (an
            -- integer is quoted as its text: the typer took only those that print back as sent)
            WHEN typed THEN CASE
                WHEN VoteTypeId IS NULL                           THEN 'VoteTypeId is not a small integer: ' || t_VoteTypeId
                WHEN NOT meta.plausible_year(CreationDate)        THEN 'CreationDate is outside the years ' || meta.plausible_years() || ': ' || json_extract_string(raw, '$.CreationDate')
                WHEN t_BountyAmount IS NOT NULL AND BountyAmount IS NULL THEN 'BountyAmount is not an integer: ' || t_BountyAmount
            END
            WHEN defect IS NOT NULL                               THEN defect
            WHEN NOT is_json                                      THEN 'malformed JSON'
            WHEN json_kind <> 'OBJECT'                            THEN 'not a JSON object'
            WHEN repeated_key IS NOT NULL                         THEN 'duplicated key ' || repeated_key
            WHEN f['Id'] IS NULL                                  THEN 'missing required field Id'
            WHEN Id IS NULL                                       THEN 'Id is not an integer: ' || f['Id']
            WHEN f['PostId'] IS NULL                              THEN 'missing required field PostId'
            WHEN PostId IS NULL                                   THEN 'PostId is not an integer: ' || f['PostId']
            WHEN f['VoteTypeId'] IS NULL                          THEN 'missing required field VoteTypeId'
            WHEN VoteTypeId IS NULL                               THEN 'VoteTypeId is not a small integer: ' || f['VoteTypeId']
            WHEN f['CreationDate'] IS NULL                        THEN 'missing required field CreationDate'
            WHEN CreationDate IS NULL                             THEN 'CreationDate is not a valid timestamp: ' || f['CreationDate']
            WHEN NOT meta.plausible_year(CreationDate)            THEN 'CreationDate is outside the years ' || meta.plausible_years() || ': ' || f['CreationDate']
            WHEN f['UserId'] IS NOT NULL AND UserId IS NULL       THEN 'UserId is not an integer: ' || f['UserId']
            WHEN f['BountyAmount'] IS NOT NULL AND BountyAmount IS NULL THEN 'BountyAmount is not an integer: ' || f['BountyAmount']
        END AS reject_reason
    FROM typed
)
-- A line the reader typed within every range comes without its text (VoteTyper); should one be rejected
-- after all, the load fails rather than keep a reject without its text.
SELECT file_id, line_no, Id, PostId, VoteTypeId, CreationDate, UserId, BountyAmount, unknown_keys, reject_reason, typed AS by_reader,
       CASE WHEN reject_reason IS NULL THEN NULL
            WHEN raw IS NOT NULL THEN raw
            ELSE error('votes: the reader typed a line that SQL rejects (file ' || file_id || ', line ' || line_no || '): ' || reject_reason)
       END AS raw
FROM judged;

-- Duplicates: a line repeating an Id already in the warehouse, or one seen earlier in this run (file, then
-- line order). Repeats are rare, so only the Ids that can repeat go through the window: those the reader
-- saw on more than one line it typed (incoming_repeats, its keys being the Ids offset by 2^63; read once,
-- once the lines were read), and among the lines SQL typed itself, the Ids occurring more than once or
-- also on a line the reader typed. (Grouping every line by its Id took about 1.2 s of 10M lines.)
-- A first load put the lines the reader judged whole straight into blog_analysis.votes (votes_judged.sql):
-- those rows are this run's too, and a line typed here with the Id of one of them competes with it by
-- position, so the first line wins whichever side typed it; a row of this run that loses (straight) is
-- deleted below. Rows of earlier loads always win.
CREATE OR REPLACE TEMP TABLE duplicate_votes AS
WITH by_sql AS NOT MATERIALIZED (
    SELECT Id FROM typed_votes WHERE reject_reason IS NULL AND NOT by_reader
),
-- this run's rows (read straight) with the Id of a line typed here: few
contested AS MATERIALIZED (
    SELECT v.Id, v.source_file_id AS file_id, v.line_number AS line_no
    FROM blog_analysis.votes v SEMI JOIN typed_votes t ON v.Id = t.Id AND t.reject_reason IS NULL
    WHERE v.source_file_id IN (SELECT file_id FROM staged_files)
),
repeated AS (
    SELECT (key::HUGEINT - 9223372036854775808)::BIGINT AS Id FROM incoming_repeats
    UNION ALL
    SELECT Id FROM by_sql GROUP BY Id HAVING count(*) > 1
    UNION ALL
    SELECT t.Id FROM typed_votes t SEMI JOIN by_sql s ON t.Id = s.Id WHERE t.by_reader AND t.reject_reason IS NULL
    UNION ALL
    SELECT Id FROM contested
),
competing AS (
    SELECT t.Id, t.file_id, t.line_no, false AS straight
    FROM typed_votes t SEMI JOIN repeated r ON t.Id = r.Id
    WHERE t.reject_reason IS NULL
    UNION ALL
    SELECT Id, file_id, line_no, true AS straight FROM contested
)
SELECT file_id, line_no, straight FROM (
    SELECT file_id, line_no, straight, row_number() OVER (PARTITION BY Id ORDER BY file_id, line_no) AS nth
    FROM competing)
WHERE nth > 1
UNION
SELECT file_id, line_no, false AS straight FROM typed_votes
WHERE reject_reason IS NULL
  AND Id IN (SELECT Id FROM blog_analysis.votes WHERE source_file_id NOT IN (SELECT file_id FROM staged_files));

DELETE FROM blog_analysis.votes AS v USING duplicate_votes AS d
WHERE d.straight AND v.source_file_id = d.file_id AND v.line_number = d.line_no;

INSERT INTO blog_analysis.votes_rejected SELECT * FROM rejected_rows('typed_votes');

INSERT INTO blog_analysis.votes (Id, PostId, VoteTypeId, CreationDate, UserId, BountyAmount, source_file_id, line_number)
SELECT t.Id, t.PostId, t.VoteTypeId, t.CreationDate, t.UserId, t.BountyAmount, t.file_id, t.line_no
FROM typed_votes t ANTI JOIN duplicate_votes d ON NOT d.straight AND t.file_id = d.file_id AND t.line_no = d.line_no
WHERE t.reject_reason IS NULL;

-- What the file check (file_errors.sql) and the accounting (accounting.sql) need of the typed lines, per
-- file, in one scan: lines read and rejected, whether none of them parses, the first (non-blank) line and
-- the first rejected line's reason (the same line when none parses), and the unknown fields met.
CREATE OR REPLACE TEMP TABLE typed_vote_files AS
SELECT file_id,
       count(*) AS rows_read,
       count(reject_reason) AS rows_rejected,
       bool_and(coalesce(reject_reason IN ('malformed JSON', 'line is not valid UTF-8'), false)) AS none_parses,
       min(line_no) AS first_line,
       arg_min(reject_reason, line_no) AS first_reason,
       list_sort(list_distinct(flatten(list(unknown_keys) FILTER (unknown_keys IS NOT NULL)))) AS unknown_fields
FROM typed_votes GROUP BY file_id;

RESET preserve_insertion_order;

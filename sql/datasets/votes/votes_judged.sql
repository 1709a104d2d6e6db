-- A first votes load (the table empty, its unique Id index set aside: src/ingest/indexes.rs): the lines
-- the reader judged whole (VoteTyper, src/datasets/votes.rs: a flat object of known keys whose values
-- are plain integers and a timestamp without a zone, in SQL's ranges) go straight from the stream
-- (judged_lines) into blog_analysis.votes, with their file and line, before load.sql types the other
-- lines. No two judged lines share an Id: the reader judged only the first line of each Id it met in a
-- file's order and left the others to SQL (lines::stream_judged_lines), whose text it keeps for
-- load.sql. load.sql then weighs the lines SQL typed against these rows, so the first line of an Id
-- (file, then line) stays whichever side typed it. Nothing is deleted here: DuckDB writes the whole
-- table again at commit when a transaction deleted any row it inserted (10M rows: about 1.2 s more).

-- (no order to preserve: the lines arrive in no particular order, several threads reading them)
SET preserve_insertion_order = false;

-- A judged line's values are in SQL's ranges (the reader checked them); should one not be after all, the
-- load fails rather than keep a value SQL would have rejected.
INSERT INTO blog_analysis.votes (Id, PostId, VoteTypeId, CreationDate, UserId, BountyAmount, source_file_id, line_number)
SELECT t_Id, t_PostId,
       CASE WHEN TRY_CAST(t_VoteTypeId AS SMALLINT) IS NULL OR NOT meta.plausible_year(t_CreationDate)
                 OR (t_BountyAmount IS NOT NULL AND TRY_CAST(t_BountyAmount AS INTEGER) IS NULL)
            THEN error('votes: the reader judged a line whose values SQL rejects (file ' || file_id || ', line ' || line_no || ')')
            ELSE t_VoteTypeId::SMALLINT END,
       t_CreationDate, t_UserId, t_BountyAmount::INTEGER, file_id, line_no
FROM judged_lines WHERE judged;

RESET preserve_insertion_order;

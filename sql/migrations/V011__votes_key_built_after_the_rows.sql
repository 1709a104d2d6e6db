-- Votes: the Id key becomes a unique index instead of a PRIMARY KEY, so that a load into the empty table
-- can build it once after its rows are in (src/ingest/indexes.rs; sql/datasets/votes/indexes.sql)
-- rather than keep it up row by row: 10M votes took 1.8 s to insert with the key, 0.6 s without, and
-- about 1.3 s either way to build it (BENCHMARKS.md, session 10). Like the key, the index refuses a
-- duplicate Id on any write. DuckDB cannot drop a constraint, so the table is made again, its rows kept
-- in their order.
-- A later migration that alters this table (renames or drops a column, changes a type) must drop the
-- index first and create it again after: DuckDB refuses to alter a table an index depends on.
CREATE TABLE blog_analysis.votes_without_key (
    Id              BIGINT    NOT NULL,
    PostId          BIGINT    NOT NULL,
    VoteTypeId      SMALLINT  NOT NULL,
    CreationDate    TIMESTAMP NOT NULL,
    UserId          BIGINT,              -- present only for some vote types
    BountyAmount    INTEGER,             -- present only for bounty votes
    source_file_id  BIGINT    NOT NULL   -- meta.file_loads.file_load_id of the file it came from
);
INSERT INTO blog_analysis.votes_without_key SELECT * FROM blog_analysis.votes;
DROP TABLE blog_analysis.votes;
ALTER TABLE blog_analysis.votes_without_key RENAME TO votes;
CREATE UNIQUE INDEX votes_id ON blog_analysis.votes (Id);

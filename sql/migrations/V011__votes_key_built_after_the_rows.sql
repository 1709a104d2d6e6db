-- Votes: the Id key becomes a unique index, built by the first votes load once its rows are in
-- (sql/datasets/votes/load.sql ends with CREATE UNIQUE INDEX IF NOT EXISTS), instead of a PRIMARY KEY.
-- DuckDB keeps a key's index up row by row as rows are inserted; built after them, it is one bulk
-- build: 10M votes into an empty table took 1.8 s to insert and 1.3 s to commit with the key, 0.6 s and
-- 1.3 s with the index built after the insert (BENCHMARKS.md, session 10). From then on the index refuses
-- a duplicate Id on any write, as the key did. Until then the table has no index: a new warehouse's until
-- its first votes load, an upgraded one's until its next (`exercise check` then scans for repeated Ids).
-- The index cannot instead be dropped for each load and built again after it: DuckDB keeps up an index
-- that a transaction dropped until the transaction ends.
-- DuckDB cannot drop a constraint: the table is made again, its rows kept in their order.
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

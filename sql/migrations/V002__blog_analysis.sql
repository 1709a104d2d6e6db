-- Votes: Stack-Exchange-style vote records (the exercise's blog_analysis.votes).
CREATE SCHEMA blog_analysis;

CREATE TABLE blog_analysis.votes (
    Id              BIGINT    NOT NULL PRIMARY KEY,
    PostId          BIGINT    NOT NULL,
    VoteTypeId      SMALLINT  NOT NULL,
    CreationDate    TIMESTAMP NOT NULL,
    UserId          BIGINT,              -- present only for some vote types
    BountyAmount    INTEGER,             -- present only for bounty votes
    source_file_id  BIGINT    NOT NULL   -- meta.file_loads.file_load_id of the file it came from
);

-- Rows that could not be typed: kept with their provenance and the reason, never dropped.
CREATE TABLE blog_analysis.votes_rejected (
    source_file_id  BIGINT    NOT NULL,
    source_file     VARCHAR   NOT NULL,
    line_number     BIGINT    NOT NULL,
    raw             VARCHAR,
    reason          VARCHAR   NOT NULL,
    rejected_at     TIMESTAMP NOT NULL
);

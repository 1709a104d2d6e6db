-- Staging for one ingestion run (or one batch of it): temporary, private to the run's connection.
-- staged_files: the files being read; file_id becomes meta.file_loads.file_load_id and each fact row's
-- source_file_id; file_index is the file's position in a multi-file read.
CREATE OR REPLACE TEMP TABLE staged_files (
    file_id       BIGINT  NOT NULL,
    file_index    BIGINT  NOT NULL,
    path          VARCHAR NOT NULL,
    size_bytes    BIGINT  NOT NULL,
    modified_us   BIGINT  NOT NULL,
    content_hash  VARCHAR           -- NULL until a text file is hashed while it is read
);
-- footer_rows: the rows each staged Parquet file's footer states (bulk loads: the accounting's rows read).
CREATE OR REPLACE TEMP TABLE footer_rows (
    file_id   BIGINT NOT NULL,
    num_rows  BIGINT NOT NULL
);
-- staged_lines: non-blank lines exactly as landed, with provenance: every line of the run for datasets
-- whose SQL reads them several times (telemetry CSV); for the others (votes, stocks, STEDI), which read the text files' lines once
-- as they arrive (view incoming_lines), only Parquet rows staged as JSON.
-- defect is set by the reader when a line cannot even be text (invalid UTF-8); top_level_keys is the number
-- of keys of the line's top-level JSON object, counted by the reader for datasets that ask for it (votes:
-- the key list is parsed only for lines with more keys than known fields), else NULL.
CREATE OR REPLACE TEMP TABLE staged_lines (
    file_id  BIGINT  NOT NULL,
    line_no  BIGINT  NOT NULL,
    raw      VARCHAR NOT NULL,
    defect   VARCHAR,
    top_level_keys INTEGER
);
-- judged_files: the files read straight (ingest::Straight: the lines the reader judged whole go straight
-- into their table): each file's kind, its non-blank lines and how many of them the reader judged whole
-- (duplicates among them included with FirstOfKey::Deleted; not with Claimed, which leaves them). Its other
-- lines go to load.sql (as kept, or read again), which sees only them.
CREATE OR REPLACE TEMP TABLE judged_files (
    file_id     BIGINT   NOT NULL,
    kind        TINYINT  NOT NULL,
    rows_read   BIGINT   NOT NULL,
    rows_judged BIGINT   NOT NULL
);
